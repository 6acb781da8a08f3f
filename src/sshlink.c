/*
 * A host's private ControlMaster, and --transport auto's choice (see
 * sshlink.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "conn.h"
#include "host.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "remote.h"
#include "sshcmd.h"
#include "sshlink.h"
#include "strmap.h"
#include "transport.h"
#include "util.h"
#include "xmalloc.h"

/* The master's session: a first line once logged in, then wait for EOF. */
#define LINK_UP		"fanscp-up"
#define LINK_CMD	"echo " LINK_UP "; exec cat >/dev/null"
/* How often its exit is looked for, and how long it is given to exit. */
#define LINK_REAP_MS	10
#define LINK_CLOSE_MS	3000

enum link_state { LS_START, LS_LOGIN, LS_UP, LS_CLOSING, LS_DONE };

struct sshlink {
	enum link_state	 st;
	struct host	*host;
	struct sshcmd	 cmd;		/* the settings every child shares */
	char		*user;		/* cmd's strings, owned */
	char		*alias;
	char		 dir[64];	/* the 0700 directory, or "" */
	char		 sock[80];	/* the control socket in it */
	struct child	 master;
	int		 spawned;	/* master.pid was ours */
	int		 out_eof;
	int		 err_eof;
	char		 out[128];	/* the end of its stdout */
	size_t		 outlen;
	char		 err[2048];	/* the end of its stderr */
	size_t		 errlen;
	char		*l2msg;		/* libssh2's failure, after a fallback */
	char		*jump;		/* cmd.proxy_jump, owned */
	char		*proxy;		/* cmd.proxy_command, owned */
	char		*via;		/* the jump host(s), for messages */
	int		 user_mux;	/* steps through the user's own live
					   master: none of ours */
	int64_t		 close_by;	/* ms: kill it after this */
};

/* Servers libssh2 found no algorithm in common with, for the run. */
static pthread_mutex_t link_mu = PTHREAD_MUTEX_INITIALIZER;
static struct strmap *link_nomatch;
static pthread_once_t link_once = PTHREAD_ONCE_INIT;
static int link_version;

