/*
 * fanscp: push one file or stream to many hosts over SSH.  This file is glue: parse
 * the options, build the host list and the shared job, run the engine,
 * report, and pick the exit status (0 all done, 1 some host failed, 2 a
 * usage or local error before anything was sent, 128 + the signal when
 * stopped by SIGHUP, SIGINT or SIGTERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/rand.h>

#include "conn.h"
#include "compress.h"
#include "ctr.h"
#include "engine.h"
#include "history.h"
#include "host.h"
#include "job.h"
#include "jsonout.h"
#include "knownhosts.h"
#include "log.h"
#include "opts.h"
#include "outfile.h"
#include "ratelimit.h"
#include "progress.h"
#include "relay.h"
#include "report.h"
#include "sched.h"
#include "source.h"
#include "sshconf.h"
#include "strmap.h"
#include "target.h"
#include "tree.h"
#include "xmalloc.h"

static volatile int stop_signal;

static void
on_signal(int sig)
{
	if (stop_signal == SIGINT && sig == SIGINT) {
		outfile_unlink_all();	/* no half-written report */
		progress_abandon();
		_exit(130);	/* a second Ctrl-C: leave at once */
	}
	stop_signal = sig;
}

/*
 * SIGHUP, SIGINT and SIGTERM stop the run gracefully (before it, nothing
 * needs cleaning up and they kill as usual).
 */
static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* A closed stdout or stderr is only a failed write (EPIPE), never death. */
static void
ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Descriptors 0-2 that are closed at start get /dev/null, as ssh does:
 * else the first files and sockets opened would take their numbers, and
 * log lines would go into an SSH connection.
 */
static void
sanitise_stdfd(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFL) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			_exit(2);	/* nowhere to say it */
	}
}

/* A usage error: said even under -q, since nothing was done. */
static void
usage_error(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "fanscp: %s\n", msg);
	fputs(opts_usage, stderr);
	exit(2);
}

/* Add the hosts the targets and host files name; usage errors are fatal. */
static void
build_targets(const struct opts *o, struct target_list *list)
{
	const char *lone = NULL, *p;
	char err[512];
	size_t i;

	for (i = 0; i < o->n_targets; i++) {
		if (target_is_lone_path(o->targets[i], &p))
			lone = p;
		else if ((o->exec_cmd != NULL ? target_parse_exec :
		    target_parse)(o->targets[i], list, err, sizeof(err)) != 0)
			usage_error(err);
	}
	if (lone != NULL && o->n_hostfiles == 0)
		usage_error("a ':path' target gives the path for -h host "
		    "files, and no -h was given");
	if (lone != NULL && *lone != '\0' && o->exec_cmd != NULL)
		usage_error("a target under --exec names a host, not a path");
	for (i = 0; i < o->n_hostfiles; i++)
		if (hostfile_load(o->hostfiles[i], lone ? lone : "", list, err,
		    sizeof(err)) != 0)
			fatal("%s", err);
	/* A host file's scp:// line may give a path: not under --exec. */
	for (i = 0; o->exec_cmd != NULL && i < list->n; i++)
		if (list->v[i].path[0] != '\0') {
			snprintf(err, sizeof(err), "a target under --exec names "
			    "a host, not a path ('%s' in a host file)",
			    list->v[i].host);
			usage_error(err);
		}
	if (list->n == 0)
		usage_error("no target hosts");
}

/*
 * A stream has no name: every target must give the file's (a path that
 * names a directory fails that host, remotely).
 */
static void
check_stream_targets(const struct target_list *list)
{
	char msg[512];
	size_t i;

	for (i = 0; i < list->n; i++) {
		const char *p = list->v[i].path;

		if (*p != '\0' && strcmp(p, "~") != 0)
			continue;
		snprintf(msg, sizeof(msg), "'%s': the source is a stream, "
		    "which has no name; give the target a file path "
		    "(host:path)", list->v[i].host);
		usage_error(msg);
	}
}

/* What --size and --sha256 say of a stream, and how it is spooled. */
static void
source_conf(const struct opts *o, struct source_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->spool_dir = o->spool_dir;
	c->spool_max = o->spool_max;
	c->hash = o->verify;
	c->check_size = o->has_size;
	c->size = o->size;
	c->sha256 = o->sha256;
}

/*
 * A file's --size and --sha256 are checked before anything is sent (a
 * stream's at its end, by the spool).  --verify hashes the file first.
 */
