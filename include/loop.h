/*
 * A small event loop in the manner of Redis's ae: file descriptors with a
 * read/write mask and a callback, a few timers, the time read once per
 * turn, and a poll timeout equal to the earliest timer.  poll(2) is the
 * backend, behind a few static functions.
 *
 * Callbacks run in a rotating order (the start moves by one each turn) so
 * that no descriptor is always served first.
 */
#ifndef FANSCP_LOOP_H
#define FANSCP_LOOP_H

#include <stdint.h>

#define LOOP_READ	0x1
#define LOOP_WRITE	0x2
#define LOOP_ERROR	0x4	/* reported only: POLLERR, POLLHUP, POLLNVAL */

struct loop;

/* Called with the events that fired (LOOP_READ, LOOP_WRITE, LOOP_ERROR). */
typedef void loop_fd_fn(struct loop *, int fd, int events, void *arg);
/* Called when a timer is due; return the next delay in ms, or -1 to stop. */
typedef int64_t loop_timer_fn(struct loop *, void *arg);

/* A new loop; now is taken from the monotonic clock. */
struct loop	*loop_new(void);
/* Free the loop; every descriptor must have been unwatched. */
void	loop_free(struct loop *);
/* Watch fd for mask (LOOP_READ|LOOP_WRITE), replacing an earlier watch. */
void	loop_watch(struct loop *, int fd, int mask, loop_fd_fn *, void *arg);
/* Stop watching fd; harmless if it is not watched. */
void	loop_unwatch(struct loop *, int fd);
/* How many descriptors are watched. */
int	loop_nwatched(const struct loop *);
/* Call fn after delay ms, then as it says.  Returns a timer id. */
int	loop_timer_add(struct loop *, int64_t delay, loop_timer_fn *, void *);
/* Cancel a timer; harmless if it already ended. */
void	loop_timer_del(struct loop *, int id);
/* Milliseconds on the monotonic clock, as read at the start of the turn. */
int64_t	loop_now(const struct loop *);
/* Make the current turn's poll return at once (work is pending). */
void	loop_wake(struct loop *);
/*
 * One turn: wait for events or the next timer (at most max_wait ms, -1 for
 * no limit), then run the callbacks that are due.  Returns 0, or -1 if
 * poll was interrupted by a signal.
 */
int	loop_once(struct loop *, int64_t max_wait);
/* Replace the clock, for tests: fn returns milliseconds. */
void	loop_set_clock(struct loop *, int64_t (*fn)(void));

#endif
