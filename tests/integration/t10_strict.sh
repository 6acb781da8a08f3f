# Mistakes are refused the way ssh refuses them (issue 10): an unknown -o
# or ssh_config key is an error unless IgnoreUnknown covers it, keys ssh
# knows but fanscp does not implement are ignored with a -v note only when
# that is safe, a missing -i file gets ssh's warning, and scp's flags that
# fanscp does not take are refused by name.  Where ssh has a say, each
# scenario also checks that OpenSSH's ssh decides the same.
ALL_SCENARIOS="$ALL_SCENARIOS strict_unknown strict_ignoreunknown strict_keys strict_cipher strict_identity strict_scp_flags"

# _ssh_g ARGS...: OpenSSH's "ssh -G ARGS"; its status in SSH_RC, its
# stderr in $T/ssh.err.
_ssh_g() {
	"$SSH" -G "$@" >/dev/null 2>"$T/ssh.err" </dev/null
	SSH_RC=$?
}

# _ssh_refuses WHAT TEXT: ssh -G failed, and said TEXT.
_ssh_refuses() {
	[ "$SSH_RC" != 0 ] || fail "$1: ssh accepted it"
	grep -qiF -- "$2" "$T/ssh.err" ||
	    fail "$1: ssh did not say '$2': $(cat "$T/ssh.err")"
}

# _err_has TEXT: fanscp's stderr holds TEXT.
_err_has() {
	grep -qF -- "$1" "$T/err" && return 0
	fail "stderr lacks '$1'"
	show_output
}

# An unknown -o key, and one in an -F file, are usage errors (exit 2)
# naming the key (and file:line) before anything is sent; ssh refuses
# both as well.
scen_strict_unknown() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	run_fanscp -F "$T/ssh_config" -o StrictHostKeyCheking=no "$SRC" \
	    lab001:a.bin
	expect_rc 2
	_err_has "bad configuration option 'StrictHostKeyCheking'"
	_ssh_g -F "$T/ssh_config" -o StrictHostKeyCheking=no lab001
	_ssh_refuses "-o StrictHostKeyCheking" \
	    "Bad configuration option: stricthostkeycheking"
	cfg=$T/typo.conf
	cp "$T/ssh_config" "$cfg"
	printf 'Host nothing-here\n\tServerAliveIntervall 30\n' >>"$cfg"
	line=$(wc -l <"$cfg")
	run_fanscp -F "$cfg" "$SRC" lab001:b.bin
	expect_rc 2
	_err_has "$cfg:$line: bad configuration option 'ServerAliveIntervall'"
	_ssh_g -F "$cfg" lab001
	_ssh_refuses "a typo in a Host block of another host" \
	    "line $line: Bad configuration option: serveralive"
	expect_home 1
}

# IgnoreUnknown: before the key it covers it (the copy is done, as ssh
# accepts it); after the key, or only in another host's block, it does
# not (exit 2; a failed host), as in ssh.
scen_strict_ignoreunknown() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	cfg=$T/ign.conf
	{ printf 'IgnoreUnknown UseKeychain,AddressFamilyy\n'
	  printf 'Host *\n\tUseKeychain yes\n'; cat "$T/ssh_config"; } >"$cfg"
	run_fanscp -F "$cfg" "$SRC" lab001:a.bin
	expect_rc 0
	expect_copy 1 a.bin "$SRC"
	_ssh_g -F "$cfg" lab001
	[ "$SSH_RC" = 0 ] || fail "ssh refused IgnoreUnknown: $(cat "$T/ssh.err")"
	# -o IgnoreUnknown covers a later -o.
	run_fanscp -F "$T/ssh_config" -o IgnoreUnknown=UseKeychain \
	    -o UseKeychain=yes "$SRC" lab001:b.bin
	expect_rc 0
	expect_copy 1 b.bin "$SRC"
	# After the key: too late.
	{ printf 'Host *\n\tUseKeychain yes\nIgnoreUnknown UseKeychain\n'
	  cat "$T/ssh_config"; } >"$cfg"
	run_fanscp -F "$cfg" "$SRC" lab001:c.bin
	expect_rc 2
	_err_has "$cfg:2: bad configuration option 'UseKeychain'"
	_ssh_g -F "$cfg" lab001
	_ssh_refuses "IgnoreUnknown after the key" "line 2: Bad configuration option: usekeychain"
	# In lab001's block only: lab002 fails, lab001 is copied.
	{ printf 'Host lab001\n\tIgnoreUnknown UseKeychain\n'
	  printf 'Host *\n\tUseKeychain yes\n'; cat "$T/ssh_config"; } >"$cfg"
	run_fanscp -F "$cfg" "$SRC" 'lab[001-002]:d.bin'
	expect_rc 1
	expect_copy 1 d.bin "$SRC"
	expect_err lab002 "$cfg:4: bad configuration option 'UseKeychain' (IgnoreUnknown does not cover it for 'lab002')"
	_ssh_g -F "$cfg" lab001
	[ "$SSH_RC" = 0 ] || fail "ssh refused lab001: $(cat "$T/ssh.err")"
	_ssh_g -F "$cfg" lab002
	_ssh_refuses "lab002" "line 4: Bad configuration option: usekeychain"
	expect_home 1 a.bin b.bin d.bin
	expect_home 2
}

