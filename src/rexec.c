/*
 * A remote command on an exec channel, driven step by step; or, on the ssh
 * transport, an ssh child through the host's master (the rx_child_*
 * functions), with the same steps.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rexec.h"
#include "util.h"
#include "sshcmd.h"
#include "sshlink.h"

/* How often an ssh child whose output has ended is looked at, in ms. */
#define REXEC_REAP_MS	5

enum {
	RX_OPEN,		/* libssh2_channel_open_session */
	RX_EXEC,		/* libssh2_channel_exec */
	RX_RUNNING,		/* the caller writes stdin */
	RX_EOF,			/* libssh2_channel_send_eof */
	RX_READ,		/* read until the remote EOF */
	RX_CLOSE,		/* libssh2_channel_close */
	RX_WAIT,		/* libssh2_channel_wait_closed */
	RX_DONE,
};

void
rexec_init(struct rexec *rx, const char *cmd, struct sshlink *link)
{
	memset(rx, 0, sizeof(*rx));
	rx->cmd = cmd;
	rx->exit_status = -1;
	rx->link = link;
	rx->kid.in = rx->kid.out = rx->kid.err = -1;
}


/* ssh itself failed: say so once, as its kind and message. */
static int
rx_child_fail(struct rexec *rx, enum host_err kind, const char *msg)
{
	if (rx->kind == ERR_NONE) {
		rx->kind = kind;
		snprintf(rx->why, sizeof(rx->why), "%s", msg);
	}
	return LIBSSH2_ERROR_SOCKET_DISCONNECT;
}

static int
rx_child_start(struct rexec *rx)
{
	char err[256], **argv;

	if (rx->step != RX_OPEN)
		return 0;
	if ((argv = sshlink_argv(rx->link, rx->cmd, err, sizeof(err))) ==
	    NULL)
		return rx_child_fail(rx, ERR_CONFIG, err);
	if (child_spawn(&rx->kid, argv, CHILD_SOCKET, err, sizeof(err)) != 0) {
		sshcmd_free(argv);
		return rx_child_fail(rx, ERR_CONFIG, err);
	}
	sshcmd_free(argv);
	rx->step = RX_RUNNING;
	return 0;
}

/* Read one of the child's fds until it would block; *eof at its end. */
static void
rx_child_read(struct rexec *rx, int fd, int *eof, int err)
{
	char buf[16384];
	ssize_t n;
	int i;

	for (i = 0; i < 16 && !*eof && fd >= 0; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			*eof = 1;
			return;
		}
		if (err) {
			util_keep_tail(rx->err, &rx->errlen, sizeof(rx->err),
			    buf, (size_t)n);
			rx->errtotal += (uint64_t)n;
		} else {
			util_keep_tail(rx->out, &rx->outlen, sizeof(rx->out),
			    buf, (size_t)n);
			rx->outtotal += (uint64_t)n;
		}
	}
}

static int
rx_child_drain(struct rexec *rx)
{
	rx_child_read(rx, rx->kid.err, &rx->err_eof, 1);
	rx_child_read(rx, rx->kid.out, &rx->out_eof, 0);
	return rx->out_eof;
}

/*
 * A write that met EPIPE: ssh has gone (the remote command ended early, or
 * the connection).  Said as EAGAIN once, so that the sender reads to the
 * end and finishes (the status says why), an error after that.
 */
static ssize_t
rx_child_write(struct rexec *rx, const char *buf, size_t len)
{
	ssize_t n;

	/* Any step reads stderr: its pipe must not stay readable unread. */
	rx_child_read(rx, rx->kid.err, &rx->err_eof, 1);
	rx->wblocked = 0;
	if (rx->wdead)
		return rx_child_fail(rx, ERR_LOST, "connection lost (ssh "
		    "ended)");
	do
		n = send(rx->kid.in, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN) {
		rx->wblocked = 1;
		return LIBSSH2_ERROR_EAGAIN;
	}
	rx->wdead = 1;
	return LIBSSH2_ERROR_EAGAIN;
}

