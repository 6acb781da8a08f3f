/*
 * --relay on the host (relay.h): the part of a file's receive that sets
 * up the hops, and the data step that takes the stream from fanscp or
 * from the parent's ssh, and passes it on to each child's ssh.  The
 * receive's checks, keep and commit are the file payload's, unchanged.
 */
#include <stdio.h>
#include <stdlib.h>

#include "relay.h"
#include "remote.h"
#include "xmalloc.h"

/*
 * What the receive and a hop's forced command both run: lk takes the
 * lock on authorized_keys edits (a directory beside it; one left by a
 * killed run is taken after 5 s), and unauth removes this job's line (m
 * marks it) by writing the other lines to a new file and renaming it
 * over the old, so that a failed write never leaves a short file; it
 * keeps the mode.  A line is added under the same lock.
 */
static const char relay_auth_fns[] =
    "lk() {\n"
    "\tj=0\n"
    "\tuntil mkdir -- \"$RA.fanscp-lock\" 2>/dev/null; do\n"
    "\t\tj=$((j + 1))\n"
    "\t\t[ $j -le 100 ] || return 1\n"
    "\t\t[ $j != 50 ] || rmdir -- \"$RA.fanscp-lock\" 2>/dev/null\n"
    "\t\tsleep 0.1 2>/dev/null || sleep 1\n"
    "\tdone\n"
    "}\n"
    "unauth() {\n"
    "\t[ -f \"$RA\" ] && grep -q -F -e \"$m\" -- \"$RA\" 2>/dev/null || "
    "return 0\n"
    "\tlk || return 1\n"
    "\tl=$(grep -c -v -F -e \"$m\" -- \"$RA\")\n"
    "\tif grep -v -F -e \"$m\" -- \"$RA\" >\"$RA.$k\"; [ $? -le 1 ] &&\n"
    "\t    [ \"$(wc -l <\"$RA.$k\")\" -eq \"${l:-x}\" ]; then\n"
    "\t\to=$(stat -c %a -- \"$RA\" 2>/dev/null) && chmod -- \"$o\" "
    "\"$RA.$k\"\n"
    "\t\to=$(stat -c %u:%g -- \"$RA\" 2>/dev/null) && chown -- \"$o\" "
    "\"$RA.$k\"\n"
    "\t\tmv -f -- \"$RA.$k\" \"$RA\"\n"
    "\tfi 2>/dev/null\n"
    "\trm -f -- \"$RA.$k\"\n"
    "\trmdir -- \"$RA.fanscp-lock\" 2>/dev/null\n"
    "}\n";

/*
 * The set-up, after the temp file is made.  W, the work directory, is
 * made afresh (an earlier attempt's, and its line, go first); its path
 * is part of the forced command, so it may hold no character that would
 * need quoting there.  A host with children makes its key pair there,
 * says the public half, and reads its parent's key ("in -": none); it
 * authorizes that key, restricted (relay.h), with the forced command W/hop:
 * run once, remove the line, write the FIFO W/in.  Then "feed parent" or
 * "feed source", and for a host with a key its children: each one's
 * host key goes into W/kh under an alias, and an ssh to it reads the
 * FIFO W/pN, which a cat fills from the FIFO W/oN that the data step's
 * tee writes: so each ssh connects at once, not when the tee comes, and
 * the tee opens each W/oN once, never waiting on an ssh that failed (its
 * cat goes on the first write, and the tee drops that child).  The
 * ssh's errors go to W/eN.  rfin, which die runs, stops them and
 * removes W and the line.  Under --relay-auth existing (RE=1) no key is
 * made or authorized ("existing", "in existing"): the hop's ssh logs in
 * as the host's own configuration says, and runs W/hop as its command.
 * Under --sudo (RS=1) the receive is root's, but the hop is the login
 * user's: W and authorized_keys are in the login user's home (LH, which
 * sudo reset), what the hop reads or writes is chowned to that user
 * (own), and ssh-keygen and ssh run as that user (asu, which execs: in a
 * subshell only).
 */
