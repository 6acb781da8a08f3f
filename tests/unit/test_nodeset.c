/* Unit tests for nodeset.c: expansion, padding, order and every error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "nodeset.h"

/* Expand pattern and check the names against want, NULL-terminated. */
static void
expect_names(const char *pattern, const char *const *want)
{
	char **names, err[256];
	size_t i, n, nwant;

	for (nwant = 0; want[nwant] != NULL; nwant++)
		;
	err[0] = '\0';
	assert_int_equal(nodeset_expand(pattern, &names, &n, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	nodeset_free(names, n);
}

/* Expand pattern, expect failure and the exact message. */
static void
expect_error(const char *pattern, const char *msg)
{
	char **names = (char **)1, err[256];
	size_t n = 99;

	assert_int_equal(nodeset_expand(pattern, &names, &n, err,
	    sizeof(err)), -1);
	assert_null(names);
	assert_int_equal(n, 0);
	assert_string_equal(err, msg);
}

static void
test_plain(void **state)
{
	(void)state;
	expect_names("web", (const char *[]){ "web", NULL });
	expect_names("db-1.example.org",
	    (const char *[]){ "db-1.example.org", NULL });
}

static void
test_simple_range(void **state)
{
	(void)state;
	expect_names("n[1-3]", (const char *[]){ "n1", "n2", "n3", NULL });
	expect_names("n[5]", (const char *[]){ "n5", NULL });
	expect_names("[1-2]", (const char *[]){ "1", "2", NULL });
}

static void
test_padding(void **state)
{
	char **names, err[128];
	size_t n;

	(void)state;
	assert_int_equal(nodeset_expand("web[01-16]", &names, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 16);
	assert_string_equal(names[0], "web01");
	assert_string_equal(names[8], "web09");
	assert_string_equal(names[9], "web10");
	assert_string_equal(names[15], "web16");
	nodeset_free(names, n);

	expect_names("[01-10]", (const char *[]){ "01", "02", "03", "04",
	    "05", "06", "07", "08", "09", "10", NULL });
	expect_names("[1-10]", (const char *[]){ "1", "2", "3", "4", "5",
	    "6", "7", "8", "9", "10", NULL });
	expect_names("x[001-003]",
	    (const char *[]){ "x001", "x002", "x003", NULL });
	expect_names("x[098-101]",
	    (const char *[]){ "x098", "x099", "x100", "x101", NULL });
	/* A lone "0" has no leading zero to keep. */
	expect_names("x[0-2]", (const char *[]){ "x0", "x1", "x2", NULL });
	/* Padding belongs to each element's lower bound. */
	expect_names("x[8-9,010-011,07]",
	    (const char *[]){ "x8", "x9", "x010", "x011", "x07", NULL });
}

static void
test_comma_list(void **state)
{
	(void)state;
	expect_names("h[1-3,7,09-10]", (const char *[]){ "h1", "h2", "h3",
	    "h7", "h09", "h10", NULL });
	/* Order is kept as written. */
	expect_names("h[9,1]", (const char *[]){ "h9", "h1", NULL });
}

static void
test_multiply(void **state)
{
	(void)state;
	expect_names("r[1-2]n[1-2]",
	    (const char *[]){ "r1n1", "r1n2", "r2n1", "r2n2", NULL });
	expect_names("a[1-2]b[3,5]c",
	    (const char *[]){ "a1b3c", "a1b5c", "a2b3c", "a2b5c", NULL });
	expect_names("[1-2][7-8][0]", (const char *[]){ "170", "180",
	    "270", "280", NULL });
}

static void
test_text_around(void **state)
{
	(void)state;
	expect_names("pre[1-2].example.com", (const char *[]){
	    "pre1.example.com", "pre2.example.com", NULL });
	expect_names("[3-4]-suffix",
	    (const char *[]){ "3-suffix", "4-suffix", NULL });
}

static void
test_big_numbers(void **state)
{
	(void)state;
	expect_names("n[9999999999]", (const char *[]){ "n9999999999",
	    NULL });
	expect_names("n[9999999998-9999999999]", (const char *[]){
	    "n9999999998", "n9999999999", NULL });
	expect_error("n[12345678901]",
	    "bad nodeset 'n[12345678901]': number '12345678901' is too large");
	expect_error("n[1-99999999999]", "bad nodeset 'n[1-99999999999]': "
	    "number '99999999999' is too large");
}

static void
test_limit(void **state)
{
	char **names, err[128];
	size_t n;

	(void)state;
	assert_int_equal(nodeset_expand("[1-1000][1-1000]", &names, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, NODESET_MAX);
	assert_string_equal(names[0], "11");
	assert_string_equal(names[1000], "21");
	assert_string_equal(names[NODESET_MAX - 1], "10001000");
	nodeset_free(names, n);

	expect_error("[1-1000001]",
	    "bad nodeset '[1-1000001]': more than 1000000 names");
	expect_error("[1-1001][1-1000]",
	    "bad nodeset '[1-1001][1-1000]': more than 1000000 names");
	expect_error("[0-9999999999]",
	    "bad nodeset '[0-9999999999]': more than 1000000 names");
	expect_error("[1-500000,1-500001]",
	    "bad nodeset '[1-500000,1-500001]': more than 1000000 names");
}

static void
test_errors_brackets(void **state)
{
	(void)state;
	expect_error("web[1-", "bad nodeset 'web[1-': missing ']'");
	expect_error("web[1-2", "bad nodeset 'web[1-2': missing ']'");
	expect_error("web1]", "bad nodeset 'web1]': unexpected ']'");
	expect_error("web[1]2]", "bad nodeset 'web[1]2]': unexpected ']'");
	expect_error("w[[1]]", "bad nodeset 'w[[1]]': nested '['");
	expect_error("w[1[2]]", "bad nodeset 'w[1[2]]': nested '['");
	expect_error("web[]", "bad nodeset 'web[]': empty brackets '[]'");
	expect_error("", "bad nodeset '': empty pattern");
}

static void
test_errors_elements(void **state)
{
	(void)state;
	expect_error("n[1,,2]", "bad nodeset 'n[1,,2]': empty element in "
	    "brackets");
	expect_error("n[,1]", "bad nodeset 'n[,1]': empty element in "
	    "brackets");
	expect_error("n[1,]", "bad nodeset 'n[1,]': empty element in "
	    "brackets");
	expect_error("n[a]", "bad nodeset 'n[a]': bad character 'a' in "
	    "brackets");
	expect_error("n[1 -2]", "bad nodeset 'n[1 -2]': bad character ' ' "
	    "in brackets");
	expect_error("n[::1]", "bad nodeset 'n[::1]': bad character ':' in "
	    "brackets");
	expect_error("n[5-3]", "bad nodeset 'n[5-3]': reversed range '5-3'");
	expect_error("n[1-]", "bad nodeset 'n[1-]': bad range '1-'");
	expect_error("n[-3]", "bad nodeset 'n[-3]': bad range '-3'");
	expect_error("n[-]", "bad nodeset 'n[-]': bad range '-'");
	expect_error("n[1-2-3]", "bad nodeset 'n[1-2-3]': bad range '1-2-3'");
}

static void
test_error_sanitized(void **state)
{
	(void)state;
	expect_error("a\n[1-", "bad nodeset 'a?[1-': missing ']'");
	expect_error("a[\x1b]", "bad nodeset 'a[?]': bad character '?' in "
	    "brackets");
}

static void
test_error_small_buffer(void **state)
{
	char **names, err[12];
	size_t n;

	(void)state;
	assert_int_equal(nodeset_expand("web[1-", &names, &n, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bad nodeset");
	assert_int_equal(nodeset_expand("web[1-", &names, &n, NULL, 0), -1);
	assert_null(names);
	/* Freeing what a failed call left is a no-op. */
	nodeset_free(names, n);
	assert_int_equal(n, 0);
}

/* Few enough names, but too many bytes: refused before any allocation. */
static void
test_byte_limit(void **state)
{
	char pattern[4096 + 16], err[512];
	char **names;
	size_t n;

	(void)state;
	memset(pattern, 'x', 4096);
	memcpy(pattern + 4096, "[1-100000]", 11);
	assert_int_equal(nodeset_expand(pattern, &names, &n, err,
	    sizeof(err)), -1);
	assert_null(names);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "100000 names this long would take more "
	    "than 64 MiB"));
	assert_non_null(strstr(err, "xxx...xxx"));
	assert_non_null(strstr(err, "x[1-100000]': 100000 names"));
	/* The same count of short names is fine. */
	assert_int_equal(nodeset_expand("x[1-100000]", &names, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 100000);
	nodeset_free(names, n);
}

/* Fold names and check the result, joined with spaces. */
static void
expect_fold(const char *const *names, const char *want)
{
	char **out, buf[1024];
	size_t i, n, k;

	for (n = 0; names[n] != NULL; n++)
		;
	k = nodeset_fold(names, n, &out);
	buf[0] = '\0';
	for (i = 0; i < k; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, out[i]);
	}
	assert_string_equal(buf, want);
	nodeset_free(out, k);
}

static void
test_fold(void **state)
{
	(void)state;
	expect_fold((const char *[]){ NULL }, "");
	expect_fold((const char *[]){ "web01", NULL }, "web01");
	expect_fold((const char *[]){ "web03", "web01", "web02", NULL },
	    "web[01-03]");
	expect_fold((const char *[]){ "web19", "web03", "web17", "web18",
	    NULL }, "web[03,17-19]");
	/* Padding is kept, and a repeat is one host. */
	expect_fold((const char *[]){ "n007", "n008", "n7", "n8", "n007",
	    NULL }, "n[7-8] n[007-008]");
	expect_fold((const char *[]){ "n9", "n07", NULL }, "n07 n9");
	expect_fold((const char *[]){ "web9", "web10", "web11", NULL },
	    "web[9-11]");
	/* "10" joins the padded "09" (same width), "100" stays unpadded. */
	expect_fold((const char *[]){ "web08", "web09", "web10", "web100",
	    "web7", NULL }, "web[7,100] web[08-10]");
	expect_fold((const char *[]){ "web203", "web01", "web02", NULL },
	    "web[01-02] web203");
	/* The last number folds; the suffix and other names stay apart. */
	expect_fold((const char *[]){ "r1n2.lab", "r1n1.lab", "db", "r2n1.lab",
	    NULL }, "db r1n[1-2].lab r2n1.lab");
	/* Labels and addresses that are not plain names stay as they are. */
	expect_fold((const char *[]){ "u@h1:/p (port 2)", "::1", "h1", "h2",
	    NULL }, "::1 h[1-2] u@h1:/p (port 2)");
	expect_fold((const char *[]){ "127.0.0.1", "127.0.0.2", NULL },
	    "127.0.0.[1-2]");
}

/* Folding then expanding gives back the names, for a large set. */
static void
test_fold_round_trip(void **state)
{
	const char *names[300];
	char buf[300][16], **out, **back;
	char err[256];
	size_t i, k, n;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(buf[i], sizeof(buf[i]), "web%03zu", (i * 7) % 1000);
		names[i] = buf[i];
	}
	k = nodeset_fold(names, 300, &out);
	assert_string_equal(out[0] + strlen(out[0]) - 9, ",994-995]");
	assert_int_equal(k, 1);
	assert_int_equal(nodeset_expand(out[0], &back, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 300);
	for (i = 0; i < 300; i++)
		assert_int_equal(strlen(back[i]), 6);
	assert_string_equal(back[0], "web000");
	assert_string_equal(back[299], "web995");
	nodeset_free(back, n);
	nodeset_free(out, k);
}

/* Every fold expands back to the same set of names. */
static void
test_fold_expand_back(void **state)
{
	const char *names[] = { "n1", "n2", "n9", "n10", "n11", "n099",
	    "n100", "n0100", "n0101", "x05y", "x06y", "x7y", "db", NULL };
	char **out, **back, err[256];
	size_t i, j, k, n, total = 0, found;

	(void)state;
	k = nodeset_fold(names, 13, &out);
	for (i = 0; i < k; i++) {
		assert_int_equal(nodeset_expand(out[i], &back, &n, err,
		    sizeof(err)), 0);
		for (j = 0; j < n; j++) {
			found = 0;
			for (size_t m = 0; names[m] != NULL; m++)
				found += strcmp(names[m], back[j]) == 0;
			assert_int_equal(found, 1);
		}
		total += n;
		nodeset_free(back, n);
	}
	assert_int_equal(total, 13);
	nodeset_free(out, k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_simple_range),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_comma_list),
		cmocka_unit_test(test_multiply),
		cmocka_unit_test(test_text_around),
		cmocka_unit_test(test_big_numbers),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_errors_brackets),
		cmocka_unit_test(test_errors_elements),
		cmocka_unit_test(test_error_sanitized),
		cmocka_unit_test(test_error_small_buffer),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_fold_round_trip),
		cmocka_unit_test(test_fold_expand_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
