/*
 * ssh_config(5) parsing and resolution, after OpenSSH's readconf.c.
 *
 * Each file is parsed once into a list of directives: a Host or a Match
 * line, an Include that holds the list of the file it names, or an option
 * whose value has already been checked.  Resolving a host walks the -o
 * options and then those lists the way ssh walks the files, so every host
 * costs one pass over memory and no file is read twice.
 *
 * Where we part from OpenSSH, on purpose:
 * - Unknown keywords are ignored rather than fatal, since we honour a few.
 * - Match criteria that need something we do not have (exec,
 *   localnetwork, tagged, command, sessiontype, version) make the block
 *   never match, negated or not; a debug note says so at parse time.
 *   If such a block would set a host key option for a host (the criteria
 *   we can evaluate hold, and nothing set the option before), resolving
 *   that host fails instead: skipping it could accept a key ssh refuses.
 *   "final" and "canonical" are evaluated as ssh does when it does not
 *   canonicalize: true in the second reading a "Match final" asks for.
 * - Include paths are not %-expanded (ssh expands them per host); one that
 *   holds '%' or '$' is skipped with a debug note.
 * - %C, %j, %k and %p are not supported in paths: a line using them is an
 *   error.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "sshconf.h"
#include "util.h"
#include "unittest.h"
#include "xmalloc.h"

#define MAX_INCLUDE_DEPTH	16	/* OpenSSH's READCONF_MAX_DEPTH */
#define WHITESPACE		" \t\r\n"
#define SYSTEM_DIR		"/etc/ssh"
#define PATH_TOKENS		"%dhiLlnru"	/* tokens paths may use */
#define HOSTNAME_TOKENS		"%h"
#define CMD_TOKENS		"dhiLlnruk"	/* KnownHostsCommand, now */
#define CMD_LATE_TOKENS		"%pHItfK"	/* left for knownhosts.c */

enum kw {
	KW_HOST,
	KW_MATCH,
	KW_INCLUDE,
	KW_HOSTNAME,
	KW_USER,
	KW_PORT,
	KW_IDENTITYFILE,
	KW_IDENTITIESONLY,
	KW_USERKNOWNHOSTS,
	KW_GLOBALKNOWNHOSTS,
	KW_STRICT,
	KW_HASHKNOWNHOSTS,
	KW_CONNECTTIMEOUT,
	KW_BATCHMODE,
	KW_ADDRESSFAMILY,
	KW_IDENTITYAGENT,
	KW_PROXYJUMP,
	KW_PROXYCOMMAND,
	KW_HOSTKEYALIAS,
	KW_HOSTKEYALGORITHMS,
	KW_KNOWNHOSTSCOMMAND,
	KW_CHECKHOSTIP,
	KW_VERIFYHOSTKEYDNS,
	KW_FORWARDAGENT,
	KW_CANONICALIZE,
	KW_REVOKEDHOSTKEYS,
	KW_CERTIFICATEFILE,
	KW_GSSAPIAUTH,
	KW_PKCS11PROVIDER,
	KW_CONTROLPATH,
	KW_CONTROLMASTER,
	KW_COMPRESSION,
	KW_IGNOREUNKNOWN,
	KW_CIPHERS,
	KW_MACS,
	KW_KEXALGORITHMS,
	KW_OTHER,	/* known to ssh, not implemented: see its policy */
	KW_UNKNOWN,	/* unknown, but IgnoreUnknown may cover it */
};

/* How a keyword's value is checked and kept. */
enum vtype {
	V_BLOCK,	/* Host, Match and Include, handled apart */
	V_CHOICE,	/* a word from the keyword's table, into ival */
	V_PORT,		/* 1..65535 or a service name, into ival */
	V_TIME,		/* seconds ("1m30s" too) or "none", into ival */
	V_STRING,	/* one word */
	V_HOSTNAME,	/* one word with %h and %% */
	V_PATH,		/* one word with ~, %-tokens and ${VAR} */
	V_PATHS,	/* words with ~, %-tokens and ${VAR}, or "none" */
	V_GLOBALPATHS,	/* words with ~ only, or "none" */
	V_RAW,		/* the rest of the line as written */
};

struct choice {
	const char	*word;
	int		 value;
};

static const struct choice flag_choices[] = {
	{ "yes", 1 }, { "true", 1 }, { "no", 0 }, { "false", 0 },
	{ NULL, 0 },
};

static const struct choice strict_choices[] = {
	{ "yes", SHK_YES }, { "true", SHK_YES },
	{ "no", SHK_NO }, { "false", SHK_NO }, { "off", SHK_NO },
	{ "ask", SHK_ASK }, { "accept-new", SHK_ACCEPT_NEW },
	{ NULL, 0 },
};

static const struct choice dns_choices[] = {
	{ "yes", 1 }, { "true", 1 }, { "no", 0 }, { "false", 0 },
	{ "ask", 2 },
	{ NULL, 0 },
};

static const struct choice canon_choices[] = {
	{ "yes", 1 }, { "true", 1 }, { "no", 0 }, { "false", 0 },
	{ "always", 2 },
	{ NULL, 0 },
};

static const struct choice cm_choices[] = {
	{ "yes", CM_YES }, { "true", CM_YES }, { "no", CM_NO },
	{ "false", CM_NO }, { "ask", CM_ASK }, { "auto", CM_AUTO },
	{ "autoask", CM_AUTOASK },
	{ NULL, 0 },
};

static const struct choice af_choices[] = {
	{ "any", AF_UNSPEC }, { "inet", AF_INET }, { "inet6", AF_INET6 },
	{ NULL, 0 },
};

/*
 * What fanscp does with a keyword of OpenSSH 9.2's ssh_config(5).  Every
 * keyword ssh knows is in the table below, so that a typo fails as ssh
 * fails ("bad configuration option") and nothing ssh would act on is
 * dropped without a word.
 */
enum policy {
	P_HONOUR,	/* implemented here */
	P_IGNORE,	/* cannot change who is reached, how the server is
			   authenticated or what is sent: a -v note */
	P_SSH,		/* only OpenSSH can honour it: --transport auto hands
			   the host to ssh, --transport libssh2 fails it */
	P_REFUSE,	/* resolving a host it applies to fails */
};

struct keyword {
	const char		*name;
	enum kw			 kw;
	enum vtype		 type;
	const struct choice	*choices;
	enum policy		 policy;
	const char		*safe;	/* P_SSH, P_REFUSE: "|"-separated
					   values that change nothing */
	const char		*why;	/* P_IGNORE, P_SSH, P_REFUSE */
};

#define IGNORED(n, why)	{ n, KW_OTHER, V_RAW, NULL, P_IGNORE, NULL, why }
#define VIA_SSH(n, safe, why) \
	{ n, KW_OTHER, V_RAW, NULL, P_SSH, safe, why }
#define REFUSED(n, safe, why) \
	{ n, KW_OTHER, V_RAW, NULL, P_REFUSE, safe, why }

#define WHY_FWD		"fanscp opens no forwarding (ssh children get " \
			"ClearAllForwardings yes)"
#define WHY_CMD		"fanscp runs its own remote command, as scp " \
			"overrides it"
#define WHY_X11		"fanscp forwards no X11 (as scp's -x)"
#define WHY_PROMPT	"fanscp never prompts (as BatchMode yes)"
#define WHY_GSS		"a GSSAPI detail: a host that logs in by GSSAPI " \
			"goes to ssh, which reads it"
#define WHY_LOG		"only how ssh logs or shows things"
#define WHY_CANON	"used only with CanonicalizeHostname, which " \
			"fails when on"
#define WHY_LIVE	"liveness only: --stall-timeout and " \
			"--connect-timeout watch it"
#define WHY_OLD		"no longer used by OpenSSH 9.2"
#define WHY_HOSTBASED	"host-based login, which fanscp never tries: " \
			"a login that needs it fails"
#define WHY_ALGS	"libssh2 cannot be held to this algorithm list"

