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

#ifndef PARENT_H
#define PARENT_H

#include <sys/types.h>

#include <time.h>

#include "config.h"
#include "proc.h"

struct child_proc {
	enum meshd_role		 role;
	pid_t			 pid;
	struct imsgev		 iev;
	int			 ready;
	struct mesh_proc_msg	 info;	/* from IMSG_CHILD_READY */
};

struct parent {
	struct meshd_conf	*conf;
	const char		*conffile;
	const char		*csock;
	int			 ctl_sock;	/* listens once configured */
	struct child_proc	 children[PROC_MAX];	/* [PROC_PARENT] unused */
	struct timespec		 started;
	int			 ifindex;
	uint16_t		 listen_port;	/* as bound */
	uint8_t			 pubkey[WG_KEY_LEN];
	int			 has_pubkey;
	uint32_t		 next_peer_id;
	int			 debug;
	int			 verbose;
	/* the restricted control socket: its fd (-1 none) and path */
	int			 ro_sock;
	char			*ro_path;
	uint16_t		 chan_mtu;	/* the packet channels' */
};

extern struct parent	 parent;

/* the key files of a config, opened (keys.c) */
struct keyfds {
	int		 keyfd;
	int		*pskfds;	/* per peer in config order, -1: none */
	size_t		 npsk;
};

/* meshd.c */
void	 parent_set_verbose(int);
/* asks every child for its counters; returns how many were asked */
int	 parent_stats_request(uint32_t);
__attribute__((__noreturn__)) void parent_shutdown(int);
/* the first config went out (reload.c): meshd is ready with its children */
void	 parent_configured(void);
/* a burst of imsgs went out: give its memory back once they are sent */
void	 parent_trim_soon(void);
void	 parent_trim_check(void);
/* a child's IMSG_LOG: priority and sanitised line; -1 if malformed */
int	 parent_logline(struct imsg *, int *, char *, size_t);

/* control.c */
int	 control_init(const char *);
void	 control_listen(int);
/* ready: the sockets' paths, bound under temporary names, into place */
int	 control_publish(void);
/* the restricted socket (control-socket ... restricted): show only */
int	 control_init_ro(const char *);
void	 control_listen_ro(int);
void	 control_cleanup(const char *);
/* 1 if a control client's replies wait to be written */
int	 control_queued(void);
void	 control_stats(uint32_t, enum meshd_role,
	    const struct mesh_peer_stats *);
void	 control_stats_end(uint32_t);
void	 control_path(uint32_t, const struct mesh_peer_path *);
/* a reload's outcome: code 0 or errno-like, and its message */
void	 control_reload_done(int, const char *);
/* one change of the running reload, for its client (before _done) */
void	 control_reload_change(const struct ctl_change *);
/* net's IMSG_NETCHECK for request id */
void	 control_netcheck(uint32_t, const struct ctl_netcheck *);
/* tun's answer to show filter or show states, one message: relayed */
void	 control_filter(uint32_t, uint32_t, const void *, size_t);

/* tun's IMSG_CTL_DNS for request id */
void	 control_dns(uint32_t, struct ctl_dns *);

/* notify.c: the service manager's NOTIFY_SOCKET (sd_notify(3)) */
void	 notify_init(void);
void	 notify_ready(const char *);
void	 notify_reloading(void);
void	 notify_reloaded(const char *);
void	 notify_stopping(void);

/* Prometheus metrics (metrics.c); a scrape's counters come from control.c */
struct stats_req;
int	 control_metrics(uint32_t);
void	 control_metrics_peers(struct stats_req *,
	    void (*)(const struct ctl_peer *, void *), void *);
void	 metrics_reconf(struct meshd_conf *, int);
void	 metrics_request(struct imsgev *, struct imsg *);
void	 metrics_reply(uint32_t, struct stats_req *,
	    const struct mesh_peer_stats *);

