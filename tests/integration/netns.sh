# tests/integration/netns.sh: the shaped-link lab.  POSIX sh (dash), sourced
# after lib.sh (it uses lib.sh's hosts, keys and ssh_config) by the
# scenarios of t10_lab.sh and by bench/shaped/run.sh; no side effects on load.
#
# What it makes (root only; nothing is added to the root namespace):
#
#                          switch namespace $LAB_NS-sw
#   sender ns $LAB_NS-s    +---------------------------+    host ns $LAB_NS-hN
#   eth0 10.77.0.1 --------|-- s0    bridge br0   hN --|---- eth0 10.77.1.N
#   [htb: the uplink]      |   [htb: host N's rate]    |    sshd on 10.77.1.N
#                          +---------------------------+
#
# - One network namespace per simulated host labNNN, holding that host's
#   sshd (lib.sh's fixture, through its host_netns hook), listening on
#   10.77.1.N (N = 1..254; 10.77.0.0/16 is one L2 segment).
# - A "switch" namespace with the bridge br0; every other namespace is
#   joined to it by a veth pair whose outer end is a port of br0 (named s0
#   for the sender, hN for host N).
# - The sender's namespace: fanscp, ssh, scp and the peers run there
#   (lib.sh's FIXTURE_NETNS, so run_fanscp and ssh_host already do), at
#   10.77.0.1.  It reaches the hosts only through the bridge.
# - Shaping, tc htb with one class and a bfifo leaf (this kernel has no
#   sch_netem, fq_codel or sfq; htb, tbf and the fifos are there):
#   the sender's uplink on its eth0 (egress from the sender), and host N's
#   rate on the bridge port hN (egress toward host N, what the data
#   crosses).  The way back (ACKs, SSH replies) is not shaped.  The fifo
#   holds 50 ms at the class's rate, at least 256 KiB, so that TCP sees a
#   queue rather than a wall.  Measured: one TCP stream gets 24.0 Mbit/s
#   of payload through a 25 Mbit/s link and 189 through a 200 (25.1 and
#   198 on the wire); there is no added delay, the RTT is the queue's.
# - A cut link (lab_cut) hangs both ends.  An sshd whose client has gone
#   learns it only when it sends something after the link is back; when
#   it has nothing to send it waits for TCP keepalive (2 hours).  A
#   scenario that needs the old session gone sets
#   host_sshd_option N 'ClientAliveInterval 2' before lab_up (t10_lab.sh's
#   lab_cut does).
#
# Namespace names are fsl-PID-TAG-{sw,s,hN}, PID being the creating shell's
# $$ and TAG random; lab_up first deletes fsl-* namespaces whose PID is
# dead (a lab whose script was SIGKILLed).  lab_up registers lab_down with
# lib.sh's fixture_cleanup, which runs however the scenario ends (EXIT,
# HUP, INT, PIPE, TERM traps), after fixture_stop has killed the sshds.
#
# Calls (rates in Mbit/s; decimals allowed):
#   lab_up UPLINK RATE1 RATE2 ...   hosts lab001.. at those rates; runs
#                    lib.sh's fixture_start, so $T/ssh_config and
#                    $T/known_hosts reach them, and writes $T/hosts (one
#                    name a line, for -h / pssh).  Returns 1 after lib.sh's
#                    skip WHY when the lab cannot be made here (not root, no
#                    ip/tc, namespaces refused, no htb): the caller returns.
#   lab_run CMD...   run CMD in the sender's namespace
#   lab_rate N MBIT  change host N's rate; lab_uplink MBIT the uplink's
#   lab_kill_host N  SIGKILL host N's sshd and sessions (lib.sh's kill_host)
#   lab_start_host N start it again, on the same address and port (a
#                    running fanscp finds it where it was)
#   lab_cut N        take host N's link down (its bridge port): packets
#                    vanish, connections hang rather than reset
#   lab_restore N    bring it back up
#   lab_down         delete the lab (idempotent; lab_up arranges it)
#   lab_ns_sender, lab_ns_switch, lab_ns_host N   the namespace names
#   lab_addr N       host N's address
#   lab_ms           milliseconds since the epoch (for timings)
#
# A scenario (see t10_lab.sh):
#   scen_x() {
#   	need_fanscp || return
#   	lab_up 400 200 25 || return	# skipped here: return at once
#   	SRC=$T/src/f; mkrandom "$SRC" 4194304
#   	run_fanscp -F "$T/ssh_config" "$SRC" 'lab[001-002]:f'
#   	expect_rc 0
#   }

LAB_NS=			# fsl-PID-TAG while a lab exists
LAB_N=0			# how many hosts
LAB_SENDER_ADDR=10.77.0.1

lab_ns_sender() { printf '%s-s' "$LAB_NS"; }
lab_ns_switch() { printf '%s-sw' "$LAB_NS"; }
lab_ns_host() { printf '%s-h%s' "$LAB_NS" "$1"; }
lab_addr() { printf '10.77.1.%s' "$1"; }

lab_run() { ip netns exec "$(lab_ns_sender)" "$@"; }

# Delete namespace $1 after killing whatever still runs in it.
_lab_ns_del() {
	for _p in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$_p" 2>/dev/null
	done
	ip netns del "$1" 2>/dev/null
	return 0
}

# Delete the fsl-PID-* namespaces of labs whose creating process is gone.
lab_sweep() {
	for _ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $_ns in fsl-*-*) ;; *) continue ;; esac
		_p=${_ns#fsl-}
		_p=${_p%%-*}
		case $_p in '' | *[!0-9]*) continue ;; esac
		[ -d "/proc/$_p" ] && continue
		_lab_ns_del "$_ns"
	done
}

