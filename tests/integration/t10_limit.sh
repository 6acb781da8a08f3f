# Rate limits (issue 9): -l caps the data sent to all hosts together,
# --host-limit each host, both in Kbit/s as scp counts them (1 Kbit = 1024
# bits: 1 Kbit/s is 128 bytes/s).  A run cannot finish sooner than its
# bytes take at the limit; the bound asserted is 0.9 of that, and the
# upper bound (the machine is shared) a very loose 3x plus 5 s.
ALL_SCENARIOS="$ALL_SCENARIOS limit_total limit_host limit_ssh limit_stream limit_wait limit_usage"

# _timed CMD...: run CMD; ELAPSED gets its wall time in ms.
_timed() {
	_t0=$(date +%s%N)
	"$@"
	ELAPSED=$((($(date +%s%N) - _t0) / 1000000))
}

# _expect_time WHAT BYTES KBITS [BURST]: ELAPSED is at least 0.9 of what
# BYTES take at KBITS Kbit/s, less the BURST bytes that may go at once
# (where they are more than 10% of BYTES), and at most three times that,
# plus 5 s.
_expect_time() {
	_b=$(($2 - ${4:-0}))
	_ideal=$((_b * 8 * 1000 / ($3 * 1024)))	# ms
	diag "$1: ${ELAPSED} ms, $_b bytes at $3 Kbit/s take ${_ideal} ms"
	[ "$ELAPSED" -ge $((_ideal * 9 / 10)) ] ||
	    fail "$1: took ${ELAPSED} ms, under 0.9 of the ${_ideal} ms that $_b bytes take at $3 Kbit/s"
	[ "$ELAPSED" -le $((_ideal * 3 + 5000)) ] ||
	    fail "$1: took ${ELAPSED} ms, over 3x the ${_ideal} ms that $_b bytes take at $3 Kbit/s"
}

# _expect_copies SRC NAME N...: hosts N... hold NAME, identical to SRC,
# and nothing else; no error line for them.
_expect_copies() {
	_src=$1; _name=$2; shift 2
	for _n in "$@"; do
		expect_copy "$_n" "$_name" "$_src"
		expect_no_err "$(host_name "$_n")"
		expect_home "$_n" "$_name"
		rm -f "$(host_home "$_n")/$_name"
	done
}

# 1. -l 8000: 2 MiB to each of 2 hosts, on two threads that share the
#    limit, takes at least 4 MiB at 8000 Kbit/s; every copy verified.
scen_limit_total() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/two.bin
	mkrandom "$SRC" 2097152
	_timed run_fanscp -F "$T/ssh_config" --verify --threads 2 -l 8000 \
	    "$SRC" 'lab[001-002]:two.bin'
	expect_rc 0
	_expect_time "-l 8000, 2 hosts" 4194304 8000
	_expect_copies "$SRC" two.bin 1 2
}

# 2. --host-limit 8000: each host alone takes 2 MiB at 8000 Kbit/s; two
#    hosts one after the other (--width 1) take twice that, and side by
#    side clearly less than that (the limit is each host's own).  With
#    -l as well, the tighter of the two holds: -l 16000 --host-limit 4000
#    to 3 hosts is bound by the hosts' 4000 (1 MiB each).
scen_limit_host() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/h.bin
	mkrandom "$SRC" 2097152
	_timed run_fanscp -F "$T/ssh_config" --verify --width 1 \
	    --host-limit 8000 "$SRC" 'lab[001-002]:h.bin'
	expect_rc 0
	_expect_time "--host-limit 8000, width 1" 4194304 8000
	serial=$ELAPSED
	_expect_copies "$SRC" h.bin 1 2
	_timed run_fanscp -F "$T/ssh_config" --verify --width 2 \
	    --host-limit 8000 "$SRC" 'lab[001-002]:h.bin'
	expect_rc 0
	_expect_time "--host-limit 8000, width 2" 2097152 8000
	[ "$ELAPSED" -lt $((serial * 4 / 5)) ] ||
	    fail "--host-limit held 2 hosts side by side to one rate: ${ELAPSED} ms, ${serial} ms one after the other"
	_expect_copies "$SRC" h.bin 1 2
	SRC=$T/src/h1.bin
	mkrandom "$SRC" 1048576
	_timed run_fanscp -F "$T/ssh_config" --verify -l 16000 \
	    --host-limit 4000 "$SRC" 'lab[001-003]:h1.bin'
	expect_rc 0
	_expect_time "-l 16000 --host-limit 4000, 3 hosts" 1048576 4000
	_expect_copies "$SRC" h1.bin 1 2 3
}

