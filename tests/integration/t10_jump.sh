# Jump hosts (issue 10): -J and ProxyJump carry every target's session
# through direct-tcpip channels of one connection to the bastion per
# engine thread.  Host 1 is the bastion (AllowTcpForwarding yes; the
# fixture's other sshds forward nothing); the targets' host keys and the
# bastion's are checked, each under its own name.
ALL_SCENARIOS="$ALL_SCENARIOS jump_basic jump_config jump_threads jump_chain jump_refused jump_down jump_lost"

# The logins host N's sshd accepted so far.
_logins() { grep -c 'Accepted publickey' "$(host_log "$1")" 2>/dev/null || true; }

# _jump_copies SRC NAME N...: hosts N... hold NAME, identical to SRC.
_jump_copies() {
	_src=$1; _name=$2; shift 2
	for _n in "$@"; do
		expect_copy "$_n" "$_name" "$_src"
		expect_no_err "$(host_name "$_n")"
	done
}

# 1. -J lab001: 4 targets at --threads 1 through one bastion login; every
#    copy verified; the bastion itself receives nothing.
scen_jump_basic() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	fixture_start 5
	SRC=$T/src/j.bin
	mkrandom "$SRC" 3000000
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 1 --verify -J lab001 \
	    --json "$T/j.json" "$SRC" 'lab[002-005]:j.bin'
	expect_rc 0
	# The report says which jump host each target went through.
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
j = sorted((h["target"], h["jump"]) for h in r["hosts"])
assert j == [("lab00%d" % n, "lab001") for n in range(2, 6)], j' "$T/j.json" ||
	    fail "--json: no \"jump\": \"lab001\" on every record"
	_jump_copies "$SRC" j.bin 2 3 4 5
	expect_absent 1 j.bin
	_b1=$(_logins 1)
	[ $((_b1 - _b0)) -eq 1 ] ||
	    fail "the bastion saw $((_b1 - _b0)) logins, not 1"
	# A target's own key is checked end to end, under its own name: a
	# changed one fails that target alone, before anything is sent.
	change_hostkey 3
	run_fanscp -F "$T/ssh_config" --threads 1 -J lab001 "$SRC" \
	    'lab[002-003]:k.bin'
	expect_rc 1
	expect_err lab003 "host key"
	expect_absent 3 k.bin
	expect_copy 2 k.bin "$SRC"
	expect_kinds "1 hostkey"
}

# 2. ProxyJump from ssh_config, and as -o ProxyJump= (which the bastion's
#    own resolution does not take: -o options are the targets').
scen_jump_config() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	fixture_start 3
	SRC=$T/src/c.bin
	mkrandom "$SRC" 200000
	{ printf 'Host lab002 lab003\n\tProxyJump lab001\n\n'
	  cat "$T/ssh_config"; } >"$T/jump_config"
	_b0=$(_logins 1)
	run_fanscp -F "$T/jump_config" --threads 1 "$SRC" 'lab[002-003]:c.bin'
	expect_rc 0
	_jump_copies "$SRC" c.bin 2 3
	[ $(($(_logins 1) - _b0)) -eq 1 ] ||
	    fail "ProxyJump in ssh_config: the bastion saw $(($(_logins 1) - _b0)) logins, not 1"
	rm -f "$(host_home 2)/c.bin" "$(host_home 3)/c.bin"
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 1 -o ProxyJump=lab001 "$SRC" \
	    'lab[002-003]:c.bin'
	expect_rc 0
	_jump_copies "$SRC" c.bin 2 3
	[ $(($(_logins 1) - _b0)) -eq 1 ] ||
	    fail "-o ProxyJump: the bastion saw $(($(_logins 1) - _b0)) logins, not 1"
	# A malformed -J is refused before anything connects.
	run_fanscp -F "$T/ssh_config" -J 'lab001:99999' "$SRC" lab002:c2.bin
	expect_rc 2
	grep -q "^fanscp: -J: 'lab001:99999' is not \[user@\]host\[:port\]" \
	    "$T/err" || fail "no clear -J error: $(head -1 "$T/err")"
}

