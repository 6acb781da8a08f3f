# tests/integration/lib.sh: the fixture of the fanscp integration tests.
# POSIX sh (dash), sourced by run.sh and demo.sh; no side effects on load.
#
# fixture_start K starts K real OpenSSH sshd processes on 127.0.0.1, each a
# simulated host "labNNN" with its own port, host keys, authorized_keys and
# home directory, and writes $T/ssh_config and $T/known_hosts for them.
# Everything lives in the temp dir $T; fixture_stop (an EXIT trap, and
# HUP/INT/PIPE/TERM ones) kills every process the fixture started, runs the
# fixture_cleanup commands, detaches any mount left under $T, and removes
# $T unless an assertion failed, in which case $T is kept with the sshd
# logs.
#
# Every session goes through $T/hostN/session.sh, the host's ForceCommand
# (a script rather than an inline "cd ... && exec sh -c ..." so that no
# quoting of sshd_config is involved): it cd's to the host's home, sets
# HOME, and runs the client's command unchanged with
# /bin/sh -c "$SSH_ORIGINAL_COMMAND" (quotes and newlines intact; the
# fixture scenario checks it).  Files in $T/hostN switch behaviours on for
# new sessions: slow (slow_host: stdin throttled to ~0.5-1 MB/s), corrupt
# (corrupt_host: stdin bytes altered, size kept), fsize (limit_host: ulimit
# -f), shell and bin/ (set_shell: another shell, busybox tools).
#
# Helpers: host_name/host_home/host_port/host_dir N, kill_host N (SIGKILL
# the sshd with all its sessions: the port then refuses), stop_host and
# cont_host N (SIGSTOP/SIGCONT that tree), change_hostkey N, revoke_auth
# and restore_auth N, sha256 FILE, mkrandom FILE BYTES, ssh_host N CMD
# (OpenSSH's ssh through the fixture config), run_fanscp / start_fanscp +
# wait_fanscp, and the expect_* assertions.
#
# More hooks (t4_faults.sh, t5_hostile.sh use them):
#   host_sshd_option N LINE  an sshd_config line for host N (before
#                            fixture_start: queued; after: sshd restarts)
#   restart_host N           restart host N's sshd (on a new port; this
#                            rewrites $T/ssh_config and $T/known_hosts)
#   revive_host N            start it again after kill_host, same port
#   host_netns N NS ADDR     host N's sshd runs in network namespace NS and
#                            listens on ADDR (queued or restarting, as above)
#   FIXTURE_NETNS=NS         the other sshds, ssh and fanscp run in NS
#   noisy_host N BYTES       host N's sessions write BYTES to stderr first
#   rc_host N FILE           host N's shell reads FILE before each command
#   fake_host NAME MODE      a fake SSH server (fakesshd.py: blackhole,
#                            banner1m, garbage, close, trickle) reachable
#                            as NAME through $T/ssh_config
#   start_agent [KEY...]     an ssh-agent in $T holding the KEYs, socket in
#                            $AGENT_SOCK; FANSCP_AGENT=$AGENT_SOCK hands it
#                            to fanscp (runs have no agent otherwise)
#   fixture_cleanup CMD      run CMD when the scenario ends, however it
#                            ends (umount, ip netns del), before $T goes
#   bg_pid PID               a helper process to kill at the end
#   skip WHY, need_root      a scenario that cannot run here: it prints
#                            "ok - NAME # SKIP WHY" and counts as skipped
#   FANSCP_RSS=FILE          run_fanscp puts fanscp's peak RSS (KiB) there

: "${FANSCP:=./fanscp}"
: "${FANSCP_VALGRIND:=0}"
: "${FANSCP_TIMEOUT:=120}"	# seconds one fanscp run may take
: "${SSHD:=/usr/sbin/sshd}"
: "${SSH:=ssh}"

T=
NHOSTS=0
FIXTURE_USER=$(id -un)
SCEN=
SCEN_FAILED=0
SCEN_WHY=
SCEN_SKIP=
FANSCP_PID=
: "${FIXTURE_NETNS:=}"	# network namespace of the client side, if any
: "${FANSCP_AGENT:=}"	# SSH_AUTH_SOCK for fanscp (none by default)
: "${FANSCP_RSS:=}"	# file to get fanscp's peak RSS in KiB
_fixture_pending=	# host_* calls queued before fixture_start
_fixture_cleanups=	# fixture_cleanup commands, run by fixture_stop
RC=
LAST_CMD=

# ---------------------------------------------------------------- utilities

say() { printf '%s\n' "$*"; }
diag() { printf '#   %s\n' "$*"; }
fixture_die() {
	printf 'fixture: %s\n' "$*" >&2
	SCEN_FAILED=1
	if [ -n "$SCEN" ]; then
		SCEN_WHY=${SCEN_WHY:-"fixture: $*"}
		scenario_end
	fi
	exit 3
}

# The SHA-256 of a file, 64 hex digits (the name never reaches the output).
sha256() {
	[ -f "$1" ] || { echo missing; return 1; }
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum <"$1" | cut -c1-64
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 <"$1" | cut -c1-64
	else
		openssl dgst -sha256 -r <"$1" | cut -c1-64
	fi
}

# A file of $2 random bytes at $1.
mkrandom() {
	head -c "$2" /dev/urandom >"$1" || fixture_die "cannot write $1"
	[ "$(wc -c <"$1" | tr -d ' ')" = "$2" ] ||
	    fixture_die "short random file $1"
}

# Size of a file in bytes (0 when missing).
fsize() { [ -f "$1" ] && wc -c <"$1" | tr -d ' ' || echo 0; }

