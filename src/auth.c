/*
 * Public-key authentication for one session: ask the server which methods
 * it takes, try the agent's identities, then the identity files.  Each
 * libssh2 call may return EAGAIN; the state here lets auth_step() resume
 * with the same call and the same arguments, as libssh2 requires.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auth.h"
#include "log.h"
#include "unittest.h"
#include "xmalloc.h"

/* What a phase returns when it moved on and auth_step() should go on. */
#define AUTH_NEXT	(AUTH_LOST + 1)

enum auth_phase {
	AP_LIST,		/* libssh2_userauth_list */
	AP_AGENT,		/* libssh2_agent_userauth, one identity a time */
	AP_FILES,		/* libssh2_userauth_publickey_fromfile_ex */
	AP_FAILED,
};

struct auth {
	char		 *host;			/* for messages, or NULL */
	char		 *user;
	char		**files;
	size_t		  nfiles;
	int		  ids_only;
	char		 *agent_path;
	enum auth_phase	  phase;
	LIBSSH2_AGENT	 *agent;
	struct libssh2_agent_publickey *id;	/* the agent key being tried */
	size_t		  file;			/* the file being tried */
	int		  file_started;
	int		  retried;		/* the key being tried had its one
						   more try after a local failure */
	char		  note[256];		/* why a key was skipped */
};

struct auth *
auth_new(const char *user, char *const *files, size_t nfiles,
    int identities_only, const char *agent)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	size_t i;

	a->user = xstrdup(user);
	a->files = xcalloc(nfiles ? nfiles : 1, sizeof(*a->files));
	for (i = 0; i < nfiles; i++)
		a->files[i] = xstrdup(files[i]);
	a->nfiles = nfiles;
	a->ids_only = identities_only;
	/* "SSH_AUTH_SOCK" means the environment's agent, as in ssh. */
	if (agent != NULL && strcmp(agent, "SSH_AUTH_SOCK") != 0)
		a->agent_path = xstrdup(agent);
	return a;
}

void
auth_free(struct auth *a)
{
	size_t i;

	if (a == NULL)
		return;
	if (a->agent != NULL) {
		libssh2_agent_disconnect(a->agent);
		libssh2_agent_free(a->agent);
	}
	for (i = 0; i < a->nfiles; i++)
		free(a->files[i]);
	free(a->files);
	free(a->host);
	free(a->user);
	free(a->agent_path);
	free(a);
}

void
auth_set_host(struct auth *a, const char *host)
{
	free(a->host);
	a->host = host != NULL ? xstrdup(host) : NULL;
}

