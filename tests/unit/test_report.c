/*
 * Tests for the end-of-run report's stragglers line: who is named, in
 * which order, how many, and when nothing is said.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "report.h"

#define MAXH	16

static char names[MAXH][16];

/* Hosts web00.. with the given rates (bytes/s; 0: unknown), as printed. */
static char *
stragglers(const double *rates, size_t n)
{
	static char out[1024];
	struct host h[MAXH];
	FILE *f;
	size_t i;

	memset(h, 0, sizeof(h));
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "web%02u", (unsigned)i % 100);
		h[i].name = names[i];
		h[i].rate = rates[i];
	}
	memset(out, 0, sizeof(out));
	f = fmemopen(out, sizeof(out) - 1, "w");
	assert_non_null(f);
	report_stragglers(f, h, n);
	fclose(f);
	return out;
}

static void
test_one_slow(void **state)
{
	const double r[] = { 28e6, 27.9e6, 3.1e6, 30e6, 0 };

	(void)state;
	/* Median of the four with a rate: 27.95 MB/s; 9.0x below. */
	assert_string_equal(stragglers(r, 5),
	    "fanscp: slow: web02: 3.10 MB/s, 9× below median\n");
}

static void
test_none(void **state)
{
	const double even[] = { 10e6, 8e6, 3e6, 12e6 };	/* 3x: not slow */
	const double two[] = { 10e6, 1e3, 0, 0 };	/* too few rates */

	(void)state;
	assert_string_equal(stragglers(even, 4), "");
	assert_string_equal(stragglers(two, 4), "");
	assert_string_equal(stragglers(two, 0), "");
}

static void
test_many(void **state)
{
	double r[MAXH];
	size_t i;

	(void)state;
	for (i = 0; i < MAXH; i++)
		r[i] = 100e6;
	/* Seven slow hosts, the slowest listed last. */
	for (i = 0; i < 7; i++)
		r[2 * i] = (double)(7 - i) * 1e6;
	assert_string_equal(stragglers(r, MAXH),
	    "fanscp: slow: web12: 1.00 MB/s, 100× below median; "
	    "web10: 2.00 MB/s, 50× below median; "
	    "web08: 3.00 MB/s, 33× below median; "
	    "web06: 4.00 MB/s, 25× below median; "
	    "web04: 5.00 MB/s, 20× below median; and 2 more\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_slow),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
