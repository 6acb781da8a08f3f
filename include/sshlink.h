/*
 * One host's connection over OpenSSH's ssh (--transport ssh, or auto where
 * libssh2 cannot): a private ControlMaster, so that every remote step of
 * the host runs through one SSH connection (a new ssh per step costs about
 * twice as much: bench/ssh_mux.sh).  The master lives in a 0700 directory
 * of its own with a short socket path, ControlPersist=no; its own session
 * runs "echo fanscp-up; exec cat >/dev/null", so its first line says that
 * it is logged in and its socket listens, and closing its stdin ends it
 * once the steps are done.  The steps themselves are rexec.c's (an ssh
 * child through the master, sshlink_argv()).
 *
 * A host whose own configuration names a live ControlMaster (auto's
 * TR_CONTROLMASTER) has no master of ours: its steps go through the user's.
 *
 * sshlink_choose() and sshlink_fallback() apply --transport auto's rules;
 * a server that libssh2 could not negotiate with is remembered for the
 * rest of the run, by every thread.
 */
#ifndef FANSCP_SSHLINK_H
#define FANSCP_SSHLINK_H

#include <stddef.h>
#include <stdint.h>

struct job;
struct host;
struct conn;
struct sshlink;

struct sshcmd;

/*
 * A link for h with base's settings (sshcmd.h: program, config, options,
 * port, user, host-key policy, host; mux and command are the link's).
 * sshlink_choose() and sshlink_fallback() make theirs with it.
 */
struct sshlink	*sshlink_new(const struct sshcmd *base, struct host *h);
/*
 * Should h go through ssh rather than libssh2, before connecting?  The
 * job's --transport, the reason conn_needs_ssh() gives (logged at -v), or
 * a server already found to need it.  A link for it, or NULL.
 */
struct sshlink	*sshlink_choose(const struct job *, struct host *,
		    const struct conn *);
/*
 * libssh2 failed to log in to h: under auto, after a negotiation failure,
 * remember the server and return a link to retry h over ssh (the host's
 * error is set aside, to be named if ssh fails too); else NULL.
 */
struct sshlink	*sshlink_fallback(const struct job *, struct host *,
		    const struct conn *);
/* Start or follow the master: 1 logged in, 0 wait, -1 the host failed. */
int		 sshlink_step(struct sshlink *);
/* The master's stdin and stdout socket to watch, or -1. */
int		 sshlink_fd(const struct sshlink *);
/* Its stderr, to read while open, or -1. */
int		 sshlink_fd_err(const struct sshlink *);
/* LOOP_READ, or 0. */
int		 sshlink_events(const struct sshlink *);
/* Milliseconds after which to look again (its exit), or 0. */
int		 sshlink_retry_ms(const struct sshlink *);
/*
 * The argv of one step through the master (sshcmd_free() it), or NULL
 * with the reason in err.
 */
char		**sshlink_argv(const struct sshlink *, const char *cmd,
		    char *err, size_t errlen);
/*
 * A jump host's link (tunnel.c), made by sshlink_choose() or _fallback():
 * resolved as ssh resolves a jump host, from the files alone (the -o
 * options are the targets'), and through jump (its own ProxyJump, or the
 * hops before it), or through nothing if NULL.
 */
void		 sshlink_hop(struct sshlink *, const char *jump);
/*
 * The argv of a child that carries its stdin and stdout to host:port
 * through the master, as the jump host resolves and connects to it
 * (ssh -W; sshcmd_free() it), or NULL with the reason in err.  Only once
 * the master is up: before, ssh would log in on its own.
 */
char		**sshlink_forward_argv(const struct sshlink *, const char *host,
		    int port, char *err, size_t errlen);
/*
 * The same as a ProxyCommand for another ssh (%h:%p, quoted for the
 * shell ssh runs it with), or NULL if it cannot be built; xmalloc'd.
 */
char		*sshlink_proxy_command(const struct sshlink *);
/*
 * Is the master that was up still there?  Reads what it has to say; at
 * its end, reaps it and puts ssh's reason in why: 0.  A link through the
 * user's own master is taken as alive.
 */
int		 sshlink_alive(struct sshlink *, char *why, size_t len);
/*
 * The link's ssh goes through the jump host(s) via (its ProxyJump, for
 * messages), and through cmd (a ProxyCommand) rather than ssh's own
 * connection to them, if cmd is not NULL.
 */
void		 sshlink_set_jump(struct sshlink *, const char *via,
		    const char *cmd);
/* End the master politely: 1 once it has exited, 0 wait. */
int		 sshlink_close(struct sshlink *);
/* Kill the master if it still runs, and reap it. */
void		 sshlink_kill(struct sshlink *);
/* Kill, reap, remove its directory and free. */
void		 sshlink_free(struct sshlink *);

#endif