static const char relay_setup[] =
    "RH=$HOME RO=\n"
    "if [ \"$RS\" = 1 ] && [ \"$(id -u)\" = 0 ] && [ -n \"${SUDO_UID-}\" ] &&\n"
    "    [ \"$SUDO_UID\" != 0 ]; then\n"
    "\tRH=${LH:-$HOME} RO=$SUDO_UID:${SUDO_GID-}\n"
    "fi\n"
    "asu() {\n"
    "\tif [ -n \"$RO\" ]; then exec sudo -n -u \"#$SUDO_UID\" -- \"$@\"\n"
    "\telse exec \"$@\"; fi\n"
    "}\n"
    "own() { [ -z \"$RO\" ] || chown -- \"$RO\" \"$@\"; }\n"
    "RW=$RH/.fanscp-relay.$k RA=$RH/.ssh/authorized_keys "
    "m=fanscp-relay:$k\n"
    "eval \"$U\"\n"
    "fw= fc=\n"
    "rfin() {\n"
    "\tfor f in $fw $fc; do kill \"$f\"; done 2>/dev/null\n"
    "\tunauth; rm -rf -- \"$RW\"; RW=\n"
    "}\n"
    "auth() {\n"
    "\t[ -d \"$RH/.ssh\" ] || { mkdir -m 700 -- \"$RH/.ssh\" && own "
    "\"$RH/.ssh\"; } 2>/dev/null\n"
    "\tnw=; [ -e \"$RA\" ] || nw=1\n"
    "\tif ! [ -w \"$RH/.ssh\" ] || { [ -e \"$RA\" ] && ! [ -w \"$RA\" ]; }; "
    "then\n"
    "\t\to=\"'$RA' is not writable\"\n"
    "\telse lk || o=\"cannot lock '$RA'\"; fi\n"
    "\t[ -n \"$o\" ] || v=$( { [ -s \"$RA\" ] && [ -n \"$(tail -c 1 -- \"$RA\")\" ] && "
    "echo\n"
    "\t    printf 'restrict,from=\"%s\",command=\"exec /bin/sh "
    "%s/hop\"%s %s %s %s\\n' \\\n"
    "\t    \"$3\" \"$RW\" \"$ex\" \"$1\" \"$2\" \"$m\"; } 2>&1 >>\"$RA\") ||\n"
    "\t    o=\"cannot add a key to '$RA': ${v##*: }\"\n"
    "\t[ -z \"$nw\" ] || own \"$RA\" 2>/dev/null\n"
    "\trmdir -- \"$RA.fanscp-lock\" 2>/dev/null\n"
    "}\n"
    "rm -rf -- \"$RW\"; unauth\n"
    "x=- y=\n"
    "case $RW$RA in *[!A-Za-z0-9._/+-]*)\n"
    "\ty=\"the home directory's path needs quoting\" RW=;; esac\n"
    "[ -z \"$RW\" ] || v=$(mkdir -m 700 -- \"$RW\" 2>&1 && own \"$RW\" 2>&1) ||\n"
    "    { y=\"cannot make '$RW': ${v##*: }\" RW=; }\n"
    "if [ -n \"$RW\" ] && [ \"$RF\" = 1 ]; then\n"
    "\tif ! command -v ssh >/dev/null 2>&1; then y='no ssh on the host'\n"
    "\telif [ \"$RE\" = 1 ]; then x=existing\n"
    "\telif ! command -v ssh-keygen >/dev/null 2>&1; then\n"
    "\t\ty='no ssh-keygen on the host'\n"
    "\telif v=$(asu ssh-keygen -q -t ed25519 -N '' -C \"$m\" -f \"$RW/key\" "
    "</dev/null 2>&1) &&\n"
    "\t    read -r x <\"$RW/key.pub\"; then\n"
    "\t\tset -- $x; x=\"$1 $2\"\n"
    "\telse y=\"ssh-keygen failed: $v\" x=-; fi\n"
    "elif [ -n \"$RW\" ]; then y='it feeds no other host'; fi\n"
    "echo \"fanscp-relay-key $x${y:+ $y}\"\n"
    "read -r g || g=\n"
    "case $g in\n"
    "'in -'|'') echo 'fanscp-relay-in -';;\n"
    "*)\n"
    "\tset -- ${g#in }\n"
    "\to=\n"
    "\tif [ -z \"$RW\" ]; then o=$y\n"
    "\telif [ \"$1\" != existing ] && [ -L \"$RA\" ]; then o=\"'$RA' is a symbolic link\"\n"
    "\telif ! mkfifo -m 600 -- \"$RW/in\" 2>/dev/null; then\n"
    "\t\to=\"cannot make a FIFO in '$RW'\"\n"
    "\telse\n"
    "\t\tex=; [ \"$4\" = - ] || ex=\",expiry-time=\\\"$4\\\"\"\n"
    "\t\t{ echo \"RW='$RW' RA='$RA' m='$m' k='$k'\"; printf '%s\\n' \"$U\"\n"
    "\t\t  echo '[ -p \"$RW/in\" ] || { echo \"relay: no receive waits "
    "on this host\" >&2; exit 1; }'\n"
    "\t\t  echo 'mkdir -- \"$RW/once\" 2>/dev/null || { echo \"relay: "
    "this hop was used already\" >&2; exit 1; }'\n"
    "\t\t  echo 'unauth'; echo 'exec cat >\"$RW/in\"'; } >\"$RW/hop\"\n"
    "\t\town \"$RW/hop\" \"$RW/in\"\n"
    "\t\t[ \"$1\" = existing ] || auth \"$@\"\n"
    "\tfi\n"
    "\tif [ -z \"$o\" ]; then echo \"fanscp-relay-in ok $RW\"\n"
    "\telse echo \"fanscp-relay-in off $o\"; fi;;\n"
    "esac\n"
    "read -r g || g=\n"
    "fp=0\n"
    "if [ \"$g\" = 'feed parent' ]; then fp=1\n"
    "elif [ -n \"$RW\" ]; then rm -f -- \"$RW/in\"; unauth; fi\n"
    "n=0 outs=\n"
    "if [ \"$x\" != - ]; then\n"
    "\t: >\"$RW/kh\"; own \"$RW/kh\"\n"
    "\tso=\"-F /dev/null -i $RW/key -o IdentitiesOnly=yes "
    "-o IdentityAgent=none\"\n"
    "\t[ \"$x\" != existing ] || so=\n"
    "\twhile read -r g && [ \"$g\" != end ]; do\n"
    "\t\tset -- $g\n"
    "\t\tn=$((n + 1))\n"
    "\t\techo \"fanscp-relay-$n $6 $7\" >>\"$RW/kh\"\n"
    "\t\tmkfifo -m 600 -- \"$RW/o$n\" \"$RW/p$n\" || break\n"
    "\t\t{ cat -- \"$RW/o$n\" >\"$RW/p$n\" & } 2>/dev/null\n"
    "\t\tfc=\"$fc $!\"\n"
    "\t\t{ asu ssh $so -T -o BatchMode=yes \\\n"
    "\t\t    -o \"UserKnownHostsFile=$RW/kh\" \\\n"
    "\t\t    -o GlobalKnownHostsFile=/dev/null \\\n"
    "\t\t    -o StrictHostKeyChecking=yes \\\n"
    "\t\t    -o \"HostKeyAlias=fanscp-relay-$n\" \\\n"
    "\t\t    -o ServerAliveInterval=1 -o ServerAliveCountMax=4 \\\n"
    "\t\t    -o ConnectTimeout=10 -o LogLevel=ERROR \\\n"
    "\t\t    -o ControlMaster=no -o ControlPath=none \\\n"
    "\t\t    -o ClearAllForwardings=yes -o ForwardAgent=no \\\n"
    "\t\t    -o ForwardX11=no -o PermitLocalCommand=no \\\n"
    "\t\t    -p \"$4\" -l \"$2\" -- \"$3\" \\\n"
    "\t\t    \"exec /bin/sh $5/hop\" <\"$RW/p$n\" >/dev/null "
    "2>\"$RW/e$n\" & } 2>/dev/null\n"
    "\t\tfw=\"$fw $!\" outs=\"$outs $RW/o$n\"\n"
    "\tdone\n"
    "fi\n";

