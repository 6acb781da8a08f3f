/* The end-of-run report on stderr, and the --failed list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "host.h"
#include "nodeset.h"
#include "report.h"
#include "strmap.h"
#include "target.h"
#include "unittest.h"
#include "xmalloc.h"

#define SLOW_FACTOR	4	/* below the median, at least: a straggler */
#define SLOW_NAMED	5	/* stragglers named, at most */

/*
 * Up to this many hosts not done, each gets its own line; past it, hosts
 * that failed alike share one, and only so many of those lines are shown.
 */
#define REPORT_EACH_MAX		10
#define REPORT_GROUPS_MAX	20
/* About the most bytes of host names one grouped line shows. */
#define REPORT_NAMES_MAX	200

/* One "host: reason" line per host not done, as given. */
static void
report_each(FILE *f, const struct host *hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (hosts[i].status == HOST_DONE)
			continue;
		fprintf(f, "%s: %s%s", hosts[i].name,
		    hosts[i].status == HOST_UNKNOWN ? "unknown: " : "",
		    hosts[i].err[0] ? hosts[i].err : "not finished");
		if (hosts[i].attempts > 1)
			fprintf(f, " (%d attempts)", hosts[i].attempts);
		fputc('\n', f);
	}
}

/*
 * A reason without what differs from host to host: the host's own name
 * quoted ("cannot resolve 'web07'") and a parenthesis that names an
 * address and port ("connection refused (192.0.2.7 port 22)") are
 * dropped, so that hosts that failed alike share one line.
 */
STATIC char *
report_reason(const char *err, const char *host)
{
	char *r = xstrdup(err[0] ? err : "not finished"), *p, *q;
	char *name = xasprintf(" '%s'", host);

	while ((p = strstr(r, name)) != NULL)
		memmove(p, p + strlen(name), strlen(p + strlen(name)) + 1);
	for (p = r; (p = strstr(p, " (")) != NULL; ) {
		if ((q = strchr(p, ')')) == NULL)
			break;
		if (memmem(p, (size_t)(q - p), " port ", 6) == NULL) {
			p += 2;
			continue;
		}
		memmove(p, q + 1, strlen(q + 1) + 1);
	}
	free(name);
	return r;
}

/* A group of hosts that failed for one reason. */
struct group {
	char		*reason;	/* "unknown: " and the reason */
	const char	**names;
	size_t		 n;
};

/*
 * "web[01-03,07],db[1-2]: reason (5 hosts)": the group's hosts folded
 * into nodesets, cut after about REPORT_NAMES_MAX bytes.
 */
static void
report_group(FILE *f, const struct group *g)
{
	char **folded;
	size_t k, i, len = 0;

	k = nodeset_fold(g->names, g->n, &folded);
	for (i = 0; i < k; i++) {
		if (i > 0 && len + strlen(folded[i]) > REPORT_NAMES_MAX) {
			fputs(",...", f);
			break;
		}
		fprintf(f, "%s%s", i > 0 ? "," : "", folded[i]);
		len += strlen(folded[i]) + 1;
	}
	fprintf(f, ": %s", g->reason);
	if (g->n > 1)
		fprintf(f, " (%zu hosts)", g->n);
	fputc('\n', f);
	nodeset_free(folded, k);
}

/* The group key of a host not done: "unknown: " if so, and its reason. */
static char *
report_key(const struct host *h)
{
	char *reason = report_reason(h->err, h->t.host), *key;

	key = xasprintf("%s%s", h->status == HOST_UNKNOWN ? "unknown: " : "",
	    reason);
	free(reason);
	return key;
}

/*
 * Sort the hosts not done into groups by reason, in order of appearance:
 * a first pass counts each group, so that memory stays O(hosts).
 */
