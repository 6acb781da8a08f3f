# Reports that scripts can use (issue 10): --json FILE, read by python3's
# JSON parser field by field; --failed FILE, whose scp:// lines retry
# exactly the failed targets with their ports, users and (hostile) paths
# through -h; the failure lines grouped by reason past 10 hosts; pssh's
# "host[:port] user" host-file lines.
ALL_SCENARIOS="$ALL_SCENARIOS report_json report_retry report_grouped report_interrupt report_pssh"

# _json_check FILE PYTHON [ARG...]: python3 loads FILE as JSON into d
# (hosts by host name and port in h) and runs the PYTHON assertions (the
# ARGs are sys.argv[3:]).
_json_check() {
	python3 - "$@" <<'PYEOF' >"$T/json.out" 2>&1 ||
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
h = {(r["host"], r["port"]): r for r in d["hosts"]}
exec(sys.argv[2])
PYEOF
	    fail "--json check failed: $(cat "$T/json.out")"
}

# 1. Four hosts: one done, one refused (port given in an scp:// URI), one
#    whose user is refused (user and absolute path in the URI), one done
#    with a hostile relative path.  Every field of every record is checked.
scen_report_json() {
	need_fanscp || return
	fixture_start 4
	kill_host 2
	SRC=$T/src/j.bin
	mkrandom "$SRC" 100000
	p2=$(host_port 2)
	p3=$(host_port 3)
	p4=$(host_port 4)
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" --json "$T/r.json" \
	    "$SRC" lab001:j.bin "scp://127.0.0.1:$p2/j.bin" \
	    "scp://nosuchuser@127.0.0.1:$p3//tmp/j.bin" \
	    "scp://127.0.0.1:$p4/we%20ird%0A%27%24(x)%C3%A9%FF.bin"
	expect_rc 1
	expect_copy 1 j.bin "$SRC"
	expect_copy 4 "we ird
'\$(x)é$(printf '\377').bin" "$SRC"
	expect_home 2
	[ -z "$(ls "$T" | grep 'r\.json\.fanscp\.')" ] ||
	    fail "temp file left beside the report: $(ls "$T")"
	_json_check "$T/r.json" "
assert d['fanscp_json'] == 1, d
s = d['summary']
assert s == {'source': '$SRC', 'mode': 'copy', 'size': 100000, 'hosts': 4,
    'done': 2, 'unchanged': 0, 'failed': 2, 'unknown': 0, 'seconds': s['seconds'],
    'interrupted': False}, s
assert isinstance(s['seconds'], float) and s['seconds'] > 0, s
assert len(d['hosts']) == 4
keys = ['target', 'uri', 'host', 'hostname', 'port', 'jump', 'user', 'path', 'status',
    'error_kind', 'error', 'bytes', 'seconds', 'rate', 'attempts', 'then']
for r in d['hosts']:
    assert list(r) == keys, list(r)
    assert r['attempts'] == 1, r
    assert r['then'] is None, r
    assert r['seconds'] is None or r['seconds'] >= 0, r
r = h[('lab001', $(host_port 1))]
assert r['target'] == 'lab001' and r['uri'] == 'scp://lab001/j.bin', r
assert r['hostname'] == '127.0.0.1', r
assert r['user'] is None and r['path'] == 'j.bin', r
assert r['status'] == 'done' and r['error_kind'] is None, r
assert r['error'] is None and r['bytes'] == 100000, r
assert r['rate'] is None or r['rate'] > 0, r
r = h[('127.0.0.1', $p2)]
assert r['status'] == 'failed' and r['error_kind'] == 'connect', r
assert 'refused' in r['error'] and r['bytes'] == 0 and r['rate'] is None, r
assert r['uri'] == 'scp://127.0.0.1:$p2/j.bin', r
r = h[('127.0.0.1', $p3)]
assert r['status'] == 'failed' and r['error_kind'] == 'auth', r
assert r['user'] == 'nosuchuser' and r['path'] == '/tmp/j.bin', r
assert r['uri'] == 'scp://nosuchuser@127.0.0.1:$p3//tmp/j.bin', r
r = h[('127.0.0.1', $p4)]
assert r['status'] == 'done', r
assert r['path'] == 'we ird\n\'\$(x)\u00e9\ufffd.bin', repr(r['path'])
assert r['uri'] == 'scp://127.0.0.1:$p4/we%20ird%0A%27%24%28x%29%C3%A9%FF.bin', r
assert r['seconds'] is not None and r['bytes'] == 100000, r
"
	# "-" is stdout, and stdout holds nothing else.
	run_fanscp -F "$T/ssh_config" --json - "$SRC" lab001:j.bin
	expect_rc 0
	python3 -m json.tool "$T/out" >/dev/null ||
	    fail "--json - did not write JSON alone on stdout: $(head -c 300 "$T/out")"
	# A report that cannot be written stops the run before it starts.
	run_fanscp -F "$T/ssh_config" --json "$T/nodir/r.json" "$SRC" \
	    lab001:k.bin
	expect_rc 2
	grep -q "^fanscp: --json: cannot create '$T/nodir/r.json" "$T/err" ||
	    fail "no error naming the report file: $(cat "$T/err")"
	expect_absent 1 k.bin
}

