/*
 * Tests for one host's session, driven against the scripted libssh2 of
 * mock_libssh2.c: sess_new(), then sess_step() over and over as the engine
 * would, with a fake clock.  The TCP connect is real (to a socket that
 * listens on 127.0.0.1); the SSH side is the mock's.  The mock checks the
 * EAGAIN contract on every call; the driver checks that each wait names
 * the direction libssh2 asked for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "job.h"
#include "loop.h"
#include "mock_libssh2.h"
#include "remote.h"
#include "sess.h"
#include "source.h"

#define FILE_SIZE	1000000
#define MAX_STEPS	200000

struct fx {
	struct mock_world w;
	struct host	 host;
	struct sess	*s;
	int64_t		 now;
};

static int
setup(void **state)
{
	struct fx *fx = test_calloc(1, sizeof(*fx));

	mock_reset();
	mock_world_init(&fx->w, FILE_SIZE);
	mock_host_init(&fx->host, "web01");
	fx->now = 1000000;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->s != NULL)
		sess_free(fx->s);
	host_release_conn(&fx->host);
	mock_world_release(&fx->w);
	mock_reset();
	test_free(fx);
	return 0;
}

/* The session the mock made for the host (there is one per test). */
static struct mock_sess *
msess(void)
{
	assert_int_equal(mock.nsessions, 1);
	return mock_session(0);
}

