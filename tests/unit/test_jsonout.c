/*
 * Unit tests for jsonout.c: string escaping (controls, quotes, invalid
 * UTF-8) and a whole report, checked field by field and, where python3
 * is there, by a JSON parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "jsonout.h"

/* What jsonout_str() writes for s. */
static char *
escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	jsonout_str(f, s);
	fclose(f);
	return buf;
}

static void
expect_str(const char *s, const char *want)
{
	char *got = escaped(s);

	assert_string_equal(got, want);
	free(got);
}

static void
test_escape(void **state)
{
	(void)state;
	expect_str("", "\"\"");
	expect_str("web01", "\"web01\"");
	expect_str("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_str("l1\nl2\tx\r\x01\x1f\x7f", "\"l1\\nl2\\tx\\u000d\\u0001"
	    "\\u001f\\u007f\"");
	/* UTF-8 is kept; what is not UTF-8 becomes U+FFFD. */
	expect_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	expect_str("\xff", "\"\\ufffd\"");
	expect_str("a\xc3", "\"a\\ufffd\"");		/* cut short */
	expect_str("\xc0\xaf", "\"\\ufffd\\ufffd\"");	/* overlong '/' */
	expect_str("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	expect_str("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");  /* surrogate */
	expect_str("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	expect_str("\xc3\x28", "\"\\ufffd(\"");
}

/* A report on three hosts: done, failed with hostile strings, unknown. */
static char *
sample_report(void)
{
	static char h0[] = "web01", p0[] = "/tmp/f", h1[] = "web02",
	    u1[] = "b\"o\nb", p1[] = "x\xff\x01y", h2[] = "::1", p2[] = "",
	    hn0[] = "web01.example.com", hn1[] = "10.0.0.2";
	struct host hosts[3];
	struct jsonout_run run = { "src\n\"", 1, 4096, 1.5, 0, 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(hosts, 0, sizeof(hosts));
	hosts[0].t = (struct target){ NULL, h0, 0, p0 };
	hosts[0].name = h0;
	hosts[0].hostname = hn0;	/* resolved: Port 2200 in ssh_config */
	hosts[0].port = 2200;
	hosts[0].status = HOST_DONE;
	hosts[0].bytes = 4096;
	hosts[0].t_start = 1000;
	hosts[0].t_end = 3000;
	hosts[0].attempts = 1;
	hosts[0].rate = 2048;
	hosts[0].then_ran = 1;
	hosts[0].then_status = 3;
	snprintf(hosts[0].then_out, sizeof(hosts[0].then_out), "no \"unit\"");
	hosts[1].t = (struct target){ u1, h1, 2222, p1 };
	hosts[1].name = h1;
	hosts[1].hostname = hn1;
	hosts[1].port = 2222;
	hosts[1].status = HOST_FAILED;
	hosts[1].kind = ERR_REMOTE;
	snprintf(hosts[1].err, sizeof(hosts[1].err), "cannot \"x\"\n\x1b[31m");
	hosts[1].attempts = 2;
	hosts[1].jump = (char *)"ops@bastion:2022,gw";
	hosts[2].t = (struct target){ NULL, h2, 22, p2 };
	hosts[2].name = h2;
	hosts[2].status = HOST_UNKNOWN;
	hosts[2].kind = ERR_LOST;
	snprintf(hosts[2].err, sizeof(hosts[2].err), "lost");
	assert_int_equal(jsonout_write(f, hosts, 3, &run), 0);
	fclose(f);
	return buf;
}

static void
test_report_fields(void **state)
{
	char *r = sample_report();

	(void)state;
	assert_non_null(strstr(r, "\"fanscp_json\": 1,"));
	assert_non_null(strstr(r, "\"summary\": {\"source\": \"src\\n\\\"\", "
	    "\"mode\": \"copy\", \"size\": 4096, \"hosts\": 3, \"done\": 1, "
	    "\"unchanged\": 0, "
	    "\"failed\": 1, \"unknown\": 1, \"seconds\": 1.500, "
	    "\"interrupted\": false},"));
	assert_non_null(strstr(r, "{\"target\": \"web01\", \"uri\": "
	    "\"scp://web01//tmp/f\", \"host\": \"web01\", \"hostname\": "
	    "\"web01.example.com\", \"port\": 2200, \"jump\": null, "
	    "\"user\": null, \"path\": \"/tmp/f\", \"status\": \"done\", "
	    "\"error_kind\": null, \"error\": null, \"bytes\": 4096, "
	    "\"seconds\": 2.000, \"rate\": 2048, \"attempts\": 1, "
	    "\"then\": {\"status\": 3, \"output\": \"no \\\"unit\\\"\"}}"));
	assert_non_null(strstr(r, "{\"target\": \"web02\", \"uri\": "
	    "\"scp://b%22o%0Ab@web02:2222/x%FF%01y\", \"host\": \"web02\", "
	    "\"hostname\": \"10.0.0.2\", \"port\": 2222, "
	    "\"jump\": \"ops@bastion:2022,gw\", \"user\": \"b\\\"o\\nb\", \"path\": "
	    "\"x\\ufffd\\u0001y\", \"status\": \"failed\", \"error_kind\": "
	    "\"remote\", \"error\": \"cannot \\\"x\\\"\\n\\u001b[31m\", "
	    "\"bytes\": 0, \"seconds\": null, \"rate\": null, "
	    "\"attempts\": 2, \"then\": null}"));
	/* Never started: the target's port stays in the URI alone. */
	assert_non_null(strstr(r, "\"uri\": \"scp://[::1]:22\", \"host\": "
	    "\"::1\", \"hostname\": null, \"port\": null, \"jump\": null,"));
	assert_non_null(strstr(r, "\"status\": \"unknown\", \"error_kind\": "
	    "\"lost\", \"error\": \"lost\""));
	free(r);
}

/* python3's parser reads the report, when python3 is installed. */
static void
test_report_parses(void **state)
{
	char path[] = "/tmp/fanscp_jsonXXXXXX", *cmd, *r = sample_report();
	FILE *f;
	int fd;

	(void)state;
	if (system("python3 -c '' >/dev/null 2>&1") != 0) {
		free(r);
		skip();
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(r, f);
	fclose(f);
	assert_true(asprintf(&cmd, "python3 -c 'import json,sys; "
	    "d = json.load(open(sys.argv[1])); "
	    "assert len(d[\"hosts\"]) == 3; "
	    "assert d[\"hosts\"][1][\"user\"] == \"b\\\"o\\nb\"; "
	    "assert d[\"hosts\"][1][\"path\"] == \"x\\ufffd\\x01y\"' %s",
	    path) > 0);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	free(cmd);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_report_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
