#!/bin/sh
# bench/sendpath/run.sh: libssh2 1.10's send path, one cipher × MAC at a
# time, against one local sshd of the integration fixture, and fanscp with
# the same -o Ciphers/-o MACs.  See bench/sendpath/README.md.
#
#   sh bench/sendpath/run.sh                         full: 1 GiB, 3 rounds
#   SENDPATH_MIB=16 SENDPATH_R=1 SENDPATH_CIPHERS=aes128-ctr \
#     SENDPATH_MACS=hmac-sha1 SENDPATH_SPEED_S=1 sh bench/sendpath/run.sh   # smoke
#
# Environment:
#   SENDPATH_MIB=N       MiB per run (default 1024)
#   SENDPATH_BOUND_MIB=N MiB per crypto-bound pass (default 256, at most MIB)
#   SENDPATH_R=N         rounds; medians over them (default 3)
#   SENDPATH_CIPHERS="…" ciphers to try (default: the libssh2 1.10 ones an
#                        OpenSSH sshd could take: aes128-ctr aes192-ctr
#                        aes256-ctr aes128-cbc aes256-cbc)
#   SENDPATH_MACS="…"    MACs to try (default hmac-sha2-256 hmac-sha2-512
#                        hmac-sha1 hmac-sha1-96 hmac-md5)
#   SENDPATH_FANSCP=0    skip the fanscp rows
#   SENDPATH_SHIM=0      skip the rows under ctrshim.so (LD_PRELOAD)
#   SENDPATH_SPEED_S=N   seconds per `openssl speed` algorithm (default 3)
#   SENDPATH_OUT=FILE    also write the report there
#   SENDPATH_CFLAGS=…    how to compile sendpath.c (default -O2)
#   FANSCP=PATH          the binary (default ./fanscp, built if absent)
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 2
root=$(pwd)

MIB=${SENDPATH_MIB:-1024}
BMIB=${SENDPATH_BOUND_MIB:-$(( MIB < 256 ? MIB : 256 ))}
R=${SENDPATH_R:-3}
CIPHERS=${SENDPATH_CIPHERS:-aes128-ctr aes192-ctr aes256-ctr aes128-cbc aes256-cbc}
MACS=${SENDPATH_MACS:-hmac-sha2-256 hmac-sha2-512 hmac-sha1 hmac-sha1-96 hmac-md5}
DO_FANSCP=${SENDPATH_FANSCP:-1}
DO_SHIM=${SENDPATH_SHIM:-1}
PRELOAD=
SPEED_S=${SENDPATH_SPEED_S:-3}
OUT=${SENDPATH_OUT:-}

