# The shaped-link lab (netns.sh): hosts in their own network namespaces
# behind a bridge, each link shaped with tc htb.  These scenarios prove the
# lab itself (the shaping holds, nothing leaks into the root namespace, a
# cut link hangs) with today's fanscp; they skip where namespaces cannot be
# made (not root, no iproute2).
ALL_SCENARIOS="$ALL_SCENARIOS lab_basic lab_cut lab_restart lab_retry lab_cut_retry lab_order"

# Four hosts at different rates, all at once: every copy arrives, and the
# slowest link sets the time (the htb shaping holds), and the lab leaves
# no address in the root namespace.
scen_lab_basic() {
	need_fanscp || return
	lab_up 400 200 100 50 10 || return
	ip -4 addr show | grep -q ' 10\.77\.' &&
	    fail "the root namespace has a lab address (10.77.x.x)"
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4194304
	t0=$(lab_ms)
	run_fanscp -F "$T/ssh_config" --width 4 "$SRC" 'lab[001-004]:f.bin'
	el=$(( $(lab_ms) - t0 ))
	expect_rc 0
	expect_all_ok f.bin 1 2 3 4
	# 4 MiB at 10 Mbit/s is 3.36 s; unshaped, loopback takes a tenth
	# of that.  Load can only make it slower, so this cannot flake.
	diag "4 MiB to hosts at 200/100/50/10 Mbit/s: ${el} ms (the 10 Mbit/s link alone needs 3355 ms)"
	[ "$el" -ge 3000 ] ||
	    fail "done in ${el} ms: the 10 Mbit/s link is not shaped (needs 3355 ms)"
	ip -4 route show | grep -q '^10\.77\.' &&
	    fail "the root namespace has a route to the lab"
	ns=$LAB_NS
	lab_down
	! ip netns list | grep -qF "$ns-" ||
	    fail "lab_down left namespaces: $(ip netns list | grep -F "$ns-" | tr '\n' ' ')"
}

# Host 3's link cut in the middle of its copy: fanscp gives up on it after
# --stall-timeout, the others finish.  Once the link is back, the old
# sshd learns that its client is gone and the receiver removes its temp
# file: nothing is left on any host.  The sshd learns it only when it
# sends something: a window adjust left in flight does it, but not always
# (then it would wait for TCP keepalive, 2 hours), so lab003's sshd sends
# a keepalive every 2 s, as many servers are set up to.
scen_lab_cut() {
	need_fanscp || return
	host_sshd_option 3 'ClientAliveInterval 2'
	lab_up 400 100 100 8 100 || return
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4194304
	start_fanscp -F "$T/ssh_config" --stall-timeout 3 "$SRC" \
	    'lab[001-004]:c.bin'
	if wait_tempfile 3 20 >/dev/null; then
		lab_cut 3
	else
		fail "no temp file appeared on lab003"
	fi
	wait_fanscp
	expect_rc 1
	grep -Eq '^fanscp: .*; failed: 1 (stall|lost)$' "$T/err" ||
	    fail "summary does not end '; failed: 1 stall' (or lost): $(grep '^fanscp: ' "$T/err")"
	expect_cut_err lab003 3
	expect_absent 3 c.bin
	expect_all_ok c.bin 1 2 4
	lab_restore 3
	t0=$(lab_ms)
	wait_no_tempfile 3 30 ||
	    fail "lab003: temp file left 30 s after the link came back"
	diag "lab003's temp file went $(( $(lab_ms) - t0 )) ms after the link came back"
	expect_home 3
}

# lab_kill_host and lab_start_host: a killed host refuses, and comes back
# on the same address and port (the ssh_config written at the start still
# reaches it), as a fanscp that retries would need.
scen_lab_restart() {
	need_fanscp || return
	lab_up 400 50 50 || return
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	cp "$T/ssh_config" "$T/ssh_config.before"
	lab_kill_host 2
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-002]:r.bin'
	expect_rc 1
	expect_err lab002 refused
	expect_kinds "1 connect"
	expect_all_ok r.bin 1
	lab_start_host 2
	cmp -s "$T/ssh_config" "$T/ssh_config.before" ||
	    fail "lab_start_host changed the ssh_config"
	run_fanscp -F "$T/ssh_config.before" "$SRC" lab002:r.bin
	expect_rc 0
	expect_all_ok r.bin 2
}

