/*
 * Tests for the engine: slots, the host queue, the startup cap and the
 * round-robin dispatcher, run for real (the loop polls real sockets)
 * against the scripted libssh2 of mock_libssh2.c.  A thread stands in for
 * the network: it accepts each connection and writes one byte, so every
 * session's socket is always readable and writable and a wait on it ends
 * at once; what the sessions do is up to the mock.  Each test ends with
 * engine_free(), which asserts that every slot is free and no descriptor
 * is watched, and checks that no descriptor leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "host.h"
#include "mock_libssh2.h"
#include "sess.h"

#define NHOSTS_MAX	16

/* File-static in the engine (STATIC). */
int	engine_start_one(struct engine *);

/* The accepting thread. */
struct server {
	int		 lfd;
	int		 stop[2];	/* closed to stop the thread */
	int		 fds[NHOSTS_MAX * 2];
	int		 nfds;
	pthread_t	 th;
};

struct fx {
	struct mock_world w;
	struct server	 sv;
	struct host	 hosts[NHOSTS_MAX];
	char		 names[NHOSTS_MAX][16];
	int		 fds_before;
	int		 ticks;
	int		 idle;		/* ticks in all, to give up */
	int		 finals;
	volatile int	 stop;
};

static void *
server_main(void *arg)
{
	struct server *sv = arg;
	struct pollfd p[2];
	int fd;

	p[0].fd = sv->lfd;
	p[0].events = POLLIN;
	p[1].fd = sv->stop[0];
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0 || p[1].revents != 0)
			return NULL;
		if ((fd = accept4(sv->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (write(fd, "x", 1) != 1 ||
		    sv->nfds == (int)(sizeof(sv->fds) / sizeof(sv->fds[0]))) {
			close(fd);
			continue;
		}
		sv->fds[sv->nfds++] = fd;
	}
}

static void
server_stop(struct server *sv)
{
	int i;

	if (sv->stop[1] < 0)
		return;
	close(sv->stop[1]);
	sv->stop[1] = -1;
	pthread_join(sv->th, NULL);
	close(sv->stop[0]);
	for (i = 0; i < sv->nfds; i++)
		close(sv->fds[i]);
	sv->nfds = 0;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own */
}

static int
setup(void **state)
{
	struct fx *fx = test_calloc(1, sizeof(*fx));

	mock_reset();
	fx->fds_before = count_fds();
	mock_world_init(&fx->w, 300000);
	fx->sv.lfd = fx->w.lfd;
	assert_int_equal(pipe(fx->sv.stop), 0);
	assert_int_equal(pthread_create(&fx->sv.th, NULL, server_main,
	    &fx->sv), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	int i;

	server_stop(&fx->sv);
	for (i = 0; i < NHOSTS_MAX; i++)
		host_release_conn(&fx->hosts[i]);
	mock_world_release(&fx->w);
	mock_reset();
	assert_int_equal(count_fds(), fx->fds_before);
	test_free(fx);
	return 0;
}

static void
hosts_init(struct fx *fx, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		snprintf(fx->names[i], sizeof(fx->names[i]), "h%d", i);
		host_release_conn(&fx->hosts[i]);
		mock_host_init(&fx->hosts[i], fx->names[i]);
	}
}

/* Run n hosts through an engine; returns the failed count it reports. */
static size_t
run(struct fx *fx, int n, int width, int startups)
{
	struct engine *e;
	size_t failed;

	hosts_init(fx, n);
	e = engine_new(&fx->w.job, fx->hosts, (size_t)n, width, startups);
	failed = engine_run(e, NULL);
	engine_free(e);		/* asserts: slots free, nothing watched */
	mock_assert_all_freed();
	return failed;
}

/* Every host done, and every copy exactly the file, committed. */
static void
assert_all_done(const struct fx *fx, int n)
{
	const struct mock_chan *ch;
	int i;

	for (i = 0; i < n; i++) {
		if (fx->hosts[i].status != HOST_DONE)
			fail_msg("%s: %s", fx->names[i], fx->hosts[i].err);
		assert_int_equal(fx->hosts[i].bytes, fx->w.size);
	}
	for (i = 0; i < mock.nsessions; i++) {
		ch = mock_script_chan(mock_session(i), MS_RECEIVE);
		assert_non_null(ch);
		assert_int_equal(ch->len, fx->w.size);
		assert_memory_equal(ch->data, fx->w.data, fx->w.size);
		/* Committed on the same channel, with the go-ahead. */
		assert_true(ch->joined);
		assert_int_equal(ch->golen, 3);
		assert_memory_equal(ch->go, "go\n", 3);
		assert_int_equal(mock_count_script(mock_session(i), MS_COMMIT),
		    0);
	}
}

static void
test_eight_hosts_width_three(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(run(fx, 8, 3, 3), 0);
	assert_all_done(fx, 8);
	assert_int_equal(mock.nsessions, 8);
	assert_int_equal(mock.max_live, 3);
	mock_reset();
}

/* More slots than hosts, and hosts that all EAGAIN at every step. */
static void
test_wide_and_slow(void **state)
{
	struct fx *fx = *state;
	int i;

	mock.eagain_first = 1;
	mock.handshake_eagain = 2;
	mock.read_gaps = 1;
	mock.read_chunk = 4;
	for (i = 0; i < 200; i++)
		mock_script_write(i % 3 ? MW_EAGAIN_OUT : MW_EAGAIN_IN, 0);
	assert_int_equal(run(fx, 4, 8, 8), 0);
	assert_all_done(fx, 4);
	assert_int_equal(mock.max_live, 4);
	mock_reset();
}

/*
 * The longest run of writes by one session while every other session
 * could send: the loop serves each ready descriptor once per turn, and
 * the turn's first one changes, so a run never spans two turns.
 */
static int
longest_run_all_ready(int nsess)
{
	int run_len = 0, longest = 0;
	size_t i;

	for (i = 0; i < mock.nwlog; i++) {
		if (i > 0 && mock.wlog[i].sess != mock.wlog[i - 1].sess)
			run_len = 0;
		if (mock.wlog[i].others == nsess - 1)
			run_len++;
		else
			run_len = 0;
		if (run_len > longest)
			longest = run_len;
	}
	return longest;
}

/*
 * The most writes any session made between two writes of another that
 * could send all along: one turn each per loop turn, so at most two
 * turns' worth (the last of one loop turn and the first of the next).
 */
static int
most_between(int nsess)
{
	int b, count[32], most = 0;
	size_t i;

	for (b = 0; b < nsess; b++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < mock.nwlog; i++) {
			const struct mock_wlog *w = &mock.wlog[i];

			if (w->sess == b || !(w->ready & (1U << b))) {
				memset(count, 0, sizeof(count));
				continue;
			}
			if (++count[w->sess] > most)
				most = count[w->sess];
		}
	}
	return most;
}

