/*
 * Tests for the ssh child's argv: the whole line for a typical host; what
 * fanscp forces comes before the user's -o (ssh keeps the first value),
 * checked with the real "ssh -G" too: a user's StrictHostKeyChecking=no,
 * BatchMode=no, RemoteCommand, ControlPath, Port and User lose; never
 * StrictHostKeyChecking=no from fanscp; hostile host names, users and
 * options stay arguments; the remote command is one argument after the
 * host; control sockets are escaped or refused; version parsing; a jump
 * host's refusal of the channel read from ssh's words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remote.h"
#include "sshcmd.h"

static char *user_opts[] = { "StrictHostKeyChecking=no", "BatchMode=no",
    "RemoteCommand=touch /tmp/PWNED", "ControlPath=/tmp/theirs",
    "Port=1", "User=mallory", "ServerAliveInterval 5" };
static char *ids[] = { "/k/id_ed25519", "-oProxyCommand=touch /tmp/PWNED" };

static void
base(struct sshcmd *c)
{
	memset(c, 0, sizeof(*c));
	c->program = "ssh";
	c->version = 92;
	c->config_file = "/etc/fanscp/ssh_config";
	c->options = user_opts;
	c->n_options = sizeof(user_opts) / sizeof(user_opts[0]);
	c->identities = ids;
	c->n_identities = 2;
	c->port = 2222;
	c->user = "deploy";
	c->strict = SHK_YES;
	c->mux = SSHCMD_MUX_NONE;
	c->host = "web01";
	c->command = remote_exec_cmd;
}

static size_t
count(char **v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

/* The index of the first argument equal to s, or -1. */
static int
find(char **v, const char *s)
{
	int i;

	for (i = 0; v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return i;
	return -1;
}

static void
test_whole(void **state)
{
	static const char *const want[] = { "ssh", "-F",
	    "/etc/fanscp/ssh_config", "-T", "-x", "-a",
	    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
	    "-o", "UpdateHostKeys=no", "-o", "ClearAllForwardings=yes",
	    "-o", "Tunnel=no", "-o", "RemoteCommand=none",
	    "-o", "RequestTTY=no", "-o", "EscapeChar=none",
	    "-o", "PermitLocalCommand=no", "-o", "LogLevel=ERROR",
	    "-o", "SessionType=default", "-o", "StdinNull=no",
	    "-o", "ForkAfterAuthentication=no",
	    "-o", "ControlMaster=no", "-o", "ControlPath=none",
	    "-p", "2222", "-l", "deploy",
	    "-o", "StrictHostKeyChecking=no", "-o", "BatchMode=no",
	    "-o", "RemoteCommand=touch /tmp/PWNED",
	    "-o", "ControlPath=/tmp/theirs", "-o", "Port=1",
	    "-o", "User=mallory", "-o", "ServerAliveInterval 5",
	    "-i", "/k/id_ed25519", "-i", "-oProxyCommand=touch /tmp/PWNED",
	    "--", "web01", NULL };
	struct sshcmd c;
	char err[128], **v;
	size_t i;

	(void)state;
	base(&c);
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_non_null(v);
	for (i = 0; want[i] != NULL; i++)
		assert_string_equal(v[i], want[i]);
	/* The command: one argument, last, verbatim. */
	assert_string_equal(v[i], remote_exec_cmd);
	assert_null(v[i + 1]);
	sshcmd_free(v);
}

/* Every option fanscp sets comes before the first one of the user's. */
static void
test_forced_first(void **state)
{
	struct sshcmd c;
	char err[128], **v;
	int first_user, i, n;

	(void)state;
	base(&c);
	c.host_key_alias = "alias";
	c.connect_timeout = 7;
	c.family = AF_INET6;
	c.strict = SHK_NO;
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_non_null(v);
	first_user = find(v, "StrictHostKeyChecking=no");
	assert_true(first_user > 0);
	n = (int)count(v);
	assert_true(find(v, "StrictHostKeyChecking=accept-new") <
	    first_user);
	assert_true(find(v, "HostKeyAlias=alias") < first_user);
	assert_true(find(v, "ConnectTimeout=7") < first_user);
	assert_true(find(v, "-6") < first_user);
	assert_true(find(v, "-p") < first_user);
	assert_true(find(v, "-l") < first_user);
	/* fanscp itself never says "no". */
	for (i = 0; i < first_user; i++)
		assert_null(strstr(v[i], "StrictHostKeyChecking=no"));
	assert_true(find(v, "--") == n - 3);
	sshcmd_free(v);
}

static const char *
strict_of(enum stricthk s)
{
	static char out[64];
	struct sshcmd c;
	char err[128], **v;
	int i;

	base(&c);
	c.n_options = 0;
	c.strict = s;
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_non_null(v);
	for (i = 0; v[i] != NULL; i++)
		if (strncmp(v[i], "StrictHostKeyChecking=", 22) == 0)
			snprintf(out, sizeof(out), "%s", v[i] + 22);
	sshcmd_free(v);
	return out;
}

static void
test_strict(void **state)
{
	(void)state;
	assert_string_equal(strict_of(SHK_UNSET), "yes");
	assert_string_equal(strict_of(SHK_YES), "yes");
	assert_string_equal(strict_of(SHK_ASK), "yes");
	assert_string_equal(strict_of(SHK_ACCEPT_NEW), "accept-new");
	assert_string_equal(strict_of(SHK_NO), "accept-new");
}

/* Host names that ssh would read as something else are refused. */
static void
test_hostile_hosts(void **state)
{
	static const char *const bad[] = { "", "-oProxyCommand=touch x",
	    "-v", "root@web01", "ssh://web01:22", "SSH://x", "web 01",
	    "web\n01", "web\t01", "web\x7f" };
	static const char *const good[] = { "web-01", "::1", "fe80::1%eth0",
	    "a.b.c", "x_y" };
	struct sshcmd c;
	char err[128], **v;
	size_t i;

	(void)state;
	base(&c);
	c.host = NULL;
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.host = bad[i];
		err[0] = '\0';
		assert_null(sshcmd_argv(&c, err, sizeof(err)));
		assert_non_null(strstr(err, "cannot run ssh for "));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c.host = good[i];
		v = sshcmd_argv(&c, err, sizeof(err));
		assert_non_null(v);
		assert_string_equal(v[count(v) - 2], good[i]);
		assert_string_equal(v[count(v) - 3], "--");
		sshcmd_free(v);
	}
}

