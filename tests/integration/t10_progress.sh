# The progress line as a person sees it (issue 10): fanscp runs in a tmux
# pane of 80 columns, to hosts named by 64-byte aliases, and the pane is
# captured every 0.3 s.  No captured frame may hold more than one row
# (a line that wraps leaves a stale row behind at every frame), nor a
# joined line wider than the pane; after a resize the width is followed;
# after the run, and after Ctrl-C, the line is gone.
ALL_SCENARIOS="$ALL_SCENARIOS progress_fits progress_interrupt"

# _long_aliases: every labNNN in $T/ssh_config also answers to
# labNNN.web-frontend.eu-west-1.compute.internal.fleet-example.net.
_long_aliases() {
	sed "s/^Host \(lab[0-9]*\)\$/Host \1 \1.$_LONG_TAIL/" "$T/ssh_config" \
	    >"$T/ssh_config.long" && mv "$T/ssh_config.long" "$T/ssh_config"
}
_LONG_TAIL=web-frontend.eu-west-1.compute.internal.fleet-example.net

# _pane_start ARGS...: fanscp ARGS in a detached tmux pane of 80x24, its
# exit status then in $T/pane.rc (the pane stays, for the last capture).
_pane_start() {
	command -v tmux >/dev/null 2>&1 || { skip "no tmux"; return 1; }
	_tmux="tmux -S $T/tmux.sock -f /dev/null"
	{
		echo 'trap : INT'
		printf 'HOME=%s SSH_AUTH_SOCK= %s' "$(shq "$T/local")" \
		    "$(shq "$FANSCP")"
		for _a in "$@"; do printf ' %s' "$(shq "$_a")"; done
		printf '\necho $? >%s\nexec sleep 300\n' "$(shq "$T/pane.rc")"
	} >"$T/pane.sh"
	LAST_CMD="fanscp $(shq "$@") (in tmux)"
	fixture_cleanup "$_tmux kill-server 2>/dev/null"
	$_tmux new-session -d -x 80 -y 24 -s p "sh $(shq "$T/pane.sh")" ||
	    { fail "tmux new-session failed"; return 1; }
	FRAMES=0
	return 0
}

# _capture FILE: the pane's rows into FILE, wrapped rows joined into
# FILE.joined.
_capture() {
	$_tmux capture-pane -p -t p >"$1" 2>/dev/null
	$_tmux capture-pane -p -J -t p >"$1.joined" 2>/dev/null
}

# _frames COLS SECONDS: capture frames until fanscp exits (or SECONDS
# pass); each must have at most one non-empty row, no wider than COLS - 3
# even joined (room for an echoed "^C").  ONE_ROW counts the frames that show a progress line,
# WIDEST is the widest.
_frames() {
	_i=0
	while [ ! -s "$T/pane.rc" ] && [ $_i -lt $(($2 * 10 / 3)) ]; do
		_i=$((_i + 1))
		FRAMES=$((FRAMES + 1))
		_f=$T/frame.$FRAMES
		_capture "$_f"
		[ -s "$T/pane.rc" ] && break	# may have caught the summary
		_rows=$(grep -c . "$_f")
		_w=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' \
		    "$_f.joined")
		if [ "$_rows" -gt 1 ]; then
			fail "frame $FRAMES has $_rows rows: $(cat "$_f")"
			return 1
		fi
		if [ "$_w" -gt $(($1 - 3)) ]; then
			fail "frame $FRAMES is $_w wide in $1 columns: $(cat "$_f.joined")"
			return 1
		fi
		if grep -q 'done, .* active' "$_f"; then
			ONE_ROW=$((ONE_ROW + 1))
			[ "$_w" -gt "$WIDEST" ] && WIDEST=$_w
		fi
		sleep 0.3
		[ -n "${3:-}" ] && [ $_i -ge "$3" ] && return 0
	done
	return 0
}

