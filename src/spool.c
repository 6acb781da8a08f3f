/*
 * The spool: one thread reads the stream and appends to an unlinked temp
 * file; readers pread from it.  What the thread publishes (the bytes
 * spooled, then the state) is atomic: a reader loads the state first, so
 * that an end it sees covers every byte spooled before it.  Subscribers'
 * eventfds are written after each publication.  The mutex guards the
 * reader list and the subscribers; a reader's offset is atomic, and a
 * reader wakes the thread only when the thread waits for readers (the
 * --spool-max throttle).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "spool.h"
#include "xmalloc.h"

/* Holes are punched in steps of this much, block-aligned. */
#define SPOOL_PUNCH_STEP	(1U << 20)
/* What a stream's pipe is asked to hold (Linux's unprivileged maximum). */
#define SPOOL_PIPE_SIZE		(1U << 20)
/* After the end, how often the thread looks to free more. */
#define SPOOL_IDLE_MS		100

enum { SPOOL_RUNNING = 0, SPOOL_ENDED = 1, SPOOL_FAILED = -1 };

struct spool_reader {
	struct spool		*sp;
	uint64_t		 off;		/* atomic */
	struct spool_reader	*prev, *next;
};

struct spool {
	int		 in;		/* the stream */
	char		*name;
	char		*dir;
	int		 fd;		/* the unlinked temp file */
	int		 stopfd;	/* eventfd: spool_free() wants out */
	struct spool_conf conf;
	char		*want_sha;
	pthread_t	 tid;
	int		 started;
	uint64_t	 spooled;	/* atomic, written by the thread */
	int		 state;		/* atomic: SPOOL_RUNNING, ... */
	uint64_t	 freed;		/* atomic: bytes punched from 0 */
	int		 waiting;	/* atomic: the thread waits for readers */
	int		 quit;		/* atomic */
	int		 no_punch;	/* the filesystem cannot */
	char		 err[256];	/* written before state = FAILED */
	char		 sha[65];	/* written before state = ENDED */
	EVP_MD_CTX	*md;
	unsigned char	*buf;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		*subs;		/* subscribers' eventfds */
	size_t		 nsubs;
	struct spool_reader *readers;	/* live ones */
	size_t		 made;		/* readers ever made */
	size_t		 expect;
};

/* The unlinked temp file: O_TMPFILE where it works, else mkstemp. */
static int
spool_tmpfile(const char *dir, char *err, size_t errlen)
{
	char *path;
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	path = xasprintf("%s/.fanscp-spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	else
		snprintf(err, errlen, "cannot make a spool file in '%s': %s",
		    dir, strerror(errno));
	free(path);
	return fd;
}

/* Tell every subscribed loop to look again. */
static void
spool_notify(struct spool *sp)
{
	uint64_t one = 1;
	size_t i;

	pthread_mutex_lock(&sp->mu);
	/* A full counter (EAGAIN) is a pending wake anyway. */
	for (i = 0; i < sp->nsubs; i++)
		(void)!write(sp->subs[i], &one, sizeof(one));
	pthread_mutex_unlock(&sp->mu);
}

/* Note the first failure, make it visible, and wake everyone. */
static void
spool_fail(struct spool *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
spool_fail(struct spool *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sp->err, sizeof(sp->err), fmt, ap);
	va_end(ap);
	__atomic_store_n(&sp->state, SPOOL_FAILED, __ATOMIC_RELEASE);
	spool_notify(sp);
}

/* The lowest offset a live reader still needs, or -1 with none live. */
static int64_t
spool_lowest(struct spool *sp)
{
	struct spool_reader *r;
	uint64_t low = UINT64_MAX;

	for (r = sp->readers; r != NULL; r = r->next) {
		uint64_t o = __atomic_load_n(&r->off, __ATOMIC_SEQ_CST);

		if (o < low)
			low = o;
	}
	return low == UINT64_MAX ? -1 : (int64_t)low;
}

/*
 * Free the file behind the slowest reader, once every expected reader
 * exists (a later one would need offset 0).  Called with mu held.
 */
static void
spool_punch(struct spool *sp)
{
	uint64_t spooled = __atomic_load_n(&sp->spooled, __ATOMIC_ACQUIRE);
	uint64_t upto, freed = sp->freed;
	int64_t low;

	if (sp->no_punch || sp->expect == 0 || sp->made < sp->expect)
		return;
	low = spool_lowest(sp);
	upto = low < 0 ? spooled : (uint64_t)low;
	upto &= ~(uint64_t)(SPOOL_PUNCH_STEP - 1);
	if (upto <= freed)
		return;
	/* Publish first: a reader that still asks for it is refused. */
	__atomic_store_n(&sp->freed, upto, __ATOMIC_SEQ_CST);
	if (fallocate(sp->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)freed, (off_t)(upto - freed)) < 0)
		sp->no_punch = 1;
}

