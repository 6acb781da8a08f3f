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
 * Go into the destination's directory (locate_dir); then (locate) e is 1
 * when the destination exists, which must then be a regular file; r is 1
 * for root; foreign says that a rename over it would not be permitted.
 * A joined commit looks again once the data is in (remote.h).
 */
static const char locate_dir[] =
    "[ -d \"$p\" ] || die 70 \"cannot create '$d': No such file or directory\"\n"
    "cd -P -- \"$p\" 2>/dev/null ||\n"
    "    die 80 \"cannot create '$d': Permission denied\"\n";

static const char locate[] =
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
    "foreign() {\n"
    "\t[ $e = 1 ] && [ -k . ] && ! [ -O \"$n\" ] && ! [ -O . ] &&\n"
    "\t    ! isroot\n"
    "}\n";

/*
 * Keep (remote.h): the temp file t is found again by its name, and P
 * beside it says which run, shell and cat write it ("R SHELL CAT", "-"
 * for none).  hold replaces mk: it claims P exclusively; a P left by a
 * receive of this run (a lost connection) or, with --resume (Z), of any
 * run, is taken over once its receiver is stopped (TERM and CONT, for a
 * frozen one; KILL after 2 s), under a heartbeat: a cat is stopped only
 * once it is seen to have t open (/proc), or to be a cat or
 * head (ps).  Another
 * run's live receive, or any live commit, keeps it: exit 88.  y says
 * whether t's bytes may be resumed.  A planted t (a symlink, a hard link,
 * another user's file) is never written: it is removed and made afresh,
 * exclusively.  mine says whether P is still this shell's, so that a
 * receive or commit taken over never removes what is no longer its own.
 */
static const char keep_fns[] =
    "P=\n"
    "mine() { read -r r0 p0 c0 <\"$P\" 2>/dev/null && [ \"$r0 $p0\" = \"$R $$\" ]; }\n"
    "alive() {\n"
    "\t[ -n \"$1\" ] && [ \"$1\" != - ] && kill -0 \"$1\" 2>/dev/null || return 1\n"
    "\t[ -r /proc/$1/stat ] || return 0\n"
    "\tread -r zz <\"/proc/$1/stat\"; zz=${zz##*)}\n"
    "\tcase $zz in ' Z'*) return 1;; esac\n"
    "}\n"
    "writer() {\n"
    "\talive \"$1\" || return 1\n"
    "\tif [ -d /proc/$$/fd ]; then\n"
    "\t\tfor f in /proc/$1/fd/*; do [ \"$f\" -ef \"$2\" ] && return 0; done\n"
    "\t\treturn 1\n"
    "\tfi\n"
    "\tcase $(ps -o comm= -p \"$1\" 2>/dev/null) in cat|head) ;; *) return 1;; esac\n"
    "}\n"
    "stop() {\n"
    "\tj=0\n"
    "\tbeat\n"
    "\t! alive \"$2\" || { kill \"$2\"; kill -CONT \"$2\"; } 2>/dev/null\n"
    "\twhile writer \"$1\" \"$3\"; do\n"
    "\t\tj=$((j + 1))\n"
    "\t\tif [ $j -gt 20 ]; then kill -9 \"$1\" 2>/dev/null\n"
    "\t\telse kill \"$1\" && kill -CONT \"$1\"; fi 2>/dev/null\n"
    "\t\t[ $j -le 40 ] || die 88 \"cannot stop the receiver (pid $1) that "
    "still writes '$d'\"\n"
    "\t\tsleep 0.1 2>/dev/null || sleep 1\n"
    "\tdone\n"
    "\tunbeat\n"
    "}\n"
    "hold() {\n"
    "\tP=$1.pid y=0 j=0 o=$Z\n"
    "\tuntil { echo \"$R $$ -\" >\"$P\"; } 2>/dev/null; do\n"
    "\t\tj=$((j + 1))\n"
    "\t\tif ! [ -e \"$P\" ] && ! [ -L \"$P\" ]; then\n"
    "\t\t\tv=$( { : >\"$P\"; } 2>&1); P=; return 1\n"
    "\t\tfi\n"
    "\t\t[ $j -le 3 ] && [ -f \"$P\" ] && ! [ -L \"$P\" ] && [ -O \"$P\" ] ||\n"
    "\t\t    die 88 \"cannot take over '$P' beside '$d': it is not this "
    "user's\"\n"
    "\t\tread -r r0 p0 c0 <\"$P\" 2>/dev/null || r0= p0= c0=\n"
    "\t\tif alive \"$p0\" || writer \"$c0\" \"$1\"; then\n"
    "\t\t\t[ \"$r0\" = \"$R\" ] || { [ \"$Z\" = 1 ] && writer \"$c0\" \"$1\"; } ||\n"
    "\t\t\t    die 88 \"another fanscp run (pid $p0 there) is sending "
    "'$d'; --resume takes over what a run that is gone left\"\n"
    "\t\t\tstop \"$c0\" \"$p0\" \"$1\"\n"
    "\t\tfi\n"
    "\t\t[ \"$r0\" = \"$R\" ] && o=1\n"
    "\t\trm -f -- \"$P\"\n"
    "\tdone\n"
    "\tif [ -f \"$1\" ] && ! [ -L \"$1\" ] && [ -O \"$1\" ] &&\n"
    "\t    [ \"$(ls -ld -- \"$1\" | { read -r x l x; echo \"$l\"; })\" = 1 ]; then\n"
    "\t\ty=$o\n"
    "\t\tv=$( { : >>\"$1\"; } 2>&1) && return 0\n"
    "\t\tdrop 72 \"cannot write '$1': ${v##*: }\"\n"
    "\tfi\n"
    "\trm -f -- \"$1\"\n"
    "\tv=$( { : >\"$1\" && chmod 600 -- \"$1\"; } 2>&1) && return 0\n"
    "\trm -f -- \"$P\"; P=; return 1\n"
    "}\n"
    "mk() { hold \"$1\"; }\n"
    "drop() {\n"
    "\tif [ -z \"$P\" ]; then rm -f -- \"$t\"\n"
    "\telif mine; then rm -f -- \"$t\" \"$P\"; fi\n"
    "\tdie \"$@\"\n"
    "}\n";

