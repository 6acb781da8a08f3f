/*
 * Tests for the pure formatting helpers: tables of inputs and outputs,
 * then every buffer length against guard bytes, so that truncation is
 * seen to stay inside the buffer and to end on a whole character.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fmt.h"

#define GUARD	0x5a
#define BUFMAX	128

struct size_case {
	uint64_t	 in;
	const char	*out;
};

struct dbl_case {
	double		 in;
	const char	*out;
};

struct clean_case {
	const char	*in;
	size_t		 len;		/* of in; 0: strlen */
	const char	*out;
};

static const struct size_case size_cases[] = {
	{ 0, "0 B" },
	{ 1, "1 B" },
	{ 512, "512 B" },
	{ 1023, "1023 B" },
	{ 1024, "1.00 KiB" },
	{ 1264, "1.23 KiB" },
	{ 10234, "9.99 KiB" },
	{ 10235, "10.0 KiB" },
	{ 12595, "12.3 KiB" },
	{ 1048524, "1023.9 KiB" },
	{ 1048525, "1.00 MiB" },	/* never "1024.0 KiB" */
	{ 1048576, "1.00 MiB" },
	{ 12897484, "12.3 MiB" },
	{ 1288490189, "1.20 GiB" },
	{ 1ULL << 40, "1.00 TiB" },
	{ 1ULL << 50, "1.00 PiB" },
	{ 1ULL << 60, "1.00 EiB" },
	{ UINT64_MAX, "16.0 EiB" },
};

static const struct dbl_case rate_cases[] = {
	{ 0, "0 B/s" },
	{ -5, "0 B/s" },
	{ 1023.9, "1023 B/s" },
	{ 1024, "1.00 KiB/s" },
	{ 12897484, "12.3 MiB/s" },
	{ 1073741824, "1.00 GiB/s" },
};

static const struct dbl_case eta_cases[] = {
	{ -1, "--:--" },
	{ -INFINITY, "--:--" },
	{ 0, "0s" },
	{ 0.4, "0s" },
	{ 0.5, "1s" },
	{ 42, "42s" },
	{ 59.4, "59s" },
	{ 59.5, "1m00s" },
	{ 185, "3m05s" },
	{ 3599, "59m59s" },
	{ 3599.5, "1h00m" },
	{ 3600, "1h00m" },
	{ 7620, "2h07m" },
	{ 359999, "99h59m" },
	{ 360000, "--:--" },
	{ INFINITY, "--:--" },
};

static const struct clean_case clean_cases[] = {
	{ "", 0, "" },
	{ "hello", 0, "hello" },
	{ "no space left\n", 0, "no space left" },
	{ "crlf\r\n", 0, "crlf" },
	{ "\n\n", 0, "" },
	{ "line1\nline2\n", 0, "line1; line2" },
	{ "a\n\nb", 0, "a; ; b" },
	{ "tab\there", 0, "tab\\011here" },
	{ "cr\rmid", 0, "cr\\015mid" },
	{ "\x1b[31mred\x1b[0m", 0, "\\033[31mred\\033[0m" },
	{ "\a\b\f\v", 0, "\\007\\010\\014\\013" },
	{ "back\\slash", 0, "back\\134slash" },
	{ "\\033", 0, "\\134033" },		/* no forged escapes */
	{ "del\x7f", 0, "del\\177" },
	{ "caf\xc3\xa9", 0, "caf\\303\\251" },
	{ "\xff", 0, "\\377" },
	{ "nul\0byte", 8, "nul\\000byte" },
	{ "~ and ' and \"", 0, "~ and ' and \"" },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_size_table(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(size_cases); i++) {
		assert_ptr_equal(fmt_size(buf, sizeof(buf), size_cases[i].in),
		    buf);
		assert_string_equal(buf, size_cases[i].out);
	}
}

static void
test_rate_table(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(rate_cases); i++) {
		assert_ptr_equal(fmt_rate(buf, sizeof(buf), rate_cases[i].in),
		    buf);
		assert_string_equal(buf, rate_cases[i].out);
	}
}

static void
test_eta_table(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(eta_cases); i++) {
		assert_ptr_equal(fmt_eta(buf, sizeof(buf), eta_cases[i].in),
		    buf);
		assert_string_equal(buf, eta_cases[i].out);
	}
}

/*
 * An unknown ETA can be NaN: 0 bytes left at a rate of 0 is 0/0.
 *
 * Regression (src/fmt.c, fmt_eta, fixed): NaN passed both range checks and is cast to
 * unsigned long, which is undefined; on x86-64 it prints
 * "2562047788015215h30m".  (fmt_rate has the same cast: NaN prints
 * "9.22 EB/s" and 1e30 or INFINITY "0 B/s".)
 */
