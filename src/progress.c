/*
 * The progress line.  It must never wrap: a wrapped line cannot be taken
 * back with "\r", and every frame would leave a stale row.  So it is cut
 * to the terminal's width (re-read after SIGWINCH), piece by piece in
 * order of worth, and host names are shortened in the middle.
 *
 * The rate is smoothed over ticks.  The ETA is the bytes still to send,
 * by hosts not yet finished nor verifying, at the rate of the hosts
 * still sending: while every active host only verifies, that rate is
 * held, so the ETA does not climb as the shown rate falls, and a host
 * that sent its all in a burst does not make the rest look fast.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "fmt.h"
#include "host.h"
#include "progress.h"
#include "xmalloc.h"

/*
 * The least room for one slow host: " | slowest ", a name of 8 bytes
 * (a short name, or a long one's head), " 100%".
 */
#define SLOW_MIN	(11 + 8 + 5)

struct progress {
	FILE		*f;
	uint64_t	 size;
	uint64_t	 last_bytes;
	int64_t		 last_ms;
	double		 rate;		/* bytes per second, smoothed */
	double		 send_rate;	/* of the hosts still sending */
	uint64_t	*prev;		/* each host's bytes at the last tick */
	size_t		 nprev;
	int		 cols;		/* the terminal's width */
	struct sigaction old_winch;
};

/*
 * The line on screen, for the log hook; one progress line per process.
 * It is drawn and cleared with the stream locked, as log.c prints, so a
 * message from another thread never lands in the middle of it.
 */
static struct progress *shown;
/* The descriptor it is on, or -1: for progress_abandon(), in a handler. */
static volatile sig_atomic_t shown_fd = -1;
/* Set by SIGWINCH: the next tick reads the width again. */
static volatile sig_atomic_t resized;

static void
on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

int
progress_columns(int fd)
{
	struct winsize ws;
	const char *s;
	long c;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((s = getenv("COLUMNS")) != NULL && (c = strtol(s, NULL, 10)) > 0 &&
	    c < 100000)
		return (int)c;
	return 80;
}

struct progress *
progress_new(FILE *f, uint64_t size)
{
	struct progress *p = xcalloc(1, sizeof(*p));
	struct sigaction sa;

	p->f = f;
	p->size = size;
	p->last_ms = -1;	/* no sample yet */
	p->cols = progress_columns(fileno(f));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &p->old_winch);
	return p;
}

void
progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	if (shown == p)
		progress_clear();
	sigaction(SIGWINCH, &p->old_winch, NULL);
	free(p->prev);
	free(p);
}

int
progress_wanted(int fd)
{
	return isatty(fd) && tcgetpgrp(fd) == getpgrp();
}

void
progress_clear(void)
{
	FILE *f;

	if (shown == NULL)
		return;
	f = shown->f;
	flockfile(f);
	if (shown != NULL) {
		fputs("\r\033[K", f);
		fflush(f);
		shown = NULL;
		shown_fd = -1;
	}
	funlockfile(f);
}

void
progress_abandon(void)
{
	int fd = shown_fd;

	if (fd >= 0 && write(fd, "\r\033[K", 4) == 4)
		shown_fd = -1;
}

/*
 * name in at most w bytes: itself, or its head and tail around "..", the
 * head longer (a fleet's names differ in their first label; the domain
 * they share is the tail).  Below 16 bytes, the head and "..", and below
 * 3, the head alone.
 */
static void
progress_shorten(char *buf, size_t len, const char *name, size_t w)
{
	size_t n = strlen(name), head, tail;

	if (w + 1 > len)
		w = len - 1;
	if (n <= w) {
		snprintf(buf, len, "%s", name);
		return;
	}
	if (w < 3) {
		snprintf(buf, len, "%.*s", (int)w, name);
		return;
	}
	tail = w < 16 ? 0 : (w - 2) / 4;
	head = w - 2 - tail;
	snprintf(buf, len, "%.*s..%s", (int)head, name, name + n - tail);
}

