/*
 * The scheduler: the hosts with what is known of their rates, and the
 * rules that pick the next one.  tests/unit/test_sched.c drives it through
 * a fluid model of the network and holds it to the lower bound.
 *
 * A host's rate: the highest measured in this run, else the history's
 * (sched_prior()), else the median of the hosts known (0 when none is);
 * never above the uplink.  A rate is measured over windows of RATE_MS (or
 * RATE_MS/2 once they hold a sixteenth of the file), the first beginning
 * SKIP_MS after the session's data started (the first moments only fill
 * socket buffers).  The highest window is kept because a rate measured
 * while the uplink was shared is a lower bound of the host's link.  The
 * uplink: the highest total over windows of UPLINK_MS, or the history's if
 * higher, at most -l.
 *
 * Which host next (sched_next()), among the queued hosts whose backoff has
 * passed (a plan: struct plan, the hosts not finished):
 *  1. An urgent host, the longest: its expected time (bytes left ÷ rate)
 *     is at least URGENT of what the job can still take at best
 *     (plan_remaining(): the fluid bound over the bytes left).
 *  2. While probing, the first host nothing is known of, in list order;
 *     with nothing known of any host, list order.
 *  3. The host whose rate best fills the spare: the active hosts should
 *     add up to the total rate that sends the bytes left within the bound
 *     (the uplink where it binds, less where the width does: there a host
 *     slowed below its link by a crowded uplink is the waste); of the free
 *     slots' share of what is missing, the nearest rate, then the longer.
 *     Sorting alone, slowest first, runs the slow hosts together and
 *     leaves the uplink idle (1.13× the bound on 16 spread rates).
 *  When every ready host's rate is known and at most ROLLOUT_MAX hosts are
 *  left, rules 1 and 3 only propose: the pick is the best of that and
 *  CANDIDATES hosts spread over the range of rates, each judged by playing
 *  the rest of the job forward in the fluid model (plan_rollout()).
 * A stream (size 0) has no bytes left to weigh: the slowest known first,
 * then list order.
 * The rules are written as scans over every host (plan_*(), O(n) a pick).
 * With more than ROLLOUT_MAX hosts left, and for a stream, the same picks
 * come from an index of the queue instead (struct tree, below), in
 * O(width + log n): 50,000 refused hosts with rates known took 42 s of
 * CPU with the scans, 3 s with the index.  tests/unit/test_sched_index.c
 * holds the two to the same picks.
 *
 * Probing, when the source is a file (conf.probe), the width is below the
 * host count and a host has no rate known: it starts as a probe.  Once its
 * first window is measured (about 1.25 s of data; 0.75 s when that is a
 * sixteenth of the file), sched_progress() says to pause it, unless
 *  - it is a pole: expected to take at least POLE of what the job can
 *    still take, and below SHARED of the fastest active host's rate (a
 *    rate as high as the others' may be only its share of the uplink);
 *  - it would be done within KEEP logins anyway (a pause costs a login);
 *  - no host waits that is still to probe, or urgent by rule 1 (a pause
 *    would only swap one known host for another).
 * A paused probe keeps its temp file and resumes from it (sched_requeue()'s
 * have): no byte is sent twice, the cost is one more login.  In the fluid
 * model, S1-S4 (128 MiB) land at 1.005-1.06× the bound on a first run and
 * 1.005-1.026× with history; see the test's output.
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "sched.h"
#include "unittest.h"
#include "xmalloc.h"

#define SKIP_MS		250	/* data before the first rate window */
#define RATE_MS		1000	/* a host's rate window */
#define UPLINK_MS	2000	/* the total rate's window */
#define KEEP		2	/* logins: a probe this close to done goes on */
#define URGENT		0.8	/* of the remaining bound: start now */
#define POLE		0.5	/* of it: a probe goes on */
#define SHARED		0.7	/* of the top rate: below the uplink's share */
#define LOGIN_GUESS	0.3	/* s, until a login has been timed */
#define ROLLOUT_MAX	64	/* hosts left, at most, to look ahead */
#define CANDIDATES	8	/* rollouts per pick, besides rule 3's */

enum sstate { SQUEUED, SACTIVE, SFINISHED };

struct shost {
	enum sstate	 state;
	int		 probe;		/* this session is a probe */
	uint64_t	 have;		/* bytes on the host */
	int64_t		 not_before;
	double		 prior;		/* from the history; 0: none */
	double		 rate;		/* the last window's, this run */
	double		 best;		/* the highest window's, this run */
	int		 data;		/* this session's data has started */
	int64_t		 wt;		/* the window began at wt, with */
	uint64_t	 wh;		/* wh bytes on the host; */
	int		 wopen;		/* 0: still in the SKIP_MS */
	uint64_t	 last;		/* have at the last progress call */
	int64_t		 last_t;	/* and when */
	uint64_t	 d0h;		/* have when the data started, */
	int64_t		 d0t;		/* at */
	int64_t		 started;	/* this session, at */
};

/*
 * The index: what makes a pick O(log n) when thousands of hosts are left.
 * The queued hosts are kept in two treaps, the hosts with a rate known
 * (ordered by rate, then number) and those without (by number); a third
 * holds every known rate, for the median.  Each subtree sums what the
 * rules weigh (the bytes left, the times left ÷ rate) and knows its ready
 * hosts with the most time and the most bytes left, the lower number on a
 * tie, as plan_urgent() and plan_fill() choose.  A host's rate above the
 * uplink counts as the uplink's: such hosts are the tree's tail past the
 * uplink's rate, where the time is the bytes left ÷ the uplink's rate.
 * The active hosts, at most the width, are walked.  "Ready" is kept
 * against the latest clock seen (pnow): a host whose backoff ends by then
 * is ready.  The sums may round differently from the scans' (another
 * order of the same terms); the maxima and every comparison between hosts
 * are exact.
 */
#define NIL	((uint32_t)-1)		/* no node; host numbers fit 32 bits */

/* What a subtree holds. */
struct agg {
	uint64_t	 sleft, mleft;	/* bytes left: sum, most */
	double		 sv, mv;	/* left ÷ key: sum, most */
	uint32_t	 cnt, nready;
	uint32_t	 bv, bl;	/* ready: the most v, the most left */
};

/* Small: one for each host (and one more for each rate known). */
struct tnode {
	double		 key;		/* the known rate; 0 when none */
	uint64_t	 left;
	int64_t		 nb;		/* not_before */
	int64_t		 mnb;		/* the subtree's least nb not ready */
	uint32_t	 l, r;
	uint32_t	 prio;
	uint32_t	 ready;
	struct agg	 a;
};

