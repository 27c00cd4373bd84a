# static-peers.awk: a meshd config of many static peers, for bench/config-scale.sh
# and regress/netns/peers-many.t.  Variables (awk -v): n peers numbered from
# "from" on, each with one /32 and one /24; key, the interface's private key
# file; ifname; seed.  Peer p's public key depends only on seed and p (one
# is drawn for every number below "from" too), so configs that differ in
# which peers they hold agree on each peer's key.
BEGIN {
	srand(seed)
	printf "interface \"%s\" {\n\taddress 100.64.0.1/16\n", ifname
	printf "\tlisten-port 51820\n\tprivate-key-file \"%s\"\n}\n", key
	b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for (p = 0; p < from + n; p++) {
		pub = ""
		for (i = 0; i < 42; i++)
			pub = pub substr(b64, int(rand() * 64) + 1, 1)
		if (p < from)
			continue
		printf "peer \"p%d\" {\n\tpublic-key \"%sA=\"\n", p, pub
		printf "\tallowed-ips 10.%d.%d.%d/32, 10.%d.%d.0/24\n}\n",
		    int(p / 65536), int(p / 256) % 256, p % 256,
		    64 + int(p / 256), p % 256
	}
}
