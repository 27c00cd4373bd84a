#!/usr/bin/env bash
# The relay's web face against the real nginx: Debian's nginx (its
# nginx.conf and default site, with server_tokens off) and
# regress/interop/webserve (common/web.c) serve the same files, each in
# its own namespace on 127.0.0.1:8080 (so redirects name the same host
# and port); every probe below goes to both as raw bytes
# (regress/interop/webprobe) and the answers must be the same byte for
# byte, Date's value aside, and so must the closing: whether the server
# closes within half a second of its answer or keeps the connection.
# The Server field needs no exception: with server_tokens off nginx says
# "nginx", and so do we.
#
# gzip is compared too (Debian's nginx.conf has "gzip on": text/html and
# nginx's 403 and 404 pages go compressed and chunked to an HTTP/1.1
# client that accepts gzip), on a page of 260 KB as well, which nginx
# sends in several chunks.
#
# Not compared (see common/web.h): heads between 8 KiB and nginx's
# 32 KiB (we refuse them as nginx refuses longer ones), and the
# multipart boundary after the first (webserve forks per connection, so
# its counter starts again; the relay's does not).
. "$(dirname "$0")/../lib.sh"
need_cmds nginx perl
SERVE=$MESHD_BUILD/regress/interop/webserve
PROBE=$MESHD_BUILD/regress/interop/webprobe
[ -x "$SERVE" ] && [ -x "$PROBE" ] || skip_all "webserve/webprobe not built"
need_root
tmpdir_new D
NG=mshwn$$ WE=mshww$$
{ netns_new $NG && netns_new $WE; } || fail_setup "the namespaces"

# the site: a page, a style sheet, a text, an empty directory, a
# directory without index, files of several types, all dated 2026-01-02
mkdir -p "$D/www/sub/deep" "$D/www/empty" "$D/www/noindex" "$D/body" &&
printf '<html>hello</html>\n' >"$D/www/index.html" &&
printf 'body { color: red; }\n' >"$D/www/sub/a.css" &&
printf '<p>deep</p>\n' >"$D/www/sub/deep/index.html" &&
printf 'x%.0s' $(seq 1 100) >"$D/www/noindex/b.txt" &&
printf '\x89PNG\r\n\x1a\n' >"$D/www/logo.PNG" &&
printf 'var a = 1;\n' >"$D/www/app.js" &&
printf '{"a":1}\n' >"$D/www/data.json" &&
printf 'plain\n' >"$D/www/README" &&
printf 'hidden\n' >"$D/www/.profile" &&
printf 'svg\n' >"$D/www/sub/i.svg" &&
perl -e 'srand(6); my @w = map { join "", map { chr(97 + int(rand(16))) }
    0 .. rand(8) } 1 .. 3000; print "<html>",
    join(" ", map { $w[rand @w] } 1 .. 40000), "</html>\n"' \
    >"$D/www/big.html" &&
find "$D/www" -exec touch -d '2026-01-02 03:04:05 UTC' {} + ||
    fail_setup "the site"
# the built-in site against what a new Debian install serves
DEB=/var/www/html/index.nginx-debian.html
[ -f $DEB ] || DEB=/usr/share/nginx/html/index.html
mkdir -p "$D/deb" && cp $DEB "$D/deb/index.nginx-debian.html" &&
touch -d '2026-03-04 05:06:07 UTC' "$D/deb/index.nginx-debian.html" ||
    fail_setup "Debian's page"

# Debian 12's /etc/nginx/nginx.conf and sites-available/default, with
# this test's paths, one worker, no daemon, and server_tokens off
cat >"$D/nginx.conf" <<EOF
user www-data;
worker_processes 1;
daemon off;
pid $D/nginx.pid;
error_log $D/error.log;
events {
	worker_connections 768;
}
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	server_tokens off;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	access_log $D/access.log;
	gzip on;
	client_body_temp_path $D/body;
	proxy_temp_path $D/body;
	fastcgi_temp_path $D/body;
	uwsgi_temp_path $D/body;
	scgi_temp_path $D/body;
	server {
		listen 127.0.0.1:8080 default_server;
		root $D/www;
		index index.html index.htm index.nginx-debian.html;
		server_name _;
		location / {
			try_files \$uri \$uri/ =404;
		}
	}
	server {
		listen 127.0.0.1:8081 default_server;
		root $D/deb;
		index index.html index.htm index.nginx-debian.html;
		server_name _;
		location / {
			try_files \$uri \$uri/ =404;
		}
	}
}
EOF
start_bg NGINX ip netns exec $NG nginx -p "$D/" -c "$D/nginx.conf" \
    -e "$D/error.log"
