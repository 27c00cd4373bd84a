#!/usr/bin/env bash
# make bench: meshd's figures beside the reference implementations, from
# one run on this machine.  Timings are reported, never asserted.
set -u
: "${MESHD_BUILD:?run it through make bench}"
SECS=${BENCH_SECS:-2}

echo "== primitives: ours beside OpenSSL EVP (CPU time, ${SECS}s each)"
"$MESHD_BUILD/bench/crypto-bench" -t "$SECS" || exit 1
echo
echo "== openssl speed -evp chacha20-poly1305 (bulk, no per-packet setup)"
openssl speed -evp chacha20-poly1305 -seconds "$SECS" 2>/dev/null | tail -n 2
if [ -x "$MESHD_BUILD/bench/handshake-bench" ]; then
	echo
	echo "== Noise_IKpsk2 handshakes with the engine (both sides, one core)"
	"$MESHD_BUILD/bench/handshake-bench" || exit 1
fi
if [ -x "$MESHD_BUILD/bench/pktchan-bench" ]; then
	echo
	echo "== packet channels (common/pktchan.c) beside unix sockets"
	"$MESHD_BUILD/bench/pktchan-bench" -t "$SECS" || exit 1
fi
if [ -x "$MESHD_BUILD/bench/rtable-bench" ]; then
	echo
	echo "== cryptokey routing table (meshd-tun/rtable.c)"
	"$MESHD_BUILD/bench/rtable-bench" -t 1 || exit 1
fi
echo
echo "== mesh DNS: the codec, and one meshd answering (meshd-tun/dns*.c)"
"$(dirname "$0")/dns.sh" || echo "(dns.sh did not finish)"
echo
echo "== reading a large config (parent: parse, checks; as on reload)"
"$(dirname "$0")/config-scale.sh" 10000 || exit 1
if [ -n "${MESHD_ROOT:-}" ] && [ "${MESH_N:-10000}" != 0 ]; then
	echo
	echo "== the mesh at scale: a coordinator, ${MESH_N:-10000} simulated members, a node"
	"$(dirname "$0")/mesh-scale.sh" || echo "(mesh-scale.sh did not finish)"
fi
if [ -n "${MESHD_ROOT:-}" ]; then
	echo
	echo "== the packet filter: 1,000 rules and 10,000 states beside none (iperf3 TCP)"
	"$(dirname "$0")/filter.sh" || echo "(filter.sh did not finish)"
	echo "== a relay: through it beside direct, and its PSS with ${RELAY_N:-1000} members"
	"$(dirname "$0")/relay.sh" || echo "(relay.sh did not finish)"
fi
if [ -n "${MESHD_ROOT:-}" ]; then
	echo
	echo "== meshd beside wireguard-go (and nebula, tinc if installed) in namespaces"
	"$(dirname "$0")/peers.sh" "${BENCH_PEERS:-raw,wg,meshd,nebula,tinc}"
fi
