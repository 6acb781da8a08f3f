/*
 * ctr.c: the AES-CTR keystream for libssh2 1.10, made 32 KiB at a time.
 *
 * libssh2 1.10 encrypts (and decrypts) each packet with one EVP_Cipher
 * call per 16-byte block (openssl.c, _libssh2_cipher_crypt).  OpenSSL 3
 * spends most of such a call on its dispatch, not on AES: about 0.5 GB/s
 * at 16 bytes a call against 6.5 GB/s at 16 KiB (bench/sendpath/README.md).
 * A CTR keystream does not depend on the data.  So for a CTR context this
 * file makes the keystream KS bytes at a time, with one real EVP_Cipher
 * call on the same context over zeros, and answers each call by XOR from
 * it.  The context's counter ends where the single-block calls would
 * have left it, every output byte is the same, and each keystream byte is
 * used once and zeroed as it is used.  The buffer is 32 KiB per
 * direction of a session: 64 KiB more per slot of the width.
 *
 * It works by definition: the executable's EVP_Cipher, EVP_CipherInit and
 * EVP_CIPHER_CTX_free come before libcrypto's in the dynamic linker's
 * lookup, so libssh2's calls land here, and each goes on to libcrypto's
 * own (dlsym RTLD_NEXT).  A context's keystream hangs on its app data,
 * which EVP_CipherInit here sets for CTR contexts only.  In fanscp, EVP
 * ciphers are libssh2's alone, and libssh2 1.10 makes every context with
 * EVP_CIPHER_CTX_new and EVP_CipherInit and never sets app data itself;
 * a magic number and a back pointer check that the app data is ours.  A
 * new EVP_CipherInit on a context (a rekey) drops its keystream, and
 * EVP_CIPHER_CTX_free frees it.
 *
 * Should a byte ever come out wrong, the server's MAC check fails and it
 * ends the connection: the host fails, loudly, and keeps no file.
 * FANSCP_CTR_BATCH=0 in the environment sends every call straight to
 * libcrypto, for comparison.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctr.h"

#define KS		32768		/* keystream bytes per real call */
#define KS_MAGIC	0x6b735f66u

struct ks {
	uint32_t		 magic;
	const EVP_CIPHER_CTX	*ctx;	/* the context it belongs to */
	size_t			 pos;	/* next unused byte; KS: none left */
	unsigned char		 buf[KS];
};

typedef int cipher_fn(EVP_CIPHER_CTX *, unsigned char *,
    const unsigned char *, unsigned int);
typedef int init_fn(EVP_CIPHER_CTX *, const EVP_CIPHER *,
    const unsigned char *, const unsigned char *, int);
typedef void free_fn(EVP_CIPHER_CTX *);

static cipher_fn	*real_cipher;
static init_fn		*real_init;
static free_fn		*real_free;
static int		 batch_on;
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static unsigned long	 made;		/* keystreams made */

static void
resolve(void)
{
	const char *e = getenv("FANSCP_CTR_BATCH");

	real_cipher = (cipher_fn *)dlsym(RTLD_NEXT, "EVP_Cipher");
	real_init = (init_fn *)dlsym(RTLD_NEXT, "EVP_CipherInit");
	real_free = (free_fn *)dlsym(RTLD_NEXT, "EVP_CIPHER_CTX_free");
	if (real_cipher == NULL || real_init == NULL || real_free == NULL) {
		fprintf(stderr, "fanscp: cannot find libcrypto's EVP_Cipher: "
		    "%s\n", dlerror());
		abort();
	}
	batch_on = e == NULL || strcmp(e, "0") != 0;
}

/* c's keystream, if it has one of ours. */
static struct ks *
ks_of(const EVP_CIPHER_CTX *c)
{
	struct ks *k = EVP_CIPHER_CTX_get_app_data(c);

	return k != NULL && k->magic == KS_MAGIC && k->ctx == c ? k : NULL;
}

static void
ks_free(EVP_CIPHER_CTX *c)
{
	struct ks *k = ks_of(c);

	if (k == NULL)
		return;
	EVP_CIPHER_CTX_set_app_data(c, NULL);
	explicit_bzero(k, sizeof(*k));
	free(k);
}

/*
 * out = in ^ ks, n bytes, a word at a time; the keystream used is zeroed
 * as it goes, so that no byte of it serves twice and a spent buffer is
 * the zeros the next keystream is made from.
 */
static void
ks_xor(unsigned char *out, const unsigned char *in, unsigned char *ks,
    size_t n)
{
	static const uint64_t zero;
	uint64_t a, b;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&a, in + i, 8);
		memcpy(&b, ks + i, 8);
		a ^= b;
		memcpy(out + i, &a, 8);
		memcpy(ks + i, &zero, 8);
	}
	for (; i < n; i++) {
		out[i] = in[i] ^ ks[i];
		ks[i] = 0;
	}
}

int
EVP_Cipher(EVP_CIPHER_CTX *c, unsigned char *out, const unsigned char *in,
    unsigned int inl)
{
	struct ks *k;
	size_t n, done = 0;

	/* A context with a keystream went through EVP_CipherInit here. */
	if ((k = ks_of(c)) == NULL) {
		pthread_once(&once, resolve);
		return real_cipher(c, out, in, inl);
	}
	while (done < inl) {
		if (k->pos == KS) {
			if (real_cipher(c, k->buf, k->buf, KS) != KS) {
				memset(k->buf, 0, KS);
				return -1;
			}
			k->pos = 0;
			__atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);
		}
		n = KS - k->pos < inl - done ? KS - k->pos : inl - done;
		ks_xor(out + done, in + done, k->buf + k->pos, n);
		k->pos += n;
		done += n;
	}
	return (int)inl;
}

int
EVP_CipherInit(EVP_CIPHER_CTX *c, const EVP_CIPHER *cipher,
    const unsigned char *key, const unsigned char *iv, int enc)
{
	struct ks *k;
	int r;

	pthread_once(&once, resolve);
	ks_free(c);
	r = real_init(c, cipher, key, iv, enc);
	if (r != 1 || !batch_on || EVP_CIPHER_CTX_get_app_data(c) != NULL ||
	    EVP_CIPHER_CTX_get_mode(c) != EVP_CIPH_CTR_MODE ||
	    (k = calloc(1, sizeof(*k))) == NULL)
		return r;
	k->magic = KS_MAGIC;
	k->ctx = c;
	k->pos = KS;
	EVP_CIPHER_CTX_set_app_data(c, k);
	return r;
}

void
EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *c)
{
	pthread_once(&once, resolve);
	if (c != NULL)
		ks_free(c);
	real_free(c);
}

unsigned long
ctr_keystreams(void)
{
	return __atomic_load_n(&made, __ATOMIC_RELAXED);
}
