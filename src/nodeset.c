/*
 * Nodesets: expand "web[01-03,7]" into web01 web02 web03 web7.  A pattern
 * is parsed into groups, each a run of literal text followed by one
 * bracket group of ranges, and the names are then read off an odometer
 * whose last group turns fastest.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "nodeset.h"
#include "xmalloc.h"

/* The most digits a number in brackets may have. */
#define NUM_DIGITS_MAX	10

/* One range of a bracket group: lo-hi, or a lone number when lo == hi. */
struct range {
	uint64_t	 lo;
	uint64_t	 hi;
	int		 width;		/* zero-pad to this many digits */
};

/* Literal text, then one bracket group, with the odometer's wheel. */
struct group {
	const char	*pre;		/* the literal text before '[' */
	size_t		 prelen;
	struct range	*r;
	size_t		 nr;
	size_t		 ri;		/* the wheel: current range */
	uint64_t	 v;		/* the wheel: current value */
};

struct pattern {
	const char	*src;		/* the whole pattern */
	struct group	*g;
	size_t		 ng;
	const char	*tail;		/* literal text after the last ']' */
	size_t		 taillen;
	uint64_t	 total;		/* how many names it expands to */
};

static int	reason(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Write a reason into why and return -1. */
static int
reason(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse the digits of [s, e) into *v; they are known to be digits. */
static int
parse_num(const char *s, const char *e, uint64_t *v, char *why,
    size_t whylen)
{
	uint64_t n = 0;
	const char *p;

	if (e - s > NUM_DIGITS_MAX)
		return reason(why, whylen, "number '%.*s' is too large",
		    (int)(e - s), s);
	for (p = s; p < e; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	*v = n;
	return 0;
}

/*
 * Parse one element of a bracket group, "7" or "09-12", held in [s, e).
 * Padding comes from the lower bound: "09" pads to two digits.
 */
static int
parse_range(const char *s, const char *e, struct range *r, char *why,
    size_t whylen)
{
	const char *p, *dash = NULL;
	int len = (int)(e - s);

	if (s == e)
		return reason(why, whylen, "empty element in brackets");
	for (p = s; p < e; p++) {
		if (*p == '-' && dash == NULL)
			dash = p;
		else if (!is_digit(*p) && *p != '-')
			return reason(why, whylen,
			    "bad character '%c' in brackets", *p);
	}
	if (dash == NULL)
		dash = e;
	if (dash == s || (dash < e && (dash + 1 == e ||
	    memchr(dash + 1, '-', (size_t)(e - dash - 1)) != NULL)))
		return reason(why, whylen, "bad range '%.*s'", len, s);
	if (parse_num(s, dash, &r->lo, why, whylen) == -1)
		return -1;
	r->hi = r->lo;
	if (dash < e && parse_num(dash + 1, e, &r->hi, why, whylen) == -1)
		return -1;
	if (r->lo > r->hi)
		return reason(why, whylen, "reversed range '%.*s'", len, s);
	r->width = (*s == '0' && dash - s > 1) ? (int)(dash - s) : 0;
	return 0;
}

/* Parse the bracket group that opens at s; *endp is set past its ']'. */
static int
parse_group(const char *s, struct group *g, const char **endp, char *why,
    size_t whylen)
{
	const char *close, *e, *comma;

	close = s + 1 + strcspn(s + 1, "[]");
	if (*close == '\0')
		return reason(why, whylen, "missing ']'");
	if (*close == '[')
		return reason(why, whylen, "nested '['");
	if (close == s + 1)
		return reason(why, whylen, "empty brackets '[]'");
	for (e = s + 1;; e = comma + 1) {
		comma = memchr(e, ',', (size_t)(close - e));
		if (comma == NULL)
			comma = close;
		g->r = xreallocarray(g->r, g->nr + 1, sizeof(*g->r));
		if (parse_range(e, comma, &g->r[g->nr], why, whylen) == -1)
			return -1;
		g->nr++;
		if (comma == close)
			break;
	}
	*endp = close + 1;
	return 0;
}

/* How many numbers a group names, capped just past NODESET_MAX. */
static uint64_t
group_count(const struct group *g)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < g->nr && n <= NODESET_MAX; i++)
		n += g->r[i].hi - g->r[i].lo + 1;
	return n;
}

/* Add a group to p for the '[' at s and parse it. */
static int
add_group(struct pattern *p, const char *lit, const char *s,
    const char **endp, char *why, size_t whylen)
{
	struct group *g;
	uint64_t n;

	p->g = xreallocarray(p->g, p->ng + 1, sizeof(*p->g));
	g = &p->g[p->ng++];
	memset(g, 0, sizeof(*g));
	g->pre = lit;
	g->prelen = (size_t)(s - lit);
	if (parse_group(s, g, endp, why, whylen) == -1)
		return -1;
	n = group_count(g);
	if (n > NODESET_MAX || p->total * n > NODESET_MAX)
		return reason(why, whylen, "more than %d names",
		    NODESET_MAX);
	p->total *= n;
	return 0;
}

static int
parse_pattern(struct pattern *p, char *why, size_t whylen)
{
	const char *lit = p->src, *s;

	if (*lit == '\0')
		return reason(why, whylen, "empty pattern");
	p->total = 1;
	for (;;) {
		s = lit + strcspn(lit, "[]");
		if (*s == ']')
			return reason(why, whylen, "unexpected ']'");
		if (*s == '\0')
			break;
		if (add_group(p, lit, s, &lit, why, whylen) == -1)
			return -1;
	}
	p->tail = lit;
	p->taillen = (size_t)(s - lit);
	return 0;
}

/* Write the name the odometer shows into buf, which is big enough. */
static char *
format_name(const struct pattern *p, char *buf, size_t cap)
{
	const struct group *g;
	size_t i, off = 0;
	int n;

	for (i = 0; i < p->ng; i++) {
		g = &p->g[i];
		memcpy(buf + off, g->pre, g->prelen);
		off += g->prelen;
		n = snprintf(buf + off, cap - off, "%0*" PRIu64,
		    g->r[g->ri].width, g->v);
		off += (size_t)n;
	}
	memcpy(buf + off, p->tail, p->taillen);
	off += p->taillen;
	return xstrndup(buf, off);
}

/* Turn the odometer one step; the last group turns fastest. */
static void
advance(struct pattern *p)
{
	struct group *g;
	size_t i;

	for (i = p->ng; i-- > 0;) {
		g = &p->g[i];
		if (g->v < g->r[g->ri].hi) {
			g->v++;
			return;
		}
		if (++g->ri < g->nr) {
			g->v = g->r[g->ri].lo;
			return;
		}
		g->ri = 0;
		g->v = g->r[0].lo;
	}
}

/* The longest name p can make: a group's "[...]" yields at most 10. */
static size_t
name_cap(const struct pattern *p)
{
	return strlen(p->src) + p->ng * NUM_DIGITS_MAX + 1;
}

static char **
expand(struct pattern *p)
{
	char **names, *buf;
	size_t i, cap = name_cap(p);

	buf = xmalloc(cap);
	for (i = 0; i < p->ng; i++) {
		p->g[i].ri = 0;
		p->g[i].v = p->g[i].r[0].lo;
	}
	names = xcalloc((size_t)p->total, sizeof(*names));
	for (i = 0; i < p->total; i++) {
		names[i] = format_name(p, buf, cap);
		advance(p);
	}
	free(buf);
	return names;
}

static void
pattern_release(struct pattern *p)
{
	size_t i;

	for (i = 0; i < p->ng; i++)
		free(p->g[i].r);
	free(p->g);
	p->g = NULL;
	p->ng = 0;
}

int
nodeset_expand(const char *pattern, char ***names, size_t *count,
    char *err, size_t errlen)
{
	struct pattern p;
	char why[256];
	int r = 0;

	*names = NULL;
	*count = 0;
	memset(&p, 0, sizeof(p));
	p.src = pattern;
	why[0] = '\0';
	if (parse_pattern(&p, why, sizeof(why)) == 0 &&
	    p.total * name_cap(&p) > NODESET_MAX_BYTES)
		reason(why, sizeof(why), "%llu names this long would take "
		    "more than %d MiB", (unsigned long long)p.total,
		    NODESET_MAX_BYTES >> 20);
	if (why[0] != '\0') {
		char shown[72];

		snprintf(err, errlen, "bad nodeset '%s': %s",
		    fmt_ends(shown, sizeof(shown), pattern), why);
		if (errlen > 0)
			fmt_noctrl(err);
		r = -1;
	} else {
		*names = expand(&p);
		*count = (size_t)p.total;
	}
	pattern_release(&p);
	return r;
}

void
nodeset_free(char **names, size_t count)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/*
 * Folding, the inverse: each name is split around its last run of digits
 * (prefix, number, suffix), and names that share the prefix and the suffix
 * fold into one bracket group.  Padding is kept: a number with a leading
 * zero ("007") only folds with numbers of its width, and so does one
 * without ("10") where such padded numbers exist; the others fold
 * unpadded ("web9", "web10" give "web[9-10]"), as nodeset_expand() reads
 * them back.  Only plain host names fold; anything else (a label with a
 * port, an address with ':') is kept as it is.
 */
struct fold {
	const char	*name;
	size_t		 prelen;	/* the prefix: name[0, prelen) */
	size_t		 numlen;	/* 0: the name does not fold */
	uint64_t	 num;
	int		 width;		/* the group's padding; 0: none */
};

/* The most digits a folded number may have (it fits a uint64_t). */
#define FOLD_DIGITS_MAX	18

/* Split name for folding (see above). */
static void
fold_split(struct fold *f, const char *name)
{
	size_t len = strlen(name), e, s;

	memset(f, 0, sizeof(*f));
	f->name = name;
	f->prelen = len;
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != len)
		return;
	for (e = len; e > 0 && !is_digit(name[e - 1]); e--)
		;
	for (s = e; s > 0 && is_digit(name[s - 1]); s--)
		;
	if (e == 0 || e - s > FOLD_DIGITS_MAX)
		return;
	f->prelen = s;
	f->numlen = e - s;
	for (; s < e; s++)
		f->num = f->num * 10 + (uint64_t)(name[s] - '0');
}

