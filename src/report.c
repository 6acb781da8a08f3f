/* The end-of-run report on stderr. */
#include <stdio.h>
#include <stdlib.h>

#include "fmt.h"
#include "host.h"
#include "report.h"
#include "xmalloc.h"

#define SLOW_FACTOR	4	/* below the median, at least: a straggler */
#define SLOW_NAMED	5	/* stragglers named, at most */

void
report_failures(FILE *f, const struct host *hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (hosts[i].status == HOST_DONE)
			continue;
		fprintf(f, "%s: %s%s", hosts[i].name,
		    hosts[i].status == HOST_UNKNOWN ? "unknown: " : "",
		    hosts[i].err[0] ? hosts[i].err : "not finished");
		if (hosts[i].attempts > 1)
			fprintf(f, " (%d attempts)", hosts[i].attempts);
		fputc('\n', f);
	}
}

/* "; retried: web03 (2 attempts), ...": hosts that took more than one. */
static void
report_retried(FILE *f, const struct host *hosts, size_t n)
{
	const char *sep = "; retried: ";
	size_t i, shown = 0, more = 0;

	for (i = 0; i < n; i++) {
		if (hosts[i].attempts < 2)
			continue;
		if (shown++ >= 8) {
			more++;
			continue;
		}
		fprintf(f, "%s%s (%d attempts)", sep, hosts[i].name,
		    hosts[i].attempts);
		sep = ", ";
	}
	if (more > 0)
		fprintf(f, " and %zu more", more);
}

/* "; failed: 3 connect, 1 auth": the failed hosts by kind, if any. */
static void
report_kinds(FILE *f, const struct host *hosts, size_t n)
{
	size_t count[ERR_NKINDS] = { 0 }, i;
	const char *sep = "; failed: ";
	int k;

	for (i = 0; i < n; i++)
		if (hosts[i].status == HOST_FAILED && hosts[i].kind < ERR_NKINDS)
			count[hosts[i].kind]++;
	for (k = 0; k < ERR_NKINDS; k++) {
		if (count[k] == 0)
			continue;
		fprintf(f, "%s%zu %s", sep, count[k],
		    k == ERR_NONE ? "other" : host_err_name((enum host_err)k));
		sep = ", ";
	}
}

void
report_summary(FILE *f, const struct host *hosts, size_t n, uint64_t size,
    double seconds)
{
	char sz[32], rate[32];
	size_t i, done = 0, unknown = 0;

	for (i = 0; i < n; i++) {
		done += hosts[i].status == HOST_DONE;
		unknown += hosts[i].status == HOST_UNKNOWN;
	}
	fmt_size(sz, sizeof(sz), size);
	fmt_rate(rate, sizeof(rate), seconds > 0 ?
	    (double)size * (double)done / seconds : 0);
	fprintf(f, "fanscp: %zu of %zu hosts done, %zu failed, %zu unknown "
	    "(%s each, %.1f s, %s in all)", done, n, n - done - unknown,
	    unknown, sz, seconds, rate);
	report_kinds(f, hosts, n);
	report_retried(f, hosts, n);
	fputc('\n', f);
}

static int
cmp_rate(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median rate of the hosts with one, or 0 if fewer than 3 have. */
static double
median_rate(const struct host *hosts, size_t n)
{
	double *r = xcalloc(n + 1, sizeof(*r)), m = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (hosts[i].rate > 0)
			r[k++] = hosts[i].rate;
	if (k >= 3) {
		qsort(r, k, sizeof(*r), cmp_rate);
		m = k % 2 ? r[k / 2] : (r[k / 2 - 1] + r[k / 2]) / 2;
	}
	free(r);
	return m;
}

/* Host indexes by rate, slowest first. */
static int
cmp_host(const void *a, const void *b, void *arg)
{
	const struct host *hosts = arg;

	return cmp_rate(&hosts[*(const size_t *)a].rate,
	    &hosts[*(const size_t *)b].rate);
}

void
report_stragglers(FILE *f, const struct host *hosts, size_t n)
{
	double med = median_rate(hosts, n);
	size_t *slow = xcalloc(n + 1, sizeof(*slow)), k = 0, i;
	char rate[32];

	for (i = 0; med > 0 && i < n; i++)
		if (hosts[i].rate > 0 && hosts[i].rate * SLOW_FACTOR <= med)
			slow[k++] = i;
	if (k > 0) {
		qsort_r(slow, k, sizeof(*slow), cmp_host, (void *)hosts);
		fprintf(f, "fanscp: slow: ");
		for (i = 0; i < k && i < SLOW_NAMED; i++)
			fprintf(f, "%s%s: %s, %.0f× below median",
			    i ? "; " : "", hosts[slow[i]].name,
			    fmt_rate(rate, sizeof(rate), hosts[slow[i]].rate),
			    med / hosts[slow[i]].rate);
		if (k > SLOW_NAMED)
			fprintf(f, "; and %zu more", k - SLOW_NAMED);
		fputc('\n', f);
	}
	free(slow);
}
