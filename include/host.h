/*
 * One host's record: what the user asked for and how it ended.  A plain,
 * transparent struct; the engine fills it and main reports it.  The first
 * error noted for a host is the one kept (curl's failf, OpenSSH's "prefer
 * first-noted error").
 */
#ifndef FANSCP_HOST_H
#define FANSCP_HOST_H

#include <stdint.h>

#include "target.h"

enum host_status {
	HOST_QUEUED = 0,
	HOST_ACTIVE,
	HOST_DONE,
	HOST_FAILED,
	HOST_UNKNOWN,		/* the go-ahead went out, the answer never
				   came: the file may or may not be new */
};

struct host {
	struct target	 t;		/* user, host as typed, port, path */
	char		*name;		/* for messages: the host as typed, or
					   [user@]host[:port] where that is
					   needed to tell two apart */
	enum host_status status;
	char		 err[512];	/* the first error, for a failed or
					   unknown host */
	uint64_t	 bytes;		/* bytes the channel accepted */
	int64_t		 t_start;	/* ms on the loop clock, 0 if never */
	int64_t		 t_end;
};

/*
 * The status and byte count are read by the progress line while other
 * threads run the host: they are stored and loaded atomically.
 */
static inline void
host_set_status(struct host *h, enum host_status st)
{
	__atomic_store_n(&h->status, st, __ATOMIC_RELEASE);
}

static inline enum host_status
host_status(const struct host *h)
{
	return __atomic_load_n(&h->status, __ATOMIC_ACQUIRE);
}

static inline void
host_set_bytes(struct host *h, uint64_t bytes)
{
	__atomic_store_n(&h->bytes, bytes, __ATOMIC_RELAXED);
}

static inline uint64_t
host_bytes(const struct host *h)
{
	return __atomic_load_n(&h->bytes, __ATOMIC_RELAXED);
}

/* Note an error for h unless one is already noted (printf-style). */
void	host_fail(struct host *h, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Has an error been noted for h? */
int	host_has_error(const struct host *h);

#endif