static int
fold_padded(const struct fold *f)
{
	return f->numlen > 1 && f->name[f->prelen] == '0';
}

/* Order by prefix, whether the name folds, then suffix: 0 in one run. */
static int
fold_run_cmp(const struct fold *a, const struct fold *b)
{
	size_t n = a->prelen < b->prelen ? a->prelen : b->prelen;
	int c;

	if ((c = memcmp(a->name, b->name, n)) != 0)
		return c;
	if (a->prelen != b->prelen)
		return a->prelen < b->prelen ? -1 : 1;
	if ((a->numlen == 0) != (b->numlen == 0))
		return a->numlen == 0 ? -1 : 1;
	return strcmp(a->name + a->prelen + a->numlen,
	    b->name + b->prelen + b->numlen);
}

/* Then by padding and number (and digit count, for repeats). */
static int
fold_cmp(const void *va, const void *vb)
{
	const struct fold *a = va, *b = vb;
	int c;

	if ((c = fold_run_cmp(a, b)) != 0)
		return c;
	if (a->width != b->width)
		return a->width < b->width ? -1 : 1;
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return a->numlen < b->numlen ? -1 : a->numlen > b->numlen;
}

/* Give each name of the run v[0, n) its group's padding (see above). */
static void
fold_widths(struct fold *v, size_t n)
{
	char padded[FOLD_DIGITS_MAX + 1] = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (fold_padded(&v[i]))
			padded[v[i].numlen] = 1;
	for (i = 0; i < n; i++)
		v[i].width = padded[v[i].numlen] ? (int)v[i].numlen : 0;
}