# 2. --failed then -h: the failed targets, and only they, are retried
#    with their ports, users and hostile paths once the causes are fixed;
#    a line's own path wins over a lone ':path'; nothing failed, the file
#    is empty.
scen_report_retry() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/r.bin
	mkrandom "$SRC" 200000
	p3=$(host_port 3)
	p4=$(host_port 4)
	u=$FIXTURE_USER
	hostile="h st'i\"le \$(touch pwned) 100%+
nl-é.bin"
	enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$hostile")
	abs="$(host_home 4)/-abs 50% +x.bin"
	encabs=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$abs")
	revoke_auth 2
	kill_host 3
	revoke_auth 4
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" --failed "$T/failed" \
	    --json "$T/r1.json" "$SRC" 'lab[001-002]:r.bin' \
	    "scp://127.0.0.1:$p3/$enc" "scp://$u@127.0.0.1:$p4/$encabs"
	expect_rc 1
	expect_copy 1 r.bin "$SRC"
	[ "$(wc -l <"$T/failed")" -eq 3 ] ||
	    fail "--failed holds $(wc -l <"$T/failed") lines, not 3: $(cat "$T/failed")"
	grep -qx "scp://lab002/r.bin" "$T/failed" ||
	    fail "lab002 is not listed as scp://lab002/r.bin: $(cat "$T/failed")"
	grep -q "^scp://127.0.0.1:$p3/" "$T/failed" ||
	    fail "the refused host is not listed with its port: $(cat "$T/failed")"
	grep -q "^scp://$u@127.0.0.1:$p4//" "$T/failed" ||
	    fail "host 4 is not listed with user, port and absolute path: $(cat "$T/failed")"
	grep -q lab001 "$T/failed" && fail "lab001 (done) is listed"
	# Fix the causes; retry exactly the listed targets.
	revive_host 3
	restore_auth 2
	restore_auth 4
	touch "$(host_home 1)/r.bin.mark"
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" --failed "$T/failed2" \
	    --json "$T/r2.json" -h "$T/failed" "$SRC"
	expect_rc 0
	expect_copy 2 r.bin "$SRC"
	expect_copy 3 "$hostile" "$SRC"
	expect_copy 4 "$abs" "$SRC"
	[ -e "$(host_home 3)/pwned" ] && fail "a hostile path ran a command"
	[ -f "$T/failed2" ] && [ ! -s "$T/failed2" ] ||
	    fail "--failed after a run with no failure is not an empty file"
	_json_check "$T/r2.json" "
assert d['summary']['hosts'] == 3 and d['summary']['done'] == 3, d['summary']
assert not any(r['host'] == 'lab001' for r in d['hosts']), 'lab001 was retried'
assert h[('127.0.0.1', $p3)]['path'] == sys.argv[3], h
assert h[('127.0.0.1', $p4)]['user'] == '$u', h
" "$hostile"
	# The lines' own paths win over a lone ':path'.
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" -h "$T/failed" "$SRC" \
	    :ignored.bin
	expect_rc 0
	for n in 2 3 4; do expect_absent $n ignored.bin; done
	expect_copy 3 "$hostile" "$SRC"
}

