/*
 * The source: what every host is sent, read once and read by each host at
 * its own offset.  It has two kinds:
 *   SOURCE_FILE   a regular file, opened once and read with pread(2), from
 *                 one descriptor (and one page cache).  Its size, times and
 *                 inode are fixed at open; a file that changes while it is
 *                 sent is detected and never committed.
 *   SOURCE_SPOOL  a stream (stdin, a pipe, a FIFO, a device), spooled as it
 *                 arrives (spool.h).  A read may say "not yet"
 *                 (SOURCE_AGAIN); the size, and the SHA-256 when asked, are
 *                 final only at the end.
 * Sessions use the functions below, never the fields, which are this
 * module's (the struct is visible so that tests can embed one).
 */
#ifndef FANSCP_SOURCE_H
#define FANSCP_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* source_read(): a stream has nothing at this offset yet. */
#define SOURCE_AGAIN	(-2)

enum source_kind { SOURCE_FILE = 0, SOURCE_SPOOL };

struct spool;
struct source_reader;

/* How a stream is spooled and checked; zero means default. */
struct source_conf {
	const char	*spool_dir;	/* --spool-dir; NULL: $TMPDIR */
	uint64_t	 spool_max;	/* --spool-max; 0: no limit */
	int		 hash;		/* --verify: compute the SHA-256 */
	int		 check_size;	/* --size was given */
	uint64_t	 size;
	const char	*sha256;	/* --sha256, or NULL */
};

struct source {
	enum source_kind kind;
	struct spool	*spool;		/* SOURCE_SPOOL */
	int		 fd;
	char		*path;		/* as given */
	char		*basename;	/* what "host:" and "host:dir/" name;
					   NULL for a stream */
	uint64_t	 size;
	mode_t		 mode;		/* permission bits */
	time_t		 mtime;
	long		 mtime_nsec;
	time_t		 atime;
	time_t		 ctime;		/* status change: moves on any write */
	long		 ctime_nsec;
	dev_t		 dev;		/* the file the path named at open */
	ino_t		 ino;
	char		 sha256[65];	/* hex, when computed; else "" */
	int		 unnamed;	/* adopted: no path to check */
};

/*
 * Open path as a source, never blocking (a FIFO fails at once).  Returns
 * 0, or -1 with a message in err (missing, unreadable, a directory, not a
 * regular file: a FIFO, a device or a socket).
 */
int	source_open(struct source *, const char *path, char *err,
	    size_t errlen);
/*
 * Open what the SOURCE operand names: "-" is stdin; a regular file is a
 * SOURCE_FILE; a FIFO (or a <(cmd) pipe), a character or block device is
 * a stream, spooled by a thread from now on, under conf.  A directory or
 * a socket is refused.  0, or -1 with err set.
 */
int	source_open_arg(struct source *, const char *arg,
	    const struct source_conf *conf, char *err, size_t errlen);
/* Spool stream fd (which the source now owns), named name in messages. */
int	source_open_stream(struct source *, int fd, const char *name,
	    const struct source_conf *conf, char *err, size_t errlen);
/* Is it a stream (SOURCE_SPOOL)? */
int	source_is_stream(const struct source *);
/* The base name for "host:" and "host:dir/"; NULL for a stream. */
const char *source_basename(const struct source *);
/* 1 with *size when the size is final (a file, a stream that ended). */
int	source_size(const struct source *, uint64_t *size);
/* Has a stream failed (read error, full spool, --size)?  1 and err. */
int	source_failed(const struct source *, char *err, size_t errlen);
/* The mode and times that -p and a new file's mode come from. */
void	source_meta(const struct source *, mode_t *mode, time_t *mtime,
	    time_t *atime);
/* The SHA-256 in hex once known (source_hash, a stream's end); or NULL. */
const char *source_sha256(const struct source *);
/*
 * A descriptor for one event loop that becomes readable when a stream
 * grows, ends or fails; -1 for a file.  Empty it with source_notified()
 * before looking again.
 */
int	source_subscribe(const struct source *);
void	source_unsubscribe(const struct source *, int fd);
void	source_notified(int fd);
/* n hosts will read from offset 0 (a stream frees what all have read). */
void	source_expect_readers(const struct source *, size_t n);
/* One host's reader, at offset 0. */
struct source_reader *source_reader_new(const struct source *);
/*
 * source_read() at off for this reader, which needs nothing before off
 * from now on.
 */
ssize_t	source_reader_read(struct source_reader *, uint64_t off, void *buf,
	    size_t len, char *err, size_t errlen);
void	source_reader_free(struct source_reader *);
/*
 * Serve the open regular file fd as src, named name in messages: a file
 * fanscp made itself and unlinked (a tree's archive), so no path is
 * checked for changes, only the file.  Takes fd; 0, or -1 and err.
 */
int	source_adopt(struct source *, int fd, const char *name, char *err,
	    size_t errlen);
/* The SHA-256 of a file's first len bytes, in hex.  0, or -1 and err. */
int	source_prefix_sha256(const struct source *, uint64_t len,
	    char hex[65], char *err, size_t errlen);
/*
 * A token that names the file (its device, inode, size, mtime and ctime)
 * together with tag: the same file, unchanged, gives the same token in
 * every run.  32 hex digits.
 */
void	source_identity(const struct source *, const char *tag, char tok[33]);
/* Compute src->sha256 by reading the whole file once.  0, or -1 and err. */
int	source_hash(struct source *, char *err, size_t errlen);
/*
 * Read up to len bytes at off.  Returns the count, which for a file is
 * short only at its end; 0 at the end; SOURCE_AGAIN when a stream has
 * not got that far yet; -1 with err set if the read fails, the file
 * shrank below its size at open, or the stream failed.
 */
ssize_t	source_read(const struct source *, uint64_t off, void *buf,
	    size_t len, char *err, size_t errlen);
/*
 * Has the file changed since it was opened: its size, mtime or ctime, or
 * the inode its path names (renamed over, removed)?  1 with a reason in err.
 * A stream never changes: 0.
 */
int	source_changed(const struct source *, char *err, size_t errlen);
/* Close and free what the source holds. */
void	source_close(struct source *);

#endif
