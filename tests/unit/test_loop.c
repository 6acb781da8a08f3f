/*
 * Tests for the event loop, with an injected clock.  poll(2) is
 * interposed here (this file defines it, so loop.o calls this one): it
 * notes the timeout the loop asked for, never sleeps when no descriptor
 * is watched, and otherwise hands the call to ppoll(2).  Descriptors are
 * pipes: a write end is always writable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define NPIPES	48

static int64_t	 fake_now;
static int	 poll_timeout;	/* what the loop last asked for */
static int	 poll_calls;
static int	 poll_eintr;	/* the next poll fails with EINTR */

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	poll_timeout = timeout;
	poll_calls++;
	if (poll_eintr) {
		poll_eintr = 0;
		errno = EINTR;
		return -1;
	}
	if (n == 0)
		return 0;
	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000;
	return ppoll(fds, n, timeout < 0 ? NULL : &ts, NULL);
}

static int64_t
fake_clock(void)
{
	return fake_now;
}

/* What the callbacks saw, in order. */
struct rec {
	struct loop	*l;
	int		 fds[64];
	int		 events[64];
	int64_t		 now[64];
	int		 n;
	int		 victim;	/* unwatched by the first callback */
	int		 pipes[NPIPES][2];
	int		 timer;		/* the id of the timer under test */
	int		 fired[8];	/* per timer callback */
};

static struct rec rec;

static int
setup(void **state)
{
	int i;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	for (i = 0; i < NPIPES; i++)
		assert_int_equal(pipe2(rec.pipes[i], O_CLOEXEC), 0);
	fake_now = 1000;
	poll_calls = 0;
	poll_eintr = 0;
	rec.l = loop_new();
	loop_set_clock(rec.l, fake_clock);
	return 0;
}

static int
teardown(void **state)
{
	int i;

	(void)state;
	if (rec.l != NULL) {
		assert_int_equal(loop_nwatched(rec.l), 0);
		loop_free(rec.l);
	}
	for (i = 0; i < NPIPES; i++) {
		close(rec.pipes[i][0]);
		close(rec.pipes[i][1]);
	}
	return 0;
}

#define W(i)	(rec.pipes[i][1])	/* write end: always writable */
#define R(i)	(rec.pipes[i][0])

static void
note(struct loop *l, int fd, int events, void *arg)
{
	(void)arg;
	assert_true(rec.n < 64);
	rec.fds[rec.n] = fd;
	rec.events[rec.n] = events;
	rec.now[rec.n++] = loop_now(l);
	/* Time moves on inside a turn; loop_now() must not. */
	fake_now += 7;
}

static void
unwatch_all(int n)
{
	int i;

	for (i = 0; i < n; i++)
		loop_unwatch(rec.l, W(i));
}

static void
test_watch_unwatch(void **state)
{
	struct loop *l = rec.l;

	(void)state;
	assert_int_equal(loop_nwatched(l), 0);
	loop_watch(l, W(0), LOOP_WRITE, note, NULL);
	loop_watch(l, W(1), LOOP_WRITE, note, NULL);
	loop_watch(l, W(2), LOOP_WRITE, note, NULL);
	assert_int_equal(loop_nwatched(l), 3);
	/* Watching again replaces the watch. */
	loop_watch(l, W(1), LOOP_READ | LOOP_WRITE, note, NULL);
	assert_int_equal(loop_nwatched(l), 3);
	loop_unwatch(l, W(1));
	assert_int_equal(loop_nwatched(l), 2);
	/* Harmless: not watched, negative, never seen. */
	loop_unwatch(l, W(1));
	loop_unwatch(l, -1);
	loop_unwatch(l, 100000);
	assert_int_equal(loop_nwatched(l), 2);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(rec.n, 2);
	assert_true((rec.fds[0] == W(0) && rec.fds[1] == W(2)) ||
	    (rec.fds[0] == W(2) && rec.fds[1] == W(0)));
	unwatch_all(3);
	assert_int_equal(loop_nwatched(l), 0);
	/* A fd that is only watched for reading does not fire on write. */
	loop_watch(l, W(0), LOOP_READ, note, NULL);
	rec.n = 0;
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(rec.n, 0);
	loop_unwatch(l, W(0));
}

/* Which events a callback gets, LOOP_ERROR included. */
static void
test_events(void **state)
{
	struct loop *l = rec.l;
	char c = 'x';

	(void)state;
	assert_int_equal(write(W(0), &c, 1), 1);
	loop_watch(l, R(0), LOOP_READ, note, NULL);
	loop_watch(l, W(1), LOOP_WRITE | LOOP_READ, note, NULL);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.events[rec.fds[0] == R(0) ? 0 : 1], LOOP_READ);
	assert_int_equal(rec.events[rec.fds[0] == W(1) ? 0 : 1], LOOP_WRITE);
	loop_unwatch(l, R(0));
	loop_unwatch(l, W(1));
	/* The reader of pipe 1 goes: its writer gets an error. */
	close(R(1));
	R(1) = -1;
	rec.n = 0;
	loop_watch(l, W(1), LOOP_WRITE, note, NULL);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.events[0], LOOP_WRITE | LOOP_ERROR);
	loop_unwatch(l, W(1));
	/* The writer of pipe 2 goes: its reader sees the hangup. */
	close(W(2));
	W(2) = -1;
	rec.n = 0;
	loop_watch(l, R(2), LOOP_READ, note, NULL);
	assert_int_equal(loop_once(l, 0), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.events[0], LOOP_READ | LOOP_ERROR);
	loop_unwatch(l, R(2));
}

