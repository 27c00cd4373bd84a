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
# censor.py [--count] PCAP [--port N]: what a censor sees of the UDP
# datagrams in a capture (tcpdump -w: pcap, Ethernet, Linux cooked SLL or
# SLL2, raw IP; IPv4 and IPv6).  With --port, only datagrams from or to
# port N count.  Standard library only; ndpiReader and tshark are run if
# installed (a result line says "-" when its tool is missing).
#
# One "name: value" line per result:
#   packets:          UDP datagrams seen
#   flows:            distinct flows, a flow being the unordered pair of
#                     endpoints (address, port), as a stateful censor
#                     tracks it
#   ndpi:             the protocol names ndpiReader gives the UDP flows,
#                     sorted, comma separated ("Unknown" for none)
#   ndpi_confidence:  how it came to them, sorted, comma separated: DPI
#                     (a dissector matched), port (a guess from the port
#                     alone, "Match by port"), ip ("Match by IP": nDPI
#                     4.2 reports so both its address lists and a
#                     dissector's speculation from the content, such as
#                     WireGuard's after a data message with its type and
#                     zero reserved bytes), unknown
#   ndpi_wireguard:   flows nDPI calls WireGuard, however it came to it
#   ndpi_wireguard_port: of those, the ones named from the port alone
#                     (51820: the content played no part)
#   ndpi_known:       flows nDPI gives any known protocol (not Unknown)
#   tshark_wg:        frames tshark dissects as WireGuard messages when run
#                     as a censor runs it: default settings, so only its
#                     heuristic dissector, which is on by default.  In
#                     tshark 4.0 that takes a datagram of type 1 and 148
#                     bytes or type 2 and 92 whatever its reserved bytes,
#                     type 3 and 64 bytes or type 4 and 32 or more with
#                     them zero; and once it took one, the rest of that
#                     flow whenever type and length fit (found by hand
#                     with crafted captures)
#   tshark_wg_chance: how many datagrams that heuristic would take by
#                     chance if the payloads were uniformly random bytes
#                     of the same lengths, before it took any flow: those
#                     of 148 or 92 bytes over 256 (one decimal)
#   tshark_wg_zero:   of tshark_wg, those with the three reserved bytes
#                     zero as well (chance: one in 2^24 of tshark_wg)
#   tshark_wg_forced: frames that decode as a well-formed WireGuard message
#                     with the port forced to wg (-d udp.port==N,wg, N the
#                     --port or else the busiest UDP port): a valid type
#                     with its length (1: 148, 2: 92, 3: 64, 4: at least
#                     32 bytes) and the reserved bytes zero
#   chi2_worst:       "OFFSET CHI2 DF P": of the first 32 byte offsets of
#                     the UDP payloads (each over the datagrams long enough
#                     to have it), the one whose byte values are furthest
#                     from uniform, with its chi-square statistic, degrees
#                     of freedom (255) and p-value (Wilson-Hilferty normal
#                     approximation; far in the tail it prints as 0)
#   chi2_far:         "K/32 p<1e-06 OFFSETS": how many of the 32 offsets
#                     are far from uniform, p below 1e-6, and which (a
#                     comma-separated list, "-" for none).  The threshold:
#                     32 tests on truly uniform bytes then raise a false
#                     alarm once in 30,000 runs, while a byte that is fixed
#                     in even 2% of 10,000 datagrams (a message type of
#                     rare handshakes) is still caught.  An offset held by
#                     fewer than 1280 datagrams (5 expected per value) is
#                     not tested and counts as not far.
#   len_top_share:    "LENGTH SHARE": the most common UDP payload length
#                     and the share of datagrams having it (0.031: 3.1%)
#   first_exempt:     "K/F": of the F flows, K have a first datagram (in
#                     capture order) that meets one of the exemptions of
#                     Wu et al., "How the Great Firewall of China Detects
#                     and Blocks Fully Encrypted Traffic" (USENIX Security
#                     2023): ascii6, its first 6 bytes printable ASCII
#                     (0x20-0x7e); half, more than 50% of its bytes
#                     printable; run20, more than 20 contiguous printable
#                     bytes; popcount, an average of set bits per byte at
#                     most 3.4 or at least 4.6.  (Their fifth, a known
#                     protocol, is what ndpi and tshark look for.)
#   first_exempt_why: "ascii6=N half=N run20=N popcount=N": flows whose
#                     first datagram meets each exemption (one may meet
#                     several)
#   first_popcount:   "MIN MAX": the lowest and highest average popcount
#                     per byte of the flows' first datagrams.  (A plain
#                     WireGuard initiation, 145 random bytes and 19 zero
#                     ones in 148, averages 3.49, sd 0.11: about one in
#                     five is under 3.4.  A response averages 3.18.)
# --count prints the packets: line only (no tools run: quick).
# --selftest checks the statistics above on made-up datagrams (no capture)
# and prints "selftest: ok", or what failed and exits 1.
# Exit status 0, or 2 when the capture cannot be read.