static struct group *
report_grouped(const struct host *hosts, size_t n, size_t *ngroups)
{
	struct strmap *seen = strmap_new();
	struct group *g = xcalloc(n ? n : 1, sizeof(*g));
	size_t i, m = 0, *gi = xcalloc(n ? n : 1, sizeof(*gi));
	long *slot;
	char *key;

	for (i = 0; i < n; i++) {
		if (hosts[i].status == HOST_DONE)
			continue;
		key = report_key(&hosts[i]);
		slot = strmap_slot(seen, key);
		if (*slot == 0) {
			*slot = (long)++m;
			g[m - 1].reason = key;
		} else
			free(key);
		gi[i] = (size_t)*slot;
		g[*slot - 1].n++;
	}
	for (i = 0; i < m; i++) {
		g[i].names = xcalloc(g[i].n, sizeof(char *));
		g[i].n = 0;
	}
	for (i = 0; i < n; i++)
		if (gi[i] > 0)
			g[gi[i] - 1].names[g[gi[i] - 1].n++] = hosts[i].name;
	strmap_free(seen);
	free(gi);
	*ngroups = m;
	return g;
}

/*
 * "host: --then failed (status N): output; the copy is done": one line
 * for each host whose --then failed, up to REPORT_EACH_MAX of them.
 */
static void
report_then(FILE *f, const struct host *hosts, size_t n)
{
	size_t i, shown = 0, more = 0;

	for (i = 0; i < n; i++) {
		if (!host_then_failed(&hosts[i]))
			continue;
		if (shown++ >= REPORT_EACH_MAX) {
			more++;
			continue;
		}
		fprintf(f, "%s: --then failed (status %d)%s%s; the copy is "
		    "done\n", hosts[i].name, hosts[i].then_status,
		    hosts[i].then_out[0] ? ": " : "", hosts[i].then_out);
	}
	if (more > 0)
		fprintf(f, "fanscp: and %zu more hosts whose --then failed "
		    "(--json lists every host)\n", more);
}

size_t
report_then_failed(const struct host *hosts, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += host_then_failed(&hosts[i]);
	return k;
}

void
report_failures(FILE *f, const struct host *hosts, size_t n)
{
	struct group *g;
	size_t i, m, bad = 0, rest = 0;

	report_then(f, hosts, n);
	for (i = 0; i < n; i++)
		bad += hosts[i].status != HOST_DONE;
	if (bad <= REPORT_EACH_MAX) {
		report_each(f, hosts, n);
		return;
	}
	g = report_grouped(hosts, n, &m);
	for (i = 0; i < m; i++) {
		if (i < REPORT_GROUPS_MAX)
			report_group(f, &g[i]);
		else
			rest += g[i].n;
		free(g[i].reason);
		free(g[i].names);
	}
	if (m > REPORT_GROUPS_MAX)
		fprintf(f, "fanscp: and %zu more hosts, for %zu other reasons "
		    "(--json and --failed list every host)\n", rest,
		    m - REPORT_GROUPS_MAX);
	free(g);
}

void
report_retry_list(FILE *f, const struct host *hosts, size_t n,
    int with_unknown)
{
	size_t i;
	char *uri;

	for (i = 0; i < n; i++) {
		if (hosts[i].status == HOST_DONE ||
		    (hosts[i].status == HOST_UNKNOWN && !with_unknown))
			continue;
		uri = target_uri(&hosts[i].t);
		fprintf(f, "%s\n", uri);
		free(uri);
	}
}

/* "; retried: web03 (2 attempts), ...": hosts that took more than one. */
static void
report_retried(FILE *f, const struct host *hosts, size_t n)
{
	const char *sep = "; retried: ";
	size_t i, shown = 0, more = 0;

	for (i = 0; i < n; i++) {
		if (hosts[i].attempts < 2)
			continue;
		if (shown++ >= 8) {
			more++;
			continue;
		}
		fprintf(f, "%s%s (%d attempts)", sep, hosts[i].name,
		    hosts[i].attempts);
		sep = ", ";
	}
	if (more > 0)
		fprintf(f, " and %zu more", more);
}

