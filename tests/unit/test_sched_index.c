/*
 * The scheduler's index against its scans.  Two schedulers get the same
 * calls: one picks through the index (the program's way with more than
 * ROLLOUT_MAX hosts left), the other by the scans over every host, the
 * rules as written (sched_test_scan()), which stand as the reference.  A
 * seeded run of a few thousand hosts, with rates from a history (some
 * alike, some missing), measured rates, probes, failures retried after a
 * backoff, bytes kept across a requeue, a clock that steps back (another
 * thread's loop, which goes by the latest clock) and -l, must give the
 * same verdict, host and wait at every pick, and the same pause at every
 * progress.  Then the cost: the
 * tree nodes a pick visits grow with log n, not n (counted, not timed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

void		 sched_test_scan(struct sched *, int);
uint64_t	 sched_test_visits(const struct sched *);

static uint64_t
rnd(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 33;
}

/* A host as the driver sees it. */
struct dhost {
	double		 cap;		/* bytes/s it takes */
	int		 state;		/* 0 queued, 1 login, 2 data, 3 done */
	int64_t		 until;		/* login ends; next progress */
	uint64_t	 have;
};

struct drive {
	struct sched	*idx, *ref;
	struct dhost	*h;
	size_t		 n, done, picks;
	int64_t		 seen;		/* the latest clock shown */
	int		 width, busy;
	uint64_t	 size, seed;
};

/*
 * Both schedulers pick while a slot is free; they must agree.  The index
 * is given now, the scans seen, the latest clock shown so far: a thread
 * whose clock is behind goes by the latest.
 */
static void
pick_both(struct drive *d, int64_t now, int64_t seen)
{
	enum sched_verdict va, vb;
	size_t ia = 0, ib = 0;
	int wa = -1, wb = -1;

	while (d->busy < d->width) {
		va = sched_next(d->idx, now, &ia, &wa);
		vb = sched_next(d->ref, seen, &ib, &wb);
		assert_int_equal(va, vb);
		if (va != SCHED_START) {
			if (va == SCHED_WAIT)
				assert_int_equal(now + wa, seen + wb);
			return;
		}
		if (ia != ib)
			fail_msg("pick %zu at %lld ms: index %zu, scans %zu",
			    d->picks, (long long)now, ia, ib);
		assert_int_equal(d->h[ia].state, 0);
		d->h[ia].state = 1;
		d->h[ia].until = seen + 100 + (int64_t)(rnd(&d->seed) % 300);
		d->busy++;
		d->picks++;
	}
}

/* Host i leaves its slot: done, failed for good, or back in the queue. */
static void
leave(struct drive *d, size_t i, int64_t now, int requeue, int64_t backoff)
{
	d->busy--;
	if (requeue) {
		d->h[i].state = 0;
		sched_requeue(d->idx, i, d->h[i].have, now + backoff);
		sched_requeue(d->ref, i, d->h[i].have, now + backoff);
	} else {
		d->h[i].state = 3;
		d->done++;
		sched_finish(d->idx, i);
		sched_finish(d->ref, i);
	}
}

/* One 50 ms step of every active host. */
static void
step(struct drive *d, int64_t now)
{
	struct dhost *h;
	uint64_t r;
	size_t i;
	int pa, pb;

	for (i = 0; i < d->n; i++) {
		h = &d->h[i];
		if (h->state == 0 || h->state == 3 || now < h->until)
			continue;
		r = rnd(&d->seed) % 1000;
		if (h->state == 1 && r < 15) {
			/* Refused, or no login: retried later, or not. */
			leave(d, i, now, r < 10, (int64_t)(r * 97 % 3000));
			continue;
		}
		if (h->state == 1)
			h->state = 2;
		else
			h->have += (uint64_t)(h->cap * 0.05);
		if (h->have >= d->size) {
			h->have = d->size;
			leave(d, i, now, 0, 0);
			continue;
		}
		if (r >= 995) {		/* the connection lost */
			leave(d, i, now, 1, (int64_t)(r % 7) * 100);
			continue;
		}
		pa = sched_progress(d->idx, i, h->have, now);
		d->seen = now;
		pb = sched_progress(d->ref, i, h->have, now);
		assert_int_equal(pa, pb);
		h->until = now + 50;
		if (pa)
			leave(d, i, now, 1, 0);
	}
}

/*
 * A run of n hosts at width w: known (a prior) with probability known/100,
 * the rates drawn from few values when alike (ties), size 0 for a stream.
 */
