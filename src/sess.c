/*
 * One host's session, as a state machine.  Each state has one handler that
 * returns ST_NEXT (it moved on: run the next handler now), ST_WAIT (libssh2
 * or the socket would block: wait for s->want) or ST_FAIL (the host's error
 * is noted).  libssh2's EAGAIN contract is kept by construction: a handler
 * that got EAGAIN is the next code to touch the session, and it repeats the
 * same call with the same arguments.
 */
#include <sys/socket.h>

#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "compress.h"
#include "conn.h"
#include "fmt.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "ratelimit.h"
#include "relay.h"
#include "remote.h"
#include "rexec.h"
#include "sess.h"
#include "source.h"
#include "sshlink.h"
#include "tunnel.h"
#include "unittest.h"
#include "xmalloc.h"

#define SESS_STATES(X)							\
	X(LOGIN)	/* conn.c: connect, handshake, host key, auth */ \
	X(RECEIVE)	/* the receive script: checks, then "ready" */	\
	X(SEND)		/* the data, from this host's own offset */	\
	X(EOF)		/* send EOF on the channel */			\
	X(EXIT)		/* read to the end, close, check the status */	\
	X(COMMIT)	/* the commit script (joined: the same one):	\
			   checks, then "ready" */			\
	X(GO)		/* the go-ahead: rename, and the answer */	\
	X(ABORT)	/* the abort script: remove the temp file */	\
	X(CLOSE)	/* disconnect politely */			\
	X(DONE)								\
	X(FAILED)

#define SESS_ENUM(name)	SS_##name,
#define SESS_NAME(name)	#name,
enum sess_state { SESS_STATES(SESS_ENUM) };
static const char *const sess_names[] = { SESS_STATES(SESS_NAME) };

enum st_result { ST_NEXT, ST_WAIT, ST_FAIL };

struct sess {
	enum sess_state	 st;
	const struct job *job;
	struct host	*host;
	struct conn	*conn;		/* the connection, up to logged in */
	LIBSSH2_SESSION	*ssh;		/* conn's session, once logged in */
	struct sshlink	*link;		/* or the ssh transport's master */
	struct tunnels	*tunnels;	/* the engine's jump host tunnels */
	struct tchan	*jchan;		/* a ProxyCommand asked of them */
	int		 jump_asked;	/* the link knows how to go */
	int		 want;		/* LOOP_READ and/or LOOP_WRITE */
	struct remote_job rjob;
	char		 token[33];
	char		*frame;		/* the script rx reads on stdin */
	size_t		 frame_len;
	size_t		 frame_pos;	/* bytes of it written */
	struct rexec	 rx;
	unsigned char	*buf;		/* source bytes at buf_off */
	size_t		 buf_len;
	size_t		 buf_pos;
	uint64_t	 off;		/* bytes the channel accepted */
	size_t		 wlen;		/* a write to repeat after EAGAIN */
	struct ratelimit *host_limit;	/* --host-limit's bucket, or NULL */
	size_t		 grant;		/* bytes the limits let it send */
	int64_t		 grant_at;	/* from this time on (loop clock) */
	int		 grant_total;	/* -l has granted them too */
	int		 throttled;	/* waiting for grant_at */
	struct source_reader *rd;	/* this host's place in the source */
	int		 src_wait;	/* caught up with a stream: waiting */
	char		 seal[COMPRESS_SEAL_MAX];	/* a stream's seal */
	size_t		 seal_len;	/* its length, or 0: none to send */
	size_t		 seal_pos;	/* bytes of it sent */
	int		 ours_seen;	/* a script of ours has said "ready" */
	int		 abandon;	/* a stream's receive is ended only to
					   remove its temp file */
	int		 received;	/* a complete temp file awaits commit */
	int		 script_started; /* this state's script is running */
	int		 send_go;	/* the commit said "ready", and no stop */
	int		 go_pending;	/* go-ahead sent, answer not yet read */
	int		 held;		/* --all-or-nothing: ready, counted,
					   and waiting for every other host */
	int		 counted;	/* counted ready in the job's tally */
	int		 withheld;	/* --all-or-nothing: no go-ahead, as
					   another host failed */
	int		 fed;		/* the user's command may have read
					   data, and has not said how it
					   ended (--exec-stream) */
	uint64_t	 out_seen;	/* rx.outtotal when last looked at */
	int		 interrupted;
	int		 commit_ready;	/* the commit said "ready" */
	char		 changed[256];	/* joined: the source changed while
					   sent, so no go-ahead; how */
	char		 from[48];	/* a keep receive's answer: "from N" */
	size_t		 from_len;	/* its length, 0 until decided */
	size_t		 from_pos;	/* bytes of it written */
	int		 pausing;	/* sess_pause(): end the data here */
	int		 paused;	/* the receive kept the temp file */
	int		 ready_seen;	/* the receive said "ready" */
	int		 cleanup;	/* log in only to remove a kept temp
					   file (sess_new_cleanup()) */
	int		 close_tries;
	/* --relay (relay.h): this host's node, or -1: sent directly. */
	int		 relay_i;
	int		 relay_phase;	/* lines of the set-up answered */
	int		 relay_keymade;	/* its receive made a key pair */
	int		 relay_fed;	/* its parent sends it the data */
	int		 relay_poll;	/* waiting on another host's session */
	char		*reply;		/* a set-up answer being written */
	size_t		 reply_len;
	size_t		 reply_pos;
	int64_t		 deadline;	/* ms on the loop clock */
	int64_t		 now;
};

typedef enum st_result st_handler(struct sess *);

/* Something moved: the stall timeout starts again. */
static void
sess_progressed(struct sess *s)
{
	s->deadline = s->now + 1000 * (int64_t)s->job->stall_timeout;
}

/* Every transition passes here, and is logged. */
static void
sess_set_state(struct sess *s, enum sess_state st)
{
	hlog(LOG_DEBUG, s->host->name, "%s -> %s", sess_names[s->st],
	    sess_names[st]);
	s->st = st;
	s->script_started = 0;
	host_set_verifying(s->host, st >= SS_EOF && st <= SS_GO);
	if (st > SS_LOGIN)
		sess_progressed(s);
}