say() { printf '%s\n' "$*"; }
note() { printf 'sendpath: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }

sh tests/deps.sh gcc pkg-config libssh2-1-dev libssl-dev openssh-client \
    openssh-server >&2 || die "cannot install what it needs"
: "${FANSCP:=./fanscp}"
case $FANSCP in /*) ;; *) FANSCP=$root/${FANSCP#./} ;; esac
if [ "$DO_FANSCP" = 1 ] && [ ! -x "$FANSCP" ]; then
	make >&2 || die "make failed"
fi
if [ -z "${TMPDIR:-}" ] && [ "$(df -PT /dev/shm 2>/dev/null | awk 'NR==2 { print $2 }')" = tmpfs ] &&
    [ "$(df -Pk /dev/shm | awk 'NR==2 { print $4 }')" -gt $(( (MIB * 3 + 512) * 1024 )) ]; then
	export TMPDIR=/dev/shm
fi

. tests/integration/lib.sh
fixture_start 1
BT=$T
sp_stop() {
	local rc=$?
	trap - EXIT INT TERM
	SCEN_FAILED=0
	(exit 0); fixture_stop
	[ -n "$BT" ] && rm -rf "$BT"
	exit "$rc"
}
trap sp_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset SSH_AUTH_SOCK

SP=$T/sendpath
REAP=$T/reap
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE ${SENDPATH_CFLAGS:--O2} -Wall -Wextra -o "$SP" "$here/sendpath.c" \
    $(pkg-config --cflags --libs libssh2 openssl) || die "cannot build sendpath.c"
cc -O2 -o "$REAP" "$root/bench/reap.c" || die "cannot build bench/reap.c"
SHIM=$T/ctrshim.so
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -fPIC -shared -o "$SHIM" \
    "$here/ctrshim.c" $(pkg-config --cflags --libs openssl) -ldl -pthread ||
    die "cannot build ctrshim.c"
HZ=$(getconf CLK_TCK)
PORT=$(host_port 1)
USERN=$FIXTURE_USER

# CPU seconds the host's sshd and its finished sessions have burned.
server_ticks() {
	sed 's/.*) //' "/proc/$(host_pid 1)/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}
# Wait until no session is left under the listening sshd.
wait_server() {
	local i
	for ((i = 0; i < 150; i++)); do
		pgrep -P "$(host_pid 1)" >/dev/null || return 0
		sleep 0.1
	done
}
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

RAW=$T/raw.tsv		# mode cipher mac round wall cpu server_s status
: >"$RAW"

# openssl speed's throughput, in MB/s, at 16 bytes and at 16 KiB a call.
speed() {	# LABEL ALG
	local b
	printf '%s' "$1"
	for b in 16 16384; do
		openssl speed -seconds "$SPEED_S" -bytes "$b" -evp "$2" 2>/dev/null |
		    tail -1 | awk '{ printf "\t%.0f", $NF / 1000 }'
	done
	printf '\n'
}
note "openssl speed, $SPEED_S s each"
{
	for a in aes-128-ctr aes-256-ctr sha256 sha1 sha512; do
		speed "$a" "$a"
	done
} >"$T/speed.tsv"

# The crypto-only bound of each pair, libssh2's shape and bulk.
for c in $CIPHERS; do
	for m in $MACS; do
		"$SP" -B -n "$BMIB" -c "$c" -m "$m" >>"$T/bound.tsv"
	done
done

SRC=$T/src/bench.bin
if [ "$DO_FANSCP" = 1 ]; then
	note "source: $MIB MiB"
	mkrandom "$SRC" $((MIB * 1048576))
	SRCSUM=$(sha256 "$SRC")
fi

# One send run of pair c m: a line in RAW.
run_send() {	# ROUND C M
	local s0 s1 line st
	wait_server
	s0=$(server_ticks)
	line=$(env ${PRELOAD:+LD_PRELOAD=$PRELOAD} "$SP" -p "$PORT" -u "$USERN" \
	    -i "$T/id_ed25519" -n "$MIB" -c "$2" -m "$3")
	wait_server
	s1=$(server_ticks)
	st=$(printf '%s\n' "$line" | cut -f5)
	printf '%s\n' "$line" >>"$T/send.tsv"
	printf 'send%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${PRELOAD:+-shim}" "$2" "$3" "$1" \
	    "$(printf '%s\n' "$line" | cut -f7)" \
	    "$(printf '%s\n' "$line" | awk -F'\t' '{ print $8 + $9 }')" \
	    "$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
	    "$st" >>"$RAW"
	note "round $1 send${PRELOAD:+-shim} $2 $3: $st $(printf '%s\n' "$line" | cut -f7,10,11 | tr '\t' ' ')"
}

# One fanscp run of pair c m ("default": no -o): a line in RAW.
run_fanscp() {	# ROUND C M
	local s0 s1 st=ok wall user sys x y z rc home got
	home=$(host_home 1)
	rm -f "$home/bench.bin"
	# -vv: the log names the cipher and MAC that were negotiated.
	set -- "$1" "$2" "$3" "$FANSCP" -F "$T/ssh_config" -vv
	[ "$2" = default ] || set -- "$@" -o "Ciphers=$2" -o "MACs=$3"
	wait_server
	s0=$(server_ticks)
	# Under the shim, fanscp's own keystream (src/ctr.c) is off, so
	# that its calls reach the shim's.
	HOME=$T/local "$REAP" "$T/m.out" 900 env \
	    ${PRELOAD:+LD_PRELOAD=$PRELOAD FANSCP_CTR_BATCH=0} \
	    "${@:4}" "$SRC" lab001:bench.bin \
	    >"$T/fanscp.log" 2>&1
	wait_server
	s1=$(server_ticks)
	read -r wall user sys x y z rc <"$T/m.out"
	[ "$rc" = 0 ] || st="exit-$rc"
	[ "$(sha256 "$home/bench.bin" 2>/dev/null)" = "$SRCSUM" ] || st="$st,bad-copy"
	got=$(sed -n 's/.*, cipher \([^,]*\), mac \([^ ]*\).*/\1 \2/p' "$T/fanscp.log" | tail -1)
	[ "$2" = default ] && note "fanscp's default negotiated: $got"
	[ "$2" = default ] || [ "$got" = "$2 $3" ] || st="$st,negotiated-$got"
	[ "$2" = default ] && printf '%s\n' "$got" >"$T/default.algs"
	rm -f "$home/bench.bin"
	printf 'fanscp%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${PRELOAD:+-shim}" "$2" "$3" "$1" "$wall" \
	    "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
	    "$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
	    "$st" >>"$RAW"
	note "round $1 fanscp${PRELOAD:+-shim} $2 $3: $st ${wall}s"
}

