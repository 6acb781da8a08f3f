# Safe releases (issue 10): --validate 'CMD %s' runs on each host's checked
# temp file before the go-ahead; a host whose validation fails is not
# committed, and the command's output is its reason.
ALL_SCENARIOS="$ALL_SCENARIOS validate validate_hostile validate_usage"

# 1. Three hosts hold an old file.  The validator accepts only a file
#    that holds "good", at its final mode, under an absolute path, and
#    refuses wherever the host's home has a "refuse" file.  Host 2 refuses:
#    it keeps its old file, no temp file is left, its kind is "validate"
#    and its message is the validator's own output.  A bad source is
#    refused everywhere.
scen_validate() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/app.conf
	mkdir -p "$T/src"
	printf 'good\nline 2\n' >"$SRC"
	chmod 640 "$SRC"
	for n in 1 2 3; do echo old >"$(host_home $n)/app.conf"; done
	touch "$(host_home 2)/refuse"
	V='case %s in /*) ;; *) echo relative; exit 9;; esac
[ -e "$HOME/refuse" ] && { echo "app.conf: line 2: unknown directive" >&2; exit 3; }
[ "$(stat -c %a %s)" = 644 ] || { echo "mode $(stat -c %a %s)"; exit 4; }
grep -q good %s && echo "syntax is ok: 100%%"'
	run_fanscp -F "$T/ssh_config" --validate "$V" "$SRC" \
	    'lab[001-003]:app.conf'
	expect_rc 1
	expect_copy 1 app.conf "$SRC"
	expect_copy 3 app.conf "$SRC"
	[ "$(cat "$(host_home 2)/app.conf")" = old ] ||
	    fail "lab002: the refused file was committed"
	expect_home 2 app.conf refuse
	expect_home 1 app.conf
	expect_err lab002 "validation failed (status 3): app.conf: line 2: unknown directive"
	expect_err lab002 "not committed"
	expect_no_err lab001
	expect_kinds "1 validate"

	# A source that no host accepts: nothing changes anywhere.
	rm -f "$(host_home 2)/refuse"
	printf 'bad\n' >"$T/src/bad.conf"
	run_fanscp -F "$T/ssh_config" --validate 'grep -q good %s' \
	    "$T/src/bad.conf" 'lab[001-003]:app.conf'
	expect_rc 1
	expect_copy 1 app.conf "$SRC"
	expect_home 2 app.conf
	expect_kinds "3 validate"
	expect_err lab001 "validation failed (status 1)"
}

# 2. Hostile destination names (quotes, $(...), spaces, a newline, a
#    leading dash) and a command with its own quotes: the validator sees
#    the temp file's exact bytes, and nothing is injected.
scen_validate_hostile() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/h.bin
	mkrandom "$SRC" 5000
	name="-a b'\$(touch PWNED1)\"\`touch PWNED2\`;
x"
	V="cp %s \"\$HOME/seen\" && sh -c 'test -s \"\$1\" && echo \"it'\\''s ok\"' x %s"
	run_fanscp -F "$T/ssh_config" -v --validate "$V" "$SRC" \
	    "lab001:./$name" "lab002:./$name"
	expect_rc 0
	for n in 1 2; do
		expect_copy $n "$name" "$SRC"
		expect_copy $n seen "$SRC"
		expect_home $n "$name" seen
	done
	expect_no_pwned
	# A validator that fails on a hostile path says so, and leaves nothing.
	rm -f "$(host_home 1)/$name"
	run_fanscp -F "$T/ssh_config" --validate \
	    'echo "bad: $(wc -c <%s) bytes"; exit 1' "$SRC" "lab001:./$name"
	expect_rc 1
	expect_kinds "1 validate"
	grep -q "validation failed (status 1): bad: 5000 bytes; not committed" \
	    "$T/err" || fail "no validator output in: $(cat "$T/err")"
	expect_home 1 seen
	expect_no_pwned
}