static enum st_result
sess_vfail(struct sess *s, enum host_err kind, const char *fmt, va_list ap)
{
	char msg[sizeof(s->host->err)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (s->fed)
		host_fail(s->host, kind, "%s, after the command got input: "
		    "what it did is unknown", msg);
	else if (s->go_pending && remote_runs_cmd(&s->rjob, "commit"))
		host_fail(s->host, kind, "%s, after the go-ahead: whether the "
		    "command ran is unknown", msg);
	else if (s->go_pending)
		host_fail(s->host, kind, "%s, after the go-ahead: whether '%s' "
		    "was replaced is unknown", msg, s->host->t.path);
	else
		host_fail(s->host, kind, "%s", msg);
	return ST_FAIL;
}

/* Fail the host: the remote side failed, unless sess_fail_as says. */
static enum st_result
sess_fail(struct sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum st_result
sess_fail(struct sess *s, const char *fmt, ...)
{
	enum st_result r;
	va_list ap;

	va_start(ap, fmt);
	r = sess_vfail(s, ERR_REMOTE, fmt, ap);
	va_end(ap);
	return r;
}

/* Fail the host with an error of the given kind. */
static enum st_result
sess_fail_as(struct sess *s, enum host_err kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum st_result
sess_fail_as(struct sess *s, enum host_err kind, const char *fmt, ...)
{
	enum st_result r;
	va_list ap;

	va_start(ap, fmt);
	r = sess_vfail(s, kind, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * Is the host's outcome unknown if it fails now: the go-ahead is out, or
 * the user's command may have read data, and no answer came?
 */
static int
sess_unknown(const struct sess *s)
{
	return s->go_pending || s->fed;
}

/* libssh2's last error on the session, for messages. */
static const char *
sess_ssh_msg(struct sess *s)
{
	char *msg = NULL;

	if (s->ssh == NULL ||
	    libssh2_session_last_error(s->ssh, &msg, NULL, 0) == 0 ||
	    msg == NULL)
		return "unknown error";
	return msg;
}

/* Fail with a message for libssh2 code rc, met while doing what. */
static enum st_result
sess_fail_ssh(struct sess *s, int rc, const char *what)
{
	char sz[32];

	/* An ssh child's own failure, in its words (rexec.h). */
	if (s->rx.kind == ERR_LOST)
		return sess_fail_as(s, ERR_LOST, "connection lost after %s "
		    "(%s)", fmt_size(sz, sizeof(sz), s->off), s->rx.why);
	if (s->rx.kind != ERR_NONE)
		return sess_fail_as(s, s->rx.kind, "%s", s->rx.why);
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
		/* A jump host's tunnel went: say so, not "closed by". */
		if (conn_via_error(s->conn) != NULL)
			return sess_fail_as(s, ERR_LOST, "connection lost "
			    "after %s (%s)", fmt_size(sz, sizeof(sz), s->off),
			    conn_via_error(s->conn));
		if (conn_bye(s->conn)[0] != '\0')
			return sess_fail_as(s, ERR_LOST, "the server "
			    "disconnected during %s after %s: \"%s\"", what,
			    fmt_size(sz, sizeof(sz), s->off),
			    conn_bye(s->conn));
		if (s->st >= SS_SEND)
			return sess_fail_as(s, ERR_LOST, "connection lost "
			    "after %s (%s)",
			    fmt_size(sz, sizeof(sz), s->off), sess_ssh_msg(s));
		return sess_fail_as(s, ERR_LOST, "connection closed by "
		    "remote host during %s", what);
	case LIBSSH2_ERROR_TIMEOUT:
		return sess_fail_as(s, ERR_STALL, "timed out during %s", what);
	default:
		return sess_fail(s, "%s failed: %s", what, sess_ssh_msg(s));
	}
}

/*
 * Wait for input, unless libssh2 already holds some for the channel (read
 * in while reading the other stream): the socket would never say so, so
 * come back at once, as a yield does.
 */
static enum st_result
sess_wait_input(struct sess *s)
{
	s->want = rexec_pending(&s->rx) ? LOOP_WRITE : LOOP_READ;
	return ST_WAIT;
}

/* libssh2 would block: wait for the directions it names. */
static enum st_result
sess_wait_ssh(struct sess *s)
{
	int dir = rexec_block_directions(&s->rx, s->ssh);

	/* A parked packet only moves when the socket is writable. */
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) {
		s->want = LOOP_WRITE;
		return ST_WAIT;
	}
	return sess_wait_input(s);
}

/* Classify a libssh2 return: 0 → next, EAGAIN → wait, else fail. */
static enum st_result
sess_rc(struct sess *s, int rc, const char *what)
{
	if (rc == 0)
		return ST_NEXT;
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return sess_wait_ssh(s);
	return sess_fail_ssh(s, rc, what);
}

/* How often a host waiting on its jump host's master looks again. */
#define SESS_JUMP_MS	20

/*
 * Before its master starts, a host on ssh behind a jump host asks the
 * engine's tunnel for it: if that goes through ssh, the host's ssh gets
 * a ProxyCommand through the tunnel's master, one bastion login for all;
 * else it keeps its ProxyJump (ssh's own connection to the bastion).
 */
static enum st_result
sess_jump_ssh(struct sess *s)
{
	const char *cmd, *why;
	enum host_err kind;
	int r;

	if (s->tunnels == NULL || conn_jump(s->conn) == NULL) {
		s->jump_asked = 1;
		return ST_NEXT;
	}
	if (s->jchan == NULL)
		s->jchan = tunnels_proxy(s->tunnels, conn_jump(s->conn),
		    s->host->name);
	if ((r = tchan_proxy(s->jchan, &cmd)) == 0)
		return ST_WAIT;		/* sess_retry_ms() looks again */
	if (r == 1)
		hlog(LOG_DEBUG, s->host->name, "ProxyCommand %s", cmd);
	if (r == 1 || r == -2)
		sshlink_set_jump(s->link, conn_jump(s->conn), r == 1 ? cmd :
		    NULL);
	else if (r == -1 && (why = tchan_error(s->jchan, &kind)) != NULL)
		host_fail(s->host, kind, "%s", why);
	tchan_release(s->jchan);
	s->jchan = NULL;
	s->jump_asked = 1;
	return r == -1 ? ST_FAIL : ST_NEXT;
}

/* Log in (conn.c); the connection's failure is already on the host. */
/* Log in over ssh: the host's master (sshlink.c). */
static enum st_result
sess_login_ssh(struct sess *s)
{
	enum st_result r;

	if (!s->jump_asked && (r = sess_jump_ssh(s)) != ST_NEXT)
		return r;
	switch (sshlink_step(s->link)) {
	case 1:
		sess_set_state(s, s->cleanup ? SS_ABORT : SS_RECEIVE);
		return ST_NEXT;
	case 0:
		return ST_WAIT;		/* sess_events() asks the link */
	default:
		return ST_FAIL;
	}
}

static enum st_result
st_login(struct sess *s)
{
	if (s->link != NULL)
		return sess_login_ssh(s);
	switch (conn_step(s->conn)) {
	case CONN_READY:
		s->ssh = conn_ssh(s->conn);
		sess_set_state(s, s->cleanup ? SS_ABORT : SS_RECEIVE);
		return ST_NEXT;
	case CONN_WAIT:
		s->want = conn_events(s->conn);
		return ST_WAIT;
	default:
		/* --transport auto: a server libssh2 cannot talk to. */
		if ((s->link = sshlink_fallback(s->job, s->host, s->conn)))
			return ST_NEXT;
		return ST_FAIL;
	}
}

/*
 * Start this state's script on a new channel: open it, exec the loader,
 * and write the framed script to its stdin.  ST_NEXT once all is written.
 */
static enum st_result
sess_script_begin(struct sess *s, char *(*build)(const struct remote_job *),
    const char *what)
{
	enum st_result r;
	char *script;
	ssize_t n;

	if (!s->script_started) {
		s->script_started = 1;
		rexec_release(&s->rx);
		free(s->frame);
		script = build(&s->rjob);
		s->frame = remote_frame(script, &s->frame_len);
		s->frame_pos = 0;
		free(script);
		rexec_init(&s->rx, s->job->sudo ? remote_sudo_cmd :
		    remote_exec_cmd, s->link);
	}
	if ((r = sess_rc(s, rexec_start(&s->rx, s->ssh), what)) != ST_NEXT)
		return r;
	while (s->frame_pos < s->frame_len) {
		n = rexec_write(&s->rx, s->frame + s->frame_pos,
		    s->frame_len - s->frame_pos);
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
			return sess_wait_ssh(s);
		if (n < 0)
			return sess_fail_ssh(s, (int)n, what);
		s->frame_pos += (size_t)n;
	}
	return ST_NEXT;
}

/*
 * Read the running script's output until it says "fanscp-ready what"
 * (*ready = 1) or ends (*ready = 0: finishing it says why).
 */
static enum st_result
sess_await_ready(struct sess *s, const char *what, int *ready)
{
	int r;

	if ((r = rexec_drain(&s->rx)) < 0)
		return sess_fail_ssh(s, r, what);
	*ready = remote_check_ready(s->rx.out, s->rx.outlen, what) == 0;
	s->ours_seen |= *ready;
	if (*ready || r == 1)
		return ST_NEXT;
	return sess_wait_input(s);
}

/* The last lines of text, cleaned for a terminal, into buf. */
static void
sess_text_tail(const char *p, size_t n, char *buf, size_t len)
{
	const char *end = p + n, *nl;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	/* The last few lines at most: noise comes first, reasons last. */
	if (end - p > 300) {
		p = end - 300;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
			p = nl + 1;
	}
	fmt_clean(buf, len, p, (size_t)(end - p));
}

/*
 * The end of a script's stderr, where it says why it failed, cleaned for
 * a terminal.  Our scripts' own messages stand alone; anything else (a
 * shell's "Killed") is put in context with the script and its status.
 */
static void
sess_stderr_tail(const struct rexec *rx, char *buf, size_t len,
    const char *what)
{
	size_t o = 0;

	if (what != NULL)
		o = (size_t)snprintf(buf, len, "remote %s failed (status %d): ",
		    what, rx->exit_status);
	if (o < len)
		sess_text_tail(rx->err, rx->errlen, buf + o, len - o);
}

/*
 * Under --sudo, a script that sudo would not run: sudo's own reason ("sudo:
 * a password is required"), or that the host has no sudo.  Else NULL.
 */
static const char *
sess_sudo_error(const struct rexec *rx, char *buf, size_t len)
{
	const char *end = rx->err + rx->errlen, *line;
	char tail[256];

	/* sudo's reason is its last line; sshd's notes may come before. */
	while (end > rx->err && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (line = end; line > rx->err && line[-1] != '\n'; line--)
		;
	if (rx->exit_status == 1 && end - line > 6 &&
	    strncmp(line, "sudo: ", 6) == 0) {
		fmt_clean(buf, len, line, (size_t)(end - line));
		return buf;
	}
	sess_stderr_tail(rx, tail, sizeof(tail), NULL);
	if (rx->exit_status == 127 && strstr(tail, "sudo") != NULL &&
	    strstr(tail, "not found") != NULL) {
		snprintf(buf, len, "--sudo: no sudo on the host (%s)", tail);
		return buf;
	}
	return NULL;
}

/* Turn a finished script's status and output into a message, or NULL. */
static const char *
sess_script_error(struct sess *s, const char *what, char *buf, size_t len)
{
	const struct rexec *rx = &s->rx;
	const char *meaning;

	if (rx->signal[0] != '\0') {
		snprintf(buf, len, "remote %s killed by signal %s", what,
		    rx->signal);
		return buf;
	}
	if (rx->exit_status == 0 && remote_check_ok(rx->out, rx->outlen,
	    what, s->rjob.size) == 0)
		return NULL;
	if (s->job->sudo && sess_sudo_error(rx, buf, len) != NULL)
		return buf;
	meaning = remote_exit_str(rx->exit_status);
	if (rx->errlen > 0) {
		sess_stderr_tail(rx, buf, len, meaning != NULL ? NULL : what);
		return buf;
	}
	if (rx->exit_status != 0 && meaning == NULL && !s->ours_seen)
		/*
		 * Our loader says on stderr why it fails; this said nothing
		 * there (sftp-server answers its own protocol on stdout).
		 */
		snprintf(buf, len, "%s (status %d)", REMOTE_NOT_OURS,
		    rx->exit_status);
	else if (rx->exit_status == 0)
		snprintf(buf, len, "remote %s ended without confirming", what);
	else if (meaning != NULL)
		snprintf(buf, len, "%s", meaning);
	else
		snprintf(buf, len, "remote %s exited with status %d", what,
		    rx->exit_status);
	return buf;
}

/* -v: the tail of the command's stdout, a line at a time. */
static void
sess_cmd_stdout(struct sess *s, const char *p, size_t len)
{
	char line[256];
	const char *nl;

	while (len > 0 && log_level() >= LOG_VERBOSE) {
		nl = memchr(p, '\n', len);
		fmt_clean(line, sizeof(line), p, nl ? (size_t)(nl - p) : len);
		hlog(LOG_VERBOSE, s->host->name, "stdout: %s", line);
		if (nl == NULL)
			break;
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
}

/*
 * The end of the script that ran the user's command (the step what):
 * its exit status and the tail of its stderr are the host's result.
 * Without the result line, the script failed before the command ran (its
 * own message), or lost it (unknown, when the command may have had data).
 */
static enum st_result
sess_cmd_end(struct sess *s, const char *what)
{
	const struct rexec *rx = &s->rx;
	char msg[512], why[256];
	const char *tail;
	size_t taillen;
	uint64_t size;
	int status;

	if (rx->signal[0] != '\0' || remote_exec_result(rx->out, rx->outlen,
	    &status, &tail, &taillen) != 0) {
		if (sess_script_error(s, what, msg, sizeof(msg)) == NULL)
			snprintf(msg, sizeof(msg), "remote %s ended without "
			    "saying how the command ended", what);
		return sess_fail(s, "%s", msg);
	}
	sess_cmd_stdout(s, tail, taillen);
	/* A stream that changed under the command: it read a mix. */
	if (s->fed && source_changed(s->job->src, why, sizeof(why)))
		return sess_fail_as(s, ERR_SOURCE, "%s while it was sent", why);
	s->fed = 0;
	s->go_pending = 0;
	s->send_go = 0;
	if (status != 0) {
		/* Its own stderr, not what an rc file said before it. */
		remote_exec_stderr(rx->err, rx->errlen, &tail, &taillen);
		if (taillen == 0)
			return sess_fail_as(s, ERR_COMMAND, "remote command "
			    "failed (status %d)", status);
		sess_text_tail(tail, taillen, msg, sizeof(msg));
		return sess_fail_as(s, ERR_COMMAND, "remote command failed "
		    "(status %d): %s", status, msg);
	}
	if (s->st == SS_EXIT && (!source_size(s->job->src, &size) ||
	    s->off < size))
		hlog(LOG_VERBOSE, s->host->name, "the command ended before "
		    "reading all the data");
	host_set_status(s->host, HOST_DONE);
	sess_set_state(s, SS_CLOSE);
	return ST_NEXT;
}

/*
 * A keep receive offers the temp file it found ("fanscp-have N HASH"):
 * resume after its N bytes if they are the source's first N, else start
 * over.  The answer is decided once, and written whole.
 */
static enum st_result
sess_answer_offer(struct sess *s, uint64_t have, const char *hash)
{
	char mine[65], err[256];
	uint64_t from = 0;
	ssize_t n;

	if (s->from_len == 0) {
		if (hash[0] == '\0')
			hlog(LOG_VERBOSE, s->host->name, "no SHA-256 tool to "
			    "check the %llu bytes there: starting over",
			    (unsigned long long)have);
		else if (source_prefix_sha256(s->job->src, have, mine, err,
		    sizeof(err)) != 0)
			return sess_fail_as(s, ERR_SOURCE, "%s", err);
		else if (strcmp(mine, hash) == 0)
			from = have;
		else
			hlog(LOG_VERBOSE, s->host->name, "the %llu bytes there "
			    "differ from the source's: starting over",
			    (unsigned long long)have);
		if (from > 0)
			hlog(LOG_VERBOSE, s->host->name, "resuming after %llu "
			    "bytes", (unsigned long long)from);
		s->from_len = (size_t)snprintf(s->from, sizeof(s->from),
		    "from %llu\n", (unsigned long long)from);
		s->off = from;
		host_set_bytes(s->host, from);
	}
	while (s->from_pos < s->from_len) {
		n = rexec_write(&s->rx, s->from + s->from_pos,
		    s->from_len - s->from_pos);
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
			return sess_wait_ssh(s);
		if (n < 0)
			return sess_fail_ssh(s, (int)n, "resuming");
		s->from_pos += (size_t)n;
	}
	return sess_wait_input(s);
}


/*
 * --relay: what this host's parent needs to reach it, as fanscp reached
 * it: its address (also the from= of its own line for its children), the
 * user, the port, and its host key, which fanscp has verified.  A host
 * reached through a jump host or the ssh transport is not relayed.
 */
static int
sess_relay_facts(struct sess *s, struct relay_node *n)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const unsigned char *blob;
	const char *banner, *v;
	unsigned char b64[900];
	size_t len, tl, i;
	int type, major, minor;

	if (s->ssh == NULL || conn_jump(s->conn) != NULL ||
	    getpeername(conn_fd(s->conn), (struct sockaddr *)&ss, &sl) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    getnameinfo((struct sockaddr *)&ss, sl, n->addr, sizeof(n->addr),
	    NULL, 0, NI_NUMERICHOST) != 0)
		return -1;
	snprintf(n->host, sizeof(n->host), "%s", n->addr);
	if (conn_login(s->conn) == NULL || strlen(conn_login(s->conn)) >=
	    sizeof(n->user))
		return -1;
	snprintf(n->user, sizeof(n->user), "%s", conn_login(s->conn));
	for (i = 0; n->user[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", n->user[i]) == NULL)
			return -1;
	n->port = s->host->port;
	blob = (const unsigned char *)libssh2_session_hostkey(s->ssh, &len,
	    &type);
	if (blob == NULL || len < 4 || len > 600)
		return -1;
	tl = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 |
	    (size_t)blob[2] << 8 | blob[3];
	if (tl == 0 || tl > 64 || 4 + tl > len)
		return -1;
	for (i = 0; i < tl; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-@.",
		    blob[4 + i]) == NULL)
			return -1;
	EVP_EncodeBlock(b64, blob, (int)len);
	snprintf(n->hostkey, sizeof(n->hostkey), "%.*s %s", (int)tl,
	    (const char *)blob + 4, (const char *)b64);
	/* expiry-time= is OpenSSH 8.2's: an older sshd refuses the line. */
	banner = libssh2_session_banner_get(s->ssh);
	n->expiry = 0;
	if (banner != NULL && (v = strstr(banner, "OpenSSH_")) != NULL &&
	    sscanf(v + 8, "%d.%d", &major, &minor) == 2)
		n->expiry = major > 8 || (major == 8 && minor >= 2);
	n->live = 1;
	return 0;
}

/* Write the pending set-up answer; ST_NEXT once it is all out. */
static enum st_result
sess_relay_reply(struct sess *s)
{
	ssize_t w;

	while (s->reply != NULL && s->reply_pos < s->reply_len) {
		w = rexec_write(&s->rx, s->reply + s->reply_pos,
		    s->reply_len - s->reply_pos);
		if (w == LIBSSH2_ERROR_EAGAIN || w == 0)
			return sess_wait_ssh(s);
		if (w < 0)
			return sess_fail_ssh(s, (int)w, "setting up the relay");
		s->reply_pos += (size_t)w;
	}
	free(s->reply);
	s->reply = NULL;
	return ST_NEXT;
}

static void
sess_relay_answer(struct sess *s, char *line)
{
	free(s->reply);
	s->reply = line;
	s->reply_len = strlen(line);
	s->reply_pos = 0;
	s->relay_phase++;
}

/* Another host's session must move first: look again shortly. */
static enum st_result
sess_relay_wait(struct sess *s)
{
	s->relay_poll = 1;
	return sess_wait_input(s);
}

/*
 * The receive's set-up lines under --relay (relay.h), each answered once
 * what it needs is known: the parent's key, whether the parent takes
 * this host, and which of its children take its stream.  ST_NEXT when
 * the set-up is done and the receive goes on to "ready".
 */
static enum st_result
sess_relay_talk(struct sess *s)
{
	struct relay *r = s->job->relay;
	struct relay_node *n = &r->n[s->relay_i];
	const char *p;
	char buf[600], *line;
	enum st_result res;
	size_t len;
	int k;

	s->relay_poll = 0;
	if ((res = sess_relay_reply(s)) != ST_NEXT)
		return res;
	switch (s->relay_phase) {
	case 0:
		if (remote_last_line(s->rx.out, s->rx.outlen,
		    "fanscp-relay-key ", &p, &len) != 0)
			return sess_wait_input(s);
		fmt_clean(buf, sizeof(buf), p, len);
		s->relay_keymade = buf[0] != '-';
		n->key[0] = '\0';
		if (s->relay_keymade && strlen(buf) < sizeof(n->key) &&
		    (r->existing ? strcmp(buf, "existing") == 0 :
		    relay_key_ok(buf)))
			memcpy(n->key, buf, strlen(buf) + 1);
		else if (s->relay_keymade)
			hlog(LOG_VERBOSE, s->host->name, "relay: its key is "
			    "not one fanscp passes on; it feeds no host");
		else if (n->nkids > 0)
			hlog(LOG_VERBOSE, s->host->name, "relay: it feeds no "
			    "host: %s", buf[1] == ' ' ? buf + 2 : buf);
		n->key_at = s->now;
		n->keyed = 1;
		s->relay_phase = 1;
		/* FALLTHROUGH */
	case 1:
		if ((line = relay_in_line(r, s->relay_i, s->now)) == NULL)
			return sess_relay_wait(s);
		sess_relay_answer(s, line);
		return sess_relay_talk(s);
	case 2:
		if (remote_last_line(s->rx.out, s->rx.outlen,
		    "fanscp-relay-in ", &p, &len) != 0)
			return sess_wait_input(s);
		fmt_clean(buf, sizeof(buf), p, len);
		if (strncmp(buf, "ok /", 4) == 0 && relay_path_ok(buf + 3,
		    sizeof(n->w)))
			relay_set_in(r, s->relay_i, 1, buf + 3);
		else if (strncmp(buf, "ok ", 3) == 0) {
			relay_set_in(r, s->relay_i, 0, NULL);
			hlog(LOG_VERBOSE, s->host->name, "relay: fanscp sends "
			    "it the data: its work directory is not a path "
			    "fanscp passes on");
		} else if (strcmp(buf, "-") != 0) {
			relay_set_in(r, s->relay_i, 0, NULL);
			hlog(LOG_VERBOSE, s->host->name, "relay: fanscp sends "
			    "it the data: %s", strncmp(buf, "off ", 4) == 0 ?
			    buf + 4 : buf);
		}
		s->relay_phase = 3;
		/* FALLTHROUGH */
	case 3:
		if ((k = relay_feed(r, s->relay_i)) < 0)
			return sess_relay_wait(s);
		s->relay_fed = k;
		if (k)
			hlog(LOG_DEBUG, s->host->name, "relay: fed by %s",
			    r->hosts[n->parent].name);
		sess_relay_answer(s, xstrdup(k ? "feed parent\n" :
		    "feed source\n"));
		if (!s->relay_keymade)
			s->relay_phase = 5;
		return sess_relay_talk(s);
	case 4:
		if ((line = relay_kid_lines(r, s->relay_i, s->now, &k)) ==
		    NULL)
			return sess_relay_wait(s);
		sess_relay_answer(s, line);
		return sess_relay_talk(s);
	default:
		return ST_NEXT;
	}
}

/*
 * A host fed by its parent: fanscp sends nothing unless the stream ends
 * short ("fanscp-relay-short N"), when it answers "from N" and sends the
 * rest itself, on this channel (ST_NEXT: send from N).  A whole stream
 * ("fanscp-relay-done") is answered "keep": the receive knows fanscp is
 * still there to commit it.  The receive's "fanscp-got N" lines are its
 * progress.
 */
static enum st_result
sess_relay_fed(struct sess *s)
{
	const struct relay *r = s->job->relay;
	enum st_result res;
	const char *p;
	char num[24];
	uint64_t have, wire;
	size_t len;
	int rc;

	if (s->reply != NULL) {
		if ((res = sess_relay_reply(s)) != ST_NEXT)
			return res;
		if (s->relay_fed == 3) {
			sess_set_state(s, SS_EOF);
			return ST_NEXT;
		}
		s->relay_fed = 2;
		return ST_NEXT;
	}
	if ((rc = rexec_drain(&s->rx)) < 0)
		return sess_fail_ssh(s, rc, "receiving from another host");
	if (remote_last_line(s->rx.out, s->rx.outlen, "fanscp-got ", &p,
	    &len) == 0 && len < sizeof(num)) {
		memcpy(num, p, len);
		num[len] = '\0';
		if (sscanf(num, "%" SCNu64, &have) == 1 && have <= s->rjob.size)
			host_set_bytes(s->host, have);
	}
	if (rc == 1) {
		sess_set_state(s, SS_EXIT);
		return ST_NEXT;
	}
	if (remote_last_line(s->rx.out, s->rx.outlen, "fanscp-relay-done",
	    &p, &len) == 0 && len == 0) {
		/* Whole: the receive keeps it for the commit. */
		s->relay_fed = 3;
		sess_relay_answer(s, xstrdup("keep\n"));
		return sess_relay_fed(s);
	}
	if (remote_last_line(s->rx.out, s->rx.outlen, "fanscp-relay-short ",
	    &p, &len) != 0 || len >= sizeof(num))
		return sess_wait_input(s);
	memcpy(num, p, len);
	num[len] = '\0';
	/* --compress: it counts the wire, whose size may not be known yet. */
	if (s->job->cz == NULL)
		wire = s->rjob.size;
	else if (!source_size(s->job->wire, &wire))
		wire = UINT64_MAX;
	if (sscanf(num, "%" SCNu64, &have) != 1 || have > wire)
		return sess_fail(s, "relay: the host says it holds %s bytes",
		    num);
	hlog(LOG_VERBOSE, s->host->name, "relay: the stream from %s ended "
	    "after %llu%s bytes; fanscp sends the rest",
	    r->hosts[r->n[s->relay_i].parent].name, (unsigned long long)have,
	    s->job->cz != NULL ? " compressed" : "");
	s->off = have;
	host_set_bytes(s->host, s->job->cz != NULL ?
	    compress_orig(s->job->cz, have) : have);
	sess_relay_answer(s, xasprintf("from %llu\n",
	    (unsigned long long)have));
	return sess_relay_fed(s);
}

/* -v: how each child's ssh ended, where it failed ("fanscp-relay-note"). */
static void
sess_relay_notes(struct sess *s)
{
	const char *p = s->rx.out, *end = s->rx.out + s->rx.outlen, *nl;
	const struct host *kid;
	char line[300];
	int k, off;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if ((size_t)(nl - p) < 18 ||
		    memcmp(p, "fanscp-relay-note ", 18) != 0 ||
		    sscanf(p + 18, "%d %n", &k, &off) != 1)
			continue;
		kid = relay_kid(s->job->relay, s->relay_i, k);
		fmt_clean(line, sizeof(line), p + 18 + off,
		    (size_t)(nl - p - 18 - off));
		hlog(LOG_VERBOSE, s->host->name, "relay: its stream to %s "
		    "failed: %s", kid != NULL ? kid->name : "?", line);
	}
}

static enum st_result
st_receive(struct sess *s)
{
	char err[256], hash[65];
	enum st_result r;
	uint64_t have;
	int ready;

	/* A stream that failed already: nothing is started on the host. */
	if (!s->script_started && source_failed(s->job->src, err, sizeof(err)))
		return sess_fail_as(s, ERR_SOURCE, "%s; not committed", err);
	if (!s->script_started && s->relay_i >= 0 &&
	    sess_relay_facts(s, &s->job->relay->n[s->relay_i]) != 0) {
		hlog(LOG_VERBOSE, s->host->name, "relay: not relayed (a jump "
		    "host, the ssh transport, or a name a hop cannot carry)");
		relay_leave(s->job->relay, s->relay_i);
		s->relay_i = -1;
		s->rjob.relay = 0;
	}
	/* Decided once, with the relay: one channel where it can be. */
	if (!s->script_started)
		s->rjob.joined = remote_can_join(&s->rjob);
	r = sess_script_begin(s, remote_receive_cmd,
	    "starting the remote receiver");
	if (r != ST_NEXT)
		return r;
	r = sess_await_ready(s, "receive", &ready);
	if (r == ST_WAIT && s->rjob.keep && s->relay_phase == 0 &&
	    remote_check_have(s->rx.out, s->rx.outlen, &have, hash) == 0) {
		/* Resumed: its own data, from fanscp. */
		if (s->relay_i >= 0 && s->from_len == 0)
			relay_leave(s->job->relay, s->relay_i);
		return sess_answer_offer(s, have, hash);
	}
	if (r == ST_WAIT && s->relay_i >= 0 && !ready) {
		if ((r = sess_relay_talk(s)) == ST_NEXT)
			r = sess_await_ready(s, "receive", &ready);
		if (r != ST_NEXT)
			return r;
	}
	if (r == ST_NEXT) {
		/* Refused before any data: finishing the script says why. */
		s->ready_seen = ready;
		sess_set_state(s, ready ? SS_SEND : SS_EXIT);
	}
	return r;
}

/* The channel would block mid-send; see libssh2.md §2.5. */
static enum st_result
sess_send_blocked(struct sess *s)
{
	int dir = rexec_block_directions(&s->rx, s->ssh), r;

	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) {
		s->want = LOOP_WRITE;
		return ST_WAIT;
	}
	/*
	 * No packet is parked, so reading is safe: the window is shut.  If
	 * the remote receiver has ended early (disk full, killed), sshd will
	 * never open it again, so find out now.
	 */
	if ((r = rexec_drain(&s->rx)) < 0)
		return sess_fail_ssh(s, r, "sending");
	if (r == 1) {
		sess_set_state(s, SS_EXIT);
		return ST_NEXT;
	}
	/*
	 * The reads may have taken in the window adjust we were to wait
	 * for; then nothing more will come on the socket: write now.
	 */
	if (rexec_window_open(&s->rx))
		return ST_NEXT;
	return sess_wait_input(s);
}

/*
 * This host has caught up with a stream: wait for the source to say it
 * grew (the engine watches its descriptor), and for input meanwhile, which
 * must be read: a window adjust, or a receiver that ended early.  Waiting
 * for the producer is not a stall of this host (sess_check_timeout).
 */
static enum st_result
sess_wait_source(struct sess *s)
{
	int r;

	if ((r = rexec_drain(&s->rx)) < 0)
		return sess_fail_ssh(s, r, "sending");
	if (r == 1) {
		sess_set_state(s, SS_EXIT);
		return ST_NEXT;
	}
	s->src_wait = 1;
	sess_progressed(s);
	return sess_wait_input(s);
}

/*
 * A stream's receive cannot tell a short stream from a whole one, so it
 * keeps what it got, and a keep receive keeps a short file to resume it:
 * when the host fails mid-data with the session alive, end the receive
 * and remove its temp file (st_exit, ABORT).  The host's error is noted
 * already.
 */
static enum st_result
sess_abandon(struct sess *s)
{
	if (!s->rjob.size_unknown && !s->rjob.keep)
		return ST_FAIL;
	s->abandon = 1;
	sess_set_state(s, SS_EOF);
	return ST_NEXT;
}

/*
 * Refill the buffer from the source at this host's offset; *end is set
 * at the source's end.  ST_WAIT when a stream has nothing more yet.
 */
static enum st_result
sess_fill(struct sess *s, int *end)
{
	char err[256];
	ssize_t n;

	n = source_reader_read(s->rd, s->off, s->buf, SESS_TURN_BYTES, err,
	    sizeof(err));
	if (n == SOURCE_AGAIN)
		return sess_wait_source(s);
	if (n < 0) {
		sess_fail_as(s, ERR_SOURCE, "%s; not committed", err);
		return sess_abandon(s);
	}
	*end = n == 0;
	s->buf_len = (size_t)n;
	s->buf_pos = 0;
	return ST_NEXT;
}

/*
 * Everything is sent: the size, and a stream's SHA-256, are final now, and
 * what the commit checks.
 */
static enum st_result
sess_sent_all(struct sess *s)
{
	const struct source *src = s->job->src;
	uint64_t size, sent = s->off;
	char err[512];

	/* --compress: s->off counts the wire; the host checks the original. */
	if (s->job->cz != NULL && compress_done(s->job->cz, s->off, &sent,
	    err, sizeof(err)) != 0)
		return sess_fail_as(s, ERR_SOURCE, "%s", err);
	if (!source_size(src, &size) || size != sent)
		return sess_fail_as(s, ERR_SOURCE, "source ended after %llu "
		    "bytes, unexpectedly", (unsigned long long)sent);
	host_set_bytes(s->host, sent);
	s->rjob.size = size;
	s->rjob.size_unknown = 0;
	if (s->job->verify && (s->rjob.sha256 = source_sha256(src)) == NULL)
		return sess_fail_as(s, ERR_SOURCE, "no SHA-256 of the source "
		    "to verify with");
	return ST_NEXT;
}

/*
 * After a stream's last byte, its seal (remote.h), which tells the receive
 * that nothing was cut off.  The seal is not counted as data.
 */
static enum st_result
sess_send_seal(struct sess *s)
{
	ssize_t n;

	if (s->seal_pos == 0 && s->seal[0] == '\0') {
		remote_seal(&s->rjob, s->rjob.size, s->seal);
		/* --compress: a member of its own, which -dc appends. */
		if (s->job->cz != NULL && (s->seal_len = compress_member(
		    compress_kind(s->job->cz), s->seal, REMOTE_SEAL_LEN)) == 0)
			return sess_fail_as(s, ERR_SOURCE, "--compress: "
			    "cannot compress the seal");
	}
	while (s->seal_pos < s->seal_len) {
		n = rexec_write(&s->rx, s->seal + s->seal_pos,
		    s->seal_len - s->seal_pos);
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
			return sess_send_blocked(s);
		if (n < 0)
			return sess_fail_ssh(s, (int)n, "sending");
		s->seal_pos += (size_t)n;
	}
	return ST_NEXT;
}

/*
 * What the rate limits (-l, --host-limit) let this turn offer from the
 * buffer, or 0: wait until s->grant_at.  The host's own bucket is asked
 * first, the job's once the host's grant is due, so that a host held back
 * by its own limit holds none of the shared one.  A grant never exceeds
 * the buffer, so it is spent by the time the buffer is; a write that met
 * EAGAIN is repeated whole, as libssh2 requires.
 */
static size_t
sess_allowance(struct sess *s)
{
	size_t avail = s->buf_len - s->buf_pos, q;
	int64_t wait = 0;

	if (s->wlen > 0)
		return s->wlen;
	if (s->job->limit == NULL && s->host_limit == NULL)
		return avail;
	if (s->grant == 0) {
		s->grant = avail;
		if (s->host_limit != NULL)
			s->grant = ratelimit_reserve(s->host_limit, s->now,
			    avail, &wait);
		s->grant_at = s->now + wait;
		s->grant_total = s->job->limit == NULL;
	}
	if (s->now < s->grant_at)
		return 0;
	if (!s->grant_total) {
		q = ratelimit_reserve(s->job->limit, s->now, s->grant, &wait);
		if (s->host_limit != NULL)
			ratelimit_unreserve(s->host_limit, s->grant - q);
		s->grant = q;
		s->grant_at = s->now + wait;
		s->grant_total = 1;
		if (wait > 0)
			return 0;
	}
	return s->grant < avail ? s->grant : avail;
}

/*
 * Wait for the limits, on a timer (sess_retry_ms()) and not on the
 * socket, which would only say it is writable.  That wait is no stall of
 * the host.
 */
static enum st_result
sess_throttle(struct sess *s)
{
	s->throttled = 1;
	s->want = 0;
	s->deadline = s->grant_at + 1000 * (int64_t)s->job->stall_timeout;
	return ST_WAIT;
}

static enum st_result
st_send(struct sess *s)
{
	size_t budget = SESS_TURN_BYTES, len;
	enum st_result r;
	ssize_t n;
	int end = 0;

	s->src_wait = 0;
	s->throttled = 0;
	if ((s->relay_fed == 1 || s->relay_fed == 3) &&
	    (r = sess_relay_fed(s)) != ST_NEXT)
		return r;
	for (;;) {
		if (s->pausing && s->buf_pos == s->buf_len &&
		    !(s->rjob.joined && s->off == s->rjob.size)) {
			/* A probe that has seen enough: the data ends here. */
			sess_set_state(s, SS_EOF);
			return ST_NEXT;
		}
		if (s->buf_pos == s->buf_len) {
			r = sess_fill(s, &end);
			if (r != ST_NEXT || s->st != SS_SEND)
				return r;
			if (end)
				break;
		}
		if ((len = sess_allowance(s)) == 0)
			return sess_throttle(s);
		n = rexec_write(&s->rx, (char *)s->buf + s->buf_pos, len);
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
			s->wlen = len;
			return sess_send_blocked(s);
		}
		if (n < 0)
			return sess_fail_ssh(s, (int)n, "sending");
		s->wlen = 0;
		s->grant -= (size_t)n < s->grant ? (size_t)n : s->grant;
		s->buf_pos += (size_t)n;
		s->off += (uint64_t)n;
		/* From its first byte on, the command may act on the data. */
		s->fed = remote_runs_cmd(&s->rjob, "receive");
		host_set_bytes(s->host, s->job->cz != NULL ?
		    compress_orig(s->job->cz, s->off) : s->off);
		s->deadline = s->now + 1000 * (int64_t)s->job->stall_timeout;
		if ((size_t)n >= budget) {
			/* Let the others have a turn; come back when writable. */
			s->want = LOOP_WRITE;
			return ST_WAIT;
		}
		budget -= (size_t)n;
	}
	if (s->interrupted)
		return sess_fail_as(s, ERR_INTERRUPTED, "interrupted");
	if (sess_sent_all(s) == ST_FAIL)
		return ST_FAIL;
	if (s->seal_len > 0 && (r = sess_send_seal(s)) != ST_NEXT)
		return r;
	/* Joined: no end of input; the same script goes on to commit. */
	sess_set_state(s, s->rjob.joined ? SS_COMMIT : SS_EOF);
	return ST_NEXT;
}

static enum st_result
st_eof(struct sess *s)
{
	enum st_result r = sess_rc(s, rexec_send_eof(&s->rx),
	    "finishing the upload");

	if (r == ST_NEXT)
		sess_set_state(s, SS_EXIT);
	return r;
}

static enum st_result
st_exit(struct sess *s)
{
	char msg[512], why[256];
	enum st_result r;
	uint64_t have;

	r = sess_rc(s, rexec_finish(&s->rx, s->ssh), "finishing the upload");
	if (r != ST_NEXT)
		return r;
	if (s->abandon) {
		s->received = 1;	/* for the ABORT */
		return ST_FAIL;
	}
	if (remote_runs_cmd(&s->rjob, "receive"))
		return sess_cmd_end(s, "receive");
	if (s->rjob.if_changed && !s->ready_seen && s->rx.exit_status == 0 &&
	    remote_check_ok(s->rx.out, s->rx.outlen, "unchanged", 0) == 0) {
		/* --if-changed: it holds these bytes; nothing was sent. */
		s->host->unchanged = 1;
		/* Under --all-or-nothing, as good as ready: none waits on it. */
		if (s->job->all_or_nothing && s->job->tally != NULL)
			__atomic_add_fetch(&s->job->tally->ready, 1,
			    __ATOMIC_ACQ_REL);
		host_set_status(s->host, HOST_DONE);
		sess_set_state(s, SS_CLOSE);
		return ST_NEXT;
	}
	if (s->relay_i >= 0)
		sess_relay_notes(s);
	if (s->rjob.keep && s->rx.exit_status == REMOTE_EXIT_PART &&
	    remote_check_part(s->rx.out, s->rx.outlen, &have) == 0) {
		if (s->pausing && !s->interrupted) {
			/* Paused: the host is queued again, its file kept. */
			s->paused = 1;
			s->off = have;
			host_set_bytes(s->host, have);
			host_set_status(s->host, HOST_QUEUED);
			sess_set_state(s, SS_CLOSE);
			return ST_NEXT;
		}
		/* Kept, but the host has failed: remove it (ABORT). */
		s->received = 1;
	}
	if (sess_script_error(s, "receive", msg, sizeof(msg)) != NULL)
		return sess_fail(s, "%s", msg);
	s->received = 1;
	if (s->relay_fed == 3)
		host_set_bytes(s->host, s->rjob.size);
	if (s->interrupted)
		return sess_fail_as(s, ERR_INTERRUPTED, "interrupted");
	if (source_changed(s->job->src, why, sizeof(why)))
		return sess_fail_as(s, ERR_SOURCE, "%s; %s", why,
		    remote_runs_cmd(&s->rjob, "commit") ?
		    "the command was not run" : "not committed");
	if (!remote_has_commit(&s->rjob)) {
		/* The receive was the whole job. */
		s->received = 0;
		host_set_status(s->host, HOST_DONE);
		sess_set_state(s, SS_CLOSE);
		return ST_NEXT;
	}
	sess_set_state(s, SS_COMMIT);
	return ST_NEXT;
}

static enum st_result
st_commit(struct sess *s)
{
	enum st_result r;
	int ready;

	/* From here on the commit script owns the temp file's fate. */
	s->received = 0;
	r = s->rjob.joined ? ST_NEXT :
	    sess_script_begin(s, remote_commit_cmd, "committing");
	if (r == ST_NEXT)
		r = sess_await_ready(s, "commit", &ready);
	if (r == ST_NEXT) {
		/*
		 * Joined, the receive's end was not seen apart: a source
		 * that changed while it was sent is found here, and its
		 * commit is not let go (st_go).
		 */
		s->commit_ready = ready;
		if (ready && s->rjob.joined && source_changed(s->job->src,
		    s->changed, sizeof(s->changed)))
			ready = 0;
		/* Decided once: a write that met EAGAIN must be repeated. */
		s->send_go = ready && !s->interrupted;
		sess_set_state(s, SS_GO);
	}
	return r;
}

/* A commit that ran --then: its result, kept apart from the copy's. */
static void
sess_then(struct sess *s)
{
	const struct rexec *rx = &s->rx;
	const char *tail;
	size_t taillen;
	int status;

	if (s->rjob.then == NULL || remote_then_result(rx->out, rx->outlen,
	    rx->err, rx->errlen, &status, &tail, &taillen) != 0)
		return;
	s->host->then_ran = 1;
	s->host->then_status = status;
	sess_text_tail(tail, taillen, s->host->then_out,
	    sizeof(s->host->then_out));
	if (status != 0)
		hlog(LOG_VERBOSE, s->host->name, "--then failed (status %d)",
		    status);
}

/*
 * --all-or-nothing: a host ready to commit is counted, and holds its
 * go-ahead until every host of the run is ready (then it goes, ST_NEXT),
 * or any has ended not done (then none goes: its script removes the temp
 * file).  It looks again on a timer; the wait is no stall.
 */
#define SESS_HOLD_MS	20

static enum st_result
sess_hold(struct sess *s)
{
	struct job_tally *t = s->job->tally;

	if (!s->counted) {
		s->counted = 1;
		__atomic_add_fetch(&t->ready, 1, __ATOMIC_ACQ_REL);
	}
	if (s->interrupted || __atomic_load_n(&t->failed, __ATOMIC_ACQUIRE) > 0) {
		s->held = 0;
		s->send_go = 0;
		s->withheld = !s->interrupted;
		return ST_NEXT;
	}
	if (__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE) < t->total) {
		if (!s->held)
			hlog(LOG_VERBOSE, s->host->name, "verified; holding "
			    "the go-ahead for the other hosts "
			    "(--all-or-nothing)");
		s->held = 1;
		s->want = 0;
		sess_progressed(s);
		return ST_WAIT;
	}
	s->held = 0;
	return ST_NEXT;
}

/*
 * After "ready", the go-ahead, unless fanscp is stopping: without it the
 * script removes its temp file.  From the moment the go-ahead is out
 * until the script's answer is read, a lost answer leaves the outcome
 * unknown.
 */
static enum st_result
st_go(struct sess *s)
{
	char msg[512];
	enum st_result r;
	ssize_t n;
	/* Joined, a script that ended before "ready" ended receiving. */
	const char *what = s->rjob.joined && !s->commit_ready ? "receive" :
	    "commit";

	if (s->send_go && !s->go_pending && s->job->all_or_nothing &&
	    s->job->tally != NULL && sess_hold(s) == ST_WAIT)
		return ST_WAIT;
	if (s->send_go && !s->go_pending) {
		n = rexec_write(&s->rx, REMOTE_GO, strlen(REMOTE_GO));
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
			return sess_wait_ssh(s);
		if (n < 0)
			return sess_fail_ssh(s, (int)n, "committing");
		/* Three bytes go out whole: libssh2 takes all or nothing. */
		s->go_pending = 1;
	}
	r = sess_rc(s, rexec_finish(&s->rx, s->ssh), "committing");
	if (r != ST_NEXT)
		return r;
	if (s->go_pending && remote_runs_cmd(&s->rjob, "commit"))
		return sess_cmd_end(s, "commit");
	s->go_pending = 0;
	s->send_go = 0;
	if (sess_script_error(s, what, msg, sizeof(msg)) != NULL) {
		if (s->interrupted && s->rx.exit_status == REMOTE_EXIT_NOGO)
			return sess_fail_as(s, ERR_INTERRUPTED, "interrupted");
		if (s->changed[0] != '\0' &&
		    s->rx.exit_status == REMOTE_EXIT_NOGO)
			return sess_fail_as(s, ERR_SOURCE, "%s; not committed",
			    s->changed);
		if (s->withheld && s->rx.exit_status == REMOTE_EXIT_NOGO)
			return sess_fail_as(s, ERR_SKIPPED, "verified, but not "
			    "committed: another host failed (--all-or-nothing)");
		if (s->rx.exit_status == REMOTE_EXIT_HASH &&
		    source_changed(s->job->src, msg, sizeof(msg)))
			return sess_fail_as(s, ERR_SOURCE, "SHA-256 mismatch: "
			    "%s; not committed", msg);
		if (s->rx.exit_status == REMOTE_EXIT_VALIDATE)
			return sess_fail_as(s, ERR_VALIDATE, "%s; not "
			    "committed", msg);
		return sess_fail(s, "%s", msg);
	}
	sess_then(s);
	host_set_status(s->host, HOST_DONE);
	sess_set_state(s, SS_CLOSE);
	return ST_NEXT;
}

static enum st_result
st_abort(struct sess *s)
{
	enum st_result r;

	r = sess_script_begin(s, remote_abort_cmd, "removing the temp file");
	if (r == ST_NEXT)
		r = sess_rc(s, rexec_finish(&s->rx, s->ssh),
		    "removing the temp file");
	if (r == ST_WAIT)
		return ST_WAIT;
	sess_set_state(s, SS_CLOSE);
	return ST_NEXT;
}

static enum st_result
st_close(struct sess *s)
{
	int rc;

	rexec_release(&s->rx);
	if (s->link != NULL && !sshlink_close(s->link))
		return ST_WAIT;		/* its exit, on a timer */
	rc = s->link != NULL ? 0 :
	    libssh2_session_disconnect(s->ssh, "fanscp done");
	if (rc == LIBSSH2_ERROR_EAGAIN && ++s->close_tries < 50)
		return sess_wait_ssh(s);
	sess_set_state(s, s->host->status == HOST_DONE || s->paused ?
	    SS_DONE : SS_FAILED);
	return ST_NEXT;
}

static st_handler *const handlers[] = {
	[SS_LOGIN] = st_login,
	[SS_RECEIVE] = st_receive,
	[SS_SEND] = st_send,
	[SS_EOF] = st_eof,
	[SS_EXIT] = st_exit,
	[SS_COMMIT] = st_commit,
	[SS_GO] = st_go,
	[SS_ABORT] = st_abort,
	[SS_CLOSE] = st_close,
};

/*
 * Drop the connection without a goodbye: shutdown() first, so that
 * libssh2's frees cannot wait on a peer that is gone (libssh2.md §6.3).
 */
static void
sess_teardown(struct sess *s)
{
	conn_shutdown(s->conn);
	rexec_release(&s->rx);
	conn_teardown(s->conn);
	sshlink_kill(s->link);
	s->ssh = NULL;
	s->want = 0;
}

/*
 * After a failure: remove a complete temp file if the session allows.  A
 * host whose go-ahead went out unanswered is unknown, not failed.
 */
static void
sess_after_failure(struct sess *s)
{
	host_set_status(s->host, sess_unknown(s) ? HOST_UNKNOWN :
	    HOST_FAILED);
	if (s->received == 1 && (s->ssh != NULL || s->link != NULL)) {
		sess_set_state(s, SS_ABORT);
		return;
	}
	sess_teardown(s);
	sess_set_state(s, SS_FAILED);
}

int
sess_step(struct sess *s, int64_t now)
{
	enum st_result r;

	s->now = now;
	while (s->st != SS_DONE && s->st != SS_FAILED) {
		r = handlers[s->st](s);
		/* Any word from a remote script (a heartbeat) is progress. */
		if (s->rx.outtotal != s->out_seen) {
			s->out_seen = s->rx.outtotal;
			sess_progressed(s);
		}
		if (r == ST_WAIT)
			return 0;
		if (r == ST_FAIL)
			sess_after_failure(s);
	}
	sess_teardown(s);
	s->host->t_end = now;
	return 1;
}

/* Random hex naming the remote temp file. */
static void
sess_token(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)random();
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++) {
		buf[2 * i] = hex[r[i] >> 4];
		buf[2 * i + 1] = hex[r[i] & 15];
	}
	buf[2 * i] = '\0';
}