/* Is h sending: active, with bytes still to go? */
static int
progress_sending(const struct host *h)
{
	return host_status(h) == HOST_ACTIVE && !host_verifying(h);
}

/*
 * The k sending hosts that have received the least (with one file for
 * all, the most left to send), least first, into v; returns how many.
 */
static size_t
progress_slowest(const struct host *hosts, size_t n, const struct host **v,
    size_t k)
{
	size_t i, j, m = 0;

	for (i = 0; i < n; i++) {
		const struct host *h = &hosts[i];

		if (!progress_sending(h))
			continue;
		for (j = m; j > 0 && host_bytes(v[j - 1]) > host_bytes(h); j--)
			if (j < k)
				v[j] = v[j - 1];
		if (j < k) {
			v[j] = h;
			if (m < k)
				m++;
		}
	}
	return m;
}

/* Append s to buf (at o, of len) if it fits in w columns; 1 if it did. */
static int
progress_put(char *buf, size_t len, size_t *o, size_t w, const char *s)
{
	size_t n = strlen(s);

	if (*o + n > w || *o + n >= len)
		return 0;
	memcpy(buf + *o, s, n + 1);
	*o += n;
	return 1;
}

char *
progress_format(char *buf, size_t len, const struct host *hosts, size_t n,
    const struct progress_in *in)
{
	const struct host *slow[PROGRESS_SLOWEST];
	size_t i, o = 0, w, done = 0, failed = 0, active = 0, verifying = 0;
	size_t nslow, shown_slow, room, each;
	uint64_t sent = 0, left = 0, size = in->size;
	char counts[128], rate[48], bytes[48], eta[48], piece[160];
	char name[128], t[32];
	int want_eta, want_rate, want_bytes;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	/*
	 * Three columns stay empty: some terminals wrap on writing the
	 * last, and a Ctrl-C is echoed as "^C" after the line; were that to
	 * wrap, clearing the line would clear only the "C", and the line
	 * would stay above it.
	 */
	w = in->cols > 3 ? (size_t)in->cols - 3 : 1;
	for (i = 0; i < n; i++) {
		enum host_status st = host_status(&hosts[i]);
		uint64_t b = host_bytes(&hosts[i]);

		sent += b;
		if (st == HOST_DONE)
			done++;
		else if (st == HOST_FAILED || st == HOST_UNKNOWN)
			failed++;
		else if (st == HOST_ACTIVE && host_verifying(&hosts[i]))
			verifying++;
		else
			left += size - (b < size ? b : size);
		active += st == HOST_ACTIVE;
	}
	snprintf(counts, sizeof(counts), "%zu/%zu done, %zu failed, %zu active",
	    done, n, failed, active);
	if (verifying > 0)
		snprintf(counts + strlen(counts), sizeof(counts) -
		    strlen(counts), ", %zu verifying", verifying);
	snprintf(eta, sizeof(eta), " | ETA %s", fmt_eta(t, sizeof(t),
	    in->eta_rate > 0 && size > 0 ? (double)left / in->eta_rate : -1));
	fmt_rate(t, sizeof(t), in->rate);
	snprintf(rate, sizeof(rate), " | %s", t);
	snprintf(bytes, sizeof(bytes), " %s", fmt_size(t, sizeof(t), sent));
	if (strlen(counts) > w) {
		/* As many whole counts as fit, else what fits of the first. */
		for (i = w; i > 0 && strncmp(counts + i, ", ", 2) != 0; i--)
			;
		snprintf(buf, len, "%.*s", (int)(i > 0 ? i : w), counts);
		return buf;
	}

	/*
	 * What fits, by worth: the counts, the ETA, one slow host (SLOW_MIN:
	 * " | slowest ", a short name, " 100%"), the rate, the bytes sent.
	 */
	room = w - strlen(counts);
	if ((want_eta = strlen(eta) <= room))
		room -= strlen(eta);
	nslow = progress_slowest(hosts, n, slow, PROGRESS_SLOWEST);
	if (room < SLOW_MIN)
		nslow = 0;
	if (nslow > 0)
		room -= SLOW_MIN;
	if ((want_rate = strlen(rate) <= room))
		room -= strlen(rate);
	if ((want_bytes = want_rate && strlen(bytes) <= room))
		room -= strlen(bytes);

	progress_put(buf, len, &o, w, counts);
	if (want_rate) {
		/* " | 1.20 GiB 310.5 MiB/s" */
		progress_put(buf, len, &o, w, " |");
		if (want_bytes)
			progress_put(buf, len, &o, w, bytes);
		progress_put(buf, len, &o, w, rate + 2);
	}
	if (want_eta)
		progress_put(buf, len, &o, w, eta);
	if (nslow == 0)
		return buf;

	/*
	 * The slow hosts: as many as fit with names of PROGRESS_NAME_MIN,
	 * the room then shared among their names; the last takes the rest.
	 */
	progress_put(buf, len, &o, w, " | slowest ");
	room = w - o;
	shown_slow = 1;
	while (shown_slow < nslow && (shown_slow + 1) *
	    (PROGRESS_NAME_MIN + 5) + 2 * shown_slow <= room)
		shown_slow++;
	each = (room - 2 * (shown_slow - 1)) / shown_slow - 5;
	for (i = 0; i < shown_slow; i++) {
		uint64_t b = host_bytes(slow[i]);
		char pct[16];
		size_t nw;

		snprintf(pct, sizeof(pct), " %d%%", size == 0 ? 0 :
		    (int)(100 * (b < size ? b : size) / size));
		if (i > 0)
			progress_put(buf, len, &o, w, ", ");
		nw = i + 1 < shown_slow ? each : w - o - strlen(pct);
		progress_shorten(name, sizeof(name), slow[i]->name, nw);
		snprintf(piece, sizeof(piece), "%s%s", name, pct);
		if (!progress_put(buf, len, &o, w, piece))
			break;
	}
	return buf;
}

