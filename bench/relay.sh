#!/bin/sh
# bench/relay.sh: fanscp --relay against direct fan-out, past the source's
# uplink (issue 11, "Tests and benchmark").  The shaped-link lab of
# tests/integration/netns.sh, as bench/shaped/run.sh uses it: the sender's
# uplink shaped to 100 Mbit/s, every host's link to 1000, hosts reaching
# each other over the bridge.  Three ways of one fanscp, in the same run and
# lab; every copy checked by SHA-256 on each host after each run, every home
# searched for what the relay may have left.  See the "Relay" section of
# bench/README.md.  Root only (network namespaces).
#
#   sh bench/relay.sh                                   R8 and R16, 64 MiB, 1 round
#   RELAY_MIB=4 RELAY_SCENARIOS=R8 sh bench/relay.sh    a harness check
#
# Environment:
#   RELAY_MIB=N          file size in MiB (default 64)
#   RELAY_R=N            rounds (default 1); medians over the rounds
#   RELAY_SCENARIOS="R8 R16"   which scenarios (default both)
#   RELAY_TOOLS="direct chain tree"   which ways (default these three;
#                        also direct-zstd and chain-zstd: --compress zstd)
#   RELAY_PAYLOAD=tar    a compressible payload (a tar of real files, as
#                        bench/compress.sh) instead of random bytes
#   RELAY_TIMEOUT=S      seconds one run may take (default 600)
#   RELAY_TMPDIR=DIR     where hosts and the source live (default /dev/shm
#                        when it is a tmpfs with room, else $TMPDIR or /tmp)
#   RELAY_OUT=FILE       results (default bench/results-DATE-relay.md)
#   RELAY_KEEP=1         keep the temp dir (sshd logs, raw data)
#   FANSCP=PATH          the binary (default ./fanscp)
#
# Scenarios (uplink 100 Mbit/s, every host at 1000):
#   R8   8 hosts        R16  16 hosts
# Ways (fanscp's trees hold at most 16 hosts, or the width):
#   direct  fanscp --verify --width N            the source sends to all
#   chain   fanscp --relay --width N             one chain of N
#   tree    fanscp --relay --relay-fanout 2 --width N
# --relay implies --verify; direct is given --verify so that every way
# does the same work on each host (read back and hash the temp file).
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
root=$(cd "$(dirname "$0")/.." && pwd) && cd "$root" || exit 2
here=$root/bench

MIB=${RELAY_MIB:-64}
R=${RELAY_R:-1}
SCENARIOS=${RELAY_SCENARIOS:-R8 R16}
TOOLS=${RELAY_TOOLS:-direct chain tree}
RUN_TIMEOUT=${RELAY_TIMEOUT:-600}
DATE=$(date +%Y-%m-%d)
OUT=${RELAY_OUT:-$here/results-$DATE-relay.md}
UPLINK=100			# Mbit/s, the sender's
LINK=1000			# Mbit/s, every host's
SIZE=$((MIB * 1048576))
DEST=bench.bin

note() { printf 'relay: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

scen_n() {
	case $1 in
	R8) N=8 ;;
	R16) N=16 ;;
	*) die "unknown scenario '$1' (R8 R16)" ;;
	esac
}