static void __attribute__((format(printf, 2, 3)))
auth_note(struct auth *a, const char *fmt, ...)
{
	va_list ap;

	if (a->note[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(a->note, sizeof(a->note), fmt, ap);
	va_end(ap);
}

/* Did rc come from the connection rather than from the key being refused? */
STATIC int
auth_rc_is_lost(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_BAD_USE:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_PROTO:
		return 1;
	default:
		return 0;
	}
}

static enum auth_result
auth_lost(LIBSSH2_SESSION *s, int rc, char *err, size_t errlen)
{
	char *msg = NULL;

	libssh2_session_last_error(s, &msg, NULL, 0);
	if (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT)
		snprintf(err, errlen, "permission denied: server disconnected "
		    "during authentication (%s; too many keys offered? "
		    "see MaxAuthTries)", msg ? msg : "no reason given");
	else
		snprintf(err, errlen, "connection lost during authentication"
		    " (%s)", msg ? msg : "unknown error");
	return AUTH_LOST;
}

/*
 * Why libssh2 1.10 gave up on a key, from _libssh2_userauth_publickey(),
 * sign_fromfile() and agent_sign() at tag libssh2-1.10.0 (src/userauth.c,
 * src/agent.c).  The code alone does not tell: -19 covers the server's
 * "no" and our own failure to sign, so the message has to.
 *
 *   The server refused the key: never try it again (each refusal spends
 *   one of the server's MaxAuthTries).
 *     -18 AUTHENTICATION_FAILED "Username/PublicKey combination invalid":
 *         the key query got USERAUTH_FAILURE.
 *     -19 PUBLICKEY_UNVERIFIED "Invalid signature for supplied public
 *         key, or bad username/public key combination": the signed
 *         request got USERAUTH_FAILURE.
 *
 *   A local failure: the server took the key (PK_OK) or never saw it, and
 *   we could not go on.  A second try may work; a key query answered with
 *   PK_OK and no signature after it is no failure to sshd.
 *     -19 "Callback returned error": the sign callback failed.  For a key
 *         file, sign_fromfile() reads and parses the file a second time
 *         (LIBSSH2_ERROR_FILE, METHOD_NONE) and signs (-1); for the agent,
 *         agent_sign()'s request to the agent failed (AGENT_PROTOCOL,
 *         ALLOC, a socket error).  libssh2 replaces that code by -19.
 *         sshd logs "Accepted key ... found" and then the client quits.
 *     -6 ALLOC: the signed data or the packet could not be allocated.
 *     -16 FILE: the key file could not be read or parsed on the first
 *         call (_libssh2_pub_priv_keyfile), before anything was sent.
 *
 *   Neither, and not tried again:
 *     -19 "Waiting for USERAUTH response", "Waiting for publickey USERAUTH
 *         response": no reply came (the socket failed, the server
 *         disconnected, or libssh2's 60 s timer ran out): the connection,
 *         which the next call or conn.c's disconnect note reports.
 *     -19 "Invalid public key[, too short]": a malformed public key blob,
 *         the same on every try.
 *     -7 SOCKET_SEND and the other codes of auth_rc_is_lost(): the
 *         connection.  EAGAIN (-37) is the caller's to repeat; libssh2
 *         keeps its state for it and never returns it here.
 */
STATIC int
auth_rc_is_local(int rc, const char *msg)
{
	switch (rc) {
	case LIBSSH2_ERROR_ALLOC:
	case LIBSSH2_ERROR_FILE:
		return 1;
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
		return msg != NULL &&
		    strcmp(msg, "Callback returned error") == 0;
	default:
		return 0;
	}
}

/* The name of a libssh2 error code that a key attempt can end with. */
STATIC const char *
auth_rc_name(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_ALLOC:
		return "LIBSSH2_ERROR_ALLOC";
	case LIBSSH2_ERROR_SOCKET_SEND:
		return "LIBSSH2_ERROR_SOCKET_SEND";
	case LIBSSH2_ERROR_FILE:
		return "LIBSSH2_ERROR_FILE";
	case LIBSSH2_ERROR_METHOD_NONE:
		return "LIBSSH2_ERROR_METHOD_NONE";
	case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
		return "LIBSSH2_ERROR_AUTHENTICATION_FAILED";
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
		return "LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED";
	case LIBSSH2_ERROR_AGENT_PROTOCOL:
		return "LIBSSH2_ERROR_AGENT_PROTOCOL";
	case LIBSSH2_ERROR_BAD_USE:
		return "LIBSSH2_ERROR_BAD_USE";
	case LIBSSH2_ERROR_EAGAIN:
		return "LIBSSH2_ERROR_EAGAIN";
	default:
		return "LIBSSH2_ERROR";
	}
}

/*
 * A key was not taken with rc (not EAGAIN, not a lost connection): say so
 * at -v with libssh2's code and message, and decide.  Returns 1 when the
 * same key is to be tried once more: a local failure, and no second try
 * yet.  The caller moves on to the next key otherwise.  The message is
 * libssh2's own text, which holds no key material.
 */
static int
auth_refused(struct auth *a, LIBSSH2_SESSION *s, int rc, const char *kind,
    const char *key)
{
	char *msg = NULL;
	int local;

	libssh2_session_last_error(s, &msg, NULL, 0);
	if (msg == NULL)
		msg = "";
	local = auth_rc_is_local(rc, msg);
	hlog(LOG_VERBOSE, a->host, "%s '%s' refused: %d %s (%s)%s", kind, key,
	    rc, auth_rc_name(rc), msg, !local ? "" : !a->retried ?
	    "; a local failure, trying it once more" :
	    "; a local failure again, giving it up");
	if (local && !a->retried) {
		a->retried = 1;
		return 1;
	}
	if (local && rc != LIBSSH2_ERROR_FILE)
		auth_note(a, "%s '%s' not used: libssh2 failed here, twice, "
		    "before the server saw a signature (%d %s: %s)", kind, key,
		    rc, auth_rc_name(rc), msg);
	a->retried = 0;
	return 0;
}