# Words quoted for display: one sh word per argument.
shq() {
	_q=
	for _a in "$@"; do
		case $_a in
		*[!A-Za-z0-9_./:=@%+,-]* | '')
			_a="'$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'" ;;
		esac
		_q="$_q${_q:+ }$_a"
	done
	printf '%s' "$_q"
}

# A random integer in [0, 65535].
_rand16() { od -An -N2 -tu2 /dev/urandom | tr -d ' \n'; }

_port_busy() {
	if command -v ss >/dev/null 2>&1; then
		_client_ns ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
	elif command -v netstat >/dev/null 2>&1; then
		netstat -ltn 2>/dev/null | grep -q "[.:]$1 "
	else
		return 1	# sshd's bind failure is detected anyway
	fi
}

# A TCP port in 20000-59999 that nothing listens on.
free_port() {
	_i=0
	while [ $_i -lt 200 ]; do
		_p=$((20000 + $(_rand16) % 40000))
		_port_busy "$_p" || { echo "$_p"; return 0; }
		_i=$((_i + 1))
	done
	fixture_die "no free port found"
}

# ------------------------------------------------------------ process trees

# "pid ppid" for every process.
_ptable() {
	if command -v ps >/dev/null 2>&1; then
		ps -e -o pid= -o ppid= 2>/dev/null && return 0
	fi
	for _s in /proc/[0-9]*/stat; do
		IFS= read -r _l <"$_s" 2>/dev/null || continue
		set -- ${_l##*) }	# "state ppid ..." after the last ") "
		printf '%s %s\n' "${_l%% *}" "$2"
	done
}

# The given pids and all their descendants, one per line.
proc_tree() {
	[ $# -gt 0 ] || return 0
	_ptable | awk -v roots="$*" '
	    { kids[$2] = kids[$2] " " $1 }
	    END {
		n = split(roots, q, " ")
		for (i = 1; i <= n; i++) {
			p = q[i]
			if (p == "" || seen[p]++) continue
			print p
			m = split(kids[p], k, " ")
			for (j = 1; j <= m; j++) q[++n] = k[j]
		}
	    }'
}

# Processes whose environment carries this fixture's mark (sessions that
# were orphaned when their sshd died).
_marked_pids() {
	[ -n "$T" ] || return 0
	for _e in /proc/[0-9]*/environ; do
		{ tr '\0' '\n' <"$_e"; } 2>/dev/null |
		    grep -qxF "FANSCP_FIXTURE=$T" || continue
		_p=${_e#/proc/}; echo "${_p%/environ}"
	done
}

# Processes started for this fixture's hosts, found by their command line
# (the sshd listeners, session wrappers), so that they are found even if
# $T has been removed under us.
_fixture_pids() {
	[ -n "$T" ] || return 0
	ps -e -o pid= -o args= 2>/dev/null |
	    FIXTURE_MATCH="$T/host" awk 'index($0, ENVIRON["FIXTURE_MATCH"]) { print $1 }'
}

# Signal a whole tree: stop it first so nothing forks or reparents
# in between, then send the signal to the tree as it is then.
signal_tree() {
	_sig=$1; shift
	_pids=$(proc_tree "$@")
	[ -n "$_pids" ] || return 0
	# shellcheck disable=SC2086
	kill -STOP $_pids 2>/dev/null
	_pids=$(proc_tree $_pids)
	# shellcheck disable=SC2086
	kill -"$_sig" $_pids 2>/dev/null
	[ "$_sig" = KILL ] || [ "$_sig" = STOP ] || kill -CONT $_pids 2>/dev/null
	return 0
}

# ----------------------------------------------------------------- hosts

host_name() { printf 'lab%03d' "$1"; }
host_dir() { printf '%s/host%s' "$T" "$1"; }
host_home() { printf '%s/host%s/home' "$T" "$1"; }
host_port() { cat "$T/host$1/port"; }
host_pid() { cat "$T/host$1/pid" 2>/dev/null; }
host_alive() { [ ! -e "$T/host$1/dead" ]; }
host_log() { printf '%s/host%s/sshd.log' "$T" "$1"; }
# The address host $1's sshd listens on (127.0.0.1 unless host_netns).
host_addr() {
	if [ -s "$T/host$1/addr" ]; then cat "$T/host$1/addr"
	else echo 127.0.0.1; fi
}
# The network namespace host $1's sshd runs in ('' for the fixture's).
_host_ns() {
	if [ -s "$T/host$1/netns" ]; then cat "$T/host$1/netns"
	else printf '%s' "$FIXTURE_NETNS"; fi
}
# Run a command on the client side: in $FIXTURE_NETNS when set.
_client_ns() {
	if [ -n "$FIXTURE_NETNS" ]; then
		ip netns exec "$FIXTURE_NETNS" "$@"
	else
		"$@"
	fi
}
_host_running() { [ -s "$T/host$1/pid" ] && host_alive "$1"; }

_sshd_extra=
_write_sshd_config() {
	_d=$(host_dir "$1")
	{
	printf '# sshd for simulated host %s of the fanscp integration tests\n' \
	    "$(host_name "$1")"
	# host_sshd_option lines come first: for most keywords the first
	# value sshd reads wins.  MaxStartups is an exception (the last one
	# wins), so the fixture's own comes only when the host sets none.
	[ -f "$_d/sshd_extra" ] && cat "$_d/sshd_extra"
	_maxstartups="MaxStartups 100:30:200"
	grep -qi '^MaxStartups' "$_d/sshd_extra" 2>/dev/null && _maxstartups=
	cat <<EOF
Port $2
ListenAddress $(host_addr "$1")
AddressFamily inet
HostKey $_d/ssh_host_ed25519_key
HostKey $_d/ssh_host_ecdsa_key
PidFile $_d/sshd.pid
AuthorizedKeysFile $_d/authorized_keys $_d/home/.ssh/authorized_keys
AuthorizedPrincipalsFile none
AuthorizedKeysCommand none
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitUserEnvironment no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
PrintLastLog no
UseDNS no
$_maxstartups
MaxSessions 20
LoginGraceTime 30
LogLevel VERBOSE
SetEnv HOME=$_d/home FANSCP_FIXTURE=$T
ForceCommand /bin/sh $_d/session.sh
$_sshd_extra
EOF
	} >"$_d/sshd_config"
}

# The session wrapper of host $1: see the comment at the top.
_write_session() {
	_d=$(host_dir "$1")
	cat >"$_d/session.sh" <<EOF
# ForceCommand of $(host_name "$1"): run the client's command in this home.
hostdir='$_d'
EOF
	cat >>"$_d/session.sh" <<'EOF'
HOME=$hostdir/home
export HOME
cd "$HOME" || exit 1
if [ -e "$hostdir/slow" ] || [ -e "$hostdir/corrupt" ]; then
	# Filter stdin through a fifo fed by a background job that holds
	# none of the session's output descriptors, so the command's exit is
	# seen at once.  slow: 16 KiB at a time with pauses; corrupt: after
	# the script that fanscp's loader reads first ("LENGTH\n" and LENGTH
	# bytes, passed on as they come), every byte 'A' becomes 'B' (the
	# size stays the same).
	fifo=$hostdir/stdin.$$
	mkfifo "$fifo" || exit 1
	exec 4<&0
	{
		if [ -e "$hostdir/corrupt" ]; then
			IFS= read -r L <&4 && printf '%s\n' "$L" >&3 &&
			    dd bs=1 count="$L" <&4 >&3 2>/dev/null
			# Unbuffered: a joined receive reads an exact byte
			# count and sends nothing back until it has them all.
			stdbuf -o0 tr A B <&4 >&3
		else
			while :; do
				r=$(dd bs=16384 count=1 2>&1 <&4 >&3) || break
				case $r in "0+0 records in"*) break ;; esac
				sleep 0.02
			done
		fi
	} 3>"$fifo" </dev/null >/dev/null 2>&1 &
	exec <"$fifo" 4<&-
	rm -f "$fifo"
fi
# noisy_host: this many bytes of noise on stderr before the command.
if [ -s "$hostdir/noise" ]; then
	yes 'noise from the session wrapper of a noisy host, ignore it' |
	    head -c "$(cat "$hostdir/noise")" >&2
fi
# limit_host: files the session writes may not grow past a size.
[ -s "$hostdir/fsize" ] && ulimit -f "$(cat "$hostdir/fsize")"
# set_shell: another shell (and maybe tools first in PATH) runs the command.
shell=/bin/sh
[ -s "$hostdir/shell" ] && read -r shell <"$hostdir/shell"
[ -d "$hostdir/bin" ] && PATH=$hostdir/bin:$PATH && export PATH
# rc_host: that shell first reads an rc file, as bash reads ~/.bashrc
# for a command sshd runs.
if [ -s "$hostdir/rc" ]; then
	exec $shell -c ". '$hostdir/rc'
$SSH_ORIGINAL_COMMAND"
fi
exec $shell -c "$SSH_ORIGINAL_COMMAND"
EOF
}

# Start sshd for host $1 on a free port (not one of our other hosts').
_launch_sshd() {
	_d=$(host_dir "$1")
	_port=${2:-}
	while [ -z "$_port" ]; do
		_port=$(free_port)
		grep -qx "$_port" "$T"/host*/port 2>/dev/null && _port=
	done
	echo "$_port" >"$_d/port"
	_write_sshd_config "$1" "$_port"
	: >"$_d/sshd.log"
	_ns=$(_host_ns "$1")
	set -- "$SSHD" -D -E "$_d/sshd.log" -f "$_d/sshd_config"
	# ip netns exec execs sshd: $! is sshd's pid either way.
	[ -n "$_ns" ] && set -- ip netns exec "$_ns" "$@"
	"$@" </dev/null >>"$_d/sshd.log" 2>&1 &
	echo $! >"$_d/pid"
	rm -f "$_d/dead"
}

# Wait until host $1's sshd listens; relaunch it elsewhere when its port
# was taken meanwhile; stop the run with its log on any other failure.
_await_sshd() {
	_d=$(host_dir "$1")
	_try=1
	while :; do
		_w=0
		while [ $_w -lt 200 ]; do	# 10 s
			grep -q "Server listening on $(host_addr "$1") port $(host_port "$1")" \
			    "$_d/sshd.log" 2>/dev/null && return 0
			kill -0 "$(host_pid "$1")" 2>/dev/null || break
			sleep 0.05
			_w=$((_w + 1))
		done
		kill -KILL "$(host_pid "$1")" 2>/dev/null
		wait "$(host_pid "$1")" 2>/dev/null
		touch "$_d/dead"
		if [ $_try -lt 5 ] && grep -qiE 'bind|address already in use' \
		    "$_d/sshd.log"; then
			_try=$((_try + 1))
			_launch_sshd "$1"
			continue
		fi
		sed 's/^/#   sshd: /' "$_d/sshd.log" >&2
		fixture_die "sshd of $(host_name "$1") did not start (log: $_d/sshd.log)"
	done
}

# Rewrite $T/ssh_config and $T/known_hosts from the hosts' current state.
_write_client_files() {
	: >"$T/ssh_config"
	: >"$T/known_hosts"
	_n=1
	while [ $_n -le "$NHOSTS" ]; do
		_d=$(host_dir "$_n")
		cat >>"$T/ssh_config" <<EOF
Host $(host_name "$_n")
	HostName $(host_addr "$_n")
	Port $(host_port "$_n")
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking yes

EOF
		for _k in ed25519 ecdsa; do
			set -- $(cat "$_d/ssh_host_${_k}_key.pub")
			printf '[%s]:%s %s %s\n' "$(host_addr "$_n")" \
			    "$(host_port "$_n")" "$1" "$2" >>"$T/known_hosts"
		done
		_n=$((_n + 1))
	done
	[ -f "$T/ssh_config.fake" ] && cat "$T/ssh_config.fake" >>"$T/ssh_config"
	return 0
}

# Wait until ssh can log in to host $1 and run a command there; the
# outcome goes to $T/hostN/probe ("ok" or the last error).
_probe_host() {
	_w=0
	while [ $_w -lt 50 ]; do
		_out=$(ssh_host "$1" 'echo probe-ok' 2>&1) &&
		    [ "$_out" = probe-ok ] && { echo ok >"$(host_dir "$1")/probe"; return 0; }
		sleep 0.2
		_w=$((_w + 1))
	done
	printf '%s\n' "$_out" >"$(host_dir "$1")/probe"
}

# Probe every host at once; stop the run with the logs of any that fail.
_probe_all() {
	_pp=
	_n=1
	while [ $_n -le "$NHOSTS" ]; do
		_probe_host "$_n" &
		_pp="$_pp $!"
		_n=$((_n + 1))
	done
	for _p in $_pp; do wait "$_p"; done
	_n=1
	while [ $_n -le "$NHOSTS" ]; do
		_probe_check "$_n"
		_n=$((_n + 1))
	done
}
_probe_check() {
	if [ "$(cat "$(host_dir "$1")/probe" 2>/dev/null)" != ok ]; then
		sed 's/^/#   ssh: /' "$(host_dir "$1")/probe" >&2
		tail -40 "$(host_log "$1")" | sed 's/^/#   sshd: /' >&2
		fixture_die "cannot log in to $(host_name "$1") (log: $(host_log "$1"))"
	fi
	rm -f "$(host_dir "$1")/probe"
}

# Run a command on host $1 with OpenSSH's ssh, through the fixture config.
ssh_host() {
	_h=$(host_name "$1"); shift
	set -- "$SSH" -F "$T/ssh_config" -o BatchMode=yes \
	    -o ConnectTimeout=10 -o LogLevel=ERROR "$_h" "$@"
	[ -n "$FIXTURE_NETNS" ] && set -- ip netns exec "$FIXTURE_NETNS" "$@"
	timeout -k 2 30 "$@"
}

# fixture_start K: K hosts lab001..labK.
fixture_start() {
	[ -z "$T" ] || fixture_die "fixture already started"
	[ -x "$SSHD" ] || fixture_die "no sshd at $SSHD (install openssh-server)"
	command -v ssh-keygen >/dev/null 2>&1 ||
	    fixture_die "no ssh-keygen (install openssh-client)"
	T=$(mktemp -d "${TMPDIR:-/tmp}/fanscp-it.XXXXXX") ||
	    fixture_die "mktemp failed"
	case $T in *[!A-Za-z0-9_./-]*)
		_t=$T; T=; rm -rf "$_t"
		fixture_die "temp dir '$_t' has odd characters; set TMPDIR" ;;
	esac
	chmod 755 "$T"
	_fixture_traps
	if [ "$(id -u)" = 0 ]; then
		mkdir -p /run/sshd && chmod 0755 /run/sshd
	fi
	mkdir "$T/src" "$T/local"
	ssh-keygen -q -t ed25519 -N '' -C fanscp-it -f "$T/id_ed25519" ||
	    fixture_die "ssh-keygen failed"
	# Newer sshds penalise failing clients; the tests fail on purpose.
	if [ -z "$_sshd_extra" ]; then
		printf 'Port 1\nHostKey %s/id_ed25519\nPerSourcePenalties no\n' \
		    "$T" >"$T/probe_config"
		"$SSHD" -t -f "$T/probe_config" >/dev/null 2>&1 &&
		    _sshd_extra='PerSourcePenalties no'
		rm -f "$T/probe_config"
	fi
	NHOSTS=$1
	_n=1
	while [ $_n -le "$NHOSTS" ]; do
		_d=$(host_dir "$_n")
		mkdir -p "$_d/home"
		ssh-keygen -q -t ed25519 -N '' -C "$(host_name "$_n")" \
		    -f "$_d/ssh_host_ed25519_key" &&
		ssh-keygen -q -t ecdsa -b 256 -N '' -C "$(host_name "$_n")" \
		    -f "$_d/ssh_host_ecdsa_key" ||
		    fixture_die "ssh-keygen failed"
		cp "$T/id_ed25519.pub" "$_d/authorized_keys"
		_write_session "$_n"
		_n=$((_n + 1))
	done
	# The host_* calls made before fixture_start, now that the host
	# directories exist (no sshd runs yet, so none restarts).
	_p=$_fixture_pending
	_fixture_pending=
	eval "$_p"
	_n=1
	while [ $_n -le "$NHOSTS" ]; do
		_launch_sshd "$_n"
		_n=$((_n + 1))
	done
	_n=1
	while [ $_n -le "$NHOSTS" ]; do
		_await_sshd "$_n"
		_n=$((_n + 1))
	done
	_write_client_files
	_probe_all
}

# A signal that would kill the shell outright (a reader of run.sh's output
# going away: SIGPIPE) must still run fixture_stop.
_fixture_traps() {
	trap fixture_stop EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
}

# fixture_cleanup CMD: eval CMD in fixture_stop, after every process of the
# fixture is killed and before $T is removed, whatever way the scenario
# ends.  Commands run in the order registered.  Usable before
# fixture_start (it sets the traps).
fixture_cleanup() {
	_fixture_cleanups="$_fixture_cleanups$1
"
	_fixture_traps
}

# bg_pid PID: a helper process (with its children) for fixture_stop to kill.
bg_pid() {
	[ -n "$T" ] || fixture_die "bg_pid before fixture_start"
	echo "$1" >>"$T/bgpids"
}

# Mount points at or under $T, deepest first.
_mounts_under_T() {
	[ -n "$T" ] || return 0
	awk -v t="$T" '$2 == t || index($2, t "/") == 1 { print $2 }' \
	    /proc/self/mounts | sort -r
}

fixture_stop() {
	_rc=$?
	trap - EXIT HUP INT TERM
	trap "" PIPE	# its messages may go nowhere, the cleanup must go on
	if [ -n "$T" ]; then
		_all=
		_n=1
		while [ $_n -le "$NHOSTS" ]; do
			host_alive "$_n" && _all="$_all $(host_pid "$_n")"
			_n=$((_n + 1))
		done
		# shellcheck disable=SC2086
		signal_tree KILL $FANSCP_PID $_all $(cat "$T/bgpids" 2>/dev/null) \
		    $(_fixture_pids) $(_marked_pids)
		# shellcheck disable=SC2086
		for _p in $FANSCP_PID $_all $(cat "$T/bgpids" 2>/dev/null); do
			wait "$_p" 2>/dev/null
		done
	fi
	_c=$_fixture_cleanups
	_fixture_cleanups=
	eval "$_c"
	[ -n "$T" ] || return 0
	# Never remove through a mount point left behind (a bind mount
	# might show someone else's files): detach it, or keep $T.
	for _m in $(_mounts_under_T); do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
	done
	if [ -n "$(_mounts_under_T)" ]; then
		say "# kept $T: still mounted: $(_mounts_under_T | tr '\n' ' ')"
	elif [ "$SCEN_FAILED" != 0 ] || [ "$_rc" -ge 128 ] ||
	    [ -n "${FANSCP_KEEP:-}" ]; then
		say "# kept $T (sshd logs: $T/host*/sshd.log; fanscp output: $T/out $T/err)"
	else
		rm -rf "$T"
	fi
	T=
	NHOSTS=0
	FANSCP_PID=
}

# host_sshd_option N LINE: add an sshd_config line for host N; it comes
# before the fixture's own lines, so it wins for most keywords.  Before
# fixture_start the call is queued; afterwards host N's sshd restarts.
host_sshd_option() {
	if [ -z "$T" ]; then
		_fixture_pending="$_fixture_pending$(shq host_sshd_option "$@")
"
		return 0
	fi
	printf '%s\n' "$2" >>"$(host_dir "$1")/sshd_extra"
	! _host_running "$1" || restart_host "$1"
}

# host_netns N NS ADDR: host N's sshd runs in the network namespace NS (made
# by the caller, who also makes ADDR reachable from the client side) and
# listens on ADDR.  Queued before fixture_start, as host_sshd_option.
host_netns() {
	if [ -z "$T" ]; then
		_fixture_pending="$_fixture_pending$(shq host_netns "$@")
"
		return 0
	fi
	printf '%s\n' "$2" >"$(host_dir "$1")/netns"
	printf '%s\n' "$3" >"$(host_dir "$1")/addr"
	! _host_running "$1" || restart_host "$1"
}

# restart_host N: start host N's sshd anew, on a new port.  $T/ssh_config
# and $T/known_hosts are rewritten from the hosts' keys (so call it before
# change_hostkey).
restart_host() {
	_host_running "$1" && kill_host "$1"
	_launch_sshd "$1"
	_await_sshd "$1"
	_write_client_files
	_probe_host "$1"
	_probe_check "$1"
}

# revive_host N: start host N's sshd again after kill_host, on the port
# it had, so that a fanscp still running (which knows that port) reaches
# it again.
revive_host() {
	_launch_sshd "$1" "$(host_port "$1")"
	_await_sshd "$1"
}

# noisy_host N BYTES: new sessions on host N write BYTES bytes of text to
# stderr before they run the command.
noisy_host() { echo "$2" >"$(host_dir "$1")/noise"; }

# rc_host N FILE: host N's shell reads FILE (its rc file) before each
# command, in the same shell: its options, aliases and output apply.
rc_host() { cp "$2" "$(host_dir "$1")/rc"; }

# fake_host NAME MODE: a fake SSH server (fakesshd.py MODE) on a free
# loopback port, reachable as NAME through $T/ssh_config.
fake_host() {
	_f=$T/fake.$1
	python3 "${FIXTURE_LIBDIR:-$(pwd)/tests/integration}/fakesshd.py" \
	    "$2" "$_f.port" </dev/null >"$_f.log" 2>&1 &
	bg_pid $!
	_i=0
	while [ ! -s "$_f.port" ]; do
		kill -0 $! 2>/dev/null && [ $_i -lt 100 ] ||
		    fixture_die "fake server $1 ($2) did not start: $(cat "$_f.log")"
		sleep 0.05
		_i=$((_i + 1))
	done
	cat >>"$T/ssh_config.fake" <<EOF
Host $1
	HostName 127.0.0.1
	Port $(cat "$_f.port")
	User $FIXTURE_USER
	IdentityFile $T/id_ed25519
	IdentitiesOnly yes
	UserKnownHostsFile $T/known_hosts
	StrictHostKeyChecking yes

EOF
	_write_client_files
}

# start_agent [KEY...]: an ssh-agent on $T/agent.sock ($AGENT_SOCK) holding
# the KEYs in that order; fixture_stop kills it.
start_agent() {
	AGENT_SOCK=$T/agent.sock
	rm -f "$AGENT_SOCK"
	ssh-agent -D -a "$AGENT_SOCK" </dev/null >/dev/null 2>&1 &
	bg_pid $!
	_i=0
	while [ ! -S "$AGENT_SOCK" ]; do
		[ $_i -lt 100 ] || fixture_die "ssh-agent did not start"
		sleep 0.05
		_i=$((_i + 1))
	done
	for _k in "$@"; do
		SSH_AUTH_SOCK=$AGENT_SOCK ssh-add -q "$_k" 2>/dev/null ||
		    fixture_die "ssh-add $_k failed"
	done
}

# SIGKILL host $1's sshd with every session under it; its port then
# refuses connections.
kill_host() {
	signal_tree KILL "$(host_pid "$1")"
	wait "$(host_pid "$1")" 2>/dev/null
	touch "$(host_dir "$1")/dead"
}
stop_host() { signal_tree STOP "$(host_pid "$1")"; }
cont_host() { signal_tree CONT "$(host_pid "$1")"; }
# New sessions on host $1 read their stdin slowly; fast_host undoes it.
slow_host() { touch "$(host_dir "$1")/slow"; }
fast_host() { rm -f "$(host_dir "$1")/slow"; }
# New sessions on host $1 get their stdin with every 'A' turned into 'B'.
corrupt_host() { touch "$(host_dir "$1")/corrupt"; }

# limit_host N KIB: the sessions of host N cannot write files larger than
# KIB KiB (ulimit -f), as on a full disk: writes fail with EFBIG.
limit_host() { echo $(($2 * 2)) >"$(host_dir "$1")/fsize"; }

# set_shell N SHELL: host N runs commands with SHELL -c (as a login shell
# of that kind would).  "busybox" means busybox sh with every busybox
# applet ahead of the system's tools in PATH, like a small embedded host.
set_shell() {
	_d=$(host_dir "$1")
	case $2 in
	busybox)
		mkdir -p "$_d/bin"
		busybox --install -s "$_d/bin" 2>/dev/null ||
		    for _a in $(busybox --list); do
			ln -sf "$(command -v busybox)" "$_d/bin/$_a"
		    done
		echo "$_d/bin/sh" >"$_d/shell" ;;
	*)
		echo "$2" >"$_d/shell" ;;
	esac
}

