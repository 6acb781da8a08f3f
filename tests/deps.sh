#!/bin/sh
# Install the named Debian packages when any is missing: with apt-get as
# root, through sudo otherwise, or stop with a one-line message saying what
# to run.  Used by the Makefile; harmless to run by hand.
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	echo "deps: missing packages; run: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q $missing >&2 ||
    { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q $missing >&2; } ||
    { echo "deps: apt-get failed; run: sudo apt-get install$missing" >&2; exit 1; }
