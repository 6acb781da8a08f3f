# --exec 'CMD': the data goes to a remote command instead of a file, after
# a checked temp copy and the go-ahead; --exec-stream pipes it straight in.
ALL_SCENARIOS="$ALL_SCENARIOS exec execfail execcut execstream execunknown exectargets exechostile execsudo execpipe"

# no_exec_files N: nothing named *fanscp* is left under host N's home
# (the temp copy is $HOME/.fanscp.TOKEN, its output files .out and .err).
no_exec_files() {
	_left=$(find "$(host_home "$1")" -name '*fanscp*' 2>/dev/null)
	[ -z "$_left" ] ||
	    fail "$(host_name "$1"): left behind: $(printf '%s' "$_left" | tr '\n' ' ')"
}

# wait_exec_temp N: wait (up to 30 s) until host N's temp copy has data.
wait_exec_temp() {
	_i=0
	while [ $_i -lt 300 ]; do
		[ -n "$(find "$(host_home "$1")" -maxdepth 1 -name '.fanscp.*' \
		    -size +0c 2>/dev/null)" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# wait_gone N: wait (up to 15 s) until host N's home holds no *fanscp*.
wait_gone() {
	_i=0
	while [ $_i -lt 150 ]; do
		[ -z "$(find "$(host_home "$1")" -name '*fanscp*' 2>/dev/null)" ] &&
		    return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# expect_done HOST: no line for HOST but -v's (its stdout, "done").
expect_done() {
	_el=$(_err_lines "$1" | grep -v "^$1: stdout: " | grep -vx "$1: done")
	[ -z "$_el" ] || fail "unexpected error line for $1: $_el"
}

expect_summary_is() {
	grep -q "^fanscp: $1 " "$T/err" ||
	    fail "summary is not '$1': $(grep '^fanscp: ' "$T/err")"
}

# Real commands: a tar archive unpacked on each host, and a shell command
# that writes a file and says so (its stdout shown with -v).  The command
# reads a regular file (the checked temp copy), not the channel.
scen_exec() {
	need_fanscp || return
	fixture_start 3
	mkdir -p "$T/src/tree/sub"
	mkrandom "$T/src/tree/sub/a.bin" 300000
	echo hello >"$T/src/tree/b.txt"
	(cd "$T/src" && tar cf "$T/src/t.tar" tree) || fail "tar c failed"
	for n in 1 2 3; do mkdir "$(host_home $n)/opt"; done
	run_fanscp -F "$T/ssh_config" --exec 'tar x -C opt' "$T/src/t.tar" \
	    'lab[001-003]'
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n opt/tree/sub/a.bin "$T/src/tree/sub/a.bin"
		expect_copy $n opt/tree/b.txt "$T/src/tree/b.txt"
		no_exec_files $n
	done
	SRC=$T/src/f
	mkrandom "$SRC" 1000000
	run_fanscp -F "$T/ssh_config" -v --verify --exec \
	    "sh -c 'cat > f && echo done' && [ -f /dev/stdin ] && echo regular" \
	    "$SRC" lab001 lab002: lab003
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n f "$SRC"
		no_exec_files $n
		grep -qx "$(host_name $n): stdout: done" "$T/err" ||
		    fail "$(host_name $n): -v does not show the stdout 'done'"
		grep -qx "$(host_name $n): stdout: regular" "$T/err" ||
		    fail "$(host_name $n): the command did not read a regular file"
	done
	# Without -v, the command's output is not shown.
	run_fanscp -F "$T/ssh_config" --exec 'cat >g; echo quiet' "$SRC" lab001
	expect_rc 0
	expect_copy 1 g "$SRC"
	grep -q quiet "$T/err" "$T/out" && fail "stdout shown without -v"
	# The command gets the login's umask, not the scripts' private 077.
	run_fanscp -F "$T/ssh_config" --exec 'cat >u2; umask >umask.seen' \
	    "$SRC" lab001
	expect_rc 0
	[ "$(cat "$(host_home 1)/umask.seen")" != 0077 ] ||
	    fail "the command ran with the scripts' umask 077"
	no_exec_files 1
}

# One host's command fails: its status and stderr tail are its result,
# distinct from the scripts' own failures (a status of 72 is the
# command's, not "cannot create the temp file"); the others are done.
scen_execfail() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/f
	mkrandom "$SRC" 200000
	touch "$(host_home 2)/marker"
	run_fanscp -F "$T/ssh_config" -v --exec \
	    'cat >got; echo out-line; if [ -e marker ]; then echo noise >&2; echo "it broke: disk on fire" >&2; exit 3; fi' \
	    "$SRC" 'lab[001-003]'
	expect_rc 1
	expect_err lab002 "remote command failed (status 3): noise; it broke: disk on fire"
	expect_done lab001
	expect_done lab003
	grep -qx "lab002: stdout: out-line" "$T/err" ||
	    fail "lab002: -v does not show the failed command's stdout"
	expect_summary_is "2 of 3 hosts done, 1 failed, 0 unknown"
	grep -q "^fanscp: .*; failed: 1 command$" "$T/err" ||
	    fail "the summary does not count a command failure: $(grep '^fanscp: ' "$T/err")"
	for n in 1 2 3; do expect_copy $n got "$SRC"; no_exec_files $n; done
	# A status that is also one of the scripts' own exit codes.
	run_fanscp -F "$T/ssh_config" --exec 'cat >/dev/null; exit 72' "$SRC" lab001
	expect_rc 1
	expect_err lab001 "remote command failed (status 72)"
	grep -q "cannot create" "$T/err" && fail "status 72 read as the script's"
	# The scripts' own failure (the copy cannot be written: a full disk)
	# is another kind, and the command never runs.
	limit_host 3 100
	run_fanscp -F "$T/ssh_config" --exec 'touch ran' "$SRC" lab003
	expect_rc 1
	expect_err lab003 "File size limit exceeded"
	grep -q "remote command failed" "$T/err" &&
	    fail "a script failure reported as the command's"
	grep -q "^fanscp: .*; failed: 1 remote$" "$T/err" ||
	    fail "not counted as remote: $(grep '^fanscp: ' "$T/err")"
	expect_absent 3 ran
	no_exec_files 3
	# A command that prints the scripts' own result lines fools nothing.
	run_fanscp -F "$T/ssh_config" --exec \
	    'cat >/dev/null; printf "fanscp-ok exec 0 0\nfanscp-ok commit 200000\n"; exit 4' \
	    "$SRC" lab001
	expect_rc 1
	expect_err lab001 "remote command failed (status 4)"
	# A host whose session writes noise on stderr first: the reason is
	# the command's own stderr, not the noise.
	noisy_host 1 5000
	run_fanscp -F "$T/ssh_config" --exec 'cat >/dev/null; echo own >&2; exit 6' \
	    "$SRC" lab001
	expect_rc 1
	expect_err lab001 "remote command failed (status 6): own"
	grep -q "noise" "$T/err" && fail "the session's noise taken for the command's"
	run_fanscp -F "$T/ssh_config" --exec 'cat >/dev/null; exit 7' "$SRC" lab001
	expect_rc 1
	grep -qx "lab001: remote command failed (status 7)" "$T/err" ||
	    fail "noise in an empty stderr's place: $(cat "$T/err")"
	rm -f "$(host_dir 1)/noise"
	# A command that is not there: the shell's 127 and its message.
	run_fanscp -F "$T/ssh_config" --exec 'no-such-command-here' "$SRC" lab001
	expect_rc 1
	expect_err lab001 "remote command failed (status 127)"
	expect_err lab001 "not found"
	no_exec_files 1
}

# The data is cut mid-way: the command never runs, and the temp copy goes.
# fanscp is killed (SIGKILL) or interrupted (SIGINT) while a slow host
# receives, or the source changes while it is sent.
scen_execcut() {
	need_fanscp || return
	fixture_start 2
	slow_host 1
	SRC=$T/src/f
	mkrandom "$SRC" 6000000
	FANSCP_SIGNALLED=1
	start_fanscp -F "$T/ssh_config" --exec 'cat >ran; touch ran.too' \
	    "$SRC" lab001
	wait_exec_temp 1 || fail "no temp copy appeared on lab001"
	kill -s KILL "$(fanscp_pid)"
	wait "$FANSCP_PID"
	FANSCP_PID=
	FANSCP_SIGNALLED=0
	wait_gone 1 || fail "lab001: temp copy left after fanscp was killed"
	sleep 1
	expect_absent 1 ran
	expect_absent 1 ran.too
	no_exec_files 1

	# An interrupt (SIGINT) mid-way: exit 130, nothing ran.
	FANSCP_SIGNALLED=1
	start_fanscp -F "$T/ssh_config" --exec 'cat >ran; touch ran.too' \
	    "$SRC" lab001
	wait_exec_temp 1 || fail "no temp copy appeared on lab001 (INT)"
	kill -s INT "$(fanscp_pid)"
	wait_fanscp
	FANSCP_SIGNALLED=0
	expect_rc 130
	expect_err lab001 "interrupted"
	wait_gone 1 || fail "lab001: temp copy left after SIGINT"
	expect_absent 1 ran
	expect_absent 1 ran.too

	# The source grows while the slow host receives it.
	start_fanscp -F "$T/ssh_config" --exec 'cat >ran; touch ran.too' \
	    "$SRC" lab001 lab002
	wait_exec_temp 1 || fail "no temp copy appeared on lab001 (2)"
	echo more >>"$SRC"
	wait_fanscp
	expect_rc 1
	expect_err lab001 "changed"
	expect_absent 1 ran
	expect_absent 1 ran.too
	wait_gone 1 || fail "lab001: temp copy left after the source changed"
	no_exec_files 1
	no_exec_files 2
}

# --exec-stream: the command reads the channel as the data arrives (a pipe,
# not a file); a command that exits early with a status is a failure with
# that status, not unknown; one that reads only part and exits 0 is done.
scen_execstream() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/f
	mkrandom "$SRC" 3000000
	run_fanscp -F "$T/ssh_config" -v --exec-stream --exec \
	    'cat >f; [ -f /dev/stdin ] || echo not-a-file' "$SRC" 'lab[001-003]'
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n f "$SRC"
		grep -qx "$(host_name $n): stdout: not-a-file" "$T/err" ||
		    fail "$(host_name $n): the command's stdin was a file"
		no_exec_files $n
	done
	touch "$(host_home 2)/marker"
	run_fanscp -F "$T/ssh_config" --exec-stream --exec \
	    'if [ -e marker ]; then echo refusing >&2; exit 5; fi; head -c 10 >h' \
	    "$SRC" 'lab[001-003]'
	expect_rc 1
	expect_err lab002 "remote command failed (status 5): refusing"
	grep -q "^lab002: unknown" "$T/err" && fail "lab002 reported unknown"
	expect_summary_is "2 of 3 hosts done, 1 failed, 0 unknown"
	[ "$(fsize "$(host_home 1)/h")" = 10 ] || fail "lab001: h is not 10 bytes"
	# An empty source: the command runs, on an empty input, both ways.
	: >"$T/src/empty"
	for m in --exec-stream ""; do
		rm -f "$(host_home 1)/e"
		run_fanscp -F "$T/ssh_config" $m --exec 'cat >e; echo x >>e' \
		    "$T/src/empty" lab001
		expect_rc 0 "an empty source ($m)"
		[ "$(cat "$(host_home 1)/e")" = x ] || fail "empty source ($m): e holds [$(cat "$(host_home 1)/e")]"
	done
	# --verify cannot check what the command has already read.
	run_fanscp -F "$T/ssh_config" --exec-stream --verify --exec cat "$SRC" lab001
	expect_rc 2
	for n in 1 2 3; do no_exec_files $n; done
}

# --exec-stream: a host lost after its command got data is unknown, never
# failed; a host refused before any byte (its login) is a plain failure.
scen_execunknown() {
	need_fanscp || return
	fixture_start 3
	slow_host 1
	revoke_auth 3
	SRC=$T/src/f
	mkrandom "$SRC" 8000000
	start_fanscp -F "$T/ssh_config" --exec-stream --exec 'cat >part' \
	    "$SRC" 'lab[001-003]'
	i=0
	while [ "$(fsize "$(host_home 1)/part")" -lt 100000 ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "lab001's command never got data"; break; }
		sleep 0.1
	done
	kill_host 1
	wait_fanscp
	expect_rc 1
	expect_err lab001 "unknown:"
	expect_err lab001 "after the command got input: what it did is unknown"
	expect_err lab003 "permission denied"
	grep -q "^lab003: unknown" "$T/err" && fail "lab003 reported unknown"
	expect_summary_is "1 of 3 hosts done, 1 failed, 1 unknown"
	expect_copy 2 part "$SRC"
}

# Targets under --exec: a bare host, host:, host:port, scp://host:port,
# a nodeset, a host file; a path is a usage error (exit 2).
scen_exectargets() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/f
	mkrandom "$SRC" 1000
	p3=$(host_port 3)
	run_fanscp -F "$T/ssh_config" --exec 'cat >t' "$SRC" lab001 \
	    "$FIXTURE_USER@lab002:" "scp://lab003:$p3"
	expect_rc 0
	for n in 1 2 3; do expect_copy $n t "$SRC"; done
	# host:port is the port (there is no path for it to be).
	run_fanscp -F "$T/ssh_config" --exec 'cat >t2' "$SRC" "lab003:$p3"
	expect_rc 0
	expect_copy 3 t2 "$SRC"
	# The port given wins over ssh_config's: a wrong one refuses.
	bad=$(free_port)
	run_fanscp -F "$T/ssh_config" --exec 'cat >t3' "$SRC" "lab003:$bad"
	expect_rc 1
	expect_err lab003 "refused"
	expect_absent 3 t3
	printf 'lab001\n# comment\nlab002\n' >"$T/hosts"
	run_fanscp -F "$T/ssh_config" --exec 'cat >t4' -h "$T/hosts" "$SRC" \
	    'lab[002-003]'
	expect_rc 0
	for n in 1 2 3; do expect_copy $n t4 "$SRC"; done
	for t in lab001:/srv/x lab001:f 'lab[001-002]:dir/' scp://lab001/f \
	    "scp://lab001:$p3//tmp/x" lab001:22x; do
		run_fanscp -F "$T/ssh_config" --exec 'cat >t5' "$SRC" "$t"
		expect_rc 2 "target $t"
		grep -q "names a host, not a path" "$T/err" ||
		    fail "no path hint for $t: $(head -1 "$T/err")"
	done
	run_fanscp -F "$T/ssh_config" --exec 'cat >t5' "$SRC" lab001:0
	expect_rc 2 "port 0"
	run_fanscp -F "$T/ssh_config" --exec 'cat >t5' -h "$T/hosts" "$SRC" :dir
	expect_rc 2 "a lone :dir under --exec"
	for o in -p --inplace; do
		run_fanscp -F "$T/ssh_config" --exec cat $o "$SRC" lab001
		expect_rc 2 "--exec with $o"
	done
	run_fanscp -F "$T/ssh_config" --exec '' "$SRC" lab001
	expect_rc 2 "an empty command"
	run_fanscp -F "$T/ssh_config" --exec-stream "$SRC" lab001
	expect_rc 2 "--exec-stream alone"
	for n in 1 2 3; do expect_absent $n t5; no_exec_files $n; done
}