/*
 * Keep, in the commit: the temp file must still be this run's, and P
 * becomes the commit's own, so that a later receive never takes over a
 * file that a live commit may rename.
 */
static const char keep_commit[] =
    "P=$t.pid\n"
    "read -r r0 p0 c0 <\"$P\" 2>/dev/null && [ \"$r0\" = \"$R\" ] ||\n"
    "    { P=; die 88 \"cannot commit '$d': another fanscp run took its "
    "temp file over\"; }\n"
    "set +C\n"
    "echo \"$R $$ -\" >\"$P\"\n";

/*
 * Keep, once the checks pass: a temp file that may be resumed is offered
 * with its size and SHA-256, and fanscp answers where to go on from.
 */
static const char keep_offer[] =
    "if [ \"$K\" = 1 ]; then\n"
    "\tz=$(wc -c <\"$t\"); z=${z##*[!0-9]}\n"
    "\tif [ $y = 1 ] && [ \"${z:-0}\" -gt 0 ] && [ \"$z\" -le \"$s\" ]; then\n"
    "\t\th=$( { sha256sum || shasum -a 256 || openssl dgst -sha256 -r ||\n"
    "\t\t    busybox sha256sum; } <\"$t\" 2>/dev/null)\n"
    "\t\th=${h%%[!0-9a-f]*}\n"
    "\t\techo \"fanscp-have $z ${h:--}\"\n"
    "\t\tread -r g || g=\n"
    "\t\t[ \"$g\" = \"from $z\" ] || z=0\n"
    "\telse z=0; fi\n"
    "\t[ $z != 0 ] || { set +C; : >\"$t\"; }\n"
    "fi\n";

/*
 * Receive: every check that can refuse the host comes before the data is
 * sent.  (A stream's size, s, is not known yet: the receive reports what it
 * got, and the commit checks the size.)  The temp file is made exclusively (noclobber) with a 077 umask
 * beside the destination.  If that is not possible but the destination
 * itself is writable, or the rename would not be permitted (a sticky
 * directory, someone else's file), --inplace keeps the temp file in w
 * instead, and otherwise the host is refused, saying why.  Then "ready",
 * and cat appends stdin to the temp file; its byte count is checked.
 * cat runs in the background, reading the saved stdin, so that a keep
 * receive can write its pid into P; its own message, if it fails, goes
 * to stderr.  With keep, data that ends short keeps the temp file.
 */
static const char receive_head[] =
    "umask 077\n"
    "set -C\n"
    "q=\n"
    "mk() { v=$( { : >\"$1\" && chmod 600 -- \"$1\"; } 2>&1); }\n";

