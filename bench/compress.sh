#!/bin/sh
# bench/compress.sh: --compress against a shaped uplink (issue 11).
# One compressible payload (a tar of the repo's sources, /usr/share/doc and
# /usr/lib, cut to COMPRESS_MIB) to 8 hosts of the shaped-link lab
# (tests/integration/netns.sh) behind a 100 Mbit/s uplink, hosts at
# 1000 Mbit/s, in the same run:
#   fanscp                          plain
#   fanscp --compress gzip          once at the source, gzip -dc on hosts
#   fanscp --compress zstd          once at the source, zstd -dc on hosts
#   fanscp -o Compression=yes       libssh2's zlib in every session
# Each run's wall time, client CPU (user+sys of fanscp's process tree) and
# peak RSS (bench/reap.c), and every copy's SHA-256 checked on the host.
# Root only (network namespaces).  Do not run it on a busy machine.
#
#   sh bench/compress.sh                              64 MiB, 3 rounds
#   COMPRESS_MIB=4 COMPRESS_R=1 sh bench/compress.sh  a harness check
#
# Environment:
#   COMPRESS_MIB=N      payload in MiB (default 64)
#   COMPRESS_R=N        rounds (default 3); medians over the rounds
#   COMPRESS_HOSTS=N    hosts (default 8)
#   COMPRESS_UPLINK=M   the source's uplink in Mbit/s (default 100)
#   COMPRESS_RATE=M     each host's link in Mbit/s (default 1000)
#   COMPRESS_OUT=FILE   results (default bench/results-DATE-compress.md)
#   COMPRESS_TIMEOUT=S  seconds one run may take (default 600)
#   FANSCP=PATH         the binary (default ./fanscp)
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.." || exit 2
root=$(pwd)

MIB=${COMPRESS_MIB:-64}
R=${COMPRESS_R:-3}
N=${COMPRESS_HOSTS:-8}
UPLINK=${COMPRESS_UPLINK:-100}
RATE=${COMPRESS_RATE:-1000}
RUN_TIMEOUT=${COMPRESS_TIMEOUT:-600}
DATE=$(date +%Y-%m-%d)
OUT=${COMPRESS_OUT:-$here/results-$DATE-compress.md}
SIZE=$((MIB * 1048576))
DEST=bench.tar
TOOLS="plain gzip zstd sshzlib"

note() { printf 'compress: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tc)"
sh tests/deps.sh gcc openssh-client openssh-server iproute2 zstd gzip \
    >&2 || die "cannot install what it needs (see above)"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
[ -x "$FANSCP" ] || { note "no $FANSCP; running make"; make >&2 || die "make failed"; }
"$FANSCP" --help 2>&1 | grep -q -- '--compress' ||
    die "$FANSCP has no --compress"
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

. tests/integration/lib.sh
. tests/integration/netns.sh

REAP_PID=
BT=
compress_stop() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "${REAP_PID:-}" ] && signal_tree KILL "$REAP_PID"
	[ -n "${REAP_PID:-}" ] && wait "$REAP_PID" 2>/dev/null
	SCEN_FAILED=0
	(exit 0); fixture_stop
	[ -n "$BT" ] && rm -rf "$BT"
	exit "$rc"
}
rates=()
for ((i = 0; i < N; i++)); do rates+=("$RATE"); done
note "starting the lab: $N hosts at $RATE Mbit/s, uplink $UPLINK Mbit/s"
lab_up "$UPLINK" "${rates[@]}" || die "no lab here: $SCEN_SKIP"
BT=$T
trap compress_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK

mkdir -p "$T/bin" && cp "$FANSCP" "$T/bin/fanscp" || die "cannot copy $FANSCP"
FANSCP=$T/bin/fanscp
REAP=$T/reap
cc -O2 -o "$REAP" "$here/reap.c" || die "cannot build bench/reap.c"

# The payload: real, compressible files, repeated if they are too few.
note "payload: $MIB MiB of tar"
while :; do
	tar -cf - --ignore-failed-read "$root/src" "$root/include" \
	    "$root/man" /usr/share/doc /usr/lib 2>/dev/null || break
done | head -c "$SIZE" >"$T/src.tar"
[ "$(stat -c %s "$T/src.tar")" = "$SIZE" ] || die "cannot make the payload"
SRCHASH=$(sha256 "$T/src.tar")
GZ=$(gzip -6 -c "$T/src.tar" | wc -c)
ZS=$(zstd -3 -q -c "$T/src.tar" | wc -c)

hosts=
for ((i = 1; i <= N; i++)); do hosts="$hosts $(host_name "$i"):$DEST"; done