# 3. The same limits over OpenSSH's ssh (--transport ssh), whose data goes
#    through a socket to each ssh child.
scen_limit_ssh() {
	need_fanscp || return
	fixture_start 2
	# Its control directories: this scenario's own (t9_sshtransport.sh).
	mkdir -p "$T/tmp"
	TMPDIR=$T/tmp
	export TMPDIR
	SRC=$T/src/s.bin
	mkrandom "$SRC" 2097152
	_timed run_fanscp -F "$T/ssh_config" --transport ssh \
	    --verify -l 8000 "$SRC" 'lab[001-002]:s.bin'
	expect_rc 0
	_expect_time "--transport ssh -l 8000, 2 hosts" 4194304 8000
	_expect_copies "$SRC" s.bin 1 2
	SRC=$T/src/s1.bin
	mkrandom "$SRC" 1048576
	_timed run_fanscp -F "$T/ssh_config" --transport ssh \
	    --verify --host-limit 4000 "$SRC" 'lab[001-002]:s1.bin'
	expect_rc 0
	_expect_time "--transport ssh --host-limit 4000" 1048576 4000
	_expect_copies "$SRC" s1.bin 1 2
}

# 4. A stream on stdin under -l, each copy compared; and --exec-stream,
#    whose command reads the data as it comes, limited the same way.
scen_limit_stream() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/st.bin
	mkrandom "$SRC" 2097152
	_timed run_stream "cat '$SRC'" -F "$T/ssh_config" --verify -l 8000 \
	    - 'lab[001-002]:st.bin'
	expect_rc 0
	_expect_time "stdin -l 8000, 2 hosts" 4194304 8000
	_expect_copies "$SRC" st.bin 1 2
	SRC=$T/src/ex.bin
	mkrandom "$SRC" 1048576
	_timed run_fanscp -F "$T/ssh_config" -l 4000 --exec-stream \
	    --exec 'cat >ex.bin' "$SRC" lab001
	expect_rc 0
	_expect_time "--exec-stream -l 4000" 1048576 4000
	_expect_copies "$SRC" ex.bin 1
}

# 5. Waiting for the limit is not a stall: at -l 400 three hosts take
#    turns of 32,700 bytes, each waiting longer than --stall-timeout 1
#    between its turns, and all finish.  Then SIGINT while hosts wait
#    for their turns: exit 130 at once, no file or temp file left.
scen_limit_wait() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/w.bin
	mkrandom "$SRC" 100000
	_timed run_fanscp -F "$T/ssh_config" --stall-timeout 1 -l 400 \
	    "$SRC" 'lab[001-003]:w.bin'
	expect_rc 0
	# The first 32,700 bytes (a burst) go at once.
	_expect_time "-l 400, --stall-timeout 1" 300000 400 32700
	_expect_copies "$SRC" w.bin 1 2 3
	start_fanscp -F "$T/ssh_config" -l 400 "$SRC" 'lab[001-003]:w.bin'
	for n in 1 2 3; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	s0=$(date +%s)
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	expect_rc 130
	[ $(($(date +%s) - s0)) -le 5 ] || fail "slow to stop after SIGINT"
	for n in 1 2 3; do
		wait_no_tempfile $n 10 || fail "lab00$n: temp file left after SIGINT"
		expect_home $n
	done
}

# 6. Limits that are not a number of Kbit/s from 1 to 10^9: usage errors
#    (exit 2, the option named), and nothing reaches a host.
scen_limit_usage() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/u.bin
	mkrandom "$SRC" 1000
	for v in 0 -8 abc 8k 1e3 '' ' 8' 1000000001 99999999999999999999999; do
		run_fanscp -F "$T/ssh_config" -l "$v" "$SRC" lab001:u.bin
		expect_rc 2 "-l '$v'"
		grep -q "bad -l limit '$v' (expected Kbit/s" "$T/err" ||
		    fail "-l '$v': no clear message: $(head -1 "$T/err")"
		run_fanscp -F "$T/ssh_config" --host-limit "$v" "$SRC" \
		    lab001:u.bin
		expect_rc 2 "--host-limit '$v'"
		grep -q "bad --host-limit '$v' (expected Kbit/s" "$T/err" ||
		    fail "--host-limit '$v': no clear message: $(head -1 "$T/err")"
	done
	# The last -l counts, as in scp.
	run_fanscp -F "$T/ssh_config" -l 1000000000 --host-limit 100 -l 100 \
	    "$SRC" lab001:u.bin
	expect_rc 0
	expect_home 1 u.bin
}
