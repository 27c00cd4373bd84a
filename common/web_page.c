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
 * What nginx 1.22 writes that does not depend on the request: status
 * lines, its error pages (server_tokens off), the padding it adds to
 * them for MSIE and Chrome, HTTP dates, and the page a new Debian
 * install serves.  The bytes are nginx's, checked against it by
 * regress/interop/web-nginx.t.
 */

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "web.h"
#include "web_local.h"

#define CRLF		"\r\n"
#define PAGE_TAIL	"<hr><center>nginx</center>" CRLF "</body>" CRLF \
			"</html>" CRLF
#define PAGE(s)		"<html>" CRLF "<head><title>" s "</title></head>" \
			CRLF "<body>" CRLF "<center><h1>" s "</h1></center>" \
			CRLF PAGE_TAIL
#define PAD_LINE	"<!-- a padding to disable MSIE and Chrome friendly " \
			"error page -->" CRLF

struct status {
	int		 code;
	const char	*line;		/* after "HTTP/1.1 " */
	const char	*page;		/* NULL: none */
};

static const struct status statuses[] = {
	{ 200, "200 OK", NULL },
	{ 206, "206 Partial Content", NULL },
	{ 301, "301 Moved Permanently", PAGE("301 Moved Permanently") },
	{ 304, "304 Not Modified", NULL },
	{ 400, "400 Bad Request", PAGE("400 Bad Request") },
	{ 403, "403 Forbidden", PAGE("403 Forbidden") },
	{ 404, "404 Not Found", PAGE("404 Not Found") },
	{ 405, "405 Not Allowed", PAGE("405 Not Allowed") },
	{ 412, "412 Precondition Failed", PAGE("412 Precondition Failed") },
	{ 414, "414 Request-URI Too Large", PAGE("414 Request-URI Too Large") },
	{ 416, "416 Requested Range Not Satisfiable",
	    PAGE("416 Requested Range Not Satisfiable") },
	/* nginx's own code for a head over its buffers, sent as a 400 */
	{ WEB_TOO_LARGE, "400 Bad Request",
	    "<html>" CRLF "<head><title>400 Request Header Or Cookie Too "
	    "Large</title></head>" CRLF "<body>" CRLF "<center><h1>400 Bad "
	    "Request</h1></center>" CRLF "<center>Request Header Or Cookie "
	    "Too Large</center>" CRLF PAGE_TAIL },
	{ 501, "501 Not Implemented", PAGE("501 Not Implemented") },
	{ 505, "505 HTTP Version Not Supported",
	    PAGE("505 HTTP Version Not Supported") },
};

static const char padding[] = PAD_LINE PAD_LINE PAD_LINE PAD_LINE PAD_LINE
    PAD_LINE;

static const struct status *
status_find(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return &statuses[i];
	return &statuses[0];
}

const char *
web_status_line(int code)
{
	return status_find(code)->line;
}

/* the error page of a status, or NULL; its padding if asked */
const char *
web_page(int code)
{
	return status_find(code)->page;
}

const char *
web_padding(void)
{
	return padding;
}

static const char days[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7), not by the locale */
void
web_http_date(time_t t, char out[WEB_DATE_LEN + 1])
{
	struct tm	tm;
	char		buf[128];

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* a year past 9999 would make it longer: cut, never overflow */
	snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[(unsigned int)tm.tm_wday % 7], tm.tm_mday,
	    months[(unsigned int)tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	strlcpy(out, buf, WEB_DATE_LEN + 1);
}

static int
month_of(const char *m)
{
	int	i;

	for (i = 0; i < 12; i++)
		if (strncmp(m, months[i], 3) == 0)
			return i;
	return -1;
}

/* days since 1970-01-01 of a civil date (proleptic Gregorian) */
static long long
days_from_civil(int y, int m, int d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * The three date forms nginx reads (ngx_parse_http_time): RFC 1123
 * "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37
 * GMT" and asctime "Sun Nov  6 08:49:37 1994".  The weekday is not
 * checked, as nginx does not.  -1 if none fits.
 */
time_t
web_parse_date(const char *s, size_t len)
{
	char		 buf[64], mon[4];
	const char	*p;
	int		 d, y, h, mi, sec, n = 0, m;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((p = strchr(buf, ',')) != NULL) {
		if (sscanf(p, ", %2d %3s %4d %2d:%2d:%2d GMT%n", &d, mon, &y,
		    &h, &mi, &sec, &n) != 6 || n == 0 || p[n] != '\0') {
			n = 0;
			if (sscanf(p, ", %2d-%3s-%2d %2d:%2d:%2d GMT%n", &d,
			    mon, &y, &h, &mi, &sec, &n) != 6 || n == 0 ||
			    p[n] != '\0')
				return -1;
			y += y < 70 ? 2000 : 1900;
		}
	} else if ((p = strchr(buf, ' ')) == NULL ||
	    sscanf(p, " %3s %2d %2d:%2d:%2d %4d%n", mon, &d, &h, &mi, &sec,
	    &y, &n) != 6 || n == 0 || p[n] != '\0')
		return -1;
	mon[3] = '\0';
	if ((m = month_of(mon)) == -1 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 59 || y < 1970 || y > 9999)
		return -1;
	return (time_t)(days_from_civil(y, m + 1, d) * 86400 + h * 3600 +
	    mi * 60 + sec);
}

/* Debian's /var/www/html/index.nginx-debian.html of nginx 1.22 */
static const char debian_page[] =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head>\n"
    "<title>Welcome to nginx!</title>\n"
    "<style>\n"
    "html { color-scheme: light dark; }\n"
    "body { width: 35em; margin: 0 auto;\n"
    "font-family: Tahoma, Verdana, Arial, sans-serif; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>Welcome to nginx!</h1>\n"
    "<p>If you see this page, the nginx web server is successfully "
    "installed and\n"
    "working. Further configuration is required.</p>\n"
    "\n"
    "<p>For online documentation and support please refer to\n"
    "<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\n"
    "Commercial support is available at\n"
    "<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n"
    "\n"
    "<p><em>Thank you for using nginx.</em></p>\n"
    "</body>\n"
    "</html>\n";

static struct web_file	default_file;
static uint8_t		default_gz[2048];

void
web_default_site(struct web_site *site, time_t mtime)
{
	ssize_t	n;

	default_file.path = "/index.nginx-debian.html";
	default_file.data = (const uint8_t *)debian_page;
	default_file.len = sizeof(debian_page) - 1;
	default_file.mtime = mtime;
	if (default_file.gz == NULL && (n = web_gzip(default_file.data,
	    default_file.len, default_gz, sizeof(default_gz))) > 0) {
		default_file.gz = default_gz;
		default_file.gzlen = (size_t)n;
	}
	memset(site, 0, sizeof(*site));
	site->files = &default_file;
	site->nfiles = 1;
}