# Replace host $1's keys in $T/known_hosts with other, fresh keys: the
# keys the host presents no longer match.
change_hostkey() {
	_d=$(host_dir "$1")
	_p=$(host_port "$1")
	_a=$(host_addr "$1")
	grep -vF "[$_a]:$_p " "$T/known_hosts" >"$T/known_hosts.new"
	for _k in ed25519 ecdsa; do
		rm -f "$_d/other_$_k" "$_d/other_$_k.pub"
		ssh-keygen -q -t "$_k" -N '' -f "$_d/other_$_k" ||
		    fixture_die "ssh-keygen failed"
		set -- $(cat "$_d/other_$_k.pub")
		printf '[%s]:%s %s %s\n' "$_a" "$_p" "$1" "$2" \
		    >>"$T/known_hosts.new"
	done
	mv "$T/known_hosts.new" "$T/known_hosts"
}

# The SHA256 fingerprints of host $1's real keys, one per line.
host_fingerprints() {
	for _k in ed25519 ecdsa; do
		ssh-keygen -lf "$(host_dir "$1")/ssh_host_${_k}_key.pub" |
		    awk '{ print $2 }'
	done
}

# Host $1 no longer accepts our key (it lists another one instead).
revoke_auth() {
	_d=$(host_dir "$1")
	rm -f "$_d/other_user" "$_d/other_user.pub"
	ssh-keygen -q -t ed25519 -N '' -f "$_d/other_user" ||
	    fixture_die "ssh-keygen failed"
	cp "$_d/other_user.pub" "$_d/authorized_keys"
}
restore_auth() { cp "$T/id_ed25519.pub" "$(host_dir "$1")/authorized_keys"; }

