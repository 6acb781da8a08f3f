/*
 * Jump hosts: a bastion connection per engine, and its channels pumped
 * into socketpairs (see tunnel.h).
 *
 * The pump runs whenever the bastion's socket or a channel's socketpair
 * end has something for it.  One pass visits every channel: it opens the
 * next queued channel (one open at a time: libssh2 keeps the state of an
 * open in the session), moves bytes up (socketpair → channel_write) and
 * down (channel_read → socketpair), passes each EOF on, and closes the
 * channels whose both directions ended.  A libssh2 call that returns
 * EAGAIN with the session blocked outbound has left a packet half sent:
 * the pass stops there, and the next one repeats that very call first
 * (t->pend).  An EAGAIN blocked inbound parks nothing (libssh2.md §1.2),
 * so the pass goes on to the other channels.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libssh2.h>

#include "child.h"
#include "conn.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "sshcmd.h"
#include "sshlink.h"
#include "tunnel.h"
#include "util.h"
#include "xmalloc.h"

#define TCHAN_BUF	(64 * 1024)	/* each way, for each channel */
#define TUNNEL_PASSES	16		/* passes a run makes at most */
#define TUNNEL_REAP_MS	10		/* how often an ssh's exit is looked for */
#define TUNNEL_JUMP_MS	20		/* how often the hops before are asked */
#define TUNNEL_LINGER_MS 500		/* a master's end awaited (see below) */
#define TUNNEL_IDLE_MS	10000		/* a bastion with no channel: close */

enum tchan_state { TC_QUEUED, TC_OPENING, TC_OPEN, TC_CLOSING, TC_DONE };
enum pend_op { OP_NONE, OP_OPEN, OP_WRITE, OP_EOF, OP_READ, OP_CLOSE };

struct tunnel;

struct tchan {
	struct tchan	*next;
	struct tunnel	*t;		/* NULL once the tunnel is gone */
	char		*host;		/* as the bastion is to resolve it */
	int		 port;
	char		*name;		/* the target, for messages */
	int		 fd_sess;	/* the session's end, until taken */
	int		 fd;		/* ours, or -1 */
	int		 watched;	/* the events fd is watched for */
	LIBSSH2_CHANNEL	*ch;
	enum tchan_state st;
	unsigned char	*up;		/* session → channel */
	size_t		 up_len, up_off;
	int		 up_eof;	/* the session closed its side */
	int		 eof_sent;
	unsigned char	*down;		/* channel → session */
	size_t		 down_len, down_off;
	int		 down_eof;	/* the target closed its side */
	int		 gone;		/* the session's end is closed */
	int		 released;	/* the connection let go of it */
	int		 failed;
	enum host_err	 kind;
	char		 err[sizeof(((struct host *)0)->err)];
	/* Through ssh: the ssh -W child on fd, and the end of its stderr. */
	struct child	 kid;
	int		 kid_on;	/* spawned, not yet reaped */
	int64_t		 linger;	/* ms: its end told after this, or 0 */
	int		 kerr_eof;
	int		 kerr_watched;
	char		 kerr[1024];
	size_t		 kerrlen;
	/* Only a ProxyCommand for a target's own ssh (tunnels_proxy). */
	int		 proxy;
	char		*proxy_cmd;
};

struct tunnel {
	struct tunnel	*next;
	struct tunnels	*set;
	char		*spec;		/* the ProxyJump value: the key */
	struct host	 bastion;	/* the record its connection uses */
	struct conn	*conn;
	struct tunnel	*up;		/* the tunnel its connection goes
					   through, if any */
	LIBSSH2_SESSION	*ssh;		/* once logged in */
	int		 fd;		/* watched: the connection's socket */
	int		 watched;
	int		 ready;
	int		 failed;
	enum host_err	 kind;		/* why it failed */
	char		 err[sizeof(((struct host *)0)->err)];
	struct tchan	*chans;
	struct tchan	*opening;	/* the channel whose open is on */
	enum pend_op	 pend;		/* a call to repeat first, on */
	struct tchan	*pend_c;	/* this channel */
	int		 moved;		/* a pass did something */
	int		 drained;	/* a pass read the socket */
	int		 timer;		/* the login deadline, or the idle
					   time's end; or -1 */
	int		 kick;		/* a run due next turn, or -1 */
	int		 in_run;
	int		 started;	/* its login began, or is due */
	/* Through ssh (tunnel.h): the private master, and its stderr. */
	struct sshlink	*link;
	struct tchan	*jchan;		/* the hops before it, asked for a
					   ProxyCommand (tunnels_proxy) */
	int		 jump_asked;
	int		 efd;
	int		 reap_timer;	/* an exit awaited, or -1 */
};

struct tunnels {
	const struct job *job;
	struct loop	*loop;
	struct tunnel	*list;
	int		 made;		/* bastion connections started */
};

static void	tunnel_run(struct tunnel *);
static void	tunnel_watch(struct tunnel *);
static void	tunnel_reap(struct tunnel *);
static int64_t	tunnel_kick_cb(struct loop *, void *);

/*
 * Channels.
 */

static void
tchan_close_fd(struct tchan *c)
{
	if (c->fd < 0)
		return;
	if (c->t != NULL && c->watched)
		loop_unwatch(c->t->set->loop, c->fd);
	c->watched = 0;
	close(c->fd);
	c->fd = -1;
}

/*
 * Kill its ssh -W if it still runs, and reap it (a killed process is
 * reaped at once); its stderr is no longer watched.
 */
