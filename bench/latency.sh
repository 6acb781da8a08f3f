#!/bin/sh
# bench/latency.sh: one small file to one host behind a wide-area round
# trip, per tool: what each round trip a tool makes costs in wall time.
# Loopback has no latency and this kernel no sch_netem, so the host's
# port is reached through bench/delayproxy.py, which holds every byte
# LAT_MS in each direction.  See bench/README.md.
#
#   sh bench/latency.sh                        4 KiB, 25 ms each way
#   FANSCP_BASE=/path/to/old/fanscp sh bench/latency.sh   a change A/B
#
# Environment: LAT_MS (one-way delay, default 25), LAT_BYTES (default
# 4096), LAT_RUNS (default 7; tools interleaved, medians), LAT_TOOLS
# (default "fanscp fanscp-base ssh"; fanscp-base runs only with
# FANSCP_BASE), FANSCP (./fanscp).
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 2
root=$(pwd)
MS=${LAT_MS:-25}
BYTES=${LAT_BYTES:-4096}
RUNS=${LAT_RUNS:-7}
TOOLS=${LAT_TOOLS:-fanscp fanscp-base ssh}

say() { printf '%s\n' "$*"; }
note() { printf 'latency: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

sh tests/deps.sh python3 openssh-client openssh-server >&2 ||
    die "cannot install what it needs"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
[ -x "$FANSCP" ] || make >&2 || die "make failed"

. tests/integration/lib.sh
fixture_start 1
BT=$T
PROXY_PID=
lat_stop() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	SCEN_FAILED=0
	(exit 0); fixture_stop
	[ -n "$BT" ] && rm -rf "$BT"
	exit "$rc"
}
trap lat_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK

# "far": host 1 through the proxy, its host keys known under the proxy's
# port.
PPORT=$(free_port)
python3 "$here/delayproxy.py" "$PPORT" "$(host_port 1)" "$MS" >"$T/proxy.out" 2>&1 &
PROXY_PID=$!
for ((i = 0; i < 50; i++)); do
	grep -q ready "$T/proxy.out" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$T/proxy.out" || die "the delay proxy did not start"
cat >>"$T/ssh_config" <<EOF
Host far
	HostName 127.0.0.1
	Port $PPORT
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking yes
EOF
for k in ed25519 ecdsa; do
	set -- $(cat "$(host_dir 1)/ssh_host_${k}_key.pub")
	printf '[127.0.0.1]:%s %s %s\n' "$PPORT" "$1" "$2" >>"$T/known_hosts"
done

SRC=$T/src/small.bin
mkrandom "$SRC" "$BYTES"
SUM=$(sha256 "$SRC")
SSHO="-F $T/ssh_config -oBatchMode=yes"

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

tool_cmd() {
	case $1 in
	fanscp) CMD=("$FANSCP" -F "$T/ssh_config" -q "$SRC" far:lat.bin) ;;
	fanscp-base) CMD=("$FANSCP_BASE" -F "$T/ssh_config" -q "$SRC" far:lat.bin) ;;
	ssh) CMD=(sh -c 'exec ssh "$@" far "cat > lat.bin" < "$0"' "$SRC" $SSHO) ;;
	*) die "unknown tool $1" ;;
	esac
}

run_tools=()
for t in $TOOLS; do
	[ "$t" = fanscp-base ] && [ -z "${FANSCP_BASE:-}" ] && continue
	run_tools+=("$t")
done
for ((r = 1; r <= RUNS; r++)); do
	for t in "${run_tools[@]}"; do
		tool_cmd "$t"
		rm -f "$(host_home 1)/lat.bin"
		t0=$(date +%s%N)
		HOME=$T/local "${CMD[@]}" >"$T/out.$t" 2>&1 </dev/null
		ok=$?
		t1=$(date +%s%N)
		got=$(sha256 "$(host_home 1)/lat.bin" 2>/dev/null)
		[ "$ok" = 0 ] && [ "$got" = "$SUM" ] ||
		    die "$t: exit $ok, copy ${got:-missing}: $(tail -1 "$T/out.$t")"
		echo $(( (t1 - t0) / 1000000 )) >>"$T/wall.$t"
		note "round $r $t $(( (t1 - t0) / 1000000 )) ms"
	done
done

say "# One small file ($BYTES bytes) to one host $((2 * MS)) ms of round trip away, $(date -u '+%Y-%m-%d %H:%M') UTC"
say ""
say "Produced by \`sh bench/latency.sh\`: the host's sshd on loopback, reached through bench/delayproxy.py holding every byte $MS ms each way; $RUNS runs per tool, interleaved, every copy checked by SHA-256."
say ""
say "| tool | median wall ms | min | max | median in round trips |"
say "| --- | ---: | ---: | ---: | ---: |"
for t in "${run_tools[@]}"; do
	med=$(median <"$T/wall.$t")
	say "| $t | $med | $(sort -g "$T/wall.$t" | head -1) | $(sort -g "$T/wall.$t" | tail -1) | $(awk -v m="$med" -v d="$MS" 'BEGIN { printf "%.1f", m / (2 * d) }') |"
done
say ""
say "Commands: fanscp: \`fanscp -F \$T/ssh_config -q src far:lat.bin\`; fanscp-base: the same with FANSCP_BASE=${FANSCP_BASE:-(unset)}; ssh: \`ssh -F … far 'cat > lat.bin' < src\`."
