# ssh_config and known_hosts variants, duplicate targets, odd destinations.
ALL_SCENARIOS="$ALL_SCENARIOS keytypes hashedkh sshconfig defaults twice quiet baddest readonly shells"

# Each host known by one key type only: the other type must not be chosen
# (or, if chosen, must not fail the host), as OpenSSH's ssh manages.
scen_keytypes() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	kh=$T/kh_onetype
	grep -F "[127.0.0.1]:$(host_port 1) ecdsa-" "$T/known_hosts" >"$kh"
	grep -F "[127.0.0.1]:$(host_port 2) ssh-ed25519 " "$T/known_hosts" >>"$kh"
	[ "$(wc -l <"$kh" | tr -d ' ')" = 2 ] || fail "fixture: bad $kh"
	cp "$kh" "$T/kh_before"
	for n in 1 2; do	# the reference: OpenSSH copes
		"$SSH" -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" \
		    -o BatchMode=yes "$(host_name $n)" true 2>/dev/null ||
		    fail "fixture: ssh itself fails with $kh"
	done
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$kh" "$SRC" \
	    'lab[001-002]:k.bin'
	expect_rc 0
	for n in 1 2; do
		expect_copy $n k.bin "$SRC"
		expect_home $n k.bin
	done
	cmp -s "$kh" "$T/kh_before" || fail "known_hosts was modified"
}

# A known_hosts file hashed with ssh-keygen -H.
scen_hashedkh() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	cp "$T/known_hosts" "$T/kh_hashed"
	ssh-keygen -q -H -f "$T/kh_hashed" >/dev/null 2>&1 ||
	    fail "fixture: ssh-keygen -H failed"
	rm -f "$T/kh_hashed.old"
	grep -q '^|1|' "$T/kh_hashed" || fail "fixture: not hashed"
	# lab003's entry stays plain but holds other keys: still a mismatch.
	change_hostkey 3
	grep -F "[127.0.0.1]:$(host_port 3) " "$T/known_hosts" >"$T/kh_other"
	p3=$(host_port 3)
	cp "$T/kh_hashed" "$T/kh_mixed"
	ssh-keygen -q -R "[127.0.0.1]:$p3" -f "$T/kh_mixed" >/dev/null 2>&1
	rm -f "$T/kh_mixed.old"
	cat "$T/kh_other" >>"$T/kh_mixed"
	run_fanscp -F "$T/ssh_config" -o "UserKnownHostsFile=$T/kh_mixed" \
	    "$SRC" 'lab[001-003]:h.bin'
	expect_rc 1
	expect_err lab003 mismatch
	expect_home 3
	for n in 1 2; do
		expect_copy $n h.bin "$SRC"
		expect_no_err "$(host_name $n)"
		expect_home $n h.bin
	done
}

# ssh_config resolution: Include, wildcard and negated patterns, first
# value wins, an alias whose HostName/Port select the known_hosts entry.
scen_sshconfig() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	cat >"$T/common.conf" <<EOF2
Host lab* alpha !lab009
	HostName 127.0.0.1
	User $FIXTURE_USER
	IdentityFile $T/nonexistent_key
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $T/nonexistent_kh $T/known_hosts
	StrictHostKeyChecking yes
Host *
	Port 1
	ConnectTimeout 10
EOF2
	cat >"$T/alt_config" <<EOF2
# comment
Host lab001
	Port $(host_port 1)
host LAB002 lab002
  port=$(host_port 2)
Host alpha
	Port "$(host_port 3)"
Host lab009
	Port 1
Host *
Include $T/common.conf
EOF2
	# The reference: what OpenSSH makes of it.
	for h in lab001 lab002 alpha; do
		"$SSH" -G -F "$T/alt_config" "$h" >"$T/ssh-G" 2>&1 ||
		    fail "fixture: ssh -G $h fails: $(head -2 "$T/ssh-G")"
		grep -qx 'hostname 127.0.0.1' "$T/ssh-G" ||
		    fail "fixture: ssh -G $h: $(grep '^hostname' "$T/ssh-G")"
	done
	run_fanscp -F "$T/alt_config" "$SRC" lab001:c.bin lab002:c.bin \
	    alpha:c.bin
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n c.bin "$SRC"
		expect_home $n c.bin
	done
	expect_no_err alpha
}

# No -F: ~/.ssh/config, ~/.ssh/id_ed25519 and ~/.ssh/known_hosts, with
# HOME pointing at $T/local as it does for every run.
scen_defaults() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	mkdir -m 700 "$T/local/.ssh"
	cp "$T/id_ed25519" "$T/id_ed25519.pub" "$T/known_hosts" "$T/local/.ssh/"
	grep -vE 'IdentityFile|IdentitiesOnly|UserKnownHostsFile' \
	    "$T/ssh_config" >"$T/local/.ssh/config"
	run_fanscp "$SRC" 'lab[001-002]:d.bin'
	expect_rc 0
	for n in 1 2; do
		expect_copy $n d.bin "$SRC"
		expect_home $n d.bin
	done
}

