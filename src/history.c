/*
 * The rate history's file.  One record a line after a version line:
 *
 *	fanscp-rates 1
 *	web07.example.com%20port%2022 3100000 1764670000
 *
 * key, rate in bytes/s, last seen (Unix seconds).  A key's bytes other
 * than letters, digits and ".-_:@[]" are written %XX, so no space, newline
 * or control byte can break a line; the uplink's record is the key
 * "*uplink", which no escaped key can be ('*' is always escaped).  A line
 * that does not parse whole is skipped, and so is the rest of a file past
 * HISTORY_READMAX.
 *
 * A save takes an flock on "rates.lock" beside the file, reads the file
 * again (another run may have saved since this one loaded), folds this
 * run's rates into it (a moving average: a link's rate drifts, and one run
 * may have been unlucky), keeps the HISTORY_MAX entries seen last, and
 * renames a new file over the old one.  The directory is made 0700, the
 * file 0600; the file is opened O_NOFOLLOW and must be ours.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "log.h"
#include "strmap.h"
#include "xmalloc.h"

#define MAGIC		"fanscp-rates 1"
#define UPLINK_KEY	"*uplink"	/* '*' is never left unescaped */
#define LINEMAX		(3 * HISTORY_KEYMAX + 64)
#define RATEMAX		1e13		/* bytes/s: anything above is junk */
#define NEW_WEIGHT	0.7		/* of this run's rate in the average */

struct entry {
	char		*key;		/* as written: escaped */
	double		 rate;
	int64_t		 seen;
	double		 sample;	/* this run's rate; 0: none */
};

struct history {
	char		*path;		/* NULL: nowhere to keep it */
	struct entry	*e;
	size_t		 n, cap;
	struct strmap	*index;		/* escaped key -> its index + 1 */
};

char *
history_path(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	/* The XDG spec: a relative XDG_CACHE_HOME is invalid, ignore it. */
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/fanscp/rates", xdg);
	if (home != NULL && home[0] == '/')
		return xasprintf("%s/.cache/fanscp/rates", home);
	return NULL;
}

static int
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr(".-_:@[]", c));
}

