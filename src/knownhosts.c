/*
 * known_hosts files, parsed and checked the way OpenSSH's hostfile.c and
 * match.c do it.  Each file is read once, on first use, into a list of
 * entries; a check walks the entries of every file, and a key accepted for
 * a new host is appended to the first user file and to its cached copy.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "knownhosts.h"
#include "log.h"
#include "unittest.h"
#include "xmalloc.h"

#define HASH_MAGIC	"|1|"	/* a hashed name: |1|base64 salt|base64 hash */
#define HASH_LEN	20	/* bytes of salt, and of HMAC-SHA1 */
#define SSH_PORT	22
#define FP_LEN		64	/* "SHA256:" and 43 characters of base64 */
#define MAX_BLOB	65536	/* far above any real public key */
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum kh_marker {
	MRK_NONE,
	MRK_CA,			/* @cert-authority: ignored, no certificates */
	MRK_REVOKED,		/* @revoked */
};

/* One usable line of a file. */
struct kh_entry {
	enum kh_marker	 marker;
	char		*names;		/* lowercase patterns; NULL if hashed */
	unsigned char	 salt[HASH_LEN]; /* a hashed name's salt and HMAC */
	unsigned char	 hash[HASH_LEN];
	char		*keytype;	/* the type named inside the blob */
	unsigned char	*blob;
	size_t		 bloblen;
	unsigned long	 lineno;
};

/* A file as read on first use, plus the lines this run appended to it. */
struct kh_file {
	char		*path;
	struct kh_entry	*entries;
	size_t		 n_entries;
	size_t		 cap_entries;
	unsigned long	 n_lines;	/* lines seen, to number our appends */
};

struct knownhosts {
	struct kh_file	**files;
	size_t		  n_files;
};

/* One check: the name looked up and the key the server presented. */
struct kh_query {
	const char		*host;	/* as given, for messages */
	int			 port;
	char			*name;	/* "host" or "[host]:port", lowercase */
	char			*type;	/* the type inside the blob */
	const unsigned char	*blob;
	size_t			 bloblen;
	char			 fp[FP_LEN];
};

/* A line found by a check, for its message. */
struct kh_hit {
	const struct kh_file	*file;
	const struct kh_entry	*entry;
};

/* What the files say about one query; the first line of each kind wins. */
struct kh_scan {
	struct kh_hit	revoked;	/* this key, marked @revoked */
	struct kh_hit	match;		/* this key, for this name */
	struct kh_hit	changed;	/* another key of this type */
	struct kh_hit	other;		/* a key of another type */
};

/* The host key types a server may present; certificates are refused. */
static const char *const kh_server_types[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"ssh-rsa",
	"ssh-dss",
};

STATIC int	kh_match_list(const char *, const char *);
STATIC int	kh_b64_decode(const char *, size_t, unsigned char **,
		    size_t *);

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode len characters of base64 into a new buffer.  The '=' padding may
 * be left out; a bad character, a bad length or stray low bits are errors.
 */
STATIC int
kh_b64_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *buf;
	unsigned int acc = 0;
	size_t i, n = 0, pad = 0;
	int bits = 0, v;

	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len % 4 == 1 || (pad > 0 && (len + pad) % 4 != 0))
		return -1;
	buf = xmalloc(len / 4 * 3 + 2);
	for (i = 0; i < len; i++) {
		if ((v = b64_value((unsigned char)s[i])) == -1)
			goto bad;
		acc = acc << 6 | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		goto bad;
	*out = buf;
	*outlen = n;
	return 0;
 bad:
	free(buf);
	return -1;
}

/* Padded base64 of len bytes (at most MAX_BLOB), in a new string. */
static char *
b64_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

/* Decode base64 that must hold exactly HASH_LEN bytes into out. */
static int
b64_decode_hash(const char *s, size_t len, unsigned char *out)
{
	unsigned char *buf;
	size_t n;

	if (kh_b64_decode(s, len, &buf, &n) == -1)
		return -1;
	if (n == HASH_LEN)
		memcpy(out, buf, HASH_LEN);
	free(buf);
	return n == HASH_LEN ? 0 : -1;
}

static size_t
get_u32(const unsigned char *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 |
	    p[3];
}

/*
 * The key type a blob starts with (an SSH string: a big-endian uint32
 * length, then the name), as a new string, or NULL if there is none.
 */
