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

/*
 * What kind of failure a host's error is, beside its message: the summary
 * (and a machine-readable report) groups hosts by it.
 */
#define HOST_ERRS(X)							\
	X(NONE,		"")		/* no error */			\
	X(CONFIG,	"config")	/* its ssh_config, before any I/O */ \
	X(CONNECT,	"connect")	/* resolve, TCP: refused, unreachable */ \
	X(TIMEOUT,	"timeout")	/* not logged in within the time */ \
	X(SSH,		"ssh")		/* the SSH handshake */		\
	X(HOSTKEY,	"hostkey")	/* unknown, changed or revoked key */ \
	X(AUTH,		"auth")		/* no key accepted */		\
	X(REMOTE,	"remote")	/* the remote side refused or failed */ \
	X(COMMAND,	"command")	/* --exec: the command's own status */ \
	X(VALIDATE,	"validate")	/* --validate's command refused it */ \
	X(SKIPPED,	"skipped")	/* other hosts failed: not started
					   (--max-failures), not committed
					   (--all-or-nothing) */ \
	X(LOST,		"lost")		/* the connection, after login */ \
	X(STALL,	"stall")	/* no progress for --stall-timeout */ \
	X(SOURCE,	"source")	/* the source failed or changed */ \
	X(INTERRUPTED,	"interrupted")	/* fanscp was stopped */

#define HOST_ERR_ENUM(name, str)	ERR_##name,
enum host_err { HOST_ERRS(HOST_ERR_ENUM) ERR_NKINDS };

/* The kind's short name ("connect"), "" for ERR_NONE. */
const char	*host_err_name(enum host_err);

struct host {
	struct target	 t;		/* user, host as typed, port, path */
	char		*name;		/* for messages: the host as typed, or
					   [user@]host[:port] where that is
					   needed to tell two apart */
	/*
	 * Where the connection went, set by conn.c once ssh_config resolved
	 * it: the HostName (the host as given when none) and the port (the
	 * target's, -P, Port or 22).  NULL and 0 for a host never started,
	 * or whose ssh_config failed.
	 */
	char		*hostname;
	int		 port;
	char		*jump;		/* the ProxyJump it went through (-J),
					   as given; NULL: none */
	enum host_status status;
	char		 err[512];	/* the first error, for a failed or
					   unknown host */
	enum host_err	 kind;		/* err's kind */
	uint64_t	 bytes;		/* bytes the channel accepted */
	int64_t		 t_start;	/* ms on the loop clock, 0 if never */
	int64_t		 t_end;
	int		 attempts;	/* sessions started for it (retries,
					   a probe's resume) */
	double		 rate;		/* its data rate, bytes/s; 0: unknown */
	int		 verifying;	/* all sent, the remote checks and
					   commits: no more bytes to come */
	/*
	 * --then, on a host done: whether it ran, its exit status, and the
	 * tail of its output.  A non-zero status is reported apart from the
	 * copy (which is done) and makes the exit status 1.
	 */
	int		 unchanged;	/* done: --if-changed found the same
					   bytes there, and sent nothing */
	int		 then_ran;
	int		 then_status;
	char		 then_out[256];
};

/* Did h's copy succeed, but its --then fail? */
static inline int
host_then_failed(const struct host *h)
{
	return h->status == HOST_DONE && h->then_ran && h->then_status != 0;
}

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

/* Set by the session as it moves between states; read by progress. */
static inline void
host_set_verifying(struct host *h, int v)
{
	__atomic_store_n(&h->verifying, v, __ATOMIC_RELAXED);
}

static inline int
host_verifying(const struct host *h)
{
	return __atomic_load_n(&h->verifying, __ATOMIC_RELAXED);
}

/* Note an error of a kind for h unless one is already noted (printf-style). */
void	host_fail(struct host *h, enum host_err kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Has an error been noted for h? */
int	host_has_error(const struct host *h);

#endif
