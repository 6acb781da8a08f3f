/*
 * --compress: the source compressed once, at the source, instead of in
 * every session (libssh2's -C costs N times the CPU).  A thread reads the
 * original source (a file with pread, a stream's spool as it grows),
 * compresses it with zlib (a gzip member) or libzstd (a zstd frame), and
 * writes the result into a pipe that a spool (spool.h) reads: the "wire",
 * a stream that the sessions send from, in bounded memory and disk like
 * any stream.  Each host decompresses with "gzip -dc" or "zstd -dc".
 *
 * The original keeps its size, SHA-256, mode and times: the host checks
 * the decompressed bytes.  A stream's seal (remote.h) goes as a member or
 * frame of its own, which gzip -dc and zstd -dc append to the output.
 */
#ifndef FANSCP_COMPRESS_H
#define FANSCP_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum compress_kind { COMPRESS_NONE = 0, COMPRESS_GZIP, COMPRESS_ZSTD };

/* The most a seal's member takes: REMOTE_SEAL_LEN and the framing. */
#define COMPRESS_SEAL_MAX	256

struct compress;
struct source;
struct source_conf;

/*
 * "gzip", "zstd", "gzip:1".."gzip:9", "zstd:1".."zstd:19": 0 with the kind
 * and level (0: the default, 6 and 3), else -1.
 */
int	compress_parse(const char *arg, enum compress_kind *kind, int *level);
/* The host's decompressor: "gzip" or "zstd" (run as "NAME -dc"). */
const char *compress_tool(enum compress_kind kind);
/*
 * Compress src from now on, by a thread, into wire, a spooled stream made
 * under conf (its spool directory and maximum).  src stays the caller's
 * and must outlive the compressor.  NULL with err set.
 */
struct compress *compress_start(const struct source *src,
	    enum compress_kind kind, int level, struct source *wire,
	    const struct source_conf *conf, char *err, size_t errlen);
enum compress_kind compress_kind(const struct compress *);
/*
 * The original bytes that wire_off compressed bytes stand for, about (by
 * the ratio so far): what a host's progress reports.
 */
uint64_t compress_orig(const struct compress *, uint64_t wire_off);
/*
 * A host has read the whole wire, wire_off bytes: 0 with the original's
 * size in *orig if the compressor ended well and wrote exactly that many,
 * else -1 with err.
 */
int	compress_done(const struct compress *, uint64_t wire_off,
	    uint64_t *orig, char *err, size_t errlen);
/*
 * Compress buf's len bytes in place into one member or frame of their own
 * (buf holds COMPRESS_SEAL_MAX bytes, len at most 128): the new length, or
 * 0 on failure.
 */
size_t	compress_member(enum compress_kind kind, char *buf, size_t len);
/* Stop the thread and free it (the wire is the caller's to close first). */
void	compress_free(struct compress *);

#endif
