/*
 * Tests for child processes on non-blocking pipes, with /bin/sh as the
 * child: output on both streams and the exit status; 1 MB through cat
 * with every pipe non-blocking (writes meet EAGAIN); SIGPIPE at its
 * default in the child although fanscp ignores it; none of our fds but
 * the three pipes in the child; a process group of its own; a signal and
 * the reap; a program that does not exist; and our own 0, 1 and 2 closed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "remote.h"

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;		/* the directory's own fd */
}

struct out {
	char	 o[1 << 21];
	size_t	 olen;
	char	 e[4096];
	size_t	 elen;
};

/*
 * Feed data (len bytes) to the child's stdin and read its stdout and
 * stderr to EOF, all through poll and non-blocking fds, then reap it.
 * Returns how many writes met EAGAIN.
 */
static int
run(struct child *c, const char *data, size_t len, struct out *o)
{
	struct pollfd pf[3];
	size_t off = 0;
	ssize_t r;
	int eagain = 0, i, t;

	o->olen = o->elen = 0;
	if (len == 0)
		child_close_in(c);
	while (c->out >= 0 || c->err >= 0) {
		pf[0].fd = c->in;
		pf[0].events = POLLOUT;
		pf[1].fd = c->out;
		pf[1].events = POLLIN;
		pf[2].fd = c->err;
		pf[2].events = POLLIN;
		assert_true(poll(pf, 3, 10000) > 0);
		if (c->in >= 0 && pf[0].revents) {
			r = write(c->in, data + off, len - off);
			if (r < 0) {
				assert_int_equal(errno, EAGAIN);
				eagain++;
			} else if ((off += (size_t)r) == len)
				child_close_in(c);
		}
		for (i = 1; i < 3; i++) {
			int *fd = i == 1 ? &c->out : &c->err;
			char *b = i == 1 ? o->o : o->e;
			size_t *bl = i == 1 ? &o->olen : &o->elen;
			size_t cap = i == 1 ? sizeof(o->o) : sizeof(o->e);

			if (*fd < 0 || !pf[i].revents)
				continue;
			r = read(*fd, b + *bl, cap - *bl);
			if (r < 0) {
				assert_int_equal(errno, EAGAIN);
				continue;
			}
			if (r == 0) {
				close(*fd);
				*fd = -1;
			}
			*bl += (size_t)r;
		}
	}
	for (t = 0; t < 1000 && child_reap(c) == 0; t++)
		usleep(10000);
	assert_int_equal(c->pid, 0);
	child_release(c);
	return eagain;
}

static void
test_streams(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3",
	    NULL };
	struct out *o = malloc(sizeof(*o));
	struct child c;
	char err[256];
	int before = open_fds();

	(void)state;
	assert_int_equal(child_spawn(&c, argv, 0, err, sizeof(err)), 0);
	assert_true(c.pid > 0);
	/* Our ends are non-blocking and close-on-exec. */
	assert_true(fcntl(c.in, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(c.out, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(c.err, F_GETFD) & FD_CLOEXEC);
	run(&c, NULL, 0, o);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 3);
	assert_int_equal(o->olen, 4);
	assert_memory_equal(o->o, "out\n", 4);
	assert_int_equal(o->elen, 4);
	assert_memory_equal(o->e, "err\n", 4);
	assert_int_equal(open_fds(), before);
	free(o);
}

/* More than a pipe holds, both ways at once, without blocking. */
static void
test_cat(void **state)
{
	char *argv[] = { "cat", NULL };
	size_t len = 1 << 20, i, pre = 0;
	ssize_t r;
	char *data = malloc(len), err[256];
	struct out *o = malloc(sizeof(*o));
	struct child c;

	(void)state;
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 31 + i / 7);
	assert_int_equal(child_spawn(&c, argv, 0, err, sizeof(err)), 0);
	/* The pipe fills (cat is not reading yet): EAGAIN, never a block. */
	kill(c.pid, SIGSTOP);
	while ((r = write(c.in, data + pre, len - pre)) > 0)
		pre += (size_t)r;
	assert_int_equal(r, -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(pre < len);
	kill(c.pid, SIGCONT);
	run(&c, data + pre, len - pre, o);
	assert_int_equal(o->olen, len);
	assert_memory_equal(o->o, data, len);
	assert_int_equal(WEXITSTATUS(c.status), 0);
	free(data);
	free(o);
}

/*
 * fanscp ignores SIGPIPE; the child must not inherit that: a writer whose
 * reader is gone dies of it, as in a shell.
 */
static void
test_sigpipe(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 0.2; exec yes", NULL };
	struct child c;
	char err[256];
	int t;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(child_spawn(&c, argv, 0, err, sizeof(err)), 0);
	close(c.out);
	c.out = -1;
	for (t = 0; t < 1000 && child_reap(&c) == 0; t++)
		usleep(10000);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGPIPE);
	child_release(&c);
	signal(SIGPIPE, SIG_DFL);
}

