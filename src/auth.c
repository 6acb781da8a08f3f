/*
 * Public-key authentication for one session: ask the server which methods
 * it takes, try the agent's identities, then the identity files.  Each
 * libssh2 call may return EAGAIN; the state here lets auth_step() resume
 * with the same call and the same arguments, as libssh2 requires.
 */
#include <errno.h>
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
	int		  file_retried;		/* one more try after a load error */
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
	free(a->user);
	free(a->agent_path);
	free(a);
}

static void
auth_note(struct auth *a, const char *fmt, const char *file)
{
	if (a->note[0] == '\0')
		snprintf(a->note, sizeof(a->note), fmt, file);
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
	debug("agent key '%s' refused", a->id->comment ? a->id->comment : "");
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
	if (rc == LIBSSH2_ERROR_FILE && !a->file_retried) {
		/*
		 * libssh2 re-reads and re-parses the key for every host.  Under
		 * CI load one host in thousands saw a load error on a key that
		 * loaded for all the others; a second try costs one parse.
		 */
		char *msg = NULL;

		libssh2_session_last_error(s, &msg, NULL, 0);
		debug("key '%s' not loaded (%s); trying once more", file,
		    msg ? msg : "");
		a->file_retried = 1;
		return AUTH_NEXT;
	}
	if (rc == LIBSSH2_ERROR_FILE) {
		auth_note(a, "key '%s' not loaded: encrypted or unsupported "
		    "(load it into ssh-agent)", file);
	} else {
		unsigned char blob[8192];
		size_t n = auth_pub_blob(file, blob, sizeof(blob));

		auth_note_rsa(a, blob, n, file);
	}
	debug("key '%s' refused (%d)", file, rc);
	a->file++;
	a->file_started = 0;
	a->file_retried = 0;
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
