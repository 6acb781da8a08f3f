# Retries and resume: --retries after a host dies and comes back, a live
# receiver taken over, --resume across runs, a planted temp file.
ALL_SCENARIOS="$ALL_SCENARIOS retry_resume retry_takeover resume_runs resume_planted retry_interrupt probe_pause"
SLOW_SCENARIOS="$SLOW_SCENARIOS retry_resume retry_takeover resume_runs"

# Run fanscp with the fixture config and ARGS, and SIGKILL it once host 1
# holds a temp file of more than a few bytes (its checks, which take a
# 137 for a timeout, are not run).
kill_run() {
	LAST_CMD="fanscp $(shq "$@")"
	_fanscp_cmd -F "$T/ssh_config" "$@" >"$T/out" 2>"$T/err" </dev/null &
	FANSCP_PID=$!
	wait_temp_over 1 1000 >/dev/null || fail "no temp file on lab001"
	kill -KILL "$(fanscp_pid)"
	wait "$FANSCP_PID"
	FANSCP_PID=
}

# A host killed mid-transfer (sshd and sessions), back two seconds later
# on its port: --retries resumes its temp file from where it was, and the
# copy is exact; no temp or pid file is left anywhere.
scen_retry_resume() {
	need_fanscp || return
	fixture_start 3
	slow_host 2
	SRC=$T/src/r.bin
	mkrandom "$SRC" 12000000
	start_fanscp -F "$T/ssh_config" -v --retries 3 --stall-timeout 10 \
	    "$SRC" 'lab[001-003]:r.bin'
	if ! wait_temp_over 2 1000000 >/dev/null; then
		fail "no growing temp file on lab002"
		wait_fanscp
		return
	fi
	kill_host 2
	sleep 2
	fast_host 2
	revive_host 2
	wait_fanscp
	expect_rc 0
	for i in 1 2 3; do
		expect_copy "$i" r.bin "$SRC"
		expect_no_stray "$i"
	done
	grep -q 'lab002: .*retrying in 1 s (attempt 2 of 4)' "$T/err" ||
	    fail "no retry line for lab002"
	have=$(sed -n 's/^lab002: resuming after \([0-9]*\) bytes$/\1/p' \
	    "$T/err" | head -1)
	[ "${have:-0}" -gt 1000000 ] ||
	    fail "lab002 did not resume after its first megabyte (${have:-no line})"
	diag "lab002 resumed after ${have:-?} bytes"
	grep -q 'retried: lab002 ([0-9]* attempts)' "$T/err" ||
	    fail "the summary does not show lab002's attempts"
}

# The session's sshd frozen (not the listener): fanscp gives up on it
# after the stall timeout and retries, while the old receiver still holds
# the temp file open.  The new receive stops it (its pid file) before it
# appends: the copy is exact.
scen_retry_takeover() {
	need_fanscp || return
	fixture_start 2
	slow_host 2
	SRC=$T/src/t.bin
	mkrandom "$SRC" 6000000
	start_fanscp -F "$T/ssh_config" -v --retries 2 --stall-timeout 3 \
	    "$SRC" 'lab[001-002]:t.bin'
	if ! wait_temp_over 2 500000 >/dev/null; then
		fail "no growing temp file on lab002"
		wait_fanscp
		return
	fi
	fast_host 2
	frozen=
	for c in $(pgrep -P "$(host_pid 2)"); do
		signal_tree STOP "$c"
		frozen="$frozen $c"
	done
	[ -n "$frozen" ] || fail "fixture: no session process to freeze"
	wait_fanscp
	expect_rc 0
	expect_copy 1 t.bin "$SRC"
	expect_copy 2 t.bin "$SRC"
	grep -q 'lab002: stalled for 3 s.*retrying' "$T/err" ||
	    fail "lab002 was not retried after its stall"
	grep -q 'lab002: resuming after' "$T/err" ||
	    fail "lab002 did not resume"
	for c in $frozen; do
		signal_tree CONT "$c"
	done
	sleep 1
	expect_copy 2 t.bin "$SRC"
	expect_no_stray 1
	expect_no_stray 2
}

