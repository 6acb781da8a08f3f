/*
 * The spool: a pipe written by the test, read by the spool's thread, and
 * read back by readers at their own offsets.  Every wait is bounded: a
 * spool that never publishes fails the test instead of hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "spool.h"

#define MiB	(1U << 20)

struct fx {
	int		 w;		/* the writer's end */
	struct spool	*sp;
	char		 err[256];
	unsigned char	*data;		/* what was written, in order */
	size_t		 len;
};

static int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->w = -1;
	fx->data = malloc(8 * MiB);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->w >= 0)
		close(fx->w);
	spool_free(fx->sp);
	free(fx->data);
	free(fx);
	return 0;
}

/* A spool of a new pipe (1 MiB of buffer) under conf. */
static void
fx_start(struct fx *fx, struct spool_conf *conf)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fcntl(p[1], F_SETPIPE_SZ, MiB);
	fx->w = p[1];
	fx->sp = spool_new(p[0], "the pipe", conf, fx->err, sizeof(fx->err));
	assert_non_null(fx->sp);
}

/* Write n bytes of a pattern that differs by offset. */
static void
fx_write(struct fx *fx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fx->data[fx->len + i] = (unsigned char)((fx->len + i) * 7 +
		    (fx->len + i) / 251);
	assert_int_equal(write(fx->w, fx->data + fx->len, n), (ssize_t)n);
	fx->len += n;
}

static void
fx_close(struct fx *fx)
{
	close(fx->w);
	fx->w = -1;
}

/* Wait (at most 5 s) until the spool holds want bytes. */
static void
wait_spooled(struct spool *sp, uint64_t want)
{
	int i;

	for (i = 0; i < 500 && spool_spooled(sp) < want; i++)
		poll(NULL, 0, 10);
	assert_true(spool_spooled(sp) >= want);
}

/* Wait (at most 5 s) for fd to be readable; 1 if it was. */
static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Read at off until not-yet or the end; returns what a read said last. */
static ssize_t
read_at(struct fx *fx, uint64_t off, size_t len)
{
	unsigned char *buf = malloc(len);
	ssize_t n = spool_read(fx->sp, off, buf, len, fx->err,
	    sizeof(fx->err));

	if (n > 0)
		assert_memory_equal(buf, fx->data + off, (size_t)n);
	free(buf);
	return n;
}

