/*
 * The remote side: the sh scripts that receive a file on a target and
 * commit it.  Each script is one string for an exec channel.  The values
 * from the job come first, as single-quoted assignments on one line; the
 * rest is constant text that reads them as shell variables, so a path is
 * never part of the code, and the text needs no printf escapes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote.h"
#include "unittest.h"
#include "xmalloc.h"

STATIC char	*remote_prelude(const struct remote_job *);

/*
 * Shared by all scripts.  It expects d (the path), b (the source's base
 * name), k (the token) and s (the size).  zsh is put in sh mode, and the C
 * locale makes ${#n} count bytes.  die prints a message and exits; drop
 * removes the temp file first; size checks the temp file's byte count.
 * Then d is resolved as scp does, p is its directory with a trailing
 * slash ("./" for none), n its last component and t the temp file, with
 * a shorter name when n is long, to stay under NAME_MAX.  Every command
 * that takes a path gets "--", as p may start with '-'.  Parameter
 * expansions split d, not $(dirname), which would strip trailing newlines.
 */
static const char prelude[] =
    "[ -z \"$ZSH_VERSION\" ] || emulate sh\n"
    "export LC_ALL=C\n"
    "die() { printf '%s\\n' \"$2\" >&2; exit \"$1\"; }\n"
    "drop() { rm -f -- \"$t\"; die \"$@\"; }\n"
    "size() {\n"
    "\tz=$(wc -c <\"$t\"); z=${z##*[!0-9]}\n"
    "\t[ \"$z\" = \"$s\" ] ||\n"
    "\t    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"\n"
    "}\n"
    "case $d in\n"
    "''|*/) d=$d$b;;\n"
    "*) [ -d \"$d\" ] && d=$d/$b;;\n"
    "esac\n"
    "case $d in\n"
    "*/*) p=${d%/*}/ n=${d##*/};;\n"
    "*) p=./ n=$d;;\n"
    "esac\n"
    "t=$p.$n.fanscp.$k\n"
    "[ ${#n} -le 200 ] || t=$p.fanscp.$k\n";

/*
 * Receive: the checks, then one exclusive open (noclobber) of the temp
 * file with a 077 umask, which cat fills from stdin.  The subshell tells a
 * failed cat (73, its message passed on) from a failed open (the shell's
 * message, whose reason follows the last ": ").
 */
static const char receive_body[] =
    "[ -d \"$d\" ] && die 71 \"cannot create '$d': Is a directory\"\n"
    "[ -d \"$p\" ] ||\n"
    "    die 70 \"cannot create '$d': No such file or directory\"\n"
    "umask 077\n"
    "set -C\n"
    "m=$({ cat || exit 73; } 2>&1 >\"$t\")\n"
    "case $? in\n"
    "0) ;;\n"
    "73) drop 73 \"${m:-cannot write '$d'}\";;\n"
    "*) die 72 \"cannot create '$d': ${m##*: }\";;\n"
    "esac\n"
    "size\n"
    "echo fanscp-ok receive $s\n";

/* Commit, first part: the temp file must be there, whole. */
static const char commit_head[] =
    "[ -f \"$t\" ] || die 78 \"cannot commit '$d': no temp file\"\n"
    "size\n";

/*
 * The SHA-256 check against x, with the first tool that works.  Each reads
 * the file afresh; the digest is the leading hex digits of the output.
 */
static const char commit_sha[] =
    "sha() { \"$@\" <\"$t\" 2>/dev/null; }\n"
    "h=$(sha sha256sum || sha shasum -a 256 ||\n"
    "    sha openssl dgst -sha256 -r || sha busybox sha256sum)\n"
    "h=${h%%[!0-9a-f]*}\n"
    "[ -n \"$h\" ] || drop 76 \"cannot verify '$d': no SHA-256 tool\"\n"
    "[ \"$h\" = \"$x\" ] || drop 75 \"SHA-256 mismatch for '$d'\"\n";

