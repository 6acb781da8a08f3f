/*
 * A child process on non-blocking pipes (see child.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Move both ends of a new close-on-exec pipe or socketpair above 2.  With
 * fanscp's own stdin, stdout or stderr closed, pipe() may return 0, 1 or
 * 2; a dup2() of an fd onto itself keeps FD_CLOEXEC, and the child would
 * lose it.  On failure both ends are closed.
 */
static int
above2(int p[2])
{
	int i, fd;

	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		if ((fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3)) == -1) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
		close(p[i]);
		p[i] = fd;
	}
	return 0;
}

/* A close-on-exec pipe whose ends are above 2. */
static int
pipe_above2(int p[2])
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	return above2(p);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * fds fanscp inherited without FD_CLOEXEC (from a shell, a job runner)
 * are closed in the child too: it gets 0, 1 and 2 only.
 */
static int
close_rest(posix_spawn_file_actions_t *fa)
{
#if defined(__GLIBC_PREREQ) && __GLIBC_PREREQ(2, 34)
	return posix_spawn_file_actions_addclosefrom_np(fa, 3);
#else
	(void)fa;
	return 0;	/* ssh closes them itself (closefrom in its main) */
#endif
}

/*
 * Signals at their defaults (fanscp ignores SIGPIPE, and an ignored signal
 * stays ignored across exec), none blocked, a process group of its own.
 */
static int
spawn_attr(posix_spawnattr_t *attr)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGQUIT, SIGTERM,
	    SIGHUP, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGUSR1,
	    SIGUSR2, SIGXFSZ };
	sigset_t all, none;
	size_t i;

	sigemptyset(&all);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&all, sigs[i]);
	sigemptyset(&none);
	if (posix_spawnattr_init(attr) != 0)
		return -1;
	if (posix_spawnattr_setsigdefault(attr, &all) != 0 ||
	    posix_spawnattr_setsigmask(attr, &none) != 0 ||
	    posix_spawnattr_setpgroup(attr, 0) != 0 ||
	    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP) != 0) {
		posix_spawnattr_destroy(attr);
		return -1;
	}
	return 0;
}

/* A close-on-exec socketpair whose ends are above 2. */
static int
socketpair_above2(int p[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) == -1)
		return -1;
	return above2(p);
}

/*
 * The fds: p[0] stdin (child's end [0], ours [1]), p[1] stdout (ours [0],
 * child's [1]), p[2] stderr likewise; with CHILD_SOCKET, p[0] is a
 * socketpair (ours [1], child's [0]) that serves as stdout too.
 */
static int
make_fds(int p[3][2], int flags)
{
	int i;

	if (flags & CHILD_SOCKET) {
		if (socketpair_above2(p[0]) == -1)
			return -1;
		/* As pipe_above2: [0] is the child's, [1] ours. */
		i = p[0][0];
		p[0][0] = p[0][1];
		p[0][1] = i;
	} else if (pipe_above2(p[0]) == -1)
		return -1;
	for (i = 1; i < 3; i++) {
		if (i == 1 && (flags & CHILD_SOCKET))
			continue;
		if (pipe_above2(p[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * posix_spawn argv with in, out and err as its stdin, stdout and
 * stderr.  Returns 0 or an errno.
 */
static int
spawn_fds(struct child *c, char *const argv[], int in, int out, int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int e;

	if (spawn_attr(&attr) == -1)
		return ENOMEM;
	if ((e = posix_spawn_file_actions_init(&fa)) == 0) {
		/* The child's ends onto 0, 1, 2; dup2 clears FD_CLOEXEC. */
		if ((e = posix_spawn_file_actions_adddup2(&fa, in, 0)) ||
		    (e = posix_spawn_file_actions_adddup2(&fa, out, 1)) ||
		    (e = posix_spawn_file_actions_adddup2(&fa, err, 2)) ||
		    (e = close_rest(&fa)) ||
		    (e = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv,
		    environ)) != 0)
			c->pid = 0;
		posix_spawn_file_actions_destroy(&fa);
	}
	posix_spawnattr_destroy(&attr);
	return e;
}

int
child_spawn(struct child *c, char *const argv[], int flags, char *err,
    size_t errlen)
{
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int i, r = -1, e = 0;

	memset(c, 0, sizeof(*c));
	c->in = c->out = c->err = -1;
	c->sock = (flags & CHILD_SOCKET) != 0;
	if (make_fds(p, flags) == -1) {
		e = errno;
		goto out;
	}
	if ((e = spawn_fds(c, argv, p[0][0], c->sock ? p[0][0] : p[1][1],
	    p[2][1])) != 0)
		goto out;
	c->in = p[0][1];
	c->out = c->sock ? c->in : p[1][0];
	c->err = p[2][0];
	p[0][1] = p[1][0] = p[2][0] = -1;
	/* Cannot fail on a fresh pipe. */
	(void)set_nonblock(c->in);
	(void)set_nonblock(c->out);
	(void)set_nonblock(c->err);
	r = 0;
out:
	for (i = 0; i < 3; i++) {
		close_fd(&p[i][0]);
		close_fd(&p[i][1]);
	}
	if (r == -1)
		snprintf(err, errlen, "cannot run '%s': %s", argv[0],
		    strerror(e));
	return r;
}

int
child_spawn_on(struct child *c, char *const argv[], int sock, char *err,
    size_t errlen)
{
	int p[2] = { -1, -1 }, fd, e = 0;

	memset(c, 0, sizeof(*c));
	c->in = c->out = c->err = -1;
	/* sock itself may be 0, 1 or 2, or lack FD_CLOEXEC: a copy above 2. */
	if ((fd = fcntl(sock, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    pipe_above2(p) == -1) {
		e = errno;
		p[0] = p[1] = -1;
	} else
		e = spawn_fds(c, argv, fd, fd, p[1]);
	close_fd(&fd);
	close_fd(&p[1]);
	if (e != 0) {
		close_fd(&p[0]);
		snprintf(err, errlen, "cannot run '%s': %s", argv[0],
		    strerror(e));
		return -1;
	}
	c->err = p[0];
	(void)set_nonblock(c->err);
	return 0;
}

void
child_close_in(struct child *c)
{
	if (c->sock) {
		/* The socket still reads: only its writing half ends. */
		if (c->in >= 0)
			shutdown(c->in, SHUT_WR);
		c->in = -1;
		return;
	}
	close_fd(&c->in);
}

int
child_kill(struct child *c, int sig)
{
	if (c->pid <= 0)
		return -1;
	return kill(c->pid, sig);
}

int
child_reap(struct child *c)
{
	pid_t r;

	if (c->pid <= 0)
		return 1;
	do
		r = waitpid(c->pid, &c->status, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r == -1)
		return -1;
	c->pid = 0;
	return 1;
}

void
child_release(struct child *c)
{
	if (c->sock)
		c->in = -1;	/* the same fd as out */
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
}
