/*
 * known_hosts files, parsed and checked the way OpenSSH's hostfile.c and
 * match.c do it.  Each file is read once, on first use, into a list of
 * entries; a check walks the entries of every file, and a key accepted for
 * a new host is appended to the first user file and to its cached copy.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * SHA1_Init() and SHA_CTX are deprecated in OpenSSL 3 but are the only
 * way to keep an HMAC key's padded state per line: see hmac_prepare().
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "knownhosts.h"
#include "util.h"
#include "log.h"
#include "unittest.h"
#include "xmalloc.h"

#define HASH_MAGIC	"|1|"	/* a hashed name: |1|base64 salt|base64 hash */
#define HASH_LEN	20	/* bytes of salt, and of HMAC-SHA1 */
#define SSH_PORT	22
#define FP_LEN		64	/* "SHA256:" and 43 characters of base64 */
#define MAX_BLOB	65536	/* far above any real public key */
#define MAX_CMD_OUTPUT	(16 << 20) /* bytes read from KnownHostsCommand */
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum kh_marker {
	MRK_NONE,
	MRK_CA,			/* @cert-authority: ignored, no certificates */
	MRK_REVOKED,		/* @revoked */
};

/*
 * One usable line of a file.  A hashed name keeps the SHA-1 states after
 * its HMAC key's inner and outer pad blocks, so that testing a name costs
 * two blocks rather than a whole HMAC.
 */
struct kh_entry {
	enum kh_marker	 marker;
	char		*names;		/* lowercase patterns; NULL if hashed */
	SHA_LONG	 ipad[5];	/* a hashed name's prepared key */
	SHA_LONG	 opad[5];
	unsigned char	 hash[HASH_LEN]; /* and its HMAC */
	char		*keytype;	/* the type named inside the blob */
	unsigned char	*blob;
	size_t		 bloblen;
	unsigned long	 lineno;
};

/* A growing list of entry indices. */
struct kh_idx {
	size_t	*v;
	size_t	 n;
	size_t	 cap;
};

/*
 * The entries of a file that one name matches, found on the first lookup
 * of the name and kept for the run: a hashed line costs an HMAC per name
 * looked up, so each host's name is tried against the file once, not
 * once per step that asks.
 */
struct kh_memo {
	char		*name;		/* NULL: a free slot */
	struct kh_idx	 match;		/* its @-less entries, in file order */
	size_t		 upto;		/* entries tried so far */
};

/*
 * A file as read on first use, plus the lines this run appended to it,
 * the index of its @revoked lines and its table of names looked up
 * (open addressing, at most half full).
 */
struct kh_file {
	char		*path;
	struct kh_entry	*entries;
	size_t		 n_entries;
	size_t		 cap_entries;
	unsigned long	 n_lines;	/* lines seen, to number our appends */
	struct kh_idx	 revoked;
	struct kh_memo	*memo;
	size_t		 n_memo;
	size_t		 cap_memo;	/* 0 or a power of two */
};

struct knownhosts {
	struct kh_file	**files;
	size_t		  n_files;
};

/*
 * One check: the names looked up and the key the server presented.  The
 * first name is "host", "[host]:port" or the alias; the second, if any,
 * is "host" when the first is "[host]:port".
 */
struct kh_query {
	const char		*host;	/* as given, for messages */
	int			 port;
	const char		*alias;	/* HostKeyAlias, or NULL */
	char			*name[2]; /* lowercase; name[1] may be NULL */
	const char		*invocation; /* KnownHostsCommand's %I */
	char			*type;	/* the type inside the blob */
	const unsigned char	*blob;
	size_t			 bloblen;
	char			 fp[FP_LEN];
};

/* A line found by a check, for its message. */
struct kh_hit {
	const struct kh_file	*file;
	const struct kh_entry	*entry;
	const char		*name;	/* the name it was found under */
};

/*
 * What the files say about one query, for each of its names; the first
 * line of each kind wins.
 */