/* After sess_step() returned 0: does the session wait for the right thing? */
static void
check_wait(struct fx *fx)
{
	int fd = sess_fd(fx->s), ev = sess_events(fx->s);
	struct pollfd p;
	struct mock_sess *ms;

	assert_true(fd >= 0);
	if (strcmp(sess_state_name(fx->s), "CONNECT") == 0) {
		assert_int_equal(ev, LOOP_WRITE);
		p.fd = fd;
		p.events = POLLOUT;
		assert_int_equal(poll(&p, 1, 5000), 1);
		return;
	}
	ms = msess();
	/* Output already queued inside libssh2: a yield comes back for it. */
	if (ev == LOOP_WRITE && mock_output_queued(ms))
		return;
	/*
	 * Waiting for input that libssh2 did not say is coming never ends:
	 * whatever arrived is already queued inside libssh2, and the socket
	 * stays quiet.  Only a yield (the turn's budget spent) waits without
	 * an EAGAIN, and for POLLOUT, which comes at once.
	 */
	if (!ms->last_eagain && ev != LOOP_WRITE)
		fail_msg("%s waits for %s but libssh2's last call did not "
		    "return EAGAIN: nothing will wake it",
		    sess_state_name(fx->s), ev == LOOP_READ ? "input" : "none");
	if (ev == LOOP_READ && ms->adjust_taken)
		fail_msg("%s waits for input, but the window adjust it waits "
		    "for was already taken in: nothing will wake it",
		    sess_state_name(fx->s));
	if (!ms->last_eagain)
		assert_int_equal(ev, LOOP_WRITE);	/* its turn is over */
	else if (ms->dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		assert_int_equal(ev, LOOP_WRITE);	/* POLLOUT moves it */
	else
		assert_int_equal(ev, LOOP_READ);
}

/* Step the session until it finishes, or for at most steps steps. */
static int
drive(struct fx *fx, int steps)
{
	int i;

	for (i = 0; i < steps; i++) {
		if (sess_step(fx->s, fx->now))
			return 1;
		check_wait(fx);
		fx->now++;
	}
	return 0;
}

/* Step until the session is in state name and waiting. */
static void
drive_to(struct fx *fx, const char *name)
{
	int i;

	for (i = 0; i < MAX_STEPS; i++) {
		assert_int_equal(sess_step(fx->s, fx->now), 0);
		check_wait(fx);
		if (strcmp(sess_state_name(fx->s), name) == 0)
			return;
		fx->now++;
	}
	fail_msg("the session never waited in %s", name);
}

static void
start(struct fx *fx)
{
	fx->s = sess_new(&fx->w.job, &fx->host, fx->now);
	assert_non_null(fx->s);
	assert_int_equal(fx->host.status, HOST_ACTIVE);
}

static void
stop(struct fx *fx)
{
	sess_free(fx->s);
	fx->s = NULL;
	mock_assert_all_freed();
}

/* Run the host to its end; every libssh2 object must be freed after. */
static void
run(struct fx *fx)
{
	start(fx);
	if (!drive(fx, MAX_STEPS))
		fail_msg("the session is stuck in %s",
		    sess_state_name(fx->s));
	assert_true(fx->host.status == HOST_DONE ||
	    fx->host.status == HOST_FAILED ||
	    fx->host.status == HOST_UNKNOWN);
	assert_true(fx->host.t_end >= fx->host.t_start);
	stop(fx);
}

static void
assert_done(const struct fx *fx)
{
	if (fx->host.status != HOST_DONE)
		fail_msg("host failed: %s", fx->host.err);
	assert_string_equal(fx->host.err, "");
	assert_int_equal(fx->host.bytes, fx->w.size);
}

static void
assert_failed(const struct fx *fx, const char *needle)
{
	assert_int_equal(fx->host.status, HOST_FAILED);
	if (strstr(fx->host.err, needle) == NULL)
		fail_msg("error '%s' does not say '%s'", fx->host.err, needle);
}

/* The receive channel got exactly the file, in order. */
static void
assert_delivered(const struct fx *fx)
{
	const struct mock_chan *ch = mock_script_chan(msess(), MS_RECEIVE);

	assert_non_null(ch);
	assert_int_equal(ch->len, fx->w.size);
	if (fx->w.size > 0)
		assert_memory_equal(ch->data, fx->w.data, fx->w.size);
	assert_int_equal(ch->want, fx->w.size);
}

/* The scripts exec'd, in order: e.g. "receive,commit". */
static void
assert_scripts(const char *want)
{
	static const char *const names[] = { "other", "receive", "commit",
	    "abort" };
	const struct mock_chan *ch;
	char got[128] = "";

	for (ch = msess()->chans; ch != NULL; ch = ch->next) {
		if (ch->cmd == NULL)
			continue;
		if (got[0] != '\0')
			strncat(got, ",", sizeof(got) - strlen(got) - 1);
		strncat(got, names[ch->script], sizeof(got) - strlen(got) - 1);
	}
	assert_string_equal(got, want);
}

/* The token in a script ("k='...'"), to see that both scripts share it. */
static void
script_token(const struct mock_chan *ch, char *buf, size_t len)
{
	const char *p = strstr(ch->cmd, " k='"), *q;

	assert_non_null(p);
	p += 4;
	q = strchr(p, '\'');
	assert_non_null(q);
	assert_true((size_t)(q - p) < len);
	memcpy(buf, p, (size_t)(q - p));
	buf[q - p] = '\0';
}

static void
test_happy_path(void **state)
{
	struct fx *fx = *state;
	const struct mock_chan *rc;
	struct mock_sess *ms;
	char k[64];

	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	/* A file's receive and commit are joined on one channel (remote.h). */
	assert_scripts("receive");
	ms = msess();
	assert_int_equal(ms->nchans, 1);
	rc = mock_script_chan(ms, MS_RECEIVE);
	assert_true(rc->joined);
	/* Whole packets only: no runt writes between full ones. */
	assert_int_equal(rc->nwrites, (FILE_SIZE + MOCK_WRITE_CAP - 1) /
	    MOCK_WRITE_CAP);
	assert_int_equal(mock.write_calls, rc->nwrites);
	assert_true(rc->eof_sent && rc->wait_closed);
	/* After the data and the commit's "ready": the go-ahead alone. */
	assert_true(rc->go_ready);
	assert_int_equal(rc->golen, 3);
	assert_memory_equal(rc->go, "go\n", 3);
	script_token(rc, k, sizeof(k));
	assert_true(strlen(k) >= 16);
	/* Host keys in OpenSSH's order, so known_hosts' ed25519 is offered. */
	assert_non_null(ms->hostkey_prefs);
	assert_true(strncmp(ms->hostkey_prefs, "ssh-ed25519", 11) == 0);
	assert_string_equal(ms->auth_key, fx->w.key);
	assert_int_equal(ms->blocking, 0);
	assert_true(ms->disconnected);
	mock_reset();
}

/* The mock itself must catch a broken EAGAIN contract. */
static void
test_mock_catches_broken_contract(void **state)
{
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *c;
	char buf[100] = "", out[16];
	int sv[2];

	(void)state;
	mock.tolerate = 1;
	mock.handshake_eagain = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = __wrap_libssh2_session_init_ex(NULL, NULL, NULL, NULL);
	__wrap_libssh2_session_set_blocking(s, 0);
	assert_int_equal(__wrap_libssh2_session_handshake(s, sv[0]), 0);
	assert_int_equal(__wrap_libssh2_userauth_publickey_fromfile_ex(s, "u",
	    1, NULL, "k", NULL), 0);
	c = __wrap_libssh2_channel_open_ex(s, "session", 7, 1 << 21, 32768,
	    NULL, 0);
	assert_non_null(c);
	assert_int_equal(__wrap_libssh2_channel_process_startup(c, "exec", 4,
	    "cat", 3), 0);
	mock_script_write(MW_EAGAIN_OUT, 0);
	mock_script_write(MW_EAGAIN_OUT, 0);
	mock_script_write(MW_EAGAIN_IN, 0);
	mock_script_write(MW_EAGAIN_IN, 0);
	/* Parked: a shorter retry, then a read, are both caught. */
	assert_int_equal(__wrap_libssh2_channel_write_ex(c, 0, buf, 100),
	    LIBSSH2_ERROR_EAGAIN);
	assert_int_equal(__wrap_libssh2_channel_write_ex(c, 0, buf, 99),
	    LIBSSH2_ERROR_EAGAIN);
	assert_int_equal(mock.violations, 1);
	assert_int_equal(__wrap_libssh2_channel_read_ex(c, 0, out,
	    sizeof(out)), LIBSSH2_ERROR_EAGAIN);
	assert_int_equal(mock.violations, 2);
	/* Window shut, nothing parked: reading is fine, another write not. */
	assert_int_equal(__wrap_libssh2_channel_write_ex(c, 0, buf, 100),
	    LIBSSH2_ERROR_EAGAIN);
	assert_int_equal(__wrap_libssh2_channel_read_ex(c, 0, out,
	    sizeof(out)), LIBSSH2_ERROR_EAGAIN);
	assert_int_equal(mock.violations, 2);
	assert_int_equal(__wrap_libssh2_channel_write_ex(c, 0, buf + 1, 99),
	    LIBSSH2_ERROR_EAGAIN);
	assert_int_equal(mock.violations, 3);
	/* The same call completes, and takes the original bytes. */
	assert_int_equal(__wrap_libssh2_channel_write_ex(c, 0, buf + 1, 99),
	    99);
	assert_int_equal(mock.violations, 3);
	__wrap_libssh2_channel_free(c);
	__wrap_libssh2_session_free(s);
	close(sv[0]);
	close(sv[1]);
	mock_assert_all_freed();
	mock_reset();
}

static void
test_eagain_outbound_retry(void **state)
{
	struct fx *fx = *state;
	const struct mock_chan *rc;

	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_EAGAIN_OUT, 0);
	mock_script_write(MW_EAGAIN_OUT, 0);	/* the retry parks again */
	mock_script_write(MW_ACCEPT, 5);
	mock_script_write(MW_EAGAIN_OUT, 0);	/* a packet off a 5-byte edge */
	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_EAGAIN_OUT, 0);
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_scripts("receive");
	rc = mock_script_chan(msess(), MS_RECEIVE);
	assert_int_equal(mock.wpos, mock.nwrites);
	assert_int_equal(mock.write_calls, rc->nwrites + 4);
	mock_reset();
}