/* Node x's time left at its own rate (v), or 0: as plan_dur() has it. */
static double
t_v(const struct tnode *n, size_t x)
{
	return n[x].key > 0 ? (double)n[x].left / n[x].key : 0;
}

struct tree {
	struct tnode	*n;		/* by host number */
	size_t		 root;
	uint64_t	*visits;	/* nodes visited, for the tests */
};

static const struct agg agg_empty = { 0, 0, 0, 0, 0, 0, NIL, NIL };

/* Of ready nodes i and j (or NIL), the one with the most v, then the lower. */
static size_t
better_v(const struct tnode *n, size_t i, size_t j)
{
	if (i == NIL || j == NIL)
		return i == NIL ? j : i;
	if (t_v(n, i) != t_v(n, j))
		return t_v(n, i) > t_v(n, j) ? i : j;
	return i < j ? i : j;
}

static size_t
better_l(const struct tnode *n, size_t i, size_t j)
{
	if (i == NIL || j == NIL)
		return i == NIL ? j : i;
	if (n[i].left != n[j].left)
		return n[i].left > n[j].left ? i : j;
	return i < j ? i : j;
}

static void
agg_add(const struct tnode *n, struct agg *g, const struct agg *h)
{
	g->cnt += h->cnt;
	g->nready += h->nready;
	g->sleft += h->sleft;
	g->mleft = h->mleft > g->mleft ? h->mleft : g->mleft;
	g->sv += h->sv;
	g->mv = h->mv > g->mv ? h->mv : g->mv;
	g->bv = better_v(n, g->bv, h->bv);
	g->bl = better_l(n, g->bl, h->bl);
}

/* Node x alone. */
static void
agg_node(const struct tnode *n, size_t x, struct agg *g)
{
	*g = agg_empty;
	g->cnt = 1;
	g->nready = n[x].ready;
	g->sleft = g->mleft = n[x].left;
	g->sv = g->mv = t_v(n, x);
	if (n[x].ready)
		g->bv = g->bl = x;
}

static void
pull(struct tree *t, size_t x)
{
	struct tnode *n = t->n;
	struct agg self;

	(*t->visits)++;
	agg_node(n, x, &self);
	n[x].a = agg_empty;
	n[x].mnb = n[x].ready ? INT64_MAX : n[x].nb;
	if (n[x].l != NIL) {
		agg_add(n, &n[x].a, &n[n[x].l].a);
		if (n[n[x].l].mnb < n[x].mnb)
			n[x].mnb = n[n[x].l].mnb;
	}
	agg_add(n, &n[x].a, &self);
	if (n[x].r != NIL) {
		agg_add(n, &n[x].a, &n[n[x].r].a);
		if (n[n[x].r].mnb < n[x].mnb)
			n[x].mnb = n[n[x].r].mnb;
	}
}

/* Does node i sort before node j (by key, then number)? */
static int
before(const struct tnode *n, size_t i, size_t j)
{
	return n[i].key < n[j].key || (n[i].key == n[j].key && i < j);
}

static size_t
t_merge(struct tree *t, size_t a, size_t b)
{
	if (a == NIL || b == NIL)
		return a == NIL ? b : a;
	if (t->n[a].prio > t->n[b].prio) {
		t->n[a].r = t_merge(t, t->n[a].r, b);
		pull(t, a);
		return a;
	}
	t->n[b].l = t_merge(t, a, t->n[b].l);
	pull(t, b);
	return b;
}

/* Split x into the nodes before node i (*lo) and the rest (*hi). */
static void
t_split(struct tree *t, size_t x, size_t i, uint32_t *lo, uint32_t *hi)
{
	if (x == NIL) {
		*lo = *hi = NIL;
	} else if (before(t->n, x, i)) {
		t_split(t, t->n[x].r, i, &t->n[x].r, hi);
		pull(t, x);
		*lo = (uint32_t)x;
	} else {
		t_split(t, t->n[x].l, i, lo, &t->n[x].l);
		pull(t, x);
		*hi = (uint32_t)x;
	}
}

static size_t
t_insert_at(struct tree *t, size_t x, size_t i)
{
	if (x == NIL || t->n[i].prio > t->n[x].prio) {
		t_split(t, x, i, &t->n[i].l, &t->n[i].r);
		pull(t, i);
		return i;
	}
	if (before(t->n, i, x))
		t->n[x].l = t_insert_at(t, t->n[x].l, i);
	else
		t->n[x].r = t_insert_at(t, t->n[x].r, i);
	pull(t, x);
	return x;
}

static size_t
t_erase_at(struct tree *t, size_t x, size_t i)
{
	if (x == i)
		return t_merge(t, t->n[x].l, t->n[x].r);
	if (before(t->n, i, x))
		t->n[x].l = t_erase_at(t, t->n[x].l, i);
	else
		t->n[x].r = t_erase_at(t, t->n[x].r, i);
	pull(t, x);
	return x;
}

/* Node i, its fields set, goes in; it must be out of every tree. */
static void
t_insert(struct tree *t, size_t i)
{
	uint64_t z = (uint64_t)i * 0x9e3779b97f4a7c15ULL;

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ULL;
	t->n[i].prio = (uint32_t)(z ^ z >> 31);
	t->n[i].l = t->n[i].r = NIL;
	t->root = t_insert_at(t, t->root, i);
}

static void
t_erase(struct tree *t, size_t i)
{
	t->root = t_erase_at(t, t->root, i);
}

static const struct agg *
t_all(const struct tree *t)
{
	return t->root == NIL ? &agg_empty : &t->n[t->root].a;
}

/* Mark ready every node whose nb has come by now. */
static void
t_promote(struct tree *t, size_t x, int64_t now)
{
	if (x == NIL || t->n[x].mnb > now)
		return;
	if (!t->n[x].ready && t->n[x].nb <= now)
		t->n[x].ready = 1;
	t_promote(t, t->n[x].l, now);
	t_promote(t, t->n[x].r, now);
	pull(t, x);
}

