# --relay: the file passed host to host over SSH, each host writing and
# checking its own copy, with nothing left behind (relay.h).
ALL_SCENARIOS="$ALL_SCENARIOS relay_chain relay_tree relay_kill relay_freeze relay_fallback relay_sigint relay_key relay_compress relay_existing relay_sudo relay_payloads relay_scale relay_lab relay_usage"

# expect_relay_clean N: host N holds no relay key line, lock or work dir.
expect_relay_clean() {
	_h=$(host_home "$1")
	! grep -q fanscp-relay "$_h/.ssh/authorized_keys" 2>/dev/null ||
	    fail "$(host_name "$1"): a relay key is left in authorized_keys"
	for _f in "$_h"/.fanscp-relay.* "$_h"/.ssh/authorized_keys.*; do
		[ -e "$_f" ] || [ -L "$_f" ] || continue
		fail "$(host_name "$1"): left behind: $_f"
	done
}

# expect_fed N [no]: host N's sshd let in a one-job relay key (found in
# the home's authorized_keys), or did not.
expect_fed() {
	if grep -q "found at $(host_home "$1")/.ssh/authorized_keys" \
	    "$(host_log "$1")"; then
		[ "${2:-}" != no ] || fail "$(host_name "$1"): fed by a relay host"
	else
		[ "${2:-}" = no ] || fail "$(host_name "$1"): not fed by a relay host"
	fi
}

# A chain of 8: fanscp sends to the first host only (its sshd log shows
# the others logged in by their own keys for the data), every copy is
# verified, and nothing of the relay is left.
scen_relay_chain() {
	need_fanscp || return
	fixture_start 8
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 3000000
	run_fanscp -F "$T/ssh_config" -v --relay --verify "$S/f.bin" \
	    'lab[001-008]:f.bin'
	expect_rc 0
	for n in 1 2 3 4 5 6 7 8; do
		expect_copy $n f.bin "$S/f.bin"
		expect_no_stray $n
		expect_relay_clean $n
	done
	expect_fed 1 no
	for n in 2 3 4 5 6 7 8; do expect_fed $n; done
	! grep -q 'relay: the stream from' "$T/err" ||
	    fail "a hop did not carry the whole file"
	# A hostile name, through a chain of 3: the path is quoted on every
	# hop, since the hops carry bytes only, never a name.
	name='-x $(touch PWNED1) `touch PWNED2` "q" '"'s'"' sp
nl'
	run_fanscp -F "$T/ssh_config" --relay "$S/f.bin" \
	    "lab001:$name" "lab002:$name" "lab003:$name"
	expect_rc 0
	for n in 1 2 3; do expect_copy $n "$name" "$S/f.bin"; done
	expect_fed 3
	expect_no_pwned
}

# --relay-fanout 2: a tree of 7 (1 feeds 2 and 3, 2 feeds 4 and 5, 3
# feeds 6 and 7); -p keeps mode and times on every copy.
scen_relay_tree() {
	need_fanscp || return
	fixture_start 7
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 2000000
	chmod 640 "$S/f.bin"
	touch -d '2020-01-02 03:04:05' "$S/f.bin"
	run_fanscp -F "$T/ssh_config" --relay --relay-fanout 2 -p \
	    "$S/f.bin" 'lab[001-007]:'
	expect_rc 0
	expect_fed 1 no
	for n in 1 2 3 4 5 6 7; do
		expect_copy $n f.bin "$S/f.bin"
		expect_mode $n f.bin 640
		[ "$(stat -c %Y "$(host_home $n)/f.bin")" = \
		    "$(stat -c %Y "$S/f.bin")" ] ||
		    fail "$(host_name $n): -p did not keep the mtime"
		expect_no_stray $n
		expect_relay_clean $n
		[ $n = 1 ] || expect_fed $n
	done
}

