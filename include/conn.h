/*
 * One host's SSH connection, up to a logged-in session: the host's
 * settings resolved once (ssh_config, port, user, identities), the TCP
 * connect over each address, the SSH handshake, the host key checked
 * against known_hosts before anything else, and authentication.
 *
 *   CONNECT → HANDSHAKE → HOSTKEY → AUTH → READY
 *
 * It stops there: what runs over the session is the caller's (sess.c).
 * It never blocks; a failure is noted on the host record with its kind.
 * This is the seam where another transport (OpenSSH's ssh) plugs in.
 */
#ifndef FANSCP_CONN_H
#define FANSCP_CONN_H

#include <stdint.h>

#include <libssh2.h>

struct job;
struct host;
struct conn;
struct sshcmd;

enum conn_result {
	CONN_WAIT,		/* wait for conn_events() on conn_fd() */
	CONN_READY,		/* logged in: conn_ssh() is usable */
	CONN_FAILED,		/* the host's error is noted */
};

/*
 * A connection for host, its settings resolved now; if they cannot be
 * (a bad ssh_config), the host is failed and conn_step says so at once.
 */
struct conn	*conn_new(const struct job *, struct host *);
/*
 * A jump host's connection (tunnel.c): resolved from the files alone (no
 * -o, no -P), through jump if not NULL, else through its own ProxyJump.
 */
struct conn	*conn_new_hop(const struct job *, struct host *,
		    const char *jump);
/* Where a connection with a ProxyJump opens its channel (before a step). */
struct tunnels;
void		 conn_set_tunnels(struct conn *, struct tunnels *);
/* The ProxyJump it goes through, or NULL. */
const char	*conn_jump(const struct conn *);
/* Why its jump host's tunnel failed it, or NULL. */
const char	*conn_via_error(const struct conn *);
/* The user it logs in as. */
const char	*conn_login(const struct conn *);
/* Go as far as possible without blocking. */
enum conn_result conn_step(struct conn *);
int		 conn_fd(const struct conn *);
/* LOOP_READ and/or LOOP_WRITE. */
int		 conn_events(const struct conn *);
/* The logged-in session (after CONN_READY), else NULL. */
LIBSSH2_SESSION	*conn_ssh(const struct conn *);
/* The connect timeout for the host: -o/--connect-timeout, config, default. */
int		 conn_connect_timeout(const struct conn *);
/* Is it still before the TCP connect completed? */
int		 conn_connecting(const struct conn *);
/*
 * The algorithm class (enum kex_class, kexinit.h) in which libssh2 and the
 * server had nothing in common, when that failed the handshake; else -1.
 * A server, not a host: the same sshd will fail the same way all run.
 */
int		 conn_nomatch_class(const struct conn *);
/*
 * What ssh would do for this host that libssh2 cannot (enum
 * transport_reason, transport.h; 0 for nothing), decided from its settings
 * when the connection was made; *why gets the words ("CertificateFile is
 * set").  --transport auto hands such a host to ssh before connecting.
 */
int		 conn_needs_ssh(const struct conn *, const char **why);
/*
 * The settings an ssh child for the host is given as fanscp resolved
 * them: port, user, host-key policy and alias, connect timeout (the rest
 * of cmd zeroed; its strings are the connection's).
 */
void		 conn_sshcmd(const struct conn *, struct sshcmd *);
/* The server's SSH_MSG_DISCONNECT message, or "". */
const char	*conn_bye(const struct conn *);
const char	*conn_state_name(const struct conn *);
/*
 * The sshd a connection for h would reach, as "hostname port" (HostName
 * after ssh_config, lower case), to be freed; NULL when its configuration
 * fails.
 */
char		*conn_endpoint(const struct job *, const struct host *h);
/* Shut the socket down, so that no later free can wait on the peer. */
void		 conn_shutdown(struct conn *);
/* Free the SSH session, the agent and the socket (the channels first). */
void		 conn_teardown(struct conn *);
void		 conn_free(struct conn *);

#endif