# ----------------------------------------------------------- running fanscp

# run_fanscp ARGS...: run $FANSCP (under valgrind with FANSCP_VALGRIND=1)
# with HOME at $T/local and no agent; stdout in $T/out, stderr in $T/err,
# the exit status in $RC.  A timeout or a valgrind error fails the scenario.
run_fanscp() {
	start_fanscp "$@"
	wait_fanscp
}

# The same in the background (run_fanscp is start + wait: a trapped
# signal interrupts the wait builtin at once); wait_fanscp collects it.
start_fanscp() {
	LAST_CMD="fanscp $(shq "$@")"
	_fanscp_cmd "$@" >"$T/out" 2>"$T/err" </dev/null &
	FANSCP_PID=$!
}
wait_fanscp() {
	wait "$FANSCP_PID"
	RC=$?
	FANSCP_PID=
	_fanscp_checks
}

_fanscp_cmd() {
	_to=$FANSCP_TIMEOUT
	if [ "$FANSCP_VALGRIND" = 1 ]; then
		_to=$((_to * 5))
		set -- valgrind -q --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite \
		    --log-file="$T/valgrind.%p.log" "$FANSCP" "$@"
	else
		set -- "$FANSCP" "$@"
		[ -n "$FANSCP_RSS" ] && set -- /usr/bin/time -f %M -o "$FANSCP_RSS" "$@"
	fi
	[ -n "$FIXTURE_NETNS" ] && set -- ip netns exec "$FIXTURE_NETNS" "$@"
	HOME=$T/local SSH_AUTH_SOCK=$FANSCP_AGENT timeout -k 5 "$_to" "$@"
}

