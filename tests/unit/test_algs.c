/*
 * Tests for Ciphers, MACs and KexAlgorithms as OpenSSH 9.2 reads them
 * (replace, +append, -remove, ^prepend, patterns), held to a client's
 * names; and a host's lists, with the reason when nothing is left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "algs.h"
#include "sshconf.h"

/* libssh2 1.10's ciphers, as OpenSSL builds have them. */
#define SUP	"aes128-ctr,aes192-ctr,aes256-ctr,aes256-cbc," \
		"aes192-cbc,aes128-cbc,3des-cbc"
#define DEF	"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr," \
		"aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"

static const char *
assemble(const char *spec, int want)
{
	static char out[ALGS_MAX];

	assert_int_equal(algs_assemble(spec, DEF, SUP, out, sizeof(out)),
	    want);
	return out;
}

static void
test_replace(void **state)
{
	(void)state;
	assert_string_equal(assemble("aes256-ctr", 0), "aes256-ctr");
	/* The user's order, each name once, unknown names dropped. */
	assert_string_equal(assemble("aes256-ctr,chacha20-poly1305@openssh.com,"
	    "aes128-ctr,aes256-ctr", 0), "aes256-ctr,aes128-ctr");
	assert_string_equal(assemble("chacha20-poly1305@openssh.com", 1), "");
	assert_string_equal(assemble("aes256-gcm@openssh.com,"
	    "aes128-gcm@openssh.com", 1), "");
	/* A prefix of a name is not the name. */
	assert_string_equal(assemble("aes256", 1), "");
}

static void
test_append_remove_prepend(void **state)
{
	(void)state;
	/* The default less what libssh2 lacks, then the names appended. */
	assert_string_equal(assemble("+aes128-cbc", 0),
	    "aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc");
	assert_string_equal(assemble("+aes128-ctr", 0),
	    "aes128-ctr,aes192-ctr,aes256-ctr");
	assert_string_equal(assemble("^aes256-cbc,aes256-ctr", 0),
	    "aes256-cbc,aes256-ctr,aes128-ctr,aes192-ctr");
	assert_string_equal(assemble("-aes128-ctr", 0),
	    "aes192-ctr,aes256-ctr");
	assert_string_equal(assemble("-aes*-ctr", 1), "");
	assert_string_equal(assemble("-*", 1), "");
	/* Removing what libssh2 lacks leaves its share of the default. */
	assert_string_equal(assemble("-chacha20-poly1305@openssh.com", 0),
	    "aes128-ctr,aes192-ctr,aes256-ctr");
}

static void
test_patterns(void **state)
{
	(void)state;
	/* A pattern takes the matching names in libssh2's order. */
	assert_string_equal(assemble("aes*-cbc", 0),
	    "aes256-cbc,aes192-cbc,aes128-cbc");
	assert_string_equal(assemble("aes1?\?-ctr,3des*", 0),
	    "aes128-ctr,aes192-ctr,3des-cbc");
	assert_string_equal(assemble("+*-cbc", 0), "aes128-ctr,aes192-ctr,"
	    "aes256-ctr,aes256-cbc,aes192-cbc,aes128-cbc,3des-cbc");
	assert_string_equal(assemble("*gcm*", 1), "");
}

static void
test_bad(void **state)
{
	(void)state;
	assemble("", -1);
	assemble("+", -1);
	assemble("-", -1);
	assemble("!aes128-ctr", -1);
	assemble("aes128-ctr,,aes256-ctr", -1);
	assemble("aes128-ctr,!aes256-ctr", -1);
}

static void
test_small_buffer(void **state)
{
	char out[12];

	(void)state;
	/* What does not fit is left out whole, never cut. */
	assert_int_equal(algs_assemble("aes128-ctr,aes256-ctr", DEF, SUP,
	    out, sizeof(out)), 0);
	assert_string_equal(out, "aes128-ctr");
}

static void
test_host(void **state)
{
	const char *all[ALG_NCLASSES] = { SUP, "hmac-sha2-256,hmac-sha1",
	    "curve25519-sha256,ecdh-sha2-nistp256" };
	char lists[ALG_NCLASSES][ALGS_MAX], why[2 * ALGS_MAX];
	struct hostcfg h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(algs_host(&h, all, lists, why, sizeof(why)), 0);
	assert_string_equal(lists[ALG_CIPHER], "");
	assert_string_equal(lists[ALG_MAC], "");
	assert_string_equal(lists[ALG_KEX], "");
	h.ciphers = "aes256-ctr";
	h.macs = "-hmac-sha1";
	assert_int_equal(algs_host(&h, all, lists, why, sizeof(why)), 0);
	assert_string_equal(lists[ALG_CIPHER], "aes256-ctr");
	assert_string_equal(lists[ALG_MAC], "hmac-sha2-256");
	assert_string_equal(lists[ALG_KEX], "");
	assert_string_equal(why, "");
	h.kex_algorithms = "sntrup761x25519-sha512@openssh.com";
	assert_int_equal(algs_host(&h, all, lists, why, sizeof(why)), -1);
	assert_string_equal(why, "KexAlgorithms "
	    "sntrup761x25519-sha512@openssh.com leaves nothing libssh2 1.10 "
	    "supports (it offers curve25519-sha256,ecdh-sha2-nistp256)");
	h.kex_algorithms = NULL;
	h.macs = "!hmac-sha1";
	assert_int_equal(algs_host(&h, all, lists, why, sizeof(why)), -1);
	assert_string_equal(why, "MACs !hmac-sha1: a bad list");
}

/* The real libssh2: what it offers, and OpenSSH's defaults held to it. */
static void
test_libssh2(void **state)
{
	char out[ALGS_MAX];

	(void)state;
	assert_non_null(strstr(algs_libssh2(ALG_CIPHER), "aes256-ctr"));
	assert_non_null(strstr(algs_libssh2(ALG_MAC), "hmac-sha2-256"));
	assert_non_null(strstr(algs_libssh2(ALG_KEX), "curve25519-sha256"));
	assert_int_equal(algs_assemble("chacha20-poly1305@openssh.com",
	    algs_default(ALG_CIPHER), algs_libssh2(ALG_CIPHER), out,
	    sizeof(out)), 1);
	assert_int_equal(algs_assemble("+aes128-cbc",
	    algs_default(ALG_CIPHER), algs_libssh2(ALG_CIPHER), out,
	    sizeof(out)), 0);
	assert_non_null(strstr(out, "aes128-cbc"));
	assert_string_equal(algs_keyword(ALG_MAC), "MACs");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_append_remove_prepend),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_libssh2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
