/*
 * Whether a host needs OpenSSH's ssh rather than libssh2 (see transport.h).
 * The decision is pure; transport_env_init() supplies the real world.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "algs.h"
#include "sshconf.h"
#include "transport.h"
#include "unittest.h"
#include "util.h"
#include "xmalloc.h"

/* A growing string, for the ControlPath expansion. */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* %C: the SHA-1 of %l%h%p%r in hex, as ssh's ssh_connection_hash(). */
STATIC void
transport_conn_hash(const char *lhost, const char *host, int port,
    const char *user, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *s = xasprintf("%s%s%d%s", lhost, host, port, user);

	EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha1(), NULL);
	free(s);
	for (i = 0; i < mdlen && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[40] = '\0';
}

/* The value of ControlPath token c, or NULL for one ssh does not know. */
static const char *
token(const struct transport_host *h, const struct transport_env *e, char c,
    char *tmp, size_t len)
{
	const struct hostcfg *cfg = h->cfg;

	switch (c) {
	case '%':
		return "%";
	case 'C':
		if (len < 41)
			return NULL;
		transport_conn_hash(e->lhost, h->hostname, h->port, h->user,
		    tmp);
		return tmp;
	case 'd':
		return e->home;
	case 'h':
		return h->hostname;
	case 'i':
		snprintf(tmp, len, "%lu", e->uid);
		return tmp;
	case 'k':
		return cfg->host_key_alias ? cfg->host_key_alias : h->alias;
	case 'L':
		snprintf(tmp, len, "%.*s", (int)strcspn(e->lhost, "."),
		    e->lhost);
		return tmp;
	case 'l':
		return e->lhost;
	case 'n':
		return h->alias;
	case 'p':
		snprintf(tmp, len, "%d", h->port);
		return tmp;
	case 'r':
		return h->user;
	case 'u':
		return e->luser;
	default:
		return NULL;
	}
}

char *
transport_control_path(const struct transport_host *h,
    const struct transport_env *e)
{
	const char *s = h->cfg->control_path, *v, *end;
	struct buf b = { 0 };
	char tmp[64], *name;

	if (s == NULL)
		return NULL;
	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		buf_add(&b, e->home, strlen(e->home));
		s++;
	} else if (s[0] == '~')
		return NULL;		/* ~user: not worth a getpwnam here */
	buf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		if (*s == '%') {
			if ((v = token(h, e, s[1], tmp, sizeof(tmp))) == NULL)
				goto fail;
			buf_add(&b, v, strlen(v));
			s++;
		} else if (s[0] == '$' && s[1] == '{' &&
		    (end = strchr(s, '}')) != NULL) {
			name = xstrndup(s + 2, (size_t)(end - s - 2));
			v = getenv(name);
			free(name);
			if (v == NULL)
				goto fail;
			buf_add(&b, v, strlen(v));
			s = end;
		} else
			buf_add(&b, s, 1);
	}
	return b.s;
fail:
	free(b.s);
	return NULL;
}

/* A FIDO key: sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@... */
static int
sk_type(const char *type)
{
	return strncmp(type, "sk-", 3) == 0;
}

/* The identities ssh tries beyond fanscp's defaults: the FIDO ones. */
static const char *const sk_defaults[] = { "id_ecdsa_sk", "id_ed25519_sk" };