static const struct keyword keywords[] = {
	{ "Host", KW_HOST, V_BLOCK, NULL, P_HONOUR, NULL, NULL },
	{ "Match", KW_MATCH, V_BLOCK, NULL, P_HONOUR, NULL, NULL },
	{ "Include", KW_INCLUDE, V_BLOCK, NULL, P_HONOUR, NULL, NULL },
	{ "HostName", KW_HOSTNAME, V_HOSTNAME, NULL, P_HONOUR, NULL, NULL },
	{ "User", KW_USER, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "Port", KW_PORT, V_PORT, NULL, P_HONOUR, NULL, NULL },
	{ "IdentityFile", KW_IDENTITYFILE, V_PATH, NULL, P_HONOUR, NULL, NULL },
	{ "IdentitiesOnly", KW_IDENTITIESONLY, V_CHOICE, flag_choices, P_HONOUR, NULL, NULL },
	{ "UserKnownHostsFile", KW_USERKNOWNHOSTS, V_PATHS, NULL, P_HONOUR, NULL, NULL },
	{ "GlobalKnownHostsFile", KW_GLOBALKNOWNHOSTS, V_GLOBALPATHS, NULL, P_HONOUR, NULL, NULL },
	{ "StrictHostKeyChecking", KW_STRICT, V_CHOICE, strict_choices, P_HONOUR, NULL, NULL },
	{ "HashKnownHosts", KW_HASHKNOWNHOSTS, V_CHOICE, flag_choices, P_HONOUR, NULL, NULL },
	{ "ConnectTimeout", KW_CONNECTTIMEOUT, V_TIME, NULL, P_HONOUR, NULL, NULL },
	{ "BatchMode", KW_BATCHMODE, V_CHOICE, flag_choices, P_HONOUR, NULL, NULL },
	{ "AddressFamily", KW_ADDRESSFAMILY, V_CHOICE, af_choices, P_HONOUR, NULL, NULL },
	{ "IdentityAgent", KW_IDENTITYAGENT, V_PATH, NULL, P_HONOUR, NULL, NULL },
	{ "ProxyJump", KW_PROXYJUMP, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "ProxyCommand", KW_PROXYCOMMAND, V_RAW, NULL, P_HONOUR, NULL, NULL },
	{ "HostKeyAlias", KW_HOSTKEYALIAS, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "HostKeyAlgorithms", KW_HOSTKEYALGORITHMS, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "KnownHostsCommand", KW_KNOWNHOSTSCOMMAND, V_RAW, NULL, P_HONOUR, NULL, NULL },
	{ "CheckHostIP", KW_CHECKHOSTIP, V_CHOICE, flag_choices, P_HONOUR, NULL, NULL },
	{ "VerifyHostKeyDNS", KW_VERIFYHOSTKEYDNS, V_CHOICE, dns_choices, P_HONOUR, NULL, NULL },
	{ "ForwardAgent", KW_FORWARDAGENT, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "CanonicalizeHostname", KW_CANONICALIZE, V_CHOICE, canon_choices, P_HONOUR, NULL, NULL },
	{ "RevokedHostKeys", KW_REVOKEDHOSTKEYS, V_PATHS, NULL, P_HONOUR, NULL, NULL },
	/* Only read to tell whether a host needs OpenSSH (transport.c). */
	{ "CertificateFile", KW_CERTIFICATEFILE, V_PATH, NULL, P_HONOUR, NULL, NULL },
	{ "GSSAPIAuthentication", KW_GSSAPIAUTH, V_CHOICE, flag_choices, P_HONOUR, NULL, NULL },
	{ "PKCS11Provider", KW_PKCS11PROVIDER, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "ControlPath", KW_CONTROLPATH, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "ControlMaster", KW_CONTROLMASTER, V_CHOICE, cm_choices, P_HONOUR, NULL, NULL },
	{ "Compression", KW_COMPRESSION, V_CHOICE, flag_choices, P_HONOUR, NULL, NULL },
	{ "IgnoreUnknown", KW_IGNOREUNKNOWN, V_STRING, NULL, P_HONOUR, NULL, NULL },
	/* Held to what libssh2 supports (algs.c); none left: ssh. */
	{ "Ciphers", KW_CIPHERS, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "MACs", KW_MACS, V_STRING, NULL, P_HONOUR, NULL, NULL },
	{ "KexAlgorithms", KW_KEXALGORITHMS, V_STRING, NULL, P_HONOUR, NULL, NULL },
	/* "HostName" matches the man page's "Hostname" (no case). */

	/* Known to ssh, not implemented: ignoring these is safe. */
	IGNORED("AddKeysToAgent", "only adds keys to the local agent"),
	IGNORED("CanonicalDomains", WHY_CANON),
	IGNORED("CanonicalizeFallbackLocal", WHY_CANON),
	IGNORED("CanonicalizeMaxDots", WHY_CANON),
	IGNORED("CanonicalizePermittedCNAMEs", WHY_CANON),
	IGNORED("CASignatureAlgorithms", "for host certificates, which "
	    "only ssh checks: such a host goes to ssh"),
	IGNORED("ClearAllForwardings", WHY_FWD),
	IGNORED("ConnectionAttempts", "only retries a connection: see "
	    "--retries"),
	IGNORED("ControlPersist", "only for an ssh master: fanscp sets its "
	    "own"),
	IGNORED("DynamicForward", WHY_FWD),
	IGNORED("EnableEscapeCommandline", "interactive sessions only"),
	IGNORED("EnableSSHKeysign", WHY_HOSTBASED),
	IGNORED("EscapeChar", "interactive sessions only"),
	IGNORED("ExitOnForwardFailure", WHY_FWD),
	IGNORED("FingerprintHash", WHY_LOG),
	IGNORED("ForkAfterAuthentication", WHY_CMD),
	IGNORED("ForwardX11", WHY_X11),
	IGNORED("ForwardX11Timeout", WHY_X11),
	IGNORED("ForwardX11Trusted", WHY_X11),
	IGNORED("GatewayPorts", WHY_FWD),
	IGNORED("GSSAPIClientIdentity", WHY_GSS),
	IGNORED("GSSAPIDelegateCredentials", WHY_GSS),
	IGNORED("GSSAPIKexAlgorithms", WHY_GSS),
	IGNORED("GSSAPIKeyExchange", WHY_GSS),
	IGNORED("GSSAPIRenewalForcesRekey", WHY_GSS),
	IGNORED("GSSAPIServerIdentity", WHY_GSS),
	IGNORED("GSSAPITrustDns", WHY_GSS),
	IGNORED("HostbasedAcceptedAlgorithms", WHY_HOSTBASED),
	IGNORED("HostbasedAuthentication", WHY_HOSTBASED),
	IGNORED("HostbasedKeyTypes", WHY_HOSTBASED),
	IGNORED("IPQoS", "only marks packets"),
	IGNORED("KbdInteractiveAuthentication", WHY_PROMPT),
	IGNORED("ChallengeResponseAuthentication", WHY_PROMPT),
	IGNORED("KbdInteractiveDevices", WHY_PROMPT),
	IGNORED("LocalCommand", "runs a local command: scp sets "
	    "PermitLocalCommand no"),
	IGNORED("LocalForward", WHY_FWD),
	IGNORED("LogLevel", WHY_LOG),
	IGNORED("LogVerbose", WHY_LOG),
	IGNORED("NoHostAuthenticationForLocalhost", "fanscp checks "
	    "localhost's key too, which is stricter"),
	IGNORED("NumberOfPasswordPrompts", WHY_PROMPT),
	IGNORED("PasswordAuthentication", WHY_PROMPT),
	IGNORED("PermitLocalCommand", "fanscp runs no local command"),
	IGNORED("PermitRemoteOpen", WHY_FWD),
	IGNORED("PreferredAuthentications", "fanscp logs in with public "
	    "keys only"),
	IGNORED("ProxyUseFdpass", "a detail of ProxyCommand, which ssh "
	    "runs"),
	IGNORED("RekeyLimit", "only when session keys are renewed"),
	IGNORED("RemoteCommand", WHY_CMD),
	IGNORED("RemoteForward", WHY_FWD),
	IGNORED("RequestTTY", WHY_CMD),
	IGNORED("SecurityKeyProvider", "FIDO keys go to ssh, which reads "
	    "it"),
	IGNORED("SendEnv", "fanscp's remote commands need no variable of "
	    "ours"),
	IGNORED("ServerAliveCountMax", WHY_LIVE),
	IGNORED("ServerAliveInterval", WHY_LIVE),
	IGNORED("SessionType", WHY_CMD),
	IGNORED("StdinNull", WHY_CMD),
	IGNORED("StreamLocalBindMask", WHY_FWD),
	IGNORED("StreamLocalBindUnlink", WHY_FWD),
	IGNORED("SyslogFacility", WHY_LOG),
	IGNORED("TCPKeepAlive", WHY_LIVE),
	IGNORED("Tunnel", WHY_FWD),
	IGNORED("TunnelDevice", WHY_FWD),
	IGNORED("UpdateHostKeys", "fanscp never learns keys a server "
	    "offers"),
	IGNORED("VisualHostKey", WHY_LOG),
	IGNORED("XAuthLocation", WHY_X11),
	IGNORED("Cipher", WHY_OLD),
	IGNORED("CompressionLevel", WHY_OLD),
	IGNORED("Protocol", WHY_OLD),
	IGNORED("RhostsRSAAuthentication", WHY_OLD),
	IGNORED("RSAAuthentication", WHY_OLD),
	IGNORED("UsePrivilegedPort", WHY_OLD),
	IGNORED("UseRoaming", WHY_OLD),

	/* They decide where packets go, the crypto, or what is sent. */
	VIA_SSH("BindAddress", NULL, "chooses the local address"),
	VIA_SSH("BindInterface", NULL, "chooses the local interface"),
	VIA_SSH("PubkeyAcceptedAlgorithms", NULL, WHY_ALGS),
	VIA_SSH("PubkeyAcceptedKeyTypes", NULL, WHY_ALGS),
	VIA_SSH("RequiredRSASize", "1024", "libssh2 cannot check the size "
	    "of RSA keys"),
	VIA_SSH("SetEnv", NULL, "sends variables the server may act on"),
	REFUSED("PubkeyAuthentication", "yes|true|unbound|host-bound",
	    "fanscp logs in with public keys only"),
};

/* Match criteria; C_OTHER is one we cannot evaluate. */
enum crit_type {
	C_ALL,
	C_HOST,
	C_ORIGINALHOST,
	C_USER,
	C_LOCALUSER,
	C_FINAL,	/* true in the final pass, and asks for one */
	C_CANONICAL,	/* true in the final pass */
	C_OTHER,
};

struct match_attr {
	const char	*name;
	enum crit_type	 type;
	int		 has_arg;
};

static const struct match_attr match_attrs[] = {
	{ "host", C_HOST, 1 },
	{ "originalhost", C_ORIGINALHOST, 1 },
	{ "user", C_USER, 1 },
	{ "localuser", C_LOCALUSER, 1 },
	{ "canonical", C_CANONICAL, 0 },
	{ "final", C_FINAL, 0 },
	{ "exec", C_OTHER, 1 },
	{ "localnetwork", C_OTHER, 1 },
	{ "tagged", C_OTHER, 1 },
	{ "command", C_OTHER, 1 },
	{ "sessiontype", C_OTHER, 1 },
	{ "version", C_OTHER, 1 },
};

struct crit {
	enum crit_type	 type;
	int		 negate;
	char		*arg;	/* a pattern list, or NULL */
};

struct strv {
	char	**v;
	size_t	  n;
};

struct dirlist;

struct directive {
	enum kw		 kw;
	const struct keyword *key;	/* KW_OTHER's entry, or NULL */
	const char	*file;	/* owned by the sshconf's name pool */
	int		 line;	/* 0 for a -o option */
	int		 ival;	/* a checked flag, number or choice */
	struct strv	 args;	/* the words, or Host patterns */
	struct crit	*crit;	/* Match criteria */
	size_t		 ncrit;
	int		 never;	/* Match that can never hold */
	struct dirlist	*sub;	/* Include: one file's directives */
};

