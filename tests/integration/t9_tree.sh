# -r: directory trees, sent as a pax archive, checked, then unpacked on
# each host with its own tar: compared entry by entry.
ALL_SCENARIOS="$ALL_SCENARIOS tree_copy tree_preserve tree_merge tree_cut tree_unpackfail tree_notar tree_special tree_notdir"

# make_tree DIR: nested and empty directories, symlinks (relative, absolute,
# dangling), odd names (spaces, a newline, a leading dash, quotes, $(..), a
# glob, non-UTF-8 bytes) and modes (exec, read-only, private, a read-only
# directory with a file in it), an empty and a 1 MB file.
make_tree() {
	mkdir -p "$1/sub/deeper" "$1/empty" "$1/sub/empty too" "$1/ro" \
	    "$1/private" || fixture_die "cannot make the tree"
	(
	cd "$1" || exit 1
	echo nested >sub/deeper/file.txt
	: >sub/zero
	mkrandom big.bin 1000000
	printf 'x' >'with space'
	printf 'nl' >"$(printf 'new\nline')"
	printf 'dash' >-dash
	printf 'sq' >"it's"
	printf 'dq' >'dq"x'
	printf 'cmd' >'$(touch PWNED)'
	printf 'bq' >'`touch PWNED2`'
	printf 'glob' >'*'
	printf 'bytes' >"$(printf 'l\377\376')"
	printf '#!/bin/sh\n' >exec.sh && chmod 755 exec.sh
	printf 'ro' >readonly && chmod 444 readonly
	printf 'secret' >private/key && chmod 600 private/key
	chmod 700 private
	printf 'in ro' >ro/file && chmod 555 ro
	ln -s sub/deeper/file.txt link
	ln -s /nonexistent/target abslink
	ln -s ../../outside sub/up
	ln -s 'with space' "link to 'it'"
	) || fixture_die "cannot fill the tree"
	# Read-only directories, here and on the hosts, must not stop the
	# fixture's rm -rf.
	fixture_cleanup "chmod -R u+rwx '$T' 2>/dev/null"
}

# manifest DIR [ARGS]: see manifest.py.
manifest() {
	python3 tests/integration/manifest.py "$@" ||
	    fixture_die "manifest.py failed on $1"
}

# expect_tree N PATH SRC [ARGS]: host N's PATH (under its home) matches the
# tree SRC entry by entry (manifest.py ARGS for both).
expect_tree() {
	_n=$1 _p=$2 _s=$3; shift 3
	_d=$(host_home "$_n")/$_p
	if [ ! -d "$_d" ] || [ -L "$_d" ]; then
		fail "$(host_name "$_n"): no directory '$_p'"
		return 1
	fi
	manifest "$_s" "$@" >"$T/manifest.want"
	manifest "$_d" "$@" >"$T/manifest.got"
	cmp -s "$T/manifest.want" "$T/manifest.got" && return 0
	fail "$(host_name "$_n"): '$_p' differs from the source tree"
	diff "$T/manifest.want" "$T/manifest.got" | head -20 | sed 's/^/#   /'
}

# expect_tree_bb N PATH SRC [ARGS]: expect_tree for a host whose tar is
# BusyBox's: without -p, the read-only directory 'ro' arrives writable by
# its owner (see DIRECTORY TREES in fanscp(1)).
expect_tree_bb() {
	_n=$1 _p=$2 _s=$3; shift 3
	_d=$(host_home "$_n")/$_p
	_um=0
	[ "${1:-}" = --umask ] && _um=$2
	_ro=$(printf %o $((0755 & ~0$_um)))
	manifest "$_s" "$@" | sed "s/^b'ro' dir 555\$/b'ro' dir $_ro/" \
	    >"$T/manifest.want"
	manifest "$_d" "$@" >"$T/manifest.got"
	cmp -s "$T/manifest.want" "$T/manifest.got" && return 0
	fail "$(host_name "$_n"): '$_p' differs from the source tree"
	diff "$T/manifest.want" "$T/manifest.got" | head -20 | sed 's/^/#   /'
}

# The umask of host N's sessions, which tar applies without -p.
host_umask() { ssh_host "$1" umask | tr -d '\r'; }

