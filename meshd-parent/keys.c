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
 * The parent's side of the key check (common/meshd.h): it opens the key
 * files and passes their descriptors to meshd-crypto, which reads them
 * and answers; the parent never reads a key byte.  A config is used only
 * once crypto has found its keys good: at start, on a reload and for
 * meshd -n, which runs meshd-crypto in its check mode (-n) for that.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "parent.h"

static int
open_key(const char *path, char *err, size_t errlen)
{
	struct stat	sb;
	int		fd;

	/* the parent opens key files but never reads them */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "%s: not a regular file, or readable by "
		    "group or others", path);
		close(fd);
		return -1;
	}
	return fd;
}

void
keys_close(struct keyfds *kf)
{
	size_t	i;

	if (kf->keyfd != -1)
		close(kf->keyfd);
	for (i = 0; i < kf->npsk; i++)
		if (kf->pskfds[i] != -1)
			close(kf->pskfds[i]);
	free(kf->pskfds);
	memset(kf, 0, sizeof(*kf));
	kf->keyfd = -1;
}

/*
 * Opens the private key file and every preshared key file of conf, one
 * fd per peer in config order (-1 if none).  On error nothing stays open.
 */
int
keys_open(struct meshd_conf *conf, struct keyfds *kf, char *err,
    size_t errlen)
{
	struct peer_conf	*p;

	memset(kf, 0, sizeof(*kf));
	if ((kf->keyfd = open_key(conf->iface.key_file, err, errlen)) == -1)
		return -1;
	if ((kf->pskfds = calloc(conf->npeers + 1, sizeof(int))) == NULL)
		fatal(NULL);
	TAILQ_FOREACH(p, &conf->peers, entry) {
		kf->pskfds[kf->npsk] = -1;
		if (p->psk_file != NULL && (kf->pskfds[kf->npsk] =
		    open_key(p->psk_file, err, errlen)) == -1) {
			keys_close(kf);
			return -1;
		}
		kf->npsk++;
	}
	return 0;
}

/*
 * Queues the descriptors for crypto on ibuf, which closes them once
 * sent: KEY_FD, a PSK_FD per peer with a preshared key (its id, so ids
 * must be assigned), KEYCHECK_END.
 */
void
keys_send(struct imsgbuf *ibuf, struct meshd_conf *conf, struct keyfds *kf)
{
	struct peer_conf	*p;
	size_t			 i = 0;

	if (imsg_compose(ibuf, IMSG_KEY_FD, 0, 0, kf->keyfd, NULL, 0) == -1)
		fatal("imsg_compose");
	kf->keyfd = -1;
	TAILQ_FOREACH(p, &conf->peers, entry) {
		if (kf->pskfds[i] != -1 && imsg_compose(ibuf, IMSG_PSK_FD,
		    p->id, 0, kf->pskfds[i], NULL, 0) == -1)
			fatal("imsg_compose");
		kf->pskfds[i++] = -1;
	}
	if (imsg_compose(ibuf, IMSG_KEYCHECK_END, 0, 0, -1, NULL, 0) == -1)
		fatal("imsg_compose");
	keys_close(kf);
}

/* crypto's KEY_ERROR as a message that names the file and its line */
void
keys_error(struct meshd_conf *conf, struct imsg *imsg, char *err,
    size_t errlen)
{
	struct peer_conf	*p;
	struct ibuf		 ib;
	char			*reason, *c;
	uint32_t		 id = imsg_get_id(imsg);

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    (reason = ibuf_get_string(&ib, ibuf_size(&ib))) == NULL)
		fatalx("KEY_ERROR: bad message");
	/* crypto is not trusted with the look of our messages */
	for (c = reason; *c != '\0'; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	if (id == 0) {
		if (conf->iface.key_uapi)
			snprintf(err, errlen, "the private key set through "
			    "wg: %s", reason);
		else
			snprintf(err, errlen, "%s: %s: %s", conf->iface.key_at,
			    conf->iface.key_file, reason);
		free(reason);
		return;
	}
	TAILQ_FOREACH(p, &conf->peers, entry)
		if (p->id == id && (p->psk_file != NULL || p->psk_uapi))
			break;
	if (p == NULL)
		fatalx("KEY_ERROR: no peer %u has a preshared key", id);
	if (p->psk_file == NULL) {
		snprintf(err, errlen, "peer %s: the preshared key set through "
		    "wg: %s", p->name, reason);
		free(reason);
		return;
	}
	snprintf(err, errlen, "%s: %s: %s", p->psk_at != NULL ? p->psk_at :
	    "?", p->psk_file, reason);
	free(reason);
}

