#!/bin/sh
# bench/shaped/run.sh: makespan against the lower bound on shaped links.
# fanscp, `parallel -j W scp`, pssh's `parallel-scp -p W` and the
# `tee >(ssh …)` idiom push one file to hosts of the shaped-link lab
# (tests/integration/netns.sh: a network namespace and an sshd per host, tc
# htb per link and on the sender's uplink), in the same run.  See the
# "Shaped links" section of bench/README.md.  Root only (network namespaces).
#
#   sh bench/shaped/run.sh                         everything, 64 MiB, 1 round
#   SHAPED_MIB=8 SHAPED_SCENARIOS="V S1" sh bench/shaped/run.sh   a harness check
#
# Environment:
#   SHAPED_MIB=N         file size in MiB (default 64: S1's 25 Mbit/s host
#                        alone needs 21.5 s)
#   SHAPED_R=N           rounds (default 1); medians over the rounds
#   SHAPED_SCENARIOS="V S1 S2 S3 S4 L"   which scenarios (default all)
#   SHAPED_TOOLS="fanscp fanscp-hist par-scp pscp tee"   which tools
#   SHAPED_TIMEOUT=S     seconds one run may take (default 600)
#   SHAPED_TMPDIR=DIR    where hosts and sources live (default /dev/shm
#                        when it is a tmpfs with room, else $TMPDIR or /tmp)
#   SHAPED_OUT=FILE      results (default bench/shaped/results-DATE.md)
#   SHAPED_KEEP=1        keep the temp dir (sshd logs, raw data)
#   FANSCP=PATH          the binary (default ./fanscp)
#
# Scenarios (uplink 400 Mbit/s; rates in Mbit/s, in list order):
#   V   the shaping itself: one scp to a 25 and to a 200 Mbit/s host, and
#       four at once to 200 Mbit/s hosts behind a 100 Mbit/s uplink
#   S1  8 hosts, 7 × 200 then 1 × 25, width 4
#   S2  the same, the 25 first
#   S3  as S1, width 8
#   S4  16 hosts, 25 to 200 in even steps, in a fixed shuffled order, width 4
#   L   4 hosts at 200, fanscp -l 80000 (Kbit/s): achieved rate ÷ limit
#
# POSIX sh starts it; the tee idiom needs bash, so it runs in bash.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 2
root=$(pwd)

MIB=${SHAPED_MIB:-64}
R=${SHAPED_R:-1}
SCENARIOS=${SHAPED_SCENARIOS:-V S1 S2 S3 S4 L}
ONLY_TOOLS=${SHAPED_TOOLS:-}
RUN_TIMEOUT=${SHAPED_TIMEOUT:-600}
DATE=$(date +%Y-%m-%d)
OUT=${SHAPED_OUT:-$here/results-$DATE.md}
UPLINK=400
LIMIT=80000			# Kbit/s, scenario L
SIZE=$((MIB * 1048576))
DEST=bench.bin

