# Servers libssh2 1.10 cannot negotiate with: the failure names the class
# that had no match and what the server offers, as ssh does, and the other
# hosts of the run are served.
ALL_SCENARIOS="$ALL_SCENARIOS nomatch certonly"

# lab001 hardened as the usual guides say (AEAD and CTR ciphers, EtM MACs
# only), lab002 with a post-quantum key exchange only, lab003 offering only
# an ECDSA host key; lab004 ordinary.
scen_nomatch() {
	need_fanscp || return
	host_sshd_option 1 'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr'
	host_sshd_option 1 'MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com'
	host_sshd_option 2 'KexAlgorithms sntrup761x25519-sha512@openssh.com'
	host_sshd_option 3 'HostKeyAlgorithms ecdsa-sha2-nistp256'
	fixture_start 4
	SRC=$T/src/f
	mkrandom "$SRC" 100000
	# The reference: ssh logs in to the hardened host, and is refused
	# there when it offers no EtM MAC with a cipher that needs a MAC.
	timeout 30 "$SSH" -F "$T/ssh_config" -o BatchMode=yes lab001 true \
	    2>"$T/ssh.err" ||
	    fail "fixture: ssh cannot log in to lab001: $(head -2 "$T/ssh.err")"
	timeout 30 "$SSH" -F "$T/ssh_config" -o BatchMode=yes \
	    -o Ciphers=aes128-ctr -o MACs=hmac-sha2-256 lab001 true 2>"$T/ssh.err" &&
	    fail "fixture: lab001 took hmac-sha2-256"
	grep -q 'no matching MAC found' "$T/ssh.err" ||
	    fail "fixture: ssh's refusal: $(head -2 "$T/ssh.err")"

	run_fanscp -F "$T/ssh_config" --transport libssh2 "$SRC" 'lab[001-004]:f'
	expect_rc 1
	expect_err lab001 "lab001: no matching MAC found; the server offers hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com; libssh2 offers hmac-sha2-256,"
	expect_err lab002 "lab002: no matching key exchange method found; the server offers sntrup761x25519-sha512@openssh.com"
	expect_kinds "2 ssh"
	grep -q 'Unable to exchange' "$T/err" &&
	    fail "libssh2's bare message is still shown"
	expect_home 1
	expect_home 2
	expect_copy 3 f "$SRC"
	expect_copy 4 f "$SRC"

	# What libssh2 offers is what it was told to: the host key algorithms
	# narrowed by -o, against a server that has only ECDSA to show.
	run_fanscp -F "$T/ssh_config" --transport libssh2 \
	    -o HostKeyAlgorithms=ssh-ed25519 \
	    "$SRC" lab003:g lab004:g
	expect_rc 1
	expect_err lab003 "lab003: no matching host key type found; the server offers ecdsa-sha2-nistp256; libssh2 offers ssh-ed25519"
	expect_kinds "1 ssh"
	expect_home 3 f
	expect_copy 4 g "$SRC"
}

# A host that takes user certificates only, the way Vault or step-ca
# fleets run (here a cert-authority line as its only authorized key, which
# sshd treats as TrustedUserCAKeys does): ssh logs in with the certificate
# beside the identity; libssh2 1.10 cannot, and the refusal says why.
# The ordinary host is served.
scen_certonly() {
	need_fanscp || return
	fixture_start 2
	ssh-keygen -q -t ed25519 -N '' -C fanscp-ca -f "$T/ca" ||
	    fixture_die "ssh-keygen failed"
	printf 'cert-authority %s\n' "$(cat "$T/ca.pub")" \
	    >"$(host_dir 1)/authorized_keys"
	SRC=$T/src/f
	mkrandom "$SRC" 50000
	# Without a certificate, lab001 takes nothing.
	run_fanscp -F "$T/ssh_config" --transport libssh2 "$SRC" lab001:f
	expect_rc 1
	expect_err lab001 "permission denied (publickey)"
	_el=$(_err_lines lab001)
	case $_el in *certif*|*cert.pub*) fail "a certificate named: $_el" ;; esac
	ssh-keygen -q -s "$T/ca" -I fanscp-it -n "$FIXTURE_USER" -V +1h \
	    "$T/id_ed25519.pub" || fixture_die "ssh-keygen -s failed"
	[ -f "$T/id_ed25519-cert.pub" ] || fixture_die "no certificate made"
	# The reference: ssh loads id_ed25519-cert.pub unasked, and logs in.
	timeout 30 "$SSH" -F "$T/ssh_config" -o BatchMode=yes lab001 true \
	    2>"$T/ssh.err" ||
	    fail "fixture: ssh cannot log in with the certificate: $(head -2 "$T/ssh.err")"
	run_fanscp -F "$T/ssh_config" --transport libssh2 -v "$SRC" \
	    lab001:f lab002:f
	expect_rc 1
	expect_err lab001 "lab001: permission denied (publickey)"
	expect_err lab001 "(ssh would log in with what libssh2 1.10 cannot: an id_ed25519-cert.pub beside the identity)"
	grep -q "^lab002: ssh would do what libssh2 1.10 cannot here: an id_ed25519-cert.pub beside the identity" "$T/err" ||
	    fail "no -v note for lab002"
	expect_kinds "1 auth"
	expect_home 1
	expect_copy 2 f "$SRC"
	# CertificateFile named in the configuration comes first.
	run_fanscp -F "$T/ssh_config" --transport libssh2 \
	    -o "CertificateFile=$T/id_ed25519-cert.pub" \
	    "$SRC" lab001:g
	expect_rc 1
	expect_err lab001 "cannot: CertificateFile is set)"
	expect_home 1
}
