#!/bin/sh
# bench/run.sh: fanscp against the usual fan-out tools, on the same local
# sshd "hosts", in the same run, interleaved.  See bench/README.md.
#
#   sh bench/run.sh                  full run: 3 rounds, full sizes
#   BENCH_QUICK=1 sh bench/run.sh    1/8 of the sizes, 1 round (tests the harness)
#
# Environment:
#   BENCH_QUICK=1        sizes / 8, one round, no waiting for a quiet machine
#   BENCH_R=N            rounds (default 3, quick 1); medians are over the rounds
#   BENCH_DIV=N          divide the sizes by N (default 1, quick 8)
#   BENCH_SCENARIOS="A B C D S"   which scenarios (default all)
#   BENCH_TOOLS="fanscp pdcp …" only these tools (default all; ids below)
#   BENCH_WAIT_QUIET=S   wait up to S seconds for a quiet machine before
#                        starting (default 3600, quick 0); see quiet_wait
#   BENCH_PERF=0|1       profile fanscp in scenario A with perf (default 1
#                        when perf works, quick 0)
#   BENCH_TIMEOUT=S      seconds one run may take before it is killed (900)
#   BENCH_TMPDIR=DIR     where hosts and sources live (default /dev/shm when
#                        it is a tmpfs with room, else $TMPDIR or /tmp)
#   BENCH_OUT=FILE       results file (default bench/results-DATE[-quick].md)
#   BENCH_KEEP=1         keep the temp dir (sshd logs, raw data)
#   FANSCP=PATH          the binary (default ./fanscp, built with make if absent)
#   FANSCP_BASE=PATH     another build, run as tool fanscp-base in A-D with
#                        the same flags: a change against its base, in one run
#
# POSIX sh starts it; the tee idiom needs bash anyway, so it runs in bash.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 2
root=$(pwd)

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	DIV=8; R=${BENCH_R:-1}; WAITQ=${BENCH_WAIT_QUIET:-0}; PERF=${BENCH_PERF:-0}
else
	DIV=1; R=${BENCH_R:-3}; WAITQ=${BENCH_WAIT_QUIET:-3600}; PERF=${BENCH_PERF:-1}
fi
DIV=${BENCH_DIV:-$DIV}
SCENARIOS=${BENCH_SCENARIOS:-A B C D S}
ONLY_TOOLS=${BENCH_TOOLS:-}
RUN_TIMEOUT=${BENCH_TIMEOUT:-900}
DATE=$(date +%Y-%m-%d)
OUT=${BENCH_OUT:-$here/results-$DATE$([ "$QUICK" = 1 ] && echo -quick).md}
DEST=bench.bin			# relative: lands in each host's home
MiB=1048576

say() { printf '%s\n' "$*"; }
note() { printf 'bench: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

# ------------------------------------------------------------ scenarios

# scen_params S: N hosts, SIZE bytes, W width, TITLE.
scen_params() {
	case $1 in
	A) N=8;  SIZE=$((256 * MiB)); W=8 ;;
	B) N=64; SIZE=$((16 * MiB));  W=64 ;;
	C) N=64; SIZE=4096;           W=64 ;;
	D) N=1;  SIZE=$((1024 * MiB)); W=1 ;;
	S) N=8;  SIZE=$((2048 * MiB)); W=8 ;;
	*) die "unknown scenario '$1' (A B C D S)" ;;
	esac
	SIZE=$((SIZE / DIV))
	TITLE="$N host$([ "$N" -gt 1 ] && echo s) × $(human "$SIZE"), width $W ($(human $((N * SIZE))) delivered)"
}

# The tools of scenario S, fanscp (the reference of the ratios) first.
scen_tools() {
	case $1 in
	A) echo fanscp ${FANSCP_BASE:+fanscp-base} fanscp-sha1 fanscp-16 fanscp-ssh pdcp par-ssh clush par-scp tee pscp ;;
	B) echo fanscp ${FANSCP_BASE:+fanscp-base} fanscp-16 fanscp-ssh fanscp-w16 pdcp par-ssh clush par-scp tee pscp ;;
	C) echo fanscp ${FANSCP_BASE:+fanscp-base} fanscp-ssh fanscp-ms64 pdcp par-ssh clush par-scp tee pscp ;;
	D) echo fanscp ${FANSCP_BASE:+fanscp-base} fanscp-sha1 fanscp-16 ssh ssh-ctr scp ;;
	S) echo fanscp fanscp-stream tee-pipe ;;
	esac
}

human() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1073741824 && b % 1073741824 == 0) printf "%d GiB", b / 1073741824
		else if (b >= 1048576 && b % 1048576 == 0) printf "%d MiB", b / 1048576
		else if (b >= 1024 && b % 1024 == 0) printf "%d KiB", b / 1024
		else printf "%d B", b }'
}

# build_cmd TOOL S: CMD (array), STDIN, LABEL, TW (the tool's width) and
# SHOWN (the command line as it is shown in the results).
build_cmd() {
	local t=$1 s=$2 cfg=$T/ssh_config src=$T/src/$2.bin i
	local ssh_o="-F $cfg -oBatchMode=yes"
	scen_params "$s"
	local hosts=() nodeset
	for ((i = 1; i <= N; i++)); do hosts+=("$(host_name "$i")"); done
	if [ "$N" = 1 ]; then nodeset=${hosts[0]}
	else nodeset="lab[001-$(printf %03d "$N")]"; fi
	printf '%s\n' "${hosts[@]}" >"$T/hosts.$s"
	STDIN=/dev/null
	TW=$W
	case $t in
	fanscp | fanscp-w16 | fanscp-ms64 | fanscp-ssh | fanscp-sha1 | fanscp-16 | fanscp-base)
		LABEL="fanscp"
		[ "$t" = fanscp-w16 ] && TW=16
		CMD=("$FANSCP" -F "$cfg" --width "$TW")
		if [ "$t" = fanscp-base ]; then
			CMD=("$FANSCP_BASE" -F "$cfg" --width "$TW")
			LABEL="fanscp, base build (FANSCP_BASE)"
		fi
		if [ "$t" = fanscp-16 ]; then
			# libssh2's 16-byte AES-CTR calls straight to
			# libcrypto, not from src/ctr.c's keystream.
			CMD=(env FANSCP_CTR_BATCH=0 "${CMD[@]}")
			LABEL="fanscp, 16-byte cipher calls (FANSCP_CTR_BATCH=0)"
		fi
		if [ "$t" = fanscp-ssh ]; then
			# The ssh transport: an ssh child per step, one
			# ControlMaster per host, OpenSSH's own crypto.
			CMD+=(--transport ssh)
			LABEL="fanscp --transport ssh"
		fi
		if [ "$t" = fanscp-sha1 ]; then
			# hmac-sha1 first, where the server offers it
			# (bench/sendpath/README.md); the cipher stays.
			CMD+=(-o 'MACs=^hmac-sha1')
			LABEL="fanscp -o MACs=^hmac-sha1"
		fi
		if [ "$t" = fanscp-ms64 ]; then
			CMD+=(--max-startups 64)
			LABEL="fanscp --max-startups 64"
		fi
		CMD+=("$src" "$nodeset:$DEST")
		[ "$t" = fanscp-w16 ] && LABEL="fanscp (width 16)" ;;
	fanscp-stream)
		# The same bytes through a pipe: spooled in $TMPDIR.
		LABEL="cat src \\| fanscp -"
		CMD=(bash -c 'cat "$1" | exec "$2" -F "$3" --width "$4" - "$5"'
		    sh "$src" "$FANSCP" "$cfg" "$TW" "$nodeset:$DEST") ;;
	tee-pipe)
		LABEL="cat src \\| tee >(ssh …) idiom"
		TW=$N
		local line="cat $src | tee"
		for i in "${hosts[@]}"; do
			line="$line >(ssh $ssh_o $i 'cat > $DEST')"
		done
		line="$line > /dev/null"
		CMD=(bash -c "$line") ;;
	pdcp)
		LABEL="pdcp -R ssh"
		CMD=(env "PDSH_SSH_ARGS=$ssh_o -x -a -l%u %h" pdcp -R ssh -f "$W"
		    -w "$nodeset" "$src" "$DEST") ;;
	par-ssh)
		LABEL="parallel ssh host 'cat > f'"
		CMD=(parallel --will-cite -j "$W"
		    "ssh $ssh_o {} 'cat > $DEST' < $src" ::: "${hosts[@]}") ;;
	clush)
		LABEL="clush --copy"
		CMD=(clush -O "scp_options=-O $ssh_o" -o "$ssh_o" -f "$W"
		    -w "$nodeset" --copy "$src" --dest "$DEST") ;;
	par-scp)
		LABEL="parallel scp"
		CMD=(parallel --will-cite -j "$W" scp -O -q $ssh_o "$src"
		    "{}:$DEST" ::: "${hosts[@]}") ;;
	pscp)
		LABEL="pssh parallel-scp"
		CMD=(parallel-scp -p "$W" -t 0 -X -O -X -F -X "$cfg"
		    -X -oBatchMode=yes -h "$T/hosts.$s" "$src" "$DEST") ;;
	tee)
		LABEL="tee >(ssh …) idiom"
		TW=$N
		local line="tee"
		for i in "${hosts[@]}"; do
			line="$line >(ssh $ssh_o $i 'cat > $DEST')"
		done
		line="$line < $src > /dev/null"
		CMD=(bash -c "$line") ;;
	ssh)
		LABEL="ssh host 'cat > f' < file"
		CMD=(ssh $ssh_o "${hosts[0]}" "cat > $DEST")
		STDIN=$src ;;
	ssh-ctr)
		LABEL="ssh -c aes128-ctr -m hmac-sha2-256"
		CMD=(ssh -c aes128-ctr -m hmac-sha2-256 $ssh_o "${hosts[0]}"
		    "cat > $DEST")
		STDIN=$src ;;
	scp)
		LABEL="scp -O"
		CMD=(scp -O -q $ssh_o "$src" "${hosts[0]}:$DEST") ;;
	*) die "unknown tool $t" ;;
	esac
	SHOWN=$(shq "${CMD[@]}")
	[ "$STDIN" = /dev/null ] || SHOWN="$SHOWN < $(shq "$STDIN")"
	if [ "$t" = tee ] && [ "$N" -gt 3 ]; then
		SHOWN="bash -c \"tee >(ssh $ssh_o lab001 'cat > $DEST') >(ssh … lab002 …) … (one >(ssh …) per host, $N in all) < $src > /dev/null\""
	fi
	if [ "$t" = tee-pipe ] && [ "$N" -gt 3 ]; then
		SHOWN="bash -c \"cat $src | tee >(ssh $ssh_o lab001 'cat > $DEST') >(ssh … lab002 …) … (one >(ssh …) per host, $N in all) > /dev/null\""
	fi
	if [ "$N" -gt 8 ]; then		# ::: lab001 … lab064
		SHOWN=${SHOWN/ lab003 * ${hosts[N-1]}/ … ${hosts[N-1]}}
	fi
	# The temp dir's name varies from run to run; show it as $T.
	SHOWN=${SHOWN//$T/\$T}
}

