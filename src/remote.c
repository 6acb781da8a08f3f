/*
 * The remote side's shared parts: the loader every channel execs, the
 * framing of a script, quoting, the sh every script starts with, and the
 * success lines.  Each payload kind (remote_file.c, ...) builds its own
 * scripts from these; remote_receive_cmd() and the others pick the
 * builder for the job's kind.  The values from the job come first, as
 * single-quoted assignments on one line; the rest is constant text that
 * reads them as shell variables, so a path is never part of the code, and
 * the text needs no printf escapes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote.h"
#include "unittest.h"
#include "xmalloc.h"

/*
 * What every channel execs, whatever the login shell (sh, bash, zsh, csh,
 * tcsh, fish): a fresh /bin/sh, free of the rc files' options, aliases and
 * functions, that reads its script from stdin as "LENGTH\n" and LENGTH
 * bytes, and evaluates it.  dd reads with one read(2) of at most what is
 * left, so nothing after the script is consumed (head -c over-reads on
 * some systems); it goes round until the whole script is in, in the C
 * locale so that ${#S} counts bytes, and fails on an early end.  The text
 * has no newline, backslash or '!', so that every one of those shells
 * passes it on unchanged.  Functions exported under the names it uses
 * are dropped first.  The script is framed as one { } group, so that a
 * script cut short by a lost connection is a syntax error and runs not at
 * all.
 */
#define LOADER	"unset -f command dd read 2>/dev/null; LC_ALL=C; " \
		"IFS= read -r L && S= && while [ ${#S} -lt \"$L\" ]; do " \
		"C=$(command dd bs=$((L - ${#S})) count=1 2>/dev/null; " \
		"echo x); [ ${#C} -gt 1 ] || { " \
		"echo cannot read the script: no dd or an early end >&2; " \
		"exit 126; }; S=$S${C%x}; done && eval \"$S\""
const char remote_loader[] = LOADER;
const char remote_exec_cmd[] = "exec /bin/sh -c '" LOADER "'";
/*
 * --sudo: the same sh, as root.  -n: never a prompt; sudo says why it will
 * not (a password is required, not in sudoers) on stderr, and exits 1
 * before the loader has read a byte.  The login user's HOME, which sudo
 * resets, comes along as $1: the scripts keep it as LH (--relay's keys
 * are the login user's).
 */
const char remote_sudo_cmd[] = "exec sudo -n /bin/sh -c '" LOADER "' "
    "fanscp \"$HOME\"";

/*
 * Shared by all scripts, after the job's values.  The shell is put in a
 * known state: no errexit or nounset, SIGPIPE ignored (with fanscp gone, a
 * line to it fails instead of killing the script before it cleans up), no
 * CDPATH, no functions shadowing the tools, zsh in sh mode, and the C
 * locale so that ${#n} counts bytes.  die prints a message and exits
 * (stopping a heartbeat first); drop removes the temp file t first; size N
 * checks file N's byte count against s; beat starts a heartbeat on stdout
 * for long checks (its stderr, from the fork on, is /dev/null: zsh reports
 * a subshell killed while it starts).  drop also removes a keep
 * receive's pid file, P (remote_file.c).  unseal FILE takes a stream's seal
 * off the end of FILE (see remote.h), sets s to the size it names, and
 * fails if there is none: the data was cut short.  dd with seek and no
 * input truncates, as POSIX says.  w is where a payload that has no
 * place beside its destination keeps its temp file: $TMPDIR or the home.
 */