# _lab_shape NS DEV MBIT: htb at MBIT on DEV's egress, a bfifo under it.
_lab_shape() {
	_lim=$(awk -v r="$3" 'BEGIN { b = r * 1e6 / 8 * 0.05;
	    if (b < 262144) b = 262144; printf "%d", b }')
	# htb cannot be changed in place; its class and leaf can.
	{ tc -n "$1" qdisc show dev "$2" | grep -q '^qdisc htb 1: root' ||
	    tc -n "$1" qdisc replace dev "$2" root handle 1: htb default 1; } &&
	tc -n "$1" class replace dev "$2" parent 1: classid 1:1 htb \
	    rate "${3}mbit" ceil "${3}mbit" burst 64k cburst 64k \
	    quantum 65536 &&
	tc -n "$1" qdisc replace dev "$2" parent 1:1 handle 10: bfifo \
	    limit "$_lim"
}

lab_rate() {
	_lab_shape "$(lab_ns_switch)" "h$1" "$2" ||
	    fixture_die "lab: cannot shape host $1 to $2 Mbit/s"
}
lab_uplink() {
	_lab_shape "$(lab_ns_sender)" eth0 "$1" ||
	    fixture_die "lab: cannot shape the uplink to $1 Mbit/s"
}

# _lab_veth NS IFNAME ADDR: NS's eth0 at ADDR/16, its peer IFNAME a port
# of the switch's bridge.
_lab_veth() {
	_sw=$(lab_ns_switch)
	ip netns add "$1" &&
	ip -n "$1" link set lo up &&
	ip -n "$1" link add eth0 type veth peer name "$2" netns "$_sw" &&
	ip -n "$1" addr add "$3/16" dev eth0 &&
	ip -n "$1" link set eth0 up &&
	ip -n "$_sw" link set "$2" master br0 &&
	ip -n "$_sw" link set "$2" up
}

lab_up() {
	need_root || return 1
	if ! command -v ip >/dev/null 2>&1 || ! command -v tc >/dev/null 2>&1; then
		skip "no ip(8) or tc(8): install iproute2"
		return 1
	fi
	[ "$#" -ge 2 ] || fixture_die "lab_up UPLINK RATE..."
	[ -z "$LAB_NS" ] || fixture_die "lab_up: a lab is already up"
	lab_sweep
	LAB_NS=fsl-$$-$(_rand16)
	fixture_cleanup lab_down
	_sw=$(lab_ns_switch)
	if ! _e=$(ip netns add "$_sw" 2>&1); then
		LAB_NS=
		skip "cannot create network namespaces: $_e"
		return 1
	fi
	ip -n "$_sw" link set lo up &&
	ip -n "$_sw" link add br0 type bridge &&
	ip -n "$_sw" link set br0 up ||
	    fixture_die "lab: cannot make the bridge"
	_lab_veth "$(lab_ns_sender)" s0 "$LAB_SENDER_ADDR" ||
	    fixture_die "lab: cannot make the sender's link"
	if ! _e=$(tc -n "$(lab_ns_sender)" qdisc add dev eth0 root handle 1: \
	    htb default 1 2>&1); then
		skip "no tc htb here: $_e"
		return 1
	fi
	lab_uplink "$1"
	shift
	LAB_N=$#
	_n=1
	for _r in "$@"; do
		_lab_veth "$(lab_ns_host "$_n")" "h$_n" "$(lab_addr "$_n")" ||
		    fixture_die "lab: cannot make host $_n's link"
		lab_rate "$_n" "$_r"
		host_netns "$_n" "$(lab_ns_host "$_n")" "$(lab_addr "$_n")"
		_n=$((_n + 1))
	done
	FIXTURE_NETNS=$(lab_ns_sender)
	fixture_start "$LAB_N"
	_n=1
	: >"$T/hosts"
	while [ "$_n" -le "$LAB_N" ]; do
		host_name "$_n" >>"$T/hosts"
		echo >>"$T/hosts"
		_n=$((_n + 1))
	done
}

lab_down() {
	[ -n "$LAB_NS" ] || return 0
	_n=1
	while [ "$_n" -le "$LAB_N" ]; do
		_lab_ns_del "$(lab_ns_host "$_n")"
		_n=$((_n + 1))
	done
	_lab_ns_del "$(lab_ns_sender)"
	_lab_ns_del "$(lab_ns_switch)"
	LAB_NS=
	LAB_N=0
}

lab_kill_host() { kill_host "$1"; }

# Host N's sshd again, with the config (address, port) it had: a fanscp
# that retries finds it where it was.
lab_start_host() {
	_d=$(host_dir "$1")
	_host_running "$1" && fixture_die "lab_start_host $1: it runs"
	: >"$_d/sshd.log"
	ip netns exec "$(lab_ns_host "$1")" "$SSHD" -D -E "$_d/sshd.log" \
	    -f "$_d/sshd_config" </dev/null >>"$_d/sshd.log" 2>&1 &
	echo $! >"$_d/pid"
	rm -f "$_d/dead"
	_await_sshd "$1"
	_probe_host "$1"
	_probe_check "$1"
}

lab_cut() { ip -n "$(lab_ns_switch)" link set "h$1" down ||
    fixture_die "lab: cannot cut host $1's link"; }
lab_restore() { ip -n "$(lab_ns_switch)" link set "h$1" up ||
    fixture_die "lab: cannot restore host $1's link"; }

# Milliseconds since the epoch.
lab_ms() { echo $(( $(date +%s%N) / 1000000 )); }
