/*
 * One host's SSH connection up to a logged-in session, as a state machine
 * (see conn.h).  Each state has one handler that returns ST_NEXT (it moved
 * on), ST_WAIT (libssh2 or the socket would block: wait for c->want) or
 * ST_FAIL (the host's error is noted).  libssh2's EAGAIN contract is kept
 * by construction: a handler that got EAGAIN is the next code to touch
 * the session, and it repeats the same call with the same arguments.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>

#include "algs.h"
#include "auth.h"
#include "conn.h"
#include "fmt.h"
#include "host.h"
#include "job.h"
#include "kexinit.h"
#include "knownhosts.h"
#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "sshcmd.h"
#include "sshconf.h"
#include "transport.h"
#include "tunnel.h"
#include "xmalloc.h"

#define CONN_STATES(X)							\
	X(RESOLVE)	/* the name, off the loop (resolve.h) */	\
	X(CONNECT)	/* non-blocking TCP connect */			\
	X(HANDSHAKE)	/* SSH banner and key exchange */		\
	X(HOSTKEY)	/* known_hosts check, before any auth */	\
	X(AUTH)		/* agent, then identity files */		\
	X(READY)	/* logged in */					\
	X(FAILED)

#define CONN_ENUM(name)	CS_##name,
#define CONN_NAME(name)	#name,
enum conn_state { CONN_STATES(CONN_ENUM) };
static const char *const conn_names[] = { CONN_STATES(CONN_NAME) };

enum st_result { ST_NEXT, ST_WAIT, ST_FAIL };

struct conn {
	enum conn_state	 st;
	const struct job *job;
	struct host	*host;
	struct hostcfg	 cfg;
	char		*hostname;	/* to connect to and check keys for */
	char		*user;
	int		 port;
	struct addrinfo	*ai;		/* all addresses, and the one tried */
	struct addrinfo	*ai_cur;
	struct resolve	*rq;		/* the name being resolved */
	char		 connect_err[128];
	int		 fd;
	int		 want;		/* LOOP_READ and/or LOOP_WRITE */
	LIBSSH2_SESSION	*ssh;
	struct auth	*auth;
	char		 bye[160];	/* the server's disconnect message */
	/*
	 * The handshake's bytes each way, until each side's KEXINIT is seen,
	 * through libssh2's own I/O functions (see conn_tap_recv).
	 */
	struct kexinit_tap tap_in, tap_out;
	LIBSSH2_RECV_FUNC((*recv0));
	LIBSSH2_SEND_FUNC((*send0));
	int		 nomatch;	/* enum kex_class without a match, or -1 */
	/* What ssh would do here that libssh2 cannot (transport.h). */
	enum transport_reason ssh_why;
	char		 ssh_only[160];
	/* Through jump hosts (tunnel.h): the ProxyJump to go through. */
	char		*jump;
	int		 hop;		/* this is a jump host's connection */
	struct tunnels	*tunnels;	/* the engine's, to open chan in */
	struct tchan	*chan;		/* the channel our socket is on */
};

typedef enum st_result st_handler(struct conn *);

/*
 * What connections share in the job (the parsed ssh_config, the known_hosts
 * cache and its appends) and the libc calls behind it (getpwuid) are not
 * made for threads: the connections of every engine take this lock around
 * them, for a moment each.
 */
static pthread_mutex_t conn_shared = PTHREAD_MUTEX_INITIALIZER;

/* Every transition passes here, and is logged. */
static void
conn_set_state(struct conn *c, enum conn_state st)
{
	hlog(LOG_DEBUG, c->host->name, "%s -> %s", conn_names[c->st],
	    conn_names[st]);
	c->st = st;
}

/* The kind of a failure met in the current state. */
static enum host_err
conn_err_kind(const struct conn *c)
{
	switch (c->st) {
	case CS_RESOLVE:
	case CS_CONNECT:
		return ERR_CONNECT;
	case CS_HANDSHAKE:
		return ERR_SSH;
	case CS_HOSTKEY:
		return ERR_HOSTKEY;
	default:
		return ERR_AUTH;
	}
}

