/*
 * The progress line.  The rate is smoothed over ticks; the ETA is the
 * bytes still to deliver (to hosts not yet finished) at that rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fmt.h"
#include "host.h"
#include "progress.h"
#include "xmalloc.h"

struct progress {
	FILE		*f;
	uint64_t	 size;
	uint64_t	 last_bytes;
	int64_t		 last_ms;
	double		 rate;		/* bytes per second, smoothed */
};

/*
 * The line on screen, for the log hook; one progress line per process.
 * It is drawn and cleared with the stream locked, as log.c prints, so a
 * message from another thread never lands in the middle of it.
 */
static struct progress *shown;

struct progress *
progress_new(FILE *f, uint64_t size)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->f = f;
	p->size = size;
	p->last_ms = -1;	/* no sample yet */
	return p;
}

void
progress_free(struct progress *p)
{
	if (shown == p)
		progress_clear();
	free(p);
}

int
progress_wanted(int fd)
{
	return isatty(fd) && tcgetpgrp(fd) == getpgrp();
}

void
progress_clear(void)
{
	FILE *f;

	if (shown == NULL)
		return;
	f = shown->f;
	flockfile(f);
	if (shown != NULL) {
		fputs("\r\033[K", f);
		fflush(f);
		shown = NULL;
	}
	funlockfile(f);
}

/* The active host with the least data delivered, or NULL. */
static const struct host *
progress_slowest(const struct host *hosts, size_t n)
{
	const struct host *slow = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (host_status(&hosts[i]) == HOST_ACTIVE &&
		    (slow == NULL || host_bytes(&hosts[i]) < host_bytes(slow)))
			slow = &hosts[i];
	return slow;
}

char *
progress_format(char *buf, size_t len, const struct host *hosts, size_t n,
    uint64_t size, double rate)
{
	const struct host *slow = progress_slowest(hosts, n);
	size_t i, done = 0, failed = 0, active = 0;
	uint64_t sent = 0, left = 0;
	char sz[32], rt[32], eta[32];
	int o;

	for (i = 0; i < n; i++) {
		enum host_status st = host_status(&hosts[i]);
		uint64_t b = host_bytes(&hosts[i]);

		sent += b;
		if (st == HOST_DONE)
			done++;
		else if (st == HOST_FAILED || st == HOST_UNKNOWN)
			failed++;
		else
			left += size - (b < size ? b : size);
		active += st == HOST_ACTIVE;
	}
	o = snprintf(buf, len, "%zu/%zu done, %zu failed, %zu active | "
	    "%s %s | ETA %s", done, n, failed, active,
	    fmt_size(sz, sizeof(sz), sent), fmt_rate(rt, sizeof(rt), rate),
	    fmt_eta(eta, sizeof(eta), rate > 0 && size > 0 ?
	    (double)left / rate : -1));
	if (slow != NULL && o > 0 && (size_t)o < len)
		snprintf(buf + o, len - (size_t)o, " | slowest %s %d%%",
		    slow->name, size ? (int)(100 * host_bytes(slow) / size) : 0);
	return buf;
}

void
progress_tick(const struct host *hosts, size_t n, int64_t now, int final,
    void *arg)
{
	struct progress *p = arg;
	uint64_t bytes = 0;
	char line[256];
	size_t i;

	if (final) {
		progress_clear();
		return;
	}
	for (i = 0; i < n; i++)
		bytes += host_bytes(&hosts[i]);
	if (p->last_ms >= 0 && now > p->last_ms) {
		double r = (double)(bytes - p->last_bytes) * 1000.0 /
		    (double)(now - p->last_ms);

		p->rate = p->rate == 0 ? r : 0.7 * p->rate + 0.3 * r;
	}
	p->last_bytes = bytes;
	p->last_ms = now;
	progress_format(line, sizeof(line), hosts, n, p->size, p->rate);
	flockfile(p->f);
	fprintf(p->f, "\r%s\033[K", line);
	fflush(p->f);
	shown = p;
	funlockfile(p->f);
}
