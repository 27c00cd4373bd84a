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
# Writes the seed corpora fuzz/corpus/NAME/ from scratch, in the input
# format each target's comment describes.  Run from the top directory
# after changing a format; make fuzz does not need it (the seeds are kept
# in the tree).  Files named crash-* or known-* (inputs that once failed)
# are kept.

import os
import shutil
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, "fuzz", "corpus")


def u8(v):
    return struct.pack("<B", v & 0xff)


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def fill(b):
    """a struct as fz_fill() reads it: a count, then the bytes"""
    return u16(len(b)) + b


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def reset(target):
    d = os.path.join(OUT, target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if not n.startswith(("crash-", "known-")):
                os.unlink(os.path.join(d, n))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload, ihl=5, frag=0, ttl=64, total=None):
    opts = b"\x01" * (4 * ihl - 20)
    tl = total if total is not None else 4 * ihl + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, 1, frag, ttl, proto,
                    0, bytes(src), bytes(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, plen=None):
    pl = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", 0x60000000, pl, nh, 64, bytes(src),
                       bytes(dst)) + payload


def v6(*words):
    b = bytearray(16)
    b[0] = words[0] >> 8
    b[1] = words[0] & 0xff
    b[15] = words[-1] & 0xff
    return bytes(b)


def ippkt():
    reset("ippkt")
    our4 = bytes([100, 64, 0, 1]) + bytes(12)
    our6 = v6(0xfd00, 1)
    a, b = [100, 64, 0, 2], [100, 64, 0, 9]
    udp = struct.pack("!HHHH", 1234, 53, 12, 0) + b"ping"
    pkts = {
        "v4-udp": (our4, ip4(a, b, 17, udp)),
        "v4-echo": (our4, ip4(a, b, 1, b"\x08\x00\x00\x00\x00\x01\x00\x01")),
        "v4-icmp-error": (our4, ip4(a, b, 1, b"\x03\x01" + bytes(30))),
        "v4-options": (our4, ip4(a, b, 6, bytes(20), ihl=7)),
        "v4-fragment": (our4, ip4(a, b, 17, udp, frag=0x0010)),
        "v4-broadcast": (our4, ip4(a, [255] * 4, 17, udp)),
        "v4-from-loopback": (our4, ip4([127, 0, 0, 1], b, 17, udp)),
        "v4-padded": (our4, ip4(a, b, 17, udp) + bytes(12)),
        "v4-big": (our4, ip4(a, b, 17, bytes(1200))),
        "v4-bad-total": (our4, ip4(a, b, 17, udp, total=2000)),
        "v4-bad-ihl": (our4, ip4(a, b, 17, udp)[:0] + b"\x43" +
                       ip4(a, b, 17, udp)[1:]),
        "v6-udp": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 17, udp)),
        "v6-echo": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 58,
                              b"\x80\x00" + bytes(6))),
        "v6-error": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 58,
                               b"\x01\x03" + bytes(6))),
        "v6-exthdrs": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 0,
                                 b"\x3c\x00" + bytes(6) + b"\x2c\x00" +
                                 bytes(6) + b"\x11\x00\x00\x00" + bytes(4) +
                                 udp)),
        "v6-fragment": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 44,
                                  b"\x11\x00\x00\x08" + bytes(4) + udp)),
        "v6-ah": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 51,
                            b"\x11\x01" + bytes(10) + udp)),
        "v6-multicast": (our6, ip6(v6(0xfd00, 2), v6(0xff02, 1), 17, udp)),
        "v6-unspecified": (our6, ip6(bytes(16), v6(0xfd00, 9), 17, udp)),
        "v6-big": (our6, ip6(v6(0xfd00, 2), v6(0xfd00, 9), 17,
                             bytes(1400))),
        "short": (our4, b"\x45\x00"),
        "bad-version": (our4, b"\x55" + bytes(40)),
        "empty": (our4, b""),
    }
    for name, (our, pkt) in sorted(pkts.items()):
        write("ippkt", name, u8(0) + u16(1500) + our + pkt)
    write("ippkt", "v4-udp-inplace-small", u8(1) + u16(40) + our4 +
          ip4(a, b, 17, udp + bytes(40)))
    write("ippkt", "v4-udp-tiny-out", u8(0) + u16(20) + our4 +
          ip4(a, b, 17, udp))
    write("ippkt", "v6-udp-inplace", u8(1) + u16(1500) + our6 +
          ip6(v6(0xfd00, 2), v6(0xfd00, 9), 17, udp))


def net_wire():
    reset("net_wire")
    INIT, RESP, MADE, BUSY, SRC6, LOAD = 0x10, 0x20, 0x40, 0x01, 0x02, 0x80
    UNIX = 0x0c

    def msg(flags, step=0, body=b"", n=None):
        if flags & 0x30:
            return u8(flags) + u16(step) + u16(len(body) if n is None
                                                 else n) + body
        return u8(flags) + u16(step) + u16(len(body)) + body

    data = u32(4) + u32(7) + bytes(8) + bytes(16)
    cookie = u32(3) + u32(7) + bytes(56)
    seeds = {
        "init-made": msg(INIT | MADE),
        "init-made-busy-cookie": msg(INIT | MADE | BUSY) +
        msg(INIT | MADE | BUSY) + msg(INIT | MADE | BUSY | SRC6),
        "resp-made-busy": msg(RESP | MADE | BUSY) + msg(RESP | MADE | BUSY),
        "init-random": msg(INIT, body=u32(1) + bytes(range(40))),
        "init-busy-unix": msg(INIT | MADE | BUSY | UNIX) +
        msg(INIT | MADE | BUSY | UNIX),
        "cookie-aged": msg(INIT | MADE | BUSY) +
        msg(INIT | MADE | BUSY, step=2 * 116 + 1) +
        msg(INIT | MADE | BUSY, step=2 * 121 + 1),
        "load": msg(INIT | MADE | LOAD, body=b"") + u8(8) +
        msg(INIT | MADE | LOAD, step=2 * 2 + 1) + u8(0),
        "data": msg(0, body=data),
        "cookie-msg": msg(0, body=cookie),
        "keepalive-short": msg(0, body=data[:31]),
        "bad-type": msg(0, body=u32(0x101) + bytes(144)),
    }
    for name, s in sorted(seeds.items()):
        write("net_wire", name, u8(0) + s)
    write("net_wire", "rng-fails", u8(1) + msg(INIT | MADE | BUSY))