# fanscp killed (SIGKILL) mid-transfer leaves its temp file; a second run
# without --resume starts over, a run with --resume goes on from it
# (checking its SHA-256 first), and one whose temp file was altered
# starts over.  A stream cannot be resumed across runs: refused.
scen_resume_runs() {
	need_fanscp || return
	fixture_start 1
	slow_host 1
	SRC=$T/src/u.bin
	mkrandom "$SRC" 8000000
	run_killed() {
		kill_run --retries 1 "$SRC" lab001:u.bin
		# The receiver ends on the closed connection, keeping the file.
		_i=0
		while pgrep -f 'cat$' -P "$(host_pid 1)" >/dev/null 2>&1 &&
		    [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
		sleep 0.5
	}
	run_killed
	tmp=$(find "$(host_home 1)" -name '.*.fanscp.*' ! -name '*.pid' | head -1)
	[ -n "$tmp" ] || { fail "the killed run left no temp file to resume"; return; }
	left=$(fsize "$tmp")
	diag "the killed run left $left bytes"
	fast_host 1

	# --resume: goes on after those bytes.
	run_fanscp -F "$T/ssh_config" -v --resume "$SRC" lab001:u.bin
	expect_rc 0
	expect_copy 1 u.bin "$SRC"
	grep -q "lab001: resuming after $left bytes" "$T/err" ||
	    fail "--resume did not go on after the $left bytes left"
	expect_no_stray 1

	# Altered bytes on the host: the prefix check starts over.
	rm -f "$(host_home 1)/u.bin"
	slow_host 1
	run_killed
	tmp=$(find "$(host_home 1)" -name '.*.fanscp.*' ! -name '*.pid' | head -1)
	[ -n "$tmp" ] || { fail "no temp file the second time"; return; }
	printf 'XXXXXXXX' | dd of="$tmp" bs=1 seek=1000 conv=notrunc 2>/dev/null
	fast_host 1
	run_fanscp -F "$T/ssh_config" -v --resume "$SRC" lab001:u.bin
	expect_rc 0
	expect_copy 1 u.bin "$SRC"
	grep -q 'lab001: the .* bytes there differ from the source' "$T/err" ||
	    fail "altered bytes were not noticed"
	expect_no_stray 1

	# Without --resume, another run's leftover is not resumed.
	rm -f "$(host_home 1)/u.bin"
	slow_host 1
	run_killed
	fast_host 1
	run_fanscp -F "$T/ssh_config" -v --retries 1 "$SRC" lab001:u.bin
	expect_rc 0
	expect_copy 1 u.bin "$SRC"
	grep -q 'resuming' "$T/err" && fail "resumed another run's file without --resume"
	expect_no_stray 1

	# A stream cannot be resumed across runs.
	run_fanscp -F "$T/ssh_config" --resume - lab001:s.bin
	expect_rc 2
	grep -q 'stream cannot be resumed across runs' "$T/err" ||
	    fail "--resume with a stream: no clear refusal"
}

# A temp file name is predictable under --resume: one planted as a symlink
# to another file, or as a hard link, is never written through.
scen_resume_planted() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/p.bin
	mkrandom "$SRC" 300000
	h=$(host_home 1)
	# Learn the name: a run paused by a kill leaves it.
	slow_host 1
	kill_run --retries 1 "$SRC" lab001:p.bin
	sleep 1
	fast_host 1
	tmp=$(find "$h" -name '.*.fanscp.*' ! -name '*.pid' | head -1)
	[ -n "$tmp" ] || { fail "no temp file left"; return; }
	echo precious >"$h/victim"
	rm -f "$tmp"
	ln -s "$h/victim" "$tmp"
	run_fanscp -F "$T/ssh_config" --resume "$SRC" lab001:p.bin
	expect_rc 0
	expect_copy 1 p.bin "$SRC"
	[ "$(cat "$h/victim")" = precious ] || fail "written through a planted symlink"
	[ -L "$h/p.bin" ] && fail "the destination is a symlink"
	ln "$h/victim" "$tmp"
	run_fanscp -F "$T/ssh_config" --resume "$SRC" lab001:p.bin
	expect_rc 0
	expect_copy 1 p.bin "$SRC"
	[ "$(cat "$h/victim")" = precious ] || fail "written through a planted hard link"
	rm -f "$h/victim"
	expect_no_stray 1
}

