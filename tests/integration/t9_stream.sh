# Streams as the source: stdin, a FIFO and <(cmd) are spooled once and
# read by every host at its own offset, with bounded memory and disk; a
# stream that fails, or does not match --size/--sha256, commits nothing.
ALL_SCENARIOS="$ALL_SCENARIOS stream_cut stream_big stream_slow stream_check stream_full stream_inputs stream_interrupt stream_names"

# The size of stream_big, in MiB: 1024 unless told (a slow build may ask
# for less; the RSS bound is asserted whatever the size).
: "${FANSCP_STREAM_MIB:=1024}"

# A fast, repeatable stream of N bytes ("$STREAM_GEN N", for sh -c):
# AES-CTR of zeros, so that its hash can be taken again without a copy.
STREAM_GEN='openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 </dev/zero 2>/dev/null | head -c'

# run_stream PRODUCER ARGS...: fanscp ARGS with the output of the sh
# command PRODUCER on its stdin; as run_fanscp, and $T/time gets
# "wall user system maxrss_kib" of the fanscp process.
run_stream() {
	_prod=$1; shift
	LAST_CMD="$_prod | fanscp $(shq "$@")"
	if [ "$FANSCP_VALGRIND" = 1 ]; then
		sh -c "$_prod" | _fanscp_cmd "$@" >"$T/out" 2>"$T/err"
		RC=$?
		echo "0 0 0 0" >"$T/time"
	else
		sh -c "$_prod" | HOME=$T/local SSH_AUTH_SOCK= \
		    timeout -k 5 "$FANSCP_TIMEOUT" /usr/bin/time \
		    -f '%e %U %S %M' -o "$T/time" "$FANSCP" "$@" \
		    >"$T/out" 2>"$T/err"
		RC=$?
	fi
	_fanscp_checks
}

# expect_sha N PATH SHA: host N's PATH (relative to its home) hashes to SHA.
expect_sha() {
	_f=$(host_home "$1")/$2
	_got=$(sha256 "$_f")
	[ "$_got" = "$3" ] && return 0
	fail "$(host_name "$1"): '$2' differs from the stream ($(fsize "$_f") bytes, SHA-256 $_got)"
}

# 1. A 1 GiB stream from a pipe to 8 hosts, 4 at a time: the last four
#    read from the spool.  Every copy's SHA-256 matches, and the peak RSS
#    stays under 64 MiB.
scen_stream_big() {
	need_fanscp || return
	fixture_start 8
	bytes=$((FANSCP_STREAM_MIB * 1048576))
	want=$(sh -c "$STREAM_GEN $bytes" | sha256sum | cut -c1-64)
	# ASan keeps freed memory in quarantine (256 MiB): bound it, so that
	# the RSS measured is fanscp's own.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
	# 8 GiB through SSH on loopback: minutes on a small, shared machine.
	FANSCP_TIMEOUT=$((FANSCP_TIMEOUT > 900 ? FANSCP_TIMEOUT : 900))
	run_stream "$STREAM_GEN $bytes" --width 4 \
	    -F "$T/ssh_config" - 'lab[001-008]:big.bin'
	expect_rc 0
	for n in 1 2 3 4 5 6 7 8; do
		expect_sha "$n" big.bin "$want"
		expect_no_err "$(host_name "$n")"
		expect_home "$n" big.bin
		rm -f "$(host_home "$n")/big.bin"
	done
	read -r wall user sys rss <"$T/time"
	diag "$FANSCP_STREAM_MIB MiB to 8 hosts: ${wall}s, CPU ${user}+${sys}s, peak RSS ${rss} KiB"
	[ "$FANSCP_VALGRIND" = 1 ] || [ "${rss:-0}" -gt 0 ] ||
	    fail "no RSS measured"
	[ "$FANSCP_VALGRIND" = 1 ] || [ "${rss:-65536}" -lt 65536 ] ||
	    fail "peak RSS $rss KiB, expected under 64 MiB"
}

# 2. A producer that pauses for longer than the stall timeout: the hosts
#    that caught up wait for it without being failed as stalled, and
#    without spinning (little CPU over the whole run); hosts that start
#    later (width 2 of 4) read from the spool.  Every copy is whole.
scen_stream_slow() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/slow.bin
	run_stream "for i in 1 2 3 4; do head -c 300000 /dev/urandom; sleep 1.5; done | tee '$SRC'" \
	    -F "$T/ssh_config" --width 2 --stall-timeout 1 - \
	    'lab[001-004]:slow.bin'
	expect_rc 0
	expect_all_ok slow.bin 1 2 3 4
	read -r wall user sys rss <"$T/time"
	diag "slow producer: ${wall}s, CPU ${user}+${sys}s"
	if [ "$FANSCP_VALGRIND" != 1 ]; then
		ok=$(echo "$wall $user $sys" | awk '{ print ($1 >= 5.5 && $2 + $3 < 2) }')
		[ "$ok" = 1 ] || fail "waiting is not idle: ${wall}s wall, ${user}+${sys}s CPU"
	fi
}

