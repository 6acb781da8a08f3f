/* Command-line parsing: scp's short options, fanscp's long ones. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "job.h"
#include "compress.h"
#include "jump.h"
#include "opts.h"
#include "ratelimit.h"
#include "relay.h"
#include "sshconf.h"
#include "target.h"
#include "unittest.h"
#include "xmalloc.h"

#define FANSCP_VERSION	"0.1"

const char opts_usage[] =
"usage: fanscp [-46BCpqrv] [-c cipher] [-F ssh_config] [-h host_file]\n"
"              [-i identity_file] [-J destination] [-l limit]\n"
"              [-o ssh_option] [-P port]\n"
"              [--all-or-nothing] [--chmod mode] [--chown user:group]\n"
"              [--compress gzip | zstd] [--connect-timeout seconds]\n"
"              [--exec command [--exec-stream]] [--failed file]\n"
"              [--host-limit limit] [--if-changed] [--inplace]\n"
"              [--json file]\n"
"              [--max-failures n] [--max-startups n] [--no-history]\n"
"              [--relay [--relay-fanout k] [--relay-auth key | existing]]\n"
"              [--resume] [--retries n]\n"
"              [--sha256 hex] [--size bytes] [--spool-dir dir]\n"
"              [--spool-max size]\n"
"              [--stall-timeout seconds] [--sudo] [--then command]\n"
"              [--threads n]\n"
"              [--transport auto | libssh2 | ssh] [--validate command]\n"
"              [--verify] [--width n]\n"
"              source ... target ...\n";

STATIC char	*opts_validate(const char *);
static int	opts_chmod(const char *, unsigned int *);

enum {
	OPT_WIDTH = 256,
	OPT_STARTUPS,
	OPT_CONNECT_TIMEOUT,
	OPT_STALL_TIMEOUT,
	OPT_THREADS,
	OPT_VERIFY,
	OPT_INPLACE,
	OPT_SUDO,
	OPT_SPOOL_DIR,
	OPT_SPOOL_MAX,
	OPT_SIZE,
	OPT_SHA256,
	OPT_TRANSPORT,
	OPT_EXEC,
	OPT_EXEC_STREAM,
	OPT_RETRIES,
	OPT_RESUME,
	OPT_RELAY,
	OPT_RELAY_FANOUT,
	OPT_RELAY_AUTH,
	OPT_HOST_LIMIT,
	OPT_JSON,
	OPT_FAILED,
	OPT_NO_HISTORY,
	OPT_VALIDATE,
	OPT_THEN,
	OPT_CHMOD,
	OPT_CHOWN,
	OPT_MAX_FAILURES,
	OPT_ALL_OR_NOTHING,
	OPT_IF_CHANGED,
	OPT_COMPRESS,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "max-startups", required_argument, NULL, OPT_STARTUPS },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "inplace", no_argument, NULL, OPT_INPLACE },
	{ "sudo", no_argument, NULL, OPT_SUDO },
	{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
	{ "spool-max", required_argument, NULL, OPT_SPOOL_MAX },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "sha256", required_argument, NULL, OPT_SHA256 },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "exec-stream", no_argument, NULL, OPT_EXEC_STREAM },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "relay", no_argument, NULL, OPT_RELAY },
	{ "relay-fanout", required_argument, NULL, OPT_RELAY_FANOUT },
	{ "relay-auth", required_argument, NULL, OPT_RELAY_AUTH },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "host-limit", required_argument, NULL, OPT_HOST_LIMIT },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "failed", required_argument, NULL, OPT_FAILED },
	{ "no-history", no_argument, NULL, OPT_NO_HISTORY },
	{ "validate", required_argument, NULL, OPT_VALIDATE },
	{ "then", required_argument, NULL, OPT_THEN },
	{ "chmod", required_argument, NULL, OPT_CHMOD },
	{ "chown", required_argument, NULL, OPT_CHOWN },
	{ "max-failures", required_argument, NULL, OPT_MAX_FAILURES },
	{ "all-or-nothing", no_argument, NULL, OPT_ALL_OR_NOTHING },
	{ "if-changed", no_argument, NULL, OPT_IF_CHANGED },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A checked integer in [min, max]; -1 and a message in err otherwise. */
