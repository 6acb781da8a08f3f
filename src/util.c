/* Helpers shared by several modules; see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"

int64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
util_read_file(const char *path, char **text, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (cap - len < 2) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	saved = errno;
	close(fd);
	if (n == -1) {
		free(buf);
		errno = saved;
		return -1;
	}
	buf[len] = '\0';
	*text = buf;
	*lenp = len;
	return 0;
}

static int
same_char(char a, char b, int icase)
{
	if (icase) {
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
	}
	return a == b;
}

/* Backtracking to the last '*' only: linear in practice, never recursive. */
int
util_glob(const char *s, const char *pattern, size_t plen, int icase)
{
	const char *p = pattern, *pe = pattern + plen;
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (p < pe && *p == '*') {
			star = ++p;
			resume = s;
		} else if (p < pe && (*p == '?' || same_char(*p, *s, icase))) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++resume;
		} else
			return 0;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

int
util_port(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	for (i = 0; i < len && v <= 65535; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (len == 0 || i < len || v < 1 || v > 65535)
		return -1;
	return (int)v;
}

void
util_keep_tail(char *keep, size_t *len, size_t max, const char *buf, size_t n)
{
	size_t drop;

	if (n >= max - 1) {
		buf += n - (max - 1);
		n = max - 1;
	}
	if (*len + n > max - 1) {
		drop = *len + n - (max - 1);
		memmove(keep, keep + drop, *len - drop);
		*len -= drop;
	}
	memcpy(keep + *len, buf, n);
	*len += n;
	keep[*len] = '\0';
}