static void
tchan_kid_kill(struct tchan *c, struct loop *l)
{
	if (c->kerr_watched && l != NULL)
		loop_unwatch(l, c->kid.err);
	c->kerr_watched = 0;
	if (!c->kid_on)
		return;
	if (c->kid.pid > 0) {
		child_kill(&c->kid, SIGKILL);
		while (waitpid(c->kid.pid, &c->kid.status, 0) == -1 &&
		    errno == EINTR)
			;
		c->kid.pid = 0;
	}
	child_release(&c->kid);
	c->kid_on = 0;
}

static void
tchan_free(struct tchan *c)
{
	tchan_kid_kill(c, NULL);
	free(c->proxy_cmd);
	if (c->fd_sess >= 0)
		close(c->fd_sess);
	if (c->fd >= 0)
		close(c->fd);
	free(c->host);
	free(c->name);
	free(c->up);
	free(c->down);
	free(c);
}

/*
 * The channel failed: its session reads EOF, and learns why from
 * tchan_error().  The libssh2 channel, if any, is still closed politely.
 */
static void
tchan_fail(struct tchan *c, enum host_err kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tchan_fail(struct tchan *c, enum host_err kind, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed) {
		c->failed = 1;
		c->kind = kind;
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	tchan_close_fd(c);
	c->gone = 1;
	c->up_eof = 1;
	c->up_off = c->up_len;
	c->down_off = c->down_len;
	if (c->st == TC_QUEUED || c->st == TC_OPENING)
		c->st = c->ch != NULL ? TC_CLOSING : TC_DONE;
	else if (c->st == TC_OPEN)
		c->st = TC_CLOSING;
}

int
tchan_take_fd(struct tchan *c)
{
	int fd = c->fd_sess;

	c->fd_sess = -1;
	return fd;
}

const char *
tchan_error(const struct tchan *c, enum host_err *kind)
{
	if (!c->failed)
		return NULL;
	*kind = c->kind;
	return c->err;
}

/* Unlink c from its tunnel's list. */
static void
tchan_unlink(struct tchan *c)
{
	struct tchan **pp;

	for (pp = &c->t->chans; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

void
tchan_release(struct tchan *c)
{
	struct tunnel *t;

	if (c == NULL)
		return;
	c->released = 1;
	if (c->t == NULL || c->st == TC_DONE) {
		t = c->t;
		if (t != NULL)
			tchan_unlink(c);
		tchan_free(c);
		/* Its last channel: the tunnel starts its idle time. */
		if (t != NULL && t->chans == NULL && !t->in_run)
			tunnel_watch(t);
	}
}

/*
 * The tunnel.
 */

/* "jump host NAME: why", unless why already names a jump host. */
static void
tunnel_fail(struct tunnel *t, enum host_err kind, const char *why)
{
	struct tchan *c, *next;

	if (t->failed)
		return;
	t->failed = 1;
	t->kind = kind;
	if (strncmp(why, "jump host ", 10) == 0)
		snprintf(t->err, sizeof(t->err), "%s", why);
	else
		snprintf(t->err, sizeof(t->err), "jump host %s: %s",
		    t->bastion.name, why);
	if (kind != ERR_INTERRUPTED)
		hlog(LOG_VERBOSE, t->bastion.name, "failed as a jump host: %s",
		    why);
	for (c = t->chans; c != NULL; c = c->next)
		tchan_fail(c, kind, "%s", t->err);
	/* The session goes with its channels: none is closed politely. */
	for (c = t->chans; c != NULL; c = c->next) {
		c->ch = NULL;
		c->st = TC_DONE;
		tchan_kid_kill(c, t->set->loop);
	}
	if (t->watched)
		loop_unwatch(t->set->loop, t->fd);
	t->watched = 0;
	t->fd = -1;
	if (t->efd >= 0)
		loop_unwatch(t->set->loop, t->efd);
	t->efd = -1;
	sshlink_free(t->link);
	t->link = NULL;
	tchan_release(t->jchan);
	t->jchan = NULL;
	conn_free(t->conn);
	t->conn = NULL;
	t->ssh = NULL;
	for (c = t->chans; c != NULL; c = next) {
		next = c->next;
		if (c->released)
			tchan_free(c);
		else
			c->t = NULL;
	}
	t->chans = NULL;
}

/* A libssh2 error on the session, not the channel: the tunnel is lost. */
static int
tunnel_session_error(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_ALLOC:
	case LIBSSH2_ERROR_PROTO:
	case LIBSSH2_ERROR_KEX_FAILURE:
	case LIBSSH2_ERROR_BAD_USE:
		return 1;
	default:
		return 0;
	}
}

static const char *
tunnel_ssh_msg(struct tunnel *t)
{
	char *msg = NULL;

	if (t->ssh == NULL ||
	    libssh2_session_last_error(t->ssh, &msg, NULL, 0) == 0 ||
	    msg == NULL)
		return "unknown error";
	return msg;
}

/*
 * A call on c returned rc < 0 (not EAGAIN): the tunnel or the channel
 * fails.  Returns 0: the pass ends if the tunnel went.
 */
static int
tchan_error_rc(struct tunnel *t, struct tchan *c, int rc, const char *what)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "%s", tunnel_ssh_msg(t));
	if (tunnel_session_error(rc)) {
		char why[400];

		snprintf(why, sizeof(why), "connection lost (%s: %s)", what,
		    msg);
		tunnel_fail(t, ERR_LOST, why);
		return 0;
	}
	tchan_fail(c, ERR_LOST, "jump host %s: the channel to %s port %d "
	    "failed (%s: %s)", t->bastion.name, c->host, c->port, what, msg);
	return 1;
}