tool_enabled() {
	[ -z "$ONLY_TOOLS" ] && return 0
	case " $ONLY_TOOLS " in *" $1 "*) return 0 ;; esac
	return 1
}

# ------------------------------------------------------------ the machine

# Is process $1 this script, one of its descendants or one of its ancestors?
is_ours() {
	local p=$1 q
	q=$$
	while [ -n "$q" ] && [ "$q" -gt 1 ]; do	# ancestors
		[ "$q" = "$p" ] && return 0
		q=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$q/stat" 2>/dev/null)
	done
	q=$p
	while [ -n "$q" ] && [ "$q" -gt 1 ]; do	# descendants
		[ "$q" = $$ ] && return 0
		q=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$q/stat" 2>/dev/null)
	done
	return 1
}

# Other work that skews the numbers: fuzzers, test suites (pids and names).
foreign_procs() {
	local p
	for p in $(pgrep -f 'fuzz_|test_remote|run\.sh'); do
		[ -d "/proc/$p" ] || continue
		is_ours "$p" && continue
		printf '%s(%s) ' "$p" "$( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-60)"
	done
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# Wait up to WAITQ seconds, polling every 60 s, until no foreign work runs
# and the 1-minute load average is below 0.5; QUIET says how it went.
quiet_wait() {
	local t0 f l
	t0=$(date +%s)
	while :; do
		f=$(foreign_procs)
		l=$(load1)
		if [ -z "$f" ] && awk -v l="$l" 'BEGIN { exit !(l < 0.5) }'; then
			QUIET="yes: no fuzz_/test_remote/run.sh process, 1-min load $l (after $(( $(date +%s) - t0 )) s of waiting)"
			return 0
		fi
		if [ $(( $(date +%s) - t0 + 60 )) -gt "$WAITQ" ]; then
			QUIET="NO: after $(( $(date +%s) - t0 )) s of waiting, 1-min load $l; other work: ${f:-none matched, but the load is high}"
			return 1
		fi
		note "waiting for a quiet machine: load $l; ${f:-no foreign process matched}"
		sleep 60
	done
}

machine_info() {
	say "- date: $(date '+%Y-%m-%d %H:%M %Z')"
	say "- cpus: $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	say "- kernel: $(uname -sr); memory $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	say "- OpenSSH: $(ssh -V 2>&1)"
	say "- libssh2: $(dpkg-query -W -f='${Version}' libssh2-1 2>/dev/null || pkg-config --modversion libssh2); OpenSSL: $(openssl version 2>/dev/null)"
	say "- fanscp: $("$FANSCP" --version 2>&1 | head -1) ($FANSCP_ORIG, copied to \$T/bin/fanscp at the start; SHA-256 $FANSCP_SUM…; built $(date -r "$FANSCP_ORIG" '+%Y-%m-%d %H:%M')), tree at git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src include Makefile 2>/dev/null || echo ' with uncommitted changes to src/ include/ Makefile')"
	[ -z "${FANSCP_BASE:-}" ] ||
	    say "- fanscp-base: $FANSCP_BASE_ORIG, copied to \$T/bin/fanscp-base; SHA-256 $(sha256 "$FANSCP_BASE" | cut -c1-16)…; built $(date -r "$FANSCP_BASE_ORIG" '+%Y-%m-%d %H:%M')"
	say "- peers: GNU parallel $(parallel --will-cite --version 2>/dev/null | awk 'NR==1 { print $3 }'), pssh $(dpkg-query -W -f='${Version}' pssh), pdsh $(dpkg-query -W -f='${Version}' pdsh), clustershell $(dpkg-query -W -f='${Version}' clustershell), bash $(dpkg-query -W -f='${Version}' bash)"
	say "- algorithms: OpenSSH client ↔ sshd: $SSH_ALGS; fanscp uses libssh2 1.10's defaults (no chacha20 or GCM in 1.10: aes128-ctr, hmac-sha2-256 expected)"
	say "- hosts: one OpenSSH sshd per simulated host on 127.0.0.1 (tests/integration/lib.sh), homes and sources on $BENCH_TMPDIR ($(df -PT "$BENCH_TMPDIR" | awk 'NR==2 { print $2 }'))"
	say "- quiet: $QUIET"
}

# -------------------------------------------------------------- measuring

# CPU ticks of the sshds of hosts 1..$1, their finished sessions included
# (utime stime cutime cstime of each listening sshd).
server_ticks() {
	local n
	for ((n = 1; n <= $1; n++)); do
		cat "/proc/$(host_pid "$n")/stat"
	done 2>/dev/null | sed 's/.*) //' | awk '{ s += $12 + $13 + $14 + $15 } END { print s + 0 }'
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

clean_homes() {
	local n
	for ((n = 1; n <= $1; n++)); do
		find "$(host_home "$n")" -mindepth 1 -delete 2>/dev/null
	done
}

# How many of hosts 1..$1 hold $DEST with the SHA-256 $2.
verified() {
	local n files=()
	for ((n = 1; n <= $1; n++)); do files+=("$(host_home "$n")/$DEST"); done
	sha256sum -- "${files[@]}" 2>/dev/null | awk -v h="$2" '$1 == h { n++ } END { print n + 0 }'
}

# run_one ROUND S TOOL: one measured run; appends a line to $RAW.
run_one() {
	local r=$1 s=$2 t=$3 m=$T/m.out log=$T/tool.log s0 s1 ok status why
	local wall user sys maxrss sumrss nproc rc srv
	build_cmd "$t" "$s"
	clean_homes "$N"
	wait_servers "$N"
	s0=$(server_ticks "$N")
	rm -f "$m"
	HOME=$T/local "$REAP" "$m" "$RUN_TIMEOUT" "${CMD[@]}" <"$STDIN" >"$log" 2>&1 &
	REAP_PID=$!
	wait "$REAP_PID"
	REAP_PID=
	if [ -s "$m" ]; then
		read -r wall user sys maxrss sumrss nproc rc <"$m"
	else
		wall=0 user=0 sys=0 maxrss=0 sumrss=0 nproc=0 rc=255
	fi
	ok=$(verified "$N" "${SRCHASH[$s]}")
	wait_servers "$N" || note "sessions still running on the hosts after $t"
	s1=$(server_ticks "$N")
	srv=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
	status=OK why=
	[ "$rc" = 0 ] || { status=FAILED; why="exit status $rc"; }
	[ "$ok" = "$N" ] || { status=FAILED; why="${why:+$why, }$ok of $N copies verified"; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
	    "$r" "$s" "$t" "$wall" "$user" "$sys" "$maxrss" "$sumrss" "$nproc" \
	    "$rc" "$ok" "$srv" "$status" "$(load1)" >>"$RAW"
	printf '%s\t%s\n' "$s $t" "$SHOWN" >>"$T/cmds"
	if [ "$status" = FAILED ]; then
		{
			printf -- '- round %s, scenario %s, %s: %s\n' "$r" "$s" "$LABEL" "$why"
			head -c 2000 "$log" | head -15 | sed 's/^/    /'
		} >>"$T/failures"
	fi
	note "$(printf 'round %s %s %-12s %7.2f s wall %6.2f s cpu %6.2f s server %s %s' \
	    "$r" "$s" "$t" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
	    "$srv" "$status" "$why")"
	clean_homes "$N"
}

# ---------------------------------------------------------------- report

# The median of the numbers on stdin ("-" when none).
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# col S TOOL FIELD: the OK runs' values of a raw field (awk expression).
col() {
	awk -F'\t' -v s="$1" -v t="$2" '$2 == s && $3 == t && $13 == "OK" { print '"$3"' }' "$RAW"
}

report_scenario() {
	local s=$1 t ref wall cpu srv rss sum np runs nok nfail gib
	scen_params "$s"
	gib=$(awk -v b=$((N * SIZE)) 'BEGIN { print b / 1073741824 }')
	say ""
	say "### Scenario $s: $TITLE"
	say ""
	if [ "$s" = C ]; then
		say "| tool | width | runs OK | wall s | × fanscp | client CPU s | client CPU ms/host | client CPU s/GiB | server CPU s | peak RSS, biggest process | peak Σ RSS (processes) |"
		say "| --- | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	else
		say "| tool | width | runs OK | wall s | × fanscp | client CPU s | client CPU s/GiB | server CPU s | peak RSS, biggest process | peak Σ RSS (processes) |"
		say "| --- | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	fi
	ref=$(col "$s" fanscp '$4' | median)
	for t in $(scen_tools "$s"); do
		tool_enabled "$t" || continue
		build_cmd "$t" "$s"
		runs=$(awk -F'\t' -v s="$s" -v t="$t" '$2 == s && $3 == t' "$RAW" | wc -l)
		[ "$runs" -gt 0 ] || continue
		nok=$(col "$s" "$t" 1 | wc -l)
		nfail=$((runs - nok))
		wall=$(col "$s" "$t" '$4' | median)
		cpu=$(col "$s" "$t" '$5 + $6' | median)
		srv=$(col "$s" "$t" '$12' | median)
		rss=$(col "$s" "$t" '$7' | median)
		sum=$(col "$s" "$t" '$8' | median)
		np=$(col "$s" "$t" '$9' | median)
		local runs_s="$nok/$runs"
		[ "$nfail" -gt 0 ] && runs_s="$runs_s (**$nfail FAILED**)"
		if [ "$nok" = 0 ]; then
			say "| $LABEL | $TW | $runs_s | **FAILED** | | | | | | |$([ "$s" = C ] && echo ' |')"
			continue
		fi
		awk -v label="$LABEL" -v tw="$TW" -v runs="$runs_s" -v wall="$wall" \
		    -v ref="$ref" -v cpu="$cpu" -v gib="$gib" -v srv="$srv" \
		    -v rss="$rss" -v sum="$sum" -v np="$np" -v n="$N" -v c="$([ "$s" = C ] && echo 1)" 'BEGIN {
			ratio = (ref == "-" || ref == 0) ? "-" : sprintf("%.2f", wall / ref)
			printf "| %s | %s | %s | %.2f | %s | %.2f |", label, tw, runs, wall, ratio, cpu
			if (c) printf " %.1f |", cpu * 1000 / n
			printf " %.2f | %.1f | %.1f MiB | %.1f MiB (%d) |\n", cpu / gib, srv, rss / 1024, sum / 1024, np
		}'
	done
	say ""
	say "Commands (\$T is the fixture's temp dir; hosts lab001… are in \$T/ssh_config):"
	say ""
	for t in $(scen_tools "$s"); do
		tool_enabled "$t" || continue
		build_cmd "$t" "$s"
		awk -F'\t' -v k="$s $t" '$1 == k { f = 1 } END { exit !f }' "$T/cmds" 2>/dev/null || continue
		say "- $LABEL: \`$SHOWN\`"
	done
}

report() {
	local s
	say "# fanscp benchmark, $DATE$([ "$QUICK" = 1 ] && echo ' (QUICK MODE: 1/8 sizes, not for quoting)')"
	say ""
	say "Produced by \`$( [ "$QUICK" = 1 ] && echo 'BENCH_QUICK=1 ')sh bench/run.sh\` ($R round$([ "$R" -gt 1 ] && echo s), tools interleaved within each round, medians over the runs that verified). Read bench/README.md first: loopback, so sender and receivers share the CPUs."
	say ""
	say "## Machine"
	say ""
	machine_info
	say "- during the runs: 1-min load average $(awk -F'\t' '{ print $14 }' "$RAW" | sort -g | awk '{ v[NR] = $1 } END { printf "%s to %s", v[1], v[NR] }') (sampled after each run; our own sshds and tools included)"
	[ -s "$T/interference" ] && say "- other work seen during the rounds: $(sort -u "$T/interference" | tr '\n' ';')"
	say ""
	say "## Results"
	say ""
	say "wall s: median wall-clock seconds, until the last process of the tool's tree exited. × fanscp: wall ÷ fanscp's wall (fanscp at the scenario's width). client CPU s: user+sys of the tool's whole process tree (every descendant, reaped by a subreaper). server CPU s: what the receiving sshds and their sessions burned. peak RSS, biggest process: max RSS of the largest single process of the tree (for the multi-process tools, one ssh/scp or the driver); peak Σ RSS: the highest sum of RSS over the tree's live processes, sampled every 100 ms, with the most processes seen at one sample in parentheses."
	for s in $SCENARIOS; do report_scenario "$s"; done
	if [ -s "$T/failures" ]; then
		say ""
		say "## Failed runs"
		say ""
		cat "$T/failures"
	fi
	if [ -s "$T/perf.md" ]; then
		say ""
		cat "$T/perf.md"
	fi
	say ""
	say "## Every run"
	say ""
	say "| round | scen. | tool | wall s | user s | sys s | max RSS kB | Σ RSS kB | procs | exit | verified | server CPU s | status | load1 |"
	say "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
	awk -F'\t' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n" }' "$RAW"
}

# ----------------------------------------------------------------- perf

# Profile one fanscp run of scenario A, system-wide: which processes burn
# the CPU, and where fanscp spends its own.  libcrypto has no symbols for
# its assembler routines, so a hot address is named by the instructions
# around it (aesenc: AES-NI; sha256rnds2: SHA-256 with SHA-NI; …).
addr_hint() {	# LIBRARY ADDRESS
	local a=$(( $2 )) d h
	d=$(objdump -d --start-address=$((a - 64)) --stop-address=$((a + 64)) "$1" 2>/dev/null)
	h=$(printf '%s\n' "$d" |
	    grep -o -m1 -E '\b(aesenc|aesenclast|aesdec|sha256rnds2|sha256msg[12]|sha1rnds4|pclmulqdq|vpclmulqdq)\b' | head -1)
	case $h in
	aesenc*)
		# OpenSSL's aesni_ctr32_encrypt_blocks starts "cmp $0x1,%rdx;
		# jne": its one-block path, taken when called 16 bytes at a time.
		if printf '%s\n' "$d" | grep -q 'cmp    \$0x1,%rdx'; then
			echo "AES-NI block code (one-block path)"
		else
			echo "AES-NI block code"
		fi ;;
	aesdec*) echo "AES-NI decryption" ;;
	sha256*) echo "SHA-256 (SHA-NI)" ;;
	sha1*) echo "SHA-1 (SHA-NI)" ;;
	*pclmul*) echo "GHASH (PCLMUL)" ;;
	*) echo "?" ;;
	esac
}