_fanscp_checks() {
	[ "${FANSCP_VERBOSE:-0}" = 1 ] && show_output
	case $RC in
	124 | 137)
		fail "fanscp timed out (rc $RC): $LAST_CMD"
		show_output ;;
	99)
		if [ "$FANSCP_VALGRIND" = 1 ]; then
			fail "valgrind reported errors: $LAST_CMD"
			cat "$T"/valgrind.*.log 2>/dev/null | sed 's/^/#   /'
		fi ;;
	esac
	# A sanitizer build (make asan) reports on stderr.
	if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' \
	    "$T/err"; then
		fail "sanitizer report: $LAST_CMD"
		grep -E -A12 'Sanitizer|runtime error:' "$T/err" | head -40 |
		    sed 's/^/#   /'
	fi
	if [ "$RC" -gt 128 ] && [ "$RC" != 137 ] &&
	    [ "${FANSCP_SIGNALLED:-0}" = 0 ]; then
		fail "fanscp died of signal $((RC - 128)): $LAST_CMD"
		show_output
	fi
	return 0
}

show_output() {
	diag "command: $LAST_CMD"
	diag "exit status: $RC"
	sed 's/^/#   stderr: /' "$T/err" | head -40
	sed 's/^/#   stdout: /' "$T/out" | head -20
}

