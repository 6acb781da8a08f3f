/*
 * Tests for the remote scripts.  They run for real: each script goes to a
 * local shell as its -c argument, with stdin fed from a buffer and stdout
 * and stderr captured, in a fresh mkdtemp directory that is both the cwd
 * and HOME.  The happy paths run under every shell found here: /bin/sh,
 * dash, bash --posix and busybox sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "remote.h"
#include "tree.h"
#include "xmalloc.h"

char	*remote_prelude(const struct remote_job *);

#define TOKEN		"c0ffee42"
#define SHA_ABC		\
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define NOBODY		65534
#define SHA_HELLO	\
	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

struct shell {
	const char	*name;
	const char	*path[2];	/* where to look for it */
	const char	*arg;		/* argument before -c, or NULL */
};

static const struct shell shells[] = {
	{ "sh", { "/bin/sh", NULL }, NULL },
	{ "dash", { "/bin/dash", "/usr/bin/dash" }, NULL },
	{ "bash --posix", { "/bin/bash", "/usr/bin/bash" }, "--posix" },
	{ "busybox sh", { "/bin/busybox", "/usr/bin/busybox" }, "sh" },
	/* A login shell that is not sh, as on macOS. */
	{ "zsh", { "/bin/zsh", "/usr/bin/zsh" }, NULL },
};
#define NSHELLS	(sizeof(shells) / sizeof(shells[0]))

/* How the next scripts run; reset before each test. */
static struct {
	const char	*sh;		/* the shell's path */
	const char	*arg;		/* its argument before -c */
	const char	*path;		/* PATH, or NULL */
	const char	*tz;		/* TZ, or NULL */
	const char	*locale;	/* LC_ALL, or NULL */
	uid_t		 uid;		/* run as this user if not 0 */
} opt;

struct result {
	int	 status;		/* exit status, or 128 + signal */
	char	*out;
	size_t	 outlen;
	char	*err;
	size_t	 errlen;
};

/* Does push_job() join receive and commit on one script (remote.h)? */
static int	 join_steps;
static char	 topdir[PATH_MAX];	/* the cwd before the tests */
static char	 tmpdir[64];		/* this test's directory */

/* Where the shell lives here, or NULL. */
static const char *
shell_path(const struct shell *sh)
{
	size_t i;

	for (i = 0; i < 2 && sh->path[i] != NULL; i++)
		if (access(sh->path[i], X_OK) == 0)
			return sh->path[i];
	return NULL;
}

/* Make the scripts run under sh; returns 0, or -1 if it is not here. */
static int
use_shell(const struct shell *sh)
{
	const char *p = shell_path(sh);

	if (p == NULL)
		return -1;
	opt.sh = p;
	opt.arg = sh->arg;
	return 0;
}

static void
child(const char *script, const int ip[2], const int op[2], const int ep[2])
{
	const char *argv[5];
	int i = 0;

	dup2(ip[0], 0);
	dup2(op[1], 1);
	dup2(ep[1], 2);
	close(ip[0]), close(ip[1]), close(op[0]);
	close(op[1]), close(ep[0]), close(ep[1]);
	signal(SIGPIPE, SIG_DFL);
	if (opt.path != NULL)
		setenv("PATH", opt.path, 1);
	if (opt.tz != NULL)
		setenv("TZ", opt.tz, 1);
	if (opt.locale != NULL)
		setenv("LC_ALL", opt.locale, 1);
	if (opt.uid != 0 && (setgroups(0, NULL) == -1 ||
	    setgid(opt.uid) == -1 || setuid(opt.uid) == -1))
		_exit(126);
	argv[i++] = opt.sh;
	if (opt.arg != NULL)
		argv[i++] = opt.arg;
	argv[i++] = "-c";
	argv[i++] = script;
	argv[i] = NULL;
	execv(opt.sh, (char *const *)argv);
	_exit(127);
}

/* Read what fd has into *buf; at EOF close it and set it to -1. */
static void
slurp(int *fd, char **buf, size_t *len)
{
	char chunk[65536];
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	*buf = xreallocarray(*buf, *len + n + 1, 1);
	memcpy(*buf + *len, chunk, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Write the next part of in; at the end or on error close fd. */
static void
feed(int *fd, const char *in, size_t len, size_t *off)
{
	ssize_t n = 0;

	if (*off < len)
		n = write(*fd, in + *off, len - *off);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		*off += n;
	if (n < 0 || *off == len) {
		close(*fd);
		*fd = -1;
	}
}

/* Feed stdin and collect stdout and stderr until both are closed. */
static void
pump(int in, const char *buf, size_t len, int out, int err,
    struct result *res)
{
	struct pollfd pfd[3];
	size_t off = 0;

	fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	if (len == 0)
		feed(&in, buf, len, &off);
	while (out != -1 || err != -1) {
		pfd[0].fd = in;
		pfd[0].events = POLLOUT;
		pfd[1].fd = out;
		pfd[1].events = POLLIN;
		pfd[2].fd = err;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) == -1)
			continue;
		if (in != -1 && pfd[0].revents != 0)
			feed(&in, buf, len, &off);
		if (out != -1 && pfd[1].revents != 0)
			slurp(&out, &res->out, &res->outlen);
		if (err != -1 && pfd[2].revents != 0)
			slurp(&err, &res->err, &res->errlen);
	}
	if (in != -1)
		close(in);
}

/* Run script under the current shell with in as its stdin. */
static int
run_sh(const char *script, const void *in, size_t len, struct result *res)
{
	int ip[2], op[2], ep[2], st;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->out = xstrdup("");
	res->err = xstrdup("");
	assert_int_equal(pipe(ip), 0);
	assert_int_equal(pipe(op), 0);
	assert_int_equal(pipe(ep), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		child(script, ip, op, ep);
	close(ip[0]);
	close(op[1]);
	close(ep[1]);
	pump(ip[1], in, len, op[0], ep[0], res);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return res->status;
}

static void
result_free(struct result *res)
{
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof(*res));
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	memset(&opt, 0, sizeof(opt));
	join_steps = 0;
	opt.sh = "/bin/sh";
	umask(022);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fanscp-remote.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(chdir(tmpdir), 0);
	setenv("HOME", tmpdir, 1);
	return 0;
}

/* Every test ends with nothing run by a hostile name. */
static int
teardown(void **state)
{
	struct stat st;

	(void)state;
	assert_int_not_equal(lstat("pwned", &st), 0);
	umask(022);
	assert_int_equal(chdir(topdir), 0);
	nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void
job_init(struct remote_job *job, const char *path, const char *base,
    uint64_t size)
{
	memset(job, 0, sizeof(*job));
	job->path = path;
	job->basename = base;
	job->size = size;
	job->mode = 0644;
	job->token = TOKEN;
}

/*
 * Run script as a target does: the loader under the current shell, with
 * the framed script and then in on its stdin.
 */
static int
run_framed(char *script, const void *in, size_t len, struct result *res)
{
	size_t flen;
	char *frame = remote_frame(script, &flen);
	char *buf = xmalloc(flen + len + 1);

	memcpy(buf, frame, flen);
	memcpy(buf + flen, in, len);
	run_sh(remote_loader, buf, flen + len, res);
	free(buf);
	free(frame);
	free(script);
	return res->status;
}

static int
receive(const struct remote_job *job, const void *in, size_t len,
    struct result *res)
{
	return run_framed(remote_receive_cmd(job), in, len, res);
}

/* The commit, given the go-ahead. */
static int
commit(const struct remote_job *job, struct result *res)
{
	return run_framed(remote_commit_cmd(job), REMOTE_GO,
	    strlen(REMOTE_GO), res);
}

/* The commit with stdin ending after "ready": fanscp is gone. */
static int
commit_nogo(const struct remote_job *job, const char *in,
    struct result *res)
{
	return run_framed(remote_commit_cmd(job), in, strlen(in), res);
}

static int
abort_job(const struct remote_job *job, struct result *res)
{
	return run_framed(remote_abort_cmd(job), "", 0, res);
}

/*
 * A joined receive (remote.h) runs as fanscp drives it: each stage's bytes
 * are written only once stdout shows its cue, and stdin is closed after
 * the last stage.  So the script never finds the go-ahead in its input
 * before it has said "ready", and a head that reads ahead cannot take it.
 * hook, if set, runs as the stage's cue is seen, before its bytes.
 */
struct stage {
	const char	*cue;		/* a line stdout must show first */
	const void	*in;
	size_t		 len;
	void		(*hook)(void);
};

static int
run_staged(char *script, const struct stage *st, size_t nst,
    struct result *res)
{
	int ip[2], op[2], ep[2], status, in, out, err;
	size_t flen, cur = 0, off = 0, seen = 0;
	char *frame = remote_frame(script, &flen), *hit;
	struct pollfd pfd[3];
	const void *buf = frame;
	size_t len = flen;
	ssize_t n;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->out = xstrdup("");
	res->err = xstrdup("");
	assert_int_equal(pipe(ip), 0);
	assert_int_equal(pipe(op), 0);
	assert_int_equal(pipe(ep), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		child(remote_loader, ip, op, ep);
	close(ip[0]);
	close(op[1]);
	close(ep[1]);
	in = ip[1], out = op[0], err = ep[0];
	fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	while (out != -1 || err != -1) {
		/* Arm the next stage once its cue has come. */
		if (in != -1 && buf == NULL && cur < nst &&
		    (hit = strstr(res->out + seen, st[cur].cue)) != NULL) {
			seen = (size_t)(hit - res->out) + strlen(st[cur].cue);
			if (st[cur].hook != NULL)
				st[cur].hook();
			buf = st[cur].in, len = st[cur].len, off = 0, cur++;
		}
		if (in != -1 && buf != NULL && off == len) {
			buf = NULL;
			if (cur == nst) {
				close(in);
				in = -1;
			}
			continue;
		}
		pfd[0].fd = buf != NULL ? in : -1;
		pfd[0].events = POLLOUT;
		pfd[1].fd = out;
		pfd[1].events = POLLIN;
		pfd[2].fd = err;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) == -1)
			continue;
		if (pfd[0].fd != -1 && pfd[0].revents != 0) {
			n = write(in, (const char *)buf + off, len - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				close(in);
				in = -1;
			}
		}
		if (out != -1 && pfd[1].revents != 0)
			slurp(&out, &res->out, &res->outlen);
		if (err != -1 && pfd[2].revents != 0)
			slurp(&err, &res->err, &res->errlen);
	}
	if (in != -1)
		close(in);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	free(frame);
	free(script);
	return res->status;
}

/* job joined: data after "ready receive", then go (or not) after "ready commit". */
static int
joined(struct remote_job *job, const void *data, size_t len, int go,
    struct result *res)
{
	struct stage st[] = {
		{ "fanscp-ready receive\n", data, len, NULL },
		{ "fanscp-ready commit\n", REMOTE_GO, strlen(REMOTE_GO), NULL },
	};

	job->joined = 1;
	return run_staged(remote_receive_cmd(job), st, go ? 2 : 1, res);
}

/* Receive and commit job, which must succeed. */
static void
push_job(const struct remote_job *job, const void *data)
{
	struct remote_job jj = *job;
	struct result res;

	if (join_steps) {
		if (joined(&jj, data, job->size, 1, &res) != 0 ||
		    res.errlen != 0)
			print_error("%s: joined: %d: %s\n", opt.sh, res.status,
			    res.err);
		assert_int_equal(res.status, 0);
		assert_int_equal(res.errlen, 0);
		assert_non_null(strstr(res.out, "fanscp-ready receive\n"));
		assert_int_equal(remote_check_ok(res.out, res.outlen, "commit",
		    job->size), 0);
		result_free(&res);
		return;
	}

	if (receive(job, data, job->size, &res) != 0 || res.errlen != 0)
		print_error("%s: receive: %d: %s\n", opt.sh, res.status,
		    res.err);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.errlen, 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "receive",
	    job->size), 0);
	result_free(&res);
	if (commit(job, &res) != 0 || res.errlen != 0)
		print_error("%s: commit: %d: %s\n", opt.sh, res.status,
		    res.err);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.errlen, 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "commit",
	    job->size), 0);
	result_free(&res);
}

static void
push(const char *path, const char *base, const char *data)
{
	struct remote_job job;

	job_init(&job, path, base, strlen(data));
	push_job(&job, data);
}