# relay_start N BYTES ARGS...: a file of BYTES to lab001..N through a
# chain, paced by -l so that it is mid-stream for a while; waits until
# host 3 holds 300 kB of it.
relay_start() {
	_n=$1 _b=$2
	shift 2
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" "$_b"
	start_fanscp -F "$T/ssh_config" -v --relay --verify -l 12000 "$@" \
	    "$S/f.bin" "lab[001-$(printf %03d "$_n")]:f.bin"
	wait_temp_over 3 300000 30 >/dev/null ||
	    fail "host 3 never got 300 kB through the relay"
}

# A relay host killed mid-stream: it is named, the hosts after it are
# sent the rest by fanscp (resumed from what they hold), every other copy
# verifies, and no key is left on any host that lives.
scen_relay_kill() {
	need_fanscp || return
	fixture_start 6
	relay_start 6 6000000
	kill_host 3
	wait_fanscp
	expect_rc 1
	expect_err lab003 "lab003"
	for n in 1 2 4 5 6; do
		expect_copy $n f.bin "$S/f.bin"
		expect_no_stray $n
		expect_relay_clean $n
	done
	expect_absent 3 f.bin
	# Its key line went at first use; the host had no time to tidy more.
	! grep -q fanscp-relay "$(host_home 3)/.ssh/authorized_keys" ||
	    fail "lab003: its relay key line is left"
	grep -q 'lab004: relay: the stream from lab003 ended after' \
	    "$T/err" || fail "lab004 was not resumed from fanscp"
}

# A relay host frozen mid-stream (SIGSTOP, no FIN): the host before it
# gives up on it within seconds and finishes its own copy, the host
# after it sees its file stop growing and is sent the rest by fanscp, and
# the frozen host is named as stalled; the run ends in bounded time.
scen_relay_freeze() {
	need_fanscp || return
	fixture_start 5
	t0=$(date +%s)
	relay_start 5 6000000 --stall-timeout 10
	stop_host 3
	wait_fanscp
	t1=$(date +%s)
	cont_host 3
	expect_rc 1
	expect_err lab003 "stalled"
	for n in 1 2 4 5; do
		expect_copy $n f.bin "$S/f.bin"
		expect_no_stray $n
		expect_relay_clean $n
	done
	expect_absent 3 f.bin
	[ $((t1 - t0)) -le 40 ] || fail "the run took $((t1 - t0)) s"
	# Woken, the frozen host's receive finds its stream gone, and tidies.
	_i=0
	while [ $_i -lt 50 ] && ls -d "$(host_home 3)"/.fanscp-relay.* \
	    >/dev/null 2>&1; do
		sleep 0.2; _i=$((_i + 1))
	done
	expect_relay_clean 3
}

# --relay --compress: the hops carry the compressed bytes, and each host
# decompresses its own copy.  First a tree with gzip; then a chain with
# zstd, in the order given (--no-history: not the order the first run's
# rates would give), whose third host is killed mid-stream: the hosts after it hold
# compressed bytes, which fanscp completes from that offset of its
# compressed stream and which they decompress again from the first byte.
scen_relay_compress() {
	need_fanscp || return
	fixture_start 6
	S=$T/src
	mkdir -p "$S"
	# Base64 of random bytes: it shrinks by a quarter, no more.
	head -c 4500000 /dev/urandom | base64 >"$S/f.txt"
	run_fanscp -F "$T/ssh_config" -v --relay --relay-fanout 2 \
	    --compress gzip "$S/f.txt" 'lab[001-005]:'
	expect_rc 0
	expect_fed 1 no
	for n in 1 2 3 4 5; do
		expect_copy $n f.txt "$S/f.txt"
		expect_no_stray $n
		expect_relay_clean $n
		[ $n = 1 ] || expect_fed $n
	done
	start_fanscp -F "$T/ssh_config" -v --relay --verify -l 12000 \
	    --no-history --compress zstd "$S/f.txt" 'lab[001-006]:g.txt'
	wait_temp_over 3 300000 30 >/dev/null ||
	    fail "host 3 never got 300 kB through the relay"
	kill_host 3
	wait_fanscp
	expect_rc 1
	expect_err lab003 "lab003"
	for n in 1 2 4 5 6; do
		expect_copy $n g.txt "$S/f.txt"
		expect_no_stray $n
		expect_relay_clean $n
	done
	expect_absent 3 g.txt
	grep -q 'lab004: relay: the stream from lab003 ended after [0-9]* compressed bytes' \
	    "$T/err" || fail "lab004 was not resumed from fanscp"
}

