# Scenarios where some hosts fail and the others must not notice.
ALL_SCENARIOS="$ALL_SCENARIOS refused hostkey auth nodir killed stall conntimeout verify interrupt diskfull"

# 5. A host whose port has no listener.
scen_refused() {
	need_fanscp || return
	fixture_start 4
	kill_host 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-004]:f.bin'
	expect_rc 1
	expect_err lab003 refused
	expect_kinds "1 connect"
	expect_all_ok f.bin 1 2 4
	expect_home 3
}

# 6. A host presenting a key other than the known one.
scen_hostkey() {
	need_fanscp || return
	fixture_start 4
	change_hostkey 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-004]:f.bin'
	expect_rc 1
	expect_err lab002 mismatch
	expect_err lab002 SHA256:
	expect_kinds "1 hostkey"
	line=$(_err_lines lab002)
	found=0
	for fp in $(host_fingerprints 2); do
		case $line in *"$fp"*) found=1 ;; esac
	done
	[ $found = 1 ] ||
	    fail "lab002's line names neither real key ($(host_fingerprints 2 | tr '\n' ' '))"
	expect_home 2			# nothing at all, no temp file
	expect_all_ok f.bin 1 3 4
}

# 7. A host that does not accept our key.
scen_auth() {
	need_fanscp || return
	fixture_start 4
	revoke_auth 4
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-004]:f.bin'
	expect_rc 1
	expect_err lab004 "permission denied"
	expect_kinds "1 auth"
	expect_home 4
	expect_all_ok f.bin 1 2 3
}

# 8. A destination directory that does not exist.
scen_nodir() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" "$SRC" lab001:f.bin \
	    lab002:/nonexistent/dir/f lab003:f.bin
	expect_rc 1
	expect_err lab002 /nonexistent/dir
	expect_home 2
	expect_all_ok f.bin 1 3
}

# 9. sshd killed (with its sessions) in the middle of the transfer.
scen_killed() {
	need_fanscp || return
	fixture_start 4
	slow_host 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	start_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-004]:k.bin'
	if tmp=$(wait_tempfile 3 30); then
		kill_host 3
	else
		fail "no temp file appeared on lab003"
	fi
	wait_fanscp
	expect_rc 1
	expect_err lab003 ""
	expect_absent 3 k.bin
	expect_all_ok k.bin 1 2 4
}

# A host that stops answering mid-transfer: --stall-timeout gives up on it.
scen_stall() {
	need_fanscp || return
	fixture_start 3
	slow_host 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	s0=$(date +%s)
	start_fanscp -F "$T/ssh_config" --stall-timeout 3 "$SRC" \
	    'lab[001-003]:s.bin'
	if wait_tempfile 2 30 >/dev/null; then
		stop_host 2
	else
		fail "no temp file appeared on lab002"
	fi
	wait_fanscp
	el=$(( $(date +%s) - s0 ))
	cont_host 2
	expect_rc 1
	expect_err lab002 ""
	expect_absent 2 s.bin
	[ "$el" -le 20 ] || fail "took ${el}s to give up with --stall-timeout 3"
	expect_all_ok s.bin 1 3
	# Thawed, the host's receive script sees the short input and
	# removes its temp file.
	wait_no_tempfile 2 10 || fail "lab002: temp file left after the stall"
	expect_home 2
}

# A host that accepts TCP but never speaks (its sshd stopped), and one
# that black-holes the connection itself (a listener whose accept queue is
# full: the SYN goes unanswered): --connect-timeout gives up on both.
scen_conntimeout() {
	need_fanscp || return
	fixture_start 2
	fake_host blackhole blackhole
	stop_host 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	s0=$(date +%s)
	run_fanscp -F "$T/ssh_config" --connect-timeout 2 "$SRC" \
	    'lab[001-002]:c.bin' blackhole:c.bin
	el=$(( $(date +%s) - s0 ))
	cont_host 2
	expect_rc 1
	expect_err lab002 "timed out after 2 s while logging in"
	expect_err blackhole "timed out after 2 s while connecting"
	[ "$el" -le 15 ] || fail "took ${el}s to give up with --connect-timeout 2"
	expect_home 2
	expect_all_ok c.bin 1
}

# --verify catches bytes altered on the way (same size), and nothing lands;
# without --verify the size check alone passes them.
scen_verify() {
	need_fanscp || return
	fixture_start 3
	corrupt_host 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" --verify "$SRC" 'lab[001-003]:v.bin'
	expect_rc 1
	expect_err lab002 sha-256
	expect_home 2
	expect_all_ok v.bin 1 3
	run_fanscp -F "$T/ssh_config" "$SRC" lab002:v.bin
	expect_rc 0
	[ "$(fsize "$(host_home 2)/v.bin")" = 1048576 ] ||
	    fail "lab002: unverified copy has the wrong size"
	[ "$(sha256 "$(host_home 2)/v.bin")" != "$(sha256 "$SRC")" ] ||
	    fail "corrupt_host did not alter the data"
	expect_home 2 v.bin
}

# SIGINT in the middle of the transfers: fanscp stops with 128+2, and no
# host is left with the file or a temp file.
scen_interrupt() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	for n in 1 2 3; do slow_host $n; done
	start_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-003]:i.bin'
	for n in 1 2 3; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	s0=$(date +%s)
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	el=$(( $(date +%s) - s0 ))
	expect_rc 130
	[ "$el" -le 10 ] || fail "took ${el}s to stop after SIGINT"
	for n in 1 2 3; do
		wait_no_tempfile $n 10 || fail "lab00$n: temp file left after SIGINT"
		expect_absent $n i.bin
		expect_home $n
	done
}

# A host that cannot write the whole file (ulimit -f, like a full disk):
# it fails in the middle of the stream, keeps neither file nor temp file,
# and the others are served.
scen_diskfull() {
	need_fanscp || return
	fixture_start 3
	limit_host 2 1024
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4194304
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-003]:full.bin'
	expect_rc 1
	expect_err lab002 ""
	expect_home 2
	expect_all_ok full.bin 1 3
}