say() { printf '%s\n' "$*"; }
note() { printf 'shaped: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

# S4's rates: 25 to 200 Mbit/s in 15 even steps, listed in this fixed
# shuffled order of their ranks (1 = 25 Mbit/s, 16 = 200 Mbit/s), so that
# slow and fast hosts alternate irregularly and neither list order nor its
# reverse is the answer.
S4_ORDER="11 3 14 6 1 9 16 4 12 7 2 15 10 5 13 8"

# scen_params S: N hosts, width W, RATES (Mbit/s, list order), TITLE.
scen_params() {
	local i
	case $1 in
	S1) N=8; W=4; RATES=(200 200 200 200 200 200 200 25)
	    TITLE="8 hosts, 7 at 200 Mbit/s then 1 at 25 (listed last), width 4" ;;
	S2) N=8; W=4; RATES=(25 200 200 200 200 200 200 200)
	    TITLE="8 hosts, 1 at 25 Mbit/s (listed first) then 7 at 200, width 4" ;;
	S3) N=8; W=8; RATES=(200 200 200 200 200 200 200 25)
	    TITLE="8 hosts, 7 at 200 Mbit/s and 1 at 25, width 8 (all at once)" ;;
	S4) N=16; W=4; RATES=()
	    for i in $S4_ORDER; do
		RATES+=("$(awk -v k="$i" 'BEGIN { printf "%g", 25 + 175 * (k - 1) / 15 }')")
	    done
	    TITLE="16 hosts, 25 to 200 Mbit/s in even steps, shuffled, width 4" ;;
	L) N=4; W=4; RATES=(200 200 200 200)
	   TITLE="4 hosts at 200 Mbit/s, fanscp -l $LIMIT (Kbit/s)" ;;
	V) N=4; W=1; RATES=(25 200 200 200)
	   TITLE="the shaping itself" ;;
	*) die "unknown scenario '$1' (V S1 S2 S3 S4 L)" ;;
	esac
}

scen_tools() {
	case $1 in
	S*) echo fanscp fanscp-hist par-scp pscp tee ;;
	L) echo fanscp-l ;;
	esac
}

tool_enabled() {
	[ -z "$ONLY_TOOLS" ] && return 0
	case " $ONLY_TOOLS " in *" $1 "*) return 0 ;; esac
	[ "$1" = fanscp-l ] && [[ " $ONLY_TOOLS " == *" fanscp "* ]]
}

# The lower bound in seconds, and which term sets it.
lower_bound() {
	printf '%s\n' "${RATES[@]}" | awk -v n="$N" -v f="$SIZE" -v u="$UPLINK" -v w="$W" '
	    { r = $1 * 1e6 / 8; inv += 1 / r; if (min == "" || r < min) min = r }
	    END {
		a = n * f / (u * 1e6 / 8); b = f / min; c = f * inv / w
		lb = a; why = "N×F/uplink"
		if (b > lb) { lb = b; why = "F/slowest rate" }
		if (c > lb) { lb = c; why = "F×Σ(1/rate)/W" }
		printf "%.3f %s\n", lb, why
	    }'
}