static enum st_result
conn_fail(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum st_result
conn_fail(struct conn *c, const char *fmt, ...)
{
	char msg[sizeof(c->host->err)];
	enum host_err kind;
	const char *why;
	va_list ap;

	/* What the tunnel saw comes first: the socket only read EOF. */
	if (c->chan != NULL && (why = tchan_error(c->chan, &kind)) != NULL) {
		host_fail(c->host, kind, "%s", why);
		return ST_FAIL;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host_fail(c->host, conn_err_kind(c), "%s", msg);
	return ST_FAIL;
}

/* libssh2's last error on the session, for messages. */
static const char *
conn_ssh_msg(struct conn *c)
{
	char *msg = NULL;

	if (c->ssh == NULL ||
	    libssh2_session_last_error(c->ssh, &msg, NULL, 0) == 0 ||
	    msg == NULL)
		return "unknown error";
	return msg;
}


/* Fail with a message for libssh2 code rc, met while doing what. */
static enum st_result
conn_fail_ssh(struct conn *c, int rc, const char *what)
{
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
		if (c->bye[0] != '\0')
			return conn_fail(c, "the server disconnected during "
			    "%s: \"%s\"", what, c->bye);
		return conn_fail(c, "connection closed by remote host "
		    "during %s", what);
	case LIBSSH2_ERROR_TIMEOUT:
		return conn_fail(c, "timed out during %s", what);
	default:
		return conn_fail(c, "%s failed: %s", what, conn_ssh_msg(c));
	}
}

/* libssh2 would block: wait for the directions it names. */
static enum st_result
conn_wait_ssh(struct conn *c)
{
	int dir = libssh2_session_block_directions(c->ssh);

	c->want = dir & LIBSSH2_SESSION_BLOCK_OUTBOUND ? LOOP_WRITE :
	    LOOP_READ;
	return ST_WAIT;
}

/* Classify a libssh2 return: 0 → next, EAGAIN → wait, else fail. */
static enum st_result
conn_rc(struct conn *c, int rc, const char *what)
{
	if (rc == 0)
		return ST_NEXT;
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return conn_wait_ssh(c);
	return conn_fail_ssh(c, rc, what);
}

static void
conn_close_fd(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * Resolve the name once; the address list is walked on failures.  A
 * numeric address is taken at once; a name is resolved by a thread of its
 * own (resolve.h), so that a slow DNS stalls no other session of this
 * loop, and the connection waits for its eventfd meanwhile.
 */
static enum st_result
conn_resolve(struct conn *c)
{
	struct addrinfo hints, numeric;
	char port[16];
	int r;

	if (c->rq != NULL) {
		if (!resolve_take(c->rq, &r, &c->ai)) {
			c->want = LOOP_READ;
			return ST_WAIT;
		}
		resolve_drop(c->rq);
		c->rq = NULL;
	} else if (c->jump != NULL) {
		/* The bastion resolves and connects: as ssh -W does. */
		if (c->tunnels == NULL)
			return conn_fail(c, "ProxyJump %s: no tunnel here",
			    c->jump);
		c->chan = tunnels_open(c->tunnels, c->jump, c->hostname,
		    c->port, c->host->name, c->host);
		c->fd = tchan_take_fd(c->chan);
		if (c->fd < 0)
			return conn_fail(c, "ProxyJump %s: cannot open a "
			    "channel", c->jump);
		conn_set_state(c, CS_HANDSHAKE);
		return ST_NEXT;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = c->job->family ? c->job->family :
		    c->cfg.address_family >= 0 ? c->cfg.address_family :
		    AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		snprintf(port, sizeof(port), "%d", c->port);
		numeric = hints;
		numeric.ai_flags |= AI_NUMERICHOST;
		r = getaddrinfo(c->hostname, port, &numeric, &c->ai);
		if (r == EAI_NONAME) {
			if ((c->rq = resolve_start(c->hostname, port,
			    &hints)) != NULL) {
				c->want = LOOP_READ;
				return ST_WAIT;
			}
			/* No thread to be had: resolve in place. */
			r = getaddrinfo(c->hostname, port, &hints, &c->ai);
		}
	}
	if (r != 0) {
		c->ai = NULL;
		return conn_fail(c, "cannot resolve '%s': %s", c->hostname,
		    gai_strerror(r));
	}
	c->ai_cur = c->ai;
	conn_set_state(c, CS_CONNECT);
	return ST_NEXT;
}

static void
conn_lower(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Note why the current address failed, and move to the next. */
static void
conn_next_addr(struct conn *c, int err)
{
	char addr[NI_MAXHOST] = "?";

	getnameinfo(c->ai_cur->ai_addr, c->ai_cur->ai_addrlen, addr,
	    sizeof(addr), NULL, 0, NI_NUMERICHOST);
	if (c->connect_err[0] == '\0') {
		conn_lower(c->connect_err, strerror(err),
		    sizeof(c->connect_err));
		snprintf(c->connect_err + strlen(c->connect_err),
		    sizeof(c->connect_err) - strlen(c->connect_err),
		    " (%s port %d)", addr, c->port);
	}
	conn_close_fd(c);
	c->ai_cur = c->ai_cur->ai_next;
}

static void
conn_sockopts(struct conn *c)
{
	int one = 1;
	unsigned int tmo = 1000U * (unsigned)c->job->stall_timeout;

	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* A peer that stops acknowledging fails the socket, not the run. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &tmo, sizeof(tmo));
}

static enum st_result
conn_connect(struct conn *c)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (c->fd >= 0) {
		/* Woken for writability: did the connect finish? */
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0) {
			conn_sockopts(c);
			conn_set_state(c, CS_HANDSHAKE);
			return ST_NEXT;
		}
		conn_next_addr(c, err);
	}
	for (; c->ai_cur != NULL; conn_next_addr(c, errno)) {
		struct addrinfo *a = c->ai_cur;

		c->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, a->ai_protocol);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->want = LOOP_WRITE;
			return ST_WAIT;
		}
	}
	return conn_fail(c, "%s", c->connect_err[0] ? c->connect_err :
	    "no address to connect to");
}