static void
test_many_short_writes(void **state)
{
	static const long sizes[] = { 1, 7, 100, 4096, 32699, 13, 65536, 2 };
	struct fx *fx = *state;
	int i;

	for (i = 0; i < 400; i++)
		mock_script_write(MW_ACCEPT, sizes[i % 8]);
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_true(mock_script_chan(msess(), MS_RECEIVE)->nwrites > 100);
	assert_int_equal(mock_script_chan(msess(), MS_RECEIVE)->nwrites,
	    mock.wpos);
	mock_reset();
}

/* The window shuts now and then, with the remote alive: it reopens. */
static void
test_eagain_inbound_window(void **state)
{
	struct fx *fx = *state;

	mock_script_write(MW_EAGAIN_IN, 0);	/* sshd's window starts at 0 */
	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_EAGAIN_IN, 0);
	mock_script_write(MW_EAGAIN_IN, 0);
	mock_script_write(MW_ACCEPT, 1000);
	mock_script_write(MW_EAGAIN_IN, 0);
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_scripts("receive");
	mock_reset();
}

/*
 * The window adjust arrives between the write's EAGAIN and our read of
 * stdout and stderr, which takes it in: the window is open again and the
 * socket stays quiet.  Waiting for input then would stall the host until
 * its stall timeout (seen once under load); it must write at once.
 */