# build_cmd TOOL S [BATCH...]: CMDS (one command line a batch, run one
# after the other), LABEL, SHOWN.
build_cmd() {
	local t=$1 s=$2 cfg=$T/ssh_config src=$T/src.bin i h line
	local ssh_o="-F $cfg -oBatchMode=yes"
	scen_params "$s"
	local hosts=()
	for ((i = 1; i <= N; i++)); do hosts+=("$(host_name "$i")"); done
	printf '%s\n' "${hosts[@]}" >"$T/hosts.$s"
	CMDS=()
	case $t in
	fanscp | fanscp-hist | fanscp-l)
		LABEL="fanscp, first run (empty history)"
		[ "$t" = fanscp-hist ] && LABEL="fanscp, second run (with history)"
		line="$(shq "$FANSCP") -F $cfg --width $W"
		[ "$t" = fanscp-l ] && line="$line -l $LIMIT" &&
		    LABEL="fanscp -l $LIMIT"
		line="$line $src"
		for h in "${hosts[@]}"; do line="$line $h:$DEST"; done
		CMDS=("$line") ;;
	par-scp)
		LABEL="parallel -j $W scp"
		CMDS=("parallel --will-cite -j $W scp -O -q $ssh_o $src {}:$DEST ::: ${hosts[*]}") ;;
	pscp)
		LABEL="pssh parallel-scp -p $W"
		CMDS=("parallel-scp -p $W -t 0 -X -O -X -F -X $cfg -X -oBatchMode=yes -h $T/hosts.$s $src $DEST") ;;
	tee)
		# The idiom has no width: W hosts at a time, batch after batch.
		LABEL="tee >(ssh …) idiom, $W hosts a batch"
		[ "$W" -ge "$N" ] && LABEL="tee >(ssh …) idiom, all at once"
		for ((i = 0; i < N; i += W)); do
			line="tee"
			for h in "${hosts[@]:i:W}"; do
				line="$line >(ssh $ssh_o $h 'cat > $DEST')"
			done
			CMDS+=("$line < $src > /dev/null")
		done ;;
	*) die "unknown tool $t" ;;
	esac
	SHOWN=${CMDS[0]}
	[ "${#CMDS[@]}" -gt 1 ] && SHOWN="$SHOWN, then the same for the next $W hosts, ${#CMDS[@]} batches in all"
	SHOWN=${SHOWN//$FANSCP/fanscp}
	SHOWN=${SHOWN//$T/\$T}
}

# ---------------------------------------------------------------- running

clean_homes() {
	local n
	for ((n = 1; n <= $1; n++)); do
		find "$(host_home "$n")" -mindepth 1 -delete 2>/dev/null
	done
}

# Wait (up to 15 s) until no session is left under the sshds of hosts 1..$1.
wait_servers() {
	local n pids=" " i
	for ((n = 1; n <= $1; n++)); do pids="$pids$(host_pid "$n") "; done
	for ((i = 0; i < 150; i++)); do
		ps -e -o ppid= | awk -v s="$pids" 'index(s, " " $1 " ") { n++ } END { exit n > 0 }' && return 0
		sleep 0.1
	done
	return 1
}

# How many of hosts 1..$1 hold $DEST with the source's SHA-256.
verified() {
	local n files=()
	for ((n = 1; n <= $1; n++)); do files+=("$(host_home "$n")/$DEST"); done
	sha256sum -- "${files[@]}" 2>/dev/null |
	    awk -v h="$SRCHASH" '$1 == h { n++ } END { print n + 0 }'
}

# measure CMDLINE: run it in the sender's namespace through reap; sets
# M_WALL M_CPU M_RSS M_RC and appends its output to $T/tool.log.
measure() {
	local m=$T/m.out wall user sys maxrss sumrss nproc rc
	rm -f "$m"
	HOME=$T/local XDG_CACHE_HOME=$CACHE "$REAP" "$m" "$RUN_TIMEOUT" \
	    ip netns exec "$(lab_ns_sender)" bash -c "$1" \
	    </dev/null >>"$T/tool.log" 2>&1 &
	REAP_PID=$!
	wait "$REAP_PID"
	REAP_PID=
	if [ -s "$m" ]; then
		read -r wall user sys maxrss sumrss nproc rc <"$m"
	else
		wall=0 user=0 sys=0 maxrss=0 rc=255
	fi
	M_WALL=$wall
	M_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	M_RSS=$maxrss
	M_RC=$rc
}

# shape S: the lab's rates for scenario S (hosts past N keep theirs).
shape() {
	local i
	scen_params "$1"
	lab_uplink "$UPLINK"
	for ((i = 1; i <= N; i++)); do lab_rate "$i" "${RATES[i - 1]}"; done
}

# run_one ROUND S TOOL: one measured run (all its batches); a line in $RAW.
run_one() {
	local r=$1 s=$2 t=$3 wall=0 cpu=0 rss=0 rc=0 ok status why c
	build_cmd "$t" "$s"
	clean_homes "$N"
	wait_servers "$N"
	case $t in
	fanscp | fanscp-l) CACHE=$T/cache/$s; rm -rf "$CACHE"; mkdir -p "$CACHE" ;;
	fanscp-hist) CACHE=$T/cache/$s ;;	# what the first run left
	*) CACHE=$T/cache/none ;;
	esac
	: >"$T/tool.log"
	for c in "${CMDS[@]}"; do
		measure "$c"
		wall=$(awk -v a="$wall" -v b="$M_WALL" 'BEGIN { print a + b }')
		cpu=$(awk -v a="$cpu" -v b="$M_CPU" 'BEGIN { print a + b }')
		[ "$M_RSS" -gt "$rss" ] && rss=$M_RSS
		[ "$M_RC" = 0 ] || rc=$M_RC
	done
	ok=$(verified "$N")
	status=OK why=
	[ "$rc" = 0 ] || { status=FAILED; why="exit status $rc"; }
	[ "$ok" = "$N" ] || { status=FAILED; why="${why:+$why, }$ok of $N copies verified"; }
	if [ "$t" = fanscp-l ] && [ "$rc" = 2 ] &&
	    grep -qiE 'unknown option|invalid option|illegal option|usage:' "$T/tool.log"; then
		status=NA why="this fanscp has no -l"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$s" "$t" "$wall" \
	    "$cpu" "$rss" "$rc" "$ok" "$status" >>"$RAW"
	printf '%s\t%s\t%s\n' "$s $t" "$LABEL" "$SHOWN" >>"$T/cmds"
	if [ "$status" = FAILED ]; then
		{
			printf -- '- round %s, %s, %s: %s\n' "$r" "$s" "$LABEL" "$why"
			head -c 2000 "$T/tool.log" | head -15 | sed 's/^/    /'
		} >>"$T/failures"
	fi
	note "$(printf 'round %s %-3s %-12s %7.2f s wall %6.2f s cpu %s %s' \
	    "$r" "$s" "$t" "$wall" "$cpu" "$status" "$why")"
	clean_homes "$N"
}