static int
opts_num(const char *s, long min, long max, const char *what, int *out,
    char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		snprintf(err, errlen, "bad %s '%s' (expected %ld to %ld)",
		    what, s, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/*
 * A byte count: digits, and for sizes (suffixes set) an optional K, M, G
 * or T (powers of 1024).  -1 and a message in err otherwise.
 */
static int
opts_bytes(const char *s, int suffixes, const char *what, uint64_t *out,
    char *err, size_t errlen)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s >= '0' && *s <= '9' && errno == 0) {
		if (*end == '\0') {
			*out = v;
			return 0;
		}
		if (suffixes && end[1] == '\0' &&
		    (u = strchr(units, end[0] & ~0x20)) != NULL) {
			shift = 10 * (int)(u - units + 1);
			if (v <= (UINT64_MAX >> shift)) {
				*out = (uint64_t)v << shift;
				return 0;
			}
		}
	}
	snprintf(err, errlen, "bad %s '%s' (expected %s)", what, s,
	    suffixes ? "a byte count, with K, M, G or T" : "a byte count");
	return -1;
}

/*
 * A rate limit in Kbit/s, as scp's -l: decimal digits, 1 to
 * RATELIMIT_KBIT_MAX.  -1 and a message in err otherwise.
 */
static int
opts_limit(const char *s, const char *what, uint64_t *out, char *err,
    size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < 1 ||
	    v > RATELIMIT_KBIT_MAX) {
		snprintf(err, errlen, "bad %s '%s' (expected Kbit/s, 1 to "
		    "%llu)", what, s, RATELIMIT_KBIT_MAX);
		return -1;
	}
	*out = v;
	return 0;
}

/* 64 hex digits. */
static int
opts_sha256(struct opts *o, const char *s, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			break;
	if (i != 64 || s[i] != '\0') {
		snprintf(err, errlen, "bad SHA-256 '%s' (expected 64 hex "
		    "digits)", s);
		return -1;
	}
	free(o->sha256);
	o->sha256 = xstrdup(s);
	return 0;
}

static void
opts_push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* --transport: auto, libssh2 or ssh. */
static int
opts_transport(struct opts *o, const char *arg, char *err, size_t errlen)
{
	static const char *const names[] = { "auto", "libssh2", "ssh" };
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(arg, names[i]) == 0) {
			o->transport = i;
			return 0;
		}
	snprintf(err, errlen, "--transport '%s': not auto, libssh2 or ssh",
	    arg);
	return -1;
}

/*
 * scp's flags that fanscp does not take, each with why: refused by name
 * rather than as "unknown", since an scp user will reach for them.
 */
static const struct {
	int		 flag;
	const char	*why;
} scp_flags[] = {
	{ '3', "fanscp copies from here to the hosts, never between two "
	    "remote hosts" },
	{ 'A', "fanscp never forwards the agent" },
	{ 'D', "fanscp runs no sftp-server: it speaks neither SFTP nor "
	    "scp's protocol" },
	{ 'O', "fanscp has its own protocol, neither scp's nor SFTP" },
	{ 'R', "fanscp copies from here to the hosts, never between two "
	    "remote hosts" },
	{ 'S', "fanscp connects with libssh2, or with ssh itself under "
	    "--transport ssh: it takes no other program" },
	{ 's', "fanscp has its own protocol, neither scp's nor SFTP" },
	{ 'T', "fanscp receives no file names to check: it only sends" },
	{ 'X', "fanscp does not use SFTP" },
};

static int
opts_scp_flag(int c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(scp_flags) / sizeof(scp_flags[0]); i++)
		if (scp_flags[i].flag == c) {
			snprintf(err, errlen, "-%c is not supported: %s", c,
			    scp_flags[i].why);
			return -1;
		}
	snprintf(err, errlen, "unknown or incomplete option");
	return -1;
}

/*
 * -i: like ssh, warn at once of a file we cannot read, and go on (the
 * other identities, or the agent, may still log in).
 */
static void
opts_identity(struct opts *o, const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		fprintf(stderr, "fanscp: warning: identity file '%s' not "
		    "accessible: %s\n", path, strerror(errno));
	else
		close(fd);
	opts_push(&o->identities, &o->n_identities, path);
}