static int
switches(void)
{
	int n = 0;
	size_t i;

	for (i = 1; i < mock.nwlog; i++)
		if (mock.wlog[i].sess != mock.wlog[i - 1].sess)
			n++;
	return n;
}

/* How many writes were made while another session could send too. */
static int
overlapped(void)
{
	int n = 0;
	size_t i;

	for (i = 0; i < mock.nwlog; i++)
		if (mock.wlog[i].others > 0)
			n++;
	return n;
}

/*
 * Three hosts that reach SEND in the same turn: none may take more than
 * one turn's budget of writes in a row while the others could send.
 */
static void
test_round_robin_fairness(void **state)
{
	struct fx *fx = *state;
	const int turn = SESS_TURN_BYTES / MOCK_WRITE_CAP;
	int longest;

	mock.handshake_eagain = 0;	/* nothing waits for input */
	mock_world_source(&fx->w, 3000000);
	assert_int_equal(run(fx, 3, 3, 3), 0);
	assert_all_done(fx, 3);
	assert_true(mock.nwlog > 3 * 90);
	longest = longest_run_all_ready(3);
	if (longest > turn + 1)
		fail_msg("a session made %d writes in a row while the others "
		    "could send (at most %d allowed)", longest, turn + 1);
	assert_true(most_between(3) <= 2 * turn);
	/* The three really overlapped: they took turns many times. */
	assert_true(switches() > 20);
	mock_reset();
}

/* Hosts that join one by one (one login at a time) are served as fairly. */
static void
test_round_robin_staggered(void **state)
{
	struct fx *fx = *state;
	const int turn = SESS_TURN_BYTES / MOCK_WRITE_CAP;
	int most;

	mock.handshake_eagain = 3;
	mock.eagain_first = 1;
	mock_world_source(&fx->w, 6000000);
	assert_int_equal(run(fx, 4, 4, 1), 0);
	assert_all_done(fx, 4);
	most = most_between(4);
	if (most > 2 * turn)
		fail_msg("a session made %d writes while another waited to "
		    "send (at most %d allowed)", most, 2 * turn);
	assert_true(longest_run_all_ready(4) <= turn + 1);
	/* Not vacuous: some session did write while another could. */
	assert_true(overlapped() > 0);
	mock_reset();
}

static void
test_failing_host(void **state)
{
	struct fx *fx = *state;

	hosts_init(fx, 5);
	fx->hosts[2].t.port = mock_closed_port();
	{
		struct engine *e = engine_new(&fx->w.job, fx->hosts, 5, 3, 3);

		assert_int_equal(engine_run(e, NULL), 1);
		engine_free(e);
	}
	mock_assert_all_freed();
	assert_int_equal(fx->hosts[2].status, HOST_FAILED);
	assert_non_null(strstr(fx->hosts[2].err, "refused"));
	fx->hosts[2].status = HOST_DONE;	/* for the check below */
	fx->hosts[2].bytes = fx->w.size;
	assert_all_done(fx, 5);
	assert_int_equal(mock.nsessions, 4);
	mock_reset();
}