profile_fanscp() {
	command -v perf >/dev/null 2>&1 || return 0
	perf record -o "$T/perf.probe" -F 99 -- true >/dev/null 2>&1 || {
		note "perf does not work here; no profile"; return 0; }
	local crypto ssh2 line pct dso sym hint
	crypto=$(ldd "$FANSCP" | awk '/libcrypto/ { print $3 }')
	build_cmd fanscp A
	clean_homes "$N"
	note "profiling: perf record -a -g during one fanscp run of scenario A"
	HOME=$T/local perf record -a -g -F 499 -o "$T/perf.data" -- \
	    "${CMD[@]}" >"$T/perf.log" 2>&1 &
	REAP_PID=$!
	wait "$REAP_PID"
	REAP_PID=
	wait_servers "$N"
	clean_homes "$N"
	# "pct dso sym hint" for fanscp's samples, percentages of fanscp's own.
	perf report -i "$T/perf.data" --no-children --comm fanscp \
	    --percentage relative --sort dso,sym --stdio -g none 2>/dev/null |
	    awk '/^ *[0-9.]+%/ { sub(/%/, "", $1); s = $4; for (i = 5; i <= NF; i++) s = s " " $i; print $1 "\t" $2 "\t" s }' \
	    >"$T/perf.syms"
	: >"$T/perf.named"
	while IFS='	' read -r pct dso sym; do
		hint=
		case $dso:$sym in
		libcrypto*:0x*) hint=$(addr_hint "$crypto" "$sym") ;;
		esac
		printf '%s\t%s\t%s\t%s\n' "$pct" "$dso" "$sym" "$hint" >>"$T/perf.named"
	done < <(head -60 "$T/perf.syms")
	tail -n +61 "$T/perf.syms" | awk -F'\t' '{ print $0 "\t" }' >>"$T/perf.named"
	{
		say "## Profile: fanscp in scenario A"
		say ""
		say "\`perf record -a -g -F 499 -- $(shq "${CMD[@]}" | sed "s|$T|\$T|g")\`: the whole machine while fanscp ran (cpu-clock samples), in a run of its own after the measured rounds."
		say ""
		say "CPU by command, share of all samples on both cores (sshd, sh and cat are the receiving side; anything else is other work on the machine):"
		say ""
		say '```'
		perf report -i "$T/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
		    grep -v '^#' | grep -v '^$' | head -12
		say '```'
		say ""
		say "fanscp's own samples by where they fall (libcrypto's unnamed addresses named by their instructions; see addr_hint in run.sh):"
		say ""
		say '| share of fanscp | where |'
		say '| ---: | --- |'
		awk -F'\t' '{
			w = $2
			if ($2 ~ /^libcrypto/) {
				if ($4 ~ /^AES-NI block code/ || $3 ~ /ctr128|EVP_Cipher|EVP_EncryptUpdate|aes/) w = "libcrypto: AES-128-CTR (aesni block code, CRYPTO_ctr128_encrypt_ctr32, EVP_Cipher)"
				else if ($4 ~ /SHA-256/ || $3 ~ /SHA256|HMAC|EVP_Digest|EVP_MAC/) w = "libcrypto: HMAC-SHA-256 (SHA-NI block code, HMAC/EVP glue)"
				else w = "libcrypto: other"
			} else if ($2 ~ /kernel/) w = "kernel (pread from the page cache, socket send/recv, scheduling)"
			s[w] += $1
		} END { for (w in s) printf "%.1f%%\t%s\n", s[w], w }' "$T/perf.named" |
		    sort -t'	' -k1,1 -g -r | awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }'
		say ""
		say "Top symbols inside fanscp:"
		say ""
		say '```'
		head -25 "$T/perf.named" | awk -F'\t' '{ printf "%6.2f%%  %-18s %-40s %s\n", $1, $2, $3, $4 }'
		say '```'
	} >"$T/perf.md"
}