# Keys ssh knows and fanscp does not implement.  Safe ones are ignored
# with a -v note and the copy is done; a refused one fails its host,
# as ssh fails to log in with it; a Ciphers that leaves nothing libssh2
# 1.10 has (t10_scale.sh): --transport libssh2 fails the host, auto hands
# it to ssh.
scen_strict_keys() {
	need_fanscp || return
	fixture_start 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	cfg=$T/keys.conf
	{ printf 'Host lab001\n\tServerAliveInterval 15\n'
	  printf '\tLocalForward 127.0.0.1:1 127.0.0.1:2\n'
	  printf '\tRemoteCommand false\n\tRequestTTY force\n'
	  printf '\tSendEnv LANG\n\tCompression yes\n'
	  printf 'Host lab002\n\tPubkeyAuthentication no\n'
	  printf 'Host lab003\n\tCiphers chacha20-poly1305@openssh.com\n'
	  cat "$T/ssh_config"; } >"$cfg"
	run_fanscp -F "$cfg" -v --transport libssh2 "$SRC" \
	    'lab[001-003]:a.bin'
	expect_rc 1
	expect_copy 1 a.bin "$SRC"
	_err_has "$cfg:2: ServerAliveInterval ignored: liveness only"
	_err_has "$cfg:3: LocalForward ignored: fanscp opens no forwarding"
	_err_has "$cfg:4: RemoteCommand ignored: fanscp runs its own remote command"
	expect_err lab002 "$cfg:9: PubkeyAuthentication no is not supported: fanscp logs in with public keys only"
	expect_err lab003 "Ciphers chacha20-poly1305@openssh.com leaves nothing libssh2 1.10 supports (it offers aes128-ctr"
	expect_err lab003 "only ssh can: --transport auto or ssh"
	expect_home 2
	expect_home 3
	# ssh with PubkeyAuthentication no cannot log in either.
	"$SSH" -F "$cfg" -o BatchMode=yes -o ConnectTimeout=10 lab002 true \
	    </dev/null >/dev/null 2>&1 && fail "ssh logged in to lab002"
	# Under auto, lab003 goes to ssh, which honours Ciphers.
	run_fanscp -F "$cfg" -v "$SRC" lab003:b.bin
	expect_rc 0
	expect_copy 3 b.bin "$SRC"
	_err_has "lab003: using ssh: Ciphers chacha20-poly1305@openssh.com leaves nothing"
	expect_home 1 a.bin
}

# -c and -C: -c is Ciphers for every host, held to libssh2's (or, with
# nothing left, honoured through ssh); a host whose sshd takes only
# aes256-ctr is reached with -c aes256-ctr and not with -c aes128-ctr
# (so -c is not ignored), by libssh2 and by ssh.  -C (Compression yes) copies
# through libssh2 and through ssh.
scen_strict_cipher() {
	need_fanscp || return
	host_sshd_option 1 "Ciphers aes256-ctr"
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	run_fanscp -F "$T/ssh_config" -c aes256-ctr "$SRC" lab001:a.bin
	expect_rc 0
	expect_copy 1 a.bin "$SRC"
	run_fanscp -F "$T/ssh_config" -c aes128-ctr "$SRC" lab001:b.bin
	expect_rc 1
	expect_err lab001 "no matching cipher found; the server offers aes256-ctr; libssh2 offers aes128-ctr; over ssh too: ssh exited"
	grep -q "no matching cipher found. Their offer: aes128-ctr" \
	    "$(host_log 1)" || fail "sshd saw no aes128-ctr-only offer"
	run_fanscp -F "$T/ssh_config" -c aes256-ctr --transport libssh2 \
	    "$SRC" lab001:c.bin
	expect_rc 0
	expect_copy 1 c.bin "$SRC"
	run_fanscp -F "$T/ssh_config" -c aes256-ctr --transport ssh \
	    "$SRC" lab001:d.bin
	expect_rc 0
	expect_copy 1 d.bin "$SRC"
	run_fanscp -F "$T/ssh_config" -C --transport libssh2 "$SRC" \
	    lab002:a.bin
	expect_rc 0
	expect_copy 2 a.bin "$SRC"
	run_fanscp -F "$T/ssh_config" -C --transport ssh "$SRC" lab002:b.bin
	expect_rc 0
	expect_copy 2 b.bin "$SRC"
	expect_home 1 a.bin c.bin d.bin
	expect_home 2 a.bin b.bin
}

# A missing -i file: a warning naming it, as ssh gives, and the run goes
# on with the other identities.
scen_strict_identity() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	run_fanscp -F "$T/ssh_config" -i "$T/no-such-key" "$SRC" lab001:a.bin
	expect_rc 0
	expect_copy 1 a.bin "$SRC"
	_err_has "fanscp: warning: identity file '$T/no-such-key' not accessible: No such file or directory"
	_ssh_g -F "$T/ssh_config" -i "$T/no-such-key" lab001
	grep -qF "Identity file $T/no-such-key not accessible: No such file or directory" \
	    "$T/ssh.err" || fail "ssh gave no warning: $(cat "$T/ssh.err")"
	expect_home 1 a.bin
}

# scp's flags that fanscp does not take: exit 2, the flag named with why,
# nothing written.
scen_strict_scp_flags() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1024
	for f in "-S ssh" -3 -R -T "-D /usr/lib/sftp-server" "-X nsessions=2" \
	    -A -O -s; do
		# shellcheck disable=SC2086
		run_fanscp -F "$T/ssh_config" $f "$SRC" lab001:a.bin
		expect_rc 2 "$f"
		_err_has "fanscp: ${f%% *} is not supported: "
	done
	# Without its argument, too.
	run_fanscp -S
	expect_rc 2
	_err_has "-S is not supported"
	expect_home 1
}
