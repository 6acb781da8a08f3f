/*
 * known_hosts checking with OpenSSH's semantics, on our own parser (the
 * libssh2 1.10 one ignores @revoked and has no wildcards).  Plain,
 * comma-separated, wildcard ("*", "?", "!negated") and hashed
 * (|1|salt|hash) names are understood.  Each file
 * is parsed once per run; a hashed line's HMAC key is prepared then, so a
 * lookup costs two SHA-1 blocks a line.  New keys are appended, one line
 * in one write, never by rewriting the file.
 */
#ifndef FANSCP_KNOWNHOSTS_H
#define FANSCP_KNOWNHOSTS_H

#include <stddef.h>

#include "sshconf.h"

enum kh_result {
	KH_MATCH = 0,		/* a line for this name holds this key */
	KH_ADDED,		/* unknown, accepted by policy and appended */
	KH_NOTFOUND,		/* unknown host, refused by policy */
	KH_MISMATCH,		/* known with a different key of this type */
	KH_OTHERTYPE,		/* known only with keys of other types */
	KH_REVOKED,		/* the key is marked @revoked */
	KH_ERROR,		/* a file could not be read or written */
};

struct knownhosts;

#define KH_COMMAND_TIMEOUT	30	/* seconds KnownHostsCommand may run */

/*
 * One host to check, and where.  With an alias (HostKeyAlias) only that
 * name is looked up, as ssh does, whatever the port.  Otherwise a host on
 * a port other than 22 is looked up as "[host]:port" and, if no key of
 * the presented type is listed for that name, as plain "host" (OpenSSH's
 * "found matching key w/out port"); a different key of that type under
 * "host" is then a mismatch, where ssh would treat the host as new.
 */
struct kh_lookup {
	const char	 *host;		/* HostName, as connected to */
	int		  port;
	const char	 *alias;	/* HostKeyAlias, or NULL */
	const char	 *algorithms;	/* HostKeyAlgorithms, or NULL */
	char *const	 *user_files;	/* UserKnownHostsFile; "none" skipped */
	size_t		  n_user;
	char *const	 *global_files;	/* GlobalKnownHostsFile */
	size_t		  n_global;
	char *const	 *command;	/* KnownHostsCommand words, or NULL */
	char *const	 *revoked_files; /* RevokedHostKeys */
	size_t		  n_revoked;
	enum stricthk	  policy;	/* StrictHostKeyChecking */
	int		  hash;		/* HashKnownHosts: appends are hashed */
};

/* An empty cache; files are read on first use and kept for the run. */
struct knownhosts *knownhosts_new(void);
/*
 * Check the server key blob (the SSH wire encoding that
 * libssh2_session_hostkey() returns) for l against the user files, the
 * global files, then the lines l->command prints for the first name (run
 * as ssh runs KnownHostsCommand: no shell, %p %H %I %t %f %K expanded in
 * its arguments, stdin from /dev/null; it must exit 0 within
 * KH_COMMAND_TIMEOUT seconds).  Under SHK_ACCEPT_NEW or SHK_NO an unknown
 * host's key is appended to the first user file (one write; hashed when
 * l->hash is set) under the name looked up first, and remembered for the
 * rest of the run.  A key whose type HostKeyAlgorithms excludes is
 * refused, and so is one that a RevokedHostKeys file lists, or any key if
 * such a file cannot be read or is a binary KRL (which we cannot read).
 * err gets a message a user can act on for every result but KH_MATCH and
 * KH_ADDED; it names the SHA256 fingerprint on a mismatch.
 */
enum kh_result knownhosts_check(struct knownhosts *,
	    const struct kh_lookup *, const unsigned char *blob,
	    size_t bloblen, char *err, size_t errlen);
/*
 * Parse known_hosts text held in memory as if it were file (for tests and
 * fuzzing); returns the number of usable lines, or -1 with err set.
 */
int	knownhosts_load_text(struct knownhosts *, const char *file,
	    const char *text, size_t len, char *err, size_t errlen);
/*
 * The host key types known_hosts holds for l (its first name, else its
 * fallback name), in the order the files (then l->command, run with %I
 * "ORDER") list them, comma-separated into out ("" if none): offered
 * first in the key exchange, as ssh does, so that a host known by one
 * type only is not asked for another.  Types
 * that l->algorithms excludes are left out.  Unreadable files are skipped
 * here; knownhosts_check() reports them.
 */
void	knownhosts_types(struct knownhosts *, const struct kh_lookup *,
	    char *out, size_t outlen);
/*
 * Does a @cert-authority line of the known_hosts files name the host (as
 * knownhosts_check() would look it up)?  Such a host presents a host
 * certificate, which libssh2 1.10 cannot verify: OpenSSH's ssh can.
 * Unreadable files are skipped here.
 */
int	knownhosts_has_ca(struct knownhosts *, const struct kh_lookup *);
/*
 * Whether HostKeyAlgorithms (NULL: OpenSSH's default; "+", "-" and "^"
 * lists change the default, as in ssh_config) lets a server present a
 * key of type: "ssh-rsa" through any of ssh-rsa, rsa-sha2-256 or
 * rsa-sha2-512.
 */
int	knownhosts_type_allowed(const char *algorithms, const char *type);
/* OpenSSH's fingerprint of a key blob: "SHA256:" and unpadded base64. */
void	knownhosts_fingerprint(const unsigned char *blob, size_t bloblen,
	    char *out, size_t outlen);
/* Free the cache. */
void	knownhosts_free(struct knownhosts *);

#endif