static void
check_file(const struct opts *o, struct source *src)
{
	const char *sha;
	char err[512];
	uint64_t size;

	if (o->has_size && source_size(src, &size) && size != o->size)
		fatal("'%s' is %llu bytes, not the %llu that --size gives",
		    o->source, (unsigned long long)size,
		    (unsigned long long)o->size);
	if (!o->verify && o->sha256 == NULL)
		return;
	if (source_hash(src, err, sizeof(err)) != 0)
		fatal("%s", err);
	sha = source_sha256(src);
	if (o->sha256 != NULL && strcasecmp(sha, o->sha256) != 0)
		fatal("'%s' has SHA-256 %s, not the %s that --sha256 gives",
		    o->source, sha, o->sha256);
}

/* A key naming a target exactly: its fields, length-prefixed. */
static char *
target_key(const struct target *t)
{
	return xasprintf("%c%zu:%s%zu:%s%d:%s", t->user ? 'u' : '-',
	    t->user ? strlen(t->user) : 0, t->user ? t->user : "",
	    strlen(t->host), t->host, t->port, t->path);
}

/*
 * How a host is named in messages: as typed, unless another target names
 * the same host with another user, port or path; then in full.
 */
static char *
host_label(const struct target *t, long same_host)
{
	if (same_host < 2)
		return xstrdup(t->host);
	if (t->port != 0)
		return xasprintf("%s%s%s:%s (port %d)", t->user ? t->user : "",
		    t->user ? "@" : "", t->host, t->path, t->port);
	return xasprintf("%s%s%s:%s", t->user ? t->user : "",
	    t->user ? "@" : "", t->host, t->path);
}

/* -o options, then -F or the user's and the system's ssh_config. */
static struct sshconf *
load_config(const struct opts *o)
{
	struct sshconf *c = sshconf_new();
	const char *home = getenv("HOME");
	char err[512], *user;
	size_t i;

	for (i = 0; i < o->n_options; i++)
		if (sshconf_add_option(c, o->options[i], err, sizeof(err)))
			usage_error(err);
	if (o->config != NULL) {
		if (sshconf_load(c, o->config, 1, err, sizeof(err)) != 0)
			fatal("%s", err);
		return c;
	}
	if (home != NULL) {
		user = xasprintf("%s/.ssh/config", home);
		if (sshconf_load(c, user, 0, err, sizeof(err)) != 0)
			fatal("%s", err);
		free(user);
	}
	if (sshconf_load(c, "/etc/ssh/ssh_config", 0, err, sizeof(err)) != 0)
		fatal("%s", err);
	return c;
}

/*
 * One host record per target, copying the targets; repeats dropped.  Two
 * hash tables keep it linear: the targets seen, and how many distinct
 * targets name each host (for the labels).
 */
static struct host *
build_hosts(const struct target_list *list, size_t *n)
{
	struct host *hosts = xcalloc(list->n, sizeof(*hosts));
	struct strmap *seen = strmap_new(), *names = strmap_new();
	char *key;
	size_t i, m = 0;

	for (i = 0; i < list->n; i++) {
		const struct target *t = &list->v[i];

		key = target_key(t);
		if ((*strmap_slot(seen, key))++ == 0) {
			(*strmap_slot(names, t->host))++;
			hosts[m++].t = *t;	/* borrowed until labelled */
		} else {
			verbose("'%s' is named twice; sending once", t->host);
		}
		free(key);
	}
	for (i = 0; i < m; i++) {
		struct target *t = &hosts[i].t;

		hosts[i].name = host_label(t, strmap_get(names, t->host));
		t->user = t->user ? xstrdup(t->user) : NULL;
		t->host = xstrdup(t->host);
		t->path = xstrdup(t->path);
	}
	strmap_free(seen);
	strmap_free(names);
	*n = m;
	return hosts;
}

static void
free_hosts(struct host *hosts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(hosts[i].t.user);
		free(hosts[i].t.host);
		free(hosts[i].name);
		host_release_conn(&hosts[i]);
		free(hosts[i].t.path);
	}
	free(hosts);
}

/*
 * Enough descriptors for the width, within the hard limit: a slot holds
 * one (a libssh2 socket) or two (an ssh child's socketpair end and its
 * stderr pipe), and the run keeps a few more (the source, the spool,
 * known_hosts, reports).  Where the hard limit is too low for the width,
 * the width is cut to what fits, said under -v, rather than hosts failing
 * with EMFILE.  Returns the width to use.
 */
