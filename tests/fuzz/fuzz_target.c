/*
 * libFuzzer target for target_parse() and target_parse_exec(): the input,
 * cut at its first NUL, is one command-line TARGET.  The parse goes into a list that already
 * holds a target, so a failure can be seen to leave it unchanged, and
 * every target it adds is checked against what target.h promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "target.h"

/* The longest TARGET tried; longer inputs are skipped. */
#define INPUT_MAX	4096

/*
 * Returning -1 skips an input: libFuzzer 15 and later keep it out of the
 * corpus, and 14 ignores the value.
 */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether s holds a control character, which no message may. */
static int
has_cntrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Check what target_parse() added to l past its first n targets. */
static void
check_added(const struct target_list *l, size_t n)
{
	const struct target *t;
	size_t i;

	if (l->n <= n)
		abort();
	for (i = n; i < l->n; i++) {
		t = &l->v[i];
		if (t->host == NULL || t->host[0] == '\0' ||
		    t->path == NULL || t->port < 0 || t->port > 65535 ||
		    (t->user != NULL && t->user[0] == '\0'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list l = { 0 };
	struct target keep = { NULL, "keep", 0, "" };
	const char *path;
	char err[512], *arg;
	size_t n;

	if (size > INPUT_MAX || !budget_ok((const char *)data, size, 0))
		return -1;
	arg = malloc(size + 1);
	if (arg == NULL)
		abort();
	memcpy(arg, data, size);
	arg[size] = '\0';
	target_list_add(&l, &keep);
	err[0] = '\0';
	if (target_parse(arg, &l, err, sizeof(err)) == 0)
		check_added(&l, 1);
	else if (l.n != 1 || strcmp(l.v[0].host, "keep") != 0 ||
	    err[0] == '\0' || has_cntrl(err))
		abort();
	if (target_is_lone_path(arg, &path) && path != arg + 1)
		abort();
	target_list_release(&l);
	if (l.v != NULL || l.n != 0)
		abort();
	/* Under --exec: hosts only, never a path. */
	target_list_add(&l, &keep);
	err[0] = '\0';
	if (target_parse_exec(arg, &l, err, sizeof(err)) == 0) {
		check_added(&l, 1);
		for (n = 1; n < l.n; n++)
			if (l.v[n].path[0] != '\0')
				abort();
	} else if (l.n != 1 || strcmp(l.v[0].host, "keep") != 0 ||
	    err[0] == '\0' || has_cntrl(err))
		abort();
	target_list_release(&l);
	free(arg);
	return 0;
}
