/*
 * The scheduler: which queued host starts next, and when a probe has
 * seen enough.  One scheduler serves every engine thread of a run (a
 * mutex inside); it holds no sockets and does no I/O, so that it can be
 * tested with made-up rates against the fluid model's lower bound
 * (DESIGN.md §6):
 *
 *   bound = max(total bytes ÷ uplink, size ÷ slowest rate,
 *               size × Σ(1/rate) ÷ width)
 *
 * Hosts are numbered 0..n-1 in the order the user gave them.  Each is, in
 * the scheduler's eyes, queued, active or finished; a queued host may
 * already hold "have" bytes of a temp file (a probe's, or a lost
 * connection's) that its next session resumes.  Rates are bytes per
 * second of data, after login.  What it knows of a rate comes from the
 * history of earlier runs (sched_prior()), then from what the host does
 * in this run (sched_progress()).
 */
#ifndef FANSCP_SCHED_H
#define FANSCP_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct sched;

struct sched_conf {
	size_t		 nhosts;
	uint64_t	 size;		/* bytes for every host; 0: unknown (a
					   stream), where only the order of
					   priors counts and nothing is probed */
	int		 width;		/* sessions at once, over all engines */
	int		 probe;		/* hosts with no rate known may be
					   probed and paused (a file source,
					   partial files kept) */
	uint64_t	 limit;		/* -l, bytes/s over all hosts; 0: none */
};

struct sched	*sched_new(const struct sched_conf *);
void		 sched_free(struct sched *);

/* Before the run: host i reached rate bytes/s in earlier runs. */
void		 sched_prior(struct sched *, size_t i, double rate);
/* Before the run: the uplink's rate seen in earlier runs, bytes/s. */
void		 sched_prior_uplink(struct sched *, double rate);

enum sched_verdict {
	SCHED_START,	/* start *i now */
	SCHED_WAIT,	/* hosts remain, but none may start yet (a retry's
			   backoff): ask again within *wait_ms */
	SCHED_NONE,	/* nothing is left to start, nor will be */
};

/*
 * The next host to start, now being the loop's clock in ms: *i.  The host
 * is then active.  Callers ask only when a slot is free.
 */
enum sched_verdict sched_next(struct sched *, int64_t now, size_t *i,
		    int *wait_ms);

/*
 * Active host i has have bytes on the host at now (including what an
 * earlier session left there): called when its data starts (after login
 * and the receive command: the rate leaves the login out), and then at
 * least every 250 ms while it sends.  Returns 1 when the host should be
 * paused now: it was a probe, and its rate is known well enough; the
 * caller ends the session keeping the temp file, then sched_requeue()s it.
 */
int		 sched_progress(struct sched *, size_t i, uint64_t have,
		    int64_t now);

/*
 * Active host i stopped with have bytes kept on the host: a paused probe,
 * or a failure worth retrying.  It is queued again, and starts no sooner
 * than not_before.
 */
void		 sched_requeue(struct sched *, size_t i, uint64_t have,
		    int64_t not_before);
/* Active host i is finished, done or failed for good. */
void		 sched_finish(struct sched *, size_t i);

/*
 * Host i's data rate in this run, bytes/s (the highest of its windows of
 * about a second: what to keep in the history); 0 if never measured.
 */
double		 sched_rate(const struct sched *, size_t i);
/* The highest total rate seen over all hosts at once, bytes/s, or 0. */
double		 sched_uplink(const struct sched *);

#endif