/*
 * The scripts run in the home directory, so "~" and "~/x" (which reach
 * them quoted, never expanded) mean "" and "x", as they do to scp.
 */
STATIC const char *
sess_remote_path(const char *path)
{
	if (strcmp(path, "~") == 0)
		return "";
	if (strncmp(path, "~/", 2) == 0)
		return path + 2;
	return path;
}

static void
sess_setup_remote(struct sess *s)
{
	const struct source *src = s->job->src;
	struct remote_job *rj = &s->rjob;
	const char *b = source_basename(src);

	rj->kind = s->job->kind;
	rj->path = sess_remote_path(s->host->t.path);
	/* A stream has no name: the target path must give one. */
	rj->basename = b != NULL ? b : "";
	/* A stream's size and hash are known at its end (sess_sent_all). */
	rj->size_unknown = !source_size(src, &rj->size);
	if (remote_sealed(rj))
		s->seal_len = REMOTE_SEAL_LEN;
	/*
	 * A command fed a stream as it arrives waits for its first byte:
	 * even an empty stream that has ended is not told from a cut one.
	 */
	if (remote_runs_cmd(rj, "receive") && source_is_stream(src))
		rj->size_unknown = 1;
	rj->sha256 = s->job->verify ? source_sha256(src) : NULL;
	source_meta(src, &rj->mode, &rj->mtime, &rj->atime);
	rj->preserve = s->job->preserve;
	/*
	 * A file copy that keeps short temp files names them after the source
	 * and the target, so that the next session finds them; else by a
	 * random token, which a stream's seal needs (remote.h).
	 */
	rj->keep = s->job->keep && rj->kind == REMOTE_FILE &&
	    !source_is_stream(src);
	if (rj->keep) {
		char *tag = xasprintf("%s@%s:%d:%s", s->host->t.user ?
		    s->host->t.user : "", s->host->t.host, s->host->t.port,
		    s->host->t.path);

		source_identity(src, tag, s->token);
		free(tag);
		rj->takeover = s->job->resume;
		rj->run = s->job->run_id;
	} else
		sess_token(s->token, sizeof(s->token));
	rj->token = s->token;
	rj->inplace = s->job->inplace;
	rj->sudo = s->job->sudo;
	rj->cmd = s->job->exec_cmd;
	rj->validate = s->job->validate;
	rj->then = s->job->then;
	rj->chown = s->job->chown;
	rj->has_chmod = s->job->has_chmod;
	rj->chmod = s->job->chmod;
	rj->if_changed = s->job->if_changed;
	s->relay_i = -1;
	/* Every payload with a checked temp file: not --exec-stream. */
	if (s->job->relay != NULL && rj->kind != REMOTE_EXEC_STREAM &&
	    !source_is_stream(src)) {
		struct relay_node *n = relay_node(s->job->relay, s->host);

		/* The first session only; a retry is sent directly. */
		if (n != NULL && s->host->attempts > 1)
			relay_leave(s->job->relay, (int)(n - s->job->relay->n));
		else if (n != NULL && !n->gone) {
			s->relay_i = (int)(n - s->job->relay->n);
			rj->relay = 1;
			rj->relay_fwd = n->nkids > 0;
			rj->relay_existing = s->job->relay->existing;
		}
	}
	rj->names = s->job->names;
	rj->name_dirs = s->job->name_dirs;
	rj->n_names = s->job->n_names;
	rj->unzip = s->job->cz != NULL ?
	    compress_tool(compress_kind(s->job->cz)) : NULL;
}

