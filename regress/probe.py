#!/usr/bin/env python3
#
# Copyright (c) 2026 The meshd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# probe.py ADDR PORT MODE... [--wait S] [--max N]: an active prober.  It
# sends probes to ADDR PORT from one fresh UDP socket (an ephemeral port
# the target has never seen) and counts what comes back on that socket.
# Run it where the prober sits, e.g. with ip netns exec NS.  Modes (one or
# more, in this order):
#   --random          random bytes, one datagram of every length 1..1500
#   --replay PCAP     captured datagrams, sent again as they were: the
#                     first datagram of each flow (what a censor replays
#                     after it saw a flow start) and every datagram of a
#                     plain WireGuard handshake length (148, 92, 64); with
#                     --all, every captured datagram
#   --mutate PCAP     the datagrams --replay picks, damaged: cut to 1, 4,
#                     16, 31, 32, half and all but one of their bytes, and
#                     with one bit flipped at bytes 0, 1, 4, 8, 16, 32, the
#                     middle and the last
#   --from-port N     (with --replay, --mutate) only the captured datagrams
#                     to or from port N
#   --all             (with --replay, --mutate) every captured datagram
#   --max N           at most N datagrams from the capture (the first N
#                     picked; default 2000), before --mutate's copies
#   --wait S          how long to listen after the last probe (default 2
#                     seconds: a handshake response, a cookie reply or an
#                     error comes back within milliseconds on a link in
#                     the same machine, so 2 s leaves a wide margin)
# Probes go out 0.5 ms apart (a burst would meet the socket buffers, not
# the target).  Replies are read all the time, not only after the last.
# Prints:
#   sent: N           datagrams sent
#   replies: M        datagrams received on the socket
#   icmp_errors: K    ICMP errors (port unreachable...) reported for it:
#                     a closed port answers with those, an open silent one
#                     with nothing
#   reply: FROM LEN HEX  the first 5 replies: source, length, first 16
#                     bytes
# Exit status 0 (the counts are the result), 2 on a usage error.

import os
import random
import select
import socket
import struct
import sys
import time

# (no __pycache__ in the source tree)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import censor  # noqa: E402  (its pcap reader)

HANDSHAKE_LENGTHS = (148, 92, 64)
GAP = 0.0005
IP_RECVERR, IPV6_RECVERR = 11, 25


def usage():
	print("usage: probe.py ADDR PORT [--random] [--replay PCAP] "
	    "[--mutate PCAP] [--from-port N] [--all] [--max N] [--wait S]",
	    file=sys.stderr)
	sys.exit(2)


def picked(path, port, every, most):
	"""The captured datagrams to replay."""
	out, seen = [], set()
	for key, sport, dport, pl in censor.datagrams(path, port):
		if not pl:
			continue
		first = key not in seen
		seen.add(key)
		if every or first or len(pl) in HANDSHAKE_LENGTHS:
			out.append(pl)
		if len(out) >= most:
			break
	return out


def mutations(pl):
	n = len(pl)
	for cut in sorted(set((1, 4, 16, 31, 32, n // 2, n - 1))):
		if 0 < cut < n:
			yield pl[:cut]
	for at in sorted(set((0, 1, 4, 8, 16, 32, n // 2, n - 1))):
		if 0 <= at < n:
			b = bytearray(pl)
			b[at] ^= 1 << random.randrange(8)
			yield bytes(b)


class Prober:
	def __init__(self, addr, port):
		info = socket.getaddrinfo(addr, port, 0, socket.SOCK_DGRAM)
		fam, _, _, _, self.dst = info[0]
		self.s = socket.socket(fam, socket.SOCK_DGRAM)
		if fam == socket.AF_INET:
			self.s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
		else:
			self.s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
		self.s.setblocking(False)
		self.sent = 0
		self.replies = []
		self.icmp = 0

	def drain(self, timeout):
		end = time.monotonic() + timeout
		while True:
			left = end - time.monotonic()
			if left <= 0:
				return
			r, _, _ = select.select([self.s], [], [], left)
			if not r:
				return
			self.read()

	def read(self):
		while True:
			try:
				data, frm = self.s.recvfrom(65536)
			except BlockingIOError:
				break
			except OSError:
				# an ICMP error: its report is in the error
				# queue, which must be emptied too
				self.errqueue()
				continue
			self.replies.append((frm, data))
		self.errqueue()

	def errqueue(self):
		while True:
			try:
				self.s.recvmsg(65536, 512, socket.MSG_ERRQUEUE)
			except OSError:
				return
			self.icmp += 1

	def send(self, data):
		try:
			self.s.sendto(data, self.dst)
		except OSError:
			self.errqueue()	# a pending ICMP error fails a send
			self.s.sendto(data, self.dst)
		self.sent += 1
		self.drain(GAP)


def main(argv):
	if len(argv) < 3:
		usage()
	addr, port = argv[0], argv[1]
	modes, fport, every, most, wait = [], None, False, 2000, 2.0
	i = 2
	try:
		while i < len(argv):
			a = argv[i]
			if a == "--random":
				modes.append(("random", None))
			elif a in ("--replay", "--mutate"):
				modes.append((a[2:], argv[i + 1]))
				i += 1
			elif a == "--from-port":
				fport = int(argv[i + 1], 10)
				i += 1
			elif a == "--all":
				every = True
			elif a == "--max":
				most = int(argv[i + 1], 10)
				i += 1
			elif a == "--wait":
				wait = float(argv[i + 1])
				i += 1
			else:
				usage()
			i += 1
		port = int(port, 10)
	except (IndexError, ValueError):
		usage()
	if not modes:
		usage()
	p = Prober(addr, port)
	for mode, path in modes:
		if mode == "random":
			for n in range(1, 1501):
				p.send(os.urandom(n))
			continue
		for pl in picked(path, fport, every, most):
			if mode == "replay":
				p.send(pl)
			else:
				for m in mutations(pl):
					p.send(m)
	p.drain(wait)
	print("sent: %d" % p.sent)
	print("replies: %d" % len(p.replies))
	print("icmp_errors: %d" % p.icmp)
	for frm, data in p.replies[:5]:
		print("reply: %s:%d %d %s" % (frm[0], frm[1], len(data),
		    data[:16].hex()))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