def noise():
    reset("noise")
    RAW, RINIT, LINIT, COOKIE, RDATA, LDATA, REPLAY, TIME, CONF = range(9)
    nomut = u8(0)

    def rdata(pt, mtu=0, mut=nomut):
        return u8(RDATA) + u8(len(pt)) + pt + u16(mtu) + mut

    def ldata(pt, peer=0, mtu=0, room=1):
        return u8(LDATA) + u8(peer) + u8(len(pt)) + pt + u16(mtu) + \
            u8(room)

    def time(sec=0, ms=0):
        return u8(TIME) + (u16(sec * 2 + 1) if sec else u16(ms * 2))

    rinit = u8(RINIT) + nomut
    linit = u8(LINIT) + u8(0) + nomut
    seeds = {
        "r-init": rinit,
        "r-init-data": rinit + rdata(b"hello, world"),
        "r-init-data-mtu": rinit + rdata(bytes(100), mtu=60),
        "l-init": linit,
        "l-init-data": linit + ldata(b"hello") + ldata(b"", room=0),
        "l-init-b-cookie": u8(LINIT) + u8(1) + u8(COOKIE) + u8(0) + nomut,
        "l-init-cookie": linit + u8(COOKIE) + u8(0) + nomut,
        "l-resp-cookie": rinit + u8(COOKIE) + u8(1) + nomut,
        "replay-init": rinit + u8(REPLAY) + u8(0),
        "replay-init-after-clear": rinit + u8(CONF) + u8(1) + u8(REPLAY) +
        u8(0),
        "replay-init-after-nokey": rinit + u8(CONF) + u8(2) + u8(REPLAY) +
        u8(0),
        "replay-resp": linit + u8(REPLAY) + u8(1),
        "replay-cookie": linit + u8(COOKIE) + u8(0) + nomut + u8(REPLAY) +
        u8(2),
        "replay-data": rinit + rdata(b"x") + u8(REPLAY) + u8(3),
        "rekey": rinit + rdata(b"a") + time(sec=121) + rdata(b"b") +
        time(sec=5) + ldata(b"c"),
        "reject": linit + time(sec=181) + ldata(b"late") + rdata(b"late"),
        "wipe": linit + time(sec=541) + time(sec=1),
        "queued": ldata(b"queued") + time(ms=10) + time(sec=6),
        "keepalive": rinit + u8(CONF) + u8(0) + u16(10) + time(sec=11) +
        time(sec=11),
        "clear": rinit + u8(CONF) + u8(1) + rdata(b"after clear"),
        "nokey": rinit + u8(CONF) + u8(2),
        "rng-fails": u8(CONF) + u8(3) + linit + rinit,
        "r-clear": linit + u8(CONF) + u8(5) + ldata(b"x"),
        "mutate-init": u8(RINIT) + u8(1) + u16(16) + u8(0xff),
        "mutate-init-mac2": u8(RINIT) + u8(1) + u16(140) + u8(0x01),
        "truncate-init": u8(RINIT) + u8(0x80) + u16(100),
        "extend-resp": u8(LINIT) + u8(0) + u8(0x80) + u16(100) + u8(0),
        "mutate-cookie-index": linit + u8(COOKIE) + u8(0) + u8(1) +
        u16(4) + u8(1),
        "mutate-data": rinit + rdata(b"abc", mut=u8(1) + u16(20) + u8(4)),
        "raw-data": u8(RAW) + u8(4) + u16(32) + u32(4) + bytes(28),
        "raw-init": u8(RAW) + u8(0) + u16(148) + u32(1) + bytes(144),
        "raw-resp": u8(RAW) + u8(1) + u16(92) + u32(2) + bytes(88),
        "raw-cookie": u8(RAW) + u8(2) + u16(64) + u32(3) + bytes(60),
        "crossing": linit + rinit + rdata(b"1") + ldata(b"2"),
        "flood": rinit + rinit + time(ms=30) + rinit,
    }
    for name, s in sorted(seeds.items()):
        write("noise", name, u8(0) + s)
    write("noise", "psk-both", u8(3) + rinit + rdata(b"psk"))
    write("noise", "psk-mismatch", u8(2) + rinit + linit)
    write("noise", "psk-one-side", u8(1) + linit)