/* key escaped (allocated), or NULL when it is too long to keep. */
static char *
escape(const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(key), i, o = 0;
	char *out;

	if (len == 0 || len > HISTORY_KEYMAX)
		return NULL;
	out = xmalloc(3 * len + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (plain(c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static int
hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Is s, of len bytes, a well-formed escaped key (or the uplink's)? */
static int
valid_key(const char *s, size_t len)
{
	size_t i, raw = 0;

	if (len == strlen(UPLINK_KEY) && memcmp(s, UPLINK_KEY, len) == 0)
		return 1;
	for (i = 0; i < len; i++, raw++) {
		if (s[i] == '%') {
			if (i + 2 >= len || !hexdigit(s[i + 1]) ||
			    !hexdigit(s[i + 2]))
				return 0;
			i += 2;
		} else if (!plain((unsigned char)s[i]))
			return 0;
	}
	return len > 0 && raw <= HISTORY_KEYMAX;
}

static struct entry *
find(const struct history *h, const char *ekey)
{
	long k = strmap_get(h->index, ekey);

	return k > 0 ? &h->e[k - 1] : NULL;
}

/* The entry of escaped key ekey (taken over), added if new. */
static struct entry *
add(struct history *h, char *ekey)
{
	struct entry *e;
	long *slot;

	if ((e = find(h, ekey)) != NULL) {
		free(ekey);
		return e;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->e = xreallocarray(h->e, h->cap, sizeof(*h->e));
	}
	e = &h->e[h->n++];
	memset(e, 0, sizeof(*e));
	e->key = ekey;
	slot = strmap_slot(h->index, ekey);
	*slot = (long)h->n;
	return e;
}

/* One line, without its newline: an entry, or nothing if malformed. */
static void
parse_line(struct history *h, char *line, size_t len)
{
	char *sp1, *sp2, *end;
	double rate;
	long long seen;
	struct entry *e;

	if (len > LINEMAX || memchr(line, '\0', len) != NULL)
		return;
	line[len] = '\0';
	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' '))
		return;
	if (!valid_key(line, (size_t)(sp1 - line)))
		return;
	*sp1 = *sp2 = '\0';
	errno = 0;
	rate = strtod(sp1 + 1, &end);
	if (end == sp1 + 1 || *end != '\0' || errno || !isfinite(rate) ||
	    rate <= 0 || rate > RATEMAX)
		return;
	seen = strtoll(sp2 + 1, &end, 10);
	if (end == sp2 + 1 || *end != '\0' || errno || seen < 0)
		return;
	e = add(h, xstrdup(line));
	e->rate = rate;
	e->seen = seen;
}

/* Read the file's entries into h; a file not there or not fit is empty. */
static void
read_file(struct history *h)
{
	struct stat st;
	char *buf, *p, *nl;
	ssize_t n;
	size_t len = 0;
	int fd;

	fd = open(h->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			verbose("rate history '%s' not read: %s", h->path,
			    errno == ELOOP ? "it is a symbolic link" :
			    strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		verbose("rate history '%s' not read: not a file of ours",
		    h->path);
		close(fd);
		return;
	}
	buf = xmalloc(HISTORY_READMAX + 1);
	while (len < HISTORY_READMAX && ((n = read(fd, buf + len,
	    HISTORY_READMAX - len)) > 0 || (n == -1 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fd);
	buf[len] = '\0';
	if ((nl = memchr(buf, '\n', len)) == NULL ||
	    (size_t)(nl - buf) != strlen(MAGIC) ||
	    memcmp(buf, MAGIC, strlen(MAGIC)) != 0) {
		if (len > 0)
			verbose("rate history '%s' not read: not one of "
			    "ours", h->path);
		free(buf);
		return;
	}
	/* Whole lines only: a line cut by the size cap is no line. */
	for (p = nl + 1; (nl = memchr(p, '\n', len - (size_t)(p - buf)));
	    p = nl + 1)
		parse_line(h, p, (size_t)(nl - p));
	free(buf);
}

static struct history *
history_new(const char *path)
{
	struct history *h = xcalloc(1, sizeof(*h));

	h->path = path ? xstrdup(path) : NULL;
	h->index = strmap_new();
	return h;
}

struct history *
history_load(const char *path)
{
	struct history *h;
	char *def = NULL;

	if (path == NULL)
		path = def = history_path();
	h = history_new(path);
	free(def);
	if (h->path != NULL)
		read_file(h);
	return h;
}

static double
rate_of(const struct history *h, const char *ekey)
{
	const struct entry *e = ekey ? find(h, ekey) : NULL;

	return e ? e->rate : 0;
}

double
history_rate(const struct history *h, const char *key)
{
	char *ekey = escape(key);
	double r = rate_of(h, ekey);

	free(ekey);
	return r;
}

double
history_uplink(const struct history *h)
{
	return rate_of(h, UPLINK_KEY);
}

static void
put(struct history *h, char *ekey, double rate)
{
	if (ekey == NULL)
		return;
	if (!(rate > 0) || rate > RATEMAX) {
		free(ekey);
		return;
	}
	add(h, ekey)->sample = rate;
}

void
history_put(struct history *h, const char *key, double rate)
{
	put(h, escape(key), rate);
}

void
history_put_uplink(struct history *h, double rate)
{
	put(h, xstrdup(UPLINK_KEY), rate);
}

/* Fold this run's samples into the entries of the file as it is now. */
static void
merge(struct history *disk, const struct history *h, int64_t now)
{
	const struct entry *s;
	struct entry *e;
	size_t i;

	for (i = 0; i < h->n; i++) {
		s = &h->e[i];
		if (s->sample <= 0)
			continue;
		e = add(disk, xstrdup(s->key));
		e->rate = e->rate > 0 ? NEW_WEIGHT * s->sample +
		    (1 - NEW_WEIGHT) * e->rate : s->sample;
		e->seen = now;
	}
}

static int
newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (y->seen > x->seen) - (y->seen < x->seen);
}

/* Write the newest HISTORY_MAX entries to a temp file, rename it over. */
static int
write_file(struct history *disk, const char *dir)
{
	char *tmp = xasprintf("%s/.rates.XXXXXX", dir);
	FILE *f;
	size_t i;
	int fd, ok;

	if (disk->n > 0)	/* e may be NULL, which qsort must not get */
		qsort(disk->e, disk->n, sizeof(*disk->e), newest_first);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	fprintf(f, "%s\n", MAGIC);
	for (i = 0; i < disk->n && i < HISTORY_MAX; i++)
		fprintf(f, "%s %.0f %lld\n", disk->e[i].key,
		    disk->e[i].rate, (long long)disk->e[i].seen);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	ok = ok && rename(tmp, disk->path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}

/* The directory of path (allocated), made 0700 (and its parent) if new. */
static char *
make_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *up;
	struct stat st;

	if (slash == NULL || slash == dir) {
		free(dir);
		return NULL;
	}
	*slash = '\0';
	if ((up = strrchr(dir, '/')) != NULL && up != dir) {
		*up = '\0';
		(void)mkdir(dir, 0700);		/* ~/.cache, if new */
		*up = '/';
	}
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid()) {
		free(dir);
		return NULL;
	}
	return dir;
}

int
history_save(struct history *h)
{
	struct history *disk;
	char *dir, *lock;
	int fd, rc = -1;

	if (h->path == NULL)
		return 0;
	if ((dir = make_dir(h->path)) == NULL) {
		verbose("rate history '%s' not saved: no directory of ours",
		    h->path);
		return -1;
	}
	lock = xasprintf("%s/rates.lock", dir);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd != -1 && flock(fd, LOCK_EX) == 0) {
		disk = history_new(h->path);
		read_file(disk);
		merge(disk, h, (int64_t)time(NULL));
		rc = write_file(disk, dir);
		history_free(disk);
	}
	if (rc == -1)
		verbose("rate history '%s' not saved: %s", h->path,
		    strerror(errno));
	if (fd != -1)
		close(fd);		/* and the lock with it */
	free(lock);
	free(dir);
	return rc;
}

void
history_free(struct history *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->e[i].key);
	free(h->e);
	strmap_free(h->index);
	free(h->path);
	free(h);
}
