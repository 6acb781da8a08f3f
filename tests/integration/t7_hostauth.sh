# Host authentication: ssh_config keys that decide which host key is
# accepted (HostKeyAlias, the [host]:port fallback, keys fanscp refuses
# to ignore), all-or-nothing known_hosts appends, and a large known_hosts.
ALL_SCENARIOS="$ALL_SCENARIOS hkalias portfallback khfull khoptions khcommand revokedkeys matchexec hkalgs bigkh"

# _hashed_kh OUT N HOST...: OUT gets N random hashed ed25519 lines, then
# the fixture's lines for hosts HOST..., hashed too (as ssh-keygen -H
# would write them).
_hashed_kh() {
	_out=$1 _nl=$2; shift 2
	for _n in "$@"; do
		grep -F "[127.0.0.1]:$(host_port "$_n") " "$T/known_hosts"
	done | python3 -c '
import base64, hashlib, hmac, os, sys
n = int(sys.argv[1])
b64 = lambda b: base64.b64encode(b).decode()
def hashed(name):
    salt = os.urandom(20)
    mac = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return "|1|%s|%s" % (b64(salt), b64(mac))
out = []
for i in range(n):
    blob = b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + os.urandom(32)
    out.append("%s ssh-ed25519 %s" % (hashed("h%d.example" % i), b64(blob)))
for line in sys.stdin:
    name, rest = line.split(" ", 1)
    out.append("%s %s" % (hashed(name), rest.rstrip("\n")))
print("\n".join(out))
' "$_nl" >"$_out" || fail "fixture: cannot write $_out"
}

# _cpu_fanscp OUT ARGS...: run fanscp as run_fanscp does, and write its
# CPU seconds (user + system) and wall seconds to OUT.
_cpu_fanscp() {
	_o=$1; shift
	LAST_CMD="fanscp $(shq "$@")"
	HOME=$T/local SSH_AUTH_SOCK= /usr/bin/time -f '%U %S %e' -o "$_o.t" \
	    timeout -k 5 "$FANSCP_TIMEOUT" "$FANSCP" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	_fanscp_checks
	awk '{ printf "%.2f %.2f\n", $1 + $2, $3 }' "$_o.t" >"$_o"
}

# A 50,000-line hashed known_hosts and 8 hosts: every host is checked and
# copied, the file is left as it was, and the big file costs at most a
# second of CPU more than the fixture's small one (it cost about two
# before each hashed line's HMAC key was prepared once; CPU time, unlike
# wall time, hardly moves on a loaded machine).  The figures are printed.
scen_bigkh() {
	need_fanscp || return
	fixture_start 8
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	kh=$T/kh_big
	_hashed_kh "$kh" 50000 1 2 3 4 5 6 7 8
	cp "$kh" "$T/kh_before"
	_cpu_fanscp "$T/small.cpu" -F "$T/ssh_config" "$SRC" \
	    'lab[001-008]:small.bin'
	expect_rc 0
	_cpu_fanscp "$T/big.cpu" -F "$T/ssh_config" \
	    -o "UserKnownHostsFile=$kh" "$SRC" 'lab[001-008]:big.bin'
	expect_rc 0
	read -r small_cpu small_wall <"$T/small.cpu"
	read -r big_cpu big_wall <"$T/big.cpu"
	diag "8 hosts, the fixture's known_hosts: ${small_cpu}s CPU, ${small_wall}s wall"
	diag "8 hosts, 50,000 hashed lines: ${big_cpu}s CPU, ${big_wall}s wall"
	for n in 1 2 3 4 5 6 7 8; do
		expect_copy $n small.bin "$SRC"
		expect_copy $n big.bin "$SRC"
	done
	cmp -s "$kh" "$T/kh_before" || fail "known_hosts was modified"
	# Sanitizers and valgrind multiply CPU time: no bound under them.
	if [ "$FANSCP_VALGRIND" != 1 ] && ! grep -q __asan_init "$FANSCP"; then
		awk -v b="$big_cpu" -v s="$small_cpu" 'BEGIN { exit !(b <= s + 1) }' ||
		    fail "the big known_hosts cost ${big_cpu}s of CPU (${small_cpu}s without it)"
	fi
}

# The fixture's known_hosts lines for host $1, renamed to $2.
_kh_as() {
	grep -F "[127.0.0.1]:$(host_port "$1") " "$T/known_hosts" |
	    sed "s/^[^ ]*/$2/"
}