struct sess *
sess_new(const struct job *job, struct host *host, int64_t now)
{
	struct sess *s = xcalloc(1, sizeof(*s));

	s->relay_i = -1;
	s->job = job;
	s->host = host;
	/* Made for every host started, even one that fails at once. */
	s->rd = source_reader_new(job->wire != NULL ? job->wire : job->src);
	s->now = now;
	s->st = SS_LOGIN;
	host_set_status(host, HOST_ACTIVE);
	if (host->attempts++ == 0)
		host->t_start = now;
	s->conn = conn_new(job, host);
	if (host_has_error(host)) {
		/* Its configuration failed: nothing to connect to. */
		host_set_status(host, HOST_FAILED);
		s->st = SS_FAILED;
		return s;
	}
	s->deadline = now + 1000 * (int64_t)conn_connect_timeout(s->conn);
	s->link = sshlink_choose(job, host, s->conn);
	sess_setup_remote(s);
	s->buf = xmalloc(SESS_TURN_BYTES);
	if (job->host_limit > 0)
		s->host_limit = ratelimit_new(job->host_limit);
	return s;
}

void
sess_use_tunnels(struct sess *s, struct tunnels *t)
{
	s->tunnels = t;
	conn_set_tunnels(s->conn, t);
}

struct sess *
sess_new_cleanup(const struct job *job, struct host *host, int64_t now)
{
	struct sess *s = sess_new(job, host, now);

	host->attempts--;	/* not a try at the copy */
	s->cleanup = 1;
	s->relay_i = -1;
	s->rjob.relay = 0;
	host_set_status(host, HOST_FAILED);
	return s;
}

