/*
 * Tests for ctr.c, the AES-CTR keystream made 32 KiB at a time.  Each
 * test makes a context the way libssh2 1.10 does (EVP_CIPHER_CTX_new,
 * EVP_CipherInit), feeds it through EVP_Cipher (ctr.c's, which this
 * binary links) in libssh2's 16-byte calls or in mixed sizes, and checks
 * every byte against OpenSSL's own one-call EVP_EncryptUpdate on a
 * context of its own, which ctr.c does not see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctr.h"

#define KS	32768

/* OpenSSL alone: len bytes of in through cipher, key and iv, in one call. */
static unsigned char *
reference(const EVP_CIPHER *cipher, const unsigned char *key,
    const unsigned char *iv, const unsigned char *in, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char *out = malloc(len + 32);
	int n = 0;

	assert_non_null(c);
	assert_non_null(out);
	assert_int_equal(EVP_EncryptInit_ex(c, cipher, NULL, key, iv), 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	assert_int_equal(EVP_EncryptUpdate(c, out, &n, in, (int)len), 1);
	assert_int_equal((size_t)n, len);
	EVP_CIPHER_CTX_free(c);
	return out;
}

static unsigned char *
random_bytes(size_t len)
{
	unsigned char *p = malloc(len);

	assert_non_null(p);
	assert_int_equal(RAND_bytes(p, (int)len), 1);
	return p;
}

/* len bytes through c by calls of the sizes in step[] (cycled). */
static unsigned char *
through(EVP_CIPHER_CTX *c, const unsigned char *in, size_t len,
    const unsigned *step, size_t nstep)
{
	unsigned char *out = malloc(len);
	size_t off = 0, i = 0, n;

	assert_non_null(out);
	while (off < len) {
		n = step[i++ % nstep];
		if (n > len - off)
			n = len - off;
		/* libssh2 1.10 hands EVP_Cipher a scratch block. */
		assert_int_equal(EVP_Cipher(c, out + off, in + off,
		    (unsigned)n), (int)n);
		off += n;
	}
	return out;
}

static EVP_CIPHER_CTX *
libssh2_ctx(const EVP_CIPHER *cipher, const unsigned char *key,
    const unsigned char *iv, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	assert_non_null(c);
	assert_int_equal(EVP_CipherInit(c, cipher, key, iv, enc), 1);
	return c;
}

/* libssh2's 16-byte calls: the same bytes, one keystream per 32 KiB. */
static void
test_same_bytes(void **state)
{
	static const unsigned sixteen[] = { 16 };
	const size_t len = 3 * KS + 48;
	unsigned char *key = random_bytes(32), *iv = random_bytes(16);
	unsigned char *in = random_bytes(len), *want, *got;
	const EVP_CIPHER *ciphers[] = { EVP_aes_128_ctr(), EVP_aes_192_ctr(),
	    EVP_aes_256_ctr() };
	unsigned long before;
	EVP_CIPHER_CTX *c;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		before = ctr_keystreams();
		c = libssh2_ctx(ciphers[i], key, iv, 1);
		got = through(c, in, len, sixteen, 1);
		want = reference(ciphers[i], key, iv, in, len);
		assert_memory_equal(got, want, len);
		assert_int_equal(ctr_keystreams() - before, 4);
		EVP_CIPHER_CTX_free(c);
		free(got);
		free(want);
	}
	free(key);
	free(iv);
	free(in);
}

/* Any sizes, across keystream ends, and a counter that wraps its low word. */
static void
test_mixed_sizes(void **state)
{
	static const unsigned steps[] = { 16, 1, 33, 40000, 15, 32768, 7,
	    65536, 16 };
	const size_t len = 300000;
	unsigned char key[16], iv[16], *in = random_bytes(len), *want, *got;
	EVP_CIPHER_CTX *c;

	(void)state;
	assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
	memset(iv, 0xff, sizeof(iv));
	iv[0] = 0x12;
	iv[15] = 0xf0;
	c = libssh2_ctx(EVP_aes_128_ctr(), key, iv, 1);
	got = through(c, in, len, steps, sizeof(steps) / sizeof(steps[0]));
	want = reference(EVP_aes_128_ctr(), key, iv, in, len);
	assert_memory_equal(got, want, len);
	EVP_CIPHER_CTX_free(c);
	free(got);
	free(want);
	free(in);
}

/*
 * A rekey (EVP_CipherInit again on the same context) starts from the new
 * key and counter: nothing of the old keystream is left to use.  A
 * context made after a free, at the same address or not, starts afresh.
 * Decryption is the same keystream.
 */
static void
test_rekey_free_decrypt(void **state)
{
	static const unsigned sixteen[] = { 16 };
	const size_t len = KS + 4096;
	unsigned char *k1 = random_bytes(16), *k2 = random_bytes(16);
	unsigned char *iv1 = random_bytes(16), *iv2 = random_bytes(16);
	unsigned char *in = random_bytes(len), *want, *got, *back;
	EVP_CIPHER_CTX *c, *d;

	(void)state;
	c = libssh2_ctx(EVP_aes_128_ctr(), k1, iv1, 1);
	free(through(c, in, 4096 + 16, sixteen, 1));
	assert_int_equal(EVP_CipherInit(c, EVP_aes_128_ctr(), k2, iv2, 1), 1);
	got = through(c, in, len, sixteen, 1);
	want = reference(EVP_aes_128_ctr(), k2, iv2, in, len);
	assert_memory_equal(got, want, len);
	free(want);
	EVP_CIPHER_CTX_free(c);

	d = libssh2_ctx(EVP_aes_128_ctr(), k2, iv2, 0);
	back = through(d, got, len, sixteen, 1);
	assert_memory_equal(back, in, len);
	EVP_CIPHER_CTX_free(d);
	free(back);
	free(got);
	free(k1);
	free(k2);
	free(iv1);
	free(iv2);
	free(in);
}

/*
 * Other modes go to libcrypto untouched, and so does a CTR context whose
 * app data is not ctr.c's (made with EVP_EncryptInit_ex, app data set by
 * someone else).
 */
static void
test_passthrough(void **state)
{
	static const unsigned sixteen[] = { 16 };
	const size_t len = 4096;
	unsigned char *key = random_bytes(32), *iv = random_bytes(16);
	unsigned char *in = random_bytes(len), *want, *got;
	unsigned char theirs[64];
	unsigned long before = ctr_keystreams();
	EVP_CIPHER_CTX *c;

	(void)state;
	c = libssh2_ctx(EVP_aes_256_cbc(), key, iv, 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	got = through(c, in, len, sixteen, 1);
	want = reference(EVP_aes_256_cbc(), key, iv, in, len);
	assert_memory_equal(got, want, len);
	EVP_CIPHER_CTX_free(c);
	free(got);
	free(want);

	memset(theirs, 0, sizeof(theirs));
	c = EVP_CIPHER_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key,
	    iv), 1);
	EVP_CIPHER_CTX_set_app_data(c, theirs);
	got = through(c, in, len, sixteen, 1);
	want = reference(EVP_aes_128_ctr(), key, iv, in, len);
	assert_memory_equal(got, want, len);
	assert_ptr_equal(EVP_CIPHER_CTX_get_app_data(c), theirs);
	EVP_CIPHER_CTX_free(c);
	assert_int_equal(ctr_keystreams(), before);
	free(got);
	free(want);
	free(key);
	free(iv);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_mixed_sizes),
		cmocka_unit_test(test_rekey_free_decrypt),
		cmocka_unit_test(test_passthrough),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