# 3. Usage: no %s, with -r, with --exec: exit 2, nothing started.
scen_validate_usage() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/u
	mkrandom "$SRC" 10
	run_fanscp -F "$T/ssh_config" --validate 'visudo -c' "$SRC" lab001:
	expect_rc 2
	grep -q "validate needs a command with %s" "$T/err" ||
	    fail "no usage message for a --validate without %s"
	run_fanscp -F "$T/ssh_config" --validate 'echo %%s' "$SRC" lab001:
	expect_rc 2
	run_fanscp -F "$T/ssh_config" -r --validate 'true %s' "$T/src" lab001:
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --exec cat --validate 'true %s' "$SRC" \
	    lab001
	expect_rc 2
	expect_home 1
}

ALL_SCENARIOS="$ALL_SCENARIOS then"

# 4. --then runs only where the file was committed, after the rename: host
#    1 fine, host 2's command fails (its copy is done, the failure is its
#    own line, the summary counts it, exit 1, --json has it), host 3's
#    validation fails (no --then there).  A command with quotes and $(...)
#    in its text runs as written.
scen_then() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/app.conf
	mkdir -p "$T/src"
	echo good >"$SRC"
	touch "$(host_home 2)/thenfail"
	touch "$(host_home 3)/refuse"
	A='cat app.conf >>"$HOME/reloads"
[ ! -e "$HOME/thenfail" ] || { echo "reload failed: unit app.service not found" >&2; exit 5; }
printf "%s\n" "it'\''s \$(touch PWNED1) done" >"$HOME/then out"'
	run_fanscp -F "$T/ssh_config" --json "$T/r.json" \
	    --validate '! [ -e "$HOME/refuse" ] || exit 1; test -s %s' \
	    --then "$A" "$SRC" 'lab[001-003]:app.conf'
	expect_rc 1
	for n in 1 2; do
		expect_copy $n app.conf "$SRC"
		expect_copy $n reloads "$SRC"
	done
	[ "$(cat "$(host_home 1)/then out")" = "it's \$(touch PWNED1) done" ] ||
	    fail "lab001: --then's quoted text was changed"
	expect_no_pwned
	expect_home 3 refuse
	expect_no_err lab001
	expect_err lab002 "--then failed (status 5): reload failed: unit app.service not found; the copy is done"
	expect_err lab003 "validation failed"
	grep -q "^fanscp: 2 of 3 hosts done, 1 failed, 0 unknown .*; failed: 1 validate; --then failed: 1" \
	    "$T/err" || fail "summary: $(grep '^fanscp: ' "$T/err")"
	python3 - "$T/r.json" <<'PYEOF' >"$T/json.out" 2>&1 ||
import json, sys
d = json.load(open(sys.argv[1]))
h = {r["target"]: r for r in d["hosts"]}
assert h["lab001"]["status"] == "done" and h["lab001"]["then"] == {"status": 0, "output": ""}, h["lab001"]
t = h["lab002"]["then"]
assert h["lab002"]["status"] == "done" and t["status"] == 5, h["lab002"]
assert t["output"] == "reload failed: unit app.service not found", t
assert h["lab003"]["status"] == "failed" and h["lab003"]["then"] is None, h["lab003"]
assert h["lab003"]["error_kind"] == "validate", h["lab003"]
PYEOF
	    fail "--json: $(cat "$T/json.out")"
	# All well: exit 0, and --then ran once more on each host.
	rm -f "$(host_home 2)/thenfail" "$(host_home 3)/refuse"
	run_fanscp -F "$T/ssh_config" --then "$A" "$SRC" 'lab[001-003]:app.conf'
	expect_rc 0
	[ "$(wc -l <"$(host_home 2)/reloads")" = 2 ] ||
	    fail "lab002: --then did not run again"
	expect_copy 3 reloads "$SRC"
	run_fanscp -F "$T/ssh_config" -r --then true "$T/src" lab001:
	expect_rc 2
}

