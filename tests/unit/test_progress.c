/* Unit tests for the progress line's formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "progress.h"

static void
set(struct host *h, const char *name, enum host_status st, uint64_t bytes)
{
	memset(h, 0, sizeof(*h));
	h->name = (char *)name;
	h->status = st;
	h->bytes = bytes;
}

static void
test_counts_rate_eta_slowest(void **state)
{
	struct host h[4];
	char buf[256];

	(void)state;
	set(&h[0], "a", HOST_DONE, 1000000);
	set(&h[1], "b", HOST_FAILED, 10);
	set(&h[2], "c", HOST_ACTIVE, 500000);
	set(&h[3], "slowpoke", HOST_ACTIVE, 250000);
	progress_format(buf, sizeof(buf), h, 4, 1000000, 250000.0);
	/* 1,750,010 bytes sent; 500,000 + 750,000 left at 250,000 B/s: 5 s. */
	assert_string_equal(buf, "1/4 done, 1 failed, 2 active | 1.67 MiB "
	    "244.1 KiB/s | ETA 5s | slowest slowpoke 25%");
}

static void
test_queued_hosts_count_in_eta_and_no_rate(void **state)
{
	struct host h[2];
	char buf[256];

	(void)state;
	set(&h[0], "a", HOST_QUEUED, 0);
	set(&h[1], "b", HOST_QUEUED, 0);
	progress_format(buf, sizeof(buf), h, 2, 5000, 0);
	assert_string_equal(buf, "0/2 done, 0 failed, 0 active | 0 B "
	    "0 B/s | ETA --:--");
	progress_format(buf, sizeof(buf), h, 2, 5000, 1000);
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
	progress_format(buf, sizeof(buf), h, 1, 100, 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_rate_eta_slowest),
		cmocka_unit_test(test_queued_hosts_count_in_eta_and_no_rate),
		cmocka_unit_test(test_truncates_safely),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