/*
 * How much may be read now: wait while the slowest live reader is
 * conf.max behind (and punch meanwhile).  0 when told to quit.
 */
static size_t
spool_room(struct spool *sp)
{
	size_t room = sp->conf.chunk;
	uint64_t spooled = sp->spooled, lead;
	int64_t low;

	pthread_mutex_lock(&sp->mu);
	for (;;) {
		spool_punch(sp);
		if (__atomic_load_n(&sp->quit, __ATOMIC_ACQUIRE)) {
			room = 0;
			break;
		}
		if (sp->conf.max == 0)
			break;
		__atomic_store_n(&sp->waiting, 1, __ATOMIC_SEQ_CST);
		/*
		 * Before the first reader, count from 0: it is on its way.
		 * Later, only live readers count: a host still queued behind
		 * a full width would wait for ever on those ahead of it.
		 */
		if ((low = spool_lowest(sp)) < 0 && sp->made == 0)
			low = 0;
		lead = low < 0 ? 0 : spooled - (uint64_t)low;
		if (lead < sp->conf.max) {
			if (sp->conf.max - lead < room)
				room = (size_t)(sp->conf.max - lead);
			break;
		}
		pthread_cond_wait(&sp->cv, &sp->mu);
	}
	__atomic_store_n(&sp->waiting, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&sp->mu);
	return room;
}

/*
 * Read what the stream has, up to len: wait with poll first, since a
 * FIFO that no writer has opened yet reads as an end; its poll waits for
 * one.  The count, 0 at the end, -1 on error (errno), -2 to quit.
 */
static ssize_t
spool_pull(struct spool *sp, size_t len)
{
	struct pollfd p[2];
	ssize_t n;

	for (;;) {
		p[0].fd = sp->in;
		p[0].events = POLLIN;
		p[1].fd = sp->stopfd;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents)
			return -2;
		n = read(sp->in, sp->buf, len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		return n;
	}
}

/* Append n bytes from buf to the file; -1 (errno) on a failed write. */
static int
spool_append(struct spool *sp, size_t n)
{
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = pwrite(sp->fd, sp->buf + done, n - done,
		    (off_t)(sp->spooled + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		done += (size_t)w;
	}
	if (sp->md != NULL)
		EVP_DigestUpdate(sp->md, sp->buf, n);
	__atomic_store_n(&sp->spooled, sp->spooled + n, __ATOMIC_RELEASE);
	return 0;
}

/* The stream ended: check what was expected, then publish the end. */
static void
spool_finish(struct spool *sp)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	int i;

	if (sp->conf.check_size && sp->spooled != sp->conf.size) {
		spool_fail(sp, "'%s' ended after %llu bytes, not the %llu "
		    "that --size gives", sp->name,
		    (unsigned long long)sp->spooled,
		    (unsigned long long)sp->conf.size);
		return;
	}
	if (sp->md != NULL) {
		EVP_DigestFinal_ex(sp->md, md, NULL);
		for (i = 0; i < 32; i++) {
			sp->sha[2 * i] = hex[md[i] >> 4];
			sp->sha[2 * i + 1] = hex[md[i] & 15];
		}
		sp->sha[64] = '\0';
	}
	if (sp->want_sha != NULL && strcasecmp(sp->sha, sp->want_sha) != 0) {
		spool_fail(sp, "'%s' has SHA-256 %s, not the %s that --sha256 "
		    "gives", sp->name, sp->sha, sp->want_sha);
		return;
	}
	__atomic_store_n(&sp->state, SPOOL_ENDED, __ATOMIC_RELEASE);
	spool_notify(sp);
}