#define NOFILE_PER_SLOT	2
#define NOFILE_SPARE	64

static int
raise_nofile(int width)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)width * NOFILE_PER_SLOT + NOFILE_SPARE;
	int fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return width;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 &&
	    getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return width;
	if (rl.rlim_cur >= want)
		return width;
	fit = rl.rlim_cur > NOFILE_SPARE + NOFILE_PER_SLOT ?
	    (int)((rl.rlim_cur - NOFILE_SPARE) / NOFILE_PER_SLOT) : 1;
	verbose("--width %d cut to %d: the file-descriptor limit is %llu "
	    "(ulimit -Hn)", width, fit, (unsigned long long)rl.rlim_cur);
	return fit;
}

static double
elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Several sources, judged before anything is opened for sending, as scp
 * does: each must be a file, or with -r a directory (a stream cannot be
 * one of several), and no two may land under the same name in the
 * target directory.  Each failure is a local error (exit 2).
 */
struct srcset {
	char		**names;
	unsigned char	 *dirs;
};

static void
check_sources(const struct opts *o, struct srcset *set)
{
	struct strmap *seen = strmap_new();
	struct stat st;
	long *slot;
	size_t i;

	set->names = xcalloc(o->n_sources, sizeof(*set->names));
	set->dirs = xcalloc(o->n_sources, 1);
	for (i = 0; i < o->n_sources; i++) {
		const char *p = o->sources[i];

		if (stat(p, &st) != 0)
			fatal("cannot open '%s': %s", p, strerror(errno));
		if (S_ISDIR(st.st_mode) && !o->recursive)
			fatal("'%s': is a directory (-r copies a tree)", p);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			fatal("'%s': not a regular file (a stream cannot be "
			    "one of several sources)", p);
		set->dirs[i] = S_ISDIR(st.st_mode) != 0;
		if ((set->names[i] = tree_set_name(p)) == NULL)
			fatal("'%s' has no name to land as in the target "
			    "directory", p);
		slot = strmap_slot(seen, set->names[i]);
		if (*slot != 0)
			fatal("'%s' and '%s' would both land as '%s' in the "
			    "target directory", o->sources[*slot - 1], p,
			    set->names[i]);
		*slot = (long)i + 1;
	}
	strmap_free(seen);
}

static void
free_srcset(struct srcset *set, size_t n)
{
	size_t i;

	for (i = 0; set->names != NULL && i < n; i++)
		free(set->names[i]);
	free(set->names);
	free(set->dirs);
}

/*
 * The source: a file, or under -r a directory, sent as a tar archive (a
 * file given with -r is sent as a file, as scp -r does); several sources
 * as one archive of them all (tree.h).
 */
static void
open_source(const struct opts *o, const struct source_conf *sc,
    const struct srcset *set, struct source *src, enum remote_kind *kind)
{
	struct stat st;
	char err[512];
	int r;

	*kind = REMOTE_FILE;
	if (o->n_sources > 1) {
		*kind = REMOTE_SET;
		r = tree_set_source(src, o->sources, set->names, o->n_sources,
		    o->recursive, err, sizeof(err));
	} else if (o->recursive && stat(o->source, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* The archive is fanscp's own: --size and --sha256 mean nothing. */
		if (o->has_size || o->sha256 != NULL)
			usage_error("--size and --sha256 are for a file or a "
			    "stream, not a tree (-r)");
		*kind = REMOTE_TREE;
		r = tree_source(src, o->source, err, sizeof(err));
	} else
		r = source_open_arg(src, o->source, sc, err, sizeof(err));
	if (r != 0)
		fatal("%s", err);
}

/* A random id for this run, in hex: a resumed temp file's owner. */
static void
run_id(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		fatal("cannot draw a random run id");
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++) {
		buf[2 * i] = hex[r[i] >> 4];
		buf[2 * i + 1] = hex[r[i] & 15];
	}
	buf[2 * i] = '\0';
}