const char remote_common[] =
    "set +euC\n"
    "trap '' PIPE\n"
    "unset CDPATH hb P RW um\n"
    "unset -f cat wc mv rm chmod chown chgrp touch stat id readlink kill "
    "tail dd head "
    "sleep sha256sum shasum openssl busybox getfacl setfacl chcon read "
    "printf cd umask echo wait test command 2>/dev/null\n"
    "[ -z \"$ZSH_VERSION\" ] || emulate sh\n"
    "export LC_ALL=C\n"
    "die() {\n"
    "\t[ -z \"$hb\" ] || kill \"$hb\" 2>/dev/null\n"
    "\t[ -z \"$RW\" ] || rfin\n"
    "\tprintf '%s\\n' \"$2\" >&2; exit \"$1\"\n"
    "}\n"
    "drop() { rm -f -- \"$t\" ${P:+\"$P\"}; die \"$@\"; }\n"
    "size() { z=$(wc -c <\"$1\"); z=${z##*[!0-9]}; [ \"$z\" = \"$s\" ]; }\n"
    "beat() {\n"
    "\t{ (while sleep 1 </dev/null >/dev/null 2>&1; do\n"
    "\t\techo fanscp-alive || exit; done) & } 2>/dev/null\n"
    "\thb=$!\n"
    "}\n"
    "unbeat() {\n"
    "\t[ -z \"$hb\" ] || { kill \"$hb\"; wait \"$hb\"; } 2>/dev/null\n"
    "\thb=\n"
    "}\n"
    "isroot() {\n"
    "\t[ -n \"$r\" ] || { r=0; [ \"$(id -u)\" = 0 ] && r=1; }\n"
    "\t[ \"$r\" = 1 ]\n"
    "}\n"
    "r=\n"
    "unseal() {\n"
    "\te=$(tail -c 64 -- \"$1\" 2>/dev/null)\n"
    "\tcase $e in \"fanscp-end $k \"*) ;; *) return 1;; esac\n"
    "\ts=${e##* }\n"
    "\twhile [ ${#s} -gt 1 ] && [ \"${s#0}\" != \"$s\" ]; do s=${s#0}; done\n"
    "\tcase $s in ''|*[!0-9]*) return 1;; esac\n"
    "\tdd if=/dev/null of=\"$1\" bs=1 seek=\"$s\" 2>/dev/null\n"
    "}\n"
    "w=${TMPDIR:-${HOME:-$PWD}}\n"
    "case $w in /*) ;; *) w=$PWD/$w;; esac\n";

/*
 * The SHA-256 check of file $1 against x, with the first tool that works.
 * Each reads the file afresh; the digest is the leading hex digits.
 */
static const char commit_sha[] =
    "sha() { \"$@\" <\"$f\" 2>/dev/null; }\n"
    "hash() {\n"
    "\tf=$1\n"
    "\th=$(sha sha256sum || sha shasum -a 256 ||\n"
    "\t    sha openssl dgst -sha256 -r || sha busybox sha256sum)\n"
    "\th=${h%%[!0-9a-f]*}\n"
    "\t[ -n \"$h\" ] || drop 76 \"cannot verify '$d': no SHA-256 tool\"\n"
    "\t[ \"$h\" = \"$x\" ]\n"
    "}\n";

/* No hash asked: hash() is always true. */
static const char commit_nosha[] = "hash() { :; }\n";

char *
shquote(const char *s)
{
	const char *p;
	char *q, *w;
	size_t n = 3;

	for (p = s; *p != '\0'; p++)
		n += *p == '\'' ? 4 : 1;
	q = w = xmalloc(n);
	*w++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else
			*w++ = *p;
	}
	*w++ = '\'';
	*w = '\0';
	return q;
}

/* The job's values as shell assignments, then remote_common. */
char *
remote_vars(const struct remote_job *job)
{
	char *d = shquote(job->path);
	char *b = shquote(job->basename);
	char *k = shquote(job->token);
	char *r = shquote(job->run != NULL ? job->run : "");
	char *s, sz[32] = "";

	/* A stream's size is unknown until its end: s is empty. */
	if (!job->size_unknown)
		snprintf(sz, sizeof(sz), "%" PRIu64, job->size);
	s = xasprintf("LH=${1-} d=%s b=%s k=%s s=%s i=%d K=%d Z=%d R=%s\n%s",
	    d, b, k, sz, job->inplace ? 1 : 0, job->keep ? 1 : 0,
	    job->takeover ? 1 : 0, r, remote_common);
	free(d);
	free(b);
	free(k);
	free(r);
	return s;
}

/* hash FILE: checks the SHA-256 if the job asks; else always true. */
char *
remote_sha_part(const struct remote_job *job)
{
	char *lower, *x, *s;
	size_t i;

	if (job->sha256 == NULL)
		return xstrdup(commit_nosha);
	lower = xstrdup(job->sha256);
	for (i = 0; lower[i] != '\0'; i++)
		if (lower[i] >= 'A' && lower[i] <= 'F')
			lower[i] += 'a' - 'A';
	x = shquote(lower);
	s = xasprintf("x=%s\n%s", x, commit_sha);
	free(x);
	free(lower);
	return s;
}