static void
test_window_reopened_by_drain(void **state)
{
	struct fx *fx = *state;

	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_EAGAIN_IN_ADJ, 0);
	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_EAGAIN_IN_ADJ, 0);
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	mock_reset();
}

/* The remote cat dies (disk full): the window never reopens. */
static void
test_remote_dies_early(void **state)
{
	struct fx *fx = *state;
	const struct mock_chan *rc;

	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_DIE, 0);
	run(fx);
	assert_failed(fx, "cat: write error: No space left on device");
	assert_int_equal(fx->host.kind, ERR_REMOTE);
	assert_null(strchr(fx->host.err, '\n'));
	assert_scripts("receive");
	rc = mock_script_chan(msess(), MS_RECEIVE);
	assert_int_equal(rc->len, 3 * MOCK_WRITE_CAP);
	assert_int_equal(fx->host.bytes, 3 * MOCK_WRITE_CAP);
	mock_reset();
}

static void
test_socket_error_mid_send(void **state)
{
	struct fx *fx = *state;
	int i;

	for (i = 0; i < 5; i++)
		mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_ERROR, LIBSSH2_ERROR_SOCKET_SEND);
	run(fx);
	assert_failed(fx, "connection lost after ");
	assert_int_equal(fx->host.kind, ERR_LOST);
	assert_failed(fx, "159.7 KiB");
	assert_scripts("receive");
	mock_reset();
}

static void
test_hostkey_mismatch(void **state)
{
	struct fx *fx = *state;

	mock_world_known_hosts(&fx->w, 2);
	run(fx);
	assert_failed(fx, "mismatch");
	assert_int_equal(msess()->auth_calls, 0);
	assert_int_equal(msess()->nchans, 0);
	mock_reset();
}

static void
test_hostkey_unknown(void **state)
{
	struct fx *fx = *state;

	mock_world_known_hosts(&fx->w, 0);
	run(fx);
	assert_failed(fx, "host key not known");
	assert_int_equal(fx->host.kind, ERR_HOSTKEY);
	assert_int_equal(msess()->auth_calls, 0);
	assert_int_equal(msess()->nchans, 0);
	mock_reset();
}

static void
test_auth_refused(void **state)
{
	struct fx *fx = *state;

	mock.pubkey_rc[0] = LIBSSH2_ERROR_AUTHENTICATION_FAILED;
	mock.npubkey_rc = 1;
	run(fx);
	assert_failed(fx, "permission denied");
	assert_int_equal(fx->host.kind, ERR_AUTH);
	assert_string_equal(msess()->auth_key, fx->w.key);
	assert_int_equal(msess()->nchans, 0);
	mock_reset();
}

/*
 * A key that fails to load once (libssh2 re-reads it per host) is tried
 * again.  auth_calls counts userauth_list and each key attempt.
 */
static void
test_auth_key_load_retried(void **state)
{
	struct fx *fx = *state;

	mock.pubkey_rc[0] = LIBSSH2_ERROR_FILE;
	mock.npubkey_rc = 1;
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_int_equal(msess()->auth_calls, 3);
	mock_reset();
}

/* A key that fails to load twice is reported, with the file named. */
static void
test_auth_key_not_loaded(void **state)
{
	struct fx *fx = *state;

	mock.pubkey_rc[0] = LIBSSH2_ERROR_FILE;
	mock.pubkey_rc[1] = LIBSSH2_ERROR_FILE;
	mock.npubkey_rc = 2;
	run(fx);
	assert_failed(fx, "not loaded");
	assert_failed(fx, fx->w.key);
	assert_int_equal(msess()->auth_calls, 3);
	assert_int_equal(msess()->nchans, 0);
	mock_reset();
}

/*
 * sshd's MaxAuthTries: after too many keys it sends a disconnect, which
 * libssh2 1.10 reports as a refused key (-19).  The message must say what
 * the server said, and nothing is tried after it.
 */
static void
test_auth_server_disconnects(void **state)
{
	struct fx *fx = *state;

	mock.pubkey_rc[0] = LIBSSH2_ERROR_AUTHENTICATION_FAILED;
	mock.npubkey_rc = 1;
	mock.pubkey_disconnect = 1;
	run(fx);
	assert_failed(fx, "Too many authentication failures");
	assert_failed(fx, "MaxAuthTries");
	assert_int_equal(msess()->nchans, 0);
	mock_reset();
}

