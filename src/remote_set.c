/*
 * The set payload: several sources (scp a b c host:dir/), sent as one pax
 * archive whose top entries are the sources (tree.h), so that each host
 * takes one connection and one stream, however many sources there are.
 * The target must be an existing directory, as scp requires: every
 * source lands there as DIR/NAME.
 *
 * receive  checks the directory and every destination (what the file
 *          payload's receive refuses, it refuses), before any data; then
 *          "ready", and the archive goes into a temp file in DIR;
 * commit   checks the archive (its size; the SHA-256 under --verify),
 *          checks every destination again, unpacks the archive into a
 *          temp directory in DIR, and moves each file beside its
 *          destination under a temp name (".NAME.fanscp.TOKEN"), keeping
 *          the owner, group, ACL, label and mode of a file it replaces,
 *          as the file payload does.  All of that before "ready": a host
 *          that fails there has nothing changed.  After the go-ahead, each
 *          file is renamed onto its destination (atomically, one by one),
 *          and each directory (-r) is renamed into place, or merged into
 *          an existing one, as -r does.
 * A symlink at a file's destination is written through, to its final
 * target, as the file payload does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "xmalloc.h"

/*
 * The directory: D, entered, is B (absolute, symlinks resolved, with a
 * '/'); L names it in messages, and Q prefixes a name in it as the user
 * gave it.  t is the archive's temp file in it and U the temp directory
 * it is unpacked into, named as the file payload's temp files are
 * (".NAME.fanscp.TOKEN"), with suffixes that no file's temp name has.  each FN runs FN NAME TYPE (f or d) on
 * every entry, j being its number; the names are N1..Nnc, the types
 * Y1..Ync.  follow NAME sets f to the final target of B/NAME (fd its
 * directory, with '/', fb its name), and q to how messages name it (as
 * the user gave it, or the link's target); checkf and checkd judge a
 * file's and a directory's destination, and fail (which the steps
 * define) on what they refuse.
 */
static const char set_resolve[] =
    "unset TAR_OPTIONS POSIXLY_CORRECT\n"
    "unset -f tar mkdir grep head 2>/dev/null\n"
    "D=${d:-.} L=$d\n"
    "[ -n \"$L\" ] || L='~'\n"
    "case $d in ''|*/) Q=$d;; *) Q=$d/;; esac\n"
    "if ! [ -d \"$D\" ]; then\n"
    "\tif [ -e \"${D%/}\" ] || [ -L \"${D%/}\" ]; then\n"
    "\t\tdie 86 \"cannot copy into '$L': not a directory (several "
    "sources need a directory)\"\n"
    "\tfi\n"
    "\tdie 70 \"cannot copy into '$L': No such file or directory (several "
    "sources need an existing directory)\"\n"
    "fi\n"
    "cd -P -- \"$D\" 2>/dev/null ||\n"
    "    die 80 \"cannot copy into '$L': Permission denied\"\n"
    "B=$PWD\n"
    "case $B in */) ;; *) B=$B/;; esac\n"
    "t=$B.sources.fanscp.$k.tar U=$B.sources.fanscp.$k.dir\n"

    "each() {\n"
    "\tj=1\n"
    "\twhile [ $j -le $nc ]; do\n"
    "\t\teval \"nm=\\$N$j ty=\\$Y$j\"\n"
    "\t\t\"$1\" \"$nm\" \"$ty\"\n"
    "\t\tj=$((j + 1))\n"
    "\tdone\n"
    "}\n"
    "follow() {\n"
    "\tf=$B$1 q=$Q$1 jj=0\n"
    "\twhile [ -L \"$f\" ]; do\n"
    "\t\tjj=$((jj + 1))\n"
    "\t\t[ $jj -le 40 ] || fail 83 \"cannot resolve '$q': Too many levels "
    "of symbolic links\"\n"
    "\t\tl=$(readlink -- \"$f\" && echo x) ||\n"
    "\t\t    fail 83 \"cannot resolve the symbolic link '$q'\"\n"
    "\t\tl=${l%??}\n"
    "\t\tcase $l in /*) f=$l;; *) f=${f%/*}/$l;; esac\n"
    "\t\tq=$f\n"
    "\tdone\n"
    "\tfd=${f%/*}/ fb=${f##*/}\n"
    "}\n"
    "checkf() {\n"
    "\tfollow \"$1\"\n"
    "\t[ -d \"$fd\" ] ||\n"
    "\t    fail 70 \"cannot create '$q': No such file or directory\"\n"
    "\te=0\n"
    "\tif [ -e \"$f\" ]; then\n"
    "\t\t[ -d \"$f\" ] && fail 71 \"cannot create '$q': Is a directory\"\n"
    "\t\t[ -f \"$f\" ] || fail 79 \"'$q' is not a regular file; fanscp "
    "replaces regular files only\"\n"
    "\t\t[ -w \"$f\" ] || fail 80 \"cannot write '$q': Permission denied\"\n"
    "\t\tif [ -k \"$fd\" ] && ! [ -O \"$f\" ] && ! [ -O \"$fd\" ] &&\n"
    "\t\t    ! isroot; then\n"
    "\t\t\tfail 80 \"cannot replace '$q': its directory is sticky and the "
    "file belongs to another user\"\n"
    "\t\tfi\n"
    "\t\te=1\n"
    "\tfi\n"
    "\t[ -w \"$fd\" ] || fail 72 \"cannot create '$q': Permission denied\"\n"
    "}\n"
    "checkd() {\n"
    "\tf=$B$1 q=$Q$1\n"
    "\tif [ -d \"$f\" ]; then\n"
    "\t\t[ -w \"$f\" ] ||\n"
    "\t\t    fail 80 \"cannot write into '$q': Permission denied\"\n"
    "\telif [ -e \"$f\" ] || [ -L \"$f\" ]; then\n"
    "\t\tfail 86 \"cannot create '$q': it exists and is not a directory\"\n"
    "\tfi\n"
    "}\n"
    "check() { if [ \"$2\" = d ]; then checkd \"$1\"; else checkf \"$1\"; fi; }\n";