void
progress_tick(const struct host *hosts, size_t n, int64_t now, int final,
    void *arg)
{
	struct progress *p = arg;
	struct progress_in in;
	uint64_t bytes = 0, sent_now = 0;
	char line[1024];
	int sending = 0;
	size_t i;

	if (final) {
		progress_clear();
		return;
	}
	if (resized) {
		resized = 0;
		p->cols = progress_columns(fileno(p->f));
	}
	if (p->nprev != n) {
		free(p->prev);
		p->prev = xcalloc(n ? n : 1, sizeof(*p->prev));
		p->nprev = n;
	}
	for (i = 0; i < n; i++) {
		uint64_t b = host_bytes(&hosts[i]);

		bytes += b;
		/*
		 * The ETA's rate counts only hosts still sending, with bytes
		 * still to go: a host that sent its all in a burst says
		 * nothing of how fast the rest will go.
		 */
		if (progress_sending(&hosts[i]) && (p->size == 0 ||
		    b < p->size)) {
			sending = 1;
			sent_now += b > p->prev[i] ? b - p->prev[i] : 0;
		}
		p->prev[i] = b;
	}
	if (p->last_ms >= 0 && now > p->last_ms) {
		double dt = (double)(now - p->last_ms) / 1000.0;
		/* A host that starts over (a retry) takes its bytes back. */
		double r = bytes < p->last_bytes ? 0 :
		    (double)(bytes - p->last_bytes) / dt;
		double rs = (double)sent_now / dt;

		p->rate = p->rate == 0 ? r : 0.7 * p->rate + 0.3 * r;
		/* Held while no host sends: all verify, or wait to start. */
		if (sending)
			p->send_rate = p->send_rate == 0 ? rs :
			    0.7 * p->send_rate + 0.3 * rs;
	}
	p->last_bytes = bytes;
	p->last_ms = now;
	in.size = p->size;
	in.rate = p->rate;
	in.eta_rate = p->send_rate;
	in.cols = p->cols;
	progress_format(line, sizeof(line), hosts, n, &in);
	flockfile(p->f);
	fprintf(p->f, "\r%s\033[K", line);
	fflush(p->f);
	shown = p;
	shown_fd = fileno(p->f);
	funlockfile(p->f);
}