static void
test_auth_no_publickey(void **state)
{
	struct fx *fx = *state;

	mock.auth_methods = "password,keyboard-interactive";
	run(fx);
	assert_failed(fx, "does not accept public keys");
	assert_null(msess()->auth_key);
	assert_int_equal(msess()->nchans, 0);
	mock_reset();
}

/* A server that takes "none" needs no key. */
static void
test_auth_none_accepted(void **state)
{
	struct fx *fx = *state;

	mock.auth_methods = NULL;
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_null(msess()->auth_key);
	mock_reset();
}

static void
test_zero_byte_source(void **state)
{
	struct fx *fx = *state;

	mock_world_source(&fx->w, 0);
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_scripts("receive");
	assert_int_equal(mock.write_calls, 0);
	mock_reset();
}

/* Exit status 0 proves nothing: libssh2 says 0 when none was sent. */
static void
test_receive_without_ok_line(void **state)
{
	struct fx *fx = *state;

	mock.receive_no_ok = 1;
	run(fx);
	assert_failed(fx, "remote receive ended without confirming");
	assert_scripts("receive");
	mock_reset();
}

static void
test_receive_exit_with_stderr(void **state)
{
	struct fx *fx = *state;

	mock.reply_delay = 0;	/* see test_stderr_with_eof_in_one_read */
	mock.receive_exit = 72;
	mock.receive_stderr = "cannot create 'dest/payload.bin': "
	    "Permission denied\n";
	run(fx);
	assert_failed(fx, "cannot create 'dest/payload.bin': "
	    "Permission denied");
	assert_scripts("receive");
	mock_reset();
}

/* Noise on stderr first: the reason at its end is what is reported. */
static void
test_receive_stderr_tail(void **state)
{
	struct fx *fx = *state;
	static char noise[6000];

	memset(noise, 'n', sizeof(noise) - 1);
	memcpy(noise + sizeof(noise) - 60, "\ncannot create 'x': "
	    "Permission denied\n", 39);
	noise[sizeof(noise) - 60 + 39] = '\0';
	mock.reply_delay = 0;
	mock.receive_exit = 72;
	mock.receive_stderr = noise;
	run(fx);
	assert_failed(fx, "cannot create 'x': Permission denied");
	assert_true(strlen(fx->host.err) < 400);
	mock_reset();
}

/* A status that is not one of our scripts' is put in context. */
static void
test_receive_killed_context(void **state)
{
	struct fx *fx = *state;

	mock.reply_delay = 0;
	mock.receive_exit = 137;
	mock.receive_stderr = "Killed\n";
	run(fx);
	assert_failed(fx, "remote receive failed (status 137): Killed");
	mock_reset();
}

/*
 * The remote's stderr, exit status and EOF come in together, after a read
 * of stderr found nothing yet: the stdout read that follows takes them all
 * in, returns 0, and channel_eof() says 0 while stderr is queued.
 *
 * Regression (src/rexec.c, rexec_drain, fixed): it then reported "no EOF yet" and the
 * session waits for input that never comes (check_wait fails: "EXIT waits
 * for input but libssh2's last call did not return EAGAIN"); in the
 * engine the host hangs until the stall timeout and fails as "stalled"
 * instead of with the remote's message.  Same in SEND, via
 * sess_send_blocked().
 */
static void
test_stderr_with_eof_in_one_read(void **state)
{
	struct fx *fx = *state;

	mock.reply_delay = 1;
	mock.receive_exit = 73;
	mock.receive_stderr = "cat: write error: Input/output error\n";
	run(fx);
	assert_failed(fx, "cat: write error: Input/output error");
	assert_scripts("receive");
	mock_reset();
}

static void
test_receive_exit_without_stderr(void **state)
{
	struct fx *fx = *state;

	mock.receive_exit = 72;
	run(fx);
	assert_failed(fx, "cannot create the temp file");
	assert_scripts("receive");
	mock_reset();
}

static void
test_receive_killed(void **state)
{
	struct fx *fx = *state;

	mock.receive_signal = "KILL";
	run(fx);
	assert_failed(fx, "killed by signal KILL");
	assert_scripts("receive");
	mock_reset();
}

/* rc files may print before the success line: the last line counts. */
static void
test_stdout_noise(void **state)
{
	struct fx *fx = *state;

	mock.stdout_prefix = "Welcome to web01\nfanscp-ok receive 1\n";
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	mock_reset();
}

