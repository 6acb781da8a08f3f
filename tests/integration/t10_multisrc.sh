# Several sources (scp a b c host:dir/): one archive per run, one login per
# host, each source landing as DIR/NAME, atomically.
ALL_SCENARIOS="$ALL_SCENARIOS multi_copy multi_notdir multi_usage multi_hostile multi_tree multi_preserve multi_late multi_sudo"

# logins N: how many logins host N's sshd has accepted so far (its log, at
# LogLevel VERBOSE, has one "Accepted publickey" line per login).
logins() { grep -c 'Accepted publickey' "$(host_log "$1")"; }

# Three files to three hosts into an existing directory (spelt three
# ways: "dir/", "dir", and the home as "host:"), replacing one file: the
# bytes arrive, each host logs in once, and nothing of fanscp's is left.
scen_multi_copy() {
	need_fanscp || return
	fixture_start 3
	S=$T/src
	mkdir -p "$S" "$(host_home 1)/dir" "$(host_home 2)/dir"
	mkrandom "$S/a.bin" 300000
	mkrandom "$S/b.bin" 5000
	: >"$S/empty"
	echo old >"$(host_home 2)/dir/b.bin"
	chmod 640 "$(host_home 2)/dir/b.bin"
	for n in 1 2 3; do eval "before$n=\$(logins $n)"; done
	run_fanscp -F "$T/ssh_config" --json "$T/report.json" "$S/a.bin" \
	    "$S/b.bin" "$S/empty" lab001:dir/ lab002:dir lab003:
	expect_rc 0
	for n in 1 2 3; do
		case $n in 3) d= ;; *) d=dir/ ;; esac
		for f in a.bin b.bin empty; do expect_copy $n "$d$f" "$S/$f"; done
		eval "b=\$before$n"
		a=$(logins $n)
		[ $((a - b)) = 1 ] ||
		    fail "$(host_name $n): $((a - b)) logins, expected 1"
		expect_no_err "$(host_name $n)"
		expect_no_stray $n
	done
	# A replaced file keeps its mode, as with one source.
	expect_mode 2 dir/b.bin 640
	python3 - "$T/report.json" <<'PY' || fail "--json: one record per host, done"
import json, sys
r = json.load(open(sys.argv[1]))
hosts = r["hosts"]
assert len(hosts) == 3, hosts
assert all(h["status"] == "done" for h in hosts), hosts
PY
	# A BusyBox world (its sh, tar, stat, mv), and OpenSSH's ssh as the
	# transport: the same, one login each.
	set_shell 1 busybox
	echo old >"$(host_home 1)/dir/a.bin"
	chmod 604 "$(host_home 1)/dir/a.bin"
	for n in 1 2; do eval "before$n=\$(logins $n)"; done
	run_fanscp -F "$T/ssh_config" --transport ssh --verify "$S/a.bin" \
	    "$S/b.bin" "$S/empty" 'lab[001-002]:dir/'
	expect_rc 0
	for n in 1 2; do
		for f in a.bin b.bin empty; do expect_copy $n "dir/$f" "$S/$f"; done
		eval "b=\$before$n"
		a=$(logins $n)
		[ $((a - b)) = 1 ] ||
		    fail "$(host_name $n): $((a - b)) logins over ssh, expected 1"
		expect_no_stray $n
	done
	expect_mode 1 dir/a.bin 604
}

