/*
 * The source: one regular file, opened once and read at any offset with
 * pread(2), so each host reads at its own pace from one descriptor (and
 * one page cache) instead of re-reading the file per host.  Its size,
 * times and inode are fixed at open; a file that changes while it is sent
 * is detected and never committed.
 */
#ifndef FANSCP_SOURCE_H
#define FANSCP_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct source {
	int		 fd;
	char		*path;		/* as given */
	char		*basename;	/* what "host:" and "host:dir/" name */
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
 * Serve the open regular file fd as src, named name in messages: a file
 * fanscp made itself and unlinked (a tree's archive), so no path is
 * checked for changes, only the file.  Takes fd; 0, or -1 and err.
 */
int	source_adopt(struct source *, int fd, const char *name, char *err,
	    size_t errlen);
/* Compute src->sha256 by reading the whole file once.  0, or -1 and err. */
int	source_hash(struct source *, char *err, size_t errlen);
/*
 * Read up to len bytes at off.  Returns the count, which is short only at
 * the end of the file; -1 with err set if the read fails or the file
 * shrank below its size at open.
 */
ssize_t	source_read(const struct source *, uint64_t off, void *buf,
	    size_t len, char *err, size_t errlen);
/*
 * Has the file changed since it was opened: its size, mtime or ctime, or
 * the inode its path names (renamed over, removed)?  1 with a reason in err.
 */
int	source_changed(const struct source *, char *err, size_t errlen);
/* Close and free what the source holds. */
void	source_close(struct source *);

#endif