static void
put_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
assert_file(const char *path, const void *data, size_t len)
{
	char *buf = xmalloc(len + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		print_error("missing file '%s'\n", path);
	assert_true(fd >= 0);
	n = read(fd, buf, len + 1);
	close(fd);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(buf, data, len);
	free(buf);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int	ntemps;

static int
count_temp(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag;
	if (strstr(path + f->base, ".fanscp.") != NULL)
		ntemps++;
	return 0;
}

/* No temp file anywhere under the test directory, dotfiles included. */
static void
assert_no_temps(void)
{
	ntemps = 0;
	nftw(".", count_temp, 16, FTW_PHYS);
	assert_int_equal(ntemps, 0);
}

static void
assert_contains(const char *s, const char *want)
{
	if (strstr(s, want) == NULL)
		print_error("'%s' lacks '%s'\n", s, want);
	assert_non_null(strstr(s, want));
}

/* A directory of tools for PATH: each name links to target, or to itself. */
static void
make_bin(const char *dir, const char *target, const char *const *tools)
{
	static const char *const where[] = { "/usr/bin/", "/bin/" };
	char to[PATH_MAX], from[PATH_MAX];
	size_t i, j;

	mkdir(dir, 0755);
	for (i = 0; tools[i] != NULL; i++) {
		snprintf(to, sizeof(to), "%s", target != NULL ? target : "");
		for (j = 0; target == NULL && j < 2; j++) {
			snprintf(to, sizeof(to), "%s%s", where[j], tools[i]);
			if (access(to, X_OK) == 0)
				break;
		}
		snprintf(from, sizeof(from), "%s/%s", dir, tools[i]);
		assert_int_equal(symlink(to, from), 0);
	}
}

/* Tools the scripts need besides the shell, and none to hash with. */
static const char *const basic_tools[] = {
	"cat", "wc", "rm", "mv", "chmod", "stat", "touch", "dd", "id",
	"readlink", "sleep", "chown", "chgrp", NULL
};

/* A bin directory under the test directory, as an absolute PATH. */
static const char *
bin_path(const char *dir)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, dir);
	return buf;
}

static void
test_shquote_known(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "''" },
		{ "abc", "'abc'" },
		{ "a'b", "'a'\\''b'" },
		{ "'", "''\\'''" },
		{ "-n", "'-n'" },
		{ "a\nb", "'a\nb'" },
	};
	size_t i;
	char *q;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		q = shquote(cases[i].in);
		assert_string_equal(q, cases[i].out);
		free(q);
	}
}

static const char *const hostile[] = {
	"a b", "it's", "'", "''", "\"dq\"", "$(touch pwned)", "`touch pwned`",
	"'$(touch pwned)'", "x'; touch pwned; '", "new\nline", "trail\n",
	"\n", "-", "-rf", "--", "-n", "back\\slash", "\\", "\\'", "*", "?",
	"[a]", "~", "~root", "semi;colon", "a|b&c>d<e", "\t tab", " lead",
	"\xff\xfe\x80 bytes", "caf\xc3\xa9", "$HOME", "${PWD}", "!bang",
	"%s%n", "#hash", "a=b", "{a,b}", ".hidden", "..x", NULL
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned int
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 32);
}

/* A random string of 1 to 48 bytes, often from the bytes sh cares about. */
static void
random_string(char *buf, size_t size)
{
	static const char special[] = "'\"\\$`\n\t ;&|<>(){}*?[]!#~-=%";
	size_t i, n = 1 + next_rand() % 48;

	assert_true(n < size);
	for (i = 0; i < n; i++) {
		if (next_rand() % 2)
			buf[i] = special[next_rand() % (sizeof(special) - 1)];
		else
			buf[i] = (char)(1 + next_rand() % 255);
	}
	buf[n] = '\0';
}

/* sh -c "printf %s QUOTED" must print s byte for byte. */
static void
assert_roundtrip(const char *s)
{
	struct result res;
	char *q = shquote(s);
	char *cmd = xasprintf("printf %%s %s", q);

	run_sh(cmd, "", 0, &res);
	if (res.status != 0 || strcmp(res.out, s) != 0)
		print_error("%s: [%s] came back as [%s]\n", opt.sh, s,
		    res.out);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.outlen, strlen(s));
	assert_memory_equal(res.out, s, strlen(s));
	result_free(&res);
	free(cmd);
	free(q);
}

static void
roundtrip_all(void)
{
	char all[256], buf[64];
	size_t i;

	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	assert_roundtrip(all);
	assert_roundtrip(all + 200);
	for (i = 0; hostile[i] != NULL; i++)
		assert_roundtrip(hostile[i]);
	for (i = 0; i < 60; i++) {
		random_string(buf, sizeof(buf));
		assert_roundtrip(buf);
	}
}

static void
test_shquote_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		opt.locale = NULL;
		roundtrip_all();
		opt.locale = "C.UTF-8";
		roundtrip_all();
	}
}

static void
test_prelude_shared(void **state)
{
	struct remote_job job;
	char *pre, *cmd[3];
	size_t i;

	(void)state;
	job_init(&job, "dir/x", "src", 3);
	job.sha256 = SHA_ABC;
	pre = remote_prelude(&job);
	cmd[0] = remote_receive_cmd(&job);
	cmd[1] = remote_commit_cmd(&job);
	cmd[2] = remote_abort_cmd(&job);
	for (i = 0; i < 3; i++) {
		assert_memory_equal(cmd[i], pre, strlen(pre));
		assert_null(strstr(cmd[i] + strlen(pre), "case $d"));
		free(cmd[i]);
	}
	free(pre);
}

/* A binary file with every byte value, NULs included. */
static char *
binary_data(size_t len)
{
	char *p = xmalloc(len);
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)next_rand();
	return p;
}

static void
happy_path(void)
{
	struct remote_job job;
	char *data = binary_data(300000);

	job_init(&job, "big.bin", "src.bin", 300000);
	push_job(&job, data);
	assert_file("big.bin", data, 300000);
	free(data);

	push("new.txt", "src.txt", "hello\n");
	assert_file("new.txt", "hello\n", 6);
	push("new.txt", "src.txt", "replaced\n");
	assert_file("new.txt", "replaced\n", 9);

	assert_int_equal(mkdir("dir", 0755), 0);
	push("dir", "src.txt", "in dir\n");
	assert_file("dir/src.txt", "in dir\n", 7);
	push("dir/", "other.txt", "slash\n");
	assert_file("dir/other.txt", "slash\n", 6);
	push("", "home.txt", "home\n");
	assert_file("home.txt", "home\n", 5);
	push("", "empty", "");
	assert_file("empty", "", 0);
	assert_no_temps();
	assert_int_equal(system("rm -rf -- dir *.txt big.bin empty"), 0);
}

static void
test_happy_all_shells(void **state)
{
	size_t i;

	(void)state;
	for (join_steps = 0; join_steps < 2; join_steps++)
		for (i = 0; i < NSHELLS; i++)
			if (use_shell(&shells[i]) == 0)
				happy_path();
	join_steps = 0;
}

/*
 * Several sources (the set payload): an archive of three files, one of
 * them replacing a file, hostile names; a target that is no directory;
 * a commit without the go-ahead.  Each leaves no temp file.
 */
static void
set_path(void)
{
	char *paths[] = { "src/a", "src/it's $(touch pwned)", "src/-dash\n" };
	char *names[] = { "a", "it's $(touch pwned)", "-dash\n" };
	unsigned char dirs[3] = { 0, 0, 0 };
	struct remote_job job;
	struct tree_stats st;
	struct result res;
	char err[256], *buf;
	FILE *f = tmpfile();
	long len;

	assert_non_null(f);
	assert_int_equal(mkdir("src", 0755), 0);
	assert_int_equal(mkdir("dst", 0755), 0);
	put_file("src/a", "new a\n", 0644);
	put_file(paths[1], "hostile\n", 0600);
	put_file(paths[2], "dash\n", 0755);
	put_file("dst/a", "old\n", 0640);
	assert_int_equal(tree_set_archive(paths, names, 3, 0, fileno(f), &st,
	    err, sizeof(err)), 0);
	len = lseek(fileno(f), 0, SEEK_END);
	buf = xmalloc((size_t)len);
	assert_int_equal(pread(fileno(f), buf, (size_t)len, 0), len);
	fclose(f);
	job_init(&job, "dst", "", (uint64_t)len);
	job.kind = REMOTE_SET;
	job.names = names;
	job.name_dirs = dirs;
	job.n_names = 3;
	push_job(&job, buf);
	assert_file("dst/a", "new a\n", 6);
	assert_int_equal(mode_of("dst/a"), 0640);
	assert_file("dst/it's $(touch pwned)", "hostile\n", 8);
	assert_int_equal(mode_of("dst/it's $(touch pwned)"), 0600);
	assert_file("dst/-dash\n", "dash\n", 5);
	assert_no_temps();
	/* Not a directory: refused before the data, nothing written. */
	job.path = "src/a";
	assert_int_equal(receive(&job, buf, job.size, &res), 86);
	assert_contains(res.err, "'src/a': not a directory");
	result_free(&res);
	/* No go-ahead: nothing changes, the temps go. */
	put_file("src/a", "newer\n", 0644);
	job.path = "dst/";
	assert_int_equal(receive(&job, buf, job.size, &res), 0);
	result_free(&res);
	assert_int_equal(commit_nogo(&job, "", &res), 81);
	assert_contains(res.err, "nothing in 'dst/' was changed");
	result_free(&res);
	assert_file("dst/a", "new a\n", 6);
	assert_no_temps();
	free(buf);
	assert_int_equal(system("rm -rf src dst"), 0);
}

static void
test_set_all_shells(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0)
			set_path();
}

/*
 * A tree commit that fails (a short archive) removes its archive and
 * nothing else: not a file named "0" or "1" beside it (-p's flag once
 * shared its name with the pid file that drop() removes).
 */
static void
test_tree_drop_keeps_others(void **state)
{
	struct remote_job job;
	struct result res;
	int p;

	(void)state;
	for (p = 0; p < 2; p++) {
		job_init(&job, "", "x", 10);
		job.kind = REMOTE_TREE;
		job.preserve = p;
		put_file("0", "zero", 0644);
		put_file("1", "one", 0644);
		put_file(".x.fanscp." TOKEN ".tar", "short", 0600);
		assert_int_equal(commit(&job, &res), 74);
		result_free(&res);
		assert_file("0", "zero", 4);
		assert_file("1", "one", 3);
		assert_no_temps();
	}
}

static void
test_absolute_and_dotted(void **state)
{
	char abs[PATH_MAX];

	(void)state;
	snprintf(abs, sizeof(abs), "%s/abs.txt", tmpdir);
	push(abs, "src", "abs\n");
	assert_file("abs.txt", "abs\n", 4);
	snprintf(abs, sizeof(abs), "%s/", tmpdir);
	push(abs, "src2", "abs2\n");
	assert_file("src2", "abs2\n", 5);
	push(".", "dot", "dot\n");
	assert_file("dot", "dot\n", 4);
	assert_int_equal(mkdir("d", 0755), 0);
	push("d//", "s", "dd\n");
	assert_file("d/s", "dd\n", 3);
	push("./d/../d/x", "s", "up\n");
	assert_file("d/x", "up\n", 3);
	assert_no_temps();
}

static void
hostile_names(void)
{
	static const char dir[] = "-d $(touch pwned)\n'";
	size_t i;

	for (i = 0; hostile[i] != NULL; i++) {
		push(hostile[i], "src", hostile[i]);
		assert_file(hostile[i], hostile[i], strlen(hostile[i]));
		assert_int_equal(unlink(hostile[i]), 0);
		push("", hostile[i], "as base\n");
		assert_file(hostile[i], "as base\n", 8);
		assert_int_equal(unlink(hostile[i]), 0);
	}
	/* A hostile directory, named with and without a trailing slash. */
	assert_int_equal(mkdir(dir, 0755), 0);
	push(dir, "-\n", "in dir\n");
	push("-d $(touch pwned)\n'/", "`touch pwned`", "slash\n");
	assert_file("-d $(touch pwned)\n'/-\n", "in dir\n", 7);
	assert_file("-d $(touch pwned)\n'/`touch pwned`", "slash\n", 6);
	assert_no_temps();
	assert_int_equal(system("rm -rf ./-d*"), 0);
}

static void
test_hostile_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0)
			hostile_names();
}

static void
test_long_name(void **state)
{
	struct remote_job job;
	struct result res;
	char name[256];

	(void)state;
	memset(name, 'x', 230);
	name[230] = '\0';
	job_init(&job, name, "src", 4);
	assert_int_equal(receive(&job, "long", 4, &res), 0);
	assert_true(exists(".fanscp." TOKEN));
	assert_int_equal(mode_of(".fanscp." TOKEN), 0600);
	result_free(&res);
	assert_int_equal(commit(&job, &res), 0);
	result_free(&res);
	assert_file(name, "long", 4);

	name[200] = '\0';
	push(name, "src", "200\n");
	assert_file(name, "200\n", 4);
	assert_no_temps();
}

/* Long is in bytes, even where the shell counts characters. */
static void
test_long_utf8_name(void **state)
{
	char name[256];
	size_t i;

	(void)state;
	for (i = 0; i < 240; i += 2)
		memcpy(name + i, "\xc3\xa9", 2);
	name[240] = '\0';
	opt.locale = "C.UTF-8";
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		push(name, "src", "utf8\n");
		assert_file(name, "utf8\n", 5);
		assert_int_equal(unlink(name), 0);
	}
	assert_no_temps();
}