ALL_SCENARIOS="$ALL_SCENARIOS chmodchown chown_sudo"

# 5. --chmod and --chown (root login): set on a new file and on a replaced
#    one alike, and seen by --validate; an unknown owner fails the host
#    before the go-ahead, leaving the old file; bad values are usage
#    errors.
scen_chmodchown() {
	need_root || return
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/c.conf
	mkdir -p "$T/src"
	echo new >"$SRC"
	chmod 600 "$SRC"
	echo old >"$(host_home 2)/c.conf"
	chmod 600 "$(host_home 2)/c.conf"
	run_fanscp -F "$T/ssh_config" --chmod 2640 --chown nobody:daemon \
	    --validate '[ "$(stat -c %%a:%%U:%%G %s)" = 2640:nobody:daemon ]' \
	    "$SRC" lab001:c.conf lab002:c.conf
	expect_rc 0
	for n in 1 2; do
		expect_copy $n c.conf "$SRC"
		_o=$(stat -c %a:%U:%G "$(host_home $n)/c.conf")
		[ "$_o" = 2640:nobody:daemon ] ||
		    fail "$(host_name $n): c.conf is $_o, not 2640:nobody:daemon"
	done
	# A group alone.
	run_fanscp -F "$T/ssh_config" --chown :daemon "$SRC" lab001:c.conf
	expect_rc 0
	[ "$(stat -c %U:%G "$(host_home 1)/c.conf")" = nobody:daemon ] ||
	    fail "lab001: --chown :daemon changed the owner"
	echo older >"$(host_home 2)/c.conf"
	run_fanscp -F "$T/ssh_config" --chown 'nosuch$(id>PWNED1)`id>PWNED2`:x' \
	    "$SRC" lab002:c.conf
	expect_rc 1
	expect_err lab002 "cannot set the owner of"
	[ "$(cat "$(host_home 2)/c.conf")" = older ] ||
	    fail "lab002: replaced despite a failed chown"
	expect_home 2 c.conf
	expect_no_pwned
	for m in 8 99999 '' u+x 10000; do
		run_fanscp -F "$T/ssh_config" --chmod "$m" "$SRC" lab001:c.conf
		expect_rc 2 "--chmod '$m'"
	done
	run_fanscp -F "$T/ssh_config" --chown '' "$SRC" lab001:c.conf
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --chmod 644 --inplace "$SRC" lab001:c.conf
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --chown nobody -r "$T/src" lab001:
	expect_rc 2
}

# 6. --chown as a user who is not root: refused before the data, with
#    what to do; through --sudo, done.
scen_chown_sudo() {
	need_fanscp || return
	ok=fanscpok$$ no=fanscpno$$
	sudo_fixture "$ok" "$no" || return
	SRC=$T/src/f
	mkrandom "$SRC" 200000
	mkdir "$h/etc"
	chmod 777 "$h/etc"
	run_fanscp -F "$T/ssh_config" --chown nobody "$SRC" "$ok@lab001:$h/etc/a"
	expect_rc 1
	expect_err lab001 "only root may give a file away (--sudo"
	expect_absent 1 "$h/etc/a"
	[ -z "$(ls -A "$h/etc")" ] || fail "left in etc: $(ls -A "$h/etc")"
	run_fanscp -F "$T/ssh_config" --sudo --chown nobody:nogroup --chmod 604 \
	    --validate '[ "$(id -u)" = 0 ] && [ "$(stat -c %%U %s)" = nobody ]' \
	    --then 'id -u >"$(dirname "$PWD")/then-uid"' \
	    "$SRC" "$ok@lab001:$h/etc/a"
	expect_rc 0
	[ "$(stat -c %a:%U:%G "$h/etc/a")" = 604:nobody:nogroup ] ||
	    fail "etc/a is $(stat -c %a:%U:%G "$h/etc/a")"
	[ "$(cat "$h/then-uid" 2>/dev/null)" = 0 ] ||
	    fail "--then did not run as root under --sudo"
}