# --relay-auth existing: the hosts already trust each other (here a
# deploy key, which each host's ssh is set up to use): no key is made, no
# authorized_keys is touched, and each copy is still checked.  lab004
# does not trust the deploy key: its parent's ssh is refused, and fanscp
# sends it the file itself.
scen_relay_existing() {
	need_fanscp || return
	fixture_start 4
	ssh-keygen -q -t ed25519 -N '' -C deploy -f "$T/deploy" </dev/null ||
	    fixture_die "ssh-keygen failed"
	for n in 1 2 3 4; do
		mkdir -p "$(host_dir $n)/bin" "$(host_home $n)/.ssh"
		printf '#!/bin/sh\nexec %s -i %s -o IdentitiesOnly=yes "$@"\n' \
		    "$(command -v ssh)" "$T/deploy" >"$(host_dir $n)/bin/ssh"
		chmod 755 "$(host_dir $n)/bin/ssh"
		: >>"$(host_home $n)/.ssh/authorized_keys"
	done
	for n in 2 3; do
		cat "$T/deploy.pub" >>"$(host_home $n)/.ssh/authorized_keys"
	done
	for n in 1 2 3 4; do
		cp "$(host_home $n)/.ssh/authorized_keys" "$T/ak$n"
	done
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 1500000
	run_fanscp -F "$T/ssh_config" -v --relay --relay-auth existing \
	    "$S/f.bin" 'lab[001-004]:'
	expect_rc 0
	for n in 1 2 3 4; do
		expect_copy $n f.bin "$S/f.bin"
		expect_no_stray $n
		expect_relay_clean $n
		cmp -s "$T/ak$n" "$(host_home $n)/.ssh/authorized_keys" ||
		    fail "$(host_name $n): authorized_keys was changed"
	done
	expect_fed 1 no
	expect_fed 2
	expect_fed 3
	expect_fed 4 no
	! grep -q 'lab003: relay: the stream from' "$T/err" ||
	    fail "lab002 did not pass lab003 the whole file"
	grep -q 'lab003: relay: its stream to lab004 failed: .*[Pp]ermission denied' \
	    "$T/err" || fail "-v does not say why lab004's hop failed"
	grep -q 'lab004: relay: the stream from lab003 ended after 0 bytes' \
	    "$T/err" || fail "lab004 was not sent the file by fanscp"
	run_fanscp -F "$T/ssh_config" --relay --relay-auth agent "$S/f.bin" \
	    lab001:
	expect_rc 2
	grep -q 'agent' "$T/err" || fail "no reason given for agent"
	run_fanscp -F "$T/ssh_config" --relay-auth existing "$S/f.bin" lab001:
	expect_rc 2
}