/* Append s to the growing string *buf. */
static void
fold_cat(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* One folded name from the group v[0, n), sorted, without repeats. */
static char *
fold_group(const struct fold *v, size_t n)
{
	char *buf = NULL, num[64];
	size_t len = 0, cap = 0, i, j;
	int w = v[0].width;

	if (n == 1 || v[0].numlen == 0)
		return xstrdup(v[0].name);
	fold_cat(&buf, &len, &cap, v[0].name, v[0].prelen);
	fold_cat(&buf, &len, &cap, "[", 1);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].num == v[j - 1].num + 1; j++)
			;
		if (j - i == 1)
			snprintf(num, sizeof(num), "%s%0*" PRIu64,
			    i > 0 ? "," : "", w, v[i].num);
		else
			snprintf(num, sizeof(num), "%s%0*" PRIu64 "-%0*" PRIu64,
			    i > 0 ? "," : "", w, v[i].num, w, v[j - 1].num);
		fold_cat(&buf, &len, &cap, num, strlen(num));
	}
	fold_cat(&buf, &len, &cap, "]", 1);
	fold_cat(&buf, &len, &cap, v[0].name + v[0].prelen + v[0].numlen,
	    strlen(v[0].name + v[0].prelen + v[0].numlen));
	return buf;
}

/*
 * Keep one run's groups (differing only in padding) in the order of their
 * lowest numbers: the last one, just added, moves to its place.
 */
static void
fold_order(char **out, uint64_t *first, size_t n)
{
	size_t i;
	uint64_t f;
	char *o;

	for (i = n - 1; i > 0 && first[i - 1] > first[i]; i--) {
		f = first[i];
		first[i] = first[i - 1];
		first[i - 1] = f;
		o = out[i];
		out[i] = out[i - 1];
		out[i - 1] = o;
	}
}

size_t
nodeset_fold(const char *const *names, size_t n, char ***out)
{
	struct fold *v = xcalloc(n ? n : 1, sizeof(*v));
	size_t i, j, m = 0, nout = 0, run = 0;
	uint64_t *first;

	for (i = 0; i < n; i++)
		fold_split(&v[i], names[i]);
	qsort(v, n, sizeof(*v), fold_cmp);
	/* Drop repeats: the same name twice is one host. */
	for (i = 0; i < n; i++)
		if (m == 0 || strcmp(v[m - 1].name, v[i].name) != 0)
			v[m++] = v[i];
	for (i = 0; i < m; i = j) {
		for (j = i + 1; j < m && fold_run_cmp(&v[i], &v[j]) == 0; j++)
			;
		fold_widths(&v[i], j - i);
	}
	qsort(v, m, sizeof(*v), fold_cmp);
	*out = xcalloc(m ? m : 1, sizeof(**out));
	first = xcalloc(m ? m : 1, sizeof(*first));
	for (i = 0; i < m; i = j) {
		for (j = i + 1; j < m && v[i].numlen != 0 &&
		    fold_run_cmp(&v[i], &v[j]) == 0 &&
		    v[i].width == v[j].width; j++)
			;
		if (i == 0 || fold_run_cmp(&v[i - 1], &v[i]) != 0)
			run = nout;
		first[nout] = v[i].num;
		(*out)[nout++] = fold_group(&v[i], j - i);
		fold_order(*out + run, first + run, nout - run);
	}
	free(first);
	free(v);
	return nout;
}
