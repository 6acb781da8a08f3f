/*
 * The argv of an ssh child (see sshcmd.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fmt.h"
#include "sshcmd.h"
#include "xmalloc.h"

struct argv {
	char	**v;
	size_t	  n;
};

static void
add(struct argv *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 2, sizeof(*a->v));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

/* -o KEY=VALUE, one argument after -o. */
static void
opt(struct argv *a, const char *key, const char *value)
{
	char *s = xasprintf("%s=%s", key, value);

	add(a, "-o");
	add(a, s);
	free(s);
}

void
sshcmd_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * A host name ssh takes as a host, and as nothing else: not an option
 * (ssh refuses those anyway), not user@host (ssh splits at the last '@',
 * whatever -l says), not an ssh:// URI, no blanks or control characters.
 */
static const char *
bad_host(const char *h)
{
	const unsigned char *p;

	if (h == NULL || *h == '\0')
		return "an empty host name";
	if (*h == '-')
		return "a host name that starts with '-'";
	if (strncasecmp(h, "ssh://", 6) == 0)
		return "a host name that ssh reads as an ssh:// URI";
	if (strchr(h, '@') != NULL)
		return "a host name with '@', which ssh reads as user@host";
	for (p = (const unsigned char *)h; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return "a host name with blanks or control characters";
	return NULL;
}

/*
 * fanscp's control socket, as ssh will read it: ssh expands %-tokens and
 * ${VAR} in ControlPath, and ~ at its start.  '%' is doubled; "${" and
 * '~' have no escape, so such a path is refused (fanscp makes its own).
 */
static char *
control_path(const char *p)
{
	char *s, *o;

	if (p == NULL || p[0] != '/' || strstr(p, "${") != NULL)
		return NULL;
	s = o = xmalloc(2 * strlen(p) + 1);
	for (; *p != '\0'; p++) {
		*o++ = *p;
		if (*p == '%')
			*o++ = '%';
	}
	*o = '\0';
	return s;
}

/* What fanscp decides, before any option of the user's. */
static void
forced(struct argv *a, const struct sshcmd *c)
{
	char num[16];

	add(a, "-T");		/* no tty: binary stdin, no escapes */
	add(a, "-x");		/* no X11 */
	add(a, "-a");		/* no agent forwarding */
	if (c->family == AF_INET)
		add(a, "-4");
	else if (c->family == AF_INET6)
		add(a, "-6");
	opt(a, "BatchMode", "yes");
	/* OpenSSH's "no" logs in over a changed key: never that. */
	opt(a, "StrictHostKeyChecking", c->strict == SHK_ACCEPT_NEW ||
	    c->strict == SHK_NO ? "accept-new" : "yes");
	opt(a, "UpdateHostKeys", "no");
	if (c->host_key_alias != NULL)
		opt(a, "HostKeyAlias", c->host_key_alias);
	/* -W is a forwarding: ClearAllForwardings would cancel it. */
	if (c->forward == NULL)
		opt(a, "ClearAllForwardings", "yes");
	opt(a, "Tunnel", "no");
	opt(a, "RemoteCommand", "none");
	opt(a, "RequestTTY", "no");
	opt(a, "EscapeChar", "none");
	opt(a, "PermitLocalCommand", "no");
	opt(a, "LogLevel", "ERROR");
	if (c->connect_timeout > 0) {
		snprintf(num, sizeof(num), "%d", c->connect_timeout);
		opt(a, "ConnectTimeout", num);
	}
	/* Where it goes through: the first value ssh obtains is kept. */
	if (c->proxy_command != NULL)
		opt(a, "ProxyCommand", c->proxy_command);
	else if (c->proxy_jump != NULL)
		opt(a, "ProxyJump", c->proxy_jump);
	/* Options of OpenSSH 8.7 and later: older ones reject the names. */
	if (c->version >= 87 && c->forward == NULL) {
		opt(a, "SessionType", "default");
		opt(a, "StdinNull", "no");
		opt(a, "ForkAfterAuthentication", "no");
	}
}

/* fanscp's own multiplexing, or none, or the user's. */
static void
mux(struct argv *a, const struct sshcmd *c, const char *cp)
{
	switch (c->mux) {
	case SSHCMD_MUX_NONE:
		opt(a, "ControlMaster", "no");
		opt(a, "ControlPath", "none");
		break;
	case SSHCMD_MUX_MASTER:
		opt(a, "ControlMaster", "yes");
		opt(a, "ControlPath", cp);
		opt(a, "ControlPersist", "no");
		break;
	case SSHCMD_MUX_CLIENT:
		opt(a, "ControlMaster", "no");
		opt(a, "ControlPath", cp);
		break;
	case SSHCMD_MUX_USER:
		break;
	}
}

char **
sshcmd_argv(const struct sshcmd *c, char *err, size_t errlen)
{
	struct argv a = { NULL, 0 };
	const char *why;
	char *cp = NULL, num[16];
	size_t i;

	if ((why = bad_host(c->host)) != NULL) {
		snprintf(err, errlen, "cannot run ssh for %s", why);
		return NULL;
	}
	if ((c->mux == SSHCMD_MUX_MASTER || c->mux == SSHCMD_MUX_CLIENT) &&
	    (cp = control_path(c->control_path)) == NULL) {
		snprintf(err, errlen, "cannot give ssh the control path '%s'",
		    c->control_path ? c->control_path : "");
		return NULL;
	}
	if ((c->command == NULL) == (c->forward == NULL) || c->port < 0 ||
	    c->port > 65535) {
		snprintf(err, errlen, "cannot run ssh without a command or "
		    "with port %d", c->port);
		free(cp);
		return NULL;
	}
	add(&a, c->program ? c->program : "ssh");
	if (c->config_file != NULL) {
		add(&a, "-F");
		add(&a, c->config_file);
	}
	forced(&a, c);
	mux(&a, c, cp);
	free(cp);
	if (c->port > 0) {
		snprintf(num, sizeof(num), "%d", c->port);
		add(&a, "-p");
		add(&a, num);
	}
	if (c->user != NULL) {
		add(&a, "-l");
		add(&a, c->user);
	}
	for (i = 0; i < c->n_options; i++) {
		add(&a, "-o");
		add(&a, c->options[i]);
	}
	for (i = 0; i < c->n_identities; i++) {
		add(&a, "-i");
		add(&a, c->identities[i]);
	}
	if (c->forward != NULL) {
		add(&a, "-W");
		add(&a, c->forward);
	}
	add(&a, "--");
	add(&a, c->host);
	if (c->command != NULL)
		add(&a, c->command);
	return a.v;
}

int
sshcmd_version(const char *banner)
{
	static const char *const prefixes[] = { "OpenSSH_for_Windows_",
	    "OpenSSH_" };
	const char *p = NULL;
	int major = 0, minor = 0;
	size_t i;

	for (i = 0; i < 2 && p == NULL; i++)
		if (strncmp(banner, prefixes[i], strlen(prefixes[i])) == 0)
			p = banner + strlen(prefixes[i]);
	if (p == NULL || !isdigit((unsigned char)*p))
		return 0;
	for (; isdigit((unsigned char)*p) && major < 1000; p++)
		major = major * 10 + (*p - '0');
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		return 0;
	minor = *p - '0';
	return major * 10 + minor;
}

/*
 * Reading ssh's stderr.  Each pattern is one of OpenSSH 9's own lines;
 * the first line that one matches decides, in this order.
 */

/* The line of text (len bytes) holding needle, copied to out; or NULL. */
static const char *
line_with(const char *text, size_t len, const char *needle, char *out,
    size_t outlen)
{
	const char *p = text, *end = text + len, *nl;
	size_t n = strlen(needle), ll;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl ? nl : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll >= n && memmem(p, ll, needle, n) != NULL) {
			fmt_clean(out, outlen, p, ll);
			return out;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* The last non-empty line, cleaned; "" if none. */
static void
last_line(const char *text, size_t len, char *out, size_t outlen)
{
	size_t e = len, b;

	out[0] = '\0';
	while (e > 0 && (text[e - 1] == '\n' || text[e - 1] == '\r'))
		e--;
	for (b = e; b > 0 && text[b - 1] != '\n'; b--)
		;
	if (e > b)
		fmt_clean(out, outlen, text + b, e - b);
}

/* Drop a final '.', and lower the first letter, as fanscp's messages go. */
static char *
tidy(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	if (isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

/* "Unable to negotiate with H port P: no matching X found. Their offer: L" */
static int
negotiation(const char *line, char *msg, size_t msglen)
{
	const char *nm = strstr(line, "no matching "), *offer;
	const char *found = nm ? strstr(nm, " found") : NULL;

	if (nm == NULL || found == NULL)
		return 0;
	offer = strstr(found, "Their offer: ");
	snprintf(msg, msglen, "%.*s; the server offers %s",
	    (int)(found + 6 - nm), nm, offer ? offer + 13 : "nothing known");
	return 1;
}

int
sshcmd_forward_failed(const char *err, size_t len, char *line, size_t linelen)
{
	/* The channel's own reason first, then ssh's words on -W. */
	return line_with(err, len, ": open failed: ", line, linelen) != NULL ||
	    line_with(err, len, "forwarding request failed", line,
	    linelen) != NULL || line_with(err, len, "stdio forwarding failed",
	    line, linelen) != NULL;
}

/*
 * A master at LogLevel ERROR keeps the jump host's reason to itself: its
 * -W child only says "Session open refused by peer", for a forwarding
 * refused and a host down alike.
 */
const char *
sshcmd_forward_hint(const char *err)
{
	if (strstr(err, "prohibited") != NULL)
		return " (AllowTcpForwarding on the jump host?)";
	if (strstr(err, "open refused by peer") != NULL)
		return " (the host is down, or AllowTcpForwarding is off on the "
		    "jump host)";
	return "";
}

enum host_err
sshcmd_verdict(int wstatus, const char *err, size_t len, int started,
    char *msg, size_t msglen)
{
	char line[512];
	const char *p;

	msg[0] = '\0';
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 255)
		return ERR_NONE;
	if (WIFSIGNALED(wstatus)) {
		snprintf(msg, msglen, "ssh was killed by signal %d",
		    WTERMSIG(wstatus));
		return started ? ERR_LOST : ERR_SSH;
	}
	if (line_with(err, len, "Host key verification failed", line,
	    sizeof(line)) != NULL) {
		if (line_with(err, len, " and you have requested strict "
		    "checking", line, sizeof(line)) == NULL)
			snprintf(line, sizeof(line), "host key verification "
			    "failed");
		snprintf(msg, msglen, "%s", tidy(line));
		return ERR_HOSTKEY;
	}
	if (line_with(err, len, "Unable to negotiate with ", line,
	    sizeof(line)) != NULL && negotiation(line, msg, msglen))
		return ERR_SSH;
	if (line_with(err, len, "Permission denied (", line,
	    sizeof(line)) != NULL) {
		p = strstr(line, "Permission denied (");
		snprintf(msg, msglen, "%s", tidy((char *)(uintptr_t)p));
		return ERR_AUTH;
	}
	/* A jump host (-W, ProxyJump) could not open the channel. */
	if (sshcmd_forward_failed(err, len, line, sizeof(line))) {
		snprintf(msg, msglen, "%s", tidy(line));
		return ERR_CONNECT;
	}
	if (line_with(err, len, "ssh: connect to host ", line,
	    sizeof(line)) != NULL) {
		snprintf(msg, msglen, "%s", line + 5);
		return strstr(line, "timed out") ? ERR_TIMEOUT : ERR_CONNECT;
	}
	if (line_with(err, len, "ssh: Could not resolve hostname ", line,
	    sizeof(line)) != NULL) {
		snprintf(msg, msglen, "%s", tidy(line + 5));
		return ERR_CONNECT;
	}
	if (line_with(err, len, "Connection timed out during banner exchange",
	    line, sizeof(line)) != NULL) {
		snprintf(msg, msglen, "%s", tidy(line));
		return ERR_TIMEOUT;
	}
	if (line_with(err, len, "Bad configuration option", line,
	    sizeof(line)) != NULL || line_with(err, len, "bad configuration "
	    "option", line, sizeof(line)) != NULL) {
		snprintf(msg, msglen, "ssh: %s", line);
		return ERR_CONFIG;
	}
	last_line(err, len, line, sizeof(line));
	if (line[0] == '\0')
		snprintf(line, sizeof(line), "ssh exited with status 255%s",
		    started ? "" : " before logging in (it says why at "
		    "LogLevel INFO)");
	snprintf(msg, msglen, "%s", tidy(line));
	return started ? ERR_LOST : ERR_SSH;
}