# expect_no_tree_temps N: nothing of fanscp's (an archive, a temp
# directory) is left anywhere under host N's home.
expect_no_tree_temps() {
	_left=$(find "$(host_home "$1")" -name '.*fanscp*' 2>/dev/null)
	[ -z "$_left" ] ||
	    fail "$(host_name "$1"): left behind: $(printf '%s' "$_left" | tr '\n' ' ')"
}

# A tree to 4 hosts (one of them a BusyBox world), at home (lands as
# NAME), into an existing directory (DIR/NAME) and to a new path (lands as
# the path); the tree's own name and the target paths are hostile.
scen_tree_copy() {
	need_fanscp || return
	fixture_start 4
	set_shell 4 busybox
	NAME='app '\''v1'\'' $(touch PWNED)'
	SRC=$T/src/$NAME
	make_tree "$SRC"
	um=$(host_umask 1)
	run_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-004]:'
	expect_rc 0
	for n in 1 2 3; do
		expect_tree $n "$NAME" "$SRC" --umask "$um"
		expect_no_err "$(host_name $n)"
	done
	expect_tree_bb 4 "$NAME" "$SRC" --umask "$um"
	mkdir "$(host_home 1)/srv" "$(host_home 2)/-dst \$(x)"
	run_fanscp -F "$T/ssh_config" -r --verify "$SRC" lab001:srv \
	    'lab002:-dst $(x)/' 'lab003:new '\''place'\''' lab004:srv2
	expect_rc 0
	expect_tree 1 "srv/$NAME" "$SRC" --umask "$um"
	expect_tree 2 "-dst \$(x)/$NAME" "$SRC" --umask "$um"
	expect_tree 3 "new 'place'" "$SRC" --umask "$um"
	expect_tree_bb 4 srv2 "$SRC" --umask "$um"
	# A file given with -r is sent as a file, as scp -r does.
	run_fanscp -F "$T/ssh_config" -r "$SRC/big.bin" lab001:one.bin
	expect_rc 0
	expect_copy 1 one.bin "$SRC/big.bin"
	for n in 1 2 3 4; do expect_no_tree_temps $n; done
	expect_no_pwned
}

# -p keeps the modes exactly and the times, the root's included.  BusyBox
# tar makes symlinks last (after the directory times are set), so there a
# directory holding a symlink gets the time of the copy: its tree has
# symlinks at the top only, where fanscp sets the times itself.
scen_tree_preserve() {
	need_fanscp || return
	fixture_start 2
	set_shell 2 busybox
	SRC=$T/src/keep
	make_tree "$SRC"
	chmod 750 "$SRC"
	find "$SRC" -exec touch -h -d '2001-02-03 04:05:06' {} +
	run_fanscp -F "$T/ssh_config" -r -p --verify "$SRC" lab001:
	expect_rc 0
	expect_tree 1 keep "$SRC" --mtime
	rm "$SRC/sub/up"
	touch -d '2001-02-03 04:05:06' "$SRC/sub"
	run_fanscp -F "$T/ssh_config" -r -p --verify "$SRC" lab002:
	expect_rc 0
	expect_tree 2 keep "$SRC" --mtime
	expect_no_tree_temps 1
	expect_no_tree_temps 2
}

# A tree that exists is merged into, as scp -r does: files the source has
# replace theirs, others stay, new directories appear.
scen_tree_merge() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/site
	mkdir -p "$SRC/css" "$SRC/new"
	echo new-index >"$SRC/index.html"
	echo new-css >"$SRC/css/a.css"
	echo fresh >"$SRC/new/file"
	for n in 1 2; do
		h=$(host_home $n)
		mkdir -p "$h/site/css" "$h/site/old"
		echo old-index >"$h/site/index.html"
		echo old-b >"$h/site/css/b.css"
		echo keep >"$h/site/old/file"
	done
	run_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-002]:'
	expect_rc 0
	for n in 1 2; do
		h=$(host_home $n)/site
		[ "$(cat "$h/index.html")" = new-index ] &&
		[ "$(cat "$h/css/a.css")" = new-css ] &&
		[ "$(cat "$h/new/file")" = fresh ] ||
		    fail "$(host_name $n): the source's files are not in the merge"
		[ "$(cat "$h/css/b.css")" = old-b ] &&
		[ "$(cat "$h/old/file")" = keep ] ||
		    fail "$(host_name $n): the merge lost the host's own files"
		expect_no_tree_temps $n
	done
}