# HostKeyAlias: the alias alone is looked up.  lab001 under an alias
# pinned to lab002's keys is an impostor, even though its own
# [127.0.0.1]:port line is in the file; lab002 under that alias is fine;
# accept-new writes the alias, and ssh then trusts the line.
scen_hkalias() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	kh=$T/kh_alias
	cp "$T/known_hosts" "$kh"
	_kh_as 2 pinned.alias >>"$kh"
	cp "$kh" "$T/kh_before"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
	    -o HostKeyAlias=Pinned.Alias "$SRC" lab001:a.bin lab002:a.bin
	expect_rc 1
	expect_err lab001 "host key mismatch"
	expect_err lab001 "ssh-keygen -R 'pinned.alias'"
	fp_seen=0
	for fp in $(host_fingerprints 1); do
		grep -qF "$fp" "$T/err" && fp_seen=1
	done
	[ "$fp_seen" = 1 ] || fail "lab001: the presented fingerprint is not named"
	expect_home 1
	expect_copy 2 a.bin "$SRC"
	expect_no_err lab002
	cmp -s "$kh" "$T/kh_before" || fail "known_hosts was modified"
	# The reference: ssh refuses lab001 under that alias too.
	"$SSH" -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" -o BatchMode=yes \
	    -o HostKeyAlias=pinned.alias lab001 true 2>/dev/null &&
	    fail "fixture: ssh accepts lab001 under the alias"

	new=$T/kh_new
	: >"$new"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$new" \
	    -o StrictHostKeyChecking=accept-new -o HostKeyAlias=lab003.pinned \
	    "$SRC" lab003:b.bin
	expect_rc 0
	expect_copy 3 b.bin "$SRC"
	lines=$(wc -l <"$new" | tr -d ' ')
	[ "$lines" = 1 ] || fail "accept-new added $lines lines, expected 1"
	set -- $(head -1 "$new") '' ''
	[ "$1" = lab003.pinned ] ||
	    fail "accept-new wrote the name '$1', expected lab003.pinned"
	"$SSH" -F "$T/ssh_config" -o "UserKnownHostsFile=$new" -o BatchMode=yes \
	    -o HostKeyAlias=lab003.pinned -o "HostKeyAlgorithms=${2:-none}" \
	    lab003 true 2>"$T/ssh.err" ||
	    fail "ssh rejects the added line: $(head -2 "$T/ssh.err")"
}

# On a port other than 22 with no [host]:port line, a plain "host" line
# decides, as in OpenSSH: lab001's own keys under "127.0.0.1" let it in
# (accept-new writes nothing), and lab002, which presents other keys under
# that same name, fails with a mismatch and is not added.
scen_portfallback() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	kh=$T/kh_plain
	_kh_as 1 127.0.0.1 >"$kh"
	cp "$kh" "$T/kh_before"
	# The reference: ssh trusts lab001 through the plain line.
	"$SSH" -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" -o BatchMode=yes \
	    lab001 true 2>/dev/null ||
	    fail "fixture: ssh does not fall back to the plain line"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
	    -o StrictHostKeyChecking=accept-new "$SRC" lab001:p.bin lab002:p.bin
	expect_rc 1
	expect_copy 1 p.bin "$SRC"
	expect_no_err lab001
	expect_err lab002 "host key mismatch"
	expect_err lab002 "ssh-keygen -R '127.0.0.1'"
	expect_home 2
	cmp -s "$kh" "$T/kh_before" || fail "known_hosts was modified"
}

# accept-new on a full disk: known_hosts on a small tmpfs, its last page
# all but full, the rest of the tmpfs taken.  The append cannot be
# written whole; the host fails and the file is byte for byte as it was.
scen_khfull() {
	need_fanscp || return
	need_root || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	small=$T/small
	mkdir "$small"
	fixture_cleanup "umount '$small' 2>/dev/null || umount -l '$small'"
	mount -t tmpfs -o size=64k,mode=755 fanscp-kh "$small" ||
	    { fail "fixture: cannot mount a tmpfs on $small"; return; }
	kh=$small/known_hosts
	_kh_as 2 "[127.0.0.1]:$(host_port 2)" >"$kh"
	# Pad to 20 bytes short of a page: the new line must spill over.
	pad=$(( 4096 - $(wc -c <"$kh") % 4096 - 20 ))
	[ "$pad" -gt 2 ] || pad=$((pad + 4096))
	python3 -c 'import sys; sys.stdout.write("#" * (int(sys.argv[1]) - 1) + "\n")' \
	    "$pad" >>"$kh"
	dd if=/dev/zero of="$small/fill" bs=4096 2>/dev/null
	cp "$kh" "$T/kh_before"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
	    -o StrictHostKeyChecking=accept-new "$SRC" lab001:f.bin lab002:f.bin
	expect_rc 1
	expect_err lab001 "cannot add host key"
	expect_err lab001 "No space left on device"
	expect_home 1
	expect_copy 2 f.bin "$SRC"
	cmp -s "$kh" "$T/kh_before" ||
	    fail "known_hosts changed: $(wc -c <"$kh") bytes, was $(wc -c <"$T/kh_before")"
}

