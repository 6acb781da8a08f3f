# Issue 10, at scale: Ciphers, MACs and KexAlgorithms held to what
# libssh2 1.10 supports (a host goes to ssh only when nothing is left);
# 10,000 targets in one run; the file-descriptor limit; names resolved
# off the event loop.
ALL_SCENARIOS="$ALL_SCENARIOS scale_algs scale_algs_config scale_10k scale_nofile scale_resolve"

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

# _targets N: N targets that fail at once (port 1, refused), one a line.
_refused_targets() {
	seq -f 'scp://127.0.0.1:1/f%g' 1 "$1"
}

# 10,000 targets in one run: 48 on four sshds (12 files each), the rest
# refused at once (a login costs ~140 ms of CPU: 10,000 real ones would
# take minutes here).  Every target has its JSON record; memory stays
# small: peak RSS under 48 MiB (about 1.4 KiB a target on top of ~10 MiB),
# and 10,000 targets cost less than 2 KiB a target more than 1,000 do.
scen_scale_10k() {
	need_fanscp || return
	fixture_start 4
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4096
	_refused_targets 9952 >"$T/targets"
	for h in 1 2 3 4; do
		seq -f "$(host_name $h):f%02g" 1 12
	done >>"$T/targets"
	FANSCP_RSS=$T/rss.10k
	# shellcheck disable=SC2046
	run_fanscp -F "$T/ssh_config" --width 256 --json "$T/run.json" \
	    "$SRC" $(cat "$T/targets")
	FANSCP_RSS=
	expect_rc 1
	for h in 1 2 3 4; do
		expect_copy "$h" f01 "$SRC"
		expect_copy "$h" f12 "$SRC"
		expect_home "$h" $(seq -f 'f%02g' 1 12)
	done
	python3 - "$T/run.json" <<'PY' || fail "the JSON does not hold every record"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["hosts"]
st = {}
for r in h:
	st[r["status"]] = st.get(r["status"], 0) + 1
assert len(h) == 10000, len(h)
assert len(set(r["target"] for r in h)) == 10000
assert st == {"done": 48, "failed": 9952}, st
assert d["summary"]["hosts"] == 10000, d["summary"]
assert all(r["error_kind"] == "connect" for r in h if r["status"] == "failed")
PY
	FANSCP_RSS=$T/rss.1k
	# shellcheck disable=SC2046
	run_fanscp -F "$T/ssh_config" --width 256 "$SRC" \
	    $(_refused_targets 1000)
	FANSCP_RSS=
	expect_rc 1
	# time(1) says "Command exited with non-zero status 1" first.
	r1=$(tail -n 1 "$T/rss.1k") r10=$(tail -n 1 "$T/rss.10k")
	diag "peak RSS: $r1 KiB at 1,000 targets, $r10 KiB at 10,000"
	# ASan's quarantine and shadow memory make RSS meaningless.
	fanscp_is_asan && return
	[ "$r10" -lt 49152 ] || fail "peak RSS $r10 KiB at 10,000 targets"
	[ $((r10 - r1)) -lt 18000 ] ||
	    fail "10,000 targets cost $((r10 - r1)) KiB more than 1,000"
}