# SIGINT while a host waits for its next try, its temp file kept: the
# stop logs in once more to remove it (a cleanup session), and exits 130.
scen_retry_interrupt() {
	need_fanscp || return
	fixture_start 2
	slow_host 2
	SRC=$T/src/i.bin
	mkrandom "$SRC" 6000000
	start_fanscp -F "$T/ssh_config" -v --retries 5 "$SRC" "lab[001-002]:i.bin"
	if ! wait_temp_over 2 100000 >/dev/null; then
		fail "no growing temp file on lab002"
		wait_fanscp
		return
	fi
	kill_host 2
	_i=0
	while ! grep -q 'lab002: .*attempt 4 of 6' "$T/err" && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q 'attempt 4 of 6' "$T/err" || fail "lab002 was not retried twice"
	revive_host 2
	ls -a "$(host_home 2)" | grep -q 'fanscp' ||
	    fail "fixture: no temp file kept on lab002 to clean up"
	FANSCP_SIGNALLED=1
	kill -INT "$(fanscp_pid)"
	wait_fanscp
	FANSCP_SIGNALLED=0
	expect_rc 130
	expect_err lab002 "interrupted while it waited to go on"
	expect_copy 1 i.bin "$SRC"
	expect_absent 2 i.bin
	expect_no_stray 2
}

# Fewer slots than hosts, no rate known: the scheduler probes each host
# with a first slice, pauses it, and resumes it later from its temp file,
# so that no byte is sent twice; every copy is exact, nothing is left.
# The rates go to the history; a second run probes no host.
scen_probe_pause() {
	need_fanscp || return
	fixture_start 4
	for n in 1 2 3 4; do slow_host $n; done
	SRC=$T/src/p.bin
	mkrandom "$SRC" 3000000
	XDG_CACHE_HOME=$T/cache run_fanscp -F "$T/ssh_config" -vv --width 2 \
	    "$SRC" 'lab[001-004]:p.bin'
	expect_rc 0
	for n in 1 2 3 4; do
		expect_copy $n p.bin "$SRC"
		expect_no_stray $n
	done
	paused=$(grep -c ': paused after [0-9]* bytes' "$T/err")
	resumed=$(grep -c ': resuming after [0-9]* bytes' "$T/err")
	diag "$paused paused, $resumed resumed"
	[ "$paused" -ge 1 ] || fail "no host was paused as a probe"
	[ "$resumed" -eq "$paused" ] ||
	    fail "$paused hosts paused, but $resumed resumed"
	grep -q 'differ from the source' "$T/err" &&
	    fail "a paused probe's bytes were not the source's"
	[ -s "$T/cache/fanscp/rates" ] || fail "no rate history written"
	XDG_CACHE_HOME=$T/cache run_fanscp -F "$T/ssh_config" -vv --width 2 \
	    "$SRC" 'lab[001-004]:p.bin'
	expect_rc 0
	grep -q ': paused after' "$T/err" &&
	    fail "the second run probed hosts whose rates it knew"
	XDG_CACHE_HOME=$T/cache2 run_fanscp -F "$T/ssh_config" --no-history \
	    --width 2 "$SRC" 'lab[001-004]:p.bin'
	expect_rc 0
	[ -e "$T/cache2/fanscp" ] && fail "--no-history wrote a history"
	for n in 1 2 3 4; do
		expect_copy $n p.bin "$SRC"
		expect_no_stray $n
	done
}
