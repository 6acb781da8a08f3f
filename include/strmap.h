/*
 * A string-keyed map of counters: an open-addressing hash table that grows
 * as keys arrive, so that a lookup costs the same for 10 keys as for
 * 100,000.  main uses it to find repeated targets and to label hosts, the
 * engine to count the handshakes in flight per sshd endpoint.  Not locked:
 * a caller that shares one between threads holds its own lock.
 */
#ifndef FANSCP_STRMAP_H
#define FANSCP_STRMAP_H

#include <stddef.h>

struct strmap;

/* An empty map. */
struct strmap	*strmap_new(void);
/* Free the map and its copies of the keys; NULL is allowed. */
void		 strmap_free(struct strmap *);
/* The counter of key, added at 0 (the key copied) if it is new. */
long		*strmap_slot(struct strmap *, const char *key);
/* The counter of key, or 0 when it was never added. */
long		 strmap_get(const struct strmap *, const char *key);
/* How many keys the map holds. */
size_t		 strmap_count(const struct strmap *);

#endif
