# Replacing what a host holds: non-regular destinations, scp's replace
# rules, the go-ahead, hostile rc files and login shells.
ALL_SCENARIOS="$ALL_SCENARIOS special replace asuser goahead latecommit unknown rcfiles loginshells"

# no_fanscp_files N: nothing named *fanscp* is left under host N's home
# (temp files beside a destination, or --inplace's in the home).
no_fanscp_files() {
	_left=$(find "$(host_home "$1")" -name '*fanscp*' 2>/dev/null)
	[ -z "$_left" ] ||
	    fail "$(host_name "$1"): left behind: $(printf '%s' "$_left" | tr '\n' ' ')"
}

# expect_summary WORDS: the summary line says WORDS.
expect_summary() {
	grep -q "^fanscp: $1 " "$T/err" ||
	    fail "summary is not '$1': $(grep '^fanscp: ' "$T/err")"
}

# A FIFO, a device node, a socket: refused with the reason, never
# replaced by a regular file, before any data; the other hosts go on.
scen_special() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/f
	mkrandom "$SRC" 200000
	mkfifo "$(host_home 1)/f"
	ln -s /dev/null "$(host_home 2)/f"
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	    "$(host_home 3)/f"
	if [ "$(id -u)" = 0 ]; then
		mknod "$(host_home 4)/dev" c 1 3 && chmod 666 "$(host_home 4)/dev"
	fi
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-003]:f' lab004:f
	expect_rc 1
	expect_err lab001 "'f' is a FIFO; fanscp replaces regular files only"
	expect_err lab002 "'/dev/null' is a character device"
	expect_err lab003 "'f' is a socket"
	expect_copy 4 f "$SRC"
	[ -p "$(host_home 1)/f" ] || fail "lab001: the FIFO was replaced"
	[ -L "$(host_home 2)/f" ] && [ -c /dev/null ] ||
	    fail "lab002: the link or /dev/null was replaced"
	[ -S "$(host_home 3)/f" ] || fail "lab003: the socket was replaced"
	expect_summary "1 of 4 hosts done, 3 failed, 0 unknown"
	if [ "$(id -u)" = 0 ]; then
		run_fanscp -F "$T/ssh_config" --verify "$SRC" lab004:dev
		expect_rc 1
		expect_err lab004 "'dev' is a character device"
		[ -c "$(host_home 4)/dev" ] || fail "lab004: the device was replaced"
		[ "$(stat -c %a "$(host_home 4)/dev")" = 666 ] ||
		    fail "lab004: the device's mode changed"
	fi
	for n in 1 2 3 4; do no_fanscp_files $n; done
}

# scp's replace rules, atomically: owner, group, mode, no setuid, a
# symlink written through, the ACL kept, a name at NAME_MAX.
scen_replace() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/app.conf
	mkrandom "$SRC" 5000
	chmod 4755 "$SRC"
	h=$(host_home 1)
	mkdir "$h/etc" "$h/real"
	echo old >"$h/etc/app.conf"
	chmod 640 "$h/etc/app.conf"
	[ "$(id -u)" = 0 ] && chown nobody:nogroup "$h/etc/app.conf"
	echo old >"$h/suid"
	chmod 4755 "$h/suid"
	echo old >"$h/real/target"
	chmod 600 "$h/real/target"
	ln -s real/target "$h/link"
	echo old >"$h/ro"
	chmod 444 "$h/ro"
	acl=
	if command -v setfacl >/dev/null 2>&1 &&
	    setfacl -m u:nobody:rw "$h/etc/app.conf" 2>/dev/null; then
		acl=1
	fi
	long=$(printf '%0255d' 0 | tr 0 n)
	want=$(stat -c '%a %U %G' "$h/etc/app.conf")
	set -- lab001:etc/app.conf lab001:suid lab001:link "lab001:$long" \
	    lab002:new
	[ "$(id -u)" = 0 ] && set -- "$@" lab001:ro
	run_fanscp -F "$T/ssh_config" "$SRC" "$@"
	expect_rc 0
	expect_copy 1 etc/app.conf "$SRC"
	got=$(stat -c '%a %U %G' "$h/etc/app.conf")
	[ "$got" = "$want" ] || fail "lab001: etc/app.conf is '$got', expected '$want'"
	if [ -n "$acl" ]; then
		getfacl -cp "$h/etc/app.conf" 2>/dev/null | grep -q '^user:nobody:rw-' ||
		    fail "lab001: the ACL of etc/app.conf was lost"
	fi
	expect_copy 1 suid "$SRC"
	expect_mode 1 suid 755
	[ -L "$h/link" ] || fail "lab001: the symlink was replaced by a file"
	expect_copy 1 real/target "$SRC"
	expect_mode 1 real/target 600
	expect_copy 1 "$long" "$SRC"
	# A new file: the source's mode less the umask, no setuid.
	expect_mode 2 new 755
	if [ "$(id -u)" = 0 ]; then
		expect_copy 1 ro "$SRC"		# root writes a 0444 file, as scp
		expect_mode 1 ro 444
	fi
	# -p: the source's mode, setuid included, and its times.
	TZ=UTC0 touch -m -t 200102030405.06 "$SRC"
	run_fanscp -F "$T/ssh_config" -p "$SRC" lab001:suid
	expect_rc 0
	[ "$(stat -c '%a %Y' "$h/suid")" = "$(stat -c '%a %Y' "$SRC")" ] ||
	    fail "lab001: -p gave '$(stat -c '%a %Y' "$h/suid")'"
	no_fanscp_files 1
	no_fanscp_files 2
}

