/*
 * The engine: W session slots, a queue of hosts, and the loop that drives
 * them, in the manner of curl's multi handle and git's
 * run_processes_parallel().  engine_start_one() fills a free slot with the
 * next queued host while fewer than the startup cap are logging in;
 * engine_collect() records a finished host and frees its slot for the
 * next.  A slow host holds its own slot and nothing else.
 *
 * Apart from that cap, which counts over all hosts, at most
 * ENGINE_ENDPOINT_STARTUPS connections to one sshd (one HostName and port
 * after ssh_config) are ever unconfirmed at once: from before the connect
 * until the first channel is open.  That is sshd's MaxStartups default,
 * beyond which it drops new connections at random; a host whose sshd is
 * at the cap waits beside the queue while the next ones start.
 *
 * One engine is one loop on one thread; engine_run_parallel() runs
 * several over one queue.  Sessions share only the job (read-only, and
 * its config and known_hosts behind sess.c's lock) and their own host
 * records, whose progress fields are atomic.
 */
#ifndef FANSCP_ENGINE_H
#define FANSCP_ENGINE_H

#include <stddef.h>

struct job;
struct host;
struct engine;
struct sched;

/* Handshakes in flight to one sshd: its default MaxStartups (10:30:100). */
#define ENGINE_ENDPOINT_STARTUPS	10

/* Hook called on each progress tick (and once at the end) with the hosts. */
typedef void engine_tick_fn(const struct host *hosts, size_t n,
    int64_t now_ms, int final, void *arg);

/*
 * An engine for n hosts (run in the order given) with width slots, of
 * which at most startups may be logging in at once.
 */
struct engine	*engine_new(const struct job *, struct host *hosts, size_t n,
		    int width, int startups);
/*
 * Run until every host is done or failed.  *stop is polled: once it is
 * non-zero no host starts, live ones are interrupted, and after a grace
 * period the rest are failed as "interrupted".  Returns the number of
 * failed hosts.
 */
size_t		 engine_run(struct engine *, volatile int *stop);
/* Free the engine; it must have finished running. */
void		 engine_free(struct engine *);

/* The shape of a parallel run. */
struct engine_conf {
	int		 width;		/* sessions at once, over all engines */
	int		 startups;	/* logins at once, likewise */
	int		 threads;	/* engines, one thread each */
	engine_tick_fn	*tick;		/* progress, drawn by the caller's
					   thread; may be NULL */
	int		 tick_ms;
	void		*tick_arg;
	struct sched	*sched;		/* which host next (with the history's
					   rates); NULL: engine_sched_new() */
};

/*
 * A scheduler for n hosts of job at width, knowing nothing of their
 * rates: it probes hosts when it may (a file copy that keeps temp files,
 * fewer slots than hosts).
 */
struct sched	*engine_sched_new(const struct job *, size_t n, int width);

/*
 * Run the hosts on conf->threads engines at once, one thread each, every
 * engine with its share of the width and of the startup cap, all taking
 * hosts in order from one queue: libssh2's crypto then uses every core,
 * as the peers' process per host does.  The calling thread only draws
 * progress.  Returns the number of failed hosts.
 */
size_t		 engine_run_parallel(const struct job *, struct host *hosts,
		    size_t n, const struct engine_conf *conf,
		    volatile int *stop);

#endif
