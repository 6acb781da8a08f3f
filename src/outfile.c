/* Report files written whole or not at all: a temp file, then rename. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "xmalloc.h"

/* The temp files open now, for outfile_unlink_all() (--json, --failed). */
#define OUTFILE_MAX	4
static char *volatile open_tmps[OUTFILE_MAX];

static void
track(char *tmp, int on)
{
	int i;

	for (i = 0; i < OUTFILE_MAX; i++)
		if (on ? open_tmps[i] == NULL : open_tmps[i] == tmp) {
			open_tmps[i] = on ? tmp : NULL;
			return;
		}
}

/* A temp file beside path, mode 0666 less the umask as fopen() gives. */
static int
open_tmp(struct outfile *o, char *err, size_t errlen)
{
	mode_t mask;
	int fd;

	o->tmp = xasprintf("%s.fanscp.XXXXXX", o->path);
	if ((fd = mkstemp(o->tmp)) == -1) {
		snprintf(err, errlen, "cannot create '%s.fanscp.XXXXXX': %s",
		    o->path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	if ((o->f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", o->tmp,
		    strerror(errno));
		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	track(o->tmp, 1);
	return 0;
}

/* Symlinks followed at most, as the kernel's limit. */
#define LINKS_MAX	40

/* name, in the directory of path. */
static char *
beside(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(name);
	return xasprintf("%.*s%s", (int)(slash - path + 1), path, name);
}

/*
 * Where a report at path (a symlink) goes: the end of its chain of links,
 * the file it names or, for a dangling link, the path it names, with that
 * directory's real path.  NULL and errno when a link cannot be read or
 * the directory does not exist.
 */
static char *
follow(const char *path)
{
	char *cur = xstrdup(path), *next, *dir, *real, *name;
	struct stat st;
	ssize_t len;
	int hops;

	for (hops = 0; lstat(cur, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		if (hops == LINKS_MAX) {
			free(cur);
			errno = ELOOP;
			return NULL;
		}
		next = xmalloc(PATH_MAX);
		if ((len = readlink(cur, next, PATH_MAX)) < 0 ||
		    len == PATH_MAX) {
			if (len == PATH_MAX)
				errno = ENAMETOOLONG;
			free(next);
			free(cur);
			return NULL;
		}
		next[len] = '\0';
		if (next[0] != '/') {
			/* Relative to the link's own directory. */
			dir = beside(cur, next);
			free(next);
			next = dir;
		}
		free(cur);
		cur = next;
	}
	name = strrchr(cur, '/');
	dir = name == NULL ? xstrdup(".") : name == cur ? xstrdup("/") :
	    xasprintf("%.*s", (int)(name - cur), cur);
	real = realpath(dir, NULL);
	free(dir);
	if (real == NULL) {
		free(cur);
		return NULL;
	}
	next = xasprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real,
	    name == NULL ? cur : name + 1);
	free(real);
	free(cur);
	return next;
}

int
outfile_open(struct outfile *o, const char *path, char *err, size_t errlen)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* /dev/stdout, a FIFO: written in place, links and all. */
		if ((o->f = fopen(path, "w")) != NULL)
			return 0;
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	/*
	 * A symlink (to a file, or dangling) stays one: the temp file goes
	 * beside what it points to, and the rename replaces that.
	 */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if ((o->path = follow(path)) == NULL) {
			snprintf(err, errlen, "cannot follow the symlink "
			    "'%s': %s", path, strerror(errno));
			return -1;
		}
	} else
		o->path = xstrdup(path);
	if (open_tmp(o, err, errlen) == 0)
		return 0;
	free(o->path);
	o->path = NULL;
	return -1;
}

int
outfile_commit(struct outfile *o, char *err, size_t errlen)
{
	int bad;

	bad = fflush(o->f) != 0 || ferror(o->f);
	if (o->tmp != NULL && !bad)
		bad = fsync(fileno(o->f)) != 0;
	if (o->f != stdout && fclose(o->f) != 0)
		bad = 1;
	if (!bad && o->tmp != NULL && rename(o->tmp, o->path) != 0)
		bad = 1;
	if (bad)
		snprintf(err, errlen, "cannot write '%s': %s",
		    o->path ? o->path : "stdout", strerror(errno));
	if (bad && o->tmp != NULL)
		unlink(o->tmp);
	if (o->tmp != NULL)
		track(o->tmp, 0);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return bad ? -1 : 0;
}

void
outfile_unlink_all(void)
{
	int i;

	for (i = 0; i < OUTFILE_MAX; i++)
		if (open_tmps[i] != NULL)
			unlink(open_tmps[i]);
}