# Hostile commands arrive byte for byte and run as given, once; a
# background child that keeps the command's output open holds nothing.
scen_exechostile() {
	need_fanscp || return
	fixture_start 2
	set_shell 2 busybox
	SRC=$T/src/f
	mkrandom "$SRC" 5000
	# The string the command prints, exactly: quotes, $(...), backquotes,
	# a backslash, a newline, '!', a glob.
	want="it's \"\$(touch PWNED1)\" \`touch PWNED2\` \\ !x *
line two"
	cmd="cat >data; printf '%s' 'it'\\''s \"\$(touch PWNED1)\" \`touch PWNED2\` \\ !x *
line two' >seen"
	run_fanscp -F "$T/ssh_config" --exec "$cmd" "$SRC" 'lab[001-002]'
	expect_rc 0
	for n in 1 2; do
		expect_copy $n data "$SRC"
		[ "$(cat "$(host_home $n)/seen")" = "$want" ] ||
		    fail "$(host_name $n): the command saw [$(cat "$(host_home $n)/seen")]"
		no_exec_files $n
	done
	expect_no_pwned
	# A command starting with '-' is a command, not an option of sh.
	run_fanscp -F "$T/ssh_config" --exec '-c' "$SRC" lab001
	expect_rc 1
	expect_err lab001 "remote command failed (status 127)"
	# A background child holding stdout and stderr does not hold fanscp.
	t0=$(date +%s)
	run_fanscp -F "$T/ssh_config" --exec 'cat >bg; (sleep 20 &); sleep 20 >/dev/null 2>&1 </dev/null & echo started' \
	    "$SRC" lab001
	expect_rc 0
	[ $(( $(date +%s) - t0 )) -lt 15 ] ||
	    fail "a background child of the command held fanscp"
	expect_copy 1 bg "$SRC"
	for n in 1 2; do no_exec_files $n; done
}

