/*
 * The progress line: on a terminal, one line refreshed a few times a
 * second by an engine tick, saying hosts done/failed/active of the total,
 * bytes delivered, the rate, the ETA and the slowest active host.  Log
 * messages clear it first.  Formatting is a pure function, tested apart.
 */
#ifndef FANSCP_PROGRESS_H
#define FANSCP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct host;
struct progress;

/* A progress line on f for a file of size bytes (0: unknown, no ETA). */
struct progress	*progress_new(FILE *f, uint64_t size);
/* The engine tick: redraw (final: clear the line for good). */
void		 progress_tick(const struct host *hosts, size_t n,
		    int64_t now, int final, void *arg);
/* Clear the line, if one is shown (the log hook). */
void		 progress_clear(void);
/* Free the progress line. */
void		 progress_free(struct progress *);
/* Should progress be drawn on fd: a terminal we are in the foreground of? */
int		 progress_wanted(int fd);
/*
 * Format the line into buf for the hosts at now, given the rate in
 * bytes per second.
 */
char		*progress_format(char *buf, size_t len,
		    const struct host *hosts, size_t n, uint64_t size,
		    double rate);

#endif
