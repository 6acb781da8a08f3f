# Start-up and process hygiene: what the source may be, a source that
# changes without changing size or mtime, closed standard descriptors,
# SIGHUP, a stderr whose reader went away, 50,000 targets, and many
# targets on one sshd that keeps its default MaxStartups.
ALL_SCENARIOS="$ALL_SCENARIOS srcinplace srcrenamed closedfds sighup epipe fanout50k maxstartups badsource"

# Start a slow copy of a fresh $2-byte $SRC named $1 to lab001 and wait
# until lab001 receives it.
_t8_start_slow() {
	SRC=$T/src/$1
	mkrandom "$SRC" "$2"
	cp -p "$SRC" "$T/src/orig.$1"
	start_fanscp -F "$T/ssh_config" "$SRC" "lab001:$1"
	wait_tempfile 1 20 >/dev/null ||
	    fail "$1: lab001 is not receiving (the change would come too late)"
}

# The end of a copy whose source changed: refused, nothing committed.
_t8_expect_refused() {
	wait_fanscp
	expect_rc 1
	expect_err lab001 "changed while being sent; not committed"
	expect_absent 1 "$1"
	wait_no_tempfile 1 10 || fail "lab001: temp file left ($1)"
}

# Rewritten in place mid-send with the same size, the mtime put back:
# only the ctime shows it, and the copy would be half old, half new.
scen_srcinplace() {
	need_fanscp || return
	fixture_start 1
	slow_host 1
	_t8_start_slow r.bin 4194304
	touch -r "$SRC" "$T/src/stamp"
	head -c 65536 /dev/urandom |
	    dd of="$SRC" bs=65536 seek=1 conv=notrunc 2>/dev/null
	touch -r "$T/src/stamp" "$SRC"
	[ "$(stat -c '%s %Y' "$SRC")" = "$(stat -c '%s %Y' "$T/src/orig.r.bin")" ] ||
	    fail "fixture: the rewrite changed the size or the mtime"
	_t8_expect_refused r.bin
	# And with an mtime set by hand (touch -d), the same.
	_t8_start_slow d.bin 4194304
	m=$(stat -c %y "$SRC")
	head -c 4096 /dev/urandom | dd of="$SRC" conv=notrunc 2>/dev/null
	touch -d "$m" "$SRC"
	_t8_expect_refused d.bin
	expect_home 1
}

# Another file renamed over the source mid-send (a new inode): the open
# one is intact, but it is no longer the file the user named.
scen_srcrenamed() {
	need_fanscp || return
	fixture_start 1
	slow_host 1
	_t8_start_slow n.bin 4194304
	mkrandom "$T/src/new" 4194304
	touch -r "$SRC" "$T/src/new"
	mv "$T/src/new" "$SRC"
	_t8_expect_refused n.bin
	expect_home 1
}

# Run as "fanscp ... <&- >&- 2>&-" with -vv: the log has nowhere to go,
# and must not go into an SSH connection that took descriptor 1 or 2.
scen_closedfds() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4194304
	LAST_CMD="fanscp -vv ... 'lab[001-004]:c.bin' <&- >&- 2>&-"
	_fanscp_cmd -F "$T/ssh_config" -vv "$SRC" 'lab[001-004]:c.bin' \
	    <&- >&- 2>&-
	RC=$?
	: >"$T/err"
	expect_rc 0
	for n in 1 2 3 4; do
		expect_copy $n c.bin "$SRC"
		expect_home $n c.bin
	done
	# Descriptor 0 alone closed: the source must not take it (nothing
	# reads stdin, but a later stream source will).
	_fanscp_cmd -F "$T/ssh_config" -v "$SRC" 'lab[001-004]:d.bin' \
	    <&- >"$T/out" 2>"$T/err"
	RC=$?
	expect_rc 0
	for n in 1 2 3 4; do expect_copy $n d.bin "$SRC"; done
}

# SIGHUP mid-transfer (the terminal went away): like SIGTERM, the hosts
# are cleaned up, the summary is printed, and the status is 129.
scen_sighup() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	for n in 1 2 3; do slow_host $n; done
	start_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-003]:h.bin'
	for n in 1 2 3; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	kill -HUP "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	expect_rc 129
	grep -q '^fanscp: 0 of 3 hosts done, 3 failed' "$T/err" ||
	    fail "no summary after SIGHUP"
	for n in 1 2 3; do
		expect_err "$(host_name $n)" interrupted
		wait_no_tempfile $n 10 || fail "lab00$n: temp file left after SIGHUP"
		expect_home $n
	done
}

# stderr is a pipe whose reader has gone (fanscp ... 2>&1 | head -c 0):
# every log line fails with EPIPE, from the first one (-v's "named
# twice", before the engine starts); the run goes on, the failed host is
# cleaned up, and the status is the usual 1.
scen_epipe() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 2097152
	mkfifo "$T/pipe"
	head -c 0 <"$T/pipe" &
	reader=$!
	exec 4>"$T/pipe"	# opens once head does; head then exits
	wait "$reader"
	LAST_CMD="fanscp -v ... 2>(closed pipe)"
	_fanscp_cmd -F "$T/ssh_config" -v "$SRC" lab001:e.bin lab001:e.bin \
	    lab002:e.bin lab003:no/such/dir/ >"$T/out" 2>&4
	RC=$?
	exec 4>&-
	: >"$T/err"
	[ "$RC" -gt 128 ] && fail "fanscp died of signal $((RC - 128)) writing to a closed pipe"
	expect_rc 1
	for n in 1 2; do
		expect_copy $n e.bin "$SRC"
		expect_home $n e.bin
	done
	expect_home 3
}