struct kh_scan {
	struct kh_hit	revoked;	/* this key, marked @revoked */
	struct kh_hit	match[2];	/* this key, for this name */
	struct kh_hit	changed[2];	/* another key of this type */
	struct kh_hit	other[2];	/* a key of another type */
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
		if (util_glob(name, p, (size_t)(end - p), 0)) {
			if (negated)
				return -1;
			positive = 1;
		}
		p = *end == ',' ? end + 1 : end;
	}
	return positive;
}

/*
 * The SHA-1 state after one block of HMAC key padding: the salt (the
 * key) XORed into a block of pad bytes, as RFC 2104 has it.
 */
static void
hmac_pad_state(const unsigned char *salt, unsigned char pad, SHA_LONG *st)
{
	unsigned char block[SHA_CBLOCK];
	SHA_CTX c;
	size_t i;

	memset(block, pad, sizeof(block));
	for (i = 0; i < HASH_LEN; i++)
		block[i] ^= salt[i];
	SHA1_Init(&c);
	SHA1_Update(&c, block, sizeof(block));
	st[0] = c.h0;
	st[1] = c.h1;
	st[2] = c.h2;
	st[3] = c.h3;
	st[4] = c.h4;
	OPENSSL_cleanse(&c, sizeof(c));
}

/* Prepare e's HMAC-SHA1 key once, when its line is parsed. */
static void
hmac_prepare(struct kh_entry *e, const unsigned char *salt)
{
	hmac_pad_state(salt, 0x36, e->ipad);
	hmac_pad_state(salt, 0x5c, e->opad);
}

/* A SHA-1 context that has hashed exactly one block, to state st. */
static void
sha1_resume(SHA_CTX *c, const SHA_LONG *st)
{
	memset(c, 0, sizeof(*c));
	c->h0 = st[0];
	c->h1 = st[1];
	c->h2 = st[2];
	c->h3 = st[3];
	c->h4 = st[4];
	c->Nl = SHA_CBLOCK * 8;		/* the length so far, in bits */
}

/* HMAC-SHA1 of name under e's prepared key: what host_hash() makes. */
STATIC void
kh_hmac(const struct kh_entry *e, const char *name,
    unsigned char md[HASH_LEN])
{
	SHA_CTX c;

	sha1_resume(&c, e->ipad);
	SHA1_Update(&c, name, strlen(name));
	SHA1_Final(md, &c);
	sha1_resume(&c, e->opad);
	SHA1_Update(&c, md, HASH_LEN);
	SHA1_Final(md, &c);
}

/* Whether e's names cover name (lowercase), hashed or not. */
static int
names_match(const struct kh_entry *e, const char *name)
{
	unsigned char md[HASH_LEN];

	if (e->names != NULL)
		return kh_match_list(name, e->names) == 1;
	kh_hmac(e, name, md);
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
	unsigned char key[HASH_LEN];

	if (*names != '|') {
		e->names = xstrdup(names);
		lowercase(e->names);
		return 0;
	}
	if (strncmp(names, HASH_MAGIC, strlen(HASH_MAGIC)) != 0)
		return -1;
	salt = names + strlen(HASH_MAGIC);
	if ((bar = strchr(salt, '|')) == NULL ||
	    b64_decode_hash(salt, (size_t)(bar - salt), key) == -1 ||
	    b64_decode_hash(bar + 1, strlen(bar + 1), e->hash) == -1)
		return -1;
	hmac_prepare(e, key);
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
idx_push(struct kh_idx *x, size_t i)
{
	if (x->n == x->cap) {
		x->cap = x->cap == 0 ? 4 : x->cap * 2;
		x->v = xreallocarray(x->v, x->cap, sizeof(*x->v));
	}
	x->v[x->n++] = i;
}

/* FNV-1a, to place a name in a file's table. */
static size_t
name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)h;
}