# 3. 14 targets that fail alike (a refused port under 14 names) and 2
#    that resolve nowhere: one line per reason, the hosts folded into a
#    nodeset; a done host gets no line.
scen_report_grouped() {
	need_fanscp || return
	fixture_start 2
	kill_host 2
	cp "$T/ssh_config" "$T/cfg"
	cat >>"$T/cfg" <<EOF2
Host web*
	HostName 127.0.0.1
	Port $(host_port 2)
EOF2
	SRC=$T/src/g.bin
	mkrandom "$SRC" 1000
	run_fanscp -F "$T/cfg" "$SRC" 'web[01-09,11,17-19,203]:g.bin' \
	    'nosuch[1-2].invalid:g.bin' lab001:g.bin
	expect_rc 1
	expect_copy 1 g.bin "$SRC"
	grep -qx 'web\[01-09,11,17-19\],web203: connection refused (14 hosts)' \
	    "$T/err" || fail "no grouped line for the refused hosts: $(cat "$T/err")"
	grep -q '^nosuch\[1-2\]\.invalid: cannot resolve: .* (2 hosts)$' \
	    "$T/err" || fail "no grouped line for the unresolved hosts: $(cat "$T/err")"
	[ "$(grep -vc '^fanscp: ' "$T/err")" -eq 2 ] ||
	    fail "more than the 2 grouped lines: $(cat "$T/err")"
	expect_no_err lab001
	expect_kinds "16 connect"
}

# 4. SIGINT: the report is still written whole, with every host's final
#    status (failed, kind interrupted), and no temp file is left.
scen_report_interrupt() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/i.bin
	mkrandom "$SRC" 8388608
	slow_host 1
	slow_host 2
	start_fanscp -F "$T/ssh_config" --json "$T/i.json" --failed \
	    "$T/i.failed" "$SRC" 'lab[001-002]:i.bin'
	for n in 1 2; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	expect_rc 130
	[ -z "$(ls "$T" | grep '\.fanscp\.')" ] ||
	    fail "temp file left beside the reports: $(ls "$T")"
	_json_check "$T/i.json" "
assert d['summary']['interrupted'] is True, d['summary']
assert d['summary']['failed'] == 2, d['summary']
for r in d['hosts']:
    assert r['status'] == 'failed' and r['error_kind'] == 'interrupted', r
    assert r['bytes'] > 0, r
"
	[ "$(wc -l <"$T/i.failed")" -eq 2 ] ||
	    fail "--failed after SIGINT: $(cat "$T/i.failed")"
}

# 5. pssh's "host[:port] [user]" lines beside "user@host" ones.
scen_report_pssh() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/p.bin
	mkrandom "$SRC" 5000
	cat >"$T/hosts" <<EOF2
# pssh style
127.0.0.1:$(host_port 1) $FIXTURE_USER
lab002	$FIXTURE_USER   # a comment
$FIXTURE_USER@127.0.0.1:$(host_port 3)
EOF2
	run_fanscp -F "$T/ssh_config" -i "$T/id_ed25519" \
	    -o "UserKnownHostsFile=$T/known_hosts" --json "$T/p.json" \
	    -h "$T/hosts" "$SRC" :p.bin
	expect_rc 0
	expect_copy 1 p.bin "$SRC"
	expect_copy 2 p.bin "$SRC"
	expect_copy 3 p.bin "$SRC"
	_json_check "$T/p.json" "
assert all(r['user'] == '$FIXTURE_USER' for r in d['hosts']), d['hosts']
assert h[('127.0.0.1', $(host_port 1))]['path'] == 'p.bin', h
"
	printf 'lab001 a b\n' >"$T/hosts2"
	run_fanscp -F "$T/ssh_config" -h "$T/hosts2" "$SRC" :p.bin
	expect_rc 2
	grep -q "hosts2:1: expected" "$T/err" ||
	    fail "a bad pssh line is not named: $(cat "$T/err")"
	# Under --exec an scp:// line names a host: a path is a usage error,
	# and a line without one runs the command.
	printf 'scp://lab001/p.bin\n' >"$T/hosts3"
	run_fanscp -F "$T/ssh_config" --exec 'cat >e.out' -h "$T/hosts3" "$SRC"
	expect_rc 2
	grep -q "names a host, not a path ('lab001' in a host file)" "$T/err" ||
	    fail "a path under --exec is not refused: $(cat "$T/err")"
	printf 'scp://lab001\nlab002 %s\n' "$FIXTURE_USER" >"$T/hosts3"
	run_fanscp -F "$T/ssh_config" --exec 'cat >e.out' -h "$T/hosts3" "$SRC"
	expect_rc 0
	expect_copy 1 e.out "$SRC"
	expect_copy 2 e.out "$SRC"
}