# 3. --threads 2: at most one bastion connection per engine thread, for
#    8 targets at width 8.
scen_jump_threads() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	fixture_start 9
	SRC=$T/src/t.bin
	mkrandom "$SRC" 1000000
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 2 --width 8 -J lab001 "$SRC" \
	    'lab[002-009]:t.bin'
	expect_rc 0
	_jump_copies "$SRC" t.bin 2 3 4 5 6 7 8 9
	_n=$(($(_logins 1) - _b0))
	[ "$_n" -ge 1 ] && [ "$_n" -le 2 ] ||
	    fail "--threads 2: the bastion saw $_n logins, not 1 or 2"
}

# 4. A chain: -J lab001,lab002 to lab003; each bastion logged in to once,
#    lab002 from lab001 (through its tunnel).
scen_jump_chain() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 2 "AllowTcpForwarding yes"
	fixture_start 4
	SRC=$T/src/ch.bin
	mkrandom "$SRC" 500000
	_a0=$(_logins 1); _b0=$(_logins 2)
	run_fanscp -F "$T/ssh_config" --threads 1 -J lab001,lab002 "$SRC" \
	    'lab[003-004]:ch.bin'
	expect_rc 0
	_jump_copies "$SRC" ch.bin 3 4
	expect_absent 2 ch.bin
	[ $(($(_logins 1) - _a0)) -eq 1 ] && [ $(($(_logins 2) - _b0)) -eq 1 ] ||
	    fail "chain: bastion logins $(($(_logins 1) - _a0)) and $(($(_logins 2) - _b0)), not 1 and 1"
}

# 5. A bastion that forwards nothing (the fixture's default): every target
#    fails with the channel's reason and a hint; nothing written anywhere.
scen_jump_refused() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/r.bin
	mkrandom "$SRC" 100000
	run_fanscp -F "$T/ssh_config" -J lab001 "$SRC" 'lab[002-003]:r.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001 cannot reach"
		expect_err "$(host_name "$_n")" "AllowTcpForwarding"
		expect_absent "$_n" r.bin
		expect_no_stray "$_n"
	done
	expect_kinds "2 connect"
}

# 6. A bastion that is down: each target names it and the cause; a bastion
#    whose host key changed: refused before any login, as a host key error.
scen_jump_down() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	fixture_start 3
	SRC=$T/src/d.bin
	mkrandom "$SRC" 100000
	change_hostkey 1
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" -J lab001 "$SRC" 'lab[002-003]:d.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001:"
		expect_err "$(host_name "$_n")" "host key"
		expect_absent "$_n" d.bin
	done
	expect_kinds "2 hostkey"
	[ "$(_logins 1)" -eq "$_b0" ] ||
	    fail "fanscp logged in to a bastion whose key changed"
	kill_host 1
	run_fanscp -F "$T/ssh_config" -J lab001 "$SRC" 'lab[002-003]:d.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001: connection refused"
		expect_absent "$_n" d.bin
	done
	expect_kinds "2 connect"
}

# 7. The bastion dies mid-transfer (its sshd and sessions killed): both
#    targets fail as lost, naming the jump host, within seconds; neither
#    holds the file or a temp file afterwards.
scen_jump_lost() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	fixture_start 3
	SRC=$T/src/l.bin
	mkrandom "$SRC" 8000000
	slow_host 2
	slow_host 3
	start_fanscp -F "$T/ssh_config" --threads 1 -J lab001 "$SRC" \
	    'lab[002-003]:l.bin'
	wait_temp_over 2 200000 30 >/dev/null || fail "no data reached lab002"
	_t0=$(date +%s)
	kill_host 1
	wait_fanscp
	_dt=$(($(date +%s) - _t0))
	expect_rc 1
	[ "$_dt" -le 15 ] || fail "the run took $_dt s to end after the bastion died"
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001"
		expect_absent "$_n" l.bin
	done
	expect_kinds "2 lost"
	sleep 2
	expect_no_stray 2
	expect_no_stray 3
}

