# --sudo: every remote step through "sudo -n", for root-owned destinations.
ALL_SCENARIOS="$ALL_SCENARIOS sudo"

# A sudoer (NOPASSWD) and a user sudo refuses, on one host, into a
# root-owned directory with a file owned by nobody.
scen_sudo() {
	need_fanscp || return
	ok=fanscpok$$ no=fanscpno$$
	sudo_fixture "$ok" "$no" || return
	SRC=$T/src/f
	mkrandom "$SRC" 300000
	chmod 644 "$SRC"
	mkdir "$h/etc"
	chmod 755 "$h/etc"
	echo old >"$h/etc/app.conf"
	chown nobody:nogroup "$h/etc/app.conf"
	chmod 640 "$h/etc/app.conf"
	echo old >"$h/etc/other.conf"
	d="$h/etc"

	# Without --sudo the directory is root's: refused, before the data.
	run_fanscp -F "$T/ssh_config" "$SRC" "$ok@lab001:$d/app.conf"
	expect_rc 1
	expect_err lab001 "Permission denied"

	# With it: replaced, and the file keeps its owner, group and mode.
	run_fanscp -F "$T/ssh_config" --sudo --verify "$SRC" \
	    "$ok@lab001:$d/app.conf" "$ok@lab001:$d/new.conf"
	expect_rc 0
	cmp -s "$SRC" "$h/etc/app.conf" || fail "app.conf not replaced"
	cmp -s "$SRC" "$h/etc/new.conf" || fail "new.conf not written"
	[ "$(stat -c '%U:%G %a' "$h/etc/app.conf")" = "nobody:nogroup 640" ] ||
	    fail "app.conf is now $(stat -c '%U:%G %a' "$h/etc/app.conf")"
	[ "$(stat -c '%U' "$h/etc/new.conf")" = root ] ||
	    fail "new.conf belongs to $(stat -c '%U' "$h/etc/new.conf")"

	# A tree through sudo: root unpacks it; with -p it keeps the owners
	# the archive records, without it root owns what it unpacks.
	mkdir -p "$T/src/site/sub"
	echo page >"$T/src/site/sub/index.html"
	chown -R nobody:nogroup "$T/src/site"
	run_fanscp -F "$T/ssh_config" --sudo -r -p "$T/src/site" \
	    "$ok@lab001:$d/"
	expect_rc 0
	[ "$(stat -c %U:%G "$h/etc/site/sub/index.html")" = nobody:nogroup ] ||
	    fail "-p under --sudo: index.html is $(stat -c %U:%G "$h/etc/site/sub/index.html")"
	run_fanscp -F "$T/ssh_config" --sudo -r "$T/src/site" \
	    "$ok@lab001:$d/site2"
	expect_rc 0
	[ "$(stat -c %U "$h/etc/site2/sub/index.html")" = root ] ||
	    fail "--sudo without -p: index.html belongs to $(stat -c %U "$h/etc/site2/sub/index.html")"
	cmp -s "$T/src/site/sub/index.html" "$h/etc/site2/sub/index.html" ||
	    fail "site2/sub/index.html differs"

	# sudo refuses the other user: sudo's own reason, nothing left.
	run_fanscp -F "$T/ssh_config" --sudo "$SRC" "$no@lab001:$d/other.conf"
	expect_rc 1
	expect_err lab001 "lab001: sudo: a password is required"
	[ "$(cat "$h/etc/other.conf")" = old ] || fail "other.conf was changed"
	ls -A "$h/etc" | grep -q fanscp && fail "a temp file was left in etc"
	no_fanscp_files 1
}