/* What every host shares: the source, the configuration, the options. */
static void
build_job(struct job *job, const struct opts *o, struct source *src,
    enum remote_kind kind)
{
	memset(job, 0, sizeof(*job));
	job->kind = kind;
	job->src = src;
	job->conf = load_config(o);
	job->kh = knownhosts_new();
	job->transport = (enum job_transport)o->transport;
	job->config_file = o->config;
	job->options = o->options;
	job->n_options = o->n_options;
	job->identities = o->identities;
	job->n_identities = o->n_identities;
	job->port = o->port;
	job->family = o->family;
	job->connect_timeout = o->connect_timeout;
	job->stall_timeout = o->stall_timeout ? o->stall_timeout :
	    JOB_STALL_TIMEOUT;
	/* A given --sha256 is checked on every copy too. */
	job->verify = o->verify || o->sha256 != NULL;
	job->preserve = o->preserve;
	job->inplace = o->inplace;
	job->sudo = o->sudo;
	job->exec_cmd = o->exec_cmd;
	job->validate = o->validate;
	job->then = o->then;
	job->chown = o->chown;
	job->has_chmod = o->has_chmod;
	job->chmod = o->chmod;
	job->max_failures = o->max_failures;
	job->if_changed = o->if_changed;
	job->all_or_nothing = o->all_or_nothing;
	/* Kbit/s as scp counts them (ratelimit.h). */
	if (o->limit > 0)
		job->limit = ratelimit_new(o->limit * RATELIMIT_KBIT_BYTES);
	job->host_limit = o->host_limit * RATELIMIT_KBIT_BYTES;
	if (o->exec_cmd != NULL)
		job->kind = o->exec_stream ? REMOTE_EXEC_STREAM : REMOTE_EXEC;
	job->retries = o->retries;
	job->resume = o->resume;
	if (o->if_changed && source_is_stream(src))
		usage_error("--if-changed: a stream's SHA-256 is known only at "
		    "its end, after it was sent");
	if (o->resume && source_is_stream(src))
		usage_error("--resume: a stream cannot be resumed across runs: "
		    "its bytes cannot be read again (--retries resumes within "
		    "a run)");
	if (o->resume && job->kind != REMOTE_FILE)
		usage_error("--resume resumes file copies only, not -r or "
		    "--exec");
	if (o->relay && source_is_stream(src))
		usage_error("--relay passes a file host to host, and resends "
		    "from it what a hop lost; a stream is read once: spool it "
		    "to a file first");
	run_id(job->run_id, sizeof(job->run_id));
}

/* --threads, else one engine per online CPU (never more than hosts). */
static int
thread_count(const struct opts *o, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int t = o->threads ? o->threads : cpus > 0 ? (int)cpus : 1;

	return (size_t)t > n ? (int)n : t;
}

/* The report files: --json and --failed. */
struct reports {
	struct outfile	json;
	struct outfile	failed;
};

/*
 * Create the report files before anything is sent, so that one that
 * cannot be written is a local error (exit 2), not news at the end.
 */
static void
reports_open(const struct opts *o, struct reports *r)
{
	char err[512];

	memset(r, 0, sizeof(*r));
	if (o->json != NULL && o->failed != NULL &&
	    strcmp(o->json, "-") == 0 && strcmp(o->failed, "-") == 0)
		usage_error("--json - and --failed - cannot share stdout");
	if (o->json != NULL && outfile_open(&r->json, o->json, err,
	    sizeof(err)) != 0)
		fatal("--json: %s", err);
	if (o->failed != NULL && outfile_open(&r->failed, o->failed, err,
	    sizeof(err)) != 0)
		fatal("--failed: %s", err);
}

/*
 * Write the reports, once every host has its final status (an
 * interrupted run included).  Returns -1 if one could not be written.
 */
static int
reports_write(const struct opts *o, struct reports *r, const struct job *job,
    const struct host *hosts, size_t n, double seconds)
{
	struct jsonout_run jr;
	char err[512];
	int ret = 0;

	if (r->json.f != NULL) {
		memset(&jr, 0, sizeof(jr));
		jr.source = o->source;
		jr.has_size = source_size(job->src, &jr.size);
		jr.seconds = seconds;
		jr.signal = stop_signal;
		jr.exec = o->exec_cmd != NULL;
		jsonout_write(r->json.f, hosts, n, &jr);
		if (outfile_commit(&r->json, err, sizeof(err)) != 0) {
			error("--json: %s", err);
			ret = -1;
		}
	}
	if (r->failed.f != NULL) {
		/* A command may have run on an unknown host: not again. */
		report_retry_list(r->failed.f, hosts, n, o->exec_cmd == NULL);
		if (outfile_commit(&r->failed, err, sizeof(err)) != 0) {
			error("--failed: %s", err);
			ret = -1;
		}
	}
	return ret;
}

