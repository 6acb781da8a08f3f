/*
 * Tests for the KEXINIT tap: a server's identification and KEXINIT found
 * whole, byte by byte, after pre-banner lines and IGNORE packets; hostile
 * streams (every truncation, lengths past the end, oversized packets,
 * control characters, other messages, endless lines, random bytes) give
 * up cleanly; and the mismatch message names the class and the offers,
 * MAC skipped for AEAD ciphers, long offers shortened to fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kexinit.h"

/* Debian 12's libssh2 1.10, as it offers by default. */
static const char *const libssh2_lists[KEX_NLISTS] = {
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
	"diffie-hellman-group14-sha256",
	"ecdsa-sha2-nistp256,ssh-ed25519,ssh-rsa",
	"aes128-ctr,aes192-ctr,aes256-ctr,aes256-cbc",
	"aes128-ctr,aes192-ctr,aes256-ctr,aes256-cbc",
	"hmac-sha2-256,hmac-sha2-512,hmac-sha1",
	"hmac-sha2-256,hmac-sha2-512,hmac-sha1",
	"none", "none", "", "",
};

/* A server hardened the way the usual guides say. */
static const char *const hardened[KEX_NLISTS] = {
	"sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
	"ext-info-s,kex-strict-s-v00@openssh.com",
	"rsa-sha2-512,rsa-sha2-256,ssh-ed25519",
	"chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
	"aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
	"chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"
	"aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	"umac-128-etm@openssh.com",
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	"umac-128-etm@openssh.com",
	"none,zlib@openssh.com", "none,zlib@openssh.com", "", "",
};

/* A KEXINIT payload of these lists; returns its length. */
static size_t
payload(unsigned char *buf, const char *const lists[KEX_NLISTS])
{
	size_t o = 0, i, n;

	buf[o++] = 20;
	memset(buf + o, 0xa5, 16);
	o += 16;
	for (i = 0; i < KEX_NLISTS; i++) {
		n = strlen(lists[i]);
		buf[o++] = (unsigned char)(n >> 24);
		buf[o++] = (unsigned char)(n >> 16);
		buf[o++] = (unsigned char)(n >> 8);
		buf[o++] = (unsigned char)n;
		memcpy(buf + o, lists[i], n);
		o += n;
	}
	memset(buf + o, 0, 5);
	return o + 5;
}

/* Wrap a payload in a binary packet (4 bytes of padding at least). */
static size_t
packet(unsigned char *buf, const unsigned char *pl, size_t n)
{
	size_t pad = 8 - (5 + n) % 8 + 4, plen = 1 + n + pad;

	buf[0] = (unsigned char)(plen >> 24);
	buf[1] = (unsigned char)(plen >> 16);
	buf[2] = (unsigned char)(plen >> 8);
	buf[3] = (unsigned char)plen;
	buf[4] = (unsigned char)pad;
	memcpy(buf + 5, pl, n);
	memset(buf + 5 + n, 0, pad);
	return 4 + plen;
}

/* A server's opening: identification line, then the KEXINIT packet. */
static size_t
stream(unsigned char *buf, const char *const lists[KEX_NLISTS])
{
	unsigned char pl[4096];
	const char *id = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	size_t n = strlen(id);

	memcpy(buf, id, n);
	return n + packet(buf + n, pl, payload(pl, lists));
}

static void
test_whole(void **state)
{
	unsigned char buf[8192];
	struct kexinit_tap t = { 0 };
	size_t n = stream(buf, hardened), i;

	(void)state;
	assert_int_equal(kexinit_tap_feed(&t, buf, n), 1);
	for (i = 0; i < KEX_NLISTS; i++)
		assert_string_equal(t.kex.list[i], hardened[i]);
	assert_null(t.buf);
	/* Later bytes (encrypted ones) are ignored. */
	assert_int_equal(kexinit_tap_feed(&t, "junk", 4), 1);
	assert_string_equal(t.kex.list[KEX_MAC_C2S], hardened[KEX_MAC_C2S]);
	kexinit_tap_release(&t);
}

/* libssh2 reads the banner one byte per recv(). */
static void
test_byte_by_byte(void **state)
{
	unsigned char buf[8192];
	struct kexinit_tap t = { 0 };
	size_t n = stream(buf, libssh2_lists), i;

	(void)state;
	for (i = 0; i + 1 < n; i++)
		assert_int_equal(kexinit_tap_feed(&t, buf + i, 1), 0);
	assert_int_equal(kexinit_tap_feed(&t, buf + i, 1), 1);
	assert_string_equal(t.kex.list[KEX_KEX], libssh2_lists[KEX_KEX]);
	assert_string_equal(t.kex.list[KEX_LANG_S2C], "");
	kexinit_tap_release(&t);
}