/* "; failed: 3 connect, 1 auth": the failed hosts by kind, if any. */
static void
report_kinds(FILE *f, const struct host *hosts, size_t n)
{
	size_t count[ERR_NKINDS] = { 0 }, i;
	const char *sep = "; failed: ";
	int k;

	for (i = 0; i < n; i++)
		if (hosts[i].status == HOST_FAILED && hosts[i].kind < ERR_NKINDS)
			count[hosts[i].kind]++;
	for (k = 0; k < ERR_NKINDS; k++) {
		if (count[k] == 0)
			continue;
		fprintf(f, "%s%zu %s", sep, count[k],
		    k == ERR_NONE ? "other" : host_err_name((enum host_err)k));
		sep = ", ";
	}
}

void
report_summary(FILE *f, const struct host *hosts, size_t n, uint64_t size,
    double seconds)
{
	char sz[32], rate[32];
	size_t i, done = 0, unknown = 0, same = 0;
	char un[48] = "";

	for (i = 0; i < n; i++) {
		done += hosts[i].status == HOST_DONE;
		same += hosts[i].status == HOST_DONE && hosts[i].unchanged;
		unknown += hosts[i].status == HOST_UNKNOWN;
	}
	/* --if-changed: hosts that held the bytes already, counted apart. */
	if (same > 0)
		snprintf(un, sizeof(un), ", %zu unchanged", same);
	fmt_size(sz, sizeof(sz), size);
	fmt_rate(rate, sizeof(rate), seconds > 0 ?
	    (double)size * (double)(done - same) / seconds : 0);
	fprintf(f, "fanscp: %zu of %zu hosts done%s, %zu failed, %zu unknown "
	    "(%s each, %.1f s, %s in all)", done - same, n, un,
	    n - done - unknown, unknown, sz, seconds, rate);
	report_kinds(f, hosts, n);
	if ((i = report_then_failed(hosts, n)) > 0)
		fprintf(f, "; --then failed: %zu", i);
	report_retried(f, hosts, n);
	fputc('\n', f);
}

static int
cmp_rate(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median rate of the hosts with one, or 0 if fewer than 3 have. */
static double
median_rate(const struct host *hosts, size_t n)
{
	double *r = xcalloc(n + 1, sizeof(*r)), m = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (hosts[i].rate > 0)
			r[k++] = hosts[i].rate;
	if (k >= 3) {
		qsort(r, k, sizeof(*r), cmp_rate);
		m = k % 2 ? r[k / 2] : (r[k / 2 - 1] + r[k / 2]) / 2;
	}
	free(r);
	return m;
}

/* Host indexes by rate, slowest first. */
static int
cmp_host(const void *a, const void *b, void *arg)
{
	const struct host *hosts = arg;

	return cmp_rate(&hosts[*(const size_t *)a].rate,
	    &hosts[*(const size_t *)b].rate);
}

void
report_stragglers(FILE *f, const struct host *hosts, size_t n)
{
	double med = median_rate(hosts, n);
	size_t *slow = xcalloc(n + 1, sizeof(*slow)), k = 0, i;
	char rate[32];

	for (i = 0; med > 0 && i < n; i++)
		if (hosts[i].rate > 0 && hosts[i].rate * SLOW_FACTOR <= med)
			slow[k++] = i;
	if (k > 0) {
		qsort_r(slow, k, sizeof(*slow), cmp_host, (void *)hosts);
		fprintf(f, "fanscp: slow: ");
		for (i = 0; i < k && i < SLOW_NAMED; i++)
			fprintf(f, "%s%s: %s, %.0f× below median",
			    i ? "; " : "", hosts[slow[i]].name,
			    fmt_rate(rate, sizeof(rate), hosts[slow[i]].rate),
			    med / hosts[slow[i]].rate);
		if (k > SLOW_NAMED)
			fprintf(f, "; and %zu more", k - SLOW_NAMED);
		fputc('\n', f);
	}
	free(slow);
}

void
report_sent(FILE *f, const struct host *hosts, size_t n)
{
	char sz[32];
	uint64_t sent = 0;
	size_t i, to = 0;

	for (i = 0; i < n; i++) {
		sent += hosts[i].bytes;
		to += hosts[i].bytes > 0;
	}
	fprintf(f, "fanscp: stopped after sending %s in all, to %zu of %zu "
	    "hosts\n", fmt_size(sz, sizeof(sz), sent), to, n);
}