/*
 * What only our public key (pub, from crypto) tells: a peer or coordinator
 * whose key is ours, or a mesh certificate that is not for our key.  -1
 * and the first one in err.
 */
int
keys_check_self(struct meshd_conf *conf, const uint8_t *pub,
    char *err, size_t errlen)
{
	struct peer_conf	*p;
	struct mesh_conf	*m = &conf->mesh;

	TAILQ_FOREACH(p, &conf->peers, entry) {
		if (CRYPTO_memcmp(p->pubkey, pub, WG_KEY_LEN) != 0)
			continue;
		snprintf(err, errlen, "%s: %s \"%s\": public-key is this "
		    "node's own (that of %s)", p->pubkey_at != NULL ?
		    p->pubkey_at : "?", p->coordinator ? "coordinator" :
		    "peer", p->name, conf->iface.key_file);
		return -1;
	}
	if (conf->has_mesh && m->certlen > 0 &&
	    CRYPTO_memcmp(m->c.pubkey, pub, WG_KEY_LEN) != 0) {
		snprintf(err, errlen, "%s: mesh \"%s\": certificate-file "
		    "\"%s\": its key is not this node's (it is for %s)",
		    m->cert_at != NULL ? m->cert_at : "?", m->name,
		    m->cert_file, m->c.name);
		return -1;
	}
	return 0;
}

/* a warning or worse from the check child, as the parent logs its own */
static void
check_logline(struct imsg *imsg)
{
	char	line[LOG_LINE_MAX];
	int	pri;

	if (parent_logline(imsg, &pri, line, sizeof(line)) == 0 &&
	    pri <= LOG_WARNING)
		logit(pri, "crypto: %s", line);
}

/* reads the check child's answer: 0 OK (and pub), -1 and err */
static int
check_answer(struct imsgbuf *ibuf, struct meshd_conf *conf,
    uint8_t pub[WG_KEY_LEN], char *err, size_t errlen)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 ret = -2;

	while (ret == -2) {
		if ((n = imsgbuf_get(ibuf, &imsg)) == -1)
			fatal("key check: bad message");
		if (n == 0) {
			if (imsgbuf_read(ibuf) != 1) {
				snprintf(err, errlen, "meshd-crypto ended "
				    "before it had checked the keys");
				return -1;
			}
			continue;
		}
		switch (imsg_get_type(&imsg)) {
		case IMSG_KEYCHECK_OK:
			if (imsg_get_data(&imsg, pub, WG_KEY_LEN) == -1)
				fatalx("KEYCHECK_OK: bad length");
			ret = 0;
			break;
		case IMSG_KEY_ERROR:
			keys_error(conf, &imsg, err, errlen);
			ret = -1;
			break;
		case IMSG_LOG:
			check_logline(&imsg);
			break;
		case IMSG_CHILD_READY:
			break;
		default:
			fatalx("key check: unexpected imsg %s",
			    imsg_type_name(imsg_get_type(&imsg)));
		}
		imsg_free(&imsg);
	}
	return ret;
}

/*
 * meshd -n, and start before it daemonizes: the keys of conf checked by
 * a meshd-crypto of its own (bin -n), which drops privileges and enters
 * its sandbox as at run time (as root; else it only checks).  0 and our
 * public key in pub, or -1 and a message in err.
 */
int
keys_check_sync(struct meshd_conf *conf, const char *bin, uint8_t *pub,
    char *err, size_t errlen)
{
	struct keyfds	 kf;
	struct imsgbuf	 ibuf;
	char		 path[PATH_MAX];
	char		*argv[] = { path, "-n", "-u", conf->iface.user, NULL };
	pid_t		 pid;
	int		 fd, ret;

	/* argv[0] is not const, exec(3) says: a copy, not a cast */
	if (strlcpy(path, bin, sizeof(path)) >= sizeof(path)) {
		snprintf(err, errlen, "%s: name too long", bin);
		return -1;
	}
	if (keys_open(conf, &kf, err, errlen) == -1)
		return -1;
	pid = proc_spawn(bin, argv, &fd);
	if (imsgbuf_init(&ibuf, fd) == -1)
		fatal("imsgbuf_init");
	imsgbuf_allow_fdpass(&ibuf);
	keys_send(&ibuf, conf, &kf);
	if (imsgbuf_flush(&ibuf) == -1) {
		snprintf(err, errlen, "meshd-crypto: %s", strerror(errno));
		ret = -1;
	} else
		ret = check_answer(&ibuf, conf, pub, err, errlen);
	imsgbuf_clear(&ibuf);
	close(fd);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	return ret;
}
