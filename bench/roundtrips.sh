#!/bin/sh
# bench/roundtrips.sh: what one small file to one host costs, per tool, in
# remote processes, SSH sessions and client↔server round trips (issue 10:
# "count the remote processes and round trips each host costs").  It runs
# seconds, not minutes; see bench/README.md.
#
#   sh bench/roundtrips.sh                 4 KiB, fanscp and its peers
#   RT_TOOLS="fanscp ssh" sh bench/roundtrips.sh
#
# For each tool it starts one fixture host (tests/integration/lib.sh),
# attaches `strace -f` to that host's listening sshd (every connection,
# privsep child, shell and command it forks and execs) and runs the tool
# under `strace -f -yy` (its socket I/O to the host's port).  It counts:
#
#   connections   "Accepted publickey" lines in the host's sshd log
#   sessions      "Starting session:" lines (one per exec'd channel)
#   processes     distinct pids under the listener (sshd's own included;
#                 subshells that exec nothing count too)
#   execs         execve() calls there, by program
#   round trips   client turnarounds on the TCP socket: a read that returns
#                 data after the client last wrote, i.e. the times the
#                 client sent something and then had an answer come back
#   bytes         client → server and server → client on that socket
#
# The fixture's ForceCommand wrapper (session.sh) adds one sh per session
# for every tool alike; sshd 9.x re-execs itself per connection
# (sshd -R) and forks a privsep child, also for every tool.
#
# Then it runs the tool RT_RUNS more times untraced, and gives the median
# wall time and the server CPU (the rise in utime+stime+cutime+cstime of
# the host's listening sshd, which collects every finished session
# process) of one run.
#
# Environment: RT_BYTES (default 4096), RT_TOOLS (default "fanscp
# fanscp-ssh ssh ssh-c25519 scp"), RT_RUNS (default 9), RT_KEEP=1 keeps the
# straces, FANSCP (./fanscp).
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 2
root=$(pwd)
BYTES=${RT_BYTES:-4096}
TOOLS=${RT_TOOLS:-fanscp fanscp-ssh ssh ssh-c25519 scp}
RUNS=${RT_RUNS:-9}

say() { printf '%s\n' "$*"; }
note() { printf 'roundtrips: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

sh tests/deps.sh strace openssh-client openssh-server >&2 || die "cannot install strace"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
[ -x "$FANSCP" ] || make >&2 || die "make failed"

. tests/integration/lib.sh
fixture_start 1
BT=$T
STRACE_PID=
rt_stop() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$STRACE_PID" ] && kill "$STRACE_PID" 2>/dev/null
	[ "${RT_KEEP:-0}" = 1 ] && { note "kept $T"; FANSCP_KEEP=1; }
	SCEN_FAILED=0
	(exit 0); fixture_stop
	[ "${RT_KEEP:-0}" = 1 ] || { [ -n "$BT" ] && rm -rf "$BT"; }
	exit "$rc"
}
trap rt_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK

PORT=$(host_port 1)
SRC=$T/src/small.bin
mkrandom "$SRC" "$BYTES"
SUM=$(sha256 "$SRC")
SSHO="-F $T/ssh_config -oBatchMode=yes"

HZ=$(getconf CLK_TCK)
server_ticks() {
	sed 's/.*) //' "/proc/$(host_pid 1)/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
wait_server() {
	local i
	for ((i = 0; i < 150; i++)); do
		pgrep -P "$(host_pid 1)" >/dev/null || return 0
		sleep 0.1
	done
}

tool_cmd() {
	case $1 in
	fanscp) CMD=("$FANSCP" -F "$T/ssh_config" -q "$SRC" lab001:rt.bin) ;;
	fanscp-ssh) CMD=("$FANSCP" -F "$T/ssh_config" -q --transport ssh "$SRC" lab001:rt.bin) ;;
	ssh) CMD=(sh -c 'exec ssh "$@" lab001 "cat > rt.bin" < "$0"' "$SRC" $SSHO) ;;
	ssh-c25519)	# the key exchange fanscp's libssh2 gets
		CMD=(sh -c 'exec ssh "$@" lab001 "cat > rt.bin" < "$0"' "$SRC" $SSHO
		    -oKexAlgorithms=curve25519-sha256) ;;
	scp) CMD=(scp -O -q $SSHO "$SRC" lab001:rt.bin) ;;
	*) die "unknown tool $1" ;;
	esac
}

