#!/bin/sh
# make demo: fan a 32 MiB file out to 4 throwaway local sshd "hosts" with
# fanscp, then show every copy's SHA-256 beside the source's.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 2
. "$here/lib.sh"
case $FANSCP in /*) ;; *) FANSCP=$(pwd)/${FANSCP#./} ;; esac
if [ ! -x "$FANSCP" ]; then
	echo "demo: no fanscp binary at $FANSCP; run make first" >&2
	exit 2
fi

echo "== starting 4 throwaway sshd hosts on 127.0.0.1"
fixture_start 4
n=1
while [ $n -le 4 ]; do
	printf '   %s  port %s  home %s\n' "$(host_name $n)" "$(host_port $n)" \
	    "$(host_home $n)"
	n=$((n + 1))
done
file=$T/src/demo.bin
echo "== creating a 32 MiB random file"
mkrandom "$file" 33554432
echo
echo "\$ ./fanscp -F \$T/ssh_config --width 2 --verify $file 'lab[001-004]:demo.bin'"
echo "  (T=$T)"
s0=$(date +%s)
HOME=$T/local "$FANSCP" -F "$T/ssh_config" --width 2 --verify "$file" \
    'lab[001-004]:demo.bin'
rc=$?
echo "== fanscp exited with status $rc after $(( $(date +%s) - s0 ))s"
echo
printf '%-8s %-64s %s\n' where sha256 bytes
printf '%-8s %-64s %s\n' source "$(sha256 "$file")" "$(fsize "$file")"
n=1
while [ $n -le 4 ]; do
	f=$(host_home $n)/demo.bin
	if [ -f "$f" ]; then
		s=$(sha256 "$f")
		[ "$s" = "$(sha256 "$file")" ] && m=same || m=DIFFERENT
		printf '%-8s %-64s %s %s\n' "$(host_name $n)" "$s" "$(fsize "$f")" "$m"
	else
		printf '%-8s %-64s\n' "$(host_name $n)" "(no copy)"
	fi
	n=$((n + 1))
done
echo
echo "== tearing down"
fixture_stop
exit $rc