struct dirlist {
	struct directive	*v;
	size_t			 n;
};

struct sshconf {
	struct dirlist	  cmdline;	/* -o options, always active */
	struct dirlist	**files;	/* one list per sshconf_load() */
	size_t		  nfiles;
	struct strv	  names;	/* file names directives point to */
	struct strv	  ignore;	/* IgnoreUnknown values parsed so far */
};

/* Where a line being parsed comes from. */
struct pctx {
	struct sshconf	*conf;
	const char	*file;
	int		 line;
	int		 depth;		/* of Include nesting */
	int		 userconf;	/* relative Include: ~/.ssh */
	int		 cmdline;	/* a -o option */
	char		*err;
	size_t		 errlen;
};

/* A growing string. */
struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

/* What %-tokens and ~ expand to while one host is resolved. */
struct expand {
	char		*home;
	char		*luser;
	const char	*alias;
	const char	*rhost;
	const char	*ruser;
	char		 uid[32];
	char		 lhost[256];
	char		 shost[256];
};

/* The state of one resolution: what has been set so far. */
struct rstate {
	const char		 *alias;
	const char		 *user_arg;
	const char		 *luser;
	struct hostcfg		 *out;
	const struct directive	 *hostname;
	const char		 *user;
	const struct directive	**ids;
	size_t			  nids;
	const struct directive	 *ukh;
	const struct directive	 *gkh;
	const struct directive	 *agent;
	const struct directive	 *jump;
	const struct directive	 *proxy;
	const struct directive	 *hkalias;	/* HostKeyAlias */
	const struct directive	 *hkalgs;	/* HostKeyAlgorithms */
	const struct directive	 *ciphers;	/* Ciphers */
	const struct directive	 *macs;		/* MACs */
	const struct directive	 *kexalgs;	/* KexAlgorithms */
	const struct directive	 *khcmd;	/* KnownHostsCommand */
	const struct directive	 *checkip;	/* CheckHostIP */
	const struct directive	 *dns;		/* VerifyHostKeyDNS */
	const struct directive	 *fwdagent;	/* ForwardAgent */
	const struct directive	 *canon;	/* CanonicalizeHostname */
	const struct directive	 *revoked;	/* RevokedHostKeys */
	const struct directive	 *cert;		/* CertificateFile (first) */
	const struct directive	 *pkcs11;	/* PKCS11Provider */
	const struct directive	 *ctlpath;	/* ControlPath */
	const struct directive	 *ignore;	/* IgnoreUnknown */
	const struct directive	 *unknown;	/* the first unknown keyword
						   it does not cover */
	const struct directive	**other;	/* KW_OTHER, by table index */
	const struct directive	 *pending;	/* the Match line we cannot
						   evaluate, in its block */
	const struct directive	 *undecided;	/* a host key option under
						   it that would apply */
	const struct directive	 *undecided_match;
	int			  final_pass;	/* the second walk */
};

STATIC int	sshconf_pattern_list(const char *, const char *, int);
STATIC int	sshconf_parse_time(const char *);

static int	errf(char *, size_t, const char *, int, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
static int	perr(const struct pctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	parse_text(struct sshconf *, struct dirlist *, const char *,
		    size_t, const char *, int, int, char *, size_t);
static void	dirlist_free(struct dirlist *);
static void	walk(const struct dirlist *, struct rstate *, int *, int);

/*
 * Small helpers: error messages, string vectors and buffers.
 */

/* Write "file:line: message" (or "option 'o': message") into err. */
static int
errf(char *err, size_t errlen, const char *file, int line, const char *fmt,
    ...)
{
	va_list ap;
	int n;

	if (errlen == 0)
		return -1;
	if (file == NULL)
		n = 0;
	else if (line == 0)
		n = snprintf(err, errlen, "option '%s': ", file);
	else
		n = snprintf(err, errlen, "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Report an error on the line being parsed; returns -1. */
static int
perr(const struct pctx *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errf(p->err, p->errlen, p->file, p->line, "%s", msg);
}

static void
strv_push(struct strv *sv, char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof(*sv->v));
	sv->v[sv->n++] = s;
}

static void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static void
sb_addn(struct sbuf *b, const char *s, size_t n)
{
	size_t want = b->len + n + 1;

	if (want > b->cap) {
		b->cap = b->cap * 2 > want ? b->cap * 2 : want + 64;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

/* The string built so far, never NULL; the buffer is given away. */
static char *
sb_take(struct sbuf *b)
{
	char *s = b->s != NULL ? b->s : xstrdup("");

	memset(b, 0, sizeof(*b));
	return s;
}

static struct directive *
dirlist_add(struct dirlist *l)
{
	struct directive *d;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	d = &l->v[l->n++];
	memset(d, 0, sizeof(*d));
	d->ival = -1;
	return d;
}

/* Keep a file name for the life of the configuration. */
static const char *
pool_name(struct sshconf *c, const char *name)
{
	strv_push(&c->names, xstrdup(name));
	return c->names.v[c->names.n - 1];
}

/*
 * Match s against a comma-separated list whose entries may be negated
 * with '!': 1 for a positive match, -1 for a negated one (which wins), 0
 * for none.  This is OpenSSH's match_pattern_list(); with icase set it is
 * match_hostname().
 */
STATIC int
sshconf_pattern_list(const char *s, const char *list, int icase)
{
	const char *p = list;
	size_t len;
	int negated, positive = 0;

	while (*p != '\0') {
		negated = *p == '!';
		p += negated;
		len = strcspn(p, ",");
		if (util_glob(s, p, len, icase)) {
			if (negated)
				return -1;
			positive = 1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return positive;
}

/*
 * Splitting a line.
 */

static void
rtrim(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && strchr(WHITESPACE "\f", s[len - 1]) != NULL)
		s[--len] = '\0';
}

/*
 * Find the keyword in line and the text after it: "Key Value", "Key=Value"
 * and "Key = Value" are alike, as OpenSSH's strdelim() has them.  Returns
 * 0 for a blank or comment line.
 */
static int
split_keyword(char *line, char **key, char **rest)
{
	char *p = line + strspn(line, WHITESPACE);
	int eq;

	if (*p == '\0' || *p == '#')
		return 0;
	*key = p;
	p += strcspn(p, WHITESPACE "=");
	eq = *p == '=';
	if (*p != '\0')
		*p++ = '\0';
	p += strspn(p, WHITESPACE);
	if (!eq && *p == '=')
		p += 1 + strspn(p + 1, WHITESPACE);
	*rest = p;
	return 1;
}

/*
 * Split words as OpenSSH's argv_split() does: blanks separate them, "double"
 * or 'single' quotes group (and are removed), a backslash escapes a quote,
 * a backslash or (outside quotes) a space, and a '#' that starts a word
 * ends the line.  Returns -1 on an unterminated quote.
 */
static int
split_args(const char *s, struct strv *out)
{
	size_t i = 0, j;
	char *arg, quote;

	for (;;) {
		i += strspn(s + i, " \t");
		if (s[i] == '\0' || s[i] == '#')
			return 0;
		arg = xmalloc(strlen(s + i) + 1);
		for (quote = 0, j = 0; s[i] != '\0'; i++) {
			if (s[i] == '\\' && (s[i + 1] == '\'' ||
			    s[i + 1] == '"' || s[i + 1] == '\\' ||
			    (quote == 0 && s[i + 1] == ' ')))
				arg[j++] = s[++i];
			else if (quote == 0 && (s[i] == ' ' || s[i] == '\t'))
				break;
			else if (quote == 0 && (s[i] == '"' || s[i] == '\''))
				quote = s[i];
			else if (quote != 0 && s[i] == quote)
				quote = 0;
			else
				arg[j++] = s[i];
		}
		arg[j] = '\0';
		strv_push(out, arg);
		if (quote != 0)
			return -1;
	}
}

/*
 * Checking values.
 */

static const struct keyword *
find_keyword(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcasecmp(name, keywords[i].name) == 0)
			return &keywords[i];
	return NULL;
}

/* The name of a keyword, for messages. */
static const char *
find_keyword_name(enum kw kw)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].kw == kw)
			return keywords[i].name;
	return "?";
}

static int
find_choice(const struct choice *c, const char *word)
{
	for (; c->word != NULL; c++)
		if (strcasecmp(word, c->word) == 0)
			return c->value;
	return -1;
}

/* A port number in 1..65535, or a TCP service name; -1 if neither. */
static int
parse_port(const char *s)
{
	struct servent *se;

	if (*s >= '0' && *s <= '9')
		return util_port(s, strlen(s));
	if ((se = getservbyname(s, "tcp")) == NULL)
		return -1;
	return ntohs((unsigned short)se->s_port);
}

static long
time_unit(char c)
{
	switch (c) {
	case '\0': case 's': case 'S':
		return 1;
	case 'm': case 'M':
		return 60;
	case 'h': case 'H':
		return 60 * 60;
	case 'd': case 'D':
		return 24 * 60 * 60;
	case 'w': case 'W':
		return 7 * 24 * 60 * 60;
	}
	return -1;
}

/*
 * A time as OpenSSH's convtime() reads it, whole numbers only: "90",
 * "90s", "1m30s", "2h".  Returns the seconds, or -1.
 */
STATIC int
sshconf_parse_time(const char *s)
{
	long total = 0, v, unit;
	char *end;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || (unit = time_unit(*end)) == -1 ||
		    v > (INT_MAX - total) / unit)
			return -1;
		total += v * unit;
		s = *end == '\0' ? end : end + 1;
	}
	return (int)total;
}

static int
valid_env_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/*
 * Check the %-tokens in s against those allowed (and ${NAME} references
 * where dollar is set), so that a bad one is reported with its line.
 */
