/*
 * Unit tests for opts: scp's flags that fanscp refuses, each named with
 * why; -C and -c as ssh_config options; -o keys checked while parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jump.h"
#include "opts.h"
#include "relay.h"

#define NARGS(a)	(int)(sizeof(a) / sizeof((a)[0]) - 1)

/* Parse a NULL-ended argv; the result, with the message in err. */
static int
parse(struct opts *o, char **argv, int argc, char *err, size_t errlen)
{
	err[0] = '\0';
	return opts_parse(o, argc, argv, err, errlen);
}

/*
 * scp's rule for operands: the leading local ones are sources, the rest
 * targets; under --exec, one source (a target may be a bare host).
 */
static void
test_sources(void **state)
{
	char *argv[] = { "fanscp", "a", "dir/b:c", "-", "h:x", "scp://g/y",
	    "z", NULL };
	char *hf[] = { "fanscp", "-h", "hosts", "a", "b", ":dir/", NULL };
	char *ex[] = { "fanscp", "--exec", "cat", "a", "web01", NULL };
	char *dash[] = { "fanscp", "a", "-", "h:x", NULL };
	char *ch[] = { "fanscp", "--chmod", "600", "a", "b", "h:", NULL };
	char *one[] = { "fanscp", "--chmod", "600", "a", "h:", NULL };
	char err[512];
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), -1);
	assert_string_equal(err, "'-' (a stream) cannot be one of several "
	    "sources");
	opts_release(&o);
	argv[3] = "c";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_int_equal(o.n_sources, 3);
	assert_string_equal(o.source, "a");
	assert_string_equal(o.sources[1], "dir/b:c");
	assert_string_equal(o.sources[2], "c");
	assert_int_equal(o.n_targets, 3);
	assert_string_equal(o.targets[0], "h:x");
	assert_string_equal(o.targets[2], "z");
	opts_release(&o);
	assert_int_equal(parse(&o, hf, NARGS(hf), err, sizeof(err)), 0);
	assert_int_equal(o.n_sources, 2);
	assert_int_equal(o.n_targets, 1);
	assert_string_equal(o.targets[0], ":dir/");
	opts_release(&o);
	assert_int_equal(parse(&o, ex, NARGS(ex), err, sizeof(err)), 0);
	assert_int_equal(o.n_sources, 1);
	assert_int_equal(o.n_targets, 1);
	opts_release(&o);
	assert_int_equal(parse(&o, dash, NARGS(dash), err, sizeof(err)), -1);
	opts_release(&o);
	assert_int_equal(parse(&o, ch, NARGS(ch), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "several sources"));
	opts_release(&o);
	assert_int_equal(parse(&o, one, NARGS(one), err, sizeof(err)), 0);
	assert_int_equal(o.n_sources, 1);
	opts_release(&o);
}

static void
test_scp_flags_refused(void **state)
{
	static const char *const flags[][2] = {
		{ "-3", NULL }, { "-A", NULL }, { "-D", "/x" },
		{ "-O", NULL }, { "-R", NULL }, { "-S", "ssh" }, { "-s", NULL },
		{ "-T", NULL }, { "-X", "nsessions=1" },
	};
	char *argv[6], want[64], err[512];
	struct opts o;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		n = 0;
		argv[n++] = (char *)"fanscp";
		argv[n++] = (char *)flags[i][0];
		if (flags[i][1] != NULL)
			argv[n++] = (char *)flags[i][1];
		argv[n++] = (char *)"src";
		argv[n++] = (char *)"h:x";
		argv[n] = NULL;
		assert_int_equal(parse(&o, argv, n, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s is not supported: ",
		    flags[i][0]);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: %s", flags[i][0], err);
		opts_release(&o);
	}
	/* Without its argument, the flag is still named. */
	argv[0] = (char *)"fanscp";
	argv[1] = (char *)"-D";
	argv[2] = NULL;
	assert_int_equal(parse(&o, argv, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "-D is not supported: fanscp runs no "
	    "sftp-server: it speaks neither SFTP nor scp's protocol");
	opts_release(&o);
}

/* -J is ProxyJump, checked at once: a bad hop is a usage error. */
static void
test_jump(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"-J", NULL, (char *)"src",
	    (char *)"h:x", NULL };
	static const char *const good[] = { "b", "u@b:2222,c",
	    "ssh://u@b:22", "[::1]:22,u@[fe80::1]", "a,b,c,d,e,f,g,h" };
	static const char *const bad[] = { "", "b:", "b:0", "b:65536",
	    "b,,c", "@b", "b/c", "[::1", "[::1]x", "a,b,c,d,e,f,g,h,i",
	    "b c", "-oProxyCommand=x", "-b", "-u@b", "u;id@b", "b;id",
	    "$(id)", "b\nc" };
	struct jump_hop *hops;
	char err[512];
	struct opts o;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		argv[2] = (char *)good[i];
		if (parse(&o, argv, NARGS(argv), err, sizeof(err)) != 0)
			fail_msg("-J %s: %s", good[i], err);
		assert_int_equal(o.n_options, 1);
		assert_true(strncmp(o.options[0], "ProxyJump=", 10) == 0);
		assert_string_equal(o.options[0] + 10, good[i]);
		opts_release(&o);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[2] = (char *)bad[i];
		if (parse(&o, argv, NARGS(argv), err, sizeof(err)) != -1)
			fail_msg("-J '%s' was taken", bad[i]);
		assert_true(strncmp(err, "-J: ", 4) == 0);
		opts_release(&o);
	}
	/* The hops, first first, with users, ports and brackets taken off. */
	n = jump_parse("ssh://u@b:2222,[::1],c:7", &hops, err, sizeof(err));
	assert_int_equal(n, 3);
	assert_string_equal(hops[0].user, "u");
	assert_string_equal(hops[0].host, "b");
	assert_int_equal(hops[0].port, 2222);
	assert_null(hops[1].user);
	assert_string_equal(hops[1].host, "::1");
	assert_int_equal(hops[1].port, 0);
	assert_string_equal(hops[2].host, "c");
	assert_int_equal(hops[2].port, 7);
	jump_hops_free(hops, n);
}