/* Lines before the identification, and IGNORE/DEBUG packets, are skipped. */
static void
test_prelude(void **state)
{
	unsigned char buf[8192], pl[4096], ign[] = { 2, 0, 0, 0, 1, 'x' };
	struct kexinit_tap t = { 0 };
	const char *pre = "hello there\r\nnot SSH- yet\n"
	    "SSH-2.0-x\n";
	size_t o = strlen(pre);

	(void)state;
	memcpy(buf, pre, o);
	o += packet(buf + o, ign, sizeof(ign));
	o += packet(buf + o, pl, payload(pl, hardened));
	assert_int_equal(kexinit_tap_feed(&t, buf, 20), 0);
	assert_int_equal(kexinit_tap_feed(&t, buf + 20, o - 20), 1);
	assert_string_equal(t.kex.list[KEX_CIPHER_S2C],
	    hardened[KEX_CIPHER_S2C]);
	kexinit_tap_release(&t);
}

/* Every truncation of a payload is refused, and nothing leaks. */
static void
test_truncated(void **state)
{
	unsigned char pl[4096];
	struct kexinit k;
	size_t n = payload(pl, hardened), i;

	(void)state;
	assert_int_equal(kexinit_parse(pl, n, &k), 0);
	kexinit_release(&k);
	for (i = 0; i < n; i++) {
		unsigned char *cut = malloc(i ? i : 1);

		memcpy(cut, pl, i);
		assert_int_equal(kexinit_parse(cut, i, &k), -1);
		for (size_t j = 0; j < KEX_NLISTS; j++)
			assert_null(k.list[j]);
		free(cut);
	}
}

/* A name-list longer than what is left: 0xffffffff and just past it. */
static void
test_lengths(void **state)
{
	unsigned char pl[4096];
	struct kexinit k;
	size_t n = payload(pl, hardened);

	(void)state;
	memset(pl + 17, 0xff, 4);
	assert_int_equal(kexinit_parse(pl, n, &k), -1);
	n = payload(pl, hardened);
	pl[17 + 3] = (unsigned char)(n - 17 - 4 + 1);
	pl[17 + 2] = (unsigned char)((n - 17 - 4 + 1) >> 8);
	assert_int_equal(kexinit_parse(pl, n, &k), -1);
	/* Not a KEXINIT at all. */
	n = payload(pl, hardened);
	pl[0] = 21;
	assert_int_equal(kexinit_parse(pl, n, &k), -1);
}

/* Names with spaces, control characters or high bytes are refused. */
static void
test_names(void **state)
{
	static const char *const bad[] = { "aes128-ctr,\x1b[2Jx", "a b",
	    "aes\n", "\xc3\xa9" };
	const char *lists[KEX_NLISTS];
	unsigned char pl[4096];
	struct kexinit k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(lists, hardened, sizeof(lists));
		lists[KEX_MAC_S2C] = bad[i];
		assert_int_equal(kexinit_parse(pl, payload(pl, lists), &k),
		    -1);
	}
}

/* Packets that cannot start a key exchange end the tap. */
static void
test_bad_packets(void **state)
{
	static const unsigned char huge[] = { 0x7f, 0xff, 0xff, 0xff, 4 };
	static const unsigned char padded[] = { 0, 0, 0, 8, 8, 20 };
	static const unsigned char other[] = { 0, 0, 0, 12, 4, 94, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char dis[] = { 0, 0, 0, 12, 4, 1, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0 };
	const unsigned char *cases[] = { huge, padded, other, dis };
	size_t lens[] = { sizeof(huge), sizeof(padded), sizeof(other),
	    sizeof(dis) };
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct kexinit_tap t = { 0 };

		assert_int_equal(kexinit_tap_feed(&t, "SSH-2.0-x\n", 10), 0);
		assert_int_equal(kexinit_tap_feed(&t, cases[i], lens[i]), -1);
		assert_int_equal(t.state, TAP_BAD);
		assert_null(t.buf);
		assert_int_equal(kexinit_tap_feed(&t, "more", 4), -1);
		kexinit_tap_release(&t);
	}
}

/* A line that never ends, and random packets, stop at the cap. */
static void
test_endless(void **state)
{
	char chunk[1000];
	struct kexinit_tap t = { 0 };
	int r = 0, i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	for (i = 0; i < 100 && r == 0; i++)
		r = kexinit_tap_feed(&t, chunk, sizeof(chunk));
	assert_int_equal(r, -1);
	assert_int_equal(i, KEXINIT_TAP_MAX / 1000 + 1);
	kexinit_tap_release(&t);
}

static void
test_random(void **state)
{
	unsigned char buf[512];
	unsigned int seed;
	size_t i;

	(void)state;
	for (seed = 1; seed < 3000; seed++) {
		struct kexinit_tap t = { 0 };

		srand(seed);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)rand();
		/* Small lengths, so that some packets complete. */
		buf[0] = buf[1] = 0;
		buf[2] &= 1;
		kexinit_tap_feed(&t, "SSH-2.0-x\n", 10);
		for (i = 0; i + 7 <= sizeof(buf); i += 7)
			if (kexinit_tap_feed(&t, buf + i, 7) != 0)
				break;
		kexinit_tap_release(&t);
	}
}