/*
 * Without -p, the mode of the file being replaced (GNU/busybox stat, then
 * BSD stat), else m less the umask.  Every mode is set, since the temp
 * file was made 0600.
 */
static const char commit_mode[] =
    "o=$(stat -L -c %a -- \"$d\" 2>/dev/null ||\n"
    "    stat -L -f %Lp -- \"$d\" 2>/dev/null)\n"
    "case $o in\n"
    "''|*[!0-7]*) o=$(printf %o $(($m & ~0$(umask))));;\n"
    "esac\n"
    "chmod -- \"$o\" \"$t\" || drop 77 \"cannot set the mode of '$d'\"\n";

/* With -p, m exactly, and the times in UTC from a and u. */
static const char commit_preserve[] =
    "chmod -- \"$m\" \"$t\" &&\n"
    "TZ=UTC0 touch -m -t \"$u\" -- \"$t\" &&\n"
    "TZ=UTC0 touch -a -t \"$a\" -- \"$t\" ||\n"
    "    drop 77 \"cannot set the mode and times of '$d'\"\n";

/* Commit, last part: mv -f would move into a directory, hence the check. */
static const char commit_tail[] =
    "[ -d \"$d\" ] && drop 71 \"cannot create '$d': Is a directory\"\n"
    "mv -f -- \"$t\" \"$d\" || drop 77 \"cannot rename '$t' to '$d'\"\n"
    "echo fanscp-ok commit $s\n";

static const char abort_body[] =
    "rm -f -- \"$t\" 2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

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

/* The job's values as shell assignments, then the shared prelude. */
STATIC char *
remote_prelude(const struct remote_job *job)
{
	char *d = shquote(job->path);
	char *b = shquote(job->basename);
	char *k = shquote(job->token);
	char *s;

	s = xasprintf("d=%s b=%s k=%s s=%" PRIu64 "\n%s", d, b, k, job->size,
	    prelude);
	free(d);
	free(b);
	free(k);
	return s;
}

char *
remote_receive_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *s;

	s = xasprintf("%s%s", pre, receive_body);
	free(pre);
	return s;
}

/* t as touch -t wants it: CCYYMMDDhhmm.SS, in UTC. */
static void
touch_stamp(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "197001010000.00");
		return;
	}
	snprintf(buf, len, "%04d%02d%02d%02d%02d.%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The part of the commit that checks the SHA-256, if the job asks. */
static char *
commit_sha_part(const struct remote_job *job)
{
	char *lower, *x, *s;
	size_t i;

	if (job->sha256 == NULL)
		return xstrdup("");
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

/* The part of the commit that sets the mode, and the times with -p. */
static char *
commit_mode_part(const struct remote_job *job)
{
	char m[80], a[80];
	unsigned int mode = job->mode & 07777;

	if (!job->preserve)
		return xasprintf("m=0%o\n%s", mode, commit_mode);
	touch_stamp(job->mtime, m, sizeof(m));
	touch_stamp(job->atime, a, sizeof(a));
	return xasprintf("m=0%o u=%s a=%s\n%s", mode, m, a, commit_preserve);
}

char *
remote_commit_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *sha = commit_sha_part(job);
	char *mode = commit_mode_part(job);
	char *s;

	s = xasprintf("%s%s%s%s%s", pre, commit_head, sha, mode, commit_tail);
	free(pre);
	free(sha);
	free(mode);
	return s;
}

char *
remote_abort_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *s;

	s = xasprintf("%s%s", pre, abort_body);
	free(pre);
	return s;
}

int
remote_check_ok(const char *out, size_t len, const char *what, uint64_t size)
{
	char *want = xasprintf("fanscp-ok %s %" PRIu64 "\n", what, size);
	size_t n = strlen(want);
	int ok;

	/* The last line counts: rc files may print before it. */
	ok = len >= n && memcmp(out + len - n, want, n) == 0 &&
	    (len == n || out[len - n - 1] == '\n');
	free(want);
	return ok ? 0 : -1;
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
	default:
		return NULL;
	}
}
