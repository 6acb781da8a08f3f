/*
 * --relay: who feeds whom (relay.h).  The trees are fixed at the start;
 * what each host can do is learnt as its receive says it, and every
 * decision is taken once, by the first session that needs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "relay.h"
#include "xmalloc.h"

struct relay *
relay_new(const struct host *hosts, size_t n, int fanout, int group)
{
	struct relay *r = xcalloc(1, sizeof(*r));

	if (fanout < 1)
		fanout = 1;
	if (fanout > RELAY_FANOUT_MAX)
		fanout = RELAY_FANOUT_MAX;
	r->n = xcalloc(n > 0 ? n : 1, sizeof(*r->n));
	r->count = n;
	r->fanout = fanout;
	r->group = group < 2 ? 2 : group;
	r->hosts = hosts;
	relay_shape(r, NULL);
	return r;
}

/*
 * Hosts lo..hi-1 in tree order, into ord[lo..hi-1]: those of unknown
 * rate first, as given, then the known ones fastest first, so that the
 * slow ones share the last trees (a slow host paces the hosts before it
 * too, whose tee waits for it) and sit at the ends of their chains.
 */
static void
relay_order(const double *rates, size_t lo, size_t hi, size_t *ord)
{
	size_t i, j, k = lo;

	for (i = lo; i < hi; i++)
		if (rates == NULL || !(rates[i] > 0))
			ord[k++] = i;
	for (i = lo; i < hi; i++) {
		if (rates == NULL || !(rates[i] > 0))
			continue;
		/* Insertion, stable: ties keep the order given. */
		for (j = k++; j > lo && rates[ord[j - 1]] > 0 &&
		    rates[ord[j - 1]] < rates[i]; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
}

void
relay_shape(struct relay *r, const double *rates)
{
	size_t *ord = xcalloc(r->count > 0 ? r->count : 1, sizeof(*ord));
	size_t g, p, end, j, first, k, K = (size_t)r->fanout;
	struct relay_node *n;

	/*
	 * Hosts start in the order given (main.c gives the scheduler no
	 * rates under --relay): where they cannot all start at once, each
	 * tree is a run of that order, so that its hosts start together,
	 * and only they are ordered by rate.
	 */
	if (r->together)
		relay_order(rates, 0, r->count, ord);
	/* Each group is a heap in that order: place j feeds j*K+1 .. j*K+K. */
	for (g = 0; g < r->count; g += (size_t)r->group) {
		end = g + (size_t)r->group < r->count ? g + (size_t)r->group :
		    r->count;
		if (!r->together)
			relay_order(rates, g, end, ord);
		for (p = g; p < end; p++) {
			n = &r->n[ord[p]];
			j = p - g;
			n->parent = j == 0 ? -1 : (int)ord[g + (j - 1) / K];
			first = g + j * K + 1;
			n->nkids = 0;
			for (k = 0; k < K && first + k < end; k++)
				n->kids[n->nkids++] = (int)ord[first + k];
		}
	}
	free(ord);
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	free(r->n);
	free(r);
}

struct relay_node *
relay_node(struct relay *r, const struct host *h)
{
	if (r == NULL || h < r->hosts || h >= r->hosts + r->count)
		return NULL;
	return &r->n[h - r->hosts];
}

int
relay_key_ok(const char *key)
{
	const char *p;

	if (strncmp(key, "ssh-ed25519 ", 12) != 0 || strlen(key) > 120)
		return 0;
	for (p = key + 12; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' ||
		    *p == '='))
			return 0;
	return p > key + 12;
}

int
relay_path_ok(const char *w, size_t size)
{
	const char *p;

	if (w[0] != '/' || strlen(w) >= size)
		return 0;
	for (p = w; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '/' || *p == '+' || *p == '-'))
			return 0;
	return 1;
}

/*
 * Its parent's key to authorize, restricted to the parent's address; an
 * expiry (UTC, a day ahead: the host's sshd reads it in its own time
 * zone) where its sshd takes one.
 */
char *
relay_in_line(struct relay *r, int i, int64_t now)
{
	struct relay_node *n = &r->n[i], *p;
	char exp[32] = "-";
	time_t t;
	struct tm tm;

	if (n->gone || n->parent < 0)
		return xstrdup("in -\n");
	p = &r->n[n->parent];
	if (p->gone || p->decided || (p->keyed && p->key[0] == '\0'))
		return xstrdup("in -\n");
	if (!p->keyed)
		return NULL;
	if (n->expiry) {
		t = time(NULL) + 24 * 3600;
		if (gmtime_r(&t, &tm) != NULL)
			strftime(exp, sizeof(exp), "%Y%m%d%H%M", &tm);
	}
	(void)now;
	n->in = RELAY_IN_ASKED;
	if (r->existing)
		return xstrdup("in existing\n");
	return xasprintf("in %s %s %s\n", p->key, p->addr, exp);
}

void
relay_set_in(struct relay *r, int i, int ok, const char *w)
{
	struct relay_node *n = &r->n[i];

	n->in = ok ? RELAY_IN_OK : RELAY_IN_OFF;
	if (ok)
		snprintf(n->w, sizeof(n->w), "%s", w);
}

int
relay_feed(struct relay *r, int i)
{
	struct relay_node *n = &r->n[i], *p;
	int k;

	if (n->gone || n->parent < 0 || n->in != RELAY_IN_OK)
		return 0;
	p = &r->n[n->parent];
	if (!p->decided)
		return p->gone ? 0 : -1;
	for (k = 0; k < p->nsent; k++)
		if (p->sent[k] == i)
			return 1;
	return 0;
}

/*
 * A child is settled once it said whether it took the key, or left; a
 * parent decides when all its children are, or when it waited long
 * enough.  A child that was asked and is left out is fed by fanscp.
 */
char *
relay_kid_lines(struct relay *r, int i, int64_t now, int *nkids)
{
	struct relay_node *n = &r->n[i], *c;
	char *s = xstrdup(""), *t;
	int k, settled = 1;

	*nkids = 0;
	for (k = 0; k < n->nkids && !n->gone; k++) {
		c = &r->n[n->kids[k]];
		if (!c->gone && c->in != RELAY_IN_OK && c->in != RELAY_IN_OFF)
			settled = 0;
	}
	if (!settled && !n->gone && now - n->key_at < RELAY_WAIT_MS) {
		free(s);
		return NULL;
	}
	n->decided = 1;
	n->nsent = 0;
	for (k = 0; k < n->nkids && !n->gone && n->key[0] != '\0'; k++) {
		c = &r->n[n->kids[k]];
		if (c->gone || c->in != RELAY_IN_OK)
			continue;
		n->sent[n->nsent++] = n->kids[k];
		t = xasprintf("%skid %s %s %d %s %s\n", s, c->user, c->host,
		    c->port, c->w, c->hostkey);
		free(s);
		s = t;
	}
	*nkids = n->nsent;
	t = xasprintf("%send\n", s);
	free(s);
	return t;
}

void
relay_leave(struct relay *r, int i)
{
	r->n[i].gone = 1;
}

const struct host *
relay_kid(struct relay *r, int i, int k)
{
	struct relay_node *n = &r->n[i];

	if (k < 1 || k > n->nsent)
		return NULL;
	return &r->hosts[n->sent[k - 1]];
}
