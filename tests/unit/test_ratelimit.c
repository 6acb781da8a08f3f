/*
 * Tests for the rate limit: scp's unit, the burst and its bounds, refill
 * over time, the wait rounded up to whole milliseconds, the long-run rate,
 * turns taken by several senders (none starves), many threads at once,
 * bytes given back, rates from 1 byte/s to past 1 Tbit/s without overflow,
 * and -l / --host-limit as the options parse them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "ratelimit.h"

/* Reserve want at now; check the grant and the wait. */
static void
expect_grant(struct ratelimit *rl, int64_t now, size_t want, size_t got,
    int64_t wait)
{
	int64_t w = -1;

	assert_int_equal(ratelimit_reserve(rl, now, want, &w), got);
	assert_int_equal(w, wait);
}

/* scp -l 8000 is 8000 * 1024 bits a second: 1,024,000 bytes. */
static void
test_unit(void **state)
{
	(void)state;
	assert_int_equal(RATELIMIT_KBIT_BYTES, 128);
	assert_int_equal(8000 * RATELIMIT_KBIT_BYTES, 1024000);
}

static void
test_burst(void **state)
{
	struct ratelimit *rl;

	(void)state;
	/* 100 ms at the rate. */
	rl = ratelimit_new(1000000);
	assert_int_equal(ratelimit_burst(rl), 100000);
	ratelimit_free(rl);
	/* At least one packet's worth... */
	rl = ratelimit_new(100000);
	assert_int_equal(ratelimit_burst(rl), RATELIMIT_UNIT);
	ratelimit_free(rl);
	/* ...unless that is more than a second's. */
	rl = ratelimit_new(1000);
	assert_int_equal(ratelimit_burst(rl), 1000);
	ratelimit_free(rl);
	/* Never more than 1 GiB. */
	rl = ratelimit_new(RATELIMIT_KBIT_MAX * RATELIMIT_KBIT_BYTES);
	assert_int_equal(ratelimit_burst(rl), RATELIMIT_BURST_MAX);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

/*
 * A full bucket grants its burst at once and no more; then it refills
 * at the rate, and a long idle time fills it to the burst only.
 */
static void
test_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(1000000);	/* 1 byte/us */
	size_t got = 0;
	int64_t w = 0;

	(void)state;
	/* Asked in small pieces, the burst goes without a wait... */
	while (got < 100000) {
		got += ratelimit_reserve(rl, 5000, 10000, &w);
		assert_int_equal(w, 0);
	}
	assert_int_equal(got, 100000);
	/* ...and the next piece waits for its own time at the rate. */
	expect_grant(rl, 5000, 10000, 10000, 10);
	/* A grant is capped at the burst. */
	expect_grant(rl, 5000, 1000000, 100000, 110);
	/* 10 s idle: the burst again, and not ten seconds' worth. */
	expect_grant(rl, 15000, 60000, 60000, 0);
	expect_grant(rl, 15000, 40000, 40000, 0);
	expect_grant(rl, 15000, 1, 1, 1);
	/* Half the burst's time later, half the burst is back. */
	expect_grant(rl, 15050, 49999, 49999, 0);
	expect_grant(rl, 15050, 1000, 1000, 1);
	ratelimit_free(rl);
}

/* The wait is rounded up: a timer must never fire before the bytes are due. */
static void
test_wait_ms(void **state)
{
	struct ratelimit *rl = ratelimit_new(3);	/* burst: 3 bytes */

	(void)state;
	expect_grant(rl, 0, 3, 3, 0);
	/* Due at 1/3 s: 333.33 ms, so 334. */
	expect_grant(rl, 0, 1, 1, 334);
	expect_grant(rl, 0, 1, 1, 667);
	/* Due at 1 s and 2 ns (each third rounded up): 501 ms from 500. */
	expect_grant(rl, 500, 1, 1, 501);
	ratelimit_free(rl);
}

/*
 * One sender that always asks, on a millisecond clock, for 20 s: what it
 * sent by any time t is within one burst of rate * t.
 */
static void
test_long_run(void **state)
{
	const uint64_t rate = 1024000;		/* -l 8000 */
	struct ratelimit *rl = ratelimit_new(rate);
	uint64_t sent = 0, burst = ratelimit_burst(rl);
	int64_t t = 0, w;
	size_t q;

	(void)state;
	while (t < 20000) {
		q = ratelimit_reserve(rl, t, 261600, &w);
		t += w;
		sent += q;
		assert_true(sent <= rate * (uint64_t)t / 1000 + burst);
		assert_true(sent + burst >= rate * (uint64_t)t / 1000);
	}
	ratelimit_free(rl);
}

/*
 * Senders that keep asking take turns: on a millisecond clock where the
 * same sender is always served first on a tie, each of n gets its share
 * within one burst, and together they get the rate.
 */
static void
fair_run(int n, uint64_t rate, size_t want)
{
	struct ratelimit *rl = ratelimit_new(rate);
	uint64_t sent[8] = { 0 }, total = 0, burst = ratelimit_burst(rl);
	int64_t at[8] = { 0 }, w, t;
	const int64_t end = 10000;
	int i, k;

	for (;;) {
		for (k = 0, i = 1; i < n; i++)
			if (at[i] < at[k])
				k = i;
		if ((t = at[k]) >= end)
			break;
		sent[k] += ratelimit_reserve(rl, t, want, &w);
		at[k] = t + w;
	}
	for (i = 0; i < n; i++)
		total += sent[i];
	for (i = 0; i < n; i++) {
		assert_true(sent[i] + burst >= total / (uint64_t)n);
		assert_true(sent[i] <= total / (uint64_t)n + burst);
	}
	/* Granted by the end: the rate over 10 s, give or take n bursts. */
	assert_true(total <= rate * 10 + (uint64_t)(n + 1) * burst);
	assert_true(total + (uint64_t)(n + 1) * burst >= rate * 10);
	ratelimit_free(rl);
}

