#!/bin/sh
# Run the fanscp integration scenarios against real sshd processes.
#   sh tests/integration/run.sh [scenario...]     (all when none named)
# Environment: FANSCP (binary, default ./fanscp), FANSCP_VALGRIND=1 (run it
# under valgrind memcheck), FANSCP_KEEP=1 (keep every temp dir),
# FANSCP_TIMEOUT (seconds per fanscp run), FANSCP_VERBOSE=1 (show every
# fanscp run: command, exit status, output), FANSCP_JOBS (scenarios run at
# once, default 1; each one's output is printed whole, in order, once it
# and those before it have finished).  Prints "ok - NAME",
# "ok - NAME # SKIP why" (a scenario that cannot run here, e.g. one that
# needs root) or "not ok - NAME: why" per scenario, then the line
# "N passed, M failed, K skipped" (CI reads that exact form).
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 2		# scenarios run from the repo root
. "$here/lib.sh"
ALL_SCENARIOS=
SLOW_SCENARIOS="stream_big goahead srcinplace fanout50k tree_copy execcut latecommit"
. "$here/netns.sh"		# the shaped-link lab (t10_lab.sh)
for f in "$here"/t[0-9]_*.sh "$here"/t[0-9][0-9]_*.sh; do
	[ -f "$f" ] && . "$f"
done

if [ $# -eq 0 ]; then
	# The slowest first, so that with FANSCP_JOBS > 1 no long one runs
	# alone at the end.
	rest=
	for s in $ALL_SCENARIOS; do
		case " $SLOW_SCENARIOS " in *" $s "*) ;; *) rest="$rest $s" ;; esac
	done
	set -- $SLOW_SCENARIOS $rest
fi
for s in "$@"; do
	case " $ALL_SCENARIOS " in
	*" $s "*) ;;
	*) echo "run.sh: unknown scenario '$s'; known: $ALL_SCENARIOS" >&2
	   exit 2 ;;
	esac
done
case $FANSCP in /*) ;; *) FANSCP=$(pwd)/${FANSCP#./} ;; esac
export FANSCP

FANSCP_RESULTS=$(mktemp "${TMPDIR:-/tmp}/fanscp-results.XXXXXX") || exit 2
export FANSCP_RESULTS
interrupted=0
trap 'interrupted=1' INT TERM
start=$(date +%s)

# run_one NAME: one scenario in a subshell, its result line always written.
run_one() {
	s0=$(date +%s)
	(
		scenario_begin "$1"
		"scen_$1"
		scenario_end
	)
	rc=$?
	if ! grep -q " $1\$" "$FANSCP_RESULTS"; then
		if [ "$interrupted" = 1 ] || [ "$rc" -ge 128 ]; then
			echo "not ok - $1: interrupted"
		else
			echo "not ok - $1: aborted (exit status $rc)"
		fi
		echo "1 $1" >>"$FANSCP_RESULTS"
	fi
	echo "#   ($1: $(( $(date +%s) - s0 ))s)"
}

jobs=${FANSCP_JOBS:-1}
if [ "$jobs" -le 1 ]; then
	for s in "$@"; do
		[ "$interrupted" = 0 ] || break
		run_one "$s"
	done
else
	# Workers take the next scenario from a shared counter (a mkdir lock
	# around it); each scenario's output goes to its own file.
	Q=$(mktemp -d "${TMPDIR:-/tmp}/fanscp-queue.XXXXXX") || exit 2
	echo 0 >"$Q/next"
	i=0
	for s in "$@"; do
		i=$((i + 1))
		echo "$s" >"$Q/name.$i"
	done
	total=$i
	take() {
		until mkdir "$Q/lock" 2>/dev/null; do sleep 0.05; done
		_k=$(($(cat "$Q/next") + 1))
		echo "$_k" >"$Q/next"
		rmdir "$Q/lock"
		[ "$_k" -le "$total" ] && echo "$_k"
	}
	w=0
	while [ $w -lt "$jobs" ]; do
		(
			while [ "$interrupted" = 0 ] && k=$(take); do
				run_one "$(cat "$Q/name.$k")" >"$Q/out.$k" 2>&1
				touch "$Q/done.$k"
			done
		) &
		w=$((w + 1))
	done
	i=1
	while [ $i -le "$total" ]; do
		if [ -e "$Q/done.$i" ]; then
			cat "$Q/out.$i"
			i=$((i + 1))
		elif [ "$interrupted" = 1 ]; then
			break
		else
			sleep 0.2
		fi
	done
	wait
	rm -rf "$Q"
fi
passed=$(grep -c '^0 ' "$FANSCP_RESULTS")
skipped=$(grep -c '^S ' "$FANSCP_RESULTS")
failed=$(grep -vc '^[0S] ' "$FANSCP_RESULTS")
rm -f "$FANSCP_RESULTS"
echo "# total time $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$interrupted" = 0 ]