/* The child has 0, 1, 2 and none of our other fds; its own group. */
static void
test_fds_and_group(void **state)
{
	char *argv[] = { "ls", "/proc/self/fd", NULL };
	struct out *o = malloc(sizeof(*o));
	struct child c, c2;
	char err[256], want[32];
	int leak;

	(void)state;
	assert_int_equal(child_spawn(&c2, (char *[]){ "sleep", "5", NULL }, 0,
	    err, sizeof(err)), 0);
	assert_int_equal(getpgid(c2.pid), c2.pid);
	/* An fd inherited without FD_CLOEXEC does not reach the child. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	assert_int_equal(child_spawn(&c, argv, 0, err, sizeof(err)), 0);
	close(leak);
	run(&c, NULL, 0, o);
	o->o[o->olen] = '\0';
	/* 3: the directory ls reads. */
	assert_string_equal(o->o, "0\n1\n2\n3\n");
	/* The other child's pipe ends did not reach this one. */
	snprintf(want, sizeof(want), "\n%d\n", c2.out);
	assert_null(strstr(o->o, want));
	assert_int_equal(child_kill(&c2, SIGTERM), 0);
	while (child_reap(&c2) == 0)
		usleep(10000);
	assert_true(WIFSIGNALED(c2.status));
	assert_int_equal(WTERMSIG(c2.status), SIGTERM);
	assert_int_equal(child_kill(&c2, SIGTERM), -1);
	assert_int_equal(child_reap(&c2), 1);
	child_release(&c2);
	free(o);
}

static void
test_missing(void **state)
{
	char *argv[] = { "fanscp-no-such-program", "x", NULL };
	struct child c;
	char err[256];
	int before = open_fds();

	(void)state;
	assert_int_equal(child_spawn(&c, argv, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot run 'fanscp-no-such-program': No "
	    "such file or directory");
	assert_int_equal(c.pid, 0);
	assert_int_equal(c.in, -1);
	assert_int_equal(open_fds(), before);
}

/* With our 0, 1 and 2 closed, the child still gets its pipes there. */
static void
test_closed_std(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; cat",
	    NULL };
	struct out *o = malloc(sizeof(*o));
	int save[3], i, r;
	struct child c;
	char err[256];

	(void)state;
	fflush(stdout);
	for (i = 0; i < 3; i++) {
		save[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
		close(i);
	}
	r = child_spawn(&c, argv, 0, err, sizeof(err));
	for (i = 0; i < 3; i++) {
		dup2(save[i], i);
		close(save[i]);
	}
	assert_int_equal(r, 0);
	assert_true(c.in > 2 && c.out > 2 && c.err > 2);
	run(&c, "in\n", 3, o);
	assert_int_equal(o->olen, 7);
	assert_memory_equal(o->o, "out\nin\n", 7);
	assert_memory_equal(o->e, "err\n", 4);
	assert_int_equal(WEXITSTATUS(c.status), 0);
	free(o);
}

/*
 * The way the ssh transport will run a remote step: the same loader
 * every channel execs (here under a local sh, as sshd would run it), the
 * script framed on stdin, the data after it, through non-blocking pipes.
 */
static void
loader(int flags)
{
	char *argv[] = { "/bin/sh", "-c", (char *)(uintptr_t)remote_exec_cmd,
	    NULL };
	const char *script = "echo fanscp-ready; n=$(wc -c); echo got $n; "
	    "echo 'it'\\''s' >&2; exit 9\n";
	struct out *o = malloc(sizeof(*o));
	size_t flen, dlen = 200000;
	char *frame = remote_frame(script, &flen), *in, err[256];
	struct child c;

	in = malloc(flen + dlen);
	memcpy(in, frame, flen);
	memset(in + flen, 'd', dlen);
	assert_int_equal(child_spawn(&c, argv, flags, err, sizeof(err)), 0);
	assert_int_equal(c.in == c.out, flags == CHILD_SOCKET);
	run(&c, in, flen + dlen, o);
	o->o[o->olen] = '\0';
	o->e[o->elen < sizeof(o->e) ? o->elen : 0] = '\0';
	if (strcmp(o->o, "fanscp-ready\ngot 200000\n") != 0)
		fail_msg("stdout '%s', stderr '%s'", o->o, o->e);
	assert_int_equal(o->elen, 5);
	assert_memory_equal(o->e, "it's\n", 5);
	assert_int_equal(WEXITSTATUS(c.status), 9);
	free(frame);
	free(in);
	free(o);
}

static void
test_loader(void **state)
{
	(void)state;
	loader(0);
}

/* One socket for stdin and stdout, as the loop watches a session's. */
static void
test_loader_socket(void **state)
{
	(void)state;
	loader(CHILD_SOCKET);
}

/* 1 MB each way through one non-blocking socket; EOF by shutdown. */
static void
test_socket_cat(void **state)
{
	char *argv[] = { "cat", NULL };
	size_t len = 1 << 20, i;
	char *data = malloc(len), err[256];
	struct out *o = malloc(sizeof(*o));
	struct child c;
	int before = open_fds();

	(void)state;
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 13 + i / 5);
	assert_int_equal(child_spawn(&c, argv, CHILD_SOCKET, err,
	    sizeof(err)), 0);
	assert_true(fcntl(c.in, F_GETFL) & O_NONBLOCK);
	run(&c, data, len, o);
	assert_int_equal(o->olen, len);
	assert_memory_equal(o->o, data, len);
	assert_int_equal(WEXITSTATUS(c.status), 0);
	assert_int_equal(open_fds(), before);
	free(data);
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_cat),
		cmocka_unit_test(test_sigpipe),
		cmocka_unit_test(test_fds_and_group),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_closed_std),
		cmocka_unit_test(test_loader),
		cmocka_unit_test(test_loader_socket),
		cmocka_unit_test(test_socket_cat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