/* Spool until the end, an error or a quit; 1 when the stream ended. */
static int
spool_fill(struct spool *sp)
{
	size_t room;
	ssize_t n;

	while ((room = spool_room(sp)) > 0) {
		if ((n = spool_pull(sp, room)) == -2)
			return 0;
		if (n < 0) {
			spool_fail(sp, "cannot read '%s': %s", sp->name,
			    strerror(errno));
			return 0;
		}
		if (n == 0) {
			spool_finish(sp);
			return 1;
		}
		if (spool_append(sp, (size_t)n) < 0) {
			spool_fail(sp, "cannot spool '%s' in '%s': %s",
			    sp->name, sp->dir, strerror(errno));
			return 0;
		}
		if (sp->conf.check_size && sp->spooled > sp->conf.size) {
			spool_fail(sp, "'%s' is longer than the %llu bytes "
			    "that --size gives", sp->name,
			    (unsigned long long)sp->conf.size);
			return 0;
		}
		spool_notify(sp);
	}
	return 0;
}

/* After the end: keep freeing behind the readers until told to quit. */
static void
spool_linger(struct spool *sp)
{
	struct timespec ts;

	pthread_mutex_lock(&sp->mu);
	while (!__atomic_load_n(&sp->quit, __ATOMIC_ACQUIRE)) {
		spool_punch(sp);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SPOOL_IDLE_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sp->cv, &sp->mu, &ts);
	}
	pthread_mutex_unlock(&sp->mu);
}

static void *
spool_main(void *arg)
{
	struct spool *sp = arg;
	sigset_t all;

	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (spool_fill(sp))
		spool_linger(sp);
	return NULL;
}

struct spool *
spool_new(int fd, const char *name, const struct spool_conf *conf,
    char *err, size_t errlen)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));
	const char *dir = conf->dir;
	struct stat st;

	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	sp->in = fd;
	sp->name = xstrdup(name);
	sp->dir = xstrdup(dir);
	sp->conf = *conf;
	sp->conf.dir = NULL;
	if (sp->conf.chunk == 0)
		sp->conf.chunk = 1U << 20;
	sp->want_sha = conf->sha256 ? xstrdup(conf->sha256) : NULL;
	sp->conf.sha256 = NULL;
	sp->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sp->fd = spool_tmpfile(dir, err, errlen);
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, NULL);
	if (sp->fd < 0 || sp->stopfd < 0) {
		if (sp->stopfd < 0)
			snprintf(err, errlen, "eventfd: %s", strerror(errno));
		spool_free(sp);
		return NULL;
	}
	if (conf->hash || conf->sha256 != NULL) {
		sp->md = EVP_MD_CTX_new();
		if (sp->md == NULL ||
		    !EVP_DigestInit_ex(sp->md, EVP_sha256(), NULL)) {
			snprintf(err, errlen, "cannot start a SHA-256");
			spool_free(sp);
			return NULL;
		}
	}
	sp->buf = xmalloc(sp->conf.chunk);
	/* A bigger pipe: fewer, larger reads, and a producer less blocked. */
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, (int)SPOOL_PIPE_SIZE);
	if ((errno = pthread_create(&sp->tid, NULL, spool_main, sp)) != 0) {
		snprintf(err, errlen, "cannot start the spool: %s",
		    strerror(errno));
		spool_free(sp);
		return NULL;
	}
	sp->started = 1;
	return sp;
}

ssize_t
spool_read(struct spool *sp, uint64_t off, void *buf, size_t len, char *err,
    size_t errlen)
{
	int st = __atomic_load_n(&sp->state, __ATOMIC_ACQUIRE);
	uint64_t avail = __atomic_load_n(&sp->spooled, __ATOMIC_ACQUIRE);
	ssize_t n;

	if (st == SPOOL_FAILED) {
		snprintf(err, errlen, "%s", sp->err);
		return -1;
	}
	if (off < __atomic_load_n(&sp->freed, __ATOMIC_SEQ_CST)) {
		snprintf(err, errlen, "the spool of '%s' no longer holds "
		    "offset %llu", sp->name, (unsigned long long)off);
		return -1;
	}
	if (off >= avail)
		return st == SPOOL_ENDED ? 0 : SPOOL_AGAIN;
	if (len > avail - off)
		len = (size_t)(avail - off);
	do
		n = pread(sp->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		snprintf(err, errlen, "cannot read the spool of '%s': %s",
		    sp->name, n < 0 ? strerror(errno) : "it shrank");
		return -1;
	}
	return n;
}

