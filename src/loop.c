/*
 * The event loop: a pollfd array kept dense (a removal moves the last
 * entry into the hole), an fd-indexed map into it, and a short list of
 * timers scanned linearly; fanscp has a handful of timers, not thousands.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "util.h"
#include "xmalloc.h"

struct watch {
	loop_fd_fn	*fn;
	void		*arg;
};

struct timer {
	int		 id;		/* 0: a free entry */
	int64_t		 at;
	loop_timer_fn	*fn;
	void		*arg;
};

struct fired {
	int	fd;
	int	events;
};

struct loop {
	struct pollfd	*pfd;		/* the watched descriptors, dense */
	struct watch	*watch;		/* parallel to pfd */
	int		 n;
	int		 cap;
	int		*slot;		/* fd -> index in pfd, or -1 */
	int		 nslot;
	struct fired	*fired;
	struct timer	*timers;
	int		 ntimers;
	int		 next_id;
	int		 rotate;	/* where the next turn starts */
	int		 woken;
	int64_t		 now;
	int64_t		(*clock)(void);
};

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->clock = util_now_ms;
	l->now = l->clock();
	l->next_id = 1;
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	free(l->pfd);
	free(l->watch);
	free(l->slot);
	free(l->fired);
	free(l->timers);
	free(l);
}

void
loop_set_clock(struct loop *l, int64_t (*fn)(void))
{
	l->clock = fn;
	l->now = fn();
}

int64_t
loop_now(const struct loop *l)
{
	return l->now;
}

void
loop_wake(struct loop *l)
{
	l->woken = 1;
}

int
loop_nwatched(const struct loop *l)
{
	return l->n;
}

static void
loop_grow_slots(struct loop *l, int fd)
{
	int i, old = l->nslot;

	if (fd < l->nslot)
		return;
	l->nslot = fd + 64;
	l->slot = xreallocarray(l->slot, l->nslot, sizeof(*l->slot));
	for (i = old; i < l->nslot; i++)
		l->slot[i] = -1;
}

static short
loop_mask_to_poll(int mask)
{
	return (mask & LOOP_READ ? POLLIN : 0) |
	    (mask & LOOP_WRITE ? POLLOUT : 0);
}

void
loop_watch(struct loop *l, int fd, int mask, loop_fd_fn *fn, void *arg)
{
	int i;

	loop_grow_slots(l, fd);
	if ((i = l->slot[fd]) < 0) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->pfd = xreallocarray(l->pfd, l->cap, sizeof(*l->pfd));
			l->watch = xreallocarray(l->watch, l->cap,
			    sizeof(*l->watch));
			l->fired = xreallocarray(l->fired, l->cap,
			    sizeof(*l->fired));
		}
		i = l->n++;
		l->slot[fd] = i;
		l->pfd[i].fd = fd;
	}
	l->pfd[i].events = loop_mask_to_poll(mask);
	l->pfd[i].revents = 0;
	l->watch[i].fn = fn;
	l->watch[i].arg = arg;
}

void
loop_unwatch(struct loop *l, int fd)
{
	int i, last;

	if (fd < 0 || fd >= l->nslot || (i = l->slot[fd]) < 0)
		return;
	last = --l->n;
	if (i != last) {
		l->pfd[i] = l->pfd[last];
		l->watch[i] = l->watch[last];
		l->slot[l->pfd[i].fd] = i;
	}
	l->slot[fd] = -1;
}

int
loop_timer_add(struct loop *l, int64_t delay, loop_timer_fn *fn, void *arg)
{
	int i;

	for (i = 0; i < l->ntimers && l->timers[i].id != 0; i++)
		;
	if (i == l->ntimers)
		l->timers = xreallocarray(l->timers, ++l->ntimers,
		    sizeof(*l->timers));
	l->timers[i].id = l->next_id++;
	l->timers[i].at = l->now + delay;
	l->timers[i].fn = fn;
	l->timers[i].arg = arg;
	return l->timers[i].id;
}

void
loop_timer_del(struct loop *l, int id)
{
	int i;

	for (i = 0; i < l->ntimers; i++)
		if (l->timers[i].id == id)
			l->timers[i].id = 0;
}

/* Milliseconds until the earliest timer, capped by max_wait (-1: none). */
static int
loop_timeout(const struct loop *l, int64_t max_wait)
{
	int64_t t = max_wait;
	int i;

	if (l->woken)
		return 0;
	for (i = 0; i < l->ntimers; i++) {
		int64_t d;

		if (l->timers[i].id == 0)
			continue;
		d = l->timers[i].at - l->now;
		if (d < 0)
			d = 0;
		if (t < 0 || d < t)
			t = d;
	}
	return t > 1000000 ? 1000000 : (int)t;
}

static void
loop_run_timers(struct loop *l)
{
	int i;

	for (i = 0; i < l->ntimers; i++) {
		struct timer *t = &l->timers[i];
		int64_t next;

		int id = t->id;

		if (id == 0 || t->at > l->now)
			continue;
		next = t->fn(l, t->arg);
		/*
		 * The callback may have added timers (moving the array), or
		 * deleted this one and reused its entry for another.
		 */
		t = &l->timers[i];
		if (t->id != id)
			continue;
		if (next < 0)
			t->id = 0;
		else
			t->at = l->now + next;
	}
}

/* Copy what poll reported, in rotated order, before any callback runs. */
static int
loop_collect(struct loop *l)
{
	int i, k, nf = 0;

	for (k = 0; k < l->n; k++) {
		struct pollfd *p;
		int ev = 0;

		i = (l->rotate + k) % l->n;
		p = &l->pfd[i];
		if (p->revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			ev |= p->events & POLLIN ? LOOP_READ : 0;
		if (p->revents & (POLLOUT | POLLHUP | POLLERR | POLLNVAL))
			ev |= p->events & POLLOUT ? LOOP_WRITE : 0;
		if (p->revents & (POLLERR | POLLHUP | POLLNVAL))
			ev |= LOOP_ERROR;
		if (ev != 0) {
			l->fired[nf].fd = p->fd;
			l->fired[nf++].events = ev;
		}
	}
	if (l->n > 0)
		l->rotate = (l->rotate + 1) % l->n;
	return nf;
}

int
loop_once(struct loop *l, int64_t max_wait)
{
	int i, nf, r;

	r = poll(l->pfd, l->n, loop_timeout(l, max_wait));
	l->woken = 0;
	l->now = l->clock();
	if (r < 0)
		return errno == EINTR ? -1 : 0;
	nf = r > 0 ? loop_collect(l) : 0;
	for (i = 0; i < nf; i++) {
		int fd = l->fired[i].fd, k;

		/* An earlier callback may have unwatched this descriptor. */
		if (fd >= l->nslot || (k = l->slot[fd]) < 0)
			continue;
		l->watch[k].fn(l, fd, l->fired[i].events, l->watch[k].arg);
	}
	loop_run_timers(l);
	return 0;
}