# As a user that is not root: a file it may not write, a directory it may
# not write (and --inplace), a sticky directory with another's file.
scen_asuser() {
	need_root || return
	need_fanscp || return
	u=fanscp$$
	# '*': no password, but not locked (sshd refuses locked accounts).
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$u" 2>/dev/null ||
	    { skip "useradd failed"; return; }
	fixture_cleanup "userdel $u"
	fixture_start 1
	h=$(host_home 1)
	chmod 755 "$T" "$(host_dir 1)"
	chmod 644 "$(host_dir 1)/authorized_keys" "$(host_dir 1)/session.sh"
	chmod 1777 "$h"			# the user's home: w for --inplace
	SRC=$T/src/f
	mkrandom "$SRC" 300000
	chmod 644 "$SRC"
	mkdir "$h/ro" "$h/sticky" "$h/own"
	chown "$u" "$h/own"
	echo old >"$h/own/locked"
	chmod 444 "$h/own/locked"
	echo old >"$h/ro/f"
	chown "$u" "$h/ro/f"
	echo old >"$h/sticky/f"
	chmod 666 "$h/sticky/f"
	chmod 1777 "$h/sticky"
	ino=$(stat -c %i "$h/ro/f")
	run_fanscp -F "$T/ssh_config" "$SRC" "$u@lab001:own/locked" \
	    "$u@lab001:ro/f" "$u@lab001:sticky/f" "$u@lab001:own/new"
	expect_rc 1
	expect_err "$u@lab001:own/locked" "cannot write 'own/locked': Permission denied"
	expect_err "$u@lab001:ro/f" "cannot create a temp file beside 'ro/f': Permission denied; the file itself is writable: --inplace"
	expect_err "$u@lab001:sticky/f" "its directory is sticky and the file belongs to another user"
	expect_copy 1 own/new "$SRC"
	for f in own/locked ro/f sticky/f; do
		[ "$(cat "$h/$f")" = old ] || fail "lab001: $f was changed"
	done
	# Refused before the data: sshd saw only the scripts.
	no_fanscp_files 1
	run_fanscp -F "$T/ssh_config" --inplace --verify "$SRC" "$u@lab001:ro/f" \
	    "$u@lab001:sticky/f"
	expect_rc 0
	expect_copy 1 ro/f "$SRC"
	expect_copy 1 sticky/f "$SRC"
	[ "$(stat -c %i "$h/ro/f")" = "$ino" ] || fail "lab001: --inplace made a new inode"
	[ "$(stat -c '%U %a' "$h/sticky/f")" = "root 666" ] ||
	    fail "lab001: sticky/f is now $(stat -c '%U %a' "$h/sticky/f")"
	no_fanscp_files 1
}

# install_slow N TOOL SECS: host N's TOOL sleeps SECS first, and touches
# $T/TOOL.N.started when it begins.
install_slow() {
	mkdir -p "$(host_dir "$1")/bin"
	_real=$(command -v "$2")
	cat >"$(host_dir "$1")/bin/$2" <<EOF
#!/bin/sh
touch '$T/$2.$1.started'
sleep $3
exec '$_real' "\$@"
EOF
	chmod 755 "$(host_dir "$1")/bin/$2"
}

# A slow hash, byte count or rename is not a stall: the heartbeat keeps
# the host alive.
scen_goahead() {
	need_fanscp || return
	fixture_start 2
	install_slow 1 sha256sum 8
	install_slow 2 wc 6
	install_slow 2 mv 6
	SRC=$T/src/big
	mkrandom "$SRC" 2000000
	run_fanscp -F "$T/ssh_config" --verify --stall-timeout 4 "$SRC" 'lab[001-002]:big'
	expect_rc 0
	expect_copy 1 big "$SRC"
	expect_copy 2 big "$SRC"
	[ -e "$T/sha256sum.1.started" ] || fail "lab001's slow sha256sum did not run"
	[ -e "$T/wc.2.started" ] && [ -e "$T/mv.2.started" ] ||
	    fail "lab002's slow wc and mv did not run"
	no_fanscp_files 1
	no_fanscp_files 2
}