# 8. The shaped-link lab (netns.sh), made so that fanscp's namespace
#    reaches only the bastion: its route to the hosts' segment is cut down
#    to lab001's address.  Direct, the targets are unreachable; through
#    -J lab001 all 6 get verified copies, and the bastion sees at most
#    --threads (2) logins for the whole run.  The link to the bastion is
#    shaped to 40 Mbit/s, so that its socket fills and the pump meets
#    libssh2's half-sent packets (EAGAIN, blocked outbound) and repeats
#    them.
ALL_SCENARIOS="$ALL_SCENARIOS jump_netns"
scen_jump_netns() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	lab_up 1000 40 1000 1000 1000 1000 1000 1000 1000 || return
	_s=$(lab_ns_sender)
	ip -n "$_s" route del 10.77.0.0/16 dev eth0 &&
	    ip -n "$_s" route add 10.77.1.1/32 dev eth0 src 10.77.0.1 ||
	    { fail "cannot cut the sender's routes down to the bastion"; return; }
	SRC=$T/src/n.bin
	mkrandom "$SRC" 2000000
	run_fanscp -F "$T/ssh_config" --connect-timeout 5 "$SRC" lab002:n.bin
	expect_rc 1
	expect_err lab002 "unreachable"
	expect_absent 2 n.bin
	_b0=$(_logins 1)
	run_fanscp -vv -F "$T/ssh_config" --threads 2 --width 6 --verify \
	    -J lab001 "$SRC" 'lab[003-008]:n.bin'
	expect_rc 0
	for _n in 3 4 5 6 7 8; do expect_copy "$_n" n.bin "$SRC"; done
	grep -q ': failed: ' "$T/err" && fail "a failure at -vv: $(grep ': failed: ' "$T/err" | head -3)"
	_p=$(grep -c '^fanscp: jump host lab001: a packet half sent' "$T/err")
	diag "the pump finished $_p half-sent packets first"
	[ "$_p" -ge 1 ] || fail "the shaped bastion link never filled its socket: the pump's repeat went untested"
	_n=$(($(_logins 1) - _b0))
	diag "the bastion saw $_n logins for 6 targets at --threads 2"
	[ "$_n" -ge 1 ] && [ "$_n" -le 2 ] ||
	    fail "the bastion saw $_n logins, not 1 or 2 (--threads 2)"
}

# 9. Retries behind a bastion that probes idle clients (ClientAliveInterval
#    1): lab002 is down, so its channel fails and it waits for its retries
#    (1 s, then 2 s) with no channel open on the bastion; the idle tunnel
#    is closed rather than left unanswering, and each retry fails for the
#    real reason (the jump host cannot reach it), not "connection lost".
#    lab003, behind the same bastion, is done.
ALL_SCENARIOS="$ALL_SCENARIOS jump_idle"
scen_jump_idle() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 1 "ClientAliveInterval 1"
	fixture_start 3
	SRC=$T/src/i.bin
	mkrandom "$SRC" 100000
	kill_host 2
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 1 --retries 2 -J lab001 \
	    "$SRC" lab002:i.bin lab003:i.bin
	expect_rc 1
	expect_err lab002 "jump host lab001 cannot reach"
	expect_copy 3 i.bin "$SRC"
	expect_no_err lab003
	grep -q '; failed: 1 connect; retried: lab002 (3 attempts)$' "$T/err" ||
	    fail "lab002 was not tried 3 times: $(tail -1 "$T/err")"
	diag "bastion logins over the run: $(($(_logins 1) - _b0))"
}

# Bastions that libssh2 cannot log in to (issue 10: "use a private ssh -M
# connection to the bastion, and carry each target through ssh -S ctl -W
# host:port").  Host 1's sshd offers one cipher that libssh2 1.10 lacks.
ALL_SCENARIOS="$ALL_SCENARIOS jump_ssh jump_ssh_libssh2 jump_ssh_refused jump_ssh_transport jump_ssh_lost jump_ssh_chain jump_ssh_hostile jump_ssh_idle"
_JUMP_SSH_CIPHER="Ciphers aes256-gcm@openssh.com"

# ssh processes of this fixture still running (the run's children).
_jump_ssh_left() {
	pgrep -f -- "-F $T/" 2>/dev/null | while read -r _p; do
		ps -o args= -p "$_p" 2>/dev/null
	done
}