/*
 * libssh2 returned EAGAIN for op on c.  Blocked outbound, the packet it
 * made is half sent, and op is the next call the session may see: 1.
 */
static int
tunnel_parked(struct tunnel *t, struct tchan *c, enum pend_op op)
{
	if (!(libssh2_session_block_directions(t->ssh) &
	    LIBSSH2_SESSION_BLOCK_OUTBOUND))
		return 0;
	t->pend = op;
	t->pend_c = c;
	debug("jump host %s: a packet half sent, to finish first",
	    t->bastion.name);
	return 1;
}

/* Each step below returns 0 when the pass must stop (a call parked). */

static int
tchan_open(struct tunnel *t, struct tchan *c)
{
	const char *msg;
	int rc;

	c->ch = libssh2_channel_direct_tcpip_ex(t->ssh, c->host, c->port,
	    "127.0.0.1", 0);
	if (c->ch == NULL) {
		rc = libssh2_session_last_errno(t->ssh);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return !tunnel_parked(t, c, OP_OPEN);
		t->opening = NULL;
		if (tunnel_session_error(rc))
			return tchan_error_rc(t, c, rc, "opening a channel");
		msg = tunnel_ssh_msg(t);
		tchan_fail(c, ERR_CONNECT, "jump host %s cannot reach %s port "
		    "%d: %s%s", t->bastion.name, c->host, c->port, msg,
		    strstr(msg, "prohibited") ? " (AllowTcpForwarding on the "
		    "jump host?)" : "");
		t->moved = 1;
		return 1;
	}
	t->opening = NULL;
	c->st = TC_OPEN;
	c->up = xmalloc(TCHAN_BUF);
	c->down = xmalloc(TCHAN_BUF);
	hlog(LOG_DEBUG, c->name, "channel open through jump host %s",
	    t->bastion.name);
	t->moved = 1;
	return 1;
}