static enum transport_reason
why(enum transport_reason r, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum transport_reason
why(enum transport_reason r, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return r;
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ssh loads ID-cert and ID-cert.pub beside each identity, unasked. */
static enum transport_reason
cert_beside(const char *id, const struct transport_env *e, char *buf,
    size_t len)
{
	static const char *const sfx[] = { "-cert.pub", "-cert" };
	enum transport_reason r = TR_NONE;
	size_t i;
	char *p;

	for (i = 0; i < 2 && r == TR_NONE; i++) {
		p = xasprintf("%s%s", id, sfx[i]);
		if (e->exists(p, e->arg))
			r = why(TR_CERT_BESIDE, buf, len, "%s %s beside the "
			    "identity", strchr("aeiou", *base(p)) ? "an" : "a",
			    base(p));
		free(p);
	}
	return r;
}

/* The identity checks: certificates beside them, FIDO keys. */
static enum transport_reason
identities(const struct transport_host *h, const struct transport_env *e,
    char *buf, size_t len)
{
	char type[128], *p;
	enum transport_reason r = TR_NONE;
	size_t i;

	for (i = 0; i < h->nids; i++)
		if ((r = cert_beside(h->ids[i], e, buf, len)) != TR_NONE)
			return r;
	for (i = 0; i < h->nids; i++) {
		e->key_type(h->ids[i], type, sizeof(type), e->arg);
		if (sk_type(type))
			return why(TR_SK_KEY, buf, len, "an sk- key (%s)",
			    base(h->ids[i]));
	}
	for (i = 0; h->ids_default && i < 2 && r == TR_NONE; i++) {
		p = xasprintf("%s/.ssh/%s", e->home, sk_defaults[i]);
		if (e->exists(p, e->arg))
			r = why(TR_SK_KEY, buf, len, "an sk- key (%s)",
			    sk_defaults[i]);
		free(p);
	}
	return r;
}

/* The agent ssh would ask: IdentityAgent, else SSH_AUTH_SOCK; or NULL. */
static const char *
agent_socket(const struct hostcfg *cfg, const struct transport_env *e)
{
	const char *a = cfg->identity_agent;

	if (a == NULL || strcmp(a, "SSH_AUTH_SOCK") == 0)
		a = e->auth_sock;
	if (a == NULL || *a == '\0' || strcmp(a, "none") == 0)
		return NULL;
	return a;
}

enum transport_reason
transport_needs_ssh(const struct transport_host *h,
    const struct transport_env *e, char *buf, size_t len)
{
	const struct hostcfg *cfg = h->cfg;
	enum transport_reason r;
	const char *sock;
	char *cp;

	if (len > 0)
		buf[0] = '\0';
	if (cfg->proxy_command != NULL)
		return why(TR_PROXYCOMMAND, buf, len, "ProxyCommand is set");
	if (cfg->needs_ssh != NULL)
		return why(TR_SSHCONF, buf, len, "%s", cfg->needs_ssh);
	if (cfg->ciphers != NULL || cfg->macs != NULL ||
	    cfg->kex_algorithms != NULL) {
		char lists[ALG_NCLASSES][ALGS_MAX], msg[ALGS_MAX];

		if (algs_host(cfg, e->algs, lists, msg, sizeof(msg)) != 0)
			return why(TR_ALGS, buf, len, "%s", msg);
	}
	/* ssh reuses a master unless it is to be one (yes, ask). */
	if (cfg->control_path != NULL && cfg->control_master != CM_YES &&
	    cfg->control_master != CM_ASK &&
	    (cp = transport_control_path(h, e)) != NULL) {
		r = e->live_socket(cp, e->arg) ? why(TR_CONTROLMASTER, buf,
		    len, "a live ControlMaster at %s", cp) : TR_NONE;
		free(cp);
		if (r != TR_NONE)
			return r;
	}
	if (cfg->certificate_file != NULL)
		return why(TR_CERTIFICATEFILE, buf, len,
		    "CertificateFile is set");
	if ((r = identities(h, e, buf, len)) != TR_NONE)
		return r;
	if (cfg->pkcs11_provider != NULL)
		return why(TR_PKCS11, buf, len, "PKCS11Provider is set");
	if (cfg->identities_only != 1 && e->agent_cert != NULL &&
	    (sock = agent_socket(cfg, e)) != NULL && e->agent_cert(sock, e->arg))
		return why(TR_AGENT_CERT, buf, len, "a certificate in the "
		    "agent at %s", sock);
	/*
	 * Debian's /etc/ssh/ssh_config says GSSAPIAuthentication yes for
	 * every host: only with Kerberos credentials can ssh use it.
	 */
	if (cfg->gssapi_auth == 1 && e->krb5_creds)
		return why(TR_GSSAPI, buf, len, "GSSAPIAuthentication, with "
		    "Kerberos credentials");
	return TR_NONE;
}

/*
 * The real environment.
 */

static int
env_exists(const char *path, void *arg)
{
	struct stat st;

	(void)arg;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
env_live_socket(const char *path, void *arg)
{
	struct sockaddr_un sun;
	int fd, r;

	(void)arg;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	/* A stale socket file refuses: only a listening master accepts. */
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return r;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Does an agent's SSH_AGENT_IDENTITIES_ANSWER (its body, after the length:
 * byte 12, uint32 count, then per key string blob, string comment) hold a
 * certificate: a blob whose key type ends in "-cert-v01@openssh.com"?
 * The reply is untrusted: every length is checked against what is left.
 */
STATIC int
transport_agent_reply_has_cert(const unsigned char *p, size_t len)
{
	static const char suffix[] = "-cert-v01@openssh.com";
	size_t n = sizeof(suffix) - 1, off = 5, bl, tl, cl;
	uint32_t count, i;

	if (len < 5 || p[0] != 12)
		return 0;
	count = get32(p + 1);
	for (i = 0; i < count; i++) {
		if (len - off < 4 || (bl = get32(p + off)) > len - off - 4)
			return 0;
		if (bl >= 4 && (tl = get32(p + off + 4)) <= bl - 4 &&
		    tl >= n && memcmp(p + off + 8 + tl - n, suffix, n) == 0)
			return 1;
		off += 4 + bl;
		if (len - off < 4 || (cl = get32(p + off)) > len - off - 4)
			return 0;
		off += 4 + cl;
	}
	return 0;
}

/* Read exactly len bytes from fd (which has a receive timeout). */
static int
read_full(int fd, unsigned char *p, size_t len)
{
	ssize_t r;

	while (len > 0) {
		if ((r = read(fd, p, len)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * Ask the agent at path for its identities (SSH2_AGENTC_REQUEST_IDENTITIES)
 * and look for a certificate.  An agent that does not answer within a
 * second, or answers nonsense, holds none as far as we can tell.  The
 * answer for the last socket asked is kept: every host asks the same.
 */
static int
env_agent_cert(const char *path, void *arg)
{
	static char last[sizeof(((struct sockaddr_un *)0)->sun_path)];
	static int last_answer;
	static const unsigned char req[] = { 0, 0, 0, 1, 11 };
	struct timeval tv = { 1, 0 };
	struct sockaddr_un sun;
	unsigned char hdr[4], *body = NULL;
	uint32_t blen;
	int fd, r = 0;

	(void)arg;
	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	if (strcmp(last, path) == 0)
		return last_answer;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    write(fd, req, sizeof(req)) == (ssize_t)sizeof(req) &&
	    read_full(fd, hdr, 4) == 0 &&
	    (blen = get32(hdr)) > 0 && blen <= 256 * 1024) {
		body = xmalloc(blen);
		if (read_full(fd, body, blen) == 0)
			r = transport_agent_reply_has_cert(body, blen);
		free(body);
	}
	close(fd);
	snprintf(last, sizeof(last), "%s", path);
	last_answer = r;
	return r;
}

/*
 * The key type in an OpenSSH private key, whose public part is never
 * encrypted: "openssh-key-v1\0", string cipher, string kdf, string
 * kdfoptions, uint32 count, string public key (string type, ...).
 */
STATIC void
transport_private_type(const char *text, size_t len, char *type,
    size_t tlen)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char magic[] = "openssh-key-v1";
	unsigned char *b64 = xmalloc(len + 1), *bin = xmalloc(len + 1);
	const unsigned char *p;
	size_t i, n = 0, off = sizeof(magic);
	int blen, k;
	uint32_t sl;

	type[0] = '\0';
	if (len < sizeof(begin) || memcmp(text, begin, sizeof(begin) - 1))
		goto out;
	for (i = sizeof(begin) - 1; i < len && text[i] != '-'; i++)
		if (text[i] != '\n' && text[i] != '\r')
			b64[n++] = (unsigned char)text[i];
	if ((blen = EVP_DecodeBlock(bin, b64, (int)n)) < (int)off ||
	    memcmp(bin, magic, sizeof(magic)) != 0)
		goto out;
	for (k = 0; k < 3; k++) {	/* cipher, kdf, kdfoptions */
		if ((size_t)blen - off < 4 ||
		    (sl = get32(bin + off)) > (size_t)blen - off - 4)
			goto out;
		off += 4 + sl;
	}
	if ((size_t)blen - off < 12)	/* count, key length, type length */
		goto out;
	p = bin + off + 8;
	sl = get32(p);
	if (sl > (size_t)blen - off - 12 || sl >= tlen)
		goto out;
	memcpy(type, p + 4, sl);
	type[sl] = '\0';
out:
	free(b64);
	free(bin);
}

/* The identity's type: its .pub's first word, else the private key's. */
static void
env_key_type(const char *path, char *type, size_t tlen, void *arg)
{
	char *pub = xasprintf("%s.pub", path), *text;
	size_t len, n;

	(void)arg;
	type[0] = '\0';
	if (util_read_file(pub, &text, &len) == 0) {
		n = strcspn(text, " \t\r\n");
		if (n < tlen) {
			memcpy(type, text, n);
			type[n] = '\0';
		}
		free(text);
	} else if (util_read_file(path, &text, &len) == 0) {
		transport_private_type(text, len, type, tlen);
		free(text);
	}
	free(pub);
}

void
transport_env_init(struct transport_env *e)
{
	static char home[1024], luser[256];
	struct passwd *pw = getpwuid(getuid());
	const char *cc = getenv("KRB5CCNAME");
	char *p;

	memset(e, 0, sizeof(e[0]));
	snprintf(home, sizeof(home), "%s", getenv("HOME") ? getenv("HOME") :
	    pw ? pw->pw_dir : "/");
	snprintf(luser, sizeof(luser), "%s", pw ? pw->pw_name :
	    getenv("USER") ? getenv("USER") : "");
	e->home = home;
	e->luser = luser;
	if (gethostname(e->lhost, sizeof(e->lhost)) == -1)
		e->lhost[0] = '\0';
	e->lhost[sizeof(e->lhost) - 1] = '\0';
	e->uid = (unsigned long)getuid();
	e->exists = env_exists;
	e->live_socket = env_live_socket;
	e->key_type = env_key_type;
	e->auth_sock = getenv("SSH_AUTH_SOCK");
	e->agent_cert = env_agent_cert;
	/* A named cache (KEYRING:, KCM:, FILE:), or the default file one. */
	p = xasprintf("/tmp/krb5cc_%lu", e->uid);
	e->krb5_creds = (cc != NULL && *cc != '\0') || env_exists(p, NULL);
	free(p);
}
