/*
 * The scheduler, first cut: hosts in list order, a requeued host again at
 * its place, once its backoff has passed.  (Rates come later.)
 */
#include <pthread.h>
#include <stdlib.h>

#include "sched.h"
#include "xmalloc.h"

enum { Q_QUEUED, Q_ACTIVE, Q_FINISHED };

struct shost {
	int		 state;
	uint64_t	 have;
	int64_t		 not_before;
	double		 rate;
	uint64_t	 first_have;
	int64_t		 first_at;
};

struct sched {
	pthread_mutex_t	 mu;
	struct sched_conf conf;
	struct shost	*h;
	double		 uplink;
};

struct sched *
sched_new(const struct sched_conf *conf)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->mu, NULL);
	s->conf = *conf;
	s->h = xcalloc(conf->nhosts ? conf->nhosts : 1, sizeof(*s->h));
	return s;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->h);
	free(s);
}

void
sched_prior(struct sched *s, size_t i, double rate)
{
	(void)s;
	(void)i;
	(void)rate;
}

void
sched_prior_uplink(struct sched *s, double rate)
{
	(void)s;
	(void)rate;
}

enum sched_verdict
sched_next(struct sched *s, int64_t now, size_t *i, int *wait_ms)
{
	enum sched_verdict v = SCHED_NONE;
	int64_t soonest = INT64_MAX;
	size_t k;

	pthread_mutex_lock(&s->mu);
	for (k = 0; k < s->conf.nhosts; k++) {
		if (s->h[k].state != Q_QUEUED)
			continue;
		if (s->h[k].not_before <= now) {
			s->h[k].state = Q_ACTIVE;
			s->h[k].first_at = 0;
			*i = k;
			v = SCHED_START;
			break;
		}
		if (s->h[k].not_before < soonest)
			soonest = s->h[k].not_before;
	}
	if (v == SCHED_NONE && soonest != INT64_MAX) {
		v = SCHED_WAIT;
		*wait_ms = (int)(soonest - now);
	}
	pthread_mutex_unlock(&s->mu);
	return v;
}

int
sched_progress(struct sched *s, size_t i, uint64_t have, int64_t now)
{
	struct shost *h = &s->h[i];

	pthread_mutex_lock(&s->mu);
	if (h->first_at == 0) {
		h->first_at = now;
		h->first_have = have;
	} else if (now > h->first_at)
		h->rate = (double)(have - h->first_have) * 1000.0 /
		    (double)(now - h->first_at);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void
sched_requeue(struct sched *s, size_t i, uint64_t have, int64_t not_before)
{
	pthread_mutex_lock(&s->mu);
	s->h[i].state = Q_QUEUED;
	s->h[i].have = have;
	s->h[i].not_before = not_before;
	pthread_mutex_unlock(&s->mu);
}

void
sched_finish(struct sched *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	s->h[i].state = Q_FINISHED;
	pthread_mutex_unlock(&s->mu);
}

double
sched_rate(const struct sched *s, size_t i)
{
	return s->h[i].rate;
}

double
sched_uplink(const struct sched *s)
{
	return s->uplink;
}