/*
 * The scheduler, told the rates each host's sshd (its endpoint) and the
 * uplink reached in earlier runs; eps gets the endpoints, to record this
 * run's rates against (NULL where a host's configuration fails).
 */
static struct sched *
plan(struct job *job, struct host *hosts, size_t n, int width,
    struct history *hist, char **eps)
{
	struct sched *sched = engine_sched_new(job, n, width);
	double rate;
	size_t i;

	/*
	 * Under --relay, hosts start in the order given, which the trees
	 * follow (relay_shape()): no rates for the scheduler.
	 */
	for (i = 0; i < n; i++) {
		eps[i] = hist != NULL ? conn_endpoint(job, &hosts[i]) : NULL;
		if (eps[i] != NULL && job->relay == NULL &&
		    (rate = history_rate(hist, eps[i])) > 0)
			sched_prior(sched, i, rate);
	}
	if (hist != NULL && job->relay == NULL && history_uplink(hist) > 0)
		sched_prior_uplink(sched, history_uplink(hist));
	return sched;
}

/*
 * Keep what this run measured for the next (the uplink only when -l did
 * not cap it, since that would record the limit).
 */
static void
remember(const struct job *job, const struct host *hosts, size_t n,
    const struct sched *sched, struct history *hist, char **eps)
{
	size_t i;

	if (hist == NULL)
		return;
	for (i = 0; i < n; i++)
		if (eps[i] != NULL && hosts[i].rate > 0)
			history_put(hist, eps[i], hosts[i].rate);
	if (job->limit == NULL && sched_uplink(sched) > 0)
		history_put_uplink(hist, sched_uplink(sched));
	if (history_save(hist) != 0)
		verbose("cannot save the rate history");
}

