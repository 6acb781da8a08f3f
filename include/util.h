/*
 * Small helpers that several modules need: the millisecond clock, reading
 * a whole file, OpenSSH's "*" and "?" patterns, and port numbers.
 */
#ifndef FANSCP_UTIL_H
#define FANSCP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
int64_t	util_now_ms(void);
/*
 * Read all of path into an xmalloc'd buffer, NUL-terminated (*len does
 * not count the NUL).  0, or -1 with errno set and nothing allocated.
 */
int	util_read_file(const char *path, char **text, size_t *len);
/*
 * Does s match the pattern's first plen bytes, where "*" is any run of
 * characters and "?" any one, as in ssh_config and known_hosts?  icase:
 * ASCII letters match either case.
 */
int	util_glob(const char *s, const char *pattern, size_t plen, int icase);
/*
 * Append buf's n bytes to keep (*len of max bytes used), keeping only the
 * last max - 1 bytes of both, NUL-terminated: a bounded tail of output.
 */
void	util_keep_tail(char *keep, size_t *len, size_t max, const char *buf,
	    size_t n);
/* The first len bytes of s as a port, 1 to 65535 in decimal; else -1. */
int	util_port(const char *s, size_t len);

#endif
