/*
 * The spool: a stream (stdin, a pipe, a FIFO, a device) read once, as it
 * arrives, by a thread of its own into an unlinked temp file, from which
 * every host reads at its own offset.  The thread publishes how many
 * bytes are spooled, and the end or an error, and writes to each
 * subscriber's eventfd when either moves, so that an event loop whose
 * sessions have caught up sleeps until there is more, instead of polling.
 *
 * The size, and the SHA-256 when asked, are computed once while spooling
 * and are final only at the end.  An expected size or hash that the
 * stream does not match is an error at the end (or as soon as the stream
 * grows past the size), as is a read error on the stream or a failed
 * write to the spool (ENOSPC): every reader then gets -1.
 *
 * Disk: once every expected reader has started, the file is freed behind
 * the slowest live one (fallocate punch-hole).  With a maximum, the
 * thread stops reading the stream while the slowest live reader (or,
 * before the first reader is made, offset 0) is that far behind, so the
 * producer slows instead of the disk filling.
 */
#ifndef FANSCP_SPOOL_H
#define FANSCP_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* spool_read(): nothing yet at this offset; wait for a notification. */
#define SPOOL_AGAIN	(-2)

struct spool;
struct spool_reader;

struct spool_conf {
	const char	*dir;		/* for the temp file; NULL: $TMPDIR */
	uint64_t	 max;		/* bytes ahead of the slowest; 0: none */
	int		 hash;		/* compute the SHA-256 */
	int		 check_size;	/* the stream must be size bytes */
	uint64_t	 size;
	const char	*sha256;	/* hex the stream must hash to, or NULL */
	size_t		 chunk;		/* the largest read; 0: 1 MiB */
};

/*
 * Spool fd (named name in messages), which the spool now owns, into a new
 * unlinked file in conf->dir, and start reading it.  NULL with err set
 * when the temp file cannot be made.
 */
struct spool	*spool_new(int fd, const char *name,
		    const struct spool_conf *conf, char *err, size_t errlen);
/*
 * Up to len bytes at off: the count, 0 at the end, SPOOL_AGAIN when off
 * is not spooled yet, or -1 with err once the stream failed.
 */
ssize_t		 spool_read(struct spool *, uint64_t off, void *buf,
		    size_t len, char *err, size_t errlen);
/* Has the stream failed?  Then 1, with the reason in err. */
int		 spool_failed(struct spool *, char *err, size_t errlen);
/* Has the stream ended well?  Then 1, and its size in *size. */
int		 spool_ended(struct spool *, uint64_t *size);
/* The SHA-256 in hex once the stream ended well, if asked; else NULL. */
const char	*spool_sha256(struct spool *);
/* Bytes spooled so far. */
uint64_t	 spool_spooled(struct spool *);
/* Bytes the spool file holds on disk now (spooled less freed). */
uint64_t	 spool_held(struct spool *);
/*
 * An eventfd that becomes readable when the spool grows, ends or fails;
 * one per event loop.  spool_notified() empties it before a look.
 */
int		 spool_subscribe(struct spool *);
void		 spool_unsubscribe(struct spool *, int fd);
void		 spool_notified(int fd);
/*
 * n readers will start at offset 0; nothing is freed until n have been
 * made (0, the default: never free).
 */
void		 spool_expect_readers(struct spool *, size_t n);
/* A reader at offset 0: one host's position. */
struct spool_reader *spool_reader_new(struct spool *);
/* The reader needs nothing before off any more. */
void		 spool_reader_at(struct spool_reader *, uint64_t off);
/* The reader is done; it holds nothing back. */
void		 spool_reader_free(struct spool_reader *);
/* Stop the thread (the stream is left unread), remove everything. */
void		 spool_free(struct spool *);

#endif
