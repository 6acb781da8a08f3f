/*
 * The command payloads: --exec feeds the data to the user's command (c)
 * instead of writing a file.  A command cannot tell a cut-off input from
 * a whole one (tar unpacks half an archive and exits 0), so by default:
 *   receive  writes the data into a private temp file in w ($TMPDIR or
 *            the home), ".fanscp.TOKEN", made exclusively with mode 600,
 *            and checks its byte count, as the file payload does;
 *   commit   checks the byte count again, and the SHA-256 when asked,
 *            says "ready" and waits for the go-ahead: only then does it
 *            run "sh -c CMD < temp".  The temp file goes whatever the
 *            command does; without the go-ahead nothing runs.
 * --exec-stream has one step: its receive runs the command with the data
 * as its stdin, as it arrives (from its first byte on), so the command may
 * see a partial input.
 *
 * The command's stdout and stderr go to two more private temp files
 * (".fanscp.TOKEN.out", ".err"), so that nothing it prints, nor anything
 * a background child of it prints later, can pass for the script's own
 * lines, and so that a child that keeps them open cannot hold the channel.
 * When it ends, the script sends back their tails (bounded; stderr's after
 * a line "fanscp-stderr", so that it is told from what an rc file or sshd
 * said before), and then one line, "fanscp-ok exec STATUS LEN": its exit
 * status, and how many bytes of stdout came before the line.  The status
 * travels in that line, never as the script's exit status, whose own
 * codes (70-83) say that the script failed before the command could run.
 *
 * The command runs as the user's command, not as part of the script: in
 * a fresh /bin/sh, with the login's umask and locale, and SIGPIPE back to
 * its default.  A heartbeat runs meanwhile, so that a long command (a
 * docker load) is not taken for a stall; a command that hangs hangs the
 * host, as it would under ssh.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "unittest.h"
#include "xmalloc.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

/*
 * After remote_vars(): t is the data's temp file, O and E the command's
 * output files once made (drop removes what exists), u the umask the
 * command gets back, d what messages name.  mk makes a private file
 * exclusively (set -C, umask 077).
 */
static const char exec_head[] =
    "t=$w/.fanscp.$k O= E= d=$w/.fanscp.$k\n"
    "u=$(umask)\n"
    "umask 077\n"
    "set -C\n"
    "mk() { v=$( { : >\"$1\" && chmod 600 -- \"$1\"; } 2>&1); }\n"
    "drop() {\n"
    "\trm -f -- \"$t\"\n"
    "\t[ -z \"$O\" ] || rm -f -- \"$O\"\n"
    "\t[ -z \"$E\" ] || rm -f -- \"$E\"\n"
    "\tdie \"$@\"\n"
    "}\n"
    "outs() {\n"
    "\tmk \"$t.out\" ||\n"
    "\t    drop 72 \"cannot create a temp file in '$w': ${v##*: }\"\n"
    "\tO=$t.out\n"
    "\tmk \"$t.err\" ||\n"
    "\t    drop 72 \"cannot create a temp file in '$w': ${v##*: }\"\n"
    "\tE=$t.err\n"
    "}\n";

/*
 * Run the command (stdin: the caller's), under a heartbeat, then send
 * back the tail of its stderr (on stderr) and of its stdout, remove every
 * temp file, and say how it ended.
 */
static const char exec_run[] =
    "run() {\n"
    "\tset +C\n"
    "\tbeat\n"
    "\t(trap - PIPE; umask \"$u\"; unset LC_ALL; exec /bin/sh -c -- \"$c\") "
    ">\"$O\" 2>\"$E\"\n"
    "\tst=$?\n"
    "\tunbeat\n"
    "\trm -f -- \"$t\"\n"
    "\tn=$(wc -c <\"$O\"); n=${n##*[!0-9]}; n=${n:-0}\n"
    "\t[ \"$n\" -le " STR(REMOTE_OUT_TAIL) " ] ||\n"
    "\t    n=" STR(REMOTE_OUT_TAIL) "\n"
    "\tprintf '\\nfanscp-stderr\\n' >&2\n"
    "\ttail -c " STR(REMOTE_ERR_TAIL) " \"$E\" >&2\n"
    "\t[ \"$n\" = 0 ] || tail -c \"$n\" \"$O\"\n"
    "\trm -f -- \"$O\" \"$E\"\n"
    "\tprintf '\\nfanscp-ok exec %s %s\\n' \"$st\" \"$n\"\n"
    "}\n";

/*
 * --exec's receive: the data into the temp file, its byte count checked;
 * a stream's size is known only at its end (s is empty): it comes in the
 * seal after the data (remote.h), without which the data was cut short.
 */
static const char exec_receive[] =
    "mk \"$t\" || die 72 \"cannot create a temp file in '$w': ${v##*: }\"\n";

/* The data, sent directly (--relay: remote_data_part()). */
static const char exec_data[] =
    "echo fanscp-ready receive\n"
    "v=$({ cat || exit 73; } 2>&1 >>\"$t\")\n"
    "[ $? = 0 ] || drop 73 \"${v:-cannot write '$t'}\"\n"
    "beat\n"
    "[ -n \"$s\" ] || unseal \"$t\" || drop 74 \"the data was cut short\"\n"
    "size \"$t\" || drop 74 \"wrong size for '$t': got ${z:-?} of $s bytes\"\n"
    "unbeat\n"
    "echo fanscp-ok receive $s\n";

