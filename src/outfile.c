/* Report files written whole or not at all: a temp file, then rename. */
#include <sys/stat.h>

#include <errno.h>
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
		snprintf(err, errlen, "cannot create '%s': %s", o->tmp,
		    strerror(errno));
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

int
outfile_open(struct outfile *o, const char *path, char *err, size_t errlen)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	o->path = xstrdup(path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((o->f = fopen(path, "w")) != NULL)
			return 0;
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	} else if (open_tmp(o, err, errlen) == 0)
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