start_bg WEB ip netns exec $WE "$SERVE" -d "$D/www" 8080
start_bg WEBDEF ip netns exec $WE "$SERVE" \
    -m "$(date -d '2026-03-04 05:06:07 UTC' +%s)" 8081
up() { ip netns exec "$1" ss -Hltn src "127.0.0.1:$2" | grep -q .; }
wait_for 10 up $NG 8081
ok $? "nginx listens" || { diag "$(cat "$D/error.log")"; done_testing; exit 1; }
wait_for 10 up $WE 8080 && wait_for 10 up $WE 8081
ok $? "webserve listens, with the site and with the built-in one" ||
    { done_testing; exit 1; }

n=0
PORT=8080
# probe NAME < BYTES: the same bytes to both, the answers compared
probe() {
	local name=$1 a b
	n=$((n + 1))
	a=$D/a.$n b=$D/b.$n
	cat >"$D/req.$n"
	ip netns exec $NG "$PROBE" -w 500 $PORT <"$D/req.$n" >"$a.raw" &
	ip netns exec $WE "$PROBE" -w 500 $PORT <"$D/req.$n" >"$b.raw"
	wait $!
	perl -0777 -pe 's/^Date: [^\r\n]*/Date: -/mg' "$a.raw" >"$a"
	perl -0777 -pe 's/^Date: [^\r\n]*/Date: -/mg' "$b.raw" >"$b"
	if cmp -s "$a" "$b"; then
		ok 0 "$name: $(head -n 1 "$a" | tr -d '\r' | cut -c 1-40)"
	else
		ok 1 "$name"
		diag "nginx:" "$(cat -A "$a" | head -c 1500)"
		diag "ours:" "$(cat -A "$b" | head -c 1500)"
	fi
}
# probes from a list: NAME<tab>BYTES, BYTES with printf's \r \n \xHH
probes() {
	local name req
	while IFS=$'\t' read -r name req; do
		[ -z "$name" ] && continue
		probe "$name" < <(printf '%b' "$req")
	done
}