import collections
import math
import random
import re
import shutil
import struct
import subprocess
import sys

# link-layer header types (pcap-linktype(7))
DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_LOOP = 0, 1, 101, 108
DLT_RAW_OLD, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_IPV4, DLT_IPV6 = (
    12, 113, 276, 228, 229)

OFFSETS = 32
FAR_P = 1e-6
MIN_TESTED = 5 * 256


def die(msg):
	print("censor.py: %s" % msg, file=sys.stderr)
	sys.exit(2)


def read_pcap(path):
	"""Yield (linktype, frame bytes) of each record of a pcap file."""
	try:
		with open(path, "rb") as f:
			data = f.read()
	except OSError as e:
		die("%s: %s" % (path, e.strerror))
	if len(data) < 24:
		die("%s: too short for a pcap header" % path)
	magic = data[0:4]
	if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
		end = "<"
	elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
		end = ">"
	elif magic == b"\x0a\x0d\x0d\x0a":
		die("%s: pcapng; write classic pcap (tcpdump -w)" % path)
	else:
		die("%s: not a pcap file" % path)
	linktype = struct.unpack(end + "I", data[20:24])[0] & 0xffff
	rec = struct.Struct(end + "IIII")
	off = 24
	while off + 16 <= len(data):
		caplen = rec.unpack_from(data, off)[2]
		off += 16
		if off + caplen > len(data):
			break		# cut short: tcpdump killed mid-write
		yield linktype, data[off:off + caplen]
		off += caplen


def l3(linktype, fr):
	"""The network-layer packet and its ethertype, or (None, 0)."""
	if linktype == DLT_EN10MB:
		off, et = 14, fr[12:14]
		while et in (b"\x81\x00", b"\x88\xa8") and len(fr) >= off + 4:
			et = fr[off + 2:off + 4]	# VLAN tags
			off += 4
		return fr[off:], int.from_bytes(et, "big")
	if linktype == DLT_LINUX_SLL:		# protocol at 14, header 16
		return fr[16:], int.from_bytes(fr[14:16], "big")
	if linktype == DLT_LINUX_SLL2:		# protocol at 0, header 20
		return fr[20:], int.from_bytes(fr[0:2], "big")
	if linktype in (DLT_NULL, DLT_LOOP):
		return fr[4:], 0
	if linktype in (DLT_RAW, DLT_RAW_OLD, DLT_IPV4, DLT_IPV6):
		return fr, 0
	return None, 0


def udp_of(pkt, ethertype):
	"""(src, sport, dst, dport, payload) of a UDP datagram, else None.

	ethertype 0: the IP version nibble decides."""
	if not pkt:
		return None
	ver = pkt[0] >> 4
	if ethertype == 0x0800 or (ethertype == 0 and ver == 4):
		if len(pkt) < 20 or ver != 4 or pkt[9] != 17:
			return None
		if int.from_bytes(pkt[6:8], "big") & 0x1fff:
			return None	# a later fragment: no UDP header
		ihl = (pkt[0] & 0x0f) * 4
		src, dst, udp = pkt[12:16], pkt[16:20], pkt[ihl:]
	elif ethertype == 0x86dd or (ethertype == 0 and ver == 6):
		if len(pkt) < 40 or ver != 6:
			return None
		nh, off = pkt[6], 40
		# hop-by-hop, routing, destination options; fragment
		while nh in (0, 43, 60, 44) and len(pkt) >= off + 8:
			if nh == 44:
				if int.from_bytes(pkt[off + 2:off + 4],
				    "big") & 0xfff8:
					return None
				nh, off = pkt[off], off + 8
			else:
				nh, off = pkt[off], off + 8 + pkt[off + 1] * 8
		if nh != 17:
			return None
		src, dst, udp = pkt[8:24], pkt[24:40], pkt[off:]
	else:
		return None
	if len(udp) < 8:
		return None
	sport, dport, ulen = struct.unpack_from(">HHH", udp, 0)
	# the UDP length bounds the payload (an Ethernet frame may be padded)
	end = ulen if 8 <= ulen <= len(udp) else len(udp)
	return src, sport, dst, dport, udp[8:end]


