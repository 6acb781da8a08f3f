/*
 * Ciphers, MACs and KexAlgorithms read as OpenSSH reads them, against what
 * libssh2 supports (see algs.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>

#include "algs.h"
#include "sshconf.h"
#include "xmalloc.h"

/* OpenSSH 9.2's defaults (myproposal.h), the client's side. */
static const char *const defaults[ALG_NCLASSES] = {
	[ALG_CIPHER] = "chacha20-poly1305@openssh.com,"
	    "aes128-ctr,aes192-ctr,aes256-ctr,"
	    "aes128-gcm@openssh.com,aes256-gcm@openssh.com",
	[ALG_MAC] = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	    "hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
	    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
	[ALG_KEX] = "sntrup761x25519-sha512@openssh.com,"
	    "curve25519-sha256,curve25519-sha256@libssh.org,"
	    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	    "diffie-hellman-group-exchange-sha256,"
	    "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
	    "diffie-hellman-group14-sha256",
};

static const char *const keywords[ALG_NCLASSES] = {
	[ALG_CIPHER] = "Ciphers", [ALG_MAC] = "MACs",
	[ALG_KEX] = "KexAlgorithms",
};

const char *
algs_keyword(enum alg_class k)
{
	return keywords[k];
}

const char *
algs_default(enum alg_class k)
{
	return defaults[k];
}

static char	*supported[ALG_NCLASSES];
static pthread_once_t supported_once = PTHREAD_ONCE_INIT;

/* libssh2 says what it supports only through a session: a throwaway one. */
static void
supported_init(void)
{
	static const int method[ALG_NCLASSES] = {
		[ALG_CIPHER] = LIBSSH2_METHOD_CRYPT_CS,
		[ALG_MAC] = LIBSSH2_METHOD_MAC_CS,
		[ALG_KEX] = LIBSSH2_METHOD_KEX,
	};
	LIBSSH2_SESSION *s = libssh2_session_init();
	const char **v;
	size_t o, cap;
	int k, n, i;

	for (k = 0; k < ALG_NCLASSES; k++) {
		supported[k] = xstrdup("");
		if (s == NULL ||
		    (n = libssh2_session_supported_algs(s, method[k], &v)) <= 0)
			continue;
		for (cap = 1, i = 0; i < n; i++)
			cap += strlen(v[i]) + 1;
		free(supported[k]);
		supported[k] = xmalloc(cap);
		for (o = 0, i = 0; i < n; i++)
			o += (size_t)snprintf(supported[k] + o, cap - o,
			    "%s%s", i ? "," : "", v[i]);
		libssh2_free(s, v);
	}
	if (s != NULL)
		libssh2_session_free(s);
}

const char *
algs_libssh2(enum alg_class k)
{
	pthread_once(&supported_once, supported_init);
	return supported[k];
}

/* OpenSSH's match_pattern(): '*' and '?' only. */
static int
match(const char *s, const char *p)
{
	for (;; s++, p++) {
		if (*p == '\0')
			return *s == '\0';
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return 1;
			for (; *s != '\0'; s++)
				if (match(s, p))
					return 1;
			return 0;
		}
		if (*s == '\0' || (*p != '?' && *p != *s))
			return 0;
	}
}

/* A comma-separated list, split in place. */
struct words {
	char	*buf;
	char	**v;
	size_t	 n;
};

static void
split(struct words *w, const char *list)
{
	char *p, *cp;

	w->buf = xstrdup(list);
	w->v = NULL;
	w->n = 0;
	for (p = w->buf; (cp = strsep(&p, ",")) != NULL;) {
		w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
		w->v[w->n++] = cp;
	}
}

static void
words_free(struct words *w)
{
	free(w->buf);
	free(w->v);
}

/* Does some pattern of the list pats match name? */
static int
any_match(const char *name, const struct words *pats)
{
	size_t i;

	for (i = 0; i < pats->n; i++)
		if (match(name, pats->v[i]))
			return 1;
	return 0;
}

/* Append name to out unless it is there already (kex_names_cat()). */
static void
add(char *out, size_t len, const char *name)
{
	size_t o = strlen(out), n = strlen(name);
	const char *p;

	for (p = out; (p = strstr(p, name)) != NULL; p += n)
		if ((p == out || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return;
	if (o + (o ? 1 : 0) + n + 1 > len)
		return;
	snprintf(out + o, len - o, "%s%s", o ? "," : "", name);
}

int
algs_assemble(const char *spec, const char *deflt, const char *all,
    char *out, size_t len)
{
	struct words pats, def, sup;
	char *list;
	size_t i, j, o, cap;
	int bad = 0;

	if (len == 0)
		return -1;
	out[0] = '\0';
	if (*spec == '\0' || ((*spec == '+' || *spec == '-' ||
	    *spec == '^') && spec[1] == '\0'))
		return -1;
	/* The list of patterns that stands for the result, in order. */
	split(&pats, *spec == '+' || *spec == '-' || *spec == '^' ?
	    spec + 1 : spec);
	for (i = 0; i < pats.n; i++)
		if (pats.v[i][0] == '\0' || pats.v[i][0] == '!')
			bad = 1;
	if (bad) {
		words_free(&pats);
		return -1;
	}
	split(&def, deflt);
	cap = strlen(deflt) + strlen(spec) + 2;
	list = xmalloc(cap);
	switch (*spec) {
	case '+':	/* the default, then the names given */
		snprintf(list, cap, "%s,%s", deflt, spec + 1);
		break;
	case '^':	/* the names given, then the default */
		snprintf(list, cap, "%s,%s", spec + 1, deflt);
		break;
	case '-':	/* the default less what a pattern matches */
		for (o = 0, list[0] = '\0', i = 0; i < def.n; i++)
			if (!any_match(def.v[i], &pats))
				o += (size_t)snprintf(list + o, cap - o, "%s%s",
				    o ? "," : "", def.v[i]);
		break;
	default:
		snprintf(list, cap, "%s", spec);
		break;
	}
	words_free(&pats);
	words_free(&def);
	/* Each pattern in turn picks the supported names it matches. */
	split(&pats, list);
	split(&sup, all);
	for (i = 0; i < pats.n; i++)
		for (j = 0; j < sup.n; j++)
			if (sup.v[j][0] != '\0' && match(sup.v[j], pats.v[i]))
				add(out, len, sup.v[j]);
	words_free(&pats);
	words_free(&sup);
	free(list);
	return out[0] == '\0' ? 1 : 0;
}

int
algs_host(const struct hostcfg *h, const char *const all[ALG_NCLASSES],
    char out[ALG_NCLASSES][ALGS_MAX], char *why, size_t len)
{
	const char *spec[ALG_NCLASSES] = {
		[ALG_CIPHER] = h->ciphers, [ALG_MAC] = h->macs,
		[ALG_KEX] = h->kex_algorithms,
	};
	const char *sup;
	int k, r;

	if (len > 0)
		why[0] = '\0';
	for (k = 0; k < ALG_NCLASSES; k++) {
		out[k][0] = '\0';
		if (spec[k] == NULL)
			continue;
		sup = all != NULL && all[k] != NULL ? all[k] :
		    algs_libssh2((enum alg_class)k);
		r = algs_assemble(spec[k], defaults[k], sup, out[k], ALGS_MAX);
		if (r < 0) {
			snprintf(why, len, "%s %s: a bad list", keywords[k],
			    spec[k]);
			return -1;
		}
		if (r > 0) {
			snprintf(why, len, "%s %s leaves nothing libssh2 1.10 "
			    "supports (it offers %s)", keywords[k], spec[k],
			    sup);
			return -1;
		}
	}
	return 0;
}