H='Host: relay.example\r\n'
probes <<EOF
GET /	GET / HTTP/1.1\r\n$H\r\n
HEAD /	HEAD / HTTP/1.1\r\n$H\r\n
GET a file	GET /index.html HTTP/1.1\r\n$H\r\n
HEAD a file	HEAD /index.html HTTP/1.1\r\n$H\r\n
GET a style sheet	GET /sub/a.css HTTP/1.1\r\n$H\r\n
GET text, no index in its directory	GET /noindex/b.txt HTTP/1.1\r\n$H\r\n
GET .PNG (types ignore case)	GET /logo.PNG HTTP/1.1\r\n$H\r\n
GET .js	GET /app.js HTTP/1.1\r\n$H\r\n
GET .json	GET /data.json HTTP/1.1\r\n$H\r\n
GET .svg	GET /sub/i.svg HTTP/1.1\r\n$H\r\n
GET no extension	GET /README HTTP/1.1\r\n$H\r\n
GET a dot file	GET /.profile HTTP/1.1\r\n$H\r\n
unknown path	GET /nope HTTP/1.1\r\n$H\r\n
HEAD unknown path	HEAD /nope.html HTTP/1.1\r\n$H\r\n
a file as a directory	GET /index.html/ HTTP/1.1\r\n$H\r\n
directory without slash	GET /sub HTTP/1.1\r\n$H\r\n
directory without slash, query	GET /sub?a=b HTTP/1.1\r\n$H\r\n
directory without slash, Host with port	GET /sub HTTP/1.1\r\nHost: Relay.Example.:99\r\n\r\n
directory without slash, HTTP/1.0 no Host	GET /sub HTTP/1.0\r\n\r\n
directory with its index	GET /sub/deep/ HTTP/1.1\r\n$H\r\n
directory without index	GET /noindex/ HTTP/1.1\r\n$H\r\n
empty directory	GET /empty/ HTTP/1.1\r\n$H\r\n
empty directory without slash	GET /empty HTTP/1.1\r\n$H\r\n
POST a file	POST /index.html HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello
POST /	POST / HTTP/1.1\r\n$H\r\n
POST unknown path	POST /nope HTTP/1.1\r\n$H\r\n
POST a directory without slash	POST /sub HTTP/1.1\r\n$H\r\n
POST a directory without index	POST /noindex/ HTTP/1.1\r\n$H\r\n
PUT a file	PUT /index.html HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc
PUT unknown path	PUT /new HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc
DELETE a file	DELETE /index.html HTTP/1.1\r\n$H\r\n
DELETE unknown path	DELETE /nope HTTP/1.1\r\n$H\r\n
DELETE a directory	DELETE /sub HTTP/1.1\r\n$H\r\n
DELETE an empty directory	DELETE /empty/ HTTP/1.1\r\n$H\r\n
OPTIONS	OPTIONS / HTTP/1.1\r\n$H\r\n
OPTIONS *	OPTIONS * HTTP/1.1\r\n$H\r\n
PATCH unknown path	PATCH /nope HTTP/1.1\r\n$H\r\n
PROPFIND	PROPFIND / HTTP/1.1\r\n$H\r\n
a made-up method	FOO_BAR / HTTP/1.1\r\n$H\r\n
TRACE	TRACE / HTTP/1.1\r\n$H\r\n
CONNECT	CONNECT / HTTP/1.1\r\n$H\r\n
CONNECT host:port	CONNECT relay.example:443 HTTP/1.1\r\n$H\r\n
If-Modified-Since, same time	GET / HTTP/1.1\r\n${H}If-Modified-Since: Fri, 02 Jan 2026 03:04:05 GMT\r\n\r\n
If-Modified-Since, RFC 850	GET / HTTP/1.1\r\n${H}If-Modified-Since: Friday, 02-Jan-26 03:04:05 GMT\r\n\r\n
If-Modified-Since, asctime	GET / HTTP/1.1\r\n${H}If-Modified-Since: Fri Jan  2 03:04:05 2026\r\n\r\n
If-Modified-Since, later	GET / HTTP/1.1\r\n${H}If-Modified-Since: Fri, 02 Jan 2026 03:04:06 GMT\r\n\r\n
If-Modified-Since, junk	GET / HTTP/1.1\r\n${H}If-Modified-Since: yesterday\r\n\r\n
If-None-Match, the ETag	GET / HTTP/1.1\r\n${H}If-None-Match: "695735a5-13"\r\n\r\n
If-None-Match, weak, in a list	GET / HTTP/1.1\r\n${H}If-None-Match: "x", W/"695735a5-13"\r\n\r\n
If-None-Match, *	HEAD / HTTP/1.1\r\n${H}If-None-Match: *\r\n\r\n
If-None-Match, other	GET / HTTP/1.1\r\n${H}If-None-Match: "x"\r\n\r\n
If-None-Match and a stale If-Modified-Since	GET / HTTP/1.1\r\n${H}If-None-Match: "695735a5-13"\r\nIf-Modified-Since: Fri, 02 Jan 2026 03:04:04 GMT\r\n\r\n
If-Match, other	GET / HTTP/1.1\r\n${H}If-Match: "x"\r\n\r\n
If-Unmodified-Since, earlier	GET / HTTP/1.1\r\n${H}If-Unmodified-Since: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n
Range, first bytes	GET /index.html HTTP/1.1\r\n${H}Range: bytes=0-3\r\n\r\n
Range, suffix	GET /index.html HTTP/1.1\r\n${H}Range: bytes=-3\r\n\r\n
Range, open end	GET /index.html HTTP/1.1\r\n${H}Range: bytes=5-\r\n\r\n
Range, past the end	GET /index.html HTTP/1.1\r\n${H}Range: bytes=100-\r\n\r\n
Range, reversed	GET /index.html HTTP/1.1\r\n${H}Range: bytes=5-2\r\n\r\n
Range, too long	GET /index.html HTTP/1.1\r\n${H}Range: bytes=0-100\r\n\r\n
Range, junk	GET /index.html HTTP/1.1\r\n${H}Range: bytes=x\r\n\r\n
Range, not bytes	GET /index.html HTTP/1.1\r\n${H}Range: lines=1-2\r\n\r\n
Range, two	GET /index.html HTTP/1.1\r\n${H}Range: bytes=0-1,4-5\r\n\r\n
Range, overlapping to more than the file	GET /index.html HTTP/1.1\r\n${H}Range: bytes=0-15,2-17\r\n\r\n
Range with a matching If-Range	GET /index.html HTTP/1.1\r\n${H}Range: bytes=1-2\r\nIf-Range: "695735a5-13"\r\n\r\n
Range with another If-Range	GET /index.html HTTP/1.1\r\n${H}Range: bytes=1-2\r\nIf-Range: "x"\r\n\r\n
Range on HEAD	HEAD /index.html HTTP/1.1\r\n${H}Range: bytes=1-2\r\n\r\n
HTTP/1.0	GET / HTTP/1.0\r\n\r\n
HTTP/1.0 keep-alive	GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n
HTTP/1.1 close	GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n
HTTP/1.1 close among tokens	GET / HTTP/1.1\r\n${H}Connection: Upgrade, close\r\n\r\n
HTTP/1.0 unknown path	GET /nope HTTP/1.0\r\n\r\n
HTTP/0.9	GET /\r\n
HTTP/0.9 unknown path	GET /nope\r\n
HTTP/0.9 HEAD	HEAD /\r\n
HTTP/1.2	GET / HTTP/1.2\r\n$H\r\n
HTTP/2.0	GET / HTTP/2.0\r\n$H\r\n
HTTP/1.1000	GET / HTTP/1.1000\r\n$H\r\n
no Host in HTTP/1.1	GET / HTTP/1.1\r\n\r\n
two Hosts	GET / HTTP/1.1\r\n${H}Host: b\r\n\r\n
a Host with a slash	GET / HTTP/1.1\r\nHost: a/b\r\n\r\n
a Host with two dots	GET / HTTP/1.1\r\nHost: a..b\r\n\r\n
an empty Host	GET / HTTP/1.1\r\nHost: \r\n\r\n
an absolute target	GET http://Other.Example:81/sub HTTP/1.1\r\n$H\r\n
an absolute target, no Host	GET http://other.example/ HTTP/1.1\r\n\r\n
an ftp target	GET ftp://a/ HTTP/1.1\r\n$H\r\n
a lower-case method	get / HTTP/1.1\r\n$H\r\n
a tab in the request line	GET\t/ HTTP/1.1\r\n$H\r\n
a space in the target	GET /a b HTTP/1.1\r\n$H\r\n
a control byte in the target	GET /\x01 HTTP/1.1\r\n$H\r\n
a high byte in the target	GET /\xff HTTP/1.1\r\n$H\r\n
a target without slash	GET index.html HTTP/1.1\r\n$H\r\n
percent-encoded	GET /%69ndex.html HTTP/1.1\r\n$H\r\n
an encoded NUL	GET /%00 HTTP/1.1\r\n$H\r\n
a bad escape	GET /%zz HTTP/1.1\r\n$H\r\n
dot segments	GET /./sub/../index.html HTTP/1.1\r\n$H\r\n
encoded dot segments	GET /sub/%2e%2e/sub HTTP/1.1\r\n$H\r\n
dot segments above the root	GET /../index.html HTTP/1.1\r\n$H\r\n
a trailing dot segment	GET /sub/. HTTP/1.1\r\n$H\r\n
double slashes	GET //sub//a.css HTTP/1.1\r\n$H\r\n
an encoded slash	GET /sub%2fa.css HTTP/1.1\r\n$H\r\n
an encoded question mark	GET /index.html%3f HTTP/1.1\r\n$H\r\n
a fragment	GET /index.html#top HTTP/1.1\r\n$H\r\n
LF line ends	GET / HTTP/1.1\nHost: a\n\n
empty lines first	\r\n\r\nGET / HTTP/1.1\r\n$H\r\n
a lone CR	GET / HTTP/1.1\rHost: a\r\n\r\n
a folded line	GET / HTTP/1.1\r\n$H X: y\r\n\r\n
a blank before the colon	GET / HTTP/1.1\r\nHost : a\r\n\r\n
a name with an underscore	GET / HTTP/1.1\r\n${H}X_Y: 1\r\n\r\n
a line without colon	GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n
a NUL in a value	GET / HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n
Content-Length not a number	GET / HTTP/1.1\r\n${H}Content-Length: 1x\r\n\r\n
two Content-Lengths	GET / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\na
a GET with a body	GET / HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nabcd
a body, then the next request	GET / HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nabGET /nope HTTP/1.1\r\n$H\r\n
a chunked body	GET / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n
chunked with Content-Length	GET / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n
gzip transfer coding	GET / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n
chunked in HTTP/1.0	GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n
Expect: 100-continue, body to come	GET / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 3\r\n\r\n
Expect: 100-continue, no body	GET / HTTP/1.1\r\n${H}Expect: 100-continue\r\n\r\n
Expect: 100-continue, unknown path	GET /nope HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 3\r\n\r\n
pipelined	GET / HTTP/1.1\r\n$H\r\nHEAD /nope HTTP/1.1\r\n$H\r\nGET /sub HTTP/1.0\r\n\r\n
a head cut short	GET / HTTP/1.1\r\nHost: a\r\n
Chrome, unknown path	GET /nope HTTP/1.1\r\n${H}User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\r\n
Firefox, unknown path	GET /nope HTTP/1.1\r\n${H}User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n\r\n
MSIE, unknown path	GET /nope HTTP/1.1\r\n${H}User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)\r\n\r\n
Chrome, a file	GET / HTTP/1.1\r\n${H}User-Agent: Chrome/120\r\n\r\n
Chrome, HEAD unknown path	HEAD /nope HTTP/1.1\r\n${H}User-Agent: Chrome/120\r\n\r\n
Chrome after a bad field	GET / HTTP/1.1\r\nUser-Agent: Chrome/1\r\nHost: a\r\nHost: b\r\n\r\n
gzip, a page	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: gzip, deflate, br\r\n\r\n
gzip, /	GET / HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, a page of 260 KB	GET /big.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, HEAD	HEAD /big.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, HTTP/1.0	GET /index.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n
gzip, a style sheet	GET /sub/a.css HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, unknown path	GET /nope HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, HEAD unknown path	HEAD /nope HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, unknown path, Chrome	GET /nope HTTP/1.1\r\n${H}Accept-Encoding: gzip, deflate\r\nUser-Agent: Chrome/120\r\n\r\n
gzip, directory without index	GET /noindex/ HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, a redirect	GET /sub HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip, a 405	POST /index.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\n\r\n
gzip with a Range	GET /big.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n\r\n
gzip, 304 on the weak ETag	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\nIf-None-Match: W/"695735a5-13"\r\n\r\n
gzip with q	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: br, GZIP;q=0.5\r\n\r\n
gzip with q=0	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: gzip;q=0\r\n\r\n
gzip inside a word	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: xgzip\r\n\r\n
gzip through a proxy	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\nVia: 1.1 cache\r\n\r\n
gzip to MSIE 6	GET /index.html HTTP/1.1\r\n${H}Accept-Encoding: gzip\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)\r\n\r\n
WebSocket upgrade on /	GET / HTTP/1.1\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n
WebSocket upgrade, unknown path	GET /relay/9f2c HTTP/1.1\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n
WebSocket frame as a request	\x82\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58
a TLS ClientHello	\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\x01\x02\x03
binary	\x00\x01\x02\x03\xfe\xff\r\n\r\n
EOF

