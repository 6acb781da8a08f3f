# Hostile input: random byte names, option injection through targets and
# host files, servers that do not speak SSH properly, identity files with
# loose permissions, and secrets in the logs.
ALL_SCENARIOS="$ALL_SCENARIOS randnames optinject badservers keyperms rsakey secrets"

# Twenty names of random bytes (1..255 but '/'), with newlines, quotes,
# $( ), backquotes, backslashes and leading dashes among them, each sent to
# as its own target through the real sshd: each lands byte for byte, and
# nothing else appears.
scen_randnames() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	# One name a line, every byte as a printf \ooo escape.
	python3 - "$T/names" <<'EOF' || fixture_die "python3 failed"
import random, sys
fixed = [b"-", b"--", b"-rf *", b"-oProxyCommand=touch PWNED",
         b"a\nb", b"\n", b"trailing newline\n", b"'", b"\"'\"", b"\\",
         b"$(touch PWNED)", b"`touch PWNED`", b"x;touch PWNED;#",
         b" lead and trail ", b"*?[a]", b"~root", b"%s%n%x"]
bad = {b".", b"..", b"~"}
names, seen = [], set()
for n in fixed:
    names.append(n)
    seen.add(n)
rng = random.SystemRandom()
alphabet = [b for b in range(1, 256) if b != ord("/")]
while len(names) < 24:
    n = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 100)))
    if n in bad or n in seen or b".fanscp." in n:
        continue
    names.append(n)
    seen.add(n)
with open(sys.argv[1], "w") as f:
    for n in names:
        f.write("".join("\\%03o" % b for b in n) + "\n")
EOF
	set --
	while IFS= read -r esc; do
		# shellcheck disable=SC2059
		name=$(printf "$esc"; echo x)
		set -- "$@" "lab001:${name%x}"
	done <"$T/names"
	[ $# -ge 20 ] || fixture_die "only $# names"
	run_fanscp -F "$T/ssh_config" "$SRC" "$@" lab002:plain.bin
	expect_rc 0
	expect_copy 2 plain.bin "$SRC"
	expect_home 2 plain.bin
	# Exactly these names, each a copy of the source.
	python3 - "$T/names" "$(host_home 1)" "$SRC" >"$T/check" 2>&1 <<'EOF' ||
import os, sys
names, home, src = sys.argv[1], os.fsencode(sys.argv[2]), sys.argv[3]
want = set()
for line in open(names):
    esc = line.rstrip("\n")
    want.add(bytes(int(esc[i + 1:i + 4], 8) for i in range(0, len(esc), 4)))
data = open(src, "rb").read()
got = set(os.listdir(home))
bad = 0
for n in sorted(want - got):
    print("missing: %r" % n); bad = 1
for n in sorted(got - want):
    print("unexpected: %r" % n); bad = 1
for n in sorted(want & got):
    p = os.path.join(home, n)
    if os.path.islink(p) or not os.path.isfile(p):
        print("not a regular file: %r" % n); bad = 1
    elif open(p, "rb").read() != data:
        print("wrong contents: %r" % n); bad = 1
sys.exit(bad)
EOF
	    { fail "lab001: the names did not land byte for byte"; sed 's/^/#   /' "$T/check"; }
	expect_no_pwned
}