/* The nodes with key <= up (all, when up is 0) in *lo, the others in *hi. */
static void
t_cut(struct tree *t, double up, struct agg *lo, struct agg *hi)
{
	struct tnode *n = t->n;
	struct agg self;
	size_t x = t->root;

	*lo = *hi = agg_empty;
	while (x != NIL) {
		(*t->visits)++;
		agg_node(n, x, &self);
		if (up <= 0 || n[x].key <= up) {
			if (n[x].l != NIL)
				agg_add(n, lo, &n[n[x].l].a);
			agg_add(n, lo, &self);
			x = n[x].r;
		} else {
			if (n[x].r != NIL)
				agg_add(n, hi, &n[n[x].r].a);
			agg_add(n, hi, &self);
			x = n[x].l;
		}
	}
}

static size_t
t_nready(const struct tree *t, size_t x)
{
	return x == NIL ? 0 : t->n[x].a.nready;
}

/* The first ready node of subtree x in order (last: the last), or NIL. */
static size_t
t_end_ready(const struct tree *t, size_t x, int last)
{
	const struct tnode *n = t->n;
	size_t near, far;

	while (x != NIL && n[x].a.nready > 0) {
		(*t->visits)++;
		near = last ? n[x].r : n[x].l;
		far = last ? n[x].l : n[x].r;
		if (t_nready(t, near) > 0)
			x = near;
		else if (n[x].ready)
			return x;
		else
			x = far;
	}
	return NIL;
}

/*
 * The ready node nearest to key k from below (key <= k; above: key >= k),
 * or NIL.
 */
static size_t
t_near_ready(const struct tree *t, size_t x, double k, int above)
{
	const struct tnode *n = t->n;
	size_t y;

	if (t_nready(t, x) == 0)
		return NIL;
	(*t->visits)++;
	if (above ? n[x].key >= k : n[x].key <= k) {
		if ((y = t_near_ready(t, above ? n[x].l : n[x].r, k,
		    above)) != NIL)
			return y;
		if (n[x].ready)
			return x;
		return t_end_ready(t, above ? n[x].r : n[x].l, !above);
	}
	return t_near_ready(t, above ? n[x].r : n[x].l, k, above);
}

/*
 * The keys rule 3 finds nearest to want, among those up to up: with lo and
 * hi checked, a key is in when fabs(key - want) <= dist and key <= up.
 * Both tests are monotone in the key (a rounded difference is), so the
 * keys in are one run of the order.
 */
struct span {
	double		 want, dist, up;
};

static int
span_lo_ok(const struct span *q, double k)
{
	return k >= q->want || fabs(k - q->want) <= q->dist;
}

static int
span_hi_ok(const struct span *q, double k)
{
	return (k <= q->want || fabs(k - q->want) <= q->dist) &&
	    (q->up <= 0 || k <= q->up);
}

/* Add the nodes of subtree x that are in the span to g. */
static void
t_span(const struct tree *t, size_t x, const struct span *q, int chklo,
    int chkhi, struct agg *g)
{
	const struct tnode *n = t->n;
	struct agg self;

	while (x != NIL && n[x].a.nready > 0) {
		(*t->visits)++;
		if (!chklo && !chkhi) {
			agg_add(n, g, &n[x].a);
			return;
		}
		if (chklo && !span_lo_ok(q, n[x].key)) {
			x = n[x].r;
		} else if (chkhi && !span_hi_ok(q, n[x].key)) {
			x = n[x].l;
		} else {
			agg_node(n, x, &self);
			agg_add(n, g, &self);
			t_span(t, n[x].l, q, chklo, 0, g);
			x = n[x].r;
			chklo = 0;
		}
	}
}

/* The k-th node in order (from 0). */
static size_t
t_select(const struct tree *t, size_t k)
{
	const struct tnode *n = t->n;
	size_t x = t->root, nl;

	while (x != NIL) {
		(*t->visits)++;
		nl = n[x].l == NIL ? 0 : n[n[x].l].a.cnt;
		if (k < nl)
			x = n[x].l;
		else if (k == nl)
			return x;
		else {
			k -= nl + 1;
			x = n[x].r;
		}
	}
	return NIL;
}

struct sched {
	pthread_mutex_t	 mu;
	struct sched_conf conf;
	struct shost	*h;
	double		 prior_uplink;
	double		 uplink;	/* the highest total seen */
	uint64_t	 total;		/* bytes reported over all hosts */
	int64_t		 ut;		/* the total's window: since ut, */
	uint64_t	 ubytes;	/* from ubytes */
	int		 ustarted;
	double		 med;		/* median(), while med_ok */
	int		 med_ok;
	double		 login_ms;	/* logins timed, in all */
	int		 nlogin;
	int		 anyknown;	/* some host's rate is known */
	size_t		 cursor;	/* no host before it is queued, while
					   nothing is known (list order) */
	/* The index (below): */
	struct tnode	*qn, *mn;	/* the queue's nodes; the rates' */
	struct tree	 known_q;	/* queued, a rate known */
	struct tree	 unknown_q;	/* queued, none known */
	struct tree	 rates;		/* every host with a rate known */
	uint32_t	*act, *apos;	/* the active hosts; where each is */
	size_t		 nact;
	size_t		 live;		/* hosts not finished */
	int64_t		 pnow;		/* the latest clock a pick saw */
	uint64_t	 visits;	/* tree nodes visited, for the tests */
	int		 scan;		/* tests: always the scans */
};

static void	index_init(struct sched *);
static void	index_need(struct sched *);
static void	index_out(struct sched *, size_t);
static void	index_in(struct sched *, size_t);

struct sched *
sched_new(const struct sched_conf *conf)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->conf = *conf;
	if (s->conf.width < 1)
		s->conf.width = 1;
	s->h = xcalloc(conf->nhosts ? conf->nhosts : 1, sizeof(*s->h));
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->qn);
	free(s->mn);
	free(s->act);
	free(s->apos);
	free(s->h);
	free(s);
}

void
sched_prior(struct sched *s, size_t i, double rate)
{
	pthread_mutex_lock(&s->mu);
	index_need(s);
	if (i < s->conf.nhosts && rate > 0 && isfinite(rate)) {
		index_out(s, i);
		s->h[i].prior = rate;
		index_in(s, i);
		s->med_ok = 0;
		s->anyknown = 1;
	}
	pthread_mutex_unlock(&s->mu);
}

void
sched_prior_uplink(struct sched *s, double rate)
{
	pthread_mutex_lock(&s->mu);
	if (rate > 0 && isfinite(rate))
		s->prior_uplink = rate;
	pthread_mutex_unlock(&s->mu);
}