static void
test_nodir(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	job_init(&job, "nope/x", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_NODIR);
	assert_string_equal(res.err,
	    "cannot create 'nope/x': No such file or directory\n");
	assert_int_equal(res.outlen, 0);
	result_free(&res);

	put_file("file", "f", 0644);
	job_init(&job, "file/", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_NODIR);
	assert_string_equal(res.err,
	    "cannot create 'file/src': No such file or directory\n");
	result_free(&res);
	assert_no_temps();
}

static void
test_isdir(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	assert_int_equal(mkdir("dir", 0755), 0);
	assert_int_equal(mkdir("dir/src", 0755), 0);
	job_init(&job, "dir", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_ISDIR);
	assert_string_equal(res.err,
	    "cannot create 'dir/src': Is a directory\n");
	result_free(&res);
	job_init(&job, "", "dir", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_ISDIR);
	result_free(&res);
	assert_no_temps();
}

static void
wrong_size(size_t want, size_t got)
{
	struct remote_job job;
	struct result res;
	char *data = binary_data(got), msg[128];

	put_file("dest", "old\n", 0644);
	job_init(&job, "dest", "src", want);
	assert_int_equal(receive(&job, data, got, &res), REMOTE_EXIT_SIZE);
	snprintf(msg, sizeof(msg), "got %zu of %zu bytes", got, want);
	assert_contains(res.err, msg);
	assert_null(strstr(res.out, "fanscp-ok"));
	result_free(&res);
	assert_file("dest", "old\n", 4);
	assert_no_temps();
	free(data);
}

static void
test_wrong_size(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		wrong_size(100, 50);
		wrong_size(50, 100);
		wrong_size(100000, 0);
	}
}

static void
test_sha(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	job_init(&job, "dest", "src", 3);
	job.sha256 = SHA_ABC;
	push_job(&job, "abc");
	assert_file("dest", "abc", 3);
	job.sha256 = "BA7816BF8F01CFEA414140DE5DAE2223"
	    "B00361A396177A9CB410FF61F20015AD";
	push_job(&job, "abc");

	assert_int_equal(receive(&job, "abd", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_HASH);
	assert_contains(res.err, "SHA-256 mismatch for 'dest'");
	result_free(&res);
	assert_file("dest", "abc", 3);
	assert_no_temps();
}

/* With only tool (and the basics) on PATH, the hash is found and checked. */
static void
sha_with(const char *bin, const char *target, const char *tool)
{
	const char *tools[] = { tool, NULL };
	struct remote_job job;
	struct result res;

	make_bin(bin, NULL, basic_tools);
	make_bin(bin, target, tools);
	opt.path = bin_path(bin);
	job_init(&job, "dest", "src", 3);
	job.sha256 = SHA_ABC;
	push_job(&job, "abc");
	assert_file("dest", "abc", 3);
	assert_int_equal(receive(&job, "abd", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_HASH);
	result_free(&res);
	assert_file("dest", "abc", 3);
	assert_no_temps();
	opt.path = NULL;
}

static void
test_sha_fallbacks(void **state)
{
	const char *bb = shell_path(&shells[3]);

	(void)state;
	sha_with("b1", NULL, "sha256sum");
	if (access("/usr/bin/shasum", X_OK) == 0)
		sha_with("b2", NULL, "shasum");
	if (access("/usr/bin/openssl", X_OK) == 0)
		sha_with("b3", NULL, "openssl");
	if (bb != NULL)
		sha_with("b4", NULL, "busybox");
}

static void
test_nohash(void **state)
{
	struct remote_job job;
	struct result res;
	size_t i;

	(void)state;
	make_bin("bin", NULL, basic_tools);
	put_file("dest", "old\n", 0644);
	job_init(&job, "dest", "src", 3);
	job.sha256 = SHA_ABC;
	/* Not busybox sh, which may find its own sha256sum applet. */
	for (i = 0; i < 3; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		opt.path = bin_path("bin");
		assert_int_equal(receive(&job, "abc", 3, &res), 0);
		result_free(&res);
		assert_int_equal(commit(&job, &res), REMOTE_EXIT_NOHASH);
		assert_contains(res.err, "cannot verify 'dest'");
		result_free(&res);
		assert_file("dest", "old\n", 4);
		assert_no_temps();
	}
}

static void
preserve(void)
{
	struct remote_job job;
	struct stat st;

	job_init(&job, "dest", "src", 3);
	job.preserve = 1;
	job.mode = 0100640;
	job.mtime = 1234567890;
	job.atime = 1000000000;
	opt.tz = "EST5EDT";
	push_job(&job, "abc");
	assert_int_equal(stat("dest", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_mtime, 1234567890);
	assert_int_equal(st.st_atime, 1000000000);

	/* -p also replaces the mode of an existing file. */
	job.mode = 0755;
	job.mtime = 86400 * 365;
	job.atime = 86400 * 365 + 59;
	push_job(&job, "abc");
	assert_int_equal(stat("dest", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_mtime, 86400 * 365);
	assert_int_equal(st.st_atime, 86400 * 365 + 59);
	assert_int_equal(unlink("dest"), 0);
	opt.tz = NULL;
}

static void
test_preserve(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0)
			preserve();
}

static void
test_keep_mode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		put_file("dest", "old\n", 0600);
		push("dest", "src", "new\n");
		assert_int_equal(mode_of("dest"), 0600);
		put_file("dest", "old\n", 0751);
		push("dest", "src", "new\n");
		assert_int_equal(mode_of("dest"), 0751);
		assert_int_equal(unlink("dest"), 0);
		/* Without -p, setuid, setgid and sticky bits go. */
		put_file("dest", "old\n", 06755);
		assert_int_equal(chmod("dest", 06755), 0);
		push("dest", "src", "new\n");
		assert_int_equal(mode_of("dest"), 0755);
		assert_int_equal(unlink("dest"), 0);
	}
}

/* Without -p and with no file to replace: the source mode less the umask. */
static void
new_mode(mode_t mask, mode_t mode, mode_t want)
{
	struct remote_job job;

	job_init(&job, "fresh", "src", 3);
	job.mode = mode;
	umask(mask);
	push_job(&job, "abc");
	umask(022);
	assert_int_equal(mode_of("fresh"), want);
	assert_int_equal(unlink("fresh"), 0);
}

static void
test_new_mode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		new_mode(022, 0644, 0644);
		new_mode(027, 0777, 0750);
		new_mode(077, 0755, 0700);
		new_mode(0, 0100600, 0600);
	}
}

/* BSD stat has no -c: the scripts fall back to -f %Lp. */
static void
test_bsd_stat(void **state)
{
	static const char fake[] =
	    "#!/bin/sh\n"
	    "[ \"$2\" = -f ] && [ \"$3\" = %Lp ] || exit 1\n"
	    "shift 4; exec /usr/bin/stat -L -c %a -- \"$@\"\n";
	const char *tools[] = { "cat", "wc", "rm", "mv", "chmod", "touch",
	    "dd", "id", "chown", NULL };

	(void)state;
	make_bin("bin", NULL, tools);
	put_file("bin/stat", fake, 0755);
	opt.path = bin_path("bin");
	put_file("dest", "old\n", 0604);
	push("dest", "src", "new\n");
	assert_int_equal(mode_of("dest"), 0604);
}

/* A joined receive's destination made a FIFO while the data comes. */
static void
make_fifo_dest(void)
{
	assert_int_equal(mkfifo("jf", 0644), 0);
}

/*
 * Joined receive and commit (remote.h), past the happy path: a head with
 * no -c (the dd loop takes the bytes) and no head at all; short data;
 * no go-ahead; a destination that turns into a FIFO while the data
 * comes; keep's resume.  None leaves a temp file.
 */
static void
joined_edges(void)
{
	static const char nohc[] = "#!/bin/sh\n"
	    "echo 'head: illegal option -- c' >&2; exit 1\n";
	struct remote_job job;
	struct result res;
	char *data = binary_data(300000);
	uint64_t have;
	struct stage st[3];

	/* head without -c, then no head: the dd loop. */
	make_bin("bin", NULL, basic_tools);
	put_file("bin/head", nohc, 0755);
	opt.path = bin_path("bin");
	job_init(&job, "j", "src", 300000);
	assert_int_equal(joined(&job, data, 300000, 1, &res), 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "commit",
	    300000), 0);
	result_free(&res);
	assert_file("j", data, 300000);
	assert_int_equal(unlink("bin/head"), 0);
	assert_int_equal(joined(&job, "x", 1, 0, &res), REMOTE_EXIT_SIZE);
	assert_contains(res.err, "got 1 of 300000 bytes");
	result_free(&res);
	opt.path = NULL;
	assert_file("j", data, 300000);

	/* Short data, then the end of input: nothing changes. */
	job_init(&job, "j", "src", 10);
	assert_int_equal(joined(&job, "short", 5, 0, &res), REMOTE_EXIT_SIZE);
	assert_contains(res.err, "wrong size for 'j': got 5 of 10 bytes");
	result_free(&res);
	/* All the data, "ready", and no go-ahead: nothing changes. */
	assert_int_equal(joined(&job, "0123456789", 10, 0, &res),
	    REMOTE_EXIT_NOGO);
	assert_int_equal(remote_check_ready(res.out, res.outlen, "commit"), 0);
	result_free(&res);
	assert_file("j", data, 300000);
	assert_file("j", data, 300000);
	assert_no_temps();

	/* The destination becomes a FIFO while the data comes. */
	job_init(&job, "jf", "src", 3);
	job.joined = 1;
	memset(st, 0, sizeof(st));
	st[0] = (struct stage){ "fanscp-ready receive\n", "abc", 3,
	    make_fifo_dest };
	st[1] = (struct stage){ "fanscp-ready commit\n", REMOTE_GO, 3, NULL };
	assert_int_equal(run_staged(remote_receive_cmd(&job), st, 2, &res),
	    REMOTE_EXIT_SPECIAL);
	assert_contains(res.err, "'jf' is a FIFO");
	result_free(&res);
	assert_int_equal(unlink("jf"), 0);
	assert_no_temps();

	/* keep: short data is kept; the same run resumes after it. */
	job_init(&job, "k", "k", 10);
	job.keep = 1;
	job.run = "r1";
	assert_int_equal(joined(&job, "hello", 5, 0, &res), REMOTE_EXIT_PART);
	assert_int_equal(remote_check_part(res.out, res.outlen, &have), 0);
	assert_int_equal(have, 5);
	result_free(&res);
	st[0] = (struct stage){ "fanscp-have 5 " SHA_HELLO "\n", "from 5\n",
	    7, NULL };
	st[1] = (struct stage){ "fanscp-ready receive\n", "world", 5, NULL };
	st[2] = (struct stage){ "fanscp-ready commit\n", REMOTE_GO, 3, NULL };
	assert_int_equal(run_staged(remote_receive_cmd(&job), st, 3, &res), 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "commit", 10),
	    0);
	result_free(&res);
	assert_file("k", "helloworld", 10);
	assert_no_temps();
	assert_int_equal(system("rm -rf bin j k"), 0);
	free(data);
}

/*
 * bin/NAME: the system's NAME behind a script that first runs pre, which
 * may leave a mark (in the test directory, the scripts' cwd) or refuse.
 */
static void
wrap_tool(const char *name, const char *pre)
{
	char real[PATH_MAX], path[PATH_MAX], *text;

	snprintf(real, sizeof(real), "/usr/bin/%s", name);
	if (access(real, X_OK) != 0)
		snprintf(real, sizeof(real), "/bin/%s", name);
	snprintf(path, sizeof(path), "bin/%s", name);
	unlink(path);
	text = xasprintf("#!/bin/sh\n%s\nexec %s \"$@\"\n", pre, real);
	put_file(path, text, 0755);
	free(text);
}

/*
 * A joined receive's reader: from 1 MiB on, a dd with
 * iflag=fullblock,count_bytes, and head -c below that or where dd has not
 * got the flags.  Marks in the test directory say which one ran; the
 * probe of a dd that refuses says nothing on stderr.  Short data on the
 * dd path is a wrong size, and leaves no temp file.
 */