# --relay --sudo: the copies are root's, in a directory only root may
# write, but the hops are the login user's: their keys' lines go into that
# user's authorized_keys (in the home sudo does not give), which stays the
# user's, and nothing is left.
scen_relay_sudo() {
	ok=fanscp_rs_ok no=fanscp_rs_no
	need_fanscp || return
	sudo_fixture "$ok" "$no" 3 || return
	# ssh and ssh-keygen need the user's passwd entry, which a sandbox
	# with a private /etc/passwd (mode 600) hides: opened for the test.
	if ! sudo -n -u "$ok" id -un >/dev/null 2>&1; then
		_m=$(stat -c %a /etc/passwd)
		chmod 644 /etc/passwd
		fixture_cleanup "chmod $_m /etc/passwd"
	fi
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 1500000
	# Host 3 has no authorized_keys yet: the one made for the hop is
	# the user's too.
	for n in 1 2 3; do
		mkdir -m 755 "$(host_home $n)/etc"
		mkdir -m 700 "$(host_home $n)/.ssh"
		[ $n = 3 ] || : >"$(host_home $n)/.ssh/authorized_keys"
		chown -R "$ok" "$(host_home $n)/.ssh"
	done
	run_fanscp -F "$T/ssh_config" -v --relay --sudo "$S/f.bin" \
	    "$ok@lab001:etc/f.bin" "$ok@lab002:etc/f.bin" "$ok@lab003:etc/f.bin"
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n etc/f.bin "$S/f.bin"
		[ "$(stat -c %U "$(host_home $n)/etc/f.bin")" = root ] ||
		    fail "$(host_name $n): the copy is not root's"
		expect_no_stray $n
		expect_relay_clean $n
		[ "$(stat -c %U "$(host_home $n)/.ssh/authorized_keys")" = "$ok" ] ||
		    fail "$(host_name $n): authorized_keys is no longer $ok's"
	done
	expect_fed 1 no
	expect_fed 2
	expect_fed 3
	! grep -q 'relay: the stream from' "$T/err" ||
	    fail "a hop did not carry the whole file"
	grep -q "Accepted publickey for $ok .*ED25519" "$(host_log 3)" ||
	    fail "lab003: the hop did not log in as $ok"
}

# Every payload with a checked temp file is relayed: a tree (-r), several
# sources into a directory, and --exec (the command runs on each host once
# its own copy is checked).  The hops carry the archive or the data, and
# each host's commit is its payload's own.
scen_relay_payloads() {
	need_fanscp || return
	fixture_start 4
	S=$T/src
	mkdir -p "$S/tree/sub" "$S/tree/empty"
	mkrandom "$S/tree/a.bin" 700000
	mkrandom "$S/tree/sub/b.bin" 300000
	echo hello >"$S/tree/sub/c.txt"
	chmod 750 "$S/tree/sub"
	run_fanscp -F "$T/ssh_config" -v --relay -r "$S/tree" 'lab[001-004]:'
	expect_rc 0
	for n in 1 2 3 4; do
		expect_tree $n tree "$S/tree"
		expect_relay_clean $n
	done
	for n in 2 3 4; do expect_fed $n; done
	! grep -q 'relay: the stream from' "$T/err" ||
	    fail "-r: a hop did not carry the whole archive"
	for n in 1 2 3 4; do mkdir "$(host_home $n)/d"; done
	run_fanscp -F "$T/ssh_config" -v --relay "$S/tree/a.bin" \
	    "$S/tree/sub/b.bin" 'lab[001-004]:d/'
	expect_rc 0
	for n in 1 2 3 4; do
		expect_copy $n d/a.bin "$S/tree/a.bin"
		expect_copy $n d/b.bin "$S/tree/sub/b.bin"
		expect_no_stray $n
		expect_relay_clean $n
	done
	! grep -q 'relay: the stream from' "$T/err" ||
	    fail "several sources: a hop did not carry the whole archive"
	fed4=$(grep -c "found at $(host_home 4)/.ssh/authorized_keys" \
	    "$(host_log 4)")
	run_fanscp -F "$T/ssh_config" -v --relay --no-history \
	    --exec 'sha256sum >got.sha; echo ran >>ran.log' "$S/tree/a.bin" \
	    'lab[001-004]'
	expect_rc 0
	want=$(sha256 "$S/tree/a.bin")
	for n in 1 2 3 4; do
		_h=$(host_home $n)
		[ "$(cut -d' ' -f1 "$_h/got.sha")" = "$want" ] ||
		    fail "$(host_name $n): the command read other data"
		[ "$(cat "$_h/ran.log")" = ran ] ||
		    fail "$(host_name $n): the command ran $(wc -l <"$_h/ran.log") times"
		expect_relay_clean $n
	done
	! grep -q 'relay: the stream from' "$T/err" ||
	    fail "--exec: a hop did not carry the whole file"
	[ "$(grep -c "found at $(host_home 4)/.ssh/authorized_keys" \
	    "$(host_log 4)")" -gt "$fed4" ] ||
	    fail "--exec: lab004 was not fed by lab003"
}

