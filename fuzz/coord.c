/*
 * Copyright (c) 2026 The meshd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/*
 * The coordination codec (meshd-net/coord.c) on what a coordinator or a
 * member could send: the input is one decrypted transport payload.
 *
 * Checked besides memory safety: a message that decodes is coordination
 * by its first byte, its fields keep the rules of coord.h, and it encodes
 * back to exactly the input's message part (the input without its
 * padding), so no two byte strings decode to one message.
 */

#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "coord.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_record(const struct coord_record *r, const uint8_t *buf, size_t len)
{
	size_t	i;

	if (r->certlen < CERT_MIN || r->certlen > CERT_MAX ||
	    r->cert < buf || r->cert + r->certlen > buf + len ||
	    r->ncand > COORD_MAX_CAND)
		abort();
	for (i = 0; i < r->ncand; i++)
		if ((r->cand[i].af != 4 && r->cand[i].af != 6) ||
		    r->cand[i].port == 0)
			abort();
	/* announced routes: all, or at most COORD_MAX_ANN well-formed */
	if (r->ann_all ? r->nann != 0 : r->nann > COORD_MAX_ANN)
		abort();
	for (i = 0; i < r->nann; i++)
		if ((r->ann[i].af != 4 && r->ann[i].af != 6) ||
		    r->ann[i].plen > (r->ann[i].af == 4 ? 32 : 128))
			abort();
}

static void
check_fields(const struct coord_msg *m, const uint8_t *buf, size_t len)
{
	size_t	i;

	switch (m->type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		if (m->nrec < 1 || m->nrec > COORD_MAX_RECS ||
		    (m->type == COORD_REGISTER && m->nrec != 1))
			abort();
		/* back to back, in order */
		for (i = 0; i < m->nrec; i++) {
			check_record(&m->rec[i], buf, len);
			if (i > 0 && m->rec[i].cert <= m->rec[i - 1].cert)
				abort();
		}
		break;
	case COORD_CRL_PART:
		if (m->serial == 0 || m->total < CRL_MIN ||
		    m->total > CRL_MAX || m->datalen < 1 ||
		    m->datalen > COORD_CRL_PART_MAX ||
		    (uint64_t)m->offset + m->datalen > m->total ||
		    m->data < buf || m->data + m->datalen > buf + len)
			abort();
		break;
	case COORD_CALL_ME:
		if (m->ncand > COORD_MAX_CAND)
			abort();
		for (i = 0; i < m->ncand; i++)
			if ((m->cand[i].af != 4 && m->cand[i].af != 6) ||
			    m->cand[i].port == 0 ||
			    m->cand[i].kind >= COORD_CAND_KINDS)
				abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct coord_msg	 m;
	uint8_t			 out[COORD_MAX];
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 msglen;

	if (coord_decode(data, len, &m, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return 0;
	}
	if (!coord_is_coord(data, len) || strcmp(coord_type_name(m.type),
	    "unknown") == 0)
		abort();
	check_fields(&m, data, len);
	msglen = COORD_HDR_LEN + ((size_t)data[2] << 8 | data[3]);
	if (msglen > COORD_MAX || len - msglen >= 16)
		abort();
	n = coord_encode(&m, out, sizeof(out));
	if (n < 0 || (size_t)n != msglen || memcmp(out, data, msglen) != 0)
		abort();
	/* one byte short of room is refused, never written past */
	if (coord_encode(&m, out, msglen - 1) != -1)
		abort();
	return 0;
}
