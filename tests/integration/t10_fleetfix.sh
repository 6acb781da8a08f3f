# Small fixes of issue 10: --json's port is the one connected to (from
# ssh_config's Port or -P), beside the HostName; the --failed list still
# holds the targets as given.  --json and --failed write through a symlink
# (the link stays, its target gets the report).
ALL_SCENARIOS="$ALL_SCENARIOS fleetfix_port fleetfix_symlink"

# _fleet_json FILE PYTHON: python3 loads FILE as JSON into d, the records
# by target in h, and runs the PYTHON assertions.
_fleet_json() {
	python3 - "$1" "$2" <<'PYEOF' >"$T/json.out" 2>&1 ||
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
h = {r["target"]: r for r in d["hosts"]}
exec(sys.argv[2])
PYEOF
	    fail "--json check failed: $(cat "$T/json.out")"
}

# 1. Aliases whose HostName and Port come from an ssh_config, one of them
#    refused: the records give the port and HostName connected to, the
#    target and its URI as given, and --failed lists the alias without a
#    port (ssh_config resolves it again).  Then -P, which wins over Port.
scen_fleetfix_port() {
	need_fanscp || return
	fixture_start 3
	kill_host 3
	SRC=$T/src/p.bin
	mkrandom "$SRC" 20000
	p1=$(host_port 1)
	p2=$(host_port 2)
	p3=$(host_port 3)
	cat >"$T/cfg" <<EOF
Host viaconf
	HostName 127.0.0.1
	Port $p1
Host deadconf
	HostName 127.0.0.1
	Port $p3
Host *
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking yes
EOF
	run_fanscp -F "$T/cfg" --json "$T/r.json" --failed "$T/failed" \
	    "$SRC" viaconf:p.bin deadconf:p.bin "scp://127.0.0.1:$p2/p.bin"
	expect_rc 1
	expect_copy 1 p.bin "$SRC"
	expect_copy 2 p.bin "$SRC"
	_fleet_json "$T/r.json" "
r = h['viaconf']
assert r['status'] == 'done', r
assert (r['host'], r['hostname'], r['port']) == ('viaconf', '127.0.0.1', $p1), r
assert r['uri'] == 'scp://viaconf/p.bin', r
r = h['deadconf']
assert r['status'] == 'failed' and r['error_kind'] == 'connect', r
assert (r['host'], r['hostname'], r['port']) == ('deadconf', '127.0.0.1', $p3), r
assert r['uri'] == 'scp://deadconf/p.bin', r
r = h['127.0.0.1']
assert (r['hostname'], r['port']) == ('127.0.0.1', $p2), r
assert r['uri'] == 'scp://127.0.0.1:$p2/p.bin', r
"
	[ "$(cat "$T/failed")" = "scp://deadconf/p.bin" ] ||
	    fail "--failed is not the target as given: $(cat "$T/failed")"
	# -P wins over Port; a target's own port wins over -P.
	rm -f "$(host_home 1)/p.bin" "$(host_home 2)/p.bin"
	run_fanscp -F "$T/cfg" -P "$p2" --json "$T/r2.json" "$SRC" \
	    viaconf:p.bin "scp://127.0.0.1:$p1/p.bin"
	expect_rc 0
	expect_copy 2 p.bin "$SRC"
	expect_copy 1 p.bin "$SRC"
	_fleet_json "$T/r2.json" "
r = h['viaconf']
assert (r['hostname'], r['port'], r['status']) == ('127.0.0.1', $p2, 'done'), r
r = h['127.0.0.1']
assert (r['port'], r['status']) == ($p1, 'done'), r
"
}

# _still_link PATH TARGET: PATH is a symlink that reads TARGET.
_still_link() {
	[ -h "$1" ] && [ "$(readlink "$1")" = "$2" ] ||
	    fail "'$1' is no longer the symlink to '$2': $(ls -l "$1")"
}

# 2. --json and --failed paths that are symlinks, dangling first, then to
#    the files written: the links stay, their targets hold the reports.
#    "-" is still stdout.  A link into a read-only directory stops the run
#    before any connection (exit 2), as an unwritable path always did.
scen_fleetfix_symlink() {
	need_fanscp || return
	fixture_start 2
	kill_host 2
	SRC=$T/src/s.bin
	mkrandom "$SRC" 10000
	mkdir "$T/logs"
	ln -s "$T/logs/latest.json" "$T/latest.json"	# dangling, absolute
	ln -s logs/failed.txt "$T/failed.txt"		# dangling, relative
	for round in 1 2; do
		run_fanscp -F "$T/ssh_config" --json "$T/latest.json" \
		    --failed "$T/failed.txt" "$SRC" lab001:s.bin lab002:s.bin
		expect_rc 1
		expect_copy 1 s.bin "$SRC"
		_still_link "$T/latest.json" "$T/logs/latest.json"
		_still_link "$T/failed.txt" logs/failed.txt
		[ -f "$T/logs/latest.json" ] && [ ! -h "$T/logs/latest.json" ] ||
		    fail "round $round: no report where the link points"
		_fleet_json "$T/latest.json" "
assert h['lab001']['status'] == 'done' and h['lab002']['status'] == 'failed', h
"
		[ "$(cat "$T/logs/failed.txt")" = "scp://lab002/s.bin" ] ||
		    fail "round $round: --failed through the link: $(cat "$T/logs/failed.txt")"
		ls "$T" "$T/logs" | grep -q 'fanscp\.' &&
		    fail "round $round: a temp file is left: $(ls "$T" "$T/logs")"
		rm -f "$(host_home 1)/s.bin"
	done
	run_fanscp -F "$T/ssh_config" --json - "$SRC" lab001:s.bin
	expect_rc 0
	python3 -m json.tool "$T/out" >/dev/null ||
	    fail "--json - did not write JSON on stdout: $(head -c 300 "$T/out")"
	[ "$(id -u)" = 0 ] || return 0
	mkdir "$T/ro"
	mount -t tmpfs -o ro,size=1m tmpfs "$T/ro" || return 0
	fixture_cleanup "umount '$T/ro'"
	ln -s "$T/ro/r.json" "$T/ro.json"
	rm -f "$(host_home 1)/s.bin"
	run_fanscp -F "$T/ssh_config" --json "$T/ro.json" "$SRC" lab001:s.bin
	expect_rc 2
	grep -q "^fanscp: --json: cannot create '$T/ro/r.json.fanscp.XXXXXX': Read-only file system" "$T/err" ||
	    fail "no error naming the link's target: $(cat "$T/err")"
	expect_absent 1 s.bin
	_still_link "$T/ro.json" "$T/ro/r.json"
}
