/*
 * The progress line: on a terminal, one line refreshed a few times a
 * second by an engine tick, saying hosts done/failed/active/verifying of
 * the total, bytes delivered, the rate, the ETA and the slowest hosts,
 * cut to the terminal's width.  Log messages clear it first.  Formatting
 * is a pure function, tested apart.
 */
#ifndef FANSCP_PROGRESS_H
#define FANSCP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct host;
struct progress;

/* The slow hosts shown at most, on a wide terminal. */
#define PROGRESS_SLOWEST	5
/* A second slow host is shown only with a name of this many bytes. */
#define PROGRESS_NAME_MIN	16

/* What the line is drawn from, beside the hosts. */
struct progress_in {
	uint64_t	 size;		/* of the file; 0: unknown, no ETA */
	double		 rate;		/* bytes per second, as shown */
	double		 eta_rate;	/* the rate the ETA assumes */
	int		 cols;		/* the terminal's width */
};

/* A progress line on f for a file of size bytes (0: unknown, no ETA). */
struct progress	*progress_new(FILE *f, uint64_t size);
/* The engine tick: redraw (final: clear the line for good). */
void		 progress_tick(const struct host *hosts, size_t n,
		    int64_t now, int final, void *arg);
/* Clear the line, if one is shown (the log hook). */
void		 progress_clear(void);
/*
 * Clear the line from a signal handler, before _exit: no lock, one
 * write(2).  Harmless when no line is shown.
 */
void		 progress_abandon(void);
/* Free the progress line (NULL: none), clearing it. */
void		 progress_free(struct progress *);
/* Should progress be drawn on fd: a terminal we are in the foreground of? */
int		 progress_wanted(int fd);
/* fd's width in columns: the terminal's, else $COLUMNS, else 80. */
int		 progress_columns(int fd);
/*
 * Format the line into buf: never more than in->cols - 3 bytes (room
 * for an echoed "^C"), pieces dropped by worth and host names shortened
 * to fit.
 */
char		*progress_format(char *buf, size_t len,
		    const struct host *hosts, size_t n,
		    const struct progress_in *in);

#endif