/*
 * The data: tee appends to the temp file and writes each child's FIFO;
 * with SIGPIPE ignored, a child that goes only drops out of its list.
 * Under --compress (X set) the hops carry the compressed bytes: tee
 * writes them to the children and into the decompressor, which writes
 * the temp file, and a fed host keeps them too, in W/z.  Each child's
 * ssh is waited for, and says how it ended ("fanscp-relay-note N ...");
 * first each W/oN is opened once, read-write, which frees a cat still
 * waiting for a tee that never came (a parent that never fed it);
 * then the line goes.  A fed host reads its FIFO, under a watch
 * that stops the tee when what it writes (wf: the temp file, or W/z) has
 * not grown for G s (a parent frozen), or G0 s before its first byte (a
 * parent never come: its ssh may take its ConnectTimeout); the watch's
 * "fanscp-got N" lines, the temp file's size, are its progress.  Once
 * its tee is done, W/in is renamed and opened once, read-write, which
 * frees a hop that came too late and waits to open it (it then finds no
 * reader, and ends; one later finds no W/in).  Short,
 * it says "fanscp-relay-short N" and reads "from N" from fanscp, which
 * sends it the rest on stdin: N counts the temp file, or under
 * --compress W/z, which is decompressed again from its first byte with
 * the rest after it.  Whole, it says "fanscp-relay-done" and reads
 * "keep".  With fanscp gone, which would never commit it, the temp file
 * goes.  W goes last (rfin).
 */