/* The server said goodbye (SSH_MSG_DISCONNECT): keep what it said. */
static
LIBSSH2_DISCONNECT_FUNC(conn_on_disconnect)
{
	struct conn *c = *abstract;

	(void)session;
	(void)reason;
	(void)language;
	(void)language_len;
	if (message_len < 0)
		message_len = 0;
	fmt_clean(c->bye, sizeof(c->bye), message, (size_t)message_len);
}

/* Where and how known_hosts is consulted for c (name: its HostName). */
static void
conn_kh_lookup(const struct conn *c, const char *name, struct kh_lookup *l)
{
	const struct hostcfg *hc = &c->cfg;

	memset(l, 0, sizeof(*l));
	l->host = name;
	l->port = c->port;
	l->alias = hc->host_key_alias;
	l->algorithms = hc->host_key_algorithms;
	l->user_files = hc->user_known_hosts;
	l->n_user = hc->n_user_known_hosts;
	l->global_files = hc->global_known_hosts;
	l->n_global = hc->n_global_known_hosts;
	l->command = hc->known_hosts_command;
	l->revoked_files = hc->revoked_host_keys;
	l->n_revoked = hc->n_revoked_host_keys;
	l->policy = hc->strict == SHK_UNSET ? SHK_YES :
	    (enum stricthk)hc->strict;
	l->hash = hc->hash_known_hosts == 1;
}

/*
 * The host key algorithms to offer: the types known_hosts holds for this
 * host first, as ssh does, then OpenSSH's order (ed25519 before ECDSA,
 * where libssh2 has it the other way round), less those HostKeyAlgorithms
 * excludes.  Certificates are left out.
 */
static void
conn_hostkey_pref(struct conn *c, char *buf, size_t len)
{
	static const char *const order[] = { "ssh-ed25519",
	    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp521", "ssh-rsa" };
	struct kh_lookup l;
	char name[256], known[256];
	size_t i, o;

	conn_lower(name, c->hostname, sizeof(name));
	conn_kh_lookup(c, name, &l);
	pthread_mutex_lock(&conn_shared);
	knownhosts_types(c->job->kh, &l, known, sizeof(known));
	pthread_mutex_unlock(&conn_shared);
	o = (size_t)snprintf(buf, len, "%s", known);
	for (i = 0; i < sizeof(order) / sizeof(order[0]) && o < len; i++) {
		size_t n = strlen(order[i]);
		const char *p = strstr(known, order[i]);

		if ((p != NULL && (p[n] == ',' || p[n] == '\0')) ||
		    !knownhosts_type_allowed(l.algorithms, order[i]))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
		    order[i]);
	}
}