# build_cmd TOOL N: LINE (as run), LABEL, SHOWN (with fanscp and $T).
build_cmd() {
	local opts
	case $1 in
	direct) opts="--verify"; LABEL="fanscp --verify (direct)" ;;
	chain) opts="--relay"; LABEL="fanscp --relay (chain)" ;;
	tree) opts="--relay --relay-fanout 2"
	      LABEL="fanscp --relay --relay-fanout 2 (tree)" ;;
	direct-zstd) opts="--verify --compress zstd"
	      LABEL="fanscp --verify --compress zstd (direct)" ;;
	chain-zstd) opts="--relay --compress zstd"
	      LABEL="fanscp --relay --compress zstd (chain)" ;;
	*) die "unknown way '$1' (direct chain tree direct-zstd chain-zstd)" ;;
	esac
	LINE="$FANSCP -F $T/ssh_config $opts --width $2 $T/src.bin lab[001-$(printf %03d "$2")]:$DEST"
	SHOWN=${LINE//$FANSCP/fanscp}
	SHOWN=${SHOWN//$T/\$T}
}

# ---------------------------------------------------------------- running

# Hosts 1..$1: empty homes, and no session left under their sshds.
fresh_hosts() {
	local n i busy
	for ((n = 1; n <= $1; n++)); do
		find "$(host_home "$n")" -mindepth 1 -delete 2>/dev/null
	done
	for ((i = 0; i < 150; i++)); do
		busy=
		for ((n = 1; n <= $1; n++)); do
			pgrep -P "$(host_pid "$n")" >/dev/null && busy=1 && break
		done
		[ -z "$busy" ] && return 0
		sleep 0.1
	done
}

# After a run on hosts 1..$1, with their sshd logs read from byte offsets
# LOGAT[n] on: OK (copies with the source's SHA-256), FED (hosts whose
# sshd let in a one-job relay key from the home's authorized_keys), FEDBY
# (their numbers) and LEFT (what the relay left in the homes).
inspect() {
	local n h f
	OK=0 FED=0 FEDBY='' LEFT=''
	for ((n = 1; n <= $1; n++)); do
		h=$(host_home "$n")
		[ "$(sha256 "$h/$DEST")" = "$SRCHASH" ] && OK=$((OK + 1))
		if tail -c +"$((LOGAT[n] + 1))" "$(host_log "$n")" |
		    grep -q "found at $h/.ssh/authorized_keys"; then
			FED=$((FED + 1)) FEDBY="$FEDBY $n"
		fi
		grep -q fanscp-relay "$h/.ssh/authorized_keys" 2>/dev/null &&
		    LEFT="$LEFT $(host_name "$n"):authorized_keys"
		for f in "$h"/.fanscp-relay.* "$h"/.ssh/authorized_keys.*; do
			[ -e "$f" ] || [ -L "$f" ] || continue
			LEFT="$LEFT $(host_name "$n"):${f#"$h"/}"
		done
	done
}

# run_one ROUND S TOOL: one measured run through bench/reap.c in the
# sender's namespace; a line in $RAW.
run_one() {
	local r=$1 s=$2 t=$3 n m=$T/m.out wall=0 user=0 sys=0 rss=0 x rc=255 st why=
	scen_n "$s"
	build_cmd "$t" "$N"
	fresh_hosts "$N"
	for ((n = 1; n <= N; n++)); do LOGAT[n]=$(fsize "$(host_log "$n")"); done
	rm -rf "$T/cache" "$m" && mkdir "$T/cache"
	HOME=$T/local XDG_CACHE_HOME=$T/cache "$REAP" "$m" "$RUN_TIMEOUT" \
	    ip netns exec "$(lab_ns_sender)" bash -c "$LINE" \
	    </dev/null >"$T/run.log" 2>&1 &
	REAP_PID=$!
	wait "$REAP_PID"
	REAP_PID=
	[ -s "$m" ] && read -r wall user sys rss x x rc <"$m"
	inspect "$N"
	{ printf '\n== round %s %s %s: %s\n' "$r" "$s" "$t" "$SHOWN"
	  cat "$T/run.log"; } >>"$T/tool.log"
	st=OK
	[ "$rc" = 0 ] || { st=FAILED why="exit status $rc"; }
	[ "$OK" = "$N" ] || { st=FAILED why="${why:+$why, }$OK of $N copies verified"; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$s" "$t" \
	    "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
	    "$rss" "$rc" "$OK" "$FED" "${LEFT:--}" "$st" >>"$RAW"
	printf '%s\t%s\t%s\n' "$s $t" "$LABEL" "$SHOWN" >>"$T/cmds"
	[ "$st" = OK ] || { printf -- '- round %s, %s, %s: %s\n' "$r" "$s" \
	    "$LABEL" "$why"; head -15 "$T/run.log" | sed 's/^/    /'; } >>"$T/failures"
	[ "$t" = direct ] || [ "$FED" = $((N - (N + 15) / 16)) ] ||
	    printf -- '- round %s, %s, %s: %s of %s hosts fed by another host (fed:%s)\n' \
	        "$r" "$s" "$LABEL" "$FED" "$N" "${FEDBY:- none}" >>"$T/failures"
	note "$(printf 'round %s %-3s %-6s %7.2f s wall, %s/%s verified, %s fed by a host, left: %s, %s %s' \
	    "$r" "$s" "$t" "$wall" "$OK" "$N" "$FED" "${LEFT:-nothing}" "$st" "$why")"
}

# ---------------------------------------------------------------- report

# The median of column $3 over the OK runs of scenario $1, way $2.
med() {
	awk -F'\t' -v s="$1" -v t="$2" -v c="$3" '$2 == s && $3 == t && $11 == "OK" { print $c }' "$RAW" |
	    sort -g | awk '{ v[NR] = $1 } END {
		if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report_scenario() {
	local s=$1 t lb runs nok all
	scen_n "$s"
	lb=$(awk -v n="$N" -v f="$SIZE" -v u="$UPLINK" 'BEGIN { printf "%.3f", n * f * 8 / (u * 1e6) }')
	printf '\n### %s: %s hosts at %s Mbit/s behind a %s Mbit/s uplink, %s MiB\n\n' \
	    "$s" "$N" "$LINK" "$UPLINK" "$MIB"
	printf 'Direct bound N × F ÷ uplink: **%s s**.  N × link = %s Mbit/s; N × uplink = %s Mbit/s.\n\n' \
	    "$lb" $((N * LINK)) $((N * UPLINK))
	echo "| way | runs OK | seconds | × direct bound | delivered Mbit/s | ÷ N×link | ÷ N×uplink | client CPU s/GiB | peak RSS | verified | fed by a host | left behind |"
	echo "| --- | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | :---: | --- |"
	for t in $TOOLS; do
		build_cmd "$t" "$N"
		runs=$(awk -F'\t' -v s="$s" -v t="$t" '$2 == s && $3 == t' "$RAW" | wc -l)
		[ "$runs" -gt 0 ] || continue
		nok=$(awk -F'\t' -v s="$s" -v t="$t" '$2 == s && $3 == t && $11 == "OK"' "$RAW" | wc -l)
		# Per run, in round order: copies verified, hosts fed, left.
		all=$(awk -F'\t' -v s="$s" -v t="$t" -v n="$N" '$2 == s && $3 == t {
			v = v sep $8 "/" n; f = f sep $9; l = l ($10 == "-" ? "" : sep $10); sep = ", " }
			END { printf "%s\t%s\t%s", v, f, l == "" ? "nothing" : "**" l "**" }' "$RAW")
		if [ "$nok" = 0 ]; then
			printf '| %s | 0/%s | **FAILED** | | | | | | | %s |\n' "$LABEL" "$runs" \
			    "$(printf '%s' "$all" | sed 's/\t/ | /g')"
			continue
		fi
		awk -v label="$LABEL" -v runs="$nok/$runs" -v wall="$(med "$s" "$t" 4)" \
		    -v cpu="$(med "$s" "$t" 5)" -v rss="$(med "$s" "$t" 6)" -v lb="$lb" \
		    -v n="$N" -v f="$SIZE" -v link="$LINK" -v up="$UPLINK" -v all="$all" 'BEGIN {
			split(all, a, "\t"); rate = n * f * 8 / wall / 1e6
			printf "| %s | %s | %.2f | %.3f | %.0f | %.3f | %.3f | %.2f | %.1f MiB | %s | %s | %s |\n",
			    label, runs, wall, wall / lb, rate, rate / (n * link), rate / (n * up),
			    cpu / (n * f / 1073741824), rss / 1024, a[1], a[2], a[3] }'
	done
	printf '\n%s\n\n' "Commands (\$T is the lab's temp dir), run in the sender's namespace:"
	for t in $TOOLS; do
		awk -F'\t' -v k="$s $t" '$1 == k { printf "- %s: `%s`\n", $2, $3; exit }' "$T/cmds"
	done
}

report() {
	echo "# fanscp --relay past the source's uplink, $DATE"
	echo
	echo "Produced by \`RELAY_MIB=$MIB RELAY_R=$R RELAY_SCENARIOS=\"$SCENARIOS\" RELAY_TOOLS=\"$TOOLS\" ${RELAY_PAYLOAD:+RELAY_PAYLOAD=$RELAY_PAYLOAD }sh bench/relay.sh\`: the lab of tests/integration/netns.sh (one network namespace and sshd per host, tc htb on the sender's uplink and on each host's link; hosts reach each other over the bridge). Seconds: wall-clock until fanscp's last process exited; every copy is then checked by SHA-256 on each host, and a run with a missing or different copy is FAILED and left out of the medians ($R round(s)). × direct bound: seconds ÷ N × F ÷ uplink. Delivered Mbit/s: N × F × 8 ÷ seconds, then ÷ N × the host link rate and ÷ N × the uplink (no way of sending can pass N × uplink: every byte crosses the uplink at least once, so the best a relay can do is F ÷ uplink; --compress sends fewer bytes, and can pass it). Client CPU s/GiB: user+sys of the sender's whole process tree ÷ GiB delivered. Peak RSS: the largest single process. Verified: copies with the source's SHA-256, per run. Fed by a host: hosts whose sshd let in a one-job relay key from the home's authorized_keys (\"found at …/home/.ssh/authorized_keys\" in its log), per run; a chain or tree of N has N − 1. Left behind: a \`fanscp-relay\` line in a host's \`.ssh/authorized_keys\`, a \`.fanscp-relay.*\` in its home or an \`authorized_keys.*\` beside it, right after the run. Every way runs with --verify (--relay implies it), so that each host does the same work."
	echo
	echo "- machine: $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(uname -sr); load before: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- fanscp: $("$FANSCP" --version 2>&1 | head -1) (tree at git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ', src/ or include/ modified')); hosts: $(ssh -V 2>&1)"
	for s in $SCENARIOS; do report_scenario "$s"; done
	if [ -s "$T/failures" ]; then
		printf '\n### Failed runs, hosts not relayed\n\n'
		cat "$T/failures"
	fi
}

# ------------------------------------------------------------------ main

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tc)"
sh tests/deps.sh gcc openssh-client openssh-server iproute2 >&2 ||
    die "cannot install what it needs (see above)"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
[ -x "$FANSCP" ] || { note "no $FANSCP; running make"; make >&2 || die "make failed"; }
maxn=0
for s in $SCENARIOS; do scen_n "$s"; [ "$N" -gt "$maxn" ] && maxn=$N; done
[ "$maxn" -gt 0 ] || die "no scenario"
for t in $TOOLS; do T=/ build_cmd "$t" 1; done	# validates the names

if [ -z "${RELAY_TMPDIR:-}" ]; then
	RELAY_TMPDIR=${TMPDIR:-/tmp}
	# kB: a copy and a temp file a host, and the source.
	need=$(( ((2 * maxn + 1) * SIZE + 64 * 1048576) / 1024 ))
	[ "$(df -PT /dev/shm 2>/dev/null | awk 'NR==2 { print $2 }')" = tmpfs ] &&
	    [ "$(df -Pk /dev/shm | awk 'NR==2 { print $4 }')" -gt "$need" ] &&
	    RELAY_TMPDIR=/dev/shm
fi
export TMPDIR=$RELAY_TMPDIR
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

. tests/integration/lib.sh
. tests/integration/netns.sh

REAP_PID=
LAB_T=
declare -a LOGAT
relay_stop() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$REAP_PID" ] && signal_tree KILL "$REAP_PID" && wait "$REAP_PID" 2>/dev/null
	[ "${RELAY_KEEP:-0}" = 1 ] && FANSCP_KEEP=1
	SCEN_FAILED=0
	(exit 0); fixture_stop
	[ "${RELAY_KEEP:-0}" = 1 ] || [ -z "$LAB_T" ] || rm -rf "$LAB_T"
	exit "$rc"
}
# The lab at its largest, every host at LINK.  Its fixture sets traps of
# its own (lib.sh); ours, which also stops a run and keeps $T on asking,
# replace them once it is up.
note "starting the lab: $maxn hosts at $LINK Mbit/s, uplink $UPLINK, under $TMPDIR"
# shellcheck disable=SC2046
lab_up "$UPLINK" $(yes "$LINK" | head -n "$maxn") || die "no lab here: $SCEN_SKIP"
LAB_T=$T
trap relay_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK
RAW=$T/raw.tsv REAP=$T/reap
{ mkdir "$T/bin" && cp "$FANSCP" "$T/bin/fanscp"; } || die "cannot copy $FANSCP"
FANSCP=$T/bin/fanscp
cc -O2 -o "$REAP" "$here/reap.c" || die "cannot build bench/reap.c"
for f in "$RAW" "$T/cmds" "$T/tool.log"; do : >"$f"; done
if [ "${RELAY_PAYLOAD:-random}" = tar ]; then
	# Real, compressible files (as bench/compress.sh), repeated as needed.
	note "source: $MIB MiB of tar"
	while :; do
		tar -cf - --ignore-failed-read "$here/../src" "$here/../include" \
		    "$here/../man" /usr/share/doc /usr/lib 2>/dev/null || break
	done | head -c "$SIZE" >"$T/src.bin"
	[ "$(stat -c %s "$T/src.bin")" = "$SIZE" ] ||
	    die "cannot make the payload"
else
	note "source: $MIB MiB"
	mkrandom "$T/src.bin" "$SIZE"
fi
SRCHASH=$(sha256 "$T/src.bin")

for ((r = 1; r <= R; r++)); do
	for s in $SCENARIOS; do
		for t in $TOOLS; do run_one "$r" "$s" "$t"; done
	done
done
fresh_hosts "$maxn"

report >"$T/report.md"
cp "$T/report.md" "$OUT" || die "cannot write $OUT"
cat "$T/report.md"
note "written to $OUT"
if [ "${RELAY_KEEP:-0}" = 1 ]; then note "kept: $T"; fi
