/*
 * What the user reads at the end: each failed host on its own line of
 * stderr ("host: reason"), then one summary line.
 */
#ifndef FANSCP_REPORT_H
#define FANSCP_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct host;

/* One "host: reason" line per host not done ("host: unknown: reason"). */
void	report_failures(FILE *, const struct host *hosts, size_t n);
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

#endif
