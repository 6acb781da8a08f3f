/*
 * The token bucket as one timestamp: tat, in ns, is when the bucket would
 * be full again if nothing more were taken.  Taking q bytes moves tat on
 * by q / rate from now or from tat, whichever is later; the bytes may go
 * once tat is at most one burst's time ahead of the clock.  That single
 * number under a mutex is the whole state, so the order of reservations
 * is the order of the calls, over every thread.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ratelimit.h"
#include "xmalloc.h"

#define NS_PER_MS	1000000LL
#define NS_PER_S	1000000000ULL

struct ratelimit {
	pthread_mutex_t	 mu;
	uint64_t	 rate;		/* bytes per second */
	size_t		 burst;		/* bytes */
	int64_t		 tau;		/* the burst's time, ns */
	int64_t		 tat;		/* ns on the caller's clock */
	int		 fresh;		/* nothing reserved yet */
};

/* The time n bytes (n <= RATELIMIT_BURST_MAX) take at rate, rounded up. */
static int64_t
ratelimit_ns(const struct ratelimit *rl, uint64_t n)
{
	/* n * 1e9 < 2^30 * 2^30 fits: no overflow whatever the rate. */
	return (int64_t)((n * NS_PER_S + rl->rate - 1) / rl->rate);
}

struct ratelimit *
ratelimit_new(uint64_t bytes_per_s)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	uint64_t b;

	/* Beyond any link; it keeps n * 1e9 + rate in 64 bits. */
	if (bytes_per_s > RATELIMIT_RATE_MAX)
		bytes_per_s = RATELIMIT_RATE_MAX;
	if (bytes_per_s == 0)
		bytes_per_s = 1;
	pthread_mutex_init(&rl->mu, NULL);
	rl->rate = bytes_per_s;
	b = bytes_per_s / (1000 / RATELIMIT_BURST_MS);
	if (b < RATELIMIT_UNIT)
		b = bytes_per_s < RATELIMIT_UNIT ? bytes_per_s : RATELIMIT_UNIT;
	if (b > RATELIMIT_BURST_MAX)
		b = RATELIMIT_BURST_MAX;
	rl->burst = (size_t)b;
	rl->tau = ratelimit_ns(rl, b);
	rl->fresh = 1;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

size_t
ratelimit_burst(const struct ratelimit *rl)
{
	return rl->burst;
}

size_t
ratelimit_reserve(struct ratelimit *rl, int64_t now_ms, size_t want,
    int64_t *wait_ms)
{
	int64_t now = now_ms * NS_PER_MS, start;
	size_t q = want < rl->burst ? want : rl->burst;

	if (q == 0)
		q = 1;
	pthread_mutex_lock(&rl->mu);
	/* An idle bucket fills up to the burst, and no further. */
	if (rl->fresh || rl->tat < now)
		rl->tat = now;
	rl->fresh = 0;
	rl->tat += ratelimit_ns(rl, q);
	start = rl->tat - rl->tau;
	pthread_mutex_unlock(&rl->mu);
	/* Rounded up: the timer must not fire before the bytes are due. */
	*wait_ms = start <= now ? 0 : (start - now + NS_PER_MS - 1) / NS_PER_MS;
	return q;
}

void
ratelimit_unreserve(struct ratelimit *rl, size_t n)
{
	if (n == 0)
		return;
	if (n > rl->burst)
		n = rl->burst;
	pthread_mutex_lock(&rl->mu);
	rl->tat -= ratelimit_ns(rl, n);
	pthread_mutex_unlock(&rl->mu);
}

uint64_t
ratelimit_rate(const struct ratelimit *rl)
{
	return rl->rate;
}