static int
check_tokens(const struct pctx *p, const char *key, const char *s,
    const char *tokens, int dollar)
{
	const char *end;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			if (s[1] == '\0')
				return perr(p, "'%%' at the end of %s", key);
			if (strchr(tokens, s[1]) == NULL)
				return perr(p, "unsupported token '%%%c' in %s",
				    s[1], key);
			s++;
		} else if (dollar && s[0] == '$' && s[1] == '{') {
			if ((end = strchr(s, '}')) == NULL)
				return perr(p, "unterminated '${' in %s", key);
			if (!valid_env_name(s + 2, (size_t)(end - s - 2)))
				return perr(p, "bad variable name in %s", key);
			s = end;
		}
	}
	return 0;
}

/* Several words, or "none" alone (as OpenSSH requires). */
static int
check_paths(const struct pctx *p, const struct keyword *k,
    const struct strv *av)
{
	size_t i;

	for (i = 0; i < av->n; i++) {
		if (strcasecmp(av->v[i], "none") == 0 && av->n > 1)
			return perr(p, "'none' must be alone in %s", k->name);
		if (k->type == V_PATHS && check_tokens(p, k->name, av->v[i],
		    PATH_TOKENS, 1) == -1)
			return -1;
	}
	return 0;
}

static int
bad_value(const struct pctx *p, const struct keyword *k, const char *v)
{
	return perr(p, "bad value '%s' for %s", v, k->name);
}

/* Check one option's value and keep it in d. */
static int
parse_value(const struct pctx *p, const struct keyword *k,
    struct directive *d, struct strv *av, const char *rest)
{
	const char *v = av->v[0];

	if (av->n > 1 && k->type != V_PATHS && k->type != V_GLOBALPATHS &&
	    k->type != V_RAW)
		return perr(p, "extra arguments at the end of %s", k->name);
	switch (k->type) {
	case V_CHOICE:
		if ((d->ival = find_choice(k->choices, v)) == -1)
			return bad_value(p, k, v);
		return 0;
	case V_PORT:
		if ((d->ival = parse_port(v)) == -1)
			return bad_value(p, k, v);
		return 0;
	case V_TIME:
		if (strcasecmp(v, "none") == 0)
			d->ival = -1;
		else if ((d->ival = sshconf_parse_time(v)) <= 0)
			return bad_value(p, k, v);
		return 0;
	case V_HOSTNAME:
		if (check_tokens(p, k->name, v, HOSTNAME_TOKENS, 0) == -1)
			return -1;
		break;
	case V_PATH:
		if (check_tokens(p, k->name, v, PATH_TOKENS, 1) == -1)
			return -1;
		break;
	case V_PATHS:
	case V_GLOBALPATHS:
		if (check_paths(p, k, av) == -1)
			return -1;
		break;
	case V_RAW:
		strv_push(&d->args, xstrdup(rest + strspn(rest,
		    WHITESPACE "=")));
		return 0;
	default:
		break;
	}
	d->args = *av;
	memset(av, 0, sizeof(*av));
	return 0;
}

/*
 * Host, Match and Include.
 */

static int
parse_host(const struct pctx *p, struct directive *d, struct strv *av)
{
	size_t i;

	if (p->cmdline)
		return perr(p, "Host is not allowed as an option");
	for (i = 0; i < av->n; i++)
		if (av->v[i][0] == '\0' || strcmp(av->v[i], "!") == 0)
			return perr(p, "empty pattern in Host");
	d->args = *av;
	memset(av, 0, sizeof(*av));
	return 0;
}

static const struct match_attr *
find_match_attr(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(match_attrs) / sizeof(match_attrs[0]); i++)
		if (strlen(match_attrs[i].name) == len &&
		    strncasecmp(name, match_attrs[i].name, len) == 0)
			return &match_attrs[i];
	return NULL;
}

static void
add_crit(struct directive *d, enum crit_type type, int negate,
    const char *arg)
{
	struct crit *c;

	d->crit = xreallocarray(d->crit, d->ncrit + 1, sizeof(*d->crit));
	c = &d->crit[d->ncrit++];
	c->type = type;
	c->negate = negate;
	c->arg = arg != NULL ? xstrdup(arg) : NULL;
}

/*
 * One Match criterion at av->v[*i] (its argument may follow, or be
 * joined with '=').  Criteria we cannot evaluate mark the block as one
 * that never matches.
 */
static int
parse_crit(const struct pctx *p, struct directive *d, const struct strv *av,
    size_t *i)
{
	const char *word = av->v[*i], *attr, *eq, *arg = NULL;
	const struct match_attr *a;
	size_t len;
	int negate;

	negate = word[0] == '!';
	attr = word + negate;
	eq = strchr(attr, '=');
	len = eq != NULL ? (size_t)(eq - attr) : strlen(attr);
	if ((a = find_match_attr(attr, len)) == NULL ||
	    (eq != NULL && !a->has_arg))
		return perr(p, "unsupported Match attribute '%s'", word);
	if (a->has_arg) {
		if (eq != NULL)
			arg = eq + 1;
		else if (*i + 1 < av->n)
			arg = av->v[++*i];
		if (arg == NULL || arg[0] == '#' || (arg[0] == '\0' &&
		    strcmp(a->name, "tagged") != 0 &&
		    strcmp(a->name, "command") != 0))
			return perr(p, "missing argument for Match '%s'",
			    word);
	}
	if (a->type == C_OTHER && !d->never) {
		debug("%s:%d: cannot evaluate Match '%s'; the block never "
		    "applies (a host key option in it fails the host)",
		    p->file, p->line, a->name);
		d->never = 1;
	}
	add_crit(d, a->type, negate, arg);
	return 0;
}

/*
 * Parse a Match line as OpenSSH's match_cfg_line() does: "all" stands
 * alone, every other criterion but canonical and final takes an argument.
 */
static int
parse_match(const struct pctx *p, struct directive *d, const struct strv *av)
{
	size_t i, nattr = 0;
	const char *word;

	if (p->cmdline)
		return perr(p, "Match is not allowed as an option");
	for (i = 0; i < av->n; i++) {
		word = av->v[i];
		if (word[0] == '#')
			break;
		if (strcasecmp(word + (word[0] == '!'), "all") == 0) {
			if (nattr > 1 || i + 1 < av->n)
				return perr(p, "'%s' cannot be combined with "
				    "other Match attributes", word);
			add_crit(d, C_ALL, word[0] == '!', NULL);
			return 0;
		}
		nattr++;
		if (parse_crit(p, d, av, &i) == -1)
			return -1;
	}
	if (nattr == 0)
		return perr(p, "Match with no criteria");
	return 0;
}

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return "/";
}

/*
 * Expand a leading "~" or "~user" in s into b, as OpenSSH's tilde_expand()
 * does ("~" is $HOME here), and point *rest at what follows.  Returns -1
 * for an unknown user.
 */
static int
tilde_expand(const char *s, const char *home, struct sbuf *b,
    const char **rest)
{
	const char *slash, *dir = home;
	struct passwd *pw;
	char *user;

	*rest = s;
	if (*s != '~')
		return 0;
	slash = strchr(s, '/');
	if (slash == NULL)
		slash = s + strlen(s);
	if (slash > s + 1) {
		user = xstrndup(s + 1, (size_t)(slash - s - 1));
		pw = getpwnam(user);
		free(user);
		if (pw == NULL)
			return -1;
		dir = pw->pw_dir;
	}
	sb_add(b, dir);
	if (b->len == 0 || b->s[b->len - 1] != '/')
		sb_add(b, "/");
	*rest = slash + strspn(slash, "/");
	return 0;
}

/* Where an Include argument points: absolute, from ~, or in a dir. */
static int
include_path(const struct pctx *p, const char *arg, char **path)
{
	struct sbuf b = { 0 };
	const char *rest;

	if (arg[0] == '~' && !p->userconf)
		return perr(p, "bad Include path '%s' in a system file", arg);
	if (arg[0] != '/' && arg[0] != '~') {
		*path = p->userconf ?
		    xasprintf("%s/.ssh/%s", home_dir(), arg) :
		    xasprintf("%s/%s", SYSTEM_DIR, arg);
		return 0;
	}
	if (tilde_expand(arg, home_dir(), &b, &rest) == -1)
		return perr(p, "no such user in Include path '%s'", arg);
	sb_add(&b, rest);
	*path = sb_take(&b);
	return 0;
}

/*
 * Parse one file into l.  Returns 0, 1 if it does not exist, or -1 with a
 * message (naming the including line, if any).
 */
static int
parse_file(struct sshconf *c, struct dirlist *l, const char *path,
    const struct pctx *from, int userconf, int depth, char *err,
    size_t errlen)
{
	char *text;
	size_t len;
	int r;

	if (util_read_file(path, &text, &len) == -1) {
		if (errno == ENOENT)
			return 1;
		if (from != NULL)
			return perr(from, "cannot read '%s': %s", path,
			    strerror(errno));
		return errf(err, errlen, NULL, 0, "cannot read '%s': %s",
		    path, strerror(errno));
	}
	r = parse_text(c, l, text, len, path, userconf, depth, err, errlen);
	free(text);
	return r;
}

/* Parse one file an Include names, as a directive of its own. */
static int
include_file(const struct pctx *p, struct dirlist *l, const char *path)
{
	struct directive *d;
	struct dirlist *sub;
	int r;

	if (p->depth + 1 > MAX_INCLUDE_DEPTH)
		return perr(p, "Include nested too deeply (more than %d "
		    "levels)", MAX_INCLUDE_DEPTH);
	sub = xcalloc(1, sizeof(*sub));
	r = parse_file(p->conf, sub, path, p, p->userconf, p->depth + 1,
	    p->err, p->errlen);
	if (r != 0) {
		dirlist_free(sub);
		free(sub);
		return r == 1 ? 0 : -1;
	}
	d = dirlist_add(l);
	d->kw = KW_INCLUDE;
	d->file = p->file;
	d->line = p->line;
	d->sub = sub;
	return 0;
}