static char *
blob_type(const unsigned char *blob, size_t len)
{
	size_t n;

	if (len < 4)
		return NULL;
	n = get_u32(blob);
	if (n == 0 || n > len - 4 || memchr(blob + 4, '\0', n) != NULL)
		return NULL;
	return xstrndup((const char *)blob + 4, n);
}

/*
 * Whether a blob is a whole run of at least two SSH strings, as every
 * plain public key is (the type, then the key's strings and mpints).
 * This catches a truncated key, which OpenSSH would fail to parse.
 */
static int
blob_well_formed(const unsigned char *blob, size_t len)
{
	size_t off = 0, n, count = 0;

	while (off < len) {
		if (len - off < 4 || (n = get_u32(blob + off)) > len - off - 4)
			return 0;
		off += 4 + n;
		count++;
	}
	return count >= 2;
}

/*
 * Whether a line's key type field fits the type inside its blob.  As in
 * OpenSSH, the RSA signature names also stand for "ssh-rsa" there.
 */
static int
type_field_ok(const char *field, const char *type)
{
	if (strcmp(field, type) == 0)
		return 1;
	return strcmp(type, "ssh-rsa") == 0 &&
	    (strcmp(field, "rsa-sha2-256") == 0 ||
	    strcmp(field, "rsa-sha2-512") == 0);
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/*
 * match_pattern() of OpenSSH on the pattern p..pend: '*' matches any run
 * of characters and '?' any one.  Iterative, so no pattern is slow.
 */
static int
match_glob(const char *s, const char *p, const char *pend)
{
	const char *star = NULL, *sback = NULL;

	while (*s != '\0') {
		if (p < pend && *p == '*') {
			star = ++p;
			sback = s;
		} else if (p < pend && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++sback;
		} else
			return 0;
	}
	while (p < pend && *p == '*')
		p++;
	return p == pend;
}

/*
 * match_pattern_list() of OpenSSH: 1 if name matches a pattern of the
 * comma-separated list, -1 if it matches a negated ("!") one, whatever
 * else matches, and 0 otherwise.  Both are lowercase already.
 */
STATIC int
kh_match_list(const char *name, const char *list)
{
	const char *p = list, *end;
	int negated, positive = 0;

	while (*p != '\0') {
		if ((negated = *p == '!'))
			p++;
		end = p + strcspn(p, ",");
		if (match_glob(name, p, end)) {
			if (negated)
				return -1;
			positive = 1;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return positive;
}

/* Whether e's names cover name (lowercase), hashed or not. */
static int
names_match(const struct kh_entry *e, const char *name)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (e->names != NULL)
		return kh_match_list(name, e->names) == 1;
	if (HMAC(EVP_sha1(), e->salt, HASH_LEN, (const unsigned char *)name,
	    strlen(name), md, &mdlen) == NULL || mdlen != HASH_LEN)
		return 0;
	return memcmp(md, e->hash, HASH_LEN) == 0;
}

static int
same_key(const struct kh_entry *e, const unsigned char *blob, size_t len)
{
	return e->bloblen == len && memcmp(e->blob, blob, len) == 0;
}

static void
entry_release(struct kh_entry *e)
{
	free(e->names);
	free(e->keytype);
	free(e->blob);
}

/*
 * Read the optional marker at *cpp and step over it, as check_markers()
 * does: one marker at most, followed by a space or a tab.
 */
static int
parse_marker(char **cpp, enum kh_marker *marker)
{
	char *cp = *cpp;
	size_t n;

	*marker = MRK_NONE;
	if (*cp != '@')
		return 0;
	n = strcspn(cp, " \t");
	if (cp[n] == '\0')
		return -1;
	if (n == strlen("@revoked") && strncmp(cp, "@revoked", n) == 0)
		*marker = MRK_REVOKED;
	else if (n == strlen("@cert-authority") &&
	    strncmp(cp, "@cert-authority", n) == 0)
		*marker = MRK_CA;
	else
		return -1;
	cp += n;
	cp += strspn(cp, " \t");
	if (*cp == '@')
		return -1;
	*cpp = cp;
	return 0;
}

/*
 * Fill in e's names: a pattern list, lowercased, or a hashed name, which
 * must be "|1|" and 20 bytes each of salt and hash in base64.
 */
static int
parse_names(struct kh_entry *e, const char *names)
{
	const char *salt, *bar;

	if (*names != '|') {
		e->names = xstrdup(names);
		lowercase(e->names);
		return 0;
	}
	if (strncmp(names, HASH_MAGIC, strlen(HASH_MAGIC)) != 0)
		return -1;
	salt = names + strlen(HASH_MAGIC);
	if ((bar = strchr(salt, '|')) == NULL ||
	    b64_decode_hash(salt, (size_t)(bar - salt), e->salt) == -1 ||
	    b64_decode_hash(bar + 1, strlen(bar + 1), e->hash) == -1)
		return -1;
	return 0;
}

/* Cut the next word, ended by a space or a tab, out of *cpp. */
static char *
next_word(char **cpp)
{
	char *word = *cpp + strspn(*cpp, " \t"), *cp;

	cp = word + strcspn(word, " \t");
	if (*cp != '\0')
		*cp++ = '\0';
	*cpp = cp;
	return word;
}

static void
file_push(struct kh_file *f, const struct kh_entry *e)
{
	if (f->n_entries == f->cap_entries) {
		f->cap_entries = f->cap_entries == 0 ? 16 :
		    f->cap_entries * 2;
		f->entries = xreallocarray(f->entries, f->cap_entries,
		    sizeof(*f->entries));
	}
	f->entries[f->n_entries++] = *e;
}

/*
 * Parse one line, without its newline, into a new entry of f: [marker]
 * names keytype base64 [comment].  Returns 1 for an entry, 0 for a blank
 * or comment line, and -1 for a malformed line, skipped as OpenSSH skips
 * it.  Like OpenSSH, a NUL ends the line and a trailing CR is ignored.
 */
static int
parse_line(struct kh_file *f, const char *text, size_t len,
    unsigned long lineno)
{
	struct kh_entry e;
	char *line, *cp, *names, *type, *b64;
	size_t n;
	int r = -1;

	memset(&e, 0, sizeof(e));
	e.lineno = lineno;
	line = xstrndup(text, len);
	if ((n = strlen(line)) > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	cp = line + strspn(line, " \t");
	if (*cp == '\0' || *cp == '#') {
		r = 0;
		goto out;
	}
	if (parse_marker(&cp, &e.marker) == -1)
		goto out;
	names = next_word(&cp);
	type = next_word(&cp);
	b64 = next_word(&cp);
	if (parse_names(&e, names) == -1 ||
	    kh_b64_decode(b64, strlen(b64), &e.blob, &e.bloblen) == -1 ||
	    (e.keytype = blob_type(e.blob, e.bloblen)) == NULL ||
	    !blob_well_formed(e.blob, e.bloblen) ||
	    !type_field_ok(type, e.keytype))
		goto out;
	file_push(f, &e);
	r = 1;
 out:
	if (r == -1) {
		debug("known_hosts '%s' line %lu: malformed, skipped",
		    f->path, lineno);
		entry_release(&e);
	}
	free(line);
	return r;
}

/* Parse text into f, line by line; returns the number of entries added. */
static size_t
parse_text(struct kh_file *f, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	size_t linelen, n = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		linelen = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (parse_line(f, p, linelen, ++f->n_lines) == 1)
			n++;
		p += linelen + (nl != NULL);
	}
	return n;
}

static struct kh_file *
file_find(const struct knownhosts *kh, const char *path)
{
	size_t i;

	for (i = 0; i < kh->n_files; i++)
		if (strcmp(kh->files[i]->path, path) == 0)
			return kh->files[i];
	return NULL;
}

/* A new, empty cached file. */
static struct kh_file *
file_add(struct knownhosts *kh, const char *path)
{
	struct kh_file *f = xcalloc(1, sizeof(*f));

	f->path = xstrdup(path);
	kh->files = xreallocarray(kh->files, kh->n_files + 1,
	    sizeof(*kh->files));
	kh->files[kh->n_files++] = f;
	return f;
}

/* Drop what f holds, leaving it empty. */
static void
file_clear(struct kh_file *f)
{
	size_t i;

	for (i = 0; i < f->n_entries; i++)
		entry_release(&f->entries[i]);
	free(f->entries);
	f->entries = NULL;
	f->n_entries = f->cap_entries = 0;
	f->n_lines = 0;
}

/*
 * Read the whole of path into *textp, without any limit on line length.  A
 * file that does not exist reads as empty.  Returns 0, or -1 with errno.
 */
static int
read_all(const char *path, char **textp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd, saved;

	*textp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if ((r = read(fd, buf + len, cap - len)) == 0)
			break;
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return -1;
		}
		len += (size_t)r;
	}
	close(fd);
	*textp = buf;
	*lenp = len;
	return 0;
}

