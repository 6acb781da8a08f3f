#!/bin/sh
# Build the libFuzzer targets of tests/fuzz into $BUILD/fuzz, replay every
# input kept in tests/fuzz/regress/<name>/, then fuzz each target for
# $FUZZ_SECONDS on a scratch copy of its seed corpus (the tracked corpus
# is never written).  Fails if any target crashes, leaks, hits undefined
# behaviour, runs out of memory or times out.  Used by `make fuzz` and
# `make fuzz-smoke`; by hand:
#
#	sh tests/fuzz/run.sh [-r] [name ...]
#
# -r only builds and replays.  Names are those of fuzz_<name>.c; the
# default is all of them.  Environment: BUILD (build), FUZZ_SECONDS
# (600), FUZZ_CC (clang), FUZZ_FLAGS (more libFuzzer flags).
set -u

cd "$(dirname "$0")/../.." || exit 2
out=${BUILD:-build}/fuzz
secs=${FUZZ_SECONDS:-600}
cc=${FUZZ_CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -DUNIT_TEST
    -iquote include -Itests/fuzz -Wall -Wextra -Werror -Wshadow
    -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral"
limits="-timeout=10 -rss_limit_mb=2048"

replay_only=0
if [ "${1:-}" = -r ]; then
	replay_only=1
	shift
fi
names=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')}

# What each target links beyond its own file: sources, then libraries.
srcs() {
	case $1 in
	target|hostfile)	echo "src/target.c src/nodeset.c src/fmt.c" \
				    "src/xmalloc.c src/util.c tests/fuzz/budget.c" ;;
	nodeset)		echo "src/nodeset.c src/fmt.c src/xmalloc.c" ;;
	sshconf)		echo "src/sshconf.c src/xmalloc.c src/log.c" \
				    "src/util.c tests/fuzz/home.c" ;;
	knownhosts)		echo "src/knownhosts.c src/xmalloc.c" \
				    "src/log.c src/util.c tests/fuzz/home.c" ;;
	kexinit)		echo "src/kexinit.c src/xmalloc.c" ;;
	jump)			echo "src/jump.c src/xmalloc.c" ;;
	*)			echo "fuzz: no target '$1'" >&2; return 1 ;;
	esac
}

# libFuzzer flags a target needs: nodeset skips inputs over 128 bytes.
flags() {
	case $1 in
	nodeset)	echo "-max_len=128" ;;
	esac
}

libs() {
	case $1 in
	sshconf)	echo "-Wl,--wrap=glob" ;;
	knownhosts)	echo "-lcrypto" ;;
	esac
}

# Compile one source for fuzzing, unless its object is newer than it
# and than every header.
compile() {
	o=$out/obj/$(echo "$1" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -f "$o" ] || [ -n "$(find "$1" include tests/fuzz \
	    -name '*.[ch]' -newer "$o" | head -n 1)" ]; then
		$cc $cflags $san -fsanitize=fuzzer-no-link -c -o "$o" "$1" ||
		    return 1
	fi
	echo "$o"
}

build() {
	objs=
	for s in tests/fuzz/fuzz_$1.c $(srcs "$1"); do
		objs="$objs $(compile "$s")" || return 1
	done
	$cc $san -fsanitize=fuzzer -o "$out/fuzz_$1" $objs $(libs "$1")
}

# Run every kept input through its target once.
replay() {
	n=$1
	set -- tests/fuzz/regress/$n/*
	[ -f "$1" ] || return 0
	echo "fuzz: $n: replaying $# kept input(s)"
	"$out/fuzz_$n" $limits "$@" >"$out/log/$n.replay" 2>&1 && return 0
	cat "$out/log/$n.replay" >&2
	return 1
}

fuzz() {
	corpus=$out/corpus/$1
	rm -rf "$corpus" && mkdir -p "$corpus" "$out/artifacts/$1" || return 1
	cp tests/fuzz/corpus/$1/* "$corpus/" || return 1
	dict=
	[ -f "tests/fuzz/$1.dict" ] && dict=-dict=tests/fuzz/$1.dict
	echo "fuzz: $1 for ${secs}s (log: $out/log/$1.log)"
	"$out/fuzz_$1" -max_total_time="$secs" $limits $dict $(flags "$1") \
	    -print_final_stats=1 -artifact_prefix="$out/artifacts/$1/" \
	    ${FUZZ_FLAGS:-} "$corpus" >"$out/log/$1.log" 2>&1
	st=$?
	grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$out/log/$1.log" |
	    tail -n 1
	grep -E '^stat::' "$out/log/$1.log"
	[ $st -eq 0 ] && return 0
	tail -n 60 "$out/log/$1.log" >&2
	return 1
}

mkdir -p "$out/obj" "$out/log" || exit 2
failed=
for name in $names; do
	if ! build "$name"; then
		echo "fuzz: cannot build fuzz_$name" >&2
		exit 2
	fi
done
for name in $names; do
	replay "$name" || failed="$failed $name(regress)"
done
if [ $replay_only -eq 0 ]; then
	for name in $names; do
		fuzz "$name" || failed="$failed $name"
	done
fi
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (artifacts in $out/artifacts)" >&2
	exit 1
fi
echo "fuzz: ok:" $names