# The shaping itself: achieved Mbit/s of one scp -O (or four at once), in
# $T/shaping as "what set achieved".
run_shaping() {
	local what want hosts c
	scen_params V
	: >"$T/tool.log"
	CACHE=$T/cache/none
	for what in 25 200 uplink; do
		clean_homes 4
		wait_servers 4
		lab_uplink "$UPLINK"
		lab_rate 1 25
		case $what in
		25) want=25; hosts=lab001
		    c="scp -O -q -F $T/ssh_config -oBatchMode=yes $T/src.bin lab001:$DEST" ;;
		200) want=200; hosts=lab002
		    c="scp -O -q -F $T/ssh_config -oBatchMode=yes $T/src.bin lab002:$DEST" ;;
		uplink)
		    want=100; lab_uplink 100; lab_rate 1 200; hosts="lab001 lab002 lab003 lab004"
		    c="parallel --will-cite -j 4 scp -O -q -F $T/ssh_config -oBatchMode=yes $T/src.bin {}:$DEST ::: $hosts" ;;
		esac
		measure "$c"
		set -- $hosts
		printf '%s\t%s\t%s\t%s\t%s\n' "$what" "$want" \
		    "$(awk -v n=$# -v f="$SIZE" -v w="$M_WALL" 'BEGIN { printf "%.1f", n * f * 8 / w / 1e6 }')" \
		    "$M_RC" "${c//$T/\$T}" >>"$T/shaping"
		note "shaping: $what: $(tail -1 "$T/shaping" | cut -f3) Mbit/s (set $want), rc $M_RC"
	done
	lab_uplink "$UPLINK"
	clean_homes 4
}

# ---------------------------------------------------------------- report

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
col() {
	awk -F'\t' -v s="$1" -v t="$2" '$2 == s && $3 == t && $9 == "OK" { print '"$3"' }' "$RAW"
}