/* -C and -c are ssh options ssh_config also holds: -o does the rest. */
static int
opts_ssh_alias(struct opts *o, const char *key, const char *value)
{
	char *s = xasprintf("%s=%s", key, value);

	o->options = xreallocarray(o->options, o->n_options + 1,
	    sizeof(*o->options));
	o->options[o->n_options++] = s;
	return 0;
}

/* -J: ProxyJump, checked now as ssh does (tunnel.h). */
static int
opts_jump(struct opts *o, const char *arg, char *err, size_t errlen)
{
	struct jump_hop *hops;
	char why[256];
	int n;

	if ((n = jump_parse(arg, &hops, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "-J: %s", why);
		return -1;
	}
	jump_hops_free(hops, n);
	return opts_ssh_alias(o, "ProxyJump", arg);
}

/*
 * --relay-auth: a one-run key per hop, or the trust the hosts already
 * have.  The agent cannot be forwarded by libssh2 1.10 (relay.h).
 */
static int
opts_relay_auth(struct opts *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "key") == 0)
		o->relay_auth = RELAY_AUTH_KEY;
	else if (strcmp(arg, "existing") == 0)
		o->relay_auth = RELAY_AUTH_EXISTING;
	else if (strcmp(arg, "agent") == 0) {
		snprintf(err, errlen, "--relay-auth agent: libssh2 1.10 "
		    "cannot forward the agent (it does not accept the agent "
		    "channel that sshd opens); use key or existing");
		return -1;
	} else {
		snprintf(err, errlen, "--relay-auth: '%s': key or existing",
		    arg);
		return -1;
	}
	return 0;
}

