/*
 * Jump hosts (-J, ProxyJump): one SSH connection to each bastion per
 * engine thread, which carries every target's session of that thread
 * through a direct-tcpip channel of its own.  A target's connection gets
 * one end of a socketpair as its socket and goes on as over TCP (its own
 * handshake, host key check and login, end to end with the target); the
 * tunnel pumps the other end into the channel, on the engine's loop.
 *
 *   session (conn.c) ⇄ socketpair ⇄ pump ⇄ channel ⇄ bastion ⇄ target
 *
 * The bastion's connection is an ordinary conn.c connection (its host key
 * checked, its login as ssh_config says), made on the first target that
 * needs it.  A chain (-J a,b) is the same thing twice: b's connection goes
 * through a's tunnel.  All channels of one bastion share its session, so
 * the pump keeps libssh2's rule for the whole session: a call that left a
 * packet half sent is repeated before any other call (libssh2.md §1.2).
 */
#ifndef FANSCP_TUNNEL_H
#define FANSCP_TUNNEL_H

#include "host.h"
#include "jump.h"

struct job;
struct loop;
struct tunnels;
struct tchan;

/* An engine's tunnels, on its loop. */
struct tunnels	*tunnels_new(const struct job *, struct loop *);
/*
 * A channel to host:port through the bastion(s) of spec, as the bastion
 * resolves host.  Its socket is usable at once: what the session writes
 * waits in the socketpair until the channel opens.  If the bastion or the
 * channel fails, tchan_error() says so, and the socket reads EOF.  via_of
 * names the target, for messages; from is the connection's host record
 * (a jump host's, for a chain: a loop of jump hosts fails at once).
 */
struct tchan	*tunnels_open(struct tunnels *, const char *spec,
		    const char *host, int port, const char *via_of,
		    const struct host *from);
/*
 * For a target whose own ssh goes through spec (the ssh transport): when
 * the bastion's tunnel goes through ssh, its ProxyCommand, so that the
 * target's ssh shares the tunnel's ControlMaster.  tchan_proxy() says:
 * 1 *cmd is ready, 0 wait (the master logs in), -1 the tunnel failed
 * (tchan_error()), -2 the tunnel is libssh2's: no master to share.
 * tchan_release() it after.
 */
struct tchan	*tunnels_proxy(struct tunnels *, const char *spec,
		    const char *via_of);
int		 tchan_proxy(const struct tchan *, const char **cmd);
/* The session's end of the socketpair; it is the session's to close. */
int		 tchan_take_fd(struct tchan *);
/* Why the tunnel failed this channel, with its kind; NULL if it did not. */
const char	*tchan_error(const struct tchan *, enum host_err *);
/* The session is done with the channel (closing its fd is enough too). */
void		 tchan_release(struct tchan *);
/* Bastion connections made so far (for tests and -v). */
int		 tunnels_count(const struct tunnels *);
/*
 * Close every tunnel at once (the engine's hosts are all done): a goodbye
 * to each bastion where one can go without waiting, then the sockets.
 * Nothing is watched afterwards.
 */
void		 tunnels_free(struct tunnels *);

#endif