static void
set_lists(struct kexinit *k, const char *const lists[KEX_NLISTS])
{
	size_t i;

	for (i = 0; i < KEX_NLISTS; i++)
		k->list[i] = (char *)(uintptr_t)lists[i];
}

static void
test_mismatch_mac(void **state)
{
	struct kexinit c, s;
	char msg[512];

	(void)state;
	set_lists(&c, libssh2_lists);
	set_lists(&s, hardened);
	assert_int_equal(kexinit_mismatch(&c, &s, "libssh2", msg,
	    sizeof(msg)), KEX_MAC_C2S);
	assert_string_equal(msg, "no matching MAC found; the server offers "
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	    "umac-128-etm@openssh.com; libssh2 offers hmac-sha2-256,"
	    "hmac-sha2-512,hmac-sha1");
}

/* Each class in turn, the first failing one named. */
static void
test_mismatch_classes(void **state)
{
	const char *cl[KEX_NLISTS], *sl[KEX_NLISTS];
	struct kexinit c, s;
	char msg[512];

	(void)state;
	memcpy(cl, libssh2_lists, sizeof(cl));
	memcpy(sl, libssh2_lists, sizeof(sl));
	set_lists(&c, cl);
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)), -1);
	assert_string_equal(msg, "");

	sl[KEX_COMP_S2C] = "zlib";
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_COMP_S2C);
	assert_non_null(strstr(msg, "no matching compression method found; "
	    "the server offers zlib; x offers none"));
	sl[KEX_CIPHER_C2S] = "aes128-gcm@openssh.com";
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_CIPHER_C2S);
	assert_non_null(strstr(msg, "no matching cipher found; the server "
	    "offers aes128-gcm@openssh.com;"));
	sl[KEX_HOSTKEY] = "rsa-sha2-512,rsa-sha2-256";
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_HOSTKEY);
	assert_non_null(strstr(msg, "no matching host key type found; the "
	    "server offers rsa-sha2-512,rsa-sha2-256;"));
	sl[KEX_KEX] = "sntrup761x25519-sha512@openssh.com";
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_KEX);
	assert_non_null(strstr(msg, "no matching key exchange method found"));
	/* A name is matched whole, not as a prefix or a substring. */
	sl[KEX_KEX] = "curve25519-sha2,curve25519-sha256@libssh.org.x";
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_KEX);
	/* An empty offer. */
	sl[KEX_KEX] = "";
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_KEX);
	assert_non_null(strstr(msg, "the server offers nothing;"));
}

/* An AEAD cipher chosen: no MAC is needed, so none missing is no failure. */
static void
test_aead(void **state)
{
	const char *cl[KEX_NLISTS], *sl[KEX_NLISTS];
	struct kexinit c, s;
	char msg[512], out[64];

	(void)state;
	memcpy(cl, hardened, sizeof(cl));
	memcpy(sl, hardened, sizeof(sl));
	cl[KEX_MAC_C2S] = cl[KEX_MAC_S2C] = "hmac-sha1";
	set_lists(&c, cl);
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)), -1);
	/* CTR chosen one way (the client prefers it): the MAC counts there. */
	cl[KEX_CIPHER_S2C] = "aes128-ctr,aes256-gcm@openssh.com";
	set_lists(&c, cl);
	assert_int_equal(kexinit_mismatch(&c, &s, "x", msg, sizeof(msg)),
	    KEX_MAC_S2C);
	kexinit_choose("a,b,c", "c,b", out, sizeof(out));
	assert_string_equal(out, "b");
	kexinit_choose("a,,b", "x,", out, sizeof(out));
	assert_string_equal(out, "");
}

/* A long offer is cut at a comma, and the message fits its buffer. */
static void
test_long(void **state)
{
	const char *sl[KEX_NLISTS];
	struct kexinit c, s;
	char msg[512], big[3000], small[60];
	size_t o = 0;

	(void)state;
	while (o + 20 < sizeof(big))
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%salg%zu",
		    o ? "," : "", o);
	memcpy(sl, libssh2_lists, sizeof(sl));
	sl[KEX_KEX] = big;
	set_lists(&c, libssh2_lists);
	set_lists(&s, sl);
	assert_int_equal(kexinit_mismatch(&c, &s, "libssh2", msg,
	    sizeof(msg)), KEX_KEX);
	assert_true(strlen(msg) < sizeof(msg));
	assert_non_null(strstr(msg, ",...; libssh2 offers curve25519"));
	assert_non_null(strstr(msg, "offers alg0,alg"));
	/* Tiny buffers are not overrun. */
	assert_int_equal(kexinit_mismatch(&c, &s, "libssh2", small,
	    sizeof(small)), KEX_KEX);
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(kexinit_mismatch(&c, &s, "libssh2", small, 8),
	    KEX_KEX);
	assert_int_equal(strlen(small), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_prelude),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_packets),
		cmocka_unit_test(test_endless),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_mismatch_mac),
		cmocka_unit_test(test_mismatch_classes),
		cmocka_unit_test(test_aead),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