# Keys fanscp cannot honour fail the host with a reason rather than being
# ignored; their harmless settings pass; ForwardAgent yes is a -v note.
scen_khoptions() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	for opt in CheckHostIP=yes \
	    VerifyHostKeyDNS=yes VerifyHostKeyDNS=ask \
	    CanonicalizeHostname=yes; do
		run_fanscp -F "$T/ssh_config" -o "$opt" "$SRC" lab001:o.bin
		expect_rc 1 "$opt: $LAST_CMD"
		expect_err lab001 "${opt%%=*}"
		expect_err lab001 "not supported"
		expect_home 1
	done
	run_fanscp -v -F "$T/ssh_config" -o KnownHostsCommand=none \
	    -o CheckHostIP=no -o VerifyHostKeyDNS=no -o ForwardAgent=yes \
	    -o CanonicalizeHostname=no \
	    "$SRC" lab001:o.bin lab002:o.bin
	expect_rc 0
	expect_copy 1 o.bin "$SRC"
	expect_copy 2 o.bin "$SRC"
	expect_err lab001 "ForwardAgent ignored"
	expect_err lab001 "libssh2 1.10 cannot serve the agent channel"
}

# KnownHostsCommand, as ssh runs it: the lines it prints for %H are
# checked (lab001's keys let it in, with an empty UserKnownHostsFile left
# empty; lab002 presenting other keys under its name fails), its arguments
# are expanded per word, and a command that fails fails the host.  ssh
# agrees on both hosts.
scen_khcommand() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	cat >"$T/khcmd" <<EOF
#!/bin/sh
printf '%s|' "\$@" >>"$T/khcmd.args"
echo >>"$T/khcmd.args"
[ -e "$T/khcmd.fail" ] && exit 1
cat "$T/khcmd.out"
EOF
	chmod 755 "$T/khcmd"
	{
		_kh_as 1 "[127.0.0.1]:$(host_port 1)"
		_kh_as 1 "[127.0.0.1]:$(host_port 2)"
	} >"$T/khcmd.out"
	: >"$T/kh_empty"
	set -- -o "UserKnownHostsFile=$T/kh_empty" \
	    -o "KnownHostsCommand=$T/khcmd %H %I %t %f \"%% %p\""
	for n in 1 2; do
		"$SSH" -F "$T/ssh_config" -o BatchMode=yes "$@" \
		    "$(host_name $n)" true 2>/dev/null
		echo "$n $?"
	done >"$T/ssh.rc"
	[ "$(cat "$T/ssh.rc" | tr '\n' ' ')" = "1 0 2 255 " ] ||
	    fail "fixture: ssh gives $(cat "$T/ssh.rc" | tr '\n' ' ')"
	: >"$T/khcmd.args"
	run_fanscp -F "$T/ssh_config" "$@" "$SRC" lab001:c.bin lab002:c.bin
	expect_rc 1
	expect_copy 1 c.bin "$SRC"
	expect_no_err lab001
	expect_err lab002 "host key mismatch"
	expect_err lab002 "KnownHostsCommand"
	expect_home 2
	[ -s "$T/kh_empty" ] && fail "known_hosts was written"
	p1=$(host_port 1)
	grep -q "^\[127.0.0.1\]:$p1|ORDER|NONE|NONE|% $p1|\$" "$T/khcmd.args" ||
	    fail "no ORDER run for lab001: $(head -3 "$T/khcmd.args")"
	fp_seen=0
	for fp in $(host_fingerprints 1); do
		grep -q "^\[127.0.0.1\]:$p1|HOSTNAME|[a-z0-9-]*|$fp|% $p1|\$" \
		    "$T/khcmd.args" && fp_seen=1
	done
	[ "$fp_seen" = 1 ] ||
	    fail "no HOSTNAME run for lab001: $(cat "$T/khcmd.args")"
	touch "$T/khcmd.fail"
	run_fanscp -F "$T/ssh_config" "$@" "$SRC" lab001:d.bin
	expect_rc 1
	expect_err lab001 "KnownHostsCommand"
	expect_err lab001 "exit status 1"
	expect_home 1 c.bin
}