# _jump_no_kids: no ssh child of fanscp survived the run.
_jump_no_kids() {
	sleep 0.3
	_left=$(_jump_ssh_left)
	[ -z "$_left" ] || fail "ssh children left running: $_left"
}

# 10. --transport auto: libssh2 finds no cipher in common with the bastion,
#    so the tunnel logs in over ssh (one ControlMaster) and carries each
#    target through "ssh -S -W"; 3 verified copies, ONE bastion login at
#    --threads 1, and -v says why ssh is used for it.
scen_jump_ssh() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 1 "$_JUMP_SSH_CIPHER"
	fixture_start 4
	SRC=$T/src/s.bin
	mkrandom "$SRC" 2000000
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 1 --verify -v -J lab001 \
	    "$SRC" 'lab[002-004]:s.bin'
	expect_rc 0
	for _n in 2 3 4; do
		expect_copy "$_n" s.bin "$SRC"
	done
	expect_absent 1 s.bin
	_n=$(($(_logins 1) - _b0))
	[ "$_n" -eq 1 ] || fail "the bastion saw $_n logins, not 1"
	expect_err lab001 "using ssh: no matching cipher"
	expect_err lab001 "logged in over ssh"
	_jump_no_kids
	# --threads 2: at most one ssh master per engine thread.
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 2 -J lab001 "$SRC" \
	    'lab[002-004]:s2.bin'
	expect_rc 0
	for _n in 2 3 4; do
		expect_copy "$_n" s2.bin "$SRC"
		expect_no_err "$(host_name "$_n")"
	done
	_n=$(($(_logins 1) - _b0))
	[ "$_n" -ge 1 ] && [ "$_n" -le 2 ] ||
	    fail "--threads 2: the bastion saw $_n logins, not 1 or 2"
	_jump_no_kids
}

# 11. The same bastion under --transport libssh2: every target fails,
#     naming the jump host and the cipher; no ssh runs; exit 1.
scen_jump_ssh_libssh2() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 1 "$_JUMP_SSH_CIPHER"
	fixture_start 3
	SRC=$T/src/l2.bin
	mkrandom "$SRC" 100000
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --transport libssh2 -J lab001 "$SRC" \
	    'lab[002-003]:l2.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001: no matching cipher"
		expect_err "$(host_name "$_n")" "--transport auto)"
		expect_absent "$_n" l2.bin
	done
	expect_kinds "2 ssh"
	[ "$(_logins 1)" -eq "$_b0" ] || fail "something logged in to the bastion"
	_jump_no_kids
}

# 12. A bastion over ssh that forwards nothing (AllowTcpForwarding no, the
#     fixture's default): each target fails naming the jump host, the
#     target and ssh's reason, with the hint; nothing written, no child
#     left.
scen_jump_ssh_refused() {
	need_fanscp || return
	host_sshd_option 1 "$_JUMP_SSH_CIPHER"
	fixture_start 3
	SRC=$T/src/sr.bin
	mkrandom "$SRC" 100000
	run_fanscp -F "$T/ssh_config" -J lab001 "$SRC" 'lab[002-003]:sr.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001 cannot reach 127.0.0.1 port $(host_port "$_n")"
		expect_err "$(host_name "$_n")" "forwarding request failed"
		expect_err "$(host_name "$_n")" "AllowTcpForwarding"
		expect_absent "$_n" sr.bin
		expect_no_stray "$_n"
	done
	expect_kinds "2 connect"
	_jump_no_kids
	# --transport ssh: the targets' own ssh through the master, refused
	# alike, each saying so in the same words.
	run_fanscp -F "$T/ssh_config" --transport ssh -J lab001 "$SRC" \
	    'lab[002-003]:sr.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001 cannot reach $(host_name "$_n"): stdio forwarding request failed"
		expect_err "$(host_name "$_n")" "AllowTcpForwarding"
		expect_absent "$_n" sr.bin
	done
	expect_kinds "2 connect"
	_jump_no_kids
}