# The pairs the sshd takes (a first round finds them out); rounds
# interleave every pair.
for ((r = 1; r <= R; r++)); do
	for c in $CIPHERS; do
		for m in $MACS; do
			if [ "$r" -gt 1 ] && ! awk -F'\t' -v c="$c" -v m="$m" \
			    '$1 == "send" && $2 == c && $3 == m && $8 == "ok" { f = 1 } END { exit !f }' "$RAW"; then
				continue
			fi
			run_send "$r" "$c" "$m"
			if [ "$DO_FANSCP" = 1 ] && [ "$(tail -1 "$RAW" | cut -f8)" = ok ]; then
				run_fanscp "$r" "$c" "$m"
			fi
		done
	done
	[ "$DO_FANSCP" = 1 ] && run_fanscp "$r" default default
	if [ "$DO_SHIM" = 1 ]; then	# the keystream shim, on the default pair
		PRELOAD=$SHIM
		run_send "$r" aes128-ctr hmac-sha2-256
		[ "$DO_FANSCP" = 1 ] && run_fanscp "$r" default default
		PRELOAD=
	fi
done

# ----------------------------------------------------------------- report

col() {	# MODE C M FIELD
	awk -F'\t' -v k="$1" -v c="$2" -v m="$3" -v f="$4" \
	    '$1 == k && $2 == c && $3 == m && $8 ~ /^ok/ { print $f }' "$RAW"
}
report() {
	local c m st w cpu srv bnd bbulk fw fcpu fsrv gib
	gib=$(awk -v m="$MIB" 'BEGIN { print m / 1024 }')
	say "# libssh2 1.10 send path: cipher × MAC, $(date '+%Y-%m-%d %H:%M %Z')"
	say ""
	say "Produced by \`SENDPATH_MIB=$MIB SENDPATH_BOUND_MIB=$BMIB SENDPATH_R=$R sh bench/sendpath/run.sh\` (see bench/sendpath/README.md)."
	say ""
	say "- cpus: $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) ($(grep -o -w -m1 'sha_ni' /proc/cpuinfo || echo no SHA-NI), $(grep -o -w -m1 'aes' /proc/cpuinfo || echo no) AES-NI)"
	say "- libssh2 $(dpkg-query -W -f='${Version}' libssh2-1 2>/dev/null); $(openssl version); $(ssh -V 2>&1)"
	say "- 1-min load at the end: $(cut -d' ' -f1 /proc/loadavg)"
	say ""
	say "## The machine's raw crypto (\`openssl speed -seconds $SPEED_S -evp ALG\`)"
	say ""
	say "| algorithm | MB/s at 16 B a call | MB/s at 16 KiB a call |"
	say "| --- | ---: | ---: |"
	awk -F'\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "$T/speed.tsv"
	say ""
	say "libssh2 1.10 calls EVP_Cipher 16 bytes at a time: the first column is its cipher's ceiling."
	say ""
	say "## One channel, $MIB MiB, medians of $R"
	say ""
	say "bound: the crypto libssh2 1.10 does per packet, alone, in this process (sendpath -B): as libssh2 does it (16 bytes per EVP_Cipher call), with those calls served from a CTR keystream made 32 KiB at a time (what a shim under libssh2 could reach; CTR only), and with one cipher call per packet. send: libssh2 into \`cat > /dev/null\` on the fixture's sshd, fanscp's discipline (wall from the first write to the remote close, client CPU of the send loop). fanscp: \`fanscp -o Ciphers=C -o MACs=M src lab001:bench.bin\` (whole run: login, checks, commit; the copy is a file on $(df -PT "$(host_home 1)" | awk 'NR==2 { print $2 }')). server: CPU of the host's sshd and session processes."
	say ""
	say "| cipher | MAC | bound CPU s/GiB: libssh2 1.10 / keystream shim / bulk cipher | send MB/s | send client CPU s/GiB | send server CPU s/GiB | fanscp wall s | fanscp MB/s | fanscp client CPU s/GiB | fanscp server CPU s/GiB |"
	say "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for c in $CIPHERS; do
		for m in $MACS; do
			bnd=$(awk -F'\t' -v c="$c" -v m="$m" '$1 == "bound" && $2 == c && $3 == m && $5 == "ok" { print $11 }' "$T/bound.tsv")
			bbulk=$(awk -F'\t' -v c="$c" -v m="$m" '$1 == "bound-bulk" && $2 == c && $3 == m && $5 == "ok" { print $11 }' "$T/bound.tsv")
			bks=$(awk -F'\t' -v c="$c" -v m="$m" '$1 == "bound-ks" && $2 == c && $3 == m { print ($5 == "ok" ? $11 : $5) }' "$T/bound.tsv")
			st=$(awk -F'\t' -v c="$c" -v m="$m" '$1 == "send" && $2 == c && $3 == m { s = $8 } END { print s }' "$RAW")
			if [ "$st" != ok ]; then
				say "| $c | $m | ${bnd:--} / ${bks:--} / ${bbulk:--} | $st | | | | | | |"
				continue
			fi
			w=$(col send "$c" "$m" 5 | median)
			cpu=$(col send "$c" "$m" 6 | median)
			srv=$(col send "$c" "$m" 7 | median)
			fw=$(col fanscp "$c" "$m" 5 | median)
			fcpu=$(col fanscp "$c" "$m" 6 | median)
			fsrv=$(col fanscp "$c" "$m" 7 | median)
			awk -v c="$c" -v m="$m" -v b="${bnd:--}" -v bb="${bbulk:--}" -v bk="${bks:--}" -v w="$w" \
			    -v cpu="$cpu" -v srv="$srv" -v fw="$fw" -v fcpu="$fcpu" -v fsrv="$fsrv" \
			    -v mib="$MIB" -v gib="$gib" 'function f(x, d) { return x == "-" ? "-" : sprintf(d, x) }
			    BEGIN {
				mb = mib * 1.048576
				printf "| %s | %s | %s / %s / %s | %s | %s | %s |", c, m, b, bk, bb,
				    f(mb / w, "%.0f"), f(cpu / gib, "%.2f"), f(srv / gib, "%.2f")
				if (fw == "-") { print " - | - | - | - |"; exit }
				printf " %.2f | %.0f | %.2f | %.2f |\n", fw, mb / fw, fcpu / gib, fsrv / gib
			    }'
		done
	done
	if [ "$DO_FANSCP" = 1 ]; then
		fw=$(col fanscp default default 5 | median)
		fcpu=$(col fanscp default default 6 | median)
		fsrv=$(col fanscp default default 7 | median)
		awk -v fw="$fw" -v fcpu="$fcpu" -v fsrv="$fsrv" -v mib="$MIB" -v gib="$gib" \
		    -v got="$(cat "$T/default.algs" 2>/dev/null)" \
		    'BEGIN {
			if (fw == "-") { print "| fanscp, no -o | (its default) | | | | | FAILED | | | |"; exit }
			printf "| fanscp, no -o | (its default: %s) | | | | | %.2f | %.0f | %.2f | %.2f |\n",
			    got, fw, mib * 1.048576 / fw, fcpu / gib, fsrv / gib }'
	fi
	if [ "$DO_SHIM" = 1 ]; then
		w=$(col send-shim aes128-ctr hmac-sha2-256 5 | median)
		cpu=$(col send-shim aes128-ctr hmac-sha2-256 6 | median)
		srv=$(col send-shim aes128-ctr hmac-sha2-256 7 | median)
		fw=$(col fanscp-shim default default 5 | median)
		fcpu=$(col fanscp-shim default default 6 | median)
		fsrv=$(col fanscp-shim default default 7 | median)
		awk -v w="$w" -v cpu="$cpu" -v srv="$srv" -v fw="$fw" -v fcpu="$fcpu" \
		    -v fsrv="$fsrv" -v mib="$MIB" -v gib="$gib" '
		    function f(x, d) { return x == "-" ? "-" : sprintf(d, x) }
		    BEGIN {
			mb = mib * 1.048576
			printf "| **under ctrshim.so** (LD_PRELOAD) | aes128-ctr, hmac-sha2-256 | | %s | %s | %s | %s | %s | %s | %s |\n",
			    (w == "-" ? "FAILED" : f(mb / w, "%.0f")), f(cpu / gib, "%.2f"), f(srv / gib, "%.2f"),
			    (fw == "-" ? "FAILED" : f(fw, "%.2f")), (fw == "-" ? "-" : f(mb / fw, "%.0f")),
			    f(fcpu / gib, "%.2f"), f(fsrv / gib, "%.2f") }'
	fi
	say ""
	say "ctrshim.so answers libssh2's 16-byte EVP_Cipher calls on CTR contexts from a keystream made 32 KiB at a time (see ctrshim.c); the experiment that src/ctr.c made part of fanscp. So every fanscp row but this one already has fanscp's own keystream (FANSCP_CTR_BATCH=0 turns it off); this row is fanscp with no -o, its own keystream off and the shim's on; every copy is checked by SHA-256, and the server checks every packet's MAC."
	say ""
	say "Pairs that are not \`ok\` were refused: \`refused-by-sshd\` (the sshd's default Ciphers/MACs lack it), \`unsupported-by-libssh2\`, or an error."
	say ""
	say "## Every run"
	say ""
	say "| what | cipher | MAC | round | wall s | client CPU s | server CPU s | status |"
	say "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"
	awk -F'\t' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; printf "\n" }' "$RAW"
	say ""
	say "sendpath's own lines (\`$(basename "$SP") -h\` for the header):"
	say ""
	say '```'
	"$SP" -h
	cat "$T/bound.tsv" "$T/send.tsv" 2>/dev/null
	say '```'
}
report >"$T/report.md"
[ -n "$OUT" ] && cp "$T/report.md" "$OUT"
cat "$T/report.md"