/* A user or an identity that looks like an option stays -l's, -i's. */
static void
test_hostile_values(void **state)
{
	struct sshcmd c;
	char err[128], **v;
	int i;

	(void)state;
	base(&c);
	c.user = "-oProxyCommand=touch /tmp/PWNED";
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_non_null(v);
	i = find(v, c.user);
	assert_true(i > 0);
	assert_string_equal(v[i - 1], "-l");
	i = find(v, "-oProxyCommand=touch /tmp/PWNED");
	assert_string_equal(v[i - 1], "-l");
	sshcmd_free(v);
	c.port = 70000;
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
	c.port = 22;
	c.command = NULL;
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
}

static void
test_mux(void **state)
{
	struct sshcmd c;
	char err[128], **v;

	(void)state;
	base(&c);
	c.n_options = 0;
	c.mux = SSHCMD_MUX_MASTER;
	c.control_path = "/tmp/fanscp.1%h/web01";
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_non_null(v);
	assert_true(find(v, "ControlMaster=yes") > 0);
	assert_true(find(v, "ControlPath=/tmp/fanscp.1%%h/web01") > 0);
	assert_true(find(v, "ControlPersist=no") > 0);
	sshcmd_free(v);
	c.mux = SSHCMD_MUX_CLIENT;
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_true(find(v, "ControlMaster=no") > 0);
	assert_true(find(v, "ControlPath=/tmp/fanscp.1%%h/web01") > 0);
	assert_int_equal(find(v, "ControlPersist=no"), -1);
	sshcmd_free(v);
	c.mux = SSHCMD_MUX_USER;
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_int_equal(find(v, "ControlMaster=no"), -1);
	assert_int_equal(find(v, "ControlPath=none"), -1);
	sshcmd_free(v);
	/* Paths ssh would expand, and no path at all. */
	c.mux = SSHCMD_MUX_MASTER;
	c.control_path = "~/x";
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
	assert_string_equal(err, "cannot give ssh the control path '~/x'");
	c.control_path = "/tmp/${HOME}";
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
	c.control_path = "rel/x";
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
	c.control_path = NULL;
	assert_null(sshcmd_argv(&c, err, sizeof(err)));
}

