#!/bin/sh
# bench/ssh_mux.sh: what one host's steps cost through OpenSSH's ssh, three
# ways (issue 8, "the steps of one host use one SSH connection"):
#   per-step  a new ssh (a new connection, key exchange, login) per step
#   master    a private ControlMaster per host (ControlPersist=no) that
#             runs the first step; the other steps are mux clients
#   one       all steps in one ssh invocation (framing on stdin/stdout)
# A "host" here runs STEPS short steps (default 3: receive, commit, and
# one more), as fanscp's file payload does.  It prints, per mode, the
# wall time and the client CPU (ssh processes, user+sys) per host, over
# ROUNDS hosts run one after the other against one real sshd of the
# integration fixture.  Usage: [KEX=alg] sh bench/ssh_mux.sh [ROUNDS] [STEPS]
set -u
FORCED="-T -x -a -o BatchMode=yes -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o LogLevel=ERROR"
# KEX=curve25519-sha256: OpenSSH 9.x prefers sntrup761x25519, whose key
# generation dominates a connection's client CPU (about 10x here).
[ -n "${KEX:-}" ] && FORCED="$FORCED -o KexAlgorithms=$KEX"

# One host in each mode.
per_step() {
	i=0
	while [ $i -lt "$STEPS" ]; do
		ssh -F "$CFG" $FORCED -o ControlPath=none lab001 true || exit 1
		i=$((i + 1))
	done
}
master() {
	s=$T/cm.$$
	# The master's own session is the first step: it lasts until its
	# stdin ends, as a receive step does.  Its "ready" line (as the
	# receive step's) comes once it is logged in, its socket listening.
	rm -f "$T/in.$$" "$T/out.$$"
	mkfifo "$T/in.$$" "$T/out.$$"
	ssh -F "$CFG" $FORCED -o ControlMaster=yes -o ControlPath="$s" \
	    -o ControlPersist=no lab001 'echo ready; cat >/dev/null' \
	    <"$T/in.$$" >"$T/out.$$" &
	exec 3>"$T/in.$$" 4<"$T/out.$$"
	read -r line <&4
	[ "$line" = ready ] || exit 1
	i=1
	while [ $i -lt "$STEPS" ]; do
		ssh -F "$CFG" $FORCED -o ControlMaster=no -o ControlPath="$s" \
		    lab001 true || exit 1
		i=$((i + 1))
	done
	exec 3>&- 4<&-
	wait
	rm -f "$T/in.$$" "$T/out.$$"
}
one() {
	i=0 script=
	while [ $i -lt "$STEPS" ]; do script="$script true;"; i=$((i + 1)); done
	ssh -F "$CFG" $FORCED -o ControlPath=none lab001 "$script" || exit 1
}

# The timed part, in its own process so that "time" counts every ssh.
if [ "${1:-}" = --run ]; then
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		"$2" || exit 1
		r=$((r + 1))
	done
	exit 0
fi

ROUNDS=${1:-20}
STEPS=${2:-3}
export ROUNDS STEPS
cd "$(dirname "$0")/.." || exit 2
. tests/integration/lib.sh
fixture_start 1
trap 'fixture_stop' EXIT
trap 'exit 130' INT
unset SSH_AUTH_SOCK
CFG=$T/ssh_config
export T CFG
say "$(ssh -V 2>&1); sshd on 127.0.0.1; kex ${KEX:-ssh's default}; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
for mode in per_step master one; do
	out=$(/usr/bin/time -f '%e %U %S' sh bench/ssh_mux.sh --run $mode \
	    2>&1 >/dev/null | tail -1)
	set -- $out
	awk -v m="$mode" -v e="$1" -v u="$2" -v s="$3" -v n="$ROUNDS" \
	    -v k="$STEPS" 'BEGIN { printf "%-9s %d steps/host: %6.1f ms wall, %5.1f ms client CPU per host\n", m, k, 1000 * e / n, 1000 * (u + s) / n }'
done
