/*
 * Targets: turn command-line TARGETs and host-file lines into a list of
 * (user, host, port, path).  The syntax follows OpenSSH's scp(1): misc.c's
 * colon() and parse_user_host_path() for [user@]host:path, and parse_uri()
 * for scp:// URIs.  User and host names are checked as ssh(1) checks them
 * (valid_ruser(), valid_hostname()), so that no name from a host list can
 * pass for an option or carry shell syntax into ssh_config tokens.
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "nodeset.h"
#include "target.h"
#include "util.h"
#include "xmalloc.h"

#define URI_SCHEME	"scp://"
#define URI_SCHEME_LEN	(sizeof(URI_SCHEME) - 1)

/* Bytes no host name may hold, beyond white space and controls. */
#define HOST_BADCHARS	"'`\"$\\;&<>|(){},@/:[]"
/* Bytes no user name may hold, beyond controls. */
#define USER_BADCHARS	"'`\";&<>|(){}"

/* The longest piece of input quoted in a reason. */
#define QUOTE_MAX	200

/* One host spec before its host is expanded. */
struct spec {
	char		*user;		/* NULL when not given */
	const char	*host;		/* not NUL-terminated */
	size_t		 hostlen;
	int		 port;
	char		*path;
};

static int	reason(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	seterr(char *, size_t, const char *, ...)
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

/* Format err, replacing controls so a message cannot play tricks on a tty. */
static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	fmt_noctrl(err);
}

