/* The end-of-run report on stderr. */
#include <stdio.h>

#include "fmt.h"
#include "host.h"
#include "report.h"

void
report_failures(FILE *f, const struct host *hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hosts[i].status != HOST_DONE)
			fprintf(f, "%s: %s%s\n", hosts[i].name,
			    hosts[i].status == HOST_UNKNOWN ? "unknown: " : "",
			    hosts[i].err[0] ? hosts[i].err : "not finished");
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
	    "(%s each, %.1f s, %s in all)\n", done, n, n - done - unknown,
	    unknown, sz, seconds, rate);
}
