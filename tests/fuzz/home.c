/*
 * The throwaway $HOME: what home_add() made is remembered and removed,
 * newest first, when the fuzzer exits normally.  After a crash the
 * directory stays behind in $TMPDIR, which is where it belongs.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "home.h"

#define MAX_MADE	16

static char	 home[PATH_MAX];
static char	*made[MAX_MADE];
static int	 nmade;

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz: cannot %s '%s'\n", what, path);
	abort();
}

static void
home_cleanup(void)
{
	while (nmade > 0) {
		nmade--;
		if (remove(made[nmade]) == -1)
			fprintf(stderr, "fuzz: cannot remove '%s'\n",
			    made[nmade]);
		free(made[nmade]);
	}
}

static void
remember(const char *path)
{
	if (nmade == MAX_MADE || (made[nmade] = strdup(path)) == NULL)
		die("remember", path);
	nmade++;
}

const char *
home_init(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(home, sizeof(home), "%s/fanscp-fuzz-XXXXXX", tmp);
	if (mkdtemp(home) == NULL)
		die("create", home);
	remember(home);
	atexit(home_cleanup);
	if (setenv("HOME", home, 1) == -1)
		die("set HOME to", home);
	return home;
}

void
home_add(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	if (text == NULL) {
		if (mkdir(path, 0700) == -1)
			die("create", path);
	} else {
		if ((fp = fopen(path, "w")) == NULL)
			die("create", path);
		if (fputs(text, fp) == EOF || fclose(fp) == EOF)
			die("write", path);
	}
	remember(path);
}