static enum auth_result
auth_list(struct auth *a, LIBSSH2_SESSION *s, char *err, size_t errlen)
{
	char *methods;

	methods = libssh2_userauth_list(s, a->user, (unsigned)strlen(a->user));
	if (methods == NULL) {
		int rc = libssh2_session_last_errno(s);

		if (rc == LIBSSH2_ERROR_EAGAIN)
			return AUTH_AGAIN;
		if (libssh2_userauth_authenticated(s))
			return AUTH_OK;
		return auth_lost(s, rc, err, errlen);
	}
	debug("%s: server accepts: %s", a->user, methods);
	if (strstr(methods, "publickey") == NULL) {
		snprintf(err, errlen, "permission denied: server does not "
		    "accept public keys (it takes: %s)", methods);
		return AUTH_FAIL;
	}
	a->phase = AP_AGENT;
	return AUTH_NEXT;
}

/*
 * Read the public half of an identity file ("file.pub") as a blob, for
 * IdentitiesOnly.  Returns the length, or 0 if there is none.
 */
STATIC size_t
auth_pub_blob(const char *file, unsigned char *blob, size_t bloblen)
{
	char *path = xasprintf("%s.pub", file), line[16384], *b64, *end;
	FILE *f = fopen(path, "r");
	int n = 0;

	free(path);
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL &&
	    (b64 = strchr(line, ' ')) != NULL) {
		b64++;
		end = b64 + strcspn(b64, " \t\r\n");
		*end = '\0';
		if ((size_t)(end - b64) / 4 * 3 <= bloblen) {
			n = EVP_DecodeBlock(blob, (unsigned char *)b64,
			    (int)(end - b64));
			/* EVP_DecodeBlock counts the '=' padding as bytes. */
			while (n > 0 && end > b64 && *--end == '=')
				n--;
		}
	}
	fclose(f);
	return n > 0 ? (size_t)n : 0;
}

/* Is blob an RSA public key (its first string "ssh-rsa")? */
STATIC int
auth_blob_is_rsa(const unsigned char *blob, size_t len)
{
	return len > 11 && memcmp(blob, "\0\0\0\7ssh-rsa", 11) == 0;
}

/*
 * libssh2 1.10 signs RSA with SHA-1 only, which OpenSSH 8.8 and later
 * refuse: say so when an RSA key is refused, or the user is left to guess.
 */
static void
auth_note_rsa(struct auth *a, const unsigned char *blob, size_t len,
    const char *key)
{
	if (auth_blob_is_rsa(blob, len))
		auth_note(a, "RSA key '%s' refused: libssh2 1.10 signs RSA "
		    "with SHA-1, which OpenSSH 8.8 and later refuse; use an "
		    "ed25519 or ECDSA key", key);
}

/* Under IdentitiesOnly, is the agent key one of our identity files? */
static int
auth_agent_key_allowed(const struct auth *a,
    const struct libssh2_agent_publickey *id)
{
	unsigned char blob[8192];
	size_t i, n;

	if (!a->ids_only)
		return 1;
	for (i = 0; i < a->nfiles; i++) {
		n = auth_pub_blob(a->files[i], blob, sizeof(blob));
		if (n == id->blob_len && memcmp(blob, id->blob, n) == 0)
			return 1;
	}
	return 0;
}

/* Connect to the agent; 0, or -1 when there is none to use. */
static int
auth_agent_open(struct auth *a, LIBSSH2_SESSION *s)
{
	if (a->agent_path != NULL && strcmp(a->agent_path, "none") == 0)
		return -1;
	if (a->agent_path == NULL && getenv("SSH_AUTH_SOCK") == NULL)
		return -1;
	if ((a->agent = libssh2_agent_init(s)) == NULL)
		return -1;
	if (a->agent_path != NULL)
		libssh2_agent_set_identity_path(a->agent, a->agent_path);
	if (libssh2_agent_connect(a->agent) != 0 ||
	    libssh2_agent_list_identities(a->agent) != 0) {
		debug("ssh-agent not usable; trying identity files");
		libssh2_agent_free(a->agent);
		a->agent = NULL;
		return -1;
	}
	return 0;
}