# A cut transfer (fanscp killed or interrupted mid-send, a full disk on a
# host) unpacks nothing: no tree, half or whole, appears under its name,
# and an existing tree is left as it was.
scen_tree_cut() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data
	mkdir -p "$SRC/a"
	mkrandom "$SRC/a/big1" 3000000
	mkrandom "$SRC/big2" 3000000
	slow_host 1
	slow_host 2
	mkdir -p "$(host_home 2)/data"
	echo mine >"$(host_home 2)/data/big2"
	for sig in INT KILL; do
		FANSCP_SIGNALLED=1
		start_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-002]:'
		wait_tempfile 1 >/dev/null && wait_tempfile 2 >/dev/null ||
		    fail "no archive was being received ($sig)"
		kill -s $sig "$(fanscp_pid)"
		if [ $sig = KILL ]; then
			wait "$FANSCP_PID"	# 137 is no time-out here
			FANSCP_PID=
		else
			wait_fanscp
			expect_rc 130
		fi
		FANSCP_SIGNALLED=0
		wait_no_tempfile 1 || fail "lab001: the cut archive stayed ($sig)"
		wait_no_tempfile 2 || fail "lab002: the cut archive stayed ($sig)"
		expect_absent 1 data
		[ "$(ls "$(host_home 2)/data")" = big2 ] &&
		[ "$(cat "$(host_home 2)/data/big2")" = mine ] ||
		    fail "lab002: the existing tree changed ($sig)"
	done
	fast_host 1
	limit_host 3 1000
	run_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-003]:'
	expect_rc 1
	expect_err lab003 "File size limit exceeded"
	expect_absent 3 data
	expect_tree 1 data "$SRC" --umask "$(host_umask 1)"
	for n in 1 2 3; do expect_no_tree_temps $n; done
}

# install_tar N: host N's tar unpacks a first file, then fails.
install_badtar() {
	mkdir -p "$(host_dir "$1")/bin"
	cat >"$(host_dir "$1")/bin/tar" <<'EOF'
#!/bin/sh
case $1 in --version) echo 'tar (fake) 0'; exit 0;; esac
echo half >half-unpacked
echo 'tar: write error: No space left on device' >&2
exit 2
EOF
	chmod 755 "$(host_dir "$1")/bin/tar"
}

# install_slowtar N: host N's tar unpacks, touches $T/tar.N.unpacked,
# then waits 3 s before it exits.
install_slowtar() {
	mkdir -p "$(host_dir "$1")/bin"
	_real=$(command -v tar)
	cat >"$(host_dir "$1")/bin/tar" <<EOF
#!/bin/sh
case \$1 in --version) exec '$_real' "\$@";; esac
'$_real' "\$@" || exit
touch '$T/tar.$1.unpacked'
sleep 3
EOF
	chmod 755 "$(host_dir "$1")/bin/tar"
}

# tar failing part-way: a new tree never appears (its temp directory
# goes); an existing one is left merged in part, and the host says so.
# A whole tree, unpacked, is not visible under its name until renamed.
scen_tree_unpackfail() {
	need_fanscp || return
	fixture_start 3
	install_badtar 1
	install_badtar 2
	install_slowtar 3
	SRC=$T/src/t
	make_tree "$SRC"
	mkdir "$(host_home 2)/t"
	start_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-003]:'
	i=0
	while [ ! -e "$T/tar.3.unpacked" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$T/tar.3.unpacked" ] || fail "lab003's tar never ran"
	expect_absent 3 t
	[ -n "$(find "$(host_home 3)" -maxdepth 1 -type d -name '.t.fanscp.*')" ] ||
	    fail "lab003: no temp directory while unpacking"
	wait_fanscp
	expect_rc 1
	expect_err lab001 "cannot unpack '"
	expect_err lab001 "No space left on device"
	expect_absent 1 t
	expect_err lab002 "merged in part"
	[ -f "$(host_home 2)/t/half-unpacked" ] ||
	    fail "lab002: the merge did not run"
	expect_tree 3 t "$SRC" --umask "$(host_umask 3)"
	for n in 1 2 3; do expect_no_tree_temps $n; done
}