static void
test_fairness(void **state)
{
	(void)state;
	fair_run(2, 1024000, 261600);
	fair_run(3, 1024000, 32700);
	fair_run(8, 128000, 261600);	/* -l 1000: the packet-sized burst */
	fair_run(5, 125000000, 261600);	/* 1 Gbit/s */
}

/* Many threads at once: every reservation is counted, none lost. */
struct hammer {
	struct ratelimit *rl;
	int		  n;
};

static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	int64_t w;
	int i;

	for (i = 0; i < h->n; i++)
		ratelimit_reserve(h->rl, 0, 1000, &w);
	return NULL;
}

static void
test_threads(void **state)
{
	/* 1 ns a byte: the burst is 1e8 bytes, 100 ms. */
	struct hammer h = { ratelimit_new(1000000000), 100000 };
	pthread_t tid[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, hammer, &h), 0);
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	/* 4e8 bytes taken: the next 1000 are due at 4e8 + 1000 - 1e8 ns. */
	expect_grant(h.rl, 0, 1000, 1000, 301);
	ratelimit_free(h.rl);
}

/* What was granted and not sent goes back, for the next sender. */
static void
test_unreserve(void **state)
{
	struct ratelimit *rl = ratelimit_new(1000000);

	(void)state;
	expect_grant(rl, 0, 100000, 100000, 0);
	expect_grant(rl, 0, 100000, 100000, 100);
	ratelimit_unreserve(rl, 100000);
	ratelimit_unreserve(rl, 0);
	expect_grant(rl, 0, 50000, 50000, 50);
	ratelimit_free(rl);
}

/* 1 byte/s, and rates far past any link, on a clock far from zero. */
static void
test_extremes(void **state)
{
	const int64_t t = 1000000000000LL;	/* 31 years of ms */
	struct ratelimit *rl;

	(void)state;
	rl = ratelimit_new(1);
	assert_int_equal(ratelimit_burst(rl), 1);
	expect_grant(rl, t, 1000, 1, 0);
	expect_grant(rl, t, 1000, 1, 1000);
	ratelimit_free(rl);
	/* 0 means 1. */
	rl = ratelimit_new(0);
	expect_grant(rl, t, 5, 1, 0);
	expect_grant(rl, t, 5, 1, 1000);
	ratelimit_free(rl);
	/* -l 1000000000: 1.28e11 bytes/s; 1 GiB takes 8.39 ms. */
	rl = ratelimit_new(RATELIMIT_KBIT_MAX * RATELIMIT_KBIT_BYTES);
	expect_grant(rl, t, SIZE_MAX, RATELIMIT_BURST_MAX, 0);
	expect_grant(rl, t, SIZE_MAX, RATELIMIT_BURST_MAX, 9);
	expect_grant(rl, t, 1, 1, 9);
	ratelimit_free(rl);
	/* Past anything: cut to RATELIMIT_RATE_MAX, still sane. */
	rl = ratelimit_new(UINT64_MAX);
	assert_int_equal(ratelimit_burst(rl), RATELIMIT_BURST_MAX);
	expect_grant(rl, t, SIZE_MAX, RATELIMIT_BURST_MAX, 0);
	expect_grant(rl, t, SIZE_MAX, RATELIMIT_BURST_MAX, 1);
	ratelimit_free(rl);
}

/* Parse argv; the return of opts_parse, with o released. */
static int
parse(uint64_t *limit, uint64_t *host_limit, const char *opt,
    const char *arg, char *err, size_t errlen)
{
	char *argv[] = { "fanscp", (char *)opt, (char *)arg, "src", "h:x",
	    NULL };
	struct opts o;
	int r;

	err[0] = '\0';
	r = opts_parse(&o, 5, argv, err, errlen);
	*limit = o.limit;
	*host_limit = o.host_limit;
	opts_release(&o);
	return r;
}

static void
test_options(void **state)
{
	static const char *const bad[] = { "0", "-1", "-0", "abc", "8k",
	    "1e3", " 8", "8 ", "", "1000000001", "99999999999999999999999",
	    "0x10" };
	uint64_t l, hl;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(parse(&l, &hl, "-l", "8000", err, sizeof(err)), 0);
	assert_int_equal(l, 8000);
	assert_int_equal(hl, 0);
	assert_int_equal(parse(&l, &hl, "--host-limit", "1000000000", err,
	    sizeof(err)), 0);
	assert_int_equal(l, 0);
	assert_int_equal(hl, 1000000000);
	assert_int_equal(parse(&l, &hl, "-l", "1", err, sizeof(err)), 0);
	assert_int_equal(l, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&l, &hl, "-l", bad[i], err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "bad -l limit"));
		assert_non_null(strstr(err, "Kbit/s"));
		assert_int_equal(parse(&l, &hl, "--host-limit", bad[i], err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "bad --host-limit"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_wait_ms),
		cmocka_unit_test(test_long_run),
		cmocka_unit_test(test_fairness),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_unreserve),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
