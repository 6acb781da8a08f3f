/*
 * The tree payload (-r): a pax archive of a directory, received into a
 * temp file and checked (its size; the SHA-256 under --verify) before
 * anything is unpacked, since tar exits 0 on a cut archive.  Only after
 * the go-ahead is it unpacked with the host's tar:
 *   a new tree   into a temp directory beside the destination, which is
 *                renamed into place once complete, so that no half tree
 *                is ever visible under its name;
 *   an existing  directory is merged into, as scp -r does.  POSIX mv
 *                cannot replace a non-empty directory, so this is not
 *                atomic: a failure part-way leaves it merged in part.
 * Destinations resolve as scp -r's: into an existing directory the tree
 * lands as DIR/NAME, and a path that does not exist names the tree itself
 * (its parent must exist).
 */
#include <stdio.h>
#include <stdlib.h>

#include "remote.h"
#include "xmalloc.h"

/*
 * d, resolved: p is its directory (the scripts move into it), n its name
 * there, with "./" so that no tool reads a leading '-' as an option; t is
 * the archive's temp file beside it and U the temp directory a new tree
 * is unpacked into, both named ".NAME.fanscp.TOKEN..." (shorter when
 * NAME is long).  tar reads no options from the environment, and none of
 * the tools here is a function.
 */
static const char tree_resolve[] =
    "case $d in\n"
    "''|*/) d=$d$b;;\n"
    "*) [ -d \"$d\" ] && d=$d/$b;;\n"
    "esac\n"
    "case $d in\n"
    "*/*) p=${d%/*}/ n=${d##*/};;\n"
    "*) p=./ n=$d;;\n"
    "esac\n"
    "case $p in /*) ;; *) p=./$p;; esac\n"
    "t=.$n.fanscp.$k.tar U=.$n.fanscp.$k\n"
    "[ ${#n} -le 200 ] || t=.fanscp.$k.tar U=.fanscp.$k\n"
    "n=./$n\n"
    "unset TAR_OPTIONS POSIXLY_CORRECT\n"
    "unset -f tar mkdir grep head 2>/dev/null\n"
    "isfile() { ! [ -d \"$n\" ] && { [ -e \"$n\" ] || [ -L \"$n\" ]; }; }\n";

/*
 * Receive: go into the destination's directory, refuse a destination
 * that is not a directory and a host without tar, all before any data.
 * The archive goes beside a new tree, or into an existing one, where the
 * merge needs write access anyway.  Then "ready", and cat fills it.
 */
static const char tree_receive[] =
    "[ -d \"$p\" ] || die 70 \"cannot create '$d': No such file or "
    "directory\"\n"
    "cd -P -- \"$p\" 2>/dev/null ||\n"
    "    die 80 \"cannot create '$d': Permission denied\"\n"
    "isfile && die 86 \"cannot create '$d': it exists and is not a "
    "directory\"\n"
    "command -v tar >/dev/null 2>&1 ||\n"
    "    die 84 \"cannot unpack '$d': tar not found on the host\"\n"
    "umask 077\n"
    "set -C\n"
    "[ -d \"$n\" ] && t=$n/$t\n"
    "v=$( { : >\"$t\" && chmod 600 -- \"$t\"; } 2>&1) ||\n"
    "    die 72 \"cannot create '$d': ${v##*: }\"\n";

/* The data, sent directly (--relay: remote_data_part()). */
static const char tree_data[] =
    "echo fanscp-ready receive\n"
    "v=$({ unzip || exit 73; } 2>&1 >>\"$t\")\n"
    "[ $? = 0 ] || drop 73 \"${v:-cannot write '$d'}\"\n"
    "beat\n"
    "size \"$t\" ||\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"\n"
    "unbeat\n"
    "echo fanscp-ok receive $s\n";

/*
 * Commit, up to the go-ahead: find the archive, check it, check tar and
 * the destination again, and choose tar's flags: -o in W (the login user
 * owns what it unpacks; under --sudo with -p, W is empty and root keeps
 * the archive's owners), and -m (the time of the copy) with the umask applied
 * to the modes (--no-same-permissions, which root needs: else GNU tar
 * and bsdtar keep the modes exactly for root); or with -p, -p (the modes
 * and times in the archive).  BusyBox tar has no -p: it restores modes
 * and times unless told otherwise.  (Under --no-same-permissions,
 * BusyBox tar and bsdtar apply only a directory's first entry, the
 * writable one: a directory its owner may not write arrives writable.
 * Keeping the source's modes exactly instead would skip the umask, and
 * could make what the source has world-writable so on the host.)  O is
 * the login umask, which a new tree's root gets as tar gives it to
 * everything else.
 */
static const char tree_commit_head[] =
    "O=$(umask)\n"
    "[ -d \"$p\" ] && cd -P -- \"$p\" 2>/dev/null ||\n"
    "    die 78 \"cannot commit '$d': no temp file\"\n"
    "if [ -f \"$t\" ]; then :\n"
    "elif [ -f \"$n/$t\" ]; then t=$n/$t\n"
    "else die 78 \"cannot commit '$d': no temp file\"; fi\n"
    "beat\n"
    "size \"$t\" ||\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"\n"
    "hash \"$t\" || drop 75 \"SHA-256 mismatch for '$d'\"\n"
    "command -v tar >/dev/null 2>&1 ||\n"
    "    drop 84 \"cannot unpack '$d': tar not found on the host\"\n"
    "isfile && drop 86 \"cannot create '$d': it exists and is not a "
    "directory\"\n"
    "F='-m --no-same-permissions'\n"
    "if [ \"$pp\" = 1 ]; then\n"
    "\tcase $(tar --version 2>&1 </dev/null) in\n"
    "\t*[Bb]usy[Bb]ox*) F=;;\n"
    "\t*) F=-p;;\n"
    "\tesac\n"
    "fi\n"
    "unbeat\n"
    "echo fanscp-ready commit\n"
    "read -r g || g=\n"
    "[ \"$g\" = go ] ||\n"
    "    drop 81 \"no go-ahead from fanscp; '$d' left as it was\"\n"
    "beat\n";