/*
 * The cached copy of path, read on first use.  Returns NULL with a message
 * if the file exists but cannot be read; it is not cached then.
 */
static struct kh_file *
file_get(struct knownhosts *kh, const char *path, char *err, size_t errlen)
{
	struct kh_file *f;
	char *text;
	size_t len;

	if ((f = file_find(kh, path)) != NULL)
		return f;
	if (read_all(path, &text, &len) == -1) {
		snprintf(err, errlen, "cannot read known_hosts '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	f = file_add(kh, path);
	parse_text(f, text, len);
	free(text);
	return f;
}

/* "none" stands for no file, as in ssh_config's UserKnownHostsFile. */
static int
is_none(const char *path)
{
	return strcmp(path, "none") == 0;
}

static void
hit_set(struct kh_hit *h, const struct kh_file *f, const struct kh_entry *e)
{
	if (h->entry == NULL) {
		h->file = f;
		h->entry = e;
	}
}

/*
 * Record in s what the entries of f say about q.  @cert-authority lines
 * are ignored, as we take no host certificates.  A @revoked line counts
 * whatever names it has: stricter than OpenSSH, which also wants the
 * names to match, but a revoked key has no business on any host.
 */
static void
scan_file(const struct kh_file *f, const struct kh_query *q,
    struct kh_scan *s)
{
	const struct kh_entry *e;
	size_t i;

	for (i = 0; i < f->n_entries; i++) {
		e = &f->entries[i];
		if (e->marker == MRK_REVOKED) {
			if (same_key(e, q->blob, q->bloblen))
				hit_set(&s->revoked, f, e);
			continue;
		}
		if (e->marker != MRK_NONE || !names_match(e, q->name))
			continue;
		if (same_key(e, q->blob, q->bloblen))
			hit_set(&s->match, f, e);
		else if (strcmp(e->keytype, q->type) == 0)
			hit_set(&s->changed, f, e);
		else
			hit_set(&s->other, f, e);
	}
}

/*
 * Load (on first use) and scan each of the files.  A file we cannot read
 * is an error, as it might hold a @revoked line or the changed key.
 */
static int
scan_files(struct knownhosts *kh, char *const *files, size_t n,
    const struct kh_query *q, struct kh_scan *s, char *err, size_t errlen)
{
	struct kh_file *f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (is_none(files[i]))
			continue;
		if ((f = file_get(kh, files[i], err, errlen)) == NULL)
			return -1;
		scan_file(f, q, s);
	}
	return 0;
}

/* An ssh-keyscan command that fetches q's key into the first user file. */
static char *
keyscan_hint(const struct kh_query *q, char *const *user_files,
    size_t n_user)
{
	char port[32] = "";

	if (q->port > 0 && q->port != SSH_PORT)
		snprintf(port, sizeof(port), " -p %d", q->port);
	if (n_user == 0 || is_none(user_files[0]))
		return xasprintf("ssh-keyscan -t %s%s %s", q->type, port,
		    q->host);
	return xasprintf("ssh-keyscan -t %s%s %s >> '%s'", q->type, port,
	    q->host, user_files[0]);
}

static void
msg_revoked(const struct kh_query *q, const struct kh_hit *h, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "host key is revoked (%s %s; known_hosts '%s' "
	    "line %lu)", q->type, q->fp, h->file->path, h->entry->lineno);
}