/* The child's exit: the remote status, or ssh's own failure. */
static int
rx_child_status(struct rexec *rx)
{
	enum host_err kind;
	char msg[512];
	int r;

	if ((r = child_reap(&rx->kid)) == 0) {
		rx->reaping = 1;
		return LIBSSH2_ERROR_EAGAIN;
	}
	rx->reaping = 0;
	if (r < 0)
		return rx_child_fail(rx, ERR_LOST, "ssh vanished");
	kind = sshcmd_verdict(rx->kid.status, rx->err, rx->errlen, 1, msg,
	    sizeof(msg));
	if (kind != ERR_NONE)
		return rx_child_fail(rx, kind, msg);
	rx->exit_status = WEXITSTATUS(rx->kid.status);
	return 0;
}

static int
rx_child_finish(struct rexec *rx)
{
	switch (rx->step) {
	case RX_RUNNING:
	case RX_EOF:
		child_close_in(&rx->kid);
		rx->step = RX_READ;
		/* FALLTHROUGH */
	case RX_READ:
		rx_child_drain(rx);
		if (!rx->out_eof || !rx->err_eof)
			return LIBSSH2_ERROR_EAGAIN;
		rx->step = RX_WAIT;
		/* FALLTHROUGH */
	case RX_WAIT:
		if (rx_child_status(rx) != 0)
			return rx->reaping ? LIBSSH2_ERROR_EAGAIN :
			    LIBSSH2_ERROR_SOCKET_DISCONNECT;
		rx->step = RX_DONE;
		/* FALLTHROUGH */
	default:
		return 0;
	}
}

/* Kill an ssh child that still runs (its step was abandoned) and reap it. */
static void
rx_child_release(struct rexec *rx)
{
	if (rx->kid.pid > 0) {
		child_kill(&rx->kid, SIGKILL);
		/* A killed process is reaped at once. */
		while (waitpid(rx->kid.pid, &rx->kid.status, 0) == -1 &&
		    errno == EINTR)
			;
		rx->kid.pid = 0;
	}
	child_release(&rx->kid);
	rx->out_eof = rx->err_eof = 1;
}

int
rexec_send_eof(struct rexec *rx)
{
	if (rx->link == NULL)
		return libssh2_channel_send_eof(rx->ch);
	if (rx->step == RX_RUNNING) {
		child_close_in(&rx->kid);
		rx->step = RX_READ;
	}
	return 0;
}

int
rexec_block_directions(const struct rexec *rx, LIBSSH2_SESSION *s)
{
	if (rx->link == NULL)
		return libssh2_session_block_directions(s);
	/* Once stdin is closed nothing waits to be written. */
	return rx->wblocked && !rx->wdead && rx->step == RX_RUNNING ?
	    LIBSSH2_SESSION_BLOCK_OUTBOUND : 0;
}

int
rexec_window_open(const struct rexec *rx)
{
	if (rx->link == NULL)
		return libssh2_channel_window_write(rx->ch) > 0;
	return 0;
}

int
rexec_fd(const struct rexec *rx)
{
	return rx->link != NULL && !rx->out_eof ? rx->kid.out : -1;
}

int
rexec_fd_err(const struct rexec *rx)
{
	return rx->link != NULL && !rx->err_eof ? rx->kid.err : -1;
}

int
rexec_retry_ms(const struct rexec *rx)
{
	return rx->link != NULL && rx->reaping ? REXEC_REAP_MS : 0;
}

int
rexec_start(struct rexec *rx, LIBSSH2_SESSION *s)
{
	int rc;

	if (rx->link != NULL)
		return rx_child_start(rx);

	if (rx->step == RX_OPEN) {
		rx->ch = libssh2_channel_open_session(s);
		if (rx->ch == NULL)
			return libssh2_session_last_errno(s);
		rx->step = RX_EXEC;
	}
	if (rx->step == RX_EXEC) {
		rc = libssh2_channel_exec(rx->ch, rx->cmd);
		if (rc != 0)
			return rc;
		rx->step = RX_RUNNING;
	}
	return 0;
}

