/*
 * Tests for the end-of-run report: the stragglers line (who is named, in
 * which order, how many, and when nothing is said); the failure lines (one
 * per host when few, grouped by reason and folded into nodesets when
 * many); and the --failed list.
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

#define MIB	1048576.0

static void
test_one_slow(void **state)
{
	const double r[] = { 28 * MIB, 27.9 * MIB, 3.1 * MIB, 30 * MIB, 0 };

	(void)state;
	/* Median of the four with a rate: 27.95 MiB/s; 9.0x below. */
	assert_string_equal(stragglers(r, 5),
	    "fanscp: slow: web02: 3.10 MiB/s, 9× below median\n");
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
		r[i] = 100 * MIB;
	/* Seven slow hosts, the slowest listed last. */
	for (i = 0; i < 7; i++)
		r[2 * i] = (double)(7 - i) * MIB;
	assert_string_equal(stragglers(r, MAXH),
	    "fanscp: slow: web12: 1.00 MiB/s, 100× below median; "
	    "web10: 2.00 MiB/s, 50× below median; "
	    "web08: 3.00 MiB/s, 33× below median; "
	    "web06: 4.00 MiB/s, 25× below median; "
	    "web04: 5.00 MiB/s, 20× below median; and 2 more\n");
}

char	*report_reason(const char *err, const char *host);

#define NHOSTS	64

static struct host hosts[NHOSTS];
static char hnames[NHOSTS][32];

/* n hosts web01..: status done. */
static void
make_hosts(size_t n)
{
	size_t i;

	memset(hosts, 0, sizeof(hosts));
	for (i = 0; i < n; i++) {
		snprintf(hnames[i], sizeof(hnames[i]), "web%02zu", i + 1);
		hosts[i].t = (struct target){ NULL, hnames[i], 0, (char *)"p" };
		hosts[i].name = hnames[i];
		hosts[i].status = HOST_DONE;
		hosts[i].attempts = 1;
	}
}

static void
fail_host(size_t i, enum host_status st, const char *fmt, ...)
{
	va_list ap;

	hosts[i].status = st;
	hosts[i].kind = ERR_CONNECT;
	va_start(ap, fmt);
	vsnprintf(hosts[i].err, sizeof(hosts[i].err), fmt, ap);
	va_end(ap);
}

/* What report_failures() (or the retry list) writes for hosts[0, n). */
static char *
output(size_t n, int retry, int with_unknown)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (retry)
		report_retry_list(f, hosts, n, with_unknown);
	else
		report_failures(f, hosts, n);
	fclose(f);
	return buf;
}

static void
expect_output(size_t n, int retry, int with_unknown, const char *want)
{
	char *got = output(n, retry, with_unknown);

	assert_string_equal(got, want);
	free(got);
}

static void
test_reason(void **state)
{
	char *r;

	(void)state;
	r = report_reason("connection refused (192.0.2.7 port 22)", "web01");
	assert_string_equal(r, "connection refused");
	free(r);
	r = report_reason("cannot resolve 'web01': Name or service not known",
	    "web01");
	assert_string_equal(r, "cannot resolve: Name or service not known");
	free(r);
	r = report_reason("cannot create '/x' (Permission denied) (h port 2)",
	    "web01");
	assert_string_equal(r, "cannot create '/x' (Permission denied)");
	free(r);
	r = report_reason("", "web01");
	assert_string_equal(r, "not finished");
	free(r);
}

/* A few hosts: one line each, as given. */
static void
test_few(void **state)
{
	(void)state;
	make_hosts(3);
	expect_output(3, 0, 0, "");
	fail_host(0, HOST_FAILED, "connection refused (192.0.2.1 port 22)");
	fail_host(2, HOST_UNKNOWN, "lost after the go-ahead");
	hosts[0].attempts = 3;
	expect_output(3, 0, 0, "web01: connection refused (192.0.2.1 port 22) "
	    "(3 attempts)\nweb03: unknown: lost after the go-ahead\n");
}

/* Many: one line per reason, hosts folded, unknown ones apart. */
static void
test_grouped(void **state)
{
	size_t i;

	(void)state;
	make_hosts(40);
	for (i = 0; i < 20; i++)
		fail_host(i, HOST_FAILED, "connection refused (10.0.0.%zu "
		    "port 22)", i);
	fail_host(24, HOST_FAILED, "cannot resolve 'web25': no such name");
	fail_host(26, HOST_FAILED, "cannot resolve 'web27': no such name");
	fail_host(30, HOST_UNKNOWN, "connection refused (10.0.0.1 port 22)");
	expect_output(40, 0, 0,
	    "web[01-20]: connection refused (20 hosts)\n"
	    "web[25,27]: cannot resolve: no such name (2 hosts)\n"
	    "web31: unknown: connection refused\n");
}

/* Past REPORT_GROUPS_MAX reasons, the rest is counted. */
static void
test_grouped_cap(void **state)
{
	char *got;
	size_t i;

	(void)state;
	make_hosts(NHOSTS);
	for (i = 0; i < NHOSTS; i++)
		fail_host(i, HOST_FAILED, "reason %zu", i / 2);
	got = output(NHOSTS, 0, 0);
	assert_non_null(strstr(got, "web[01-02]: reason 0 (2 hosts)\n"));
	assert_non_null(strstr(got, "web[39-40]: reason 19 (2 hosts)\n"));
	assert_null(strstr(got, "reason 20"));
	assert_non_null(strstr(got, "fanscp: and 24 more hosts, for 12 other "
	    "reasons (--json and --failed list every host)\n"));
	free(got);
}

/* The retry list: URIs of the hosts not done, unknown ones if asked. */
static void
test_retry_list(void **state)
{
	static char user[] = "a b", path[] = "/tmp/x\ny%", v6[] = "::1";

	(void)state;
	make_hosts(4);
	expect_output(4, 1, 1, "");
	fail_host(1, HOST_FAILED, "x");
	hosts[1].t.user = user;
	hosts[1].t.port = 2222;
	hosts[1].t.path = path;
	fail_host(2, HOST_UNKNOWN, "y");
	hosts[3].t.host = v6;
	fail_host(3, HOST_FAILED, "z");
	expect_output(4, 1, 1, "scp://a%20b@web02:2222//tmp/x%0Ay%25\n"
	    "scp://web03/p\nscp://[::1]/p\n");
	expect_output(4, 1, 0, "scp://a%20b@web02:2222//tmp/x%0Ay%25\n"
	    "scp://[::1]/p\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_slow),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_few),
		cmocka_unit_test(test_grouped),
		cmocka_unit_test(test_grouped_cap),
		cmocka_unit_test(test_retry_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