static void
joined_readers(void)
{
	static const size_t big = 1536 * 1024;
	struct remote_job job;
	struct result res;
	char *data = binary_data(big);

	make_bin("bin", NULL, basic_tools);
	wrap_tool("dd", "case \"$*\" in *count_bytes*) : >>mark.dd;; esac");
	wrap_tool("head", ": >>mark.head");
	opt.path = bin_path("bin");

	job_init(&job, "r", "src", big);
	assert_int_equal(joined(&job, data, big, 1, &res), 0);
	assert_int_equal(res.errlen, 0);
	result_free(&res);
	assert_file("r", data, big);
	assert_true(exists("mark.dd"));
	assert_false(exists("mark.head"));
	assert_int_equal(unlink("mark.dd"), 0);

	/* Below 1 MiB: head, and no probe. */
	job_init(&job, "r", "src", 300000);
	assert_int_equal(joined(&job, data, 300000, 1, &res), 0);
	result_free(&res);
	assert_file("r", data, 300000);
	assert_true(exists("mark.head"));
	assert_false(exists("mark.dd"));
	assert_int_equal(unlink("mark.head"), 0);

	/* Short data through dd. */
	job_init(&job, "r", "src", big);
	assert_int_equal(joined(&job, data, big - 4096, 0, &res),
	    REMOTE_EXIT_SIZE);
	assert_contains(res.err, "got 1568768 of 1572864 bytes");
	result_free(&res);
	assert_file("r", data, 300000);
	assert_int_equal(unlink("mark.dd"), 0);

	/* A dd without the flags, as the BSDs': head takes the data. */
	wrap_tool("dd", "case \"$*\" in *iflag=*) "
	    "echo \"dd: unknown operand $*\" >&2; exit 1;; esac");
	assert_int_equal(joined(&job, data, big, 1, &res), 0);
	assert_int_equal(res.errlen, 0);
	result_free(&res);
	assert_file("r", data, big);
	assert_true(exists("mark.head"));
	assert_no_temps();
	opt.path = NULL;
	assert_int_equal(system("rm -rf bin r mark.head"), 0);
	free(data);
}

static void
test_joined_readers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0)
			joined_readers();
}

static void
test_joined_edges(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0)
			joined_edges();
}

/* Busybox alone, as on a small system: its sh and its applets. */
static void
test_busybox_world(void **state)
{
	static const char *const tools[] = { "cat", "wc", "rm", "mv",
	    "chmod", "stat", "touch", "sha256sum", "dd", "id", "readlink",
	    "sleep", "chown", "chgrp", "head", NULL };
	struct remote_job job;
	char *big;

	(void)state;
	if (use_shell(&shells[3]) == -1)
		skip();
	make_bin("bin", opt.sh, tools);
	opt.path = bin_path("bin");
	put_file("dest", "old\n", 0600);
	push("dest", "src", "new\n");
	assert_int_equal(mode_of("dest"), 0600);
	job_init(&job, "dest", "src", 3);
	job.sha256 = SHA_ABC;
	job.preserve = 1;
	job.mode = 0640;
	job.mtime = job.atime = 1500000000;
	push_job(&job, "abc");
	assert_int_equal(mode_of("dest"), 0640);
	/* 1.5 MiB: a joined receive reads it with busybox's dd. */
	job_init(&job, "dest", "src", 1536 * 1024);
	big = binary_data(job.size);
	push_job(&job, big);
	assert_file("dest", big, job.size);
	free(big);
	assert_no_temps();
}

static void
test_noclobber(void **state)
{
	struct remote_job job;
	struct result res;
	const char *tmp = "./.dest.fanscp." TOKEN;

	(void)state;
	put_file(tmp, "precious\n", 0644);
	job_init(&job, "dest", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_CREATE);
	assert_contains(res.err, "cannot create 'dest': ");
	result_free(&res);
	assert_file(tmp, "precious\n", 9);
	assert_false(exists("dest"));
	assert_int_equal(unlink(tmp), 0);

	/* A symlink in its place is not followed, dangling or not. */
	assert_int_equal(symlink("victim", tmp), 0);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_CREATE);
	result_free(&res);
	assert_false(exists("victim"));
	put_file("victim", "safe\n", 0644);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_CREATE);
	result_free(&res);
	assert_file("victim", "safe\n", 5);
}

static void
test_unwritable_dir(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	assert_int_equal(mkdir("ro", 0555), 0);
	assert_int_equal(chmod("ro", 0555), 0);
	/* Root writes anywhere, so run the script as nobody then. */
	if (geteuid() == 0) {
		assert_int_equal(chmod(tmpdir, 0755), 0);
		opt.uid = NOBODY;
	}
	job_init(&job, "ro/dest", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_CREATE);
	assert_string_equal(res.err,
	    "cannot create 'ro/dest': Permission denied\n");
	result_free(&res);
	assert_no_temps();
	assert_int_equal(chmod("ro", 0755), 0);
}

static void
test_write_error(void **state)
{
	struct remote_job job;
	struct result res;
	char *cmd;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	/* A temp file that is a full disk: the path the receive makes. */
	assert_int_equal(symlink("/dev/full", "./.full.fanscp." TOKEN), 0);
	job_init(&job, "full", "src", 3);
	cmd = remote_receive_cmd(&job);
	/* Let noclobber open the device, as dash does for non-files. */
	run_sh(cmd, "abc", 3, &res);
	if (res.status == REMOTE_EXIT_WRITE) {
		assert_contains(res.err, "No space left on device");
		assert_false(exists("./.full.fanscp." TOKEN));
	} else
		assert_int_equal(res.status, REMOTE_EXIT_CREATE);
	result_free(&res);
	free(cmd);
}

static void
test_abort(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	job_init(&job, "dest", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_true(exists("./.dest.fanscp." TOKEN));
	assert_int_equal(mode_of("./.dest.fanscp." TOKEN), 0600);
	assert_int_equal(abort_job(&job, &res), 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "abort", 0), 0);
	result_free(&res);
	assert_no_temps();
	assert_false(exists("dest"));
	assert_int_equal(abort_job(&job, &res), 0);
	assert_int_equal(res.errlen, 0);
	result_free(&res);

	/* The temp file sits beside the destination. */
	assert_int_equal(mkdir("dir", 0755), 0);
	job_init(&job, "dir/", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(mode_of("dir/.src.fanscp." TOKEN), 0600);
	assert_int_equal(abort_job(&job, &res), 0);
	result_free(&res);
	assert_no_temps();

	job_init(&job, "no/such/dir/$(touch pwned)", "src", 3);
	assert_int_equal(abort_job(&job, &res), 0);
	assert_int_equal(res.errlen, 0);
	result_free(&res);
}

static void
test_commit_notmp(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	job_init(&job, "dest", "src", 3);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_NOTMP);
	assert_contains(res.err, "'dest'");
	result_free(&res);
	assert_false(exists("dest"));
}

/*
 * A directory that appears before the commit changes how the destination
 * resolves: the commit finds no temp file and fails, leaving it behind.
 */
static void
test_commit_moved(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	job_init(&job, "dest", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(mkdir("dest", 0755), 0);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_NOTMP);
	result_free(&res);
	assert_true(exists("./.dest.fanscp." TOKEN));
	assert_false(exists("dest/src"));
}

/* One that appears during the commit is not moved into either. */
static void
test_commit_isdir(void **state)
{
	static const char fake[] =
	    "#!/bin/sh\n"
	    "[ \"$1\" = 600 ] || mkdir dest && exec /bin/chmod \"$@\"\n";
	const char *tools[] = { "cat", "wc", "rm", "mv", "stat", "mkdir",
	    "dd", "id", NULL };
	struct remote_job job;
	struct result res;

	(void)state;
	make_bin("bin", NULL, tools);
	put_file("bin/chmod", fake, 0755);
	opt.path = bin_path("bin");
	job_init(&job, "dest", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_ISDIR);
	assert_string_equal(res.err, "cannot create 'dest': Is a directory\n");
	result_free(&res);
	assert_no_temps();
	assert_int_equal(rmdir("dest"), 0);
}

static void
test_check_ok(void **state)
{
	static const char ok[] = "fanscp-ok commit 12\n";

	(void)state;
	assert_int_equal(remote_check_ok(ok, strlen(ok), "commit", 12), 0);
	assert_int_equal(remote_check_ok(ok, strlen(ok), "commit", 1), -1);
	assert_int_equal(remote_check_ok(ok, strlen(ok), "commit", 2), -1);
	assert_int_equal(remote_check_ok(ok, strlen(ok), "receive", 12), -1);
	assert_int_equal(remote_check_ok(ok, strlen(ok) - 1, "commit", 12),
	    -1);
	assert_int_equal(remote_check_ok("", 0, "commit", 0), -1);
	assert_int_equal(remote_check_ok("motd\nfanscp-ok commit 12\n", 25,
	    "commit", 12), 0);
	assert_int_equal(remote_check_ok("xfanscp-ok commit 12\n", 21,
	    "commit", 12), -1);
	assert_int_equal(remote_check_ok("fanscp-ok commit 12\njunk\n", 25,
	    "commit", 12), -1);
	assert_int_equal(remote_check_ok("fanscp-ok abort 0\n", 18,
	    "abort", 0), 0);
	assert_int_equal(remote_check_ok("fanscp-ok receive "
	    "18446744073709551615\n", 39, "receive", UINT64_MAX), 0);
}

/*
 * A receive fed by another host (--relay) writes its progress, and may
 * write how its stream ended, before fanscp reads its "ready": under load
 * the ready line is seldom the last.  Nothing else may follow it.
 */
static void
test_check_ready_fed(void **state)
{
	static const char *yes[] = {
		"fanscp-relay-in ok /w\nfanscp-ready receive\n",
		"fanscp-ready receive\nfanscp-got 0\n",
		"fanscp-ready receive\nfanscp-got 0\nfanscp-got 4096\n",
		"fanscp-ready receive\nfanscp-got 400000\n"
		    "fanscp-relay-done\n",
		"fanscp-ready receive\nfanscp-got 0\n"
		    "fanscp-relay-note 1 its ssh failed\n"
		    "fanscp-relay-short 0\n",
		"fanscp-ready receive\nfanscp-ready commit\n",
	};
	static const char *no[] = {
		"", "fanscp-got 0\n", "fanscp-relay-in ok /w\n",
		"fanscp-ready receive\nfanscp-got 0",
		"fanscp-ready receive\njunk\nfanscp-got 0\n",
		"fanscp-ready receive\nfanscp-got 0\njunk\n",
		"fanscp-ready receivex\nfanscp-got 0\n",
		"xfanscp-ready receive\nfanscp-got 0\n",
		"fanscp-ready commit\nfanscp-got 0\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(remote_check_ready(yes[i], strlen(yes[i]),
		    "receive"), 0);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(remote_check_ready(no[i], strlen(no[i]),
		    "receive"), -1);
	/* Only a receive is fed. */
	assert_int_equal(remote_check_ready("fanscp-ready commit\n"
	    "fanscp-got 0\n", 33, "commit"), -1);
}

static void
test_exit_str(void **state)
{
	int st;

	(void)state;
	for (st = REMOTE_EXIT_NODIR; st <= REMOTE_EXIT_NOTMP; st++)
		assert_non_null(remote_exit_str(st));
	assert_null(remote_exit_str(0));
	assert_null(remote_exit_str(1));
	assert_null(remote_exit_str(127));
	assert_string_equal(remote_exit_str(REMOTE_EXIT_HASH),
	    "the SHA-256 differs");
}