static void
msg_changed(const struct kh_query *q, const struct kh_hit *h, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "host key mismatch (%s presented; known_hosts "
	    "'%s' line %lu has a different %s key); remove the old key with: "
	    "ssh-keygen -R '%s' -f '%s'", q->fp, h->file->path,
	    h->entry->lineno, q->type, q->name, h->file->path);
}

static void
msg_other(const struct kh_query *q, const struct kh_hit *h,
    char *const *user_files, size_t n_user, char *err, size_t errlen)
{
	char *hint = keyscan_hint(q, user_files, n_user);

	snprintf(err, errlen, "host key type %s not in known_hosts (known "
	    "with %s, '%s' line %lu); check the new key (%s) and add it "
	    "with: %s", q->type, h->entry->keytype, h->file->path,
	    h->entry->lineno, q->fp, hint);
	free(hint);
}

static void
msg_unknown(const struct kh_query *q, enum stricthk policy,
    char *const *user_files, size_t n_user, char *err, size_t errlen)
{
	char *hint = keyscan_hint(q, user_files, n_user);

	snprintf(err, errlen, "host key not known (%s %s) and "
	    "StrictHostKeyChecking is %s; check the key and add it with: %s, "
	    "or use -o StrictHostKeyChecking=accept-new", q->type, q->fp,
	    policy == SHK_ASK ? "ask (there is no prompt)" : "yes", hint);
	free(hint);
}

