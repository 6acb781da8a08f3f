/*
 * Which client a host needs: libssh2, or OpenSSH's own ssh for what only
 * ssh can do (issue 8, "--transport auto").  transport_needs_ssh() decides
 * it before connecting, from the host's resolved ssh_config and the
 * identities fanscp would try, with the reason for a -v line.  It is pure:
 * the file system and the environment come through struct transport_env,
 * which transport_env_init() fills for real use and tests fill by hand.
 *
 * What cannot be known before connecting is found later, elsewhere:
 *   - no algorithm in common with the server: conn_nomatch_class() after
 *     the handshake (conn.h), to remember per server for the run;
 *   - @cert-authority host keys: conn.c asks knownhosts_has_ca() whether
 *     such a line names the host; then it goes to ssh before connecting
 *     (TR_CERT_AUTHORITY: libssh2 cannot verify a host certificate).
 */
#ifndef FANSCP_TRANSPORT_H
#define FANSCP_TRANSPORT_H

#include <stddef.h>

#include "algs.h"

struct hostcfg;

enum transport_reason {
	TR_NONE = 0,		/* libssh2 can do all of it */
	TR_PROXYCOMMAND,	/* ProxyCommand is set */
	TR_CONTROLMASTER,	/* ssh would reuse a live master */
	TR_CERTIFICATEFILE,	/* CertificateFile is set */
	TR_CERT_BESIDE,		/* an id_*-cert.pub beside an identity */
	TR_PKCS11,		/* PKCS11Provider is set */
	TR_SK_KEY,		/* a FIDO sk- key among the identities */
	TR_GSSAPI,		/* GSSAPIAuthentication, with Kerberos tickets */
	TR_CERT_AUTHORITY,	/* a @cert-authority host key (conn.c) */
	TR_AGENT_CERT,		/* the agent holds a certificate */
	TR_SSHCONF,		/* an ssh_config key only ssh honours */
	TR_ALGS,		/* Ciphers, MACs or KexAlgorithms leave
				   nothing libssh2 supports (algs.h) */
};

/* The world as transport_needs_ssh() sees it. */
struct transport_env {
	const char	*home;		/* ~ and %d */
	const char	*luser;		/* %u */
	char		 lhost[256];	/* %l: gethostname() */
	unsigned long	 uid;		/* %i */
	int		 krb5_creds;	/* Kerberos credentials are at hand */
	/* Is there a file at path? */
	int		(*exists)(const char *path, void *arg);
	/* Does a server answer on the Unix socket at path? */
	int		(*live_socket)(const char *path, void *arg);
	/* The key type of the identity at path ("" if unknown). */
	void		(*key_type)(const char *path, char *type, size_t len,
			    void *arg);
	const char	*auth_sock;	/* SSH_AUTH_SOCK, or NULL */
	/* libssh2's names per enum alg_class; NULL: algs_libssh2()'s */
	const char	*algs[ALG_NCLASSES];
	/* Does the agent at sock hold a certificate? */
	int		(*agent_cert)(const char *sock, void *arg);
	void		*arg;
};

/* One host, as fanscp resolved it. */
struct transport_host {
	const struct hostcfg *cfg;
	const char	*alias;		/* %n: the host as typed */
	const char	*hostname;	/* %h: HostName, else the alias */
	const char	*user;		/* %r */
	int		 port;		/* %p */
	char *const	*ids;		/* the identity files fanscp tries */
	size_t		 nids;
	int		 ids_default;	/* they are ssh's defaults (no -i, no
					   IdentityFile): then ssh also tries
					   id_ecdsa_sk and id_ed25519_sk */
};

/*
 * Certificates in the agent are asked for before connecting too: ssh
 * offers them, libssh2 1.10 cannot (-19).  Under IdentitiesOnly, ssh
 * offers the agent's certificates only for the identities configured,
 * which are checked already: the agent is not asked then.
 */

/* The real environment: HOME, the user, the host name, the files. */
void	transport_env_init(struct transport_env *);
/*
 * Whether h needs ssh: the reason (its words in why, e.g. "CertificateFile
 * is set"), or TR_NONE with why "".
 */
enum transport_reason transport_needs_ssh(const struct transport_host *h,
	    const struct transport_env *, char *why, size_t len);
/*
 * h's ControlPath with ssh's tokens (%C %d %h %i %k %L %l %n %p %r %u %%),
 * ~ and ${VAR} expanded, as ssh would; NULL if none is set or it cannot
 * be expanded (an unknown token, an unset variable).  xmalloc'd.
 */
char	*transport_control_path(const struct transport_host *h,
	    const struct transport_env *);

#endif