static const char receive_checks[] =
    "if mk \"$t\"; then\n"
    "\tif [ $e = 1 ] && ! [ -w \"$n\" ]; then\n"
    "\t\tdrop 80 \"cannot write '$d': Permission denied\"\n"
    "\tfi\n"
    "\tif foreign; then\n"
    "\t\trm -f -- \"$t\" ${P:+\"$P\"}\n"
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
    "fi\n";

static const char receive_data[] =
    "echo fanscp-ready receive\n"
    "exec 3<&0\n"
    "unzip <&3 >>\"$t\" & c=$!\n"
    "[ \"$K\" != 1 ] || { set +C; echo \"$R $$ $c\" >\"$P\"; }\n"
    "wait $c || { part; bad; }\n"
    "beat\n"
    "[ -n \"$s\" ] || unseal \"$t\" ||\n"
    "    drop 74 \"the data for '$d' was cut short\"\n"
    "size \"$t\" || { [ \"${z:-0}\" -lt \"$s\" ] && unbeat && part\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"; }\n"
    "unbeat\n"
    "echo fanscp-ok receive $s\n";

/*
 * The data of a joined receive (remote.h): exactly l bytes, the size less
 * what a keep receive kept.  From 1 MiB on, a dd that has
 * iflag=fullblock,count_bytes (GNU, busybox) takes them in 128 KiB
 * blocks, and reads no byte past the l-th; GNU head -c reads 8 KiB at a
 * time, which costs the host about 1.5 times dd's CPU (bench/README.md).
 * The probe for those flags is a process, so a smaller file, and a host
 * whose dd has not got them, goes to head -c.  Either runs in the background for the same reason as the cat above.
 * A head that has no -c fails before it reads a byte: then, as where
 * there is no head, dd takes the bytes, one read(2) at a time as the
 * loader does, while the file grows (rest).  Short data is a wrong size,
 * as above, and the shell goes on to the commit.
 */
static const char receive_take[] =
    "rest() {\n"
    "\tta=$(wc -c <\"$t\"); ta=${ta##*[!0-9]}; te=$((ta + $1))\n"
    "\twhile [ \"$ta\" -lt \"$te\" ]; do\n"
    "\t\ttb=$((te - ta)); [ $tb -le 65536 ] || tb=65536\n"
    "\t\tdd bs=$tb count=1 <&3 >>\"$t\" 2>/dev/null || return\n"
    "\t\ttb=$(wc -c <\"$t\"); tb=${tb##*[!0-9]}\n"
    "\t\t[ \"$tb\" -gt \"$ta\" ] || return 0\n"
    "\t\tta=$tb\n"
    "\tdone\n"
    "}\n"
    "[ \"$K\" = 1 ] || z=0\n"
    "l=$((s - ${z:-0}))\n"
    "echo fanscp-ready receive\n"
    "exec 3<&0\n"
    "if [ \"$l\" -ge 1048576 ] && dd if=/dev/null of=/dev/null count=0 \\\n"
    "    iflag=fullblock,count_bytes status=none 2>/dev/null; then\n"
    "\tdd bs=131072 count=\"$l\" iflag=fullblock,count_bytes status=none \\\n"
    "\t    <&3 >>\"$t\" & c=$! hc=\n"
    "elif command -v head >/dev/null 2>&1; then\n"
    "\thead -c \"$l\" <&3 >>\"$t\" & c=$! hc=1\n"
    "else c=; fi\n"
    "if [ -n \"$c\" ]; then\n"
    "\t[ \"$K\" != 1 ] || [ -z \"$P\" ] ||\n"
    "\t    { set +C; echo \"$R $$ $c\" >\"$P\"; }\n"
    "\twait $c || { [ -n \"$hc\" ] && ! head -c 0 </dev/null >/dev/null 2>&1 &&\n"
    "\t    rest \"$l\"; } || { part; bad; }\n"
    "else rest \"$l\" || { part; bad; }; fi\n"
    "beat\n"
    "size \"$t\" || { [ \"${z:-0}\" -lt \"$s\" ] && unbeat && part\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"; }\n";

/*
 * A joined commit, once the data is in: the temp file is this shell's
 * (and under keep, P says so, as a commit's), and the destination is
 * looked at again, as a commit of its own would (a file made or replaced
 * while the data came); the heartbeat runs on from the receive.  The
 * login's umask, um, saved before the receive's 077, is back: a new
 * file's mode and the user's commands get it, as on a channel of their
 * own.
 */
