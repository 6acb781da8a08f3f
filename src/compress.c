/*
 * --compress: compress the source once, by a thread, into a spooled
 * stream (compress.h).  The thread writes into a pipe that the spool's
 * own thread reads, so that the wire is a stream like stdin in every
 * respect (bounded disk with --spool-max, the file freed behind the
 * slowest host, a notification when it grows): a full spool stops the
 * spool's thread, the pipe fills, and the compressor waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "source.h"
#include "unittest.h"
#include "xmalloc.h"

/* What the thread reads from the source at a time. */
#define COMPRESS_CHUNK	(256 * 1024)

struct compress {
	enum compress_kind kind;
	int		 level;
	const struct source *src;
	int		 out;		/* the pipe's write end */
	pthread_t	 tid;
	int		 started;
	int		 quit;		/* atomic: stop */
	/* Atomic: the original bytes read, and the compressed ones written. */
	uint64_t	 in;
	uint64_t	 wrote;
	int		 done;		/* atomic: ended well (in, wrote final) */
	char		 err[256];	/* set before the pipe is closed */
	int		 failed;	/* atomic */
};

int
compress_parse(const char *arg, enum compress_kind *kind, int *level)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	char *end;
	long l = 0;

	if (n == 4 && strncmp(arg, "gzip", 4) == 0)
		*kind = COMPRESS_GZIP;
	else if (n == 4 && strncmp(arg, "zstd", 4) == 0)
		*kind = COMPRESS_ZSTD;
	else
		return -1;
	if (colon != NULL) {
		errno = 0;
		l = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || *end != '\0' || l < 1 ||
		    l > (*kind == COMPRESS_GZIP ? 9 : 19))
			return -1;
	}
	*level = (int)l;
	return 0;
}

const char *
compress_tool(enum compress_kind kind)
{
	return kind == COMPRESS_ZSTD ? "zstd" : "gzip";
}

enum compress_kind
compress_kind(const struct compress *cz)
{
	return cz->kind;
}

/* The encoder of one kind, behind one interface. */
struct enc {
	enum compress_kind kind;
	z_stream	 z;
	ZSTD_CCtx	*zc;
	unsigned char	*obuf;
	size_t		 olen;
};

static int
enc_init(struct enc *e, enum compress_kind kind, int level)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (kind == COMPRESS_GZIP) {
		/* 16 + 15: a gzip header and trailer around the deflate. */
		if (deflateInit2(&e->z, level ? level : 6, Z_DEFLATED, 16 + 15,
		    8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -1;
		e->olen = COMPRESS_CHUNK;
	} else {
		if ((e->zc = ZSTD_createCCtx()) == NULL ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc,
		    ZSTD_c_compressionLevel, level ? level : 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc,
		    ZSTD_c_checksumFlag, 1))) {
			ZSTD_freeCCtx(e->zc);
			return -1;
		}
		e->olen = ZSTD_CStreamOutSize();
	}
	e->obuf = xmalloc(e->olen);
	return 0;
}

static void
enc_free(struct enc *e)
{
	if (e->kind == COMPRESS_GZIP)
		deflateEnd(&e->z);
	else
		ZSTD_freeCCtx(e->zc);
	free(e->obuf);
}

/*
 * Feed len bytes (the end when fin), calling out(arg, p, n) with every
 * piece of output.  0, or -1 when the encoder or out fails.
 */
static int
enc_feed(struct enc *e, const void *in, size_t len, int fin,
    int (*out)(void *, const void *, size_t), void *arg)
{
	if (e->kind == COMPRESS_GZIP) {
		int r;

		e->z.next_in = (Bytef *)(uintptr_t)in;
		e->z.avail_in = (uInt)len;
		do {
			e->z.next_out = e->obuf;
			e->z.avail_out = (uInt)e->olen;
			r = deflate(&e->z, fin ? Z_FINISH : Z_NO_FLUSH);
			if (r == Z_STREAM_ERROR)
				return -1;
			if (out(arg, e->obuf, e->olen - e->z.avail_out) != 0)
				return -1;
		} while (e->z.avail_out == 0 || (fin && r != Z_STREAM_END));
		return 0;
	} else {
		ZSTD_inBuffer ib = { in, len, 0 };
		ZSTD_outBuffer ob;
		size_t left;

		do {
			ob.dst = e->obuf;
			ob.size = e->olen;
			ob.pos = 0;
			left = ZSTD_compressStream2(e->zc, &ob, &ib,
			    fin ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left))
				return -1;
			if (out(arg, e->obuf, ob.pos) != 0)
				return -1;
		} while (fin ? left != 0 : ib.pos < ib.size);
		return 0;
	}
}

