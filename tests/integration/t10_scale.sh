# Issue 10, at scale: Ciphers, MACs and KexAlgorithms held to what
# libssh2 1.10 supports (a host goes to ssh only when nothing is left).
ALL_SCENARIOS="$ALL_SCENARIOS scale_algs scale_algs_config"

# _used_libssh2 N: the last client of host N's sshd was libssh2's (it
# says "fanscp done" on leaving; ssh says "disconnected by user").
_used_libssh2() {
	_v=$(grep 'Received disconnect' "$(host_log "$1")" | tail -n 1)
	case $_v in
	*'fanscp done'*) return 0 ;;
	esac
	fail "$(host_name "$1"): the last client was not libssh2 ($_v)"
}

_used_openssh() {
	_v=$(grep 'Received disconnect' "$(host_log "$1")" | tail -n 1)
	case $_v in
	*'disconnected by user'*) return 0 ;;
	esac
	fail "$(host_name "$1"): the last client was not ssh ($_v)"
}

# An sshd that takes only aes256-ctr: -o Ciphers=aes256-ctr is offered by
# libssh2 itself (auto keeps it; no "using ssh"); chacha20, which libssh2
# 1.10 lacks, goes to ssh under auto and fails clearly under libssh2.
scen_scale_algs() {
	need_fanscp || return
	host_sshd_option 1 'Ciphers aes256-ctr'
	host_sshd_option 1 'MACs hmac-sha2-512,hmac-sha2-512-etm@openssh.com'
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	run_fanscp -F "$T/ssh_config" -vv -o Ciphers=aes256-ctr \
	    -o MACs=-hmac-sha1 "$SRC" lab001:a.bin
	expect_rc 0
	expect_copy 1 a.bin "$SRC"
	_used_libssh2 1
	grep -q '^lab001: using ssh' "$T/err" && fail "auto used ssh"
	grep -q 'Ciphers aes256-ctr$' "$T/err" ||
	    fail "no -vv line with the ciphers offered"
	grep -q 'MACs hmac-sha2-256,hmac-sha2-512$' "$T/err" ||
	    fail "no -vv line with the MACs offered (default less hmac-sha1)"
	# -c is -o Ciphers: held to libssh2 too.
	run_fanscp -F "$T/ssh_config" --transport libssh2 -c 'aes1*-ctr,aes256-ctr' \
	    "$SRC" lab001:b.bin
	expect_rc 0
	expect_copy 1 b.bin "$SRC"
	_used_libssh2 1
	# Nothing left for libssh2: auto hands the host to ssh, named at -v.
	run_fanscp -F "$T/ssh_config" -v \
	    -o Ciphers=chacha20-poly1305@openssh.com,aes256-ctr \
	    -o MACs=hmac-sha2-512-etm@openssh.com "$SRC" lab001:c.bin
	expect_rc 0
	expect_copy 1 c.bin "$SRC"
	_used_openssh 1
	grep -q '^lab001: using ssh: MACs hmac-sha2-512-etm@openssh.com leaves nothing libssh2 1.10 supports (it offers .*hmac-sha2-512' \
	    "$T/err" || fail "no -v line naming MACs as the reason for ssh"
	run_fanscp -F "$T/ssh_config" --transport libssh2 \
	    -o Ciphers=chacha20-poly1305@openssh.com "$SRC" lab001:d.bin
	expect_rc 1
	expect_err lab001 "Ciphers chacha20-poly1305@openssh.com leaves nothing libssh2 1.10 supports (it offers aes128-ctr"
	expect_err lab001 "only ssh can: --transport auto or ssh"
	expect_home 1 a.bin b.bin c.bin
}

# From ssh_config, with OpenSSH's +, - and ^ forms: a KexAlgorithms that
# removes all but one libssh2 has, and a Ciphers the server lacks (the
# failure names what did not match, from both offers).
scen_scale_algs_config() {
	need_fanscp || return
	host_sshd_option 2 'Ciphers aes128-ctr'
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	cfg=$T/algs.conf
	{ printf 'Host lab001\n\tKexAlgorithms -sntrup*,curve25519-sha256@libssh.org,ecdh-*,diffie-*\n'
	  printf '\tCiphers ^aes192-ctr\n'
	  printf 'Host lab002\n\tCiphers aes256-ctr\n'
	  cat "$T/ssh_config"; } >"$cfg"
	run_fanscp -F "$cfg" -vv --transport libssh2 "$SRC" 'lab[001-002]:a.bin'
	expect_rc 1
	expect_copy 1 a.bin "$SRC"
	grep -q 'lab001: KexAlgorithms curve25519-sha256$' "$T/err" ||
	    fail "lab001: not curve25519-sha256 alone"
	grep -q 'lab001: Ciphers aes192-ctr,aes128-ctr,aes256-ctr$' "$T/err" ||
	    fail "lab001: ^aes192-ctr not first"
	grep -q 'lab001: kex curve25519-sha256, cipher aes192-ctr, mac ' \
	    "$T/err" || fail "lab001: not curve25519-sha256 and aes192-ctr"
	expect_err lab002 "no matching cipher found"
	expect_err lab002 "aes128-ctr"
	expect_home 1 a.bin
	expect_home 2
}