# 50,000 targets (names that ssh_config sends to one closed port): each
# fails and is reported, in seconds.  Before: a quadratic duplicate check
# and labelling took 19 s before the first connect.
scen_fanout50k() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1024
	# A closed port below the ephemeral range: 50,000 connects to one in
	# the range may pick it as their own source port, and then TCP's
	# simultaneous open connects the socket to itself.
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	i=0
	port=$(free_port)
	while [ "$port" -ge "${lo:-32768}" ]; do
		[ $i -lt 100 ] || { skip "no free port below $lo"; return; }
		port=$(free_port)
		i=$((i + 1))
	done
	cat >"$T/many_config" <<EOF2
Host n*
	HostName 127.0.0.1
	Port $port
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	UserKnownHostsFile $T/known_hosts
EOF2
	# Start-up must be linear: 10 times the targets may take about 10
	# times as long (quadratic work would take 100 times), whatever the
	# machine's load, which a fixed limit in ms cannot tell from a bug.
	t0=$(date +%s%N)
	run_fanscp -F "$T/many_config" "$SRC" 'n[1-5000]:/x'
	el5=$(( ($(date +%s%N) - t0) / 1000000 ))
	expect_rc 1
	t0=$(date +%s%N)
	run_fanscp -F "$T/many_config" "$SRC" 'n[1-50000]:/x'
	el=$(( ($(date +%s%N) - t0) / 1000000 ))
	diag "5,000 failing targets: $el5 ms; 50,000: $el ms"
	expect_rc 1
	# Past 10 failed hosts, those that failed alike share one line.
	grep -qx 'n\[1-50000\]: connection refused (50000 hosts)' "$T/err" ||
	    fail "no one line for 50,000 refused targets: $(head -c 500 "$T/err")"
	[ "$(wc -l <"$T/err")" -le 3 ] ||
	    fail "$(wc -l <"$T/err") lines for 50,000 targets refused alike"
	grep -q '^fanscp: 0 of 50000 hosts done, 50000 failed' "$T/err" ||
	    fail "no summary for 50,000 targets"
	[ "$el" -le $((el5 * 25 + 3000)) ] ||
	    fail "50,000 failing targets took $el ms, 5,000 took $el5 ms: not linear"
}

# 30 targets that are 30 paths on one sshd running with sshd's default
# MaxStartups (10:30:100): however wide the run, never more than 10
# unauthenticated connections to it, so none is dropped.
scen_maxstartups() {
	need_fanscp || return
	host_sshd_option 1 "MaxStartups 10:30:100"
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	set --
	i=1
	while [ $i -le 30 ]; do set -- "$@" "lab001:m$i.bin"; i=$((i + 1)); done
	run_fanscp -F "$T/ssh_config" "$SRC" "$@"
	expect_rc 0 "defaults: $LAST_CMD"
	run_fanscp -F "$T/ssh_config" --width 30 --max-startups 30 "$SRC" \
	    "$@" lab001:m1.bin
	expect_rc 0 "--width 30 --max-startups 30: $LAST_CMD"
	names=
	i=1
	while [ $i -le 30 ]; do
		expect_copy 1 "m$i.bin" "$SRC"
		names="$names m$i.bin"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	expect_home 1 $names
	! grep -q 'past MaxStartups' "$(host_log 1)" ||
	    fail "sshd dropped connections: $(grep -c 'past MaxStartups' "$(host_log 1)") past MaxStartups"
}

# A source that cannot be sent fails at once with status 2: a directory, a
# socket; and a FIFO or a device, which are streams (t9_stream.sh), to a
# target without a file name (and open(2) of the FIFO would wait for a
# writer for ever).  No host is contacted.
scen_badsource() {
	need_fanscp || return
	fixture_start 1
	mkfifo "$T/src/fifo"
	mkdir "$T/src/dir"
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/src/sock" ||
	    fail "fixture: cannot make a socket"
	lim=1000
	[ "$FANSCP_VALGRIND" = 1 ] && lim=10000	# valgrind's own start
	for s in "$T/src/fifo" /dev/zero "$T/src/dir" "$T/src/sock"; do
		t0=$(date +%s%N)
		FANSCP_TIMEOUT=10 run_fanscp -F "$T/ssh_config" "$s" lab001:
		el=$(( ($(date +%s%N) - t0) / 1000000 ))
		expect_rc 2
		case $s in
		*/dir) want="'$s': is a directory" ;;
		*/sock) want="'$s': not a regular file" ;;
		*) want="'lab001': the source is a stream, which has no name" ;;
		esac
		grep -qF "$want" "$T/err" ||
		    fail "$s: no '$want' message: $(head -1 "$T/err")"
		[ "$el" -le "$lim" ] || fail "$s: took $el ms to refuse"
	done
	expect_home 1
}