/* One Include argument: glob it and parse what it matches, in order. */
static int
include_glob(const struct pctx *p, struct dirlist *l, const char *arg)
{
	glob_t gl;
	char *path = NULL;
	size_t i;
	int r;

	if (strpbrk(arg, "%$") != NULL) {
		debug("%s:%d: Include '%s' has tokens; skipped", p->file,
		    p->line, arg);
		return 0;
	}
	if (include_path(p, arg, &path) == -1)
		return -1;
	memset(&gl, 0, sizeof(gl));
	r = glob(path, 0, NULL, &gl);
	if (r == GLOB_NOMATCH)
		debug("%s:%d: Include '%s' matched no files", p->file,
		    p->line, path);
	else if (r != 0)
		perr(p, "cannot expand Include '%s'", path);
	free(path);
	for (i = 0; r == 0 && i < gl.gl_pathc; i++)
		if (include_file(p, l, gl.gl_pathv[i]) == -1)
			r = -1;
	globfree(&gl);
	return r == 0 || r == GLOB_NOMATCH ? 0 : -1;
}

static int
parse_include(const struct pctx *p, struct dirlist *l, const struct strv *av)
{
	size_t i;

	if (p->cmdline)
		return perr(p, "Include is not allowed as an option");
	for (i = 0; i < av->n; i++) {
		if (av->v[i][0] == '\0')
			return perr(p, "empty path in Include");
		if (include_glob(p, l, av->v[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * Lines and files.
 */

/* The edit distance of a and b, ignoring case, or 3 once it is past 2. */
static int
edit_distance(const char *a, const char *b)
{
	int prev[64], cur[64], i, j, la = (int)strlen(a), lb = (int)strlen(b);

	if (la >= 64 || lb >= 64 || abs(la - lb) > 2)
		return 3;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			cur[j] = prev[j - 1] + (tolower((unsigned char)a[i - 1])
			    != tolower((unsigned char)b[j - 1]));
			if (prev[j] + 1 < cur[j])
				cur[j] = prev[j] + 1;
			if (cur[j - 1] + 1 < cur[j])
				cur[j] = cur[j - 1] + 1;
		}
		memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
	}
	return prev[lb];
}

/* A known keyword that key is likely a typo of, or NULL. */
static const char *
near_keyword(const char *key)
{
	size_t i;

	if (strlen(key) < 5)
		return NULL;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (edit_distance(key, keywords[i].name) <= 2)
			return keywords[i].name;
	return NULL;
}

/*
 * A keyword ssh does not know either: an error, as ssh's "Bad
 * configuration option", unless an IgnoreUnknown parsed before it covers
 * it.  Which IgnoreUnknown applies depends on the host (ssh keeps the
 * first one of an active block), so the line is kept and resolving
 * decides; here, any earlier IgnoreUnknown that matches will do.
 */
static int
parse_unknown(const struct pctx *p, struct dirlist *l, const char *key)
{
	struct directive *d;
	const char *near;
	size_t i;

	for (i = 0; i < p->conf->ignore.n; i++)
		if (sshconf_pattern_list(key, p->conf->ignore.v[i], 1) == 1)
			break;
	if (i == p->conf->ignore.n && (near = near_keyword(key)) != NULL)
		return perr(p, "bad configuration option '%s' (did you mean "
		    "%s?)", key, near);
	if (i == p->conf->ignore.n)
		return perr(p, "bad configuration option '%s'%s", key,
		    p->cmdline ? "" : " (see IgnoreUnknown)");
	debug("%s:%d: '%s' is unknown; IgnoreUnknown may cover it", p->file,
	    p->line, key);
	d = dirlist_add(l);
	d->kw = KW_UNKNOWN;
	d->file = p->file;
	d->line = p->line;
	strv_push(&d->args, xstrdup(key));
	return 0;
}

/* Say once, where it is read, that a key set here is ignored and why. */
static void
note_ignored(const struct pctx *p, const struct keyword *k)
{
	if (p->cmdline)
		verbose("-o %s ignored: %s", k->name, k->why);
	else
		verbose("%s:%d: %s ignored: %s", p->file, p->line, k->name,
		    k->why);
}

static int
missing_value(const struct pctx *p, const char *key)
{
	if (strcasecmp(key, "Host") == 0)
		return perr(p, "Host with no pattern");
	return perr(p, "no value for '%s'", key);
}

static int
parse_directive(const struct pctx *p, struct dirlist *l,
    const struct keyword *k, struct strv *av, const char *rest)
{
	struct directive *d;

	if (k->kw == KW_INCLUDE)
		return parse_include(p, l, av);
	d = dirlist_add(l);
	d->kw = k->kw;
	d->file = p->file;
	d->line = p->line;
	if (k->kw == KW_HOST)
		return parse_host(p, d, av);
	if (k->kw == KW_MATCH)
		return parse_match(p, d, av);
	d->key = k->kw == KW_OTHER ? k : NULL;
	if (k->policy == P_IGNORE)
		note_ignored(p, k);
	if (parse_value(p, k, d, av, rest) == -1)
		return -1;
	if (k->kw == KW_IGNOREUNKNOWN)
		strv_push(&p->conf->ignore, xstrdup(d->args.v[0]));
	return 0;
}

/*
 * Parse one line (modified in place).  A line of an unknown keyword must
 * still split: a quote left open is an error anywhere.
 */
static int
parse_line(const struct pctx *p, struct dirlist *l, char *line)
{
	const struct keyword *k;
	struct strv av = { 0 };
	char *key, *rest;
	int r = 0;

	rtrim(line);
	if (!split_keyword(line, &key, &rest))
		return 0;
	if (*rest == '\0')
		return missing_value(p, key);
	if (split_args(rest, &av) == -1)
		r = perr(p, "unterminated quote");
	else if ((k = find_keyword(key)) == NULL)
		r = parse_unknown(p, l, key);
	else if (av.n == 0)
		r = missing_value(p, k->name);
	else
		r = parse_directive(p, l, k, &av, rest);
	strv_free(&av);
	return r;
}

static int
parse_text(struct sshconf *c, struct dirlist *l, const char *text,
    size_t len, const char *name, int userconf, int depth, char *err,
    size_t errlen)
{
	struct pctx p = { .conf = c, .file = pool_name(c, name),
	    .depth = depth, .userconf = userconf, .err = err,
	    .errlen = errlen };
	const char *s = text, *end = text + len, *nl;
	size_t linelen;
	char *line;
	int r;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		linelen = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		p.line++;
		if (memchr(s, '\0', linelen) != NULL)
			return perr(&p, "NUL byte in line");
		line = xstrndup(s, linelen);
		r = parse_line(&p, l, line);
		free(line);
		if (r == -1)
			return -1;
		s = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

/* Relative Includes in files under /etc/ssh are in /etc/ssh. */
static int
is_userconf(const char *name)
{
	return strncmp(name, SYSTEM_DIR "/", strlen(SYSTEM_DIR "/")) != 0;
}

static void
add_file(struct sshconf *c, struct dirlist *l)
{
	c->files = xreallocarray(c->files, c->nfiles + 1, sizeof(*c->files));
	c->files[c->nfiles++] = l;
}

static void
dirlist_free(struct dirlist *l)
{
	struct directive *d;
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		d = &l->v[i];
		strv_free(&d->args);
		for (j = 0; j < d->ncrit; j++)
			free(d->crit[j].arg);
		free(d->crit);
		if (d->sub != NULL) {
			dirlist_free(d->sub);
			free(d->sub);
		}
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct sshconf *
sshconf_new(void)
{
	return xcalloc(1, sizeof(struct sshconf));
}

int
sshconf_load(struct sshconf *c, const char *file, int required, char *err,
    size_t errlen)
{
	struct dirlist *l = xcalloc(1, sizeof(*l));
	int r;

	r = parse_file(c, l, file, NULL, is_userconf(file), 0, err, errlen);
	if (r == 0) {
		add_file(c, l);
		return 0;
	}
	dirlist_free(l);
	free(l);
	if (r == 1 && !required) {
		debug("no configuration file '%s'", file);
		return 0;
	}
	if (r == 1)
		errf(err, errlen, NULL, 0, "cannot read '%s': %s", file,
		    strerror(ENOENT));
	return -1;
}

int
sshconf_load_text(struct sshconf *c, const char *text, size_t len,
    const char *name, char *err, size_t errlen)
{
	struct dirlist *l = xcalloc(1, sizeof(*l));

	if (parse_text(c, l, text, len, name, is_userconf(name), 0, err,
	    errlen) == -1) {
		dirlist_free(l);
		free(l);
		return -1;
	}
	add_file(c, l);
	return 0;
}

int
sshconf_add_option(struct sshconf *c, const char *opt, char *err,
    size_t errlen)
{
	struct pctx p = { .conf = c, .file = pool_name(c, opt), .userconf = 1,
	    .cmdline = 1, .err = err, .errlen = errlen };
	struct dirlist l = { 0 };
	char *line = xstrdup(opt);
	int r;

	r = parse_line(&p, &l, line);
	free(line);
	if (r == -1) {
		dirlist_free(&l);
		return -1;
	}
	if (l.n > 0) {
		c->cmdline.v = xreallocarray(c->cmdline.v, c->cmdline.n + l.n,
		    sizeof(*l.v));
		memcpy(c->cmdline.v + c->cmdline.n, l.v, l.n * sizeof(*l.v));
		c->cmdline.n += l.n;
	}
	free(l.v);
	return 0;
}

void
sshconf_free(struct sshconf *c)
{
	size_t i;

	if (c == NULL)
		return;
	dirlist_free(&c->cmdline);
	for (i = 0; i < c->nfiles; i++) {
		dirlist_free(c->files[i]);
		free(c->files[i]);
	}
	free(c->files);
	strv_free(&c->names);
	strv_free(&c->ignore);
	free(c);
}

/*
 * Resolution.
 */

/* HostName with %h (the alias) and %% expanded. */
static char *
expand_hostname(const char *s, const char *alias)
{
	struct sbuf b = { 0 };
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "%");
		sb_addn(&b, s, n);
		s += n;
		if (*s == '\0')
			break;
		/* Tokens were checked when the line was parsed. */
		sb_add(&b, s[1] == 'h' ? alias : "%");
		s += 2;
	}
	return sb_take(&b);
}

/*
 * Host lines: any pattern matching the alias as typed activates the block
 * unless a negated one matches.  As in OpenSSH since 6.6 this is
 * case-sensitive: ssh lowercases the name only after reading the config.
 */
static int
host_matches(const struct directive *d, const char *alias)
{
	const char *pat;
	size_t i;
	int active = 0;

	for (i = 0; i < d->args.n; i++) {
		pat = d->args.v[i];
		if (!util_glob(alias, pat + (pat[0] == '!'),
		    strlen(pat + (pat[0] == '!')), 0))
			continue;
		if (pat[0] == '!')
			return 0;
		active = 1;
	}
	return active;
}

static int
crit_matches(const struct crit *c, const struct rstate *st)
{
	const char *ruser;
	char *host;
	int r;

	switch (c->type) {
	case C_ALL:
		return 1;
	case C_HOST:
		host = st->hostname != NULL ? expand_hostname(
		    st->hostname->args.v[0], st->alias) : xstrdup(st->alias);
		r = sshconf_pattern_list(host, c->arg, 1) == 1;
		free(host);
		return r;
	case C_ORIGINALHOST:
		return sshconf_pattern_list(st->alias, c->arg, 1) == 1;
	case C_USER:
		ruser = st->user != NULL ? st->user : st->luser;
		return sshconf_pattern_list(ruser, c->arg, 0) == 1;
	case C_LOCALUSER:
		return sshconf_pattern_list(st->luser, c->arg, 0) == 1;
	case C_FINAL:
	case C_CANONICAL:
		return st->final_pass;
	case C_OTHER:
		break;
	}
	return 0;
}

/*
 * Does a Match line hold for this host?  "host" is tried against the
 * HostName obtained so far (else the alias) and "user" against the remote
 * user known so far (else the local one), both as OpenSSH has them.
 * Returns 1 or 0, or -1 when the criteria we can evaluate all hold but
 * one we cannot (exec, canonical...) decides: the block is skipped then.
 */
static int
match_matches(const struct directive *d, const struct rstate *st)
{
	size_t i;
	int undecided = 0;

	for (i = 0; i < d->ncrit; i++) {
		if (d->crit[i].type == C_OTHER)
			undecided = 1;
		else if (crit_matches(&d->crit[i], st) == d->crit[i].negate)
			return 0;
	}
	return undecided ? -1 : 1;
}

/*
 * Whether d, in a block we skip, would decide how this host's key is
 * checked: a host key option that nothing before it has set.
 */
static int
decides_hostkey(const struct directive *d, const struct rstate *st)
{
	switch (d->kw) {
	case KW_STRICT:
		return st->out->strict == SHK_UNSET;
	case KW_USERKNOWNHOSTS:
		return st->ukh == NULL;
	case KW_GLOBALKNOWNHOSTS:
		return st->gkh == NULL;
	case KW_HOSTKEYALIAS:
		return st->hkalias == NULL;
	case KW_HOSTKEYALGORITHMS:
		return st->hkalgs == NULL;
	case KW_KNOWNHOSTSCOMMAND:
		return st->khcmd == NULL;
	case KW_CHECKHOSTIP:
		return st->checkip == NULL;
	case KW_VERIFYHOSTKEYDNS:
		return st->dns == NULL;
	case KW_CANONICALIZE:
		return st->canon == NULL;
	case KW_REVOKEDHOSTKEYS:
		return st->revoked == NULL;
	default:
		return 0;
	}
}

static void
set_int(int *field, int value, int unset)
{
	if (*field == unset)
		*field = value;
}

static void
set_dir(const struct directive **field, const struct directive *d)
{
	if (*field == NULL)
		*field = d;
}

/* IdentityFile accumulates, dropping exact repeats as ssh does. */
static void
add_identity(struct rstate *st, const struct directive *d)
{
	size_t i;

	for (i = 0; i < st->nids; i++)
		if (strcmp(st->ids[i]->args.v[0], d->args.v[0]) == 0)
			return;
	st->ids = xreallocarray(st->ids, st->nids + 1, sizeof(*st->ids));
	st->ids[st->nids++] = d;
}

/* Apply one option of an active block: the first value obtained wins. */
static void
apply(const struct directive *d, struct rstate *st)
{
	struct hostcfg *h = st->out;

	switch (d->kw) {
	case KW_HOSTNAME:
		set_dir(&st->hostname, d);
		break;
	case KW_USER:
		if (st->user == NULL)
			st->user = d->args.v[0];
		break;
	case KW_PORT:
		set_int(&h->port, d->ival, 0);
		break;
	case KW_IDENTITYFILE:
		add_identity(st, d);
		break;
	case KW_IDENTITIESONLY:
		set_int(&h->identities_only, d->ival, -1);
		break;
	case KW_USERKNOWNHOSTS:
		set_dir(&st->ukh, d);
		break;
	case KW_GLOBALKNOWNHOSTS:
		set_dir(&st->gkh, d);
		break;
	case KW_STRICT:
		set_int(&h->strict, d->ival, SHK_UNSET);
		break;
	case KW_HASHKNOWNHOSTS:
		set_int(&h->hash_known_hosts, d->ival, -1);
		break;
	case KW_CONNECTTIMEOUT:
		/* "none" is -1, so a later value may still apply (as ssh). */
		set_int(&h->connect_timeout, d->ival, -1);
		break;
	case KW_BATCHMODE:
		set_int(&h->batch_mode, d->ival, -1);
		break;
	case KW_ADDRESSFAMILY:
		set_int(&h->address_family, d->ival, -1);
		break;
	case KW_IDENTITYAGENT:
		set_dir(&st->agent, d);
		break;
	case KW_PROXYJUMP:
		/* ssh ignores ProxyJump once either is set. */
		if (st->proxy == NULL)
			set_dir(&st->jump, d);
		break;
	case KW_PROXYCOMMAND:
		set_dir(&st->proxy, d);
		break;
	case KW_HOSTKEYALIAS:
		set_dir(&st->hkalias, d);
		break;
	case KW_HOSTKEYALGORITHMS:
		set_dir(&st->hkalgs, d);
		break;
	case KW_CIPHERS:
		set_dir(&st->ciphers, d);
		break;
	case KW_MACS:
		set_dir(&st->macs, d);
		break;
	case KW_KEXALGORITHMS:
		set_dir(&st->kexalgs, d);
		break;
	case KW_KNOWNHOSTSCOMMAND:
		set_dir(&st->khcmd, d);
		break;
	case KW_CHECKHOSTIP:
		set_dir(&st->checkip, d);
		break;
	case KW_VERIFYHOSTKEYDNS:
		set_dir(&st->dns, d);
		break;
	case KW_FORWARDAGENT:
		set_dir(&st->fwdagent, d);
		break;
	case KW_CANONICALIZE:
		set_dir(&st->canon, d);
		break;
	case KW_REVOKEDHOSTKEYS:
		set_dir(&st->revoked, d);
		break;
	case KW_CERTIFICATEFILE:
		set_dir(&st->cert, d);
		break;
	case KW_GSSAPIAUTH:
		set_int(&h->gssapi_auth, d->ival, -1);
		break;
	case KW_PKCS11PROVIDER:
		set_dir(&st->pkcs11, d);
		break;
	case KW_CONTROLPATH:
		set_dir(&st->ctlpath, d);
		break;
	case KW_CONTROLMASTER:
		set_int(&h->control_master, d->ival, -1);
		break;
	case KW_COMPRESSION:
		set_int(&h->compression, d->ival, -1);
		break;
	case KW_IGNOREUNKNOWN:
		set_dir(&st->ignore, d);
		break;
	case KW_OTHER:
		set_dir(&st->other[d->key - keywords], d);
		break;
	case KW_UNKNOWN:
	case KW_HOST:
	case KW_MATCH:
	case KW_INCLUDE:
		break;
	}
}

/* Does the IgnoreUnknown in effect for this host cover d's keyword? */
static void
check_unknown(const struct directive *d, struct rstate *st)
{
	if (st->unknown == NULL && (st->ignore == NULL ||
	    sshconf_pattern_list(d->args.v[0], st->ignore->args.v[0], 1) != 1))
		st->unknown = d;
}

/*
 * Walk a list as ssh walks a file.  An Include inherits the state of the
 * block it sits in; within an inactive block nothing in it can apply, and
 * whatever its Host and Match lines do, the state is restored after it.
 */
static void
walk(const struct dirlist *l, struct rstate *st, int *activep, int never)
{
	const struct directive *d, *opending;
	size_t i;
	int oactive, m;

	for (i = 0; i < l->n; i++) {
		d = &l->v[i];
		/* As in ssh, an unknown keyword counts in any block. */
		if (d->kw == KW_UNKNOWN)
			check_unknown(d, st);
		else if (d->kw == KW_HOST) {
			*activep = !never && host_matches(d, st->alias);
			if (!never)
				st->pending = NULL;
		} else if (d->kw == KW_MATCH) {
			m = never ? 0 : match_matches(d, st);
			*activep = m == 1;
			if (!never)
				st->pending = m == -1 ? d : NULL;
		} else if (d->kw == KW_INCLUDE) {
			oactive = *activep;
			opending = st->pending;
			walk(d->sub, st, activep, never || !oactive);
			*activep = oactive;
			st->pending = opending;
		} else if (*activep)
			apply(d, st);
		else if (st->pending != NULL && st->undecided == NULL &&
		    decides_hostkey(d, st)) {
			st->undecided = d;
			st->undecided_match = st->pending;
		}
	}
}

static const char *
token_value(const struct expand *e, char c)
{
	switch (c) {
	case 'd':
		return e->home;
	case 'h':
		return e->rhost;
	case 'i':
		return e->uid;
	case 'L':
		return e->shost;
	case 'l':
		return e->lhost;
	case 'n':
		return e->alias;
	case 'r':
		return e->ruser;
	case 'u':
		return e->luser;
	}
	return "%";
}

/* Expand %-tokens and ${VAR} in s into b; -1 for an unset variable. */
static int
expand_tokens(const char *s, const struct expand *e, struct sbuf *b,
    const char **badvar, size_t *badlen)
{
	const char *end, *v;
	char *name;
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "%$");
		sb_addn(b, s, n);
		s += n;
		if (*s == '%') {
			sb_add(b, token_value(e, s[1]));
			s += 2;
		} else if (*s == '$' && s[1] == '{' &&
		    (end = strchr(s, '}')) != NULL) {
			name = xstrndup(s + 2, (size_t)(end - s - 2));
			v = getenv(name);
			free(name);
			if (v == NULL) {
				*badvar = s + 2;
				*badlen = (size_t)(end - s - 2);
				return -1;
			}
			sb_add(b, v);
			s = end + 1;
		} else if (*s == '$')
			sb_addn(b, s++, 1);
	}
	return 0;
}

/*
 * Expand a path from d as ssh does: a leading ~ first, then (with tokens
 * set) %-tokens and ${VAR}.  Returns -1 with a message naming d's line.
 */
static int
expand_path(const struct directive *d, const char *s, const struct expand *e,
    int tokens, char **out, char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	const char *rest, *var;
	size_t varlen;

	if (tilde_expand(s, e->home, &b, &rest) == -1) {
		free(b.s);
		return errf(err, errlen, d->file, d->line,
		    "no such user in '%s'", s);
	}
	if (!tokens)
		sb_add(&b, rest);
	else if (expand_tokens(rest, e, &b, &var, &varlen) == -1) {
		free(b.s);
		return errf(err, errlen, d->file, d->line,
		    "environment variable '%.*s' is not set", (int)varlen,
		    var);
	}
	*out = sb_take(&b);
	return 0;
}

/* Expand every word of d into a fresh array; "none" gives *none. */
static int
expand_files(const struct directive *d, const struct expand *e, int tokens,
    struct strv *out, int *none, char *err, size_t errlen)
{
	char *p;
	size_t i;

	if (d == NULL)
		return 0;
	if (strcasecmp(d->args.v[0], "none") == 0) {
		*none = 1;
		return 0;
	}
	for (i = 0; i < d->args.n; i++) {
		if (expand_path(d, d->args.v[i], e, tokens, &p, err,
		    errlen) == -1)
			return -1;
		strv_push(out, p);
	}
	return 0;
}

static int
finish_identities(const struct rstate *st, const struct expand *e,
    char *err, size_t errlen)
{
	struct hostcfg *h = st->out;
	struct strv sv = { 0 };
	size_t i;
	char *p;
	int r = 0;

	for (i = 0; r == 0 && i < st->nids; i++) {
		if (strcasecmp(st->ids[i]->args.v[0], "none") == 0)
			continue;
		r = expand_path(st->ids[i], st->ids[i]->args.v[0], e, 1, &p,
		    err, errlen);
		if (r == 0)
			strv_push(&sv, p);
	}
	h->identity_files = sv.v;
	h->n_identity_files = sv.n;
	return r;
}

static int
finish_known_hosts(const struct rstate *st, const struct expand *e,
    char *err, size_t errlen)
{
	struct hostcfg *h = st->out;
	struct strv u = { 0 }, g = { 0 };
	int r;

	r = expand_files(st->ukh, e, 1, &u, &h->user_known_hosts_none, err,
	    errlen);
	if (r == 0)
		r = expand_files(st->gkh, e, 0, &g,
		    &h->global_known_hosts_none, err, errlen);
	/* ssh's defaults when the configuration names no file. */
	if (r == 0 && u.n == 0 && !h->user_known_hosts_none) {
		strv_push(&u, xasprintf("%s/.ssh/known_hosts", e->home));
		strv_push(&u, xasprintf("%s/.ssh/known_hosts2", e->home));
	}
	if (r == 0 && g.n == 0 && !h->global_known_hosts_none) {
		strv_push(&g, xstrdup("/etc/ssh/ssh_known_hosts"));
		strv_push(&g, xstrdup("/etc/ssh/ssh_known_hosts2"));
	}
	h->user_known_hosts = u.v;
	h->n_user_known_hosts = u.n;
	h->global_known_hosts = g.v;
	h->n_global_known_hosts = g.n;
	return r;
}

/* ProxyJump and ProxyCommand: "none" leaves them unset. */
static int
finish_proxy(const struct rstate *st, char *err, size_t errlen)
{
	struct hostcfg *h = st->out;
	const char *jump, *cmd;

	jump = st->jump != NULL ? st->jump->args.v[0] : NULL;
	cmd = st->proxy != NULL ? st->proxy->args.v[0] : NULL;
	if (jump != NULL && strcasecmp(jump, "none") != 0)
		h->proxy_jump = xstrdup(jump);
	if (cmd != NULL && strcasecmp(cmd, "none") != 0)
		h->proxy_command = xstrdup(cmd);
	if (h->proxy_jump != NULL && h->proxy_command != NULL)
		return errf(err, errlen, st->jump->file, st->jump->line,
		    "ProxyJump and ProxyCommand both apply to '%s'",
		    st->alias);
	return 0;
}

static void
expand_init(struct expand *e, const struct rstate *st)
{
	memset(e, 0, sizeof(*e));
	e->home = xstrdup(home_dir());
	e->luser = xstrdup(st->luser);
	e->alias = st->alias;
	e->rhost = st->out->hostname != NULL ? st->out->hostname : st->alias;
	e->ruser = st->out->user != NULL ? st->out->user : st->luser;
	snprintf(e->uid, sizeof(e->uid), "%lu", (unsigned long)getuid());
	if (gethostname(e->lhost, sizeof(e->lhost)) == -1)
		e->lhost[0] = '\0';
	e->lhost[sizeof(e->lhost) - 1] = '\0';
	memcpy(e->shost, e->lhost, sizeof(e->shost));
	e->shost[strcspn(e->shost, ".")] = '\0';
}

/* A directive's word, or NULL if it is absent or "none". */
static const char *
word_or_none(const struct directive *d)
{
	if (d == NULL || strcasecmp(d->args.v[0], "none") == 0)
		return NULL;
	return d->args.v[0];
}

/* Append s to b with each '%' doubled, to survive the later expansion. */
static void
sb_add_escaped(struct sbuf *b, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "%");
		sb_addn(b, s, n);
		s += n;
		if (*s == '%') {
			sb_add(b, "%%");
			s++;
		}
	}
}

