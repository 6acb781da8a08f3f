/*
 * One host's session, as a state machine.  Each state has one handler that
 * returns ST_NEXT (it moved on: run the next handler now), ST_WAIT (libssh2
 * or the socket would block: wait for s->want) or ST_FAIL (the host's error
 * is noted).  libssh2's EAGAIN contract is kept by construction: a handler
 * that got EAGAIN is the next code to touch the session, and it repeats the
 * same call with the same arguments.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/rand.h>

#include "auth.h"
#include "fmt.h"
#include "host.h"
#include "job.h"
#include "knownhosts.h"
#include "log.h"
#include "loop.h"
#include "remote.h"
#include "rexec.h"
#include "sess.h"
#include "source.h"
#include "sshconf.h"
#include "unittest.h"
#include "xmalloc.h"

#define SESS_STATES(X)							\
	X(CONNECT)	/* resolve, non-blocking TCP connect */		\
	X(HANDSHAKE)	/* SSH banner and key exchange */		\
	X(HOSTKEY)	/* known_hosts check, before any auth */	\
	X(AUTH)		/* agent, then identity files */		\
	X(RECEIVE)	/* the receive script: checks, then "ready" */	\
	X(SEND)		/* the data, from this host's own offset */	\
	X(EOF)		/* send EOF on the channel */			\
	X(EXIT)		/* read to the end, close, check the status */	\
	X(COMMIT)	/* the commit script: checks, then "ready" */	\
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
	struct hostcfg	 cfg;
	char		*hostname;	/* to connect to and check keys for */
	char		*user;
	int		 port;
	struct addrinfo	*ai;		/* all addresses, and the one tried */
	struct addrinfo	*ai_cur;
	char		 connect_err[128];
	int		 fd;
	int		 want;		/* LOOP_READ and/or LOOP_WRITE */
	LIBSSH2_SESSION	*ssh;
	struct auth	*auth;
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
	struct source_reader *rd;	/* this host's place in the source */
	int		 src_wait;	/* caught up with a stream: waiting */
	int		 abandon;	/* a stream's receive is ended only to
					   remove its temp file */
	int		 received;	/* a complete temp file awaits commit */
	int		 script_started; /* this state's script is running */
	int		 send_go;	/* the commit said "ready", and no stop */
	int		 go_pending;	/* go-ahead sent, answer not yet read */
	uint64_t	 out_seen;	/* rx.outtotal when last looked at */
	int		 interrupted;
	int		 close_tries;
	char		 bye[160];	/* the server's disconnect message */
	int64_t		 deadline;	/* ms on the loop clock */
	int64_t		 now;
};

typedef enum st_result st_handler(struct sess *);

/*
 * What sessions share in the job (the parsed ssh_config, the known_hosts
 * cache and its appends) and the libc calls behind it (getpwuid) are not
 * made for threads: sessions of every engine take this lock around them.
 * They do so only while logging in, for a moment each.
 */
static pthread_mutex_t sess_shared = PTHREAD_MUTEX_INITIALIZER;

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
	if (st > SS_AUTH)
		sess_progressed(s);
}

