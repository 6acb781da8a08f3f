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

/* Print one "host: reason" line per failed host, in the order given. */
void	report_failures(FILE *, const struct host *hosts, size_t n);
/* Print "fanscp: N of M hosts done, K failed (size, elapsed)". */
void	report_summary(FILE *, const struct host *hosts, size_t n,
	    uint64_t size, double seconds);

#endif