# 3. --size and --sha256: a stream that does not match fails every host,
#    the old file stays, no temp file is left (also when the hosts had
#    received part of it); a matching one is delivered.
scen_stream_check() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/s.bin
	mkrandom "$SRC" 100000
	sha=$(sha256 "$SRC")
	for n in 1 2 3; do printf 'old\n' >"$(host_home "$n")/s.bin"; done
	_check_fails() {
		for n in 1 2 3; do
			expect_err "$(host_name "$n")" "$1"
			[ "$(cat "$(host_home "$n")/s.bin")" = old ] ||
			    fail "$(host_name "$n"): old file replaced"
			expect_home "$n" s.bin
		done
	}
	run_stream "cat '$SRC'" -F "$T/ssh_config" --size 100001 - \
	    'lab[001-003]:s.bin'
	expect_rc 1
	_check_fails "ended after 100000 bytes, not the 100001 that --size gives"
	run_stream "cat '$SRC'" -F "$T/ssh_config" --size 99999 - \
	    'lab[001-003]:s.bin'
	expect_rc 1
	_check_fails "longer than the 99999 bytes that --size gives"
	bad=$(printf '%s' "$sha" | tr 0-9a-f 1-9a-f0)
	run_stream "cat '$SRC'" -F "$T/ssh_config" --sha256 "$bad" - \
	    'lab[001-003]:s.bin'
	expect_rc 1
	_check_fails "not the $bad that --sha256 gives"
	# Cut after the hosts have taken 4 MiB: their receives are ended
	# and the temp files removed.
	run_stream "head -c 4194304 /dev/urandom; sleep 2; head -c 4194304 /dev/urandom" \
	    -F "$T/ssh_config" -vv --size 6291456 - 'lab[001-003]:s.bin'
	expect_rc 1
	_check_fails "longer than the 6291456 bytes"
	[ "$(grep -c ': EXIT -> ABORT' "$T/err")" = 3 ] ||
	    fail "the receives were not ended and aborted: $(grep -- '->' "$T/err" | tr '\n' ' ')"
	run_stream "cat '$SRC'" -F "$T/ssh_config" --size 100000 \
	    --sha256 "$(printf '%s' "$sha" | tr a-f A-F)" - 'lab[001-003]:s.bin'
	expect_rc 0
	expect_all_ok s.bin 1 2 3
	# A file is checked before anything is sent: a local error.
	run_fanscp -F "$T/ssh_config" --size 99999 "$SRC" lab001:f.bin
	expect_rc 2
	grep -qF "is 100000 bytes, not the 99999 that --size gives" "$T/err" ||
	    fail "--size on a file: $(head -1 "$T/err")"
	run_fanscp -F "$T/ssh_config" --sha256 "$bad" "$SRC" lab001:f.bin
	expect_rc 2
	grep -qF "not the $bad that --sha256 gives" "$T/err" ||
	    fail "--sha256 on a file: $(head -1 "$T/err")"
	run_fanscp -F "$T/ssh_config" --sha256 abc "$SRC" lab001:f.bin
	expect_rc 2
	grep -qF "bad SHA-256 'abc' (expected 64 hex digits)" "$T/err" ||
	    fail "--sha256 abc: $(head -1 "$T/err")"
	expect_all_ok s.bin 1 2 3
}

# 4. The spool's filesystem fills up (a 2 MiB tmpfs): every host fails
#    naming the cause, nothing is committed.  Then the same tmpfs carries
#    a 16 MiB stream: with every host active, the spool is freed behind
#    the slowest, and --spool-max holds the producer back.
scen_stream_full() {
	need_fanscp || return
	need_root || return
	fixture_start 2
	mkdir "$T/spool"
	mount -t tmpfs -o size=2m tmpfs "$T/spool" ||
	    { skip "cannot mount a tmpfs"; return; }
	fixture_cleanup "umount '$T/spool'"
	for n in 1 2; do printf 'old\n' >"$(host_home "$n")/f.bin"; done
	# Width 1: the second host needs offset 0, so nothing is freed.
	run_stream "head -c 8388608 /dev/urandom" -F "$T/ssh_config" \
	    --width 1 --spool-dir "$T/spool" - 'lab[001-002]:f.bin'
	expect_rc 1
	for n in 1 2; do
		expect_err "$(host_name "$n")" "cannot spool 'stdin' in '$T/spool': No space left on device"
		[ "$(cat "$(host_home "$n")/f.bin")" = old ] ||
		    fail "$(host_name "$n"): old file replaced"
		expect_home "$n" f.bin
	done
	SRC=$T/src/f.bin
	mkrandom "$SRC" 16777216
	run_stream "cat '$SRC'" -F "$T/ssh_config" --spool-dir "$T/spool" \
	    --spool-max 512K - 'lab[001-002]:f.bin'
	expect_rc 0
	expect_all_ok f.bin 1 2
}

