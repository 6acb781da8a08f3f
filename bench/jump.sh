#!/bin/sh
# bench/jump.sh: pushing through a jump host.  fanscp with -J (one
# bastion connection per engine thread, every target's session inside a
# direct-tcpip channel of it) against fanscp direct, and against the usual
# idiom through the same bastion, `parallel -j W ssh -J bastion host 'cat >
# f'` (one bastion connection per target).  All on loopback sshds of the
# integration fixture (tests/integration/lib.sh): host 1 is the bastion
# (AllowTcpForwarding yes), hosts 2..N+1 the targets.
#
# Reports per tool: the median wall time, client CPU (user+sys of the
# tool's process tree, from /usr/bin/time), client CPU s per GiB
# delivered, the peak RSS of its largest process, the bastion's logins,
# and every copy's SHA-256 checked.  Run it on a quiet machine.
#
#   sh bench/jump.sh                 # 8 targets x 128 MiB, 3 rounds
#   JB_N=16 JB_MIB=32 JB_R=1 sh bench/jump.sh
set -u
cd "$(dirname "$0")/.." || exit 2
: "${JB_N:=8}" "${JB_MIB:=128}" "${JB_R:=3}" "${JB_THREADS:=2}"
[ -x ./fanscp ] || make >/dev/null || exit 1
. tests/integration/lib.sh
FANSCP=$(pwd)/fanscp
command -v parallel >/dev/null || { echo "bench/jump.sh: needs GNU parallel" >&2; exit 2; }
host_sshd_option 1 "AllowTcpForwarding yes"
fixture_start $((JB_N + 1))
trap 'fixture_stop' EXIT
mkdir -p "$T/bin" && cp "$FANSCP" "$T/bin/fanscp"
SRC=$T/src/jb.bin
mkrandom "$SRC" $((JB_MIB * 1048576))
want=$(sha256 "$SRC")
last=$(printf 'lab%03d' $((JB_N + 1)))
set=$(printf 'lab[002-%03d]' $((JB_N + 1)))
hosts=$(n=2; while [ $n -le $((JB_N + 1)) ]; do host_name $n; echo; n=$((n + 1)); done)
logins() { grep -c 'Accepted publickey' "$(host_log 1)"; }

# run ID CMD...: one timed run; appends "ID wall cpu rss logins ok" to $T/res.
run() {
	id=$1; shift
	n=2; while [ $n -le $((JB_N + 1)) ]; do rm -f "$(host_home $n)/jb.bin"; n=$((n + 1)); done
	l0=$(logins)
	/usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" >/dev/null 2>"$T/err.$id"
	rc=$?
	set -- $(cat "$T/time")
	ok=yes
	n=2; while [ $n -le $((JB_N + 1)) ]; do
		[ "$(sha256 "$(host_home $n)/jb.bin" 2>/dev/null)" = "$want" ] || ok=no
		n=$((n + 1))
	done
	[ $rc = 0 ] || ok=no
	echo "$id $1 $(echo "$2 + $3" | bc) $4 $(($(logins) - l0)) $ok" >>"$T/res"
	echo "bench/jump.sh: $id: ${1}s ok=$ok" >&2
}

: >"$T/res"
r=1
while [ $r -le "$JB_R" ]; do
	run fanscp-direct "$T/bin/fanscp" -F "$T/ssh_config" --threads "$JB_THREADS" --width "$JB_N" "$SRC" "$set:jb.bin"
	run fanscp-J "$T/bin/fanscp" -F "$T/ssh_config" --threads "$JB_THREADS" --width "$JB_N" -J lab001 "$SRC" "$set:jb.bin"
	run fanscp-J-t1 "$T/bin/fanscp" -F "$T/ssh_config" --threads 1 --width "$JB_N" -J lab001 "$SRC" "$set:jb.bin"
	run par-ssh-J sh -c "printf '%s\n' $(echo $hosts) | parallel -j $JB_N \"ssh -F $T/ssh_config -o BatchMode=yes -J lab001 {} 'cat > jb.bin' < $SRC\""
	r=$((r + 1))
done

gib=$(echo "scale=4; $JB_N * $JB_MIB / 1024" | bc)
printf '## bench/jump.sh: %s targets x %s MiB through one bastion (%s GiB), %s rounds, %s\n\n' \
    "$JB_N" "$JB_MIB" "$gib" "$JB_R" "$(date -u +%Y-%m-%d)"
printf '| tool | runs OK | wall s (median) | client CPU s | client CPU s/GiB | peak RSS, biggest process | bastion logins |\n'
printf '| --- | :---: | ---: | ---: | ---: | ---: | ---: |\n'
for id in fanscp-direct fanscp-J fanscp-J-t1 par-ssh-J; do
	grep "^$id " "$T/res" | sort -k2 -n >"$T/one"
	k=$(wc -l <"$T/one"); m=$(((k + 1) / 2))
	set -- $(sed -n "${m}p" "$T/one")
	okn=$(grep -c ' yes$' "$T/one")
	printf '| %s | %s/%s | %s | %s | %s | %s MiB | %s |\n' "$id" "$okn" "$k" "$2" "$3" \
	    "$(echo "scale=2; $3 / $gib" | bc)" "$(($4 / 1024))" "$5"
done
printf '\nfanscp-direct: `fanscp --threads %s --width %s SRC %s:jb.bin`; fanscp-J: the same with `-J lab001`; fanscp-J-t1: `--threads 1`; par-ssh-J: `parallel -j %s ssh -J lab001 HOST '"'"'cat > jb.bin'"'"' < SRC`.\n' \
    "$JB_THREADS" "$JB_N" "$set" "$JB_N"