/* A symlink is written through: the link stays, its target is new. */
static void
test_symlink_through(void **state)
{
	struct stat st;
	char buf[64];
	ssize_t n;

	(void)state;
	assert_int_equal(mkdir("real", 0755), 0);
	put_file("real/target", "old\n", 0640);
	assert_int_equal(symlink("real/target", "link"), 0);
	assert_int_equal(symlink("link", "link2"), 0);
	push("link2", "src", "new\n");
	assert_int_equal(lstat("link2", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat("link", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	n = readlink("link", buf, sizeof(buf) - 1);
	assert_int_equal(n, 11);
	assert_file("real/target", "new\n", 4);
	assert_int_equal(mode_of("real/target"), 0640);
	/* A dangling link: its target is created. */
	assert_int_equal(symlink("real/fresh", "dangling"), 0);
	push("dangling", "src", "made\n");
	assert_file("real/fresh", "made\n", 5);
	assert_int_equal(lstat("dangling", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A loop is refused. */
	assert_int_equal(symlink("loop", "loop"), 0);
	{
		struct remote_job job;
		struct result res;

		job_init(&job, "loop", "src", 3);
		assert_int_equal(receive(&job, "abc", 3, &res),
		    REMOTE_EXIT_LINK);
		assert_contains(res.err, "Too many levels of symbolic links");
		result_free(&res);
	}
	assert_no_temps();
}

/* Device nodes, FIFOs and sockets are refused, before any data. */
static void
refuse_special(const char *path, const char *shown, const char *what)
{
	struct remote_job job;
	struct result res;
	char *want;

	job_init(&job, path, "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_SPECIAL);
	want = xasprintf("'%s' is %s; fanscp replaces regular files only\n",
	    shown, what);
	assert_string_equal(res.err, want);
	assert_null(strstr(res.out, "fanscp-ready"));
	free(want);
	result_free(&res);
	/* The commit refuses too. */
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_SPECIAL);
	result_free(&res);
}

static void
test_special_dest(void **state)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(mkfifo("fifo", 0600), 0);
	refuse_special("fifo", "fifo", "a FIFO");
	assert_int_equal(mknod("chr", S_IFCHR | 0666, makedev(1, 3)) == 0 ||
	    geteuid() != 0, 1);
	if (geteuid() == 0)
		refuse_special("chr", "chr", "a character device");
	/* Through a symlink, the message names the node itself. */
	assert_int_equal(symlink("/dev/null", "null"), 0);
	refuse_special("null", "/dev/null", "a character device");
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", tmpdir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	refuse_special("sock", "sock", "a socket");
	close(fd);
	if (geteuid() == 0) {
		assert_int_equal(mknod("blk", S_IFBLK | 0600, makedev(7, 200)),
		    0);
		refuse_special("blk", "blk", "a block device");
	}
	assert_no_temps();
}

/* No go-ahead (stdin ends, or says something else): nothing changes. */
static void
test_nogo(void **state)
{
	static const char *const inputs[] = { "", "g", "go", "no\n", "gox\n" };
	struct remote_job job;
	struct result res;
	size_t i;

	(void)state;
	put_file("dest", "old\n", 0644);
	job_init(&job, "dest", "src", 4);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_int_equal(receive(&job, "new\n", 4, &res), 0);
		result_free(&res);
		assert_int_equal(commit_nogo(&job, inputs[i], &res),
		    REMOTE_EXIT_NOGO);
		assert_int_equal(remote_check_ready(res.out, res.outlen,
		    "commit"), 0);
		result_free(&res);
		assert_file("dest", "old\n", 4);
		assert_no_temps();
	}
}

/* The heartbeat: a slow hash prints "fanscp-alive" lines, then ready. */
static void
test_heartbeat(void **state)
{
	static const char slow[] = "#!/bin/sh\nsleep 5\n"
	    "exec /usr/bin/sha256sum \"$@\"\n";
	const char *tools[] = { "sha256sum", NULL };
	struct remote_job job;
	struct result res;
	FILE *f;

	(void)state;
	make_bin("bin", NULL, basic_tools);
	assert_non_null(f = fopen("slowsum", "w"));
	fputs(slow, f);
	fclose(f);
	assert_int_equal(chmod("slowsum", 0755), 0);
	make_bin("bin2", "../slowsum", tools);
	opt.path = xasprintf("%s/bin2:%s", tmpdir, bin_path("bin"));
	job_init(&job, "dest", "src", 3);
	job.sha256 = SHA_ABC;
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), 0);
	assert_non_null(strstr(res.out, "fanscp-alive\n"));
	assert_true(strstr(res.out, "fanscp-alive\n") <
	    strstr(res.out, "fanscp-ready commit\n"));
	assert_int_equal(remote_check_ok(res.out, res.outlen, "commit", 3),
	    0);
	result_free(&res);
	assert_file("dest", "abc", 3);
	free((char *)opt.path);
	opt.path = NULL;
}

/* As nobody: the refusals scp makes, and those a rename would meet. */
static void
test_permissions(void **state)
{
	struct remote_job job;
	struct result res;
	struct stat st0, st1;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(tmpdir, 0755), 0);
	opt.uid = NOBODY;
	/* A file the user may not write. */
	assert_int_equal(mkdir("w", 0777), 0);
	assert_int_equal(chmod("w", 0777), 0);
	put_file("w/ro", "old\n", 0444);
	job_init(&job, "w/ro", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_DENIED);
	assert_string_equal(res.err, "cannot write 'w/ro': Permission denied\n");
	result_free(&res);
	assert_file("w/ro", "old\n", 4);

	/* A directory that is not writable, a file that is. */
	assert_int_equal(mkdir("ro", 0755), 0);
	put_file("ro/f", "old\n", 0666);
	assert_int_equal(chmod("ro/f", 0666), 0);
	assert_int_equal(stat("ro/f", &st0), 0);
	job_init(&job, "ro/f", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_DENIED);
	assert_contains(res.err, "cannot create a temp file beside 'ro/f': "
	    "Permission denied; the file itself is writable: --inplace");
	result_free(&res);
	/* --inplace: received in the home, copied over after the go. */
	assert_int_equal(mkdir("home", 0777), 0);
	assert_int_equal(chmod("home", 0777), 0);
	{
		char *home = xasprintf("%s/home", tmpdir);

		setenv("HOME", home, 1);
		free(home);
	}
	job.inplace = 1;
	push_job(&job, "abc");
	assert_file("ro/f", "abc", 3);
	assert_int_equal(stat("ro/f", &st1), 0);
	assert_int_equal(st0.st_ino, st1.st_ino);
	assert_int_equal(st1.st_mode & 07777, 0666);
	assert_false(exists("home/.fanscp." TOKEN));
	/* --inplace without the go-ahead changes nothing. */
	assert_int_equal(receive(&job, "xyz", 3, &res), 0);
	result_free(&res);
	assert_true(exists("home/.fanscp." TOKEN));
	assert_int_equal(commit_nogo(&job, "", &res), REMOTE_EXIT_NOGO);
	result_free(&res);
	assert_file("ro/f", "abc", 3);
	assert_false(exists("home/.fanscp." TOKEN));

	/* A sticky directory and someone else's file: no rename there. */
	assert_int_equal(mkdir("sticky", 01777), 0);
	assert_int_equal(chmod("sticky", 01777), 0);
	put_file("sticky/f", "old\n", 0666);
	assert_int_equal(chmod("sticky/f", 0666), 0);
	job_init(&job, "sticky/f", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_DENIED);
	assert_contains(res.err, "its directory is sticky and the file "
	    "belongs to another user");
	assert_null(strstr(res.out, "fanscp-ready"));
	result_free(&res);
	job.inplace = 1;
	/* -p would chmod another's file after writing it: refused first. */
	job.preserve = 1;
	assert_int_equal(receive(&job, "xyz", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_DENIED);
	assert_contains(res.err, "(-p): the file belongs to another user");
	assert_null(strstr(res.out, "fanscp-ready"));
	result_free(&res);
	assert_file("sticky/f", "old\n", 4);
	job.preserve = 0;
	push_job(&job, "abc");
	assert_file("sticky/f", "abc", 3);
	opt.uid = 0;
	setenv("HOME", tmpdir, 1);
	assert_no_temps();
}

/* Root keeps the owner and group of the file it replaces. */
static void
test_owner_kept(void **state)
{
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	put_file("conf", "old\n", 0640);
	assert_int_equal(chown("conf", NOBODY, NOBODY), 0);
	assert_int_equal(chmod("conf", 0640), 0);
	push("conf", "src", "new\n");
	assert_int_equal(stat("conf", &st), 0);
	assert_int_equal(st.st_uid, NOBODY);
	assert_int_equal(st.st_gid, NOBODY);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_file("conf", "new\n", 4);
}

/* A path near PATH_MAX, whose temp path would be longer. */
static void
test_long_path(void **state)
{
	char path[PATH_MAX];
	size_t o = 0, k, top = strlen(tmpdir) + 1;

	(void)state;
	/* Directories until the name left is 241 bytes: PATH_MAX - 1 in all. */
	for (;;) {
		size_t rem = PATH_MAX - 1 - top - o - (o ? 1 : 0);

		if (rem <= 241)
			break;
		k = rem - 241 - 1 > 200 ? 200 : rem - 241 - 1;
		if (o)
			path[o++] = '/';
		memset(path + o, 'd', k);
		o += k;
		path[o] = '\0';
		assert_int_equal(mkdir(path, 0755), 0);
	}
	k = PATH_MAX - 1 - top - o - 1;
	path[o++] = '/';
	memset(path + o, 'f', k);
	path[o + k] = '\0';
	assert_int_equal(top + strlen(path), PATH_MAX - 1);
	push(path, "src", "long\n");
	assert_file(path, "long\n", 5);
}


/* A file named "-": no tool takes it for stdin. */
static void
test_dash_name(void **state)
{
	struct stat st;
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		put_file("-", "old\n", 0640);
		assert_int_equal(chmod("-", 0640), 0);
		if (geteuid() == 0)
			assert_int_equal(chown("-", NOBODY, NOBODY), 0);
		push("-", "src", "new\n");
		assert_file("-", "new\n", 4);
		assert_int_equal(stat("-", &st), 0);
		assert_int_equal(st.st_mode & 07777, 0640);
		if (geteuid() == 0)
			assert_int_equal(st.st_uid, NOBODY);
		assert_int_equal(unlink("-"), 0);
	}
	assert_no_temps();
}

/* A script cut short (a lost connection) runs not at all. */
static void
test_truncated_script(void **state)
{
	struct remote_job job;
	struct result res;
	size_t flen, cut;
	char *script, *frame;

	(void)state;
	job_init(&job, "dest", "src", 3);
	script = remote_receive_cmd(&job);
	frame = remote_frame(script, &flen);
	/* Cut just after the "ready" line: the most that could run. */
	cut = (size_t)(strstr(frame, "echo fanscp-ready receive\n") - frame) +
	    27;
	run_sh(remote_loader, frame, cut, &res);
	assert_int_not_equal(res.status, 0);
	assert_null(strstr(res.out, "fanscp-ready"));
	result_free(&res);
	assert_no_temps();
	assert_false(exists("dest"));
	free(frame);
	free(script);
}