# 5. Every kind of stream: stdin, a FIFO whose writer comes later, a bash
#    process substitution (/dev/fd/N), and an empty one.
scen_stream_inputs() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/in.bin
	mkrandom "$SRC" 3000000
	run_stream "cat '$SRC'" -F "$T/ssh_config" --verify - \
	    'lab[001-002]:stdin.bin'
	expect_rc 0
	mkfifo "$T/src/fifo"
	start_fanscp -F "$T/ssh_config" "$T/src/fifo" 'lab[001-002]:fifo.bin'
	sleep 1		# connected, waiting for a writer
	cat "$SRC" >"$T/src/fifo"
	wait_fanscp
	expect_rc 0
	LAST_CMD="fanscp <(cat src)"
	HOME=$T/local SSH_AUTH_SOCK= timeout -k 5 "$FANSCP_TIMEOUT" \
	    bash -c '"$1" -F "$2" <(cat "$3") "lab[001-002]:psub.bin"' sh \
	    "$FANSCP" "$T/ssh_config" "$SRC" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	_fanscp_checks
	expect_rc 0
	# An empty stream is an empty file.
	: >"$T/src/empty"
	run_stream ":" -F "$T/ssh_config" --verify - 'lab[001-002]:empty'
	expect_rc 0
	for n in 1 2; do
		expect_copy "$n" stdin.bin "$SRC"
		expect_copy "$n" fifo.bin "$SRC"
		expect_copy "$n" psub.bin "$SRC"
		expect_copy "$n" empty "$T/src/empty"
		expect_home "$n" stdin.bin fifo.bin psub.bin empty
	done
}

# 6. SIGINT while the hosts wait for a producer that has gone quiet: fanscp
#    stops at once with 130, and each host's receive is ended and its
#    temp file removed (a stream's receive cannot tell a cut by itself).
scen_stream_interrupt() {
	need_fanscp || return
	fixture_start 2
	mkfifo "$T/src/fifo"
	{ head -c 1000000 /dev/urandom; sleep 60; } >"$T/src/fifo" &
	bg_pid $!
	start_fanscp -F "$T/ssh_config" "$T/src/fifo" 'lab[001-002]:i.bin'
	for n in 1 2; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	sleep 1
	s0=$(date +%s)
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	el=$(( $(date +%s) - s0 ))
	expect_rc 130
	[ "$el" -le 5 ] || fail "took ${el}s to stop after SIGINT"
	for n in 1 2; do
		wait_no_tempfile $n 10 || fail "lab00$n: temp file left after SIGINT"
		expect_home $n
		expect_err "lab00$n" interrupted
	done
}

# 6b. A connection lost mid-stream: the remote cat sees the same end of
#     input as a finished stream, but no seal follows, so the host's temp
#     file goes; the other host finishes when the stream does.
scen_stream_cut() {
	need_fanscp || return
	fixture_start 2
	mkfifo "$T/src/fifo"
	head -c 1000000 /dev/urandom >"$T/src/part"
	sh -c 'cat "$1"; exec sleep 60' sh "$T/src/part" >"$T/src/fifo" &
	producer=$!
	bg_pid $producer
	start_fanscp -F "$T/ssh_config" "$T/src/fifo" 'lab[001-002]:c.bin'
	for n in 1 2; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	sleep 1
	# The connection's sshd processes, not the listener nor the script.
	pkill -KILL -P "$(host_pid 2)"
	wait_no_tempfile 2 10 || fail "lab002: temp file left after the cut"
	kill "$producer"
	wait_fanscp
	expect_rc 1
	expect_err lab002 "lost"
	expect_copy 1 c.bin "$T/src/part"
	expect_home 2
}

# 7. A stream has no name: a target without a path is a usage error
#    before any connection; a directory (existing, or a path ending in
#    '/') fails that host, exactly so; a hostile name arrives as given.
scen_stream_names() {
	need_fanscp || return
	fixture_start 3
	for t in lab001: lab001:~ 'scp://lab001'; do
		run_stream "echo data" -F "$T/ssh_config" - "$t"
		expect_rc 2
		grep -qF "'lab001': the source is a stream, which has no name; give the target a file path (host:path)" "$T/err" ||
		    fail "$t: no usage message: $(head -1 "$T/err")"
	done
	mkdir "$(host_home 1)/dir"
	name='-x $(touch PWNED) "q'\''
n'
	run_stream "echo data" -F "$T/ssh_config" - \
	    "lab001:$(host_home 1)/dir" lab002:new/ "lab003:$name"
	expect_rc 1
	expect_err lab001 "'$(host_home 1)/dir' is a directory; a stream needs a file name"
	expect_err lab002 "'new/' is a directory; a stream needs a file name"
	expect_home 1 dir
	expect_home 2
	expect_no_err lab003
	[ "$(cat "$(host_home 3)/$name")" = data ] ||
	    fail "lab003: the hostile name did not get the data"
	expect_no_pwned
}
