# --compress gzip|zstd (issue 11): the source compressed once, in fanscp,
# and decompressed on each host with "gzip -dc" / "zstd -dc"; the size and
# SHA-256 checked on the host are the original's.
ALL_SCENARIOS="$ALL_SCENARIOS compress_file compress_stream compress_tree compress_notool compress_usage"

# A compressible file of about $2 bytes at $1: numbered lines with some
# random words, so that it compresses well but not to nothing.
mkcompressible() {
	{ seq 1 "$(( $2 / 16 ))" | sed 's/$/ fanscp line/'
	  head -c 65536 /dev/urandom | od -An -tx1; } >"$1" ||
	    fixture_die "cannot write $1"
}

# no_tool N TOOL: host N's commands run with a PATH that has every tool but
# TOOL (as t9_tree.sh's no_tar).
no_tool() {
	_b=$(host_dir "$1")/no$2
	mkdir -p "$_b"
	for _f in /usr/local/bin/* /usr/bin/* /bin/*; do
		_t=${_f##*/}
		[ "$_t" = "$2" ] || [ -e "$_b/$_t" ] || ln -s "$_f" "$_b/$_t"
	done
	cat >"$(host_dir "$1")/no$2.sh" <<EOF
PATH='$_b'
export PATH
exec /bin/sh "\$@"
EOF
	set_shell "$1" "/bin/sh $(host_dir "$1")/no$2.sh"
}

# 1. A file with gzip and with zstd (a level too) to three hosts, to a
#    hostile name: every copy is the source's bytes, -p keeps the mode,
#    --verify passes (the hash is the original's), and --json reports the
#    original's size as each host's bytes.
scen_compress_file() {
	need_fanscp || return
	command -v zstd >/dev/null 2>&1 || { skip "no zstd"; return; }
	fixture_start 3
	SRC=$T/src/c.txt
	mkdir -p "$T/src"
	mkcompressible "$SRC" 3000000
	chmod 640 "$SRC"
	size=$(fsize "$SRC")
	NAME='c $(touch PWNED) '\''q'\''.txt'
	for c in gzip zstd zstd:19 gzip:1; do
		run_fanscp -F "$T/ssh_config" --compress "$c" --verify -p \
		    --json "$T/r.json" "$SRC" "lab[001-003]:$NAME"
		expect_rc 0
		for n in 1 2 3; do
			expect_copy "$n" "$NAME" "$SRC"
			expect_mode "$n" "$NAME" 640
			expect_home "$n" "$NAME"
			rm -f "$(host_home "$n")/$NAME"
		done
		_json_bytes "$T/r.json" "$size"
	done
	# Fewer slots than hosts, and --retries: what would keep short temp
	# files (probes, resume) is off, and every host still gets it whole.
	run_fanscp -F "$T/ssh_config" --compress zstd --retries 2 --width 1 \
	    "$SRC" "lab[001-003]:$NAME"
	expect_rc 0
	for n in 1 2 3; do
		expect_copy "$n" "$NAME" "$SRC"
		expect_home "$n" "$NAME"
	done
	expect_no_pwned
}

# _json_bytes FILE N: every host of the --json report FILE is done with N
# bytes.
_json_bytes() {
	python3 - "$1" "$2" <<'PYEOF' >"$T/json.out" 2>&1 ||
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
bad = [(r["host"], r["status"], r["bytes"]) for r in d["hosts"]
       if r["status"] != "done" or r["bytes"] != int(sys.argv[2])]
assert not bad, bad
PYEOF
	    fail "--json: $(cat "$T/json.out")"
}

# run_stdin FILE ARGS...: fanscp ARGS with FILE on its stdin.
run_stdin() {
	_in=$1; shift
	LAST_CMD="fanscp $(shq "$@") <$_in"
	HOME=$T/local SSH_AUTH_SOCK= timeout -k 5 "$FANSCP_TIMEOUT" \
	    "$FANSCP" "$@" <"$_in" >"$T/out" 2>"$T/err"
	RC=$?
}