/* Is it the ssh master that the session waits on (not a step)? */
static int
sess_on_link(const struct sess *s)
{
	return s->link != NULL && (s->st == SS_LOGIN || s->st == SS_CLOSE);
}

int
sess_fd(const struct sess *s)
{
	if (s->link == NULL)
		return conn_fd(s->conn);
	return sess_on_link(s) ? sshlink_fd(s->link) : rexec_fd(&s->rx);
}

int
sess_events(const struct sess *s)
{
	return sess_on_link(s) ? sshlink_events(s->link) : s->want;
}

int
sess_fd_err(const struct sess *s)
{
	if (s->link == NULL)
		return -1;
	return sess_on_link(s) ? sshlink_fd_err(s->link) :
	    rexec_fd_err(&s->rx);
}

int
sess_retry_ms(const struct sess *s)
{
	int64_t ms = s->grant_at - s->now;

	if (s->held)
		return SESS_HOLD_MS;
	if (s->relay_poll)
		return RELAY_POLL_MS;
	if (s->throttled && s->st == SS_SEND)
		return ms < 1 ? 1 : ms > INT_MAX ? INT_MAX : (int)ms;
	if (s->link == NULL)
		return 0;
	if (s->jchan != NULL)
		return SESS_JUMP_MS;
	return sess_on_link(s) ? sshlink_retry_ms(s->link) :
	    rexec_retry_ms(&s->rx);
}

