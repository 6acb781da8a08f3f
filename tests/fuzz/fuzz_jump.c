/*
 * libFuzzer target for jump_parse(): the input, cut at its first NUL, is
 * one ProxyJump value (-J).  Every hop it returns is checked against what
 * jump.h promises: a host that is not empty and starts with no dash, a
 * port in 0..65535, a user (if any) not empty; at most JUMP_MAX_HOPS
 * hops, and as many as the value has commas plus one.  A refusal comes
 * with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jump.h"

/* The longest value tried; longer inputs are skipped. */
#define INPUT_MAX	1024

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jump_hop *hops = NULL;
	char *spec, err[256];
	size_t commas = 0, i;
	int n, k;

	if (size > INPUT_MAX)
		return -1;
	if ((spec = malloc(size + 1)) == NULL)
		abort();
	memcpy(spec, data, size);
	spec[size] = '\0';
	for (i = 0; spec[i] != '\0'; i++)
		commas += spec[i] == ',';
	err[0] = '\0';
	n = jump_parse(spec, &hops, err, sizeof(err));
	if (n < 0) {
		if (err[0] == '\0')
			abort();
	} else {
		if (n < 1 || n > JUMP_MAX_HOPS || (size_t)n != commas + 1)
			abort();
		for (k = 0; k < n; k++) {
			if (hops[k].host == NULL || hops[k].host[0] == '\0' ||
			    hops[k].host[0] == '-' ||
			    strpbrk(hops[k].host, " \t\n/@,$;'\"`") != NULL)
				abort();
			if (hops[k].port < 0 || hops[k].port > 65535)
				abort();
			if (hops[k].user != NULL && (hops[k].user[0] == '\0' ||
			    hops[k].user[0] == '-'))
				abort();
		}
		jump_hops_free(hops, n);
	}
	free(spec);
	return 0;
}