def imsg():
    reset("imsg")

    def hdr(typ, payload, peerid=0, pid=0, fdmark=False, length=None):
        ln = length if length is not None else 16 + len(payload)
        if fdmark:
            ln |= 0x80000000
        return u32(typ) + u32(ln) + u32(peerid) + u32(pid) + payload

    def chunk(b, nfds=0, noread=False):
        return u8(nfds | (4 if noread else 0)) + u16(len(b)) + b

    m1 = hdr(24, u32(7), peerid=3, pid=1234)
    m2 = hdr(25, b"beta\0" + bytes(59))
    m3 = hdr(26, b"")
    big = hdr(8, bytes(3000))
    seeds = {
        "one": chunk(m1) + u8(0x81),
        "two": chunk(m1 + m2) + u8(0x01) + u8(0x03),
        "empty-payload": chunk(m3) + u8(0x80),
        "split": chunk(m2[:10], noread=True) + chunk(m2[10:]) + u8(0x84) +
        u8(0x21) + u8(0x0c) + u8(0x2e) + u8(0),
        "split-read": chunk(m2[:20]) + chunk(m2[20:]) + u8(0x04) +
        u8(0x44) + u8(0x02) + u8(0x07) + u8(0),
        "big": chunk(big[:2000]) + chunk(big[2000:]) + u8(0x85),
        "bad-short-len": chunk(hdr(1, b"", length=8)),
        "bad-long-len": chunk(hdr(1, b"", length=0x20000)),
        "fd-mark-no-fd": chunk(hdr(1, u32(1), fdmark=True)),
        "truncated": chunk(m1[:20]),
        "header-only-part": chunk(m1[:7]),
    }
    for name, s in sorted(seeds.items()):
        write("imsg", name, u8(0) + s)
    # descriptors accepted: one with its message, one too many
    write("imsg", "fd", u8(1) + chunk(hdr(2, u32(5), fdmark=True), nfds=1) +
          u8(0x01))
    write("imsg", "fd-unclaimed", u8(1) + chunk(m1, nfds=1) + u8(0))
    write("imsg", "fd-two", u8(1) + chunk(hdr(2, b"", fdmark=True), nfds=2))
    write("imsg", "fd-refused", u8(0) + chunk(m1, nfds=3))
    write("imsg", "small-max", u8(4) + chunk(big[:100]))

    def fillchunk(n, v, noread=False):
        return u8(8 | (4 if noread else 0)) + u16(n) + u8(v)

    # the largest message the daemon takes, past the 64 KB read buffer
    write("imsg", "largest", u8(0) + chunk(hdr(9, b"", length=65552)) +
          fillchunk(65535, 0x41, True) + fillchunk(1, 0x42) + u8(0x81))
    write("imsg", "largest-plus-one", u8(0) +
          chunk(hdr(9, b"", length=65553)))
    # a peer and its allowed-ips as the parent sends them: RECONF_PEER
    # (8) and two RECONF_PEER_AIPS (9) of MESH_AIPS_CHUNK prefixes each
    aips = hdr(9, b"", peerid=1, length=16 + 3000 * 20)
    write("imsg", "peer-aips", u8(0) + chunk(hdr(8, u32(1) + bytes(136))) +
          chunk(aips, noread=True) + fillchunk(60000, 0x04, True) +
          chunk(aips, noread=True) + fillchunk(60000, 0x06) + u8(0x81) +
          u8(0x82) + u8(0x83))
    write("imsg", "two-large", u8(0) + chunk(hdr(9, b"", length=40016)) +
          fillchunk(40000, 0x43, True) + chunk(hdr(10, b"", length=30016)) +
          fillchunk(30000, 0x44) + u8(0x80) + u8(0x84) + u8(0x4e))


def config():
    reset("config")
    for kind in ("good", "bad"):
        d = os.path.join(TOP, "regress", "config", kind)
        for n in sorted(os.listdir(d)):
            if not n.endswith(".conf"):
                continue
            with open(os.path.join(d, n), "rb") as f:
                text = f.read()
            write("config", kind + "-" + n, u8(0) + text)
            if b"keydir" in text:
                write("config", kind + "-keycheck-" + n, u8(1) + text)


def control():
    reset("control")
    REQ, RAW, DISPATCH, CHILD, READ = 0, 2, 3, 4, 5
    ROOT, RELOADFAIL, LONG = 0x01, 0x02, 0x10

    def kids(n):
        return n << 2

    def req(which, extra=b""):
        return u8(REQ) + u8(which) + extra

    status = req(0)
    peers = req(1)
    d, r = u8(DISPATCH), u8(READ)
    # a child's counters: for the first pending request, peer picked
    ep = struct.pack("<H", 2) + struct.pack("!H", 51820) + \
        bytes([198, 18, 0, 9]) + bytes(8)
    stats = u32(0) + ep + bytes(28 - len(ep)) + u32(16) + bytes(8) + \
        struct.pack("<QQ", 1000, 2000)

    def child(role, peer_picks=b"\x01"):
        return u8(CHILD) + u8(0x04 | role << 3) + u8(1) + fill(stats) + \
            peer_picks

    def end():
        return u8(CHILD) + u8(0x02) + u8(1)

    seeds = {
        "status": (ROOT, status + d + r),
        "status-children": (ROOT | kids(2), status + d +
                            u8(CHILD) + u8(0x08) + u8(1) + fill(stats[:4]) +
                            end() + u8(CHILD) + u8(0x10) + u8(1) +
                            fill(b"") + end() + r),
        "peers": (ROOT, peers + d + r),
        "peers-name": (0, req(0x81, b"\x00\x01") + d + r),
        "peers-unknown": (0, req(0x41, u8(6) + b"nosuch") + d + r),
        "peers-children": (kids(1), peers + d + child(1) + child(1,
                           b"\x00\x01") + child(1, b"\x00\x00\x00") +
                           end() + r),
        "reload": (ROOT, req(2) + d + r),
        "reload-fails": (ROOT | RELOADFAIL | LONG, req(2) + d + r),
        "reload-not-root": (0, req(2) + d + r),
        "log-verbose": (ROOT, req(3, u32(1)) + d + req(3, u32(0)) + d + r),
        "log-bad": (ROOT, req(3, u32(7)) + d + r),
        "unknown": (ROOT, req(5, u32(999) + u16(3) + b"abc" + u32(0)) +
                    d + r),
        "peers-malformed": (ROOT, req(4, u8(1) + u16(3) + b"abc" +
                            u32(0)) + d + r),
        "garbage": (ROOT, u8(RAW) + u16(16) + u32(1) + u32(4) + bytes(8) +
                    d + r),
        "busy": (kids(1), status + status + d + r + end() + r),
        "gone": (kids(2), peers + d + u8(RAW) + u16(0) + r),
        "pipelined": (ROOT, status + peers + req(2) + req(3, u32(2)) +
                      u8(DISPATCH | 0x40) + r),
    }
    for name, (opts, s) in sorted(seeds.items()):
        write("control", name, u8(opts) + s)