def datagrams(path, port):
	"""The UDP datagrams of PCAP in order: (flow key, payload)."""
	out = []
	for linktype, fr in read_pcap(path):
		pkt, et = l3(linktype, fr)
		if pkt is None:
			die("%s: link type %d not handled" % (path, linktype))
		d = udp_of(pkt, et)
		if d is None:
			continue
		src, sport, dst, dport, pl = d
		if port is not None and port not in (sport, dport):
			continue
		a, b = (src, sport), (dst, dport)
		out.append(((a, b) if a <= b else (b, a), sport, dport, pl))
	return out


# ---- nDPI
# ndpiReader -i PCAP -v 2 prints, after its statistics, one line per flow:
#   <tab>N<tab>UDP 198.18.0.1:51820 <-> 198.18.0.2:51820 [proto: 206/
#   WireGuard][Encrypted][Confidence: DPI][cat: VPN/2]...
# ("->" for a flow seen one way only; the proto field is ID/NAME, or
# MASTER.APP IDs and names, e.g. "[proto: 5.126/DNS.Google]"; the flows
# it could not name come in a list of their own, "Undetected flows").  We
# take the lines that start with a flow number and UDP, the name after
# the slash and the Confidence field, once per pair of endpoints.  -f
# gives the same BPF filter the datagrams above pass (udp, the port).
# No -d: nDPI guesses a flow it could not name by DPI, as a deployed nDPI
# does, and the guess is reported apart (ndpi_confidence).  nDPI 4.2 needs
# it for WireGuard: its dissector never reaches a DPI verdict on plain
# WireGuard here (real meshd and wireguard-go captures, made-up ones
# either way round), and with -d it calls those flows Unknown; without,
# its dissector's speculation (type 4, reserved bytes zero) names them
# WireGuard, printed as "Match by IP", or the port 51820 does, "Match by
# port".  Random bytes, on the other hand, are now and then RTP by DPI.
NDPI_FLOW = re.compile(
    r"^\s*\d+\s+UDP\s+(\S+\s+<?->\s+\S+)\s+"
    r"\[proto:\s*[\d.]+/([^\]]+)\]"
    r"(?:.*?\[Confidence:\s*([^\]]+)\])?")


def ndpi(path, port):
	if shutil.which("ndpiReader") is None:
		return None
	bpf = "udp" if port is None else "udp port %d" % port
	try:
		r = subprocess.run(["ndpiReader", "-i", path, "-f", bpf,
		    "-v", "2"], stdout=subprocess.PIPE,
		    stderr=subprocess.DEVNULL, timeout=120)
	except (OSError, subprocess.TimeoutExpired):
		return None
	flows = {}
	for line in r.stdout.decode("utf-8", "replace").splitlines():
		m = NDPI_FLOW.match(line)
		if m:
			flows.setdefault(m.group(1), (m.group(2).strip(),
			    (m.group(3) or "").strip()))
	return list(flows.values())


def ndpi_conf(conf):
	if conf.startswith("DPI"):
		return "DPI"
	if conf == "Match by port":
		return "port"
	if conf == "Match by IP":
		return "ip"
	return "unknown"


def ndpi_lines(path, port):
	flows = ndpi(path, port)
	if flows is None:
		return ["ndpi: -", "ndpi_confidence: -", "ndpi_wireguard: -",
		    "ndpi_wireguard_port: -", "ndpi_known: -"]
	names, confs = set(), set()
	wg = wg_port = known = 0
	for name, conf in flows:
		names.add(name)
		confs.add(ndpi_conf(conf))
		if name != "Unknown":
			known += 1
		if "WireGuard" in name.split("."):
			wg += 1
			if ndpi_conf(conf) == "port":
				wg_port += 1
	return ["ndpi: %s" % (",".join(sorted(names)) or "-"),
	    "ndpi_confidence: %s" % (",".join(sorted(confs)) or "-"),
	    "ndpi_wireguard: %d" % wg, "ndpi_wireguard_port: %d" % wg_port,
	    "ndpi_known: %d" % known]