/* Move a->id to the next agent identity we may offer; 0, or -1 at the end. */
static int
auth_agent_next(struct auth *a)
{
	struct libssh2_agent_publickey *prev = a->id;

	for (;;) {
		if (libssh2_agent_get_identity(a->agent, &a->id, prev) != 0) {
			a->id = NULL;
			return -1;
		}
		if (auth_agent_key_allowed(a, a->id))
			return 0;
		prev = a->id;
	}
}

static enum auth_result
auth_agent(struct auth *a, LIBSSH2_SESSION *s, char *err, size_t errlen)
{
	int rc;

	if (a->agent == NULL && (auth_agent_open(a, s) != 0 ||
	    auth_agent_next(a) != 0)) {
		a->phase = AP_FILES;
		return AUTH_NEXT;
	}
	rc = libssh2_agent_userauth(a->agent, a->user, a->id);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return AUTH_AGAIN;
	if (rc == 0)
		return AUTH_OK;
	if (auth_rc_is_lost(rc))
		return auth_lost(s, rc, err, errlen);
	if (auth_refused(a, s, rc, "agent key",
	    a->id->comment ? a->id->comment : ""))
		return AUTH_NEXT;
	auth_note_rsa(a, a->id->blob, a->id->blob_len,
	    a->id->comment ? a->id->comment : "from the agent");
	if (auth_agent_next(a) != 0)
		a->phase = AP_FILES;
	return AUTH_NEXT;
}

/* May file be offered?  OpenSSH refuses keys others can read. */
static int
auth_file_usable(struct auth *a, const char *file)
{
	struct stat st;

	if (stat(file, &st) != 0)
		return 0;
	if ((st.st_mode & 077) != 0 && st.st_uid == getuid()) {
		auth_note(a, "key '%s' ignored: its permissions are too open "
		    "(chmod 600 it)", file);
		return 0;
	}
	return 1;
}

static enum auth_result
auth_files(struct auth *a, LIBSSH2_SESSION *s, char *err, size_t errlen)
{
	const char *file;
	int rc;

	if (a->file >= a->nfiles) {
		a->phase = AP_FAILED;
		return AUTH_NEXT;
	}
	file = a->files[a->file];
	if (!a->file_started && !auth_file_usable(a, file)) {
		a->file++;
		return AUTH_NEXT;
	}
	a->file_started = 1;
	rc = libssh2_userauth_publickey_fromfile_ex(s, a->user,
	    (unsigned)strlen(a->user), NULL, file, NULL);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return AUTH_AGAIN;
	if (rc == 0)
		return AUTH_OK;
	if (auth_rc_is_lost(rc))
		return auth_lost(s, rc, err, errlen);
	/*
	 * libssh2 re-reads and re-parses the key for every host, and again
	 * to sign.  Under CI load one host in thousands failed to load or
	 * sign with a key that worked for all the others; a second try
	 * costs one parse (and one key query, which no server counts).
	 */
	if (auth_refused(a, s, rc, "key", file))
		return AUTH_NEXT;
	if (rc == LIBSSH2_ERROR_FILE) {
		auth_note(a, "key '%s' not loaded: encrypted or unsupported "
		    "(load it into ssh-agent)", file);
	} else {
		unsigned char blob[8192];
		size_t n = auth_pub_blob(file, blob, sizeof(blob));

		auth_note_rsa(a, blob, n, file);
	}
	a->file++;
	a->file_started = 0;
	return AUTH_NEXT;
}

enum auth_result
auth_step(struct auth *a, LIBSSH2_SESSION *s, char *err, size_t errlen)
{
	int r;

	for (;;) {
		switch (a->phase) {
		case AP_LIST:
			r = auth_list(a, s, err, errlen);
			break;
		case AP_AGENT:
			r = auth_agent(a, s, err, errlen);
			break;
		case AP_FILES:
			r = auth_files(a, s, err, errlen);
			break;
		default:
			snprintf(err, errlen, "permission denied (publickey)%s%s",
			    a->note[0] ? "; " : "", a->note);
			return AUTH_FAIL;
		}
		if (r != AUTH_NEXT)
			return (enum auth_result)r;
	}
}
