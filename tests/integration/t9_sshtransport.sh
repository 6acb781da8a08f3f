# The OpenSSH transport (issue 8): hosts driven through ssh children, one
# private ControlMaster per host, with the same remote steps, quoting and
# guarantee as over libssh2; and --transport auto handing to ssh the hosts
# that libssh2 1.10 cannot serve.
ALL_SCENARIOS="$ALL_SCENARIOS ssh_basic ssh_faults ssh_interrupt ssh_unknown ssh_hostile ssh_tree ssh_sudo ssh_stall ssh_streamint ssh_exec auto_hardened auto_certonly auto_hostca auto_agentcert auto_proxy sftponly auto_usermux"

# fanscp makes its control directories in $TMPDIR (when it is short):
# each scenario's own, so that concurrent ones do not see each other's.
_ssh_tmpdir() {
	mkdir -p "$T/tmp"
	TMPDIR=$T/tmp
	export TMPDIR
}

# No control directory of this scenario is left, and no ssh child of
# fanscp's runs (their command lines name that directory).
_ssh_leftovers() {
	_lo=$(find "$T/tmp" -maxdepth 1 -name 'fanscp-ssh.*' 2>/dev/null)
	[ -z "$_lo" ] || fail "control directories left: $_lo"
	for _d in $_lo; do
		pgrep -f "ControlPath=$_d/" >/dev/null &&
		    fail "an ssh child of fanscp still runs ($_d)"
	done
	return 0
}

# Logins sshd accepted on host $1 so far.
_logins() { grep -c 'Accepted publickey' "$(host_log "$1")"; }

# Forced --transport ssh, three hosts, a width of two: every copy verified
# and compared, and each host served over one SSH connection (its receive
# and its commit through the private master).
scen_ssh_basic() {
	need_fanscp || return
	fixture_start 3
	_ssh_tmpdir
	SRC=$T/src/f
	mkrandom "$SRC" 3000000
	for n in 1 2 3; do eval "l$n=\$(_logins $n)"; done
	run_fanscp -F "$T/ssh_config" --transport ssh --verify --width 2 -v \
	    "$SRC" 'lab[001-003]:f'
	expect_rc 0
	for n in 1 2 3; do
		expect_copy $n f "$SRC"
		expect_home $n f
		grep -q "^lab00$n: logged in over ssh" "$T/err" ||
		    fail "lab00$n: not served over ssh"
		eval "b=\$l$n"
		[ "$(_logins $n)" = $((b + 1)) ] ||
		    fail "lab00$n: $(( $(_logins $n) - b )) logins for one host"
	done
	_ssh_leftovers
	# A transport fanscp does not know is a usage error.
	run_fanscp -F "$T/ssh_config" --transport rsh "$SRC" lab001:x
	expect_rc 2
	grep -q "transport 'rsh': not auto, libssh2 or ssh" "$T/err" ||
	    fail "no usage message: $(head -2 "$T/err")"
	expect_home 1 f
	# A stream (sealed, its size known at the end), verified.
	run_stream "cat '$SRC'" -F "$T/ssh_config" --transport ssh --verify \
	    - 'lab[001-002]:s'
	expect_rc 0
	for n in 1 2; do expect_copy $n s "$SRC"; expect_home $n f s; done
	_ssh_leftovers
}

# The fault matrix over ssh: a changed host key (ssh's verdict, and auto
# never falls back after it), sshd killed mid-transfer, a full disk; the
# healthy host is served, the others keep nothing.
scen_ssh_faults() {
	need_fanscp || return
	fixture_start 4
	_ssh_tmpdir
	change_hostkey 2
	slow_host 3
	limit_host 4 1024
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	start_fanscp -F "$T/ssh_config" --transport ssh "$SRC" \
	    'lab[001-004]:k.bin'
	if wait_tempfile 3 30 >/dev/null; then
		kill_host 3
	else
		fail "no temp file appeared on lab003"
	fi
	wait_fanscp
	expect_rc 1
	expect_err lab002 "host key"
	expect_err lab003 "connection lost after"
	expect_err lab004 "File size limit exceeded"
	grep -q '^fanscp: .*; failed: .*1 hostkey' "$T/err" ||
	    fail "lab002 not failed as hostkey: $(grep '^fanscp: ' "$T/err")"
	expect_home 2
	expect_absent 3 k.bin
	expect_home 4
	expect_all_ok k.bin 1
	_ssh_leftovers
	# auto: libssh2's host-key verdict stands; ssh is never tried.
	run_fanscp -F "$T/ssh_config" -v "$SRC" lab002:k.bin
	expect_rc 1
	expect_err lab002 mismatch
	grep -q 'using ssh' "$T/err" && fail "auto fell back after a host key"
	expect_home 2
}

