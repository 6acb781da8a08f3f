# Scenarios that check the fixture itself with OpenSSH's own ssh and scp.
ALL_SCENARIOS="$ALL_SCENARIOS fixture"

scen_fixture() {
	fixture_start 3
	# Each host runs commands in its own home, with HOME set there.
	for n in 1 2 3; do
		got=$(ssh_host "$n" 'pwd; echo "$HOME"') ||
		    fail "ssh $(host_name $n) failed"
		want=$(printf '%s\n%s' "$(host_home $n)" "$(host_home $n)")
		[ "$got" = "$want" ] ||
		    fail "$(host_name $n): pwd/HOME is '$got', expected '$want'"
	done
	# A multi-line command with single quotes, double quotes, a
	# backslash, a dollar and a newline inside a quoted word arrives
	# unchanged.
	cmd="x='it'\\''s \"q\" \\\\ \$HOME'
y='two
lines'
printf '%s|%s\\n' \"\$x\" \"\$y\"
printf '%s\\n' 'after newline'"
	want=$(sh -c "$cmd")
	got=$(ssh_host 1 "$cmd") || fail "quoted command failed"
	[ "$got" = "$want" ] ||
	    fail "command mangled: got [$got], expected [$want]"
	# A file streamed through stdin arrives intact; exit statuses pass.
	mkrandom "$T/src/f" 1048576
	ssh_host 2 'cat > x' <"$T/src/f" || fail "ssh cat > x failed"
	expect_copy 2 x "$T/src/f"
	ssh_host 2 'exit 7'
	[ $? = 7 ] || fail "exit status not passed through"
	# Legacy scp (no sftp subsystem here).
	scp -q -O -F "$T/ssh_config" -o BatchMode=yes "$T/src/f" lab003:y ||
	    fail "scp -O failed"
	expect_copy 3 y "$T/src/f"
	# A throttled host takes a while; a 1 MiB copy needs over a second.
	slow_host 1
	s0=$(date +%s)
	ssh_host 1 'cat > z' <"$T/src/f" || fail "slow copy failed"
	expect_copy 1 z "$T/src/f"
	[ $(( $(date +%s) - s0 )) -ge 1 ] || fail "slow_host is not slow"
	fast_host 1
	# change_hostkey: ssh refuses the host; revoke_auth: refuses us.
	change_hostkey 2
	ssh_host 2 true 2>"$T/ssh.err" && fail "changed key accepted"
	grep -q 'HOST IDENTIFICATION HAS CHANGED' "$T/ssh.err" ||
	    fail "ssh did not report a changed key: $(head -3 "$T/ssh.err")"
	revoke_auth 3
	ssh_host 3 true 2>"$T/ssh.err" && fail "revoked key accepted"
	grep -q 'Permission denied' "$T/ssh.err" ||
	    fail "ssh did not report denial: $(head -3 "$T/ssh.err")"
	restore_auth 3
	ssh_host 3 true || fail "restored key refused"
	# stop_host freezes the host; cont_host thaws it.
	stop_host 1
	timeout 3 "$SSH" -F "$T/ssh_config" -o BatchMode=yes \
	    -o ConnectTimeout=1 lab001 true 2>/dev/null &&
	    fail "stopped host answered"
	cont_host 1
	ssh_host 1 true || fail "continued host does not answer"
	# kill_host leaves the port refusing and no process behind.
	pid=$(host_pid 1)
	kill_host 1
	kill -0 "$pid" 2>/dev/null && fail "sshd $pid survived kill_host"
	ssh_host 1 true 2>"$T/ssh.err" && fail "killed host answered"
	grep -q 'refused' "$T/ssh.err" ||
	    fail "killed host does not refuse: $(head -3 "$T/ssh.err")"
	expect_home 1 z
	expect_home 2 x
	expect_home 3 y
}