/* The slot of name in a table of cap slots: its own, or a free one. */
static struct kh_memo *
memo_slot(struct kh_memo *tab, size_t cap, const char *name)
{
	size_t i = name_hash(name) & (cap - 1);

	while (tab[i].name != NULL && strcmp(tab[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static void
memo_grow(struct kh_file *f)
{
	struct kh_memo *old = f->memo;
	size_t i, oldcap = f->cap_memo;

	f->cap_memo = oldcap == 0 ? 64 : oldcap * 2;
	f->memo = xcalloc(f->cap_memo, sizeof(*f->memo));
	for (i = 0; i < oldcap; i++)
		if (old[i].name != NULL)
			*memo_slot(f->memo, f->cap_memo, old[i].name) = old[i];
	free(old);
}

/*
 * The @-less entries of f that name covers: each entry is tried once per
 * name (an HMAC for a hashed line), the first time the name is looked up
 * or, for lines appended since, the next time.
 */
static const struct kh_idx *
file_matches(struct kh_file *f, const char *name)
{
	struct kh_memo *m = NULL;
	size_t i;

	if (f->cap_memo > 0)
		m = memo_slot(f->memo, f->cap_memo, name);
	if (m == NULL || m->name == NULL) {
		if (2 * (f->n_memo + 1) > f->cap_memo)
			memo_grow(f);
		m = memo_slot(f->memo, f->cap_memo, name);
		m->name = xstrdup(name);
		f->n_memo++;
	}
	for (i = m->upto; i < f->n_entries; i++)
		if (f->entries[i].marker == MRK_NONE &&
		    names_match(&f->entries[i], name))
			idx_push(&m->match, i);
	m->upto = f->n_entries;
	return &m->match;
}

/* Add e to f, and to its index of @revoked lines if it is one. */
static void
file_push(struct kh_file *f, const struct kh_entry *e)
{
	if (f->n_entries == f->cap_entries) {
		f->cap_entries = f->cap_entries == 0 ? 16 :
		    f->cap_entries * 2;
		f->entries = xreallocarray(f->entries, f->cap_entries,
		    sizeof(*f->entries));
	}
	f->entries[f->n_entries] = *e;
	if (e->marker == MRK_REVOKED)
		idx_push(&f->revoked, f->n_entries);
	f->n_entries++;
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
	for (i = 0; i < f->cap_memo; i++) {
		free(f->memo[i].name);
		free(f->memo[i].match.v);
	}
	free(f->memo);
	f->memo = NULL;
	f->n_memo = f->cap_memo = 0;
	free(f->revoked.v);
	memset(&f->revoked, 0, sizeof(f->revoked));
}

/*
 * Read the whole of path into *textp, without any limit on line length.  A
 * file that does not exist reads as empty.  Returns 0, or -1 with errno.
 */
static int
read_all(const char *path, char **textp, size_t *lenp)
{
	*textp = NULL;
	*lenp = 0;
	if (util_read_file(path, textp, lenp) == 0)
		return 0;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
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
hit_set(struct kh_hit *h, const struct kh_file *f, const struct kh_entry *e,
    const char *name)
{
	if (h->entry == NULL) {
		h->file = f;
		h->entry = e;
		h->name = name;
	}
}

/*
 * Record in s what the entries of f say about q.  @cert-authority lines
 * are ignored, as we take no host certificates.  A @revoked line counts
 * whatever names it has: stricter than OpenSSH, which also wants the
 * names to match, but a revoked key has no business on any host.
 */
static void
scan_file(struct kh_file *f, const struct kh_query *q, size_t k,
    struct kh_scan *s)
{
	const struct kh_entry *e;
	const struct kh_idx *x;
	const char *name = q->name[k];
	size_t i;

	for (i = 0; k == 0 && i < f->revoked.n; i++) {
		e = &f->entries[f->revoked.v[i]];
		if (same_key(e, q->blob, q->bloblen))
			hit_set(&s->revoked, f, e, name);
	}
	x = file_matches(f, name);
	for (i = 0; i < x->n; i++) {
		e = &f->entries[x->v[i]];
		if (same_key(e, q->blob, q->bloblen))
			hit_set(&s->match[k], f, e, name);
		else if (strcmp(e->keytype, q->type) == 0)
			hit_set(&s->changed[k], f, e, name);
		else
			hit_set(&s->other[k], f, e, name);
	}
}

/*
 * Load (on first use) and scan each of the files for q's name k.  A file
 * we cannot read is an error, as it might hold a @revoked line or the
 * changed key.
 */
static int
scan_files(struct knownhosts *kh, char *const *files, size_t n,
    const struct kh_query *q, size_t k, struct kh_scan *s, char *err,
    size_t errlen)
{
	struct kh_file *f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (is_none(files[i]))
			continue;
		if ((f = file_get(kh, files[i], err, errlen)) == NULL)
			return -1;
		scan_file(f, q, k, s);
	}
	return 0;
}

/*
 * One KnownHostsCommand argument with ssh's per-check tokens expanded:
 * %p the port, %H the name looked up, %I "HOSTNAME" (or "ORDER"), %t the
 * key type, %f its fingerprint, %K its base64 ("NONE" before there is a
 * key), %% a '%' (sshconf.c did the rest).
 */
static char *
command_arg(const char *s, const struct kh_query *q)
{
	char port[16], *out, *key = q->blob == NULL ? xstrdup("NONE") :
	    b64_encode(q->blob, q->bloblen);
	const char *v;
	size_t len = 0, cap = strlen(s) + strlen(key) + 512, n;

	snprintf(port, sizeof(port), "%d", q->port > 0 ? q->port : SSH_PORT);
	out = xmalloc(cap);
	for (; *s != '\0'; s++) {
		v = NULL;
		if (*s == '%' && s[1] != '\0') {
			switch (*++s) {
			case 'p': v = port; break;
			case 'H': v = q->name[0]; break;
			case 'I': v = q->invocation; break;
			case 't': v = q->blob ? q->type : "NONE"; break;
			case 'f': v = q->blob ? q->fp : "NONE"; break;
			case 'K': v = key; break;
			default: v = "%"; break;
			}
		}
		n = v != NULL ? strlen(v) : 1;
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = xreallocarray(out, cap, 1);
		}
		memcpy(out + len, v != NULL ? v : s, n);
		len += n;
	}
	out[len] = '\0';
	free(key);
	return out;
}

/*
 * Read fd to its end, or until the deadline; -1 with errno (ETIMEDOUT,
 * EFBIG past MAX_CMD_OUTPUT) on failure.
 */
static int
read_until(int fd, time_t deadline, char **textp, size_t *lenp)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t cap = 8192;
	ssize_t r;
	int left;

	*textp = xmalloc(cap);
	*lenp = 0;
	for (;;) {
		if ((left = (int)(deadline - time(NULL))) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pfd, 1, left * 1000) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (*lenp == cap) {
			if (cap >= MAX_CMD_OUTPUT) {
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			*textp = xreallocarray(*textp, cap, 1);
		}
		if ((r = read(fd, *textp + *lenp, cap - *lenp)) == 0)
			return 0;
		if (r == -1 && errno != EINTR && errno != EAGAIN)
			return -1;
		if (r > 0)
			*lenp += (size_t)r;
	}
}

/*
 * Start argv with its stdout on a pipe, stdin from /dev/null, stderr
 * ours, SIGPIPE back to its default and no signal blocked (whatever this
 * thread blocks).  Returns the pid, or -1.
 */
static pid_t
command_spawn(char *const *argv, int *outfd)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def, none;
	pid_t pid;
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawnattr_init(&attr);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &def);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK);
	r = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		errno = r;
		return -1;
	}
	*outfd = p[0];
	return pid;
}

