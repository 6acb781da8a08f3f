/*
 * Tests for the ssh transport's host link and rexec's ssh backend, with a
 * fake ssh (a script that logs its argv and runs the remote command with
 * /bin/sh here): the master comes up on its first line, a step runs
 * through it with stdin, stdout, stderr and the remote exit status as over
 * a channel, ssh's own failure (exit 255 and its words) becomes an error
 * kind, a step that dies while being written to still yields its status,
 * and closing ends the master and removes its directory.  The argv: the
 * forced options before the user's, the private ControlMaster settings,
 * and "--" before the host.  A jump host's link: no user -o, ProxyJump
 * as given or none, its -W children's argv, and its ProxyCommand, which
 * sh reads back into the very same argv whatever the names hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "rexec.h"
#include "sshcmd.h"
#include "sshlink.h"
#include "util.h"

static char dir[64], fake[128], logpath[128];

static const char fake_ssh[] =
"#!/bin/sh\n"
"printf '%s\\n' \"$*\" >>\"$FAKESSH_LOG\"\n"
"while [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\n"
"shift 2\n"
"exec /bin/sh -c \"$1\"\n";

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_sshlink.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(fake, sizeof(fake), "%s/ssh", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	assert_non_null(f = fopen(fake, "w"));
	fputs(fake_ssh, f);
	fclose(f);
	assert_int_equal(chmod(fake, 0755), 0);
	setenv("FAKESSH_LOG", logpath, 1);
	unsetenv("TMPDIR");	/* its directory is then under /tmp */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(fake);
	unlink(logpath);
	rmdir(dir);
	return 0;
}

static struct sshlink *
new_link(struct host *h)
{
	static char *const opts[] = { "BatchMode=no", NULL };
	struct sshcmd c;

	memset(h, 0, sizeof(*h));
	h->t.host = "lab001";
	h->name = "lab001";
	memset(&c, 0, sizeof(c));
	c.program = fake;
	c.options = opts;
	c.n_options = 1;
	c.port = 2222;
	c.user = "u";
	c.strict = SHK_YES;
	c.host = "lab001";
	return sshlink_new(&c, h);
}

/* Step the master until it is up (1) or failed (-1). */
static int
link_up(struct sshlink *l)
{
	struct pollfd p;
	int r, i;

	for (i = 0; i < 500; i++) {
		if ((r = sshlink_step(l)) != 0)
			return r;
		p.fd = sshlink_fd(l);
		p.events = POLLIN;
		poll(&p, p.fd >= 0, 10);
	}
	return 0;
}

/* Run cmd through the link with input on its stdin; rexec_finish's code. */
static int
run(struct rexec *rx, struct sshlink *l, const char *cmd, const char *in,
    size_t len)
{
	size_t off = 0;
	ssize_t n;
	int r, i;

	rexec_init(rx, cmd, l);
	assert_int_equal(rexec_start(rx, NULL), 0);
	for (i = 0; off < len && i < 5000; i++) {
		n = rexec_write(rx, in + off, len - off);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (rexec_block_directions(rx, NULL) == 0)
				break;	/* it has gone: finish says why */
			usleep(1000);
			continue;
		}
		assert_true(n > 0);
		off += (size_t)n;
	}
	for (i = 0; i < 5000; i++) {
		if ((r = rexec_finish(rx, NULL)) != LIBSSH2_ERROR_EAGAIN)
			return r;
		usleep(1000);
	}
	fail_msg("the step never finished");
	return -1;
}

static void
test_steps(void **state)
{
	struct rexec rx;
	struct host h;
	struct sshlink *l = new_link(&h);
	int i;

	(void)state;
	assert_int_equal(link_up(l), 1);
	assert_int_equal(run(&rx, l, "cat; echo oops >&2; exit 3", "hello",
	    5), 0);
	assert_string_equal(rx.out, "hello");
	assert_string_equal(rx.err, "oops\n");
	assert_int_equal(rx.exit_status, 3);
	assert_int_equal(rx.kind, ERR_NONE);
	rexec_release(&rx);
	/* ssh's own failure: exit 255 with its words. */
	assert_int_equal(run(&rx, l, "echo 'Host key verification failed.' "
	    ">&2; exit 255", "", 0), LIBSSH2_ERROR_SOCKET_DISCONNECT);
	assert_int_equal(rx.kind, ERR_HOSTKEY);
	rexec_release(&rx);
	/* Ends at once while 1 MB is being written: its status still. */
	{
		char *big = calloc(1, 1 << 20);

		assert_int_equal(run(&rx, l, "exec 0<&-; echo full >&2; exit 1",
		    big, 1 << 20), 0);
		assert_int_equal(rx.exit_status, 1);
		assert_string_equal(rx.err, "full\n");
		rexec_release(&rx);
		free(big);
	}
	for (i = 0; i < 5000 && !sshlink_close(l); i++)
		usleep(1000);
	assert_true(i < 5000);
	sshlink_free(l);
	assert_false(host_has_error(&h));
}