/* Handle one option character c with argument arg; 0, 1 (exit) or -1. */
static int
opts_one(struct opts *o, int c, const char *arg, char *err, size_t errlen)
{
	switch (c) {
	case '4': o->family = AF_INET; return 0;
	case '6': o->family = AF_INET6; return 0;
	case 'B': return 0;	/* batch mode: fanscp never prompts */
	case 'p': o->preserve = 1; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'r': o->recursive = 1; return 0;
	case 'v': o->verbose++; return 0;
	case 'F': free(o->config); o->config = xstrdup(arg); return 0;
	case 'h': opts_push(&o->hostfiles, &o->n_hostfiles, arg); return 0;
	case 'i': opts_identity(o, arg); return 0;
	case 'C': return opts_ssh_alias(o, "Compression", "yes");
	case 'c': return opts_ssh_alias(o, "Ciphers", arg);
	case 'J': return opts_jump(o, arg, err, errlen);
	case 'o': opts_push(&o->options, &o->n_options, arg); return 0;
	case 'l':
		return opts_limit(arg, "-l limit", &o->limit, err, errlen);
	case 'P':
		return opts_num(arg, 1, 65535, "port", &o->port, err, errlen);
	case OPT_WIDTH:
		return opts_num(arg, 1, 100000, "width", &o->width, err,
		    errlen);
	case OPT_STARTUPS:
		return opts_num(arg, 1, 100000, "max-startups", &o->startups,
		    err, errlen);
	case OPT_CONNECT_TIMEOUT:
		return opts_num(arg, 1, INT_MAX / 1000, "connect timeout",
		    &o->connect_timeout, err, errlen);
	case OPT_STALL_TIMEOUT:
		return opts_num(arg, 1, INT_MAX / 1000, "stall timeout",
		    &o->stall_timeout, err, errlen);
	case OPT_THREADS:
		return opts_num(arg, 1, 256, "thread count", &o->threads, err,
		    errlen);
	case OPT_VERIFY: o->verify = 1; return 0;
	case OPT_INPLACE: o->inplace = 1; return 0;
	case OPT_SUDO: o->sudo = 1; return 0;
	case OPT_SPOOL_DIR:
		free(o->spool_dir);
		o->spool_dir = xstrdup(arg);
		return 0;
	case OPT_SPOOL_MAX:
		if (opts_bytes(arg, 1, "spool size", &o->spool_max, err,
		    errlen) != 0)
			return -1;
		if (o->spool_max < 65536) {
			snprintf(err, errlen, "--spool-max %s is below 64K",
			    arg);
			return -1;
		}
		return 0;
	case OPT_SIZE:
		o->has_size = 1;
		return opts_bytes(arg, 0, "size", &o->size, err, errlen);
	case OPT_SHA256:
		return opts_sha256(o, arg, err, errlen);
	case OPT_TRANSPORT:
		return opts_transport(o, arg, err, errlen);
	case OPT_EXEC:
		free(o->exec_cmd);
		o->exec_cmd = xstrdup(arg);
		return 0;
	case OPT_EXEC_STREAM: o->exec_stream = 1; return 0;
	case OPT_RETRIES:
		return opts_num(arg, 0, 100, "retry count", &o->retries, err,
		    errlen);
	case OPT_RESUME: o->resume = 1; return 0;
	/* The bytes come through other hosts: every copy is checked. */
	case OPT_RELAY: o->relay = o->verify = 1; return 0;
	case OPT_RELAY_FANOUT:
		return opts_num(arg, 1, RELAY_FANOUT_MAX, "--relay-fanout",
		    &o->relay_fanout, err, errlen);
	case OPT_RELAY_AUTH:
		return opts_relay_auth(o, arg, err, errlen);
	case OPT_COMPRESS:
		if (compress_parse(arg, (enum compress_kind *)&o->compress,
		    &o->compress_level) == 0)
			return 0;
		snprintf(err, errlen, "--compress: '%s': gzip or zstd, "
		    "optionally with a level (gzip:1..9, zstd:1..19)", arg);
		return -1;
	case OPT_MAX_FAILURES:
		return opts_num(arg, 1, 1000000000, "--max-failures count",
		    &o->max_failures, err, errlen);
	case OPT_ALL_OR_NOTHING: o->all_or_nothing = 1; return 0;
	/* The source's SHA-256 is needed first: --verify's. */
	case OPT_IF_CHANGED: o->if_changed = o->verify = 1; return 0;
	case OPT_HOST_LIMIT:
		return opts_limit(arg, "--host-limit", &o->host_limit, err,
		    errlen);
	case OPT_JSON: free(o->json); o->json = xstrdup(arg); return 0;
	case OPT_FAILED: free(o->failed); o->failed = xstrdup(arg); return 0;
	case OPT_NO_HISTORY: o->no_history = 1; return 0;
	case OPT_CHMOD:
		if (opts_chmod(arg, &o->chmod) == 0) {
			o->has_chmod = 1;
			return 0;
		}
		snprintf(err, errlen, "--chmod: '%s' is not an octal mode "
		    "(such as 644 or 0640)", arg);
		return -1;
	case OPT_CHOWN:
		free(o->chown);
		o->chown = xstrdup(arg);
		if (arg[0] != '\0' && strcmp(arg, ":") != 0 &&
		    strpbrk(arg, " \t\n") == NULL)
			return 0;
		snprintf(err, errlen, "--chown needs USER, USER:GROUP or "
		    ":GROUP");
		return -1;
	case OPT_THEN:
		free(o->then);
		o->then = xstrdup(arg);
		if (arg[0] != '\0')
			return 0;
		snprintf(err, errlen, "--then needs a command");
		return -1;
	case OPT_VALIDATE:
		free(o->validate);
		if ((o->validate = opts_validate(arg)) != NULL)
			return 0;
		snprintf(err, errlen, "--validate needs a command with %%s for "
		    "the file to check, such as 'visudo -cf %%s'");
		return -1;
	case OPT_HELP: fputs(opts_usage, stdout); return 1;
	case OPT_VERSION: puts("fanscp " FANSCP_VERSION); return 1;
	default:
		return opts_scp_flag(c, err, errlen);
	}
}

/*
 * --validate's command as sh code: each %s becomes "$1", the temp file's
 * path passed as an argument (so no path is ever part of the code, and a
 * path needs no quoting by the user), %% becomes %, and any other % stays.
 * NULL when there is no %s: a validator that is not told the file would
 * check something else.  xmalloc'd.
 */
STATIC char *
opts_validate(const char *cmd)
{
	char *s = xmalloc(strlen(cmd) * 2 + 1), *w = s;
	int seen = 0;

	for (; *cmd != '\0'; cmd++) {
		if (cmd[0] == '%' && cmd[1] == 's') {
			memcpy(w, "\"$1\"", 4);
			w += 4;
			cmd++;
			seen = 1;
		} else if (cmd[0] == '%' && cmd[1] == '%') {
			*w++ = '%';
			cmd++;
		} else
			*w++ = *cmd;
	}
	*w = '\0';
	if (!seen) {
		free(s);
		return NULL;
	}
	return s;
}

