/*
 * One host's session: a state machine that takes the host from a TCP
 * connect to a committed file, without ever blocking.  LOGIN is conn.c's
 * (connect, handshake, host key, auth); the rest runs the job's payload
 * scripts over the logged-in session:
 *
 *   LOGIN → RECEIVE → SEND → EOF → EXIT → COMMIT → GO → CLOSE → DONE
 *
 * or, with receive and commit joined on one channel (remote.h), SEND →
 * COMMIT with no end of input and no second script: COMMIT then only
 * waits for the same script's "ready", and a source that changed while
 * it was sent gets no go-ahead there.
 * and from any step to FAILED with the host's first error noted; ABORT
 * removes the remote temp file when the data was all there but must not
 * be committed.  The commit renames only on the go-ahead that GO sends;
 * a go-ahead sent and never answered leaves the host UNKNOWN.  Every
 * transition goes through one function, which logs "host: LOGIN ->
 * RECEIVE" at -vv.  libssh2's codes stay in this module (with conn.c,
 * rexec.c and auth.c): they become messages on the host record.
 */
#ifndef FANSCP_SESS_H
#define FANSCP_SESS_H

#include <stdint.h>

struct job;
struct host;
struct sess;

/* The per-turn write budget: a multiple of libssh2's 32,700-byte cap. */
#define SESS_TURN_BYTES	(8 * 32700)

/* A session for host, not yet started; now is the loop's clock. */
struct sess	*sess_new(const struct job *, struct host *, int64_t now);
/*
 * A session that only logs in to remove the temp file that an earlier
 * session of host kept (a paused probe, a retry that will not come: the
 * run was stopped).  It stays failed: the caller notes its error.
 */
struct sess	*sess_new_cleanup(const struct job *, struct host *,
		    int64_t now);
/* Where its connection opens a channel if it goes through a jump host. */
struct tunnels;
void		 sess_use_tunnels(struct sess *, struct tunnels *);
/*
 * Drive the session as far as it goes without blocking.  Returns 1 when
 * the host has finished (its record says done or failed), else 0: then
 * sess_fd() and sess_events() say what to wait for.
 */
int		 sess_step(struct sess *, int64_t now);
/* The socket to watch, or -1. */
int		 sess_fd(const struct sess *);
/* What to wait for on the socket: LOOP_READ and/or LOOP_WRITE. */
int		 sess_events(const struct sess *);
/*
 * On the ssh transport, a second descriptor to read (an ssh child's
 * stderr), or -1; any step drains it.
 */
int		 sess_fd_err(const struct sess *);
/*
 * Step again after this many ms even without an event (an ssh child's
 * exit is awaited), or 0.
 */
int		 sess_retry_ms(const struct sess *);
/* Is the session still logging in (it counts against the startup cap)? */
int		 sess_logging_in(const struct sess *);
/*
 * May the server still count this connection among its unauthenticated
 * ones (sshd's MaxStartups)?  It may until the first channel is open: sshd
 * learns of the login asynchronously, after the client does.
 */
int		 sess_unconfirmed(const struct sess *);
/* Fail the host if its deadline has passed; 1 if it finished so. */
int		 sess_check_timeout(struct sess *, int64_t now);
/*
 * Stop: a session that is sending, or whose commit is still checking,
 * fails at once as "interrupted" (the remote side removes its temp file:
 * short data, or no go-ahead); one whose receive is finishing removes its
 * temp file first; one whose go-ahead is out is let finish.  Returns 1 if
 * the host finished at once.
 */
int		 sess_interrupt(struct sess *, int64_t now);
/* Stop the host now as interrupted, whatever its state; drop the connection. */
void		 sess_kill(struct sess *, int64_t now, const char *why);
/*
 * Has the session caught up with a stream, so that it waits for the
 * source to grow (source_subscribe()) besides its socket?
 */
int		 sess_waits_source(const struct sess *);
/*
 * Pause a host that is sending, as a probe that has seen enough: its data
 * ends where it is, the remote receive keeps the temp file, and the
 * session ends with the host queued again (sess_paused()).  0 when it
 * cannot be paused (not sending, or no keep job).
 */
int		 sess_pause(struct sess *);
/* After sess_step() returned 1: was the host paused (not finished)? */
int		 sess_paused(const struct sess *);
/* Is it sending data (a rate can be measured)? */
int		 sess_sending(const struct sess *);
/* The bytes the host holds (or last held), as far as the session knows. */
uint64_t	 sess_have(const struct sess *);
/*
 * After a failure: may a new session try the host again?  Yes after a
 * connect failure, a lost connection or a stall; never when the host
 * refused, the go-ahead was out, or a command may have had input.
 */
int		 sess_retryable(const struct sess *);
/* The name of the session's state, for logs and progress. */
const char	*sess_state_name(const struct sess *);
/* Tear down whatever is left and free the session. */
void		 sess_free(struct sess *);

#endif