# On the lab: a host killed mid-transfer and back three seconds later on
# its address and port; --retries resumes it from its temp file: every
# copy exact, nothing stray anywhere.
scen_lab_retry() {
	need_fanscp || return
	lab_up 400 50 50 50 20 || return
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	start_fanscp -F "$T/ssh_config" -v --retries 3 "$SRC" 'lab[001-004]:r.bin'
	if ! wait_temp_over 4 1000000 >/dev/null; then
		fail "no growing temp file on lab004"
		wait_fanscp
		return
	fi
	lab_kill_host 4
	sleep 3
	lab_start_host 4
	wait_fanscp
	expect_rc 0
	for n in 1 2 3 4; do expect_copy $n r.bin "$SRC"; done
	for n in 1 2 3 4; do expect_no_stray $n; done
	grep -q 'lab004: resuming after' "$T/err" || fail "lab004 did not resume"
	grep -q 'retried: lab004' "$T/err" || fail "the summary does not name lab004"
}

# On the lab: host 3's link cut mid-transfer, so that its old receiver
# lives on, blocked, holding the temp file; fanscp gives up on the
# connection (stall), retries while the link is down (connect timeouts),
# and once it is back the new session stops the old receiver before it
# appends.  The copy is exact and nothing is left.
scen_lab_cut_retry() {
	need_fanscp || return
	lab_up 400 100 100 20 || return
	SRC=$T/src/data.bin
	mkrandom "$SRC" 6291456
	start_fanscp -F "$T/ssh_config" -v --retries 6 --stall-timeout 3 \
	    --connect-timeout 2 "$SRC" 'lab[001-003]:c.bin'
	if ! wait_temp_over 3 1000000 >/dev/null; then
		fail "no growing temp file on lab003"
		wait_fanscp
		return
	fi
	lab_cut 3
	_i=0
	while ! grep -q 'lab003: .*attempt 3 of' "$T/err" && [ $_i -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	lab_restore 3
	wait_fanscp
	expect_rc 0
	for n in 1 2 3; do expect_copy $n c.bin "$SRC"; done
	for n in 1 2 3; do expect_no_stray $n; done
	grep -q 'lab003: resuming after' "$T/err" || fail "lab003 did not resume"
}

# On the lab, width 2: the 8 Mbit/s host listed last.  A first run has
# no history: it probes (a host is paused at least once); the second run
# knows the rates and starts the slow host first, probing none.
scen_lab_order() {
	need_fanscp || return
	lab_up 400 40 40 40 8 || return
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	XDG_CACHE_HOME=$T/cache run_fanscp -F "$T/ssh_config" -vv --width 2 \
	    "$SRC" 'lab[001-004]:o.bin'
	expect_rc 0
	for n in 1 2 3 4; do expect_copy $n o.bin "$SRC"; done
	grep -q ': paused after' "$T/err" || fail "the first run probed no host"
	# One engine thread: its "started" lines come in the order of the
	# picks (with two, each thread logs its own pick, in either order).
	XDG_CACHE_HOME=$T/cache run_fanscp -F "$T/ssh_config" -vv --width 2 \
	    --threads 1 "$SRC" 'lab[001-004]:o.bin'
	expect_rc 0
	for n in 1 2 3 4; do expect_copy $n o.bin "$SRC"; done
	first=$(sed -n 's/^\(lab00[0-9]\): started in slot.*/\1/p' "$T/err" | head -1)
	[ "$first" = lab004 ] || fail "with its history, the slow host did not start first (first: ${first:-none})"
	grep -q ': paused after' "$T/err" && fail "the second run probed hosts it knew"
	for n in 1 2 3 4; do expect_no_stray $n; done
}