/* An octal mode, 0 to 07777, as chmod takes it: 644, 0640, 2775. */
static int
opts_chmod(const char *s, unsigned int *mode)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return -1;
		v = v * 8 + (unsigned long)(*p - '0');
	}
	if (v > 07777)
		return -1;
	*mode = (unsigned int)v;
	return 0;
}

/* The options that do not go with --exec, or need it. */
static int
opts_check_exec(const struct opts *o, char *err, size_t errlen)
{
	const char *why = NULL;

	if (o->exec_cmd == NULL && o->validate != NULL && o->recursive)
		why = "--validate checks one file; -r sends a tree";
	else if (o->exec_cmd == NULL && o->then != NULL && o->recursive)
		why = "--then follows a file's commit; -r sends a tree";
	else if (o->if_changed && o->recursive)
		why = "--if-changed compares one file; -r sends a tree";
	else if ((o->chown != NULL || o->has_chmod) && o->recursive)
		why = "--chmod and --chown set one file's; -r sends a tree "
		    "(its archive has the modes)";
	else if ((o->chown != NULL || o->has_chmod) && o->inplace)
		why = "--inplace keeps the destination's inode, owner and "
		    "mode; --chmod and --chown set a new file's";
	else if (o->exec_cmd != NULL && (o->chown != NULL || o->has_chmod))
		why = "--chmod and --chown set a file's; --exec writes none";
	else if (o->exec_cmd == NULL)
		why = o->exec_stream ? "--exec-stream needs --exec 'command'" :
		    NULL;
	else if (o->exec_cmd[0] == '\0')
		why = "--exec needs a command";
	else if (o->recursive)
		why = "-r sends a tree into place; --exec feeds a command";
	else if (o->preserve)
		why = "-p keeps a file's mode and times; --exec writes no file";
	else if (o->inplace)
		why = "--inplace writes into a file; --exec writes no file";
	else if (o->validate != NULL)
		why = "--validate checks a file before it is renamed into "
		    "place; --exec writes no file";
	else if (o->if_changed)
		why = "--if-changed compares a file there; --exec writes none";
	else if (o->then != NULL)
		why = "--then runs after a file is renamed into place; --exec "
		    "runs its command already";
	else if (o->exec_stream && o->all_or_nothing)
		why = "--all-or-nothing holds each go-ahead; --exec-stream runs "
		    "the command as the data arrives, with none";
	else if (o->exec_stream && o->verify)
		why = "--verify checks the data before the command runs, and "
		    "--exec-stream runs it as the data arrives: use --exec";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

/*
 * --relay passes one file's bytes host to host (relay.h); what has no
 * such file, or no address and key for the hops, is refused.  (A
 * stream source is refused in main.c, which knows what the source is.)
 */
static int
opts_check_relay(const struct opts *o, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!o->relay && o->relay_fanout)
		why = "--relay-fanout shapes --relay's trees; --relay was not "
		    "given";
	else if (!o->relay && o->relay_auth)
		why = "--relay-auth says how --relay's hops log in; --relay "
		    "was not given";
	else if (!o->relay)
		why = NULL;
	else if (o->exec_cmd != NULL && o->exec_stream)
		why = "--relay passes a checked temp file host to host; "
		    "--exec-stream feeds the command as the data comes";
	else if (o->transport == JOB_TRANSPORT_SSH)
		why = "--relay learns each host's address and key from "
		    "libssh2; --transport ssh uses none";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

/*
 * --compress: a byte offset into the compressed data is no point to
 * resume from, and a command would be fed compressed bytes.
 */
static int
opts_check_compress(const struct opts *o, char *err, size_t errlen)
{
	const char *why = NULL;

	if (o->compress == COMPRESS_NONE)
		return 0;
	if (o->resume)
		why = "--resume resumes a copy from a byte offset, and an "
		    "offset into --compress's data is no point to resume from";
	else if (o->exec_cmd != NULL)
		why = "--compress sends files and trees; --exec would feed "
		    "the command compressed data";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

/*
 * Check the -o options (and -C, -c) as ssh does while it reads its
 * command line, so that a misspelt key is a usage error before anything
 * is opened.  main.c parses them again for real.
 */
static int
opts_check_options(const struct opts *o, char *err, size_t errlen)
{
	struct sshconf *c = sshconf_new();
	size_t i;
	int r = 0;

	for (i = 0; i < o->n_options && r == 0; i++)
		r = sshconf_add_option(c, o->options[i], err, errlen);
	sshconf_free(c);
	return r;
}

/*
 * Several sources land as DIR/NAME each, from one archive (tree.h): what
 * sets one file's mode, owner or bytes, checks it, or writes into it,
 * has no single file to apply to, and is refused rather than guessed.
 * "-" is a stream, which cannot be one of several.
 */
static int
opts_check_sources(const struct opts *o, char *err, size_t errlen)
{
	const char *why = NULL;
	size_t i;

	if (o->n_sources < 2)
		return 0;
	for (i = 0; i < o->n_sources && why == NULL; i++)
		if (strcmp(o->sources[i], "-") == 0)
			why = "'-' (a stream) cannot be one of several sources";
	if (why != NULL)
		/* said */;
	else if (o->validate != NULL)
		why = "--validate checks one file; several sources were given";
	else if (o->then != NULL)
		why = "--then follows one file's commit; several sources were "
		    "given";
	else if (o->if_changed)
		why = "--if-changed compares one file; several sources were "
		    "given";
	else if (o->chown != NULL || o->has_chmod)
		why = "--chmod and --chown set one file's; several sources "
		    "keep their own modes";
	else if (o->inplace)
		why = "--inplace writes into one file; several sources are "
		    "each renamed into place";
	else if (o->resume)
		why = "--resume resumes one file's copy; several sources are "
		    "sent as one archive";
	else if (o->has_size || o->sha256 != NULL)
		why = "--size and --sha256 describe one file; several sources "
		    "were given";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

int
opts_parse(struct opts *o, int argc, char **argv, char *err, size_t errlen)
{
	int c, r, i;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+346ABCc:D:F:h:i:J:l:Oo:P:pqRrS:sTvX:", long_opts,
	    NULL)) != -1) {
		if (c == '?' || c == ':') {
			if (optopt > 0 && optopt < 256 &&
			    strchr("DJSX", optopt) != NULL)
				return opts_scp_flag(optopt, err, errlen);
			if (optopt > 0 && optopt < 256)
				snprintf(err, errlen, "unknown option or "
				    "missing argument: -%c", optopt);
			else
				snprintf(err, errlen, "unknown option or "
				    "missing argument: %s", argv[optind - 1]);
			return -1;
		}
		if ((r = opts_one(o, c, optarg, err, errlen)) != 0)
			return r;
	}
	if (optind >= argc) {
		snprintf(err, errlen, "no source given");
		return -1;
	}
	/*
	 * scp's rule: the leading operands that are not remote are sources.
	 * Under --exec a target may be a bare host, so one source only.
	 */
	opts_push(&o->sources, &o->n_sources, argv[optind++]);
	while (optind < argc && o->exec_cmd == NULL &&
	    !target_is_remote(argv[optind]))
		opts_push(&o->sources, &o->n_sources, argv[optind++]);
	o->source = o->sources[0];
	for (i = optind; i < argc; i++)
		opts_push(&o->targets, &o->n_targets, argv[i]);
	if (o->n_targets == 0 && o->n_hostfiles == 0) {
		snprintf(err, errlen, "no target given");
		return -1;
	}
	if (opts_check_options(o, err, errlen) == -1)
		return -1;
	if (opts_check_sources(o, err, errlen) == -1)
		return -1;
	if (opts_check_relay(o, err, errlen) == -1)
		return -1;
	if (opts_check_compress(o, err, errlen) == -1)
		return -1;
	return opts_check_exec(o, err, errlen);
}

static void
opts_free_vec(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
opts_release(struct opts *o)
{
	free(o->config);
	free(o->exec_cmd);
	free(o->validate);
	free(o->then);
	free(o->chown);
	opts_free_vec(o->sources, o->n_sources);
	free(o->spool_dir);
	free(o->sha256);
	free(o->json);
	free(o->failed);
	opts_free_vec(o->hostfiles, o->n_hostfiles);
	opts_free_vec(o->identities, o->n_identities);
	opts_free_vec(o->options, o->n_options);
	opts_free_vec(o->targets, o->n_targets);
	memset(o, 0, sizeof(*o));
}
