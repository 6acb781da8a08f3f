/* A remote command on an exec channel, driven step by step. */
#include <string.h>

#include "rexec.h"

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
rexec_init(struct rexec *rx, const char *cmd)
{
	memset(rx, 0, sizeof(*rx));
	rx->cmd = cmd;
	rx->exit_status = -1;
}

int
rexec_start(struct rexec *rx, LIBSSH2_SESSION *s)
{
	int rc;

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

/* Keep the last bytes of buf and what came before, up to max - 1. */
static void
rexec_keep_tail(char *keep, size_t *len, size_t max, const char *buf,
    size_t n)
{
	size_t drop;

	if (n >= max - 1) {
		buf += n - (max - 1);
		n = max - 1;
	}
	if (*len + n > max - 1) {
		drop = *len + n - (max - 1);
		memmove(keep, keep + drop, *len - drop);
		*len -= drop;
	}
	memcpy(keep + *len, buf, n);
	*len += n;
	keep[*len] = '\0';
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
			rexec_keep_tail(rx->out, &rx->outlen, sizeof(rx->out),
			    buf, (size_t)n);
			rx->outtotal += (uint64_t)n;
		} else {
			rexec_keep_tail(rx->err, &rx->errlen, sizeof(rx->err),
			    buf, (size_t)n);
			rx->errtotal += (uint64_t)n;
		}
	}
}

ssize_t
rexec_write(struct rexec *rx, const char *buf, size_t len)
{
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
	return rx->ch != NULL && libssh2_poll_channel_read(rx->ch, 1) == 1;
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
	if (rx->ch != NULL)
		libssh2_channel_free(rx->ch);
	rx->ch = NULL;
}
