/*
 * Unit tests for target.c: [user@]host:path and scp:// arguments, lone
 * ":path" targets, host files and the target list.
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

#include "target.h"

/* Check one target; user NULL means no user. */
static void
check_target(const struct target *t, const char *user, const char *host,
    int port, const char *path)
{
	if (user == NULL)
		assert_null(t->user);
	else {
		assert_non_null(t->user);
		assert_string_equal(t->user, user);
	}
	assert_string_equal(t->host, host);
	assert_int_equal(t->port, port);
	assert_string_equal(t->path, path);
}

/* Parse arg alone and expect exactly one target. */
static void
expect_one(const char *arg, const char *user, const char *host, int port,
    const char *path)
{
	struct target_list l = { 0 };
	char err[512] = "";

	assert_int_equal(target_parse(arg, &l, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], user, host, port, path);
	target_list_release(&l);
}

/* Parse arg into a list holding one target; expect msg and no change. */
static void
expect_bad(const char *arg, const char *msg)
{
	struct target_list l = { 0 };
	struct target t = { NULL, "keep", 0, "p" };
	char err[512];

	target_list_add(&l, &t);
	assert_int_equal(target_parse(arg, &l, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], NULL, "keep", 0, "p");
	target_list_release(&l);
}

static void
test_host_path(void **state)
{
	(void)state;
	expect_one("web1:/srv/app", NULL, "web1", 0, "/srv/app");
	expect_one("web1:rel/dir", NULL, "web1", 0, "rel/dir");
	expect_one("web1:", NULL, "web1", 0, "");
	expect_one("alice@web1:/x", "alice", "web1", 0, "/x");
	expect_one("10.0.0.7:/x", NULL, "10.0.0.7", 0, "/x");
}

static void
test_path_kept_byte_for_byte(void **state)
{
	(void)state;
	expect_one("h:a b", NULL, "h", 0, "a b");
	expect_one("h:line1\nline2", NULL, "h", 0, "line1\nline2");
	expect_one("h:'q' \"dq\"", NULL, "h", 0, "'q' \"dq\"");
	expect_one("h:$(touch x)", NULL, "h", 0, "$(touch x)");
	expect_one("h:`id`;rm -rf /", NULL, "h", 0, "`id`;rm -rf /");
	expect_one("h:-rf", NULL, "h", 0, "-rf");
	expect_one("h:--", NULL, "h", 0, "--");
	expect_one("h:a:b::c", NULL, "h", 0, "a:b::c");
	expect_one("h:u@v", NULL, "h", 0, "u@v");
	expect_one("h:[1-3]", NULL, "h", 0, "[1-3]");
	expect_one("h:\t\r\x01\x7f\xff", NULL, "h", 0, "\t\r\x01\x7f\xff");
	expect_one("u@h:%41+b", "u", "h", 0, "%41+b");
}

static void
test_user_last_at(void **state)
{
	(void)state;
	/* As scp's parse_user_host_path(): the last '@' ends the user. */
	expect_one("a@b@host:x", "a@b", "host", 0, "x");
	expect_one("me@corp.example@h:x@y", "me@corp.example", "h", 0,
	    "x@y");
	/* As scp's colon(): the first ':' ends the host, even in a user. */
	expect_one("a:b@host:x", NULL, "a", 0, "b@host:x");
}