# 13. --transport ssh: the bastion goes through a private ControlMaster,
#     and so does each target's own ssh, by a ProxyCommand through that
#     master ("targets on the ssh transport behind -J reuse that same
#     connection"): one bastion login for 3 targets at --threads 1.
scen_jump_ssh_transport() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	fixture_start 4
	SRC=$T/src/st.bin
	mkrandom "$SRC" 1000000
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --transport ssh --threads 1 --verify \
	    -J lab001 "$SRC" 'lab[002-004]:st.bin'
	expect_rc 0
	_jump_copies "$SRC" st.bin 2 3 4
	_n=$(($(_logins 1) - _b0))
	[ "$_n" -eq 1 ] || fail "the bastion saw $_n logins, not 1"
	_jump_no_kids
}

# 14. The bastion over ssh dies mid-transfer: its master ends, and with it
#     each target's ssh -W; both targets fail as lost, naming the jump
#     host, within seconds; no file, no temp file, no child left.
scen_jump_ssh_lost() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 1 "$_JUMP_SSH_CIPHER"
	fixture_start 3
	SRC=$T/src/sl.bin
	mkrandom "$SRC" 8000000
	slow_host 2
	slow_host 3
	start_fanscp -F "$T/ssh_config" --threads 1 -J lab001 "$SRC" \
	    'lab[002-003]:sl.bin'
	wait_temp_over 2 200000 30 >/dev/null || fail "no data reached lab002"
	# The master and a -W child per target run now (and so the check
	# for children left afterwards can see them).
	_kids=$(_jump_ssh_left | grep -c -- ' -W ')
	[ "$_kids" -eq 2 ] || fail "$_kids ssh -W children run, not 2"
	_jump_ssh_left | grep -q 'ControlMaster=yes' ||
	    fail "no ssh master runs: $(_jump_ssh_left)"
	_t0=$(date +%s)
	kill_host 1
	wait_fanscp
	_dt=$(($(date +%s) - _t0))
	expect_rc 1
	[ "$_dt" -le 15 ] || fail "the run took $_dt s to end after the bastion died"
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "jump host lab001: connection lost"
		expect_absent "$_n" sl.bin
	done
	expect_kinds "2 lost"
	_jump_no_kids
	sleep 2
	expect_no_stray 2
	expect_no_stray 3
}

# 15. A chain of two bastions libssh2 cannot log in to (-J lab001,lab002):
#     lab002's master goes through lab001's (a ProxyCommand), and the
#     targets through lab002's; one login on each bastion.
scen_jump_ssh_chain() {
	need_fanscp || return
	for _n in 1 2; do
		host_sshd_option "$_n" "AllowTcpForwarding yes"
		host_sshd_option "$_n" "$_JUMP_SSH_CIPHER"
	done
	fixture_start 4
	SRC=$T/src/sc.bin
	mkrandom "$SRC" 500000
	_a0=$(_logins 1); _b0=$(_logins 2)
	run_fanscp -F "$T/ssh_config" --threads 1 -J lab001,lab002 "$SRC" \
	    'lab[003-004]:sc.bin'
	expect_rc 0
	_jump_copies "$SRC" sc.bin 3 4
	expect_absent 2 sc.bin
	[ $(($(_logins 1) - _a0)) -eq 1 ] && [ $(($(_logins 2) - _b0)) -eq 1 ] ||
	    fail "chain: bastion logins $(($(_logins 1) - _a0)) and $(($(_logins 2) - _b0)), not 1 and 1"
	_jump_no_kids
}

