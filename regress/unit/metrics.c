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
 * Prometheus metrics: what meshd-net answers to a request's bytes
 * (meshd-net/scrape_http.c), and the parent's exposition text
 * (meshd-parent/metrics_text.c) for a snapshot with a hostile peer name:
 * its label escaped, each family once with HELP and TYPE first.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "metrics.h"
#include "scrape.h"
#include "tap.h"

static ssize_t
route(const char *s, struct metrics_route *r)
{
	return metrics_route((const uint8_t *)s, strlen(s), r);
}

static void
test_route(void)
{
	struct metrics_route	 r;
	static const char	 get[] = "GET /metrics HTTP/1.1\r\n"
	    "Host: 127.0.0.1:9586\r\nAccept: text/plain\r\n\r\n";
	char			 head[256];
	size_t			 i;

	ok(route(get, &r) == (ssize_t)strlen(get) && r.status == 200 &&
	    !r.head, "GET /metrics: a scrape");
	for (i = 1; i < strlen(get); i++)
		if (metrics_route((const uint8_t *)get, i, &r) != HTTP_MORE)
			break;
	is_int(i, strlen(get), "every prefix wants more");
	ok(route("HEAD /metrics HTTP/1.0\r\n\r\n", &r) > 0 &&
	    r.status == 200 && r.head, "HEAD /metrics: a scrape, no body");
	ok(route("GET /metrics?name[]=x HTTP/1.1\r\n\r\n", &r) > 0 &&
	    r.status == 200, "a query is still a scrape");
	ok(route("GET http://h:9586/metrics HTTP/1.1\r\n\r\n", &r) > 0 &&
	    r.status == 200, "an absolute target too");
	ok(route("GET / HTTP/1.1\r\n\r\n", &r) > 0 && r.status == 404,
	    "GET /: 404");
	ok(route("GET /metricsx HTTP/1.1\r\n\r\n", &r) > 0 &&
	    r.status == 404, "GET /metricsx: 404");
	ok(route("GET /metrics/ HTTP/1.1\r\n\r\n", &r) > 0 &&
	    r.status == 404, "GET /metrics/: 404");
	ok(route("POST /metrics HTTP/1.1\r\n\r\n", &r) > 0 &&
	    r.status == 404, "POST /metrics: 404");
	ok(route("get /metrics HTTP/1.1\r\n\r\n", &r) != 0 &&
	    r.status != 200, "methods are case-sensitive: get is no GET");
	ok(route("garbage\r\n\r\n", &r) == HTTP_BAD && r.status == 400 &&
	    r.why != NULL, "garbage: 400, with a reason");
	ok(route("GET /metrics HTTP/2.0\r\n\r\n", &r) == HTTP_BAD &&
	    r.status == 505, "HTTP/2.0 in a request line: 505");
	is_int(metrics_head(head, sizeof(head), 200, METRICS_TYPE, 1234) > 0,
	    1, "a response head");
	ok(strstr(head, "Content-Length: 1234\r\n") != NULL &&
	    strstr(head, "Connection: close\r\n\r\n") != NULL &&
	    strncmp(head, "HTTP/1.1 200 OK\r\n", 17) == 0,
	    "with its status, length, and close");
	is_int(metrics_head(head, 16, 200, METRICS_TYPE, 1), -1,
	    "a head that does not fit: -1");
}

/* the text of a snapshot with one peer named name */
static char *
text_of(const char *name)
{
	static const struct mesh_peer_stats global[PROC_MAX];
	struct metrics_snapshot	 s;
	struct metrics_peer	 p;
	struct ctl_peer		 cp;
	FILE			*f;
	char			*t = NULL;
	size_t			 len = 0;

	memset(&cp, 0, sizeof(cp));
	(void)strlcpy(cp.name, name, sizeof(cp.name));
	cp.stats.rx_bytes = 1234;
	cp.stats.drop_replay = 7;
	(void)strlcpy(cp.endpoint, "198.18.0.1:51820", sizeof(cp.endpoint));
	metrics_peer_fill(&p, &cp);
	memset(&s, 0, sizeof(s));
	s.ifname = "mesh0";
	s.peers = &p;
	s.npeers = 1;
	s.global = global;
	s.procs[PROC_NET].cpu = -1;
	s.procs[PROC_TUN].memkind = "rss";
	s.procs[PROC_TUN].mem = 4096;
	if ((f = open_memstream(&t, &len)) == NULL)
		abort();
	metrics_text(f, &s);
	if (fclose(f) == EOF)
		abort();
	return t;
}

/* each family's HELP, then its TYPE, then only its samples */
static int
families_whole(const char *t)
{
	char		 fam[128], seen[8192], *line, *save = NULL, *copy;
	size_t		 n;
	int		 good = 1, state = 0;	/* 1 after HELP */

	seen[0] = ' ';
	seen[1] = '\0';
	fam[0] = '\0';
	if ((copy = strdup(t)) == NULL)
		abort();
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = strcspn(line + 7, " ");
			(void)snprintf(fam, sizeof(fam), " %.*s ", (int)n,
			    line + 7);
			if (strstr(seen, fam) != NULL)
				good = 0;	/* a family twice */
			(void)strlcat(seen, fam + 1, sizeof(seen));
			state = 1;
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			if (state != 1 || strncmp(line + 7, fam + 1,
			    strlen(fam + 1)) != 0)
				good = 0;
			state = 2;
		} else if (state != 2 || strncmp(line, fam + 1,
		    strlen(fam + 1) - 1) != 0 || (line[strlen(fam + 1) - 1] !=
		    '{' && line[strlen(fam + 1) - 1] != ' '))
			good = 0;	/* a sample of another family */
	}
	free(copy);
	return good;
}

static void
test_text(void)
{
	char	*t;

	t = text_of("we\"ird\\name\nx");
	ok(strstr(t, "meshd_peer_rx_bytes_total{peer=\"we\\\"ird\\\\name\\nx\","
	    "public_key=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"} "
	    "1234\n") != NULL,
	    "a name's quote, backslash and newline are escaped");
	ok(strstr(t, "reason=\"replay\"} 7\n") != NULL, "drops by reason");
	ok(strstr(t, "=\",reason=\"ratelimit\"") == NULL,
	    "no ratelimit drops per peer (net counts them per source)");
	ok(strstr(t, "path=\"direct\"} 1\n") != NULL,
	    "a peer with an endpoint and no path from net is direct");
	ok(strstr(t, "meshd_process_cpu_seconds_total{process=\"net\"}") ==
	    NULL, "a CPU time /proc did not give is left out");
	ok(strstr(t, "meshd_process_memory_bytes{process=\"tun\",kind=\"rss\"}"
	    " 4096\n") != NULL, "RSS where there is no PSS");
	ok(strstr(t, "meshd_build_info{version=\"" MESHD_VERSION
	    "\",interface=\"mesh0\"} 1\n") != NULL, "build info");
	ok(families_whole(t), "each family once, HELP and TYPE first");
	ok(strchr(t, '\0') == t + strlen(t) && t[strlen(t) - 1] == '\n',
	    "the text ends in a newline");
	free(t);
}

int
main(void)
{
	test_route();
	test_text();
	return tap_done();
}