/* A length for "%.*s", so that a reason stays short. */
static int
qlen(size_t len)
{
	return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static int
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
is_cntrl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode [s, s + len) as parse_uri()'s urldecode() does: "%41" is 'A'
 * and '+' is a space.  A bad escape, or one that makes a NUL, fails.
 */
static int
pct_decode(const char *s, size_t len, char **out)
{
	char *d = xmalloc(len + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			d[o++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			d[o++] = s[i];
			continue;
		}
		if (i + 2 >= len) {
			free(d);
			return -1;
		}
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi == -1 || lo == -1 || (hi == 0 && lo == 0)) {
			free(d);
			return -1;
		}
		d[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	d[o] = '\0';
	*out = d;
	return 0;
}

/* Parse a decimal port, 1 to 65535, from [s, s + len). */
static int
parse_port(const char *s, size_t len, int *port, char *why, size_t whylen)
{
	if ((*port = util_port(s, len)) == -1)
		return reason(why, whylen, "bad port '%.*s'", qlen(len), s);
	return 0;
}

/* Check a user name as ssh.c's valid_ruser() does. */
static int
check_user(const char *user, char *why, size_t whylen)
{
	const char *s;

	if (*user == '\0')
		return reason(why, whylen, "empty user name");
	if (*user == '-')
		goto bad;
	for (s = user; *s != '\0'; s++) {
		if (is_cntrl(*s) || strchr(USER_BADCHARS, *s) != NULL)
			goto bad;
		if (is_space(*s) && s[1] == '-')
			goto bad;
		if (*s == '\\' && s[1] == '\0')
			goto bad;
	}
	return 0;
 bad:
	return reason(why, whylen, "bad user name '%.*s'",
	    qlen(strlen(user)), user);
}

/* Check a host name as ssh.c's valid_hostname() does, and a bit more. */
static int
check_host(const char *host, char *why, size_t whylen)
{
	const char *s;

	if (*host == '\0')
		return reason(why, whylen, "empty host name");
	if (*host == '-')
		goto bad;
	for (s = host; *s != '\0'; s++)
		if (is_space(*s) || is_cntrl(*s) ||
		    strchr(HOST_BADCHARS, *s) != NULL)
			goto bad;
	return 0;
 bad:
	return reason(why, whylen, "bad host name '%.*s'",
	    qlen(strlen(host)), host);
}

/* Is [s, s + len) an IPv6 address with an optional "%zone"? */
static int
is_ipv6(const char *s, size_t len)
{
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];
	const char *pct;
	size_t alen, i;

	pct = memchr(s, '%', len);
	alen = pct != NULL ? (size_t)(pct - s) : len;
	if (alen == 0 || alen >= sizeof(buf))
		return 0;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	if (pct == NULL)
		return 1;
	if (alen + 1 == len)
		return 0;
	for (i = alen + 1; i < len; i++)
		if (!is_alnum(s[i]) && strchr("-_.", s[i]) == NULL)
			return 0;
	return 1;
}

/* Name one IPv6 host, given without brackets. */
static int
expand_ipv6(const char *s, size_t len, char ***names, size_t *n, char *why,
    size_t whylen)
{
	if (!is_ipv6(s, len))
		return reason(why, whylen, "bad IPv6 address '%.*s'",
		    qlen(len), s);
	*names = xcalloc(1, sizeof(**names));
	(*names)[0] = xstrndup(s, len);
	*n = 1;
	return 0;
}

/*
 * Expand a host into names: "[...]" holding a ':' is an IPv6 address, as
 * is a bare name with a ':' (only a host file lets one through), and
 * anything else is a nodeset whose every name must be a good host name.
 */
static int
expand_host(const char *host, size_t len, char ***names, size_t *n,
    char *why, size_t whylen)
{
	char *pat;
	size_t i;
	int r;

	*names = NULL;
	*n = 0;
	if (len == 0)
		return reason(why, whylen, "empty host name");
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' &&
	    memchr(host, ':', len) != NULL)
		return expand_ipv6(host + 1, len - 2, names, n, why, whylen);
	if (memchr(host, '[', len) == NULL && memchr(host, ':', len) != NULL)
		return expand_ipv6(host, len, names, n, why, whylen);
	pat = xstrndup(host, len);
	r = nodeset_expand(pat, names, n, why, whylen);
	free(pat);
	for (i = 0; r == 0 && i < *n; i++)
		r = check_host((*names)[i], why, whylen);
	if (r == -1) {
		nodeset_free(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return r;
}

/* Check sp, expand its host and append one target per name. */
/* The bytes a target's strings take. */
static size_t
target_bytes(const struct target *t)
{
	return (t->host ? strlen(t->host) + 1 : 0) +
	    (t->path ? strlen(t->path) + 1 : 0) +
	    (t->user ? strlen(t->user) + 1 : 0);
}

/* Would adding these n names take the list past TARGET_MAX(_BYTES)? */
static int
spec_too_big(struct target_list *list, const struct spec *sp,
    char *const *names, size_t n, char *why, size_t whylen)
{
	size_t i, each = strlen(sp->path) + 1 +
	    (sp->user != NULL ? strlen(sp->user) + 1 : 0);
	uint64_t bytes = (uint64_t)each * n;

	for (i = 0; i < n; i++)
		bytes += strlen(names[i]) + 1;
	if (list->n + n > TARGET_MAX)
		return reason(why, whylen, "more than %d hosts in all",
		    TARGET_MAX);
	if (list->bytes + bytes > TARGET_MAX_BYTES)
		return reason(why, whylen, "the hosts' names and paths would "
		    "take more than %d MiB", TARGET_MAX_BYTES >> 20);
	return 0;
}

static int
spec_add(struct target_list *list, const struct spec *sp, char *why,
    size_t whylen)
{
	struct target t;
	char **names;
	size_t i, n;

	if (sp->user != NULL && check_user(sp->user, why, whylen) == -1)
		return -1;
	if (expand_host(sp->host, sp->hostlen, &names, &n, why, whylen) == -1)
		return -1;
	if (spec_too_big(list, sp, names, n, why, whylen) == -1) {
		nodeset_free(names, n);
		return -1;
	}
	t.user = sp->user;
	t.port = sp->port;
	t.path = sp->path;
	for (i = 0; i < n; i++) {
		t.host = names[i];
		target_list_add(list, &t);
	}
	nodeset_free(names, n);
	return 0;
}

/* Find the first c in [s, e) outside brackets; e if there is none. */
static const char *
find_unbracketed(const char *s, const char *e, char c)
{
	int depth = 0;

	for (; s < e; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']' && depth > 0)
			depth--;
		else if (*s == c && depth == 0)
			break;
	}
	return s;
}

/*
 * Find the ':' that ends the host as scp's colon() does, with brackets
 * (a nodeset or an IPv6 address) anywhere in the host: the first ':'
 * outside brackets, unless a '/' comes first (then arg is a local path).
 * *colonp is NULL when arg is not remote.
 */
static int
find_colon(const char *arg, const char **colonp, char *why, size_t whylen)
{
	const char *s;
	int depth = 0;

	*colonp = NULL;
	for (s = arg; *s != '\0'; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']' && depth > 0)
			depth--;
		else if (depth == 0 && *s == '/')
			return 0;
		else if (depth == 0 && *s == ':') {
			*colonp = s;
			return 0;
		}
	}
	if (depth > 0)
		return reason(why, whylen, "missing ']'");
	return 0;
}