# SIGINT in the middle of transfers over ssh: 130, nothing left anywhere,
# no ssh child left running.
scen_ssh_interrupt() {
	need_fanscp || return
	fixture_start 3
	_ssh_tmpdir
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	for n in 1 2 3; do slow_host $n; done
	start_fanscp -F "$T/ssh_config" --transport ssh "$SRC" \
	    'lab[001-003]:i.bin'
	for n in 1 2 3; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	s0=$(date +%s)
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	el=$(( $(date +%s) - s0 ))
	expect_rc 130
	[ "$el" -le 10 ] || fail "took ${el}s to stop after SIGINT"
	for n in 1 2 3; do
		wait_no_tempfile $n 10 ||
		    fail "lab00$n: temp file left after SIGINT"
		expect_absent $n i.bin
		expect_home $n
	done
	_ssh_leftovers
}

# The go-ahead's answer never comes over ssh: unknown, not failed (and
# the rename does happen later).  install_slow is t6_replace.sh's.
scen_ssh_unknown() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	install_slow 1 mv 5
	SRC=$T/src/f
	mkrandom "$SRC" 100000
	echo old >"$(host_home 1)/f"
	start_fanscp -F "$T/ssh_config" --transport ssh --stall-timeout 2 \
	    "$SRC" 'lab[001-002]:f'
	i=0
	while [ ! -e "$T/mv.1.started" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { fail "the rename never started"; break; }
		sleep 0.1
	done
	stop_host 1
	wait_fanscp
	cont_host 1
	expect_rc 1
	expect_err lab001 "after the go-ahead: whether 'f' was replaced is unknown"
	expect_summary "1 of 2 hosts done, 0 failed, 1 unknown"
	expect_copy 2 f "$SRC"
	wait_no_tempfile 1 15 || fail "lab001: the rename never finished"
	expect_copy 1 f "$SRC"
}

# Names full of shell syntax land byte for byte over ssh and run nothing
# (t1_copy.sh's hostile scenario, on the other transport).
scen_ssh_hostile() {
	need_fanscp || return
	fixture_start 3
	_ssh_tmpdir
	nl='
'
	name="-x 'a' \"b\" \$(touch PWNED) \`touch PWNED2\` ;*\\$nl;z"
	dir="d \$(touch PWNED3)'\"; \`touch PWNED4\`"
	mkdir "$(host_home 2)/$dir"
	SRC=$T/src/$name
	mkrandom "$SRC" 100000
	run_fanscp -F "$T/ssh_config" --transport ssh --verify "$SRC" \
	    "lab001:$name" "lab002:$dir" "lab003:$(host_home 3)/$name"
	expect_rc 0
	expect_copy 1 "$name" "$SRC"
	expect_home 1 "$name"
	expect_copy 2 "$dir/$name" "$SRC"
	expect_home 2 "$dir" "$dir/$name"
	expect_copy 3 "$name" "$SRC"
	expect_home 3 "$name"
	expect_no_pwned
	_ssh_leftovers
}

# -r over ssh: a tree with a hostile name (t9_tree.sh's helpers).
scen_ssh_tree() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	NAME='app '\''v1'\'' $(touch PWNED)'
	SRC=$T/src/$NAME
	make_tree "$SRC"
	um=$(host_umask 1)
	run_fanscp -F "$T/ssh_config" --transport ssh -r --verify "$SRC" \
	    'lab[001-002]:'
	expect_rc 0
	for n in 1 2; do
		expect_tree $n "$NAME" "$SRC" --umask "$um"
		expect_no_err "$(host_name $n)"
		expect_no_tree_temps $n
	done
	expect_no_pwned
}

# --exec and --exec-stream over ssh: the command runs on the host after
# the go-ahead, its input the data.
scen_ssh_exec() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	SRC=$T/src/f
	mkrandom "$SRC" 300000
	run_fanscp -F "$T/ssh_config" --transport ssh --verify \
	    --exec 'cat >got; echo "it'\''s here"' "$SRC" 'lab[001-002]'
	expect_rc 0
	for n in 1 2; do expect_copy $n got "$SRC"; expect_home $n got; done
	run_fanscp -F "$T/ssh_config" --transport ssh --exec-stream \
	    --exec 'cat >streamed' "$SRC" lab001
	expect_rc 0
	expect_copy 1 streamed "$SRC"
	# A failing command fails its host, with its words.
	run_fanscp -F "$T/ssh_config" --transport ssh \
	    --exec 'echo nope >&2; exit 3' "$SRC" lab002
	expect_rc 1
	expect_err lab002 nope
	expect_home 2 got
	_ssh_leftovers
}