# One host named several times: each distinct path is written, an exact
# repeat is sent once.
scen_twice() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" "$SRC" lab001:a.bin lab001:b.bin \
	    lab001:a.bin 'lab[001-002]:c.bin' lab002:c.bin
	expect_rc 0
	for f in a.bin b.bin c.bin; do expect_copy 1 $f "$SRC"; done
	expect_home 1 a.bin b.bin c.bin
	expect_copy 2 c.bin "$SRC"
	expect_home 2 c.bin
}

# -q: nothing on stderr when all goes well.
scen_quiet() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	run_fanscp -F "$T/ssh_config" -q "$SRC" 'lab[001-002]:q.bin'
	expect_rc 0
	[ -s "$T/err" ] && { fail "stderr not empty under -q"; show_output; }
	[ -s "$T/out" ] && { fail "stdout not empty under -q"; show_output; }
	expect_home 1 q.bin
	expect_home 2 q.bin
}

# Destinations that cannot be written: a directory where the file should
# go, a regular file used as a directory.
scen_baddest() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	mkdir "$(host_home 1)/data.bin"
	printf 'x\n' >"$(host_home 2)/file"
	run_fanscp -F "$T/ssh_config" "$SRC" lab001: lab002:file/x lab003:
	expect_rc 1
	expect_err lab001 "is a directory"
	expect_err lab002 "file/x"
	expect_home 1 data.bin
	expect_home 2 file
	[ "$(cat "$(host_home 2)/file")" = x ] || fail "lab002: 'file' changed"
	expect_copy 3 data.bin "$SRC"
	expect_home 3 data.bin
	expect_no_err lab003
}

# A directory we may not write to: as a normal user a mode 555 directory,
# as root (who ignores modes) a read-only bind mount of it.  The host fails
# with the remote error, nothing lands there, the other host is served.
scen_readonly() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	ro=$(host_home 1)/ro
	mkdir "$ro"
	printf 'old\n' >"$ro/data.bin"
	if [ "$(id -u)" = 0 ]; then
		fixture_cleanup "umount '$ro' 2>/dev/null || umount -l '$ro'"
		mount --bind "$ro" "$ro" && mount -o remount,bind,ro "$ro" ||
		    { fail "fixture: cannot mount '$ro' read-only"; return; }
		touch "$ro/probe" 2>/dev/null &&
		    { fail "fixture: '$ro' is writable after the ro mount"; return; }
		why="read-only file system"
	else
		chmod 555 "$ro"
		why="permission denied"
	fi
	run_fanscp -F "$T/ssh_config" "$SRC" lab001:ro/ lab002:
	expect_rc 1
	expect_err lab001 "$why"
	expect_err lab001 "ro/"
	[ "$(cat "$ro/data.bin")" = old ] || fail "lab001: ro/data.bin changed"
	expect_home 1 ro ro/data.bin
	expect_copy 2 data.bin "$SRC"
	expect_no_err lab002
	expect_home 2 data.bin
	[ "$(id -u)" = 0 ] || chmod 755 "$ro"
}

# Remote shells: dash, bash, zsh and busybox (its sh and its tools) all run
# the remote scripts: odd names, -p, --verify, a replaced file, an error.
scen_shells() {
	need_fanscp || return
	fixture_start 4
	shells="/bin/dash /bin/bash zsh busybox"
	n=1
	for sh in $shells; do
		case $sh in
		busybox) command -v busybox >/dev/null 2>&1 ;;
		*) command -v "$sh" >/dev/null 2>&1 ;;
		esac || { diag "no $sh here: lab00$n keeps /bin/sh"; n=$((n + 1)); continue; }
		set_shell $n "$sh"
		n=$((n + 1))
	done
	[ "$(ssh_host 4 'readlink -f "$(command -v cat)"')" = "$(readlink -f "$(command -v busybox)")" ] ||
	    diag "lab004 does not use busybox tools"
	nl='
'
	name="sp ace 'q' \"d\" \$(touch PWNED) \`touch PWNED2\`$nl-z"
	SRC=$T/src/$name
	mkrandom "$SRC" 300000
	chmod 640 "$SRC"
	TZ=UTC0 touch -m -t 200102030405.06 "$SRC"
	want=$(stat -c '%a %Y' "$SRC")
	run_fanscp -F "$T/ssh_config" -p --verify "$SRC" 'lab[001-004]:'
	expect_rc 0
	for n in 1 2 3 4; do
		expect_copy $n "$name" "$SRC"
		got=$(stat -c '%a %Y' "$(host_home $n)/$name" 2>/dev/null)
		[ "$got" = "$want" ] ||
		    fail "$(host_name $n): mode/mtime '$got', expected '$want'"
		chmod 604 "$(host_home $n)/$name"
	done
	# Replace without -p: the old file's mode stays.
	mkrandom "$SRC" 1000
	run_fanscp -F "$T/ssh_config" --verify "$SRC" 'lab[001-004]:'
	expect_rc 0
	for n in 1 2 3 4; do
		expect_copy $n "$name" "$SRC"
		expect_mode $n "$name" 604
	done
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-004]:no/such/dir/'
	expect_rc 1
	for n in 1 2 3 4; do
		expect_err "$(host_name $n)" "no/such/dir"
		expect_home $n "$name"
	done
	expect_no_pwned
}