/* The last '@' in [s, e), as parse_user_host_path()'s strrchr(). */
static const char *
last_at(const char *s, const char *e)
{
	while (e > s)
		if (*--e == '@')
			return e;
	return NULL;
}

/*
 * Split [user@]host:[path] as parse_user_host_path() does.  The path is
 * kept byte for byte; an empty one means the home directory.  Returns 1
 * when arg is not remote.
 */
static int
split_arg(const char *arg, struct spec *sp, char *why, size_t whylen)
{
	const char *colon, *at;

	if (find_colon(arg, &colon, why, whylen) == -1)
		return -1;
	if (colon == NULL)
		return 1;
	sp->path = xstrdup(colon + 1);
	sp->host = arg;
	if ((at = last_at(arg, colon)) != NULL) {
		sp->user = xstrndup(arg, (size_t)(at - arg));
		sp->host = at + 1;
	}
	sp->hostlen = (size_t)(colon - sp->host);
	return 0;
}

/*
 * Split scp://[user[;params]@]host[:port][/path] as OpenSSH's parse_uri()
 * does.  User and path are percent-decoded ('+' too becomes a space), host
 * and port are not, and connection parameters after ';' are ignored.  The
 * '/' after the host only separates: "scp://h/f" is f in the home
 * directory, "scp://h//tmp/f" is /tmp/f, and no path at all is the home
 * directory.  The user ends at the first '@' before that '/'.
 */
static int
split_uri(const char *s, struct spec *sp, char *why, size_t whylen)
{
	const char *end, *at, *semi, *colon;

	end = s + strcspn(s, "/");
	if ((at = memchr(s, '@', (size_t)(end - s))) != NULL) {
		semi = memchr(s, ';', (size_t)(at - s));
		if (pct_decode(s, (size_t)((semi ? semi : at) - s),
		    &sp->user) == -1)
			return reason(why, whylen,
			    "bad %%-escape in user name");
		s = at + 1;
	}
	colon = find_unbracketed(s, end, ':');
	sp->host = s;
	sp->hostlen = (size_t)(colon - s);
	if (colon < end && parse_port(colon + 1,
	    (size_t)(end - colon - 1), &sp->port, why, whylen) == -1)
		return -1;
	if (*end == '\0')
		sp->path = xstrdup("");
	else if (pct_decode(end + 1, strlen(end + 1), &sp->path) == -1)
		return reason(why, whylen, "bad %%-escape in path");
	return 0;
}

int
target_parse(const char *arg, struct target_list *list, char *err,
    size_t errlen)
{
	struct spec sp;
	char why[512], shown[72];
	int r;

	memset(&sp, 0, sizeof(sp));
	if (strncmp(arg, URI_SCHEME, URI_SCHEME_LEN) == 0)
		r = split_uri(arg + URI_SCHEME_LEN, &sp, why, sizeof(why));
	else
		r = split_arg(arg, &sp, why, sizeof(why));
	if (r == 0)
		r = spec_add(list, &sp, why, sizeof(why));
	free(sp.user);
	free(sp.path);
	fmt_ends(shown, sizeof(shown), arg);
	if (r == 1)
		seterr(err, errlen, "'%s' is not a remote target "
		    "(expected [user@]host:[path])", shown);
	else if (r == -1)
		seterr(err, errlen, "bad target '%s': %s", shown, why);
	return r == 0 ? 0 : -1;
}