/*
 * libssh2 1.10 says only "Unable to exchange encryption keys" when the
 * server and it have no algorithm of a class in common, and keeps the
 * server's offer to itself.  Its I/O goes through these two callbacks
 * (the agent's too: only the session's socket is tapped), which see the
 * wire as it is; up to NEWKEYS that is plain text, and both KEXINITs come
 * before it.  They hand the bytes to libssh2's own functions unchanged.
 */
static
LIBSSH2_RECV_FUNC(conn_tap_recv)
{
	struct conn *c = *abstract;
	ssize_t n = c->recv0(socket, buffer, length, flags, abstract);

	if (n > 0 && socket == c->fd)
		kexinit_tap_feed(&c->tap_in, buffer, (size_t)n);
	return n;
}

static
LIBSSH2_SEND_FUNC(conn_tap_send)
{
	struct conn *c = *abstract;
	ssize_t n = c->send0(socket, buffer, length, flags, abstract);

	if (n > 0 && socket == c->fd)
		kexinit_tap_feed(&c->tap_out, buffer, (size_t)n);
	return n;
}

static void
conn_tap_start(struct conn *c)
{
	*(void **)&c->recv0 = libssh2_session_callback_set(c->ssh,
	    LIBSSH2_CALLBACK_RECV, (void *)conn_tap_recv);
	*(void **)&c->send0 = libssh2_session_callback_set(c->ssh,
	    LIBSSH2_CALLBACK_SEND, (void *)conn_tap_send);
}

/* The key exchange is over: libssh2's own I/O again, the taps freed. */
static void
conn_tap_stop(struct conn *c)
{
	if (c->ssh != NULL && c->recv0 != NULL) {
		libssh2_session_callback_set(c->ssh, LIBSSH2_CALLBACK_RECV,
		    *(void **)&c->recv0);
		libssh2_session_callback_set(c->ssh, LIBSSH2_CALLBACK_SEND,
		    *(void **)&c->send0);
	}
	c->recv0 = NULL;
	c->send0 = NULL;
	kexinit_tap_release(&c->tap_in);
	kexinit_tap_release(&c->tap_out);
}

/*
 * A failed handshake whose two KEXINITs have a class with no name in
 * common failed for that reason: say it as ssh does, with the server's
 * offer.  Returns ST_FAIL then, else ST_NEXT (the caller says what else).
 */
static enum st_result
conn_nomatch(struct conn *c)
{
	char msg[sizeof(c->host->err)];

	if (c->tap_in.state != TAP_DONE || c->tap_out.state != TAP_DONE)
		return ST_NEXT;
	c->nomatch = kexinit_mismatch(&c->tap_out.kex, &c->tap_in.kex,
	    "libssh2", msg, sizeof(msg));
	if (c->nomatch < 0)
		return ST_NEXT;
	return conn_fail(c, "%s", msg);
}

/*
 * Ciphers, MACs and KexAlgorithms, where set: OpenSSH's reading of them,
 * held to libssh2's names (algs.h); conn_configure() or, under auto,
 * transport_needs_ssh() made sure each leaves some.
 */
static void
conn_algs_pref(struct conn *c)
{
	static const int methods[ALG_NCLASSES][2] = {
		[ALG_CIPHER] = { LIBSSH2_METHOD_CRYPT_CS,
		    LIBSSH2_METHOD_CRYPT_SC },
		[ALG_MAC] = { LIBSSH2_METHOD_MAC_CS, LIBSSH2_METHOD_MAC_SC },
		[ALG_KEX] = { LIBSSH2_METHOD_KEX, -1 },
	};
	char lists[ALG_NCLASSES][ALGS_MAX], why[2 * ALGS_MAX];
	int k, d;

	if (algs_host(&c->cfg, NULL, lists, why, sizeof(why)) != 0)
		return;
	for (k = 0; k < ALG_NCLASSES; k++) {
		if (lists[k][0] == '\0')
			continue;
		debug("%s: %s %s", c->host->name,
		    algs_keyword((enum alg_class)k), lists[k]);
		for (d = 0; d < 2 && methods[k][d] >= 0; d++)
			libssh2_session_method_pref(c->ssh, methods[k][d],
			    lists[k]);
	}
}

