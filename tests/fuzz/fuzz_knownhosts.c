/*
 * libFuzzer target for the known_hosts parser: the input is a file's
 * text, loaded with knownhosts_load_text() and then asked about two
 * fixed keys (ed25519 and ECDSA P-256) for "h" on ports 22 and 2222 and
 * for "web01", under StrictHostKeyChecking=yes, so nothing is written.
 * The same text is loaded a second time (replacing the first) and must
 * give the same answers.  The input is also checked as a server's key
 * blob, since that too comes from the network.  $HOME is a fresh, empty
 * directory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "home.h"
#include "knownhosts.h"

/* The largest file tried; larger inputs are skipped. */
#define INPUT_MAX	16384
#define FILE_NAME	"fuzz/known_hosts"
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The keys the fuzzer's server presents; the seed corpus knows them. */
#define ED25519_B64	"AAAAC3NzaC1lZDI1NTE5AAAAIJ9M38ZjqYlKY9CYVLp6SChX" \
			"DV6NNfdxdh1aV2DNuLnb"
#define ECDSA_B64	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYA" \
			"AABBBKvo5lPVY+Iew5aUVnY18p0AprE31Z4TqZaf5Quy08sW" \
			"EtQ0q+baTi/cRTh1xCxzlkXKfNOm6hP2Vr+X7HoAN5k="

struct key {
	const char	*b64;
	unsigned char	 blob[256];
	size_t		 len;
};

struct query {
	const char	*host;
	int		 port;
};

int	LLVMFuzzerInitialize(int *, char ***);
/*
 * Returning -1 skips an input: libFuzzer 15 and later keep it out of the
 * corpus, and 14 ignores the value.
 */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct key keys[] = { { ED25519_B64, { 0 }, 0 },
    { ECDSA_B64, { 0 }, 0 } };
static const struct query queries[] = { { "h", 22 }, { "h", 2222 },
    { "web01", 0 } };
static char *user_files[] = { FILE_NAME };
static char *global_files[] = { "none", FILE_NAME };

#define NCHECKS	(NITEMS(keys) * NITEMS(queries))

/* Decode k->b64, whose padding EVP_DecodeBlock() counts as zero bytes. */
static void
key_decode(struct key *k)
{
	size_t n = strlen(k->b64);
	int len;

	len = EVP_DecodeBlock(k->blob, (const unsigned char *)k->b64, (int)n);
	if (len <= 0)
		abort();
	while (n > 0 && k->b64[n - 1] == '=') {
		n--;
		len--;
	}
	k->len = (size_t)len;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	home_init();
	for (i = 0; i < NITEMS(keys); i++)
		key_decode(&keys[i]);
	return 0;
}

/* A lookup of host:port in the fuzzed files, strictly. */
static struct kh_lookup
lookup(const char *host, int port)
{
	struct kh_lookup l;

	memset(&l, 0, sizeof(l));
	l.host = host;
	l.port = port;
	l.user_files = user_files;
	l.n_user = NITEMS(user_files);
	l.global_files = global_files;
	l.n_global = NITEMS(global_files);
	l.policy = SHK_YES;
	return l;
}

static enum kh_result
check(struct knownhosts *kh, const struct key *k, const struct query *q)
{
	enum kh_result r;
	char err[1024];

	struct kh_lookup l = lookup(q->host, q->port);

	err[0] = '\0';
	r = knownhosts_check(kh, &l, k->blob, k->len, err, sizeof(err));
	/* Nothing is added under "yes", and the file is always there. */
	if (r == KH_ADDED || r == KH_ERROR || r < KH_MATCH || r > KH_ERROR)
		abort();
	if ((r == KH_MATCH) != (err[0] == '\0'))
		abort();
	return r;
}

/* Load text and check every key and query, into res. */
static void
load_and_check(struct knownhosts *kh, const char *text, size_t size,
    enum kh_result *res)
{
	const struct key *k;
	char err[512];
	size_t i, j;
	int n;

	n = knownhosts_load_text(kh, FILE_NAME, text, size, err, sizeof(err));
	if (n < 0 || (size_t)n > size / 4)
		abort();
	for (i = 0; i < NITEMS(keys); i++) {
		k = &keys[i];
		for (j = 0; j < NITEMS(queries); j++)
			res[i * NITEMS(queries) + j] = check(kh, k,
			    &queries[j]);
	}
}

/* The input as a server's key blob: a malformed one is an error. */
static void
check_blob(struct knownhosts *kh, const uint8_t *data, size_t size)
{
	enum kh_result r;
	char err[1024];

	struct kh_lookup l = lookup("h", 22);

	err[0] = '\0';
	r = knownhosts_check(kh, &l, data, size, err, sizeof(err));
	if (r == KH_ADDED || (r == KH_MATCH) != (err[0] == '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knownhosts *kh;
	enum kh_result first[NCHECKS], again[NCHECKS];
	char *text;

	if (size > INPUT_MAX)
		return -1;
	/* Exactly size bytes, no NUL: a read past the end is caught. */
	if ((text = malloc(size)) == NULL && size > 0)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	kh = knownhosts_new();
	load_and_check(kh, text, size, first);
	load_and_check(kh, text, size, again);
	if (memcmp(first, again, sizeof(first)) != 0)
		abort();
	check_blob(kh, data, size);
	knownhosts_free(kh);
	free(text);
	return 0;
}
