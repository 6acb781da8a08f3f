# --relay: the file passed host to host over SSH, each host writing and
# checking its own copy, with nothing left behind (relay.h).
ALL_SCENARIOS="$ALL_SCENARIOS relay_chain"

# expect_relay_clean N: host N holds no relay key line, lock or work dir.
expect_relay_clean() {
	_h=$(host_home "$1")
	! grep -q fanscp-relay "$_h/.ssh/authorized_keys" 2>/dev/null ||
	    fail "$(host_name "$1"): a relay key is left in authorized_keys"
	for _f in "$_h"/.fanscp-relay.* "$_h"/.ssh/authorized_keys.*; do
		[ -e "$_f" ] || [ -L "$_f" ] || continue
		fail "$(host_name "$1"): left behind: $_f"
	done
}

# expect_fed N [no]: host N's sshd let in a one-job relay key (found in
# the home's authorized_keys), or did not.
expect_fed() {
	if grep -q "found at $(host_home "$1")/.ssh/authorized_keys" \
	    "$(host_log "$1")"; then
		[ "$2" != no ] || fail "$(host_name "$1"): fed by a relay host"
	else
		[ "$2" = no ] || fail "$(host_name "$1"): not fed by a relay host"
	fi
}

# A chain of 8: fanscp sends to the first host only (its sshd log shows
# the others logged in by their own keys for the data), every copy is
# verified, and nothing of the relay is left.
scen_relay_chain() {
	need_fanscp || return
	fixture_start 8
	S=$T/src
	mkdir -p "$S"
	mkrandom "$S/f.bin" 3000000
	run_fanscp -F "$T/ssh_config" -v --relay --verify "$S/f.bin" \
	    'lab[001-008]:f.bin'
	expect_rc 0
	for n in 1 2 3 4 5 6 7 8; do
		expect_copy $n f.bin "$S/f.bin"
		expect_no_stray $n
		expect_relay_clean $n
	done
	expect_fed 1 no
	for n in 2 3 4 5 6 7 8; do expect_fed $n; done
}
