#!/bin/sh
# Run the fanscp integration scenarios against real sshd processes.
#   sh tests/integration/run.sh [scenario...]     (all when none named)
# Environment: FANSCP (binary, default ./fanscp), FANSCP_VALGRIND=1 (run it
# under valgrind memcheck), FANSCP_KEEP=1 (keep every temp dir),
# FANSCP_TIMEOUT (seconds per fanscp run), FANSCP_VERBOSE=1 (show every
# fanscp run: command, exit status, output).  Prints "ok - NAME",
# "ok - NAME # SKIP why" (a scenario that cannot run here, e.g. one that
# needs root) or "not ok - NAME: why" per scenario, then the line
# "N passed, M failed, K skipped" (CI reads that exact form).
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 2		# scenarios run from the repo root
. "$here/lib.sh"
ALL_SCENARIOS=
for f in "$here"/t[0-9]_*.sh; do
	. "$f"
done

if [ $# -eq 0 ]; then
	set -- $ALL_SCENARIOS
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
for s in "$@"; do
	[ "$interrupted" = 0 ] || break
	s0=$(date +%s)
	(
		scenario_begin "$s"
		"scen_$s"
		scenario_end
	)
	rc=$?
	if ! grep -q " $s\$" "$FANSCP_RESULTS"; then
		if [ "$interrupted" = 1 ] || [ "$rc" -ge 128 ]; then
			echo "not ok - $s: interrupted"
		else
			echo "not ok - $s: aborted (exit status $rc)"
		fi
		echo "1 $s" >>"$FANSCP_RESULTS"
	fi
	echo "#   ($s: $(( $(date +%s) - s0 ))s)"
done
passed=$(grep -c '^0 ' "$FANSCP_RESULTS")
skipped=$(grep -c '^S ' "$FANSCP_RESULTS")
failed=$(grep -vc '^[0S] ' "$FANSCP_RESULTS")
rm -f "$FANSCP_RESULTS"
echo "# total time $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$interrupted" = 0 ]
