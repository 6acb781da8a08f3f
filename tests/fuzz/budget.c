/*
 * An upper bound on the names a nodeset can expand to, read off the bytes
 * without parsing them.  A bracket group "[a-b,c]" names at most
 * (a + 1) + (b + 1) + (c + 1) numbers, whatever its syntax, and a pattern
 * at most the product of its groups.  Brackets that nodeset.c would
 * reject only make the bound larger, so it never lets too much through.
 */
#include <stdint.h>

#include "budget.h"

/* At most this many names per input: NODESET_MAX and its error path. */
#define BUDGET_NAMES	1100000ULL
/* At most this many bytes for the names and their targets' copies. */
#define BUDGET_BYTES	(512ULL * 1024 * 1024)
/* What a target costs beyond its strings: malloc and ASan overheads. */
#define NAME_OVERHEAD	256ULL
/* Any bound at least this large is over budget. */
#define SATURATE	(1ULL << 40)

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b > SATURATE ? SATURATE : a + b;
}

static uint64_t
sat_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > SATURATE / a)
		return SATURATE;
	return a * b;
}

/* The bound on the names the pattern [s, e) can expand to. */
static uint64_t
pattern_bound(const char *s, const char *e)
{
	uint64_t names = 1, group = 0, v = 0;
	int inside = 0, digits = 0;

	for (; s <= e; s++) {
		if (s < e && *s >= '0' && *s <= '9' && inside) {
			v = digits++ < 13 ? v * 10 + (uint64_t)(*s - '0') :
			    SATURATE;
			continue;
		}
		if (digits > 0)
			group = sat_add(group, sat_add(v, 1));
		v = 0;
		digits = 0;
		if (s < e && *s != '[' && *s != ']')
			continue;
		if (inside)
			names = sat_mul(names, group > 0 ? group : 1);
		inside = s < e && *s == '[';
		group = 0;
	}
	return names;
}

int
budget_ok(const char *data, size_t size, int bylines)
{
	const char *s = data, *e, *end = data + size;
	uint64_t names = 0, bytes = 0, n, len;

	while (s < end) {
		for (e = s; bylines && e < end && *e != '\n'; e++)
			;
		if (!bylines)
			e = end;
		n = pattern_bound(s, e);
		len = (uint64_t)(e - s);
		names = sat_add(names, n);
		bytes = sat_add(bytes, sat_mul(n, 2 * len + NAME_OVERHEAD));
		s = e + 1;
	}
	return names <= BUDGET_NAMES && bytes <= BUDGET_BYTES;
}