int
spool_failed(struct spool *sp, char *err, size_t errlen)
{
	if (__atomic_load_n(&sp->state, __ATOMIC_ACQUIRE) != SPOOL_FAILED)
		return 0;
	snprintf(err, errlen, "%s", sp->err);
	return 1;
}

int
spool_ended(struct spool *sp, uint64_t *size)
{
	if (__atomic_load_n(&sp->state, __ATOMIC_ACQUIRE) != SPOOL_ENDED)
		return 0;
	*size = sp->spooled;
	return 1;
}

const char *
spool_sha256(struct spool *sp)
{
	if (__atomic_load_n(&sp->state, __ATOMIC_ACQUIRE) != SPOOL_ENDED ||
	    sp->md == NULL)
		return NULL;
	return sp->sha;
}

uint64_t
spool_spooled(struct spool *sp)
{
	return __atomic_load_n(&sp->spooled, __ATOMIC_ACQUIRE);
}

uint64_t
spool_held(struct spool *sp)
{
	return spool_spooled(sp) - __atomic_load_n(&sp->freed,
	    __ATOMIC_SEQ_CST);
}

int
spool_subscribe(struct spool *sp)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		fatal("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&sp->mu);
	sp->subs = xreallocarray(sp->subs, sp->nsubs + 1, sizeof(int));
	sp->subs[sp->nsubs++] = fd;
	pthread_mutex_unlock(&sp->mu);
	return fd;
}

void
spool_unsubscribe(struct spool *sp, int fd)
{
	size_t i;

	pthread_mutex_lock(&sp->mu);
	for (i = 0; i < sp->nsubs; i++)
		if (sp->subs[i] == fd) {
			sp->subs[i] = sp->subs[--sp->nsubs];
			break;
		}
	pthread_mutex_unlock(&sp->mu);
	close(fd);
}

void
spool_notified(int fd)
{
	uint64_t v;

	/* EAGAIN: nothing was pending. */
	(void)!read(fd, &v, sizeof(v));
}

void
spool_expect_readers(struct spool *sp, size_t n)
{
	pthread_mutex_lock(&sp->mu);
	sp->expect = n;
	pthread_mutex_unlock(&sp->mu);
}

struct spool_reader *
spool_reader_new(struct spool *sp)
{
	struct spool_reader *r = xcalloc(1, sizeof(*r));

	r->sp = sp;
	pthread_mutex_lock(&sp->mu);
	sp->made++;
	r->next = sp->readers;
	if (r->next != NULL)
		r->next->prev = r;
	sp->readers = r;
	pthread_mutex_unlock(&sp->mu);
	return r;
}

/* The thread waits for readers: tell it one moved (or went). */
static void
spool_wake(struct spool *sp)
{
	if (!__atomic_load_n(&sp->waiting, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&sp->mu);
	pthread_cond_signal(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
}

void
spool_reader_at(struct spool_reader *r, uint64_t off)
{
	if (r == NULL || off <= r->off)
		return;
	__atomic_store_n(&r->off, off, __ATOMIC_SEQ_CST);
	spool_wake(r->sp);
}

void
spool_reader_free(struct spool_reader *r)
{
	struct spool *sp;

	if (r == NULL)
		return;
	sp = r->sp;
	pthread_mutex_lock(&sp->mu);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		sp->readers = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	pthread_cond_signal(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
	free(r);
}

void
spool_free(struct spool *sp)
{
	uint64_t one = 1;
	size_t i;

	if (sp == NULL)
		return;
	if (sp->started) {
		__atomic_store_n(&sp->quit, 1, __ATOMIC_RELEASE);
		(void)!write(sp->stopfd, &one, sizeof(one));
		pthread_mutex_lock(&sp->mu);
		pthread_cond_broadcast(&sp->cv);
		pthread_mutex_unlock(&sp->mu);
		pthread_join(sp->tid, NULL);
	}
	while (sp->readers != NULL)
		spool_reader_free(sp->readers);
	for (i = 0; i < sp->nsubs; i++)
		close(sp->subs[i]);
	free(sp->subs);
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->cv);
	if (sp->md != NULL)
		EVP_MD_CTX_free(sp->md);
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->stopfd >= 0)
		close(sp->stopfd);
	if (sp->in >= 0)
		close(sp->in);
	free(sp->buf);
	free(sp->want_sha);
	free(sp->name);
	free(sp->dir);
	free(sp);
}
