/*
 * The engine: W session slots, a queue of hosts, and the loop that drives
 * them, in the manner of curl's multi handle and git's
 * run_processes_parallel().  engine_start_one() fills a free slot with the
 * next queued host while fewer than the startup cap are logging in;
 * engine_collect() records a finished host and frees its slot for the
 * next.  A slow host holds its own slot and nothing else.
 */
#ifndef FANSCP_ENGINE_H
#define FANSCP_ENGINE_H

#include <stddef.h>

struct job;
struct host;
struct engine;

/* Hook called on each progress tick (and once at the end) with the hosts. */
typedef void engine_tick_fn(const struct host *hosts, size_t n,
    int64_t now_ms, int final, void *arg);

/*
 * An engine for n hosts (run in the order given) with width slots, of
 * which at most startups may be logging in at once.
 */
struct engine	*engine_new(const struct job *, struct host *hosts, size_t n,
		    int width, int startups);
/* Call fn every interval ms while running, and once at the end. */
void		 engine_set_tick(struct engine *, engine_tick_fn *fn,
		    int interval_ms, void *arg);
/*
 * Run until every host is done or failed.  *stop is polled: once it is
 * non-zero no host starts, live ones are interrupted, and after a grace
 * period the rest are failed as "interrupted".  Returns the number of
 * failed hosts.
 */
size_t		 engine_run(struct engine *, volatile int *stop);
/* Free the engine; it must have finished running. */
void		 engine_free(struct engine *);

#endif
