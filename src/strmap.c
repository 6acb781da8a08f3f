/*
 * The string map: linear probing over a power-of-two table of (key,
 * counter) entries, FNV-1a hashes kept beside the keys, grown to twice its
 * size before it is 3/4 full.  Keys are never removed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xmalloc.h"

#define STRMAP_MIN	16

struct entry {
	char		*key;		/* NULL: empty */
	uint64_t	 hash;
	long		 val;
};

struct strmap {
	struct entry	*v;
	size_t		 cap;		/* a power of two */
	size_t		 n;
};

static uint64_t
strmap_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct strmap *
strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->cap = STRMAP_MIN;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	return m;
}

void
strmap_free(struct strmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	free(m);
}

/* The entry for key with this hash: its own, or the empty one it takes. */
static struct entry *
strmap_find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	while (m->v[i].key != NULL && (m->v[i].hash != h ||
	    strcmp(m->v[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static void
strmap_grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i;

	m->cap *= 2;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	for (i = 0; i < old.cap; i++)
		if (old.v[i].key != NULL)
			*strmap_find(m, old.v[i].key, old.v[i].hash) =
			    old.v[i];
	free(old.v);
}

long *
strmap_slot(struct strmap *m, const char *key)
{
	uint64_t h = strmap_hash(key);
	struct entry *e;

	if ((m->n + 1) * 4 > m->cap * 3)
		strmap_grow(m);
	e = strmap_find(m, key, h);
	if (e->key == NULL) {
		e->key = xstrdup(key);
		e->hash = h;
		e->val = 0;
		m->n++;
	}
	return &e->val;
}

long
strmap_get(const struct strmap *m, const char *key)
{
	const struct entry *e = strmap_find(m, key, strmap_hash(key));

	return e->key != NULL ? e->val : 0;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->n;
}