/* The uplink's rate as far as it is known, bytes/s; 0: unknown. */
static double
uplink(const struct sched *s)
{
	double u = s->uplink > s->prior_uplink ? s->uplink : s->prior_uplink;

	if (s->conf.limit > 0 && (u == 0 || u > (double)s->conf.limit))
		u = (double)s->conf.limit;
	return u;
}

/* What is known of host i's rate, bytes/s: measured, prior, or 0. */
static double
known(const struct sched *s, size_t i)
{
	return s->h[i].best > 0 ? s->h[i].best : s->h[i].prior;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The median of the known rates, for hosts nothing is known of; or 0.
 * Kept until a rate changes; the rates' tree finds it in O(log n).
 */
static double
median(struct sched *s)
{
	size_t n = t_all(&s->rates)->cnt;
	double a, b;

	if (s->med_ok)
		return s->med;
	s->med = 0;
	if (n > 0) {
		a = s->mn[t_select(&s->rates, (n - 1) / 2)].key;
		b = s->mn[t_select(&s->rates, n / 2)].key;
		s->med = n % 2 ? b : (a + b) / 2;
	}
	s->med_ok = 1;
	return s->med;
}

/* Take host i out of the index, before its state, rate or bytes change. */
static void
index_out(struct sched *s, size_t i)
{
	size_t p, last;

	if (s->h[i].state == SQUEUED) {
		t_erase(known(s, i) > 0 ? &s->known_q : &s->unknown_q, i);
	} else if (s->h[i].state == SACTIVE) {
		p = s->apos[i];
		last = s->act[--s->nact];
		s->act[p] = last;
		s->apos[last] = p;
	}
	if (known(s, i) > 0)
		t_erase(&s->rates, i);
}

/* Put host i back in the index, as it is now. */
static void
index_in(struct sched *s, size_t i)
{
	const struct shost *h = &s->h[i];
	struct tnode *q = &s->qn[i];
	double k = known(s, i);

	if (h->state == SQUEUED) {
		q->key = k;
		q->left = s->conf.size > h->have ? s->conf.size - h->have : 0;
		q->nb = h->not_before;
		q->ready = h->not_before <= s->pnow;
		t_insert(k > 0 ? &s->known_q : &s->unknown_q, i);
	} else if (h->state == SACTIVE) {
		s->apos[i] = (uint32_t)s->nact;
		s->act[s->nact++] = (uint32_t)i;
	}
	if (k > 0) {
		if (s->mn == NULL)	/* made once a rate is known */
			s->rates.n = s->mn = xcalloc(s->conf.nhosts,
			    sizeof(*s->mn));
		s->mn[i].key = k;
		s->mn[i].ready = 1;
		t_insert(&s->rates, i);
	}
}

/* Every host queued, nothing known. */
static void
index_init(struct sched *s)
{
	size_t n = s->conf.nhosts ? s->conf.nhosts : 1, i;

	assert(n < NIL);
	s->qn = xcalloc(n, sizeof(*s->qn));
	s->act = xcalloc(n, sizeof(*s->act));
	s->apos = xcalloc(n, sizeof(*s->apos));
	s->known_q = (struct tree){ s->qn, NIL, &s->visits };
	s->unknown_q = (struct tree){ s->qn, NIL, &s->visits };
	s->rates = (struct tree){ NULL, NIL, &s->visits };
	s->live = s->conf.nhosts;
	s->pnow = INT64_MIN;
	for (i = 0; i < s->conf.nhosts; i++)
		index_in(s, i);
}

/*
 * The index is made when first needed: an engine thread's own scheduler,
 * replaced by the run's shared one, never costs its memory.
 */
static void
index_need(struct sched *s)
{
	if (s->qn == NULL)
		index_init(s);
}

/*
 * The clock a pick goes by: the latest any thread has shown (a loop whose
 * clock is a few ms behind another's takes the other's; by then those
 * backoffs have passed anyway).  Marks ready the queued hosts whose
 * backoff has passed by then.
 */
static int64_t
index_advance(struct sched *s, int64_t now)
{
	if (now > s->pnow) {
		s->pnow = now;
		t_promote(&s->known_q, s->known_q.root, now);
		t_promote(&s->unknown_q, s->unknown_q.root, now);
	}
	return s->pnow;
}

/* A login's time, s: the mean of those seen, or a guess. */
static double
login_time(const struct sched *s)
{
	return s->nlogin > 0 ? s->login_ms / s->nlogin / 1000 : LOGIN_GUESS;
}

/*
 * The plan: the hosts as the picking rules see them, with a rate each
 * (known, else the median; never above the uplink) and the bytes left.
 * The rollout plays a plan forward in the fluid model.
 */
enum pstate { P_READY, P_LATER, P_ACTIVE, P_DONE };

struct plan {
	size_t		 n;		/* hosts not finished */
	size_t		*id;		/* their numbers */
	int		 width;
	double		 up;		/* bytes/s; 0: unknown */
	double		 login;		/* s */
	double		 med;		/* the median known rate, or 0 */
	double		*rate;		/* bytes/s; 0: nothing known at all */
	double		*left;		/* bytes */
	double		*wait;		/* an active host's login left, s */
	unsigned char	*st;		/* enum pstate */
};

static void
plan_alloc(struct plan *p, size_t n)
{
	p->n = n;
	p->id = xcalloc(n + 1, sizeof(*p->id));
	p->rate = xcalloc(n + 1, sizeof(*p->rate));
	p->left = xcalloc(n + 1, sizeof(*p->left));
	p->wait = xcalloc(n + 1, sizeof(*p->wait));
	p->st = xcalloc(n + 1, 1);
}

static void
plan_release(struct plan *p)
{
	free(p->id);
	free(p->rate);
	free(p->left);
	free(p->wait);
	free(p->st);
}

/* The plan of the hosts not finished at now; *self: host i's index. */
static void
plan_init(struct plan *p, struct sched *s, int64_t now, size_t i,
    size_t *self)
{
	double med = median(s), r;
	const struct shost *h;
	size_t j, k = 0;

	plan_alloc(p, s->conf.nhosts);
	p->width = s->conf.width;
	p->up = uplink(s);
	p->login = login_time(s);
	p->med = med;
	for (j = 0; j < s->conf.nhosts; j++) {
		h = &s->h[j];
		if (h->state == SFINISHED)
			continue;
		if (j == i && self)
			*self = k;
		p->id[k] = j;
		r = known(s, j) > 0 ? known(s, j) : med;
		p->rate[k] = p->up > 0 && r > p->up ? p->up : r;
		p->left[k] = s->conf.size > h->have ?
		    (double)(s->conf.size - h->have) : 0;
		p->st[k] = h->state == SACTIVE ? P_ACTIVE :
		    h->not_before > now ? P_LATER : P_READY;
		p->wait[k] = h->state == SACTIVE && !h->data ? p->login : 0;
		k++;
	}
	p->n = k;
}

/* Host i's expected time to finish, s; 0 when nothing is known. */
static double
plan_dur(const struct plan *p, size_t i)
{
	return p->rate[i] > 0 ? p->left[i] / p->rate[i] : 0;
}

/*
 * The least time, s, that the hosts not done can still take: the fluid
 * bound over their bytes left (DESIGN.md §6).  *target: the total rate
 * that sends those bytes within it.
 */
static double
plan_remaining(const struct plan *p, double *target)
{
	double sum = 0, bytes = 0, most = 0, d;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->st[i] == P_DONE)
			continue;
		d = plan_dur(p, i);
		sum += d;
		most = d > most ? d : most;
		bytes += p->left[i];
	}
	d = sum / p->width;
	most = d > most ? d : most;
	if (p->up > 0 && bytes / p->up > most)
		most = bytes / p->up;
	if (target)
		*target = most > 0 ? bytes / most : p->up;
	return most;
}

