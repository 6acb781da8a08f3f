# Several sources (scp a b c host:dir/): one archive per run, one login per
# host, each source landing as DIR/NAME, atomically.
ALL_SCENARIOS="$ALL_SCENARIOS multi_copy multi_notdir multi_usage multi_hostile multi_tree multi_preserve"

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
hosts = r["hosts"] if isinstance(r, dict) else r
assert len(hosts) == 3, hosts
assert all(h["status"] == "done" for h in hosts), hosts
PY
}
