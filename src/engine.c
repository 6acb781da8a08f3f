/*
 * The engine: slots, the host queue, and the loop.  Invariants, asserted:
 * a slot is free iff its sess is NULL; a busy slot's descriptor is watched
 * with exactly the events its session wants; hosts start in order, once,
 * except that a host whose sshd has ENGINE_ENDPOINT_STARTUPS handshakes in
 * flight waits (beside the queue) for one of them to finish.
 */
#include <assert.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "conn.h"
#include "ratelimit.h"
#include "sched.h"
#include "sess.h"
#include "source.h"
#include "strmap.h"
#include "tunnel.h"
#include "unittest.h"
#include "util.h"
#include "xmalloc.h"

/* How often deadlines are checked, and how long an interrupt may take. */
#define ENGINE_TIMER_MS		250
#define ENGINE_GRACE_MS		5000
/* How often a host waiting for its sshd looks again (another thread's). */
#define ENGINE_GATE_POLL_MS	10

struct engine;

/*
 * The connections each sshd endpoint may still count as unauthenticated,
 * shared by the engines of a run.
 */
struct gate {
	pthread_mutex_t	 mu;
	struct strmap	*open;		/* "hostname port" -> connections */
};

struct slot {
	struct engine	*e;
	struct sess	*sess;		/* NULL: free */
	struct host	*host;		/* the host it serves */
	char		*endpoint;	/* the gate entry it holds, or NULL */
	int		 fd;		/* watched descriptor, or -1 */
	int		 events;	/* what it is watched for */
	int		 fd_err;	/* an ssh child's stderr, read, or -1 */
	int		 timer;		/* a retry the session asked for, or -1 */
	int		 data;		/* 1: its data has started, and the
					   scheduler hears of its progress;
					   2: its data has ended */
};

/* A host taken from the queue whose sshd had no room yet. */
struct waiting {
	struct host	*host;
	char		*endpoint;
};

struct engine {
	const struct job *job;
	struct host	*hosts;
	size_t		 nhosts;
	struct sched	*sched;		/* which host next, shared by the
					   engines of a parallel run */
	struct sched	*sched_own;	/* what sched is otherwise */
	int		 exhausted;	/* the scheduler has none to start */
	int		 wake_ms;	/* a queued host may start by then */
	size_t		 cleanup_next;	/* engine_start_cleanup()'s place */
	size_t		 failed;
	struct gate	*gate;		/* shared by a parallel run's engines */
	struct gate	 gate_own;	/* what gate points to otherwise */
	struct waiting	*waiting;	/* at most width of them */
	int		 nwaiting;
	struct slot	*slots;
	int		 width;
	int		 startups;
	struct loop	*loop;
	struct tunnels	*tunnels;	/* its jump hosts' connections */
	int		 srcfd;		/* a stream's "grown" notification */
	int		 srcfd_watched;	/* some session waits for it */
	int		 stopping;
	int64_t		 stop_at;	/* when the grace period ends */
	int		 halted;	/* --max-failures reached: no more
					   hosts start; the live ones finish */
	struct job_tally tally_own;	/* job->tally when the job has none */
};

static void
gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mu, NULL);
	g->open = strmap_new();
}

static void
gate_release(struct gate *g)
{
	pthread_mutex_destroy(&g->mu);
	strmap_free(g->open);
}

/* Count one more handshake to ep if it has room; 1 if it had. */
static int
gate_enter(struct gate *g, const char *ep)
{
	long *n;
	int ok;

	pthread_mutex_lock(&g->mu);
	n = strmap_slot(g->open, ep);
	if ((ok = *n < ENGINE_ENDPOINT_STARTUPS))
		(*n)++;
	pthread_mutex_unlock(&g->mu);
	return ok;
}