# The counts of one tool, as a tab-separated line in $T/rows.
measure() {
	local t=$1 log l0 conns sess procs execs rtt up down ok wall srv
	tool_cmd "$t"
	log=$(host_log 1)
	rm -f "$(host_home 1)/rt.bin"
	wait_server
	l0=$(wc -l <"$log")
	strace -f -q -s 200 -o "$T/srv.$t" -e trace=execve -p "$(host_pid 1)" &
	STRACE_PID=$!
	# Attached when the listener shows a tracer.
	for ((i = 0; i < 50; i++)); do
		awk '/^TracerPid:/ { exit $2 == 0 }' "/proc/$(host_pid 1)/status" && break
		sleep 0.1
	done
	HOME=$T/local strace -f -qq -yy -s 0 -o "$T/cli.$t" \
	    -e trace=read,write,sendto,recvfrom,sendmsg,recvmsg,readv,writev \
	    "${CMD[@]}" >"$T/out.$t" 2>&1 </dev/null
	ok=$?
	wait_server
	sleep 0.2
	kill "$STRACE_PID" 2>/dev/null
	wait "$STRACE_PID" 2>/dev/null
	STRACE_PID=
	[ "$(sha256 "$(host_home 1)/rt.bin" 2>/dev/null)" = "$SUM" ] || ok="$ok, bad copy"
	conns=$(tail -n +$((l0 + 1)) "$log" | grep -c 'Accepted publickey')
	sess=$(tail -n +$((l0 + 1)) "$log" | grep -c 'Starting session:')
	procs=$(awk -v l="$(host_pid 1)" '$1 != l { p[$1] = 1 } END { print length(p) }' "$T/srv.$t")
	# execve("/bin/sh", ["sh", ...]) = 0: the program's base name.
	execs=$(grep -E 'execve\(.*= 0$' "$T/srv.$t" |
	    sed -E 's/^[0-9]+ +execve\("([^"]*)".*/\1/; s|.*/||' |
	    sort | uniq -c | sort -rn | awk '{ printf "%s%s×%s", (NR > 1 ? ", " : ""), $2, $1 }')
	nexec=$(grep -cE 'execve\(.*= 0$' "$T/srv.$t")
	# Client socket I/O to the host's port, in order: turnarounds.
	read -r rtt up down < <(grep -E ":$PORT\]>" "$T/cli.$t" |
	    awk '{
		op = $2; sub(/\(.*/, "", op)
		n = $NF; if (n !~ /^[0-9]+$/ || n == 0) next
		if (op ~ /^(write|sendto|sendmsg|writev)$/) { up += n; sent = 1 }
		else { down += n; if (sent) { rt++; sent = 0 } }
	    } END { printf "%d %d %d\n", rt, up, down }')
	rm -f "$(host_home 1)/rt.bin"
	# Untraced runs: wall and server CPU, medians.
	local k s0 s1 t0 t1
	: >"$T/runs.$t"
	for ((k = 0; k < RUNS; k++)); do
		wait_server
		s0=$(server_ticks)
		t0=$(date +%s%N)
		HOME=$T/local "${CMD[@]}" >/dev/null 2>&1 </dev/null
		t1=$(date +%s%N)
		wait_server
		s1=$(server_ticks)
		rm -f "$(host_home 1)/rt.bin"
		printf '%s %s\n' $(( (t1 - t0) / 1000000 )) \
		    "$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN { print (b - a) * 1000 / hz }')" >>"$T/runs.$t"
	done
	wall=$(cut -d' ' -f1 "$T/runs.$t" | median)
	srv=$(cut -d' ' -f2 "$T/runs.$t" | median)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$ok" "$conns" "$sess" \
	    "$procs" "$nexec" "$rtt" "$up" "$down" "$wall" "$srv" "$execs" >>"$T/rows"
	note "$t: exit $ok, $conns connection(s), $sess session(s), $procs processes, $nexec execs, $rtt round trips"
	rm -f "$(host_home 1)/rt.bin"
}

: >"$T/rows"
for t in $TOOLS; do measure "$t"; done

say "# Per-host cost of one small file ($BYTES bytes) to one host, $(date '+%Y-%m-%d %H:%M %Z')"
say ""
say "Produced by \`sh bench/roundtrips.sh\`. Remote side: \`strace -f -e trace=execve\` on the host's listening sshd; client side: \`strace -f -yy\`, socket I/O to the host's port. Every tool pays for sshd's own re-exec and privsep child per connection and for the fixture's session.sh wrapper (one \`sh\`) per session."
say ""
say "| tool | exit | connections | sessions (channels exec'd) | remote processes | remote execs | round trips | bytes up | bytes down | wall ms | server CPU ms | remote execs by program |"
say "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' "$T/rows"
say ""
say "wall ms and server CPU ms: medians of $RUNS untraced runs (CPU ticks are $((1000 / HZ)) ms, so read them over many runs)."
say ""
say "Commands: fanscp: \`fanscp -F \$T/ssh_config -q src lab001:rt.bin\`; fanscp-ssh: the same with \`--transport ssh\`; ssh: \`ssh -F … lab001 'cat > rt.bin' < src\` (OpenSSH's default key exchange, sntrup761x25519); ssh-c25519: the same with \`-oKexAlgorithms=curve25519-sha256\`, the key exchange fanscp's libssh2 negotiates; scp: \`scp -O -q -F … src lab001:rt.bin\`."