/* Read one stream until it would block; 1 at its end, 0, or an error. */
static int
rexec_read_stream(struct rexec *rx, int stream)
{
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = libssh2_channel_read_ex(rx->ch, stream, buf, sizeof(buf));
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 1;
		if (stream == 0) {
			util_keep_tail(rx->out, &rx->outlen, sizeof(rx->out),
			    buf, (size_t)n);
			rx->outtotal += (uint64_t)n;
		} else {
			util_keep_tail(rx->err, &rx->errlen, sizeof(rx->err),
			    buf, (size_t)n);
			rx->errtotal += (uint64_t)n;
		}
	}
}

ssize_t
rexec_write(struct rexec *rx, const char *buf, size_t len)
{
	if (rx->link != NULL)
		return rx_child_write(rx, buf, len);
	return libssh2_channel_write(rx->ch, buf, len);
}

/*
 * One read may take in packets for both streams and the remote EOF, so
 * go round until the channel is at its end, or both reads would block
 * and libssh2 holds nothing more for the channel (16 rounds at most: a
 * flood of output must not hold the loop).
 */
int
rexec_drain(struct rexec *rx)
{
	int e, o, pass;

	if (rx->link != NULL)
		return rx_child_drain(rx);
	for (pass = 0; pass < 16; pass++) {
		if ((e = rexec_read_stream(rx, SSH_EXTENDED_DATA_STDERR)) < 0)
			return e;
		if ((o = rexec_read_stream(rx, 0)) < 0)
			return o;
		if (libssh2_channel_eof(rx->ch))
			return 1;
		/*
		 * The read of one stream may have queued packets of the other
		 * inside libssh2, which the socket will never announce.
		 */
		if (e == 0 && o == 0 && !rexec_pending(rx))
			return 0;
	}
	return 0;
}

int
rexec_pending(const struct rexec *rx)
{
	return rx->link == NULL && rx->ch != NULL && libssh2_poll_channel_read(rx->ch, 1) == 1;
}

static void
rexec_status(struct rexec *rx, LIBSSH2_SESSION *s)
{
	char *sig = NULL;
	size_t siglen = 0;

	rx->exit_status = libssh2_channel_get_exit_status(rx->ch);
	if (libssh2_channel_get_exit_signal(rx->ch, &sig, &siglen, NULL, NULL,
	    NULL, NULL) == 0 && sig != NULL) {
		if (siglen >= sizeof(rx->signal))
			siglen = sizeof(rx->signal) - 1;
		memcpy(rx->signal, sig, siglen);
		rx->signal[siglen] = '\0';
		libssh2_free(s, sig);
	}
}

int
rexec_finish(struct rexec *rx, LIBSSH2_SESSION *s)
{
	int rc;

	if (rx->link != NULL)
		return rx_child_finish(rx);
	switch (rx->step) {
	case RX_RUNNING:
		rx->step = RX_EOF;
		/* FALLTHROUGH */
	case RX_EOF:
		if ((rc = libssh2_channel_send_eof(rx->ch)) != 0)
			return rc;
		rx->step = RX_READ;
		/* FALLTHROUGH */
	case RX_READ:
		if ((rc = rexec_drain(rx)) <= 0)
			return rc == 0 ? LIBSSH2_ERROR_EAGAIN : rc;
		rx->step = RX_CLOSE;
		/* FALLTHROUGH */
	case RX_CLOSE:
		if ((rc = libssh2_channel_close(rx->ch)) != 0)
			return rc;
		rx->step = RX_WAIT;
		/* FALLTHROUGH */
	case RX_WAIT:
		if ((rc = libssh2_channel_wait_closed(rx->ch)) != 0)
			return rc;
		rexec_status(rx, s);
		rx->step = RX_DONE;
		/* FALLTHROUGH */
	default:
		return 0;
	}
}

void
rexec_release(struct rexec *rx)
{
	if (rx->link != NULL) {
		rx_child_release(rx);
		return;
	}
	if (rx->ch != NULL)
		libssh2_channel_free(rx->ch);
	rx->ch = NULL;
}
