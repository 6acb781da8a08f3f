/*
 * Unit tests for knownhosts: real keys made by ssh-keygen, files in a
 * temporary directory, and ssh-keygen again to check what we append.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "knownhosts.h"
#include "xmalloc.h"

/* File-static internals reached through STATIC. */
int	kh_match_list(const char *, const char *);
int	kh_b64_decode(const char *, size_t, unsigned char **, size_t *);

/* A public key as ssh-keygen wrote it, and its blob. */
struct key {
	char		type[64];
	char		b64[2048];
	unsigned char	blob[2048];
	size_t		len;
	char		fp[128];	/* as ssh-keygen -l prints it */
};

static char tmpdir[] = "/tmp/test_knownhosts.XXXXXX";
static struct key ed1, ed2, ec1;
static char err[1024];

static char *
tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static int
run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Make a key with ssh-keygen and read back its blob and fingerprint. */
static void
make_key(struct key *k, const char *name, const char *args)
{
	char *priv = tpath(name), *cmd, line[256];
	FILE *f;
	size_t b64len;
	int n;

	cmd = xasprintf("ssh-keygen -q %s -N '' -C test -f '%s'", args, priv);
	assert_int_equal(run(cmd), 0);
	free(cmd);
	cmd = xasprintf("%s.pub", priv);
	f = fopen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%63s %2047s", k->type, k->b64), 2);
	fclose(f);
	free(cmd);

	b64len = strlen(k->b64);
	n = EVP_DecodeBlock(k->blob, (const unsigned char *)k->b64,
	    (int)b64len);
	assert_true(n > 0);
	k->len = (size_t)n - (k->b64[b64len - 1] == '=') -
	    (k->b64[b64len - 2] == '=');

	cmd = xasprintf("ssh-keygen -l -E sha256 -f '%s.pub'", priv);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(sscanf(line, "%*d %127s", k->fp), 1);
	free(cmd);
	free(priv);
}

static int
setup_keys(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	make_key(&ed1, "ed1", "-t ed25519");
	make_key(&ed2, "ed2", "-t ed25519");
	make_key(&ec1, "ec1", "-t ecdsa -b 256");
	return 0;
}

static int
teardown_keys(void **state)
{
	char *cmd = xasprintf("chmod -R u+rwx '%s'; rm -rf '%s'", tmpdir,
	    tmpdir);

	(void)state;
	run(cmd);
	free(cmd);
	return 0;
}

/* knownhosts_check() with a lookup built from plain arguments. */
static enum kh_result
check_args(struct knownhosts *kh, const char *host, int port,
    const unsigned char *blob, size_t len, char *const *ufiles, size_t nu,
    char *const *gfiles, size_t ng, enum stricthk policy, int hash,
    char *e, size_t elen)
{
	struct kh_lookup l = { .host = host, .port = port,
	    .user_files = ufiles, .n_user = nu, .global_files = gfiles,
	    .n_global = ng, .policy = policy, .hash = hash };

	return knownhosts_check(kh, &l, blob, len, e, elen);
}

static void
types_args(struct knownhosts *kh, const char *host, int port,
    char *const *ufiles, size_t nu, char *const *gfiles, size_t ng,
    char *out, size_t outlen)
{
	struct kh_lookup l = { .host = host, .port = port,
	    .user_files = ufiles, .n_user = nu, .global_files = gfiles,
	    .n_global = ng };

	knownhosts_types(kh, &l, out, outlen);
}

static enum kh_result
check(struct knownhosts *kh, const char *file, const char *host, int port,
    const struct key *k, enum stricthk policy, int hash)
{
	char *files[1];

	files[0] = (char *)file;
	return check_args(kh, host, port, k->blob, k->len, files, 1,
	    NULL, 0, policy, hash, err, sizeof(err));
}

/* Load text as the file called name (in tmpdir, never on disk). */
static struct knownhosts *
load(const char *name, const char *text, int expect)
{
	struct knownhosts *kh = knownhosts_new();
	char *path = tpath(name);

	assert_int_equal(knownhosts_load_text(kh, path, text, strlen(text),
	    err, sizeof(err)), expect);
	free(path);
	return kh;
}