report_scenario() {
	local s=$1 t lb why runs nok wall cpu rss gib
	scen_params "$s"
	read -r lb why < <(lower_bound)
	gib=$(awk -v b=$((N * SIZE)) 'BEGIN { print b / 1073741824 }')
	say ""
	say "### $s: $TITLE"
	say ""
	say "Rates in list order (Mbit/s): ${RATES[*]}; uplink $UPLINK Mbit/s; $MIB MiB a host."
	if [ "$s" = L ]; then
		say ""
		say "| tool | runs OK | seconds | achieved Kbit/s | ÷ limit | client CPU s/GiB | peak RSS |"
		say "| --- | :---: | ---: | ---: | ---: | ---: | ---: |"
	else
		say "Lower bound: **$lb s** (set by $why)."
		say ""
		say "| tool | runs OK | seconds | × bound | client CPU s/GiB | peak RSS |"
		say "| --- | :---: | ---: | ---: | ---: | ---: |"
	fi
	for t in $(scen_tools "$s"); do
		tool_enabled "$t" || continue
		build_cmd "$t" "$s"
		runs=$(awk -F'\t' -v s="$s" -v t="$t" '$2 == s && $3 == t' "$RAW" | wc -l)
		[ "$runs" -gt 0 ] || continue
		if awk -F'\t' -v s="$s" -v t="$t" '$2 == s && $3 == t && $9 == "NA" { f = 1 } END { exit !f }' "$RAW"; then
			say "| $LABEL | n/a | n/a: this fanscp has no \`-l\` | | | | |"
			continue
		fi
		nok=$(col "$s" "$t" 1 | wc -l)
		if [ "$nok" = 0 ]; then
			say "| $LABEL | 0/$runs | **FAILED** | | | |$([ "$s" = L ] && echo ' |')"
			continue
		fi
		wall=$(col "$s" "$t" '$4' | median)
		cpu=$(col "$s" "$t" '$5' | median)
		rss=$(col "$s" "$t" '$6' | median)
		awk -v label="$LABEL" -v runs="$nok/$runs" -v wall="$wall" -v lb="$lb" \
		    -v cpu="$cpu" -v gib="$gib" -v rss="$rss" -v l="$([ "$s" = L ] && echo "$LIMIT")" \
		    -v n="$N" -v f="$SIZE" 'BEGIN {
			if (l != "") {
				k = n * f * 8 / wall / 1024	# Kbit of 1024 bits, as -l counts them
				printf "| %s | %s | %.2f | %.0f | %.3f | %.2f | %.1f MiB |\n", label, runs, wall, k, k / l, cpu / gib, rss / 1024
			} else
				printf "| %s | %s | %.2f | %.2f | %.2f | %.1f MiB |\n", label, runs, wall, wall / lb, cpu / gib, rss / 1024
		}'
	done
	say ""
	say "Commands (\$T is the lab's temp dir), run in the sender's namespace:"
	say ""
	for t in $(scen_tools "$s"); do
		awk -F'\t' -v k="$s $t" '$1 == k { printf "- %s: `%s`\n", $2, $3; exit }' "$T/cmds"
	done
}

report() {
	say "# fanscp on shaped links, $DATE"
	say ""
	say "Produced by \`SHAPED_MIB=$MIB SHAPED_R=$R SHAPED_SCENARIOS=\"$SCENARIOS\" sh bench/shaped/run.sh\`: the lab of tests/integration/netns.sh (one network namespace and sshd per host, tc htb per link and on the sender's uplink). Seconds: wall-clock until the tool's last process exited (every copy is then checked by SHA-256; a run with a missing or different copy is FAILED and left out); medians over $R round(s). × bound: seconds ÷ the lower bound max(N×F/uplink, F/slowest rate, F×Σ(1/rate)/W). client CPU s/GiB: user+sys of the tool's whole process tree ÷ GiB delivered. peak RSS: the largest single process of the tree."
	say ""
	say "- machine: $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $(uname -sr); 1-min load at the start $LOAD0, at the end $(cut -d' ' -f1 /proc/loadavg)"
	say "- fanscp: $("$FANSCP" --version 2>&1 | head -1) (tree at git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ', src/ or include/ modified'))"
	say "- peers: GNU parallel $(parallel --will-cite --version 2>/dev/null | awk 'NR==1 { print $3 }'), pssh $(dpkg-query -W -f='${Version}' pssh 2>/dev/null), $(ssh -V 2>&1)"
	if [ -s "$T/shaping" ]; then
		say ""
		say "### V: the shaping holds"
		say ""
		say "| link | set Mbit/s | achieved Mbit/s | exit | command |"
		say "| --- | ---: | ---: | ---: | --- |"
		awk -F'\t' '{
			w = $1 == "uplink" ? "uplink (4 hosts at 200 at once)" : "one host at " $1
			printf "| %s | %s | %s | %s | `%s` |\n", w, $2, $3, $4, $5 }' "$T/shaping"
	fi
	for s in $SCENARIOS; do
		[ "$s" = V ] || report_scenario "$s"
	done
	if [ -s "$T/failures" ]; then
		say ""
		say "### Failed runs"
		say ""
		cat "$T/failures"
	fi
}