static void
test_commit_failure(void **state)
{
	struct fx *fx = *state;

	mock.reply_delay = 0;	/* see test_stderr_with_eof_in_one_read */
	mock.commit_exit = 77;
	mock.commit_stderr = "cannot rename '.payload.bin.fanscp.x' to "
	    "'dest/payload.bin'\n";
	run(fx);
	assert_failed(fx, "cannot rename");
	assert_delivered(fx);
	assert_scripts("receive");
	mock_reset();
}

static void
test_handshake_failure(void **state)
{
	struct fx *fx = *state;

	mock.handshake_rc = LIBSSH2_ERROR_KEX_FAILURE;
	run(fx);
	assert_failed(fx, "SSH handshake failed");
	assert_int_equal(msess()->auth_calls, 0);
	mock_reset();
}

static void
test_connect_refused(void **state)
{
	struct fx *fx = *state;

	fx->host.t.port = mock_closed_port();
	run(fx);
	assert_failed(fx, "refused");
	assert_int_equal(mock.nsessions, 0);
	mock_reset();
}

/* Every resumable call says EAGAIN first; replies come in dribs. */
static void
test_eagain_everywhere(void **state)
{
	struct fx *fx = *state;
	int i;

	mock.eagain_first = 1;
	mock.handshake_eagain = 3;
	mock.reply_delay = 3;
	mock.read_chunk = 3;
	mock.read_gaps = 1;
	for (i = 0; i < 20; i++) {
		mock_script_write(i % 2 ? MW_EAGAIN_IN : MW_EAGAIN_OUT, 0);
		mock_script_write(MW_ACCEPT, 1 + 1000 * i);
	}
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	assert_scripts("receive");
	assert_true(msess()->disconnected);
	mock_reset();
}

static void
test_stall_timeout(void **state)
{
	struct fx *fx = *state;

	mock.write_stall = 1;
	start(fx);
	drive_to(fx, "SEND");
	assert_false(drive(fx, 50));
	assert_int_equal(sess_events(fx->s), LOOP_WRITE);
	assert_int_equal(sess_check_timeout(fx->s, fx->now), 0);
	fx->now += 1000 * MOCK_STALL_S;
	assert_int_equal(sess_check_timeout(fx->s, fx->now), 1);
	assert_failed(fx, "stalled");
	assert_int_equal(fx->host.t_end, fx->now);
	assert_scripts("receive");
	stop(fx);
	mock_reset();
}

static void
test_login_timeout(void **state)
{
	struct fx *fx = *state;

	mock.handshake_eagain = 1 << 30;
	start(fx);
	drive_to(fx, "HANDSHAKE");
	assert_false(drive(fx, 20));
	assert_true(sess_logging_in(fx->s));
	assert_int_equal(sess_check_timeout(fx->s, fx->now), 0);
	fx->now = fx->host.t_start + 1000 * JOB_CONNECT_TIMEOUT;
	assert_int_equal(sess_check_timeout(fx->s, fx->now), 1);
	assert_failed(fx, "timed out after 30 s while logging in");
	stop(fx);
	mock_reset();
}

static void
test_interrupt_during_send(void **state)
{
	struct fx *fx = *state;

	mock_script_write(MW_ACCEPT, MOCK_WRITE_CAP);
	mock_script_write(MW_EAGAIN_OUT, 0);
	start(fx);
	drive_to(fx, "SEND");
	assert_true(msess()->last_eagain);
	assert_int_equal(sess_interrupt(fx->s, fx->now), 1);
	assert_failed(fx, "interrupted");
	assert_int_equal(fx->host.t_end, fx->now);
	assert_scripts("receive");
	stop(fx);
	mock_reset();
}

/*
 * All data sent, the commit's checks still running: the host fails at
 * once; with no go-ahead, the script removes its temp file by itself,
 * and no abort script is needed.
 */
static void
test_interrupt_after_send(void **state)
{
	struct fx *fx = *state;
	const struct mock_chan *rc;

	mock.commit_no_ready = 1;
	start(fx);
	drive_to(fx, "COMMIT");
	rc = mock_script_chan(msess(), MS_RECEIVE);
	assert_int_equal(rc->len, FILE_SIZE);
	assert_int_equal(sess_interrupt(fx->s, fx->now), 1);
	assert_failed(fx, "interrupted");
	assert_delivered(fx);
	assert_int_equal(rc->golen, 0);
	assert_scripts("receive");
	stop(fx);
	mock_reset();
}