# ---- tshark
# A message the dissector takes as WireGuard, checked against the message
# formats: the dissector itself does not look at the reserved bytes of
# every message (a capture of 2,000 random datagrams, half given a valid
# type byte, has 243 dissected as wg, 74 well-formed, as counted by
# hand, and the filter finds those 74).  udp.length
# counts the 8-byte UDP header.
WG_GOOD = ("wg && wg.reserved == 00:00:00 && ("
    "(wg.type == 1 && udp.length == 156) || "
    "(wg.type == 2 && udp.length == 100) || "
    "(wg.type == 3 && udp.length == 72) || "
    "(wg.type == 4 && udp.length >= 40))")


def tshark_count(path, dfilter, extra):
	if shutil.which("tshark") is None:
		return "-"
	try:
		r = subprocess.run(["tshark", "-n", "-r", path] + extra +
		    ["-Y", dfilter, "-T", "fields", "-e", "frame.number"],
		    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
		    timeout=300)
	except (OSError, subprocess.TimeoutExpired):
		return "-"
	if r.returncode != 0:
		return "-"
	return str(len(r.stdout.split()))


def tshark_lines(path, port, dgs):
	sel = "" if port is None else " && udp.port == %d" % port
	heur = tshark_count(path, "wg" + sel, [])
	zero = tshark_count(path, "wg && wg.reserved == 00:00:00" + sel, [])
	chance = 0.0
	for d in dgs:
		n = len(d[3])
		chance += ((n == 148) + (n == 92)) / 256.0
	fport = port
	if fport is None and dgs:
		c = collections.Counter()
		for d in dgs:
			c[d[1]] += 1
			c[d[2]] += 1
		fport = c.most_common(1)[0][0]
	if fport is None:
		forced = "0"
	else:
		forced = tshark_count(path, "(%s) && udp.port == %d" %
		    (WG_GOOD, fport), ["-d", "udp.port==%d,wg" % fport])
	return ["tshark_wg: %s" % heur, "tshark_wg_chance: %.1f" % chance,
	    "tshark_wg_zero: %s" % zero, "tshark_wg_forced: %s" % forced]


# ---- statistics
def chi2_p(x, df):
	"""Upper tail of chi-square with df degrees of freedom at x
	(Wilson-Hilferty: (x/df)^(1/3) is near normal)."""
	s = 2.0 / (9 * df)
	z = ((x / df) ** (1.0 / 3) - (1 - s)) / math.sqrt(s)
	return 0.5 * math.erfc(z / math.sqrt(2))


def chi2_lines(dgs):
	counts = [[0] * 256 for _ in range(OFFSETS)]
	for d in dgs:
		pl = d[3]
		for i, v in enumerate(pl[:OFFSETS]):
			counts[i][v] += 1
	worst, far = None, []
	for i, c in enumerate(counts):
		n = sum(c)
		if n < MIN_TESTED:
			continue
		e = n / 256.0
		x = sum((k - e) * (k - e) for k in c) / e
		p = chi2_p(x, 255)
		if worst is None or x > worst[1]:
			worst = (i, x, p)
		if p < FAR_P:
			far.append(i)
	if worst is None:
		w = "- - 255 -"
	else:
		w = "%d %.1f 255 %.3g" % worst
	return ["chi2_worst: %s" % w, "chi2_far: %d/%d p<%g %s" %
	    (len(far), OFFSETS, FAR_P,
	    ",".join(str(i) for i in far) or "-")]


def len_line(dgs):
	if not dgs:
		return "len_top_share: - 0"
	c = collections.Counter(len(d[3]) for d in dgs)
	ln, k = c.most_common(1)[0]
	return "len_top_share: %d %.3f" % (ln, k / len(dgs))


PRINTABLE = bytes(range(0x20, 0x7f))
POPCOUNT = [bin(i).count("1") for i in range(256)]


def exemptions(pl):
	"""The exemptions of Wu et al. that a first datagram meets."""
	why = []
	n = len(pl)
	if n >= 6 and all(b in PRINTABLE for b in pl[:6]):
		why.append("ascii6")
	pr = sum(1 for b in pl if 0x20 <= b <= 0x7e)
	if n and pr * 2 > n:
		why.append("half")
	run = best = 0
	for b in pl:
		run = run + 1 if 0x20 <= b <= 0x7e else 0
		best = max(best, run)
	if best > 20:
		why.append("run20")
	if n:
		pc = sum(POPCOUNT[b] for b in pl) / n
		if pc <= 3.4 or pc >= 4.6:
			why.append("popcount")
	return why


