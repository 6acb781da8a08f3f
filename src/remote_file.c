/*
 * The file payload: receive a file into a temp file beside its
 * destination, and commit it with an atomic rename, keeping what scp
 * keeps (see remote.h).
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
 * A file's destination d is resolved as scp does (b: the source's base
 * name), and a symlink is followed to its final target, which is what
 * gets replaced.  p is its directory, n the file's name there and t the
 * temp file beside it, relative to p (the scripts move into p, so that no
 * path grows past PATH_MAX), with a shorter name when n is long, to stay
 * under NAME_MAX; n then gets a "./" prefix, so that no tool reads a name
 * "-" as stdin.  Every command that takes a path gets "--", as a name may
 * start with '-'.  Parameter expansions split d, not $(dirname), which
 * would strip trailing newlines.  A stream has no base name (b is empty):
 * its target must name the file.
 */
static const char resolve[] =
    "if [ -z \"$b\" ]; then\n"
    "\tcase $d in\n"
    "\t'') die 71 \"the home directory is a directory; a stream needs a "
    "file name\";;\n"
    "\t*/) die 71 \"'$d' is a directory; a stream needs a file name\";;\n"
    "\tesac\n"
    "\t[ -d \"$d\" ] &&\n"
    "\t    die 71 \"'$d' is a directory; a stream needs a file name\"\n"
    "fi\n"
    "case $d in\n"
    "''|*/) d=$d$b;;\n"
    "*) [ -d \"$d\" ] && d=$d/$b;;\n"
    "esac\n"
    "j=0\n"
    "while [ -L \"$d\" ]; do\n"
    "\tj=$((j + 1))\n"
    "\t[ $j -le 40 ] || die 83 \"cannot resolve '$d': Too many levels of "
    "symbolic links\"\n"
    "\tl=$(readlink -- \"$d\" && echo x) ||\n"
    "\t    die 83 \"cannot resolve the symbolic link '$d'\"\n"
    "\tl=${l%??}\n"
    "\tcase $l in\n"
    "\t/*) d=$l;;\n"
    "\t*) case $d in */*) d=${d%/*}/$l;; *) d=$l;; esac;;\n"
    "\tesac\n"
    "done\n"
    "case $d in\n"
    "*/*) p=${d%/*}/ n=${d##*/};;\n"
    "*) p=./ n=$d;;\n"
    "esac\n"
    "case $p in /*) ;; *) p=./$p;; esac\n"
    "t=.$n.fanscp.$k\n"
    "[ ${#n} -le 200 ] || t=.fanscp.$k\n"
    "n=./$n\n";


/*
 * Go into the destination's directory; e is 1 when the destination
 * exists, which must then be a regular file; r is 1 for root; foreign
 * says that a rename over it would not be permitted.
 */
static const char locate[] =
    "[ -d \"$p\" ] || die 70 \"cannot create '$d': No such file or directory\"\n"
    "cd -P -- \"$p\" 2>/dev/null ||\n"
    "    die 80 \"cannot create '$d': Permission denied\"\n"
    "e=0\n"
    "if [ -e \"$n\" ]; then\n"
    "\t[ -d \"$n\" ] && drop 71 \"cannot create '$d': Is a directory\"\n"
    "\tif ! [ -f \"$n\" ]; then\n"
    "\t\tif [ -c \"$n\" ]; then y='a character device'\n"
    "\t\telif [ -b \"$n\" ]; then y='a block device'\n"
    "\t\telif [ -p \"$n\" ]; then y='a FIFO'\n"
    "\t\telif [ -S \"$n\" ]; then y='a socket'\n"
    "\t\telse y='not a regular file'; fi\n"
    "\t\tdrop 79 \"'$d' is $y; fanscp replaces regular files only\"\n"
    "\tfi\n"
    "\te=1\n"
    "fi\n"
    "r=0\n"
    "[ \"$(id -u)\" = 0 ] && r=1\n"
    "foreign() {\n"
    "\t[ $e = 1 ] && [ $r = 0 ] && [ -k . ] && ! [ -O \"$n\" ] &&\n"
    "\t    ! [ -O . ]\n"
    "}\n";

/*
 * Receive: every check that can refuse the host comes before the data is
 * sent.  (A stream's size, s, is not known yet: the receive reports what it
 * got, and the commit checks the size.)  The temp file is made exclusively (noclobber) with a 077 umask
 * beside the destination.  If that is not possible but the destination
 * itself is writable, or the rename would not be permitted (a sticky
 * directory, someone else's file), --inplace keeps the temp file in w
 * instead, and otherwise the host is refused, saying why.  Then "ready",
 * and cat fills the temp file from stdin; its byte count is checked.
 */