# --width 2000: the descriptor limit is raised to fit (no note); with a
# hard limit of 256 the width is cut to what fits, said under -v, and no
# host fails for want of a descriptor.  130 listeners that never
# answer (two targets each: fanscp starts few logins at a time on
# one server) would hold more than 256 connections open until
# --connect-timeout.
scen_scale_nofile() {
	need_fanscp || return
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 1024
	python3 - "$T/hole.port" <<'PY' &
import os, socket, sys, time
ss = []
for i in range(130):
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	s.listen(64)
	ss.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
	for s in ss:
		f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
PY
	hole=$!
	i=0
	while [ ! -s "$T/hole.port" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	for p in $(cat "$T/hole.port"); do
		seq -f "scp://127.0.0.1:$p/h%g" 1 2
	done >"$T/hole.targets"
	run_fanscp -F "$T/ssh_config" -v --width 2000 "$SRC" \
	    $(_refused_targets 2000) lab001:a
	expect_rc 1
	expect_copy 1 a "$SRC"
	grep -q 'cut to' "$T/err" && fail "the width was cut at 2000"
	grep -qi 'too many open files' "$T/err" && fail "EMFILE at 2000"
	real=$FANSCP
	printf '#!/bin/sh\nexec prlimit --nofile=256:256 %s "$@"\n' \
	    "$(shq "$real")" >"$T/lowfd"
	chmod +x "$T/lowfd"
	FANSCP=$T/lowfd
	# shellcheck disable=SC2046
	_t0=$(date +%s)
	run_fanscp -F "$T/ssh_config" -v --width 2000 --max-startups 2000 \
	    --connect-timeout 2 \
	    "$SRC" $(cat "$T/hole.targets") lab001:b
	FANSCP=$real
	diag "260 silent targets at width 96: $(($(date +%s) - _t0)) s"
	kill "$hole" 2>/dev/null
	wait "$hole" 2>/dev/null
	expect_rc 1
	expect_copy 1 b "$SRC"
	_err_has "fanscp: --width 2000 cut to 96: the file-descriptor limit is 256 (ulimit -Hn)"
	grep -qi 'too many open files' "$T/err" && fail "EMFILE under 256"
	n=$(grep -c 'timed out after 2 s' "$T/err")
	[ "$n" -ge 1 ] || fail "no target timed out at the listeners"
	expect_home 1 a b
}

# A slow DNS stalls no session: with one engine thread, 30 names that
# take 3 s each to fail (an LD_PRELOAD getaddrinfo) and one name that
# resolves at once (named.fast.test, to 127.0.0.1); the named host's copy
# is done within 2 s, while the slow names are still being looked up.
# (Blocking in the loop, the run took 90 s and stalled it too.)
scen_scale_resolve() {
	need_fanscp || return
	if fanscp_is_asan; then
		skip "an LD_PRELOAD shim cannot come before ASan's runtime"
		return
	fi
	fixture_start 1
	SRC=$T/src/data.bin
	mkrandom "$SRC" 4194304
	cat >"$T/gai.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <time.h>

static int
ends(const char *s, const char *t)
{
	size_t n = strlen(s), m = strlen(t);

	return n >= m && strcmp(s + n - m, t) == 0;
}

int
getaddrinfo(const char *node, const char *port, const struct addrinfo *h,
    struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **) = dlsym(RTLD_NEXT, "getaddrinfo");
	struct timespec ts = { 3, 0 };

	/* A numeric-only lookup asks no DNS: it never blocks. */
	if (node != NULL && ends(node, ".slow.test") &&
	    !(h->ai_flags & AI_NUMERICHOST)) {
		nanosleep(&ts, NULL);
		return EAI_NONAME;
	}
	if (node != NULL && strcmp(node, "named.fast.test") == 0)
		node = "127.0.0.1";
	return real(node, port, h, res);
}
C
	cc -shared -fPIC -o "$T/gai.so" "$T/gai.c" -ldl ||
	    { fail "cannot build the getaddrinfo shim"; return; }
	p=$(host_port 1)
	cfg=$T/named.conf
	{ printf 'Host named\n\tHostName named.fast.test\n\tPort %s\n' "$p"
	  sed -n '/^Host lab001$/,/^$/p' "$T/ssh_config" | sed '1,3d'
	  cat "$T/ssh_config"; } >"$cfg"
	set -- $(cat "$(host_dir 1)/ssh_host_ed25519_key.pub")
	printf '[named.fast.test]:%s %s %s\n' "$p" "$1" "$2" >>"$T/known_hosts"
	real=$FANSCP
	printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$(shq "$T/gai.so")" \
	    "$(shq "$real")" >"$T/shimmed"
	chmod +x "$T/shimmed"
	FANSCP=$T/shimmed
	_t0=$(date +%s%N)
	# shellcheck disable=SC2046
	run_fanscp -F "$cfg" --threads 1 --width 64 --max-startups 64 \
	    --json "$T/run.json" "$SRC" named:a \
	    $(seq -f 'h%g.slow.test:f' 1 30)
	FANSCP=$real
	ms=$((($(date +%s%N) - _t0) / 1000000))
	expect_rc 1
	expect_copy 1 a "$SRC"
	_err_has "h[1-30].slow.test: cannot resolve"
	diag "run: $ms ms"
	[ "$ms" -ge 2900 ] || fail "the slow names took $ms ms, not 3 s"
	[ "$ms" -lt 20000 ] || fail "the slow names were resolved one by one ($ms ms)"
	python3 - "$T/run.json" <<'PY' || fail "the named host waited for DNS"
import json, sys
h = {r["host"]: r for r in json.load(open(sys.argv[1]))["hosts"]}
assert h["named"]["status"] == "done", h["named"]
assert h["named"]["seconds"] < 2.0, h["named"]
assert sum(r["status"] == "failed" for r in h.values()) == 30
assert h["h7.slow.test"]["error"].startswith(
    "cannot resolve 'h7.slow.test': "), h["h7.slow.test"]
assert h["h7.slow.test"]["seconds"] >= 2.9, h["h7.slow.test"]
PY
	expect_home 1 a
}