static void
gate_leave(struct gate *g, const char *ep)
{
	long *n;

	pthread_mutex_lock(&g->mu);
	n = strmap_slot(g->open, ep);
	assert(*n > 0);
	(*n)--;
	pthread_mutex_unlock(&g->mu);
}

struct sched *
engine_sched_new(const struct job *job, size_t n, int width)
{
	struct sched_conf c = { 0 };

	c.nhosts = n;
	c.width = width;
	if (job->src == NULL || !source_size(job->src, &c.size) ||
	    source_is_stream(job->src))
		c.size = 0;
	c.probe = job->keep && job->kind == REMOTE_FILE && c.size > 0 &&
	    (size_t)width < n && job->relay == NULL;
	c.limit = job->limit != NULL ? ratelimit_rate(job->limit) : 0;
	return sched_new(&c);
}

struct engine *
engine_new(const struct job *job, struct host *hosts, size_t n, int width,
    int startups)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	int i;

	assert(width > 0 && startups > 0);
	e->job = job;
	e->hosts = hosts;
	e->nhosts = n;
	e->sched = e->sched_own = engine_sched_new(job, n, width);
	e->width = width;
	e->startups = startups;
	gate_init(&e->gate_own);
	e->gate = &e->gate_own;
	e->waiting = xcalloc((size_t)width, sizeof(*e->waiting));
	e->slots = xcalloc((size_t)width, sizeof(*e->slots));
	for (i = 0; i < width; i++) {
		e->slots[i].e = e;
		e->slots[i].fd = -1;
		e->slots[i].fd_err = -1;
		e->slots[i].timer = -1;
	}
	e->loop = loop_new();
	e->srcfd = job->wire != NULL ? source_subscribe(job->wire) :
	    job->src != NULL ? source_subscribe(job->src) : -1;
	return e;
}

void
engine_free(struct engine *e)
{
	int i;

	if (e == NULL)
		return;
	for (i = 0; i < e->width; i++)
		assert(e->slots[i].sess == NULL &&
		    e->slots[i].endpoint == NULL);
	assert(e->nwaiting == 0);
	assert(loop_nwatched(e->loop) == 0);
	if (e->srcfd >= 0)
		source_unsubscribe(e->job->wire != NULL ? e->job->wire :
		    e->job->src, e->srcfd);
	loop_free(e->loop);
	sched_free(e->sched_own);
	gate_release(&e->gate_own);
	free(e->waiting);
	free(e->slots);
	free(e);
}

static void engine_fd_cb(struct loop *, int, int, void *);
static struct host *engine_unwait(struct engine *, int, char **);
static void engine_source_cb(struct loop *, int, int, void *);
static int64_t engine_retry_cb(struct loop *, void *);

/*
 * Make the loop watch what the slot's session now wants: its socket, and
 * on the ssh transport a child's stderr, and a timer while a child's exit
 * is awaited.  Between two looks the session may have closed descriptors
 * and opened others under the same numbers: every old watch goes before
 * the new ones are made.
 */
static void
engine_watch(struct engine *e, struct slot *sl)
{
	int fd = sess_fd(sl->sess), ev = sess_events(sl->sess);
	int efd = sess_fd_err(sl->sess), ms = sess_retry_ms(sl->sess);

	if (fd < 0 || ev == 0) {
		fd = -1;
		ev = 0;
	}
	if (fd != sl->fd || ev != sl->events || efd != sl->fd_err) {
		if (sl->fd >= 0)
			loop_unwatch(e->loop, sl->fd);
		if (sl->fd_err >= 0)
			loop_unwatch(e->loop, sl->fd_err);
		if (fd >= 0)
			loop_watch(e->loop, fd, ev, engine_fd_cb, sl);
		if (efd >= 0)
			loop_watch(e->loop, efd, LOOP_READ, engine_fd_cb, sl);
		sl->fd = fd;
		sl->events = ev;
		sl->fd_err = efd;
	}
	if (ms > 0 && sl->timer < 0)
		sl->timer = loop_timer_add(e->loop, ms, engine_retry_cb, sl);
}

