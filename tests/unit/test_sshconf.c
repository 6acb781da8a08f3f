/*
 * Unit tests for sshconf: parsing, first-value-wins resolution, Host and
 * Match blocks, Include, token expansion and every error message.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ftw.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "sshconf.h"
#include "util.h"

#define HOME	"/home/tester"

/* File-static internals, reached through STATIC. */
int	sshconf_pattern_list(const char *, const char *, int);
int	sshconf_parse_time(const char *);

/*
 * sshconf logs through debug() and verbose() only; these stand-ins keep
 * the notes so tests can check them (log.o is then never pulled from the
 * library).
 */
static char notes[32][512];
static int nnotes;

static void
note(const char *fmt, va_list ap)
{
	if (nnotes < 32)
		vsnprintf(notes[nnotes++], sizeof(notes[0]), fmt, ap);
}

void
debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(fmt, ap);
	va_end(ap);
}

void
verbose(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(fmt, ap);
	va_end(ap);
}

static int
has_note(const char *s)
{
	int i;

	for (i = 0; i < nnotes; i++)
		if (strstr(notes[i], s) != NULL)
			return 1;
	return 0;
}

static struct sshconf *
conf_text(const char *text)
{
	struct sshconf *c = sshconf_new();
	char err[512] = "";

	if (sshconf_load_text(c, text, strlen(text), "cfg", err,
	    sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	return c;
}

static void
resolve(struct sshconf *c, const char *host, const char *user,
    struct hostcfg *h)
{
	char err[512] = "";

	if (sshconf_resolve(c, host, user, h, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

static const char *
local_user(void)
{
	struct passwd *pw = getpwuid(getuid());

	assert_non_null(pw);
	return pw->pw_name;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static int
setup(void **state)
{
	(void)state;
	setenv("HOME", HOME, 1);
	nnotes = 0;
	return 0;
}

static void
test_first_value_wins(void **state)
{
	struct sshconf *c = conf_text(
	    "BatchMode yes\n"
	    "Host web*\n"
	    "  Port 2201\n"
	    "  User webuser\n"
	    "Host web01\n"
	    "  Port 2202\n"
	    "  HostName web01.example.com\n"
	    "  BatchMode no\n"
	    "Host *\n"
	    "  Port 22\n"
	    "  User fallback\n"
	    "  ConnectTimeout 7\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "web01", NULL, &h);
	assert_int_equal(h.port, 2201);
	assert_string_equal(h.user, "webuser");
	assert_string_equal(h.hostname, "web01.example.com");
	assert_int_equal(h.batch_mode, 1);
	assert_int_equal(h.connect_timeout, 7);
	hostcfg_release(&h);

	resolve(c, "db1", NULL, &h);
	assert_int_equal(h.port, 22);
	assert_string_equal(h.user, "fallback");
	assert_null(h.hostname);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_option_precedence(void **state)
{
	struct sshconf *c = sshconf_new();
	const char *text = "Port 22\nUser cfg\nConnectTimeout 1\n";
	char err[256];
	struct hostcfg h;

	(void)state;
	assert_int_equal(sshconf_add_option(c, "Port=2222", err,
	    sizeof(err)), 0);
	assert_int_equal(sshconf_load_text(c, text, strlen(text), "cfg", err,
	    sizeof(err)), 0);
	assert_int_equal(sshconf_add_option(c, "User opt", err,
	    sizeof(err)), 0);
	assert_int_equal(sshconf_add_option(c, "ConnectTimeout = 9", err,
	    sizeof(err)), 0);
	assert_int_equal(sshconf_add_option(c, "  # just a comment", err,
	    sizeof(err)), 0);
	resolve(c, "h", "alice", &h);
	assert_int_equal(h.port, 2222);
	assert_string_equal(h.user, "opt");
	assert_int_equal(h.connect_timeout, 9);
	hostcfg_release(&h);
	sshconf_free(c);

	/* Without -o User, the user given beats the files' User. */
	c = conf_text("User cfg\n");
	resolve(c, "h", "alice", &h);
	assert_string_equal(h.user, "alice");
	hostcfg_release(&h);
	resolve(c, "h", NULL, &h);
	assert_string_equal(h.user, "cfg");
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_identity_files(void **state)
{
	struct sshconf *c = conf_text(
	    "IdentityFile ~/.ssh/id_first\n"
	    "Host real\n"
	    "  HostName real.example.com\n"
	    "  IdentityFile \"%d/keys/%u-%r@%h%%\"\n"
	    "  IdentityFile ~/.ssh/id_first\n"
	    "  IdentityFile none\n"
	    "Host *\n"
	    "  IdentityFile ~root/id_root\n"
	    "  IdentityFile ${FANSCP_TEST_DIR}/k\n"
	    "  IdentityFile /abs/%n-%i\n"
	    "  IdentitiesOnly yes\n");
	struct passwd *root = getpwnam("root");
	char err[256], want[512];
	struct hostcfg h;

	(void)state;
	assert_non_null(root);
	setenv("FANSCP_TEST_DIR", "/srv/keys", 1);
	assert_int_equal(sshconf_add_option(c, "IdentityFile=/opt/first",
	    err, sizeof(err)), 0);
	resolve(c, "real", "bob", &h);
	assert_int_equal(h.n_identity_files, 6);
	assert_string_equal(h.identity_files[0], "/opt/first");
	assert_string_equal(h.identity_files[1], HOME "/.ssh/id_first");
	snprintf(want, sizeof(want), HOME "/keys/%s-bob@real.example.com%%",
	    local_user());
	assert_string_equal(h.identity_files[2], want);
	snprintf(want, sizeof(want), "%s%sid_root", root->pw_dir,
	    strcmp(root->pw_dir, "/") == 0 ? "" : "/");
	assert_string_equal(h.identity_files[3], want);
	assert_string_equal(h.identity_files[4], "/srv/keys/k");
	snprintf(want, sizeof(want), "/abs/real-%lu",
	    (unsigned long)getuid());
	assert_string_equal(h.identity_files[5], want);
	assert_int_equal(h.identities_only, 1);
	hostcfg_release(&h);

	resolve(c, "other", NULL, &h);
	assert_int_equal(h.n_identity_files, 5);
	snprintf(want, sizeof(want), "/abs/other-%lu",
	    (unsigned long)getuid());
	assert_string_equal(h.identity_files[4], want);
	hostcfg_release(&h);
	unsetenv("FANSCP_TEST_DIR");
	sshconf_free(c);

	/* %r is the local user when no user is known; %h the alias. */
	c = conf_text("IdentityFile /k/%r@%h\n");
	resolve(c, "other", NULL, &h);
	snprintf(want, sizeof(want), "/k/%s@other", local_user());
	assert_string_equal(h.identity_files[0], want);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_resolve_errors(void **state)
{
	struct sshconf *c = conf_text(
	    "Host env\n"
	    "  IdentityFile ${FANSCP_UNSET_VAR}/k\n"
	    "Host tilde\n"
	    "  Port 99\n"
	    "  IdentityFile ~fanscp_no_such_user/k\n");
	char err[256];
	struct hostcfg h;

	(void)state;
	unsetenv("FANSCP_UNSET_VAR");
	assert_int_equal(sshconf_resolve(c, "env", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "cfg:2: environment variable 'FANSCP_UNSET_VAR' is not set");
	assert_int_equal(sshconf_resolve(c, "tilde", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "cfg:5: no such user in '~fanscp_no_such_user/k'");
	/* A failed resolution leaves nothing set. */
	assert_int_equal(h.port, 0);
	assert_int_equal(h.n_identity_files, 0);
	assert_null(h.identity_files);
	sshconf_free(c);
}

static void
test_host_negation(void **state)
{
	struct sshconf *c = conf_text(
	    "Host * !bastion\n"
	    "  User inner\n"
	    "Host !web01 web*\n"
	    "  Port 2000\n"
	    "Host !lonely\n"
	    "  Port 3000\n"
	    "Host *\n"
	    "  User outer\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "bastion", NULL, &h);
	assert_string_equal(h.user, "outer");
	assert_int_equal(h.port, 0);
	hostcfg_release(&h);
	resolve(c, "web01", NULL, &h);
	assert_string_equal(h.user, "inner");
	assert_int_equal(h.port, 0);
	hostcfg_release(&h);
	resolve(c, "web02", NULL, &h);
	assert_int_equal(h.port, 2000);
	hostcfg_release(&h);
	/* A block with only negated patterns never applies. */
	resolve(c, "other", NULL, &h);
	assert_int_equal(h.port, 0);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_wildcards(void **state)
{
	struct sshconf *c = conf_text(
	    "Host *.example.com\n"
	    "  User ex\n"
	    "Host web??\n"
	    "  Port 1\n"
	    "Host db* 10.0.0.?\n"
	    "  Port 2\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "a.b.example.com", NULL, &h);
	assert_string_equal(h.user, "ex");
	hostcfg_release(&h);
	resolve(c, "example.com", NULL, &h);
	assert_null(h.user);
	hostcfg_release(&h);
	resolve(c, "web01", NULL, &h);
	assert_int_equal(h.port, 1);
	hostcfg_release(&h);
	resolve(c, "web1", NULL, &h);
	assert_int_equal(h.port, 0);
	hostcfg_release(&h);
	resolve(c, "web001", NULL, &h);
	assert_int_equal(h.port, 0);
	hostcfg_release(&h);
	resolve(c, "10.0.0.7", NULL, &h);
	assert_int_equal(h.port, 2);
	hostcfg_release(&h);
	resolve(c, "10.0.0.17", NULL, &h);
	assert_int_equal(h.port, 0);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_patterns(void **state)
{
	(void)state;
	assert_true(util_glob("", "*", 1, 0));
	assert_true(util_glob("", "", 0, 0));
	assert_false(util_glob("a", "", 0, 0));
	assert_true(util_glob("aab", "*ab", 3, 0));
	assert_true(util_glob("abcab", "*a*b", 4, 0));
	assert_false(util_glob("abca", "*a*b", 4, 0));
	assert_true(util_glob("abc", "a?c", 3, 0));
	assert_false(util_glob("ac", "a?c", 3, 0));
	assert_true(util_glob("ABC", "a*", 2, 1));
	assert_false(util_glob("ABC", "a*", 2, 0));
	/* Only plen bytes of the pattern count. */
	assert_true(util_glob("ab", "ab,zz", 2, 0));
	assert_false(util_glob(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "*a*a*a*a*a*a*a*a*a*a*b", 22, 0));
	assert_int_equal(sshconf_pattern_list("ab", "a*,!ab", 0), -1);
	assert_int_equal(sshconf_pattern_list("ac", "a*,!ab", 0), 1);
	assert_int_equal(sshconf_pattern_list("b", "a*,!ab", 0), 0);
	assert_int_equal(sshconf_pattern_list("Web", "x,WEB", 1), 1);
	assert_int_equal(sshconf_pattern_list("Web", "x,WEB", 0), 0);
}

static void
test_case(void **state)
{
	struct sshconf *c = conf_text(
	    "Host WEB1\n"
	    "  Port 1\n"
	    "Match host WEB*\n"
	    "  hOsTnAmE real.example.com\n"
	    "Match originalhost Web1\n"
	    "  stricthostkeychecking ACCEPT-NEW\n"
	    "Host *\n"
	    "  PORT=2022\n"
	    "  BATCHMODE Yes\n"
	    "  addressfamily INET6\n"
	    "  HashKnownHosts FALSE\n");
	struct hostcfg h;

	(void)state;
	/* Host patterns are case-sensitive, as in ssh; Match host is not. */
	resolve(c, "web1", NULL, &h);
	assert_int_equal(h.port, 2022);
	assert_string_equal(h.hostname, "real.example.com");
	assert_int_equal(h.strict, SHK_ACCEPT_NEW);
	assert_int_equal(h.batch_mode, 1);
	assert_int_equal(h.address_family, AF_INET6);
	assert_int_equal(h.hash_known_hosts, 0);
	hostcfg_release(&h);
	resolve(c, "WEB1", NULL, &h);
	assert_int_equal(h.port, 1);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_match(void **state)
{
	char text[1024];
	struct sshconf *c;
	struct hostcfg h;

	(void)state;
	snprintf(text, sizeof(text),
	    "Match host real.example.com\n"
	    "  User via-hostname\n"
	    "Host alias\n"
	    "  HostName real.example.com\n"
	    "Match host real.example.com\n"
	    "  Port 1001\n"
	    "Match originalhost alias\n"
	    "  IdentitiesOnly yes\n"
	    "Match user fanscp-bob\n"
	    "  HashKnownHosts yes\n"
	    "Match !user fanscp-bob\n"
	    "  HashKnownHosts no\n"
	    "Match localuser %s\n"
	    "  BatchMode yes\n"
	    "Match host=nomatch,other\n"
	    "  Port 9\n"
	    "Match !all\n"
	    "  ConnectTimeout 4\n"
	    "Match all\n"
	    "  ConnectTimeout 3\n", local_user());
	c = conf_text(text);
	resolve(c, "alias", "fanscp-bob", &h);
	assert_string_equal(h.user, "fanscp-bob");
	assert_string_equal(h.hostname, "real.example.com");
	assert_int_equal(h.port, 1001);
	assert_int_equal(h.identities_only, 1);
	assert_int_equal(h.hash_known_hosts, 1);
	assert_int_equal(h.batch_mode, 1);
	assert_int_equal(h.connect_timeout, 3);
	hostcfg_release(&h);

	resolve(c, "other", NULL, &h);
	assert_null(h.user);
	assert_int_equal(h.port, 9);
	assert_int_equal(h.identities_only, -1);
	assert_int_equal(h.hash_known_hosts, 0);
	hostcfg_release(&h);
	sshconf_free(c);

	/* "user" sees a User obtained earlier in the files. */
	c = conf_text("User carol\nMatch user carol\n  Port 7\n");
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.port, 7);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_match_exec(void **state)
{
	struct sshconf *c;
	struct hostcfg h;

	(void)state;
	c = conf_text(
	    "Match exec \"true\" host *\n"
	    "  Port 1\n"
	    "Match !exec false\n"
	    "  Port 2\n"
	    "Match localnetwork 10.0.0.0/8\n"
	    "  Port 3\n"
	    "Host *\n"
	    "  Port 5\n");
	assert_true(has_note(
	    "cfg:1: cannot evaluate Match 'exec'; the block never applies"));
	assert_true(has_note("cfg:5: cannot evaluate Match 'localnetwork'"));
	resolve(c, "anything", NULL, &h);
	assert_int_equal(h.port, 5);
	hostcfg_release(&h);
	sshconf_free(c);
}

/*
 * "Match final" makes ssh read the files again with final and canonical
 * true, the first value obtained still winning: such blocks fill in what
 * nothing else set (RHEL's crypto-policies set HostKeyAlgorithms so).
 * Without a "Match final", canonical blocks never apply (we never
 * canonicalize).
 */
static void
test_match_final(void **state)
{
	struct sshconf *c;
	struct hostcfg h;

	(void)state;
	c = conf_text(
	    "Match final all\n"
	    "  User finaluser\n"
	    "  HostKeyAlgorithms ssh-ed25519\n"
	    "Match canonical host web*\n"
	    "  IdentityFile ~/.ssh/canon\n"
	    "Host web\n"
	    "  User webuser\n"
	    "  IdentityFile ~/.ssh/web\n");
	assert_false(has_note("cannot evaluate"));
	resolve(c, "web", NULL, &h);
	assert_string_equal(h.user, "webuser");
	assert_string_equal(h.host_key_algorithms, "ssh-ed25519");
	assert_int_equal(h.n_identity_files, 2);
	assert_string_equal(h.identity_files[0], HOME "/.ssh/web");
	assert_string_equal(h.identity_files[1], HOME "/.ssh/canon");
	hostcfg_release(&h);
	resolve(c, "db", NULL, &h);
	assert_string_equal(h.user, "finaluser");
	assert_int_equal(h.n_identity_files, 0);
	hostcfg_release(&h);
	sshconf_free(c);

	c = conf_text(
	    "Match canonical\n"
	    "  User canon\n"
	    "Match !final\n"
	    "  Port 7\n");
	resolve(c, "web", NULL, &h);
	assert_null(h.user);
	assert_int_equal(h.port, 7);
	hostcfg_release(&h);
	sshconf_free(c);
}

/*
 * Options that decide how a host key is checked: kept when we honour
 * them, a failure naming the line when we cannot.
 */
static void
test_hostkey_options(void **state)
{
	struct sshconf *c = conf_text(
	    "Host alias\n"
	    "  HostKeyAlias Web.Alias\n"
	    "  HostKeyAlgorithms -ecdsa-*\n"
	    "  ForwardAgent yes\n"
	    "Host quiet\n"
	    "  KnownHostsCommand none\n"
	    "  CheckHostIP no\n"
	    "  VerifyHostKeyDNS no\n"
	    "  ForwardAgent no\n"
	    "Host cmd\n"
	    "  KnownHostsCommand /bin/kh \"%h 100%%\" %k%H %p ${HOME} %I\n"
	    "Host ip\n"
	    "  CheckHostIP yes\n"
	    "Host dns\n"
	    "  VerifyHostKeyDNS ask\n"
	    "Host agentsock\n"
	    "  ForwardAgent /tmp/agent.sock\n"
	    "  CanonicalizeHostname no\n"
	    "Host canon\n"
	    "  CanonicalizeHostname always\n"
	    "Host rev\n"
	    "  RevokedHostKeys ~/revoked /etc/ssh/revoked_%h\n"
	    "Host *\n"
	    "  RevokedHostKeys none\n");
	struct hostcfg h;
	char err[256];

	(void)state;
	resolve(c, "alias", NULL, &h);
	assert_string_equal(h.host_key_alias, "Web.Alias");
	assert_string_equal(h.host_key_algorithms, "-ecdsa-*");
	assert_int_equal(h.forward_agent, 1);
	hostcfg_release(&h);
	assert_null(h.host_key_alias);
	resolve(c, "quiet", NULL, &h);
	assert_null(h.host_key_alias);
	assert_null(h.host_key_algorithms);
	assert_int_equal(h.forward_agent, 0);
	hostcfg_release(&h);
	resolve(c, "agentsock", NULL, &h);
	assert_int_equal(h.forward_agent, 1);
	hostcfg_release(&h);
	resolve(c, "other", NULL, &h);
	assert_int_equal(h.forward_agent, -1);
	assert_int_equal(h.n_revoked_host_keys, 0);
	hostcfg_release(&h);
	resolve(c, "rev", NULL, &h);
	assert_int_equal(h.n_revoked_host_keys, 2);
	assert_string_equal(h.revoked_host_keys[0], HOME "/revoked");
	assert_string_equal(h.revoked_host_keys[1], "/etc/ssh/revoked_rev");
	hostcfg_release(&h);
	/* The config's tokens now, the check's (and %%) later. */
	resolve(c, "cmd", NULL, &h);
	assert_non_null(h.known_hosts_command);
	assert_string_equal(h.known_hosts_command[0], "/bin/kh");
	assert_string_equal(h.known_hosts_command[1], "cmd 100%%");
	assert_string_equal(h.known_hosts_command[2], "cmd%H");
	assert_string_equal(h.known_hosts_command[3], "%p");
	assert_string_equal(h.known_hosts_command[4], HOME);
	assert_string_equal(h.known_hosts_command[5], "%I");
	assert_null(h.known_hosts_command[6]);
	hostcfg_release(&h);
	assert_null(h.known_hosts_command);
	assert_int_equal(sshconf_resolve(c, "ip", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:13: CheckHostIP yes is not supported "
	    "(set CheckHostIP no, OpenSSH's default)");
	assert_int_equal(sshconf_resolve(c, "dns", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:15: VerifyHostKeyDNS ask is not "
	    "supported: fanscp looks up no SSHFP records (set "
	    "VerifyHostKeyDNS no)");
	assert_int_equal(sshconf_resolve(c, "canon", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:20: CanonicalizeHostname always is not "
	    "supported: ssh would check the canonical name's host key (set "
	    "CanonicalizeHostname no)");
	assert_null(h.host_key_alias);
	sshconf_free(c);
}

/* KnownHostsCommand: a %-escaped value, an absolute program, known tokens. */
static void
test_known_hosts_command(void **state)
{
	struct sshconf *c = conf_text(
	    "Host alias\n"
	    "  HostKeyAlias pin%1\n"
	    "  KnownHostsCommand /usr/bin/kh %k\n"
	    "Host rel\n"
	    "  KnownHostsCommand kh %H\n"
	    "Host tok\n"
	    "  KnownHostsCommand /usr/bin/kh %C\n");
	struct hostcfg h;
	char err[256];

	(void)state;
	resolve(c, "alias", NULL, &h);
	assert_string_equal(h.known_hosts_command[1], "pin%%1");
	hostcfg_release(&h);
	assert_int_equal(sshconf_resolve(c, "rel", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:5: KnownHostsCommand 'kh' is not an "
	    "absolute path");
	assert_int_equal(sshconf_resolve(c, "tok", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:7: unsupported token '%C' in "
	    "KnownHostsCommand");
	sshconf_free(c);
}

/*
 * A Match block we cannot evaluate fails a host it might set a host key
 * option for, and only such a host: one its other criteria exclude, or
 * one that has the option from an earlier line, goes on.
 */
static void
test_match_exec_hostkey(void **state)
{
	struct sshconf *c = conf_text(
	    "Host early\n"
	    "  StrictHostKeyChecking yes\n"
	    "Match host web* exec \"test -f /etc/pinned\"\n"
	    "  Port 2200\n"
	    "  StrictHostKeyChecking yes\n"
	    "Include /nonexistent/fanscp-none.conf\n"
	    "Host *\n"
	    "  StrictHostKeyChecking accept-new\n");
	struct hostcfg h;
	char err[256];

	(void)state;
	assert_int_equal(sshconf_resolve(c, "web1", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:5: cannot tell whether "
	    "StrictHostKeyChecking applies to 'web1': fanscp cannot evaluate "
	    "the Match on line 3");
	resolve(c, "db1", NULL, &h);
	assert_int_equal(h.strict, SHK_ACCEPT_NEW);
	hostcfg_release(&h);
	resolve(c, "early", NULL, &h);
	assert_int_equal(h.strict, SHK_YES);
	hostcfg_release(&h);
	/* -o wins over any file: the block cannot change the outcome. */
	assert_int_equal(sshconf_add_option(c, "StrictHostKeyChecking=no",
	    err, sizeof(err)), 0);
	resolve(c, "web1", NULL, &h);
	assert_int_equal(h.strict, SHK_NO);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_include(void **state)
{
	char dir[] = "/tmp/fanscp-sshconf-XXXXXX", path[1024], text[2048];
	struct sshconf *c;
	struct hostcfg h;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("HOME", dir, 1);
	snprintf(path, sizeof(path), "%s/.ssh", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.ssh/conf.d", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file(path, "10-a.conf",
	    "Host a\n  Port 1010\nHost *\n  BatchMode yes\n");
	write_file(path, "20-b.conf",
	    "Port 2020\nUser b-user\nHost zzz\n");
	write_file(path, "notes.txt", "Port 1\n");
	write_file(dir, ".ssh/tilde.conf", "Host tilde\n  User tilde-user\n");
	write_file(dir, "abs.conf", "HostName c.example.net\n");
	snprintf(text, sizeof(text),
	    "Include nomatch/*.conf ~/.ssh/tilde.conf\n"
	    "Host a b\n"
	    "  Include conf.d/*.conf\n"
	    "  IdentitiesOnly yes\n"
	    "Host c\n"
	    "  Include %s/abs.conf\n"
	    "Host *\n"
	    "  Port 22\n", dir);
	c = conf_text(text);
	assert_true(has_note("matched no files"));

	resolve(c, "a", NULL, &h);
	assert_int_equal(h.port, 1010);
	assert_string_equal(h.user, "b-user");
	assert_int_equal(h.batch_mode, 1);
	assert_int_equal(h.identities_only, 1);
	hostcfg_release(&h);

	resolve(c, "b", NULL, &h);
	assert_int_equal(h.port, 2020);
	assert_string_equal(h.user, "b-user");
	assert_int_equal(h.identities_only, 1);
	hostcfg_release(&h);

	/* Within an inactive block an included file never applies. */
	resolve(c, "d", NULL, &h);
	assert_int_equal(h.port, 22);
	assert_int_equal(h.batch_mode, -1);
	assert_null(h.user);
	hostcfg_release(&h);

	resolve(c, "c", NULL, &h);
	assert_string_equal(h.hostname, "c.example.net");
	hostcfg_release(&h);

	resolve(c, "tilde", NULL, &h);
	assert_string_equal(h.user, "tilde-user");
	hostcfg_release(&h);
	sshconf_free(c);
	setenv("HOME", HOME, 1);
	rm_tree(dir);
}

static void
test_include_errors(void **state)
{
	char dir[] = "/tmp/fanscp-sshconf-XXXXXX", path[1024], text[1200];
	char err[2048], want[2048];
	struct sshconf *c = sshconf_new();
	const char *sys = "Include ~/x\n";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/loop.conf", dir);
	snprintf(text, sizeof(text), "# loops\nInclude %s\n", path);
	write_file(dir, "loop.conf", text);
	assert_int_equal(sshconf_load(c, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "%s:2: Include nested too deeply (more than 16 levels)", path);
	assert_string_equal(err, want);

	assert_int_equal(sshconf_load_text(c, sys, strlen(sys),
	    "/etc/ssh/ssh_config", err, sizeof(err)), -1);
	assert_string_equal(err, "/etc/ssh/ssh_config:1: bad Include path "
	    "'~/x' in a system file");

	/* An included file's errors name that file and line. */
	write_file(dir, "bad.conf", "\nPort nope\n");
	snprintf(text, sizeof(text), "Include %s/bad.conf\n", dir);
	assert_int_equal(sshconf_load_text(c, text, strlen(text), "cfg", err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "%s/bad.conf:2: bad value 'nope' for Port", dir);
	assert_string_equal(err, want);

	/* An Include of a directory cannot be read. */
	snprintf(text, sizeof(text), "Include %s\n", dir);
	assert_int_equal(sshconf_load_text(c, text, strlen(text), "cfg", err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "cfg:1: cannot read '%s': Is a directory",
	    dir);
	assert_string_equal(err, want);
	sshconf_free(c);
	rm_tree(dir);
}

static void
test_quoted(void **state)
{
	struct sshconf *c = conf_text(
	    "IdentityFile \"/path with space/key\"\n"
	    "IdentityFile /a\\ b\n"
	    "IdentityFile 'it''s'\n"
	    "User=\"eq user\"\n"
	    "ProxyCommand ssh -W \"%h:%p\" jump\n"
	    "UserKnownHostsFile \"/kh one\" /kh2\n"
	    "HostName \"quoted.example.com\" # comment\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.n_identity_files, 3);
	assert_string_equal(h.identity_files[0], "/path with space/key");
	assert_string_equal(h.identity_files[1], "/a b");
	assert_string_equal(h.identity_files[2], "its");
	assert_string_equal(h.user, "eq user");
	assert_string_equal(h.proxy_command, "ssh -W \"%h:%p\" jump");
	assert_int_equal(h.n_user_known_hosts, 2);
	assert_string_equal(h.user_known_hosts[0], "/kh one");
	assert_string_equal(h.user_known_hosts[1], "/kh2");
	assert_string_equal(h.hostname, "quoted.example.com");
	hostcfg_release(&h);
	sshconf_free(c);
}

struct bad {
	const char	*text;
	const char	*err;
};

static const struct bad bad_lines[] = {
	{ "Port\n", "cfg:1: no value for 'Port'" },
	{ "Port #c\n", "cfg:1: no value for 'Port'" },
	{ "Foo\n", "cfg:1: no value for 'Foo'" },
	{ "User \"open\n", "cfg:1: unterminated quote" },
	{ "Unknown 'open\n", "cfg:1: unterminated quote" },
	{ "StrictHostKeyCheking no\n", "cfg:1: bad configuration option "
	    "'StrictHostKeyCheking' (did you mean StrictHostKeyChecking?)" },
	{ "UseKeychain yes\n", "cfg:1: bad configuration option "
	    "'UseKeychain' (see IgnoreUnknown)" },
	/* As in ssh, IgnoreUnknown must come before the key. */
	{ "Foo bar\nIgnoreUnknown Foo\n", "cfg:1: bad configuration option "
	    "'Foo' (see IgnoreUnknown)" },
	{ "IgnoreUnknown Bar\nFoo bar\n", "cfg:2: bad configuration option "
	    "'Foo' (see IgnoreUnknown)" },
	{ "Host\n", "cfg:1: Host with no pattern" },
	{ "Host # none\n", "cfg:1: Host with no pattern" },
	{ "Host \"\"\n", "cfg:1: empty pattern in Host" },
	{ "BatchMode maybe\n", "cfg:1: bad value 'maybe' for BatchMode" },
	{ "IdentitiesOnly 1\n", "cfg:1: bad value '1' for IdentitiesOnly" },
	{ "HashKnownHosts on\n", "cfg:1: bad value 'on' for HashKnownHosts" },
	{ "StrictHostKeyChecking sometimes\n",
	    "cfg:1: bad value 'sometimes' for StrictHostKeyChecking" },
	{ "Port 0\n", "cfg:1: bad value '0' for Port" },
	{ "Port 65536\n", "cfg:1: bad value '65536' for Port" },
	{ "Port 22x\n", "cfg:1: bad value '22x' for Port" },
	{ "Port fanscp-no-such-service\n",
	    "cfg:1: bad value 'fanscp-no-such-service' for Port" },
	{ "Port 22 23\n", "cfg:1: extra arguments at the end of Port" },
	{ "ConnectTimeout 0\n", "cfg:1: bad value '0' for ConnectTimeout" },
	{ "ConnectTimeout x\n", "cfg:1: bad value 'x' for ConnectTimeout" },
	{ "ConnectTimeout -5\n", "cfg:1: bad value '-5' for ConnectTimeout" },
	{ "ConnectTimeout 10q\n", "cfg:1: bad value '10q' for ConnectTimeout" },
	{ "AddressFamily inet4\n",
	    "cfg:1: bad value 'inet4' for AddressFamily" },
	{ "Match foo bar\n", "cfg:1: unsupported Match attribute 'foo'" },
	{ "Match all=x\n", "cfg:1: unsupported Match attribute 'all=x'" },
	{ "Match final=x\n", "cfg:1: unsupported Match attribute 'final=x'" },
	{ "Match host\n", "cfg:1: missing argument for Match 'host'" },
	{ "Match !user=\n", "cfg:1: missing argument for Match '!user='" },
	{ "Match all host x\n", "cfg:1: 'all' cannot be combined with other "
	    "Match attributes" },
	{ "Match host a b c\n", "cfg:1: unsupported Match attribute 'b'" },
	{ "Match\n", "cfg:1: no value for 'Match'" },
	{ "Include\n", "cfg:1: no value for 'Include'" },
	{ "UserKnownHostsFile none /x\n",
	    "cfg:1: 'none' must be alone in UserKnownHostsFile" },
	{ "GlobalKnownHostsFile /x NONE\n",
	    "cfg:1: 'none' must be alone in GlobalKnownHostsFile" },
	{ "IdentityFile ~/.ssh/%C\n",
	    "cfg:1: unsupported token '%C' in IdentityFile" },
	{ "HostName %r.example\n",
	    "cfg:1: unsupported token '%r' in HostName" },
	{ "IdentityFile /x%\n", "cfg:1: '%' at the end of IdentityFile" },
	{ "IdentityAgent ${HOME\n",
	    "cfg:1: unterminated '${' in IdentityAgent" },
	{ "IdentityFile ${1X}\n", "cfg:1: bad variable name in IdentityFile" },
	{ "\n# c\nHost nomatch\n  Port bad\n",
	    "cfg:4: bad value 'bad' for Port" },
};

static void
test_errors(void **state)
{
	char err[512];
	struct sshconf *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		c = sshconf_new();
		err[0] = '\0';
		if (sshconf_load_text(c, bad_lines[i].text,
		    strlen(bad_lines[i].text), "cfg", err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad_lines[i].text);
		assert_string_equal(err, bad_lines[i].err);
		sshconf_free(c);
	}
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "Port 22\nUser a\0b\n";
	struct sshconf *c = sshconf_new();
	char err[128];

	(void)state;
	assert_int_equal(sshconf_load_text(c, text, sizeof(text) - 1, "cfg",
	    err, sizeof(err)), -1);
	assert_string_equal(err, "cfg:2: NUL byte in line");
	sshconf_free(c);
}

static void
test_option_errors(void **state)
{
	static const struct bad bad_opts[] = {
		{ "ConnectTimeout=x", "option 'ConnectTimeout=x': bad value "
		    "'x' for ConnectTimeout" },
		{ "Port", "option 'Port': no value for 'Port'" },
		{ "Host=foo", "option 'Host=foo': Host is not allowed as an "
		    "option" },
		{ "Match all", "option 'Match all': Match is not allowed as "
		    "an option" },
		{ "Include /etc/passwd", "option 'Include /etc/passwd': "
		    "Include is not allowed as an option" },
	};
	struct sshconf *c = sshconf_new();
	struct hostcfg h;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		assert_int_equal(sshconf_add_option(c, bad_opts[i].text, err,
		    sizeof(err)), -1);
		assert_string_equal(err, bad_opts[i].err);
	}
	assert_int_equal(sshconf_add_option(c, "ControlMaster=auto", err,
	    sizeof(err)), 0);
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.connect_timeout, -1);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_unknown_keys(void **state)
{
	struct sshconf *c = conf_text(
	    "IgnoreUnknown Other,Something*\n"
	    "ControlPath ~/.ssh/cm-%C\n"
	    "ForwardAgent yes\n"
	    "SomethingNew \"whatever it is\" and more\n"
	    "somethingold x\n"
	    "Port 2022\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.port, 2022);
	hostcfg_release(&h);
	sshconf_free(c);
}

/*
 * Which IgnoreUnknown applies is the host's: the first one of an active
 * block, as in ssh.  An unknown key counts in any block.
 */
static void
test_ignore_unknown_per_host(void **state)
{
	struct sshconf *c = conf_text(
	    "Host a\n"
	    "  IgnoreUnknown Foo\n"
	    "Host b\n"
	    "  IgnoreUnknown Bar\n"
	    "Host none-of-them\n"
	    "  Foo yes\n");
	struct hostcfg h;
	char err[512];

	(void)state;
	resolve(c, "a", NULL, &h);
	hostcfg_release(&h);
	assert_int_equal(sshconf_resolve(c, "b", NULL, &h, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "cfg:6: bad configuration option 'Foo' "
	    "(IgnoreUnknown does not cover it for 'b')");
	assert_int_equal(sshconf_resolve(c, "c", NULL, &h, err, sizeof(err)),
	    -1);
	sshconf_free(c);
}

/* -o: an unknown key fails at once; -o IgnoreUnknown covers later ones. */
static void
test_unknown_options(void **state)
{
	struct sshconf *c = sshconf_new();
	struct hostcfg h;
	char err[512];

	(void)state;
	assert_int_equal(sshconf_add_option(c, "StrictHostKeyCheking=no", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "option 'StrictHostKeyCheking=no': bad "
	    "configuration option 'StrictHostKeyCheking' (did you mean "
	    "StrictHostKeyChecking?)");
	assert_int_equal(sshconf_add_option(c, "UseKeychain=yes", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "option 'UseKeychain=yes': bad "
	    "configuration option 'UseKeychain'");
	assert_int_equal(sshconf_add_option(c, "IgnoreUnknown=foo*", err,
	    sizeof(err)), 0);
	assert_int_equal(sshconf_add_option(c, "FooBar=1", err,
	    sizeof(err)), 0);
	assert_int_equal(sshconf_load_text(c, "Host *\n  Foo x\n", 15, "cfg",
	    err, sizeof(err)), 0);
	resolve(c, "x", NULL, &h);
	hostcfg_release(&h);
	sshconf_free(c);
}

/*
 * The keys fanscp does not implement: ignored with a note, handed to ssh
 * (needs_ssh) or refused, each by its value.
 */
static void
test_policies(void **state)
{
	struct sshconf *c = conf_text(
	    "Host ign\n"
	    "  ServerAliveInterval 30\n"
	    "  LocalForward 8080 localhost:80\n"
	    "  SendEnv LANG LC_*\n"
	    "  Ciphers aes256-gcm@openssh.com\n"
	    "  SetEnv A=b\n"
	    "Host rsa-default\n"
	    "  RequiredRSASize 1024\n"
	    "Host rsa\n"
	    "  RequiredRSASize 3072\n"
	    "Host nopub\n"
	    "  PubkeyAuthentication no\n"
	    "Host pub\n"
	    "  PubkeyAuthentication host-bound\n"
	    "Host zip\n"
	    "  Compression yes\n"
	    "Host *\n"
	    "  PubkeyAuthentication yes\n");
	struct hostcfg h;
	char err[512];

	(void)state;
	assert_true(has_note("cfg:2: ServerAliveInterval ignored: liveness"));
	assert_true(has_note("cfg:3: LocalForward ignored: fanscp opens no "
	    "forwarding"));
	assert_true(has_note("cfg:4: SendEnv ignored"));
	resolve(c, "ign", NULL, &h);
	/* Ciphers is held to libssh2's names (algs.c), not handed to ssh. */
	assert_string_equal(h.ciphers, "aes256-gcm@openssh.com");
	assert_null(h.macs);
	assert_string_equal(h.needs_ssh, "SetEnv is set (sends variables the "
	    "server may act on)");
	assert_int_equal(h.compression, -1);
	hostcfg_release(&h);
	resolve(c, "rsa-default", NULL, &h);
	assert_null(h.needs_ssh);
	hostcfg_release(&h);
	resolve(c, "rsa", NULL, &h);
	assert_string_equal(h.needs_ssh, "RequiredRSASize is set (libssh2 "
	    "cannot check the size of RSA keys)");
	hostcfg_release(&h);
	assert_int_equal(sshconf_resolve(c, "nopub", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "cfg:12: PubkeyAuthentication no is not "
	    "supported: fanscp logs in with public keys only");
	resolve(c, "pub", NULL, &h);
	hostcfg_release(&h);
	resolve(c, "zip", NULL, &h);
	assert_int_equal(h.compression, 1);
	hostcfg_release(&h);
	sshconf_free(c);

	c = conf_text("RequiredRSASize 1024\nServerAliveInterval 5\n");
	resolve(c, "x", NULL, &h);
	assert_null(h.needs_ssh);
	hostcfg_release(&h);
	sshconf_free(c);
}

/*
 * Every keyword of OpenSSH 9.2's ssh_config(5) (Debian's, with its GSSAPI
 * ones) is known: none is a "bad configuration option".
 */
static void
test_every_openssh_key(void **state)
{
	static const char *const names[] = {
		"AddKeysToAgent", "AddressFamily", "BatchMode", "BindAddress",
		"BindInterface", "CanonicalDomains",
		"CanonicalizeFallbackLocal", "CanonicalizeHostname",
		"CanonicalizeMaxDots", "CanonicalizePermittedCNAMEs",
		"CASignatureAlgorithms", "CertificateFile", "CheckHostIP",
		"Ciphers", "ClearAllForwardings", "Compression",
		"ConnectionAttempts", "ConnectTimeout", "ControlMaster",
		"ControlPath", "ControlPersist", "DynamicForward",
		"EnableEscapeCommandline", "EnableSSHKeysign", "EscapeChar",
		"ExitOnForwardFailure", "FingerprintHash",
		"ForkAfterAuthentication", "ForwardAgent", "ForwardX11",
		"ForwardX11Timeout", "ForwardX11Trusted", "GatewayPorts",
		"GlobalKnownHostsFile", "GSSAPIAuthentication",
		"GSSAPIClientIdentity", "GSSAPIDelegateCredentials",
		"GSSAPIKeyExchange", "GSSAPIRenewalForcesRekey",
		"GSSAPIServerIdentity", "GSSAPITrustDns",
		"GSSAPIKexAlgorithms", "HashKnownHosts",
		"HostbasedAcceptedAlgorithms", "HostbasedAuthentication",
		"HostKeyAlgorithms", "HostKeyAlias", "Hostname",
		"IdentitiesOnly", "IdentityAgent", "IdentityFile",
		"IgnoreUnknown", "IPQoS", "KbdInteractiveAuthentication",
		"KbdInteractiveDevices", "KexAlgorithms", "KnownHostsCommand",
		"LocalCommand", "LocalForward", "LogLevel", "LogVerbose",
		"MACs", "NoHostAuthenticationForLocalhost",
		"NumberOfPasswordPrompts", "PasswordAuthentication",
		"PermitLocalCommand", "PermitRemoteOpen", "PKCS11Provider",
		"Port", "PreferredAuthentications", "ProxyCommand",
		"ProxyJump", "ProxyUseFdpass", "PubkeyAcceptedAlgorithms",
		"PubkeyAuthentication", "RekeyLimit", "RemoteCommand",
		"RemoteForward", "RequestTTY", "RequiredRSASize",
		"RevokedHostKeys", "SecurityKeyProvider", "SendEnv",
		"ServerAliveCountMax", "ServerAliveInterval", "SessionType",
		"SetEnv", "StdinNull", "StreamLocalBindMask",
		"StreamLocalBindUnlink", "StrictHostKeyChecking",
		"SyslogFacility", "TCPKeepAlive", "Tunnel", "TunnelDevice",
		"UpdateHostKeys", "User", "UserKnownHostsFile",
		"VerifyHostKeyDNS", "VisualHostKey", "XAuthLocation",
	};
	struct sshconf *c;
	char text[128], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		c = sshconf_new();
		snprintf(text, sizeof(text), "%s x\n", names[i]);
		err[0] = '\0';
		sshconf_load_text(c, text, strlen(text), "cfg", err,
		    sizeof(err));
		if (strstr(err, "bad configuration option") != NULL)
			fail_msg("%s: %s", names[i], err);
		sshconf_free(c);
	}
}

/* The keys read only to tell whether a host needs OpenSSH's ssh. */
static void
test_transport_keys(void **state)
{
	struct sshconf *c = conf_text(
	    "Host a\n"
	    "  CertificateFile ~/.ssh/id_%r-cert.pub\n"
	    "  CertificateFile ~/.ssh/second-cert.pub\n"
	    "  GSSAPIAuthentication yes\n"
	    "  PKCS11Provider /usr/lib/p11-kit-proxy.so\n"
	    "  ControlPath ~/.ssh/cm-%C-%p\n"
	    "  ControlMaster autoask\n"
	    "Host b\n"
	    "  PKCS11Provider none\n"
	    "  ControlPath none\n"
	    "  CertificateFile none\n"
	    "Host *\n"
	    "  GSSAPIAuthentication no\n"
	    "  PKCS11Provider /late.so\n"
	    "  ControlMaster yes\n");
	struct hostcfg h;
	char err[256];

	(void)state;
	resolve(c, "a", "bob", &h);
	assert_string_equal(h.certificate_file, HOME "/.ssh/id_bob-cert.pub");
	assert_int_equal(h.gssapi_auth, 1);
	assert_string_equal(h.pkcs11_provider, "/usr/lib/p11-kit-proxy.so");
	/* ssh's tokens stay for transport.c, which knows the port. */
	assert_string_equal(h.control_path, "~/.ssh/cm-%C-%p");
	assert_int_equal(h.control_master, CM_AUTOASK);
	hostcfg_release(&h);
	assert_null(h.control_path);
	assert_int_equal(h.control_master, -1);
	resolve(c, "b", NULL, &h);
	assert_null(h.certificate_file);
	assert_null(h.pkcs11_provider);
	assert_null(h.control_path);
	assert_int_equal(h.gssapi_auth, 0);
	assert_int_equal(h.control_master, CM_YES);
	hostcfg_release(&h);
	sshconf_free(c);
	c = sshconf_new();
	assert_int_equal(sshconf_load_text(c, "ControlMaster sometimes\n", 24,
	    "cfg", err, sizeof(err)), -1);
	assert_string_equal(err, "cfg:1: bad value 'sometimes' for "
	    "ControlMaster");
	assert_int_equal(sshconf_add_option(c, "ControlMaster=no", err,
	    sizeof(err)), 0);
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.control_master, CM_NO);
	assert_int_equal(h.gssapi_auth, -1);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_missing_file(void **state)
{
	const char *f = "/nonexistent/fanscp/config";
	char dir[] = "/tmp/fanscp-sshconf-XXXXXX", path[1024], err[1200];
	struct sshconf *c = sshconf_new();
	struct hostcfg h;

	(void)state;
	assert_int_equal(sshconf_load(c, f, 0, err, sizeof(err)), 0);
	assert_int_equal(sshconf_load(c, f, 1, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot read '/nonexistent/fanscp/config': "
	    "No such file or directory");

	assert_non_null(mkdtemp(dir));
	write_file(dir, "config", "\nHost x\n  Port 4242\n");
	snprintf(path, sizeof(path), "%s/config", dir);
	assert_int_equal(sshconf_load(c, path, 1, err, sizeof(err)), 0);
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.port, 4242);
	hostcfg_release(&h);
	write_file(dir, "config", "Port x\n");
	assert_int_equal(sshconf_load(c, path, 0, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/config:1: bad value 'x' for Port",
	    dir);
	assert_string_equal(err, path);
	sshconf_free(c);
	rm_tree(dir);
}

static void
test_failed_load_is_dropped(void **state)
{
	struct sshconf *c = conf_text("User u\n");
	const char *bad = "Port 1\nHostName h\nPort x\n";
	struct hostcfg h;
	char err[128];

	(void)state;
	assert_int_equal(sshconf_load_text(c, bad, strlen(bad), "bad", err,
	    sizeof(err)), -1);
	resolve(c, "x", NULL, &h);
	assert_string_equal(h.user, "u");
	assert_int_equal(h.port, 0);
	assert_null(h.hostname);
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
assert_unset(const struct hostcfg *h)
{
	assert_null(h->hostname);
	assert_null(h->user);
	assert_int_equal(h->port, 0);
	assert_null(h->identity_files);
	assert_int_equal(h->n_identity_files, 0);
	assert_int_equal(h->identities_only, -1);
	assert_null(h->user_known_hosts);
	assert_int_equal(h->n_user_known_hosts, 0);
	assert_int_equal(h->user_known_hosts_none, 0);
	assert_null(h->global_known_hosts);
	assert_int_equal(h->n_global_known_hosts, 0);
	assert_int_equal(h->global_known_hosts_none, 0);
	assert_int_equal(h->strict, SHK_UNSET);
	assert_int_equal(h->hash_known_hosts, -1);
	assert_int_equal(h->connect_timeout, -1);
	assert_int_equal(h->batch_mode, -1);
	assert_int_equal(h->address_family, -1);
	assert_null(h->identity_agent);
	assert_null(h->proxy_jump);
	assert_null(h->proxy_command);
}

static void
test_unset_and_release(void **state)
{
	struct sshconf *c = conf_text(
	    "HostName h\nUser u\nPort 1\nIdentityFile /k\n"
	    "IdentitiesOnly no\nUserKnownHostsFile /u\n"
	    "GlobalKnownHostsFile /g\nStrictHostKeyChecking ask\n"
	    "HashKnownHosts yes\nConnectTimeout 2\nBatchMode no\n"
	    "AddressFamily any\nIdentityAgent /a\nProxyJump j\n");
	struct sshconf *empty = sshconf_new();
	struct hostcfg h;

	(void)state;
	resolve(empty, "x", NULL, &h);
	/* Nothing set but the known_hosts files, which take ssh's defaults. */
	assert_int_equal(h.n_user_known_hosts, 2);
	assert_non_null(strstr(h.user_known_hosts[0], "/.ssh/known_hosts"));
	assert_non_null(strstr(h.user_known_hosts[1], "/.ssh/known_hosts2"));
	assert_int_equal(h.n_global_known_hosts, 2);
	assert_string_equal(h.global_known_hosts[0], "/etc/ssh/ssh_known_hosts");
	assert_null(h.hostname);
	assert_null(h.user);
	assert_int_equal(h.strict, SHK_UNSET);
	hostcfg_release(&h);
	assert_unset(&h);

	resolve(c, "x", NULL, &h);
	assert_string_equal(h.hostname, "h");
	assert_int_equal(h.identities_only, 0);
	assert_int_equal(h.strict, SHK_ASK);
	assert_int_equal(h.batch_mode, 0);
	assert_int_equal(h.address_family, AF_UNSPEC);
	assert_string_equal(h.identity_agent, "/a");
	assert_string_equal(h.proxy_jump, "j");
	hostcfg_release(&h);
	assert_unset(&h);
	sshconf_free(c);
	sshconf_free(empty);
	sshconf_free(NULL);
}

static void
test_known_hosts(void **state)
{
	struct sshconf *c = conf_text(
	    "Host none-user\n"
	    "  UserKnownHostsFile none\n"
	    "  GlobalKnownHostsFile None\n"
	    "Host *\n"
	    "  UserKnownHostsFile ~/.ssh/kh1 \"%d/kh %h\"\n"
	    "  GlobalKnownHostsFile ~/g1 /etc/ssh/g%h\n"
	    "  UserKnownHostsFile /ignored\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "none-user", NULL, &h);
	assert_int_equal(h.user_known_hosts_none, 1);
	assert_int_equal(h.global_known_hosts_none, 1);
	assert_int_equal(h.n_user_known_hosts, 0);
	assert_null(h.user_known_hosts);
	assert_int_equal(h.n_global_known_hosts, 0);
	hostcfg_release(&h);

	resolve(c, "web", NULL, &h);
	assert_int_equal(h.user_known_hosts_none, 0);
	assert_int_equal(h.n_user_known_hosts, 2);
	assert_string_equal(h.user_known_hosts[0], HOME "/.ssh/kh1");
	assert_string_equal(h.user_known_hosts[1], HOME "/kh web");
	assert_int_equal(h.n_global_known_hosts, 2);
	assert_string_equal(h.global_known_hosts[0], HOME "/g1");
	/* ssh expands only ~ in GlobalKnownHostsFile. */
	assert_string_equal(h.global_known_hosts[1], "/etc/ssh/g%h");
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_strict_and_family(void **state)
{
	static const struct {
		const char	*word;
		int		 want;
	} v[] = {
		{ "yes", SHK_YES }, { "true", SHK_YES }, { "no", SHK_NO },
		{ "off", SHK_NO }, { "false", SHK_NO }, { "ask", SHK_ASK },
		{ "accept-new", SHK_ACCEPT_NEW },
		{ "any", AF_UNSPEC }, { "inet", AF_INET },
		{ "inet6", AF_INET6 },
	};
	char text[128];
	struct sshconf *c;
	struct hostcfg h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(text, sizeof(text), "%s %s\n", i < 7 ?
		    "StrictHostKeyChecking" : "AddressFamily", v[i].word);
		c = conf_text(text);
		resolve(c, "x", NULL, &h);
		assert_int_equal(i < 7 ? h.strict : h.address_family,
		    v[i].want);
		hostcfg_release(&h);
		sshconf_free(c);
	}
}

static void
test_proxy(void **state)
{
	struct sshconf *c = conf_text(
	    "Host direct\n"
	    "  ProxyJump none\n"
	    "  ProxyCommand none\n"
	    "Host cmd\n"
	    "  ProxyCommand ssh -W %h:%p gw\n"
	    "Host both\n"
	    "  ProxyJump gw1\n"
	    "Host both\n"
	    "  ProxyCommand nc %h %p\n"
	    "Host *\n"
	    "  ProxyJump gw2\n");
	struct hostcfg h;
	char err[256];

	(void)state;
	resolve(c, "direct", NULL, &h);
	assert_null(h.proxy_jump);
	assert_null(h.proxy_command);
	hostcfg_release(&h);
	/* Once ProxyCommand is set, ssh ignores ProxyJump. */
	resolve(c, "cmd", NULL, &h);
	assert_string_equal(h.proxy_command, "ssh -W %h:%p gw");
	assert_null(h.proxy_jump);
	hostcfg_release(&h);
	resolve(c, "other", NULL, &h);
	assert_string_equal(h.proxy_jump, "gw2");
	assert_null(h.proxy_command);
	hostcfg_release(&h);
	assert_int_equal(sshconf_resolve(c, "both", NULL, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "cfg:7: ProxyJump and ProxyCommand both apply to 'both'");
	assert_null(h.proxy_jump);
	sshconf_free(c);
}

static void
test_connect_timeout(void **state)
{
	struct sshconf *c = conf_text(
	    "Host a\n"
	    "  ConnectTimeout none\n"
	    "Host *\n"
	    "  ConnectTimeout 1m30s\n");
	struct hostcfg h;

	(void)state;
	/* "none" leaves it unset, so a later value applies (as in ssh). */
	resolve(c, "a", NULL, &h);
	assert_int_equal(h.connect_timeout, 90);
	hostcfg_release(&h);
	sshconf_free(c);

	assert_int_equal(sshconf_parse_time("90"), 90);
	assert_int_equal(sshconf_parse_time("90s"), 90);
	assert_int_equal(sshconf_parse_time("2h"), 7200);
	assert_int_equal(sshconf_parse_time("1w1d"), 8 * 86400);
	assert_int_equal(sshconf_parse_time(""), -1);
	assert_int_equal(sshconf_parse_time("m"), -1);
	assert_int_equal(sshconf_parse_time("5q"), -1);
	assert_int_equal(sshconf_parse_time("-1"), -1);
	assert_int_equal(sshconf_parse_time("99999999999"), -1);
	assert_int_equal(sshconf_parse_time("3000000w"), -1);
}

static void
test_hostname_tokens(void **state)
{
	struct sshconf *c = conf_text(
	    "Host pct\n"
	    "  HostName 100%%-%h\n"
	    "Host *\n"
	    "  HostName %h.example.com\n");
	struct hostcfg h;

	(void)state;
	resolve(c, "Web", NULL, &h);
	assert_string_equal(h.hostname, "Web.example.com");
	hostcfg_release(&h);
	resolve(c, "pct", NULL, &h);
	assert_string_equal(h.hostname, "100%-pct");
	hostcfg_release(&h);
	sshconf_free(c);
}

static void
test_line_forms(void **state)
{
	struct sshconf *c = conf_text(
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  Port=2022  # trailing\r\n"
	    "User = eve\r\n"
	    "\tHostName\t=\thost.tab\n"
	    "IdentityAgent=~/agent.sock\n"
	    "BatchMode yes");
	struct hostcfg h;

	(void)state;
	resolve(c, "x", NULL, &h);
	assert_int_equal(h.port, 2022);
	assert_string_equal(h.user, "eve");
	assert_string_equal(h.hostname, "host.tab");
	assert_string_equal(h.identity_agent, HOME "/agent.sock");
	assert_int_equal(h.batch_mode, 1);
	hostcfg_release(&h);
	sshconf_free(c);

	c = conf_text("IdentityAgent SSH_AUTH_SOCK\n");
	resolve(c, "x", NULL, &h);
	assert_string_equal(h.identity_agent, "SSH_AUTH_SOCK");
	hostcfg_release(&h);
	sshconf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_value_wins, setup),
		cmocka_unit_test_setup(test_transport_keys, setup),
		cmocka_unit_test_setup(test_option_precedence, setup),
		cmocka_unit_test_setup(test_identity_files, setup),
		cmocka_unit_test_setup(test_resolve_errors, setup),
		cmocka_unit_test_setup(test_host_negation, setup),
		cmocka_unit_test_setup(test_wildcards, setup),
		cmocka_unit_test_setup(test_patterns, setup),
		cmocka_unit_test_setup(test_case, setup),
		cmocka_unit_test_setup(test_match, setup),
		cmocka_unit_test_setup(test_match_exec, setup),
		cmocka_unit_test_setup(test_match_exec_hostkey, setup),
		cmocka_unit_test_setup(test_match_final, setup),
		cmocka_unit_test_setup(test_hostkey_options, setup),
		cmocka_unit_test_setup(test_known_hosts_command, setup),
		cmocka_unit_test_setup(test_include, setup),
		cmocka_unit_test_setup(test_include_errors, setup),
		cmocka_unit_test_setup(test_quoted, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_nul_byte, setup),
		cmocka_unit_test_setup(test_option_errors, setup),
		cmocka_unit_test_setup(test_unknown_keys, setup),
		cmocka_unit_test_setup(test_ignore_unknown_per_host, setup),
		cmocka_unit_test_setup(test_unknown_options, setup),
		cmocka_unit_test_setup(test_policies, setup),
		cmocka_unit_test_setup(test_every_openssh_key, setup),
		cmocka_unit_test_setup(test_missing_file, setup),
		cmocka_unit_test_setup(test_failed_load_is_dropped, setup),
		cmocka_unit_test_setup(test_unset_and_release, setup),
		cmocka_unit_test_setup(test_known_hosts, setup),
		cmocka_unit_test_setup(test_strict_and_family, setup),
		cmocka_unit_test_setup(test_proxy, setup),
		cmocka_unit_test_setup(test_connect_timeout, setup),
		cmocka_unit_test_setup(test_hostname_tokens, setup),
		cmocka_unit_test_setup(test_line_forms, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
