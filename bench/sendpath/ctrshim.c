/*
 * ctrshim.so: an LD_PRELOAD experiment, not part of fanscp.  libssh2 1.10
 * encrypts 16 bytes per EVP_Cipher call, and OpenSSL 3 runs about 0.55
 * GB/s that way against 6.5 GB/s at 16 KiB a call (sendpath -B).  For a
 * CTR context the keystream does not depend on the data, so this shim
 * answers each 16-byte call from a keystream it makes 32 KiB at a time
 * with one real EVP_Cipher call on the same context: the context's counter
 * ends where 2,048 single-block calls would have left it, and the bytes
 * are the same (sendpath -B checks that).  Anything else (other sizes,
 * other modes) goes to OpenSSL untouched.
 *
 *   LD_PRELOAD=$T/ctrshim.so fanscp …
 *
 * A context's state is found by its address.  EVP_CipherInit and
 * EVP_CIPHER_CTX_free, which libssh2 1.10 uses to make and drop its
 * contexts, are wrapped as well, so that a reused address never meets a
 * stale keystream.  One thread uses a given context at a time (a libssh2
 * session is one engine thread's); a per-thread cache of the last two
 * lookups (the send and receive contexts) keeps the lock off the 16-byte
 * path.  Should a byte still come out wrong, the server's MAC check ends
 * the connection, and fanscp's SHA-256 check fails the host.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define KS	32768
#define SLOTS	4096

struct ks {
	const EVP_CIPHER_CTX *ctx;	/* NULL: free */
	unsigned	 gen;		/* bumped when the slot is dropped */
	int		 pos;
	unsigned char	 buf[KS];
};

static struct ks *slots[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static __thread struct { const EVP_CIPHER_CTX *ctx; struct ks *k; unsigned gen; }
    cache[2];
static __thread int cache_next;

typedef int cipher_fn(EVP_CIPHER_CTX *, unsigned char *, const unsigned char *,
    unsigned int);
typedef int init_fn(EVP_CIPHER_CTX *, const EVP_CIPHER *, const unsigned char *,
    const unsigned char *, int);
typedef void free_fn(EVP_CIPHER_CTX *);

static unsigned long refills;	/* keystreams made (CTRSHIM_DEBUG) */

static cipher_fn *real_cipher;
static init_fn *real_init;
static free_fn *real_free;

static void
resolve(void)
{
	if (real_cipher == NULL) {
		real_cipher = (cipher_fn *)dlsym(RTLD_NEXT, "EVP_Cipher");
		real_init = (init_fn *)dlsym(RTLD_NEXT, "EVP_CipherInit");
		real_free = (free_fn *)dlsym(RTLD_NEXT, "EVP_CIPHER_CTX_free");
	}
}

static size_t
slot_of(const EVP_CIPHER_CTX *c)
{
	return ((uintptr_t)c >> 4) * 2654435761u % SLOTS;
}

/* Forget ctx's keystream (it is made anew or freed). */
static void
drop(const EVP_CIPHER_CTX *c)
{
	size_t i, h = slot_of(c);

	pthread_mutex_lock(&mu);
	for (i = 0; i < SLOTS; i++) {
		struct ks *k = slots[(h + i) % SLOTS];

		if (k == NULL)
			break;
		if (k->ctx == c) {
			__atomic_add_fetch(&k->gen, 1, __ATOMIC_RELEASE);
			k->ctx = NULL;
			k->pos = KS;
		}
	}
	pthread_mutex_unlock(&mu);
}

/* ctx's state if this thread used it last, else NULL. */
static struct ks *
cached(const EVP_CIPHER_CTX *c)
{
	int j;

	for (j = 0; j < 2; j++)
		if (cache[j].ctx == c && __atomic_load_n(&cache[j].k->gen,
		    __ATOMIC_ACQUIRE) == cache[j].gen)
			return cache[j].k;
	return NULL;
}

/* ctx's state, made on first use; NULL when the table is full. */
static struct ks *
find(const EVP_CIPHER_CTX *c)
{
	size_t i, h;
	struct ks *k, *spare = NULL;
	int j;

	h = slot_of(c);
	pthread_mutex_lock(&mu);
	for (i = 0, k = NULL; i < SLOTS; i++) {
		struct ks **s = &slots[(h + i) % SLOTS];

		if (*s == NULL) {
			if (spare == NULL) {
				if ((*s = calloc(1, sizeof(**s))) == NULL)
					break;
				spare = *s;
			}
			break;
		}
		if ((*s)->ctx == c) {
			k = *s;
			break;
		}
		if ((*s)->ctx == NULL && spare == NULL)
			spare = *s;
	}
	if (k == NULL && spare != NULL) {
		k = spare;
		k->ctx = c;
		k->pos = KS;
	}
	pthread_mutex_unlock(&mu);
	if (k != NULL) {
		j = cache_next++ & 1;
		cache[j].ctx = c;
		cache[j].k = k;
		cache[j].gen = __atomic_load_n(&k->gen, __ATOMIC_ACQUIRE);
	}
	return k;
}

int
EVP_Cipher(EVP_CIPHER_CTX *c, unsigned char *out, const unsigned char *in,
    unsigned int inl)
{
	struct ks *k;
	uint64_t x, y;
	int i;

	resolve();
	if (inl != 16)
		return real_cipher(c, out, in, inl);
	if ((k = cached(c)) == NULL &&
	    (EVP_CIPHER_CTX_get_mode(c) != EVP_CIPH_CTR_MODE ||
	    (k = find(c)) == NULL))
		return real_cipher(c, out, in, inl);
	if (k->pos + 16 > KS) {
		memset(k->buf, 0, KS);
		if (real_cipher(c, k->buf, k->buf, KS) < 0)
			return -1;
		k->pos = 0;
		__atomic_add_fetch(&refills, 1, __ATOMIC_RELAXED);
	}
	for (i = 0; i < 16; i += 8) {
		memcpy(&x, in + i, 8);
		memcpy(&y, k->buf + k->pos + i, 8);
		x ^= y;
		memcpy(out + i, &x, 8);
	}
	k->pos += 16;
	return 16;	/* what OpenSSL 3's EVP_Cipher returns for a cipher */
}

int
EVP_CipherInit(EVP_CIPHER_CTX *c, const EVP_CIPHER *cipher,
    const unsigned char *key, const unsigned char *iv, int enc)
{
	resolve();
	drop(c);
	return real_init(c, cipher, key, iv, enc);
}

void
EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *c)
{
	resolve();
	if (c != NULL)
		drop(c);
	real_free(c);
}

/* CTRSHIM_DEBUG=1: say at exit how much went through the shim. */
__attribute__((destructor)) static void
report(void)
{
	if (getenv("CTRSHIM_DEBUG") != NULL)
		fprintf(stderr, "ctrshim: %lu keystreams of %d bytes\n",
		    refills, KS);
}
