/*
 * User authentication for one session, in OpenSSH's order: the agent's
 * identities (only those matching a configured identity file under
 * IdentitiesOnly), then the identity files (-i first, then IdentityFile,
 * else ~/.ssh/id_ed25519, id_ecdsa, id_rsa).  Public key only, and never
 * a prompt: an encrypted key file is skipped with a note to use the agent.
 * auth_step() is resumable: call it again after LIBSSH2_ERROR_EAGAIN.
 */
#ifndef FANSCP_AUTH_H
#define FANSCP_AUTH_H

#include <stddef.h>

#include <libssh2.h>

enum auth_result {
	AUTH_OK = 0,
	AUTH_AGAIN,		/* libssh2 said EAGAIN; wait on the socket */
	AUTH_FAIL,		/* err says why */
	AUTH_LOST,		/* the connection failed; err says how */
};

struct auth;

/*
 * A new authenticator for user.  files are the identity files in the order
 * to try (the caller merges -i, IdentityFile and the defaults); agent is
 * the agent socket path, or NULL for SSH_AUTH_SOCK, or "none".
 */
struct auth	*auth_new(const char *user, char *const *files, size_t nfiles,
		    int identities_only, const char *agent);
/* Name the host in auth's -v messages (copied); NULL for none. */
void		 auth_set_host(struct auth *, const char *host);
/* Advance authentication on s.  err gets the reason on failure. */
enum auth_result auth_step(struct auth *, LIBSSH2_SESSION *s, char *err,
		    size_t errlen);
/* Free the authenticator (and its agent connection). */
void		 auth_free(struct auth *);

#endif
