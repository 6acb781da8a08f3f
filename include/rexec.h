/*
 * One remote command on an exec channel of a session, driven without
 * blocking: open the channel and exec, write stdin (by the caller), then
 * finish: send EOF, read stdout and stderr to the end, close, wait for the
 * remote close and take the exit status.  Output kept is bounded: the
 * last bytes of stdout (where a script says "ready" or "ok", after any
 * amount of rc-file noise) and of stderr (where a failing script says
 * why); the rest is read and dropped, so a chatty remote neither stalls
 * the channel nor grows our memory.
 *
 * Functions return 0 when their step is complete, LIBSSH2_ERROR_EAGAIN to
 * be called again with the same arguments, or another negative libssh2
 * code.  This is the session layer: libssh2 codes stop at sess.c.
 *
 * The same steps run over OpenSSH's ssh when rx->link is set (the ssh
 * transport, sshlink.h): the command is an ssh child through the host's
 * master, its stdin and stdout one non-blocking socket (child.h), its
 * stderr a pipe.  Writing writes the socket, EOF shuts its writing half,
 * the reads fill out and err as the channel's do, and the end reaps the
 * child: its status is the remote command's, unless sshcmd_verdict() says
 * that ssh itself failed (kind and why are then set, and the code is
 * LIBSSH2_ERROR_SOCKET_DISCONNECT).  rexec_fd(), rexec_fd_err() and
 * rexec_retry_ms() say what to wait for.
 */
#ifndef FANSCP_REXEC_H
#define FANSCP_REXEC_H

#include <stddef.h>
#include <stdint.h>

#include <libssh2.h>

#include "child.h"
#include "host.h"

struct sshlink;

#define REXEC_OUT_MAX	1024
#define REXEC_ERR_MAX	4096

struct rexec {
	LIBSSH2_CHANNEL	*ch;
	const char	*cmd;		/* the caller's; stable until done */
	int		 step;
	char		 out[REXEC_OUT_MAX];	/* end of stdout */
	size_t		 outlen;
	uint64_t	 outtotal;		/* all stdout bytes seen */
	char		 err[REXEC_ERR_MAX];	/* end of stderr */
	size_t		 errlen;
	uint64_t	 errtotal;		/* all stderr bytes seen */
	int		 exit_status;
	char		 signal[32];		/* exit signal name, or "" */
	/* The ssh transport (NULL: a libssh2 channel). */
	struct sshlink	*link;
	struct child	 kid;
	int		 out_eof, err_eof;
	int		 wblocked;		/* a write met EAGAIN */
	int		 wdead;			/* a write met EPIPE */
	int		 reaping;		/* waiting for its exit */
	enum host_err	 kind;			/* ssh's own failure */
	char		 why[512];		/* its message */
};

/* Prepare rx to run cmd (kept by pointer), over link if not NULL. */
void	rexec_init(struct rexec *rx, const char *cmd, struct sshlink *link);
/* Open the channel and start the command. */
int	rexec_start(struct rexec *rx, LIBSSH2_SESSION *s);
/* Write stdin: libssh2_channel_write's count or code. */
ssize_t	rexec_write(struct rexec *rx, const char *buf, size_t len);
/*
 * Read what stdout and stderr hold now.  Returns 1 if the remote side has
 * sent EOF (nothing more will come), 0 if not, or a negative libssh2 code.
 * Only call when no write on the session is pending.
 */
int	rexec_drain(struct rexec *rx);
/*
 * Does libssh2 already hold output for the channel?  Then the socket may
 * stay quiet: read again rather than wait for it.
 */
int	rexec_pending(const struct rexec *rx);
/* Send EOF, read to the end, close, wait for close, collect the status. */
int	rexec_finish(struct rexec *rx, LIBSSH2_SESSION *s);
/* Send EOF on stdin (the caller has written all of it). */
int	rexec_send_eof(struct rexec *rx);
/* libssh2_session_block_directions(), or an ssh child's likewise. */
int	rexec_block_directions(const struct rexec *rx, LIBSSH2_SESSION *s);
/* Has the channel's window room for more (after a blocked write)? */
int	rexec_window_open(const struct rexec *rx);
/* The ssh child's socket while its stdout is open, else -1. */
int	rexec_fd(const struct rexec *rx);
/* Its stderr while open, else -1. */
int	rexec_fd_err(const struct rexec *rx);
/* While its exit is awaited, how soon to look again (ms); else 0. */
int	rexec_retry_ms(const struct rexec *rx);
/* Free the channel, if any; rx can then be initialised again. */
void	rexec_release(struct rexec *rx);

#endif