static void
sha_hex(const unsigned char *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen;
	int i;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* Wait (at most 5 s) until the stream ended or failed. */
static void
wait_end(struct fx *fx)
{
	uint64_t size;
	int i;

	for (i = 0; i < 500; i++) {
		if (spool_ended(fx->sp, &size) ||
		    read_at(fx, UINT64_MAX / 2, 1) == -1)
			return;
		poll(NULL, 0, 10);
	}
	fail_msg("the spool never ended");
}

/* Readers at different offsets see the same bytes; past the end, not yet. */
static void
test_offsets(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { .hash = 1 };
	char want[65];
	uint64_t size;

	fx_start(fx, &c);
	fx_write(fx, 100000);
	wait_spooled(fx->sp, 100000);
	assert_int_equal(read_at(fx, 0, 4096), 4096);
	assert_int_equal(read_at(fx, 12345, 50000), 50000);
	assert_int_equal(read_at(fx, 99990, 4096), 10);	/* short */
	assert_int_equal(read_at(fx, 100000, 4096), SPOOL_AGAIN);
	assert_int_equal(spool_ended(fx->sp, &size), 0);
	assert_null(spool_sha256(fx->sp));
	fx_write(fx, 3 * MiB);
	fx_close(fx);
	wait_end(fx);
	assert_int_equal(spool_ended(fx->sp, &size), 1);
	assert_int_equal(size, 100000 + 3 * MiB);
	assert_int_equal(read_at(fx, 100000, MiB), MiB);
	assert_int_equal(read_at(fx, size - 1, 4096), 1);
	assert_int_equal(read_at(fx, size, 4096), 0);	/* the end */
	sha_hex(fx->data, fx->len, want);
	assert_string_equal(spool_sha256(fx->sp), want);
}

/* A loop waiting on the eventfd is woken by growth and by the end. */
static void
test_notify(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { 0 };
	int efd;

	fx_start(fx, &c);
	efd = spool_subscribe(fx->sp);
	assert_false(readable(efd, 100));	/* nothing happened */
	fx_write(fx, 1000);
	assert_true(readable(efd, 5000));
	spool_notified(efd);
	assert_false(readable(efd, 0));
	assert_int_equal(read_at(fx, 0, 4096), 1000);
	assert_int_equal(read_at(fx, 1000, 4096), SPOOL_AGAIN);
	fx_close(fx);
	assert_true(readable(efd, 5000));	/* the end wakes too */
	spool_notified(efd);
	wait_end(fx);
	assert_int_equal(read_at(fx, 1000, 4096), 0);
	spool_unsubscribe(fx->sp, efd);
}

/* The stream cannot be read: every reader gets the error. */
static void
test_read_error(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { 0 };
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	fx->sp = spool_new(fd, "the dir", &c, fx->err, sizeof(fx->err));
	assert_non_null(fx->sp);
	wait_end(fx);
	assert_int_equal(read_at(fx, 0, 10), -1);
	assert_non_null(strstr(fx->err, "cannot read 'the dir': Is a "
	    "directory"));
}

/* --size: short, long (failed before the end), and right. */
static void
test_size(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { .check_size = 1, .size = 5000 };
	uint64_t size;

	fx_start(fx, &c);
	fx_write(fx, 4999);
	fx_close(fx);
	wait_end(fx);
	assert_int_equal(read_at(fx, 0, 10), -1);
	assert_non_null(strstr(fx->err, "ended after 4999 bytes, not the "
	    "5000 that --size gives"));
	spool_free(fx->sp);
	fx->len = 0;

	fx_start(fx, &c);
	fx_write(fx, 5001);		/* the writer stays open */
	wait_end(fx);
	assert_int_equal(read_at(fx, 0, 10), -1);
	assert_non_null(strstr(fx->err, "longer than the 5000 bytes"));
	fx_close(fx);
	spool_free(fx->sp);
	fx->len = 0;

	fx_start(fx, &c);
	fx_write(fx, 5000);
	fx_close(fx);
	wait_end(fx);
	assert_int_equal(spool_ended(fx->sp, &size), 1);
	assert_int_equal(size, 5000);
}

/* --sha256: a stream that hashes otherwise fails; the right one ends. */
static void
test_sha256(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { 0 };
	char want[65];

	c.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	fx_start(fx, &c);
	fx_write(fx, 3000);
	fx_close(fx);
	wait_end(fx);
	assert_int_equal(read_at(fx, 0, 10), -1);
	assert_non_null(strstr(fx->err, "not the 0000"));
	spool_free(fx->sp);

	sha_hex(fx->data, 3000, want);
	want[0] = want[0] >= 'a' ? (char)(want[0] - 32) : want[0];
	c.sha256 = want;		/* upper case is as good */
	fx->len = 0;
	fx_start(fx, &c);
	fx_write(fx, 3000);
	fx_close(fx);
	wait_end(fx);
	assert_int_equal(read_at(fx, 0, 3000), 3000);
	assert_int_equal(read_at(fx, 3000, 10), 0);
}

/* Wait (at most 5 s) until the spool holds at most want bytes on disk. */
static int
wait_held(struct spool *sp, uint64_t want)
{
	int i;

	for (i = 0; i < 500 && spool_held(sp) > want; i++)
		poll(NULL, 0, 10);
	return spool_held(sp) <= want;
}

/*
 * Nothing is freed while an expected reader has not started; then the
 * file is freed behind the slowest live one, and a read behind it fails.
 */
static void
test_punch(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { 0 };
	struct spool_reader *a, *b, *late;

	fx_start(fx, &c);
	spool_expect_readers(fx->sp, 3);
	a = spool_reader_new(fx->sp);
	b = spool_reader_new(fx->sp);
	fx_write(fx, 4 * MiB);
	fx_close(fx);
	wait_end(fx);
	spool_reader_at(a, 3 * MiB);
	spool_reader_at(b, 2 * MiB + 5);
	poll(NULL, 0, 300);
	assert_int_equal(spool_held(fx->sp), 4 * MiB);	/* one to come */
	late = spool_reader_new(fx->sp);
	assert_int_equal(read_at(fx, 0, 10), 10);
	spool_reader_free(late);	/* it failed at once, say */
	assert_true(wait_held(fx->sp, 2 * MiB));
	assert_int_equal(spool_held(fx->sp), 2 * MiB);	/* 1 MiB steps */
	assert_int_equal(read_at(fx, MiB, 10), -1);
	assert_non_null(strstr(fx->err, "no longer holds"));
	assert_int_equal(read_at(fx, 2 * MiB + 5, 10), 10);
	spool_reader_free(b);
	assert_true(wait_held(fx->sp, MiB));
	spool_reader_free(a);
	assert_true(wait_held(fx->sp, 0));
}

/*
 * --spool-max: the thread stops reading while the slowest live reader (or
 * the first, before it comes) is that far behind.
 */
static void
test_max(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { .max = 65536, .chunk = 16384 };
	struct spool_reader *r;

	fx_start(fx, &c);
	fx_write(fx, 512 * 1024);
	wait_spooled(fx->sp, 65536);	/* no reader yet: one will come */
	poll(NULL, 0, 200);
	assert_int_equal(spool_spooled(fx->sp), 65536);
	r = spool_reader_new(fx->sp);
	poll(NULL, 0, 100);
	assert_int_equal(spool_spooled(fx->sp), 65536);
	spool_reader_at(r, 40000);
	wait_spooled(fx->sp, 65536 + 40000);
	poll(NULL, 0, 200);
	assert_int_equal(spool_spooled(fx->sp), 65536 + 40000);
	spool_reader_free(r);		/* no reader left: no limit */
	wait_spooled(fx->sp, 512 * 1024);
	fx_close(fx);
	wait_end(fx);
	assert_int_equal(read_at(fx, 512 * 1024 - 3, 10), 3);
}

/* A spool directory that cannot hold a file is an error at the start. */
static void
test_bad_dir(void **state)
{
	struct fx *fx = *state;
	struct spool_conf c = { .dir = "/nonexistent/spool" };
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_null(spool_new(p[0], "x", &c, fx->err, sizeof(fx->err)));
	assert_non_null(strstr(fx->err, "cannot make a spool file in "
	    "'/nonexistent/spool'"));
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_offsets),
		T(test_notify),
		T(test_read_error),
		T(test_size),
		T(test_sha256),
		T(test_punch),
		T(test_max),
		T(test_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