# -------------------------------------------------------------- assertions

scenario_begin() { SCEN=$1; SCEN_FAILED=0; SCEN_WHY=; SCEN_SKIP=; }

# skip WHY: the scenario cannot run here; the caller returns at once.  It
# is reported as "ok - NAME # SKIP WHY" and counted as skipped.
skip() { SCEN_SKIP=$*; }
# need_root || return: root-only scenarios (mount, network namespaces).
need_root() {
	[ "$(id -u)" = 0 ] && return 0
	skip "not root"
	return 1
}
scenario_end() {
	# Whatever the scenario checked, no live host keeps a temp file.
	_n=1
	while [ -n "$T" ] && [ $_n -le "$NHOSTS" ]; do
		if host_alive "$_n" && [ -n "$(find "$(host_home "$_n")" \
		    \( -name '.*.fanscp.*' -o -name '.fanscp.*' \) \
		    2>/dev/null)" ]; then
			fail "$(host_name "$_n"): temp file left in the home"
		fi
		_n=$((_n + 1))
	done
	_res=$SCEN_FAILED
	if [ "$SCEN_FAILED" != 0 ]; then
		say "not ok - $SCEN: $SCEN_WHY"
	elif [ -n "$SCEN_SKIP" ]; then
		say "ok - $SCEN # SKIP $SCEN_SKIP"
		_res=S
	else
		say "ok - $SCEN"
	fi
	[ -n "${FANSCP_RESULTS:-}" ] &&
	    printf '%s %s\n' "$_res" "$SCEN" >>"$FANSCP_RESULTS"
	return 0
}