int
sess_logging_in(const struct sess *s)
{
	return s->st == SS_LOGIN;
}

int
sess_unconfirmed(const struct sess *s)
{
	return s->st <= SS_RECEIVE;
}

int
sess_waits_source(const struct sess *s)
{
	return s->src_wait && s->st == SS_SEND;
}

const char *
sess_state_name(const struct sess *s)
{
	return s->st == SS_LOGIN && s->link == NULL ?
	    conn_state_name(s->conn) :
	    sess_names[s->st];
}

int
sess_check_timeout(struct sess *s, int64_t now)
{
	int secs;

	if (s->st == SS_DONE || s->st == SS_FAILED || now < s->deadline)
		return 0;
	if (sess_waits_source(s) || s->held) {
		/* The producer, or the other hosts, are slow, not this host. */
		s->deadline = now + 1000 * (int64_t)s->job->stall_timeout;
		return 0;
	}
	s->now = now;
	if (s->st == SS_LOGIN) {
		secs = (int)((s->deadline - s->host->t_start + 500) / 1000);
		sess_fail_as(s, ERR_TIMEOUT, "timed out after %d s while %s",
		    secs, conn_connecting(s->conn) && s->link == NULL ?
		    "connecting" :
		    "logging in");
	} else {
		char sz[32];

		sess_fail_as(s, ERR_STALL, "stalled for %d s after %s (%s)",
		    s->job->stall_timeout, fmt_size(sz, sizeof(sz), s->off),
		    sess_names[s->st]);
	}
	s->received = 0;	/* the session is in an unknown state */
	sess_after_failure(s);
	s->host->t_end = now;
	return 1;
}