/*
 * Expand one KnownHostsCommand argument as far as the configuration can:
 * the tokens of CMD_TOKENS and ${VAR} (no ~, as in ssh); the per-check
 * tokens of CMD_LATE_TOKENS, and "%%", are kept for knownhosts.c.
 * Returns NULL with a message naming d's line.
 */
static char *
expand_command_arg(const struct directive *d, const char *s,
    const struct expand *e, const char *keyalias, char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	const char *end, *v;
	char *name;

	for (; *s != '\0'; s++) {
		if (*s == '%' && s[1] != '\0' &&
		    strchr(CMD_LATE_TOKENS, s[1]) != NULL) {
			sb_addn(&b, s++, 2);
		} else if (*s == '%' && s[1] != '\0' &&
		    strchr(CMD_TOKENS, s[1]) != NULL) {
			sb_add_escaped(&b, s[1] == 'k' ? keyalias :
			    token_value(e, s[1]));
			s++;
		} else if (*s == '%') {
			free(b.s);
			errf(err, errlen, d->file, d->line, "unsupported token "
			    "'%%%.1s' in KnownHostsCommand", s + 1);
			return NULL;
		} else if (s[0] == '$' && s[1] == '{' &&
		    (end = strchr(s, '}')) != NULL) {
			name = xstrndup(s + 2, (size_t)(end - s - 2));
			v = getenv(name);
			free(name);
			if (v == NULL) {
				free(b.s);
				errf(err, errlen, d->file, d->line,
				    "environment variable '%.*s' is not set",
				    (int)(end - s - 2), s + 2);
				return NULL;
			}
			sb_add_escaped(&b, v);
			s = end;
		} else
			sb_addn(&b, s, 1);
	}
	return sb_take(&b);
}