static const char receive_body[] =
    "umask 077\n"
    "set -C\n"
    "q=\n"
    "mk() { v=$( { : >\"$1\" && chmod 600 -- \"$1\"; } 2>&1); }\n"
    "if mk \"$t\"; then\n"
    "\tif [ $e = 1 ] && ! [ -w \"$n\" ]; then\n"
    "\t\tdrop 80 \"cannot write '$d': Permission denied\"\n"
    "\tfi\n"
    "\tif foreign; then\n"
    "\t\trm -f -- \"$t\"\n"
    "\t\tq=\"cannot replace '$d': its directory is sticky and the file "
    "belongs to another user\"\n"
    "\tfi\n"
    "elif [ $e = 1 ] && [ -w \"$n\" ]; then\n"
    "\tq=\"cannot create a temp file beside '$d': ${v##*: }; the file "
    "itself is writable\"\n"
    "else\n"
    "\tdie 72 \"cannot create '$d': ${v##*: }\"\n"
    "fi\n"
    "if [ -n \"$q\" ]; then\n"
    "\t[ \"$i\" = 1 ] || die 80 \"$q: --inplace writes into it, not "
    "atomically\"\n"
    "\tt=$w/.fanscp.$k\n"
    "\tmk \"$t\" ||\n"
    "\t    die 72 \"cannot create a temp file in '$w': ${v##*: }\"\n"
    "fi\n"
    "echo fanscp-ready receive\n"
    "v=$({ cat || exit 73; } 2>&1 >>\"$t\")\n"
    "[ $? = 0 ] || drop 73 \"${v:-cannot write '$d'}\"\n"
    "beat\n"
    "[ -n \"$s\" ] || unseal \"$t\" ||\n"
    "    drop 74 \"the data for '$d' was cut short\"\n"
    "size \"$t\" ||\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"\n"
    "unbeat\n"
    "echo fanscp-ok receive $s\n";

/*
 * Commit, first part: find the temp file (beside the destination, or in
 * w for --inplace), check its byte count.  Every step from here to the
 * end, but the wait for the go-ahead, runs under a heartbeat, so that no
 * slow step (a hash, a large copy, a slow filesystem) is taken for a
 * stall.
 */
static const char commit_head[] =
    "q=\n"
    "if ! [ -f \"$t\" ]; then\n"
    "\t[ \"$i\" = 1 ] && [ -f \"$w/.fanscp.$k\" ] ||\n"
    "\t    die 78 \"cannot commit '$d': no temp file\"\n"
    "\tt=$w/.fanscp.$k q=1\n"
    "fi\n"
    "beat\n"
    "size \"$t\" ||\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"\n";

/* After hash() is defined: check the temp file (always true without one). */
static const char commit_hash[] =
    "hash \"$t\" || drop 75 \"SHA-256 mismatch for '$d'\"\n";

/*
 * Wait for the go-ahead on stdin: anything else, or the end of input (the
 * client gone or giving up), removes the temp file and changes nothing.
 */
static const char commit_ready[] =
    "unbeat\n"
    "echo fanscp-ready commit\n"
    "read -r g || g=\n"
    "[ \"$g\" = go ] ||\n"
    "    drop 81 \"no go-ahead from fanscp; '$d' left as it was\"\n"
    "beat\n";

/*
 * The atomic replace.  The file being replaced must still be a writable
 * regular file, and the rename permitted.  It keeps its owner and group
 * where the writer may set them (root: chown; others: chgrp at best), its
 * ACL and SELinux label where the tools are there, and its mode less the
 * setuid, setgid and sticky bits; a new file gets m less the umask.  chown
 * comes before chmod, which it would undo.
 */
static const char commit_replace[] =
    "[ $e = 0 ] || [ -w \"$n\" ] ||\n"
    "    drop 80 \"cannot write '$d': Permission denied\"\n"
    "foreign && drop 80 \"cannot replace '$d': its directory is sticky and "
    "the file belongs to another user\"\n"
    "if [ $e = 1 ]; then\n"
    "\to=$(stat -c %u:%g -- \"$n\" 2>/dev/null ||\n"
    "\t    stat -f %u:%g -- \"$n\" 2>/dev/null)\n"
    "\tif [ $r = 1 ]; then chown -- \"$o\" \"$t\" ||\n"
    "\t    drop 77 \"cannot keep the owner of '$d'\"\n"
    "\telse chgrp -- \"${o#*:}\" \"$t\" 2>/dev/null; fi\n"
    "\tif command -v getfacl >/dev/null 2>&1; then\n"
    "\t\tsetfacl -b -- \"$t\" 2>/dev/null\n"
    "\t\tc=$(getfacl -cps -- \"$n\" 2>/dev/null </dev/null)\n"
    "\t\t[ -z \"$c\" ] || printf '%s\\n' \"$c\" |\n"
    "\t\t    setfacl --set-file=- -- \"$t\" 2>/dev/null ||\n"
    "\t\t    drop 77 \"cannot keep the ACL of '$d'\"\n"
    "\tfi\n"
    "\tchcon --reference=\"$n\" -- \"$t\" 2>/dev/null\n"
    "fi\n";

