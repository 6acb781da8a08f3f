/*
 * Unit tests for the progress line: its formatting at every width (it
 * must never wrap), long names, many hosts, verifying hosts, and an ETA
 * that does not climb while hosts verify (through progress_tick, on a
 * memory stream, whose width comes from $COLUMNS).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "progress.h"

#define LONG60	"web-frontend-017.eu-west-1.compute.internal.example.com.invalid"

static void
set(struct host *h, const char *name, enum host_status st, uint64_t bytes)
{
	memset(h, 0, sizeof(*h));
	h->name = (char *)name;
	h->status = st;
	h->bytes = bytes;
}

static char *
fmt(char *buf, size_t len, const struct host *h, size_t n, uint64_t size,
    double rate, int cols)
{
	struct progress_in in = { size, rate, rate, cols };

	return progress_format(buf, len, h, n, &in);
}

static size_t
count(const char *s, const char *sub)
{
	size_t c = 0;

	while ((s = strstr(s, sub)) != NULL) {
		c++;
		s += strlen(sub);
	}
	return c;
}

static void
test_counts_rate_eta_slowest(void **state)
{
	struct host h[4];
	char buf[512];

	(void)state;
	set(&h[0], "a", HOST_DONE, 1000000);
	set(&h[1], "b", HOST_FAILED, 10);
	set(&h[2], "c", HOST_ACTIVE, 500000);
	set(&h[3], "slowpoke", HOST_ACTIVE, 250000);
	fmt(buf, sizeof(buf), h, 4, 1000000, 250000.0, 200);
	/* 1,750,010 bytes sent; 500,000 + 750,000 left at 250,000 B/s: 5 s. */
	assert_string_equal(buf, "1/4 done, 1 failed, 2 active | 1.67 MiB "
	    "244.1 KiB/s | ETA 5s | slowest slowpoke 25%, c 50%");
}

static void
test_queued_hosts_count_in_eta_and_no_rate(void **state)
{
	struct host h[2];
	char buf[256];

	(void)state;
	set(&h[0], "a", HOST_QUEUED, 0);
	set(&h[1], "b", HOST_QUEUED, 0);
	fmt(buf, sizeof(buf), h, 2, 5000, 0, 80);
	assert_string_equal(buf, "0/2 done, 0 failed, 0 active | 0 B "
	    "0 B/s | ETA --:--");
	fmt(buf, sizeof(buf), h, 2, 5000, 1000, 80);
	assert_non_null(strstr(buf, "ETA 10s"));
}

static void
test_truncates_safely(void **state)
{
	struct host h[1];
	char buf[16];

	(void)state;
	set(&h[0], "a-very-long-host-name.example.com", HOST_ACTIVE, 1);
	memset(buf, 'x', sizeof(buf));
	fmt(buf, sizeof(buf), h, 1, 100, 1, 200);
	assert_true(strlen(buf) < sizeof(buf));
	memset(buf, 'x', sizeof(buf));
	fmt(buf, 1, h, 1, 100, 1, 200);
	assert_int_equal(buf[0], '\0');
}

/*
 * Every width from 1 to 250 columns: never more than cols - 3 bytes, so
 * that an echoed "^C" does not wrap either.
 */
static void
test_never_wider_than_the_terminal(void **state)
{
	static struct host h[1000];
	static char names[1000][80];
	char buf[1024];
	size_t i;
	int cols;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(names[i], sizeof(names[i]), "%03zu-%s", i, LONG60);
		set(&h[i], names[i], i < 300 ? HOST_DONE : i < 310 ?
		    HOST_FAILED : i < 374 ? HOST_ACTIVE : HOST_QUEUED,
		    i < 300 ? 1ULL << 30 : i < 374 ? (i * 7919 % 1000) << 20 :
		    0);
	}
	h[320].verifying = 1;
	for (cols = 1; cols <= 250; cols++) {
		fmt(buf, sizeof(buf), h, 1000, 1ULL << 30, 123456789.0, cols);
		assert_true(strlen(buf) <= (size_t)(cols > 3 ? cols - 3 : 1));
		assert_null(strchr(buf, '\n'));
		if (cols >= 16)		/* the counts come first */
			assert_memory_equal(buf, "300/1000 done", 13);
	}
}