static const char *
conn_method(struct conn *c, int type)
{
	const char *m = libssh2_session_methods(c->ssh, type);

	return m != NULL ? m : "?";
}

static enum st_result
conn_handshake(struct conn *c)
{
	char pref[512];
	enum st_result r;
	int rc;

	if (c->ssh == NULL) {
		c->ssh = libssh2_session_init_ex(NULL, NULL, NULL, c);
		if (c->ssh == NULL)
			return conn_fail(c, "cannot create an SSH session");
		libssh2_session_set_blocking(c->ssh, 0);
		/* Compression yes (or -C): zlib, as ssh offers it. */
		if (c->cfg.compression == 1)
			libssh2_session_flag(c->ssh, LIBSSH2_FLAG_COMPRESS, 1);
		libssh2_session_callback_set(c->ssh,
		    LIBSSH2_CALLBACK_DISCONNECT, (void *)conn_on_disconnect);
		conn_hostkey_pref(c, pref, sizeof(pref));
		debug("%s: host key algorithms %s", c->host->name, pref);
		libssh2_session_method_pref(c->ssh, LIBSSH2_METHOD_HOSTKEY,
		    pref);
		conn_algs_pref(c);
		conn_tap_start(c);
	}
	rc = libssh2_session_handshake(c->ssh, c->fd);
	if (rc != 0 && rc != LIBSSH2_ERROR_EAGAIN &&
	    conn_nomatch(c) == ST_FAIL)
		return ST_FAIL;
	r = conn_rc(c, rc, "SSH handshake");
	if (r == ST_NEXT) {
		conn_tap_stop(c);
		/* What was chosen, at -vv: Ciphers and the like apply. */
		debug("%s: kex %s, cipher %s, mac %s", c->host->name,
		    conn_method(c, LIBSSH2_METHOD_KEX),
		    conn_method(c, LIBSSH2_METHOD_CRYPT_CS),
		    conn_method(c, LIBSSH2_METHOD_MAC_CS));
		conn_set_state(c, CS_HOSTKEY);
	}
	return r;
}

static enum st_result
conn_hostkey(struct conn *c)
{
	struct kh_lookup l;
	char err[512], name[256];
	const char *blob;
	size_t len;
	int type;
	enum kh_result r;

	blob = libssh2_session_hostkey(c->ssh, &len, &type);
	if (blob == NULL)
		return conn_fail(c, "server sent no host key");
	conn_lower(name, c->hostname, sizeof(name));
	conn_kh_lookup(c, name, &l);
	pthread_mutex_lock(&conn_shared);
	r = knownhosts_check(c->job->kh, &l, (const unsigned char *)blob, len,
	    err, sizeof(err));
	pthread_mutex_unlock(&conn_shared);
	if (r != KH_MATCH && r != KH_ADDED)
		return conn_fail(c, "%s", err);
	if (r == KH_ADDED)
		hlog(LOG_VERBOSE, c->host->name, "host key added to "
		    "known_hosts");
	conn_set_state(c, CS_AUTH);
	return ST_NEXT;
}

/* Would ssh log in by a way libssh2 lacks (a certificate, a token)? */
static int
conn_ssh_login(const struct conn *c)
{
	switch (c->ssh_why) {
	case TR_CERTIFICATEFILE:
	case TR_CERT_BESIDE:
	case TR_PKCS11:
	case TR_SK_KEY:
	case TR_GSSAPI:
		return 1;
	default:
		return 0;
	}
}

static enum st_result
conn_auth(struct conn *c)
{
	char err[512];

	switch (auth_step(c->auth, c->ssh, err, sizeof(err))) {
	case AUTH_OK:
		conn_set_state(c, CS_READY);
		return ST_NEXT;
	case AUTH_AGAIN:
		return conn_wait_ssh(c);
	default:
		if (c->bye[0] != '\0')
			return conn_fail(c, "permission denied: the server "
			    "disconnected (\"%s\"); too many keys offered? "
			    "See MaxAuthTries, IdentitiesOnly", c->bye);
		if (conn_ssh_login(c))
			return conn_fail(c, "%s (ssh would log in with what "
			    "libssh2 1.10 cannot: %s)", err, c->ssh_only);
		return conn_fail(c, "%s", err);
	}
}


/*
 * The user name to log in as: what the configuration resolved (-o User,
 * then user@, then User), else the local user.
 */
