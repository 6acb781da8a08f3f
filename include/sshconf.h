/*
 * ssh_config(5), the part fanscp honours.  Files are parsed once; each
 * host's settings are then resolved the way ssh does it: -o options first,
 * then the files in order, and for each key the first value obtained wins
 * (IdentityFile accumulates).  Host patterns take '*', '?' and '!'.
 * Every keyword of OpenSSH 9.2 is known, each with a policy (the table in
 * sshconf.c): honoured, ignored with a -v note where that is safe, handed
 * to ssh (needs_ssh), or refused.  A keyword ssh does not know either is
 * an error naming file:line, as in ssh, unless IgnoreUnknown covers it.
 * A malformed line is an error naming file:line.
 * Options that decide how a server's key is checked are never ignored:
 * those fanscp cannot honour (CheckHostIP yes, VerifyHostKeyDNS yes or
 * ask, CanonicalizeHostname yes or always, or one set in a Match block
 * whose criteria cannot be evaluated, such as exec) make sshconf_resolve()
 * fail.
 */
#ifndef FANSCP_SSHCONF_H
#define FANSCP_SSHCONF_H

#include <stddef.h>

enum stricthk {
	SHK_UNSET = -1,
	SHK_YES = 0,		/* unknown hosts fail: the default */
	SHK_ACCEPT_NEW,		/* unknown hosts are added; changed keys fail */
	SHK_NO,			/* unknown hosts are added (as OpenSSH does) */
	SHK_ASK,		/* no prompting here: behaves as yes */
};

enum ctlmaster { CM_NO, CM_YES, CM_ASK, CM_AUTO, CM_AUTOASK };

/* One host's resolved settings; -1, NULL or 0 counts mean "not set". */
struct hostcfg {
	char	 *hostname;	/* HostName, %h expanded */
	char	 *user;		/* -o User, else the user given, else User */
	int	  port;		/* Port; 0 unset */
	char	**identity_files; /* IdentityFile values, ~ and %-tokens expanded */
	size_t	  n_identity_files;
	int	  identities_only; /* IdentitiesOnly yes/no */
	char	**user_known_hosts; /* UserKnownHostsFile, ~ expanded */
	size_t	  n_user_known_hosts;
	int	  user_known_hosts_none; /* "none": no file, no default */
	char	**global_known_hosts; /* GlobalKnownHostsFile */
	size_t	  n_global_known_hosts;
	int	  global_known_hosts_none; /* likewise */
	int	  strict;	/* StrictHostKeyChecking, enum stricthk */
	int	  hash_known_hosts; /* HashKnownHosts yes/no */
	int	  connect_timeout; /* ConnectTimeout, seconds */
	int	  batch_mode;	/* BatchMode yes/no */
	int	  address_family; /* AddressFamily: AF_INET, AF_INET6, AF_UNSPEC */
	char	 *identity_agent; /* IdentityAgent ("none", a path, SSH_AUTH_SOCK) */
	char	 *proxy_jump;	/* ProxyJump as written ("none": NULL) */
	char	 *proxy_command; /* ProxyCommand, likewise: ssh's alone */
	char	 *host_key_alias; /* HostKeyAlias: the known_hosts name */
	char	 *host_key_algorithms; /* HostKeyAlgorithms, as written */
	char	 *ciphers;	/* Ciphers, MACs, KexAlgorithms as written: */
	char	 *macs;		/* held to libssh2's in algs.c */
	char	 *kex_algorithms;
	int	  forward_agent; /* ForwardAgent: 1 for yes or a socket */
	char	**known_hosts_command; /* KnownHostsCommand words, NULL-ended;
				   %p %H %I %t %f %K %% still to expand */
	char	**revoked_host_keys; /* RevokedHostKeys, expanded */
	size_t	  n_revoked_host_keys;
	/* Read only to tell whether the host needs OpenSSH (transport.h). */
	char	 *certificate_file; /* the first CertificateFile, expanded */
	int	  gssapi_auth;	/* GSSAPIAuthentication yes/no */
	char	 *pkcs11_provider; /* PKCS11Provider ("none": NULL) */
	char	 *control_path;	/* ControlPath as written ("none": NULL):
				   ssh's %-tokens (%C, %p...) unexpanded */
	int	  control_master; /* ControlMaster, enum ctlmaster */
	int	  compression;	/* Compression yes/no */
	char	 *needs_ssh;	/* why only OpenSSH can honour the settings
				   ("Ciphers is set (...)"), or NULL */
};

struct sshconf;

/* A new, empty configuration. */
struct sshconf	*sshconf_new(void);
/*
 * Parse file and append its lines (Include directives followed).  A file
 * that does not exist is skipped unless required.  Returns 0, or -1 with
 * "file:line: reason" in err.
 */
int	sshconf_load(struct sshconf *, const char *file, int required,
	    char *err, size_t errlen);
/*
 * Parse in-memory text as if it were a file called name (for tests and
 * fuzzing).  Returns 0, or -1 as sshconf_load() does.
 */
int	sshconf_load_text(struct sshconf *, const char *text, size_t len,
	    const char *name, char *err, size_t errlen);
/*
 * Add a -o option ("Key=Value" or "Key Value"); these take precedence over
 * every file whatever the order of calls.  Returns 0, or -1 with a message.
 */
int	sshconf_add_option(struct sshconf *, const char *opt, char *err,
	    size_t errlen);
/*
 * Resolve the settings for host (the name as the user typed it; Host
 * patterns match it case-sensitively, as ssh's do).  user is the remote
 * user already known (from user@host), or NULL; as in ssh it comes after
 * -o User and before the files' User, and it feeds %r and "Match user".
 * Fills *out, which the caller releases.  Returns 0, or -1 with a message
 * ("file:line: reason": an unknown ~user or an unset ${VAR} in a path).
 */
int	sshconf_resolve(const struct sshconf *, const char *host,
	    const char *user, struct hostcfg *out, char *err, size_t errlen);
/* The same for a jump host: the files only, no -o option. */
int	sshconf_resolve_hop(const struct sshconf *, const char *host,
	    const char *user, struct hostcfg *out, char *err, size_t errlen);
/* Free what a hostcfg holds and reset it to "nothing set". */
void	hostcfg_release(struct hostcfg *);
/* Free the configuration. */
void	sshconf_free(struct sshconf *);

#endif