static void
test_nodeset_host(void **state)
{
	struct target_list l = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(target_parse("web[01-16]:/srv/x", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 16);
	check_target(&l.v[0], NULL, "web01", 0, "/srv/x");
	check_target(&l.v[9], NULL, "web10", 0, "/srv/x");
	check_target(&l.v[15], NULL, "web16", 0, "/srv/x");
	target_list_release(&l);

	assert_int_equal(target_parse("user@db[1-3,7]:x", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 4);
	check_target(&l.v[0], "user", "db1", 0, "x");
	check_target(&l.v[2], "user", "db3", 0, "x");
	check_target(&l.v[3], "user", "db7", 0, "x");
	target_list_release(&l);

	assert_int_equal(target_parse("r[1-2]n[1-2].dc:", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 4);
	check_target(&l.v[1], NULL, "r1n2.dc", 0, "");
	check_target(&l.v[2], NULL, "r2n1.dc", 0, "");
	target_list_release(&l);

	/* Brackets of digits only are a nodeset, not an address. */
	assert_int_equal(target_parse("[1-2]:p", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	check_target(&l.v[0], NULL, "1", 0, "p");
	check_target(&l.v[1], NULL, "2", 0, "p");
	target_list_release(&l);
	assert_null(l.v);
	assert_int_equal(l.cap, 0);
}

static void
test_ipv6(void **state)
{
	(void)state;
	expect_one("[::1]:path", NULL, "::1", 0, "path");
	expect_one("[::1]:", NULL, "::1", 0, "");
	expect_one("user@[fe80::1%eth0]:p", "user", "fe80::1%eth0", 0, "p");
	expect_one("[2001:db8::7]:/a:b", NULL, "2001:db8::7", 0, "/a:b");
	expect_one("[::ffff:10.0.0.1]:x", NULL, "::ffff:10.0.0.1", 0, "x");
	expect_bad("[::g]:x", "bad target '[::g]:x': bad IPv6 address '::g'");
	expect_bad("[1::2::3]:x",
	    "bad target '[1::2::3]:x': bad IPv6 address '1::2::3'");
	expect_bad("[fe80::1%]:x",
	    "bad target '[fe80::1%]:x': bad IPv6 address 'fe80::1%'");
	expect_bad("[fe80::1%e;x]:y",
	    "bad target '[fe80::1%e;x]:y': bad IPv6 address 'fe80::1%e;x'");
	/* No ':' after the closing bracket: not remote, as in scp. */
	expect_bad("[::1]", "'[::1]' is not a remote target "
	    "(expected [user@]host:[path])");
	expect_bad("[::1]x:p", "bad target '[::1]x:p': bad nodeset "
	    "'[::1]x': bad character ':' in brackets");
}

static void
test_not_remote(void **state)
{
	(void)state;
	expect_bad("foo", "'foo' is not a remote target "
	    "(expected [user@]host:[path])");
	expect_bad("", "'' is not a remote target "
	    "(expected [user@]host:[path])");
	/* A '/' before the ':' makes a local path, as scp's colon(). */
	expect_bad("./a:b", "'./a:b' is not a remote target "
	    "(expected [user@]host:[path])");
	expect_bad("dir/h:x", "'dir/h:x' is not a remote target "
	    "(expected [user@]host:[path])");
	expect_bad("a\nb", "'a?b' is not a remote target "
	    "(expected [user@]host:[path])");
}

static void
test_bad_user_host(void **state)
{
	(void)state;
	expect_bad(":x", "bad target ':x': empty host name");
	expect_bad("user@:x", "bad target 'user@:x': empty host name");
	expect_bad("@host:x", "bad target '@host:x': empty user name");
	expect_bad("-oProxyCommand=x:y",
	    "bad target '-oProxyCommand=x:y': bad host name "
	    "'-oProxyCommand=x'");
	expect_bad("u@-h:y", "bad target 'u@-h:y': bad host name '-h'");
	expect_bad("a b:x", "bad target 'a b:x': bad host name 'a b'");
	expect_bad("a\tb:x", "bad target 'a?b:x': bad host name 'a?b'");
	expect_bad("a\nb:x", "bad target 'a?b:x': bad host name 'a?b'");
	expect_bad("$(id):x", "bad target '$(id):x': bad host name '$(id)'");
	expect_bad("h`x`:p", "bad target 'h`x`:p': bad host name 'h`x`'");
	expect_bad("a,b:x", "bad target 'a,b:x': bad host name 'a,b'");
	expect_bad("-web[1-2]:x",
	    "bad target '-web[1-2]:x': bad host name '-web1'");
	expect_bad("-l@h:x", "bad target '-l@h:x': bad user name '-l'");
	expect_bad("a;b@h:x", "bad target 'a;b@h:x': bad user name 'a;b'");
	expect_bad("a -x@h:p", "bad target 'a -x@h:p': bad user name 'a -x'");
	expect_bad("a\x01@h:p", "bad target 'a?@h:p': bad user name 'a?'");
	expect_bad("a\\@h:p", "bad target 'a\\@h:p': bad user name 'a\\'");
}

static void
test_bad_nodeset(void **state)
{
	(void)state;
	expect_bad("web[1-x]:/srv", "bad target 'web[1-x]:/srv': bad nodeset "
	    "'web[1-x]': bad character 'x' in brackets");
	expect_bad("web[1-:/srv", "bad target 'web[1-:/srv': missing ']'");
	expect_bad("web]:/srv",
	    "bad target 'web]:/srv': bad nodeset 'web]': unexpected ']'");
	expect_bad("web[]:/srv",
	    "bad target 'web[]:/srv': bad nodeset 'web[]': empty brackets "
	    "'[]'");
	expect_bad("w[5-3]:x",
	    "bad target 'w[5-3]:x': bad nodeset 'w[5-3]': reversed range "
	    "'5-3'");
	expect_bad("w[1-2000000]:x", "bad target 'w[1-2000000]:x': bad "
	    "nodeset 'w[1-2000000]': more than 1000000 names");
}

static void
test_uri(void **state)
{
	(void)state;
	expect_one("scp://host", NULL, "host", 0, "");
	expect_one("scp://host/", NULL, "host", 0, "");
	expect_one("scp://host:2222", NULL, "host", 2222, "");
	/* The '/' after the host only separates, as in parse_uri(). */
	expect_one("scp://host/dir/f", NULL, "host", 0, "dir/f");
	expect_one("scp://host//tmp/f", NULL, "host", 0, "/tmp/f");
	expect_one("scp://bob@host:1/x", "bob", "host", 1, "x");
	expect_one("scp://bob@host:65535//abs", "bob", "host", 65535, "/abs");
	/* User and path are percent-decoded, '+' too; the host is not. */
	expect_one("scp://us%40er@host/a%20b+c%2F", "us@er", "host", 0,
	    "a b c/");
	expect_one("scp://a+b@h/x", "a b", "h", 0, "x");
	/* Connection parameters after ';' are ignored. */
	expect_one("scp://bob;fingerprint=SHA256-x@h/p", "bob", "h", 0, "p");
	/* The user ends at an '@' before the first '/' only. */
	expect_one("scp://h/a@b", NULL, "h", 0, "a@b");
	expect_one("scp://h/$(touch%20x)", NULL, "h", 0, "$(touch x)");
	expect_one("scp://h/-rf", NULL, "h", 0, "-rf");
	expect_one("scp://[::1]:2200/x", NULL, "::1", 2200, "x");
	expect_one("scp://u@[fe80::1%eth0]/x", "u", "fe80::1%eth0", 0, "x");
	expect_one("scp://[::1]", NULL, "::1", 0, "");
	/* Only user and path are decoded: the host is taken as it is. */
	expect_one("scp://h%41/p%41", NULL, "h%41", 0, "pA");
}

static void
test_uri_nodeset(void **state)
{
	struct target_list l = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(target_parse("scp://ops@web[1-2,05]:2022/srv", &l,
	    err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	check_target(&l.v[0], "ops", "web1", 2022, "srv");
	check_target(&l.v[1], "ops", "web2", 2022, "srv");
	check_target(&l.v[2], "ops", "web05", 2022, "srv");
	target_list_release(&l);
}

static void
test_uri_bad(void **state)
{
	(void)state;
	expect_bad("scp://", "bad target 'scp://': empty host name");
	expect_bad("scp:///x", "bad target 'scp:///x': empty host name");
	expect_bad("scp://@h/x", "bad target 'scp://@h/x': empty user name");
	expect_bad("scp://;p@h/x", "bad target 'scp://;p@h/x': empty user "
	    "name");
	expect_bad("scp://h:0/x", "bad target 'scp://h:0/x': bad port '0'");
	expect_bad("scp://h:65536", "bad target 'scp://h:65536': bad port "
	    "'65536'");
	expect_bad("scp://h:99999999999999999999/x",
	    "bad target 'scp://h:99999999999999999999/x': bad port "
	    "'99999999999999999999'");
	expect_bad("scp://h:ssh/x", "bad target 'scp://h:ssh/x': bad port "
	    "'ssh'");
	expect_bad("scp://h:-1/x", "bad target 'scp://h:-1/x': bad port "
	    "'-1'");
	expect_bad("scp://h:/x", "bad target 'scp://h:/x': bad port ''");
	expect_bad("scp://h:", "bad target 'scp://h:': bad port ''");
	expect_bad("scp://h/%zz", "bad target 'scp://h/%zz': bad %-escape "
	    "in path");
	expect_bad("scp://h/a%4", "bad target 'scp://h/a%4': bad %-escape "
	    "in path");
	expect_bad("scp://h/a%00b", "bad target 'scp://h/a%00b': bad "
	    "%-escape in path");
	expect_bad("scp://u%0@h/", "bad target 'scp://u%0@h/': bad %-escape "
	    "in user name");
	expect_bad("scp://u%0a@h/", "bad target 'scp://u%0a@h/': bad user "
	    "name 'u?'");
	expect_bad("scp://-oProxyCommand=x/p", "bad target "
	    "'scp://-oProxyCommand=x/p': bad host name '-oProxyCommand=x'");
	expect_bad("scp://h a/p", "bad target 'scp://h a/p': bad host name "
	    "'h a'");
	expect_bad("scp://[::1/p", "bad target 'scp://[::1/p': bad nodeset "
	    "'[::1': missing ']'");
}

static void
test_lone_path(void **state)
{
	const char *path = NULL;

	(void)state;
	assert_int_equal(target_is_lone_path(":/srv/x", &path), 1);
	assert_string_equal(path, "/srv/x");
	assert_int_equal(target_is_lone_path(": /x", &path), 1);
	assert_string_equal(path, " /x");
	assert_int_equal(target_is_lone_path(":", &path), 1);
	assert_string_equal(path, "");
	path = NULL;
	assert_int_equal(target_is_lone_path("h:/x", &path), 0);
	assert_null(path);
	assert_int_equal(target_is_lone_path("/x", &path), 0);
	assert_int_equal(target_is_lone_path("", &path), 0);
	assert_null(path);
	assert_int_equal(target_is_lone_path(":x", NULL), 1);
}

static const char hosts_text[] =
    "# fleet\n"
    "\n"
    "   web1\n"
    "\tweb2:2222   # the odd one\n"
    "ops@db[1-2]\r\n"
    "  # indented comment\n"
    "root@lb[01-02]:22\n"
    "[::1]:2200\n"
    "me@[fe80::1%eth0]\n"
    "2001:db8::9\n"
    "last";

static void
test_hostfile_parse(void **state)
{
	struct target_list l = { 0 };
	char err[256] = "";

	(void)state;
	assert_int_equal(hostfile_parse(hosts_text, sizeof(hosts_text) - 1,
	    "hosts", "/dst", &l, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(l.n, 10);
	check_target(&l.v[0], NULL, "web1", 0, "/dst");
	check_target(&l.v[1], NULL, "web2", 2222, "/dst");
	check_target(&l.v[2], "ops", "db1", 0, "/dst");
	check_target(&l.v[3], "ops", "db2", 0, "/dst");
	check_target(&l.v[4], "root", "lb01", 22, "/dst");
	check_target(&l.v[5], "root", "lb02", 22, "/dst");
	check_target(&l.v[6], NULL, "::1", 2200, "/dst");
	check_target(&l.v[7], "me", "fe80::1%eth0", 0, "/dst");
	check_target(&l.v[8], NULL, "2001:db8::9", 0, "/dst");
	check_target(&l.v[9], NULL, "last", 0, "/dst");
	/* Each target owns its path. */
	assert_ptr_not_equal(l.v[0].path, l.v[1].path);
	target_list_release(&l);
}

static void
test_hostfile_empty(void **state)
{
	struct target_list l = { 0 };
	char err[64] = "";

	(void)state;
	assert_int_equal(hostfile_parse("", 0, "f", "/p", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(hostfile_parse("\n\n  \n#x\n", 8, "f", "/p", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 0);
	/* A NULL path is the home directory. */
	assert_int_equal(hostfile_parse("h\n", 2, "f", NULL, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], NULL, "h", 0, "");
	target_list_release(&l);
}

/* Parse text after one good line and expect msg with nothing added. */
static void
expect_bad_file(const char *text, const char *msg)
{
	struct target_list l = { 0 };
	struct target t = { NULL, "keep", 0, "p" };
	char err[256];

	target_list_add(&l, &t);
	assert_int_equal(hostfile_parse(text, strlen(text), "hosts", "/p", &l,
	    err, sizeof(err)), -1);
	assert_string_equal(err, msg);
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], NULL, "keep", 0, "p");
	target_list_release(&l);
}

static void
test_hostfile_bad(void **state)
{
	(void)state;
	expect_bad_file("a\nb\nc:0\n", "hosts:3: bad port '0'");
	expect_bad_file("a:99999", "hosts:1: bad port '99999'");
	expect_bad_file("a:ssh", "hosts:1: bad port 'ssh'");
	expect_bad_file("a:", "hosts:1: bad port ''");
	expect_bad_file("# c\nweb[1-\n", "hosts:2: bad nodeset 'web[1-': "
	    "missing ']'");
	expect_bad_file("web[1-2]\nweb[3-1]\n", "hosts:2: bad nodeset "
	    "'web[3-1]': reversed range '3-1'");
	expect_bad_file("ok\n-oProxyCommand=x\n",
	    "hosts:2: bad host name '-oProxyCommand=x'");
	expect_bad_file("h$x", "hosts:1: bad host name 'h$x'");
	expect_bad_file("@h", "hosts:1: empty user name");
	expect_bad_file("u@", "hosts:1: empty host name");
	expect_bad_file("u@:22", "hosts:1: empty host name");
	expect_bad_file("host user x", "hosts:1: expected [user@]host[:port], "
	    "host[:port] user or scp://[user@]host[:port][/path], "
	    "not 'host user x'");
	expect_bad_file("u@host user", "hosts:1: two users in 'u@host user'");
	expect_bad_file("host -oX", "hosts:1: bad user name '-oX' in "
	    "'host -oX'");
	expect_bad_file("-oProxyCommand=x y", "hosts:1: bad host name "
	    "'-oProxyCommand=x' in '-oProxyCommand=x y'");
	expect_bad_file("h\x01x", "hosts:1: control character in 'h?x'");
	expect_bad_file("scp://h/a b", "hosts:1: white space in a URI "
	    "(write it %20)");
	expect_bad_file("scp://h/%zz", "hosts:1: bad %-escape in path");
	expect_bad_file("scp://h:0/p", "hosts:1: bad port '0'");
	expect_bad_file("[::g]:22", "hosts:1: bad IPv6 address '::g'");
	expect_bad_file("a:1:2", "hosts:1: bad IPv6 address 'a:1:2'");
	expect_bad_file("h/x", "hosts:1: bad host name 'h/x'");
}

static void
test_hostfile_nul(void **state)
{
	static const char text[] = "a\nb\0c\n";
	struct target_list l = { 0 };
	char err[64];

	(void)state;
	assert_int_equal(hostfile_parse(text, sizeof(text) - 1, "f", "/p", &l,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "f:2: NUL byte in line");
	assert_int_equal(l.n, 0);
	target_list_release(&l);
}

static void
test_hostfile_load(void **state)
{
	struct target_list l = { 0 };
	char file[] = "/tmp/fanscp_hostsXXXXXX", err[256];
	const char text[] = "u@n[1-3]:2201\n# end\n";
	int fd;

	(void)state;
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(hostfile_load(file, "dst", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	check_target(&l.v[0], "u", "n1", 2201, "dst");
	check_target(&l.v[2], "u", "n3", 2201, "dst");
	target_list_release(&l);
	unlink(file);
}

static void
test_hostfile_load_errors(void **state)
{
	struct target_list l = { 0 };
	char file[] = "/tmp/fanscp_hostsXXXXXX", err[256], want[300];
	int fd;

	(void)state;
	assert_int_equal(hostfile_load("/nonexistent/fanscp-hosts", "/p", &l,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "cannot read '/nonexistent/fanscp-hosts': "
	    "No such file or directory");
	assert_int_equal(hostfile_load("/", "/p", &l, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot read '/': Is a directory");

	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ok\nbad host x\n", 14), 14);
	close(fd);
	assert_int_equal(hostfile_load(file, "/p", &l, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: expected [user@]host[:port], "
	    "host[:port] user or scp://[user@]host[:port][/path], "
	    "not 'bad host x'", file);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 0);
	unlink(file);
	target_list_release(&l);
}

static void
test_list_add_release(void **state)
{
	struct target_list l = { 0 };
	char host[] = "alpha", path[] = "/x";
	struct target t = { NULL, host, 22, path };
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		target_list_add(&l, &t);
	assert_int_equal(l.n, 20);
	assert_true(l.cap >= 20);
	/* The list holds copies. */
	host[0] = 'A';
	path[1] = 'y';
	check_target(&l.v[19], NULL, "alpha", 22, "/x");
	assert_ptr_not_equal(l.v[0].host, host);
	t.user = "bob";
	target_list_add(&l, &t);
	check_target(&l.v[20], "bob", "Alpha", 22, "/y");
	target_list_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
	/* Releasing twice is harmless, and the list can be reused. */
	target_list_release(&l);
	target_list_add(&l, &t);
	assert_int_equal(l.n, 1);
	target_list_release(&l);
}

/* Caps over the whole list: hosts in all, and bytes of names and paths. */
static void
test_list_limits(void **state)
{
	struct target_list list = { 0 };
	char err[512], *arg, *text;
	size_t n, bytes;

	(void)state;
	assert_int_equal(target_parse("a[1-600000]:x", &list, err,
	    sizeof(err)), 0);
	n = list.n;
	bytes = list.bytes;
	assert_int_equal(n, 600000);
	/* A second nodeset would pass the host cap: refused, list as it was. */
	assert_int_equal(target_parse("b[1-600000]:x", &list, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 1000000 hosts"));
	assert_int_equal(list.n, n);
	assert_int_equal(list.bytes, bytes);
	/* Host files count too, and a failed one leaves the list as it was. */
	text = "c1\nc[1-600000]\n";
	assert_int_equal(hostfile_parse(text, strlen(text), "hosts", "p",
	    &list, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hosts:2: "));
	assert_int_equal(list.n, n);
	assert_int_equal(list.bytes, bytes);
	target_list_release(&list);
	assert_int_equal(list.bytes, 0);

	/* A long path copied to each host is what the byte cap is for. */
	arg = calloc(1, 4096 + 32);
	assert_non_null(arg);
	memcpy(arg, "h[1-100000]:", 12);
	memset(arg + 12, 'p', 4000);
	assert_int_equal(target_parse(arg, &list, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "would take more than 256 MiB"));
	assert_int_equal(list.n, 0);
	free(arg);
}

/* Under --exec: parse arg alone and expect exactly one target. */
static void
expect_exec(const char *arg, const char *user, const char *host, int port)
{
	struct target_list l = { 0 };
	char err[512] = "";

	if (target_parse_exec(arg, &l, err, sizeof(err)) != 0)
		print_error("'%s': %s\n", arg, err);
	assert_string_equal(err, "");
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], user, host, port, "");
	target_list_release(&l);
}

/* Under --exec: arg is refused with a message holding want; no change. */
static void
expect_exec_bad(const char *arg, const char *want)
{
	struct target_list l = { 0 };
	struct target t = { NULL, "keep", 0, "" };
	char err[512] = "";

	target_list_add(&l, &t);
	assert_int_equal(target_parse_exec(arg, &l, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		print_error("'%s': '%s' lacks '%s'\n", arg, err, want);
	assert_non_null(strstr(err, want));
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], NULL, "keep", 0, "");
	target_list_release(&l);
}

/* --exec: hosts without a path; host:NNNN is a port. */
static void
test_exec_hosts(void **state)
{
	struct target_list l = { 0 };
	char err[256];

	(void)state;
	expect_exec("web01", NULL, "web01", 0);
	expect_exec("web01:", NULL, "web01", 0);
	expect_exec("web01:2222", NULL, "web01", 2222);
	expect_exec("alice@web01", "alice", "web01", 0);
	expect_exec("alice@web01:", "alice", "web01", 0);
	expect_exec("a@b@web01:22", "a@b", "web01", 22);
	expect_exec("10.0.0.7", NULL, "10.0.0.7", 0);
	expect_exec("10.0.0.7:2200", NULL, "10.0.0.7", 2200);
	expect_exec("scp://web01", NULL, "web01", 0);
	expect_exec("scp://web01/", NULL, "web01", 0);
	expect_exec("scp://bob@web01:2222", "bob", "web01", 2222);
	expect_exec("scp://bob@web01:2222/", "bob", "web01", 2222);
	/* IPv6: in brackets (with or without a port), or bare. */
	expect_exec("[::1]", NULL, "::1", 0);
	expect_exec("[::1]:", NULL, "::1", 0);
	expect_exec("[::1]:2222", NULL, "::1", 2222);
	expect_exec("u@[fe80::1%eth0]:22", "u", "fe80::1%eth0", 22);
	expect_exec("::1", NULL, "::1", 0);
	expect_exec("2001:db8::7", NULL, "2001:db8::7", 0);
	expect_exec("scp://[2001:db8::7]:2200", NULL, "2001:db8::7", 2200);
	/* Nodesets, with a port for all. */
	assert_int_equal(target_parse_exec("web[01-03]:2222", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	check_target(&l.v[0], NULL, "web01", 2222, "");
	check_target(&l.v[2], NULL, "web03", 2222, "");
	assert_int_equal(target_parse_exec("u@db[1,3]", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 5);
	check_target(&l.v[4], "u", "db3", 0, "");
	target_list_release(&l);
}

/* --exec: a path is a usage error that says so; bad ports and names too. */
static void
test_exec_bad(void **state)
{
	(void)state;
	expect_exec_bad("web01:/srv/x", "names a host, not a path ('/srv/x')");
	expect_exec_bad("web01:x", "names a host, not a path");
	expect_exec_bad("web01:22x", "names a host, not a path");
	expect_exec_bad("web01:~", "names a host, not a path");
	expect_exec_bad("web[01-02]:dir/", "names a host, not a path");
	expect_exec_bad("u@web01:$(touch x)", "names a host, not a path");
	expect_exec_bad("scp://web01/f", "names a host, not a path ('f')");
	expect_exec_bad("scp://web01//tmp/x", "names a host, not a path");
	expect_exec_bad("web01:0", "bad port '0'");
	expect_exec_bad("web01:65536", "bad port '65536'");
	expect_exec_bad("scp://web01:x", "bad port 'x'");
	expect_exec_bad("", "empty host name");
	expect_exec_bad(":", "empty host name");
	expect_exec_bad("@web01", "empty user name");
	expect_exec_bad("-oProxyCommand=x", "bad host name");
	expect_exec_bad("/tmp/file", "bad host name");
	expect_exec_bad("web 01", "bad host name");
	expect_exec_bad("web$(id)", "bad host name");
	expect_exec_bad("[::1", "bad");
	expect_exec_bad("[zz::1]:22", "bad IPv6 address");
}

/* pssh's "host[:port] [user]" lines, beside [user@]host[:port]. */
static void
test_hostfile_pssh(void **state)
{
	static const char text[] =
	    "# pssh\n"
	    "web01 alice\n"
	    "web02:2222 bob   # a comment\n"
	    "web03:2200\t carol\r\n"
	    "dave@web04:22\n"
	    "[::1]:2222 erin\n"
	    "web[05-06] frank\n";
	struct target_list l = { 0 };
	char err[256] = "";

	(void)state;
	assert_int_equal(hostfile_parse(text, sizeof(text) - 1, "f", "/p", &l,
	    err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(l.n, 7);
	check_target(&l.v[0], "alice", "web01", 0, "/p");
	check_target(&l.v[1], "bob", "web02", 2222, "/p");
	check_target(&l.v[2], "carol", "web03", 2200, "/p");
	check_target(&l.v[3], "dave", "web04", 22, "/p");
	check_target(&l.v[4], "erin", "::1", 2222, "/p");
	check_target(&l.v[5], "frank", "web05", 0, "/p");
	check_target(&l.v[6], "frank", "web06", 0, "/p");
	target_list_release(&l);
}

/* scp:// lines: their own path wins over the lone ":path"'s. */
static void
test_hostfile_uri(void **state)
{
	static const char text[] =
	    "scp://u@h1:2222/rel%20name\n"
	    "scp://h2//abs/p\n"
	    "scp://[::1]:22\n"
	    "scp://h3/\n";
	struct target_list l = { 0 };
	char err[256] = "";

	(void)state;
	assert_int_equal(hostfile_parse(text, sizeof(text) - 1, "f", "/lone",
	    &l, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(l.n, 4);
	check_target(&l.v[0], "u", "h1", 2222, "rel name");
	check_target(&l.v[1], NULL, "h2", 0, "/abs/p");
	check_target(&l.v[2], NULL, "::1", 22, "/lone");
	check_target(&l.v[3], NULL, "h3", 0, "/lone");
	target_list_release(&l);
}

/* target_uri() and a host file read back into the very same target. */
static void
expect_uri_round_trip(const char *user, const char *host, int port,
    const char *path, const char *want)
{
	struct target t = { (char *)user, (char *)host, port, (char *)path };
	struct target_list l = { 0 };
	char err[256] = "", *uri, *line;

	uri = target_uri(&t);
	if (want != NULL)
		assert_string_equal(uri, want);
	line = malloc(strlen(uri) + 2);
	assert_non_null(line);
	snprintf(line, strlen(uri) + 2, "%s\n", uri);
	assert_int_equal(hostfile_parse(line, strlen(line), "f", "", &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	check_target(&l.v[0], user, host, port, path);
	target_list_release(&l);
	assert_int_equal(target_parse(uri, &l, err, sizeof(err)), 0);
	check_target(&l.v[0], user, host, port, path);
	target_list_release(&l);
	free(line);
	free(uri);
}

static void
test_uri_round_trip(void **state)
{
	(void)state;
	expect_uri_round_trip(NULL, "web01", 0, "", "scp://web01");
	expect_uri_round_trip("u", "web01", 2222, "f",
	    "scp://u@web01:2222/f");
	expect_uri_round_trip(NULL, "h", 0, "/tmp/f", "scp://h//tmp/f");
	expect_uri_round_trip(NULL, "::1", 22, "/a", "scp://[::1]:22//a");
	expect_uri_round_trip("a b%+", "h", 0, "x", "scp://a%20b%25%2B@h/x");
	expect_uri_round_trip(NULL, "h", 0, "sp ace/100%+\n'$(id)'#:@;?",
	    "scp://h/sp%20ace/100%25%2B%0A%27%24%28id%29%27%23%3A%40%3B%3F");
	expect_uri_round_trip(NULL, "h", 0, "-leading dash/\t\xff\xc3",
	    NULL);
	expect_uri_round_trip(NULL, "fe80::1%eth0", 0, "p", NULL);
}

/* What opts.c takes for a target rather than a source: scp's colon(). */
static void
test_is_remote(void **state)
{
	(void)state;
	assert_true(target_is_remote("h:"));
	assert_true(target_is_remote("u@h:x/y"));
	assert_true(target_is_remote(":dir/"));
	assert_true(target_is_remote("web[01-03]:/srv"));
	assert_true(target_is_remote("[::1]:x"));
	assert_true(target_is_remote("scp://h"));
	assert_true(target_is_remote("[unclosed"));
	assert_false(target_is_remote("file"));
	assert_false(target_is_remote("-"));
	assert_false(target_is_remote("./a:b"));
	assert_false(target_is_remote("dir/h:x"));
	assert_false(target_is_remote("/abs/path"));
	assert_false(target_is_remote(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_path),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_path_kept_byte_for_byte),
		cmocka_unit_test(test_user_last_at),
		cmocka_unit_test(test_nodeset_host),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_not_remote),
		cmocka_unit_test(test_bad_user_host),
		cmocka_unit_test(test_bad_nodeset),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_uri_nodeset),
		cmocka_unit_test(test_uri_bad),
		cmocka_unit_test(test_lone_path),
		cmocka_unit_test(test_hostfile_parse),
		cmocka_unit_test(test_hostfile_empty),
		cmocka_unit_test(test_hostfile_bad),
		cmocka_unit_test(test_hostfile_nul),
		cmocka_unit_test(test_hostfile_load),
		cmocka_unit_test(test_hostfile_load_errors),
		cmocka_unit_test(test_list_add_release),
		cmocka_unit_test(test_exec_hosts),
		cmocka_unit_test(test_exec_bad),
		cmocka_unit_test(test_hostfile_pssh),
		cmocka_unit_test(test_hostfile_uri),
		cmocka_unit_test(test_uri_round_trip),
		cmocka_unit_test(test_is_remote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