int
sess_interrupt(struct sess *s, int64_t now)
{
	s->interrupted = 1;
	s->now = now;
	/*
	 * A receive that has read all the data is let finish, then aborted;
	 * a go-ahead that is out is let finish.  Elsewhere the remote side
	 * removes its temp file by itself when the connection goes: short
	 * data, or no go-ahead.
	 */
	if ((s->st >= SS_EXIT && s->st != SS_COMMIT) || s->st == SS_DONE ||
	    s->st == SS_FAILED || s->abandon)
		return 0;
	sess_fail_as(s, ERR_INTERRUPTED, "interrupted");
	if (s->st == SS_SEND && sess_abandon(s) == ST_NEXT) {
		/* A stream's temp file: removed before the session ends. */
		s->want = LOOP_WRITE;
		return 0;
	}
	s->received = 0;
	sess_after_failure(s);
	s->host->t_end = now;
	return 1;
}

void
sess_kill(struct sess *s, int64_t now, const char *why)
{
	if (s->st == SS_DONE || s->st == SS_FAILED)
		return;
	sess_fail_as(s, ERR_INTERRUPTED, "%s", why);
	host_set_status(s->host, sess_unknown(s) ? HOST_UNKNOWN :
	    HOST_FAILED);
	s->host->t_end = now;
	sess_teardown(s);
	sess_set_state(s, SS_FAILED);
}

