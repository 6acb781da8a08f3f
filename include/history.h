/*
 * The rate history: what each host's data rate was in earlier runs, and
 * the uplink's, kept in $XDG_CACHE_HOME/fanscp/rates ($HOME/.cache when
 * XDG_CACHE_HOME is unset) so that the scheduler knows its longest poles
 * before the first byte.  A host's key is the endpoint it resolves to
 * ("hostname port 22", as conn_endpoint() gives it); any string will do.
 *
 * The file is a cache, never a source of errors: a missing, unreadable,
 * malformed or planted (symlink, someone else's) file reads as empty, with
 * a -v warning.  Rates are bytes per second.
 */
#ifndef FANSCP_HISTORY_H
#define FANSCP_HISTORY_H

#include <stddef.h>

#define HISTORY_MAX	4096		/* entries kept, the newest */
#define HISTORY_KEYMAX	255		/* bytes of a key; longer: not kept */
#define HISTORY_READMAX	(1 << 20)	/* bytes of the file read, at most */

struct history;

/* The default file's path (allocated), or NULL when there is no home. */
char		*history_path(void);
/* Read the history at path (NULL: the default); never NULL. */
struct history	*history_load(const char *path);
/* Host key's rate in earlier runs, bytes/s; 0 if none. */
double		 history_rate(const struct history *, const char *key);
/* Note key's rate in this run (smoothed with the earlier ones on save). */
void		 history_put(struct history *, const char *key, double rate);
/* The uplink's total rate in earlier runs, bytes/s; 0 if none. */
double		 history_uplink(const struct history *);
/* Note the uplink's rate in this run. */
void		 history_put_uplink(struct history *, double rate);
/*
 * Merge what was noted into the file, under a lock, so that runs at once
 * keep each other's records; atomic (a temp file renamed).  0, or -1 with
 * a -v warning.
 */
int		 history_save(struct history *);
/* Free it; NULL is allowed. */
void		 history_free(struct history *);

#endif