static const char relay_data[] =
    "tap() {\n"
    "\t[ \"$K\" != 1 ] || { set +C; echo \"$R $$ $c\" >\"$P\"; }\n"
    "}\n"

    "echo fanscp-ready receive\n"
    "exec 3<&0\n"
    "wd= u= wf=$t\n"
    "if [ $fp = 1 ]; then\n"
    "\tif [ -n \"$X\" ]; then\n"
    "\t\twf=$RW/z\n"
    "\t\tmkfifo -m 600 -- \"$RW/u\" || bad\n"
    "\t\tunzip <\"$RW/u\" >>\"$t\" & u=$!\n"
    "\tfi\n"
    "\t( o=/dev/null; [ -z \"$u\" ] || o=$RW/u\n"
    "\t  exec tee -a -- \"$wf\" $outs <\"$RW/in\" >\"$o\" ) & c=$!\n"
    "\ttap\n"
    "\t{ (l=-1 j=0\n"
    "\twhile sleep 1; do\n"
    "\t\tz=$(wc -c <\"$t\"); z=${z##*[!0-9]}\n"
    "\t\techo \"fanscp-got ${z:-0}\" || exit\n"
    "\t\t[ \"$wf\" = \"$t\" ] || { z=$(wc -c <\"$wf\"); "
    "z=${z##*[!0-9]}; }\n"
    "\t\tif [ \"$z\" = \"$l\" ]; then j=$((j + 1)); else j=0 l=$z; fi\n"
    "\t\t[ $j -lt \"$G\" ] || { [ \"$z\" = 0 ] && [ $j -lt \"$G0\" ]; } ||\n"
    "\t\t    { kill \"$c\"; exit; }\n"
    "\tdone) </dev/null 2>/dev/null & } 2>/dev/null\n"
    "\twd=$!\n"
    "elif [ -n \"$X\" ]; then\n"
    "\t( tee -- $outs | unzip >>\"$t\" ) <&3 & c=$!\n"
    "else\n"
    "\t( exec tee -a -- \"$t\" $outs >/dev/null ) <&3 & c=$!\n"
    "\ttap\n"
    "fi\n"
    "wait $c; cs=$?\n"
    "if [ $fp = 1 ]; then\n"
    "\tmv -f -- \"$RW/in\" \"$RW/in.x\" && true 5<>\"$RW/in.x\"\n"
    "\trm -f -- \"$RW/in.x\"\n"
    "fi 2>/dev/null\n"
    "for o in $outs; do true 5<>\"$o\"; done 2>/dev/null\n"
    "[ -z \"$u\" ] || wait \"$u\" || cs=91\n"
    "[ -z \"$wd\" ] || { kill \"$wd\"; wait \"$wd\"; } 2>/dev/null\n"
    "j=0\n"
    "for f0 in $fw; do\n"
    "\tj=$((j + 1))\n"
    "\twait \"$f0\" && continue\n"
    "\tv=$(tail -c 200 -- \"$RW/e$j\" 2>/dev/null | tr '\\r\\n' '  ')\n"
    "\techo \"fanscp-relay-note $j ${v:-its ssh failed}\"\n"
    "done\n"
    "fw= fc=\n"
    "unauth\n"
    "if [ $fp = 1 ] && { [ $cs != 0 ] || ! size \"$t\"; }; then\n"
    "\tz=$(wc -c <\"$wf\"); z=${z##*[!0-9]}\n"
    "\t[ -n \"$X\" ] || [ \"${z:-0}\" -le \"$s\" ] ||\n"
    "\t    drop 74 \"wrong size for '$d': its stream brought $z of $s "
    "bytes\"\n"
    "\techo \"fanscp-relay-short ${z:-0}\"\n"
    "\tread -r g <&3 || g=\n"
    "\t[ \"$g\" = \"from ${z:-0}\" ] || { part; drop 74 \"the stream from "
    "the host before it was cut short\"; }\n"
    "\tif [ -n \"$X\" ]; then\n"
    "\t\t{ cat -- \"$wf\" && exec cat <&3; } | unzip >|\"$t\"; cs=$?\n"
    "\telse\n"
    "\t\tcat <&3 >>\"$t\" & c=$!\n"
    "\t\ttap\n"
    "\t\twait $c; cs=$?\n"
    "\tfi\n"
    "elif [ $fp = 1 ]; then\n"
    "\techo fanscp-relay-done\n"
    "\tread -r g <&3 || g=\n"
    "\t[ \"$g\" = keep ] || drop 74 \"fanscp went away while the stream "
    "came\"\n"
    "fi\n"
    "[ $cs = 0 ] || { part; bad; }\n"
    "rfin\n"
    "beat\n"
    "size \"$t\" || { [ \"${z:-0}\" -lt \"$s\" ] && unbeat && part\n"
    "    drop 74 \"wrong size for '$d': got ${z:-?} of $s bytes\"; }\n"
    "unbeat\n"
    "echo fanscp-ok receive $s\n";

/*
 * What every data step may end with: part, under keep (K), leaves the
 * temp file for a later run to resume, says how much it holds
 * ("fanscp-part receive N") and exits 87; without keep it returns, and
 * the caller goes on to fail.
 */
static const char receive_part[] =
    "part() {\n"
    "\t[ \"$K\" = 1 ] && mine || return 0\n"
    "\techo \"$R - -\" >\"$P\"\n"
    "\tz=$(wc -c <\"$t\"); z=${z##*[!0-9]}\n"
    "\techo \"fanscp-part receive ${z:-0}\"\n"
    "\texit 87\n"
    "}\n";

char *
remote_data_part(const struct remote_job *job, const char *direct)
{
	char *u, *s;

	if (!job->relay)
		return xasprintf("%s%s", receive_part, direct);
	u = shquote(relay_auth_fns);
	s = xasprintf("RF=%d RE=%d RS=%d G=%d G0=%d U=%s\n%s%s%s",
	    job->relay_fwd ? 1 : 0, job->relay_existing ? 1 : 0,
	    job->sudo ? 1 : 0, RELAY_FEED_IDLE, RELAY_FEED_FIRST, u,
	    relay_setup, receive_part, relay_data);
	free(u);
	return s;
}