/* Under a default ACL, the temp file is still private while it fills. */
static void
test_default_acl(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	if (system("command -v setfacl >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(mkdir("dacl", 0755), 0);
	if (system("setfacl -d -m u:nobody:rwx,o::r dacl 2>/dev/null") != 0)
		skip();
	job_init(&job, "dacl/f", "src", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(mode_of("dacl/.f.fanscp." TOKEN) & 0077, 0);
	assert_int_equal(abort_job(&job, &res), 0);
	result_free(&res);
	assert_no_temps();
}


/* ------------------------------------------------------------- -r trees */

/* The archive of directory dir, as tree_archive() makes it.  xmalloc'd. */
static char *
archive_of(const char *dir, size_t *len)
{
	struct tree_stats st;
	char err[512], *buf;
	FILE *f = tmpfile();
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	long n;

	assert_non_null(f);
	assert_true(dfd >= 0);
	if (tree_archive(dfd, dir, fileno(f), &st, err, sizeof(err)) != 0)
		print_error("%s\n", err);
	close(dfd);
	n = lseek(fileno(f), 0, SEEK_END);
	assert_true(n > 0);
	buf = xmalloc((size_t)n);
	assert_int_equal(pread(fileno(f), buf, (size_t)n, 0), n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A small tree at dir: a nested file, an empty directory, a symlink. */
static void
make_small_tree(const char *dir)
{
	char p[PATH_MAX];

	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/empty", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/sub/f", dir);
	put_file(p, "nested\n", 0640);
	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink("sub/f", p), 0);
	snprintf(p, sizeof(p), "%s/-x $(touch pwned)", dir);
	put_file(p, "odd\n", 0755);
}

static void
tree_job(struct remote_job *job, const char *path, const char *base,
    size_t size)
{
	job_init(job, path, base, size);
	job->kind = REMOTE_TREE;
	job->mode = 0751;
}

/* The small tree arrived at dir (the umask is 022). */
static void
assert_small_tree(const char *dir)
{
	char p[PATH_MAX], l[64];
	ssize_t n;

	assert_int_equal(mode_of(dir), 0751);
	snprintf(p, sizeof(p), "%s/sub/f", dir);
	assert_file(p, "nested\n", 7);
	assert_int_equal(mode_of(p), 0640);
	snprintf(p, sizeof(p), "%s/-x $(touch pwned)", dir);
	assert_file(p, "odd\n", 4);
	assert_int_equal(mode_of(p), 0755);
	snprintf(p, sizeof(p), "%s/empty", dir);
	assert_int_equal(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/link", dir);
	n = readlink(p, l, sizeof(l));
	assert_int_equal(n, 5);
	assert_memory_equal(l, "sub/f", 5);
}

/* Receive and commit a tree job with data; both must succeed. */
static void
push_tree(const struct remote_job *job, const char *data, size_t len)
{
	struct result res;

	if (receive(job, data, len, &res) != 0)
		print_error("%s: receive: %s\n", opt.sh, res.err);
	assert_int_equal(res.status, 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "receive",
	    len), 0);
	result_free(&res);
	if (commit(job, &res) != 0)
		print_error("%s: commit: %s\n", opt.sh, res.err);
	assert_int_equal(res.status, 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "commit", len),
	    0);
	result_free(&res);
}

/*
 * At home (lands as NAME), into an existing directory (DIR/NAME), to a
 * new path (lands as it), under every shell.
 */
static void
test_tree_happy(void **state)
{
	struct remote_job job;
	size_t i, len;
	char *tar, dir[64];

	(void)state;
	make_small_tree("src");
	tar = archive_of("src", &len);
	for (i = 0; i < NSHELLS; i++) {
		if (use_shell(&shells[i]) == -1)
			continue;
		snprintf(dir, sizeof(dir), "d%zu", i);
		assert_int_equal(mkdir(dir, 0755), 0);
		tree_job(&job, dir, "app", len);
		push_tree(&job, tar, len);
		snprintf(dir, sizeof(dir), "d%zu/app", i);
		assert_small_tree(dir);
		snprintf(dir, sizeof(dir), "new %zu\n'$(x)'", i);
		tree_job(&job, dir, "app", len);
		push_tree(&job, tar, len);
		assert_small_tree(dir);
	}
	tree_job(&job, "", "-at home", len);
	push_tree(&job, tar, len);
	assert_small_tree("-at home");
	assert_no_temps();
	free(tar);
}

/* An empty tree is an empty directory with the source's mode. */
static void
test_tree_empty(void **state)
{
	struct remote_job job;
	struct stat st;
	size_t len;
	char *tar;

	(void)state;
	assert_int_equal(mkdir("src", 0755), 0);
	tar = archive_of("src", &len);
	tree_job(&job, "e", "src", len);
	push_tree(&job, tar, len);
	assert_int_equal(lstat("e", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0751);
	assert_int_equal(rmdir("e"), 0);
	assert_no_temps();
	free(tar);
}

/*
 * The tree under each tar found here as the host's tar: BusyBox's and
 * libarchive's bsdtar (GNU tar is the default), with and without -p.
 */
static void
test_tree_other_tars(void **state)
{
	static const char *const tars[] = { "/bin/busybox",
	    "/usr/bin/busybox", "/usr/bin/bsdtar" };
	static const char *const tar_tool[] = { "tar", NULL };
	struct remote_job job;
	struct stat st;
	size_t i, len;
	char *tar, bin[16], path[PATH_MAX + 32], dest[16];

	(void)state;
	make_small_tree("src");
	assert_int_equal(system("touch -h -d '2001-02-03 04:05:06Z' src/* "
	    "src/sub/f src/sub"), 0);
	tar = archive_of("src", &len);
	for (i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
		if (access(tars[i], X_OK) != 0)
			continue;
		snprintf(bin, sizeof(bin), "bin%zu", i);
		make_bin(bin, tars[i], tar_tool);
		snprintf(path, sizeof(path), "%s:/usr/bin:/bin", bin_path(bin));
		opt.path = path;
		snprintf(dest, sizeof(dest), "t%zu", i);
		tree_job(&job, dest, "src", len);
		push_tree(&job, tar, len);
		assert_small_tree(dest);
		snprintf(dest, sizeof(dest), "p%zu", i);
		tree_job(&job, dest, "src", len);
		job.preserve = 1;
		job.mtime = job.atime = 981173106;
		push_tree(&job, tar, len);
		assert_small_tree(dest);
		snprintf(path, sizeof(path), "p%zu/sub/f", i);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mtime, 981173106);
		assert_int_equal(stat(dest, &st), 0);
		assert_int_equal(st.st_mtime, 981173106);
		opt.path = NULL;
	}
	assert_no_temps();
	free(tar);
}

/* An existing tree is merged into: its own files stay. */
static void
test_tree_merge(void **state)
{
	struct remote_job job;
	size_t len;
	char *tar;

	(void)state;
	make_small_tree("src");
	tar = archive_of("src", &len);
	assert_int_equal(mkdir("dst", 0700), 0);
	assert_int_equal(mkdir("dst/sub", 0755), 0);
	put_file("dst/sub/f", "old\n", 0644);
	put_file("dst/mine", "mine\n", 0644);
	tree_job(&job, ".", "dst", len);	/* ./dst exists */
	push_tree(&job, tar, len);
	assert_file("dst/sub/f", "nested\n", 7);
	assert_file("dst/mine", "mine\n", 5);
	assert_int_equal(mode_of("dst"), 0700);	/* an existing root stays */
	assert_no_temps();
	free(tar);
}

/* Refusals before any data: not a directory, no parent, no tar. */
static void
test_tree_refused(void **state)
{
	static const char *const tools[] = { "cat", "wc", "rm", "mv",
	    "chmod", "mkdir", "dd", NULL };
	struct remote_job job;
	struct result res;

	(void)state;
	put_file("file", "x", 0644);
	tree_job(&job, "file", "src", 1024);
	assert_int_equal(receive(&job, "", 0, &res), REMOTE_EXIT_NOTDIR);
	assert_contains(res.err, "cannot create 'file': it exists and is not "
	    "a directory");
	assert_int_equal(remote_check_ready(res.out, res.outlen, "receive"),
	    -1);
	result_free(&res);
	assert_int_equal(symlink("nowhere", "dangling"), 0);
	tree_job(&job, "dangling", "src", 1024);
	assert_int_equal(receive(&job, "", 0, &res), REMOTE_EXIT_NOTDIR);
	result_free(&res);
	tree_job(&job, "no/such", "src", 1024);
	assert_int_equal(receive(&job, "", 0, &res), REMOTE_EXIT_NODIR);
	result_free(&res);
	make_bin("bin", NULL, tools);
	opt.path = bin_path("bin");
	tree_job(&job, "t", "src", 1024);
	assert_int_equal(receive(&job, "", 0, &res), REMOTE_EXIT_NOTAR);
	assert_contains(res.err, "tar not found on the host");
	assert_int_equal(remote_check_ready(res.out, res.outlen, "receive"),
	    -1);
	result_free(&res);
	opt.path = NULL;
	assert_false(exists("t"));
	assert_file("file", "x", 1);
	assert_no_temps();
}

/*
 * Nothing is unpacked from an archive that is cut short, fails its hash,
 * gets no go-ahead, or is aborted; an archive tar cannot read leaves no
 * tree and no temp directory.
 */
static void
test_tree_nothing_unpacked(void **state)
{
	struct remote_job job;
	struct result res;
	size_t len;
	char *tar, *junk;

	(void)state;
	make_small_tree("src");
	tar = archive_of("src", &len);
	tree_job(&job, "t", "src", len);
	assert_int_equal(receive(&job, tar, len - 512, &res),
	    REMOTE_EXIT_SIZE);
	result_free(&res);
	assert_no_temps();
	job.sha256 = SHA_ABC;
	assert_int_equal(receive(&job, tar, len, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_HASH);
	result_free(&res);
	job.sha256 = NULL;
	assert_int_equal(receive(&job, tar, len, &res), 0);
	result_free(&res);
	assert_int_equal(commit_nogo(&job, "", &res), REMOTE_EXIT_NOGO);
	result_free(&res);
	assert_int_equal(receive(&job, tar, len, &res), 0);
	result_free(&res);
	assert_int_equal(abort_job(&job, &res), 0);
	result_free(&res);
	assert_false(exists("t"));
	assert_no_temps();
	junk = xmalloc(len);
	memset(junk, 'j', len);
	assert_int_equal(receive(&job, junk, len, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_UNPACK);
	assert_contains(res.err, "cannot unpack 't': tar: ");
	result_free(&res);
	assert_false(exists("t"));
	assert_no_temps();
	free(junk);
	free(tar);
}

/* -p: the modes exactly (the umask aside) and the times, root included. */
static void
test_tree_preserve(void **state)
{
	struct remote_job job;
	struct stat st;
	size_t len;
	char *tar;

	(void)state;
	make_small_tree("src");
	assert_int_equal(system("touch -h -d '2001-02-03 04:05:06Z' src/* "
	    "src/sub/f src/sub"), 0);
	umask(077);
	tar = archive_of("src", &len);
	tree_job(&job, "t", "src", len);
	job.preserve = 1;
	job.mtime = 981173106;
	job.atime = 981173106;
	push_tree(&job, tar, len);
	assert_small_tree("t");
	assert_int_equal(stat("t/sub/f", &st), 0);
	assert_int_equal(st.st_mtime, 981173106);
	assert_int_equal(stat("t/sub", &st), 0);
	assert_int_equal(st.st_mtime, 981173106);
	assert_int_equal(stat("t", &st), 0);
	assert_int_equal(st.st_mtime, 981173106);
	assert_no_temps();
	free(tar);
}

/* --exec: a job that feeds cmd, its temp files in $TMPDIR (tmp/). */
static void
exec_init(struct remote_job *job, enum remote_kind kind, const char *cmd,
    uint64_t size)
{
	job_init(job, "", "", size);
	job->kind = kind;
	job->cmd = cmd;
	mkdir("tmp", 0755);
	setenv("TMPDIR", bin_path("tmp"), 1);
}

/* No temp file of --exec's in tmp/ (the data's copy, .out, .err). */
static void
assert_no_exec_temps(void)
{
	DIR *d = opendir("tmp");
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, "fanscp") != NULL)
			print_error("left in tmp: '%s'\n", e->d_name);
		assert_null(strstr(e->d_name, "fanscp"));
	}
	closedir(d);
	assert_no_temps();
}

/* The command's result line in res: its status, and its stdout tail. */
static int
exec_status(const struct result *res, char **tail)
{
	const char *t;
	size_t n;
	int st;

	if (remote_exec_result(res->out, res->outlen, &st, &t, &n) != 0) {
		print_error("no result line: [%s] [%s]\n", res->out, res->err);
		fail();
	}
	if (tail != NULL)
		*tail = xstrndup(t, n);
	return st;
}

/* The command's own stderr in res, after the script's marker line. */
static const char *
cmd_err(struct result *res)
{
	static char buf[8192];
	const char *t;
	size_t n;

	assert_non_null(strstr(res->err, "\nfanscp-stderr\n"));
	remote_exec_stderr(res->err, res->errlen, &t, &n);
	assert_true(n < sizeof(buf));
	memcpy(buf, t, n);
	buf[n] = '\0';
	return buf;
}

/* --exec: receive, then commit with the go-ahead; the script's status. */
static int
exec_push(const struct remote_job *job, const void *data, size_t len,
    struct result *res)
{
	if (receive(job, data, len, res) != 0)
		return res->status;
	assert_int_equal(remote_check_ok(res->out, res->outlen, "receive",
	    job->size), 0);
	result_free(res);
	assert_int_equal(mode_of("tmp/.fanscp." TOKEN), 0600);
	return commit(job, res);
}

static void
exec_path(void)
{
	struct remote_job job;
	struct result res;
	char *data = binary_data(200000), *tail;

	exec_init(&job, REMOTE_EXEC, "cat >out; echo 'on stdout'; "
	    "echo 'on stderr' >&2; [ -f /dev/stdin ] && echo regular", 200000);
	assert_int_equal(exec_push(&job, data, 200000, &res), 0);
	assert_int_equal(exec_status(&res, &tail), 0);
	assert_string_equal(tail, "on stdout\nregular\n");
	assert_string_equal(cmd_err(&res), "on stderr\n");
	assert_non_null(strstr(res.out, "fanscp-ready commit\n"));
	free(tail);
	result_free(&res);
	assert_file("out", data, 200000);
	assert_no_exec_temps();
	/* Empty data, and a command that prints nothing. */
	exec_init(&job, REMOTE_EXEC, "cat >empty", 0);
	assert_int_equal(exec_push(&job, "", 0, &res), 0);
	assert_int_equal(exec_status(&res, &tail), 0);
	assert_string_equal(tail, "");
	free(tail);
	result_free(&res);
	assert_file("empty", "", 0);
	assert_no_exec_temps();
	free(data);
	unlink("out");
	unlink("empty");
}

/* --exec-stream: one script, the command reads the data as it comes. */
static void
stream_path(void)
{
	struct remote_job job;
	struct result res;
	char *data = binary_data(300000), *tail;

	exec_init(&job, REMOTE_EXEC_STREAM, "cat >out; "
	    "[ -f /dev/stdin ] || echo not-a-file", 300000);
	assert_false(remote_has_commit(&job));
	assert_true(remote_runs_cmd(&job, "receive"));
	assert_int_equal(receive(&job, data, 300000, &res), 0);
	assert_int_equal(remote_check_ready(res.out, strstr(res.out,
	    "fanscp-ready receive\n") + 21 - res.out, "receive"), 0);
	assert_int_equal(exec_status(&res, &tail), 0);
	assert_string_equal(tail, "not-a-file\n");
	free(tail);
	result_free(&res);
	assert_file("out", data, 300000);
	assert_no_exec_temps();
	free(data);
	unlink("out");
}


/* The SHA-256 of "hello", which a keep receive offers back. */

/*
 * A keep receive under the current shell: short data keeps the temp file
 * and its pid file ("fanscp-part receive 5", status 87); the next session
 * of the run is offered those bytes with their SHA-256 and appends after
 * them; the commit renames and leaves nothing.  Another run finds the
 * file but is not offered it without takeover (--resume), and starts
 * over; with takeover it is offered.  An answer "from 0" starts over.
 */
static void
keep_path(void)
{
	static const char tmp[] = ".k.fanscp." TOKEN, pid[] = ".k.fanscp."
	    TOKEN ".pid";
	struct remote_job job;
	struct result res;
	uint64_t have;
	char hash[65];
	int st;

	job_init(&job, "k", "k", 10);
	job.keep = 1;
	job.run = "r1";
	st = receive(&job, "hello", 5, &res);
	assert_int_equal(st, REMOTE_EXIT_PART);
	assert_int_equal(remote_check_part(res.out, res.outlen, &have), 0);
	assert_int_equal(have, 5);
	assert_true(exists(tmp) && exists(pid) && !exists("k"));
	result_free(&res);

	/* The same run again: offered, resumed after 5 bytes. */
	assert_int_equal(receive(&job, "from 5\nworld", 12, &res), 0);
	assert_non_null(strstr(res.out, "fanscp-have 5 " SHA_HELLO "\n"));
	assert_int_equal(remote_check_ok(res.out, res.outlen, "receive", 10),
	    0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), 0);
	result_free(&res);
	assert_true(exists("k") && !exists(tmp) && !exists(pid));
	assert_int_equal(system("[ \"$(cat k)\" = helloworld ]"), 0);

	/* Another run: the leftover is not offered, and is overwritten. */
	assert_int_equal(receive(&job, "hello", 5, &res), REMOTE_EXIT_PART);
	result_free(&res);
	job.run = "r2";
	assert_int_equal(receive(&job, "0123456789", 10, &res), 0);
	assert_null(strstr(res.out, "fanscp-have"));
	result_free(&res);
	assert_int_equal(abort_job(&job, &res), 0);
	result_free(&res);
	assert_true(!exists(tmp) && !exists(pid));

	/* With takeover, it is; "from 0" starts over. */
	assert_int_equal(receive(&job, "hello", 5, &res), REMOTE_EXIT_PART);
	result_free(&res);
	job.run = "r3";
	job.takeover = 1;
	assert_int_equal(receive(&job, "from 0\n0123456789", 17, &res), 0);
	assert_int_equal(remote_check_have(res.out, res.outlen, &have, hash),
	    -1);	/* the last line is the ok line */
	assert_non_null(strstr(res.out, "fanscp-have 5 " SHA_HELLO "\n"));
	result_free(&res);
	assert_int_equal(commit(&job, &res), 0);
	result_free(&res);
	assert_int_equal(system("[ \"$(cat k)\" = 0123456789 ]"), 0);
	assert_true(!exists(tmp) && !exists(pid));

	/* A planted symlink as the temp file is never written through. */
	assert_int_equal(system("echo precious >victim && ln -s victim "
	    ".k.fanscp." TOKEN), 0);
	job.run = "r4";
	assert_int_equal(receive(&job, "abcdefghij", 10, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), 0);
	result_free(&res);
	assert_int_equal(system("[ \"$(cat victim)\" = precious ] && "
	    "[ \"$(cat k)\" = abcdefghij ] && ! [ -L k ]"), 0);
	unlink("victim");
	unlink("k");
}