# A host hardened as the guides say (t9_transport.sh's nomatch): libssh2
# fails naming the MAC; auto retries it over ssh, which succeeds, and
# remembers the server for the rest of the run.
scen_auto_hardened() {
	need_fanscp || return
	host_sshd_option 1 'Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr'
	host_sshd_option 1 'MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com'
	fixture_start 2
	_ssh_tmpdir
	SRC=$T/src/f
	mkrandom "$SRC" 1000000
	run_fanscp -F "$T/ssh_config" --transport libssh2 "$SRC" lab001:f
	expect_rc 1
	expect_err lab001 "no matching MAC found; the server offers hmac-sha2-512-etm@openssh.com"
	expect_home 1
	run_fanscp -F "$T/ssh_config" -v --verify --width 1 "$SRC" lab001:f \
	    lab001:g lab002:f
	expect_rc 0
	expect_copy 1 f "$SRC"
	expect_copy 1 g "$SRC"
	expect_home 1 f g
	expect_copy 2 f "$SRC"
	grep -q '^lab001:f: using ssh: no matching MAC found' "$T/err" ||
	    fail "no -v line for the fallback: $(head -5 "$T/err")"
	grep -q '^lab001:g: using ssh: libssh2 had no algorithm in common' \
	    "$T/err" || fail "the server was not remembered"
	grep -q '^lab002: using ssh' "$T/err" && fail "lab002 went to ssh"
	_ssh_leftovers
	# MACs given that libssh2 1.10 lacks (EtM): nothing is left for it,
	# so the host goes straight to ssh, held to that list.
	run_fanscp -F "$T/ssh_config" -v -o Ciphers=aes128-ctr \
	    -o MACs=hmac-sha2-256-etm@openssh.com "$SRC" lab001:h
	expect_rc 0
	expect_copy 1 h "$SRC"
	grep -q '^lab001: using ssh: MACs hmac-sha2-256-etm@openssh.com leaves nothing libssh2 1.10 supports' "$T/err" ||
	    fail "no -v line for the hand-over: $(head -5 "$T/err")"
	# MACs both clients have but the server lacks: libssh2 is held to
	# it and fails naming the MAC; ssh, tried next, fails as well.
	run_fanscp -F "$T/ssh_config" -v -o Ciphers=aes128-ctr \
	    -o MACs=hmac-sha2-256 "$SRC" lab001:i
	expect_rc 1
	grep -q '^lab001: using ssh: no matching MAC found; .*; libssh2 offers hmac-sha2-256$' "$T/err" ||
	    fail "no -v line for the fallback: $(head -5 "$T/err")"
	expect_err lab001 "libssh2 offers hmac-sha2-256; over ssh too: ssh exited with status 255"
	grep -q "no matching MAC found. Their offer: hmac-sha2-256" \
	    "$(host_log 1)" || fail "sshd saw no hmac-sha2-256 offer"
	expect_home 1 f g h
	_ssh_leftovers
}

# A certificate-only host (t9_transport.sh's certonly): auto logs in with
# ssh, which loads the certificate beside the identity.
scen_auto_certonly() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	ssh-keygen -q -t ed25519 -N '' -C fanscp-ca -f "$T/ca" ||
	    fixture_die "ssh-keygen failed"
	printf 'cert-authority %s\n' "$(cat "$T/ca.pub")" \
	    >"$(host_dir 1)/authorized_keys"
	ssh-keygen -q -s "$T/ca" -I fanscp-it -n "$FIXTURE_USER" -V +1h \
	    "$T/id_ed25519.pub" || fixture_die "ssh-keygen -s failed"
	SRC=$T/src/f
	mkrandom "$SRC" 500000
	run_fanscp -F "$T/ssh_config" -v --verify "$SRC" 'lab[001-002]:f'
	expect_rc 0
	for n in 1 2; do expect_copy $n f "$SRC"; expect_home $n f; done
	grep -q '^lab001: using ssh: an id_ed25519-cert.pub beside' "$T/err" ||
	    fail "no -v line for lab001: $(head -5 "$T/err")"
	_ssh_leftovers
}

