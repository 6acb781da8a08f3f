/*
 * What the user reads at the end: each failed host on its own line of
 * stderr ("host: reason"), or hosts grouped by reason when they are many,
 * then one summary line; and the list of targets to retry (--failed).
 */
#ifndef FANSCP_REPORT_H
#define FANSCP_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct host;

/*
 * One "host: reason" line per host not done ("host: unknown: reason"); when
 * more than a few are not done, one line per reason instead, the hosts
 * folded into nodesets: "web[03,17-19]: connection refused (4 hosts)".
 * Hosts done whose --then failed get a line of their own first.
 */
void	report_failures(FILE *, const struct host *hosts, size_t n);
/* How many hosts are done but their --then failed. */
size_t	report_then_failed(const struct host *hosts, size_t n);
/*
 * The --failed list: one scp:// URI per host not done (unknown ones too
 * if with_unknown), which -h reads back into the very same targets.
 */
void	report_retry_list(FILE *, const struct host *hosts, size_t n,
	    int with_unknown);
/*
 * "fanscp: N of M hosts done, F failed, U unknown (size, elapsed)", then
 * the failed hosts by kind of error: "; failed: 2 connect, 1 auth".
 */
void	report_summary(FILE *, const struct host *hosts, size_t n,
	    uint64_t size, double seconds);
/*
 * After a stop: "fanscp: stopped after sending 12.3 MiB in all, to K of
 * N hosts", the bytes that moved (the summary counts whole copies).
 */
void	report_sent(FILE *, const struct host *hosts, size_t n);

/*
 * "fanscp: slow: web07: 3.1 MB/s, 9× below median; ..." naming the hosts
 * at least 4× below the median rate of those with a rate (at least 3 of
 * them), the slowest first, at most 5 and then "and N more"; nothing if
 * none is.
 */
void	report_stragglers(FILE *, const struct host *hosts, size_t n);

#endif