# fanscp gives up (SIGINT, SIGKILL) while a host still checks: when the
# check ends, nothing is renamed; the old file stays.
scen_latecommit() {
	need_fanscp || return
	fixture_start 2
	install_slow 1 sha256sum 4
	install_slow 2 sha256sum 4
	SRC=$T/src/f
	mkrandom "$SRC" 500000
	echo old >"$(host_home 1)/f"
	echo old >"$(host_home 2)/f"
	for sig in INT KILL; do
		rm -f "$T"/sha256sum.*.started
		FANSCP_SIGNALLED=1
		start_fanscp -F "$T/ssh_config" --verify "$SRC" 'lab[001-002]:f'
		i=0
		while [ ! -e "$T/sha256sum.1.started" ] || [ ! -e "$T/sha256sum.2.started" ]; do
			i=$((i + 1))
			[ $i -lt 200 ] || { fail "the commits never started"; break; }
			sleep 0.1
		done
		kill -s $sig "$(fanscp_pid)"
		if [ $sig = KILL ]; then
			wait "$FANSCP_PID"	# 137 is no time-out here
			FANSCP_PID=
		else
			wait_fanscp
			expect_rc 130
		fi
		FANSCP_SIGNALLED=0
		# The hash ends about 4 s later; the scripts then see no go-ahead.
		for n in 1 2; do
			wait_no_tempfile $n 15 || fail "$(host_name $n): temp file left after $sig"
			sleep 1
			[ "$(cat "$(host_home $n)/f")" = old ] ||
			    fail "$(host_name $n): f was replaced after fanscp got SIG$sig"
		done
	done
}

# The answer to the go-ahead never comes: the host is unknown, not failed.
scen_unknown() {
	need_fanscp || return
	fixture_start 2
	install_slow 1 mv 5
	SRC=$T/src/f
	mkrandom "$SRC" 100000
	echo old >"$(host_home 1)/f"
	start_fanscp -F "$T/ssh_config" --stall-timeout 2 "$SRC" 'lab[001-002]:f'
	i=0
	while [ ! -e "$T/mv.1.started" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "the rename never started"; break; }
		sleep 0.1
	done
	stop_host 1
	wait_fanscp
	cont_host 1
	expect_rc 1
	expect_err lab001 "unknown: stalled for 2 s"
	expect_err lab001 "after the go-ahead: whether 'f' was replaced is unknown"
	expect_summary "1 of 2 hosts done, 0 failed, 1 unknown"
	expect_copy 2 f "$SRC"
	# Here the rename does happen, later: "unknown" was the truth.
	wait_no_tempfile 1 15 || fail "lab001: the rename never finished"
	expect_copy 1 f "$SRC"
}

# rc files that print kilobytes, set -eu and pipefail, alias and define
# cat, mv and rm: the scripts run in a fresh sh, and nothing is left.
scen_rcfiles() {
	need_fanscp || return
	fixture_start 3
	awk 'BEGIN { for (i = 0; i < 100; i++) print "Welcome to the bastion of doom, line " i " of the banner" }' \
	    >"$T/rc.noise"
	echo 'cat "'"$T"'/rc.noise"' >"$T/rc1"
	cat >"$T/rc2" <<'EOF'
set -eu
set -o pipefail 2>/dev/null || :
cat() { echo evil; }
mv() { return 1; }
rm() { return 1; }
export -f cat mv rm 2>/dev/null || :
shopt -s expand_aliases 2>/dev/null || :
alias cat='cat -v' mv='mv -i' rm='echo no rm'
echo "rc2 says hello"
EOF
	printf 'echo "to stderr" >&2\nset -e\nfalse || :\n' >"$T/rc3"
	rc_host 1 "$T/rc1"
	rc_host 2 "$T/rc2"
	rc_host 3 "$T/rc3"
	command -v bash >/dev/null 2>&1 && set_shell 2 bash
	SRC=$T/src/f
	mkrandom "$SRC" 1000000
	for n in 1 2 3; do echo old >"$(host_home $n)/f"; done
	run_fanscp -F "$T/ssh_config" --verify "$SRC" 'lab[001-003]:f' 'lab[001-003]:g'
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n f "$SRC"
		expect_copy $n g "$SRC"
		no_fanscp_files $n
	done
	# A refusal still names its reason through the noise.
	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-003]:no/dir/'
	expect_rc 1
	for n in 1 2 3; do expect_err "$(host_name $n)" "cannot create 'no/dir/f'"; done
}

# csh, tcsh and fish as login shells, with rc files that talk.
scen_loginshells() {
	need_fanscp || return
	fixture_start 3
	n=0
	hosts=
	for sh in csh tcsh fish; do
		n=$((n + 1))
		command -v $sh >/dev/null 2>&1 || { diag "no $sh here"; continue; }
		set_shell $n "$(command -v $sh)"
		hosts="$hosts $n"
	done
	[ -n "$hosts" ] || { skip "no csh, tcsh or fish"; return; }
	echo 'echo "csh says hi"' >"$(host_home 1)/.cshrc"
	echo 'echo "tcsh says hi"' >"$(host_home 2)/.tcshrc"
	mkdir -p "$(host_home 3)/.config/fish"
	echo 'echo "fish says hi"' >"$(host_home 3)/.config/fish/config.fish"
	nl='
'
	name="it's a \$(touch PWNED) !x${nl}y"
	SRC=$T/src/$name
	mkrandom "$SRC" 300000
	for n in $hosts; do
		run_fanscp -F "$T/ssh_config" --verify "$SRC" "lab00$n:"
		expect_rc 0
		expect_copy $n "$name" "$SRC"
		no_fanscp_files $n
	done
	expect_no_pwned
}