# no_tar N: host N's commands run with a PATH that has every tool but tar.
no_tar() {
	_b=$(host_dir "$1")/notar
	mkdir -p "$_b"
	for _f in /usr/local/bin/* /usr/bin/* /bin/*; do
		_t=${_f##*/}
		[ "$_t" = tar ] || [ -e "$_b/$_t" ] || ln -s "$_f" "$_b/$_t"
	done
	cat >"$(host_dir "$1")/notar.sh" <<EOF
PATH='$_b'
export PATH
exec /bin/sh "\$@"
EOF
	set_shell "$1" "/bin/sh $(host_dir "$1")/notar.sh"
}

# A host without tar fails with that reason before any data is sent;
# the others get the tree.
scen_tree_notar() {
	need_fanscp || return
	fixture_start 2
	no_tar 2
	SRC=$T/src/t
	make_tree "$SRC"
	run_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-002]:'
	expect_rc 1
	expect_err lab002 "tar not found on the host"
	expect_absent 2 t
	expect_tree 1 t "$SRC" --umask "$(host_umask 1)"
	expect_no_tree_temps 2
}

# A FIFO, a socket and (as root) a device node in the source tree are
# skipped with a warning; the rest arrives.
scen_tree_special() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/t
	mkdir -p "$SRC/d"
	echo data >"$SRC/d/file"
	mkfifo "$SRC/d/fifo"
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	    "$SRC/sock"
	[ "$(id -u)" = 0 ] && mknod "$SRC/d/null" c 1 3
	run_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-002]:'
	expect_rc 0
	if [ "$(id -u)" = 0 ]; then
		grep -qF "skipping '$SRC/d/null': a device" "$T/err" ||
		    fail "no warning for the device: $(cat "$T/err")"
		rm -f "$SRC/d/null"
	fi
	grep -qF "skipping '$SRC/d/fifo': a FIFO" "$T/err" ||
	    fail "no warning for the FIFO: $(cat "$T/err")"
	grep -qF "skipping '$SRC/sock': a socket" "$T/err" ||
	    fail "no warning for the socket: $(cat "$T/err")"
	rm -f "$SRC/d/fifo" "$SRC/sock"
	expect_tree 1 t "$SRC" --umask "$(host_umask 1)"
	expect_tree 2 t "$SRC" --umask "$(host_umask 2)"
}

# A destination that exists and is not a directory, or whose parent is
# missing, fails clearly, before any data; so does a source tree that
# cannot be read, before anything is sent.
scen_tree_notdir() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/t
	make_tree "$SRC"
	echo file >"$(host_home 1)/t"
	ln -s nowhere "$(host_home 2)/t"
	run_fanscp -F "$T/ssh_config" -r "$SRC" 'lab[001-002]:' lab003:no/such
	expect_rc 1
	expect_err lab001 "'t': it exists and is not a directory"
	expect_err lab002 "'t': it exists and is not a directory"
	expect_err lab003 "cannot create 'no/such': No such file or directory"
	[ "$(cat "$(host_home 1)/t")" = file ] || fail "lab001: 't' changed"
	[ -L "$(host_home 2)/t" ] || fail "lab002: the symlink changed"
	for n in 1 2 3; do expect_no_tree_temps $n; done
	if [ "$(id -u)" != 0 ]; then
		chmod 000 "$SRC/private"
		run_fanscp -F "$T/ssh_config" -r "$SRC" lab003:x
		chmod 700 "$SRC/private"
		expect_rc 2
		grep -qF "'$SRC/private': Permission denied" "$T/err" ||
		    fail "no clear error for an unreadable directory: $(cat "$T/err")"
		expect_absent 3 x
	fi
	run_fanscp -F "$T/ssh_config" "$SRC" lab003:x
	expect_rc 2
	grep -q "is a directory" "$T/err" || fail "no -r: $(cat "$T/err")"
}