/* dnsconf.c: mesh DNS sockets for tun, systemd-resolved */
void	 dns_config(struct meshd_conf *);
void	 dns_revert(void);
void	 dns_show_fill(struct ctl_dns *);

/* keys.c */
int	 keys_open(struct meshd_conf *, struct keyfds *, char *, size_t);
void	 keys_close(struct keyfds *);
void	 keys_send(struct imsgbuf *, struct meshd_conf *, struct keyfds *);
void	 keys_error(struct meshd_conf *, struct imsg *, char *, size_t);
int	 keys_check_self(struct meshd_conf *, const uint8_t *, char *,
	    size_t);
int	 keys_check_sync(struct meshd_conf *, const char *, uint8_t *,
	    char *, size_t);

/* reload.c */
/* peer ids: kept from oconf (may be NULL) by public key, else new */
void	 assign_ids(struct meshd_conf *, struct meshd_conf *);
/* sends a config's keys to crypto; start: the first config, at start */
void	 keycheck_start(struct meshd_conf *, struct keyfds *, int);
void	 keycheck_ok(struct imsg *);
void	 keycheck_error(struct imsg *);
/*
 * Starts a reload: 0 if it waits for crypto's verdict on the new keys
 * (control_reload_done() then has the outcome), else an errno-like code
 * (EBUSY: one is running) and a message (maybe several lines) in buf.
 */
int	 parent_reload(char *, size_t);
/* a config's key check or reload is running */
int	 reload_busy(void);
/* a UAPI set's config, its keys already on their way to crypto */
void	 keycheck_uapi(struct meshd_conf *);
/* the same with a config built otherwise, and its parse's warnings */
int	 parent_reload_conf(struct meshd_conf *, const char *, char *, size_t);
/* SIGHUP: a reload, or one queued behind the one running */
void	 parent_reload_signal(void);

/* resolve.c: endpoint host names, every resolve-interval */
void	 resolve_schedule(void);
/* and when crypto says a peer's initiations go unanswered */
void	 resolve_noresp(uint32_t);

/* netwatch.c: the node's addresses and gateway, for meshd-net */
void	 netwatch_update(void);

/* sockets.c */
int	 udp_open(uint16_t, int *, size_t, size_t *, char *, size_t);
/* net asks for a birthday attempt's sockets */
void	 udp_bday(struct imsgev *, struct imsg *);
void	 udp_bday_back(struct imsg *);
int	 udp_announce_open(void);

/* a listening TCP socket (serve stream, serve relay): fd, or -1 and why */
int	 tcp_listen_socket(const struct sockaddr_storage *, socklen_t, int,
	    char *, size_t);

/*
 * A set of listening TCP sockets net serves (serve stream,
 * metrics-listen), the parent's side of meshd-net's net_listeners: sent
 * again whole when the set of addresses changes.
 */
struct tcp_listen_set {
	enum imsg_type	 type;		/* STREAM_LISTEN, METRICS_LISTEN */
	const char	*what;		/* for the log */
	char		 set[STREAM_LISTEN_MAX * MESH_ENDPOINT_MAX]; /* sent */
	int		 open;		/* net has some */
};
/* open(v[i], arg, err, errlen): a socket, or -1 and err */
int	 tcp_listen_update(struct tcp_listen_set *,
	    const struct stream_listen *, size_t,
	    int (*)(const struct stream_listen *, void *, char *, size_t),
	    void *, char *, size_t);

/* ssh.c: serve stream's listeners, the SSH clients, the ladder's conf */
int	 stream_reconf(struct meshd_conf *, int);
/* 1 if pid was an SSH client's (it is started again later) */
int	 ssh_reaped(pid_t, int);
void	 stream_shutdown(void);
/* relay.c */
int	 relay_listen_open(struct meshd_conf *, int *, char *, size_t);
int	 relay_start(struct meshd_conf *, int *, int, char *, size_t);
void	 relay_connect(struct imsgev *, struct imsg *);

#endif /* PARENT_H */
