/*
 * --compress: the compressor thread's wire, read back as a host would and
 * decompressed with zlib and libzstd (what gzip -dc and zstd -dc do),
 * equals the source; a seal member appended after it comes out at the end
 * of the decompressed bytes; a corrupt wire is refused.  Every wait is
 * bounded: a wire that never ends fails the test instead of hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "remote.h"
#include "source.h"

#define MiB	(1U << 20)

/* len bytes that compress, but not to nothing. */
static unsigned char *
sample(size_t len)
{
	unsigned char *p = malloc(len);
	size_t i;
	uint32_t x = 12345;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (i % 64 < 48) ? (unsigned char)('a' + i % 26) :
		    (unsigned char)(x >> 24);
	}
	return p;
}

/* Decompress every member or frame of in; 0 with *out, or -1. */
static int
decompress(enum compress_kind kind, const unsigned char *in, size_t len,
    unsigned char **out, size_t *outlen)
{
	size_t cap = 16 * MiB;
	unsigned char *o = malloc(cap);
	int rc = -1;

	*outlen = 0;
	if (kind == COMPRESS_GZIP) {
		z_stream z;
		int r = Z_OK;

		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, 16 + 15) != Z_OK)
			goto out;
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)len;
		while (z.avail_in > 0) {
			z.next_out = o + *outlen;
			z.avail_out = (uInt)(cap - *outlen);
			r = inflate(&z, Z_NO_FLUSH);
			*outlen = cap - z.avail_out;
			if (r == Z_STREAM_END) {
				/* gzip -dc: the next member follows. */
				if (inflateReset(&z) != Z_OK)
					break;
				continue;
			}
			if (r != Z_OK)
				break;
		}
		inflateEnd(&z);
		if (r == Z_STREAM_END)
			rc = 0;
	} else {
		ZSTD_DCtx *d = ZSTD_createDCtx();
		ZSTD_inBuffer ib = { in, len, 0 };
		ZSTD_outBuffer ob = { o, cap, 0 };
		size_t r = 1;

		while (ib.pos < ib.size) {
			r = ZSTD_decompressStream(d, &ob, &ib);
			if (ZSTD_isError(r))
				break;
		}
		*outlen = ob.pos;
		ZSTD_freeDCtx(d);
		if (!ZSTD_isError(r) && r == 0)
			rc = 0;
	}
out:
	if (rc != 0) {
		free(o);
		o = NULL;
	}
	*out = o;
	return rc;
}

/* Read the whole wire as a host does: waits on its notification. */
static unsigned char *
read_wire(struct source *wire, size_t *len)
{
	struct source_reader *rd = source_reader_new(wire);
	int fd = source_subscribe(wire);
	size_t cap = 16 * MiB, off = 0;
	unsigned char *buf = malloc(cap);
	struct pollfd p;
	char err[256];
	ssize_t n;
	int waits = 0;

	for (;;) {
		n = source_reader_read(rd, off, buf + off, 65536, err,
		    sizeof(err));
		if (n == SOURCE_AGAIN) {
			p.fd = fd;
			p.events = POLLIN;
			assert_true(poll(&p, 1, 10000) > 0);
			source_notified(fd);
			assert_true(++waits < 100000);
			continue;
		}
		assert_true(n >= 0);
		if (n == 0)
			break;
		off += (size_t)n;
		assert_true(off + 65536 <= cap);
	}
	source_unsubscribe(wire, fd);
	source_reader_free(rd);
	*len = off;
	return buf;
}