/* The slot's handshake no longer counts against its sshd. */
static void
engine_leave_gate(struct engine *e, struct slot *sl)
{
	if (sl->endpoint == NULL)
		return;
	gate_leave(e->gate, sl->endpoint);
	free(sl->endpoint);
	sl->endpoint = NULL;
}

/* The first retry after 1 s, then twice as long each time, up to 30 s. */
static int64_t
engine_backoff(int attempts)
{
	int64_t ms = 1000;

	while (--attempts > 0 && ms < 30000)
		ms *= 2;
	return ms < 30000 ? ms : 30000;
}

/* The run's shared counts (job.h). */
static struct job_tally *
engine_tally(struct engine *e)
{
	return e->job->tally != NULL ? e->job->tally : &e->tally_own;
}

/*
 * --max-failures: once that many hosts have ended not done, in any
 * engine, no more hosts start; those set aside for their sshd are failed
 * at once, the queued ones when the engine ends (engine_fail_queued()).
 */
static int
engine_halt(struct engine *e)
{
	size_t f;
	char *ep;
	struct host *h;

	if (e->halted)
		return 1;
	f = __atomic_load_n(&engine_tally(e)->failed, __ATOMIC_ACQUIRE);
	if (e->job->max_failures <= 0 || f < (size_t)e->job->max_failures)
		return 0;
	e->halted = 1;
	while (e->nwaiting > 0) {
		h = engine_unwait(e, 0, &ep);
		free(ep);
		host_fail(h, ERR_SKIPPED, "not started: %d hosts failed "
		    "(--max-failures)", e->job->max_failures);
		host_set_status(h, HOST_FAILED);
		e->failed++;
	}
	return 1;
}

/*
 * A host whose session ended: paused as a probe, or failed in a way worth
 * another try while it has tries left, it is queued again (its temp file
 * kept for the next session to resume); else it is finished.
 */
static void
engine_settle(struct engine *e, struct slot *sl)
{
	struct host *h = sl->host;
	size_t i = (size_t)(h - e->hosts);
	int64_t now = loop_now(e->loop), wait;

	if (sess_paused(sl->sess) && !e->stopping) {
		hlog(LOG_DEBUG, h->name, "paused after %llu bytes",
		    (unsigned long long)sess_have(sl->sess));
		sched_requeue(e->sched, i, sess_have(sl->sess), now);
		e->exhausted = 0;
		return;
	}
	if (host_status(h) == HOST_FAILED && !e->stopping && !e->halted &&
	    h->attempts <= e->job->retries && sess_retryable(sl->sess)) {
		wait = engine_backoff(h->attempts);
		hlog(LOG_VERBOSE, h->name, "%s; retrying in %lld s (attempt "
		    "%d of %d)", h->err, (long long)(wait / 1000),
		    h->attempts + 1, e->job->retries + 1);
		h->err[0] = '\0';
		h->kind = ERR_NONE;
		host_set_status(h, HOST_QUEUED);
		sched_requeue(e->sched, i, sess_have(sl->sess), now + wait);
		e->exhausted = 0;
		return;
	}
	if (sess_paused(sl->sess)) {
		host_fail(h, ERR_INTERRUPTED, "interrupted");
		host_set_status(h, HOST_FAILED);
	}
	h->rate = sched_rate(e->sched, i);
	sched_finish(e->sched, i);
	if (host_status(h) != HOST_DONE) {
		e->failed++;
		__atomic_add_fetch(&engine_tally(e)->failed, 1,
		    __ATOMIC_ACQ_REL);
		hlog(LOG_VERBOSE, h->name, "%s: %s",
		    host_status(h) == HOST_UNKNOWN ? "unknown" : "failed",
		    h->err);
	} else {
		hlog(LOG_VERBOSE, h->name, "done");
	}
}

