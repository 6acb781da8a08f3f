/*
 * The --json report: one JSON object with the run's summary and one
 * record per target, with stable field names (fanscp(1), JSON OUTPUT).
 * Strings are escaped whole: controls as \uXXXX, and bytes that are not
 * UTF-8 as U+FFFD, so that any JSON parser reads the report.
 */
#ifndef FANSCP_JSONOUT_H
#define FANSCP_JSONOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct host;

/* What the report says of the run as a whole. */
struct jsonout_run {
	const char	*source;	/* as given; "-" is stdin */
	int		 has_size;	/* size is known */
	uint64_t	 size;		/* the bytes each host gets */
	double		 seconds;	/* the run's wall time */
	int		 signal;	/* the signal that stopped it, or 0 */
	int		 exec;		/* --exec: a command, not a copy */
};

/* Write the report on hosts[0, n) to f; 0, or -1 if a write failed. */
int	jsonout_write(FILE *f, const struct host *hosts, size_t n,
	    const struct jsonout_run *run);
/* Write s as a JSON string, quotes included (see above). */
void	jsonout_str(FILE *f, const char *s);

#endif