/*
 * Split a target under --exec, where the data goes to a command and there
 * is no path: [user@]host[:port] as in a host file, or "host:" (the
 * empty path of scp's syntax).  Since a path cannot follow, "web01:2222"
 * can only mean a port, as pssh reads it.  A bare IPv6 address (two
 * colons or more, no brackets) takes no port.  Anything else after the
 * colon is a path: a usage error that says so.
 */
static int
split_exec(const char *arg, struct spec *sp, char *why, size_t whylen)
{
	const char *e = arg + strlen(arg), *colon, *at, *h = arg;

	colon = find_unbracketed(arg, e, ':');
	if ((at = last_at(arg, colon)) != NULL) {
		sp->user = xstrndup(arg, (size_t)(at - arg));
		h = at + 1;
	}
	sp->path = xstrdup("");
	sp->host = h;
	sp->hostlen = (size_t)(e - h);
	if (colon == e || (*h != '[' && is_ipv6(h, (size_t)(e - h))))
		return 0;
	sp->hostlen = (size_t)(colon - h);
	if (colon[1] == '\0')
		return 0;
	if (strspn(colon + 1, "0123456789") == strlen(colon + 1))
		return parse_port(colon + 1, strlen(colon + 1), &sp->port,
		    why, whylen);
	return reason(why, whylen, "under --exec a target names a host, not "
	    "a path ('%.*s'); give [user@]host[:port] or "
	    "scp://[user@]host[:port]", qlen(strlen(colon + 1)), colon + 1);
}

int
target_parse_exec(const char *arg, struct target_list *list, char *err,
    size_t errlen)
{
	struct spec sp;
	char why[512], shown[72];
	int r;

	memset(&sp, 0, sizeof(sp));
	if (strncmp(arg, URI_SCHEME, URI_SCHEME_LEN) == 0) {
		r = split_uri(arg + URI_SCHEME_LEN, &sp, why, sizeof(why));
		if (r == 0 && sp.path[0] != '\0')
			r = reason(why, sizeof(why), "under --exec a target "
			    "names a host, not a path ('%.*s')",
			    qlen(strlen(sp.path)), sp.path);
	} else
		r = split_exec(arg, &sp, why, sizeof(why));
	if (r == 0)
		r = spec_add(list, &sp, why, sizeof(why));
	free(sp.user);
	free(sp.path);
	if (r == -1) {
		fmt_ends(shown, sizeof(shown), arg);
		seterr(err, errlen, "bad target '%s': %s", shown, why);
	}
	return r;
}

int
target_is_remote(const char *arg)
{
	const char *colon;
	char why[64];

	if (strncmp(arg, URI_SCHEME, URI_SCHEME_LEN) == 0)
		return 1;
	/* An unclosed '[' is a malformed target: the parser says so. */
	if (find_colon(arg, &colon, why, sizeof(why)) == -1)
		return 1;
	return colon != NULL;
}

int
target_is_lone_path(const char *arg, const char **path)
{
	if (arg[0] != ':')
		return 0;
	if (path != NULL)
		*path = arg + 1;
	return 1;
}

/* Split a host-file entry, [user@]host[:port], held in [s, e). */
static int
split_entry(const char *s, const char *e, struct spec *sp, char *why,
    size_t whylen)
{
	const char *at, *colon;

	if ((at = last_at(s, e)) != NULL) {
		sp->user = xstrndup(s, (size_t)(at - s));
		s = at + 1;
	}
	sp->host = s;
	sp->hostlen = (size_t)(e - s);
	/* A bare IPv6 address has two colons or more and takes no port. */
	colon = find_unbracketed(s, e, ':');
	if (colon == e)
		return 0;
	if (memchr(s, '[', (size_t)(e - s)) == NULL &&
	    memchr(colon + 1, ':', (size_t)(e - colon - 1)) != NULL)
		return 0;
	sp->hostlen = (size_t)(colon - s);
	return parse_port(colon + 1, (size_t)(e - colon - 1), &sp->port, why,
	    whylen);
}