# ------------------------------------------------------------------ main

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tc)"
sh tests/deps.sh parallel pssh gcc openssh-client openssh-server iproute2 \
    >&2 || die "cannot install what it needs (see above)"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
[ -x "$FANSCP" ] || { note "no $FANSCP; running make"; make >&2 || die "make failed"; }
for s in $SCENARIOS; do scen_params "$s"; done	# validates the names

if [ -z "${SHAPED_TMPDIR:-}" ]; then
	SHAPED_TMPDIR=${TMPDIR:-/tmp}
	need=$(( (17 * SIZE + 64 * 1048576) / 1024 ))	# kB: 16 copies, the source
	if [ "$(df -PT /dev/shm 2>/dev/null | awk 'NR==2 { print $2 }')" = tmpfs ] &&
	    [ "$(df -Pk /dev/shm | awk 'NR==2 { print $4 }')" -gt "$need" ]; then
		SHAPED_TMPDIR=/dev/shm
	fi
fi
export TMPDIR=$SHAPED_TMPDIR
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

. tests/integration/lib.sh
. tests/integration/netns.sh

maxn=4
for s in $SCENARIOS; do scen_params "$s"; [ "$N" -gt "$maxn" ] && maxn=$N; done
REAP_PID=
BT=
shaped_stop() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "${REAP_PID:-}" ] && signal_tree KILL "$REAP_PID"
	[ -n "${REAP_PID:-}" ] && wait "$REAP_PID" 2>/dev/null
	[ "${SHAPED_KEEP:-0}" = 1 ] && FANSCP_KEEP=1
	SCEN_FAILED=0
	(exit 0); fixture_stop
	if [ "${SHAPED_KEEP:-0}" != 1 ] && [ -n "$BT" ]; then rm -rf "$BT"; fi
	exit "$rc"
}
note "starting the lab: $maxn hosts under $TMPDIR"
rates=()
for ((i = 0; i < maxn; i++)); do rates+=(200); done
lab_up "$UPLINK" "${rates[@]}" || die "no lab here: $SCEN_SKIP"
BT=$T
trap shaped_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK

mkdir "$T/bin" "$T/cache" "$T/cache/none" && cp "$FANSCP" "$T/bin/fanscp" ||
    die "cannot copy $FANSCP"
FANSCP=$T/bin/fanscp
REAP=$T/reap
cc -O2 -o "$REAP" "$here/../reap.c" || die "cannot build bench/reap.c"
RAW=$T/raw.tsv
: >"$RAW"
: >"$T/cmds"
note "source: $MIB MiB"
mkrandom "$T/src.bin" "$SIZE"
SRCHASH=$(sha256 "$T/src.bin")

for ((r = 1; r <= R; r++)); do
	for s in $SCENARIOS; do
		if [ "$s" = V ]; then
			[ "$r" = 1 ] && run_shaping
			continue
		fi
		shape "$s"
		for t in $(scen_tools "$s"); do
			tool_enabled "$t" || continue
			run_one "$r" "$s" "$t"
		done
	done
done

report >"$T/report.md"
cp "$T/report.md" "$OUT" || die "cannot write $OUT"
cat "$T/report.md"
note "written to $OUT"
