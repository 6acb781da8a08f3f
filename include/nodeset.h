/*
 * Nodesets: host name patterns with bracketed ranges, as pdsh and
 * ClusterShell write them.  "web[01-03,7]" names web01 web02 web03 web7;
 * zero padding is kept, several bracket groups multiply
 * ("r[1-2]n[1-2]" is r1n1 r1n2 r2n1 r2n2).
 */
#ifndef FANSCP_NODESET_H
#define FANSCP_NODESET_H

#include <stddef.h>

/* The most names one pattern may expand to, and their most bytes. */
#define NODESET_MAX		1000000
#define NODESET_MAX_BYTES	(64 * 1024 * 1024)

/*
 * Expand pattern into *names (an xmalloc'd array of *count xmalloc'd
 * strings, in order).  A pattern without brackets yields itself.  On a bad
 * pattern (unbalanced bracket, empty or reversed range, too many names)
 * returns -1 with a message in err and *names NULL.
 */
int	nodeset_expand(const char *pattern, char ***names, size_t *count,
	    char *err, size_t errlen);
/* Free what nodeset_expand() returned. */
void	nodeset_free(char **names, size_t count);
/*
 * The inverse: fold names into as few nodesets as they make, sorted, each
 * a name or a pattern ("web[01-03,07]") that nodeset_expand() turns back
 * into exactly those names (repeats are dropped).  Sets *out to an
 * xmalloc'd array for nodeset_free(); returns its length.
 */
size_t	nodeset_fold(const char *const *names, size_t n, char ***out);

#endif