def popcount(pl):
	return sum(POPCOUNT[b] for b in pl) / len(pl) if pl else 0.0


def exempt_lines(dgs):
	first = {}
	for d in dgs:
		first.setdefault(d[0], d[3])
	kinds = collections.Counter()
	k = 0
	for pl in first.values():
		why = exemptions(pl)
		kinds.update(why)
		if why:
			k += 1
	pcs = [popcount(pl) for pl in first.values()] or [0.0]
	return ["first_exempt: %d/%d" % (k, len(first)),
	    "first_exempt_why: " + " ".join("%s=%d" % (w, kinds[w])
	    for w in ("ascii6", "half", "run20", "popcount")),
	    "first_popcount: %.3f %.3f" % (min(pcs), max(pcs))]


def selftest():
	"""The statistics on datagrams whose answers are known."""
	rnd = random.Random(18)
	def rbytes(n):
		return bytes(rnd.getrandbits(8) for _ in range(n))
	bad = []
	def check(what, got, want):
		if got != want:
			bad.append("%s: got %r, want %r" % (what, got, want))
	# bytes whose popcount averages 4 and that hold nothing printable
	mid = bytes([0x8f, 0xf0]) * 40
	check("random-like", exemptions(mid), [])
	check("ascii6", exemptions(b"GET /x" + mid), ["ascii6"])
	check("half", exemptions(b"abc\x8f\xf0"), ["half"])
	check("run20", exemptions(mid[:2] + b"A" * 21 + mid), ["run20"])
	check("run20 not", exemptions(mid[:4] + b"A" * 20 + mid), [])
	check("popcount low", exemptions(b"\x80\x01\x00" * 30),
	    ["popcount"])
	check("popcount high", exemptions(b"\xff\xfe\x8f" * 30),
	    ["popcount"])
	check("all", exemptions(b"GET /index.html HTTP/1.1\r\n\r\n"),
	    ["ascii6", "half", "run20", "popcount"])
	# uniform bytes: nothing far; one fixed byte in 2% of them: far
	dgs = [(None, 0, 0, rbytes(40)) for _ in range(10000)]
	check("chi2 uniform", chi2_lines(dgs)[1].split()[1], "0/32")
	dgs = [(None, 0, 0, b"\x01" + d[3][1:]) if i % 50 == 0 else d
	    for i, d in enumerate(dgs)]
	check("chi2 2% fixed", chi2_lines(dgs)[1].split()[3], "0")
	check("p(df)", abs(chi2_p(255.0, 255) - 0.49) < 0.01, True)
	check("p(tail)", chi2_p(400.0, 255) < 1e-6, True)
	check("len", len_line([(None, 0, 0, b"ab")] * 3 +
	    [(None, 0, 0, b"a")]), "len_top_share: 2 0.750")
	for b in bad:
		print("selftest: %s" % b)
	print("selftest: %s" % ("ok" if not bad else "FAILED"))
	return 1 if bad else 0


def main(argv):
	port, args, count = None, [], False
	i = 0
	while i < len(argv):
		a = argv[i]
		if a == "--port" and i + 1 < len(argv):
			try:
				port = int(argv[i + 1], 10)
			except ValueError:
				port = -1
			if not 0 < port < 65536:
				die("--port %s: not a port" % argv[i + 1])
			i += 2
			continue
		if a == "--selftest":
			return selftest()
		if a == "--count":
			count = True
			i += 1
			continue
		if a.startswith("-"):
			die("usage: censor.py [--count] PCAP [--port N]")
		args.append(a)
		i += 1
	if len(args) != 1:
		die("usage: censor.py [--count] PCAP [--port N]")
	path = args[0]
	dgs = datagrams(path, port)
	if count:
		print("packets: %d" % len(dgs))
		return 0
	out = ["packets: %d" % len(dgs),
	    "flows: %d" % len(set(d[0] for d in dgs))]
	out += ndpi_lines(path, port)
	out += tshark_lines(path, port, dgs)
	out += chi2_lines(dgs)
	out.append(len_line(dgs))
	out += exempt_lines(dgs)
	print("\n".join(out))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