static void
test_keep_all_shells(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0)
			keep_path();
}

static void
test_check_have_part(void **state)
{
	uint64_t have;
	char hash[65];

	(void)state;
	assert_int_equal(remote_check_have("fanscp-have 5 " SHA_HELLO "\n",
	    14 + 64 + 1, &have, hash), 0);
	assert_int_equal(have, 5);
	assert_string_equal(hash, SHA_HELLO);
	assert_int_equal(remote_check_have("motd\nfanscp-have 12 -\n", 22,
	    &have, hash), 0);
	assert_int_equal(have, 12);
	assert_string_equal(hash, "");
	assert_int_equal(remote_check_have("fanscp-have 12 abc\n", 19, &have,
	    hash), -1);
	assert_int_equal(remote_check_have("fanscp-have x -\n", 16, &have,
	    hash), -1);
	assert_int_equal(remote_check_have("fanscp-have 5 -", 15, &have,
	    hash), -1);
	assert_int_equal(remote_check_have("fanscp-have 99999999999999999999 -"
	    "\n", 35, &have, hash), -1);
	assert_int_equal(remote_check_part("fanscp-part receive 7\n", 22,
	    &have), 0);
	assert_int_equal(have, 7);
	assert_int_equal(remote_check_part("fanscp-part receive \n", 21,
	    &have), -1);
	assert_int_equal(remote_check_part("fanscp-ok receive 7\n", 20,
	    &have), -1);
}

static void
test_exec_all_shells(void **state)
{
	struct remote_job job;
	size_t i;

	(void)state;
	job_init(&job, "", "", 0);
	job.kind = REMOTE_EXEC;
	assert_true(remote_has_commit(&job));
	assert_true(remote_runs_cmd(&job, "commit"));
	assert_false(remote_runs_cmd(&job, "receive"));
	job.kind = REMOTE_FILE;
	assert_false(remote_runs_cmd(&job, "commit"));
	for (i = 0; i < NSHELLS; i++)
		if (use_shell(&shells[i]) == 0) {
			exec_path();
			stream_path();
		}
}

/*
 * The command's status travels in the result line: the script itself
 * exits 0, and a status that is one of the scripts' own codes, or output
 * that mimics their lines, is still the command's.
 */
static void
test_exec_status(void **state)
{
	static const struct {
		const char *cmd;
		int status;
		const char *out, *err;
	} cases[] = {
		{ "cat >/dev/null; echo bad >&2; exit 3", 3, "", "bad\n" },
		{ "cat >/dev/null; exit 72", 72, "", "" },
		{ "cat >/dev/null; exit 255", 255, "", "" },
		{ "printf 'fanscp-ok exec 0 0\\n'; exit 4", 4,
		    "fanscp-ok exec 0 0\n", "" },
		{ "printf 'x\\nfanscp-ok commit 3\\n'", 0,
		    "x\nfanscp-ok commit 3\n", "" },
		{ "printf 'no newline'", 0, "no newline", "" },
		{ "kill -9 $$", 137, "", "*" },	/* a shell may say so */
		{ "no-such-command-here", 127, "", NULL },
		{ "-c", 127, "", NULL },
		{ "exit", 0, "", "" },
	};
	struct remote_job job;
	struct result res;
	char *tail;
	size_t i, k;

	(void)state;
	for (k = 0; k < NSHELLS; k++) {
		if (use_shell(&shells[k]) != 0)
			continue;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			exec_init(&job, i % 2 ? REMOTE_EXEC_STREAM :
			    REMOTE_EXEC, cases[i].cmd, 3);
			if (job.kind == REMOTE_EXEC)
				assert_int_equal(exec_push(&job, "abc", 3,
				    &res), 0);
			else
				assert_int_equal(receive(&job, "abc", 3,
				    &res), 0);
			assert_int_equal(exec_status(&res, &tail),
			    cases[i].status);
			assert_string_equal(tail, cases[i].out);
			if (cases[i].err != NULL && *cases[i].err != '*')
				assert_string_equal(cmd_err(&res),
				    cases[i].err);
			else if (cases[i].err == NULL)
				assert_contains(cmd_err(&res), "not found");
			free(tail);
			result_free(&res);
			assert_no_exec_temps();
		}
	}
}

/* Without the go-ahead, or with the data short or wrong, nothing runs. */
static void
test_exec_nogo(void **state)
{
	static const char *const inputs[] = { "", "g", "go", "no\n", "gox\n" };
	struct remote_job job;
	struct result res;
	size_t i;

	(void)state;
	exec_init(&job, REMOTE_EXEC, "touch ran", 4);
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_int_equal(receive(&job, "new\n", 4, &res), 0);
		result_free(&res);
		assert_int_equal(commit_nogo(&job, inputs[i], &res),
		    REMOTE_EXIT_NOGO);
		assert_int_equal(remote_check_ready(res.out, res.outlen,
		    "commit"), 0);
		assert_contains(res.err, "the command was not run");
		result_free(&res);
		assert_false(exists("ran"));
		assert_no_exec_temps();
	}
	/* Short data: the receive refuses it and removes the copy. */
	assert_int_equal(receive(&job, "new", 3, &res), REMOTE_EXIT_SIZE);
	assert_contains(res.err, "got 3 of 4 bytes");
	result_free(&res);
	assert_no_exec_temps();
	/* The copy changed after the receive: the commit refuses it. */
	assert_int_equal(receive(&job, "new\n", 4, &res), 0);
	result_free(&res);
	put_file("tmp/.fanscp." TOKEN, "new", 0600);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_SIZE);
	result_free(&res);
	assert_no_exec_temps();
	/* The SHA-256 under --verify. */
	exec_init(&job, REMOTE_EXEC, "touch ran", 3);
	job.sha256 = SHA_ABC;
	assert_int_equal(receive(&job, "abd", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_HASH);
	result_free(&res);
	assert_no_exec_temps();
	assert_int_equal(exec_push(&job, "abc", 3, &res), 0);
	assert_int_equal(exec_status(&res, NULL), 0);
	result_free(&res);
	assert_true(exists("ran"));
	/* No temp copy at all. */
	assert_int_equal(unlink("ran"), 0);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_NOTMP);
	result_free(&res);
	assert_false(exists("ran"));
	/* The abort removes the copy. */
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(abort_job(&job, &res), 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "abort", 0), 0);
	result_free(&res);
	assert_no_exec_temps();
}

/*
 * --exec-stream: the command starts with the first byte, so a transfer
 * cut before any data runs nothing; an empty source still runs it.
 */
static void
test_exec_stream_first_byte(void **state)
{
	struct remote_job job;
	struct result res;
	size_t k;

	(void)state;
	for (k = 0; k < NSHELLS; k++) {
		if (use_shell(&shells[k]) != 0)
			continue;
		exec_init(&job, REMOTE_EXEC_STREAM, "touch ran; cat >got", 3);
		assert_int_equal(receive(&job, "", 0, &res), REMOTE_EXIT_WRITE);
		assert_contains(res.err, "the command was not run");
		assert_int_equal(remote_check_ready(res.out, res.outlen,
		    "receive"), 0);
		result_free(&res);
		assert_false(exists("ran"));
		assert_no_exec_temps();
		exec_init(&job, REMOTE_EXEC_STREAM, "touch ran; cat >got", 0);
		assert_int_equal(receive(&job, "", 0, &res), 0);
		assert_int_equal(exec_status(&res, NULL), 0);
		result_free(&res);
		assert_true(exists("ran"));
		assert_file("got", "", 0);
		/* One byte, and then the rest. */
		exec_init(&job, REMOTE_EXEC_STREAM, "cat >got", 1);
		assert_int_equal(receive(&job, "x", 1, &res), 0);
		assert_int_equal(exec_status(&res, NULL), 0);
		result_free(&res);
		assert_file("got", "x", 1);
		assert_no_exec_temps();
		unlink("ran");
		unlink("got");
	}
}

/*
 * A stream's size is known only at its end: it comes in the seal after
 * the data; without the seal the data was cut short and nothing is kept.
 * The commit, which knows the size, checks it.
 */
static void
test_exec_size_unknown(void **state)
{
	struct remote_job job;
	struct result res;
	char in[4 + REMOTE_SEAL_LEN + 1];

	(void)state;
	exec_init(&job, REMOTE_EXEC, "cat >got", 0);
	job.token = "0123456789abcdef0123456789abcdef";	/* as sess makes */
	job.size_unknown = 1;
	assert_true(remote_sealed(&job));
	assert_int_equal(receive(&job, "abcd", 4, &res), REMOTE_EXIT_SIZE);
	assert_contains(res.err, "the data was cut short");
	result_free(&res);
	assert_no_exec_temps();
	memcpy(in, "abcd", 4);
	remote_seal(&job, 4, in + 4);
	assert_int_equal(receive(&job, in, 4 + REMOTE_SEAL_LEN, &res), 0);
	assert_int_equal(remote_check_ok(res.out, res.outlen, "receive", 4),
	    0);
	result_free(&res);
	job.size_unknown = 0;
	job.size = 4;
	assert_int_equal(commit(&job, &res), 0);
	assert_int_equal(exec_status(&res, NULL), 0);
	result_free(&res);
	assert_file("got", "abcd", 4);
	assert_no_exec_temps();
	/* --exec-stream takes no seal: the data goes to the command. */
	job.kind = REMOTE_EXEC_STREAM;
	job.size_unknown = 1;
	assert_false(remote_sealed(&job));
}