# A host that presents a host certificate, known only through a
# @cert-authority line: libssh2 1.10 cannot check it, so auto takes ssh
# before connecting (and says why at -v); --transport libssh2 finds no
# key for it and refuses.
scen_auto_hostca() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	ssh-keygen -q -t ed25519 -N '' -C fanscp-hostca -f "$T/hostca" ||
	    fixture_die "ssh-keygen failed"
	d1=$(host_dir 1)
	ssh-keygen -q -s "$T/hostca" -I lab001 -h -n 127.0.0.1 -V +1h \
	    "$d1/ssh_host_ed25519_key.pub" || fixture_die "ssh-keygen -s failed"
	host_sshd_option 1 "HostCertificate $d1/ssh_host_ed25519_key-cert.pub"
	# Only the CA vouches for lab001 now.
	p1=$(host_port 1)
	grep -vF "[127.0.0.1]:$p1 " "$T/known_hosts" >"$T/known_hosts.new"
	printf '@cert-authority [127.0.0.1]:%s %s\n' "$p1" \
	    "$(cut -d' ' -f1,2 "$T/hostca.pub")" >>"$T/known_hosts.new"
	mv "$T/known_hosts.new" "$T/known_hosts"
	SRC=$T/src/f
	mkrandom "$SRC" 500000
	run_fanscp -F "$T/ssh_config" --transport libssh2 "$SRC" 'lab[001-002]:f'
	expect_rc 1
	expect_err lab001 "host key"
	expect_copy 2 f "$SRC"
	expect_home 1
	run_fanscp -F "$T/ssh_config" -v --verify "$SRC" 'lab[001-002]:g'
	expect_rc 0
	for n in 1 2; do expect_copy $n g "$SRC"; done
	grep -q '^lab001: using ssh: a @cert-authority line in known_hosts names the host' "$T/err" ||
	    fail "no -v line for lab001: $(head -5 "$T/err")"
	grep -q '^lab002: using ssh' "$T/err" &&
	    fail "lab002 went to ssh too"
	_ssh_leftovers
}

# A certificate held only in the agent, on a host that accepts only
# certificates: ssh offers it, libssh2 1.10 cannot, so auto asks the
# agent before connecting and takes ssh; --transport libssh2 is refused.
scen_auto_agentcert() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	ssh-keygen -q -t ed25519 -N '' -C fanscp-ca -f "$T/ca" &&
	ssh-keygen -q -t ed25519 -N '' -C agent-only -f "$T/agentkey" &&
	ssh-keygen -q -s "$T/ca" -I fanscp-it -n "$FIXTURE_USER" -V +1h \
	    "$T/agentkey.pub" || fixture_die "ssh-keygen failed"
	printf 'cert-authority %s\n' "$(cat "$T/ca.pub")" \
	    >"$(host_dir 1)/authorized_keys"
	start_agent "$T/agentkey"	# ssh-add loads agentkey-cert.pub too
	# The fixture's hosts say IdentitiesOnly yes: this one does not.
	cat >"$T/ssh_config.agent" <<EOF2
Host certhost
	HostName $(host_addr 1)
	Port $(host_port 1)
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking yes
EOF2
	cat "$T/ssh_config" >>"$T/ssh_config.agent"
	SRC=$T/src/f
	mkrandom "$SRC" 500000
	FANSCP_AGENT=$AGENT_SOCK
	run_fanscp -F "$T/ssh_config.agent" --transport libssh2 "$SRC" \
	    certhost:f lab002:f
	expect_rc 1
	expect_err certhost "permission denied"
	expect_copy 2 f "$SRC"
	run_fanscp -F "$T/ssh_config.agent" -v --verify "$SRC" certhost:g \
	    lab002:g
	FANSCP_AGENT=
	expect_rc 0
	expect_copy 1 g "$SRC"
	expect_copy 2 g "$SRC"
	grep -q "^certhost: using ssh: a certificate in the agent at $AGENT_SOCK" "$T/err" ||
	    fail "no -v line for certhost: $(head -5 "$T/err")"
	_ssh_leftovers
}