static void
test_version(void **state)
{
	struct sshcmd c;
	char err[128], **v;

	(void)state;
	assert_int_equal(sshcmd_version("OpenSSH_9.2p1 Debian-2+deb12u3, "
	    "OpenSSL 3.0.15 3 Sep 2024"), 92);
	assert_int_equal(sshcmd_version("OpenSSH_10.0p2"), 100);
	assert_int_equal(sshcmd_version("OpenSSH_7.4p1"), 74);
	assert_int_equal(sshcmd_version("OpenSSH_for_Windows_8.1p1"), 81);
	assert_int_equal(sshcmd_version("OpenSSH_x"), 0);
	assert_int_equal(sshcmd_version("OpenSSH_9"), 0);
	assert_int_equal(sshcmd_version("dropbear 2022"), 0);
	assert_int_equal(sshcmd_version(""), 0);
	/* An old or unknown ssh gets only options it knows. */
	base(&c);
	c.version = 86;
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_int_equal(find(v, "SessionType=default"), -1);
	assert_int_equal(find(v, "StdinNull=no"), -1);
	sshcmd_free(v);
}

/*
 * The real ssh, asked with -G what it would do with the argv: the first
 * value wins, so the user's -o lose to fanscp's.
 */
static void
test_real_ssh(void **state)
{
	struct sshcmd c;
	char err[128], **v, **g, buf[65536];
	int pfd[2], status;
	size_t n, len = 0;
	ssize_t r;
	pid_t pid;

	(void)state;
	if (system("ssh -V >/dev/null 2>&1") != 0)
		skip();
	base(&c);
	c.config_file = "/dev/null";
	c.n_identities = 1;
	c.host_key_alias = "web01.alias";
	v = sshcmd_argv(&c, err, sizeof(err));
	assert_non_null(v);
	n = count(v);
	g = calloc(n + 2, sizeof(*g));
	g[0] = v[0];
	g[1] = "-G";
	memcpy(g + 2, v + 1, n * sizeof(*g));
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execvp("ssh", g);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(buf, "\nstricthostkeychecking true\n"));
	assert_non_null(strstr(buf, "\nbatchmode yes\n"));
	assert_non_null(strstr(buf, "\nport 2222\n"));
	assert_non_null(strstr(buf, "\nuser deploy\n"));
	assert_null(strstr(buf, "/tmp/theirs"));
	assert_null(strstr(buf, "PWNED"));
	assert_non_null(strstr(buf, "\nupdatehostkeys false\n"));
	assert_non_null(strstr(buf, "\nhostkeyalias web01.alias\n"));
	assert_non_null(strstr(buf, "\nclearallforwardings yes\n"));
	assert_non_null(strstr(buf, "\nrequesttty false\n"));
	assert_non_null(strstr(buf, "\nloglevel ERROR\n"));
	assert_non_null(strstr(buf, "\nforwardagent no\n"));
	assert_non_null(strstr(buf, "\nforwardx11 no\n"));
	assert_non_null(strstr(buf, "\nserveraliveinterval 5\n"));
	free(g);
	sshcmd_free(v);
}

/* OpenSSH 9.2's own words, as captured against the fixture's sshds. */
static const char changed[] =
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
    "Offending ECDSA key in /tmp/kh:10\n"
    "  remove with:\n"
    "  ssh-keygen -f \"/tmp/kh\" -R \"[127.0.0.1]:23946\"\n"
    "Host key for [127.0.0.1]:23946 has changed and you have requested "
    "strict checking.\r\n"
    "Host key verification failed.\r\n";
static const char revoked[] =
    "@       WARNING: REVOKED HOST KEY DETECTED!               @\n"
    "ED25519 host key for [127.0.0.1]:57463 was revoked and you have "
    "requested strict checking.\n"
    "Host key verification failed.\n";
static const char unknown[] =
    "No ED25519 host key is known for [127.0.0.1]:2222 and you have "
    "requested strict checking.\r\nHost key verification failed.\r\n";
static const char nomac[] =
    "Unable to negotiate with 127.0.0.1 port 42088: no matching MAC "
    "found. Their offer: hmac-sha2-512-etm@openssh.com\r\n";

static enum host_err
verdict(int code, const char *err, int started, char *msg, size_t len)
{
	return sshcmd_verdict(code << 8, err, strlen(err), started, msg, len);
}