# A target that is not a directory fails that host alone, with nothing
# written there: a file, a symlink to a file, a missing path.  And a
# destination that cannot be replaced (a directory where a source lands)
# fails its host before anything is placed, the other sources included.
scen_multi_notdir() {
	need_fanscp || return
	fixture_start 4
	S=$T/src
	mkdir -p "$S" "$(host_home 1)/dir" "$(host_home 4)/dir/b"
	echo aaa >"$S/a"
	echo bbb >"$S/b"
	echo keep >"$(host_home 2)/dir"
	ln -s dir "$(host_home 3)/link"
	echo keep >"$(host_home 3)/dir"
	run_fanscp -F "$T/ssh_config" --failed "$T/retry" "$S/a" "$S/b" \
	    lab001:dir lab002:dir lab003:link/ lab004:dir/
	expect_rc 1
	expect_copy 1 dir/a "$S/a"
	expect_copy 1 dir/b "$S/b"
	expect_no_err lab001
	expect_err lab002 "'dir': not a directory"
	expect_err lab003 "not a directory"
	expect_err lab004 "cannot create 'dir/b': Is a directory"
	[ "$(cat "$(host_home 2)/dir")" = keep ] || fail "lab002: 'dir' changed"
	[ "$(cat "$(host_home 3)/dir")" = keep ] || fail "lab003: 'dir' changed"
	expect_home 2 dir
	expect_home 3 dir link
	# Nothing placed on lab004, not even 'a', which could have been.
	expect_absent 4 dir/a
	expect_no_stray 4
	# The retry list names the failed hosts with their target directory.
	for h in lab002/dir lab003/link/ lab004/dir/; do
		grep -qxF "scp://$h" "$T/retry" ||
		    fail "--failed lacks scp://$h: $(cat "$T/retry")"
	done
	[ "$(wc -l <"$T/retry")" = 3 ] || fail "--failed: $(cat "$T/retry")"
	run_fanscp -F "$T/ssh_config" "$S/a" "$S/b" lab001:no/such/
	expect_rc 1
	expect_err lab001 "No such file or directory"
	expect_absent 1 no
}

# What is refused before anything is sent (exit 2, no login): the same
# name twice, a directory without -r, a stream, a missing source, and the
# options that have no single file to apply to.
scen_multi_usage() {
	need_fanscp || return
	fixture_start 1
	S=$T/src
	mkdir -p "$S/x" "$S/d" "$(host_home 1)/dir"
	echo 1 >"$S/f"
	echo 2 >"$S/x/f"
	b=$(logins 1)
	run_fanscp -F "$T/ssh_config" "$S/f" "$S/x/f" lab001:dir/
	expect_rc 2
	grep -qF "'$S/f' and '$S/x/f' would both land as 'f'" "$T/err" ||
	    fail "same name twice: $(cat "$T/err")"
	run_fanscp -F "$T/ssh_config" "$S/f" "$S/d" lab001:dir/
	expect_rc 2
	grep -qF "'$S/d': is a directory" "$T/err" ||
	    fail "a directory without -r: $(cat "$T/err")"
	run_fanscp -F "$T/ssh_config" "$S/f" - lab001:dir/
	expect_rc 2
	grep -qF "'-' (a stream) cannot be one of several sources" "$T/err" ||
	    fail "a stream: $(cat "$T/err")"
	run_fanscp -F "$T/ssh_config" "$S/f" "$S/nosuch" lab001:dir/
	expect_rc 2
	grep -qF "cannot open '$S/nosuch'" "$T/err" ||
	    fail "a missing source: $(cat "$T/err")"
	for opt in "--chmod 600" "--chown root:root" "--then true" \
	    "--validate true" --if-changed --inplace --resume "--size 2" \
	    "--exec cat"; do
		# shellcheck disable=SC2086
		run_fanscp -F "$T/ssh_config" $opt "$S/f" "$S/x/f" lab001:dir/
		[ "$RC" = 2 ] || fail "$opt with several sources: exit $RC"
	done
	[ "$(logins 1)" = "$b" ] || fail "lab001 was logged in to"
	expect_home 1 dir
}