/* "|1|salt|hash" for name with a fresh salt, as host_hash() makes it. */
static char *
hash_name(const char *name)
{
	unsigned char salt[HASH_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *salt64, *md64, *out;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    HMAC(EVP_sha1(), salt, sizeof(salt), (const unsigned char *)name,
	    strlen(name), md, &mdlen) == NULL || mdlen != HASH_LEN)
		return NULL;
	salt64 = b64_encode(salt, sizeof(salt));
	md64 = b64_encode(md, mdlen);
	out = xasprintf("%s%s|%s", HASH_MAGIC, salt64, md64);
	free(salt64);
	free(md64);
	return out;
}

/*
 * Whether name can stand as a plain pattern list of one name: nothing that
 * would split the line or read as a pattern, marker or hash.
 */
static int
plain_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || strchr("@|#", *name) != NULL)
		return 0;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || strchr(",*?!", *p) != NULL)
			return 0;
	return 1;
}

/* The line to append for q, "names keytype base64\n"; NULL on failure. */
static char *
format_line(const struct kh_query *q, int hash)
{
	char *names, *key, *line;

	if (hash)
		names = hash_name(q->name);
	else
		names = plain_name_ok(q->name) ? xstrdup(q->name) : NULL;
	if (names == NULL)
		return NULL;
	key = b64_encode(q->blob, q->bloblen);
	line = xasprintf("%s %s %s\n", names, q->type, key);
	free(names);
	free(key);
	return line;
}

static int
same_ssh_dir(const char *dir, const char *home)
{
	size_t n = strlen(home);

	while (n > 0 && home[n - 1] == '/')
		n--;
	return strncmp(dir, home, n) == 0 && strcmp(dir + n, "/.ssh") == 0;
}

/* Whether dir is the user's ~/.ssh, by $HOME or by the password file. */
static int
is_user_ssh_dir(const char *dir)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0' && same_ssh_dir(dir, home))
		return 1;
	pw = getpwuid(getuid());
	return pw != NULL && pw->pw_dir != NULL &&
	    same_ssh_dir(dir, pw->pw_dir);
}

/*
 * Make sure the directory of path exists.  Only the user's ~/.ssh is
 * created (mode 0700), as ssh does; any other missing directory is an
 * error rather than a guess.
 */