static enum st_result
sess_fail(struct sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum st_result
sess_fail(struct sess *s, const char *fmt, ...)
{
	char msg[sizeof(s->host->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->go_pending)
		host_fail(s->host, "%s, after the go-ahead: whether '%s' was "
		    "replaced is unknown", msg, s->host->t.path);
	else
		host_fail(s->host, "%s", msg);
	return ST_FAIL;
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

	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
		if (s->bye[0] != '\0')
			return sess_fail(s, "the server disconnected during "
			    "%s after %s: \"%s\"", what,
			    fmt_size(sz, sizeof(sz), s->off), s->bye);
		if (s->st >= SS_SEND)
			return sess_fail(s, "connection lost after %s (%s)",
			    fmt_size(sz, sizeof(sz), s->off), sess_ssh_msg(s));
		return sess_fail(s, "connection closed by remote host "
		    "during %s", what);
	case LIBSSH2_ERROR_TIMEOUT:
		return sess_fail(s, "timed out during %s", what);
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
	int dir = libssh2_session_block_directions(s->ssh);

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

static void
sess_close_fd(struct sess *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Resolve the name once; the address list is walked on failures. */
static enum st_result
sess_resolve(struct sess *s)
{
	struct addrinfo hints;
	char port[16];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = s->job->family ? s->job->family :
	    s->cfg.address_family >= 0 ? s->cfg.address_family : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->port);
	r = getaddrinfo(s->hostname, port, &hints, &s->ai);
	if (r != 0)
		return sess_fail(s, "cannot resolve '%s': %s", s->hostname,
		    gai_strerror(r));
	s->ai_cur = s->ai;
	return ST_NEXT;
}

static void
sess_lower(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Note why the current address failed, and move to the next. */
static void
sess_next_addr(struct sess *s, int err)
{
	char addr[NI_MAXHOST] = "?";

	getnameinfo(s->ai_cur->ai_addr, s->ai_cur->ai_addrlen, addr,
	    sizeof(addr), NULL, 0, NI_NUMERICHOST);
	if (s->connect_err[0] == '\0') {
		sess_lower(s->connect_err, strerror(err),
		    sizeof(s->connect_err));
		snprintf(s->connect_err + strlen(s->connect_err),
		    sizeof(s->connect_err) - strlen(s->connect_err),
		    " (%s port %d)", addr, s->port);
	}
	sess_close_fd(s);
	s->ai_cur = s->ai_cur->ai_next;
}

static void
sess_sockopts(struct sess *s)
{
	int one = 1;
	unsigned int tmo = 1000U * (unsigned)s->job->stall_timeout;

	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* A peer that stops acknowledging fails the socket, not the run. */
	setsockopt(s->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &tmo, sizeof(tmo));
}

static enum st_result
st_connect(struct sess *s)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (s->ai == NULL && sess_resolve(s) == ST_FAIL)
		return ST_FAIL;
	if (s->fd >= 0) {
		/* Woken for writability: did the connect finish? */
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0) {
			sess_sockopts(s);
			sess_set_state(s, SS_HANDSHAKE);
			return ST_NEXT;
		}
		sess_next_addr(s, err);
	}
	for (; s->ai_cur != NULL; sess_next_addr(s, errno)) {
		struct addrinfo *a = s->ai_cur;

		s->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (s->fd < 0)
			continue;
		if (connect(s->fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			s->want = LOOP_WRITE;
			return ST_WAIT;
		}
	}
	return sess_fail(s, "%s", s->connect_err[0] ? s->connect_err :
	    "no address to connect to");
}

/* The server said goodbye (SSH_MSG_DISCONNECT): keep what it said. */
static
LIBSSH2_DISCONNECT_FUNC(sess_on_disconnect)
{
	struct sess *s = *abstract;

	(void)session;
	(void)reason;
	(void)language;
	(void)language_len;
	if (message_len < 0)
		message_len = 0;
	fmt_clean(s->bye, sizeof(s->bye), message, (size_t)message_len);
}

/* Where and how known_hosts is consulted for s (name: its HostName). */
static void
sess_kh_lookup(const struct sess *s, const char *name, struct kh_lookup *l)
{
	const struct hostcfg *c = &s->cfg;

	memset(l, 0, sizeof(*l));
	l->host = name;
	l->port = s->port;
	l->alias = c->host_key_alias;
	l->algorithms = c->host_key_algorithms;
	l->user_files = c->user_known_hosts;
	l->n_user = c->n_user_known_hosts;
	l->global_files = c->global_known_hosts;
	l->n_global = c->n_global_known_hosts;
	l->command = c->known_hosts_command;
	l->revoked_files = c->revoked_host_keys;
	l->n_revoked = c->n_revoked_host_keys;
	l->policy = c->strict == SHK_UNSET ? SHK_YES :
	    (enum stricthk)c->strict;
	l->hash = c->hash_known_hosts == 1;
}

/*
 * The host key algorithms to offer: the types known_hosts holds for this
 * host first, as ssh does, then OpenSSH's order (ed25519 before ECDSA,
 * where libssh2 has it the other way round), less those HostKeyAlgorithms
 * excludes.  Certificates are left out.
 */
static void
sess_hostkey_pref(struct sess *s, char *buf, size_t len)
{
	static const char *const order[] = { "ssh-ed25519",
	    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp521", "ssh-rsa" };
	struct kh_lookup l;
	char name[256], known[256];
	size_t i, o;

	sess_lower(name, s->hostname, sizeof(name));
	sess_kh_lookup(s, name, &l);
	pthread_mutex_lock(&sess_shared);
	knownhosts_types(s->job->kh, &l, known, sizeof(known));
	pthread_mutex_unlock(&sess_shared);
	o = (size_t)snprintf(buf, len, "%s", known);
	for (i = 0; i < sizeof(order) / sizeof(order[0]) && o < len; i++) {
		size_t n = strlen(order[i]);
		const char *p = strstr(known, order[i]);

		if ((p != NULL && (p[n] == ',' || p[n] == '\0')) ||
		    !knownhosts_type_allowed(l.algorithms, order[i]))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
		    order[i]);
	}
}

static enum st_result
st_handshake(struct sess *s)
{
	char pref[512];
	enum st_result r;

	if (s->ssh == NULL) {
		s->ssh = libssh2_session_init_ex(NULL, NULL, NULL, s);
		if (s->ssh == NULL)
			return sess_fail(s, "cannot create an SSH session");
		libssh2_session_set_blocking(s->ssh, 0);
		libssh2_session_callback_set(s->ssh,
		    LIBSSH2_CALLBACK_DISCONNECT, (void *)sess_on_disconnect);
		sess_hostkey_pref(s, pref, sizeof(pref));
		debug("%s: host key algorithms %s", s->host->name, pref);
		libssh2_session_method_pref(s->ssh, LIBSSH2_METHOD_HOSTKEY,
		    pref);
	}
	r = sess_rc(s, libssh2_session_handshake(s->ssh, s->fd),
	    "SSH handshake");
	if (r == ST_NEXT)
		sess_set_state(s, SS_HOSTKEY);
	return r;
}

static enum st_result
st_hostkey(struct sess *s)
{
	struct kh_lookup l;
	char err[512], name[256];
	const char *blob;
	size_t len;
	int type;
	enum kh_result r;

	blob = libssh2_session_hostkey(s->ssh, &len, &type);
	if (blob == NULL)
		return sess_fail(s, "server sent no host key");
	sess_lower(name, s->hostname, sizeof(name));
	sess_kh_lookup(s, name, &l);
	pthread_mutex_lock(&sess_shared);
	r = knownhosts_check(s->job->kh, &l, (const unsigned char *)blob, len,
	    err, sizeof(err));
	pthread_mutex_unlock(&sess_shared);
	if (r != KH_MATCH && r != KH_ADDED)
		return sess_fail(s, "%s", err);
	if (r == KH_ADDED)
		hlog(LOG_VERBOSE, s->host->name, "host key added to "
		    "known_hosts");
	sess_set_state(s, SS_AUTH);
	return ST_NEXT;
}

static enum st_result
st_auth(struct sess *s)
{
	char err[512];

	switch (auth_step(s->auth, s->ssh, err, sizeof(err))) {
	case AUTH_OK:
		sess_set_state(s, SS_RECEIVE);
		return ST_NEXT;
	case AUTH_AGAIN:
		return sess_wait_ssh(s);
	default:
		if (s->bye[0] != '\0')
			return sess_fail(s, "permission denied: the server "
			    "disconnected (\"%s\"); too many keys offered? "
			    "See MaxAuthTries, IdentitiesOnly", s->bye);
		return sess_fail(s, "%s", err);
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
		rexec_init(&s->rx, remote_exec_cmd);
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
	if (*ready || r == 1)
		return ST_NEXT;
	return sess_wait_input(s);
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
	const char *p = rx->err, *end = rx->err + rx->errlen, *nl;
	size_t o = 0;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	/* The last few lines at most: noise comes first, reasons last. */
	if (end - p > 300) {
		p = end - 300;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
			p = nl + 1;
	}
	if (what != NULL)
		o = (size_t)snprintf(buf, len, "remote %s failed (status %d): ",
		    what, rx->exit_status);
	if (o < len)
		fmt_clean(buf + o, len - o, p, (size_t)(end - p));
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
	meaning = remote_exit_str(rx->exit_status);
	if (rx->errlen > 0) {
		sess_stderr_tail(rx, buf, len, meaning != NULL ? NULL : what);
		return buf;
	}
	if (rx->exit_status == 0)
		snprintf(buf, len, "remote %s ended without confirming", what);
	else if (meaning != NULL)
		snprintf(buf, len, "%s", meaning);
	else
		snprintf(buf, len, "remote %s exited with status %d", what,
		    rx->exit_status);
	return buf;
}

static enum st_result
st_receive(struct sess *s)
{
	char err[256];
	enum st_result r;
	int ready;

	/* A stream that failed already: nothing is started on the host. */
	if (!s->script_started && source_failed(s->job->src, err, sizeof(err)))
		return sess_fail(s, "%s; not committed", err);
	r = sess_script_begin(s, remote_receive_cmd,
	    "starting the remote receiver");
	if (r == ST_NEXT)
		r = sess_await_ready(s, "receive", &ready);
	if (r == ST_NEXT)
		/* Refused before any data: finishing the script says why. */
		sess_set_state(s, ready ? SS_SEND : SS_EXIT);
	return r;
}

/* The channel would block mid-send; see libssh2.md §2.5. */
static enum st_result
sess_send_blocked(struct sess *s)
{
	int dir = libssh2_session_block_directions(s->ssh), r;

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
	if (libssh2_channel_window_write(s->rx.ch) > 0)
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
 * keeps what it got: when the host fails mid-stream with the session
 * alive, end the receive and remove its temp file (st_exit, ABORT).  The
 * host's error is noted already.
 */
static enum st_result
sess_abandon(struct sess *s)
{
	if (!s->rjob.size_unknown)
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
		sess_fail(s, "%s; not committed", err);
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
	uint64_t size;

	if (!source_size(src, &size) || size != s->off)
		return sess_fail(s, "source ended after %llu bytes, "
		    "unexpectedly", (unsigned long long)s->off);
	s->rjob.size = size;
	s->rjob.size_unknown = 0;
	if (s->job->verify && (s->rjob.sha256 = source_sha256(src)) == NULL)
		return sess_fail(s, "no SHA-256 of the source to verify with");
	return ST_NEXT;
}

static enum st_result
st_send(struct sess *s)
{
	size_t budget = SESS_TURN_BYTES;
	enum st_result r;
	ssize_t n;
	int end = 0;

	s->src_wait = 0;
	for (;;) {
		if (s->buf_pos == s->buf_len) {
			r = sess_fill(s, &end);
			if (r != ST_NEXT || s->st != SS_SEND)
				return r;
			if (end)
				break;
		}
		n = libssh2_channel_write(s->rx.ch, (char *)s->buf +
		    s->buf_pos, s->buf_len - s->buf_pos);
		if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
			return sess_send_blocked(s);
		if (n < 0)
			return sess_fail_ssh(s, (int)n, "sending");
		s->buf_pos += (size_t)n;
		s->off += (uint64_t)n;
		host_set_bytes(s->host, s->off);
		s->deadline = s->now + 1000 * (int64_t)s->job->stall_timeout;
		if ((size_t)n >= budget) {
			/* Let the others have a turn; come back when writable. */
			s->want = LOOP_WRITE;
			return ST_WAIT;
		}
		budget -= (size_t)n;
	}
	if (s->interrupted)
		return sess_fail(s, "interrupted");
	if (sess_sent_all(s) == ST_FAIL)
		return ST_FAIL;
	sess_set_state(s, SS_EOF);
	return ST_NEXT;
}

static enum st_result
st_eof(struct sess *s)
{
	enum st_result r = sess_rc(s, libssh2_channel_send_eof(s->rx.ch),
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

	r = sess_rc(s, rexec_finish(&s->rx, s->ssh), "finishing the upload");
	if (r != ST_NEXT)
		return r;
	if (s->abandon) {
		s->received = 1;	/* for the ABORT */
		return ST_FAIL;
	}
	if (sess_script_error(s, "receive", msg, sizeof(msg)) != NULL)
		return sess_fail(s, "%s", msg);
	s->received = 1;
	if (s->interrupted)
		return sess_fail(s, "interrupted");
	if (source_changed(s->job->src, why, sizeof(why)))
		return sess_fail(s, "%s; not committed", why);
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
	r = sess_script_begin(s, remote_commit_cmd, "committing");
	if (r == ST_NEXT)
		r = sess_await_ready(s, "commit", &ready);
	if (r == ST_NEXT) {
		/* Decided once: a write that met EAGAIN must be repeated. */
		s->send_go = ready && !s->interrupted;
		sess_set_state(s, SS_GO);
	}
	return r;
}

/* The message for a commit that failed; a changed source takes the blame. */
static void
sess_commit_error(struct sess *s, char *msg, size_t len)
{
	char why[256];

	if (s->rx.exit_status == REMOTE_EXIT_HASH &&
	    source_changed(s->job->src, why, sizeof(why)))
		snprintf(msg, len, "SHA-256 mismatch: %s; not committed",
		    why);
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
	s->go_pending = 0;
	s->send_go = 0;
	if (sess_script_error(s, "commit", msg, sizeof(msg)) != NULL) {
		sess_commit_error(s, msg, sizeof(msg));
		return sess_fail(s, "%s", s->interrupted &&
		    s->rx.exit_status == REMOTE_EXIT_NOGO ? "interrupted" : msg);
	}
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
	rc = libssh2_session_disconnect(s->ssh, "fanscp done");
	if (rc == LIBSSH2_ERROR_EAGAIN && ++s->close_tries < 50)
		return sess_wait_ssh(s);
	sess_set_state(s, s->host->status == HOST_DONE ? SS_DONE : SS_FAILED);
	return ST_NEXT;
}

static st_handler *const handlers[] = {
	[SS_CONNECT] = st_connect,
	[SS_HANDSHAKE] = st_handshake,
	[SS_HOSTKEY] = st_hostkey,
	[SS_AUTH] = st_auth,
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
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	rexec_release(&s->rx);
	/* The agent belongs to the session: free it first. */
	auth_free(s->auth);
	s->auth = NULL;
	if (s->ssh != NULL)
		libssh2_session_free(s->ssh);
	s->ssh = NULL;
	sess_close_fd(s);
	s->want = 0;
}

/*
 * After a failure: remove a complete temp file if the session allows.  A
 * host whose go-ahead went out unanswered is unknown, not failed.
 */
static void
sess_after_failure(struct sess *s)
{
	host_set_status(s->host, s->go_pending ? HOST_UNKNOWN : HOST_FAILED);
	if (s->received == 1 && s->ssh != NULL) {
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

/*
 * The user name to log in as: what the configuration resolved (-o User,
 * then user@, then User), else the local user.
 */
static char *
sess_user(const struct hostcfg *c)
{
	struct passwd *pw;

	if (c->user != NULL)
		return xstrdup(c->user);
	if ((pw = getpwuid(getuid())) != NULL)
		return xstrdup(pw->pw_name);
	return xstrdup(getenv("USER") ? getenv("USER") : "root");
}

/* The identity files in order: -i, IdentityFile, else the defaults. */
static char **
sess_identities(const struct job *job, const struct hostcfg *c, size_t *n)
{
	/*
	 * OpenSSH tries id_rsa first; libssh2 1.10 signs RSA with SHA-1 only,
	 * which OpenSSH 8.8 and later refuse, so it goes last here instead of
	 * costing an attempt against MaxAuthTries on every modern server.
	 */
	static const char *const defaults[] = { "id_ed25519", "id_ecdsa",
	    "id_rsa" };
	const char *home = getenv("HOME");
	char **v = xcalloc(job->n_identities + c->n_identity_files + 3,
	    sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < job->n_identities; i++)
		v[k++] = job->identities[i];
	for (i = 0; i < c->n_identity_files; i++)
		v[k++] = c->identity_files[i];
	if (k == 0 && home != NULL)
		for (i = 0; i < 3; i++)
			v[k++] = xasprintf("%s/.ssh/%s", home, defaults[i]);
	*n = k;
	return v;
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

	sess_token(s->token, sizeof(s->token));
	rj->kind = s->job->kind;
	rj->path = sess_remote_path(s->host->t.path);
	/* A stream has no name: the target path must give one. */
	rj->basename = b != NULL ? b : "";
	/* A stream's size and hash are known at its end (sess_sent_all). */
	rj->size_unknown = !source_size(src, &rj->size);
	rj->sha256 = s->job->verify ? source_sha256(src) : NULL;
	source_meta(src, &rj->mode, &rj->mtime, &rj->atime);
	rj->preserve = s->job->preserve;
	rj->token = s->token;
	rj->inplace = s->job->inplace;
}

/* The port: the target's, else -P, else ssh_config's, else 22. */
static int
sess_port(const struct job *job, const struct host *h,
    const struct hostcfg *cfg)
{
	return h->t.port ? h->t.port : job->port ? job->port :
	    cfg->port > 0 ? cfg->port : 22;
}

/* Resolve the host's settings; returns -1 with the host failed. */
static int
sess_configure(struct sess *s)
{
	const struct job *job = s->job;
	char err[512], **ids;
	size_t nids, i;

	if (sshconf_resolve(job->conf, s->host->t.host, s->host->t.user,
	    &s->cfg, err, sizeof(err)) != 0) {
		host_fail(s->host, "%s", err);
		return -1;
	}
	if (s->cfg.proxy_jump != NULL || s->cfg.proxy_command != NULL) {
		host_fail(s->host, "ProxyJump and ProxyCommand are not "
		    "supported yet");
		return -1;
	}
	/* We never call libssh2_channel_request_auth_agent(). */
	if (s->cfg.forward_agent == 1)
		hlog(LOG_VERBOSE, s->host->name, "ForwardAgent ignored: "
		    "libssh2 1.10 cannot serve the agent channel");
	s->hostname = xstrdup(s->cfg.hostname ? s->cfg.hostname :
	    s->host->t.host);
	s->user = sess_user(&s->cfg);
	s->port = sess_port(job, s->host, &s->cfg);
	ids = sess_identities(job, &s->cfg, &nids);
	s->auth = auth_new(s->user, ids, nids, s->cfg.identities_only == 1,
	    s->cfg.identity_agent);
	for (i = job->n_identities + s->cfg.n_identity_files; i < nids; i++)
		free(ids[i]);
	free(ids);
	return 0;
}

struct sess *
sess_new(const struct job *job, struct host *host, int64_t now)
{
	struct sess *s = xcalloc(1, sizeof(*s));
	int r;

	s->job = job;
	s->host = host;
	/* Made for every host started, even one that fails at once. */
	s->rd = source_reader_new(job->src);
	s->fd = -1;
	s->now = now;
	s->st = SS_CONNECT;
	s->cfg.strict = SHK_UNSET;
	host_set_status(host, HOST_ACTIVE);
	host->t_start = now;
	pthread_mutex_lock(&sess_shared);
	r = sess_configure(s);
	pthread_mutex_unlock(&sess_shared);
	if (r != 0) {
		host_set_status(host, HOST_FAILED);
		s->st = SS_FAILED;
		return s;
	}
	/* --connect-timeout, else ConnectTimeout, else the default. */
	s->deadline = now + 1000 * (int64_t)(job->connect_timeout > 0 ?
	    job->connect_timeout : s->cfg.connect_timeout > 0 ?
	    s->cfg.connect_timeout : JOB_CONNECT_TIMEOUT);
	sess_setup_remote(s);
	s->buf = xmalloc(SESS_TURN_BYTES);
	return s;
}

int
sess_fd(const struct sess *s)
{
	return s->fd;
}

int
sess_events(const struct sess *s)
{
	return s->want;
}

int
sess_logging_in(const struct sess *s)
{
	return s->st <= SS_AUTH;
}

char *
sess_endpoint(const struct job *job, const struct host *h)
{
	struct hostcfg cfg;
	char err[512], *ep = NULL;

	memset(&cfg, 0, sizeof(cfg));
	pthread_mutex_lock(&sess_shared);
	if (sshconf_resolve(job->conf, h->t.host, h->t.user, &cfg, err,
	    sizeof(err)) == 0) {
		ep = xasprintf("%s port %d", cfg.hostname ? cfg.hostname :
		    h->t.host, sess_port(job, h, &cfg));
		sess_lower(ep, ep, strlen(ep) + 1);
	}
	pthread_mutex_unlock(&sess_shared);
	hostcfg_release(&cfg);
	return ep;
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
	return sess_names[s->st];
}

int
sess_check_timeout(struct sess *s, int64_t now)
{
	int secs;

	if (s->st == SS_DONE || s->st == SS_FAILED || now < s->deadline)
		return 0;
	if (sess_waits_source(s)) {
		/* The producer is slow, not this host. */
		s->deadline = now + 1000 * (int64_t)s->job->stall_timeout;
		return 0;
	}
	s->now = now;
	if (s->st <= SS_AUTH) {
		secs = (int)((s->deadline - s->host->t_start + 500) / 1000);
		sess_fail(s, "timed out after %d s while %s", secs,
		    s->st == SS_CONNECT ? "connecting" : "logging in");
	} else {
		char sz[32];

		sess_fail(s, "stalled for %d s after %s (%s)",
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
	sess_fail(s, "interrupted");
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
	sess_fail(s, "%s", why);
	host_set_status(s->host, s->go_pending ? HOST_UNKNOWN : HOST_FAILED);
	s->host->t_end = now;
	sess_teardown(s);
	sess_set_state(s, SS_FAILED);
}

void
sess_free(struct sess *s)
{
	if (s == NULL)
		return;
	sess_teardown(s);
	hostcfg_release(&s->cfg);
	if (s->ai != NULL)
		freeaddrinfo(s->ai);
	free(s->hostname);
	free(s->user);
	free(s->frame);
	free(s->buf);
	source_reader_free(s->rd);
	free(s);
}
