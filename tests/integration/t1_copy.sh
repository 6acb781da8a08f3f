# Scenarios where every host gets the file.
ALL_SCENARIOS="$ALL_SCENARIOS basic empty big scprules preserve hostile url hostfile width many threads ctrbatch"

# expect_all_ok NAME N...: hosts N got NAME (relative to the home), matching
# $SRC, have no error line, and their homes hold NAME and nothing else.
expect_all_ok() {
	_name=$1; shift
	for _n in "$@"; do
		expect_copy "$_n" "$_name" "$SRC"
		expect_no_err "$(host_name "$_n")"
		expect_home "$_n" "$_name"
	done
}

# 1. A 5 MiB file to 8 hosts, 3 at a time.
scen_basic() {
	need_fanscp || return
	fixture_start 8
	SRC=$T/src/data.bin
	mkrandom "$SRC" 5242880
	run_fanscp -F "$T/ssh_config" --width 3 "$SRC" 'lab[001-008]:data.bin'
	expect_rc 0
	expect_all_ok data.bin 1 2 3 4 5 6 7 8
}

# 2. A zero-byte file to 4 hosts.
scen_empty() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/empty
	: >"$SRC"
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-004]:empty'
	expect_rc 0
	expect_all_ok empty 1 2 3 4
}

# 3. 80 MiB to 3 hosts with --verify.
scen_big() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/big.bin
	mkrandom "$SRC" 83886080
	run_fanscp -F "$T/ssh_config" --verify "$SRC" 'lab[001-003]:big.bin'
	expect_rc 0
	expect_all_ok big.bin 1 2 3
}

# 4. Where the file lands, as scp decides it.
scen_scprules() {
	need_fanscp || return
	fixture_start 6
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	chmod 754 "$SRC"
	mkdir "$(host_home 2)/dir" "$(host_home 3)/dir" "$(host_home 5)/sub"
	printf 'old contents\n' >"$(host_home 4)/renamed.bin"
	chmod 600 "$(host_home 4)/renamed.bin"
	run_fanscp -F "$T/ssh_config" "$SRC" lab001: lab002:dir/ lab003:dir \
	    lab004:renamed.bin "lab005:$(host_home 5)/sub/" lab006:new.bin
	expect_rc 0
	expect_copy 1 data.bin "$SRC"		# '' : basename in home
	expect_home 1 data.bin
	expect_copy 2 dir/data.bin "$SRC"	# dir/ : basename inside
	expect_home 2 dir dir/data.bin
	expect_copy 3 dir/data.bin "$SRC"	# existing dir: basename inside
	expect_home 3 dir dir/data.bin
	expect_copy 4 renamed.bin "$SRC"	# existing file: replaced
	expect_home 4 renamed.bin
	expect_copy 5 sub/data.bin "$SRC"	# absolute dir/
	expect_home 5 sub sub/data.bin
	expect_copy 6 new.bin "$SRC"		# a new name
	expect_home 6 new.bin
	# A new file gets the source's mode less the umask; a replaced
	# file keeps its mode.
	um=$(ssh_host 6 umask)
	want=$(printf %o $((0754 & ~0$um)))
	expect_mode 6 new.bin "$want"
	expect_mode 4 renamed.bin 600
	for n in 1 2 3 4 5 6; do expect_no_err "$(host_name $n)"; done
}

# -p: the mode, modification and access times of the source.
scen_preserve() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	chmod 640 "$SRC"
	TZ=UTC0 touch -m -t 200102030405.06 "$SRC"
	TZ=UTC0 touch -a -t 200203040506.07 "$SRC"
	printf 'old\n' >"$(host_home 2)/data.bin"
	chmod 666 "$(host_home 2)/data.bin"
	want=$(stat -c '%a %Y %X' "$SRC")
	run_fanscp -F "$T/ssh_config" -p "$SRC" lab001: lab002:
	expect_rc 0
	for n in 1 2; do
		got=$(stat -c '%a %Y %X' "$(host_home $n)/data.bin" 2>/dev/null)
		[ "$got" = "$want" ] ||
		    fail "$(host_name $n): mode/mtime/atime '$got', expected '$want'"
	done
	expect_all_ok data.bin 1 2
}

# 10. Names full of shell syntax land byte for byte and run nothing.
scen_hostile() {
	need_fanscp || return
	fixture_start 4
	nl='
'
	name="-x 'a' \"b\" \$(touch PWNED) \`touch PWNED2\` ;*\\$nl;z"
	dir="d \$(touch PWNED3)'\"; \`touch PWNED4\`"
	mkdir "$(host_home 3)/$dir"
	SRC=$T/src/$name
	mkrandom "$SRC" 100000
	run_fanscp -F "$T/ssh_config" "$SRC" lab001: "lab002:$name" \
	    "lab003:$dir" "lab004:$(host_home 4)/$name"
	expect_rc 0
	expect_copy 1 "$name" "$SRC"
	expect_home 1 "$name"
	expect_copy 2 "$name" "$SRC"
	expect_home 2 "$name"
	expect_copy 3 "$dir/$name" "$SRC"
	expect_home 3 "$dir" "$dir/$name"
	expect_copy 4 "$name" "$SRC"
	expect_home 4 "$name"
	expect_no_pwned
}

# 13a. scp:// URIs with the user, address and port in them.
scen_url() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 5242880
	u=$FIXTURE_USER
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" "$SRC" \
	    "scp://$u@127.0.0.1:$(host_port 1)/url.bin" \
	    "scp://$u@127.0.0.1:$(host_port 2)" \
	    "scp://$u@127.0.0.1:$(host_port 3)/$(host_home 3)/abs.bin"
	expect_rc 0
	expect_copy 1 url.bin "$SRC"
	expect_copy 2 data.bin "$SRC"
	expect_copy 3 abs.bin "$SRC"
	# And user@address:path with the port from -P.
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" -P "$(host_port 1)" "$SRC" \
	    "$u@127.0.0.1:viaP.bin"
	expect_rc 0
	expect_copy 1 viaP.bin "$SRC"
	expect_home 1 url.bin viaP.bin
	expect_home 2 data.bin
	expect_home 3 abs.bin
}