/* Rule 1: the longest urgent host among the ready ones, or -1. */
static long
plan_urgent(const struct plan *p, double rem)
{
	double d, best = 0;
	long pick = -1;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->st[i] != P_READY)
			continue;
		d = plan_dur(p, i);
		if (d > 0 && d >= URGENT * rem && d > best) {
			best = d;
			pick = (long)i;
		}
	}
	return pick;
}

/*
 * Rule 3: the ready host whose rate best fills the spare.  The rate the
 * active hosts should add up to is what sends the bytes left within the
 * bound: all of the uplink where the uplink bounds the job, less where
 * the width does (there a host slowed below its link by a crowded uplink
 * is what costs).  Of the free slots' share of what is missing, the
 * nearest rate; of two as near, the longer host.
 */
static long
plan_fill(const struct plan *p, double target)
{
	double want = target, dist, pd = 0;
	size_t i, busy = 0;
	long pick = -1;

	for (i = 0; i < p->n; i++)
		if (p->st[i] == P_ACTIVE) {
			want -= p->rate[i];
			busy++;
		}
	if ((int)busy < p->width)
		want /= (double)(p->width - (int)busy);
	for (i = 0; i < p->n; i++) {
		if (p->st[i] != P_READY)
			continue;
		dist = fabs(p->rate[i] - want);
		if (pick < 0 || dist < pd || (dist == pd &&
		    plan_dur(p, i) > plan_dur(p, (size_t)pick))) {
			pick = (long)i;
			pd = dist;
		}
	}
	return pick;
}

/* Rules 1 and 3, without looking ahead. */
static long
plan_pick(const struct plan *p)
{
	double target, rem = plan_remaining(p, &target);
	long i;

	if ((i = plan_urgent(p, rem)) >= 0)
		return i;
	return plan_fill(p, target);
}

/* Share the uplink max-min fair among the hosts past their login. */
static void
plan_share(const struct plan *p, double *cur)
{
	double left = p->up > 0 ? p->up : INFINITY, share, r;
	size_t i, k = 0, done, j;

	for (i = 0; i < p->n; i++) {
		cur[i] = -1;
		if (p->st[i] == P_ACTIVE && p->wait[i] <= 0)
			k++;
	}
	/* The slowest first, each at most its share of what is left. */
	for (done = 0; done < k; done++) {
		j = p->n;
		for (i = 0; i < p->n; i++)
			if (p->st[i] == P_ACTIVE && p->wait[i] <= 0 &&
			    cur[i] < 0 && (j == p->n ||
			    p->rate[i] < p->rate[j]))
				j = i;
		share = left / (double)(k - done);
		r = p->rate[j] < share ? p->rate[j] : share;
		cur[j] = r;
		left -= r;
	}
}

/* One step of a rollout: the time to the next event, s, or -1. */
static double
plan_step(struct plan *p, double *cur)
{
	double dt = INFINITY, t;
	size_t i;

	plan_share(p, cur);
	for (i = 0; i < p->n; i++) {
		if (p->st[i] != P_ACTIVE)
			continue;
		t = p->wait[i] > 0 ? p->wait[i] :
		    cur[i] > 0 ? p->left[i] / cur[i] : INFINITY;
		dt = t < dt ? t : dt;
	}
	if (!isfinite(dt))
		return -1;
	for (i = 0; i < p->n; i++) {
		if (p->st[i] != P_ACTIVE)
			continue;
		if (p->wait[i] > 0)
			p->wait[i] -= dt;
		else
			p->left[i] -= cur[i] * dt;
		if (p->wait[i] <= 1e-9 && p->left[i] <= cur[i] * 1e-9 + 0.5)
			p->st[i] = P_DONE;
	}
	return dt;
}

/*
 * The makespan, s from now, if first starts now and the rest follows
 * rules 1 and 3 in the fluid model; a host held back by its backoff is
 * taken as ready.
 */
static double
plan_rollout(const struct plan *p0, size_t first)
{
	struct plan p;
	double *cur = xcalloc(p0->n + 1, sizeof(*cur)), t = 0, dt;
	size_t i, busy = 0;
	long k;

	plan_alloc(&p, p0->n);
	p.width = p0->width;
	p.up = p0->up;
	p.login = p0->login;
	for (i = 0; i < p.n; i++) {
		p.rate[i] = p0->rate[i];
		p.left[i] = p0->left[i];
		p.wait[i] = p0->wait[i];
		p.st[i] = p0->st[i] == P_LATER ? P_READY : p0->st[i];
		busy += p.st[i] == P_ACTIVE;
	}
	p.st[first] = P_ACTIVE;
	p.wait[first] = p.login;
	busy++;
	for (;;) {
		while ((int)busy < p.width && (k = plan_pick(&p)) >= 0) {
			p.st[k] = P_ACTIVE;
			p.wait[k] = p.login;
			busy++;
		}
		if ((dt = plan_step(&p, cur)) < 0)
			break;
		t += dt;
		for (i = 0, busy = 0; i < p.n; i++)
			busy += p.st[i] == P_ACTIVE;
	}
	free(cur);
	plan_release(&p);
	return t;
}

static int
cmp_rate(const void *a, const void *b, void *arg)
{
	const double *rate = arg;

	return cmp_double(&rate[*(const size_t *)a],
	    &rate[*(const size_t *)b]);
}