/* Compress a file of len bytes and check the round trip. */
static void
round_trip_file(enum compress_kind kind, int level, size_t len)
{
	char path[] = "/tmp/fanscp-test-compress.XXXXXX";
	unsigned char *data = sample(len), *wbuf, *plain;
	struct source src, wire;
	struct source_conf conf;
	struct compress *cz;
	size_t wlen, plen;
	uint64_t orig;
	char err[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(source_open(&src, path, err, sizeof(err)), 0);
	unlink(path);
	memset(&conf, 0, sizeof(conf));
	cz = compress_start(&src, kind, level, &wire, &conf, err,
	    sizeof(err));
	assert_non_null(cz);
	assert_int_equal(compress_kind(cz), kind);
	wbuf = read_wire(&wire, &wlen);
	/* It compressed, and the host's count is the original's. */
	assert_true(wlen < len / 2 || len < 4096);
	assert_int_equal(compress_done(cz, wlen, &orig, err, sizeof(err)), 0);
	assert_int_equal(orig, len);
	assert_int_equal(compress_orig(cz, wlen), len);
	assert_int_not_equal(compress_done(cz, wlen - 1, &orig, err,
	    sizeof(err)), 0);
	assert_int_equal(decompress(kind, wbuf, wlen, &plain, &plen), 0);
	assert_int_equal(plen, len);
	assert_memory_equal(plain, data, len);
	free(plain);
	/* A byte changed in the middle: the checksum or the format says so. */
	if (wlen > 100) {
		wbuf[wlen / 2] ^= 0x55;
		assert_int_not_equal(decompress(kind, wbuf, wlen, &plain,
		    &plen), 0);
	}
	/* Cut short: never a whole stream. */
	assert_int_not_equal(decompress(kind, wbuf, wlen - 3, &plain, &plen),
	    0);
	source_close(&wire);
	compress_free(cz);
	source_close(&src);
	free(wbuf);
	free(data);
}

static void
test_gzip_file(void **state)
{
	(void)state;
	round_trip_file(COMPRESS_GZIP, 0, 3 * MiB + 17);
	round_trip_file(COMPRESS_GZIP, 1, 100000);
	round_trip_file(COMPRESS_GZIP, 0, 0);
}

static void
test_zstd_file(void **state)
{
	(void)state;
	round_trip_file(COMPRESS_ZSTD, 0, 3 * MiB + 17);
	round_trip_file(COMPRESS_ZSTD, 19, 100000);
	round_trip_file(COMPRESS_ZSTD, 0, 0);
}

/*
 * A stream (a pipe's spool) compressed, then a seal appended as a member
 * of its own, as sess_send_seal does: the decompressed bytes are the
 * stream's, then the seal's, exactly.
 */
static void
stream_with_seal(enum compress_kind kind)
{
	size_t len = 40000, wlen, plen, slen;
	unsigned char *data = sample(len), *wbuf, *plain;
	char seal[COMPRESS_SEAL_MAX], text[REMOTE_SEAL_LEN + 1], err[256];
	struct source src, wire;
	struct source_conf conf;
	struct remote_job rj;
	struct compress *cz;
	uint64_t orig;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], data, len), (ssize_t)len);
	close(p[1]);
	memset(&conf, 0, sizeof(conf));
	assert_int_equal(source_open_stream(&src, p[0], "stdin", &conf, err,
	    sizeof(err)), 0);
	cz = compress_start(&src, kind, 0, &wire, &conf, err, sizeof(err));
	assert_non_null(cz);
	wbuf = read_wire(&wire, &wlen);
	assert_int_equal(compress_done(cz, wlen, &orig, err, sizeof(err)), 0);
	assert_int_equal(orig, len);

	memset(&rj, 0, sizeof(rj));
	rj.token = "0123456789abcdef0123456789abcdef";
	remote_seal(&rj, len, text);
	memcpy(seal, text, REMOTE_SEAL_LEN);
	slen = compress_member(kind, seal, REMOTE_SEAL_LEN);
	assert_true(slen > 0 && slen <= COMPRESS_SEAL_MAX);
	memcpy(wbuf + wlen, seal, slen);
	assert_int_equal(decompress(kind, wbuf, wlen + slen, &plain, &plen),
	    0);
	assert_int_equal(plen, len + REMOTE_SEAL_LEN);
	assert_memory_equal(plain, data, len);
	assert_memory_equal(plain + len, text, REMOTE_SEAL_LEN);
	free(plain);
	source_close(&wire);
	compress_free(cz);
	source_close(&src);
	free(wbuf);
	free(data);
}

static void
test_gzip_stream_seal(void **state)
{
	(void)state;
	stream_with_seal(COMPRESS_GZIP);
}

static void
test_zstd_stream_seal(void **state)
{
	(void)state;
	stream_with_seal(COMPRESS_ZSTD);
}

/* Freed while the stream has not ended: the thread stops, nothing hangs. */
static void
test_free_early(void **state)
{
	struct source src, wire;
	struct source_conf conf;
	struct compress *cz;
	char err[256];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	memset(&conf, 0, sizeof(conf));
	assert_int_equal(source_open_stream(&src, p[0], "stdin", &conf, err,
	    sizeof(err)), 0);
	cz = compress_start(&src, COMPRESS_ZSTD, 0, &wire, &conf, err,
	    sizeof(err));
	assert_non_null(cz);
	usleep(50000);
	assert_int_not_equal(compress_done(cz, 0, NULL, err, sizeof(err)), 0);
	source_close(&wire);
	compress_free(cz);
	source_close(&src);
	close(p[1]);
}

static void
test_parse(void **state)
{
	enum compress_kind k;
	int l;

	(void)state;
	assert_int_equal(compress_parse("gzip", &k, &l), 0);
	assert_int_equal(k, COMPRESS_GZIP);
	assert_int_equal(l, 0);
	assert_int_equal(compress_parse("zstd:19", &k, &l), 0);
	assert_int_equal(k, COMPRESS_ZSTD);
	assert_int_equal(l, 19);
	assert_int_equal(compress_parse("gzip:9", &k, &l), 0);
	assert_int_equal(l, 9);
	assert_int_equal(compress_parse("gzip:10", &k, &l), -1);
	assert_int_equal(compress_parse("zstd:0", &k, &l), -1);
	assert_int_equal(compress_parse("zstd:", &k, &l), -1);
	assert_int_equal(compress_parse("zstd:3x", &k, &l), -1);
	assert_int_equal(compress_parse("lz4", &k, &l), -1);
	assert_int_equal(compress_parse("gzipx", &k, &l), -1);
	assert_int_equal(compress_parse("", &k, &l), -1);
	assert_string_equal(compress_tool(COMPRESS_GZIP), "gzip");
	assert_string_equal(compress_tool(COMPRESS_ZSTD), "zstd");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_gzip_file),
		cmocka_unit_test(test_zstd_file),
		cmocka_unit_test(test_gzip_stream_seal),
		cmocka_unit_test(test_zstd_stream_seal),
		cmocka_unit_test(test_free_early),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