# More hosts than the width: 40 targets, 10 on each of 4 sshds, at width
# 16, make three trees (16, 16, 8) that start one after another, each
# host fed by another but the three roots; ten targets share one
# authorized_keys, whose edits take turns under its lock.  The second run
# knows every host's rate: its trees are still runs of the order given.
# Then 160 targets.
scen_relay_scale() {
	need_fanscp || return
	fixture_start 4
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 400000
	set --
	for i in $(seq 1 40); do
		set -- "$@" "lab00$(( (i - 1) % 4 + 1 )):f$i.bin"
	done
	for round in 1 2; do
		run_fanscp -F "$T/ssh_config" -vv --relay --width 16 "$S/f.bin" "$@"
		expect_rc 0
		for i in $(seq 1 40); do
			expect_copy $(( (i - 1) % 4 + 1 )) f$i.bin "$S/f.bin"
		done
		[ "$(grep -c ': relay: fed by ' "$T/err")" = 37 ] ||
		    fail "round $round: $(grep -c ': relay: fed by ' "$T/err") of 37 hosts fed by another"
		! grep -q 'relay: the stream from\|relay: fanscp sends\|relay: it feeds no' \
		    "$T/err" || fail "round $round: $(grep -m1 'relay: the stream from\|relay: fanscp sends\|relay: it feeds no' "$T/err")"
		for n in 1 2 3 4; do
			expect_no_stray $n
			expect_relay_clean $n
		done
	done
	# 160 targets, 40 on each sshd, at width 64: ten trees, four at a
	# time, every copy done and nothing left.  Under load a hop may come
	# late and its host be sent the file by fanscp: most are relayed.
	set --
	for i in $(seq 1 160); do
		set -- "$@" "lab00$(( (i - 1) % 4 + 1 )):g$i.bin"
	done
	run_fanscp -F "$T/ssh_config" -vv --relay --width 64 "$S/f.bin" "$@"
	expect_rc 0
	for i in $(seq 1 160); do
		expect_copy $(( (i - 1) % 4 + 1 )) g$i.bin "$S/f.bin"
	done
	_fed=$(grep -c ': relay: fed by ' "$T/err")
	diag "160 targets at width 64: $_fed of 150 relayed"
	[ "$_fed" -ge 120 ] || fail "only $_fed of 150 hosts fed by another"
	for n in 1 2 3 4; do
		expect_no_stray $n
		expect_relay_clean $n
	done
}

