# Usage errors and known_hosts policies.
ALL_SCENARIOS="$ALL_SCENARIOS usage knownhosts"

# 11. Usage and local errors: exit 2, nothing written anywhere.
scen_usage() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1024
	c=$T/ssh_config
	_usage_case "missing source" -F "$c" "$T/src/nope" lab001:x
	_usage_case "directory source" -F "$c" "$T/src" lab001:x
	_usage_case "no targets" -F "$c" "$SRC"
	_usage_case "no arguments" -F "$c"
	_usage_case "target without a colon" -F "$c" "$SRC" lab001
	_usage_case "reversed range" -F "$c" "$SRC" 'lab[3-1]:x'
	_usage_case "unbalanced bracket" -F "$c" "$SRC" 'lab[001-002:x'
	_usage_case "good and bad targets" -F "$c" "$SRC" lab001:x 'lab[2-1]:x'
	_usage_case "unknown option" -F "$c" --no-such-option "$SRC" lab001:x
	_usage_case "bad width" -F "$c" --width 0 "$SRC" lab001:x
	_usage_case "missing -F file" -F "$T/nope.conf" "$SRC" lab001:x
	_usage_case "lone :path without -h" -F "$c" "$SRC" :x
	expect_home 1
	expect_home 2
}
_usage_case() {
	_what=$1; shift
	run_fanscp "$@"
	expect_rc 2 "$_what: $LAST_CMD"
	[ -s "$T/err" ] || fail "$_what: nothing on stderr"
}

# 12. Unknown host keys: refused under StrictHostKeyChecking=yes, added
# (one line) under accept-new, then known.
scen_knownhosts() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	kh=$T/kh_new
	: >"$kh"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" "$SRC" \
	    lab001:a.bin
	expect_rc 1
	expect_err lab001 ""
	expect_home 1
	[ -s "$kh" ] && fail "known_hosts written under StrictHostKeyChecking=yes"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
	    -o StrictHostKeyChecking=accept-new "$SRC" lab001:a.bin
	expect_rc 0
	expect_copy 1 a.bin "$SRC"
	expect_home 1 a.bin
	lines=$(wc -l <"$kh" | tr -d ' ')
	[ "$lines" = 1 ] || fail "accept-new added $lines lines, expected 1"
	set -- $(head -1 "$kh") '' '' ''
	[ "$1" = "[127.0.0.1]:$(host_port 1)" ] ||
	    fail "added line names '$1', expected [127.0.0.1]:$(host_port 1)"
	grep -qF " ${3:-none} " "$(host_dir 1)/ssh_host_ed25519_key.pub" \
	    "$(host_dir 1)/ssh_host_ecdsa_key.pub" ||
	    fail "added key is not one of lab001's keys: $(head -1 "$kh")"
	# OpenSSH's ssh reads the line and trusts the host with it.
	"$SSH" -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" -o BatchMode=yes \
	    -o "HostKeyAlgorithms=${2:-none}" lab001 true 2>"$T/ssh.err" ||
	    fail "ssh rejects the added line: $(head -2 "$T/ssh.err")"
	cp "$kh" "$T/kh_before"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" "$SRC" \
	    lab001:b.bin
	expect_rc 0
	expect_copy 1 b.bin "$SRC"
	expect_home 1 a.bin b.bin
	cmp -s "$kh" "$T/kh_before" || fail "known_hosts changed on a known host"
	expect_home 2
}