/* A commit in flight is let finish: the file is in place, so it is done. */
/*
 * Interrupted while the commit checks: the host fails at once, and the
 * remote side, with no go-ahead, removes its temp file by itself.
 */
static void
test_interrupt_during_commit(void **state)
{
	struct fx *fx = *state;

	mock.commit_no_ready = 1;
	start(fx);
	drive_to(fx, "COMMIT");
	assert_int_equal(sess_interrupt(fx->s, fx->now), 1);
	assert_failed(fx, "interrupted");
	assert_int_equal(mock_script_chan(msess(), MS_RECEIVE)->golen, 0);
	stop(fx);
	mock_reset();
}

/* Interrupted after the go-ahead went out: the answer is waited for. */
static void
test_interrupt_after_go(void **state)
{
	struct fx *fx = *state;

	mock.reply_delay = 5;
	start(fx);
	drive_to(fx, "GO");
	assert_int_equal(mock_script_chan(msess(), MS_RECEIVE)->golen, 3);
	assert_int_equal(sess_interrupt(fx->s, fx->now), 0);
	assert_true(drive(fx, MAX_STEPS));
	assert_done(fx);
	stop(fx);
	mock_reset();
}

/* The connection dies after the go-ahead: the outcome is unknown. */
static void
test_unknown_after_go(void **state)
{
	struct fx *fx = *state;

	mock.commit_lost = 1;
	start(fx);
	assert_true(drive(fx, MAX_STEPS));
	assert_int_equal(fx->host.status, HOST_UNKNOWN);
	assert_non_null(strstr(fx->host.err, "after the go-ahead: whether "));
	assert_non_null(strstr(fx->host.err, "was replaced is unknown"));
	stop(fx);
	mock_reset();
}

/* A stall after the go-ahead is unknown too; before it, a failure. */
static void
test_stall_around_go(void **state)
{
	struct fx *fx = *state;

	mock.commit_delay = 1000000;
	start(fx);
	drive_to(fx, "GO");
	assert_int_equal(sess_check_timeout(fx->s, fx->now + 1000 *
	    MOCK_STALL_S + 1), 1);
	assert_int_equal(fx->host.status, HOST_UNKNOWN);
	assert_non_null(strstr(fx->host.err, "stalled for "));
	assert_non_null(strstr(fx->host.err, "is unknown"));
	stop(fx);
	mock_reset();

	host_release_conn(&fx->host);
	mock_host_init(&fx->host, "web01");
	mock.commit_no_ready = 1;
	start(fx);
	drive_to(fx, "COMMIT");
	assert_int_equal(sess_check_timeout(fx->s, fx->now + 1000 *
	    MOCK_STALL_S + 1), 1);
	assert_failed(fx, "stalled for ");
	assert_null(strstr(fx->host.err, "unknown"));
	assert_int_equal(mock_script_chan(msess(), MS_RECEIVE)->golen, 0);
	stop(fx);
	mock_reset();
}

/* A receive that refuses (a FIFO there) ends before any data is sent. */
static void
test_refused_before_data(void **state)
{
	struct fx *fx = *state;

	mock.receive_refuse = 1;
	mock.receive_exit = 79;
	mock.receive_stderr = "'/x/null' is a character device; fanscp "
	    "replaces regular files only\n";
	run(fx);
	assert_failed(fx, "'/x/null' is a character device; fanscp "
	    "replaces regular files only");
	assert_int_equal(mock_script_chan(msess(), MS_RECEIVE)->len, 0);
	assert_int_equal(mock.write_calls, 0);
	assert_scripts("receive");
	mock_reset();
}

/* --verify: a mismatch that a changed source caused blames the source. */
static void
test_verify_blames_source(void **state)
{
	struct fx *fx = *state;
	FILE *f;

	mock.commit_exit = REMOTE_EXIT_HASH;
	mock.commit_stderr = "SHA-256 mismatch for 'dest'\n";
	mock.commit_delay = 3;
	start(fx);
	drive_to(fx, "GO");
	f = fopen(fx->w.path, "a");
	assert_non_null(f);
	assert_int_equal(fputc('!', f), '!');
	assert_int_equal(fclose(f), 0);
	assert_true(drive(fx, MAX_STEPS));
	assert_failed(fx, "SHA-256 mismatch: ");
	assert_failed(fx, "changed while being sent");
	stop(fx);
	mock_reset();

	/* The source as it was: the host takes the blame. */
	host_release_conn(&fx->host);
	mock_host_init(&fx->host, "web01");
	mock_world_source(&fx->w, FILE_SIZE);
	mock.commit_exit = REMOTE_EXIT_HASH;
	mock.commit_stderr = "SHA-256 mismatch for 'dest'\n";
	run(fx);
	assert_failed(fx, "SHA-256 mismatch for 'dest'");
	mock_reset();
}