# _pane_wait SECONDS: wait for fanscp's exit; RC gets its status.
_pane_wait() {
	_i=0
	while [ ! -s "$T/pane.rc" ] && [ $_i -lt $(($1 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	RC=$(cat "$T/pane.rc" 2>/dev/null)
	[ -n "$RC" ] || fail "fanscp did not finish in $1 s: $LAST_CMD"
	sleep 0.3	# let tmux draw the last bytes
	_capture "$T/frame.last"
}

# 1. Three hosts by their 64-byte aliases, 8 MiB each, two slow, one with
#    a slow sha256sum: the frames at 80 columns fit on one row, say that
#    one host verifies, and name the slowest host, shortened;
#    widened to 120 columns the line uses the room; at the end the pane
#    is empty and the copies are whole.
scen_progress_fits() {
	need_fanscp || return
	fixture_start 3
	_long_aliases
	slow_host 1
	slow_host 2
	install_slow 3 sha256sum 5	# t6_replace.sh: lab003 verifies 5 s
	SRC=$T/src/p.bin
	mkrandom "$SRC" 8388608
	_pane_start -F "$T/ssh_config" --verify "$SRC" \
	    "lab001.$_LONG_TAIL:p.bin" "lab002.$_LONG_TAIL:p.bin" \
	    "lab003.$_LONG_TAIL:p.bin" || return
	ONE_ROW=0 WIDEST=0
	_frames 80 60 10 || return
	narrow=$ONE_ROW
	cat "$T"/frame.[0-9]* >"$T/narrow"
	[ "$narrow" -ge 3 ] ||
	    fail "only $narrow of $FRAMES frames at 80 columns showed a progress line"
	grep -q 'slowest lab00[123]\.[a-z-]*\.\. [0-9]*%' "$T/narrow" ||
	    fail "no frame at 80 columns names the slowest host: $(cat "$T/frame.$FRAMES")"
	grep -q "$_LONG_TAIL" "$T/narrow" &&
	    fail "a frame at 80 columns holds a whole 64-byte name"
	grep -q ', 3 active, 1 verifying |' "$T/narrow" ||
	    fail "no frame says lab003 is verifying: $(cat "$T/narrow")"
	$_tmux resize-window -t p -x 120 -y 24
	WIDEST=0 ONE_ROW=0
	_frames 120 60 || return
	[ "$ONE_ROW" -ge 2 ] ||
	    fail "only $ONE_ROW frames at 120 columns showed a progress line"
	[ "$WIDEST" -gt 80 ] ||
	    fail "at 120 columns the line stayed within 80 ($WIDEST): the resize was not followed"
	_pane_wait 60
	expect_rc 0
	[ "$(grep -c . "$T/frame.last")" = 0 ] ||
	    fail "the pane is not empty after the run: $(cat "$T/frame.last")"
	diag "$FRAMES frames, $narrow at 80 columns; widest at 120: $WIDEST"
	for n in 1 2 3; do
		expect_copy "$n" p.bin "$SRC"
		expect_home "$n" p.bin
	done
}

# 2. Ctrl-C in the pane mid-run: exit 130, no progress line left on any
#    row, and the summary says how many bytes went out in all.
scen_progress_interrupt() {
	need_fanscp || return
	fixture_start 2
	_long_aliases
	for n in 1 2; do slow_host "$n"; done
	SRC=$T/src/i.bin
	mkrandom "$SRC" 16777216
	_pane_start -F "$T/ssh_config" "$SRC" "lab001.$_LONG_TAIL:i.bin" \
	    "lab002.$_LONG_TAIL:i.bin" || return
	ONE_ROW=0 WIDEST=0
	_frames 80 30 8 || return
	[ "$ONE_ROW" -ge 2 ] ||
	    fail "only $ONE_ROW frames showed a progress line before Ctrl-C"
	$_tmux send-keys -t p C-c
	_pane_wait 30
	expect_rc 130
	grep -q 'active |\|ETA ' "$T/frame.last.joined" &&
	    fail "a progress line is left after Ctrl-C: $(cat "$T/frame.last.joined")"
	grep -Eq '^fanscp: stopped after sending [0-9.]+ (B|KiB|MiB) in all, to 2 of 2 hosts$' \
	    "$T/frame.last.joined" ||
	    fail "no 'stopped after sending ... in all' line: $(cat "$T/frame.last.joined")"
	grep -Eq '[0-9] [kMGT]B' "$T/frame.last.joined" &&
	    fail "SI units in the summary: $(cat "$T/frame.last.joined")"
	for n in 1 2; do
		expect_absent "$n" i.bin
		expect_home "$n"
	done
}
