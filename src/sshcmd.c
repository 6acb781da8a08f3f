/*
 * The argv of an ssh child (see sshcmd.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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
	/* Options of OpenSSH 8.7 and later: older ones reject the names. */
	if (c->version >= 87) {
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
	if (c->command == NULL || c->port < 0 || c->port > 65535) {
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
	add(&a, "--");
	add(&a, c->host);
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