# Record a failure of the current scenario; the first reason is the one
# shown on the "not ok" line, every one is printed as a diagnostic.
fail() {
	SCEN_FAILED=1
	[ -n "$SCEN_WHY" ] || SCEN_WHY=$*
	diag "FAIL: $*"
	return 1
}

expect_rc() {
	[ "$RC" = "$1" ] && return 0
	fail "exit status $RC, expected $1 (${2:-$LAST_CMD})"
	show_output
}

# The stderr lines that start with "$1:".
_err_lines() { awk -v h="$1:" 'index($0, h) == 1' "$T/err"; }

# expect_err HOST TEXT: stderr has a line starting with "HOST:" that
# contains TEXT (case-insensitive).
# expect_cut_err HOST SECS: HOST's stderr line says that it stalled for
# SECS s, or that its connection was lost.  Both are true of a cut link:
# the socket's TCP_USER_TIMEOUT is the stall timeout too (src/conn.c), and
# ARP gives up after about 3 s (EHOSTUNREACH), so the kernel may end the
# connection before fanscp's stall timer fires.
expect_cut_err() {
	_el=$(_err_lines "$1")
	case $_el in
	*"stalled for $2 s"* | *"connection lost"*) return 0 ;;
	esac
	fail "$1: neither stalled nor lost: $_el"
}

expect_err() {
	_el=$(_err_lines "$1")
	if [ -z "$_el" ]; then
		fail "no stderr line for $1 (wanted one mentioning '$2')"
		show_output
		return 1
	fi
	printf '%s\n' "$_el" | grep -qiF -- "$2" && return 0
	fail "stderr line for $1 lacks '$2': $_el"
}

# sudo_fixture OK NO [N]: users OK (a NOPASSWD sudoer) and NO (one sudo
# refuses: it has no password to give), and N hosts (1) both may log in
# to; h is set to the first one's home.  Needs root and sudo: else the
# scenario is skipped and it returns 1.
sudo_fixture() {
	need_root || return 1
	command -v sudo >/dev/null 2>&1 || { skip "no sudo"; return 1; }
	# '*': no password, but not locked (sshd refuses locked accounts).
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$1" 2>/dev/null &&
	useradd -M -d /nonexistent -s /bin/sh -p '*' "$2" 2>/dev/null ||
	    { skip "useradd failed"; return 1; }
	fixture_cleanup "userdel $1; userdel $2; rm -f /etc/sudoers.d/$1"
	printf '%s ALL=(ALL) NOPASSWD: ALL\n' "$1" >"/etc/sudoers.d/$1"
	chmod 440 "/etc/sudoers.d/$1"
	fixture_start "${3:-1}"
	h=$(host_home 1)
	chmod 755 "$T"
	for _n in $(seq 1 "${3:-1}"); do
		chmod 755 "$(host_dir $_n)" "$(host_home $_n)"
		chmod 644 "$(host_dir $_n)/authorized_keys" \
		    "$(host_dir $_n)/session.sh"
	done
}

# The summary groups the failed hosts by kind exactly as "$1" ("2 connect, 1 auth").
expect_kinds() {
	grep -q "^fanscp: .*; failed: $1\$" "$T/err" ||
	    fail "summary does not end '; failed: $1': $(grep '^fanscp: ' "$T/err")"
}