# ----------------------------------------------------------------- main

sh tests/deps.sh parallel pssh pdsh clustershell time gcc openssh-client \
    openssh-server >&2 || die "cannot install the peers (see above)"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
if [ ! -x "$FANSCP" ]; then
	note "no $FANSCP; running make"
	make >&2 || die "make failed"
fi
export FANSCP

if [ -z "${BENCH_TMPDIR:-}" ]; then
	BENCH_TMPDIR=${TMPDIR:-/tmp}
	need=$(( (3 * 1024 * MiB + 1300 * MiB) / DIV / 1024 + 1048576 ))	# kB
	# S: its source, the spool and eight copies at once.
	case " $SCENARIOS " in *" S "*) need=$((need + 10 * 2048 * MiB / DIV / 1024)) ;; esac
	if [ "$(df -PT /dev/shm 2>/dev/null | awk 'NR==2 { print $2 }')" = tmpfs ] &&
	    [ "$(df -Pk /dev/shm | awk 'NR==2 { print $4 }')" -gt "$need" ]; then
		BENCH_TMPDIR=/dev/shm
	fi
fi
export TMPDIR=$BENCH_TMPDIR

. tests/integration/lib.sh

for s in $SCENARIOS; do scen_params "$s"; done	# validates the names

QUIET="not checked"
if [ "$WAITQ" -gt 0 ]; then
	quiet_wait || note "the machine did not get quiet; running anyway"