# RevokedHostKeys: a host whose key the file lists is refused though
# known_hosts holds the key, as ssh refuses it; a binary KRL, which
# fanscp cannot read, and a missing file refuse every host.
scen_revokedkeys() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	rev=$T/revoked
	cat "$(host_dir 1)/ssh_host_ed25519_key.pub" \
	    "$(host_dir 1)/ssh_host_ecdsa_key.pub" >"$rev"
	"$SSH" -F "$T/ssh_config" -o BatchMode=yes -o "RevokedHostKeys=$rev" \
	    lab001 true 2>/dev/null && fail "fixture: ssh accepts lab001"
	run_fanscp -F "$T/ssh_config" -o "RevokedHostKeys=$rev" "$SRC" \
	    lab001:r.bin lab002:r.bin
	expect_rc 1
	expect_err lab001 "host key is revoked"
	expect_err lab001 "RevokedHostKeys '$rev'"
	expect_home 1
	expect_copy 2 r.bin "$SRC"
	ssh-keygen -q -k -f "$T/revoked.krl" "$rev" ||
	    { fail "fixture: ssh-keygen -k failed"; return; }
	run_fanscp -F "$T/ssh_config" -o "RevokedHostKeys=$T/revoked.krl" \
	    "$SRC" lab002:k.bin
	expect_rc 1
	expect_err lab002 "KRL"
	run_fanscp -F "$T/ssh_config" -o "RevokedHostKeys=$T/nonexistent" \
	    "$SRC" lab002:k.bin
	expect_rc 1
	expect_err lab002 "cannot read RevokedHostKeys"
	expect_home 2 r.bin
}

# A Match exec block that points lab001 at a known_hosts of other keys:
# ssh runs the command and refuses the host.  fanscp cannot run it, so it
# fails the host naming the line, rather than skip the block and accept.
# lab002, which the block's host criterion excludes, is copied.
scen_matchexec() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	_kh_as 2 "[127.0.0.1]:$(host_port 1)" >"$T/kh_other"
	{
		printf 'Match host lab001 exec true\n'
		printf '\tUserKnownHostsFile %s\n' "$T/kh_other"
		cat "$T/ssh_config"
	} >"$T/ssh_config_exec"
	"$SSH" -F "$T/ssh_config_exec" -o BatchMode=yes lab001 true \
	    2>/dev/null && fail "fixture: ssh accepts lab001"
	run_fanscp -F "$T/ssh_config_exec" "$SRC" lab001:m.bin lab002:m.bin
	expect_rc 1
	expect_err lab001 "UserKnownHostsFile"
	expect_err lab001 "cannot evaluate the Match on line 1"
	expect_home 1
	expect_copy 2 m.bin "$SRC"
}

# HostKeyAlgorithms is honoured: allowed only ECDSA, a host known by its
# ed25519 key alone is refused, as ssh refuses it; allowed ed25519, it
# is copied.  The same holds when a "Match final" block sets it.
scen_hkalgs() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	kh=$T/kh_ed
	grep -F "[127.0.0.1]:$(host_port 1) ssh-ed25519 " "$T/known_hosts" >"$kh"
	"$SSH" -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" -o BatchMode=yes \
	    -o HostKeyAlgorithms=ecdsa-sha2-nistp256 lab001 true \
	    2>/dev/null && fail "fixture: ssh accepts lab001"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
	    -o HostKeyAlgorithms=ecdsa-sha2-nistp256 "$SRC" lab001:g.bin
	expect_rc 1
	expect_err lab001 "ecdsa-sha2-nistp256"
	expect_home 1
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
	    -o HostKeyAlgorithms=-ecdsa-* "$SRC" lab001:g.bin
	expect_rc 0
	expect_copy 1 g.bin "$SRC"
	# Set in a "Match final" block, as RHEL's crypto-policies do: ssh
	# reads such blocks in a second pass, and so does fanscp.
	{
		printf 'Match final all\n\tHostKeyAlgorithms ecdsa-sha2-nistp256\n'
		cat "$T/ssh_config"
	} >"$T/ssh_config_final"
	"$SSH" -F "$T/ssh_config_final" -o "UserKnownHostsFile=$kh" \
	    -o BatchMode=yes lab001 true 2>/dev/null &&
	    fail "fixture: ssh accepts lab001 with the final block"
	run_fanscp -F "$T/ssh_config_final" -o "UserKnownHostsFile=$kh" \
	    "$SRC" lab001:h.bin
	expect_rc 1
	expect_err lab001 "ecdsa-sha2-nistp256"
	expect_home 1 g.bin
}