ALL_SCENARIOS="$ALL_SCENARIOS maxfailures allornothing"

# 7. --max-failures: one host at a time, the first two refuse; with a
#    limit of 2 the other four never start (kind skipped, nothing sent to
#    them); with a limit of 3 they all run.
scen_maxfailures() {
	need_fanscp || return
	fixture_start 6
	kill_host 1
	kill_host 2
	SRC=$T/src/m
	mkrandom "$SRC" 20000
	run_fanscp -F "$T/ssh_config" --no-history --width 1 --threads 1 \
	    --max-failures 2 "$SRC" 'lab[001-006]:m'
	expect_rc 1
	expect_kinds "2 connect, 4 skipped"
	for n in 3 4 5 6; do
		expect_home $n
		expect_err "$(host_name $n)" "not started: 2 hosts failed (--max-failures)"
	done
	run_fanscp -F "$T/ssh_config" --no-history --width 1 --threads 1 \
	    --max-failures 3 "$SRC" 'lab[001-006]:m'
	expect_rc 1
	expect_kinds "2 connect"
	for n in 3 4 5 6; do expect_copy $n m "$SRC"; done
	run_fanscp -F "$T/ssh_config" --max-failures 0 "$SRC" lab003:m
	expect_rc 2
}

# 8. --all-or-nothing: every host verified before any commits (a slow
#    validator on one holds the others); one refused host, or one whose
#    validation fails late, and no host commits: old files kept, no temp
#    file left, the others "skipped".  Too narrow a width is refused.
scen_allornothing() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/a.conf
	mkdir -p "$T/src"
	echo new >"$SRC"
	for n in 1 2 3 4; do echo old >"$(host_home $n)/a.conf"; done
	touch "$(host_home 3)/slow"
	V='! [ -e "$HOME/slow" ] || sleep 2; ! [ -e "$HOME/bad" ] || exit 1; test -s %s'
	run_fanscp -F "$T/ssh_config" -v --all-or-nothing --validate "$V" \
	    "$SRC" 'lab[001-004]:a.conf'
	expect_rc 0
	for n in 1 2 3 4; do expect_copy $n a.conf "$SRC"; done
	grep -q "^lab001: verified; holding the go-ahead" "$T/err" ||
	    fail "lab001 did not hold its go-ahead for lab003"

	# lab003 fails its validation late: nobody commits.
	for n in 1 2 3 4; do echo old >"$(host_home $n)/a.conf"; done
	touch "$(host_home 3)/bad"
	run_fanscp -F "$T/ssh_config" --all-or-nothing --validate "$V" \
	    "$SRC" 'lab[001-004]:a.conf'
	expect_rc 1
	expect_kinds "1 validate, 3 skipped"
	for n in 1 2 4; do
		expect_err "$(host_name $n)" "verified, but not committed: another host failed (--all-or-nothing)"
	done
	for n in 1 2 4; do
		[ "$(cat "$(host_home $n)/a.conf")" = old ] ||
		    fail "$(host_name $n): committed despite lab003's failure"
		expect_home $n a.conf
	done
	expect_home 3 a.conf bad slow

	# One refused host: nothing committed, no temp file anywhere.
	rm -f "$(host_home 3)/bad" "$(host_home 3)/slow"
	kill_host 4
	run_fanscp -F "$T/ssh_config" --all-or-nothing "$SRC" \
	    'lab[001-004]:a.conf'
	expect_rc 1
	expect_kinds "1 connect, 3 skipped"
	for n in 1 2 3; do
		[ "$(cat "$(host_home $n)/a.conf")" = old ] ||
		    fail "$(host_name $n): committed despite lab004's refusal"
		wait_no_tempfile $n
	done
	expect_home 1 a.conf
	expect_home 3 a.conf
	# A host --if-changed finds unchanged does not hold the others.
	cp "$SRC" "$(host_home 1)/a.conf"
	FANSCP_TIMEOUT=30 run_fanscp -F "$T/ssh_config" -v --all-or-nothing \
	    --if-changed "$SRC" 'lab[001-003]:a.conf'
	expect_rc 0
	for n in 2 3; do expect_copy $n a.conf "$SRC"; done
	grep -q "^fanscp: 2 of 3 hosts done, 1 unchanged" "$T/err" ||
	    fail "summary: $(grep '^fanscp: ' "$T/err")"
	run_fanscp -F "$T/ssh_config" --all-or-nothing --width 2 "$SRC" \
	    'lab[001-003]:a.conf'
	expect_rc 2
	grep -q "width must be at least" "$T/err" || fail "no reason for exit 2"
}