static char *
conn_user(const struct hostcfg *c)
{
	struct passwd *pw;

	if (c->user != NULL)
		return xstrdup(c->user);
	if ((pw = getpwuid(getuid())) != NULL)
		return xstrdup(pw->pw_name);
	return xstrdup(getenv("USER") ? getenv("USER") : "root");
}

/* The identity files in order: -i, IdentityFile, else the defaults. */
static char **
conn_identities(const struct job *job, const struct hostcfg *c, size_t *n)
{
	/*
	 * OpenSSH tries id_rsa first; libssh2 1.10 signs RSA with SHA-1 only,
	 * which OpenSSH 8.8 and later refuse, so it goes last here instead of
	 * costing an attempt against MaxAuthTries on every modern server.
	 */
	static const char *const defaults[] = { "id_ed25519", "id_ecdsa",
	    "id_rsa" };
	const char *home = getenv("HOME");
	char **v = xcalloc(job->n_identities + c->n_identity_files + 3,
	    sizeof(*v));
	size_t i, k = 0;

	for (i = 0; i < job->n_identities; i++)
		v[k++] = job->identities[i];
	for (i = 0; i < c->n_identity_files; i++)
		v[k++] = c->identity_files[i];
	if (k == 0 && home != NULL)
		for (i = 0; i < 3; i++)
			v[k++] = xasprintf("%s/.ssh/%s", home, defaults[i]);
	*n = k;
	return v;
}


/*
 * The port: the target's, else -P, else ssh_config's, else 22.  -P is the
 * targets' alone: a jump host has its own, or its config's.
 */
static int
conn_port(const struct job *job, const struct host *h,
    const struct hostcfg *cfg, int hop)
{
	return h->t.port ? h->t.port : job->port && !hop ? job->port :
	    cfg->port > 0 ? cfg->port : 22;
}

/*
 * The ProxyJump a connection goes through.  A jump host's own ProxyJump
 * is followed too, unless it names the jump host itself (ssh would loop
 * until it ran out of descriptors).
 */
static void
conn_choose_jump(struct conn *c, const struct jump_hop *hops, int n)
{
	int i;

	if (c->jump != NULL)
		return;
	for (i = 0; c->hop && i < n; i++)
		if (strcmp(hops[i].host, c->host->t.host) == 0)
			return;
	c->jump = xstrdup(c->cfg.proxy_jump);
}

/*
 * Whether ssh would do something here that libssh2 cannot, and why: said
 * at -v, and beside a refused login.  (--transport auto will hand such a
 * host to ssh; see transport.h.)  Called with conn_shared held.
 */
static void
conn_transport_note(struct conn *c, char *const *ids, size_t nids,
    int ids_default)
{
	static struct transport_env env;
	static int env_ready;
	struct transport_host th;

	if (!env_ready) {
		transport_env_init(&env);
		env_ready = 1;
	}
	memset(&th, 0, sizeof(th));
	th.cfg = &c->cfg;
	th.alias = c->host->t.host;
	th.hostname = c->hostname;
	th.user = c->user;
	th.port = c->port;
	th.ids = ids;
	th.nids = nids;
	th.ids_default = ids_default;
	c->ssh_why = transport_needs_ssh(&th, &env, c->ssh_only,
	    sizeof(c->ssh_only));
	/* Under auto, sshlink.c says "using ssh" instead. */
	if (c->ssh_why != TR_NONE &&
	    c->job->transport == JOB_TRANSPORT_LIBSSH2)
		hlog(LOG_VERBOSE, c->host->name, "ssh would do what libssh2 "
		    "1.10 cannot here: %s", c->ssh_only);
}

/*
 * Does a @cert-authority line name the host?  It presents a certificate
 * then, which libssh2 1.10 cannot check.  (Under conn_shared, as the
 * known_hosts cache is.)
 */
static int
conn_host_ca(const struct conn *c)
{
	struct kh_lookup l;
	char name[256];

	conn_lower(name, c->hostname, sizeof(name));
	conn_kh_lookup(c, name, &l);
	return knownhosts_has_ca(c->job->kh, &l);
}