static void
test_eta_nan(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(fmt_eta(buf, sizeof(buf), NAN), "--:--");
}

static void
test_clean_table(void **state)
{
	char buf[BUFMAX];
	size_t i, len;

	(void)state;
	for (i = 0; i < NITEMS(clean_cases); i++) {
		len = clean_cases[i].len ? clean_cases[i].len :
		    strlen(clean_cases[i].in);
		assert_ptr_equal(fmt_clean(buf, sizeof(buf), clean_cases[i].in,
		    len), buf);
		assert_string_equal(buf, clean_cases[i].out);
	}
}

/* Output is plain printable ASCII, whatever the input. */
static void
test_clean_all_bytes(void **state)
{
	char in[256], buf[256 * 4 + 1];
	size_t i;

	(void)state;
	for (i = 0; i < 256; i++)
		in[i] = (char)(255 - i);	/* '\n' is not last */
	fmt_clean(buf, sizeof(buf), in, sizeof(in));
	assert_true(strlen(buf) > 256);
	for (i = 0; buf[i] != '\0'; i++)
		assert_true(buf[i] >= 0x20 && buf[i] < 0x7f);
}

/* Is the string in buf whole and within len, with the guard intact? */
static void
check_bounded(const unsigned char *buf, size_t len)
{
	size_t i;

	if (len > 0)
		assert_non_null(memchr(buf, '\0', len));
	for (i = len; i < BUFMAX; i++)
		if (buf[i] != GUARD)
			fail_msg("wrote byte %zu of a %zu-byte buffer", i, len);
}

/* The whole-output tokens of fmt_clean: a byte, an escape, or "; ". */
static int
clean_boundary(const char *full, size_t at)
{
	size_t i = 0;

	while (i < at) {
		if (full[i] == '\\')
			i += 4;
		else if (full[i] == ';' && full[i + 1] == ' ')
			i += 2;
		else
			i++;
	}
	return i == at;
}

static void
test_clean_truncation(void **state)
{
	static const char in[] = "ok \x1b[1m\\ line\nnext\tend\xe2\x82\xac";
	unsigned char buf[BUFMAX];
	char full[BUFMAX];
	size_t len, n;

	(void)state;
	fmt_clean(full, sizeof(full), in, sizeof(in) - 1);
	for (len = 0; len < BUFMAX; len++) {
		memset(buf, GUARD, sizeof(buf));
		fmt_clean((char *)buf, len, in, sizeof(in) - 1);
		check_bounded(buf, len);
		if (len == 0) {
			assert_int_equal(buf[0], GUARD);
			continue;
		}
		n = strlen((char *)buf);
		/* A prefix of the whole, cut between characters... */
		assert_memory_equal(buf, full, n);
		if (!clean_boundary(full, n))
			fail_msg("len %zu: cut inside an escape: '%s'", len,
			    (char *)buf);
		/* ...and no shorter than it need be (an escape is 4). */
		if (n < strlen(full))
			assert_true(n + 5 >= len);
	}
}

static void
test_numbers_truncation(void **state)
{
	unsigned char buf[BUFMAX];
	char full[BUFMAX];
	size_t len, i;

	(void)state;
	for (i = 0; i < NITEMS(size_cases); i++) {
		fmt_size(full, sizeof(full), size_cases[i].in);
		for (len = 1; len < 16; len++) {
			memset(buf, GUARD, sizeof(buf));
			fmt_size((char *)buf, len, size_cases[i].in);
			check_bounded(buf, len);
			assert_memory_equal(buf, full, strlen((char *)buf));
		}
	}
	for (len = 1; len < 16; len++) {
		memset(buf, GUARD, sizeof(buf));
		fmt_rate((char *)buf, len, 12.3e6);
		check_bounded(buf, len);
		memset(buf, GUARD, sizeof(buf));
		fmt_eta((char *)buf, len, 7620);
		check_bounded(buf, len);
		memset(buf, GUARD, sizeof(buf));
		fmt_eta((char *)buf, len, -1);
		check_bounded(buf, len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_table),
		cmocka_unit_test(test_rate_table),
		cmocka_unit_test(test_eta_table),
		cmocka_unit_test(test_eta_nan),
		cmocka_unit_test(test_clean_table),
		cmocka_unit_test(test_clean_all_bytes),
		cmocka_unit_test(test_clean_truncation),
		cmocka_unit_test(test_numbers_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