# No stderr line starts with "HOST:".
expect_no_err() {
	_el=$(_err_lines "$1")
	[ -z "$_el" ] && return 0
	fail "unexpected error line for $1: $_el"
}

# expect_copy N PATH SRC: host N has PATH (relative to its home, or
# absolute) as a regular file identical to SRC.
expect_copy() {
	case $2 in /*) _f=$2 ;; *) _f=$(host_home "$1")/$2 ;; esac
	if [ ! -f "$_f" ]; then
		fail "$(host_name "$1"): no file '$2'"
		return 1
	fi
	[ "$(sha256 "$_f")" = "$(sha256 "$3")" ] && return 0
	fail "$(host_name "$1"): '$2' differs from the source ($(fsize "$_f") vs $(fsize "$3") bytes)"
}

# expect_mode N PATH MODE: octal permission bits, as stat %a prints them.
expect_mode() {
	case $2 in /*) _f=$2 ;; *) _f=$(host_home "$1")/$2 ;; esac
	_m=$(stat -c %a "$_f" 2>/dev/null)
	[ "$_m" = "$3" ] && return 0
	fail "$(host_name "$1"): '$2' has mode ${_m:-?}, expected $3"
}

expect_absent() {
	case $2 in /*) _f=$2 ;; *) _f=$(host_home "$1")/$2 ;; esac
	[ -e "$_f" ] || [ -h "$_f" ] || return 0
	fail "$(host_name "$1"): '$2' exists but should not"
}

# Everything under a directory, one relative name a line, newlines in
# names shown as '?', sorted.
listing() {
	(cd "$1" && find . ! -name . -print0 | tr '\n\0' '?\n' |
	    sed 's|^\./||' | LC_ALL=C sort)
}
_names() { for _a in "$@"; do printf '%s\0' "$_a"; done |
    tr '\n\0' '?\n' | LC_ALL=C sort; }

# expect_home N NAME...: host N's home holds exactly these names
# (directories included), no temp file and nothing else.
expect_home() {
	_n=$1; shift
	_h=$(host_home "$_n")
	_tmp=$(cd "$_h" && find . \( -name '.*.fanscp.*' -o -name '.fanscp.*' \) |
	    sed 's|^\./||')
	[ -z "$_tmp" ] ||
	    fail "$(host_name "$_n"): temp file left: $(printf '%s' "$_tmp" | tr '\n' ' ')"
	_got=$(listing "$_h")
	_want=$(_names "$@")
	[ "$_got" = "$_want" ] && return 0
	fail "$(host_name "$_n"): home holds [$(printf '%s' "$_got" | tr '\n' '|')], expected [$(printf '%s' "$_want" | tr '\n' '|')]"
}

# No PWNED* file anywhere the test could have made one.
expect_no_pwned() {
	_pw=$(find "$T" . -maxdepth 6 -name 'PWNED*' 2>/dev/null)
	[ -z "$_pw" ] && return 0
	fail "command injection: $(printf '%s' "$_pw" | tr '\n' ' ')"
	printf '%s\n' "$_pw" | while IFS= read -r _f; do rm -f "$_f"; done
}

# Wait (up to $2 s, default 10) until host $1's home has no temp file.
wait_no_tempfile() {
	_i=0
	while [ $_i -lt $(( ${2:-10} * 10 )) ]; do
		[ -z "$(find "$(host_home "$1")" -name '.*.fanscp.*')" ] &&
		    return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# Wait (up to $2 s, default 30) for a temp file of size > 0 under host $1's
# home; prints its name.
wait_tempfile() { wait_temp_over "$1" 0 "${2:-30}"; }

# No temp file, and no pid file, anywhere under host $1's home.
expect_no_stray() {
	_s=$(find "$(host_home "$1")" -name '.*fanscp*' 2>/dev/null)
	[ -z "$_s" ] || fail "$(host_name "$1"): left behind: $_s"
}

# Wait (up to $3 s, default 30) until host $1 holds a temp file (not its
# pid file) of more than $2 bytes; prints its name.
wait_temp_over() {
	_i=0
	_lim=$(( ${3:-30} * 10 ))
	while [ $_i -lt $_lim ]; do
		_f=$(find "$(host_home "$1")" -name '.*.fanscp.*' ! -name '*.pid' \
		    -size +"$2"c 2>/dev/null | head -1)
		[ -n "$_f" ] && { printf '%s\n' "$_f"; return 0; }
		[ -n "${FANSCP_PID:-}" ] && ! kill -0 "$FANSCP_PID" 2>/dev/null &&
		    return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# The pid of fanscp itself (under timeout, maybe valgrind) started by
# start_fanscp.
fanscp_pid() {
	_last=
	for _p in $(proc_tree "$FANSCP_PID"); do
		_c=$(cat "/proc/$_p/comm" 2>/dev/null)
		case $_c in fanscp | memcheck*) echo "$_p"; return 0 ;; esac
		_last=$_p
	done
	[ -n "$_last" ] && echo "$_last"
}

# The fanscp binary, absolute; a scenario stops with a clear message when
# it is missing.
need_fanscp() {
	case $FANSCP in /*) ;; *) FANSCP=$(pwd)/${FANSCP#./} ;; esac
	if [ ! -x "$FANSCP" ]; then
		fail "no fanscp binary at $FANSCP (run make)"
		return 1
	fi
	if [ "$FANSCP_VALGRIND" = 1 ] && grep -q __asan_init "$FANSCP"; then
		fail "$FANSCP is built with AddressSanitizer, which valgrind cannot run (rebuild it without: make clean all)"
		return 1
	fi
	return 0
}