void
remote_touch_stamp(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "197001010000.00");
		return;
	}
	snprintf(buf, len, "%04d%02d%02d%02d%02d.%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The builders of each payload kind. */
static const struct remote_payload *const payloads[] = {
	[REMOTE_FILE] = &remote_file_payload,
	[REMOTE_TREE] = &remote_tree_payload,
	[REMOTE_EXEC] = &remote_exec_payload,
	[REMOTE_EXEC_STREAM] = &remote_exec_stream_payload,
	[REMOTE_SET] = &remote_set_payload,
};

static const struct remote_payload *
payload_of(const struct remote_job *job)
{
	return payloads[job->kind];
}

char *
remote_receive_cmd(const struct remote_job *job)
{
	return payload_of(job)->receive(job);
}

char *
remote_commit_cmd(const struct remote_job *job)
{
	return payload_of(job)->commit(job);
}

char *
remote_abort_cmd(const struct remote_job *job)
{
	return payload_of(job)->abort(job);
}

int
remote_sealed(const struct remote_job *job)
{
	return job->size_unknown && payload_of(job)->sealed;
}

void
remote_seal(const struct remote_job *job, uint64_t size, char *buf)
{
	snprintf(buf, REMOTE_SEAL_LEN + 1, "fanscp-end %.32s %019" PRIu64 "\n",
	    job->token, size);
}

int
remote_has_commit(const struct remote_job *job)
{
	return payload_of(job)->commit != NULL;
}

int
remote_can_join(const struct remote_job *job)
{
	return payload_of(job)->joins && !job->size_unknown &&
	    job->unzip == NULL && !job->relay;
}

int
remote_runs_cmd(const struct remote_job *job, const char *what)
{
	const char *step = payload_of(job)->runs_cmd;

	return step != NULL && strcmp(step, what) == 0;
}

char *
remote_frame(const char *script, size_t *len)
{
	char *s = xasprintf("%zu\n{\n%s}\n", strlen(script) + 4, script);

	*len = strlen(s);
	return s;
}

/* Does out end with the line want (after any lines before it)? */
static int
ends_with_line(const char *out, size_t len, const char *want)
{
	size_t n = strlen(want);

	return len >= n && memcmp(out + len - n, want, n) == 0 &&
	    (len == n || out[len - n - 1] == '\n');
}

/* Where the last line of out[0..len), which ends with '\n', starts. */
static const char *
last_line_start(const char *out, size_t len)
{
	const char *line = out + len - 1;

	while (line > out && line[-1] != '\n')
		line--;
	return line;
}

/*
 * The length of out without the lines at its end that a receive fed by
 * another host writes on its own after "ready" (relay.h): its progress
 * ("fanscp-got N", once a second) and how its stream ended
 * ("fanscp-relay-..."), which may come before fanscp has read "ready".
 */
static size_t
before_fed_lines(const char *out, size_t len)
{
	const char *line;

	while (len > 0 && out[len - 1] == '\n') {
		line = last_line_start(out, len);
		if (strncmp(line, "fanscp-got ", 11) != 0 &&
		    strncmp(line, "fanscp-relay-", 13) != 0)
			break;
		len = (size_t)(line - out);
	}
	return len;
}

int
remote_check_ready(const char *out, size_t len, const char *what)
{
	char *want = xasprintf("fanscp-ready %s\n", what);
	int ok = ends_with_line(out, len, want);

	if (!ok && strcmp(what, "receive") == 0) {
		/* A joined receive with no bytes to take goes straight on. */
		ok = ends_with_line(out, len,
		    "fanscp-ready receive\nfanscp-ready commit\n") ||
		    ends_with_line(out, before_fed_lines(out, len), want);
	}
	free(want);
	return ok ? 0 : -1;
}

int
remote_check_ok(const char *out, size_t len, const char *what, uint64_t size)
{
	char *want = xasprintf("fanscp-ok %s %" PRIu64 "\n", what, size);
	int ok = ends_with_line(out, len, want);

	free(want);
	return ok ? 0 : -1;
}

/* The last line of out, if it starts with prefix: its rest, else NULL. */
static const char *
last_line_after(const char *out, size_t len, const char *prefix, size_t *n)
{
	const char *end = out + len, *line;
	size_t pl = strlen(prefix);

	if (len == 0 || end[-1] != '\n')
		return NULL;
	line = last_line_start(out, len);
	if ((size_t)(end - 1 - line) < pl || memcmp(line, prefix, pl) != 0)
		return NULL;
	*n = (size_t)(end - 1 - line) - pl;
	return line + pl;
}

/* A decimal count of at most 19 digits, the whole of p[0..n). */
static int
parse_count(const char *p, size_t n, uint64_t *v)
{
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return 0;
}

int
remote_check_have(const char *out, size_t len, uint64_t *have,
    char hash[65])
{
	const char *p, *sp;
	size_t n, i;

	if ((p = last_line_after(out, len, "fanscp-have ", &n)) == NULL ||
	    (sp = memchr(p, ' ', n)) == NULL ||
	    parse_count(p, (size_t)(sp - p), have) != 0)
		return -1;
	n -= (size_t)(sp + 1 - p);
	p = sp + 1;
	hash[0] = '\0';
	if (n == 1 && p[0] == '-')
		return 0;
	if (n != 64)
		return -1;
	for (i = 0; i < 64; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f')))
			return -1;
		hash[i] = p[i];
	}
	hash[64] = '\0';
	return 0;
}

int
remote_last_line(const char *out, size_t len, const char *prefix,
    const char **p, size_t *n)
{
	return (*p = last_line_after(out, len, prefix, n)) != NULL ? 0 : -1;
}

int
remote_check_part(const char *out, size_t len, uint64_t *have)
{
	const char *p;
	size_t n;

	if ((p = last_line_after(out, len, "fanscp-part receive ", &n)) ==
	    NULL)
		return -1;
	return parse_count(p, n, have);
}

int
remote_then_result(const char *out, size_t len, const char *err,
    size_t errlen, int *status, const char **tail, size_t *taillen)
{
	static const char line[] = "fanscp-then ", mark[] =
	    "\nfanscp-then-output\n";
	size_t pl = sizeof(line) - 1, m = sizeof(mark) - 1, i, j;
	uint64_t v;

	/* The last such line: an rc file's noise can only come first. */
	for (i = len; i-- > 0;) {
		if ((i > 0 && out[i - 1] != '\n') || len - i < pl ||
		    memcmp(out + i, line, pl) != 0)
			continue;
		for (j = i + pl; j < len && out[j] != '\n'; j++)
			;
		if (j == len || parse_count(out + i + pl, j - i - pl, &v) != 0
		    || v > 255)
			return -1;
		*status = (int)v;
		*tail = "";
		*taillen = 0;
		for (i = errlen >= m ? errlen - m + 1 : 0; i-- > 0;)
			if (memcmp(err + i, mark, m) == 0) {
				*tail = err + i + m;
				*taillen = errlen - i - m;
				break;
			}
		return 0;
	}
	return -1;
}

/*
 * --compress: the decompressor must be there before any temp file is
 * made; X is one of fanscp's names, quoted all the same.  bad drops a
 * temp file whose data could not be written (or decompressed).
 */
static const char unzip_part[] =
    "unzip() { if [ -n \"$X\" ]; then \"$X\" -dc; else cat; fi; }\n"
    "bad() {\n"
    "\t[ -z \"$X\" ] || drop 91 \"$X -dc failed on the data for '$d' "
    "(corrupt or cut short, or the disk is full)\"\n"
    "\tdrop 73 \"cannot write '$d'\"\n"
    "}\n"
    "[ -z \"$X\" ] || command -v \"$X\" >/dev/null 2>&1 || die 90 "
    "\"--compress $X: $X is not installed on the host\"\n";

char *
remote_unzip_part(const struct remote_job *job)
{
	char *x = shquote(job->unzip != NULL ? job->unzip : "");
	char *s = xasprintf("X=%s\n%s", x, unzip_part);

	free(x);
	return s;
}

const char *
remote_exit_str(int status)
{
	switch (status) {
	case REMOTE_EXIT_NODIR:
		return "the destination directory is missing";
	case REMOTE_EXIT_ISDIR:
		return "the destination is a directory";
	case REMOTE_EXIT_CREATE:
		return "cannot create the temp file";
	case REMOTE_EXIT_WRITE:
		return "cannot write the temp file";
	case REMOTE_EXIT_SIZE:
		return "the byte count differs";
	case REMOTE_EXIT_HASH:
		return "the SHA-256 differs";
	case REMOTE_EXIT_NOHASH:
		return "no SHA-256 tool on the host";
	case REMOTE_EXIT_RENAME:
		return "cannot set the mode or rename the file";
	case REMOTE_EXIT_NOTMP:
		return "the temp file is missing";
	case REMOTE_EXIT_SPECIAL:
		return "the destination is not a regular file";
	case REMOTE_EXIT_DENIED:
		return "permission denied";
	case REMOTE_EXIT_NOGO:
		return "no go-ahead; nothing changed";
	case REMOTE_EXIT_MODIFIED:
		return "destination modified";
	case REMOTE_EXIT_LINK:
		return "cannot resolve a symbolic link";
	case REMOTE_EXIT_NOTAR:
		return "tar not found on the host";
	case REMOTE_EXIT_UNPACK:
		return "unpacking the tree failed";
	case REMOTE_EXIT_NOTDIR:
		return "the destination is not a directory";
	case REMOTE_EXIT_PART:
		return "the data was cut short; the temp file is kept";
	case REMOTE_EXIT_NOUNZIP:
		return "--compress: no decompressor on the host";
	case REMOTE_EXIT_UNZIP:
		return "--compress: decompressing the data failed";
	case REMOTE_EXIT_HELD:
		return "another fanscp run is receiving the same file";
	case REMOTE_EXIT_VALIDATE:
		return "the --validate command failed";
	default:
		return NULL;
	}
}