# Hostile names as sources ($(..), quotes, spaces, a newline, a leading
# dash) and as the target directory: byte for byte, nothing run.
scen_multi_hostile() {
	need_fanscp || return
	fixture_start 2
	S=$T/src
	mkdir -p "$S"
	D='-dst $(touch PWNED) '\''q'\'''
	mkdir "$(host_home 1)/$D" "$(host_home 2)/$D"
	set -- '$(touch PWNED)' "it's \"q\"" 'with space' "$(printf 'new\nline')" \
	    -dash '`touch PWNED2`'
	for f in "$@"; do printf '%s' "$f" >"$S/$f"; done
	nl=$(printf 'new\nline')
	# Relative names, after "--" (as scp wants for "-dash").
	(cd "$S" && run_fanscp -F ../ssh_config -- '$(touch PWNED)' \
	    "it's \"q\"" 'with space' "$nl" -dash '`touch PWNED2`' \
	    "lab001:$D" "lab002:$D/"; echo "$RC" >"$T/rc.rel")
	[ "$(cat "$T/rc.rel")" = 0 ] || fail "relative names: exit $(cat "$T/rc.rel")"
	for n in 1 2; do
		for f in "$@"; do expect_copy $n "$D/$f" "$S/$f"; done
		rm -f "$(host_home $n)/$D"/*
	done
	run_fanscp -F "$T/ssh_config" "$S/\$(touch PWNED)" "$S/it's \"q\"" \
	    "$S/with space" "$S/$nl" "$S/-dash" "$S/\`touch PWNED2\`" \
	    "lab001:$D" "lab002:$D/"
	expect_rc 0
	for n in 1 2; do
		for f in "$@"; do expect_copy $n "$D/$f" "$S/$f"; done
		expect_no_stray $n
	done
	expect_no_pwned
}

# -r with a directory and a file together: the tree lands as DIR/NAME
# (new, and merged into an existing one), the file beside it.
scen_multi_tree() {
	need_fanscp || return
	fixture_start 2
	S=$T/src
	mkdir -p "$S/tree/sub" "$(host_home 1)/dir" "$(host_home 2)/dir/tree"
	echo deep >"$S/tree/sub/f"
	echo top >"$S/tree/g"
	ln -s sub/f "$S/tree/link"
	mkrandom "$S/file" 70000
	echo mine >"$(host_home 2)/dir/tree/own"
	chmod 750 "$(host_home 2)/dir/tree"
	set_shell 2 busybox
	run_fanscp -F "$T/ssh_config" -r "$S/tree" "$S/file" 'lab[001-002]:dir'
	expect_rc 0
	for n in 1 2; do
		expect_copy $n dir/file "$S/file"
		expect_copy $n dir/tree/sub/f "$S/tree/sub/f"
		expect_copy $n dir/tree/g "$S/tree/g"
		[ "$(readlink "$(host_home $n)/dir/tree/link")" = sub/f ] ||
		    fail "$(host_name $n): the symlink did not arrive as one"
		expect_no_stray $n
	done
	# Merged: what was there stays, and so does the directory's mode.
	[ "$(cat "$(host_home 2)/dir/tree/own")" = mine ] ||
	    fail "lab002: the merge lost 'own'"
	expect_mode 2 dir/tree 750
	# A file where the tree lands fails the host; nothing is placed.
	rm -rf "$(host_home 1)/dir/tree" "$(host_home 1)/dir/file"
	echo x >"$(host_home 1)/dir/tree"
	run_fanscp -F "$T/ssh_config" -r "$S/tree" "$S/file" lab001:dir/
	expect_rc 1
	expect_err lab001 "it exists and is not a directory"
	expect_absent 1 dir/file
	expect_no_stray 1
}

# -p keeps each source's mode and times; without it, new files get the
# mode less the umask and the time of the copy.  --verify checks the
# archive on each host.
scen_multi_preserve() {
	need_fanscp || return
	fixture_start 1
	S=$T/src
	mkdir -p "$S" "$(host_home 1)/p" "$(host_home 1)/n"
	echo one >"$S/one" && chmod 751 "$S/one"
	echo two >"$S/two" && chmod 604 "$S/two"
	touch -m -d '2001-02-03 04:05:06 UTC' "$S/one"
	touch -m -d '2002-03-04 05:06:07 UTC' "$S/two"
	echo old >"$(host_home 1)/p/two" && chmod 600 "$(host_home 1)/p/two"
	run_fanscp -F "$T/ssh_config" -p --verify "$S/one" "$S/two" lab001:p/
	expect_rc 0
	for f in one two; do
		expect_copy 1 "p/$f" "$S/$f"
		expect_mode 1 "p/$f" "$(stat -c %a "$S/$f")"
		[ "$(stat -c %Y "$(host_home 1)/p/$f")" = "$(stat -c %Y "$S/$f")" ] ||
		    fail "lab001: p/$f lost its mtime"
	done
	um=$(ssh_host 1 umask | tr -d '\r')
	run_fanscp -F "$T/ssh_config" "$S/one" "$S/two" lab001:n
	expect_rc 0
	expect_mode 1 n/one "$(printf %o $((0751 & ~0$um)))"
	[ "$(stat -c %Y "$(host_home 1)/n/one")" != "$(stat -c %Y "$S/one")" ] ||
	    fail "lab001: n/one kept its mtime without -p"
	expect_no_stray 1
	# A host file's hosts take their directory from a lone ":path".
	echo lab001 >"$T/hosts"
	run_fanscp -F "$T/ssh_config" -h "$T/hosts" "$S/one" "$S/two" :h/
	expect_rc 1
	expect_err lab001 "No such file or directory"
	mkdir "$(host_home 1)/h"
	run_fanscp -F "$T/ssh_config" -h "$T/hosts" "$S/one" "$S/two" :h/
	expect_rc 0
	expect_copy 1 h/one "$S/one"
	expect_copy 1 h/two "$S/two"
}

# What the commit finds wrong fails the host with nothing placed: a
# destination that became a directory while the data was on its way (the
# receive checked it before), and with --verify an archive that arrived
# altered.  The other hosts are done.
scen_multi_late() {
	need_fanscp || return
	fixture_start 3
	S=$T/src
	mkdir -p "$S"
	for n in 1 2 3; do mkdir "$(host_home $n)/dir"; done
	mkrandom "$S/a" 3000000
	printf 'AAAA' >"$S/b"
	slow_host 1
	corrupt_host 2
	start_fanscp -F "$T/ssh_config" --verify "$S/a" "$S/b" 'lab[001-003]:dir'
	wait_temp_over 1 0 30 >/dev/null || fail "lab001: no archive arrived"
	mkdir "$(host_home 1)/dir/b"
	wait_fanscp
	expect_rc 1
	expect_err lab001 "cannot create 'dir/b': Is a directory"
	expect_err lab002 "SHA-256 mismatch"
	expect_no_err lab003
	for n in 1 2; do
		expect_absent $n dir/a
		expect_no_stray $n
	done
	for f in a b; do expect_copy 3 "dir/$f" "$S/$f"; done
	expect_no_stray 3
}

# --sudo: several sources into a root-owned directory, as the file copy
# does it: refused without it, before the data; with it, a replaced file
# keeps its owner, group and mode, a new one is root's.
scen_multi_sudo() {
	need_fanscp || return
	ok=fsmok$$ no=fsmno$$
	sudo_fixture "$ok" "$no" || return
	S=$T/src
	mkdir -p "$S" "$h/etc"
	chmod 755 "$T/src" "$h/etc"
	echo one >"$S/one"
	echo two >"$S/two"
	chmod 644 "$S/one" "$S/two"
	echo old >"$h/etc/one"
	chown nobody:nogroup "$h/etc/one"
	chmod 640 "$h/etc/one"
	run_fanscp -F "$T/ssh_config" "$S/one" "$S/two" "$ok@lab001:$h/etc"
	expect_rc 1
	expect_err lab001 "Permission denied"
	[ "$(cat "$h/etc/one")" = old ] || fail "one changed without --sudo"
	run_fanscp -F "$T/ssh_config" --sudo "$S/one" "$S/two" \
	    "$ok@lab001:$h/etc/"
	expect_rc 0
	cmp -s "$S/one" "$h/etc/one" || fail "one not replaced"
	cmp -s "$S/two" "$h/etc/two" || fail "two not written"
	[ "$(stat -c '%U:%G %a' "$h/etc/one")" = "nobody:nogroup 640" ] ||
	    fail "one is now $(stat -c '%U:%G %a' "$h/etc/one")"
	[ "$(stat -c %U "$h/etc/two")" = root ] ||
	    fail "two belongs to $(stat -c %U "$h/etc/two")"
	expect_no_stray 1
}
