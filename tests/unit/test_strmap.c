/*
 * Tests for the string map: counters by key, keys that differ in one
 * byte, growth over many keys (every counter kept), and that a lookup
 * costs about the same at 200,000 keys as at 1,000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <time.h>

#include "strmap.h"

static void
test_counts(void **state)
{
	struct strmap *m = strmap_new();

	(void)state;
	assert_int_equal(strmap_get(m, "web1"), 0);
	assert_int_equal(strmap_count(m), 0);
	(*strmap_slot(m, "web1"))++;
	(*strmap_slot(m, "web1"))++;
	(*strmap_slot(m, "web10"))++;
	(*strmap_slot(m, ""))--;
	assert_int_equal(strmap_get(m, "web1"), 2);
	assert_int_equal(strmap_get(m, "web10"), 1);
	assert_int_equal(strmap_get(m, "web"), 0);
	assert_int_equal(strmap_get(m, ""), -1);
	assert_int_equal(strmap_count(m), 3);
	/* A lookup adds nothing; a slot adds the key at 0. */
	assert_int_equal(*strmap_slot(m, "web2"), 0);
	assert_int_equal(strmap_count(m), 4);
	strmap_free(m);
	strmap_free(NULL);
}

static void
fill(struct strmap *m, int n)
{
	char key[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "host%d", i);
		*strmap_slot(m, key) += i;
	}
}

static void
test_growth(void **state)
{
	struct strmap *m = strmap_new();
	char key[32];
	int i;

	(void)state;
	fill(m, 100000);
	fill(m, 100000);
	assert_int_equal(strmap_count(m), 100000);
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "host%d", i);
		assert_int_equal(strmap_get(m, key), 2L * i);
	}
	assert_int_equal(strmap_get(m, "host100000"), 0);
	strmap_free(m);
}

static double
seconds_to_fill(int n)
{
	struct timespec t0, t1;
	struct strmap *m = strmap_new();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fill(m, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	strmap_free(m);
	return (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* 200 times the keys in well under 200^2/10 the time: linear, not square. */
static void
test_linear(void **state)
{
	double small, big;

	(void)state;
	small = seconds_to_fill(1000) + 1e-4;
	big = seconds_to_fill(200000);
	assert_true(big < small * 2000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