/* Trim white space and a '#' comment from the line [*sp, *ep). */
static void
trim_line(const char **sp, const char **ep)
{
	const char *s = *sp, *e = *ep, *p;

	for (p = s; p < e; p++)
		if (*p == '#' && (p == s || is_space(p[-1]))) {
			e = p;
			break;
		}
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	*sp = s;
	*ep = e;
}

/*
 * Split a pssh line's words, "host[:port] [user]", held in [s, e): the
 * first word is an entry as above, and a second word is its user.
 */
static int
split_pssh(const char *s, const char *e, struct spec *sp, char *why,
    size_t whylen)
{
	const char *w1e = s, *w2;

	while (w1e < e && !is_space(*w1e))
		w1e++;
	for (w2 = w1e; w2 < e && is_space(*w2); w2++)
		;
	if (w2 < e && (memchr(w2, ' ', (size_t)(e - w2)) != NULL ||
	    memchr(w2, '\t', (size_t)(e - w2)) != NULL))
		return reason(why, whylen, "expected [user@]host[:port], "
		    "host[:port] user or scp://[user@]host[:port][/path], "
		    "not '%.*s'", qlen((size_t)(e - s)), s);
	if (split_entry(s, w1e, sp, why, whylen) == -1)
		return -1;
	if (w2 == e)
		return 0;
	if (sp->user != NULL)
		return reason(why, whylen, "two users");
	sp->user = xstrndup(w2, (size_t)(e - w2));
	return 0;
}

/*
 * Parse one host-file line of len bytes: [user@]host[:port], pssh's
 * "host[:port] [user]", or an scp:// URI (what --failed writes), whose
 * own path wins over the lone ":path" target.
 */
static int
hostfile_line(const char *line, size_t len, const char *path,
    struct target_list *list, char *why, size_t whylen)
{
	const char *s = line, *e = line + len, *p;
	char *copy = NULL;
	struct spec sp;
	int r;

	if (memchr(line, '\0', len) != NULL)
		return reason(why, whylen, "NUL byte in line");
	trim_line(&s, &e);
	if (s == e)
		return 0;
	for (p = s; p < e; p++)
		if (is_cntrl(*p) && *p != '\t')
			return reason(why, whylen, "control character in "
			    "'%.*s'", qlen((size_t)(e - s)), s);
	memset(&sp, 0, sizeof(sp));
	if ((size_t)(e - s) > URI_SCHEME_LEN &&
	    strncmp(s, URI_SCHEME, URI_SCHEME_LEN) == 0) {
		copy = xstrndup(s, (size_t)(e - s));
		r = split_uri(copy + URI_SCHEME_LEN, &sp, why, whylen);
		if (r == 0 && strpbrk(copy, " \t") != NULL)
			r = reason(why, whylen, "white space in a URI "
			    "(write it %%20)");
		if (r == 0 && sp.path[0] == '\0') {
			free(sp.path);
			sp.path = xstrdup(path != NULL ? path : "");
		}
	} else {
		sp.path = xstrdup(path != NULL ? path : "");
		r = split_pssh(s, e, &sp, why, whylen);
	}
	if (r == 0)
		r = spec_add(list, &sp, why, whylen);
	/* A two-word line may be a mistake in one word: show it whole. */
	if (r == -1 && copy == NULL && (memchr(s, ' ', (size_t)(e - s)) != NULL ||
	    memchr(s, '\t', (size_t)(e - s)) != NULL) &&
	    strncmp(why, "expected ", 9) != 0) {
		copy = xstrdup(why);
		reason(why, whylen, "%s in '%.*s'", copy, qlen((size_t)(e - s)),
		    s);
	}
	free(copy);
	free(sp.user);
	free(sp.path);
	return r;
}

