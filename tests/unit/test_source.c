/*
 * Tests for the source: what may be opened (source_open: a regular file
 * only, and a FIFO never blocks; source_open_arg: a FIFO or a device as a
 * stream), and what counts as a change while it is sent (the
 * size, the mtime, the ctime, the inode the name points to).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "source.h"

struct fx {
	char	 dir[64];
	char	 path[128];
	char	 err[512];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/fanscp-src.XXXXXX");
	if (fx == NULL || mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/f", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Put back the mtime the file had at open, as touch -r does. */
static void
restore_mtime(const struct source *src)
{
	struct timespec ts[2];

	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = src->mtime;
	ts[1].tv_nsec = src->mtime_nsec;
	assert_int_equal(utimensat(AT_FDCWD, src->path, ts, 0), 0);
}

static void
test_regular(void **state)
{
	struct fx *fx = *state;
	struct source src;

	write_file(fx->path, "hello");
	assert_int_equal(source_open(&src, fx->path, fx->err,
	    sizeof(fx->err)), 0);
	assert_int_equal(src.size, 5);
	assert_string_equal(src.basename, "f");
	/* The descriptor blocks again: reads are plain. */
	assert_int_equal(fcntl(src.fd, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(source_changed(&src, fx->err, sizeof(fx->err)), 0);
	source_close(&src);
}

static void
expect_refused(struct fx *fx, const char *path, const char *msg)
{
	struct source src;
	time_t t0 = time(NULL);

	assert_int_equal(source_open(&src, path, fx->err, sizeof(fx->err)),
	    -1);
	assert_true(time(NULL) - t0 <= 1);
	assert_non_null(strstr(fx->err, msg));
	assert_int_equal(src.fd, -1);
	assert_null(src.path);
}

/* No writer: open(2) without O_NONBLOCK would wait for ever. */
static void
test_fifo(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(mkfifo(fx->path, 0600), 0);
	expect_refused(fx, fx->path, "not a regular file");
}

static void
test_others(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_un sun;
	int s;

	expect_refused(fx, "/dev/zero", "not a regular file");
	expect_refused(fx, "/dev/null", "not a regular file");
	expect_refused(fx, fx->dir, "is a directory");
	expect_refused(fx, fx->path, "No such file");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(fx->path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, fx->path, strlen(fx->path) + 1);
	assert_true((s = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	expect_refused(fx, fx->path, "not a regular file");
	close(s);
}

static void
open_file(struct fx *fx, struct source *src, const char *data)
{
	write_file(fx->path, data);
	assert_int_equal(source_open(src, fx->path, fx->err,
	    sizeof(fx->err)), 0);
	/* Let the clock move past the file's times (coarse clocks). */
	usleep(20000);
}

static void
expect_changed(struct fx *fx, struct source *src, const char *msg)
{
	assert_int_equal(source_changed(src, fx->err, sizeof(fx->err)), 1);
	assert_non_null(strstr(fx->err, msg));
	source_close(src);
}

/* Same size, the mtime put back: only the ctime tells. */
static void
test_rewrite_in_place(void **state)
{
	struct fx *fx = *state;
	struct source src;
	int fd;

	open_file(fx, &src, "hello");
	assert_true((fd = open(fx->path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "HE", 2, 0), 2);
	close(fd);
	restore_mtime(&src);
	expect_changed(fx, &src, "changed while being sent");
}

static void
test_grown(void **state)
{
	struct fx *fx = *state;
	struct source src;
	FILE *f;

	open_file(fx, &src, "hello");
	assert_non_null(f = fopen(fx->path, "a"));
	fputs("!", f);
	fclose(f);
	expect_changed(fx, &src, "changed while being sent");
}

/* Another file renamed over the name: the open one is intact, but it is
 * no longer what the name says. */
static void
test_renamed_over(void **state)
{
	struct fx *fx = *state;
	struct source src;
	char other[160];

	open_file(fx, &src, "hello");
	snprintf(other, sizeof(other), "%s/g", fx->dir);
	write_file(other, "HELLO");
	assert_int_equal(rename(other, fx->path), 0);
	expect_changed(fx, &src,
	    "(now another file) changed while being sent");
}

static void
test_removed(void **state)
{
	struct fx *fx = *state;
	struct source src;

	open_file(fx, &src, "hello");
	assert_int_equal(unlink(fx->path), 0);
	expect_changed(fx, &src,
	    "(No such file or directory) changed while being sent");
}

/* Reading it (and so its atime) is no change. */
static void
test_read_is_no_change(void **state)
{
	struct fx *fx = *state;
	struct source src;
	char buf[8];

	open_file(fx, &src, "hello");
	assert_int_equal(source_read(&src, 0, buf, sizeof(buf), fx->err,
	    sizeof(fx->err)), 5);
	assert_int_equal(source_changed(&src, fx->err, sizeof(fx->err)), 0);
	source_close(&src);
}

/* Read a stream source until its end (at most 5 s of "not yet"). */
static size_t
drain(struct source *src, char *buf, size_t len, struct fx *fx)
{
	size_t got = 0;
	ssize_t n;
	int waits = 0;

	for (;;) {
		n = source_read(src, got, buf + got, len - got, fx->err,
		    sizeof(fx->err));
		if (n == SOURCE_AGAIN && waits++ < 500) {
			usleep(10000);
			continue;
		}
		assert_true(n >= 0);
		if (n == 0)
			return got;
		got += (size_t)n;
	}
}

/*
 * What the SOURCE operand may name: a regular file is a file; a FIFO
 * (waiting for its writer) and a device are streams, whose size is final
 * only at the end; a directory and a socket are refused.
 */
static void
test_open_arg(void **state)
{
	struct fx *fx = *state;
	struct source_conf c = { .hash = 1 };
	struct source src;
	char buf[64];
	uint64_t size;
	int w;

	write_file(fx->path, "hello");
	assert_int_equal(source_open_arg(&src, fx->path, &c, fx->err,
	    sizeof(fx->err)), 0);
	assert_false(source_is_stream(&src));
	assert_string_equal(source_basename(&src), "f");
	assert_int_equal(source_size(&src, &size), 1);
	assert_int_equal(size, 5);
	source_close(&src);

	unlink(fx->path);
	assert_int_equal(mkfifo(fx->path, 0600), 0);
	assert_int_equal(source_open_arg(&src, fx->path, &c, fx->err,
	    sizeof(fx->err)), 0);
	assert_true(source_is_stream(&src));
	assert_null(source_basename(&src));
	assert_int_equal(source_size(&src, &size), 0);
	assert_int_equal(source_read(&src, 0, buf, sizeof(buf), fx->err,
	    sizeof(fx->err)), SOURCE_AGAIN);	/* no writer yet: not an end */
	usleep(100000);
	assert_int_equal(source_read(&src, 0, buf, sizeof(buf), fx->err,
	    sizeof(fx->err)), SOURCE_AGAIN);
	w = open(fx->path, O_WRONLY);
	assert_int_equal(write(w, "streamed", 8), 8);
	close(w);
	assert_int_equal(drain(&src, buf, sizeof(buf), fx), 8);
	assert_memory_equal(buf, "streamed", 8);
	assert_int_equal(source_size(&src, &size), 1);
	assert_int_equal(size, 8);
	assert_string_equal(source_sha256(&src), "97a78c00831554f7cc9745e8f67"
	    "32edcfb571cf548a8d12b48a6e3fc31e5e3e6");
	assert_int_equal(source_changed(&src, fx->err, sizeof(fx->err)), 0);
	source_close(&src);

	assert_int_equal(source_open_arg(&src, "/dev/null", &c, fx->err,
	    sizeof(fx->err)), 0);
	assert_true(source_is_stream(&src));
	assert_int_equal(drain(&src, buf, sizeof(buf), fx), 0);
	source_close(&src);

	assert_int_equal(source_open_arg(&src, fx->dir, &c, fx->err,
	    sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "is a directory"));
}

/*
 * An adopted file (a tree's archive) has no name to check: unlinked, it
 * is unchanged; written to, it has changed.  Only a regular file is
 * adopted.
 */
static void
test_adopt(void **state)
{
	struct fx *fx = *state;
	struct source src;
	int fd, p[2];

	write_file(fx->path, "archive");
	fd = open(fx->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(unlink(fx->path), 0);
	assert_int_equal(source_adopt(&src, fd, "tree/", fx->err,
	    sizeof(fx->err)), 0);
	assert_int_equal(src.size, 7);
	assert_string_equal(src.basename, "tree");
	assert_int_equal(source_changed(&src, fx->err, sizeof(fx->err)), 0);
	assert_int_equal(pwrite(fd, "X", 1, 7), 1);	/* it grows */
	assert_int_equal(source_changed(&src, fx->err, sizeof(fx->err)), 1);
	source_close(&src);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(source_adopt(&src, p[0], "pipe", fx->err,
	    sizeof(fx->err)), -1);
	assert_non_null(strstr(fx->err, "not a regular file"));
	close(p[1]);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_adopt),
		T(test_regular),
		T(test_fifo),
		T(test_others),
		T(test_rewrite_in_place),
		T(test_grown),
		T(test_renamed_over),
		T(test_removed),
		T(test_read_is_no_change),
		T(test_open_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
