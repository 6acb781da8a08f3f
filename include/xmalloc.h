/*
 * Allocation that never fails: on out of memory these print a message and
 * exit(2), so callers carry no allocation-failure branches.
 */
#ifndef FANSCP_XMALLOC_H
#define FANSCP_XMALLOC_H

#include <stddef.h>

/* malloc(size), fatal on failure; size 0 returns a valid pointer. */
void	*xmalloc(size_t);
/* calloc(n, size), fatal on failure or overflow. */
void	*xcalloc(size_t, size_t);
/* reallocarray(p, n, size), fatal on failure or overflow. */
void	*xreallocarray(void *, size_t, size_t);
/* strdup(s), fatal on failure. */
char	*xstrdup(const char *);
/* strndup(s, n), fatal on failure. */
char	*xstrndup(const char *, size_t);
/* asprintf() that returns the string, fatal on failure. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