/*
 * Receive: the directory, tar, every destination, then the archive's temp
 * file (exclusively, 0600), "ready", and the data.
 */
static const char set_receive[] =
    "fail() { die \"$@\"; }\n"
    "command -v tar >/dev/null 2>&1 ||\n"
    "    die 84 \"cannot unpack into '$L': tar not found on the host\"\n"
    "each check\n"
    "umask 077\n"
    "set -C\n"
    "v=$( { : >\"$t\" && chmod 600 -- \"$t\"; } 2>&1) ||\n"
    "    die 72 \"cannot create a temp file in '$L': ${v##*: }\"\n";

/* The data, sent directly (--relay: remote_data_part()). */
static const char set_data[] =
    "echo fanscp-ready receive\n"
    "v=$({ unzip || exit 73; } 2>&1 >>\"$t\")\n"
    "[ $? = 0 ] || drop 73 \"${v:-cannot write into '$L'}\"\n"
    "beat\n"
    "size \"$t\" ||\n"
    "    drop 74 \"wrong size for the archive in '$L': got ${z:-?} of $s "
    "bytes\"\n"
    "unbeat\n"
    "echo fanscp-ok receive $s\n";

/*
 * Commit, up to the go-ahead.  clean removes what the commit made that is
 * not in place: the files' temp names (Tj, emptied once renamed), the
 * temp directory, the archive.  tar's flags as the tree payload's
 * (remote_tree.c): -o in W, -m and the umask, or -p's modes and times.
 * stagef moves a file from U to its temp name beside its destination,
 * and gives it what it replaces keeps (see the file payload's replace).
 */