/* Session → channel. */
static int
tchan_up(struct tunnel *t, struct tchan *c)
{
	ssize_t n;

	for (;;) {
		if (c->up_off == c->up_len && !c->up_eof) {
			n = read(c->fd, c->up, TCHAN_BUF);
			if (n > 0) {
				c->up_len = (size_t)n;
				c->up_off = 0;
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				c->up_eof = 1;
				t->moved = 1;
			} else
				return 1;
		}
		if (c->up_off == c->up_len)
			return 1;
		n = libssh2_channel_write(c->ch, (char *)c->up + c->up_off,
		    c->up_len - c->up_off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return !tunnel_parked(t, c, OP_WRITE);
		if (n < 0)
			return tchan_error_rc(t, c, (int)n, "write");
		c->up_off += (size_t)n;
		t->moved = 1;
	}
}

static int
tchan_eof(struct tunnel *t, struct tchan *c)
{
	int rc;

	if (!c->up_eof || c->up_off < c->up_len || c->eof_sent)
		return 1;
	rc = libssh2_channel_send_eof(c->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return !tunnel_parked(t, c, OP_EOF);
	if (rc < 0)
		return tchan_error_rc(t, c, rc, "EOF");
	c->eof_sent = 1;
	t->moved = 1;
	return 1;
}

/* Channel → session. */
static int
tchan_down(struct tunnel *t, struct tchan *c)
{
	ssize_t n;

	for (;;) {
		if (c->down_off < c->down_len) {
			n = send(c->fd, c->down + c->down_off,
			    c->down_len - c->down_off, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 1;
			if (n <= 0) {
				/* The session has gone: drop what comes. */
				c->gone = 1;
				n = (ssize_t)(c->down_len - c->down_off);
			}
			c->down_off += (size_t)n;
			t->moved = 1;
			continue;
		}
		if (c->down_eof)
			return 1;
		/*
		 * The first read of a pass takes in what the socket holds, for
		 * every channel; after it, a channel with nothing queued in
		 * libssh2 costs no call and no syscall.
		 */
		if (t->drained && !libssh2_poll_channel_read(c->ch, 0) &&
		    !libssh2_channel_eof(c->ch))
			return 1;
		t->drained = 1;
		n = libssh2_channel_read(c->ch, (char *)c->down, TCHAN_BUF);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return !tunnel_parked(t, c, OP_READ);
		if (n < 0)
			return tchan_error_rc(t, c, (int)n, "read");
		if (n == 0) {
			if (libssh2_channel_eof(c->ch)) {
				c->down_eof = 1;
				if (c->fd >= 0)
					shutdown(c->fd, SHUT_WR);
				t->moved = 1;
			}
			return 1;
		}
		c->down_len = (size_t)n;
		c->down_off = 0;
		t->moved = 1;
	}
}

static int
tchan_close(struct tunnel *t, struct tchan *c)
{
	int rc;

	if (c->ch != NULL) {
		rc = libssh2_channel_close(c->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return !tunnel_parked(t, c, OP_CLOSE);
		if (rc < 0 && tunnel_session_error(rc))
			return tchan_error_rc(t, c, rc, "close");
		libssh2_channel_free(c->ch);
		c->ch = NULL;
	}
	c->st = TC_DONE;
	tchan_close_fd(c);
	t->moved = 1;
	return 1;
}

/* One channel's turn in a pass. */
static int
tchan_pump(struct tunnel *t, struct tchan *c)
{
	if (c->st == TC_QUEUED && t->opening == NULL) {
		t->opening = c;
		c->st = TC_OPENING;
	}
	if (c->st == TC_OPENING && !tchan_open(t, c))
		return 0;
	if (c->st == TC_OPEN) {
		if (!tchan_up(t, c) || !tchan_eof(t, c))
			return 0;
		if (c->st == TC_OPEN && !tchan_down(t, c))
			return 0;
		if (c->st == TC_OPEN && c->eof_sent && (c->gone ||
		    (c->down_eof && c->down_off == c->down_len)))
			c->st = TC_CLOSING;
	}
	if (c->st == TC_CLOSING && !tchan_close(t, c))
		return 0;
	return 1;
}

/* Repeat the call that parked a packet; 0 if it parked again. */
static int
tunnel_repeat(struct tunnel *t)
{
	struct tchan *c = t->pend_c;
	enum pend_op op = t->pend;

	t->pend = OP_NONE;
	t->pend_c = NULL;
	switch (op) {
	case OP_OPEN:
		return tchan_open(t, c);
	case OP_WRITE:
		return tchan_up(t, c);
	case OP_EOF:
		return tchan_eof(t, c);
	case OP_READ:
		return tchan_down(t, c);
	case OP_CLOSE:
		return tchan_close(t, c);
	default:
		return 1;
	}
}

/*
 * Through ssh: the bastion's connection is a private ControlMaster
 * (sshlink.c), and each channel an "ssh -S master -W host:port" child
 * whose stdin and stdout are our end of the session's socketpair.  No
 * byte passes through fanscp.  We keep that end open while the child
 * runs, so that the session reads EOF only once the child is reaped and
 * its failure, if any, is known to tchan_error().
 */

/* The child's failure, in fanscp's words; nothing if it exited 0. */
static void
tchan_kid_verdict(struct tunnel *t, struct tchan *c)
{
	char msg[512], line[512];
	enum host_err kind;
	int st = c->kid.status;

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	kind = sshcmd_verdict(st, c->kerr, c->kerrlen, 0, msg, sizeof(msg));
	if (kind == ERR_NONE)
		snprintf(msg, sizeof(msg), "ssh exited with status %d",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (sshcmd_forward_failed(c->kerr, c->kerrlen, line, sizeof(line)))
		tchan_fail(c, ERR_CONNECT, "jump host %s cannot reach %s port "
		    "%d: %s%s", t->bastion.name, c->host, c->port, msg,
		    sshcmd_forward_hint(c->kerr));
	else
		tchan_fail(c, kind == ERR_HOSTKEY || kind == ERR_AUTH ||
		    kind == ERR_CONFIG ? kind : ERR_LOST, "jump host %s: the "
		    "ssh to %s port %d through it failed: %s", t->bastion.name,
		    c->host, c->port, msg);
}

static void	tchan_kid_done(struct tunnel *, struct tchan *);

/* Has the session closed its end of the socketpair? */
static int
tchan_session_closed(struct tchan *c)
{
	char b;

	return c->fd < 0 || recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Follow a channel's child: its stderr, then its exit. */
static void
tchan_kid_step(struct tunnel *t, struct tchan *c)
{
	char buf[4096];
	ssize_t n;
	int i;

	for (i = 0; i < 16 && !c->kerr_eof; i++) {
		n = read(c->kid.err, buf, sizeof(buf));
		if (n > 0)
			util_keep_tail(c->kerr, &c->kerrlen, sizeof(c->kerr),
			    buf, (size_t)n);
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			c->kerr_eof = 1;
		else if (errno == EAGAIN)
			break;
	}
	if (!c->kerr_eof)
		return;
	if (c->kerr_watched)
		loop_unwatch(t->set->loop, c->kid.err);
	c->kerr_watched = 0;
	/* Its stderr ends as it exits: the timer looks again soon. */
	if (child_reap(&c->kid) == 0)
		return;
	child_release(&c->kid);
	c->kid_on = 0;
	tchan_kid_verdict(t, c);
	/*
	 * ssh -W hands its stdin and stdout to the master, and exits 0 when
	 * the master lets go of them: the channel closed, or the master is
	 * ending (its last act).  If the session still holds its end, wait
	 * a little for the master's end before the session reads EOF, so
	 * that it learns why (tunnel_fail); else it is the target's close.
	 */
	if (!c->failed && !tchan_session_closed(c)) {
		c->linger = util_now_ms() + TUNNEL_LINGER_MS;
		return;
	}
	tchan_kid_done(t, c);
}

/* The child's channel is over: the session reads EOF now. */
static void
tchan_kid_done(struct tunnel *t, struct tchan *c)
{
	c->linger = 0;
	tchan_close_fd(c);
	c->st = TC_DONE;
	hlog(LOG_DEBUG, c->name, "ssh -W through jump host %s ended",
	    t->bastion.name);
	t->moved = 1;
}

/* Start a channel's child, once the master is up. */
static void
tchan_kid_spawn(struct tunnel *t, struct tchan *c)
{
	char err[256], **argv;
	int fl;

	if (c->proxy) {
		/* A target's own ssh goes through the master: say how. */
		if ((c->proxy_cmd = sshlink_proxy_command(t->link)) == NULL)
			tchan_fail(c, ERR_CONFIG, "jump host %s: cannot build "
			    "a ProxyCommand for it", t->bastion.name);
		c->st = TC_DONE;
		return;
	}
	/* The child's stdin and stdout block, as ssh expects them to. */
	if ((fl = fcntl(c->fd, F_GETFL)) != -1)
		(void)fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	if ((argv = sshlink_forward_argv(t->link, c->host, c->port, err,
	    sizeof(err))) == NULL || child_spawn_on(&c->kid, argv, c->fd, err,
	    sizeof(err)) != 0) {
		tchan_fail(c, ERR_CONFIG, "jump host %s: %s", t->bastion.name,
		    err);
		c->st = TC_DONE;
	} else {
		c->kid_on = 1;
		c->st = TC_OPEN;
		hlog(LOG_DEBUG, c->name, "ssh -W %s port %d through jump "
		    "host %s", c->host, c->port, t->bastion.name);
	}
	sshcmd_free(argv);
	t->moved = 1;
}

/*
 * A bastion behind others (-J a,b, or its own ProxyJump) over ssh: its
 * master goes through the tunnel of the hops before it, if that is over
 * ssh too; else ssh makes its own connection to them (ProxyJump).
 * Returns 0 while that tunnel logs in or once this one failed.
 */
static int
tunnel_ssh_jump(struct tunnel *t)
{
	const char *jump = conn_jump(t->conn), *cmd, *why;
	enum host_err kind;
	int r;

	if (t->jump_asked)
		return 1;
	if (jump == NULL) {
		t->jump_asked = 1;
		return 1;
	}
	if (t->jchan == NULL)
		t->jchan = tunnels_proxy(t->set, jump, t->bastion.name);
	if ((r = tchan_proxy(t->jchan, &cmd)) == 0)
		return 0;
	if (r == -1) {
		why = tchan_error(t->jchan, &kind);
		tunnel_fail(t, kind, why != NULL ? why : "its jump host failed");
		return 0;
	}
	sshlink_set_jump(t->link, jump, r == 1 ? cmd : NULL);
	tchan_release(t->jchan);
	t->jchan = NULL;
	t->jump_asked = 1;
	return 1;
}

static void
tunnel_ssh_run(struct tunnel *t)
{
	struct tchan *c;
	char why[300], msg[400];

	if (!t->ready && !tunnel_ssh_jump(t))
		return;
	if (!t->ready) {
		switch (sshlink_step(t->link)) {
		case 1:
			t->ready = 1;
			if (t->timer >= 0)
				loop_timer_del(t->set->loop, t->timer);
			t->timer = -1;
			hlog(LOG_VERBOSE, t->bastion.name, "jump host: this "
			    "thread's targets behind it share this ssh "
			    "connection");
			break;
		case 0:
			return;
		default:
			tunnel_fail(t, t->bastion.kind ? t->bastion.kind :
			    ERR_CONNECT, t->bastion.err[0] ? t->bastion.err :
			    "cannot log in over ssh");
			return;
		}
	} else if (!sshlink_alive(t->link, why, sizeof(why))) {
		/* Its targets' children die with it: they fail as lost. */
		snprintf(msg, sizeof(msg), "connection lost (%s)", why);
		tunnel_fail(t, ERR_LOST, msg);
		return;
	}
	for (c = t->chans; c != NULL && !t->failed; c = c->next) {
		/* Its session gave up while the master logged in. */
		if (c->st == TC_QUEUED && c->released) {
			tchan_close_fd(c);
			c->st = TC_DONE;
		}
		if (c->st == TC_QUEUED)
			tchan_kid_spawn(t, c);
		if (c->st == TC_OPEN && c->kid_on)
			tchan_kid_step(t, c);
		else if (c->st == TC_OPEN && (util_now_ms() >= c->linger ||
		    tchan_session_closed(c)))
			tchan_kid_done(t, c);
	}
}

static int64_t
tunnel_reap_cb(struct loop *l, void *arg)
{
	struct tunnel *t = arg;

	(void)l;
	t->reap_timer = -1;
	tunnel_run(t);
	return -1;
}

/*
 * Would a pass take in what the bastion sends?  Only a call on a channel
 * reads the socket: one opening or closing, or one with room for more
 * (tchan_down).  When none would, input there must not wake the pump: it
 * waits for a socketpair to take what is already read.
 */
static int
tunnel_reads(const struct tunnel *t)
{
	const struct tchan *c;

	for (c = t->chans; c != NULL; c = c->next)
		if (c->st == TC_OPENING || c->st == TC_CLOSING ||
		    (c->st == TC_OPEN && c->down_off == c->down_len &&
		    !c->down_eof))
			return 1;
	return 0;
}

static int64_t	tunnel_idle_cb(struct loop *, void *);

/*
 * A bastion with no channel left is closed after a while (and made again
 * if a target needs it): it is idle, and nothing would answer its
 * keepalives.  Input while idle closes it at once (tunnel_fd_cb).
 */
static void
tunnel_idle(struct tunnel *t)
{
	if (t->chans == NULL && t->timer < 0)
		t->timer = loop_timer_add(t->set->loop, TUNNEL_IDLE_MS,
		    tunnel_idle_cb, t);
	else if (t->chans != NULL && t->timer >= 0) {
		loop_timer_del(t->set->loop, t->timer);
		t->timer = -1;
	}
}

/* Close an idle tunnel: a goodbye if it can go without waiting. */
static void
tunnel_close_idle(struct tunnel *t)
{
	if (t->chans != NULL || t->failed)
		return;
	hlog(LOG_DEBUG, t->bastion.name, "jump host: idle, closed");
	/* Over ssh, the master is ended with the tunnel (tunnel_fail). */
	if (t->link == NULL && t->pend == OP_NONE)
		libssh2_session_disconnect(t->ssh, "idle");
	tunnel_fail(t, ERR_INTERRUPTED, "idle");
	tunnel_reap(t);
}

/* What the loop watches: the bastion's socket, each socketpair end. */
static void tunnel_fd_cb(struct loop *, int, int, void *);
static void tchan_fd_cb(struct loop *, int, int, void *);

/* Through ssh: the master while it logs in, each child's stderr. */
static void
tunnel_ssh_watch(struct tunnel *t)
{
	struct loop *l = t->set->loop;
	struct tchan *c;
	int fd = -1, ev = 0, efd = -1, ms = 0;

	/* Up, its master says nothing: its stdout reads only its end. */
	fd = sshlink_fd(t->link);
	ev = sshlink_events(t->link);
	efd = sshlink_fd_err(t->link);
	if (!t->ready)
		ms = t->jchan != NULL ? TUNNEL_JUMP_MS :
		    sshlink_retry_ms(t->link);
	else
		tunnel_idle(t);
	if (fd < 0 || ev == 0) {
		fd = -1;
		ev = 0;
	}
	if (fd != t->fd || ev != t->watched || efd != t->efd) {
		if (t->watched && t->fd >= 0)
			loop_unwatch(l, t->fd);
		if (t->efd >= 0)
			loop_unwatch(l, t->efd);
		t->fd = fd;
		t->watched = ev;
		t->efd = efd;
		if (fd >= 0)
			loop_watch(l, fd, ev, tunnel_fd_cb, t);
		if (efd >= 0)
			loop_watch(l, efd, LOOP_READ, tunnel_fd_cb, t);
	}
	for (c = t->chans; c != NULL; c = c->next) {
		if (c->kid_on && !c->kerr_eof && !c->kerr_watched) {
			loop_watch(l, c->kid.err, LOOP_READ, tchan_fd_cb, c);
			c->kerr_watched = 1;
		}
		if ((c->kid_on && c->kerr_eof) || c->linger > 0)
			ms = TUNNEL_REAP_MS;
	}
	if (ms > 0 && t->reap_timer < 0)
		t->reap_timer = loop_timer_add(l, ms, tunnel_reap_cb, t);
}

static void
tunnel_watch(struct tunnel *t)
{
	struct loop *l = t->set->loop;
	struct tchan *c;
	int fd, ev;

	if (t->failed)
		return;
	if (t->link != NULL) {
		tunnel_ssh_watch(t);
		return;
	}
	if (!t->ready) {
		fd = conn_fd(t->conn);
		ev = conn_events(t->conn);
	} else {
		/*
		 * Parked, only the socket's room can help: what came in stays
		 * in it until the repeated call has gone (no other call may
		 * read it), and would wake the pump for nothing.
		 */
		fd = conn_fd(t->conn);
		ev = t->pend != OP_NONE ? LOOP_WRITE :
		    tunnel_reads(t) || t->chans == NULL ? LOOP_READ : 0;
		tunnel_idle(t);
	}
	if (fd != t->fd || ev != t->watched) {
		if (t->watched && t->fd >= 0)
			loop_unwatch(l, t->fd);
		t->watched = 0;
		t->fd = fd;
		if (fd >= 0 && ev != 0) {
			loop_watch(l, fd, ev, tunnel_fd_cb, t);
			t->watched = ev;
		}
	}
	/*
	 * While a packet is parked, nothing but the bastion's socket can move
	 * the pump: the channels wait (watched, they would wake it for
	 * nothing as long as the socket stays full).
	 */
	for (c = t->chans; c != NULL; c = c->next) {
		ev = 0;
		if (c->st == TC_OPEN && c->up_off == c->up_len &&
		    !c->up_eof && t->pend == OP_NONE)
			ev |= LOOP_READ;
		if (c->st == TC_OPEN && c->down_off < c->down_len &&
		    t->pend == OP_NONE)
			ev |= LOOP_WRITE;
		if (c->fd < 0 || ev == c->watched)
			continue;
		if (ev == 0)
			loop_unwatch(l, c->fd);
		else
			loop_watch(l, c->fd, ev, tchan_fd_cb, c);
		c->watched = ev;
	}
}

/* Free what is done: channels closed and let go of, a failed tunnel. */
static void
tunnel_reap(struct tunnel *t)
{
	struct tchan **pp, *c;
	struct tunnel **tp, *y;

	for (pp = &t->chans; (c = *pp) != NULL;) {
		if (c->st == TC_DONE && c->released) {
			*pp = c->next;
			tchan_free(c);
		} else
			pp = &c->next;
	}
	if (!t->failed || t->in_run)
		return;
	for (tp = &t->set->list; *tp != NULL; tp = &(*tp)->next)
		if (*tp == t) {
			*tp = t->next;
			break;
		}
	for (y = t->set->list; y != NULL; y = y->next)
		if (y->up == t)
			y->up = NULL;
	if (t->timer >= 0)
		loop_timer_del(t->set->loop, t->timer);
	if (t->kick >= 0)
		loop_timer_del(t->set->loop, t->kick);
	if (t->reap_timer >= 0)
		loop_timer_del(t->set->loop, t->reap_timer);
	free(t->spec);
	free(t->bastion.name);
	host_release_conn(&t->bastion);
	free(t->bastion.t.host);
	free(t->bastion.t.user);
	free(t);
}

/* Log in to the bastion; 1 once logged in. */
static int
tunnel_login(struct tunnel *t)
{
	switch (conn_step(t->conn)) {
	case CONN_READY:
		t->ssh = conn_ssh(t->conn);
		t->ready = 1;
		if (t->timer >= 0)
			loop_timer_del(t->set->loop, t->timer);
		t->timer = -1;
		hlog(LOG_VERBOSE, t->bastion.name, "jump host: logged in; "
		    "this thread's targets behind it share the connection");
		return 1;
	case CONN_WAIT:
		return 0;
	default:
		/* Under auto, a bastion libssh2 cannot talk to: over ssh. */
		if ((t->link = sshlink_fallback(t->set->job, &t->bastion,
		    t->conn)) != NULL) {
			if (t->watched)
				loop_unwatch(t->set->loop, t->fd);
			t->watched = 0;
			t->fd = -1;
			sshlink_hop(t->link, conn_jump(t->conn));
			return 0;
		}
		/* ssh could: say so where the user ruled it out. */
		if (t->set->job->transport == JOB_TRANSPORT_LIBSSH2 &&
		    conn_nomatch_class(t->conn) >= 0)
			snprintf(t->bastion.err + strlen(t->bastion.err),
			    sizeof(t->bastion.err) - strlen(t->bastion.err),
			    " (ssh could log in: --transport auto)");
		tunnel_fail(t, t->bastion.kind ? t->bastion.kind :
		    ERR_CONNECT, t->bastion.err[0] ? t->bastion.err :
		    "cannot log in");
		return 0;
	}
}

static void
tunnel_run(struct tunnel *t)
{
	struct tchan *c, **pp;
	int passes = 0;

	if (t->failed || t->in_run)
		return;
	t->in_run = 1;
	if (t->link == NULL && !t->ready && !tunnel_login(t) &&
	    t->link == NULL)
		goto out;
	if (t->link != NULL) {
		do {
			t->moved = 0;
			tunnel_ssh_run(t);
		} while (!t->failed && t->moved && ++passes < TUNNEL_PASSES);
		goto out;
	}
	do {
		t->moved = 0;
		t->drained = 0;
		if (t->pend != OP_NONE && !tunnel_repeat(t))
			break;
		for (c = t->chans; c != NULL && !t->failed; c = c->next)
			if (!tchan_pump(t, c))
				break;
	} while (!t->failed && t->moved && t->pend == OP_NONE &&
	    ++passes < TUNNEL_PASSES);
	/* Still moving: go on next turn, after the others had theirs. */
	if (!t->failed && t->moved && t->pend == OP_NONE && t->kick < 0)
		t->kick = loop_timer_add(t->set->loop, 0, tunnel_kick_cb, t);
	/* The next run starts one channel further: none is always first. */
	if (!t->failed && t->chans != NULL && t->chans->next != NULL) {
		c = t->chans;
		t->chans = c->next;
		for (pp = &t->chans; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = c;
		c->next = NULL;
	}
out:
	t->in_run = 0;
	tunnel_watch(t);
	tunnel_reap(t);
}

static int64_t
tunnel_kick_cb(struct loop *l, void *arg)
{
	struct tunnel *t = arg;

	(void)l;
	t->kick = -1;
	tunnel_run(t);
	return -1;
}

static void
tunnel_fd_cb(struct loop *l, int fd, int events, void *arg)
{
	struct tunnel *t = arg;

	(void)l;
	(void)fd;
	(void)events;
	if (t->ready && t->chans == NULL)
		tunnel_close_idle(t);
	else
		tunnel_run(t);
}

static int64_t
tunnel_idle_cb(struct loop *l, void *arg)
{
	struct tunnel *t = arg;

	(void)l;
	t->timer = -1;
	tunnel_close_idle(t);
	return -1;
}

static void
tchan_fd_cb(struct loop *l, int fd, int events, void *arg)
{
	struct tchan *c = arg;

	(void)l;
	(void)fd;
	(void)events;
	if (c->t != NULL)
		tunnel_run(c->t);
}

/* Not logged in to the bastion in time: its targets fail. */
static int64_t
tunnel_deadline_cb(struct loop *l, void *arg)
{
	struct tunnel *t = arg;
	char why[160];

	(void)l;
	t->timer = -1;
	if (!t->ready && !t->failed) {
		snprintf(why, sizeof(why), "not logged in within %d s "
		    "(ConnectTimeout)", conn_connect_timeout(t->conn));
		tunnel_fail(t, ERR_TIMEOUT, why);
		tunnel_reap(t);
	}
	return -1;
}

struct tunnels *
tunnels_new(const struct job *job, struct loop *loop)
{
	struct tunnels *set = xcalloc(1, sizeof(*set));

	set->job = job;
	set->loop = loop;
	return set;
}

/* The tunnel for spec: the live one, or a new one, connecting. */
static struct tunnel *
tunnel_get(struct tunnels *set, const char *spec)
{
	struct jump_hop *hops;
	struct tunnel *t;
	char err[256], *via = NULL;
	int n;

	for (t = set->list; t != NULL; t = t->next)
		if (!t->failed && strcmp(t->spec, spec) == 0)
			return t;
	t = xcalloc(1, sizeof(*t));
	t->set = set;
	t->spec = xstrdup(spec);
	t->fd = t->efd = -1;
	t->timer = -1;
	t->kick = -1;
	t->reap_timer = -1;
	t->next = set->list;
	set->list = t;
	if ((n = jump_parse(spec, &hops, err, sizeof(err))) < 0) {
		t->bastion.name = xstrdup(spec);
		tunnel_fail(t, ERR_CONFIG, err);
		return t;
	}
	/* The last hop is this bastion; the ones before lead to it. */
	t->bastion.t.host = xstrdup(hops[n - 1].host);
	t->bastion.t.user = hops[n - 1].user ? xstrdup(hops[n - 1].user) :
	    NULL;
	t->bastion.t.port = hops[n - 1].port;
	t->bastion.t.path = NULL;
	t->bastion.name = xstrdup(hops[n - 1].host);
	if (n > 1) {
		const char *comma = strrchr(spec, ',');

		via = xstrndup(spec, (size_t)(comma - spec));
	}
	jump_hops_free(hops, n);
	t->conn = conn_new_hop(set->job, &t->bastion, via);
	free(via);
	conn_set_tunnels(t->conn, set);
	if (host_has_error(&t->bastion)) {
		tunnel_fail(t, t->bastion.kind, t->bastion.err);
		return t;
	}
	/* ssh for the bastion (--transport ssh, or what auto sees). */
	if ((t->link = sshlink_choose(set->job, &t->bastion, t->conn)))
		sshlink_hop(t->link, conn_jump(t->conn));
	return t;
}

/* Its login starts (next turn), with its deadline, if not yet. */
static void
tunnel_start(struct tunnel *t)
{
	if (t->started || t->failed)
		return;
	t->started = 1;
	t->set->made++;
	t->timer = loop_timer_add(t->set->loop,
	    1000 * (int64_t)conn_connect_timeout(t->conn),
	    tunnel_deadline_cb, t);
	hlog(LOG_DEBUG, t->bastion.name, "jump host: connecting%s",
	    t->link != NULL ? " over ssh" : "");
	/* Run once the caller's turn is over: no pump inside its step. */
	if (t->kick < 0)
		t->kick = loop_timer_add(t->set->loop, 0, tunnel_kick_cb, t);
}

/*
 * The tunnel whose bastion connection is for (from is its host record),
 * or NULL: a target's connection.
 */
static struct tunnel *
tunnel_of(struct tunnels *set, const struct host *from)
{
	struct tunnel *x;

	for (x = set->list; x != NULL; x = x->next)
		if (&x->bastion == from)
			return x;
	return NULL;
}

/*
 * Would x's bastion connection going through t close a loop (ProxyJump
 * a → b in one file and b → a in another): does t wait, through the
 * tunnels its own connection goes through, on x?  ssh would fork itself
 * until it ran out of processes; here the targets behind fail at once.
 */
static int
tunnel_loops(const struct tunnel *t, const struct tunnel *x)
{
	int n;

	for (n = 0; t != NULL && n < 64; t = t->up, n++)
		if (t == x)
			return 1;
	return n == 64;
}

/* A channel to host:port for via_of, in no tunnel yet. */
static struct tchan *
tchan_new(const char *host, int port, const char *via_of)
{
	struct tchan *c = xcalloc(1, sizeof(*c));

	c->host = xstrdup(host);
	c->port = port;
	c->name = xstrdup(via_of);
	c->fd = c->fd_sess = -1;
	return c;
}

/*
 * Queue c on t's channels, and run t once the caller's turn is over: no
 * pump inside the caller's step.
 */
static struct tchan *
tunnel_attach(struct tunnel *t, struct tchan *c)
{
	struct tchan **pp;

	c->t = t;
	for (pp = &t->chans; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	tunnel_start(t);
	if (t->kick < 0)
		t->kick = loop_timer_add(t->set->loop, 0, tunnel_kick_cb, t);
	return c;
}

struct tchan *
tunnels_open(struct tunnels *set, const char *spec, const char *host,
    int port, const char *via_of, const struct host *from)
{
	struct tunnel *x = tunnel_of(set, from);
	struct tunnel *t = tunnel_get(set, spec);
	struct tchan *c = tchan_new(host, port, via_of);
	int sp[2];

	if (x != NULL && !t->failed && tunnel_loops(t, x)) {
		tchan_fail(c, ERR_CONFIG, "ProxyJump loops: jump host %s goes "
		    "through %s, which goes through it", x->bastion.name,
		    spec);
		c->st = TC_DONE;
		return c;
	}
	if (x != NULL)
		x->up = t;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sp) == 0) {
		c->fd_sess = sp[0];
		c->fd = sp[1];
	}
	/* Its configuration failed at once: the channel fails with it. */
	if (t->failed || c->fd < 0) {
		if (t->failed)
			tchan_fail(c, t->kind, "%s", t->err);
		else
			tchan_fail(c, ERR_CONNECT, "socketpair: %s",
			    strerror(errno));
		c->st = TC_DONE;
		tunnel_reap(t);
		return c;
	}
	return tunnel_attach(t, c);
}

struct tchan *
tunnels_proxy(struct tunnels *set, const char *spec, const char *via_of)
{
	struct tunnel *t = tunnel_get(set, spec);
	struct tchan *c = tchan_new("", 0, via_of);

	c->proxy = 1;
	if (t->failed || t->link == NULL) {
		/* Failed at once, or libssh2's: no master to go through. */
		if (t->failed)
			tchan_fail(c, t->kind, "%s", t->err);
		c->st = TC_DONE;
		tunnel_reap(t);
		return c;
	}
	return tunnel_attach(t, c);
}

int
tchan_proxy(const struct tchan *c, const char **cmd)
{
	*cmd = c->proxy_cmd;
	if (c->failed)
		return -1;
	if (c->st != TC_DONE)
		return 0;
	return c->proxy_cmd != NULL ? 1 : -2;
}

int
tunnels_count(const struct tunnels *set)
{
	return set->made;
}

void
tunnels_free(struct tunnels *set)
{
	struct tunnel *t;

	if (set == NULL)
		return;
	/* Say goodbye where nothing is half sent, without waiting. */
	for (t = set->list; t != NULL; t = t->next)
		if (t->ready && !t->failed && t->link == NULL &&
		    t->pend == OP_NONE)
			libssh2_session_disconnect(t->ssh, "done");
	while ((t = set->list) != NULL) {
		if (!t->failed)
			tunnel_fail(t, ERR_INTERRUPTED, "closed");
		tunnel_reap(t);
	}
	free(set);
}
