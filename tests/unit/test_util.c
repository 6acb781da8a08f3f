/*
 * Tests for the shared helpers: port numbers at and past their bounds,
 * reading whole files (empty, larger than one read, NULs inside, missing),
 * and that the clock does not go backwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void
test_port(void **state)
{
	(void)state;
	assert_int_equal(util_port("22", 2), 22);
	assert_int_equal(util_port("1", 1), 1);
	assert_int_equal(util_port("65535", 5), 65535);
	assert_int_equal(util_port("2222/x", 4), 2222);	/* only len bytes */
	assert_int_equal(util_port("65536", 5), -1);
	assert_int_equal(util_port("0", 1), -1);
	assert_int_equal(util_port("", 0), -1);
	assert_int_equal(util_port("22a", 3), -1);
	assert_int_equal(util_port("-22", 3), -1);
	assert_int_equal(util_port("99999999999999999999", 20), -1);
}

/* Write len bytes of data to a new temp file; returns its path. */
static char *
temp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/fanscp-test-util.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
test_read_file(void **state)
{
	size_t big = 100000, len, i;
	char *data = malloc(big), *text, *path;

	(void)state;
	for (i = 0; i < big; i++)
		data[i] = (char)(i * 7);
	path = temp_file(data, big);
	assert_int_equal(util_read_file(path, &text, &len), 0);
	assert_int_equal(len, big);
	assert_memory_equal(text, data, big);
	assert_int_equal(text[len], '\0');
	free(text);
	unlink(path);
	free(path);

	path = temp_file("", 0);
	assert_int_equal(util_read_file(path, &text, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	unlink(path);

	text = NULL;
	assert_int_equal(util_read_file(path, &text, &len), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(text);
	free(path);
	free(data);
}

static void
test_clock(void **state)
{
	int64_t a, b;

	(void)state;
	a = util_now_ms();
	usleep(20000);
	b = util_now_ms();
	assert_true(b - a >= 19);
}

static void
test_glob(void **state)
{
	(void)state;
	assert_true(util_glob("web01", "web*", 4, 0));
	assert_true(util_glob("WEB01", "web?1", 5, 1));
	assert_false(util_glob("WEB01", "web?1", 5, 0));
	assert_false(util_glob("web01x", "web*1", 5, 0));
}

/* A bounded tail: what fits is kept whole, else only the last bytes. */
static void
test_keep_tail(void **state)
{
	char keep[8];
	size_t len = 0;

	(void)state;
	util_keep_tail(keep, &len, sizeof(keep), "abc", 3);
	assert_string_equal(keep, "abc");
	util_keep_tail(keep, &len, sizeof(keep), "defg", 4);
	assert_string_equal(keep, "abcdefg");
	util_keep_tail(keep, &len, sizeof(keep), "hi", 2);
	assert_string_equal(keep, "cdefghi");
	util_keep_tail(keep, &len, sizeof(keep), "0123456789", 10);
	assert_string_equal(keep, "3456789");
	assert_int_equal(len, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_keep_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