static void
compare_run(uint64_t seed, size_t n, int w, int known, int alike,
    uint64_t size, int probe, uint64_t limit)
{
	struct sched_conf c = { n, size, w, probe, limit };
	struct drive d;
	int64_t now = 0;
	double rate;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.idx = sched_new(&c);
	d.ref = sched_new(&c);
	sched_test_scan(d.ref, 1);
	d.h = calloc(n, sizeof(*d.h));
	assert_non_null(d.h);
	d.n = n;
	d.width = w;
	d.size = size ? size : 3000000;
	d.seed = seed;
	for (i = 0; i < n; i++) {
		d.h[i].cap = 2e5 + (double)(rnd(&d.seed) % 5000) * 1e3;
		if (alike)
			d.h[i].cap = 1e6 * (double)(1 + rnd(&d.seed) % 4);
		if ((int)(rnd(&d.seed) % 100) >= known)
			continue;
		rate = alike ? d.h[i].cap :
		    d.h[i].cap * (0.8 + (double)(rnd(&d.seed) % 400) / 1000);
		sched_prior(d.idx, i, rate);
		sched_prior(d.ref, i, rate);
	}
	if (seed % 2) {
		sched_prior_uplink(d.idx, 3e7);
		sched_prior_uplink(d.ref, 3e7);
	}
	while (d.done < n) {
		assert_true(now < 10000000);
		/*
		 * Now and then a thread whose clock is a little behind the
		 * latest shown (the last tick's).
		 */
		if (rnd(&d.seed) % 20 == 0 && d.seen >= 7) {
			pick_both(&d, d.seen - 7, d.seen);
		} else {
			pick_both(&d, now, now);
			d.seen = now;
		}
		now += 50;
		step(&d, now);
	}
	assert_int_equal(d.busy, 0);
	for (i = 0; i < n; i++)
		assert_true(sched_rate(d.idx, i) == sched_rate(d.ref, i));
	sched_free(d.idx);
	sched_free(d.ref);
	free(d.h);
}

static void
test_same_picks(void **state)
{
	(void)state;
	/* History for most, spread rates, probes, an uplink known. */
	compare_run(1, 3000, 64, 80, 0, 20000000, 1, 0);
	/* Rates alike: ties everywhere, broken by time left then number. */
	compare_run(2, 2000, 40, 90, 1, 8000000, 1, 0);
	/* Nothing known at first, no probes; -l under the links. */
	compare_run(3, 1500, 100, 0, 0, 6000000, 0, 2000000);
	/* All known, a narrow width, no uplink known. */
	compare_run(4, 2500, 16, 100, 0, 4000000, 1, 0);
	/*
	 * Rates alike, no probes: hosts nothing is known of (the median's
	 * rate) tie with known ones; -l equal to some rates.
	 */
	compare_run(6, 2000, 40, 50, 1, 8000000, 0, 0);
	compare_run(7, 2000, 40, 50, 1, 8000000, 0, 2000000);
	/* A stream: the slowest known first, then list order. */
	compare_run(5, 2000, 50, 60, 1, 0, 0, 0);
}

/*
 * The nodes visited per pick, over picks of refused hosts (each finishes
 * at once) while at least half are left, every rate known.
 */
static double
visits_per_pick(size_t n)
{
	struct sched_conf c = { n, 1 << 20, 64, 1, 0 };
	struct sched *s = sched_new(&c);
	uint64_t seed = n, v0;
	size_t i, k;
	int wait;

	for (i = 0; i < n; i++)
		sched_prior(s, i, 1e5 + (double)(rnd(&seed) % 100000) * 100);
	v0 = sched_test_visits(s);
	for (k = 0; k < n / 2; k++) {
		assert_int_equal(sched_next(s, (int64_t)k, &i, &wait),
		    SCHED_START);
		sched_finish(s, i);
	}
	v0 = sched_test_visits(s) - v0;
	sched_free(s);
	return (double)v0 / (double)(n / 2);
}

static void
test_log_visits(void **state)
{
	double small, big;

	(void)state;
	small = visits_per_pick(1000);
	big = visits_per_pick(32000);
	printf("# tree nodes visited per pick: %.0f at 1,000 hosts, "
	    "%.0f at 32,000\n", small, big);
	/* 32 times the hosts: log2 grows 1.5 times; a scan would be 32. */
	assert_true(big < 3 * small);
	assert_true(big < 40 * log2(32000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_picks),
		cmocka_unit_test(test_log_visits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