else
	f=$(foreign_procs)
	QUIET="not waited for (BENCH_WAIT_QUIET=0); at the start: 1-min load $(load1), other work: ${f:-none}"
fi
note "quiet: $QUIET"

maxn=1
for s in $SCENARIOS; do scen_params "$s"; [ "$N" -gt "$maxn" ] && maxn=$N; done
note "starting $maxn sshd hosts under $TMPDIR"
REAP_PID=
fixture_start "$maxn"
BT=$T
bench_stop() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "${REAP_PID:-}" ] && signal_tree KILL "$REAP_PID"
	[ -n "${REAP_PID:-}" ] && wait "$REAP_PID" 2>/dev/null
	[ "${BENCH_KEEP:-0}" = 1 ] && FANSCP_KEEP=1
	SCEN_FAILED=0
	(exit 0); fixture_stop
	if [ "${BENCH_KEEP:-0}" != 1 ] && [ -n "$BT" ]; then rm -rf "$BT"; fi
	exit "$rc"
}
trap bench_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK

# A copy of the binary: ./fanscp may be rebuilt while the rounds run.
mkdir "$T/bin" && cp "$FANSCP" "$T/bin/fanscp" || die "cannot copy $FANSCP"
FANSCP_ORIG=$FANSCP
FANSCP=$T/bin/fanscp
FANSCP_SUM=$(sha256 "$FANSCP" | cut -c1-16)
if [ -n "${FANSCP_BASE:-}" ]; then
	cp "$FANSCP_BASE" "$T/bin/fanscp-base" ||
	    die "cannot copy FANSCP_BASE=$FANSCP_BASE"
	FANSCP_BASE_ORIG=$FANSCP_BASE
	FANSCP_BASE=$T/bin/fanscp-base