/* Resolve the host's settings; returns -1 with the host failed. */
static int
conn_configure(struct conn *c)
{
	const struct job *job = c->job;
	char err[2 * ALGS_MAX], **ids;
	char algs[ALG_NCLASSES][ALGS_MAX];
	size_t nids, i;

	if ((c->hop ? sshconf_resolve_hop : sshconf_resolve)(job->conf,
	    c->host->t.host, c->host->t.user, &c->cfg, err,
	    sizeof(err)) != 0) {
		host_fail(c->host, ERR_CONFIG, "%s", err);
		return -1;
	}
	/* ssh can: --transport auto hands the host to it (sshlink.c). */
	if (c->cfg.proxy_command != NULL &&
	    job->transport == JOB_TRANSPORT_LIBSSH2) {
		host_fail(c->host, ERR_CONFIG, "ProxyCommand needs ssh: "
		    "--transport auto or ssh");
		return -1;
	}
	if (c->cfg.proxy_jump != NULL) {
		struct jump_hop *hops;
		int n;

		if ((n = jump_parse(c->cfg.proxy_jump, &hops, err,
		    sizeof(err))) < 0) {
			host_fail(c->host, ERR_CONFIG, "ProxyJump: %s", err);
			return -1;
		}
		conn_choose_jump(c, hops, n);
		jump_hops_free(hops, n);
	}
	if (c->cfg.needs_ssh != NULL &&
	    job->transport == JOB_TRANSPORT_LIBSSH2) {
		host_fail(c->host, ERR_CONFIG, "%s: only ssh honours it: "
		    "--transport auto or ssh", c->cfg.needs_ssh);
		return -1;
	}
	/* Ciphers, MACs, KexAlgorithms: libssh2 must have some of each. */
	if (job->transport == JOB_TRANSPORT_LIBSSH2 &&
	    algs_host(&c->cfg, NULL, algs, err, sizeof(err)) != 0) {
		host_fail(c->host, ERR_CONFIG, "%s: only ssh can: --transport "
		    "auto or ssh", err);
		return -1;
	}
	/* We never call libssh2_channel_request_auth_agent(). */
	if (c->cfg.forward_agent == 1)
		hlog(LOG_VERBOSE, c->host->name, "ForwardAgent ignored: "
		    "libssh2 1.10 cannot serve the agent channel");
	c->hostname = xstrdup(c->cfg.hostname ? c->cfg.hostname :
	    c->host->t.host);
	c->user = conn_user(&c->cfg);
	c->port = conn_port(job, c->host, &c->cfg, c->hop);
	/* For the report: the target as given stays in host->t. */
	free(c->host->hostname);
	c->host->hostname = xstrdup(c->hostname);
	c->host->port = c->port;
	free(c->host->jump);
	c->host->jump = c->jump != NULL ? xstrdup(c->jump) : NULL;
	ids = conn_identities(job, &c->cfg, &nids);
	conn_transport_note(c, ids, nids,
	    job->n_identities + c->cfg.n_identity_files == 0);
	if (c->ssh_why == TR_NONE && conn_host_ca(c)) {
		c->ssh_why = TR_CERT_AUTHORITY;
		snprintf(c->ssh_only, sizeof(c->ssh_only), "a @cert-authority "
		    "line in known_hosts names the host");
	}
	c->auth = auth_new(c->user, ids, nids, c->cfg.identities_only == 1,
	    c->cfg.identity_agent);
	auth_set_host(c->auth, c->host->name);
	for (i = job->n_identities + c->cfg.n_identity_files; i < nids; i++)
		free(ids[i]);
	free(ids);
	return 0;
}


char *
conn_endpoint(const struct job *job, const struct host *h)
{
	struct hostcfg cfg;
	char err[512], *ep = NULL;

	memset(&cfg, 0, sizeof(cfg));
	pthread_mutex_lock(&conn_shared);
	if (sshconf_resolve(job->conf, h->t.host, h->t.user, &cfg, err,
	    sizeof(err)) == 0) {
		ep = xasprintf("%s port %d", cfg.hostname ? cfg.hostname :
		    h->t.host, conn_port(job, h, &cfg, 0));
		conn_lower(ep, ep, strlen(ep) + 1);
	}
	pthread_mutex_unlock(&conn_shared);
	hostcfg_release(&cfg);
	return ep;
}

