#!/bin/sh
# Installs the Debian packages meshd needs to build, test and run its demo.
# The one list: .ci/run, the GNUmakefile (make deps) and README.md all use it.
set -eu

BUILD="gcc make bison pkg-config libssl-dev libevent-dev libbsd-dev libseccomp-dev
    zlib1g-dev libqrencode-dev"
# bind9-dnsutils: dig, for the mesh DNS (regress/netns/dns.t)
# coturn (turnserver) and miniupnpd-nftables: the STUN, NAT-PMP and PCP
# servers of regress/interop/stun-coturn.t and natpmp-miniupnpd.t (the tests
# run the binaries themselves; see there about the services the packages
# install); nginx-light: the web server regress/interop/web-nginx.t holds
# the relay's web face against; openssh-server (sshd) and openssh-client:
# regress/netns/ssh.t's SSH transport, with its own sshd in a namespace;
# tcpdump: regress/netns/relay.t captures what a relay carries; python3
# and bc: small helpers of several tests (a TCP delay proxy where the kernel
# has no netem, listeners, timing figures), which skip without them;
# systemd: systemd-analyze (250 or later), which judges the unit offline
# (regress/misc/service.t, unit.t)
# prometheus (promtool check metrics) and curl: regress/netns/metrics.t
# scrapes meshd as Prometheus would and checks the text
# tshark and libndpi-bin (ndpiReader): the censor's view of captured traffic
# (regress/censor.py, regress/netns/censor-*.t: what they call WireGuard)
TEST="perl iproute2 iputils-ping jq mandoc procps psmisc nftables netcat-openbsd
    systemd coturn miniupnpd-nftables nginx-light openssh-client openssh-server
    bind9-dnsutils tcpdump python3 bc prometheus curl tshark libndpi-bin"
# make fuzz: clang with libFuzzer and the sanitizer runtimes
FUZZ="clang libclang-rt-dev"
# nebula, tinc: make bench sets them beside meshd and wireguard-go (peers.sh)
PEERS="wireguard-go wireguard-tools iperf3 nebula tinc"

missing=
for p in $BUILD $TEST $FUZZ $PEERS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: missing:$missing; run as root to install" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --no-install-recommends: wireguard-tools otherwise pulls in a kernel image.
# tshark's wireshark-common asks (debconf) whether users who are not root
# may capture; noninteractive takes its default, no (it installs dumpcap
# without setuid or capabilities): the tests run tshark as root on files
apt-get install -y -q --no-install-recommends $missing
# coturn's postinst enables coturn.service and, on a booted systemd host,
# starts a TURN server on every address: the tests run their own in a
# namespace, so switch off the one we just installed
case " $missing " in
*" coturn "*)
	systemctl disable --now coturn.service >/dev/null 2>&1 || true ;;
esac
# nginx's postinst enables and starts nginx.service, a web server on port
# 80: web-nginx.t runs its own on loopback in a namespace
case " $missing " in
*" nginx-light "*)
	systemctl disable --now nginx.service >/dev/null 2>&1 || true ;;
esac
# prometheus's starts a Prometheus server on port 9090: the test needs
# only its promtool
case " $missing " in
*" prometheus "*)
	systemctl disable --now prometheus.service >/dev/null 2>&1 ||
	    true ;;
esac
# openssh-server's likewise starts sshd on port 22 of every address: the
# test runs its own, with its own config and keys
case " $missing " in
*" openssh-server "*)
	systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 ||
	    true ;;
esac
# tinc's enables tinc.service (it starts the networks in nets.boot: none);
# the bench runs its own tincd in a namespace
case " $missing " in
*" tinc "*)
	systemctl disable --now tinc.service >/dev/null 2>&1 || true ;;
esac