/* Record a finished host and free its slot for the next one. */
STATIC void
engine_collect(struct engine *e, struct slot *sl)
{
	assert(sl->sess != NULL);
	assert(sl->host->status == HOST_DONE ||
	    sl->host->status == HOST_FAILED ||
	    sl->host->status == HOST_UNKNOWN || sess_paused(sl->sess));
	engine_leave_gate(e, sl);
	if (sl->fd >= 0)
		loop_unwatch(e->loop, sl->fd);
	if (sl->fd_err >= 0)
		loop_unwatch(e->loop, sl->fd_err);
	if (sl->timer >= 0)
		loop_timer_del(e->loop, sl->timer);
	engine_settle(e, sl);
	sess_free(sl->sess);
	sl->sess = NULL;
	sl->fd = -1;
	sl->fd_err = -1;
	sl->timer = -1;
	sl->events = 0;
	sl->data = 0;
	sl->host = NULL;
}

/*
 * Tell the scheduler how far a sending host is (when its data starts, and
 * on each timer tick): it learns rates, and says when a probe has seen
 * enough.  1 when the host is to be paused.
 */
static int
engine_progress(struct engine *e, struct slot *sl)
{
	if (e->stopping || !sess_sending(sl->sess))
		return 0;
	sl->data = 1;
	return sched_progress(e->sched, (size_t)(sl->host - e->hosts),
	    host_bytes(sl->host), loop_now(e->loop)) &&
	    sess_pause(sl->sess);
}

/* Step a slot's session and bring the loop up to date with it. */
static void
engine_drive(struct engine *e, struct slot *sl)
{
	if (sess_step(sl->sess, loop_now(e->loop))) {
		engine_collect(e, sl);
		return;
	}
	if (!sl->data && engine_progress(e, sl)) {
		engine_drive(e, sl);
		return;
	}
	/* Its data has ended: the scheduler hears the last of it. */
	if (sl->data == 1 && !sess_sending(sl->sess)) {
		sl->data = 2;
		sched_progress(e->sched, (size_t)(sl->host - e->hosts),
		    host_bytes(sl->host), loop_now(e->loop));
	}
	if (!sess_unconfirmed(sl->sess))
		engine_leave_gate(e, sl);
	engine_watch(e, sl);
	if (sess_waits_source(sl->sess) && !e->srcfd_watched) {
		loop_watch(e->loop, e->srcfd, LOOP_READ, engine_source_cb, e);
		e->srcfd_watched = 1;
	}
}

/*
 * A stream grew, ended or failed: drive the sessions that had caught up
 * with it.  The notification is emptied first, so that a growth after
 * their look notifies again.  With none left waiting, stop watching.
 */
static void
engine_source_cb(struct loop *l, int fd, int events, void *arg)
{
	struct engine *e = arg;
	int i, waiting = 0;

	(void)l;
	(void)events;
	source_notified(fd);
	for (i = 0; i < e->width; i++)
		if (e->slots[i].sess != NULL &&
		    sess_waits_source(e->slots[i].sess))
			engine_drive(e, &e->slots[i]);
	for (i = 0; i < e->width; i++)
		if (e->slots[i].sess != NULL &&
		    sess_waits_source(e->slots[i].sess))
			waiting = 1;
	if (!waiting) {
		loop_unwatch(e->loop, e->srcfd);
		e->srcfd_watched = 0;
	}
}

static void
engine_fd_cb(struct loop *l, int fd, int events, void *arg)
{
	struct slot *sl = arg;

	(void)l;
	(void)fd;
	(void)events;
	assert(sl->sess != NULL);
	engine_drive(sl->e, sl);
}

/* The retry a session asked for is due. */
static int64_t
engine_retry_cb(struct loop *l, void *arg)
{
	struct slot *sl = arg;

	(void)l;
	sl->timer = -1;
	if (sl->sess != NULL)
		engine_drive(sl->e, sl);
	return -1;
}

