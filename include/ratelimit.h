/*
 * A rate limit: a token bucket, kept as the time at which it would be
 * empty (GCRA's "theoretical arrival time"), shared by any number of
 * sessions on any number of threads.  -l makes one for the whole job,
 * --host-limit one per session.
 *
 * A sender reserves bytes before it offers them: it is granted up to the
 * burst, and told how long to wait before it may send them (0: now).
 * Reservations are handed out in the order they are asked for, so senders
 * that keep asking take turns, whatever thread they run on, and none can
 * starve the others.  What a sender was granted and did not send goes back
 * with ratelimit_unreserve().  Over any run, the bytes granted by time t
 * are at most rate * t + burst.
 */
#ifndef FANSCP_RATELIMIT_H
#define FANSCP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/*
 * Bytes per second for a limit in Kbit/s as scp(1) counts them: 1 Kbit is
 * 1024 bits (OpenSSH's scp.c multiplies -l by 1024, and misc.c's
 * bandwidth_limit() divides bits by 8), so 1 Kbit/s is 128 bytes/s.
 */
#define RATELIMIT_KBIT_BYTES	128
/* The largest limit the options take, in Kbit/s (1 Tbit/s). */
#define RATELIMIT_KBIT_MAX	1000000000ULL
/*
 * The burst: 100 ms at the rate, but at least one SSH packet's worth of
 * data (libssh2's 32,700 bytes a write), unless that is more than one
 * second at the rate; never more than 1 GiB.
 */
#define RATELIMIT_BURST_MS	100
#define RATELIMIT_UNIT		32700
#define RATELIMIT_BURST_MAX	(1ULL << 30)
/* The largest rate a bucket keeps, bytes per second (larger is cut). */
#define RATELIMIT_RATE_MAX	(1ULL << 50)

/* A full bucket for bytes_per_s (0 counts as 1). */
struct ratelimit *ratelimit_new(uint64_t bytes_per_s);
/* Free it; NULL is fine. */
void		 ratelimit_free(struct ratelimit *);
/* Its burst in bytes: the most that a full bucket grants at once. */
size_t		 ratelimit_burst(const struct ratelimit *);
/* Its rate, bytes/s (what the scheduler counts as the uplink at most). */
uint64_t	 ratelimit_rate(const struct ratelimit *);
/*
 * Reserve up to want bytes (want > 0) at now_ms on a millisecond clock:
 * returns how many were granted (1 to the burst), and in *wait_ms how long
 * to wait before sending them (0: at once).
 */
size_t		 ratelimit_reserve(struct ratelimit *, int64_t now_ms,
		    size_t want, int64_t *wait_ms);
/* Give back n granted bytes that were not sent. */
void		 ratelimit_unreserve(struct ratelimit *, size_t n);

#endif