/*
 * The host to start: rules 1 and 3 when too many hosts are left to look
 * ahead, else the best of a few candidates (that pick, and ready hosts
 * spread over the range of rates) by their rollouts.
 */
static long
plan_best(const struct plan *p)
{
	size_t *ready = xcalloc(p->n + 1, sizeof(*ready)), nr = 0, live = 0;
	size_t i, c;
	long pick = plan_pick(p);
	double best, t;

	for (i = 0; i < p->n; i++) {
		live += p->st[i] != P_DONE;
		if (p->st[i] == P_READY) {
			if (p->rate[i] <= 0)
				goto out;	/* nothing known */
			ready[nr++] = i;
		}
	}
	if (pick < 0 || nr < 2 || live > ROLLOUT_MAX)
		goto out;
	qsort_r(ready, nr, sizeof(*ready), cmp_rate, p->rate);
	best = plan_rollout(p, (size_t)pick);
	for (c = 0; c < CANDIDATES; c++) {
		i = ready[c * (nr - 1) / (CANDIDATES - 1)];
		if ((long)i == pick)
			continue;
		t = plan_rollout(p, i);
		if (t < best * (1 - 1e-3)) {
			best = t;
			pick = (long)i;
		}
	}
out:
	free(ready);
	return pick;
}

static int
probing(const struct sched *s)
{
	return s->conf.probe && s->conf.size > 0 &&
	    (size_t)s->conf.width < s->conf.nhosts;
}

/* Is queued host i, nothing known of it, ready to start at now? */
static int
unknown_ready(const struct sched *s, size_t i, int64_t now)
{
	return s->h[i].state == SQUEUED && s->h[i].not_before <= now &&
	    known(s, i) == 0;
}

/* A stream: the slowest known first, then list order. */
static long
pick_stream(const struct sched *s, int64_t now)
{
	double r, pr = 0;
	long pick = -1;
	size_t i;

	for (i = 0; i < s->conf.nhosts; i++) {
		if (s->h[i].state != SQUEUED || s->h[i].not_before > now)
			continue;
		r = known(s, i);
		if (pick < 0 || (r > 0 && (pr == 0 || r < pr))) {
			pick = (long)i;
			pr = r;
		}
	}
	return pick;
}

/*
 * Nothing known of any host: list order, from a cursor that only a
 * requeue moves back, so that a run of 50,000 hosts picks in O(1) each
 * (hosts in a retry's backoff are stepped over).
 */
static long
pick_first(struct sched *s, int64_t now)
{
	size_t j;

	while (s->cursor < s->conf.nhosts &&
	    s->h[s->cursor].state != SQUEUED)
		s->cursor++;
	for (j = s->cursor; j < s->conf.nhosts; j++)
		if (s->h[j].state == SQUEUED && s->h[j].not_before <= now)
			return (long)j;
	return -1;
}

/*
 * The rules over the index, for more than ROLLOUT_MAX hosts left: the
 * same picks as plan_init() and the scans, in O(width + log n).
 */
struct view {
	double		 med, up;
	double		 m;		/* a rate for the hosts unknown */
	double		 rem, target;	/* plan_remaining()'s */
	struct agg	 lo, hi;	/* known: to the uplink's rate, past */
};

/* Host i's rate in the plan: known, else the median; at most the uplink. */
static double
view_rate(const struct sched *s, const struct view *v, size_t i)
{
	double r = known(s, i) > 0 ? known(s, i) : v->med;

	return v->up > 0 && r > v->up ? v->up : r;
}

static uint64_t
bytes_left(const struct sched *s, size_t i)
{
	return s->conf.size > s->h[i].have ? s->conf.size - s->h[i].have : 0;
}

/* plan_remaining() over the index. */
static void
view_init(struct sched *s, struct view *v)
{
	const struct agg *u = t_all(&s->unknown_q);
	double sum, most, d, r;
	uint64_t bytes;
	size_t j;

	v->med = median(s);
	v->up = uplink(s);
	v->m = v->up > 0 && v->med > v->up ? v->up : v->med;
	t_cut(&s->known_q, v->up, &v->lo, &v->hi);
	sum = v->lo.sv;
	most = v->lo.mv;
	bytes = v->lo.sleft + v->hi.sleft + u->sleft;
	if (v->hi.cnt > 0) {
		sum += (double)v->hi.sleft / v->up;
		d = (double)v->hi.mleft / v->up;
		most = d > most ? d : most;
	}
	if (u->cnt > 0 && v->m > 0) {
		sum += (double)u->sleft / v->m;
		d = (double)u->mleft / v->m;
		most = d > most ? d : most;
	}
	for (j = 0; j < s->nact; j++) {
		r = view_rate(s, v, s->act[j]);
		d = r > 0 ? (double)bytes_left(s, s->act[j]) / r : 0;
		sum += d;
		most = d > most ? d : most;
		bytes += bytes_left(s, s->act[j]);
	}
	d = sum / s->conf.width;
	most = d > most ? d : most;
	if (v->up > 0 && (double)bytes / v->up > most)
		most = (double)bytes / v->up;
	v->rem = most;
	v->target = most > 0 ? (double)bytes / most : v->up;
}

/* Keep i if its time d is the longest yet, the lower number on a tie. */
static void
longer(long *best, double *bd, size_t i, double d)
{
	if (i != NIL && (*best < 0 || d > *bd || (d == *bd &&
	    (long)i < *best))) {
		*best = (long)i;
		*bd = d;
	}
}

/* plan_urgent() over the index. */
static long
view_urgent(const struct sched *s, const struct view *v)
{
	const struct agg *u = t_all(&s->unknown_q);
	const struct tnode *n = s->qn;
	long best = -1;
	double bd = 0;

	if (v->lo.bv != NIL)
		longer(&best, &bd, v->lo.bv, t_v(n, v->lo.bv));
	if (v->hi.bl != NIL)
		longer(&best, &bd, v->hi.bl, (double)n[v->hi.bl].left / v->up);
	if (u->bl != NIL)
		longer(&best, &bd, u->bl, v->m > 0 ?
		    (double)n[u->bl].left / v->m : 0);
	return best >= 0 && bd > 0 && bd >= URGENT * v->rem ? best : -1;
}

/* plan_fill()'s order: the nearest rate, the longer, the lower number. */
struct fill {
	double		 want;
	long		 best;
	double		 dist, dur;
};