/* Drop the targets past the first n. */
static void
list_truncate(struct target_list *list, size_t n)
{
	while (list->n > n) {
		struct target *t = &list->v[--list->n];

		list->bytes -= target_bytes(t);
		free(t->user);
		free(t->host);
		free(t->path);
	}
	if (list->n == 0)
		list->bytes = 0;
}

int
hostfile_parse(const char *text, size_t len, const char *name,
    const char *path, struct target_list *list, char *err, size_t errlen)
{
	const char *nl;
	size_t off = 0, lineno = 0, n0 = list->n, linelen;
	char why[512];

	while (off < len) {
		lineno++;
		nl = memchr(text + off, '\n', len - off);
		linelen = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (hostfile_line(text + off, linelen, path, list, why,
		    sizeof(why)) == -1) {
			list_truncate(list, n0);
			seterr(err, errlen, "%s:%zu: %s", name, lineno, why);
			return -1;
		}
		off += linelen + 1;
	}
	return 0;
}

int
hostfile_load(const char *file, const char *path, struct target_list *list,
    char *err, size_t errlen)
{
	char *text;
	size_t len;
	int r;

	if (util_read_file(file, &text, &len) == -1) {
		seterr(err, errlen, "cannot read '%s': %s", file,
		    strerror(errno));
		return -1;
	}
	r = hostfile_parse(text, len, file, path, list, err, errlen);
	free(text);
	return r;
}

void
target_list_add(struct target_list *list, const struct target *t)
{
	struct target *nt;

	if (list->n == list->cap) {
		list->cap = list->cap == 0 ? 8 : list->cap * 2;
		list->v = xreallocarray(list->v, list->cap, sizeof(*list->v));
	}
	nt = &list->v[list->n++];
	list->bytes += target_bytes(t);
	nt->user = t->user != NULL ? xstrdup(t->user) : NULL;
	nt->host = t->host != NULL ? xstrdup(t->host) : NULL;
	nt->port = t->port;
	nt->path = t->path != NULL ? xstrdup(t->path) : NULL;
}

void
target_list_release(struct target_list *list)
{
	list_truncate(list, 0);
	free(list->v);
	list->v = NULL;
	list->n = 0;
	list->cap = 0;
}

/*
 * Append [s, s + len) to buf, percent-encoding every byte but the few
 * that split_uri() passes through unchanged ('+' decodes to a space, so
 * it is encoded too); keep names a '/' that may stay.
 */
static void
pct_encode(char **buf, size_t *len, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (is_alnum((char)c) || strchr("-._~", c) != NULL ||
		    (c != '\0' && strchr(keep, c) != NULL)) {
			(*buf)[(*len)++] = (char)c;
			continue;
		}
		(*buf)[(*len)++] = '%';
		(*buf)[(*len)++] = hex[c >> 4];
		(*buf)[(*len)++] = hex[c & 15];
	}
	(*buf)[*len] = '\0';
}

char *
target_uri(const struct target *t)
{
	size_t cap, len;
	char *buf, port[16];

	cap = URI_SCHEME_LEN + 3 * (t->user ? strlen(t->user) : 0) +
	    strlen(t->host) + 3 * strlen(t->path) + 32;
	buf = xmalloc(cap);
	len = (size_t)snprintf(buf, cap, "%s", URI_SCHEME);
	if (t->user != NULL) {
		pct_encode(&buf, &len, t->user, "");
		buf[len++] = '@';
	}
	/* An IPv6 address takes brackets, so that its ':'s are no port. */
	len += (size_t)snprintf(buf + len, cap - len,
	    strchr(t->host, ':') != NULL ? "[%s]" : "%s", t->host);
	if (t->port != 0) {
		snprintf(port, sizeof(port), ":%d", t->port);
		len += (size_t)snprintf(buf + len, cap - len, "%s", port);
	}
	/* The '/' after the host only separates: "/tmp/f" is "//tmp/f". */
	if (t->path[0] != '\0') {
		buf[len++] = '/';
		pct_encode(&buf, &len, t->path, "/");
	}
	buf[len] = '\0';
	return buf;
}