ALL_SCENARIOS="$ALL_SCENARIOS ifchanged"

# 9. --if-changed: hosts that hold the same bytes are "unchanged" (inode
#    and mtime kept, no --then run there, no temp file), the others are
#    updated; counted apart in the summary and --json.  Streams and -r are
#    refused.
scen_ifchanged() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/i.bin
	mkrandom "$SRC" 300000
	cp "$SRC" "$(host_home 1)/i.bin"
	touch -d '2001-01-01 00:00' "$(host_home 1)/i.bin"
	cp "$SRC" "$(host_home 2)/i.bin"
	printf 'x' | dd of="$(host_home 2)/i.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
	ino1=$(stat -c %i:%Y "$(host_home 1)/i.bin")
	run_fanscp -F "$T/ssh_config" -v --if-changed --json "$T/r.json" \
	    --then 'touch "$HOME/ran"' "$SRC" 'lab[001-003]:i.bin'
	expect_rc 0
	[ "$(stat -c %i:%Y "$(host_home 1)/i.bin")" = "$ino1" ] ||
	    fail "lab001: the unchanged file was replaced"
	expect_home 1 i.bin
	for n in 2 3; do
		expect_copy $n i.bin "$SRC"
		expect_home $n i.bin ran
	done
	grep -q "^fanscp: 2 of 3 hosts done, 1 unchanged, 0 failed" "$T/err" ||
	    fail "summary: $(grep '^fanscp: ' "$T/err")"
	python3 - "$T/r.json" <<'PYEOF' >"$T/json.out" 2>&1 ||
import json, sys
d = json.load(open(sys.argv[1]))
h = {r["target"]: r for r in d["hosts"]}
assert h["lab001"]["status"] == "unchanged" and h["lab001"]["then"] is None and h["lab001"]["bytes"] == 0, h["lab001"]
assert h["lab002"]["bytes"] == 300000, h["lab002"]
assert h["lab002"]["status"] == "done" and h["lab003"]["status"] == "done"
s = d["summary"]
assert s["done"] == 2 and s["unchanged"] == 1 and s["failed"] == 0, s
PYEOF
	    fail "--json: $(cat "$T/json.out")"
	# Everything the same now: nothing sent anywhere.
	run_fanscp -F "$T/ssh_config" -v --if-changed "$SRC" 'lab[001-003]:i.bin'
	expect_rc 0
	grep -q "^fanscp: 0 of 3 hosts done, 3 unchanged" "$T/err" ||
	    fail "summary: $(grep '^fanscp: ' "$T/err")"
	# Hostile name, new there: sent.
	name="-x '\$(touch PWNED1)
y"
	run_fanscp -F "$T/ssh_config" --if-changed "$SRC" "lab001:./$name"
	expect_rc 0
	expect_copy 1 "$name" "$SRC"
	expect_no_pwned
	run_fanscp -F "$T/ssh_config" --if-changed - lab001:s </dev/null
	expect_rc 2
	run_fanscp -F "$T/ssh_config" --if-changed -r "$T/src" lab001:
	expect_rc 2
}