static int
run(const struct opts *o, struct job *job, struct host *hosts, size_t n)
{
	struct engine_conf c = { 0 };
	struct history *hist;
	struct progress *p = NULL;
	struct reports reports;
	struct timespec t0;
	char **eps;
	static struct job_tally tally;
	size_t i, failed, then_failed;
	uint64_t size;
	int wrote;

	c.width = o->width ? o->width : OPTS_WIDTH;
	c.startups = o->startups ? o->startups : OPTS_STARTUPS;
	/*
	 * --all-or-nothing holds each go-ahead until every host is ready: a
	 * host that cannot start before others finish would hold them all.
	 */
	if (o->all_or_nothing && (size_t)c.width < n) {
		char why[200];

		snprintf(why, sizeof(why), "--all-or-nothing holds every "
		    "host's go-ahead until all %zu have verified: --width must "
		    "be at least that (it is %d)", n, c.width);
		usage_error(why);
	}
	tally.total = n;
	job->tally = &tally;
	c.threads = thread_count(o, n);
	/*
	 * Short temp files are kept, to be resumed, under --retries and
	 * --resume, and where the scheduler may probe hosts and pause them:
	 * a file copy with fewer slots than hosts.
	 */
	c.width = raise_nofile(c.width);
	job->keep = job->retries > 0 || job->resume ||
	    (job->kind == REMOTE_FILE && !source_is_stream(job->src) &&
	    (size_t)c.width < n);
	if (o->relay) {
		/*
		 * One engine: the sessions of a tree answer each other
		 * (relay.h).  The source sends to the roots only.
		 */
		c.threads = 1;
		job->relay = relay_new(hosts, n, o->relay_fanout,
		    c.width < RELAY_GROUP ? c.width : RELAY_GROUP);
		job->relay->existing = o->relay_auth == RELAY_AUTH_EXISTING;
		job->relay->together = n <= (size_t)c.width;
	}
	/* --compress: no offset into the compressed data is resumable. */
	if (job->cz != NULL)
		job->keep = 0;
	reports_open(o, &reports);
	setup_signals();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!o->quiet && progress_wanted(STDERR_FILENO)) {
		/* A stream's size is unknown: no ETA, unless --size. */
		if (!source_size(job->src, &size))
			size = o->has_size ? o->size : 0;
		p = progress_new(stderr, size);
		c.tick = progress_tick;
		c.tick_ms = 250;
		c.tick_arg = p;
		log_set_clear_hook(progress_clear);
	}
	hist = o->no_history ? NULL : history_load(NULL);
	eps = xcalloc(n ? n : 1, sizeof(*eps));
	c.sched = plan(job, hosts, n, c.width, hist, eps);
	if (job->relay != NULL && hist != NULL) {
		double *rates = xcalloc(n ? n : 1, sizeof(*rates));

		for (i = 0; i < n; i++)
			rates[i] = eps[i] != NULL ?
			    history_rate(hist, eps[i]) : 0;
		relay_shape(job->relay, rates);
		free(rates);
	}
	if (job->wire != NULL) {
		/*
		 * The compressor reads the source; the hosts, the wire.  A
		 * retry starts over from the wire's first byte: for a file
		 * under --retries, the wire is kept whole (its compressed
		 * size on disk), as a plain file could be read again.
		 */
		source_expect_readers(job->src, 1);
		if (job->retries == 0 || source_is_stream(job->src))
			source_expect_readers(job->wire, n);
	} else
		source_expect_readers(job->src, n);
	failed = engine_run_parallel(job, hosts, n, &c, &stop_signal);
	debug("AES-CTR keystreams made 32 KiB at a time: %lu",
	    ctr_keystreams());
	remember(job, hosts, n, c.sched, hist, eps);
	for (i = 0; i < n; i++)
		free(eps[i]);
	free(eps);
	history_free(hist);
	sched_free(c.sched);
	if (!source_size(job->src, &size))
		size = 0;
	log_set_clear_hook(NULL);
	progress_free(p);
	wrote = reports_write(o, &reports, job, hosts, n, elapsed_since(&t0));
	report_failures(stderr, hosts, n);
	/* A --then that failed fails the run, though its copy is done. */
	then_failed = report_then_failed(hosts, n);
	if (!o->quiet && (failed > 0 || then_failed > 0 || o->verbose > 0 ||
	    stop_signal)) {
		report_summary(stderr, hosts, n, size,
		    elapsed_since(&t0));
		report_stragglers(stderr, hosts, n);
	}
	if (!o->quiet && stop_signal)
		report_sent(stderr, hosts, n);
	if (stop_signal)
		return 128 + stop_signal;
	if (wrote != 0)
		return 2;
	return failed > 0 || then_failed > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct target_list list = { 0 };
	struct source_conf sc;
	struct srcset set = { 0 };
	struct source src, wire;
	enum remote_kind kind;
	struct opts o;
	struct job job;
	struct host *hosts;
	char err[512];
	size_t n;
	int r;

	sanitise_stdfd();
	ignore_sigpipe();
	log_init("fanscp", LOG_ERROR);
	if ((r = opts_parse(&o, argc, argv, err, sizeof(err))) != 0)
		r > 0 ? exit(0) : usage_error(err);
	log_init("fanscp", o.quiet ? LOG_QUIET : (enum log_level)(o.verbose >
	    2 ? 2 : o.verbose));
	source_conf(&o, &sc);
	if (o.n_sources > 1)
		check_sources(&o, &set);
	open_source(&o, &sc, &set, &src, &kind);
	build_targets(&o, &list);
	if (!source_is_stream(&src))
		check_file(&o, &src);
	else if (o.exec_cmd == NULL)	/* a command needs no file name */
		check_stream_targets(&list);
	build_job(&job, &o, &src, kind);
	job.names = set.names;
	job.name_dirs = set.dirs;
	job.n_names = o.n_sources > 1 ? o.n_sources : 0;
	if (o.compress != COMPRESS_NONE && (job.cz = compress_start(&src,
	    (enum compress_kind)o.compress, o.compress_level, &wire, &sc, err,
	    sizeof(err))) == NULL)
		fatal("%s", err);
	if (job.cz != NULL)
		job.wire = &wire;
	if (libssh2_init(0) != 0)
		fatal("cannot initialise libssh2");
	hosts = build_hosts(&list, &n);
	r = run(&o, &job, hosts, n);
	free_hosts(hosts, n);
	libssh2_exit();
	knownhosts_free(job.kh);
	sshconf_free(job.conf);
	ratelimit_free(job.limit);
	relay_free(job.relay);
	target_list_release(&list);
	if (job.wire != NULL)
		source_close(job.wire);
	compress_free(job.cz);
	source_close(&src);
	free_srcset(&set, o.n_sources);
	opts_release(&o);
	return r;
}
