/*
 * libFuzzer target for the ssh_config parser: the input is a file's
 * text, loaded with sshconf_load_text() and then resolved for two fixed
 * hosts.  A line "-o Key=Value" is also given to sshconf_add_option()
 * first (as a file line it is an unknown keyword, so it is ignored).
 *
 * The run is hermetic: $HOME is a fresh directory whose ~/.ssh holds
 * two fixed files to Include, one of them including itself, and glob()
 * is wrapped (-Wl,--wrap=glob) so that an Include of anything outside
 * $HOME, such as /dev/zero, matches nothing.
 */
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "home.h"
#include "sshconf.h"

/* The largest configuration tried; larger inputs are skipped. */
#define INPUT_MAX	16384
/* The most -o lines honoured per input. */
#define MAX_OPTIONS	8
#define NAME		"fuzz_config"
#define OPT_PREFIX	"-o "

/* Files under ~/.ssh that "Include" can reach. */
#define INC_TEXT	"Host web*\n\tUser deploy\n\tPort 2200\n" \
			"Match host x\n\tIdentityFile ~/.ssh/id_%r@%h\n"
#define LOOP_TEXT	"Include loop\n"

int	LLVMFuzzerInitialize(int *, char ***);
/*
 * Returning -1 skips an input: libFuzzer 15 and later keep it out of the
 * corpus, and 14 ignores the value.
 */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	__real_glob(const char *, int, int (*)(const char *, int), glob_t *);
int	__wrap_glob(const char *, int, int (*)(const char *, int), glob_t *);

static const char	*home;
static size_t		 homelen;

/* glob(), but only under $HOME; nothing else exists for the fuzzer. */
int
__wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *gl)
{
	if (strncmp(pattern, home, homelen) != 0 || pattern[homelen] != '/' ||
	    strstr(pattern, "..") != NULL)
		return GLOB_NOMATCH;
	return __real_glob(pattern, flags, errfunc, gl);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	home = home_init();
	homelen = strlen(home);
	home_add(".ssh", NULL);
	home_add(".ssh/inc", INC_TEXT);
	home_add(".ssh/loop", LOOP_TEXT);
	/* One variable is set, so ${FANSCP_FUZZ} expands; others do not. */
	setenv("FANSCP_FUZZ", "/var/fuzz", 1);
	return 0;
}

/* Give each "-o " line of [text, text + len) to sshconf_add_option(). */
static void
add_options(struct sshconf *c, const char *text, size_t len)
{
	const char *s = text, *end = text + len, *nl;
	char err[512], *opt;
	int n = 0;

	for (; s < end && n < MAX_OPTIONS; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if ((size_t)(nl - s) <= strlen(OPT_PREFIX) ||
		    strncmp(s, OPT_PREFIX, strlen(OPT_PREFIX)) != 0)
			continue;
		s += strlen(OPT_PREFIX);
		if ((opt = strndup(s, (size_t)(nl - s))) == NULL)
			abort();
		err[0] = '\0';
		if (sshconf_add_option(c, opt, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
		free(opt);
		n++;
	}
}

/* Check what a resolution that failed or succeeded left in h. */
static void
check_cfg(const struct hostcfg *h, int r, const char *err)
{
	size_t i;

	if (r == -1) {
		if (err[0] == '\0' || h->hostname != NULL || h->user != NULL ||
		    h->identity_files != NULL || h->user_known_hosts != NULL)
			abort();
		return;
	}
	if (h->port < 0 || h->port > 65535 || h->strict < SHK_UNSET ||
	    h->strict > SHK_ASK)
		abort();
	for (i = 0; i < h->n_identity_files; i++)
		if (h->identity_files[i] == NULL)
			abort();
	if (h->user_known_hosts_none != (h->n_user_known_hosts == 0))
		abort();
	if (h->global_known_hosts_none != (h->n_global_known_hosts == 0))
		abort();
}

static void
resolve(const struct sshconf *c, const char *host, const char *user)
{
	struct hostcfg h;
	char err[512];
	int r;

	err[0] = '\0';
	r = sshconf_resolve(c, host, user, &h, err, sizeof(err));
	check_cfg(&h, r, err);
	hostcfg_release(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshconf *c;
	char err[512], *text;

	if (size > INPUT_MAX)
		return -1;
	/* Exactly size bytes, no NUL: a read past the end is caught. */
	if ((text = malloc(size)) == NULL && size > 0)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	c = sshconf_new();
	add_options(c, text, size);
	err[0] = '\0';
	if (sshconf_load_text(c, text, size, NAME, err, sizeof(err)) == -1) {
		if (strncmp(err, NAME ":", strlen(NAME ":")) != 0 &&
		    strstr(err, "/.ssh/") == NULL)
			abort();
	}
	resolve(c, "web01", NULL);
	resolve(c, "x", "root");
	sshconf_free(c);
	free(text);
	return 0;
}