/*
 * KnownHostsCommand, split into words as ssh splits it; the program must
 * be an absolute path (as ssh requires) and is not expanded.
 */
static int
finish_command(const struct rstate *st, const struct expand *e, char *err,
    size_t errlen)
{
	const struct directive *d = st->khcmd;
	struct hostcfg *h = st->out;
	struct strv av = { 0 };
	const char *keyalias = st->hkalias != NULL ? st->hkalias->args.v[0] :
	    st->alias;
	char *arg;
	size_t i;

	if (split_args(d->args.v[0], &av) == -1 || av.n == 0) {
		strv_free(&av);
		return errf(err, errlen, d->file, d->line, "bad "
		    "KnownHostsCommand");
	}
	if (av.v[0][0] != '/') {
		errf(err, errlen, d->file, d->line, "KnownHostsCommand '%s' is "
		    "not an absolute path", av.v[0]);
		strv_free(&av);
		return -1;
	}
	for (i = 1; i < av.n; i++) {
		if ((arg = expand_command_arg(d, av.v[i], e, keyalias, err,
		    errlen)) == NULL) {
			strv_free(&av);
			return -1;
		}
		free(av.v[i]);
		av.v[i] = arg;
	}
	strv_push(&av, NULL);
	h->known_hosts_command = av.v;
	return 0;
}

/* RevokedHostKeys: files with ~, %-tokens and ${VAR}; "none" for none. */
static int
finish_revoked(const struct rstate *st, const struct expand *e, char *err,
    size_t errlen)
{
	struct hostcfg *h = st->out;
	struct strv sv = { 0 };
	int none = 0;

	if (expand_files(st->revoked, e, 1, &sv, &none, err, errlen) == -1) {
		strv_free(&sv);
		return -1;
	}
	h->revoked_host_keys = sv.v;
	h->n_revoked_host_keys = sv.n;
	return 0;
}