# 13b. A pssh-style host file and a lone ":path" target.
scen_hostfile() {
	need_fanscp || return
	fixture_start 5
	SRC=$T/src/data.bin
	mkrandom "$SRC" 5242880
	cat >"$T/hosts" <<EOF2
# fanscp host file
lab001
$FIXTURE_USER@lab002

   lab003
127.0.0.1:$(host_port 4)
lab[005-005]
EOF2
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" --width 2 \
	    -h "$T/hosts" "$SRC" :hf.bin
	expect_rc 0
	expect_all_ok hf.bin 1 2 3 4 5
}

# --width N: never more than N hosts connected at once, all served.
# Counted on fanscp's side, from its -vv log, whose lines are whole and in
# order: a host's "started in slot" comes before its connect(2) and its
# "done" after the close(2) of its socket, so the count is never below the
# true one.  (Counting sshd's established sockets with ss(8) saw 3 at
# once under --width 2 on a busy machine, while fanscp never held more
# than 2 sockets: an sshd-side socket outlives the client's close until
# the FIN or RST is processed, and an ss dump is not atomic.)
scen_width() {
	need_fanscp || return
	fixture_start 6
	SRC=$T/src/data.bin
	mkrandom "$SRC" 393216
	for n in 1 2 3 4 5 6; do slow_host "$n"; done
	run_fanscp -F "$T/ssh_config" -vv --width 2 "$SRC" 'lab[001-006]:w.bin'
	expect_rc 0
	for n in 1 2 3 4 5 6; do
		expect_copy "$n" w.bin "$SRC"
		expect_home "$n" w.bin
	done
	max=$(awk '/^lab[0-9]+: started in slot / { if (++n > m) m = n }
	    /^lab[0-9]+: (done$|failed: )/ { n-- }
	    END { print m + 0 }' "$T/err")
	diag "at most $max hosts connected at once"
	[ "$max" -le 2 ] || fail "$max hosts connected at once with --width 2"
	[ "$max" -ge 2 ] ||
	    fail "never 2 hosts at once with --width 2 (max $max)"
}

# Many hosts, several waves of slots.
scen_many() {
	need_fanscp || return
	fixture_start 20
	SRC=$T/src/data.bin
	mkrandom "$SRC" 2097152
	run_fanscp -F "$T/ssh_config" --width 8 --verify "$SRC" \
	    'lab[001-020]:m.bin'
	expect_rc 0
	expect_all_ok m.bin 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
}

# Every thread count, over one queue: one loop, more loops than the
# width allows (capped), and three loops with a failing host among them.
scen_threads() {
	need_fanscp || return
	fixture_start 9
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	run_fanscp -F "$T/ssh_config" --threads 1 --width 3 "$SRC" \
	    'lab[001-009]:t.bin'
	expect_rc 0
	expect_all_ok t.bin 1 2 3 4 5 6 7 8 9
	run_fanscp -F "$T/ssh_config" --threads 8 --width 2 "$SRC" \
	    'lab[001-009]:t.bin'
	expect_rc 0
	expect_all_ok t.bin 1 2 3 4 5 6 7 8 9
	run_fanscp -F "$T/ssh_config" --threads 3 --width 5 --verify "$SRC" \
	    'lab[001-008]:u.bin' 'lab009:/nonexistent/u.bin'
	expect_rc 1
	expect_err lab009 "No such file or directory"
	rm -f "$(host_home 9)/t.bin"
	for i in 1 2 3 4 5 6 7 8; do rm -f "$(host_home "$i")/t.bin"; done
	expect_all_ok u.bin 1 2 3 4 5 6 7 8
}

# libssh2's AES-CTR calls answered from 32 KiB keystreams (src/ctr.c), on
# two threads: -vv counts the keystreams, at least one per 32 KiB sent,
# and every copy checks.  FANSCP_CTR_BATCH=0 sends every call to libcrypto
# (no keystream), with the same copies.
scen_ctrbatch() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	run_fanscp -F "$T/ssh_config" -vv --threads 2 --verify "$SRC" \
	    'lab[001-004]:c.bin'
	expect_rc 0
	for i in 1 2 3 4; do
		expect_copy "$i" c.bin "$SRC"
		expect_home "$i" c.bin
	done
	n=$(sed -n 's/.*AES-CTR keystreams made 32 KiB at a time: //p' \
	    "$T/err")
	[ "${n:-0}" -ge 1024 ] ||
	    fail "keystreams made: '${n}', not one per 32 KiB of 4 x 8 MiB"
	grep -q 'aes128-ctr\|aes192-ctr\|aes256-ctr' "$T/err" ||
	    fail "no AES-CTR cipher named in the -vv log"
	for i in 1 2 3 4; do rm -f "$(host_home "$i")/c.bin"; done
	export FANSCP_CTR_BATCH=0
	run_fanscp -F "$T/ssh_config" -vv --verify "$SRC" 'lab[001-004]:c.bin'
	unset FANSCP_CTR_BATCH
	expect_rc 0
	for i in 1 2 3 4; do
		expect_copy "$i" c.bin "$SRC"
		expect_home "$i" c.bin
	done
	grep -q 'AES-CTR keystreams made 32 KiB at a time: 0$' "$T/err" ||
	    fail "FANSCP_CTR_BATCH=0 still made keystreams"
}