static void
test_verdict(void **state)
{
	char msg[512];

	(void)state;
	assert_int_equal(verdict(0, "", 0, msg, sizeof(msg)), ERR_NONE);
	assert_int_equal(verdict(7, "err\n", 1, msg, sizeof(msg)), ERR_NONE);
	assert_int_equal(verdict(255, changed, 0, msg, sizeof(msg)),
	    ERR_HOSTKEY);
	assert_string_equal(msg, "host key for [127.0.0.1]:23946 has changed "
	    "and you have requested strict checking");
	assert_int_equal(verdict(255, revoked, 0, msg, sizeof(msg)),
	    ERR_HOSTKEY);
	assert_string_equal(msg, "ED25519 host key for [127.0.0.1]:57463 was "
	    "revoked and you have requested strict checking");
	assert_int_equal(verdict(255, unknown, 0, msg, sizeof(msg)),
	    ERR_HOSTKEY);
	assert_string_equal(msg, "no ED25519 host key is known for "
	    "[127.0.0.1]:2222 and you have requested strict checking");
	assert_int_equal(verdict(255, "Host key verification failed.\n", 0,
	    msg, sizeof(msg)), ERR_HOSTKEY);
	assert_string_equal(msg, "host key verification failed");
	assert_int_equal(verdict(255, nomac, 0, msg, sizeof(msg)), ERR_SSH);
	assert_string_equal(msg, "no matching MAC found; the server offers "
	    "hmac-sha2-512-etm@openssh.com");
	assert_int_equal(verdict(255, "root@127.0.0.1: Permission denied "
	    "(publickey).\r\n", 0, msg, sizeof(msg)), ERR_AUTH);
	assert_string_equal(msg, "permission denied (publickey)");
	assert_int_equal(verdict(255, "ssh: connect to host 127.0.0.1 port "
	    "28161: Connection refused\r\n", 0, msg, sizeof(msg)),
	    ERR_CONNECT);
	assert_string_equal(msg, "connect to host 127.0.0.1 port 28161: "
	    "Connection refused");
	assert_int_equal(verdict(255, "ssh: connect to host 10.0.0.1 port 22: "
	    "Connection timed out\n", 0, msg, sizeof(msg)), ERR_TIMEOUT);
	assert_int_equal(verdict(255, "ssh: Could not resolve hostname x."
	    "invalid: Name or service not known\n", 0, msg, sizeof(msg)),
	    ERR_CONNECT);
	assert_string_equal(msg, "could not resolve hostname x.invalid: Name "
	    "or service not known");
	assert_int_equal(verdict(255, "Connection timed out during banner "
	    "exchange\n", 0, msg, sizeof(msg)), ERR_TIMEOUT);
	assert_int_equal(verdict(255, "command-line: line 0: Bad configuration "
	    "option: frobnicate\n", 0, msg, sizeof(msg)), ERR_CONFIG);
	assert_string_equal(msg, "ssh: command-line: line 0: Bad "
	    "configuration option: frobnicate");
	/* A jump host refused the channel (-W through a master, and
	   ProxyJump's own ssh), even before ssh's last words. */
	assert_int_equal(verdict(255, "Stdio forwarding request failed: "
	    "Session open refused by peer\nkex_exchange_identification: "
	    "Connection closed by remote host\n", 0, msg, sizeof(msg)),
	    ERR_CONNECT);
	assert_string_equal(msg, "stdio forwarding request failed: Session "
	    "open refused by peer");
	assert_int_equal(verdict(255, "channel 0: open failed: administratively"
	    " prohibited: open failed\nstdio forwarding failed\n", 0, msg,
	    sizeof(msg)), ERR_CONNECT);
	assert_string_equal(msg, "channel 0: open failed: administratively "
	    "prohibited: open failed");
	/* ...but the bastion's own refusal of the login comes first. */
	assert_int_equal(verdict(255, "u@b: Permission denied (publickey).\n"
	    "stdio forwarding failed\n", 0, msg, sizeof(msg)), ERR_AUTH);
	/* After the command started: the connection was lost. */
	assert_int_equal(verdict(255, "Connection to 127.0.0.1 closed by "
	    "remote host.\r\n", 1, msg, sizeof(msg)), ERR_LOST);
	assert_string_equal(msg, "connection to 127.0.0.1 closed by remote "
	    "host");
	/* LogLevel=ERROR hides a failed negotiation: say so. */
	assert_int_equal(verdict(255, "", 0, msg, sizeof(msg)), ERR_SSH);
	assert_string_equal(msg, "ssh exited with status 255 before logging "
	    "in (it says why at LogLevel INFO)");
	assert_int_equal(sshcmd_verdict(SIGKILL, "", 0, 1, msg, sizeof(msg)),
	    ERR_LOST);
	assert_string_equal(msg, "ssh was killed by signal 9");
	/* Hostile text stays printable; a small buffer is not overrun. */
	assert_int_equal(verdict(255, "x\n\x1b]0;pwned\x07 line\n", 0, msg,
	    sizeof(msg)), ERR_SSH);
	assert_null(strchr(msg, '\x1b'));
	assert_int_equal(verdict(255, nomac, 0, msg, 10), ERR_SSH);
	assert_int_equal(strlen(msg), 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_forced_first),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_hostile_hosts),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_mux),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_real_ssh),
		cmocka_unit_test(test_verdict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