# --sudo --exec: the command runs as root, its temp copy is root's and
# goes; a user sudo refuses runs nothing.
scen_execsudo() {
	need_root || return
	need_fanscp || return
	command -v sudo >/dev/null 2>&1 || { skip "no sudo"; return; }
	ok=fxok$$ no=fxno$$
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$ok" 2>/dev/null &&
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$no" 2>/dev/null ||
	    { skip "useradd failed"; return; }
	fixture_cleanup "userdel $ok; userdel $no; rm -f /etc/sudoers.d/$ok"
	printf '%s ALL=(ALL) NOPASSWD: ALL\n' "$ok" >"/etc/sudoers.d/$ok"
	chmod 440 "/etc/sudoers.d/$ok"
	fixture_start 1
	h=$(host_home 1)
	chmod 755 "$T" "$(host_dir 1)" "$h"
	chmod 644 "$(host_dir 1)/authorized_keys" "$(host_dir 1)/session.sh"
	mkdir "$h/etc"
	chmod 755 "$h/etc"
	SRC=$T/src/f
	mkrandom "$SRC" 100000
	chmod 644 "$SRC"
	run_fanscp -F "$T/ssh_config" --sudo --verify --exec \
	    "id -u >'$h/etc/uid'; cat >'$h/etc/f'" "$SRC" "$ok@lab001"
	expect_rc 0
	[ "$(cat "$h/etc/uid" 2>/dev/null)" = 0 ] || fail "the command did not run as root"
	cmp -s "$SRC" "$h/etc/f" || fail "etc/f is not the source"
	no_exec_files 1
	_left=$(find /root /tmp -maxdepth 1 -name '.fanscp.*' -newer "$SRC" 2>/dev/null)
	[ -z "$_left" ] || fail "a temp copy was left: $_left"
	run_fanscp -F "$T/ssh_config" --sudo --exec "touch '$h/etc/ran'" \
	    "$SRC" "$no@lab001"
	expect_rc 1
	expect_err lab001 "sudo: a password is required"
	expect_absent 1 etc/ran
}