/* 20, 40, 80 and 200 columns with names of 60 and more bytes. */
static void
test_widths_with_long_names(void **state)
{
	struct host h[6];
	char buf[1024];

	(void)state;
	set(&h[0], "a0-" LONG60, HOST_DONE, 1 << 20);
	set(&h[1], "a1-" LONG60, HOST_ACTIVE, 100 << 10);
	set(&h[2], "a2-" LONG60, HOST_ACTIVE, 200 << 10);
	set(&h[3], "a3-" LONG60, HOST_ACTIVE, 300 << 10);
	set(&h[4], "a4-" LONG60, HOST_ACTIVE, 400 << 10);
	set(&h[5], "a5-" LONG60, HOST_QUEUED, 0);

	fmt(buf, sizeof(buf), h, 6, 1 << 20, 1 << 20, 20);
	assert_string_equal(buf, "1/6 done");
	assert_true(strlen(buf) <= 17);

	fmt(buf, sizeof(buf), h, 6, 1 << 20, 1 << 20, 40);
	assert_true(strlen(buf) <= 37);
	assert_string_equal(buf, "1/6 done, 0 failed, 4 active | ETA 4s");

	/* 80: the slowest host, its name cut to its head. */
	fmt(buf, sizeof(buf), h, 6, 1 << 20, 1 << 20, 80);
	assert_true(strlen(buf) <= 77);
	assert_non_null(strstr(buf, "| ETA 4s"));
	assert_non_null(strstr(buf, "| slowest a1-web-"));
	assert_non_null(strstr(buf, "a1-web-fron.. 9%"));
	assert_int_equal(count(buf, "slowest"), 1);

	/* 200: the bytes sent, and several slow hosts, slowest first, their
	 * names shortened in the middle. */
	fmt(buf, sizeof(buf), h, 6, 1 << 20, 1 << 20, 200);
	assert_true(strlen(buf) <= 197);
	assert_non_null(strstr(buf, "| 1.98 MiB 1.00 MiB/s | ETA 4s | "));
	assert_true(count(buf, "%") >= 3);
	assert_true(strstr(buf, "a1-") < strstr(buf, "a2-"));
	assert_true(strstr(buf, "a2-") < strstr(buf, "a3-"));
	assert_non_null(strstr(buf, "a1-web-frontend-01..valid 9%, "));
	assert_null(strstr(buf, "a0-"));	/* done: not slow */
	assert_null(strstr(buf, "a5-"));	/* queued: not started */
}

/* Many slow hosts on a very wide line: at most PROGRESS_SLOWEST. */
static void
test_slowest_are_few(void **state)
{
	static struct host h[50];
	static char names[50][16];
	char buf[1024];
	size_t i;

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "h%02zu", i);
		set(&h[i], names[i], HOST_ACTIVE, (50 - i) * 1000);
	}
	fmt(buf, sizeof(buf), h, 50, 100000, 1000, 400);
	assert_int_equal(count(buf, "%"), PROGRESS_SLOWEST);
	assert_non_null(strstr(buf, "slowest h49 1%, h48 2%, h47 3%, h46 4%, "
	    "h45 5%"));
}

/* Verifying hosts are said so, and have no more bytes to send. */
static void
test_verifying(void **state)
{
	struct host h[4];
	char buf[512];

	(void)state;
	set(&h[0], "a", HOST_ACTIVE, 1000);
	set(&h[1], "b", HOST_ACTIVE, 1000);
	set(&h[2], "c", HOST_ACTIVE, 500);
	set(&h[3], "d", HOST_QUEUED, 0);
	h[0].verifying = h[1].verifying = 1;
	fmt(buf, sizeof(buf), h, 4, 1000, 100, 200);
	/* c's 500 and d's 1000 at 100 B/s; a and b are not slow hosts. */
	assert_string_equal(buf, "0/4 done, 0 failed, 3 active, 2 verifying | "
	    "2.44 KiB 100 B/s | ETA 15s | slowest c 50%");
	h[2].verifying = 1;
	h[3].status = HOST_DONE;
	h[3].bytes = 1000;
	fmt(buf, sizeof(buf), h, 4, 1000, 100, 200);
	assert_string_equal(buf, "1/4 done, 0 failed, 3 active, 3 verifying | "
	    "3.42 KiB 100 B/s | ETA 0s");
}

/* The ETA in seconds from a drawn frame, or -1. */
static long
frame_eta(const char *frame)
{
	const char *e = strstr(frame, "ETA ");
	long m = 0, s;
	char *end;

	if (e == NULL || e[4] == '-')
		return -1;
	s = strtol(e + 4, &end, 10);
	if (*end == 'm') {
		m = s;
		s = strtol(end + 1, &end, 10);
	}
	return 60 * m + s;
}

/*
 * Two of four hosts send 1 MB in 10 ticks, then verify for 20 while the
 * other two wait in the queue: the shown rate falls, the ETA holds.
 */
