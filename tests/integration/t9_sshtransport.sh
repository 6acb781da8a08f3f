# The OpenSSH transport (issue 8): hosts driven through ssh children, one
# private ControlMaster per host, with the same remote steps, quoting and
# guarantee as over libssh2; and --transport auto handing to ssh the hosts
# that libssh2 1.10 cannot serve.
ALL_SCENARIOS="$ALL_SCENARIOS ssh_basic"

# Is an ssh child of this run still alive, or its control directory left?
_ssh_leftovers() {
	_lo=$(find /tmp -maxdepth 1 -name 'fanscp-ssh.*' -user "$(id -u)" \
	    -newer "$T/ssh_config" 2>/dev/null)
	[ -z "$_lo" ] || fail "control directories left: $_lo"
}

# Forced --transport ssh, three hosts, a width of two: every copy verified
# and compared, one connection per host (sshd logs one login each).
scen_ssh_basic() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/f
	mkrandom "$SRC" 3000000
	run_fanscp -F "$T/ssh_config" --transport ssh --verify --width 2 -v \
	    "$SRC" 'lab[001-003]:f'
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n f "$SRC"
		expect_home $n f
	done
	_ssh_leftovers
}