static st_handler *const handlers[] = {
	[CS_RESOLVE] = conn_resolve,
	[CS_CONNECT] = conn_connect,
	[CS_HANDSHAKE] = conn_handshake,
	[CS_HOSTKEY] = conn_hostkey,
	[CS_AUTH] = conn_auth,
};

enum conn_result
conn_step(struct conn *c)
{
	enum st_result r;

	while (c->st < CS_READY) {
		r = handlers[c->st](c);
		if (r == ST_WAIT)
			return CONN_WAIT;
		if (r == ST_FAIL) {
			conn_set_state(c, CS_FAILED);
			conn_shutdown(c);
			conn_teardown(c);
		}
	}
	return c->st == CS_READY ? CONN_READY : CONN_FAILED;
}

static struct conn *
conn_make(const struct job *job, struct host *host, int hop, const char *jump)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int r;

	c->hop = hop;
	c->jump = jump != NULL ? xstrdup(jump) : NULL;
	c->job = job;
	c->host = host;
	c->fd = -1;
	c->st = CS_RESOLVE;
	c->nomatch = -1;
	c->cfg.strict = SHK_UNSET;
	pthread_mutex_lock(&conn_shared);
	r = conn_configure(c);
	pthread_mutex_unlock(&conn_shared);
	if (r != 0)
		c->st = CS_FAILED;
	return c;
}

struct conn *
conn_new(const struct job *job, struct host *host)
{
	return conn_make(job, host, 0, NULL);
}

struct conn *
conn_new_hop(const struct job *job, struct host *host, const char *jump)
{
	return conn_make(job, host, 1, jump);
}

void
conn_set_tunnels(struct conn *c, struct tunnels *t)
{
	c->tunnels = t;
}

const char *
conn_jump(const struct conn *c)
{
	return c->jump;
}

const char *
conn_login(const struct conn *c)
{
	return c->user;
}

const char *
conn_via_error(const struct conn *c)
{
	enum host_err kind;

	return c->chan != NULL ? tchan_error(c->chan, &kind) : NULL;
}

int
conn_fd(const struct conn *c)
{
	return c->rq != NULL ? resolve_fd(c->rq) : c->fd;
}

int
conn_events(const struct conn *c)
{
	return c->want;
}

LIBSSH2_SESSION *
conn_ssh(const struct conn *c)
{
	return c->st == CS_READY ? c->ssh : NULL;
}

int
conn_connect_timeout(const struct conn *c)
{
	return c->job->connect_timeout > 0 ? c->job->connect_timeout :
	    c->cfg.connect_timeout > 0 ? c->cfg.connect_timeout :
	    JOB_CONNECT_TIMEOUT;
}

int
conn_connecting(const struct conn *c)
{
	return c->st == CS_RESOLVE || c->st == CS_CONNECT;
}

int
conn_needs_ssh(const struct conn *c, const char **why)
{
	if (why != NULL)
		*why = c->ssh_only;
	return c->ssh_why;
}

void
conn_sshcmd(const struct conn *c, struct sshcmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->port = c->port;
	cmd->user = c->user;
	cmd->strict = c->cfg.strict == SHK_UNSET ? SHK_YES :
	    (enum stricthk)c->cfg.strict;
	cmd->host_key_alias = c->cfg.host_key_alias;
	cmd->connect_timeout = conn_connect_timeout(c);
}

int
conn_nomatch_class(const struct conn *c)
{
	return c->nomatch;
}

const char *
conn_bye(const struct conn *c)
{
	return c->bye;
}

const char *
conn_state_name(const struct conn *c)
{
	return conn_names[c->st];
}

void
conn_shutdown(struct conn *c)
{
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

void
conn_teardown(struct conn *c)
{
	/* The agent belongs to the session: free it first. */
	auth_free(c->auth);
	c->auth = NULL;
	conn_tap_stop(c);
	if (c->ssh != NULL)
		libssh2_session_free(c->ssh);
	c->ssh = NULL;
	conn_close_fd(c);
	/* A name still being resolved: its thread lets go of it. */
	resolve_drop(c->rq);
	c->rq = NULL;
	c->want = 0;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_shutdown(c);
	conn_teardown(c);
	hostcfg_release(&c->cfg);
	if (c->ai != NULL)
		freeaddrinfo(c->ai);
	free(c->hostname);
	free(c->user);
	free(c->jump);
	tchan_release(c->chan);
	free(c);
}