fi
REAP=$T/reap
cc -O2 -o "$REAP" "$here/reap.c" || die "cannot build bench/reap.c"
HZ=$(getconf CLK_TCK)
RAW=$T/raw.tsv
: >"$RAW"
SSH_ALGS=$(ssh -v -F "$T/ssh_config" -oBatchMode=yes lab001 true 2>&1 |
    awk '/kex: algorithm:/ { k = $NF } /kex: client->server cipher:/ { c = $5; m = $7 }
	 END { printf "kex %s, cipher %s, MAC %s", k, c, m }')

declare -A SRCHASH
for s in $SCENARIOS; do
	scen_params "$s"
	note "source for $s: $(human "$SIZE")"
	mkrandom "$T/src/$s.bin" "$SIZE"
	SRCHASH[$s]=$(sha256 "$T/src/$s.bin")
done

: >"$T/interference"
for ((r = 1; r <= R; r++)); do
	for s in $SCENARIOS; do
		f=$(foreign_procs)
		[ -n "$f" ] && printf 'round %s, before %s: %s\n' "$r" "$s" "$f" >>"$T/interference"
		tools=($(scen_tools "$s"))
		n=${#tools[@]}
		for ((k = 0; k < n; k++)); do	# rotate the order each round
			t=${tools[$(( (k + r - 1) % n ))]}
			tool_enabled "$t" || continue
			run_one "$r" "$s" "$t"
		done
	done
done

if [ "$PERF" = 1 ] && [[ " $SCENARIOS " == *" A "* ]]; then
	profile_fanscp
fi

report >"$T/report.md"
cp "$T/report.md" "$OUT" || die "cannot write $OUT"
cat "$T/report.md"
note "written to $OUT"