# Options smuggled in as targets or host-file lines: a usage error (exit 2)
# that names the bad host, and nothing runs: no connection, no PWNED.
scen_optinject() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1024
	c=$T/ssh_config
	conns() { grep -c 'Connection from' "$(host_log 1)"; }
	n0=$(conns)
	_inject_case '-oProxyCommand=touch PWNED' \
	    -F "$c" -- "$SRC" lab001:ok.bin '-oProxyCommand=touch PWNED:x'
	_inject_case '-oProxyCommand=touch PWNED' \
	    -F "$c" "$SRC" lab001:ok.bin '-oProxyCommand=touch PWNED:x'
	_inject_case '--width=1' -F "$c" "$SRC" lab001:ok.bin '--width=1:x'
	_inject_case '-oProxyCommand=touch PWNED' \
	    -F "$c" "$SRC" lab001:ok.bin '-oProxyCommand=touch PWNED@lab001:x'
	_inject_case '-oProxyCommand=touch' -F "$c" "$SRC" lab001:ok.bin \
	    'scp://-oProxyCommand=touch%20PWNED/x'
	_inject_case 'lab001;touch PWNED' -F "$c" "$SRC" lab001:ok.bin \
	    'lab001;touch PWNED:x'
	_inject_case '$(touch PWNED)' -F "$c" "$SRC" lab001:ok.bin \
	    '$(touch PWNED):x'
	printf 'lab001\n-oProxyCommand=touch PWNED\n' >"$T/hosts1"
	_inject_case '-oProxyCommand=touch PWNED' \
	    -F "$c" -h "$T/hosts1" "$SRC" :x
	printf 'lab001\n   -oProxyCommand=touch PWNED  # indented\n' >"$T/hosts2"
	_inject_case '-oProxyCommand=touch PWNED' \
	    -F "$c" -h "$T/hosts2" "$SRC" :x
	printf 'lab001\n-oProxyCommand=touch PWNED@lab001\n' >"$T/hosts3"
	_inject_case '-oProxyCommand=touch PWNED' \
	    -F "$c" -h "$T/hosts3" "$SRC" :x
	expect_no_pwned
	expect_home 1
	[ "$(conns)" = "$n0" ] ||
	    fail "lab001 was connected to $(( $(conns) - n0 )) times by failed runs"
	# The control: "--" before a good source and target works.
	run_fanscp -F "$c" -- "$SRC" lab001:ok.bin
	expect_rc 0
	expect_copy 1 ok.bin "$SRC"
	expect_home 1 ok.bin
}
_inject_case() {
	_bad=$1; shift
	run_fanscp "$@"
	expect_rc 2
	grep -qF -- "$_bad" "$T/err" ||
	    { fail "the usage error does not name '$_bad': $LAST_CMD"; show_output; }
}

# Servers that do not speak SSH properly: each fails its host within
# --connect-timeout with a message, fanscp does not crash, and the real
# hosts are served.
scen_badservers() {
	need_fanscp || return
	fixture_start 2
	for m in banner1m garbage close trickle; do fake_host "fake-$m" $m; done
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1048576
	s0=$(date +%s)
	run_fanscp -F "$T/ssh_config" --connect-timeout 4 "$SRC" lab001:b.bin \
	    fake-banner1m:b.bin fake-garbage:b.bin fake-close:b.bin \
	    fake-trickle:b.bin lab002:b.bin
	el=$(( $(date +%s) - s0 ))
	expect_rc 1
	for m in banner1m garbage close trickle; do
		expect_reason "fake-$m"
		diag "$(_err_lines "fake-$m")"
	done
	expect_err fake-close "closed"
	expect_err fake-trickle "timed out"
	[ "$el" -le 7 ] || fail "took ${el}s with --connect-timeout 4"
	expect_all_ok b.bin 1 2
}

# An identity file that others may read is refused, as ssh refuses it; at
# mode 600 it works.
scen_keyperms() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	cp "$T/id_ed25519" "$T/loose"
	cp "$T/id_ed25519.pub" "$T/loose.pub"
	chmod 644 "$T/loose"
	sed "/^Host lab002\$/,/^\$/ s|IdentityFile .*|IdentityFile $T/loose|" \
	    "$T/ssh_config" >"$T/ssh_config_loose"
	grep -q "IdentityFile $T/loose" "$T/ssh_config_loose" ||
	    fixture_die "cannot write ssh_config_loose"
	# The reference: ssh refuses the key.
	timeout 30 "$SSH" -F "$T/ssh_config_loose" -o BatchMode=yes lab002 true \
	    2>"$T/ssh.err" && fail "fixture: ssh used a mode 644 key"
	grep -q 'UNPROTECTED PRIVATE KEY FILE' "$T/ssh.err" ||
	    fail "fixture: ssh did not refuse the key: $(head -3 "$T/ssh.err")"
	run_fanscp -F "$T/ssh_config_loose" "$SRC" 'lab[001-002]:p.bin'
	expect_rc 1
	expect_err lab002 "permission denied"
	expect_err lab002 "permissions are too open"
	expect_err lab002 "$T/loose"
	expect_home 2
	expect_all_ok p.bin 1
	chmod 600 "$T/loose"
	run_fanscp -F "$T/ssh_config_loose" "$SRC" 'lab[001-002]:p.bin'
	expect_rc 0
	expect_all_ok p.bin 1 2
}