/*
 * Run KnownHostsCommand for q and parse what it prints into f, as lines of
 * a known_hosts file.  Returns 0, or -1 with a message.
 */
static int
command_run(char *const *tmpl, const struct kh_query *q, struct kh_file *f,
    char *err, size_t errlen)
{
	char **argv, *text = NULL;
	size_t i, n, len = 0;
	pid_t pid;
	int fd = -1, status, r = -1, saved = 0;

	for (n = 0; tmpl[n] != NULL; n++)
		;
	argv = xcalloc(n + 1, sizeof(*argv));
	argv[0] = xstrdup(tmpl[0]);
	for (i = 1; i < n; i++)
		argv[i] = command_arg(tmpl[i], q);
	if ((pid = command_spawn(argv, &fd)) == -1) {
		snprintf(err, errlen, "cannot run KnownHostsCommand '%s': %s",
		    argv[0], strerror(errno));
		goto out;
	}
	if (read_until(fd, time(NULL) + KH_COMMAND_TIMEOUT, &text,
	    &len) == -1) {
		saved = errno;
		kill(pid, SIGKILL);
	}
	close(fd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (saved == ETIMEDOUT)
		snprintf(err, errlen, "KnownHostsCommand '%s' failed: still "
		    "running after %d seconds", argv[0], KH_COMMAND_TIMEOUT);
	else if (saved != 0)
		snprintf(err, errlen, "KnownHostsCommand '%s' failed: %s",
		    argv[0], strerror(saved));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "KnownHostsCommand '%s' failed: %s %d",
		    argv[0], WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
	else {
		parse_text(f, text, len);
		r = 0;
	}
 out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	free(text);
	return r;
}

/*
 * Scan the user files, then the global ones, then KnownHostsCommand's
 * lines, for q's first name, and the files for its fallback name only if
 * the first lists no key of the presented type (the fallback costs a
 * second pass, so it is only made when it counts; ssh does not run the
 * command for it either).  A command's lines are never cached: ssh runs
 * it for every connection.
 */
static int
scan_all(struct knownhosts *kh, const struct kh_lookup *l,
    const struct kh_query *q, struct kh_file *cmd, struct kh_scan *s,
    char *err, size_t errlen)
{
	size_t k;

	for (k = 0; k < 2 && q->name[k] != NULL; k++) {
		if (k == 1 && (s->match[0].entry != NULL ||
		    s->changed[0].entry != NULL))
			break;
		if (scan_files(kh, l->user_files, l->n_user, q, k, s, err,
		    errlen) == -1 || scan_files(kh, l->global_files,
		    l->n_global, q, k, s, err, errlen) == -1)
			return -1;
		if (k == 0 && l->command != NULL) {
			if (command_run(l->command, q, cmd, err, errlen) == -1)
				return -1;
			scan_file(cmd, q, 0, s);
		}
	}
	return 0;
}

/*
 * An ssh-keyscan command that fetches q's key into the first user file
 * (renamed to the alias, if there is one, as ssh would look it up).
 */
static char *
keyscan_hint(const struct kh_query *q, char *const *user_files,
    size_t n_user)
{
	char port[32] = "", *rename, *out;

	if (q->port > 0 && q->port != SSH_PORT)
		snprintf(port, sizeof(port), " -p %d", q->port);
	rename = q->alias == NULL ? xstrdup("") :
	    xasprintf(" | sed 's/^[^ ]*/%s/'", q->name[0]);
	if (n_user == 0 || is_none(user_files[0]))
		out = xasprintf("ssh-keyscan -t %s%s %s%s", q->type, port,
		    q->host, rename);
	else
		out = xasprintf("ssh-keyscan -t %s%s %s%s >> '%s'", q->type,
		    port, q->host, rename, user_files[0]);
	free(rename);
	return out;
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
	    h->entry->lineno, q->type, h->name, h->file->path);
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
		names = hash_name(q->name[0]);
	else
		names = plain_name_ok(q->name[0]) ? xstrdup(q->name[0]) :
		    NULL;
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
 * Write all of buf at the end of the regular file fd, whose size was
 * size, and make it durable; on any failure (a full disk, a short write)
 * cut the file back to size, so that it is left as it was.
 */
static int
append_or_undo(int fd, off_t size, const char *buf, size_t len)
{
	int saved;

	if (write_all(fd, buf, len) == 0 && fsync(fd) == 0)
		return 0;
	saved = errno;
	if (ftruncate(fd, size) == -1)
		error("cannot undo a partial known_hosts append: %s",
		    strerror(errno));
	errno = saved;
	return -1;
}

/*
 * Append line to path under an exclusive flock(), after a newline if the
 * file does not end with one, in one write that is undone if it fails.
 * The file is never rewritten, so a symbolic link, the owner and the mode
 * stay as they are.  It is opened O_RDWR rather than O_WRONLY only to
 * read its last byte under the lock; O_APPEND still sends every write to
 * the end.
 */
static int
append_line(const char *path, const char *line, char *err, size_t errlen)
{
	struct stat st;
	char last = '\n', *buf = NULL;
	int fd;

	if (ensure_dir(path, err, errlen) == -1)
		return -1;
	if ((fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		/* /dev/null and the like: nothing to undo. */
		if (write_all(fd, line, strlen(line)) == -1)
			goto fail;
	} else {
		if (st.st_size > 0 &&
		    pread(fd, &last, 1, st.st_size - 1) != 1)
			goto fail;
		buf = xasprintf("%s%s", last != '\n' ? "\n" : "", line);
		if (append_or_undo(fd, st.st_size, buf, strlen(buf)) == -1)
			goto fail;
	}
	free(buf);
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
 fail:
	free(buf);
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
		    "write the name '%s' there", user_files[0], q->name[0]);
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
 * The verdict on a scanned query.  A revoked key fails first, then the
 * first name decides if it lists a key of this type, else the fallback
 * name: this key matches, another is a mismatch.  A changed key fails
 * under every policy, "no" included: there OpenSSH would go on with some
 * authentication methods disabled, but we are stricter, as nobody watches
 * a fleet copy for a warning.  So does a key whose type is not known for
 * the first name; under the fallback name only, the host is new, as it
 * is to ssh.
 */
static enum kh_result
decide(struct knownhosts *kh, const struct kh_query *q,
    const struct kh_scan *s, char *const *user_files, size_t n_user,
    enum stricthk policy, int hash, char *err, size_t errlen)
{
	size_t k;

	if (s->revoked.entry != NULL) {
		msg_revoked(q, &s->revoked, err, errlen);
		return KH_REVOKED;
	}
	for (k = 0; k < 2; k++) {
		if (s->match[k].entry != NULL) {
			if (k == 1)
				debug("%s: found matching key w/out port",
				    q->name[0]);
			return KH_MATCH;
		}
		if (s->changed[k].entry != NULL) {
			msg_changed(q, &s->changed[k], err, errlen);
			return KH_MISMATCH;
		}
	}
	if (s->other[0].entry != NULL) {
		msg_other(q, &s->other[0], user_files, n_user, err, errlen);
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

#define KRL_MAGIC	"SSHKRL\n"	/* a binary key revocation list */

/*
 * Whether the text of a RevokedHostKeys file lists q's key: one public
 * key a line ("type base64 [comment]"), as ssh reads a file that is not
 * a KRL.
 */
static int
revoked_text_has(char *text, const struct kh_query *q)
{
	char *line, *next, *cp, *b64;
	unsigned char *blob;
	size_t len;
	int found = 0;

	for (line = text; line != NULL && !found; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		cp = line + strspn(line, " \t\r");
		if (*cp == '\0' || *cp == '#')
			continue;
		(void)next_word(&cp);
		b64 = next_word(&cp);
		b64[strcspn(b64, "\r")] = '\0';
		if (kh_b64_decode(b64, strlen(b64), &blob, &len) == -1)
			continue;
		found = len == q->bloblen && memcmp(blob, q->blob, len) == 0;
		free(blob);
	}
	return found;
}

/*
 * RevokedHostKeys: as in ssh, a listed key is refused, and a file that
 * cannot be read refuses every key.  Binary KRLs are not understood, so
 * they refuse every key too, with a message that says so.
 */
static enum kh_result
check_revoked(const struct kh_lookup *l, const struct kh_query *q,
    char *err, size_t errlen)
{
	char *text;
	size_t i, len;
	int found;

	for (i = 0; i < l->n_revoked; i++) {
		if (read_all(l->revoked_files[i], &text, &len) == -1 ||
		    (text == NULL && access(l->revoked_files[i], F_OK) == -1)) {
			snprintf(err, errlen, "cannot read RevokedHostKeys '%s'"
			    ": %s", l->revoked_files[i], text == NULL &&
			    errno == 0 ? "No such file or directory" :
			    strerror(errno));
			return KH_ERROR;
		}
		if (len >= strlen(KRL_MAGIC) &&
		    memcmp(text, KRL_MAGIC, strlen(KRL_MAGIC)) == 0) {
			free(text);
			snprintf(err, errlen, "RevokedHostKeys '%s' is a key "
			    "revocation list (KRL), which fanscp cannot read",
			    l->revoked_files[i]);
			return KH_ERROR;
		}
		text = xreallocarray(text, len + 1, 1);
		text[len] = '\0';
		found = revoked_text_has(text, q);
		free(text);
		if (found) {
			snprintf(err, errlen, "host key is revoked (%s %s; "
			    "RevokedHostKeys '%s')", q->type, q->fp,
			    l->revoked_files[i]);
			return KH_REVOKED;
		}
	}
	return KH_MATCH;
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
 * The names OpenSSH looks up (get_hostfile_hostname_ipaddr()), lowercased:
 * the alias alone; else the host on port 22; else "[host]:port", then the
 * host as the fallback check_host_key() makes.
 */
static void
query_names(const struct kh_lookup *l, char *name[2])
{
	if (l->alias != NULL) {
		name[0] = xstrdup(l->alias);
		name[1] = NULL;
	} else if (l->port <= 0 || l->port == SSH_PORT) {
		name[0] = xstrdup(l->host);
		name[1] = NULL;
	} else {
		name[0] = xasprintf("[%s]:%d", l->host, l->port);
		name[1] = xstrdup(l->host);
		lowercase(name[1]);
	}
	lowercase(name[0]);
}

/*
 * HostKeyAlgorithms: the signature algorithms we know, the key type each
 * stands for, and whether OpenSSH 9 offers it by default.
 */
static const struct {
	const char	*alg;
	const char	*type;
	int		 dflt;
} kh_algs[] = {
	{ "ssh-ed25519", "ssh-ed25519", 1 },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", 1 },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", 1 },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", 1 },
	{ "rsa-sha2-512", "ssh-rsa", 1 },
	{ "rsa-sha2-256", "ssh-rsa", 1 },
	{ "ssh-rsa", "ssh-rsa", 0 },
	{ "ssh-dss", "ssh-dss", 0 },
};

/* Whether the algorithm list spec (kex_assemble_names()) holds alg. */
static int
alg_allowed(const char *spec, const char *alg, int dflt)
{
	char *list;
	int in;

	if (spec == NULL)
		return dflt;
	list = xstrdup(spec + (strchr("+-^", *spec) != NULL));
	lowercase(list);
	in = kh_match_list(alg, list) == 1;
	free(list);
	switch (*spec) {
	case '+':
	case '^':
		return dflt || in;
	case '-':
		return dflt && !in;
	default:
		return in;
	}
}

int
knownhosts_type_allowed(const char *algorithms, const char *type)
{
	size_t i;

	for (i = 0; i < NITEMS(kh_algs); i++)
		if (strcmp(kh_algs[i].type, type) == 0 &&
		    alg_allowed(algorithms, kh_algs[i].alg, kh_algs[i].dflt))
			return 1;
	return 0;
}

/*
 * Append e's type to the list in out unless it is there already, or not
 * allowed by algorithms.
 */
static void
types_add(char *out, size_t outlen, const char *type,
    const char *algorithms)
{
	size_t i, len = strlen(type), have = strlen(out);
	const char *p;

	for (i = 0; i < NITEMS(kh_server_types); i++)
		if (strcmp(type, kh_server_types[i]) == 0)
			break;
	if (i == NITEMS(kh_server_types) ||
	    !knownhosts_type_allowed(algorithms, type))
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
types_file(struct kh_file *f, const char *name, const char *algorithms,
    char *out, size_t outlen)
{
	const struct kh_idx *x = file_matches(f, name);
	size_t k;

	for (k = 0; k < x->n; k++)
		types_add(out, outlen, f->entries[x->v[k]].keytype,
		    algorithms);
}

static void
types_scan(struct knownhosts *kh, const char *name, char *const *files,
    size_t n, const char *algorithms, char *out, size_t outlen)
{
	struct kh_file *f;
	char err[256];
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_none(files[i]) &&
		    (f = file_get(kh, files[i], err, sizeof(err))) != NULL)
			types_file(f, name, algorithms, out, outlen);
}

/*
 * The types KnownHostsCommand lists for name, run as ssh runs it to order
 * the algorithms (%I "ORDER", no key yet); a failure is left for the
 * check to report.
 */
static void
types_command(const struct kh_lookup *l, char *name, char *out,
    size_t outlen)
{
	struct kh_query q;
	struct kh_file f;
	char err[256];

	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	q.port = l->port;
	q.name[0] = name;
	q.invocation = "ORDER";
	f.path = xstrdup("KnownHostsCommand");
	if (command_run(l->command, &q, &f, err, sizeof(err)) == 0)
		types_file(&f, name, l->algorithms, out, outlen);
	file_clear(&f);
	free(f.path);
}

void
knownhosts_types(struct knownhosts *kh, const struct kh_lookup *l,
    char *out, size_t outlen)
{
	char *name[2];
	size_t k;

	if (outlen == 0)
		return;
	out[0] = '\0';
	query_names(l, name);
	for (k = 0; k < 2 && name[k] != NULL && out[0] == '\0'; k++) {
		types_scan(kh, name[k], l->user_files, l->n_user,
		    l->algorithms, out, outlen);
		types_scan(kh, name[k], l->global_files, l->n_global,
		    l->algorithms, out, outlen);
		if (k == 0 && l->command != NULL)
			types_command(l, name[0], out, outlen);
	}
	free(name[0]);
	free(name[1]);
}

/* Does a @cert-authority line of files[] name name? */
static int
ca_scan(struct knownhosts *kh, const char *name, char *const *files,
    size_t n)
{
	char err[256];
	struct kh_file *f;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (is_none(files[i]) ||
		    (f = file_get(kh, files[i], err, sizeof(err))) == NULL)
			continue;
		for (j = 0; j < f->n_entries; j++)
			if (f->entries[j].marker == MRK_CA &&
			    names_match(&f->entries[j], name))
				return 1;
	}
	return 0;
}

int
knownhosts_has_ca(struct knownhosts *kh, const struct kh_lookup *l)
{
	char *name[2];
	size_t k;
	int found = 0;

	query_names(l, name);
	for (k = 0; k < 2 && name[k] != NULL && !found; k++)
		found = ca_scan(kh, name[k], l->user_files, l->n_user) ||
		    ca_scan(kh, name[k], l->global_files, l->n_global);
	free(name[0]);
	free(name[1]);
	return found;
}

struct knownhosts *
knownhosts_new(void)
{
	return xcalloc(1, sizeof(struct knownhosts));
}

enum kh_result
knownhosts_check(struct knownhosts *kh, const struct kh_lookup *l,
    const unsigned char *blob, size_t bloblen, char *err, size_t errlen)
{
	struct kh_query q;
	struct kh_scan s;
	struct kh_file cmd;
	enum kh_result r;

	if (errlen > 0)
		err[0] = '\0';
	memset(&q, 0, sizeof(q));
	memset(&s, 0, sizeof(s));
	memset(&cmd, 0, sizeof(cmd));
	if ((q.type = server_type(blob, bloblen, err, errlen)) == NULL)
		return KH_ERROR;
	q.host = l->host;
	q.port = l->port;
	q.alias = l->alias;
	q.blob = blob;
	q.bloblen = bloblen;
	knownhosts_fingerprint(blob, bloblen, q.fp, sizeof(q.fp));
	if (!knownhosts_type_allowed(l->algorithms, q.type)) {
		snprintf(err, errlen, "host key type %s (%s) is not allowed "
		    "by HostKeyAlgorithms", q.type, q.fp);
		free(q.type);
		return KH_ERROR;
	}
	if ((r = check_revoked(l, &q, err, errlen)) != KH_MATCH) {
		free(q.type);
		return r;
	}
	query_names(l, q.name);
	cmd.path = xstrdup("KnownHostsCommand");
	q.invocation = "HOSTNAME";
	if (scan_all(kh, l, &q, &cmd, &s, err, errlen) == -1)
		r = KH_ERROR;
	else
		r = decide(kh, &q, &s, l->user_files, l->n_user, l->policy,
		    l->hash, err, errlen);
	file_clear(&cmd);
	free(cmd.path);
	free(q.name[0]);
	free(q.name[1]);
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