int
sess_pause(struct sess *s)
{
	if (s->st != SS_SEND || !s->rjob.keep || s->interrupted)
		return 0;
	s->pausing = 1;
	return 1;
}

int
sess_paused(const struct sess *s)
{
	return s->paused;
}

int
sess_sending(const struct sess *s)
{
	return s->st == SS_SEND && !s->pausing;
}

uint64_t
sess_have(const struct sess *s)
{
	return s->off;
}

/*
 * A connection that failed or was lost may be tried again; a host that
 * refused (its key, its login, its remote side) would refuse again.  Never
 * once the go-ahead was out, or a command may have had input.
 */
int
sess_retryable(const struct sess *s)
{
	if (s->interrupted || sess_unknown(s) ||
	    host_status(s->host) != HOST_FAILED)
		return 0;
	/* --exec-stream: once the command runs, it has had its one go. */
	if (remote_runs_cmd(&s->rjob, "receive") && s->ready_seen)
		return 0;
	switch (s->host->kind) {
	case ERR_CONNECT:
	case ERR_TIMEOUT:
	case ERR_SSH:
	case ERR_LOST:
	case ERR_STALL:
		return 1;
	default:
		return 0;
	}
}

void
sess_free(struct sess *s)
{
	if (s == NULL)
		return;
	if (s->relay_i >= 0)
		relay_leave(s->job->relay, s->relay_i);
	free(s->reply);
	sess_teardown(s);
	tchan_release(s->jchan);
	conn_free(s->conn);
	sshlink_free(s->link);
	free(s->frame);
	free(s->buf);
	source_reader_free(s->rd);
	/* A grant not sent goes back to the others. */
	if (s->grant_total && s->job->limit != NULL)
		ratelimit_unreserve(s->job->limit, s->grant);
	ratelimit_free(s->host_limit);
	free(s);
}