long=$(printf 'a%.0s' $(seq 1 9000))
probe "a request line over 8 KiB" < <(printf \
    'GET /%s HTTP/1.1\r\nHost: a\r\n\r\n' "$long")
probe "a header line over 8 KiB" < <(printf \
    'GET / HTTP/1.1\r\nHost: a\r\nX: %s\r\n\r\n' "$long")
probe "a head over 32 KiB" < <(printf 'GET / HTTP/1.1\r\nHost: a\r\n'
    for i in 1 2 3 4 5; do printf 'X: %s\r\n' "${long:0:7000}"; done
    printf '\r\n')
probe "a line of 9000 bytes, unfinished" < <(printf 'GET /%s' "$long")
probe "a redirect repeating a query of 8000 bytes" < <(printf \
    'GET /sub?%s HTTP/1.1\r\nHost: a\r\n\r\n' "${long:0:8000}")
probe "9000 random bytes" < <(perl -e \
    'srand(14); print map { chr(int(rand(256))) } 1 .. 9000')

# the built-in site (no directory named): Debian's welcome page
PORT=8081
probes <<EOF
built-in: GET /	GET / HTTP/1.1\r\n$H\r\n
built-in: the page by name	GET /index.nginx-debian.html HTTP/1.1\r\n$H\r\n
built-in: no index.html	GET /index.html HTTP/1.1\r\n$H\r\n
built-in: gzip	GET / HTTP/1.1\r\n${H}Accept-Encoding: gzip, deflate\r\n\r\n
built-in: HEAD, HTTP/1.0	HEAD / HTTP/1.0\r\n\r\n
built-in: conditional	GET / HTTP/1.1\r\n${H}If-Modified-Since: Wed, 04 Mar 2026 05:06:07 GMT\r\n\r\n
EOF

done_testing