static void
test_argv(void **state)
{
	struct host h;
	struct sshlink *l = new_link(&h);
	char line[4096], *master, *step;
	FILE *f;
	int i;

	(void)state;
	unlink(logpath);
	assert_int_equal(link_up(l), 1);
	/* A step's argv, built as rexec builds it. */
	{
		char err[128], **v = sshlink_argv(l, "true", err, sizeof(err));
		size_t k, o = 0;

		assert_non_null(v);
		step = calloc(1, 4096);
		for (k = 1; v[k] != NULL && o < 4096; k++)
			o += (size_t)snprintf(step + o, 4096 - o, "%s ", v[k]);
		sshcmd_free(v);
	}
	for (i = 0; i < 5000 && !sshlink_close(l); i++)
		usleep(1000);
	sshlink_free(l);
	assert_non_null(f = fopen(logpath, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	master = line;
	assert_non_null(strstr(master, "ControlMaster=yes"));
	assert_non_null(strstr(master, "ControlPersist=no"));
	assert_non_null(strstr(master, "/tmp/fanscp-ssh."));
	assert_true(strstr(master, "BatchMode=yes") <
	    strstr(master, "BatchMode=no"));
	assert_non_null(strstr(master, "-p 2222 -l u "));
	assert_non_null(strstr(master, "-- lab001 echo fanscp-up"));
	assert_non_null(strstr(step, "ControlMaster=no"));
	assert_null(strstr(step, "ControlMaster=yes"));
	assert_non_null(strstr(step, "-- lab001 true "));
	free(step);
}

/* A master that ends before its first line: ssh's verdict on the host. */
static void
test_login_fails(void **state)
{
	static char *const opts[] = { NULL };
	struct sshcmd c;
	struct host h;
	struct sshlink *l;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.t.host = "lab001";
	h.name = "lab001";
	memset(&c, 0, sizeof(c));
	/* Exits 1 without a word: ssh logged in (its own failures are 255)
	   and the account ran something else (a ForceCommand). */
	c.program = "/bin/false";
	c.options = opts;
	c.strict = SHK_YES;
	c.host = "lab001";
	l = sshlink_new(&c, &h);
	assert_int_equal(link_up(l), -1);
	assert_true(host_has_error(&h));
	assert_int_equal(h.kind, ERR_REMOTE);
	assert_non_null(strstr(h.err, "did not run fanscp's command"));
	assert_non_null(strstr(h.err, "(status 1)"));
	sshlink_free(l);
}

/* Run sh -c cmd (the fake ssh logs its argv); the logged line. */
static void
sh_logged(const char *cmd, char *line, size_t len)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	FILE *f;
	pid_t pid;
	int st;

	unlink(logpath);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_non_null(f = fopen(logpath, "r"));
	assert_non_null(fgets(line, (int)len, f));
	fclose(f);
}

static void
test_hop(void **state)
{
	static char *const opts[] = { "ProxyJump=lab001", NULL };
	struct sshcmd c;
	struct host h;
	struct sshlink *l;
	char err[128], **v, *pc, *p, *o, run[4096], line[4096], want[4096];
	size_t k, n = 0;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.t.host = "b$(id)`id`";
	h.name = h.t.host;
	memset(&c, 0, sizeof(c));
	c.program = fake;
	c.config_file = "/tmp/a%b c'd";
	c.options = opts;
	c.n_options = 1;
	c.strict = SHK_YES;
	c.host = h.t.host;
	l = sshlink_new(&c, &h);
	sshlink_hop(l, NULL);
	/* Before its master is up there is no channel to be had. */
	assert_null(sshlink_forward_argv(l, "web01", 22, err, sizeof(err)));
	assert_int_equal(link_up(l), 1);
	v = sshlink_forward_argv(l, "fe80::1", 2222, err, sizeof(err));
	assert_non_null(v);
	for (k = 0; v[k] != NULL; k++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s ",
		    k == 0 ? "" : v[k]);
	/* The user's -o are the targets': none here, and no ProxyJump. */
	assert_non_null(strstr(want, "ProxyJump=none"));
	assert_null(strstr(want, "ProxyJump=lab001"));
	assert_null(strstr(want, "ClearAllForwardings"));
	assert_non_null(strstr(want, "ControlMaster=no"));
	assert_non_null(strstr(want, "-W [fe80::1]:2222 -- b$(id)`id` "));
	assert_string_equal(v[k - 1], h.t.host);
	sshcmd_free(v);
	/* Its ProxyCommand: ssh's %-expansion, then sh, give that argv. */
	pc = sshlink_proxy_command(l);
	assert_non_null(pc);
	assert_non_null(strstr(pc, " %h:%p "));
	for (p = pc, o = run; *p != '\0'; p++) {
		if (strncmp(p, "%h:%p", 5) == 0) {
			o += sprintf(o, "[fe80::1]:2222");
			p += 4;
		} else if (p[0] == '%' && p[1] == '%') {
			*o++ = '%';
			p++;
		} else
			*o++ = *p;
	}
	*o = '\0';
	sh_logged(run, line, sizeof(line));
	line[strcspn(line, "\n")] = '\0';
	/* The fake ssh logs "$*": the argv after its name, blank-joined. */
	want[strlen(want) - 1] = '\0';
	assert_string_equal(line, want + 1);
	free(pc);
	sshlink_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_login_fails),
		cmocka_unit_test(test_hop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