# An SFTP-only account (ForceCommand internal-sftp): fanscp does not
# speak SFTP, so on either transport the host fails saying so, and the
# other host is done.
scen_sftponly() {
	need_root || return
	need_fanscp || return
	u=fxsftp$$
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$u" 2>/dev/null ||
	    { skip "useradd failed"; return; }
	fixture_cleanup "userdel $u"
	host_sshd_option 1 "Match User $u
	ForceCommand internal-sftp
Match all"
	fixture_start 2
	_ssh_tmpdir
	chmod 755 "$T" "$(host_dir 1)" "$(host_home 1)"
	chmod 644 "$(host_dir 1)/authorized_keys" "$(host_dir 1)/session.sh"
	SRC=$T/src/f
	mkrandom "$SRC" 50000
	for tr in libssh2 ssh; do
		run_fanscp -F "$T/ssh_config" --transport $tr "$SRC" \
		    "$u@lab001:f" lab002:f
		expect_rc 1
		expect_err lab001 "did not run fanscp's command (a ForceCommand, such as internal-sftp?)"
		expect_kinds "1 remote"
		expect_copy 2 f "$SRC"
		rm -f "$(host_home 2)/f"
	done
	expect_home 1
	_ssh_leftovers
}

# A host behind a ProxyCommand (ssh -W through lab002): auto takes ssh;
# --transport libssh2 refuses the host, saying why.
scen_auto_proxy() {
	need_fanscp || return
	host_sshd_option 2 'AllowTcpForwarding yes'
	fixture_start 2
	_ssh_tmpdir
	cp "$T/ssh_config" "$T/ssh_config.proxy"
	cat >>"$T/ssh_config.proxy" <<EOF2
Host viaproxy
	HostName $(host_addr 1)
	Port $(host_port 1)
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking yes
	ProxyCommand ssh -F $T/ssh_config -o BatchMode=yes -W %h:%p lab002
EOF2
	SRC=$T/src/f
	mkrandom "$SRC" 500000
	l1=$(_logins 1)
	l2=$(_logins 2)
	run_fanscp -F "$T/ssh_config.proxy" -v --verify "$SRC" viaproxy:f
	expect_rc 0
	expect_copy 1 f "$SRC"
	expect_home 1 f
	grep -q '^viaproxy: using ssh: ProxyCommand is set' "$T/err" ||
	    fail "no -v line: $(head -5 "$T/err")"
	[ "$(_logins 1)" = $((l1 + 1)) ] || fail "lab001 saw no login"
	[ "$(_logins 2)" = $((l2 + 1)) ] || fail "the proxy never logged in"
	run_fanscp -F "$T/ssh_config.proxy" --transport libssh2 "$SRC" \
	    viaproxy:g
	expect_rc 1
	expect_err viaproxy "needs ssh"
	expect_home 1 f
	_ssh_leftovers
}

# --sudo over ssh (t9_sudo.sh's setup): a root-owned directory, written
# through sudo -n by another user, the file keeping its owner and mode.
scen_ssh_sudo() {
	need_root || return
	need_fanscp || return
	command -v sudo >/dev/null 2>&1 || { skip "no sudo"; return; }
	ok=fanscpsk$$
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$ok" 2>/dev/null ||
	    { skip "useradd failed"; return; }
	fixture_cleanup "userdel $ok; rm -f /etc/sudoers.d/$ok"
	printf '%s ALL=(ALL) NOPASSWD: ALL\n' "$ok" >"/etc/sudoers.d/$ok"
	chmod 440 "/etc/sudoers.d/$ok"
	fixture_start 1
	_ssh_tmpdir
	h=$(host_home 1)
	chmod 755 "$T" "$(host_dir 1)" "$h"
	chmod 644 "$(host_dir 1)/authorized_keys" "$(host_dir 1)/session.sh"
	SRC=$T/src/f
	mkrandom "$SRC" 300000
	chmod 644 "$SRC"
	mkdir "$h/etc"
	chmod 755 "$h/etc"
	echo old >"$h/etc/app.conf"
	chown nobody:nogroup "$h/etc/app.conf"
	chmod 640 "$h/etc/app.conf"
	run_fanscp -F "$T/ssh_config" --transport ssh "$SRC" \
	    "$ok@lab001:$h/etc/app.conf"
	expect_rc 1
	expect_err lab001 "Permission denied"
	run_fanscp -F "$T/ssh_config" --transport ssh --sudo --verify "$SRC" \
	    "$ok@lab001:$h/etc/app.conf"
	expect_rc 0
	cmp -s "$SRC" "$h/etc/app.conf" || fail "app.conf not replaced"
	[ "$(stat -c '%U:%G %a' "$h/etc/app.conf")" = "nobody:nogroup 640" ] ||
	    fail "app.conf is now $(stat -c '%U:%G %a' "$h/etc/app.conf")"
	_ssh_leftovers
}