# On the shaped lab (netns.sh): the source's uplink at 40 Mbit/s, six
# hosts at 200 that reach each other over the bridge.  A chain beats what
# the uplink allows direct sends (6 x 16 MiB / 40 Mbit/s = 20.1 s).  Then,
# the order given (--no-history), a relay host is killed and another
# frozen mid-stream: both are named, every other host gets a verified copy
# in bounded time, and no host keeps a key line, work directory or temp
# file, the frozen one too once it is woken.
scen_relay_lab() {
	need_fanscp || return
	lab_up 40 200 200 200 200 200 200 || return
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 16777216
	t0=$(lab_ms)
	run_fanscp -F "$T/ssh_config" --relay "$S/f.bin" 'lab[001-006]:f.bin'
	el=$(( $(lab_ms) - t0 ))
	expect_rc 0
	for n in 1 2 3 4 5 6; do
		expect_copy $n f.bin "$S/f.bin"
		expect_relay_clean $n
		[ $n = 1 ] || expect_fed $n
	done
	diag "a chain of 6, 16 MiB behind 40 Mbit/s: ${el} ms (direct sends need 20133 ms)"
	[ "$el" -lt 20133 ] ||
	    fail "the chain took ${el} ms, no less than direct sends need"
	t0=$(lab_ms)
	start_fanscp -F "$T/ssh_config" -v --relay --no-history \
	    --stall-timeout 8 "$S/f.bin" 'lab[001-006]:g.bin'
	wait_temp_over 3 2000000 30 >/dev/null ||
	    fail "host 3 never got 2 MB through the relay"
	kill_host 3
	stop_host 5
	wait_fanscp
	el=$(( $(lab_ms) - t0 ))
	cont_host 5
	expect_rc 1
	expect_err lab003 "lab003"
	expect_err lab005 "stalled"
	for n in 1 2 4 6; do
		expect_copy $n g.bin "$S/f.bin"
		expect_no_stray $n
		expect_relay_clean $n
	done
	expect_absent 3 g.bin
	expect_absent 5 g.bin
	[ "$el" -le 60000 ] || fail "the run with faults took ${el} ms"
	_i=0
	while [ $_i -lt 100 ] && { ls -d "$(host_home 5)"/.fanscp-relay.* ||
	    find "$(host_home 5)" -name '.*.fanscp.*' | grep -q .; } \
	    >/dev/null 2>&1; do
		sleep 0.2; _i=$((_i + 1))
	done
	expect_relay_clean 5
	expect_no_stray 5
}

# What --relay cannot pass on is refused before anything starts.
scen_relay_usage() {
	need_fanscp || return
	fixture_start 1
	echo x >"$T/f"
	run_fanscp -F "$T/ssh_config" --relay-fanout 2 "$T/f" lab001:
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --relay --relay-fanout 9 "$T/f" lab001:
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --relay --exec cat --exec-stream "$T/f" \
	    lab001
	expect_rc 2
	echo data | run_fanscp -F "$T/ssh_config" --relay - lab001:x
	expect_rc 2
	grep -q 'stream' "$T/err" || fail "no reason given for a stream"
	expect_absent 1 x
}

# Where a hop cannot be set up, fanscp sends to the host itself, and -v
# says why: host 2's authorized_keys cannot be written (a read-only
# mount), so fanscp feeds it, and it still feeds host 3; host 4's
# ssh-keygen fails (in a BusyBox world), so host 5 is fed by fanscp.
scen_relay_fallback() {
	need_fanscp || return
	need_root || return
	fixture_start 5
	ro=$(host_home 2)/.ssh
	mkdir -p "$ro"
	: >"$ro/authorized_keys"
	fixture_cleanup "umount '$ro' 2>/dev/null || umount -l '$ro'"
	mount --bind "$ro" "$ro" && mount -o remount,bind,ro "$ro" ||
	    { fail "fixture: cannot mount '$ro' read-only"; return; }
	set_shell 4 busybox
	printf '#!/bin/sh\necho no entropy >&2; exit 1\n' \
	    >"$(host_dir 4)/bin/ssh-keygen"
	chmod 755 "$(host_dir 4)/bin/ssh-keygen"
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 1000000
	run_fanscp -F "$T/ssh_config" -v --relay "$S/f.bin" 'lab[001-005]:'
	expect_rc 0
	for n in 1 2 3 4 5; do
		expect_copy $n f.bin "$S/f.bin"
		expect_no_stray $n
	done
	for n in 1 3 4 5; do expect_relay_clean $n; done
	expect_fed 2 no
	expect_fed 3
	expect_fed 4
	expect_fed 5 no
	grep -q "lab002: relay: fanscp sends it the data: .*not writable" \
	    "$T/err" || fail "-v does not say why lab002 was not relayed"
	grep -q "lab004: relay: it feeds no host: ssh-keygen failed: no entropy" \
	    "$T/err" || fail "-v does not say why lab004 feeds no host"
}