/* -C and -c become -o options, in their place among the others. */
static void
test_compression_cipher(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"-o", (char *)"Port=2",
	    (char *)"-C", (char *)"-c", (char *)"aes256-ctr", (char *)"src",
	    (char *)"h:x", NULL };
	char err[512];
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_int_equal(o.n_options, 3);
	assert_string_equal(o.options[0], "Port=2");
	assert_string_equal(o.options[1], "Compression=yes");
	assert_string_equal(o.options[2], "Ciphers=aes256-ctr");
	opts_release(&o);
}

/* A misspelt -o key is a usage error at once, as in ssh. */
static void
test_bad_option_key(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"-o",
	    (char *)"StrictHostKeyCheking=no", (char *)"src", (char *)"h:x",
	    NULL };
	char *ok[] = { (char *)"fanscp", (char *)"-o",
	    (char *)"IgnoreUnknown=Use*", (char *)"-o",
	    (char *)"UseKeychain=yes", (char *)"src", (char *)"h:x", NULL };
	char err[512];
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad configuration option "
	    "'StrictHostKeyCheking'"));
	opts_release(&o);
	assert_int_equal(parse(&o, ok, NARGS(ok), err, sizeof(err)), 0);
	opts_release(&o);
}

/* A missing -i file is a warning, not an error: it is still offered. */
static void
test_missing_identity(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"-i",
	    (char *)"/nonexistent/fanscp-test-key", (char *)"src",
	    (char *)"h:x", NULL };
	char err[512];
	struct opts o;

	(void)state;
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_int_equal(o.n_identities, 1);
	opts_release(&o);
}

/* --validate: %s becomes "$1", %% a %, other % stay; no %s is refused. */
static void
test_validate(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"--validate", NULL,
	    (char *)"src", (char *)"h:x", NULL };
	char err[512];
	struct opts o;

	(void)state;
	argv[2] = (char *)"visudo -cf %s && stat -c %a %s && echo 100%%";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_string_equal(o.validate,
	    "visudo -cf \"$1\" && stat -c %a \"$1\" && echo 100%");
	opts_release(&o);
	argv[2] = (char *)"visudo -c %%s";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "%s"));
	opts_release(&o);
	argv[2] = (char *)"'%s'";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_string_equal(o.validate, "'\"$1\"'");
	opts_release(&o);
}

/* --relay-auth: key or existing; agent refused with the reason. */
static void
test_relay_auth(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"--relay",
	    (char *)"--relay-auth", NULL, (char *)"src", (char *)"h:x", NULL };
	char *bare[] = { (char *)"fanscp", (char *)"--relay-auth",
	    (char *)"key", (char *)"src", (char *)"h:x", NULL };
	char err[512];
	struct opts o;

	(void)state;
	argv[3] = (char *)"existing";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_int_equal(o.relay_auth, RELAY_AUTH_EXISTING);
	opts_release(&o);
	argv[3] = (char *)"key";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_int_equal(o.relay_auth, RELAY_AUTH_KEY);
	opts_release(&o);
	argv[3] = (char *)"agent";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot forward the agent"));
	opts_release(&o);
	argv[3] = (char *)"hostbased";
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "key or existing"));
	opts_release(&o);
	assert_int_equal(parse(&o, bare, NARGS(bare), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--relay was not given"));
	opts_release(&o);
}

/* The release options, each kept whatever comes after it. */
static void
test_release_opts(void **state)
{
	char *argv[] = { (char *)"fanscp", (char *)"--then", (char *)"t",
	    (char *)"--chown", (char *)"u:g", (char *)"--validate",
	    (char *)"v %s", (char *)"--chmod", (char *)"0640",
	    (char *)"--max-failures", (char *)"3", (char *)"--if-changed",
	    (char *)"--all-or-nothing", (char *)"--then", (char *)"t2",
	    (char *)"src", (char *)"h:x", NULL };
	char *bad[] = { (char *)"fanscp", (char *)"--chmod", NULL,
	    (char *)"src", (char *)"h:x", NULL };
	static const char *const modes[] = { "8", "10000", "", "u+x", "644 " };
	char err[512];
	struct opts o;
	size_t i;

	(void)state;
	assert_int_equal(parse(&o, argv, NARGS(argv), err, sizeof(err)), 0);
	assert_string_equal(o.then, "t2");
	assert_string_equal(o.chown, "u:g");
	assert_string_equal(o.validate, "v \"$1\"");
	assert_true(o.has_chmod && o.chmod == 0640);
	assert_int_equal(o.max_failures, 3);
	assert_true(o.if_changed && o.verify && o.all_or_nothing);
	opts_release(&o);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		bad[2] = (char *)modes[i];
		assert_int_equal(parse(&o, bad, NARGS(bad), err, sizeof(err)),
		    -1);
		opts_release(&o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scp_flags_refused),
		cmocka_unit_test(test_jump),
		cmocka_unit_test(test_compression_cipher),
		cmocka_unit_test(test_bad_option_key),
		cmocka_unit_test(test_missing_identity),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_relay_auth),
		cmocka_unit_test(test_release_opts),
		cmocka_unit_test(test_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
