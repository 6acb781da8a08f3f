/*
 * libFuzzer target for nodeset_expand(): the input, cut at its first NUL,
 * is one pattern.  Inputs are kept short, since a legal pattern may name
 * NODESET_MAX hosts and each costs its length.  The names must be
 * bracket-free, at most NODESET_MAX and NODESET_MAX_BYTES, and a failure
 * must leave nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nodeset.h"

/* The longest pattern tried; longer inputs are skipped. */
#define INPUT_MAX	128

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

/* Check the names a pattern of len bytes expanded to. */
static void
check_names(char **names, size_t n, size_t len)
{
	size_t i, bytes = 0;

	if (names == NULL || n == 0 || n > NODESET_MAX)
		abort();
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || strpbrk(names[i], "[]") != NULL ||
		    strlen(names[i]) > len + 10 * (len / 3))
			abort();
		bytes += strlen(names[i]) + 1;
	}
	if (bytes > NODESET_MAX_BYTES)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **names, err[256], *pat;
	size_t n;

	if (size > INPUT_MAX)
		return -1;
	pat = malloc(size + 1);
	if (pat == NULL)
		abort();
	memcpy(pat, data, size);
	pat[size] = '\0';
	err[0] = '\0';
	if (nodeset_expand(pat, &names, &n, err, sizeof(err)) == 0)
		check_names(names, n, strlen(pat));
	else if (names != NULL || n != 0 || err[0] == '\0' || has_cntrl(err))
		abort();
	nodeset_free(names, n);
	free(pat);
	return 0;
}