static const char joined_head[] =
    "set +C\n"
    "umask \"$um\"\n"
    "[ \"$K\" != 1 ] || [ -z \"$P\" ] || echo \"$R $$ -\" >\"$P\"\n";

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
    "%s"
    "beat\n"
    "size \"$t\" ||\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"\n";

/* After hash() is defined: check the temp file (always true without one). */
static const char commit_hash[] =
    "hash \"$t\" || drop 75 \"SHA-256 mismatch for '$d'\"\n";

/*
 * --chown (O) and --chmod (M), after the owner and mode that would be
 * kept, chown first (it clears set-id bits).  The receive refuses O
 * without root, before the data (owner_check).
 */
static const char owner_check[] =
    "[ -z \"$O\" ] || isroot || die 80 \"--chown $O: only root may give "
    "a file away (--sudo, or log in as root)\"\n";

static const char commit_owner[] =
    "if [ -n \"$O\" ]; then\n"
    "\tv=$(chown -- \"$O\" \"$t\" 2>&1) ||\n"
    "\t    drop 77 \"cannot set the owner of '$d' to $O: ${v##*: }\"\n"
    "fi\n"
    "if [ -n \"$M\" ]; then\n"
    "\tv=$(chmod -- \"$M\" \"$t\" 2>&1) ||\n"
    "\t    drop 77 \"cannot set the mode of '$d' to $M: ${v##*: }\"\n"
    "fi\n";

/*
 * --if-changed: a destination that holds the bytes already is left alone,
 * before any temp file; the hash, under a heartbeat, may take long.
 */
static const char receive_same[] =
    "if [ $e = 1 ]; then\n"
    "\tbeat\n"
    "\tif hash \"$n\"; then unbeat; echo fanscp-ok unchanged 0; exit 0; fi\n"
    "\tunbeat\n"
    "fi\n";

/*
 * --validate, on the temp file as it will be renamed (mode and owner
 * set): V is the user's command as sh code that names the file "$1", so
 * that the path is never part of any code; it gets an absolute path
 * (nginx -c wants one), no stdin (the go-ahead is read from it later),
 * and runs under the heartbeat.  Its output's tail is the host's reason.
 */
static const char commit_validate[] =
    "f=$t\n"
    "case $f in /*) ;; *) f=$PWD/${f#./};; esac\n"
    "v=$(/bin/sh -c \"$V\" fanscp-validate \"$f\" </dev/null 2>&1) || {\n"
    "\tc=$?\n"
    "\tv=$(printf '%s\\n' \"$v\" | tail -c 200)\n"
    "\tdrop 89 \"validation failed (status $c): $v\"\n"
    "}\n";

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
    "\tif isroot; then chown -- \"$o\" \"$t\" ||\n"
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
    "''|*[!0-7]*) o=$(($m & ~0${um:-$(umask)}));;\n"
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
    "[ -z \"$P\" ] || rm -f -- \"$P\"\n";

/*
 * --then, once the file is in place: A is the user's command, run with
 * no stdin and under the heartbeat; its status and the tail of its
 * output are reported apart from the copy's (remote.h), which is done.
 * t is emptied first, so that nothing after the rename can drop it.
 */
static const char commit_then[] =
    "t= P=\n"
    "v=$(/bin/sh -c \"$A\" </dev/null 2>&1); c=$?\n"
    "v=$(printf '%s\\n' \"$v\" | tail -c 400)\n"
    "printf '\\nfanscp-then-output\\n%s\\n' \"$v\" >&2\n"
    "echo \"fanscp-then $c\"\n";

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
    "rm -f -- \"$t\" ${P:+\"$P\"}\n"
    "t= P=\n";

/* -p writes the mode and times, which only the file's owner (or root) may. */
static const char inplace_owner[] =
    "[ -O \"$n\" ] || isroot || drop 80 \"cannot keep the mode and "
    "times of '$d' (-p): the file belongs to another user\"\n";

/* The end of every commit, after the rename or the copy (and --then). */
static const char inplace_done[] =
    "unbeat\n"
    "echo fanscp-ok commit $s\n";

/*
 * Keep: abort removes the temp file and P only while P is this run's
 * (or gone).
 */
static const char keep_abort[] =
    "mine() { ! [ -e \"$1.pid\" ] || { read -r r0 x <\"$1.pid\" &&\n"
    "    [ \"$r0\" = \"$R\" ]; }; }\n"
    "{ cd -P -- \"$p\" && mine \"$t\" && rm -f -- \"$t\" \"$t.pid\"\n"
    "mine \"$w/.fanscp.$k\" && rm -f -- \"$w/.fanscp.$k\" \"$w/.fanscp.$k.pid\"; } "
    "2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

