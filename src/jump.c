/*
 * ProxyJump values, as ssh takes them (see jump.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jump.h"
#include "xmalloc.h"

/* One hop: [ssh://][user@]host[:port], host maybe in brackets. */
static int
jump_hop(const char *s, size_t len, struct jump_hop *h, char *err,
    size_t errlen)
{
	char *w = xstrndup(s, len), *p = w, *at, *colon, *end;
	long port;

	memset(h, 0, sizeof(*h));
	if (strncmp(p, "ssh://", 6) == 0)
		p += 6;
	if ((at = strrchr(p, '@')) != NULL) {
		*at = '\0';
		h->user = xstrdup(p);
		p = at + 1;
	}
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL)
			goto bad;
		*end = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
		p++;
	} else
		colon = strchr(p, ':');
	if (colon != NULL) {
		*colon = '\0';
		port = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || port < 1 ||
		    port > 65535)
			goto bad;
		h->port = (int)port;
	}
	/*
	 * A name, an address, or an IPv6 one with its zone; no leading dash,
	 * which an ssh given the hop (--transport ssh) would take for an
	 * option.  The user likewise.
	 */
	if (*p == '\0' || *p == '-' || strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%") != strlen(p))
		goto bad;
	if (h->user != NULL && (*h->user == '\0' || *h->user == '-' ||
	    strpbrk(h->user, " \t\r\n'\"\\`$;&|<>()*?[]{}") != NULL))
		goto bad;
	h->host = xstrdup(p);
	free(w);
	return 0;
bad:
	snprintf(err, errlen, "'%.*s' is not [user@]host[:port]", (int)len,
	    s);
	free(h->user);
	h->user = NULL;
	free(w);
	return -1;
}

int
jump_parse(const char *spec, struct jump_hop **hops, char *err,
    size_t errlen)
{
	struct jump_hop *v = xcalloc(JUMP_MAX_HOPS, sizeof(*v));
	const char *s = spec, *comma;
	int n = 0;

	for (;;) {
		comma = strchr(s, ',');
		if (n == JUMP_MAX_HOPS) {
			snprintf(err, errlen, "more than %d jump hosts",
			    JUMP_MAX_HOPS);
			break;
		}
		if (jump_hop(s, comma ? (size_t)(comma - s) : strlen(s),
		    &v[n], err, errlen) != 0)
			break;
		n++;
		if (comma == NULL) {
			*hops = v;
			return n;
		}
		s = comma + 1;
	}
	jump_hops_free(v, n);
	return -1;
}

void
jump_hops_free(struct jump_hop *v, int n)
{
	int i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].user);
		free(v[i].host);
	}
	free(v);
}