# SIGINT mid-stream: the run stops within seconds, and afterwards no host
# holds the file, a temp file, a relay key line or a work directory.
scen_relay_sigint() {
	need_fanscp || return
	fixture_start 5
	relay_start 5 6000000
	s0=$(date +%s)
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	expect_rc 130
	[ $(($(date +%s) - s0)) -le 10 ] || fail "slow to stop after SIGINT"
	for n in 1 2 3 4 5; do
		wait_no_tempfile $n 10 ||
		    fail "$(host_name $n): temp file left after SIGINT"
		expect_absent $n f.bin
		_i=0
		while [ $_i -lt 50 ] && ls -d "$(host_home $n)"/.fanscp-relay.* \
		    >/dev/null 2>&1; do
			sleep 0.2; _i=$((_i + 1))
		done
		expect_relay_clean $n
	done
}

# The one-job key: host 1's ssh is held back 3 s (a wrapper first in its
# PATH), while the key's line sits in host 2's authorized_keys: it is
# restricted to host 1's address and to the forced command, and has an
# expiry.  Installed on a host that runs the forced command (no
# ForceCommand), the key runs only that, never the command asked; from
# another address, it is refused.  At first use the line goes.
scen_relay_key() {
	need_fanscp || return
	fixture_start 3
	host_sshd_option 3 "ForceCommand none"
	mkdir -p "$(host_dir 1)/bin"
	printf '#!/bin/sh\nsleep 3\nexec %s "$@"\n' "$(command -v ssh)" \
	    >"$(host_dir 1)/bin/ssh"
	chmod 755 "$(host_dir 1)/bin/ssh"
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 100000
	start_fanscp -F "$T/ssh_config" --relay "$S/f.bin" 'lab[001-002]:'
	ak=$(host_home 2)/.ssh/authorized_keys
	_i=0
	while [ $_i -lt 100 ] && ! grep -q fanscp-relay "$ak" 2>/dev/null; do
		sleep 0.05; _i=$((_i + 1))
	done
	line=$(grep fanscp-relay "$ak")
	cp "$(host_home 1)"/.fanscp-relay.*/key "$T/stolen" 2>/dev/null ||
	    fail "no key pair in host 1's work directory"
	wait_fanscp
	expect_rc 0
	expect_copy 2 f.bin "$S/f.bin"
	expect_fed 2
	case $line in
	'restrict,from="127.0.0.1",command="exec /bin/sh '"$(host_home 2)"/.fanscp-relay.*'/hop",expiry-time="'[0-9]*'" ssh-ed25519 '*' fanscp-relay:'*) ;;
	*) fail "the key line is not restricted as it should be: $line" ;;
	esac
	! grep -q fanscp-relay "$ak" || fail "the key line is left"
	# The same line on host 3, whose sshd honours a key's command.
	mkdir -p "$(host_home 3)/.ssh"
	printf '%s\n' "$line" >"$(host_home 3)/.ssh/authorized_keys"
	chmod 600 "$T/stolen"
	_ssh3() {
		ssh -F /dev/null -i "$T/stolen" -o IdentitiesOnly=yes \
		    -o IdentityAgent=none -o BatchMode=yes \
		    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		    -o LogLevel=ERROR -p "$(host_port 3)" "$@" \
		    "$FIXTURE_USER@127.0.0.1" "touch $T/pwned" </dev/null \
		    >/dev/null 2>&1
	}
	_ssh3
	[ ! -e "$T/pwned" ] || fail "the key ran a command of the client's"
	[ "$(grep -c 'forced-command (key-option)' "$(host_log 3)")" = 1 ] ||
	    fail "the key's forced command did not run from its own address"
	_ssh3 -b 127.0.0.2
	[ ! -e "$T/pwned" ] || fail "the key ran a command from another address"
	[ "$(grep -c 'forced-command (key-option)' "$(host_log 3)")" = 1 ] ||
	    fail "the key was let in from another address"
	grep -q 'not from a permitted host' "$(host_log 3)" ||
	    fail "sshd did not refuse the key from another address"
}
