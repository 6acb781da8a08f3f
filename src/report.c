/* The end-of-run report on stderr. */
#include <stdio.h>

#include "fmt.h"
#include "host.h"
#include "report.h"

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

void
report_sent(FILE *f, const struct host *hosts, size_t n)
{
	char sz[32];
	uint64_t sent = 0;
	size_t i, to = 0;

	for (i = 0; i < n; i++) {
		sent += hosts[i].bytes;
		to += hosts[i].bytes > 0;
	}
	fprintf(f, "fanscp: stopped after sending %s in all, to %zu of %zu "
	    "hosts\n", fmt_size(sz, sizeof(sz), sent), to, n);
}