static void
test_eta_does_not_climb_while_verifying(void **state)
{
	struct host h[4];
	struct progress *p;
	char *out = NULL, *frame, *save;
	size_t outlen = 0;
	long eta, last = -1;
	int t, frames = 0;
	FILE *f;

	(void)state;
	setenv("COLUMNS", "200", 1);
	assert_non_null(f = open_memstream(&out, &outlen));
	p = progress_new(f, 1000000);
	set(&h[0], "a", HOST_ACTIVE, 0);
	set(&h[1], "b", HOST_ACTIVE, 0);
	set(&h[2], "c", HOST_QUEUED, 0);
	set(&h[3], "d", HOST_QUEUED, 0);
	for (t = 0; t <= 30; t++) {
		if (t <= 10)
			h[0].bytes = h[1].bytes = 100000 * (uint64_t)t;
		h[0].verifying = h[1].verifying = t >= 10;
		progress_tick(h, 4, 250 * t, 0, p);
	}
	progress_free(p);
	fclose(f);
	assert_non_null(strstr(out, "2 verifying"));
	for (frame = strtok_r(out, "\r", &save); frame != NULL;
	    frame = strtok_r(NULL, "\r", &save)) {
		if ((eta = frame_eta(frame)) < 0)
			continue;
		frames++;
		if (last >= 0)
			assert_true(eta <= last);
		last = eta;
	}
	assert_true(frames >= 25);
	/* 2 MB still to send at 800 kB/s. */
	assert_int_equal(last, 3);
	free(out);
	unsetenv("COLUMNS");
}

/*
 * One host sends its all in a burst, then verifies, while another sends
 * 50 kB a tick: the ETA is the slow host's, from the first estimate on,
 * and never climbs.
 */
static void
test_eta_ignores_a_verifying_burst(void **state)
{
	struct host h[2];
	struct progress *p;
	char *out = NULL, *frame, *save;
	size_t outlen = 0;
	long eta, last = -1;
	int t;
	FILE *f;

	(void)state;
	setenv("COLUMNS", "200", 1);
	assert_non_null(f = open_memstream(&out, &outlen));
	p = progress_new(f, 1000000);
	set(&h[0], "fast", HOST_ACTIVE, 0);
	set(&h[1], "slow", HOST_ACTIVE, 0);
	for (t = 0; t <= 16; t++) {
		h[0].bytes = t >= 1 ? 1000000 : 0;
		h[0].verifying = t >= 2;
		h[1].bytes = 50000 * (uint64_t)t;
		progress_tick(h, 2, 250 * t, 0, p);
	}
	progress_free(p);
	fclose(f);
	for (frame = strtok_r(out, "\r", &save); frame != NULL;
	    frame = strtok_r(NULL, "\r", &save)) {
		if ((eta = frame_eta(frame)) < 0)
			continue;
		if (last >= 0)
			assert_true(eta <= last);
		last = eta;
	}
	/* 200 kB/s; 200,000 bytes left: 1 s. */
	assert_int_equal(last, 1);
	free(out);
	unsetenv("COLUMNS");
}

/* A resize is read at the next tick. */
static void
test_sigwinch_rereads_the_width(void **state)
{
	struct host h[1];
	struct progress *p;
	char *out = NULL, *last;
	size_t outlen = 0, n;
	FILE *f;

	(void)state;
	setenv("COLUMNS", "200", 1);
	assert_non_null(f = open_memstream(&out, &outlen));
	p = progress_new(f, 1000000);
	set(&h[0], LONG60, HOST_ACTIVE, 5000);
	progress_tick(h, 1, 0, 0, p);
	fflush(f);
	assert_non_null(strstr(out, LONG60));
	setenv("COLUMNS", "40", 1);
	raise(SIGWINCH);
	progress_tick(h, 1, 250, 0, p);
	fflush(f);
	last = strrchr(out, '\r');
	assert_non_null(last);
	n = strcspn(last + 1, "\033");
	assert_true(n > 0 && n <= 37);
	/* Freed: the line is cleared. */
	progress_free(p);
	fflush(f);
	assert_int_equal(strcmp(out + outlen - 4, "\r\033[K"), 0);
	fclose(f);
	free(out);
	unsetenv("COLUMNS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_rate_eta_slowest),
		cmocka_unit_test(test_queued_hosts_count_in_eta_and_no_rate),
		cmocka_unit_test(test_truncates_safely),
		cmocka_unit_test(test_never_wider_than_the_terminal),
		cmocka_unit_test(test_widths_with_long_names),
		cmocka_unit_test(test_slowest_are_few),
		cmocka_unit_test(test_verifying),
		cmocka_unit_test(test_eta_does_not_climb_while_verifying),
		cmocka_unit_test(test_eta_ignores_a_verifying_burst),
		cmocka_unit_test(test_sigwinch_rereads_the_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