static void
fill_offer(struct fill *f, size_t i, double rate, double dur)
{
	double dist = fabs(rate - f->want);

	if (i == NIL)
		return;
	if (f->best < 0 || dist < f->dist || (dist == f->dist &&
	    (dur > f->dur || (dur == f->dur && (long)i < f->best)))) {
		f->best = (long)i;
		f->dist = dist;
		f->dur = dur;
	}
}

/* plan_fill() over the index. */
static long
view_fill(struct sched *s, const struct view *v)
{
	const struct agg *u = t_all(&s->unknown_q);
	const struct tnode *n = s->qn;
	struct tree *t = &s->known_q;
	struct fill f = { v->target, -1, 0, 0 };
	struct span q;
	struct agg g = agg_empty;
	size_t j, below, above;

	for (j = 0; j < s->nact; j++)
		f.want -= view_rate(s, v, s->act[j]);
	if ((int)s->nact < s->conf.width)
		f.want /= (double)(s->conf.width - (int)s->nact);
	if (u->bl != NIL)
		fill_offer(&f, u->bl, v->m, v->m > 0 ?
		    (double)n[u->bl].left / v->m : 0);
	if (v->hi.bl != NIL)
		fill_offer(&f, v->hi.bl, v->up, (double)n[v->hi.bl].left /
		    v->up);
	/* Known, up to the uplink: the run of keys nearest to want. */
	below = t_near_ready(t, t->root, v->up > 0 && f.want > v->up ?
	    v->up : f.want, 0);
	above = t_near_ready(t, t->root, f.want, 1);
	if (above != NIL && v->up > 0 && n[above].key > v->up)
		above = NIL;
	if (below == NIL && above == NIL)
		return f.best;
	q.want = f.want;
	q.up = v->up;
	q.dist = below != NIL ? fabs(n[below].key - f.want) : INFINITY;
	if (above != NIL && fabs(n[above].key - f.want) < q.dist)
		q.dist = fabs(n[above].key - f.want);
	t_span(t, t->root, &q, 1, 1, &g);
	if (g.bv != NIL)
		fill_offer(&f, g.bv, n[g.bv].key, t_v(n, g.bv));
	return f.best;
}

/* pick_scan() over the index, with a file (size > 0). */
static long
pick_indexed(struct sched *s)
{
	struct view v;
	long i;

	view_init(s, &v);
	if ((i = view_urgent(s, &v)) >= 0)
		return i;
	/* Probe, or with nothing known at all, list order. */
	if (t_all(&s->unknown_q)->nready > 0 && (probing(s) || v.med <= 0))
		return (long)t_end_ready(&s->unknown_q, s->unknown_q.root, 0);
	return view_fill(s, &v);
}

/* pick_stream() over the index. */
static long
pick_stream_indexed(struct sched *s)
{
	size_t x = t_end_ready(&s->known_q, s->known_q.root, 0);

	if (x == NIL)
		x = t_end_ready(&s->unknown_q, s->unknown_q.root, 0);
	return x == NIL ? -1 : (long)x;
}

/* The scans: the rules as written, over every host, O(n). */
static long
pick_scan(struct sched *s, int64_t now)
{
	struct plan p;
	size_t j;
	long i, u = -1;
	int all = 1;

	if (!s->anyknown)
		return pick_first(s, now);
	if (s->conf.size == 0)
		return pick_stream(s, now);
	plan_init(&p, s, now, 0, NULL);
	for (j = 0; j < s->conf.nhosts; j++)
		all &= !unknown_ready(s, j, now);
	if (all) {
		i = plan_best(&p);
	} else if ((i = plan_urgent(&p, plan_remaining(&p, NULL))) < 0) {
		/* Probe, or with nothing known at all, list order. */
		for (j = 0; j < s->conf.nhosts && u < 0; j++)
			if (unknown_ready(s, j, now))
				u = (long)j;
		if (!probing(s) && p.med > 0)
			u = -1;
		i = u < 0 ? plan_pick(&p) : -1;
	}
	if (i >= 0)
		i = (long)p.id[i];
	else
		i = u;
	plan_release(&p);
	return i;
}

/* The host to start at now (index_advance()'s clock), or -1. */
static long
pick(struct sched *s, int64_t now)
{
	if (s->scan)
		return pick_scan(s, now);
	if (!s->anyknown)
		return pick_first(s, now);
	if (s->conf.size == 0)
		return pick_stream_indexed(s);
	if (s->live <= ROLLOUT_MAX)
		return pick_scan(s, now);	/* the rollouts want the plan */
	return pick_indexed(s);
}

enum sched_verdict
sched_next(struct sched *s, int64_t now, size_t *ip, int *wait_ms)
{
	enum sched_verdict v = SCHED_NONE;
	int64_t soon = INT64_MAX, t;
	long p;
	size_t i;

	pthread_mutex_lock(&s->mu);
	index_need(s);
	t = s->scan ? now : index_advance(s, now);
	if ((p = pick(s, t)) >= 0) {
		i = (size_t)p;
		index_out(s, i);
		s->h[i].state = SACTIVE;
		index_in(s, i);
		s->h[i].probe = probing(s) && known(s, i) == 0;
		s->h[i].data = 0;
		s->h[i].started = t;
		*ip = i;
		v = SCHED_START;
	} else if (!s->scan) {
		/* Nothing is ready: every queued host is in its backoff. */
		if (s->known_q.root != NIL)
			soon = s->qn[s->known_q.root].mnb;
		if (s->unknown_q.root != NIL &&
		    s->qn[s->unknown_q.root].mnb < soon)
			soon = s->qn[s->unknown_q.root].mnb;
	} else {
		for (i = 0; i < s->conf.nhosts; i++)
			if (s->h[i].state == SQUEUED &&
			    s->h[i].not_before < soon)
				soon = s->h[i].not_before;
	}
	if (v != SCHED_START && soon != INT64_MAX) {
		v = SCHED_WAIT;
		*wait_ms = soon - now > 0 ? (int)(soon - now) : 0;
	}
	pthread_mutex_unlock(&s->mu);
	return v;
}

/* Count the bytes in the total, and measure the total's rate. */
static void
count_total(struct sched *s, uint64_t bytes, int64_t now)
{
	double r;

	s->total += bytes;
	if (!s->ustarted) {
		s->ustarted = 1;
		s->ut = now;
		s->ubytes = s->total;
	} else if (now - s->ut >= UPLINK_MS) {
		r = (double)(s->total - s->ubytes) * 1000 / (double)(now - s->ut);
		if (r > s->uplink)
			s->uplink = r;
		s->ut = now;
		s->ubytes = s->total;
	}
}