/* --max-startups 1: never two sessions between handshake and auth. */
static void
test_startup_cap(void **state)
{
	struct fx *fx = *state;

	mock.handshake_eagain = 3;
	mock.eagain_first = 1;
	assert_int_equal(run(fx, 6, 3, 1), 0);
	assert_all_done(fx, 6);
	assert_int_equal(mock.max_logging_in, 1);
	assert_int_equal(mock.logging_in, 0);
	mock_reset();
}

/* The same without the cap: logins do overlap, so the check can see. */
static void
test_startup_uncapped(void **state)
{
	struct fx *fx = *state;

	mock.handshake_eagain = 3;
	mock.eagain_first = 1;
	assert_int_equal(run(fx, 6, 3, 3), 0);
	assert_all_done(fx, 6);
	assert_true(mock.max_logging_in >= 2);
	mock_reset();
}

/*
 * Every host is one sshd (127.0.0.1 and the world's port): however wide
 * the run and high --max-startups, at most ENGINE_ENDPOINT_STARTUPS of
 * them log in at once, and all are served.
 */
static void
test_endpoint_cap(void **state)
{
	struct fx *fx = *state;

	mock.handshake_eagain = 3;
	mock.eagain_first = 1;
	assert_int_equal(run(fx, NHOSTS_MAX, NHOSTS_MAX, NHOSTS_MAX), 0);
	assert_all_done(fx, NHOSTS_MAX);
	assert_int_equal(mock.nsessions, NHOSTS_MAX);
	assert_int_equal(mock.max_logging_in, ENGINE_ENDPOINT_STARTUPS);
	assert_int_equal(mock.logging_in, 0);
	mock_reset();
}

/* A stop while hosts wait for their sshd: those fail as never started. */
static void
test_endpoint_cap_stop(void **state)
{
	struct fx *fx = *state;
	struct engine *e;
	int i, waiting = 0;

	mock.write_stall = 1;
	hosts_init(fx, NHOSTS_MAX);
	fx->stop = 0;
	e = engine_new(&fx->w.job, fx->hosts, NHOSTS_MAX, NHOSTS_MAX,
	    NHOSTS_MAX);
	while (engine_start_one(e))
		;
	fx->stop = 1;
	assert_int_equal(engine_run(e, &fx->stop), NHOSTS_MAX);
	engine_free(e);
	mock_assert_all_freed();
	for (i = 0; i < NHOSTS_MAX; i++)
		waiting += strstr(fx->hosts[i].err, "before it started") !=
		    NULL;
	assert_int_equal(waiting, NHOSTS_MAX - ENGINE_ENDPOINT_STARTUPS);
	mock_reset();
}

static void
tick(const struct host *hosts, size_t n, int64_t now, int final, void *arg)
{
	struct fx *fx = arg;

	(void)hosts;
	(void)n;
	(void)now;
	if (final)
		fx->finals++;
	/*
	 * Stop two ticks after the three sessions exist (not after a fixed
	 * time: under ASan they take longer to start), or after 20 s.
	 */
	else if ((__atomic_load_n(&mock.nsessions, __ATOMIC_RELAXED) >= 3 &&
	    ++fx->ticks == 2) || ++fx->idle == 2000)
		fx->stop = 1;
}

/*
 * A stop while every session is stuck sending: all fail, none hangs.  The
 * stop comes from the progress tick, which engine_run_parallel() calls on
 * this thread while one engine runs on its own (the mock sees one thread).
 */
static void
test_interrupt(void **state)
{
	struct fx *fx = *state;
	struct engine_conf c = { .width = 3, .startups = 3, .threads = 1,
	    .tick = tick, .tick_ms = 10 };
	int i;

	mock.write_stall = 1;
	hosts_init(fx, 5);
	c.tick_arg = fx;
	assert_int_equal(engine_run_parallel(&fx->w.job, fx->hosts, 5, &c,
	    &fx->stop), 5);
	mock_assert_all_freed();
	assert_int_equal(fx->finals, 1);
	for (i = 0; i < 5; i++) {
		assert_int_equal(fx->hosts[i].status, HOST_FAILED);
		assert_non_null(strstr(fx->hosts[i].err, "interrupted"));
	}
	assert_int_equal(mock.nsessions, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(mock_count_script(mock_session(i), MS_COMMIT),
		    0);
	mock_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_eight_hosts_width_three),
		T(test_wide_and_slow),
		T(test_round_robin_fairness),
		T(test_round_robin_staggered),
		T(test_failing_host),
		T(test_startup_cap),
		T(test_startup_uncapped),
		T(test_endpoint_cap),
		T(test_endpoint_cap_stop),
		T(test_interrupt),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