/*
 * After the go-ahead.  untar DIR unpacks the archive in DIR, reading it
 * from stdin (no name of ours is ever an argument tar could misread),
 * and leaves the first thing tar said in v (GNU tar before 1.35 warns
 * about the pax keyword hdrcharset, which libarchive writes for names
 * that are not UTF-8: not a reason).  keep DIR gives the root the
 * source directory's mode and times (-p).  wipe removes a temp directory,
 * read-only parts included.
 */
static const char tree_commit_tail[] =
    "untar() {\n"
    "\tv=$( (cd -P -- \"$1\" && exec tar -x $W $F -f -) <\"$t\" 2>&1 "
    ">/dev/null) && return\n"
    "\tv=$(printf '%s\\n' \"$v\" | grep -v 'unknown extended header' |\n"
    "\t    head -n 1)\n"
    "\treturn 1\n"
    "}\n"
    "keep() {\n"
    "\tchmod -- \"$m\" \"$1\" &&\n"
    "\tTZ=UTC0 touch -m -t \"$M\" -- \"$1\" &&\n"
    "\tTZ=UTC0 touch -a -t \"$A\" -- \"$1\"\n"
    "}\n"
    "wipe() { chmod -R u+rwx -- \"$U\" 2>/dev/null; rm -rf -- \"$U\"; }\n"
    "isfile && drop 86 \"cannot create '$d': it exists and is not a "
    "directory\"\n"
    "if [ -d \"$n\" ]; then\n"
    "\tuntar \"$n\" ||\n"
    "\t    drop 85 \"cannot unpack into '$d' (it may be merged in "
    "part): $v\"\n"
    "\trm -f -- \"$t\"\n"
    "\tif [ \"$pp\" = 1 ] && ! keep \"$n\"; then\n"
    "\t\tdie 77 \"cannot set the mode and times of '$d'\"\n"
    "\tfi\n"
    "else\n"
    "\tumask 077\n"
    "\tmkdir -- \"$U\" 2>/dev/null ||\n"
    "\t    drop 72 \"cannot create a temp directory beside '$d'\"\n"
    "\tumask \"$O\"\n"
    "\tuntar \"$U\" || { wipe; drop 85 \"cannot unpack '$d': $v\"; }\n"
    "\tif [ \"$pp\" = 1 ]; then keep \"$U\"\n"
    "\telse chmod -- \"$(printf %o $(($m & ~0$O & 0777)))\" \"$U\"\n"
    "\tfi || { wipe; drop 77 \"cannot set the mode of '$d'\"; }\n"
    "\tif [ -e \"$n\" ] || [ -L \"$n\" ]; then\n"
    "\t\twipe; drop 86 \"cannot create '$d': it appeared meanwhile\"\n"
    "\tfi\n"
    "\tmv -f -- \"$U\" \"$n\" ||\n"
    "\t    { wipe; drop 77 \"cannot rename '$U' to '$d'\"; }\n"
    "\trm -f -- \"$t\"\n"
    "fi\n"
    "unbeat\n"
    "echo fanscp-ok commit $s\n";

/* Abort: remove the archive, wherever receive put it. */
static const char tree_abort[] =
    "{ cd -P -- \"$p\" && rm -f -- \"$t\" \"$n/$t\"; } 2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

/*
 * The job's values, the shared part, the destination resolved, then the
 * mode and -p's times as m, pp, M and A (not P: drop() removes a
 * keep receive's pid file named by P: P=0 would remove a file "0").
 */
static char *
tree_prelude(const struct remote_job *job)
{
	char *v = remote_vars(job);
	char mt[32], at[32], *s;

	remote_touch_stamp(job->mtime, mt, sizeof(mt));
	remote_touch_stamp(job->atime, at, sizeof(at));
	/* Root keeps the archive's owners only when asked: --sudo with -p. */
	s = xasprintf("%s%sm=0%o pp=%d M=%s A=%s W=%s\n", v, tree_resolve,
	    (unsigned int)(job->mode & 07777), job->preserve ? 1 : 0, mt, at,
	    job->preserve && job->sudo ? "" : "-o");
	free(v);
	return s;
}

static char *
tree_receive_cmd(const struct remote_job *job)
{
	char *pre = tree_prelude(job);
	char *unz = remote_unzip_part(job);
	char *data = remote_data_part(job, tree_data);
	char *s = xasprintf("%s%s%s%s", pre, unz, tree_receive, data);

	free(data);
	free(unz);
	free(pre);
	return s;
}

static char *
tree_commit_cmd(const struct remote_job *job)
{
	char *pre = tree_prelude(job);
	char *sha = remote_sha_part(job);
	char *s;

	s = xasprintf("%s%s%s%s", pre, sha, tree_commit_head,
	    tree_commit_tail);
	free(pre);
	free(sha);
	return s;
}

static char *
tree_abort_cmd(const struct remote_job *job)
{
	char *pre = tree_prelude(job);
	char *s = xasprintf("%s%s", pre, tree_abort);

	free(pre);
	return s;
}

const struct remote_payload remote_tree_payload = {
	"tree", tree_receive_cmd, tree_commit_cmd, tree_abort_cmd, 0, NULL, 0,
};
