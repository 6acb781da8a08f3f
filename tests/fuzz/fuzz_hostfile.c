/*
 * libFuzzer target for hostfile_parse(): the input is the text of a host
 * file, given with its exact length and no terminating NUL, so a read
 * past the end is caught.  As for TARGETs, a failure must leave the list
 * as it was and every target added must be well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "target.h"

/* The largest host file tried; larger inputs are skipped. */
#define INPUT_MAX	16384
#define NAME		"fuzz_hosts"
#define PATH		"/srv/dst"

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

/* Check what hostfile_parse() added to l past its first n targets. */
static void
check_added(const struct target_list *l, size_t n)
{
	const struct target *t;
	size_t i;

	for (i = n; i < l->n; i++) {
		t = &l->v[i];
		/* An scp:// line's own path wins over the lone PATH. */
		if (t->host == NULL || t->host[0] == '\0' ||
		    t->path == NULL ||
		    t->port < 0 || t->port > 65535 ||
		    (t->user != NULL && t->user[0] == '\0'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target_list l = { 0 };
	struct target keep = { NULL, "keep", 0, "" };
	char err[512], *text;

	if (size > INPUT_MAX || !budget_ok((const char *)data, size, 1))
		return -1;
	/* malloc(0) may return NULL, which hostfile_parse() never reads. */
	text = malloc(size);
	if (text == NULL && size > 0)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	target_list_add(&l, &keep);
	err[0] = '\0';
	if (hostfile_parse(text, size, NAME, PATH, &l, err,
	    sizeof(err)) == 0)
		check_added(&l, 1);
	else if (l.n != 1 || strcmp(l.v[0].host, "keep") != 0 ||
	    strncmp(err, NAME ":", strlen(NAME ":")) != 0 || has_cntrl(err))
		abort();
	target_list_release(&l);
	free(text);
	return 0;
}
