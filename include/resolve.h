/*
 * Host names resolved off the event loop (issue 10): getaddrinfo() blocks
 * for as long as DNS takes, and an engine thread that called it would stall
 * every session it runs.  Each request runs getaddrinfo() in a thread of
 * its own (detached, with a small stack); its eventfd becomes readable when
 * the answer is in, and the loop watches that as it watches a socket.  A
 * request dropped before its answer (a host failed or the run stopped) is
 * freed by its thread when getaddrinfo() returns: nothing waits for DNS.
 * The caller resolves numeric addresses itself, without a thread.
 */
#ifndef FANSCP_RESOLVE_H
#define FANSCP_RESOLVE_H

#include <netdb.h>

struct resolve;

/*
 * Start resolving host and port (as getaddrinfo() takes them).  Returns
 * NULL if no thread or eventfd could be had (errno set): then resolve in
 * place.
 */
struct resolve	*resolve_start(const char *host, const char *port,
		    const struct addrinfo *hints);
/* Readable once the answer is in. */
int		 resolve_fd(const struct resolve *);
/*
 * The answer, once in: returns 1 with *rc getaddrinfo()'s return and *ai
 * its list (the caller's, to freeaddrinfo()); 0 while it is not.
 */
int		 resolve_take(struct resolve *, int *rc, struct addrinfo **ai);
/* Drop the request, answered or not (NULL is fine). */
void		 resolve_drop(struct resolve *);

#endif