# An RSA key that the host authorizes: libssh2 1.10 signs with SHA-1, which
# OpenSSH 8.8 and later refuse, so the failure must say so (ssh itself,
# signing with SHA-2, gets in: the key is fine).
scen_rsakey() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$T/id_rsa" ||
	    fixture_die "ssh-keygen -t rsa failed"
	cat "$T/id_rsa.pub" >>"$(host_dir 2)/authorized_keys"
	sed "/^Host lab002\$/,/^\$/ s|IdentityFile .*|IdentityFile $T/id_rsa|" \
	    "$T/ssh_config" >"$T/ssh_config_rsa"
	timeout 30 "$SSH" -F "$T/ssh_config_rsa" -o BatchMode=yes lab002 true ||
	    fail "fixture: ssh cannot log in with the RSA key"
	run_fanscp -F "$T/ssh_config_rsa" "$SRC" 'lab[001-002]:r.bin'
	expect_rc 1
	expect_err lab002 "permission denied"
	expect_err lab002 "RSA key '$T/id_rsa' refused"
	expect_err lab002 "OpenSSH 8.8"
	expect_home 2
	expect_all_ok r.bin 1
}

# Nothing secret in the most verbose output: not a line of the private
# key file's base64 body, nor its raw private key in hex or base64, on a
# copy, on an authentication failure, and with the key in an agent.
scen_secrets() {
	need_fanscp || return
	fixture_start 2
	SRC=$T/src/data.bin
	mkrandom "$SRC" 65536
	python3 - "$T/id_ed25519" >"$T/secrets" <<'EOF' || fixture_die "cannot parse the key"
import base64, binascii, struct, sys
lines = [l.strip() for l in open(sys.argv[1])]
body = [l for l in lines if l and not l.startswith("-----")]
for l in body:
    print(l)
raw = base64.b64decode("".join(body))
assert raw.startswith(b"openssh-key-v1\0")
p = len(b"openssh-key-v1\0")
def string():
    global p
    n = struct.unpack(">I", raw[p:p + 4])[0]
    p += 4
    s = raw[p:p + n]
    p += n
    return s
cipher, kdf, kdfopts = string(), string(), string()
assert cipher == b"none", "encrypted key"
p += 4                          # number of keys
string()                        # public key
priv = string()                 # the private section
raw, p = priv, 8                # after the two check ints
ktype, pub, secret = string(), string(), string()
assert ktype == b"ssh-ed25519" and len(secret) == 64
seed = secret[:32]
for s in (seed, secret):
    print(binascii.hexlify(s).decode())
    print(binascii.hexlify(s).decode().upper())
    print(base64.b64encode(s).decode().rstrip("="))
EOF
	[ "$(wc -l <"$T/secrets")" -ge 8 ] || fixture_die "no secrets found"
	_secrets_check() {
		if grep -nF -f "$T/secrets" "$T/err" >"$T/leak"; then
			fail "$1: stderr holds private key material: $(cut -c1-120 "$T/leak" | head -3 | tr '\n' '|')"
		fi
		grep -nF -f "$T/secrets" "$T/out" >/dev/null &&
		    fail "$1: stdout holds private key material"
		return 0
	}
	run_fanscp -F "$T/ssh_config" -v -v -v "$SRC" 'lab[001-002]:s.bin'
	expect_rc 0
	for n in 1 2; do expect_copy $n s.bin "$SRC"; done
	_secrets_check "a copy"
	revoke_auth 2
	run_fanscp -F "$T/ssh_config" -v -v -v "$SRC" 'lab[001-002]:f.bin'
	expect_rc 1
	expect_err lab002 "permission denied"
	_secrets_check "an authentication failure"
	restore_auth 2
	start_agent "$T/id_ed25519"
	FANSCP_AGENT=$AGENT_SOCK
	run_fanscp -F "$T/ssh_config" -o IdentitiesOnly=no -v -v -v "$SRC" \
	    'lab[001-002]:a.bin'
	FANSCP_AGENT=
	expect_rc 0
	_secrets_check "a copy with the key in an agent"
	for n in 1 2; do expect_copy $n a.bin "$SRC"; done
}