/* How many sessions are still logging in (derived, never counted). */
static int
engine_logging_in(const struct engine *e)
{
	int i, n = 0;

	for (i = 0; i < e->width; i++)
		if (e->slots[i].sess != NULL &&
		    sess_logging_in(e->slots[i].sess))
			n++;
	return n;
}

/*
 * Take the next host the scheduler (shared between engines) names, or
 * NULL: none now (a retry's backoff: wake_ms says when to ask again), or
 * none left (exhausted, until a host of this engine is queued again).
 */
static struct host *
engine_take(struct engine *e)
{
	size_t i;
	int wait = 0;

	if (e->exhausted)
		return NULL;
	switch (sched_next(e->sched, loop_now(e->loop), &i, &wait)) {
	case SCHED_START:
		return &e->hosts[i];
	case SCHED_WAIT:
		if (e->wake_ms < 0 || wait < e->wake_ms)
			e->wake_ms = wait > 0 ? wait : 1;
		return NULL;
	default:
		e->exhausted = 1;
		return NULL;
	}
}

/* Is any slot busy, or any host waiting for its sshd? */
static int
engine_busy(const struct engine *e)
{
	int i;

	for (i = 0; i < e->width; i++)
		if (e->slots[i].sess != NULL)
			return 1;
	return e->nwaiting > 0;
}

/* Take waiting host i, whose sshd now has room. */
static struct host *
engine_unwait(struct engine *e, int i, char **ep)
{
	struct host *h = e->waiting[i].host;

	*ep = e->waiting[i].endpoint;
	memmove(&e->waiting[i], &e->waiting[i + 1],
	    (size_t)(e->nwaiting - i - 1) * sizeof(*e->waiting));
	e->nwaiting--;
	return h;
}

/*
 * The next host whose sshd has room for one more handshake, counted
 * there (*ep, NULL when its configuration fails): a waiting one first,
 * else from the queue, setting aside (up to width) those with no room.
 */
static struct host *
engine_next(struct engine *e, char **ep)
{
	struct host *h;
	int i;

	for (i = 0; i < e->nwaiting; i++)
		if (gate_enter(e->gate, e->waiting[i].endpoint))
			return engine_unwait(e, i, ep);
	while (e->nwaiting < e->width && (h = engine_take(e)) != NULL) {
		if ((*ep = conn_endpoint(e->job, h)) == NULL ||
		    gate_enter(e->gate, *ep))
			return h;
		e->waiting[e->nwaiting].host = h;
		e->waiting[e->nwaiting++].endpoint = *ep;
		hlog(LOG_DEBUG, h->name, "waiting: %d handshakes in flight "
		    "to %s", ENGINE_ENDPOINT_STARTUPS, *ep);
	}
	return NULL;
}

/*
 * Stopping: a host queued again with a temp file kept on it (a paused
 * probe, a retry's backoff) gets a session that only removes that file,
 * in a free slot, within the grace period.  Claimed from the queue as the
 * queue's other hosts are (engine_fail_queued()).
 */