# exec_stdin PRODUCER ARGS...: run_fanscp with the output of the sh
# command PRODUCER as fanscp's stdin.
exec_stdin() {
	_prod=$1; shift
	LAST_CMD="$_prod | fanscp $(shq "$@")"
	sh -c "$_prod" | HOME=$T/local SSH_AUTH_SOCK= \
	    timeout -k 5 "$FANSCP_TIMEOUT" "$FANSCP" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	_fanscp_checks
}

# A stream (stdin) into a command: no file name needed; with the temp
# copy its size (and --verify's hash) is checked at its end before the
# command runs; a stream that does not match --size runs nothing.
scen_execpipe() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/f
	mkrandom "$SRC" 2000000
	n=$(fsize "$SRC")
	exec_stdin "cat '$SRC'" -F "$T/ssh_config" --verify --exec 'cat >f' - \
	    'lab[001-002]'
	expect_rc 0
	for h in 1 2; do expect_copy $h f "$SRC"; no_exec_files $h; done
	exec_stdin "cat '$SRC'" -F "$T/ssh_config" --exec-stream --exec 'cat >g' \
	    - 'lab[001-002]'
	expect_rc 0
	for h in 1 2; do expect_copy $h g "$SRC"; no_exec_files $h; done
	# --size says more than came: nothing runs anywhere.
	exec_stdin "cat '$SRC'" -F "$T/ssh_config" --size $((n + 1)) \
	    --exec 'cat >/dev/null; touch ran' - 'lab[001-002]'
	expect_rc 1
	for h in 1 2; do expect_absent $h ran; no_exec_files $h; done
	# A stream cut mid-way (fanscp killed while the producer pauses): the
	# copy has no seal, so it is removed, and the command never runs.
	( sh -c "head -c 300000 '$SRC'; sleep 30" | HOME=$T/local \
	    SSH_AUTH_SOCK= timeout -k 5 60 "$FANSCP" -F "$T/ssh_config" \
	    --exec 'touch ran' - lab001 >"$T/out" 2>"$T/err" ) &
	bgp=$!
	i=0
	while [ "$(find "$(host_home 1)" -maxdepth 1 -name '.fanscp.*' -size +290k | wc -l)" = 0 ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { fail "the stream never reached lab001"; break; }
		sleep 0.1
	done
	# fanscp first: a producer that dies first is a normal end of stream,
	# and the command would rightly run on the 300 kB that came.
	tree=$(proc_tree "$bgp")
	comm=$(basename "$FANSCP" | cut -c1-15)
	for p in $tree; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$comm" ] &&
		    kill -KILL "$p" 2>/dev/null
	done
	sleep 0.5
	for p in $tree; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] &&
		    kill -KILL "$p" 2>/dev/null
	done
	wait "$bgp" 2>/dev/null
	wait_gone 1 || fail "lab001: the cut stream's copy was left"
	sleep 1
	expect_absent 1 ran
	# An empty stream: the command runs on it with the temp copy; without
	# one, a command cannot be told an empty stream from a cut one.
	exec_stdin ":" -F "$T/ssh_config" --exec 'cat >e; touch ran' - lab001
	expect_rc 0
	[ -f "$(host_home 1)/e" ] && [ "$(fsize "$(host_home 1)/e")" = 0 ] ||
	    fail "lab001: the command did not run on the empty stream"
	rm -f "$(host_home 1)/ran"
	exec_stdin ":" -F "$T/ssh_config" --exec-stream --exec 'touch ran' - lab001
	expect_rc 1
	expect_err lab001 "no data came; the command was not run"
	expect_absent 1 ran
	no_exec_files 1
}