/* Kilobytes of rc-file noise before "ready" and "ok" change nothing. */
static void
test_noisy_banner(void **state)
{
	struct fx *fx = *state;
	char *noise = test_malloc(8193);

	memset(noise, 'x', 8192);
	noise[100] = noise[5000] = noise[8191] = '\n';
	noise[8192] = '\0';
	mock.stdout_prefix = noise;
	run(fx);
	assert_done(fx);
	assert_delivered(fx);
	test_free(noise);
	mock_reset();
}

static void
test_kill(void **state)
{
	struct fx *fx = *state;

	mock_script_write(MW_EAGAIN_OUT, 0);
	start(fx);
	drive_to(fx, "SEND");
	sess_kill(fx->s, fx->now, "interrupted");
	assert_failed(fx, "interrupted");
	assert_int_equal(fx->host.t_end, fx->now);
	assert_string_equal(sess_state_name(fx->s), "FAILED");
	assert_int_equal(sess_fd(fx->s), -1);
	assert_scripts("receive");
	stop(fx);
	mock_reset();
}

/* The file changed while it was sent: the temp file is removed. */
static void
test_source_changed(void **state)
{
	struct fx *fx = *state;
	FILE *f;

	mock_script_write(MW_EAGAIN_OUT, 0);
	start(fx);
	drive_to(fx, "SEND");
	f = fopen(fx->w.path, "a");
	assert_non_null(f);
	assert_int_equal(fputc('!', f), '!');
	assert_int_equal(fclose(f), 0);
	assert_true(drive(fx, MAX_STEPS));
	assert_failed(fx, "changed while being sent; not committed");
	assert_int_equal(fx->host.kind, ERR_SOURCE);
	assert_delivered(fx);
	/* Joined: no go-ahead; the script removes its temp file itself. */
	assert_scripts("receive");
	assert_int_equal(mock_script_chan(msess(), MS_RECEIVE)->golen, 0);
	stop(fx);
	mock_reset();
}

/* --verify: the commit script is given the SHA-256 to check. */
static void
test_verify_passes_hash(void **state)
{
	struct fx *fx = *state;
	char err[256], want[80];

	assert_int_equal(source_hash(&fx->w.src, err, sizeof(err)), 0);
	fx->w.job.verify = 1;
	run(fx);
	assert_done(fx);
	snprintf(want, sizeof(want), "x='%s'", fx->w.src.sha256);
	/* Joined: the one script checks the hash before its "ready". */
	assert_non_null(strstr(mock_script_chan(msess(), MS_RECEIVE)->cmd,
	    want));
	mock_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_happy_path),
		T(test_mock_catches_broken_contract),
		T(test_eagain_outbound_retry),
		T(test_many_short_writes),
		T(test_eagain_inbound_window),
		T(test_remote_dies_early),
		T(test_socket_error_mid_send),
		T(test_hostkey_mismatch),
		T(test_hostkey_unknown),
		T(test_auth_key_load_retried),
		T(test_auth_key_not_loaded),
		T(test_auth_refused),
		T(test_auth_server_disconnects),
		T(test_window_reopened_by_drain),
		T(test_receive_stderr_tail),
		T(test_receive_killed_context),
		T(test_auth_no_publickey),
		T(test_auth_none_accepted),
		T(test_zero_byte_source),
		T(test_receive_without_ok_line),
		T(test_receive_exit_with_stderr),
		T(test_stderr_with_eof_in_one_read),
		T(test_receive_exit_without_stderr),
		T(test_receive_killed),
		T(test_stdout_noise),
		T(test_commit_failure),
		T(test_handshake_failure),
		T(test_connect_refused),
		T(test_eagain_everywhere),
		T(test_stall_timeout),
		T(test_login_timeout),
		T(test_interrupt_during_send),
		T(test_interrupt_after_send),
		T(test_interrupt_during_commit),
		T(test_interrupt_after_go),
		T(test_unknown_after_go),
		T(test_stall_around_go),
		T(test_refused_before_data),
		T(test_noisy_banner),
		T(test_verify_blames_source),
		T(test_kill),
		T(test_source_changed),
		T(test_verify_passes_hash),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