/* Without -p: the mode of the file replaced, else m less the umask. */
static const char commit_mode[] =
    "o=\n"
    "[ $e = 0 ] || o=$(stat -L -c %a -- \"$n\" 2>/dev/null ||\n"
    "    stat -L -f %Lp -- \"$n\" 2>/dev/null)\n"
    "case $o in\n"
    "''|*[!0-7]*) o=$(($m & ~0$(umask)));;\n"
    "*) o=$((0$o));;\n"
    "esac\n"
    "chmod -- \"$(printf %o $((o & 0777)))\" \"$t\" ||\n"
    "    drop 77 \"cannot set the mode of '$d'\"\n";

/* With -p: m exactly, and the times in UTC from u and a, on file $1. */
static const char commit_preserve[] =
    "keep() {\n"
    "\tchmod -- \"$m\" \"$1\" &&\n"
    "\tTZ=UTC0 touch -m -t \"$u\" -- \"$1\" &&\n"
    "\tTZ=UTC0 touch -a -t \"$a\" -- \"$1\" ||\n"
    "\t    drop \"$2\" \"$3cannot set the mode and times of '$d'\"\n"
    "}\n";

/* The rename, once the go-ahead came; mv -f would move into a directory. */
static const char commit_rename[] =
    "[ -d \"$n\" ] && drop 71 \"cannot create '$d': Is a directory\"\n"
    "mv -f -- \"$t\" \"$n\" || drop 77 \"cannot rename '$t' to '$d'\"\n"
    "unbeat\n"
    "echo fanscp-ok commit $s\n";

/*
 * --inplace, once the go-ahead came: copy the checked temp file over the
 * destination, which keeps its inode, mode, owner and links, and check
 * the destination again.  From the first byte on, a failure has changed
 * the destination, and says so.  (-p's owner check comes before "ready".)
 */
static const char commit_inplace[] =
    "[ -f \"$n\" ] && [ -w \"$n\" ] ||\n"
    "    drop 80 \"cannot write '$d': Permission denied\"\n"
    "v=$(cat -- \"$t\" 2>&1 >\"$n\") ||\n"
    "    drop 82 \"destination modified: writing '$d' failed: ${v##*: }\"\n"
    "size \"$n\" || drop 82 \"destination modified: '$d' holds ${z:-?} of "
    "$s bytes\"\n"
    "hash \"$n\" || drop 82 \"destination modified: SHA-256 mismatch for "
    "'$d' after the copy\"\n"
    "rm -f -- \"$t\"\n"
    "t=\n";

/* -p writes the mode and times, which only the file's owner (or root) may. */
static const char inplace_owner[] =
    "[ $r = 1 ] || [ -O \"$n\" ] || drop 80 \"cannot keep the mode and "
    "times of '$d' (-p): the file belongs to another user\"\n";

static const char inplace_done[] =
    "unbeat\n"
    "echo fanscp-ok commit $s\n";

/* Abort: remove the temp file wherever it is; nothing else matters. */
static const char abort_body[] =
    "{ cd -P -- \"$p\" && rm -f -- \"$t\"; rm -f -- \"$w/.fanscp.$k\"; } "
    "2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

/* The job's values, the shared part, and the destination resolved. */
STATIC char *
remote_prelude(const struct remote_job *job)
{
	char *v = remote_vars(job);
	char *s = xasprintf("%s%s", v, resolve);

	free(v);
	return s;
}

static char *
file_receive_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *s;

	s = xasprintf("%s%s%s", pre, locate, receive_body);
	free(pre);
	return s;
}

/* The mode, and with -p the times and keep(). */
static char *
commit_mode_vars(const struct remote_job *job)
{
	char m[80], a[80];
	unsigned int mode = job->mode & 07777;

	if (!job->preserve)
		return xasprintf("m=0%o\n", mode);
	remote_touch_stamp(job->mtime, m, sizeof(m));
	remote_touch_stamp(job->atime, a, sizeof(a));
	return xasprintf("m=0%o u=%s a=%s\n%s", mode, m, a, commit_preserve);
}

/*
 * Checks, then "ready", the go-ahead, and the atomic rename; or, for a
 * temp file that --inplace put in w, the copy over the destination.
 */
static char *
file_commit_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *sha = remote_sha_part(job);
	char *mode = commit_mode_vars(job);
	char *s;

	s = xasprintf("%s%s%s%s%s%s"
	    "if [ -z \"$q\" ]; then\n%s%s%s%s"
	    "else\n%s%s%s%s%sfi\n",
	    pre, locate, commit_head, sha, commit_hash, mode,
	    commit_replace, job->preserve ? "keep \"$t\" 77\n" : commit_mode,
	    commit_ready, commit_rename,
	    job->preserve ? inplace_owner : "", commit_ready, commit_inplace,
	    job->preserve ? "keep \"$n\" 82 'destination modified: '\n" :
	    "", inplace_done);
	free(pre);
	free(sha);
	free(mode);
	return s;
}

static char *
file_abort_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *s;

	s = xasprintf("%s%s", pre, abort_body);
	free(pre);
	return s;
}

const struct remote_payload remote_file_payload = {
	"file", file_receive_cmd, file_commit_cmd, file_abort_cmd, 1, NULL,
};