/* Abort: remove the temp file wherever it is; nothing else matters. */
static const char abort_body[] =
    "{ cd -P -- \"$p\" && rm -f -- \"$t\"; rm -f -- \"$w/.fanscp.$k\"; } "
    "2>/dev/null\n"
    "echo fanscp-ok abort 0\n";

/*
 * The job's values, the shared part, --chown and --chmod (O, M), and the
 * destination resolved.
 */
STATIC char *
remote_prelude(const struct remote_job *job)
{
	char *v = remote_vars(job);
	char *o = shquote(job->chown != NULL ? job->chown : "");
	char m[16] = "";
	char *s;

	if (job->has_chmod)
		snprintf(m, sizeof(m), "%o", (unsigned int)job->chmod & 07777);
	s = xasprintf("%sO=%s M=%s\n%s", v, o, m, resolve);
	free(o);
	free(v);
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
 * The commit after its head: checks, then "ready", the go-ahead, and the
 * atomic rename; or, for a temp file that --inplace put in w, the copy
 * over the destination.
 */
static char *
commit_body(const struct remote_job *job)
{
	char *sha = remote_sha_part(job);
	char *mode = commit_mode_vars(job);
	char *val = NULL, *then = NULL, *v, *s;

	if (job->validate != NULL) {
		v = shquote(job->validate);
		val = xasprintf("V=%s\n%s", v, commit_validate);
		free(v);
	}
	if (job->then != NULL) {
		v = shquote(job->then);
		then = xasprintf("A=%s\n%s", v, commit_then);
		free(v);
	}
	s = xasprintf("%s%s%s"
	    "if [ -z \"$q\" ]; then\n%s%s%s%s%s%s"
	    "else\n%s%s%s%s%sfi\n%s%s",
	    sha, commit_hash, mode,
	    commit_replace, job->preserve ? "keep \"$t\" 77\n" : commit_mode,
	    commit_owner, val != NULL ? val : "", commit_ready, commit_rename,
	    job->preserve ? inplace_owner : "", val != NULL ? val : "",
	    commit_ready, commit_inplace,
	    job->preserve ? "keep \"$n\" 82 'destination modified: '\n" :
	    "", then != NULL ? then : "", inplace_done);
	free(then);
	free(val);
	free(sha);
	free(mode);
	return s;
}

/*
 * Checks, "ready" and the data; joined (remote.h), exactly the data's
 * bytes, then the commit's head and body in the same shell.
 */
static char *
file_receive_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *same = NULL, *sha, *unz = remote_unzip_part(job);
	char *data = remote_data_part(job, job->joined ? receive_take :
	    receive_data);
	char *body = job->joined ? commit_body(job) : NULL;
	char *s;

	if (job->if_changed && job->sha256 != NULL) {
		sha = remote_sha_part(job);
		same = xasprintf("%s%s", sha, receive_same);
		free(sha);
	}
	s = xasprintf("%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s", pre, locate_dir,
	    locate, unz, owner_check, same != NULL ? same : "",
	    body != NULL ? "um=$(umask)\n" : "", receive_head,
	    job->keep ? keep_fns : "", receive_checks,
	    job->keep ? keep_offer : "", data,
	    body != NULL ? joined_head : "", body != NULL ? locate : "",
	    body != NULL ? body : "");
	free(body);
	free(data);
	free(pre);
	free(same);
	free(unz);
	return s;
}

/* The commit on a channel of its own: find the temp file again first. */
static char *
file_commit_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *head = xasprintf(commit_head, job->keep ? keep_commit : "");
	char *body = commit_body(job);
	char *s;

	s = xasprintf("%s%s%s%s%s%s", pre, locate_dir, locate,
	    job->keep ? keep_fns : "", head, body);
	free(pre);
	free(head);
	free(body);
	return s;
}

static char *
file_abort_cmd(const struct remote_job *job)
{
	char *pre = remote_prelude(job);
	char *s;

	s = xasprintf("%s%s", pre, job->keep ? keep_abort : abort_body);
	free(pre);
	return s;
}

const struct remote_payload remote_file_payload = {
	"file", file_receive_cmd, file_commit_cmd, file_abort_cmd, 1, NULL, 1,
};