/*
 * The options that decide how the server's key is checked.  Those fanscp
 * cannot honour fail the host rather than be ignored, so that no key ssh
 * would refuse is accepted: CheckHostIP yes, VerifyHostKeyDNS yes or ask,
 * CanonicalizeHostname yes or always (ssh would look the canonical name
 * up), and a host key option in a Match block whose criteria we cannot
 * evaluate.
 */
static int
finish_hostkey(const struct rstate *st, const struct expand *e, char *err,
    size_t errlen)
{
	struct hostcfg *h = st->out;
	const struct directive *d;

	if ((d = st->undecided) != NULL)
		return errf(err, errlen, d->file, d->line, "cannot tell "
		    "whether %s applies to '%s': fanscp cannot evaluate the "
		    "Match on line %d", find_keyword_name(d->kw), st->alias,
		    st->undecided_match->line);
	if (st->khcmd != NULL && word_or_none(st->khcmd) != NULL &&
	    finish_command(st, e, err, errlen) == -1)
		return -1;
	if (finish_revoked(st, e, err, errlen) == -1)
		return -1;
	if ((d = st->checkip) != NULL && d->ival == 1)
		return errf(err, errlen, d->file, d->line, "CheckHostIP yes is "
		    "not supported (set CheckHostIP no, OpenSSH's default)");
	if ((d = st->dns) != NULL && d->ival != 0)
		return errf(err, errlen, d->file, d->line, "VerifyHostKeyDNS "
		    "%s is not supported: fanscp looks up no SSHFP records "
		    "(set VerifyHostKeyDNS no)", d->ival == 2 ? "ask" : "yes");
	if ((d = st->canon) != NULL && d->ival != 0)
		return errf(err, errlen, d->file, d->line,
		    "CanonicalizeHostname %s is not supported: ssh would "
		    "check the canonical name's host key (set "
		    "CanonicalizeHostname no)", d->ival == 2 ? "always" :
		    "yes");
	if (st->hkalias != NULL)
		h->host_key_alias = xstrdup(st->hkalias->args.v[0]);
	if (st->hkalgs != NULL)
		h->host_key_algorithms = xstrdup(st->hkalgs->args.v[0]);
	if (st->ciphers != NULL)
		h->ciphers = xstrdup(st->ciphers->args.v[0]);
	if (st->macs != NULL)
		h->macs = xstrdup(st->macs->args.v[0]);
	if (st->kexalgs != NULL)
		h->kex_algorithms = xstrdup(st->kexalgs->args.v[0]);
	if ((d = st->fwdagent) != NULL)
		h->forward_agent = strcasecmp(d->args.v[0], "no") != 0 &&
		    strcasecmp(d->args.v[0], "false") != 0;
	return 0;
}

/* Is v (its first word) one of the "|"-separated words of safe? */
static int
safe_value(const char *safe, const char *v)
{
	size_t n = strcspn(v, WHITESPACE), len;

	for (; safe != NULL && *safe != '\0'; safe += len + (safe[len] != 0)) {
		len = strcspn(safe, "|");
		if (len == n && strncasecmp(safe, v, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The keywords fanscp does not implement, and the unknown ones: an
 * unknown keyword no IgnoreUnknown covers fails as in ssh; one that only
 * OpenSSH can honour is named in needs_ssh; a refused one fails.
 */
static int
finish_other(const struct rstate *st, char *err, size_t errlen)
{
	const struct directive *d;
	const struct keyword *k;
	size_t i;

	if ((d = st->unknown) != NULL)
		return errf(err, errlen, d->file, d->line, "bad configuration "
		    "option '%s' (IgnoreUnknown does not cover it for '%s')",
		    d->args.v[0], st->alias);
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if ((d = st->other[i]) == NULL)
			continue;
		k = d->key;
		if (k->policy == P_IGNORE || safe_value(k->safe, d->args.v[0]))
			continue;
		if (k->policy == P_REFUSE)
			return errf(err, errlen, d->file, d->line, "%s %s is "
			    "not supported: %s", k->name, d->args.v[0],
			    k->why);
		if (st->out->needs_ssh == NULL)
			st->out->needs_ssh = xasprintf("%s is set (%s)",
			    k->name, k->why);
	}
	return 0;
}

/* Turn what the walk obtained into strings the caller owns. */
static int
finish(struct rstate *st, char *err, size_t errlen)
{
	struct hostcfg *h = st->out;
	struct expand e;
	int r;

	if (st->hostname != NULL)
		h->hostname = expand_hostname(st->hostname->args.v[0],
		    st->alias);
	if (st->user != NULL)
		h->user = xstrdup(st->user);
	expand_init(&e, st);
	r = finish_identities(st, &e, err, errlen);
	if (r == 0)
		r = finish_known_hosts(st, &e, err, errlen);
	if (r == 0 && st->agent != NULL)
		r = expand_path(st->agent, st->agent->args.v[0], &e, 1,
		    &h->identity_agent, err, errlen);
	if (r == 0 && st->cert != NULL && word_or_none(st->cert) != NULL)
		r = expand_path(st->cert, st->cert->args.v[0], &e, 1,
		    &h->certificate_file, err, errlen);
	if (r == 0 && word_or_none(st->pkcs11) != NULL)
		h->pkcs11_provider = xstrdup(st->pkcs11->args.v[0]);
	/* Its tokens (%C, %p...) are ssh's, expanded by transport.c. */
	if (r == 0 && word_or_none(st->ctlpath) != NULL)
		h->control_path = xstrdup(st->ctlpath->args.v[0]);
	if (r == 0)
		r = finish_other(st, err, errlen);
	if (r == 0)
		r = finish_proxy(st, err, errlen);
	if (r == 0)
		r = finish_hostkey(st, &e, err, errlen);
	free(e.home);
	free(e.luser);
	return r;
}

static char *
local_user(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u;

	if (pw != NULL)
		return xstrdup(pw->pw_name);
	u = getenv("USER");
	return xstrdup(u != NULL ? u : "");
}

static void
hostcfg_reset(struct hostcfg *h)
{
	memset(h, 0, sizeof(*h));
	h->identities_only = -1;
	h->strict = SHK_UNSET;
	h->hash_known_hosts = -1;
	h->connect_timeout = -1;
	h->batch_mode = -1;
	h->address_family = -1;
	h->forward_agent = -1;
	h->gssapi_auth = -1;
	h->control_master = -1;
	h->compression = -1;
}

/*
 * Whether l holds a "Match final" (not negated), which makes ssh read the
 * files a second time with "final" and "canonical" true.  Like ssh, any
 * such line counts, whether its block applies or not.
 */
static int
wants_final(const struct dirlist *l)
{
	const struct directive *d;
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		d = &l->v[i];
		if (d->kw == KW_INCLUDE && d->sub != NULL && wants_final(d->sub))
			return 1;
		for (k = 0; d->kw == KW_MATCH && k < d->ncrit; k++)
			if (d->crit[k].type == C_FINAL && !d->crit[k].negate)
				return 1;
	}
	return 0;
}

/*
 * Resolve as ssh does: -o options first, then the user given with the
 * host (ssh takes -o User before user@host), then each file from the top;
 * then, if a file asks for it with "Match final", the files once more with
 * "final" and "canonical" true, where the first value obtained still wins.
 * We never canonicalize, so the name stays the one given.
 */
static int
resolve(const struct sshconf *c, const char *host, const char *user,
    struct hostcfg *out, char *err, size_t errlen, int cmdline)
{
	struct rstate st;
	char *luser = local_user();
	size_t i;
	int active, r;

	hostcfg_reset(out);
	memset(&st, 0, sizeof(st));
	st.alias = host;
	st.luser = luser;
	st.other = xcalloc(sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(*st.other));
	st.out = out;
	active = 1;
	if (cmdline)
		walk(&c->cmdline, &st, &active, 0);
	if (st.user == NULL)
		st.user = user;
	for (i = 0; i < c->nfiles; i++) {
		active = 1;
		walk(c->files[i], &st, &active, 0);
	}
	for (i = 0; i < c->nfiles && !wants_final(c->files[i]); i++)
		;
	if (i < c->nfiles) {
		st.final_pass = 1;
		for (i = 0; i < c->nfiles; i++) {
			active = 1;
			walk(c->files[i], &st, &active, 0);
		}
	}
	r = finish(&st, err, errlen);
	free(st.ids);
	free(st.other);
	free(luser);
	if (r == -1)
		hostcfg_release(out);
	return r;
}

int
sshconf_resolve(const struct sshconf *c, const char *host, const char *user,
    struct hostcfg *out, char *err, size_t errlen)
{
	return resolve(c, host, user, out, err, errlen, 1);
}

/*
 * A jump host is resolved as the ssh that ssh starts for it is: from the
 * files alone.  The -o options are the target's (a -o ProxyJump would
 * otherwise send the bastion through itself).
 */
int
sshconf_resolve_hop(const struct sshconf *c, const char *host,
    const char *user, struct hostcfg *out, char *err, size_t errlen)
{
	return resolve(c, host, user, out, err, errlen, 0);
}

static void
free_array(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
hostcfg_release(struct hostcfg *h)
{
	size_t i;

	free(h->hostname);
	free(h->user);
	free_array(h->identity_files, h->n_identity_files);
	free_array(h->user_known_hosts, h->n_user_known_hosts);
	free_array(h->global_known_hosts, h->n_global_known_hosts);
	free(h->identity_agent);
	free(h->proxy_jump);
	free(h->proxy_command);
	free(h->certificate_file);
	free(h->pkcs11_provider);
	free(h->control_path);
	free(h->needs_ssh);
	free(h->host_key_alias);
	free(h->host_key_algorithms);
	free(h->ciphers);
	free(h->macs);
	free(h->kex_algorithms);
	if (h->known_hosts_command != NULL)
		for (i = 0; h->known_hosts_command[i] != NULL; i++)
			free(h->known_hosts_command[i]);
	free(h->known_hosts_command);
	free_array(h->revoked_host_keys, h->n_revoked_host_keys);
	hostcfg_reset(h);
}