/* out() for a member in memory. */
struct membuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static int
mem_out(void *arg, const void *p, size_t n)
{
	struct membuf *m = arg;

	if (n > m->cap - m->len)
		return -1;
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

size_t
compress_member(enum compress_kind kind, char *buf, size_t len)
{
	char tmp[COMPRESS_SEAL_MAX];
	struct membuf m = { buf, 0, COMPRESS_SEAL_MAX };
	struct enc e;
	int r;

	if (len > 128 || enc_init(&e, kind, 0) != 0)
		return 0;
	memcpy(tmp, buf, len);
	r = enc_feed(&e, tmp, len, 1, mem_out, &m);
	enc_free(&e);
	return r == 0 ? m.len : 0;
}

/* out() for the thread: all of it into the pipe. */
static int
pipe_out(void *arg, const void *p, size_t n)
{
	struct compress *cz = arg;
	const char *q = p;
	ssize_t w;

	while (n > 0) {
		if (__atomic_load_n(&cz->quit, __ATOMIC_ACQUIRE))
			return -1;
		if ((w = write(cz->out, q, n)) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(cz->err, sizeof(cz->err), "--compress: "
			    "cannot spool the compressed data: %s",
			    strerror(errno));
			return -1;
		}
		q += w;
		n -= (size_t)w;
		__atomic_add_fetch(&cz->wrote, (uint64_t)w, __ATOMIC_RELEASE);
	}
	return 0;
}

/* Wait until a stream grows (or a while passes, to look at quit). */
static void
compress_wait(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (fd >= 0 && poll(&p, 1, 200) > 0)
		source_notified(fd);
}

static void *
compress_main(void *arg)
{
	struct compress *cz = arg;
	struct source_reader *rd = source_reader_new(cz->src);
	int sub = source_subscribe(cz->src);
	unsigned char *buf = xmalloc(COMPRESS_CHUNK);
	char err[256];
	uint64_t off = 0;
	struct enc e;
	ssize_t n;
	int ok = 0;

	if (enc_init(&e, cz->kind, cz->level) != 0) {
		snprintf(cz->err, sizeof(cz->err), "--compress: cannot set "
		    "up the %s compressor", compress_tool(cz->kind));
		goto out;
	}
	for (;;) {
		if (__atomic_load_n(&cz->quit, __ATOMIC_ACQUIRE))
			break;
		n = source_reader_read(rd, off, buf, COMPRESS_CHUNK, err,
		    sizeof(err));
		if (n == SOURCE_AGAIN) {
			compress_wait(sub);
			continue;
		}
		if (n < 0) {
			snprintf(cz->err, sizeof(cz->err), "%s", err);
			break;
		}
		if (enc_feed(&e, buf, (size_t)n, n == 0, pipe_out, cz) != 0) {
			if (cz->err[0] == '\0')
				snprintf(cz->err, sizeof(cz->err),
				    "--compress: the %s compressor failed",
				    compress_tool(cz->kind));
			break;
		}
		if (n == 0) {
			ok = 1;
			break;
		}
		off += (uint64_t)n;
		__atomic_store_n(&cz->in, off, __ATOMIC_RELEASE);
	}
	enc_free(&e);
out:
	if (!ok && cz->err[0] == '\0')
		snprintf(cz->err, sizeof(cz->err), "--compress: stopped");
	/* Published before the pipe's end, which readers see after it. */
	__atomic_store_n(ok ? &cz->done : &cz->failed, 1, __ATOMIC_RELEASE);
	close(cz->out);
	cz->out = -1;
	if (sub >= 0)
		source_unsubscribe(cz->src, sub);
	source_reader_free(rd);
	free(buf);
	return NULL;
}

struct compress *
compress_start(const struct source *src, enum compress_kind kind, int level,
    struct source *wire, const struct source_conf *conf, char *err,
    size_t errlen)
{
	struct compress *cz = xcalloc(1, sizeof(*cz));
	struct source_conf wc;
	int p[2];

	cz->kind = kind;
	cz->level = level;
	cz->src = src;
	cz->out = -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "--compress: pipe: %s", strerror(errno));
		free(cz);
		return NULL;
	}
	/* The wire's own checks are none: the host checks the original. */
	memset(&wc, 0, sizeof(wc));
	wc.spool_dir = conf->spool_dir;
	wc.spool_max = conf->spool_max;
	if (source_open_stream(wire, p[0], "the compressed source", &wc, err,
	    errlen) != 0) {
		close(p[1]);
		free(cz);
		return NULL;
	}
	cz->out = p[1];
	if (pthread_create(&cz->tid, NULL, compress_main, cz) != 0) {
		snprintf(err, errlen, "--compress: cannot start a thread");
		close(p[1]);
		source_close(wire);
		free(cz);
		return NULL;
	}
	cz->started = 1;
	return cz;
}

uint64_t
compress_orig(const struct compress *cz, uint64_t wire_off)
{
	uint64_t in = __atomic_load_n(&cz->in, __ATOMIC_ACQUIRE);
	uint64_t wrote = __atomic_load_n(&cz->wrote, __ATOMIC_ACQUIRE);
	long double r;

	if (wrote == 0)
		return 0;
	r = (long double)wire_off * (long double)in / (long double)wrote;
	return r > (long double)in ? in : (uint64_t)r;
}

int
compress_done(const struct compress *cz, uint64_t wire_off, uint64_t *orig,
    char *err, size_t errlen)
{
	if (__atomic_load_n(&cz->failed, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen, "%s; not committed", cz->err);
		return -1;
	}
	if (!__atomic_load_n(&cz->done, __ATOMIC_ACQUIRE) ||
	    wire_off != __atomic_load_n(&cz->wrote, __ATOMIC_ACQUIRE)) {
		snprintf(err, errlen, "--compress: the compressed data ended "
		    "after %llu bytes, unexpectedly; not committed",
		    (unsigned long long)wire_off);
		return -1;
	}
	*orig = __atomic_load_n(&cz->in, __ATOMIC_ACQUIRE);
	return 0;
}

void
compress_free(struct compress *cz)
{
	if (cz == NULL)
		return;
	__atomic_store_n(&cz->quit, 1, __ATOMIC_RELEASE);
	if (cz->started)
		pthread_join(cz->tid, NULL);
	if (cz->out >= 0)
		close(cz->out);
	free(cz);
}