/* A temp file that exists already is never written through, nor removed. */
static void
test_exec_noclobber(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	exec_init(&job, REMOTE_EXEC, "touch ran", 3);
	assert_int_equal(symlink("../victim", "tmp/.fanscp." TOKEN), 0);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_CREATE);
	assert_contains(res.err, "cannot create a temp file in");
	result_free(&res);
	assert_false(exists("victim"));
	assert_true(exists("tmp/.fanscp." TOKEN));
	assert_int_equal(unlink("tmp/.fanscp." TOKEN), 0);
	/* The output files, made after the checks: the copy goes too. */
	put_file("tmp/.fanscp." TOKEN ".err", "theirs", 0644);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	result_free(&res);
	assert_int_equal(commit(&job, &res), REMOTE_EXIT_CREATE);
	result_free(&res);
	assert_false(exists("ran"));
	assert_false(exists("tmp/.fanscp." TOKEN));
	assert_false(exists("tmp/.fanscp." TOKEN ".out"));
	assert_file("tmp/.fanscp." TOKEN ".err", "theirs", 6);
	assert_int_equal(unlink("tmp/.fanscp." TOKEN ".err"), 0);
	/* Stream: the same, before "ready". */
	exec_init(&job, REMOTE_EXEC_STREAM, "touch ran", 3);
	put_file("tmp/.fanscp." TOKEN ".out", "theirs", 0644);
	assert_int_equal(receive(&job, "abc", 3, &res), REMOTE_EXIT_CREATE);
	assert_int_equal(remote_check_ready(res.out, res.outlen, "receive"),
	    -1);
	result_free(&res);
	assert_false(exists("ran"));
	assert_file("tmp/.fanscp." TOKEN ".out", "theirs", 6);
	assert_int_equal(unlink("tmp/.fanscp." TOKEN ".out"), 0);
	assert_no_exec_temps();
}

/* Hostile commands run exactly as given, under every shell. */
static void
test_exec_hostile(void **state)
{
	struct remote_job job;
	struct result res;
	char *q, *cmd;
	size_t i, k;

	(void)state;
	for (k = 0; k < NSHELLS; k++) {
		if (use_shell(&shells[k]) != 0)
			continue;
		for (i = 0; hostile[i] != NULL; i++) {
			q = shquote(hostile[i]);
			cmd = xasprintf("cat >data\nprintf %%s %s >seen", q);
			exec_init(&job, i % 2 ? REMOTE_EXEC_STREAM :
			    REMOTE_EXEC, cmd, 3);
			if (job.kind == REMOTE_EXEC)
				assert_int_equal(exec_push(&job, "abc", 3,
				    &res), 0);
			else
				assert_int_equal(receive(&job, "abc", 3,
				    &res), 0);
			assert_int_equal(exec_status(&res, NULL), 0);
			result_free(&res);
			assert_file("seen", hostile[i], strlen(hostile[i]));
			assert_file("data", "abc", 3);
			assert_no_exec_temps();
			free(q);
			free(cmd);
		}
		/* A command that is itself an injection attempt. */
		exec_init(&job, REMOTE_EXEC, "x'; touch pwned; '", 0);
		assert_int_equal(exec_push(&job, "", 0, &res), 0);
		assert_int_equal(exec_status(&res, NULL), 127);
		result_free(&res);
	}
}

/* Only the tails come back, however much the command prints. */
static void
test_exec_bounded(void **state)
{
	struct remote_job job;
	struct result res;
	char *tail;

	(void)state;
	exec_init(&job, REMOTE_EXEC, "cat >/dev/null; "
	    "i=0; while [ $i -lt 3000 ]; do echo \"line $i of stdout\"; "
	    "echo \"line $i of stderr\" >&2; i=$((i + 1)); done", 3);
	assert_int_equal(exec_push(&job, "abc", 3, &res), 0);
	assert_int_equal(exec_status(&res, &tail), 0);
	assert_int_equal(strlen(tail), REMOTE_OUT_TAIL);
	assert_true(strlen(tail) >= 20 && strcmp(tail + strlen(tail) - 20,
	    "line 2999 of stdout\n") == 0);
	assert_int_equal(strlen(cmd_err(&res)), REMOTE_ERR_TAIL);
	assert_true(res.errlen > 20 && strcmp(res.err + res.errlen - 20,
	    "line 2999 of stderr\n") == 0);
	free(tail);
	result_free(&res);
	assert_no_exec_temps();
}

/*
 * The command runs as the user's, not as part of the script: the login's
 * umask, SIGPIPE at its default, no LC_ALL forced; and a background child
 * that keeps its output open does not hold the script.
 */
static void
test_exec_environment(void **state)
{
	struct remote_job job;
	struct result res;
	char *tail;
	time_t t0;

	(void)state;
	umask(027);
	exec_init(&job, REMOTE_EXEC, "umask; echo \"${LC_ALL-unset}\"; "
	    "sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status; "
	    "cat >made", 3);
	assert_int_equal(exec_push(&job, "abc", 3, &res), 0);
	assert_int_equal(exec_status(&res, &tail), 0);
	assert_memory_equal(tail, "0027\nunset\n", 11);
	/* SIGPIPE is signal 13: bit 12 of the ignored set. */
	assert_int_equal(strtoull(tail + 11, NULL, 16) & 0x1000, 0);
	assert_int_equal(mode_of("made"), 0640);
	free(tail);
	result_free(&res);
	umask(022);
	t0 = time(NULL);
	exec_init(&job, REMOTE_EXEC_STREAM,
	    "cat >/dev/null; (sleep 5 &); echo started", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	assert_int_equal(exec_status(&res, NULL), 0);
	result_free(&res);
	assert_true(time(NULL) - t0 < 4);
	assert_no_exec_temps();
}

/* The heartbeat runs while a slow command does. */
static void
test_exec_heartbeat(void **state)
{
	struct remote_job job;
	struct result res;

	(void)state;
	exec_init(&job, REMOTE_EXEC_STREAM, "cat >/dev/null; sleep 3", 3);
	assert_int_equal(receive(&job, "abc", 3, &res), 0);
	assert_non_null(strstr(res.out, "fanscp-alive\n"));
	assert_int_equal(exec_status(&res, NULL), 0);
	result_free(&res);
}

/* remote_exec_result() reads only a whole, well-formed last line. */
static void
test_exec_result(void **state)
{
	static const struct {
		const char *out;
		int ok, status;
		const char *tail;
	} cases[] = {
		{ "\nfanscp-ok exec 0 0\n", 1, 0, "" },
		{ "ready\nhello\n\nfanscp-ok exec 3 6\n", 1, 3, "hello\n" },
		{ "xyz\nfanscp-ok exec 255 3\n", 1, 255, "xyz" },
		/* The tail's start was cut by what the caller kept. */
		{ "yz\nfanscp-ok exec 1 30\n", 1, 1, "yz" },
		{ "fanscp-ok exec 0 0\n", 0, 0, NULL },
		{ "\nfanscp-ok exec 0 0", 0, 0, NULL },
		{ "\nfanscp-ok exec 0 0\nmore\n", 0, 0, NULL },
		{ "\nfanscp-ok exec 256 0\n", 0, 0, NULL },
		{ "\nfanscp-ok exec -1 0\n", 0, 0, NULL },
		{ "\nfanscp-ok exec 0 513\n", 0, 0, NULL },
		{ "\nfanscp-ok exec 0\n", 0, 0, NULL },
		{ "\nfanscp-ok exec  0 0\n", 0, 0, NULL },
		{ "\nfanscp-ok exec 0 0 0\n", 0, 0, NULL },
		{ "\nfanscp-ok exec x 0\n", 0, 0, NULL },
		{ "\nfanscp-ok receive 3\n", 0, 0, NULL },
		{ "", 0, 0, NULL },
		{ "\n", 0, 0, NULL },
	};
	const char *tail;
	size_t i, n;
	int st;

	(void)state;
	remote_exec_stderr("noise\n\nfanscp-stderr\nits own\n", 29, &tail, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(tail, "its own\n", 8);
	remote_exec_stderr("a\nfanscp-stderr\nb\nfanscp-stderr\nc", 33, &tail,
	    &n);
	assert_int_equal(n, 1);
	assert_memory_equal(tail, "c", 1);
	remote_exec_stderr("fanscp-stderr\nx", 15, &tail, &n);
	assert_int_equal(n, 15);
	remote_exec_stderr("\nfanscp-stderr\n", 15, &tail, &n);
	assert_int_equal(n, 0);
	remote_exec_stderr("", 0, &tail, &n);
	assert_int_equal(n, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = -1;
		if (remote_exec_result(cases[i].out, strlen(cases[i].out), &st,
		    &tail, &n) != (cases[i].ok ? 0 : -1))
			print_error("case %zu: '%s'\n", i, cases[i].out);
		assert_int_equal(remote_exec_result(cases[i].out,
		    strlen(cases[i].out), &st, &tail, &n), cases[i].ok ? 0 :
		    -1);
		if (!cases[i].ok)
			continue;
		assert_int_equal(st, cases[i].status);
		assert_int_equal(n, strlen(cases[i].tail));
		assert_memory_equal(tail, cases[i].tail, n);
	}
}

/* --then's result: its status line on stdout, its output after a mark. */
static void
test_then_result(void **state)
{
	static const char out[] = "noise\nfanscp-then 0\nfanscp-alive\n"
	    "fanscp-then 3\nfanscp-ok commit 5\n";
	static const char err[] = "rc noise\nfanscp-then-output\nx\n"
	    "\nfanscp-then-output\nunit not found\n";
	const char *tail;
	size_t taillen;
	int status;

	(void)state;
	assert_int_equal(remote_then_result(out, strlen(out), err,
	    strlen(err), &status, &tail, &taillen), 0);
	assert_int_equal(status, 3);
	assert_int_equal(taillen, strlen("unit not found\n"));
	assert_memory_equal(tail, "unit not found\n", taillen);
	assert_int_equal(remote_then_result("fanscp-ok commit 5\n", 19, "",
	    0, &status, &tail, &taillen), -1);
	assert_int_equal(remote_then_result("xfanscp-then 1\n", 15, "", 0,
	    &status, &tail, &taillen), -1);
	assert_int_equal(remote_then_result("fanscp-then 256\n", 16, "", 0,
	    &status, &tail, &taillen), -1);
	assert_int_equal(remote_then_result("fanscp-then 7\n", 14, "", 0,
	    &status, &tail, &taillen), 0);
	assert_int_equal(status, 7);
	assert_int_equal(taillen, 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

/* The same tests, receive and commit joined on one script. */
#define JOINED(f) \
static void \
f##_joined(void **state) \
{ \
	join_steps = 1; \
	f(state); \
}
JOINED(test_absolute_and_dotted)
JOINED(test_hostile_names)
JOINED(test_long_name)
JOINED(test_preserve)
JOINED(test_keep_mode)
JOINED(test_new_mode)
JOINED(test_bsd_stat)
JOINED(test_busybox_world)
JOINED(test_noclobber)
JOINED(test_sha)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shquote_known),
		T(test_then_result),
		T(test_shquote_roundtrip),
		T(test_prelude_shared),
		T(test_happy_all_shells),
		T(test_absolute_and_dotted),
		T(test_absolute_and_dotted_joined),
		T(test_set_all_shells),
		T(test_tree_drop_keeps_others),
		T(test_hostile_names),
		T(test_hostile_names_joined),
		T(test_long_name),
		T(test_long_name_joined),
		T(test_long_utf8_name),
		T(test_nodir),
		T(test_isdir),
		T(test_wrong_size),
		T(test_sha),
		T(test_sha_joined),
		T(test_sha_fallbacks),
		T(test_nohash),
		T(test_preserve),
		T(test_preserve_joined),
		T(test_keep_mode),
		T(test_keep_mode_joined),
		T(test_new_mode),
		T(test_new_mode_joined),
		T(test_bsd_stat),
		T(test_bsd_stat_joined),
		T(test_busybox_world),
		T(test_joined_edges),
		T(test_joined_readers),
		T(test_busybox_world_joined),
		T(test_symlink_through),
		T(test_special_dest),
		T(test_nogo),
		T(test_heartbeat),
		T(test_permissions),
		T(test_owner_kept),
		T(test_long_path),
		T(test_dash_name),
		T(test_truncated_script),
		T(test_default_acl),
		T(test_noclobber),
		T(test_noclobber_joined),
		T(test_unwritable_dir),
		T(test_write_error),
		T(test_abort),
		T(test_commit_notmp),
		T(test_commit_moved),
		T(test_commit_isdir),
		T(test_check_ok),
		T(test_check_ready_fed),
		T(test_check_have_part),
		T(test_keep_all_shells),
		T(test_exit_str),
		T(test_tree_happy),
		T(test_tree_empty),
		T(test_tree_other_tars),
		T(test_tree_merge),
		T(test_tree_refused),
		T(test_tree_nothing_unpacked),
		T(test_tree_preserve),
		T(test_exec_all_shells),
		T(test_exec_status),
		T(test_exec_nogo),
		T(test_exec_stream_first_byte),
		T(test_exec_size_unknown),
		T(test_exec_noclobber),
		T(test_exec_hostile),
		T(test_exec_bounded),
		T(test_exec_environment),
		T(test_exec_heartbeat),
		T(test_exec_result),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getcwd(topdir, sizeof(topdir)) == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