static const char set_commit_head[] =
    "O=$(umask)\n"
    "[ -f \"$t\" ] || die 78 \"cannot commit into '$L': no temp file\"\n"
    "wipe() { chmod -R u+rwx -- \"$U\" 2>/dev/null; rm -rf -- \"$U\"; }\n"
    "clean() {\n"
    "\tj=1\n"
    "\twhile [ $j -le $nc ]; do\n"
    "\t\teval \"T=\\${T$j-}\"\n"
    "\t\t[ -z \"$T\" ] || rm -f -- \"$T\"\n"
    "\t\tj=$((j + 1))\n"
    "\tdone\n"
    "\t! [ -d \"$U\" ] || wipe\n"
    "\trm -f -- \"$t\"\n"
    "}\n"
    "fail() { clean; die \"$@\"; }\n"
    "beat\n"
    "size \"$t\" || fail 74 \"wrong size for the archive in '$L': got "
    "${z:-?} of $s bytes\"\n"
    "hash \"$t\" || fail 75 \"SHA-256 mismatch for the archive in '$L'\"\n"
    "command -v tar >/dev/null 2>&1 ||\n"
    "    fail 84 \"cannot unpack into '$L': tar not found on the host\"\n"
    "each check\n"
    "F='-m --no-same-permissions'\n"
    "if [ \"$pp\" = 1 ]; then\n"
    "\tcase $(tar --version 2>&1 </dev/null) in\n"
    "\t*[Bb]usy[Bb]ox*) F=;;\n"
    "\t*) F=-p;;\n"
    "\tesac\n"
    "fi\n"
    "untar() {\n"
    "\tv=$( (cd -P -- \"$1\" && exec tar -x $W $F -f -) 2>&1 >/dev/null) "
    "&& return\n"
    "\tv=$(printf '%s\\n' \"$v\" | grep -v 'unknown extended header' |\n"
    "\t    head -n 1)\n"
    "\treturn 1\n"
    "}\n"
    "umask 077\n"
    "mkdir -- \"$U\" 2>/dev/null ||\n"
    "    fail 72 \"cannot create a temp directory in '$L'\"\n"
    "umask \"$O\"\n"
    "untar \"$U\" <\"$t\" || fail 85 \"cannot unpack the archive in '$L': $v\"\n"
    "rm -f -- \"$t\"\n"
    "stagef() {\n"
    "\t[ -f \"$U/$1\" ] && ! [ -L \"$U/$1\" ] ||\n"
    "\t    fail 85 \"cannot unpack '$1' in '$L': not in the archive\"\n"
    "\tcheckf \"$1\"\n"
    "\tT=$fd.$fb.fanscp.$k\n"
    "\t[ ${#fb} -le 200 ] || T=$fd.fanscp.$k.$j\n"
    "\tif [ -e \"$T\" ] || [ -L \"$T\" ]; then\n"
    "\t\tfail 72 \"cannot create a temp file beside '$q': it exists\"\n"
    "\tfi\n"
    "\tmv -- \"$U/$1\" \"$T\" 2>/dev/null ||\n"
    "\t    fail 72 \"cannot create a temp file beside '$q'\"\n"
    "\teval \"T$j=\\$T F$j=\\$f Q$j=\\$q\"\n"
    "\t[ $e = 1 ] || return 0\n"
    "\to=$(stat -c %u:%g -- \"$f\" 2>/dev/null ||\n"
    "\t    stat -f %u:%g -- \"$f\" 2>/dev/null)\n"
    "\tif isroot; then chown -- \"$o\" \"$T\" ||\n"
    "\t    fail 77 \"cannot keep the owner of '$q'\"\n"
    "\telse chgrp -- \"${o#*:}\" \"$T\" 2>/dev/null; fi\n"
    "\tif command -v getfacl >/dev/null 2>&1; then\n"
    "\t\tsetfacl -b -- \"$T\" 2>/dev/null\n"
    "\t\tc=$(getfacl -cps -- \"$f\" 2>/dev/null </dev/null)\n"
    "\t\t[ -z \"$c\" ] || printf '%s\\n' \"$c\" |\n"
    "\t\t    setfacl --set-file=- -- \"$T\" 2>/dev/null ||\n"
    "\t\t    fail 77 \"cannot keep the ACL of '$q'\"\n"
    "\tfi\n"
    "\tchcon --reference=\"$f\" -- \"$T\" 2>/dev/null\n"
    "\t[ \"$pp\" = 1 ] && return 0\n"
    "\to=$(stat -L -c %a -- \"$f\" 2>/dev/null ||\n"
    "\t    stat -L -f %Lp -- \"$f\" 2>/dev/null)\n"
    "\tcase $o in ''|*[!0-7]*) return 0;; esac\n"
    "\tchmod -- \"$(printf %o $((0$o & 0777)))\" \"$T\" ||\n"
    "\t    fail 77 \"cannot set the mode of '$q'\"\n"
    "}\n"
    "staged() {\n"
    "\t[ -d \"$U/$1\" ] && ! [ -L \"$U/$1\" ] ||\n"
    "\t    fail 85 \"cannot unpack '$1' in '$L': not in the archive\"\n"
    "\tcheckd \"$1\"\n"
    "}\n"
    "stage() { if [ \"$2\" = d ]; then staged \"$1\"; else stagef \"$1\"; fi; }\n"
    "each stage\n"
    "unbeat\n"
    "echo fanscp-ready commit\n"
    "read -r g || g=\n"
    "[ \"$g\" = go ] ||\n"
    "    fail 81 \"no go-ahead from fanscp; nothing in '$L' was changed\"\n"
    "beat\n";