/* ssh's version, once a run, for the options that newer ones know. */
static void
link_read_version(void)
{
	char line[256];
	FILE *f;

	if ((f = popen("ssh -V 2>&1", "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL)
		link_version = sshcmd_version(line);
	pclose(f);
}

/* Is ep remembered (NULL: is any server)? */
static int
link_remembered(const char *ep)
{
	int r;

	pthread_mutex_lock(&link_mu);
	r = link_nomatch != NULL && (ep == NULL ||
	    strmap_get(link_nomatch, ep) > 0);
	pthread_mutex_unlock(&link_mu);
	return r;
}

static void
link_remember(const char *ep)
{
	pthread_mutex_lock(&link_mu);
	if (link_nomatch == NULL)
		link_nomatch = strmap_new();
	(*strmap_slot(link_nomatch, ep))++;
	pthread_mutex_unlock(&link_mu);
}

struct sshlink *
sshlink_new(const struct sshcmd *base, struct host *h)
{
	struct sshlink *l = xcalloc(1, sizeof(*l));

	pthread_once(&link_once, link_read_version);
	l->host = h;
	l->master.in = l->master.out = l->master.err = -1;
	l->cmd = *base;
	l->user = base->user ? xstrdup(base->user) : NULL;
	l->alias = base->host_key_alias ? xstrdup(base->host_key_alias) :
	    NULL;
	l->cmd.user = l->user;
	l->cmd.host_key_alias = l->alias;
	if (l->cmd.program == NULL)
		l->cmd.program = "ssh";
	l->cmd.version = link_version;
	return l;
}

/* The link for h: what fanscp was given, and what it resolved. */
static struct sshlink *
link_new(const struct job *job, struct host *h, const struct conn *c)
{
	struct sshcmd cmd;

	conn_sshcmd(c, &cmd);
	cmd.config_file = job->config_file;
	cmd.options = job->options;
	cmd.n_options = job->n_options;
	cmd.identities = job->identities;
	cmd.n_identities = job->n_identities;
	cmd.family = job->family;
	cmd.host = h->t.host;
	return sshlink_new(&cmd, h);
}

struct sshlink *
sshlink_choose(const struct job *job, struct host *h, const struct conn *c)
{
	struct sshlink *l;
	const char *why = "";
	char *ep;
	int r;

	if (job->transport == JOB_TRANSPORT_SSH)
		return link_new(job, h, c);
	if (job->transport != JOB_TRANSPORT_AUTO)
		return NULL;
	if ((r = conn_needs_ssh(c, &why)) != 0) {
		hlog(LOG_VERBOSE, h->name, "using ssh: %s", why);
		l = link_new(job, h, c);
		/* The connection the user keeps open is the one to use. */
		l->user_mux = r == TR_CONTROLMASTER;
		return l;
	}
	/* Resolving the endpoint costs a config lookup: only if need be. */
	if (!link_remembered(NULL) || (ep = conn_endpoint(job, h)) == NULL)
		return NULL;
	r = link_remembered(ep);
	if (r)
		hlog(LOG_VERBOSE, h->name, "using ssh: libssh2 had no "
		    "algorithm in common with %s", ep);
	free(ep);
	return r ? link_new(job, h, c) : NULL;
}

struct sshlink *
sshlink_fallback(const struct job *job, struct host *h, const struct conn *c)
{
	struct sshlink *l;
	char *ep;

	if (job->transport != JOB_TRANSPORT_AUTO ||
	    conn_nomatch_class(c) < 0 || h->kind == ERR_HOSTKEY)
		return NULL;
	if ((ep = conn_endpoint(job, h)) != NULL) {
		link_remember(ep);
		free(ep);
	}
	hlog(LOG_VERBOSE, h->name, "using ssh: %s", h->err);
	l = link_new(job, h, c);
	l->l2msg = xstrdup(h->err);
	/* ssh's attempt decides; libssh2's words are kept for its failure. */
	h->err[0] = '\0';
	h->kind = ERR_NONE;
	return l;
}

/* Read what fd holds now into keep; sets *eof at its end. */
static void
link_read(int fd, int *eof, char *keep, size_t *len, size_t max)
{
	char buf[4096];
	ssize_t n;
	int i;

	for (i = 0; i < 16 && !*eof && fd >= 0; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			util_keep_tail(keep, len, max, buf, (size_t)n);
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			*eof = 1;
		else if (errno == EAGAIN)
			break;
	}
}

static void
link_drain(struct sshlink *l)
{
	link_read(l->master.out, &l->out_eof, l->out, &l->outlen,
	    sizeof(l->out));
	link_read(l->master.err, &l->err_eof, l->err, &l->errlen,
	    sizeof(l->err));
}

/*
 * Where the private directories go: $TMPDIR when it is short enough for
 * the socket path (a Unix socket's is at most 107 bytes, and ssh adds a
 * suffix to it while it binds), else /tmp.
 */
static const char *
link_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (t != NULL && t[0] == '/' && strlen(t) <= 40 &&
	    strchr(t, '%') == NULL && strchr(t, '$') == NULL)
		return t;
	return "/tmp";
}

/* The private directory and the master in it. */
static int
link_spawn(struct sshlink *l)
{
	char err[256], **argv;

	snprintf(l->dir, sizeof(l->dir), "%s/fanscp-ssh.XXXXXX",
	    link_tmpdir());
	if (mkdtemp(l->dir) == NULL) {
		host_fail(l->host, ERR_CONFIG, "cannot make a directory for "
		    "ssh's control socket: %s", strerror(errno));
		l->dir[0] = '\0';
		return -1;
	}
	snprintf(l->sock, sizeof(l->sock), "%s/m", l->dir);
	l->cmd.mux = SSHCMD_MUX_MASTER;
	l->cmd.control_path = l->sock;
	l->cmd.command = LINK_CMD;
	if ((argv = sshcmd_argv(&l->cmd, err, sizeof(err))) == NULL) {
		host_fail(l->host, ERR_CONFIG, "%s", err);
		return -1;
	}
	if (child_spawn(&l->master, argv, CHILD_SOCKET, err,
	    sizeof(err)) != 0) {
		sshcmd_free(argv);
		host_fail(l->host, ERR_CONFIG, "%s", err);
		return -1;
	}
	sshcmd_free(argv);
	l->spawned = 1;
	return 0;
}

/* The master ended before it was up: ssh says why. */
static int
link_failed(struct sshlink *l)
{
	char msg[512], line[512];
	enum host_err kind;

	kind = sshcmd_verdict(l->master.status, l->err, l->errlen, 0, msg,
	    sizeof(msg));
	if (kind == ERR_NONE) {
		/* ssh logged in (its own failures are 255): not our command. */
		kind = ERR_REMOTE;
		snprintf(msg, sizeof(msg), "%s (status %d)", REMOTE_NOT_OURS,
		    WIFEXITED(l->master.status) ?
		    WEXITSTATUS(l->master.status) : -1);
	}
	if (l->via != NULL && kind == ERR_CONNECT &&
	    sshcmd_forward_failed(l->err, l->errlen, line, sizeof(line)))
		host_fail(l->host, kind, "jump host %s cannot reach %s: %s%s",
		    l->via, l->host->name, msg, sshcmd_forward_hint(l->err));
	else if (l->l2msg != NULL)
		host_fail(l->host, kind, "%s; over ssh too: %s", l->l2msg,
		    msg);
	else
		host_fail(l->host, kind, "%s", msg);
	l->st = LS_DONE;
	return -1;
}

int
sshlink_step(struct sshlink *l)
{
	if (l->user_mux && l->st == LS_START)
		l->st = LS_UP;
	if (l->st == LS_START) {
		if (link_spawn(l) != 0) {
			l->st = LS_DONE;
			return -1;
		}
		l->st = LS_LOGIN;
	}
	if (l->st == LS_UP)
		return 1;
	if (l->st != LS_LOGIN)
		return -1;
	link_drain(l);
	if (strstr(l->out, LINK_UP "\n") != NULL) {
		hlog(LOG_VERBOSE, l->host->name, "logged in over ssh");
		l->st = LS_UP;
		return 1;
	}
	if (!l->out_eof || !l->err_eof)
		return 0;
	if (child_reap(&l->master) == 0)
		return 0;
	return link_failed(l);
}

int
sshlink_fd(const struct sshlink *l)
{
	return l->out_eof ? -1 : l->master.out;
}

int
sshlink_fd_err(const struct sshlink *l)
{
	return l->err_eof ? -1 : l->master.err;
}

int
sshlink_events(const struct sshlink *l)
{
	return l->out_eof ? 0 : LOOP_READ;
}

int
sshlink_retry_ms(const struct sshlink *l)
{
	if (l->master.pid <= 0 || !l->spawned)
		return 0;
	return (l->st == LS_LOGIN && l->out_eof && l->err_eof) ||
	    l->st == LS_CLOSING ? LINK_REAP_MS : 0;
}

char **
sshlink_argv(const struct sshlink *l, const char *cmd, char *err,
    size_t errlen)
{
	struct sshcmd c = l->cmd;

	c.mux = l->user_mux ? SSHCMD_MUX_USER : SSHCMD_MUX_CLIENT;
	c.control_path = l->user_mux ? NULL : l->sock;
	c.command = cmd;
	return sshcmd_argv(&c, err, errlen);
}

void
sshlink_hop(struct sshlink *l, const char *jump)
{
	l->cmd.options = NULL;
	l->cmd.n_options = 0;
	free(l->jump);
	l->jump = xstrdup(jump != NULL ? jump : "none");
	l->cmd.proxy_jump = l->jump;
}

/* A -W argument: an IPv6 address in brackets. */
static char *
link_fwd_spec(const char *host, const char *port)
{
	return strchr(host, ':') != NULL ? xasprintf("[%s]:%s", host, port) :
	    xasprintf("%s:%s", host, port);
}

/* The -W child's settings: the master's, and no command. */
static char **
link_fwd_argv(const struct sshlink *l, const char *fwd, char *err,
    size_t errlen)
{
	struct sshcmd c = l->cmd;

	c.mux = l->user_mux ? SSHCMD_MUX_USER : SSHCMD_MUX_CLIENT;
	c.control_path = l->user_mux ? NULL : l->sock;
	c.command = NULL;
	c.forward = fwd;
	return sshcmd_argv(&c, err, errlen);
}

char **
sshlink_forward_argv(const struct sshlink *l, const char *host, int port,
    char *err, size_t errlen)
{
	char num[16], *fwd, **argv;

	snprintf(num, sizeof(num), "%d", port);
	fwd = link_fwd_spec(host, num);
	argv = link_fwd_argv(l, fwd, err, errlen);
	free(fwd);
	return argv;
}

char *
sshlink_proxy_command(const struct sshlink *l)
{
	char err[256], **argv, *q, *out = NULL, *o;
	size_t i, j, len = 0;

	/* A placeholder that no argument holds, for %h:%p. */
	if ((argv = link_fwd_argv(l, "\001", err, sizeof(err))) == NULL)
		return NULL;
	for (i = 0; argv[i] != NULL; i++) {
		q = strcmp(argv[i], "\001") == 0 ? xstrdup("%h:%p") :
		    shquote(argv[i]);
		out = xreallocarray(out, len + 2 * strlen(q) + 2, 1);
		o = out + len;
		if (i > 0)
			*o++ = ' ';
		/* ssh expands %-tokens in a ProxyCommand: '%' is doubled. */
		for (j = 0; q[j] != '\0'; j++) {
			*o++ = q[j];
			if (q[j] == '%' && strcmp(argv[i], "\001") != 0)
				*o++ = '%';
		}
		*o = '\0';
		len = (size_t)(o - out);
		free(q);
	}
	sshcmd_free(argv);
	return out;
}

int
sshlink_alive(struct sshlink *l, char *why, size_t len)
{
	if (l->st != LS_UP || l->user_mux || l->master.pid <= 0)
		return 1;
	link_drain(l);
	if (!l->out_eof)
		return 1;
	/* Its stdout ends as it exits; one that lingers is ended, and its
	   own words say why (as ssh's failure, status 255). */
	if (child_reap(&l->master) == 0) {
		sshlink_kill(l);
		l->master.status = 255 << 8;
	}
	if (sshcmd_verdict(l->master.status, l->err, l->errlen, 1, why,
	    len) == ERR_NONE || why[0] == '\0')
		snprintf(why, len, "its ssh ended");
	l->st = LS_DONE;
	return 0;
}

void
sshlink_set_jump(struct sshlink *l, const char *via, const char *cmd)
{
	free(l->via);
	l->via = xstrdup(via);
	free(l->proxy);
	l->proxy = cmd != NULL ? xstrdup(cmd) : NULL;
	l->cmd.proxy_command = l->proxy;
}

int
sshlink_close(struct sshlink *l)
{
	if (l->master.pid <= 0) {
		l->st = LS_DONE;
		return 1;
	}
	if (l->st != LS_CLOSING) {
		/* Its cat reads EOF; the master ends after the last step. */
		child_close_in(&l->master);
		l->close_by = util_now_ms() + LINK_CLOSE_MS;
		l->st = LS_CLOSING;
	}
	link_drain(l);
	if (child_reap(&l->master) != 0) {
		l->st = LS_DONE;
		return 1;
	}
	if (util_now_ms() >= l->close_by) {
		sshlink_kill(l);
		l->st = LS_DONE;
		return 1;
	}
	return 0;
}

void
sshlink_kill(struct sshlink *l)
{
	if (l == NULL)
		return;
	if (l->master.pid > 0) {
		child_kill(&l->master, SIGKILL);
		/* A killed process is reaped at once. */
		while (waitpid(l->master.pid, &l->master.status, 0) == -1 &&
		    errno == EINTR)
			;
		l->master.pid = 0;
	}
	child_release(&l->master);
	l->out_eof = l->err_eof = 1;
}

void
sshlink_free(struct sshlink *l)
{
	if (l == NULL)
		return;
	sshlink_kill(l);
	if (l->dir[0] != '\0') {
		unlink(l->sock);
		rmdir(l->dir);
	}
	free(l->user);
	free(l->alias);
	free(l->l2msg);
	free(l->jump);
	free(l->proxy);
	free(l->via);
	free(l);
}