/* The types known for a name, in file order, user files first. */
static void
test_types(void **state)
{
	char *text = xasprintf("alpha ecdsa-sha2-nistp256 %s\n"
	    "@revoked beta ssh-ed25519 %s\n"
	    "*.example ssh-ed25519 %s\n"
	    "[alpha]:2222 ssh-ed25519 %s\n"
	    "alpha,www.example ssh-ed25519 %s\n"
	    "alpha ecdsa-sha2-nistp256 %s\n",
	    ec1.b64, ed1.b64, ed2.b64, ed1.b64, ed1.b64, ec1.b64);
	char *path = tpath("types"), *none = "none", out[128];
	struct knownhosts *kh = load("types", text, 6);

	(void)state;
	types_args(kh, "alpha", 22, &path, 1, &none, 1, out,
	    sizeof(out));
	assert_string_equal(out, "ecdsa-sha2-nistp256,ssh-ed25519");
	types_args(kh, "ALPHA", 2222, &path, 1, NULL, 0, out,
	    sizeof(out));
	assert_string_equal(out, "ssh-ed25519");
	types_args(kh, "www.example", 22, &path, 1, NULL, 0, out,
	    sizeof(out));
	assert_string_equal(out, "ssh-ed25519");
	/* A @revoked line says nothing about what a host is known by. */
	types_args(kh, "beta", 22, &path, 1, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
	/* Too small a buffer leaves types out rather than cutting one. */
	types_args(kh, "alpha", 22, &path, 1, NULL, 0, out, 24);
	assert_string_equal(out, "ecdsa-sha2-nistp256");
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_fingerprint(void **state)
{
	char fp[64];

	(void)state;
	knownhosts_fingerprint(ed1.blob, ed1.len, fp, sizeof(fp));
	assert_string_equal(fp, ed1.fp);
	knownhosts_fingerprint(ec1.blob, ec1.len, fp, sizeof(fp));
	assert_string_equal(fp, ec1.fp);
	assert_string_equal(ec1.type, "ecdsa-sha2-nistp256");
	assert_int_equal(strlen(fp), strlen("SHA256:") + 43);
}

static void
test_plain_match(void **state)
{
	char *text = xasprintf("# comment\n\nalpha ssh-ed25519 %s c\n",
	    ed1.b64);
	char *path = tpath("plain");
	struct knownhosts *kh = load("plain", text, 1);

	(void)state;
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_string_equal(err, "");
	assert_int_equal(check(kh, path, "ALPHA", 0, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_non_null(strstr(err, ed1.fp));
	assert_non_null(strstr(err, "StrictHostKeyChecking is yes"));
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_ASK, 0),
	    KH_NOTFOUND);
	assert_non_null(strstr(err, "StrictHostKeyChecking is ask"));
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_comma_list(void **state)
{
	char *text = xasprintf("a.example,B.example,10.0.0.1 ssh-ed25519 %s\n",
	    ed1.b64);
	char *path = tpath("comma");
	struct knownhosts *kh = load("comma", text, 1);

	(void)state;
	assert_int_equal(check(kh, path, "a.example", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "b.example", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "10.0.0.1", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "c.example", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "a.exampl", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_wildcard_negation(void **state)
{
	char *text = xasprintf(
	    "*.Example.com,!bad.example.com ssh-ed25519 %s\n"
	    "web?.lan ssh-ed25519 %s\n"
	    "!only.negated ssh-ed25519 %s\n", ed1.b64, ed1.b64, ed1.b64);
	char *path = tpath("wild");
	struct knownhosts *kh = load("wild", text, 3);

	(void)state;
	assert_int_equal(check(kh, path, "w1.example.com", 22, &ed1, SHK_YES,
	    0), KH_MATCH);
	assert_int_equal(check(kh, path, "a.b.EXAMPLE.com", 22, &ed1,
	    SHK_YES, 0), KH_MATCH);
	assert_int_equal(check(kh, path, "bad.example.com", 22, &ed1,
	    SHK_YES, 0), KH_NOTFOUND);
	assert_int_equal(check(kh, path, "example.com", 22, &ed1, SHK_YES,
	    0), KH_NOTFOUND);
	assert_int_equal(check(kh, path, "web1.lan", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "web10.lan", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "only.negated", 22, &ed1, SHK_YES,
	    0), KH_NOTFOUND);
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_match_list(void **state)
{
	(void)state;
	assert_int_equal(kh_match_list("abc", "abc"), 1);
	assert_int_equal(kh_match_list("abc", "x,a*"), 1);
	assert_int_equal(kh_match_list("abc", "a*,!ab?"), -1);
	assert_int_equal(kh_match_list("abc", "!x"), 0);
	assert_int_equal(kh_match_list("abc", "a?"), 0);
	assert_int_equal(kh_match_list("abc", "*c"), 1);
	assert_int_equal(kh_match_list("abc", "**"), 1);
	assert_int_equal(kh_match_list("", "a,,b"), 1);
	assert_int_equal(kh_match_list("[h]:2222", "[h]:2222"), 1);
	assert_int_equal(kh_match_list("[h]:2222", "h"), 0);
	assert_int_equal(kh_match_list("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c"), 0);
}

static void
test_b64_decode(void **state)
{
	unsigned char *out;
	size_t n;

	(void)state;
	assert_int_equal(kh_b64_decode("aGk=", 4, &out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "hi", 2);
	free(out);
	assert_int_equal(kh_b64_decode("aGk", 3, &out, &n), 0);
	assert_int_equal(n, 2);
	free(out);
	assert_int_equal(kh_b64_decode("aGl=", 4, &out, &n), -1);
	assert_int_equal(kh_b64_decode("a", 1, &out, &n), -1);
	assert_int_equal(kh_b64_decode("aG!=", 4, &out, &n), -1);
	assert_int_equal(kh_b64_decode("aGk==", 5, &out, &n), -1);
}

/*
 * "[host]:port" first; if it lists no key of the presented type, "host"
 * (OpenSSH's "found matching key w/out port"), where a different key of
 * that type is a mismatch and keys of other types only make the host new.
 */
static void
test_port_fallback(void **state)
{
	char *text = xasprintf("alpha ssh-ed25519 %s\n"
	    "[beta]:2222 ssh-ed25519 %s\n"
	    "gamma ssh-ed25519 %s\n"
	    "[gamma]:2222 ssh-ed25519 %s\n"
	    "[*.lan]:2200 ssh-ed25519 %s\n"
	    "delta ssh-ed25519 %s\n"
	    "[epsilon]:2222 ecdsa-sha2-nistp256 %s\n"
	    "epsilon ssh-ed25519 %s\n",
	    ed1.b64, ed1.b64, ed1.b64, ed2.b64, ed1.b64, ed2.b64, ec1.b64,
	    ed1.b64);
	char *path = tpath("port"), out[128];
	struct knownhosts *kh = load("port", text, 8);

	(void)state;
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "alpha", 2222, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "alpha", 2222, &ec1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_non_null(strstr(err, "-p 2222 alpha"));
	assert_int_equal(check(kh, path, "beta", 2222, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	/* A mismatch under the plain name still fails, naming that name. */
	assert_int_equal(check(kh, path, "delta", 2222, &ed1, SHK_ACCEPT_NEW,
	    0), KH_MISMATCH);
	assert_non_null(strstr(err, "ssh-keygen -R 'delta'"));
	/* The port's own line decides when it has a key of this type. */
	assert_int_equal(check(kh, path, "gamma", 2222, &ed1, SHK_YES, 0),
	    KH_MISMATCH);
	assert_non_null(strstr(err, "ssh-keygen -R '[gamma]:2222'"));
	assert_int_equal(check(kh, path, "gamma", 2222, &ed2, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "w.lan", 2200, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "w.lan", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	/* Known on the port with another type: the plain line still counts. */
	assert_int_equal(check(kh, path, "epsilon", 2222, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "epsilon", 2222, &ed2, SHK_YES, 0),
	    KH_MISMATCH);
	/* Types offered: the port's, else the plain name's. */
	types_args(kh, "epsilon", 2222, &path, 1, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "ecdsa-sha2-nistp256");
	types_args(kh, "alpha", 2222, &path, 1, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "ssh-ed25519");
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_hashed(void **state)
{
	char *text = xasprintf("alpha ssh-ed25519 %s\n"
	    "[beta]:2222 ssh-ed25519 %s\n", ed1.b64, ed1.b64);
	char *path = tpath("hashed"), *cmd, *now;
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	write_text(path, text);
	cmd = xasprintf("ssh-keygen -H -f '%s' >/dev/null 2>&1", path);
	assert_int_equal(run(cmd), 0);
	now = slurp(path);
	assert_null(strstr(now, "alpha"));
	assert_int_equal(strncmp(now, "|1|", 3), 0);
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "Alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "alpha", 22, &ed2, SHK_YES, 0),
	    KH_MISMATCH);
	assert_non_null(strstr(err, "line 1 "));
	assert_int_equal(check(kh, path, "beta", 2222, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	/* Hashed plain names serve the port fallback too. */
	assert_int_equal(check(kh, path, "alpha", 2222, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "alpha", 2222, &ed2, SHK_YES, 0),
	    KH_MISMATCH);
	knownhosts_free(kh);
	free(now);
	free(cmd);
	free(path);
	free(text);
}

static void
test_mismatch(void **state)
{
	char *text = xasprintf("# one\n# two\nalpha,beta ssh-ed25519 %s\n",
	    ed1.b64);
	char *path = tpath("mismatch"), *before, *after, *want;
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	write_text(path, text);
	before = slurp(path);
	assert_int_equal(check(kh, path, "beta", 22, &ed2, SHK_YES, 0),
	    KH_MISMATCH);
	want = xasprintf("host key mismatch (%s presented; known_hosts '%s' "
	    "line 3 has a different ssh-ed25519 key); remove the old key "
	    "with: ssh-keygen -R 'beta' -f '%s'", ed2.fp, path, path);
	assert_string_equal(err, want);
	/* Stricter than OpenSSH: no policy lets a changed key through. */
	assert_int_equal(check(kh, path, "beta", 22, &ed2, SHK_ACCEPT_NEW,
	    0), KH_MISMATCH);
	assert_int_equal(check(kh, path, "beta", 22, &ed2, SHK_NO, 0),
	    KH_MISMATCH);
	after = slurp(path);
	assert_string_equal(before, after);
	knownhosts_free(kh);
	free(want);
	free(before);
	free(after);
	free(path);
	free(text);
}

static void
test_othertype(void **state)
{
	char *text = xasprintf("alpha ssh-ed25519 %s\n", ed1.b64);
	char *both = xasprintf("alpha ssh-ed25519 %s\n"
	    "alpha ecdsa-sha2-nistp256 %s\n", ed1.b64, ec1.b64);
	char *path = tpath("other");
	struct knownhosts *kh = load("other", text, 1);

	(void)state;
	assert_int_equal(check(kh, path, "alpha", 22, &ec1, SHK_YES, 0),
	    KH_OTHERTYPE);
	assert_non_null(strstr(err, "host key type ecdsa-sha2-nistp256 not "
	    "in known_hosts (known with ssh-ed25519"));
	assert_non_null(strstr(err, "ssh-keyscan -t ecdsa-sha2-nistp256 "
	    "alpha"));
	assert_int_equal(check(kh, path, "alpha", 22, &ec1, SHK_ACCEPT_NEW,
	    0), KH_OTHERTYPE);
	assert_int_equal(check(kh, path, "alpha", 22, &ec1, SHK_NO, 0),
	    KH_OTHERTYPE);
	/* A changed key of the same type outranks other types. */
	assert_int_equal(knownhosts_load_text(kh, path, both, strlen(both),
	    err, sizeof(err)), 2);
	assert_int_equal(check(kh, path, "alpha", 22, &ec1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "alpha", 22, &ed2, SHK_YES, 0),
	    KH_MISMATCH);
	knownhosts_free(kh);
	free(path);
	free(both);
	free(text);
}

static void
test_revoked(void **state)
{
	char *text = xasprintf("alpha ssh-ed25519 %s\n"
	    "alpha ssh-ed25519 %s\n"
	    "@revoked unrelated.host ssh-ed25519 %s\n", ed1.b64, ed2.b64,
	    ed1.b64);
	char *path = tpath("revoked");
	struct knownhosts *kh = load("revoked", text, 3);

	(void)state;
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_REVOKED);
	assert_non_null(strstr(err, ed1.fp));
	assert_non_null(strstr(err, "line 3"));
	assert_int_equal(check(kh, path, "other", 22, &ed1, SHK_NO, 0),
	    KH_REVOKED);
	assert_int_equal(check(kh, path, "alpha", 22, &ed2, SHK_YES, 0),
	    KH_MATCH);
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_cert_authority_ignored(void **state)
{
	char *text = xasprintf("@cert-authority alpha ssh-ed25519 %s\n"
	    "@cert-authority\t* ssh-ed25519 %s\n"
	    "beta ssh-ed25519 %s\n", ed1.b64, ed1.b64, ed2.b64);
	char *path = tpath("ca");
	struct knownhosts *kh = load("ca", text, 3);

	(void)state;
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_MISMATCH);
	knownhosts_free(kh);
	free(path);
	free(text);
}

/*
 * A host a @cert-authority line names is told apart (its certificate is
 * for OpenSSH's ssh to check): by name or pattern, with [host]:port, and
 * in the global files too; a plain line or another name is not.
 */
static void
test_has_ca(void **state)
{
	char *text = xasprintf("@cert-authority *.lab,!gw.lab ssh-ed25519 %s\n"
	    "@cert-authority [alpha]:2222 ssh-ed25519 %s\n"
	    "beta ssh-ed25519 %s\n", ed1.b64, ed1.b64, ed2.b64);
	char *path = tpath("hasca"), *files[1];
	struct knownhosts *kh = load("hasca", text, 3);
	struct kh_lookup l = { .port = 22 };

	(void)state;
	files[0] = path;
	l.user_files = files;
	l.n_user = 1;
	l.host = "web1.lab";
	assert_true(knownhosts_has_ca(kh, &l));
	l.host = "gw.lab";
	assert_false(knownhosts_has_ca(kh, &l));
	l.host = "beta";
	assert_false(knownhosts_has_ca(kh, &l));
	l.host = "alpha";
	assert_false(knownhosts_has_ca(kh, &l));
	l.port = 2222;
	assert_true(knownhosts_has_ca(kh, &l));
	l.user_files = NULL;
	l.n_user = 0;
	l.global_files = files;
	l.n_global = 1;
	assert_true(knownhosts_has_ca(kh, &l));
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_malformed_skipped(void **state)
{
	char *text = xasprintf("alpha\n"
	    "alpha ssh-ed25519\n"
	    "alpha ssh-ed25519 !!!!\n"
	    "alpha ssh-ed25519 AAAA\n"
	    "alpha ecdsa-sha2-nistp256 %s\n"
	    "@bogus alpha ssh-ed25519 %s\n"
	    "@revoked @revoked alpha ssh-ed25519 %s\n"
	    "@revoked\n"
	    "|1|bad|bad ssh-ed25519 %s\n"
	    "|2|x|y ssh-ed25519 %s\n"
	    "   # indented comment\n"
	    "beta ssh-ed25519 %s\n"
	    "\tgamma\tssh-ed25519\t%s\tcomment\r\n"
	    "delta ssh-ed25519 %.20s\n"
	    "epsilon ssh-ed25519 %s",
	    ed2.b64, ed2.b64, ed1.b64, ed2.b64, ed2.b64, ed1.b64, ed1.b64,
	    ed1.b64, ed1.b64);
	char *path = tpath("malformed");
	struct knownhosts *kh = load("malformed", text, 3);

	(void)state;
	/* Not even the ed25519 blob under an ecdsa name counts. */
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "alpha", 22, &ed2, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "gamma", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "delta", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "epsilon", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	knownhosts_free(kh);
	free(path);
	free(text);
}

static void
test_long_lines(void **state)
{
	char *longc = xmalloc(20001), *longh = xmalloc(20001), *text;
	char *path = tpath("long");
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	memset(longc, 'c', 20000);
	longc[20000] = '\0';
	memset(longh, 'h', 20000);
	longh[20000] = '\0';
	text = xasprintf("alpha ssh-ed25519 %s %s\n"
	    "%s,beta ssh-ed25519 %s\n"
	    "gamma ssh-ed25519 %s\n", ed1.b64, longc, longh, ed1.b64,
	    ed1.b64);
	write_text(path, text);
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, longh, 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(kh, path, "gamma", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	knownhosts_free(kh);
	free(text);
	free(path);
	free(longh);
	free(longc);
}

static void
test_accept_new(void **state)
{
	char *head = xasprintf("# keep me\nbeta ssh-ed25519 %s comment\n",
	    ed2.b64);
	char *path = tpath("acceptnew"), *want, *now;
	struct knownhosts *kh = knownhosts_new(), *fresh;

	(void)state;
	write_text(path, head);
	assert_int_equal(check(kh, path, "Alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_ADDED);
	assert_string_equal(err, "");
	want = xasprintf("%salpha ssh-ed25519 %s\n", head, ed1.b64);
	now = slurp(path);
	assert_string_equal(now, want);
	free(now);

	/* The same run now matches, and does not append again. */
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_MATCH);
	assert_int_equal(check(kh, path, "alpha", 22, &ed2, SHK_ACCEPT_NEW,
	    0), KH_MISMATCH);
	assert_non_null(strstr(err, "line 3 "));
	now = slurp(path);
	assert_string_equal(now, want);
	free(now);

	/* SHK_NO adds too; "[h]:port" for another port. */
	assert_int_equal(check(kh, path, "alpha", 2222, &ec1, SHK_NO, 0),
	    KH_ADDED);
	now = slurp(path);
	assert_int_equal(count_lines(now), 4);
	assert_non_null(strstr(now, "\n[alpha]:2222 ecdsa-sha2-nistp256 "));
	free(now);

	fresh = knownhosts_new();
	assert_int_equal(check(fresh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(fresh, path, "alpha", 2222, &ec1, SHK_YES,
	    0), KH_MATCH);
	assert_int_equal(check(fresh, path, "beta", 22, &ed2, SHK_YES, 0),
	    KH_MATCH);
	knownhosts_free(fresh);
	knownhosts_free(kh);
	free(want);
	free(path);
	free(head);
}

static void
test_append_after_partial_line(void **state)
{
	char *head = xasprintf("beta ssh-ed25519 %s", ed2.b64);
	char *path = tpath("partial"), *want, *now;
	struct knownhosts *kh = knownhosts_new(), *fresh;

	(void)state;
	write_text(path, head);
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_ADDED);
	want = xasprintf("%s\nalpha ssh-ed25519 %s\n", head, ed1.b64);
	now = slurp(path);
	assert_string_equal(now, want);
	fresh = knownhosts_new();
	assert_int_equal(check(fresh, path, "beta", 22, &ed2, SHK_YES, 0),
	    KH_MATCH);
	assert_int_equal(check(fresh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	knownhosts_free(fresh);
	knownhosts_free(kh);
	free(now);
	free(want);
	free(path);
	free(head);
}

static void
test_hashed_append(void **state)
{
	char *path = tpath("hashappend"), *cmd, *now, *key;
	struct knownhosts *kh = knownhosts_new(), *fresh;
	struct stat st;

	(void)state;
	unlink(path);
	assert_int_equal(check(kh, path, "Host1.lan", 22, &ed1,
	    SHK_ACCEPT_NEW, 1), KH_ADDED);
	assert_int_equal(check(kh, path, "host1.lan", 2222, &ec1,
	    SHK_ACCEPT_NEW, 1), KH_ADDED);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	now = slurp(path);
	assert_int_equal(count_lines(now), 2);
	assert_int_equal(strncmp(now, "|1|", 3), 0);
	assert_null(strstr(now, "host1"));
	key = xasprintf(" ssh-ed25519 %s\n|1|", ed1.b64);
	assert_non_null(strstr(now, key));
	free(key);

	cmd = xasprintf("ssh-keygen -F host1.lan -f '%s' >/dev/null", path);
	assert_int_equal(run(cmd), 0);
	free(cmd);
	cmd = xasprintf("ssh-keygen -F '[host1.lan]:2222' -f '%s' "
	    ">/dev/null", path);
	assert_int_equal(run(cmd), 0);
	free(cmd);
	cmd = xasprintf("ssh-keygen -F host2.lan -f '%s' >/dev/null", path);
	assert_int_equal(run(cmd), 1);
	free(cmd);

	assert_int_equal(check(kh, path, "host1.lan", 22, &ed1, SHK_YES, 1),
	    KH_MATCH);
	fresh = knownhosts_new();
	assert_int_equal(check(fresh, path, "host1.lan", 22, &ed1, SHK_YES,
	    0), KH_MATCH);
	assert_int_equal(check(fresh, path, "host1.lan", 2222, &ec1,
	    SHK_YES, 0), KH_MATCH);
	/* No ed25519 key for the port: the plain name's one matches. */
	assert_int_equal(check(fresh, path, "host1.lan", 2222, &ed1,
	    SHK_YES, 0), KH_MATCH);
	assert_int_equal(check(fresh, path, "host1.lan", 2222, &ed2,
	    SHK_YES, 0), KH_MISMATCH);
	knownhosts_free(fresh);
	knownhosts_free(kh);
	free(now);
	free(path);
}

/* knownhosts_check() for host:port under HostKeyAlias alias. */
static enum kh_result
check_alias(struct knownhosts *kh, const char *file, const char *host,
    int port, const char *alias, const struct key *k, enum stricthk policy)
{
	char *files[1] = { (char *)file };
	struct kh_lookup l = { .host = host, .port = port, .alias = alias,
	    .user_files = files, .n_user = 1, .policy = policy };

	return knownhosts_check(kh, &l, k->blob, k->len, err, sizeof(err));
}

/*
 * HostKeyAlias: the alias alone is looked up, lowercased, whatever the
 * port, and it is the name accept-new writes.
 */
static void
test_alias(void **state)
{
	char *head = xasprintf("web.alias ssh-ed25519 %s\n"
	    "[10.0.0.1]:2222 ssh-ed25519 %s\n"
	    "10.0.0.1 ssh-ed25519 %s\n", ed1.b64, ed2.b64, ed2.b64);
	char *path = tpath("alias"), *now, *want;
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	write_text(path, head);
	assert_int_equal(check_alias(kh, path, "10.0.0.1", 2222, "Web.Alias",
	    &ed1, SHK_YES), KH_MATCH);
	/* The host's own lines do not count: an impostor's key fails. */
	assert_int_equal(check_alias(kh, path, "10.0.0.1", 2222, "web.alias",
	    &ed2, SHK_ACCEPT_NEW), KH_MISMATCH);
	assert_non_null(strstr(err, ed2.fp));
	assert_non_null(strstr(err, "ssh-keygen -R 'web.alias'"));
	assert_int_equal(check_alias(kh, path, "10.0.0.1", 22, "other",
	    &ed2, SHK_YES), KH_NOTFOUND);
	assert_non_null(strstr(err, "ssh-keyscan -t ssh-ed25519 10.0.0.1 | "
	    "sed 's/^[^ ]*/other/'"));
	now = slurp(path);
	assert_string_equal(now, head);
	free(now);
	assert_int_equal(check_alias(kh, path, "10.0.0.1", 2222, "New.Alias",
	    &ed2, SHK_ACCEPT_NEW), KH_ADDED);
	want = xasprintf("%snew.alias ssh-ed25519 %s\n", head, ed2.b64);
	now = slurp(path);
	assert_string_equal(now, want);
	free(now);
	free(want);
	knownhosts_free(kh);
	free(path);
	free(head);
}

/* HostKeyAlgorithms as OpenSSH assembles it, and what it lets through. */
static void
test_algorithms(void **state)
{
	char *text = xasprintf("alpha ecdsa-sha2-nistp256 %s\n"
	    "alpha ssh-ed25519 %s\n", ec1.b64, ed1.b64);
	char *path = tpath("algs"), *files[1], out[128];
	struct knownhosts *kh = load("algs", text, 2);
	struct kh_lookup l = { .host = "alpha", .port = 22,
	    .algorithms = "ssh-ed25519", .n_user = 1, .policy = SHK_NO };

	(void)state;
	assert_true(knownhosts_type_allowed(NULL, "ssh-ed25519"));
	assert_true(knownhosts_type_allowed(NULL, "ssh-rsa"));
	assert_false(knownhosts_type_allowed(NULL, "ssh-dss"));
	assert_true(knownhosts_type_allowed("+ssh-dss", "ssh-dss"));
	assert_true(knownhosts_type_allowed("^ECDSA-*", "ssh-ed25519"));
	assert_false(knownhosts_type_allowed("-ssh-ed25519", "ssh-ed25519"));
	assert_true(knownhosts_type_allowed("-ssh-ed25519",
	    "ecdsa-sha2-nistp384"));
	assert_false(knownhosts_type_allowed("ssh-ed25519",
	    "ecdsa-sha2-nistp256"));
	assert_true(knownhosts_type_allowed("rsa-sha2-256", "ssh-rsa"));
	assert_false(knownhosts_type_allowed("-rsa-sha2-*", "ssh-rsa"));
	assert_false(knownhosts_type_allowed("-ssh-*,ecdsa-*", "ssh-ed25519"));

	files[0] = path;
	l.user_files = files;
	/* A known key of an excluded type is refused, as ssh refuses it. */
	assert_int_equal(knownhosts_check(kh, &l, ec1.blob, ec1.len, err,
	    sizeof(err)), KH_ERROR);
	assert_non_null(strstr(err, "ecdsa-sha2-nistp256"));
	assert_non_null(strstr(err, "not allowed by HostKeyAlgorithms"));
	assert_int_equal(knownhosts_check(kh, &l, ed1.blob, ed1.len, err,
	    sizeof(err)), KH_MATCH);
	knownhosts_types(kh, &l, out, sizeof(out));
	assert_string_equal(out, "ssh-ed25519");
	knownhosts_free(kh);
	free(path);
	free(text);
}

/*
 * An append that cannot be written whole (here RLIMIT_FSIZE cuts it
 * short, as a full disk would) leaves the file byte for byte as it was.
 */
static void
test_append_all_or_nothing(void **state)
{
	char *head = xasprintf("beta ssh-ed25519 %s", ed2.b64);
	char *path = tpath("fulldisk"), *now;
	struct knownhosts *kh = knownhosts_new();
	struct rlimit old, lim;
	void (*osig)(int);

	(void)state;
	write_text(path, head);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = strlen(head) + 20;
	osig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_ERROR);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, osig);
	assert_non_null(strstr(err, "cannot add host key to"));
	now = slurp(path);
	assert_string_equal(now, head);
	free(now);
	/* Nothing was remembered either: the host is still unknown. */
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	knownhosts_free(kh);
	free(path);
	free(head);
}

/*
 * KnownHostsCommand: run without a shell, tokens expanded per argument,
 * its lines checked after the files; a failure fails the host, and an
 * unknown key is still added to the user file under accept-new.
 */
static void
test_command(void **state)
{
	char *script = tpath("khcmd"), *outf = tpath("khcmd.out");
	char *argsf = tpath("khcmd.args"), *rcf = tpath("khcmd.rc");
	char *user = tpath("khcmd_user"), *text, *now, *want, out[128];
	char *body = xasprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" >'%s'\n"
	    "cat '%s'\nexit $(cat '%s')\n", argsf, outf, rcf);
	char *argv[] = { script, "%H", "%I", "%t", "%f", "%K", "%p", "100%%",
	    NULL };
	char *files[1] = { user };
	struct kh_lookup l = { .host = "Alpha", .port = 22,
	    .user_files = files, .n_user = 1, .command = argv,
	    .policy = SHK_YES };
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	write_text(script, body);
	assert_int_equal(chmod(script, 0755), 0);
	write_text(rcf, "0\n");
	write_text(user, "");
	text = xasprintf("alpha ssh-ed25519 %s\n", ed1.b64);
	write_text(outf, text);
	assert_int_equal(knownhosts_check(kh, &l, ed1.blob, ed1.len, err,
	    sizeof(err)), KH_MATCH);
	want = xasprintf("alpha\nHOSTNAME\nssh-ed25519\n%s\n%s\n22\n100%%\n",
	    ed1.fp, ed1.b64);
	now = slurp(argsf);
	assert_string_equal(now, want);
	free(now);
	free(want);
	assert_int_equal(knownhosts_check(kh, &l, ed2.blob, ed2.len, err,
	    sizeof(err)), KH_MISMATCH);
	assert_non_null(strstr(err, "KnownHostsCommand"));

	/* Ordering runs it too, with no key yet. */
	knownhosts_types(kh, &l, out, sizeof(out));
	assert_string_equal(out, "ssh-ed25519");
	now = slurp(argsf);
	assert_string_equal(now, "alpha\nORDER\nNONE\nNONE\nNONE\n22\n100%\n");
	free(now);

	/* It fails: so does the host. */
	write_text(rcf, "3\n");
	assert_int_equal(knownhosts_check(kh, &l, ed1.blob, ed1.len, err,
	    sizeof(err)), KH_ERROR);
	assert_non_null(strstr(err, "failed: exit status 3"));

	/* Nothing known: accept-new adds to the user file, as ssh does. */
	write_text(rcf, "0\n");
	write_text(outf, "");
	l.policy = SHK_ACCEPT_NEW;
	assert_int_equal(knownhosts_check(kh, &l, ed1.blob, ed1.len, err,
	    sizeof(err)), KH_ADDED);
	now = slurp(user);
	assert_string_equal(now, text);
	free(now);

	argv[0] = "/nonexistent/khcmd";
	l.host = "beta";
	assert_int_equal(knownhosts_check(kh, &l, ed1.blob, ed1.len, err,
	    sizeof(err)), KH_ERROR);
	assert_non_null(strstr(err, "cannot run KnownHostsCommand"));
	knownhosts_free(kh);
	free(text);
	free(body);
	free(user);
	free(rcf);
	free(argsf);
	free(outf);
	free(script);
}

/*
 * RevokedHostKeys: a listed key is refused even though known_hosts holds
 * it; a missing file or a binary KRL refuses every key.
 */
static void
test_revoked_files(void **state)
{
	char *text = xasprintf("alpha ssh-ed25519 %s\nalpha "
	    "ecdsa-sha2-nistp256 %s\n", ed1.b64, ec1.b64);
	char *path = tpath("revf"), *rev = tpath("revf.keys");
	char *krl = tpath("revf.krl"), *missing = tpath("revf.none");
	char *list = xasprintf("# revoked\n\n  ssh-ed25519 %s old key\r\n",
	    ed1.b64);
	char *files[1] = { path }, *revs[2] = { rev, NULL };
	struct knownhosts *kh = load("revf", text, 2);
	struct kh_lookup l = { .host = "alpha", .port = 22,
	    .user_files = files, .n_user = 1, .revoked_files = revs,
	    .n_revoked = 1, .policy = SHK_YES };

	(void)state;
	write_text(rev, list);
	assert_int_equal(knownhosts_check(kh, &l, ed1.blob, ed1.len, err,
	    sizeof(err)), KH_REVOKED);
	assert_non_null(strstr(err, ed1.fp));
	assert_non_null(strstr(err, rev));
	assert_int_equal(knownhosts_check(kh, &l, ec1.blob, ec1.len, err,
	    sizeof(err)), KH_MATCH);
	write_text(krl, "SSHKRL\n");
	revs[1] = krl;
	l.n_revoked = 2;
	assert_int_equal(knownhosts_check(kh, &l, ec1.blob, ec1.len, err,
	    sizeof(err)), KH_ERROR);
	assert_non_null(strstr(err, "(KRL), which fanscp cannot read"));
	revs[1] = missing;
	assert_int_equal(knownhosts_check(kh, &l, ec1.blob, ec1.len, err,
	    sizeof(err)), KH_ERROR);
	assert_non_null(strstr(err, "cannot read RevokedHostKeys"));
	knownhosts_free(kh);
	free(list);
	free(missing);
	free(krl);
	free(rev);
	free(path);
	free(text);
}

static void
test_unreadable(void **state)
{
	char *path = tpath("unreadable"), *dir = tpath("adir");
	struct knownhosts *kh = knownhosts_new();
	char *want;

	(void)state;
	if (geteuid() != 0) {
		write_text(path, "");
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(check(kh, path, "alpha", 22, &ed1,
		    SHK_ACCEPT_NEW, 0), KH_ERROR);
		want = xasprintf("cannot read known_hosts '%s': ", path);
		assert_int_equal(strncmp(err, want, strlen(want)), 0);
		free(want);
	}
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(check(kh, dir, "alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_ERROR);
	want = xasprintf("cannot read known_hosts '%s': Is a directory", dir);
	assert_string_equal(err, want);
	free(want);
	knownhosts_free(kh);
	free(dir);
	free(path);
}

static void
test_missing_file(void **state)
{
	char *path = tpath("nosuchdir/known_hosts"), *want;
	struct knownhosts *kh = knownhosts_new();
	struct stat st;

	(void)state;
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	/* Only ~/.ssh is ever created. */
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_ERROR);
	want = tpath("nosuchdir");
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(stat(want, &st), -1);
	knownhosts_free(kh);
	free(want);
	free(path);
}

static void
test_creates_dot_ssh(void **state)
{
	char *home = tpath("home"), *dir = tpath("home/.ssh");
	char *path = tpath("home/.ssh/known_hosts");
	char *old = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	struct knownhosts *kh = knownhosts_new();
	struct stat st;

	(void)state;
	assert_int_equal(mkdir(home, 0755), 0);
	assert_int_equal(setenv("HOME", home, 1), 0);
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_ACCEPT_NEW,
	    0), KH_ADDED);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (old != NULL)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	knownhosts_free(kh);
	free(old);
	free(path);
	free(dir);
	free(home);
}

static void
test_global_files(void **state)
{
	char *user = tpath("g_user"), *global = tpath("g_global");
	char *text = xasprintf("alpha ssh-ed25519 %s\n", ed1.b64);
	char *ufiles[2], *gfiles[1], *now;
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	write_text(global, text);
	write_text(user, "");
	ufiles[0] = user;
	ufiles[1] = (char *)"none";
	gfiles[0] = global;
	assert_int_equal(check_args(kh, "alpha", 22, ed1.blob, ed1.len,
	    ufiles, 2, gfiles, 1, SHK_YES, 0, err, sizeof(err)), KH_MATCH);
	assert_int_equal(check_args(kh, "alpha", 22, ed2.blob, ed2.len,
	    ufiles, 2, gfiles, 1, SHK_NO, 0, err, sizeof(err)), KH_MISMATCH);
	assert_non_null(strstr(err, global));
	assert_int_equal(check_args(kh, "beta", 22, ed2.blob, ed2.len,
	    ufiles, 2, gfiles, 1, SHK_ACCEPT_NEW, 0, err, sizeof(err)),
	    KH_ADDED);
	now = slurp(global);
	assert_string_equal(now, text);
	free(now);
	now = slurp(user);
	assert_int_equal(strncmp(now, "beta ssh-ed25519 ", 17), 0);
	free(now);
	/* Nowhere to add to. */
	assert_int_equal(check_args(kh, "gamma", 22, ed2.blob, ed2.len,
	    ufiles + 1, 1, gfiles, 1, SHK_ACCEPT_NEW, 0, err, sizeof(err)),
	    KH_ERROR);
	assert_int_equal(check_args(kh, "gamma", 22, ed2.blob, ed2.len,
	    NULL, 0, NULL, 0, SHK_ACCEPT_NEW, 0, err, sizeof(err)),
	    KH_ERROR);
	knownhosts_free(kh);
	free(text);
	free(global);
	free(user);
}

static void
test_dev_null(void **state)
{
	struct knownhosts *kh = knownhosts_new();

	(void)state;
	assert_int_equal(check(kh, "/dev/null", "alpha", 22, &ed1, SHK_NO,
	    0), KH_ADDED);
	assert_int_equal(check(kh, "/dev/null", "alpha", 22, &ed1, SHK_YES,
	    0), KH_MATCH);
	assert_int_equal(check(kh, "/dev/null", "beta", 22, &ed1, SHK_YES,
	    0), KH_NOTFOUND);
	knownhosts_free(kh);
}

static void
test_bad_server_key(void **state)
{
	static const unsigned char cert[] =
	    "\0\0\0\x20ssh-ed25519-cert-v01@openssh.com\0\0\0\x01x";
	static const unsigned char shortlen[] = "\0\0\0\x40ssh-ed25519";
	static const unsigned char nokey[] = "\0\0\0\x0bssh-ed25519";
	struct knownhosts *kh = load("bad", "", 0);
	char *files[1];

	(void)state;
	files[0] = tpath("bad");
	assert_int_equal(check_args(kh, "alpha", 22, cert,
	    sizeof(cert) - 1, files, 1, NULL, 0, SHK_NO, 0, err, sizeof(err)),
	    KH_ERROR);
	assert_string_equal(err, "unsupported host key type "
	    "'ssh-ed25519-cert-v01@openssh.com'");
	assert_int_equal(check_args(kh, "alpha", 22, shortlen,
	    sizeof(shortlen) - 1, files, 1, NULL, 0, SHK_NO, 0, err,
	    sizeof(err)), KH_ERROR);
	assert_string_equal(err, "malformed host key");
	assert_int_equal(check_args(kh, "alpha", 22, shortlen, 2,
	    files, 1, NULL, 0, SHK_NO, 0, err, sizeof(err)), KH_ERROR);
	assert_int_equal(check_args(kh, "alpha", 22, nokey,
	    sizeof(nokey) - 1, files, 1, NULL, 0, SHK_NO, 0, err,
	    sizeof(err)), KH_ERROR);
	assert_string_equal(err, "malformed ssh-ed25519 host key");
	knownhosts_free(kh);
	free(files[0]);
}

static void
test_load_text_replaces(void **state)
{
	char *a = xasprintf("alpha ssh-ed25519 %s\n", ed1.b64);
	char *b = xasprintf("beta ssh-ed25519 %s\n", ed1.b64);
	char *path = tpath("replace");
	struct knownhosts *kh = load("replace", a, 1);

	(void)state;
	assert_int_equal(knownhosts_load_text(kh, path, b, strlen(b), err,
	    sizeof(err)), 1);
	assert_int_equal(check(kh, path, "alpha", 22, &ed1, SHK_YES, 0),
	    KH_NOTFOUND);
	assert_int_equal(check(kh, path, "beta", 22, &ed1, SHK_YES, 0),
	    KH_MATCH);
	/* A NUL ends its line, as in OpenSSH's C strings. */
	assert_int_equal(knownhosts_load_text(kh, path, "x\0y\nz", 5, err,
	    sizeof(err)), 0);
	assert_int_equal(knownhosts_load_text(kh, NULL, "", 0, err,
	    sizeof(err)), -1);
	knownhosts_free(kh);
	free(path);
	free(b);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_match_list),
		cmocka_unit_test(test_b64_decode),
		cmocka_unit_test(test_plain_match),
		cmocka_unit_test(test_comma_list),
		cmocka_unit_test(test_wildcard_negation),
		cmocka_unit_test(test_port_fallback),
		cmocka_unit_test(test_hashed),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_othertype),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_cert_authority_ignored),
		cmocka_unit_test(test_has_ca),
		cmocka_unit_test(test_malformed_skipped),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_accept_new),
		cmocka_unit_test(test_append_after_partial_line),
		cmocka_unit_test(test_hashed_append),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_append_all_or_nothing),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_revoked_files),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_creates_dot_ssh),
		cmocka_unit_test(test_global_files),
		cmocka_unit_test(test_dev_null),
		cmocka_unit_test(test_bad_server_key),
		cmocka_unit_test(test_load_text_replaces),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