/* Measure host i's rate over its windows. */
static void
measure(struct sched *s, struct shost *h, uint64_t have, int64_t now)
{
	if (!h->data) {
		h->data = 1;
		h->d0t = now;
		h->d0h = have;
		s->login_ms += (double)(now - h->started);
		s->nlogin++;
		h->wopen = 0;
		h->wt = now;
		h->wh = have;
	} else if (!h->wopen && now - h->wt >= SKIP_MS) {
		h->wopen = 1;
		h->wt = now;
		h->wh = have;
	} else if (h->wopen && (now - h->wt >= RATE_MS ||
	    (now - h->wt >= RATE_MS / 2 && have - h->wh >= s->conf.size / 16))) {
		h->rate = (double)(have - h->wh) * 1000 / (double)(now - h->wt);
		if (h->rate > h->best) {
			index_out(s, (size_t)(h - s->h));
			h->best = h->rate;
			index_in(s, (size_t)(h - s->h));
			s->med_ok = 0;
			s->anyknown = 1;
		}
		h->wt = now;
		h->wh = have;
	}
}

/*
 * Is host i's rate below what the uplink let the others have?  A rate as
 * high as the fastest active host's may be only its share of a crowded
 * uplink: such a host is no pole, however long it looks.
 */
static int
below_share(const struct sched *s, size_t i)
{
	double top = 0;
	size_t j, k;

	for (k = 0; k < s->nact; k++) {
		j = s->act[k];
		if (j != i && s->h[j].data && s->h[j].rate > top)
			top = s->h[j].rate;
	}
	return top == 0 || s->h[i].rate < SHARED * top;
}

/* pause_probe() over the index. */
static int
pause_indexed(struct sched *s, size_t i)
{
	struct view v;
	double r, d;

	view_init(s, &v);
	r = view_rate(s, &v, i);
	d = r > 0 ? (double)bytes_left(s, i) / r : 0;
	if (d < KEEP * login_time(s) ||
	    (d >= POLE * v.rem && below_share(s, i)))
		return 0;
	return t_all(&s->unknown_q)->nready > 0 || view_urgent(s, &v) >= 0;
}

/* Should probe i, whose rate is now measured, be paused at now? */
static int
pause_probe(struct sched *s, size_t i, int64_t now)
{
	struct plan p;
	double d, rem;
	size_t j, self = 0;
	int pause = 0;

	if (!s->scan && s->live > ROLLOUT_MAX)
		return pause_indexed(s, i);
	plan_init(&p, s, now, i, &self);
	d = plan_dur(&p, self);
	rem = plan_remaining(&p, NULL);
	if (d >= KEEP * p.login && (d < POLE * rem || !below_share(s, i))) {
		for (j = 0; j < s->conf.nhosts && !pause; j++)
			pause = unknown_ready(s, j, now);
		if (!pause)
			pause = plan_urgent(&p, rem) >= 0;
	}
	plan_release(&p);
	return pause;
}

int
sched_progress(struct sched *s, size_t i, uint64_t have, int64_t now)
{
	struct shost *h;
	int pause = 0;

	pthread_mutex_lock(&s->mu);
	index_need(s);
	if (!s->scan)
		index_advance(s, now);	/* the latest clock shown */
	if (i >= s->conf.nhosts || s->h[i].state != SACTIVE)
		goto out;
	h = &s->h[i];
	if (have < h->have)		/* never backwards */
		have = h->have;
	count_total(s, h->data ? have - h->last : 0, now);
	h->last = have;
	h->last_t = now;
	h->have = have;
	measure(s, h, have, now);
	if (h->probe && h->best > 0) {
		h->probe = 0;
		pause = pause_probe(s, i, now);
	}
out:
	pthread_mutex_unlock(&s->mu);
	return pause;
}

void
sched_requeue(struct sched *s, size_t i, uint64_t have, int64_t not_before)
{
	pthread_mutex_lock(&s->mu);
	index_need(s);
	if (i < s->conf.nhosts && s->h[i].state == SACTIVE) {
		index_out(s, i);
		s->h[i].state = SQUEUED;
		s->h[i].probe = 0;
		s->h[i].data = 0;
		s->h[i].have = have;
		s->h[i].not_before = not_before;
		index_in(s, i);
		if (i < s->cursor)
			s->cursor = i;
	}
	pthread_mutex_unlock(&s->mu);
}

/* The shortest span of data that gives a finished host a rate, ms. */
#define SHORT_MS	100

void
sched_finish(struct sched *s, size_t i)
{
	struct shost *h;

	pthread_mutex_lock(&s->mu);
	index_need(s);
	if (i < s->conf.nhosts) {
		h = &s->h[i];
		index_out(s, i);
		s->live -= h->state != SFINISHED;
		/*
		 * Data too short for a window: its whole span (from the start
		 * of the data to its last report, the end of the data) gives
		 * the history a rate, if it lasted long enough to mean one.
		 */
		if (h->best == 0 && h->data && h->last_t - h->d0t >= SHORT_MS) {
			h->best = (double)(h->last - h->d0h) * 1000 /
			    (double)(h->last_t - h->d0t);
			s->med_ok = 0;
			if (h->best > 0)
				s->anyknown = 1;
		}
		h->state = SFINISHED;
		h->probe = 0;
		index_in(s, i);
	}
	pthread_mutex_unlock(&s->mu);
}

/* The mutex is the one thing a reader changes: cast const away for it. */
double
sched_rate(const struct sched *cs, size_t i)
{
	struct sched *s = (struct sched *)cs;
	double r = 0;

	pthread_mutex_lock(&s->mu);
	if (i < s->conf.nhosts)
		r = s->h[i].best;
	pthread_mutex_unlock(&s->mu);
	return r;
}

double
sched_uplink(const struct sched *cs)
{
	struct sched *s = (struct sched *)cs;
	double r;

	pthread_mutex_lock(&s->mu);
	r = s->uplink;
	pthread_mutex_unlock(&s->mu);
	return r;
}

#ifdef UNIT_TEST
/* Tests: pick by the scans alone, the reference the index must match. */
STATIC void
sched_test_scan(struct sched *s, int on)
{
	s->scan = on;
}

/* Tests: the tree nodes visited so far. */
STATIC uint64_t
sched_test_visits(const struct sched *s)
{
	return s->visits;
}
#endif