def meshctl():
    reset("meshctl")
    STATUS, PEERS, PEER, RELOAD, LOGV, LOGB = range(6)
    JSON, FIX, VAR = 0x08, 0x80, 0x40
    sep = u8(0)

    def name_cmd(action, name, json=False):
        # the harness maps each byte b to 0x21 + b % 94
        enc = bytes((ord(c) - 0x21) for c in name)
        enc += bytes(-len(enc) % 4)
        return u8(action | (JSON if json else 0) | (len(enc) // 4) << 4) + \
            enc

    def prefix(af, plen, addr):
        return u8(1 if af == 6 else 0) + u8(plen) + bytes(2) + addr + \
            bytes(16 - len(addr))

    st = b"mesh0".ljust(16, b"\0") + u16(1400) + u16(51820) + u8(1) + \
        bytes(range(32)) + bytes(3) + struct.pack("<q", 3723) + u32(3) + \
        u32(2) + prefix(4, 24, bytes([100, 64, 0, 1])) + \
        prefix(6, 64, bytes([0xfd] + [0] * 14 + [1]))

    def proc(role):
        # role, then pid, uid, gid, chrooted, sandboxed, has_counters
        return fill(role.ljust(16, b"\0") + u32(100) + u32(999) +
                    u32(999) + u8(1) + u8(1) + u8(1) + bytes(1) +
                    bytes(36) + bytes(8) + struct.pack("<QQQ", 1, 2, 3))

    def peer(name, naips=1, ep=b"198.18.0.2:51820", hs=None):
        p = u32(1) + name.ljust(64, b"\0") + bytes(range(32)) + \
            ep.ljust(80, b"\0") + u8(1) + bytes(1) + u16(25) + u32(naips)
        if hs is not None:
            # stats (8-aligned), its latest_handshake after 40 bytes
            p += bytes(4) + bytes(40) + struct.pack("<q", hs)
        s = u8(FIX | 2) + fill(p)
        # its allowed-ips: chunks of up to 8, each a size byte and them
        for c in range(0, naips, 8):
            n = min(8, naips - c)
            s += u8(n - 1) + fill(b"".join(
                prefix(4, 32, bytes([100, 64, i // 256, i % 256 + 2]))
                for i in range(c, c + n)))
        return s + sep

    def lone_aips(n, fix=True):
        return u8((FIX if fix else 0) | 5) + u8(n) + \
            fill(prefix(6, 128, bytes([0xfd] + [0] * 14 + [9])) * n) + sep

    def result(code, text, nul=True):
        return u8(FIX | 4 | (0 if nul else VAR)) + u8(code) + \
            u16(len(text)) + text + sep

    end = u8(3) + sep
    status = u8(FIX) + fill(st) + sep + u8(1) + proc(b"parent") + sep + \
        u8(1) + proc(b"net") + sep + u8(1) + proc(b"crypto") + sep + end
    seeds = {
        "status": u8(STATUS) + status,
        "status-json": u8(STATUS | JSON) + status,
        "status-refused": u8(STATUS) + result(16, b"busy"),
        "peers": u8(PEERS) + peer(b"beta") + peer(b"gamma", 0, b"") +
        peer("\u00e9t\u00e9".encode(), 3) + end,
        "peers-json": u8(PEERS | JSON) + peer(b"beta") +
        peer(b"g\"am\\ma\x01", 2) + end,
        "peers-none": u8(PEERS) + end,
        "peer-handshake-int64-min": name_cmd(PEER, "beta") +
        peer(b"beta", hs=-2**63) + end,
        "peer-chunks": name_cmd(PEER, "beta") + peer(b"beta", 20) + end,
        "peer-chunk-extra": name_cmd(PEER, "beta") + peer(b"beta", 2) +
        lone_aips(1) + end,
        "peer-chunk-short": u8(PEERS) + u8(2) +
        fill(u32(1) + b"beta".ljust(64, b"\0") + bytes(32 + 80 + 4) +
             u32(5)) + sep + lone_aips(2) + end,
        "peer": name_cmd(PEER, "beta") + peer(b"beta") + end,
        "peer-json": name_cmd(PEER, "beta", True) + peer(b"beta") + end,
        "peer-prefix": name_cmd(PEER, "be") + result(2, b"no such peer") +
        peer(b"beta") + peer(b"bert") + end,
        "peer-several": name_cmd(PEER, "beta") + peer(b"beta") +
        peer(b"beta2") + end,
        "reload": u8(RELOAD) + result(0, b"reloaded"),
        "reload-error": u8(RELOAD) + result(22, b"meshd.conf:3: syntax "
                                             b"error\nline two"),
        "reload-json": u8(RELOAD | JSON) + result(22, b""),
        "log": u8(LOGV) + result(0, b"logging verbose"),
        "log-brief-nonul": u8(LOGB) + result(0, b"brief", nul=False),
        "unexpected": u8(STATUS) + u8(5) + u16(4) + b"abcd" + u8(9) + sep,
        "broken-stream": u8(PEERS) + peer(b"beta") + u8(0xff) + u8(8) +
        bytes(8),
        "short-status": u8(STATUS) + u8(VAR) + fill(st) + sep + end,
    }
    for name, s in sorted(seeds.items()):
        write("meshctl", name, s)


def importwg():
    reset("importwg")
    # fixed keys (wg genkey / pubkey / genpsk output), not secrets
    priv = b"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
    pub1 = b"BN+PQ961lWIqVzTiWK8fmhqy5TdOuTee9OdC2cJKbB0="
    pub2 = b"pORo8h/WDXTbv01ULaMNzqc9bL3yTlO3tXbnA97KnHA="
    psk = b"DYz7fEOJSPDA3jcZSoIJOPpa5qTDZQMNJtCzp40XyWY="
    iface = b"[Interface]\nPrivateKey = " + priv + b"\n"
    seeds = {
        "wg-quick": iface + b"Address = 10.9.0.1/24, fd00:9::1/64\n"
        b"ListenPort = 51820\nMTU = 1420\nDNS = 1.1.1.1\n"
        b"PostUp = iptables -A FORWARD -i %i -j ACCEPT\nTable = off\n"
        b"SaveConfig = true\nFwMark = 0x1\n\n"
        b"[Peer]\n# hub\nPublicKey = " + pub1 + b"\nPresharedKey = " +
        psk + b"\nAllowedIPs = 10.9.0.2/32, 10.10.0.0/16\n"
        b"Endpoint = 198.18.0.2:51820\nPersistentKeepalive = 25\n\n"
        b"[Peer]\nPublicKey = " + pub2 + b"\n"
        b"AllowedIPs = fd00:9::3/128\nEndpoint = [fd00:198:18::3]:443\n",
        "wg-showconf": b"[Interface]\nListenPort = 51820\n"
        b"FwMark = 0x0\nPrivateKey = " + priv + b"\n\n[Peer]\n"
        b"PublicKey = " + pub1 + b"\nAllowedIPs = 0.0.0.0/0, ::/0\n"
        b"Endpoint = vpn.example.org:51820\n"
        b"PersistentKeepalive = off\n",
        "lowercase": b"[interface]\r\nprivatekey=" + priv +
        b"\r\nlistenport=0\r\n[peer]\r\npublickey=" + pub2 +
        b"\r\nallowedips=\r\n",
        "bad-twice": iface + b"[Interface]\n",
        "bad-prefix": iface + b"Address = 10.0.0.1/33\n",
        "bad-own-key": iface + b"[Peer]\nPublicKey = "
        b"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n",
    }
    for name, s in sorted(seeds.items()):
        write("importwg", name, s)


def coord():
    reset("coord")

    def be16(v):
        return struct.pack(">H", v)

    def hdr(typ, body):
        return b"\xc1" + u8(typ) + be16(len(body)) + body

    cert = bytes(range(200))
    cands = u8(2) + u8(4) + be16(51820) + bytes([198, 18, 0, 1]) + \
        u8(6) + be16(443) + bytes([0xfd] + [0] * 14 + [1])
    head = struct.pack(">QH", 1765000000000000000, len(cert)) + cert
    # announced routes: 0xff all of the certificate's, or a count and
    # family, length, address each
    # then a flags byte: 0x01 speaks the obfuscated format
    entry = head + cands + u8(0xff) + u8(1)
    routes = u8(2) + u8(4) + u8(24) + bytes([10, 1, 2, 0]) + \
        u8(6) + u8(48) + bytes([0xfd, 0, 0, 1, 0, 2] + [0] * 10) + u8(0)
    nocand = head + u8(0) + u8(0) + u8(0)
    # the shortest record: a CERT_MIN (132) byte certificate, no candidate
    short = struct.pack(">QH", 7, 132) + bytes(range(132)) + u8(0) + \
        u8(0) + u8(0)
    seeds = {
        "register": hdr(1, entry),
        "entry-padded": hdr(2, entry) + bytes(15),
        "entry-nocand": hdr(2, nocand),
        "register-routes": hdr(1, head + cands + routes),
        "entry-routes": hdr(2, head + cands + routes + nocand),
        "bad-register-route-bits": hdr(1, head + cands + u8(1) + u8(4) +
                                       u8(22) + bytes([10, 1, 2, 0]) +
                                       u8(0)),
        "bad-register-routes-nine": hdr(1, head + cands + u8(9)),
        # several records back to back, as a coordinator packs them
        "entry-two": hdr(2, entry + nocand),
        "entry-four": hdr(2, entry + nocand + entry + nocand),
        "entry-seven-short": hdr(2, short * 7),
        "bad-entry-none": hdr(2, b""),
        "bad-entry-cut": hdr(2, entry + nocand[:-1]),
        "bad-entry-trailing": hdr(2, entry + nocand + bytes(3)),
        "bad-entry-eight": hdr(2, short * 8),
        "bad-register-two": hdr(1, entry + nocand),
        "dir-end": hdr(3, struct.pack(">IQ", 3, 0x1234)),
        "crl-part": hdr(4, struct.pack(">QIIH", 1, 500, 100, 40) +
                        bytes(40)),
        "ping": hdr(5, struct.pack(">Q", 9)) + bytes(8),
        "pong": hdr(6, struct.pack(">QQ", 9, 0x1234)),
        "connect": hdr(7, bytes(range(32))),
        "call-me": hdr(8, bytes(range(32)) + struct.pack(">Q", 77) +
                       cands),
        "call-me-none": hdr(8, bytes(range(32)) + bytes(8) + u8(0)) +
        bytes(3),
        "bad-connect-short": hdr(7, bytes(31)),
        "bad-call-me-trailing": hdr(8, bytes(40) + u8(0) + bytes(2)),
        "bad-type": hdr(9, b""),
        "bad-mark": b"\x45" + hdr(5, bytes(8))[1:],
        "bad-padding": hdr(5, bytes(8)) + b"\x01",
        "oversize": b"\xc1\x02\x03\xfd" + bytes(1021),
    }
    for name, s in sorted(seeds.items()):
        write("coord", name, s)
def cert():
    """fuzz/cert.c: a mode byte (0 certificate, 1 list, 2 and 3 the same
    armored), then the bytes, laid out as common/cert.h says; the
    signatures are made up (the parsers do not check them)"""
    import base64
    reset("cert")

    def lstr(s):
        return u8(len(s)) + s

    def be64(v):
        return struct.pack(">q", v)

    def certificate(roles=1, addrs=None, groups=(b"web",), routes=None,
                    mesh=b"corp", name=b"web1"):
        addrs = addrs if addrs is not None else [
            b"\x04" + bytes([10, 42, 0, 5]),
            b"\x06" + bytes([0xfd, 0x42] + [0] * 13 + [5])]
        routes = routes if routes is not None else [
            b"\x04\x18" + bytes([192, 168, 1, 0])]
        body = (b"MSHC\x01" + u8(roles) + b"\0\0" + be64(1796537081) +
                be64(1828073381) + bytes(range(1, 33)) + lstr(mesh) +
                lstr(name) + u8(len(addrs)) + b"".join(addrs) +
                u8(len(groups)) + b"".join(lstr(g) for g in groups) +
                u8(len(routes)) + b"".join(routes))
        return body + bytes([0x5a]) * 64

    def crl(fps, serial=2, mesh=b"corp"):
        body = (b"MSHR\x01\0\0\0" + struct.pack(">Q", serial) +
                be64(1796537081) + lstr(mesh) + struct.pack(">I", len(fps)) +
                b"".join(sorted(fps)))
        return body + bytes([0xa5]) * 64

    def armor(label, b):
        t = base64.b64encode(b)
        lines = [t[i:i + 64] for i in range(0, len(t), 64)]
        return (b"-----BEGIN " + label + b"-----\n" + b"\n".join(lines) +
                b"\n-----END " + label + b"-----\n")

    exit_node = certificate(roles=3, groups=(b"exit", b"prod_eu-1"),
                            routes=[b"\x04\x00" + bytes(4),
                                    b"\x06\x00" + bytes(16)])
    biggest = certificate(
        mesh=b"m" * 63, name=b"n" * 63,
        addrs=[b"\x06" + bytes([0xfd] + [0] * 14 + [i]) for i in range(8)],
        groups=[bytes([97 + i]) + b"g" * 30 for i in range(8)],
        routes=[b"\x06\x40" + bytes([0x20, 1, 0xd, 0xb8, 0, 0, 0, i]) +
                bytes(8) for i in range(8)])
    fps = [bytes([i]) * 32 for i in (0x10, 0x20, 0x30)]
    seeds = {
        "cert": b"\x00" + certificate(),
        "cert-exit-node": b"\x00" + exit_node,
        "cert-biggest": b"\x00" + biggest,
        "cert-no-groups": b"\x00" + certificate(roles=0, groups=(),
                                                 routes=[]),
        "crl": b"\x01" + crl(fps),
        "crl-empty": b"\x01" + crl([], serial=1),
        "armor-cert": b"\x02" + armor(b"MESHD CERTIFICATE", certificate()),
        "armor-cert-crlf": b"\x02" + b"Subject: web1\r\n\r\n" +
        armor(b"MESHD CERTIFICATE", exit_node).replace(b"\n", b"\r\n"),
        "armor-crl": b"\x03" + armor(b"MESHD REVOCATION LIST", crl(fps)),
    }
    for name, s in sorted(seeds.items()):
        write("cert", name, s)


def be16(v):
    return struct.pack("!H", v & 0xffff)


def be32(v):
    return struct.pack("!I", v & 0xffffffff)


def stun_crc(b):
    import zlib
    return zlib.crc32(b) ^ 0x5354554e


def stun_msg(mtype, attrs, txid=bytes(range(1, 13)), fingerprint=True):
    """a STUN message: (type, value) attributes, padded, then FINGERPRINT"""
    body = b""
    for t, v in attrs:
        body += be16(t) + be16(len(v)) + v + b"\0" * (-len(v) % 4)
    hdr = lambda n: be16(mtype) + be16(n) + be32(0x2112a442) + txid
    if fingerprint:
        m = hdr(len(body) + 8) + body
        return m + be16(0x8028) + be16(4) + be32(stun_crc(m))
    return hdr(len(body)) + body


def stun_xor(addr, port, txid=bytes(range(1, 13))):
    key = be32(0x2112a442) + txid
    fam = 1 if len(addr) == 4 else 2
    return (b"\0" + bytes([fam]) + be16(port ^ 0x2112) +
            bytes(a ^ k for a, k in zip(addr, key)))


def stun():
    reset("stun")
    unhex = bytes.fromhex
    seeds = {
        # RFC 5769 sections 2.1 to 2.3
        "rfc5769-request": unhex(
            "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
            "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
            "00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36"
            "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
            "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49"
            "c1 b5 71 a2 80 28 00 04 e5 7a 3b cf"),
        "rfc5769-v4": unhex(
            "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
            "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
            "00 20 00 08 00 01 a1 47 e1 12 a6 43"
            "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53"
            "f0 6b e7 d7 80 28 00 04 c0 7d 4c 96"),
        "rfc5769-v6": unhex(
            "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
            "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
            "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5"
            "be d2 b9 d9"
            "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75"
            "bf e3 ed 41 80 28 00 04 c8 fb 0b 4c"),
        "request": stun_msg(0x0001, []),
        "request-plain": stun_msg(0x0001, [], fingerprint=False),
        "request-unknown": stun_msg(0x0001, [(0x0024, b"\x6e\0\1\xff"),
                                             (0x0003, b"\0\0\0\0")]),
        "success-v4": stun_msg(0x0101, [(0x0020, stun_xor(
            bytes([198, 51, 100, 7]), 4500))]),
        "success-v6": stun_msg(0x0101, [(0x0020, stun_xor(
            bytes(range(0x20, 0x30)), 51820))]),
        "success-mapped": stun_msg(0x0101, [(0x0001, b"\0\1" + be16(3478) +
                                             bytes([192, 0, 2, 1]))],
                                   fingerprint=False),
        "success-origin": stun_msg(0x0101, [
            (0x0020, stun_xor(bytes([198, 18, 0, 2]), 40000)),
            (0x802b, b"\0\1" + be16(3478) + bytes([198, 18, 0, 1])),
            (0x8022, b"coturn")]),
        "error-420": stun_msg(0x0111, [(0x0009, b"\0\0\4\x14"),
                                       (0x000a, b"\0\x24\0\3")]),
        "error-300": stun_msg(0x0111, [(0x0009, b"\0\0\3\0Try Alternate")]),
    }
    for name, d in sorted(seeds.items()):
        write("stun", name, d)


def natpmp():
    reset("natpmp")
    seeds = {
        "address": b"\0\x80" + be16(0) + be32(3600) + bytes([198, 18, 1, 1]),
        "map-udp": b"\0\x81" + be16(0) + be32(3601) + be16(51820) +
        be16(40000) + be32(7200),
        "map-delete": b"\0\x81" + be16(0) + be32(3602) + be16(51820) +
        be16(0) + be32(0),
        "refused": b"\0\x81" + be16(2) + be32(9),
        "unsupp-version": b"\0\x80" + be16(1) + be32(1),
        "unsupp-opcode": b"\0\x85" + be16(5) + be32(1) + b"\0\0",
    }
    for name, d in sorted(seeds.items()):
        write("natpmp", name, d)


def pcp():
    reset("pcp")
    nonce = bytes(range(1, 13))
    v4 = b"\0" * 10 + b"\xff\xff"

    def resp(op, result, life, epoch, body=b""):
        return (b"\2" + bytes([0x80 | op, 0, result]) + be32(life) +
                be32(epoch) + b"\0" * 12 + body)

    def mapbody(eport, addr):
        return (nonce + b"\x11\0\0\0" + be16(51820) + be16(eport) +
                v4 + bytes(addr))

    seeds = {
        "map": resp(1, 0, 7200, 3600, mapbody(40000, [198, 18, 1, 1])),
        "map-option": resp(1, 0, 7200, 3600, mapbody(40000, [198, 18, 1, 1])
                           + b"\x80\0\0\5" + b"\x77" * 8),
        "map-error": resp(1, 8, 30, 3600, mapbody(0, [0, 0, 0, 0])),
        "map-error-short": resp(1, 2, 30, 3600),
        "announce": resp(0, 0, 0, 2),
        "natpmp-only": b"\0\x81" + be16(1) + be32(5),
    }
    for name, d in sorted(seeds.items()):
        write("pcp", name, d)


def http():
    reset("http")
    seeds = {
        "upgrade": b"GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: "
        b"dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        "get-index": b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "head-10": b"HEAD /index.html HTTP/1.0\r\n\r\n",
        "http09": b"GET /sub/a.css\r\n",
        "absolute": b"GET http://A.b:80/sub?x HTTP/1.1\r\nHost: c\r\n\r\n",
        "range": b"GET /index.html HTTP/1.1\r\nHost: a\r\n"
        b"Range: bytes=0-1,-3\r\nIf-Range: \"695735a5-13\"\r\n\r\n",
        "conditional": b"GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: W/\"x\", *"
        b"\r\nIf-Modified-Since: Fri, 02 Jan 2026 03:04:05 GMT\r\n\r\n",
        "post-body": b"POST /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 3"
        b"\r\nExpect: 100-continue\r\n\r\nabc",
        "chunked": b"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
        b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "chrome": b"GET /nope HTTP/1.1\r\nHost: a\r\nUser-Agent: Mozilla/5.0 "
        b"(X11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120\r\n\r\n",
        "dots": b"GET /sub/%2e%2e//./index.html?a#b HTTP/1.1\nHost: a\n\n",
        "tls": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    }
    for name, d in sorted(seeds.items()):
        write("http", name, d)


def ws():
    reset("ws")
    mask = b"\x37\xfa\x21\x3d"

    def masked(b):
        return bytes(c ^ mask[i % 4] for i, c in enumerate(b))

    seeds = {
        "server-hello": b"\1\x81\x05Hello",
        "client-hello": b"\0\x81\x85" + mask + masked(b"Hello"),
        "client-binary-16": b"\0\x82\xfe\x05\x8c" + mask +
        masked(bytes(range(256)) * 5 + b"\0" * 140),
        "client-binary-64": b"\0\x82\xff" + be32(0) + be32(65600) + mask +
        masked(b"\xa5" * 65600),
        "client-close": b"\0\x88\x84" + mask + masked(b"\x03\xe8ok"),
        "server-ping": b"\1\x89\x03abc",
        "server-cont": b"\1\x00\x02ab",
        "key": b"\0dGhlIHNhbXBsZSBub25jZQ==",
    }
    for name, d in sorted(seeds.items()):
        write("ws", name, d)


def tcp_seg(v, seq, plen, flags=0x10, ident=0, sport=1000):
    """an IPv4 (v 4) or IPv6 TCP segment with good checksums"""
    a4, b4 = bytes([100, 64, 0, 2]), bytes([100, 64, 0, 1])
    a6, b6 = v6(0xfd00, 2), v6(0xfd00, 1)
    th = struct.pack("!HHIIBBHHH", sport, 5201, seq & 0xffffffff, 7, 0x50,
                     flags, 512, 0, 0)
    data = bytes((seq + i) & 0xff for i in range(plen))
    l4 = len(th) + plen
    if v == 4:
        ph = a4 + b4 + struct.pack("!BBH", 0, 6, l4)
    else:
        ph = a6 + b6 + struct.pack("!IBBBB", l4, 0, 0, 0, 6)
    c = csum(ph + th + data)
    th = th[:16] + struct.pack("!H", c) + th[18:]
    if v == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4, ident, 0x4000,
                        64, 6, 0, a4, b4)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return h + th + data
    return ip6(a6, b6, 6, th + data)


def vnet(flags, gso_type, hdr_len, gso_size, cstart, coff):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size,
                       cstart, coff)


def offload():
    reset("offload")
    # the segmenter: slot size, vnet header, packet
    for v, gt, o in ((4, 1, 20), (6, 4, 40)):
        big = tcp_seg(v, 1, 5000, flags=0x18 | 0x80)
        write("offload", "tso-v%d" % v, u8(0) + u16(1500) +
              vnet(1, gt, o + 20, 1400, o, 16) + big)
        write("offload", "tso-v%d-small-slot" % v, u8(0) + u16(600) +
              vnet(1, gt, o + 20, 1400, o, 16) + big)
    write("offload", "csum-only", u8(0) + u16(1500) +
          vnet(1, 0, 0, 0, 20, 16) + tcp_seg(4, 9, 300))
    write("offload", "plain", u8(0) + u16(1500) + vnet(0, 0, 0, 0, 0, 0) +
          tcp_seg(6, 9, 300))
    # the coalescer: packets with a length each
    def pkts(lst):
        return u8(1) + b"".join(u16(len(p)) + p for p in lst)
    for v in (4, 6):
        segs = [tcp_seg(v, 1 + 1000 * i, 1000, ident=i) for i in range(5)]
        segs.append(tcp_seg(v, 5001, 300, flags=0x18, ident=5))
        write("offload", "gro-v%d" % v, pkts(segs))
    write("offload", "gro-two-flows", pkts(
        [tcp_seg(4, 1 + 500 * i, 500, ident=i, sport=s)
         for i in range(4) for s in (1, 2)]))
    write("offload", "gro-gap", pkts(
        [tcp_seg(4, 1, 500), tcp_seg(4, 601, 500, ident=1)]))


def udp_gro():
    reset("udp_gro")
    RAW, PKTINFO = 1, 2

    def data(n, fill=0xaa):
        return (u32(4) + u32(0) + bytes(8) + bytes([fill]) * n)[:max(n, 0)]

    def runs(*lens):
        return u8(len(lens)) + b"".join(u16(n) for n in lens)

    d1452 = data(1452)
    seeds = {
        "none": u8(0) + u32(0) + runs() + data(148),
        "glued-3x100": u8(0) + u32(100) + runs(100, 100, 50) +
        data(100) * 3,
        "glued-last-1": u8(PKTINFO) + u32(100) + runs(100, 100) +
        data(100) * 2 + b"\x04",
        "glued-last-short": u8(0) + u32(1452) + runs(*[1452] * 45, 32) +
        d1452 * 2 + data(32),
        "size-over": u8(0) + u32(4000) + runs(70, 70) + d1452,
        "size-negative": u8(0) + u32(0xfffffff0) + runs(0, 10) + d1452,
        "size-1": u8(0) + u32(1) + runs(1, 1, 1) + bytes([4, 1, 2, 3]),
        "mixed-types": u8(0) + u32(32) + runs(32, 32) +
        data(32) + u32(1) + bytes(28) + u32(3) + bytes(28) + data(32),
        "raw-control": u8(RAW) + u8(24) + u32(20) + u32(17) +
        u32(104) + u32(0) + u32(64) + u32(0) + runs(64) + data(128),
        "empty": u8(0) + u32(100) + runs(),
    }
    for name, d in sorted(seeds.items()):
        write("udp_gro", name, d)


def obfs():
    reset("obfs")
    SEAL, FLIP, CUT = 1, 2, 4

    def hdr(mode, pad=0, room=2048, pos=0):
        return u8(mode) + u16(pad) + u16(room) + u16(pos)

    init = u32(1) + bytes(range(144))
    resp = u32(2) + bytes(88)
    cookie = u32(3) + bytes(60)
    data = u32(4) + u32(7) + bytes(8) + bytes(range(64))
    seeds = {
        "seal-init": hdr(SEAL, 40) + init,
        "seal-resp-flip": hdr(SEAL | FLIP, 3, pos=1) + resp,
        "seal-cookie-cut": hdr(SEAL | CUT, 0, pos=70) + cookie,
        "seal-data": hdr(SEAL, 17) + data,
        "seal-keepalive-maxpad": hdr(SEAL, 1024) + data[:32],
        "open-random": hdr(0, room=100) + bytes(range(200)),
        "open-plain-init": hdr(0) + init,
        "open-short": hdr(0) + bytes(31),
        "open-printable": hdr(0) + b"GET / HTTP/1.1\r\nHost: x\r\n" * 3,
    }
    for name, d in seeds.items():
        write("obfs", name, d)


TARGETS = {"offload": offload, "ippkt": ippkt, "net_wire": net_wire, "noise": noise,
           "imsg": imsg, "config": config, "control": control,
           "meshctl": meshctl, "importwg": importwg,
           "coord": coord, "cert": cert, "stun": stun, "natpmp": natpmp,
           "pcp": pcp, "http": http, "ws": ws, "udp_gro": udp_gro,
           "obfs": obfs}

if __name__ == "__main__":
    for t in sys.argv[1:] or sorted(TARGETS):
        TARGETS[t]()
