/*
 * known_hosts checking with OpenSSH's semantics, on our own parser (the
 * libssh2 1.10 one ignores @revoked, has no wildcards and falls back from
 * [host]:port to host).  Plain, comma-separated, wildcard ("*", "?",
 * "!negated") and hashed (|1|salt|hash) names are understood; a host on a
 * port other than 22 is looked up as "[host]:port" only.  New keys are
 * appended, one line, never by rewriting the file.
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

/* An empty cache; files are read on first use and kept for the run. */
struct knownhosts *knownhosts_new(void);
/*
 * Check the server key blob (the SSH wire encoding that
 * libssh2_session_hostkey() returns) for host and port against the user
 * files, then the global files.  Under SHK_ACCEPT_NEW or SHK_NO an
 * unknown host's key is appended to the first user file (hashed when
 * hash is set) and remembered for the rest of the run.  err gets a
 * message a user can act on for every result but KH_MATCH and KH_ADDED;
 * it names the SHA256 fingerprint on a mismatch.
 */
enum kh_result knownhosts_check(struct knownhosts *, const char *host,
	    int port, const unsigned char *blob, size_t bloblen,
	    char *const *user_files, size_t n_user,
	    char *const *global_files, size_t n_global,
	    enum stricthk policy, int hash, char *err, size_t errlen);
/*
 * Parse known_hosts text held in memory as if it were file (for tests and
 * fuzzing); returns the number of usable lines, or -1 with err set.
 */
int	knownhosts_load_text(struct knownhosts *, const char *file,
	    const char *text, size_t len, char *err, size_t errlen);
/*
 * The host key types known_hosts holds for host and port, in the order
 * the files list them, comma-separated into out ("" if none): offered
 * first in the key exchange, as ssh does, so that a host known by one
 * type only is not asked for another.  Unreadable files are skipped here;
 * knownhosts_check() reports them.
 */
void	knownhosts_types(struct knownhosts *, const char *host, int port,
	    char *const *user_files, size_t n_user,
	    char *const *global_files, size_t n_global, char *out,
	    size_t outlen);
/* OpenSSH's fingerprint of a key blob: "SHA256:" and unpadded base64. */
void	knownhosts_fingerprint(const unsigned char *blob, size_t bloblen,
	    char *out, size_t outlen);
/* Free the cache. */
void	knownhosts_free(struct knownhosts *);

#endif