static int64_t
timer_a(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	rec.fired[0]++;
	return -1;
}

static int64_t
timer_b(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	rec.fired[1]++;
	return 25;
}

static void
test_timers(void **state)
{
	struct loop *l = rec.l;
	int a, b;

	(void)state;
	assert_int_equal(loop_now(l), 1000);
	a = loop_timer_add(l, 30, timer_a, NULL);
	b = loop_timer_add(l, 10, timer_b, NULL);
	assert_true(a > 0 && b > 0 && a != b);
	/* The poll timeout is the earliest deadline. */
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(poll_timeout, 10);
	assert_int_equal(rec.fired[0] + rec.fired[1], 0);
	/* Capped by max_wait. */
	assert_int_equal(loop_once(l, 3), 0);
	assert_int_equal(poll_timeout, 3);
	/* b is due: it runs, and asks to run again in 25 ms. */
	fake_now = 1010;
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(loop_now(l), 1010);
	assert_int_equal(rec.fired[1], 1);
	assert_int_equal(rec.fired[0], 0);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(poll_timeout, 20);	/* a at 1030, b at 1035 */
	/* a runs once and ends; b is next, at 1035. */
	fake_now = 1031;
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(rec.fired[0], 1);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(poll_timeout, 4);
	loop_timer_del(l, a);			/* already ended: harmless */
	/* An overdue timer means no wait at all. */
	fake_now = 1100;
	assert_int_equal(loop_once(l, -1), 0);	/* b runs, late */
	assert_int_equal(rec.fired[1], 2);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(poll_timeout, 25);
	fake_now = 1200;
	assert_int_equal(loop_once(l, 1), 0);
	assert_int_equal(poll_timeout, 1);
	assert_int_equal(rec.fired[1], 3);
	loop_timer_del(l, b);
	/* A timer due now, or overdue, means no wait at all. */
	loop_timer_add(l, 0, timer_a, NULL);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(poll_timeout, 0);
	assert_int_equal(rec.fired[0], 2);
	loop_timer_add(l, -50, timer_a, NULL);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(poll_timeout, 0);
	assert_int_equal(rec.fired[0], 3);
	/* No timer: max_wait alone; then loop_wake() makes it 0. */
	assert_int_equal(loop_once(l, 7), 0);
	assert_int_equal(poll_timeout, 7);
	assert_int_equal(rec.fired[1], 3);
	loop_wake(l);
	assert_int_equal(loop_once(l, 7), 0);
	assert_int_equal(poll_timeout, 0);
	assert_int_equal(loop_once(l, 7), 0);
	assert_int_equal(poll_timeout, 7);
	/* A far deadline is clamped, never overflows an int. */
	b = loop_timer_add(l, (int64_t)1 << 40, timer_b, NULL);
	assert_int_equal(loop_once(l, -1), 0);
	assert_true(poll_timeout > 0);
	loop_timer_del(l, b);
}

static int64_t
timer_adds(struct loop *l, void *arg)
{
	int i;

	(void)arg;
	rec.fired[0]++;
	/* Enough to move the timer array while it is being walked. */
	for (i = 0; i < 40; i++)
		loop_timer_add(l, 1000 + i, timer_a, NULL);
	return 50;
}

static void
test_timer_adds_timers(void **state)
{
	struct loop *l = rec.l;

	(void)state;
	loop_timer_add(l, 5, timer_adds, NULL);
	fake_now += 5;
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(rec.fired[0], 1);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(poll_timeout, 50);
}

static int64_t
timer_replaces(struct loop *l, void *arg)
{
	(void)arg;
	rec.fired[0]++;
	loop_timer_del(l, rec.timer);
	rec.timer = loop_timer_add(l, 500, timer_b, NULL);
	return 5;	/* meaningless: this timer was deleted */
}

/*
 * A timer that deletes itself and adds another in its callback: the new
 * timer keeps its own delay.
 *
 * Regression (src/loop.c, loop_run_timers, fixed): the new timer reused the freed entry,
 * and after the callback the entry is re-armed with the deleted timer's
 * return value (t->id != 0 is the new id): it fires after 5 ms, not 500.
 */
static void
test_timer_replaced_in_callback(void **state)
{
	struct loop *l = rec.l;

	(void)state;
	rec.timer = loop_timer_add(l, 1, timer_replaces, NULL);
	fake_now += 1;
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(rec.fired[0], 1);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(poll_timeout, 500);	/* was 5 */
	loop_timer_del(l, rec.timer);
}