/*
 * --exec's commit: the checks, the output files, "ready", and the command
 * only after the go-ahead; anything else (the end of input: fanscp gone
 * or giving up) removes the temp file and runs nothing.
 */
static const char exec_commit[] =
    "[ -f \"$t\" ] || die 78 \"cannot run the command: no temp file '$t'\"\n"
    "beat\n"
    "size \"$t\" || drop 74 \"wrong size for '$t': got ${z:-?} of $s bytes\"\n"
    "hash \"$t\" || drop 75 \"SHA-256 mismatch for '$t'\"\n"
    "outs\n"
    "unbeat\n"
    "echo fanscp-ready commit\n"
    "read -r g || g=\n"
    "[ \"$g\" = go ] ||\n"
    "    drop 81 \"no go-ahead from fanscp; the command was not run\"\n"
    "run <\"$t\"\n";

/*
 * --exec-stream's receive: the command reads the data as it comes.  It
 * starts only once the first byte is in (kept in t meanwhile), so that a
 * transfer cut before any data runs nothing; with no byte to expect (s =
 * 0) it runs on the empty input.  A stream's size is unknown (s empty):
 * it must bring a byte.  The feeding cat's complaint when the
 * command stops reading early is not the command's.
 */
static const char stream_receive[] =
    "outs\n"
    "mk \"$t\" || drop 72 \"cannot create a temp file in '$w': ${v##*: }\"\n"
    "echo fanscp-ready receive\n"
    "command dd bs=1 count=1 2>/dev/null >>\"$t\"\n"
    "[ \"$s\" = 0 ] || [ -s \"$t\" ] ||\n"
    "    drop 73 \"no data came; the command was not run\"\n"
    "{ cat -- \"$t\" && rm -f -- \"$t\" && exec cat; } 2>/dev/null | run\n";

/* Abort: whatever temp files are left; nothing has run. */
static const char exec_abort[] =
    "rm -f -- \"$t\" \"$t.out\" \"$t.err\" 2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

/* The command, the job's values and the shared sh, then body. */
static char *
exec_script(const struct remote_job *job, const char *sha, const char *body)
{
	char *c = shquote(job->cmd != NULL ? job->cmd : "");
	char *v = remote_vars(job);
	char *s;

	s = xasprintf("c=%s\n%s%s%s%s%s", c, v, exec_head, exec_run,
	    sha != NULL ? sha : "", body);
	free(c);
	free(v);
	return s;
}

static char *
exec_receive_cmd(const struct remote_job *job)
{
	char *unz = remote_unzip_part(job);	/* X is empty: cat, bad */
	char *data = remote_data_part(job, exec_data);
	char *body = xasprintf("%s%s%s", unz, exec_receive, data);
	char *s = exec_script(job, NULL, body);

	free(body);
	free(data);
	free(unz);
	return s;
}

static char *
exec_commit_cmd(const struct remote_job *job)
{
	char *sha = remote_sha_part(job);
	char *s = exec_script(job, sha, exec_commit);

	free(sha);
	return s;
}

static char *
stream_receive_cmd(const struct remote_job *job)
{
	return exec_script(job, NULL, stream_receive);
}

static char *
exec_abort_cmd(const struct remote_job *job)
{
	return exec_script(job, NULL, exec_abort);
}

/* The number at the end of [s, e), which must be all digits; -1 if bad. */
static int64_t
exec_num(const char *s, const char *e)
{
	int64_t v = 0;

	if (s == e || e - s > 9)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int
remote_exec_result(const char *out, size_t len, int *status,
    const char **tail, size_t *taillen)
{
	static const char mark[] = "fanscp-ok exec ";
	const char *end = out + len, *line, *sp, *nl;
	size_t m = sizeof(mark) - 1;
	int64_t st, n;

	if (len == 0 || end[-1] != '\n')
		return -1;
	for (line = end - 1; line > out && line[-1] != '\n'; line--)
		;
	/* The last line, after the '\n' the script puts before it. */
	if (line == out || (size_t)(end - line) < m + 4 ||
	    memcmp(line, mark, m) != 0)
		return -1;
	nl = line - 1;
	line += m;
	if ((sp = memchr(line, ' ', (size_t)(end - 1 - line))) == NULL)
		return -1;
	st = exec_num(line, sp);
	n = exec_num(sp + 1, end - 1);
	if (st < 0 || st > 255 || n < 0 || n > REMOTE_OUT_TAIL)
		return -1;
	*status = (int)st;
	/* What the caller kept may have cut the tail's start. */
	*taillen = (size_t)n <= (size_t)(nl - out) ? (size_t)n :
	    (size_t)(nl - out);
	*tail = nl - *taillen;
	return 0;
}

void
remote_exec_stderr(const char *err, size_t len, const char **tail,
    size_t *taillen)
{
	static const char mark[] = "\nfanscp-stderr\n";
	size_t m = sizeof(mark) - 1, i;

	*tail = err;
	*taillen = len;
	for (i = len >= m ? len - m + 1 : 0; i-- > 0;)
		if (memcmp(err + i, mark, m) == 0) {
			*tail = err + i + m;
			*taillen = len - i - m;
			return;
		}
}

const struct remote_payload remote_exec_payload = {
	"exec", exec_receive_cmd, exec_commit_cmd, exec_abort_cmd, 1, "commit", 0,
};

const struct remote_payload remote_exec_stream_payload = {
	"exec-stream", stream_receive_cmd, NULL, exec_abort_cmd, 0, "receive", 0,
};