static int
engine_start_cleanup(struct engine *e)
{
	struct slot *sl = NULL;
	enum host_status q;
	struct host *h;
	int i;

	if (!e->job->keep || engine_logging_in(e) >= e->startups)
		return 0;
	for (i = 0; i < e->width && sl == NULL; i++)
		if (e->slots[i].sess == NULL)
			sl = &e->slots[i];
	for (; sl != NULL && e->cleanup_next < e->nhosts; e->cleanup_next++) {
		h = &e->hosts[e->cleanup_next];
		q = HOST_QUEUED;
		if (h->attempts == 0 || !__atomic_compare_exchange_n(&h->status,
		    &q, HOST_FAILED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		sl->host = h;
		sl->endpoint = NULL;
		sl->sess = sess_new_cleanup(e->job, h, loop_now(e->loop));
	sess_use_tunnels(sl->sess, e->tunnels);
		host_fail(h, ERR_INTERRUPTED, "interrupted while it waited "
		    "to go on");
		hlog(LOG_DEBUG, h->name, "removing its temp file");
		engine_drive(e, sl);
		return 1;
	}
	return 0;
}

/* Fill one free slot with the next queued host; 0 if none could start. */
STATIC int
engine_start_one(struct engine *e)
{
	struct slot *sl = NULL;
	struct host *h;
	char *ep;
	int i;

	if (e->stopping || engine_halt(e))
		return engine_start_cleanup(e);
	if ((e->exhausted && e->nwaiting == 0) ||
	    engine_logging_in(e) >= e->startups)
		return 0;
	for (i = 0; i < e->width && sl == NULL; i++)
		if (e->slots[i].sess == NULL)
			sl = &e->slots[i];
	if (sl == NULL || (h = engine_next(e, &ep)) == NULL)
		return 0;
	sl->host = h;
	sl->endpoint = ep;
	sl->sess = sess_new(e->job, sl->host, loop_now(e->loop));
	sess_use_tunnels(sl->sess, e->tunnels);
	hlog(LOG_DEBUG, sl->host->name, "started in slot %d",
	    (int)(sl - e->slots));
	engine_drive(e, sl);
	return 1;
}

/* Fail hosts past their deadlines; at the end of a grace, every host. */
static int64_t
engine_timer(struct loop *l, void *arg)
{
	struct engine *e = arg;
	int64_t now = loop_now(l);
	int i, force = e->stopping && now >= e->stop_at;

	for (i = 0; i < e->width; i++) {
		struct slot *sl = &e->slots[i];

		if (sl->sess == NULL)
			continue;
		if (engine_progress(e, sl)) {
			engine_drive(e, sl);
			continue;
		}
		if (force)
			sess_kill(sl->sess, now, "interrupted");
		if (force || sess_check_timeout(sl->sess, now))
			engine_collect(e, sl);
	}
	return ENGINE_TIMER_MS;
}

/* Start stopping: no new hosts, and interrupt the live ones. */
static void
engine_stop(struct engine *e)
{
	int64_t now = loop_now(e->loop);
	int i;

	e->stopping = 1;
	e->stop_at = now + ENGINE_GRACE_MS;
	for (i = 0; i < e->width; i++) {
		struct slot *sl = &e->slots[i];

		if (sl->sess == NULL)
			continue;
		if (sess_interrupt(sl->sess, now))
			engine_collect(e, sl);
		else
			engine_drive(e, sl);	/* it may have work to do */
	}
	/* Hosts never started are failed as interrupted too. */
	while (e->nwaiting > 0) {
		char *ep;
		struct host *h = engine_unwait(e, 0, &ep);

		free(ep);
		host_fail(h, ERR_INTERRUPTED, "interrupted before it started");
		host_set_status(h, HOST_FAILED);
		e->failed++;
	}
}

/*
 * After a stop: hosts still queued never start.  Several engines may look
 * at once; the one that moves a host out of the queue counts it.
 */
static void
engine_fail_queued(struct engine *e)
{
	enum host_status q;
	size_t i;

	for (i = 0; i < e->nhosts; i++) {
		q = HOST_QUEUED;
		if (!__atomic_compare_exchange_n(&e->hosts[i].status, &q,
		    HOST_FAILED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		if (e->halted && !e->stopping)
			host_fail(&e->hosts[i], ERR_SKIPPED, "not started: %d "
			    "hosts failed (--max-failures)",
			    e->job->max_failures);
		else
			host_fail(&e->hosts[i], ERR_INTERRUPTED,
			    e->hosts[i].attempts > 0 ? "interrupted while it "
			    "waited to go on" : "interrupted before it "
			    "started");
		e->failed++;
	}
}

size_t
engine_run(struct engine *e, volatile int *stop)
{
	int timer;

	timer = loop_timer_add(e->loop, ENGINE_TIMER_MS, engine_timer, e);
	e->tunnels = tunnels_new(e->job, e->loop);
	for (;;) {
		if (stop != NULL && *stop && !e->stopping)
			engine_stop(e);
		e->wake_ms = -1;
		while (engine_start_one(e))
			;
		if (!engine_busy(e) && (e->exhausted || e->stopping ||
		    e->halted))
			break;
		/* A host waits on handshakes that another thread may end. */
		if (e->nwaiting > 0 && (e->wake_ms < 0 ||
		    e->wake_ms > ENGINE_GATE_POLL_MS))
			e->wake_ms = ENGINE_GATE_POLL_MS;
		loop_once(e->loop, e->wake_ms);
	}
	if (e->stopping || e->halted)
		engine_fail_queued(e);
	if (tunnels_count(e->tunnels) > 0)
		debug("jump host connections of this thread: %d",
		    tunnels_count(e->tunnels));
	tunnels_free(e->tunnels);
	e->tunnels = NULL;
	loop_timer_del(e->loop, timer);
	if (e->srcfd_watched)
		loop_unwatch(e->loop, e->srcfd);
	e->srcfd_watched = 0;
	return e->failed;
}

/* One engine on its own thread. */
struct worker {
	struct engine	*e;
	volatile int	*stop;
	size_t		 failed;
	int		*running;	/* workers not yet done */
	pthread_t	 tid;
	int		 started;
};

static void *
engine_worker(void *arg)
{
	struct worker *w = arg;

	w->failed = engine_run(w->e, w->stop);
	__atomic_sub_fetch(w->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Engine i's share of total when it is cut into t parts (at least 1). */
static int
engine_share(int total, int t, int i)
{
	int share = total / t + (i < total % t);

	return share > 0 ? share : 1;
}

/* Draw progress every tick_ms until every worker is done. */
static void
engine_watch_workers(const struct engine_conf *c, struct host *hosts,
    size_t n, int *running)
{
	while (__atomic_load_n(running, __ATOMIC_ACQUIRE) > 0) {
		if (c->tick != NULL)
			c->tick(hosts, n, util_now_ms(), 0, c->tick_arg);
		poll(NULL, 0, c->tick != NULL ? c->tick_ms : 50);
	}
}

size_t
engine_run_parallel(const struct job *job, struct host *hosts, size_t n,
    const struct engine_conf *c, volatile int *stop)
{
	int t = c->threads < c->width ? c->threads : c->width, i, running;
	struct sched *sched = c->sched;
	struct worker *w;
	struct gate gate;
	size_t failed = 0;

	if (t < 1)
		t = 1;
	running = t;
	if (sched == NULL)
		sched = engine_sched_new(job, n, c->width);
	gate_init(&gate);
	w = xcalloc((size_t)t, sizeof(*w));
	for (i = 0; i < t; i++) {
		w[i].e = engine_new(job, hosts, n,
		    engine_share(c->width, t, i),
		    engine_share(c->startups, t, i));
		w[i].e->sched = sched;
		w[i].e->gate = &gate;
		w[i].stop = stop;
		w[i].running = &running;
		w[i].started = pthread_create(&w[i].tid, NULL, engine_worker,
		    &w[i]) == 0;
	}
	/* A thread that could not start runs its engine here instead. */
	for (i = 0; i < t; i++)
		if (!w[i].started)
			engine_worker(&w[i]);
	engine_watch_workers(c, hosts, n, &running);
	for (i = 0; i < t; i++) {
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
		failed += w[i].failed;
		engine_free(w[i].e);
	}
	free(w);
	gate_release(&gate);
	if (sched != c->sched)
		sched_free(sched);
	if (c->tick != NULL)
		c->tick(hosts, n, util_now_ms(), 1, c->tick_arg);
	return failed;
}
