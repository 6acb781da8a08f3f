/*
 * getaddrinfo() in a thread per request, its answer signalled on an eventfd
 * (see resolve.h).  The request is shared by its thread and its caller;
 * whichever lets go last frees it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "resolve.h"
#include "unittest.h"
#include "xmalloc.h"

/* glibc's NSS modules (files, dns, myhostname) fit well in this. */
#define RESOLVE_STACK	(256 * 1024)

struct resolve {
	atomic_int	 refs;		/* the thread's and the caller's */
	atomic_int	 done;		/* rc and ai are set */
	int		 efd;
	char		*host;
	char		*port;
	struct addrinfo	 hints;
	int		 rc;
	struct addrinfo	*ai;
};

/* getaddrinfo(), or a test's stand-in. */
STATIC int (*resolve_gai)(const char *, const char *,
    const struct addrinfo *, struct addrinfo **) = getaddrinfo;

static void
resolve_unref(struct resolve *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	if (r->ai != NULL)
		freeaddrinfo(r->ai);
	close(r->efd);
	free(r->host);
	free(r->port);
	free(r);
}

static void *
resolve_main(void *arg)
{
	struct resolve *r = arg;
	uint64_t one = 1;

	r->rc = resolve_gai(r->host, r->port, &r->hints, &r->ai);
	atomic_store(&r->done, 1);
	/* An eventfd write of 1 cannot block or fail short of a bug. */
	(void)!write(r->efd, &one, sizeof(one));
	resolve_unref(r);
	return NULL;
}

struct resolve *
resolve_start(const char *host, const char *port,
    const struct addrinfo *hints)
{
	struct resolve *r = xcalloc(1, sizeof(*r));
	pthread_attr_t attr;
	pthread_t t;
	int e;

	if ((r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(r);
		return NULL;
	}
	r->host = xstrdup(host);
	r->port = xstrdup(port);
	r->hints = *hints;
	r->hints.ai_canonname = NULL;
	r->hints.ai_addr = NULL;
	r->hints.ai_next = NULL;
	atomic_init(&r->refs, 2);
	atomic_init(&r->done, 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, RESOLVE_STACK);
	e = pthread_create(&t, &attr, resolve_main, r);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		atomic_store(&r->refs, 1);
		resolve_unref(r);
		errno = e;
		return NULL;
	}
	return r;
}

int
resolve_fd(const struct resolve *r)
{
	return r->efd;
}

int
resolve_take(struct resolve *r, int *rc, struct addrinfo **ai)
{
	if (!atomic_load(&r->done))
		return 0;
	*rc = r->rc;
	*ai = r->ai;
	r->ai = NULL;
	return 1;
}

void
resolve_drop(struct resolve *r)
{
	if (r != NULL)
		resolve_unref(r);
}