static int
ensure_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;
	const char *slash;
	char *dir;
	int r = 0;

	if ((slash = strrchr(path, '/')) == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	if (stat(dir, &st) == 0 || errno != ENOENT)
		goto out;	/* open() reports anything else */
	if (!is_user_ssh_dir(dir)) {
		snprintf(err, errlen, "cannot add host key to '%s': "
		    "directory '%s' does not exist", path, dir);
		r = -1;
	} else if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", dir,
		    strerror(errno));
		r = -1;
	}
 out:
	free(dir);
	return r;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t r;

	while (len > 0) {
		if ((r = write(fd, buf, len)) == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * Append line to path under an exclusive flock(), after a newline if the
 * file does not end with one.  The file is never rewritten.  It is opened
 * O_RDWR rather than O_WRONLY only to read its last byte under the lock;
 * O_APPEND still sends every write to the end.
 */
static int
append_line(const char *path, const char *line, char *err, size_t errlen)
{
	struct stat st;
	char last;
	int fd;

	if (ensure_dir(path, err, errlen) == -1)
		return -1;
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1)
		goto fail;
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		if (pread(fd, &last, 1, st.st_size - 1) != 1)
			goto fail;
		if (last != '\n' && write_all(fd, "\n", 1) == -1)
			goto fail;
	}
	if (write_all(fd, line, strlen(line)) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
 fail:
	snprintf(err, errlen, "cannot add host key to '%s': %s", path,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * Append q's key to the first user file, and to its cached copy so that
 * later checks in this run match.  (Were the file not cached, its next
 * reading would find the line anyway.)
 */
static enum kh_result
add_key(struct knownhosts *kh, const struct kh_query *q,
    char *const *user_files, size_t n_user, int hash, char *err,
    size_t errlen)
{
	struct kh_file *f;
	char *line;

	if (n_user == 0 || is_none(user_files[0])) {
		snprintf(err, errlen, "host key not known (%s %s) and there "
		    "is no UserKnownHostsFile to add it to", q->type, q->fp);
		return KH_ERROR;
	}
	if ((line = format_line(q, hash)) == NULL) {
		snprintf(err, errlen, "cannot add host key to '%s': cannot "
		    "write the name '%s' there", user_files[0], q->name);
		return KH_ERROR;
	}
	if (append_line(user_files[0], line, err, errlen) == -1) {
		free(line);
		return KH_ERROR;
	}
	if ((f = file_find(kh, user_files[0])) != NULL)
		parse_line(f, line, strlen(line) - 1, ++f->n_lines);
	free(line);
	return KH_ADDED;
}

/*
 * The verdict on a scanned query.  A revoked key fails first, then any
 * line holding this key matches.  A changed key fails under every policy,
 * "no" included: there OpenSSH would go on with some authentication
 * methods disabled, but we are stricter, as nobody watches a fleet copy
 * for a warning.  So does a key whose type is not known for the host.
 */
static enum kh_result
decide(struct knownhosts *kh, const struct kh_query *q,
    const struct kh_scan *s, char *const *user_files, size_t n_user,
    enum stricthk policy, int hash, char *err, size_t errlen)
{
	if (s->revoked.entry != NULL) {
		msg_revoked(q, &s->revoked, err, errlen);
		return KH_REVOKED;
	}
	if (s->match.entry != NULL)
		return KH_MATCH;
	if (s->changed.entry != NULL) {
		msg_changed(q, &s->changed, err, errlen);
		return KH_MISMATCH;
	}
	if (s->other.entry != NULL) {
		msg_other(q, &s->other, user_files, n_user, err, errlen);
		return KH_OTHERTYPE;
	}
	switch (policy) {
	case SHK_ACCEPT_NEW:
	case SHK_NO:
		return add_key(kh, q, user_files, n_user, hash, err, errlen);
	default:
		/* SHK_YES, SHK_ASK (we never prompt) and SHK_UNSET. */
		msg_unknown(q, policy, user_files, n_user, err, errlen);
		return KH_NOTFOUND;
	}
}

/*
 * The type of a server key blob we can check, or NULL with a message: a
 * plain key of a known type (no certificates), well formed.
 */
static char *
server_type(const unsigned char *blob, size_t len, char *err, size_t errlen)
{
	char *type;
	size_t i;

	if (len > MAX_BLOB || (type = blob_type(blob, len)) == NULL) {
		snprintf(err, errlen, "malformed host key");
		return NULL;
	}
	for (i = 0; i < NITEMS(kh_server_types); i++)
		if (strcmp(type, kh_server_types[i]) == 0)
			break;
	if (i == NITEMS(kh_server_types))
		snprintf(err, errlen, "unsupported host key type '%s'",
		    type);
	else if (!blob_well_formed(blob, len))
		snprintf(err, errlen, "malformed %s host key", type);
	else
		return type;
	free(type);
	return NULL;
}

/*
 * The name OpenSSH looks up (put_host_port()): the lowercased host on
 * port 22, "[host]:port" on any other, with no fallback between the two.
 */
static char *
lookup_name(const char *host, int port)
{
	char *name;

	if (port <= 0 || port == SSH_PORT)
		name = xstrdup(host);
	else
		name = xasprintf("[%s]:%d", host, port);
	lowercase(name);
	return name;
}

/* Append e's type to the list in out unless it is there already. */
static void
types_add(char *out, size_t outlen, const char *type)
{
	size_t i, len = strlen(type), have = strlen(out);
	const char *p;

	for (i = 0; i < NITEMS(kh_server_types); i++)
		if (strcmp(type, kh_server_types[i]) == 0)
			break;
	if (i == NITEMS(kh_server_types))
		return;
	for (p = out; (p = strstr(p, type)) != NULL; p += len)
		if ((p == out || p[-1] == ',') && (p[len] == ',' ||
		    p[len] == '\0'))
			return;
	if (have + len + 2 <= outlen)
		snprintf(out + have, outlen - have, "%s%s", have ? "," : "",
		    type);
}

static void
types_scan(struct knownhosts *kh, const char *name, char *const *files,
    size_t n, char *out, size_t outlen)
{
	const struct kh_file *f;
	char err[256];
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (is_none(files[i]) ||
		    (f = file_get(kh, files[i], err, sizeof(err))) == NULL)
			continue;
		for (k = 0; k < f->n_entries; k++)
			if (f->entries[k].marker == MRK_NONE &&
			    names_match(&f->entries[k], name))
				types_add(out, outlen, f->entries[k].keytype);
	}
}

void
knownhosts_types(struct knownhosts *kh, const char *host, int port,
    char *const *user_files, size_t n_user, char *const *global_files,
    size_t n_global, char *out, size_t outlen)
{
	char *name = lookup_name(host, port);

	if (outlen > 0)
		out[0] = '\0';
	types_scan(kh, name, user_files, n_user, out, outlen);
	types_scan(kh, name, global_files, n_global, out, outlen);
	free(name);
}

struct knownhosts *
knownhosts_new(void)
{
	return xcalloc(1, sizeof(struct knownhosts));
}

enum kh_result
knownhosts_check(struct knownhosts *kh, const char *host, int port,
    const unsigned char *blob, size_t bloblen, char *const *user_files,
    size_t n_user, char *const *global_files, size_t n_global,
    enum stricthk policy, int hash, char *err, size_t errlen)
{
	struct kh_query q;
	struct kh_scan s;
	enum kh_result r;

	if (errlen > 0)
		err[0] = '\0';
	memset(&q, 0, sizeof(q));
	memset(&s, 0, sizeof(s));
	if ((q.type = server_type(blob, bloblen, err, errlen)) == NULL)
		return KH_ERROR;
	q.host = host;
	q.port = port;
	q.name = lookup_name(host, port);
	q.blob = blob;
	q.bloblen = bloblen;
	knownhosts_fingerprint(blob, bloblen, q.fp, sizeof(q.fp));
	if (scan_files(kh, user_files, n_user, &q, &s, err, errlen) == -1 ||
	    scan_files(kh, global_files, n_global, &q, &s, err, errlen) == -1)
		r = KH_ERROR;
	else
		r = decide(kh, &q, &s, user_files, n_user, policy, hash, err,
		    errlen);
	free(q.name);
	free(q.type);
	return r;
}

int
knownhosts_load_text(struct knownhosts *kh, const char *file,
    const char *text, size_t len, char *err, size_t errlen)
{
	struct kh_file *f;
	size_t n;

	if (file == NULL || (text == NULL && len > 0)) {
		snprintf(err, errlen, "known_hosts text without a file name");
		return -1;
	}
	if ((f = file_find(kh, file)) != NULL)
		file_clear(f);
	else
		f = file_add(kh, file);
	n = text != NULL ? parse_text(f, text, len) : 0;
	return n > INT_MAX ? INT_MAX : (int)n;
}

void
knownhosts_fingerprint(const unsigned char *blob, size_t bloblen,
    char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char b64[(EVP_MAX_MD_SIZE + 2) / 3 * 4 + 1];
	unsigned int mdlen = 0;
	size_t n;

	if (EVP_Digest(blob, bloblen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		snprintf(out, outlen, "SHA256:?");
		return;
	}
	EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	snprintf(out, outlen, "SHA256:%s", b64);
}

void
knownhosts_free(struct knownhosts *kh)
{
	size_t i;

	if (kh == NULL)
		return;
	for (i = 0; i < kh->n_files; i++) {
		file_clear(kh->files[i]);
		free(kh->files[i]->path);
		free(kh->files[i]);
	}
	free(kh->files);
	free(kh);
}