/* Callbacks run in an order that starts one later each turn. */
static void
test_rotation(void **state)
{
	struct loop *l = rec.l;
	int turn, i;

	(void)state;
	for (i = 0; i < 3; i++)
		loop_watch(l, W(i), LOOP_WRITE, note, NULL);
	for (turn = 0; turn < 6; turn++) {
		int64_t t0;

		rec.n = 0;
		fake_now += 100;
		t0 = fake_now;
		assert_int_equal(loop_once(l, -1), 0);
		assert_int_equal(rec.n, 3);
		for (i = 0; i < 3; i++) {
			assert_int_equal(rec.fds[i], W((turn + i) % 3));
			assert_int_equal(rec.events[i], LOOP_WRITE);
			/* Read once per turn, before the callbacks. */
			assert_int_equal(rec.now[i], t0);
		}
	}
	unwatch_all(3);
}

static void
unwatch_victim(struct loop *l, int fd, int events, void *arg)
{
	note(l, fd, events, arg);
	if (rec.victim >= 0) {
		loop_unwatch(l, rec.victim);
		rec.victim = -1;
	}
}

/* The first callback of a turn unwatches another fd that also fired. */
static void
test_unwatch_other_in_callback(void **state)
{
	struct loop *l = rec.l;
	int i, seen[4] = { 0 };

	(void)state;
	for (i = 0; i < 4; i++)
		loop_watch(l, W(i), LOOP_WRITE, unwatch_victim, NULL);
	/*
	 * W(0) runs first this turn (test_rotation); W(1) is the victim,
	 * and W(3), the last of the dense array, moves into its place.
	 */
	rec.victim = W(1);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(loop_nwatched(l), 3);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.fds[0], W(0));
	for (i = 0; i < rec.n; i++) {
		assert_int_not_equal(rec.fds[i], W(1));
		seen[rec.fds[i] == W(0) ? 0 : rec.fds[i] == W(2) ? 2 : 3]++;
	}
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[2], 1);
	assert_int_equal(seen[3], 1);
	/* Whatever the order now: the victim runs first or not at all. */
	rec.victim = W(2);
	rec.n = 0;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(loop_nwatched(l), 2);
	for (i = 0; i < rec.n; i++) {
		if (rec.fds[i] == W(2))
			assert_int_equal(i, 0);
		seen[rec.fds[i] == W(0) ? 0 : rec.fds[i] == W(2) ? 2 : 3]++;
	}
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[3], 1);
	assert_int_equal(rec.n, 2 + seen[2]);
	unwatch_all(4);
}

static void
unwatch_self(struct loop *l, int fd, int events, void *arg)
{
	note(l, fd, events, arg);
	loop_unwatch(l, fd);
}

static void
test_unwatch_self_in_callback(void **state)
{
	struct loop *l = rec.l;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		loop_watch(l, W(i), LOOP_WRITE, unwatch_self, NULL);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(rec.n, 5);
	assert_int_equal(loop_nwatched(l), 0);
}

static void
watch_many(struct loop *l, int fd, int events, void *arg)
{
	int i;

	note(l, fd, events, arg);
	if (rec.victim)
		return;
	rec.victim = 1;
	/* Enough to grow every array while the turn walks them. */
	for (i = 3; i < NPIPES; i++)
		loop_watch(l, W(i), LOOP_WRITE, note, NULL);
}

static void
test_watch_in_callback(void **state)
{
	struct loop *l = rec.l;

	(void)state;
	loop_watch(l, W(0), LOOP_WRITE, watch_many, NULL);
	loop_watch(l, W(1), LOOP_WRITE, watch_many, NULL);
	loop_watch(l, W(2), LOOP_WRITE, watch_many, NULL);
	assert_int_equal(loop_once(l, -1), 0);
	/* This turn runs the three that fired; the new ones wait. */
	assert_int_equal(rec.n, 3);
	assert_int_equal(loop_nwatched(l), NPIPES);
	rec.n = 0;
	loop_unwatch(l, W(5));
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(rec.n, NPIPES - 1);
	unwatch_all(NPIPES);
}

static void
test_eintr(void **state)
{
	struct loop *l = rec.l;

	(void)state;
	loop_watch(l, W(0), LOOP_WRITE, note, NULL);
	poll_eintr = 1;
	fake_now = 5000;
	assert_int_equal(loop_once(l, -1), -1);
	assert_int_equal(rec.n, 0);
	assert_int_equal(loop_now(l), 5000);
	assert_int_equal(loop_once(l, -1), 0);
	assert_int_equal(rec.n, 1);
	loop_unwatch(l, W(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_watch_unwatch),
		T(test_events),
		T(test_timers),
		T(test_timer_adds_timers),
		T(test_timer_replaced_in_callback),
		T(test_rotation),
		T(test_unwatch_other_in_callback),
		T(test_unwatch_self_in_callback),
		T(test_watch_in_callback),
		T(test_eintr),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