cmd_of() {
	local base="$FANSCP -F $T/ssh_config --width $N"
	case $1 in
	plain) echo "$base $T/src.tar$hosts" ;;
	gzip) echo "$base --compress gzip $T/src.tar$hosts" ;;
	zstd) echo "$base --compress zstd $T/src.tar$hosts" ;;
	sshzlib) echo "$base -o Compression=yes $T/src.tar$hosts" ;;
	esac
}

label_of() {
	case $1 in
	plain) echo "fanscp" ;;
	gzip) echo "fanscp --compress gzip" ;;
	zstd) echo "fanscp --compress zstd" ;;
	sshzlib) echo "fanscp -o Compression=yes (zlib in every session)" ;;
	esac
}

verified() {
	local n files=()
	for ((n = 1; n <= N; n++)); do files+=("$(host_home "$n")/$DEST"); done
	sha256sum -- "${files[@]}" 2>/dev/null |
	    awk -v h="$SRCHASH" '$1 == h { n++ } END { print n + 0 }'
}

RAW=$T/raw.tsv
: >"$RAW"
for ((r = 1; r <= R; r++)); do
	for t in $TOOLS; do
		for ((n = 1; n <= N; n++)); do
			find "$(host_home "$n")" -mindepth 1 -delete 2>/dev/null
		done
		sync
		rm -f "$T/m.out"
		HOME=$T/local "$REAP" "$T/m.out" "$RUN_TIMEOUT" \
		    ip netns exec "$(lab_ns_sender)" bash -c "$(cmd_of "$t")" \
		    </dev/null >>"$T/tool.log" 2>&1 &
		REAP_PID=$!
		wait "$REAP_PID"
		REAP_PID=
		read -r wall user sys maxrss sumrss nproc rc <"$T/m.out" ||
		    { wall=0 user=0 sys=0 maxrss=0 rc=255; }
		ok=$(verified)
		st=OK
		[ "$rc" = 0 ] && [ "$ok" = "$N" ] || st=FAILED
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$wall" \
		    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
		    "$maxrss" "$ok" "$st" >>"$RAW"
		note "round $r $t: ${wall}s, rc $rc, $ok/$N verified"
	done
done

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

{
	echo "# --compress on a shaped uplink, $DATE"
	echo
	echo "Produced by \`COMPRESS_MIB=$MIB COMPRESS_R=$R COMPRESS_HOSTS=$N COMPRESS_UPLINK=$UPLINK COMPRESS_RATE=$RATE sh bench/compress.sh\`: $MIB MiB of tar (the repo's sources, /usr/share/doc, /usr/lib) to $N hosts at $RATE Mbit/s behind a $UPLINK Mbit/s uplink (tests/integration/netns.sh), all at once. gzip -6 makes it $GZ bytes, zstd -3 $ZS. Medians over $R round(s) of the runs whose every copy verified. Bound without compression: N × F / uplink = $(awk -v n="$N" -v f="$SIZE" -v u="$UPLINK" 'BEGIN { printf "%.1f", n * f * 8 / (u * 1e6) }') s."
	echo
	echo "- machine: $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); 1-min load at the start $LOAD0, at the end $(cut -d' ' -f1 /proc/loadavg)"
	echo "- fanscp at git $(git rev-parse --short HEAD 2>/dev/null)"
	echo
	echo "| tool | runs OK | wall s | client CPU s | peak RSS |"
	echo "| --- | :---: | ---: | ---: | ---: |"
	for t in $TOOLS; do
		runs=$(awk -F'\t' -v t="$t" '$1 == t' "$RAW" | wc -l)
		nok=$(awk -F'\t' -v t="$t" '$1 == t && $6 == "OK"' "$RAW" | wc -l)
		wall=$(awk -F'\t' -v t="$t" '$1 == t && $6 == "OK" { print $2 }' "$RAW" | median)
		cpu=$(awk -F'\t' -v t="$t" '$1 == t && $6 == "OK" { print $3 }' "$RAW" | median)
		rss=$(awk -F'\t' -v t="$t" '$1 == t && $6 == "OK" { print $4 }' "$RAW" | median)
		printf '| %s | %s/%s | %s | %s | %s KiB |\n' "$(label_of "$t")" \
		    "$nok" "$runs" "$wall" "$cpu" "$rss"
	done
	echo
	echo "Commands (\$T the lab's temp dir, hosts elided), in the sender's namespace:"
	echo
	for t in $TOOLS; do
		c=$(cmd_of "$t")
		c=${c//$hosts/ lab001:$DEST ...}
		c=${c//$T/\$T}
		echo "- \`$c\`"
	done
} >"$T/report.md"
cp "$T/report.md" "$OUT" || die "cannot write $OUT"
cat "$T/report.md"
note "written to $OUT"