# 16. A bastion named with shell syntax ($(...), backquotes, ${IFS}, ';')
#     under --transport ssh, where names reach ssh command lines and the
#     targets' ProxyCommand: as -J, a usage error; as ProxyJump in
#     ssh_config, each target fails on its configuration.  Nothing runs
#     (a ProxyCommand quotes the name anyway: test_sshlink.c), no child
#     is left.
scen_jump_ssh_hostile() {
	need_fanscp || return
	fixture_start 3
	_evil='b$(touch${IFS}PWNED1)`touch${IFS}PWNED2`;touch${IFS}PWNED3'
	SRC=$T/src/h.bin
	mkrandom "$SRC" 1000
	run_fanscp -F "$T/ssh_config" --transport ssh -J "$_evil" "$SRC" \
	    'lab[002-003]:h.bin'
	expect_rc 2
	grep -qF -- "fanscp: -J: '$_evil' is not" "$T/err" ||
	    fail "no clear -J error: $(head -1 "$T/err")"
	{ printf 'Host lab002 lab003\n\tProxyJump %s\n\n' "$_evil"
	  cat "$T/ssh_config"; } >"$T/evil_config"
	run_fanscp -F "$T/evil_config" --transport ssh "$SRC" \
	    'lab[002-003]:h.bin'
	expect_rc 1
	for _n in 2 3; do
		expect_err "$(host_name "$_n")" "ProxyJump"
		expect_absent "$_n" h.bin
	done
	expect_kinds "2 config"
	# A shell would have run in fanscp's directory (the repository's).
	for _f in PWNED1 PWNED2 PWNED3; do
		[ ! -e "$_f" ] || fail "$_f was created"
	done
	_jump_no_kids
}

# 17. jump_idle over ssh: lab002 is down, and waits for its retries with
#     no channel on the bastion, which probes idle clients; the master
#     answers the probes itself, so it stays, and each retry fails for the
#     real reason (ssh's words, without the AllowTcpForwarding hint, since
#     the bastion forwards); lab003 is done; one login; no child left.
scen_jump_ssh_idle() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 1 "ClientAliveInterval 1"
	host_sshd_option 1 "$_JUMP_SSH_CIPHER"
	fixture_start 3
	SRC=$T/src/si.bin
	mkrandom "$SRC" 100000
	kill_host 2
	_b0=$(_logins 1)
	run_fanscp -F "$T/ssh_config" --threads 1 --retries 2 -J lab001 \
	    "$SRC" lab002:si.bin lab003:si.bin
	expect_rc 1
	expect_err lab002 "jump host lab001 cannot reach 127.0.0.1 port"
	expect_copy 3 si.bin "$SRC"
	expect_no_err lab003
	grep -q '; failed: 1 connect; retried: lab002 (3 attempts)$' "$T/err" ||
	    fail "lab002 was not tried 3 times: $(tail -1 "$T/err")"
	expect_err lab002 "the host is down, or AllowTcpForwarding"
	[ $(($(_logins 1) - _b0)) -eq 1 ] ||
	    fail "bastion logins over the run: $(($(_logins 1) - _b0)), not 1"
	_jump_no_kids
}

# 18. A loop of jump hosts in a messy ssh_config (lab001 through lab002,
#     lab002 through lab001): the targets behind fail at once, naming the
#     loop, instead of waiting out the connect timeout (ssh itself would
#     fork until it ran out of processes).  A bastion whose own ProxyJump
#     names itself is simply reached directly.
ALL_SCENARIOS="$ALL_SCENARIOS jump_loop"
scen_jump_loop() {
	need_fanscp || return
	host_sshd_option 1 "AllowTcpForwarding yes"
	host_sshd_option 2 "AllowTcpForwarding yes"
	fixture_start 3
	SRC=$T/src/lp.bin
	mkrandom "$SRC" 100000
	{ printf 'Host lab001\n\tProxyJump lab002\n\nHost lab002\n\tProxyJump lab001\n\n'
	  printf 'Host lab003\n\tProxyJump lab001\n\n'
	  cat "$T/ssh_config"; } >"$T/loop_config"
	_t0=$(date +%s)
	run_fanscp -F "$T/loop_config" --connect-timeout 30 "$SRC" lab003:lp.bin
	_dt=$(($(date +%s) - _t0))
	expect_rc 1
	expect_err lab003 "ProxyJump loops"
	expect_absent 3 lp.bin
	[ "$_dt" -le 10 ] || fail "the loop took $_dt s to fail (connect timeout 30 s)"
	{ printf 'Host lab001\n\tProxyJump lab001\n\n'
	  cat "$T/ssh_config"; } >"$T/self_config"
	run_fanscp -F "$T/self_config" -J lab001 "$SRC" lab003:lp.bin
	expect_rc 0
	expect_copy 3 lp.bin "$SRC"
}