# 2. A stream from stdin, with gzip and zstd: the seal goes as a member of
#    its own, and is stripped on the host; every copy is the stream's bytes.
#    A stream whose --size is wrong commits nothing.
scen_compress_stream() {
	need_fanscp || return
	command -v zstd >/dev/null 2>&1 || { skip "no zstd"; return; }
	fixture_start 2
	mkdir -p "$T/src"
	mkcompressible "$T/src/s.txt" 2000000
	for c in gzip zstd; do
		run_stdin "$T/src/s.txt" -F "$T/ssh_config" --compress "$c" \
		    --width 1 - 'lab[001-002]:s.txt'
		expect_rc 0
		for n in 1 2; do
			expect_copy "$n" s.txt "$T/src/s.txt"
			expect_home "$n" s.txt
			rm -f "$(host_home "$n")/s.txt"
		done
		run_stdin "$T/src/s.txt" -F "$T/ssh_config" --compress "$c" \
		    --size 5 - 'lab[001-002]:s.txt'
		expect_rc 1
		for n in 1 2; do expect_home "$n"; done
	done
}

# 3. A tree (-r) and several sources, compressed: the archive is the wire's
#    payload, unpacked as ever.
scen_compress_tree() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/tree
	mkdir -p "$SRC/sub"
	mkcompressible "$SRC/sub/a.txt" 500000
	echo small >"$SRC/b"
	run_fanscp -F "$T/ssh_config" --compress gzip -r "$SRC" 'lab[001-002]:'
	expect_rc 0
	for n in 1 2; do
		expect_copy "$n" tree/sub/a.txt "$SRC/sub/a.txt"
		expect_copy "$n" tree/b "$SRC/b"
	done
	for n in 1 2; do mkdir "$(host_home "$n")/d"; done
	run_fanscp -F "$T/ssh_config" --compress gzip "$SRC/b" \
	    "$SRC/sub/a.txt" 'lab[001-002]:d/'
	expect_rc 0
	for n in 1 2; do
		expect_copy "$n" d/b "$SRC/b"
		expect_copy "$n" d/a.txt "$SRC/sub/a.txt"
	done
}

# 4. A host without zstd fails before any data, saying so; the others get
#    the file; nothing is left on it, and the run exits 1.  The same host
#    takes gzip.
scen_compress_notool() {
	need_fanscp || return
	command -v zstd >/dev/null 2>&1 || { skip "no zstd"; return; }
	fixture_start 3
	no_tool 2 zstd
	SRC=$T/src/n.txt
	mkdir -p "$T/src"
	mkcompressible "$SRC" 1000000
	run_fanscp -F "$T/ssh_config" --compress zstd "$SRC" 'lab[001-003]:n.txt'
	expect_rc 1
	expect_err lab002 "--compress zstd: zstd is not installed on the host"
	expect_home 2
	expect_copy 1 n.txt "$SRC"
	expect_copy 3 n.txt "$SRC"
	expect_no_err lab001
	expect_no_err lab003
	run_fanscp -F "$T/ssh_config" --compress gzip "$SRC" 'lab002:n.txt'
	expect_rc 0
	expect_copy 2 n.txt "$SRC"
}

# 5. What --compress refuses, as usage errors (exit 2), before any host.
scen_compress_usage() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/u.txt
	mkdir -p "$T/src"
	echo data >"$SRC"
	run_fanscp -F "$T/ssh_config" --compress gzip --resume "$SRC" 'lab001:u'
	expect_rc 2
	grep -q -- "--resume" "$T/err" || fail "no --resume reason: $(cat "$T/err")"
	run_fanscp -F "$T/ssh_config" --compress lz4 "$SRC" 'lab001:u'
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --compress zstd:20 "$SRC" 'lab001:u'
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --compress gzip --exec cat "$SRC" 'lab001'
	expect_rc 2
	grep -q -- "--exec" "$T/err" || fail "no --exec reason: $(cat "$T/err")"
	expect_home 1
}
