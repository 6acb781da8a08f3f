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
 */
#ifndef FANSCP_REXEC_H
#define FANSCP_REXEC_H

#include <stddef.h>
#include <stdint.h>

#include <libssh2.h>

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
};

/* Prepare rx to run cmd (kept by pointer). */
void	rexec_init(struct rexec *rx, const char *cmd);
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
/* Free the channel, if any; rx can then be initialised again. */
void	rexec_release(struct rexec *rx);

#endif