# A host whose ControlPath has a live master of the user's: auto sends its
# steps through that master (no new login on the host), and none of ours.
scen_auto_usermux() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	{ printf 'Host lab001\n\tControlPath %s/cm\n\n' "$T"
	  cat "$T/ssh_config"; } >"$T/ssh_config.mux"
	timeout 30 "$SSH" -F "$T/ssh_config.mux" -o BatchMode=yes \
	    -o ControlMaster=yes -o ControlPersist=yes -f -N lab001 ||
	    fixture_die "cannot start the user's master"
	fixture_cleanup "$SSH -F '$T/ssh_config.mux' -O exit lab001 2>/dev/null"
	[ -S "$T/cm" ] || fixture_die "no control socket"
	SRC=$T/src/f
	mkrandom "$SRC" 500000
	l1=$(_logins 1)
	run_fanscp -F "$T/ssh_config.mux" -v --verify "$SRC" 'lab[001-002]:f'
	expect_rc 0
	for n in 1 2; do expect_copy $n f "$SRC"; expect_home $n f; done
	grep -q "^lab001: using ssh: a live ControlMaster at $T/cm" "$T/err" ||
	    fail "no -v line: $(head -5 "$T/err")"
	[ "$(_logins 1)" = "$l1" ] ||
	    fail "lab001 saw $(( $(_logins 1) - l1 )) new logins"
	"$SSH" -F "$T/ssh_config.mux" -O check lab001 2>/dev/null ||
	    fail "the user's master is gone"
	_ssh_leftovers
}

# Over ssh, a host that never answers (its sshd stopped) times out while
# logging in, and one that stops mid-transfer stalls: both fail in time,
# their ssh children killed, the other host served.
scen_ssh_stall() {
	need_fanscp || return
	fixture_start 3
	_ssh_tmpdir
	stop_host 2
	slow_host 3
	SRC=$T/src/data.bin
	mkrandom "$SRC" 8388608
	s0=$(date +%s)
	start_fanscp -F "$T/ssh_config" --transport ssh --connect-timeout 2 \
	    --stall-timeout 3 "$SRC" 'lab[001-003]:s.bin'
	if wait_tempfile 3 30 >/dev/null; then
		stop_host 3
	else
		fail "no temp file appeared on lab003"
	fi
	wait_fanscp
	el=$(( $(date +%s) - s0 ))
	cont_host 2
	cont_host 3
	expect_rc 1
	# fanscp's deadline or ssh's own ConnectTimeout (the same 2 s),
	# whichever fires first: "timed out after 2 s while logging in" or
	# ssh's "connection timed out during banner exchange".
	expect_err lab002 "timed out"
	expect_err lab003 "stalled for 3 s"
	expect_kinds "1 timeout, 1 stall"
	[ "$el" -le 20 ] || fail "took ${el}s"
	expect_all_ok s.bin 1
	wait_no_tempfile 3 10 || fail "lab003: temp file left after the stall"
	expect_home 2
	expect_home 3
	_ssh_leftovers
}

# SIGINT while the hosts wait for a stream's producer, over ssh: each
# host's receive is ended, its temp file removed (ABORT through the
# master), and fanscp stops at once (t9_stream.sh's stream_interrupt).
scen_ssh_streamint() {
	need_fanscp || return
	fixture_start 2
	_ssh_tmpdir
	mkfifo "$T/src/fifo"
	{ head -c 1000000 /dev/urandom; sleep 60; } >"$T/src/fifo" &
	bg_pid $!
	start_fanscp -F "$T/ssh_config" --transport ssh "$T/src/fifo" \
	    'lab[001-002]:i.bin'
	for n in 1 2; do
		wait_tempfile $n 30 >/dev/null || fail "no temp file on lab00$n"
	done
	sleep 1
	s0=$(date +%s)
	kill -INT "$(fanscp_pid)"
	FANSCP_SIGNALLED=1
	wait_fanscp
	FANSCP_SIGNALLED=0
	el=$(( $(date +%s) - s0 ))
	expect_rc 130
	[ "$el" -le 5 ] || fail "took ${el}s to stop after SIGINT"
	for n in 1 2; do
		wait_no_tempfile $n 10 ||
		    fail "lab00$n: temp file left after SIGINT"
		expect_home $n
		expect_err "lab00$n" interrupted
	done
	_ssh_leftovers
}