/*
 * After the go-ahead: each entry into place, in order.  A failure now
 * leaves the entries before it in place (as scp would), and says so.  A
 * directory merged into an existing one keeps that one's mode without -p.
 */
static const char set_commit_tail[] =
    "late() { fail \"$1\" \"$2 (of $nc sources, $((j - 1)) are in place)\"; }\n"
    "placef() {\n"
    "\teval \"T=\\$T$j f=\\$F$j q=\\$Q$j\"\n"
    "\t[ -d \"$f\" ] && late 71 \"cannot create '$q': Is a directory\"\n"
    "\tmv -f -- \"$T\" \"$f\" || late 77 \"cannot rename '$T' to '$q'\"\n"
    "\teval \"T$j=\"\n"
    "}\n"
    "placed() {\n"
    "\tf=$B$1 q=$Q$1\n"
    "\tif [ -d \"$f\" ]; then\n"
    "\t\to=$(stat -c %a -- \"$f\" 2>/dev/null ||\n"
    "\t\t    stat -f %Lp -- \"$f\" 2>/dev/null)\n"
    "\t\tv=$( (cd -P -- \"$U/$1\" && exec tar -c -f - .) |\n"
    "\t\t    (cd -P -- \"$f\" && exec tar -x $W $F -f -) 2>&1 >/dev/null) ||\n"
    "\t\t    late 85 \"cannot unpack into '$q' (it may be merged in part): "
    "$v\"\n"
    "\t\tif [ \"$pp\" != 1 ]; then\n"
    "\t\t\tcase $o in ''|*[!0-7]*) ;; *) chmod -- \"$o\" \"$f\";; esac\n"
    "\t\tfi\n"
    "\telif [ -e \"$f\" ] || [ -L \"$f\" ]; then\n"
    "\t\tlate 86 \"cannot create '$q': it appeared meanwhile\"\n"
    "\telse\n"
    "\t\tmv -- \"$U/$1\" \"$f\" || late 77 \"cannot rename into '$q'\"\n"
    "\tfi\n"
    "}\n"
    "place() { if [ \"$2\" = d ]; then placed \"$1\"; else placef \"$1\"; fi; }\n"
    "each place\n"
    "clean\n"
    "unbeat\n"
    "echo fanscp-ok commit $s\n";

/* Abort: remove the archive; the receive made nothing else. */
static const char set_abort[] =
    "rm -f -- \"$t\" 2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

/*
 * The job's values, the entries (N and Y), -p (pp) and tar's owner flag
 * (root keeps the archive's owners only under --sudo with -p), and the
 * directory resolved.
 */
static char *
set_prelude(const struct remote_job *job)
{
	char *v = remote_vars(job);
	char *names = xstrdup(""), *q, *s;
	size_t i;

	for (i = 0; i < job->n_names; i++) {
		q = shquote(job->names[i]);
		s = xasprintf("%sN%zu=%s Y%zu=%c\n", names, i + 1, q, i + 1,
		    job->name_dirs[i] ? 'd' : 'f');
		free(q);
		free(names);
		names = s;
	}
	s = xasprintf("%snc=%zu pp=%d W=%s\n%s%s", v, job->n_names,
	    job->preserve ? 1 : 0, job->preserve && job->sudo ? "" : "-o",
	    names, set_resolve);
	free(v);
	free(names);
	return s;
}

static char *
set_receive_cmd(const struct remote_job *job)
{
	char *pre = set_prelude(job);
	char *unz = remote_unzip_part(job);
	char *data = remote_data_part(job, set_data);
	char *s = xasprintf("%s%s%s%s", pre, unz, set_receive, data);

	free(data);
	free(unz);
	free(pre);
	return s;
}

static char *
set_commit_cmd(const struct remote_job *job)
{
	char *pre = set_prelude(job);
	char *sha = remote_sha_part(job);
	char *s;

	s = xasprintf("%s%s%s%s", pre, sha, set_commit_head, set_commit_tail);
	free(pre);
	free(sha);
	return s;
}

static char *
set_abort_cmd(const struct remote_job *job)
{
	char *pre = set_prelude(job);
	char *s = xasprintf("%s%s", pre, set_abort);

	free(pre);
	return s;
}

const struct remote_payload remote_set_payload = {
	"set", set_receive_cmd, set_commit_cmd, set_abort_cmd, 0, NULL, 0,
};
