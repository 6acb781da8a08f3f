/*
 * The tree: a directory that -r sends, as one POSIX pax tar stream made
 * in process with libarchive.  The walk never follows a symlink: each
 * entry is opened relative to its directory's descriptor, with
 * O_NOFOLLOW, and checked to be what lstat saw, so every name in the
 * archive is a relative path made of the walk's own components (no
 * absolute name, no "..", nothing written through a symlink).  Symlinks
 * stay symlinks; device nodes, FIFOs and sockets are skipped with a
 * warning.  The root itself is not an entry: the remote side gives it
 * the source directory's mode (and times, with -p).
 *
 * Until streaming sources land, the archive is made into an unlinked temp
 * file in $TMPDIR, which the source then serves as a regular file
 * (source_adopt); it takes the archive's size on local disk meanwhile.
 */
#ifndef FANSCP_TREE_H
#define FANSCP_TREE_H

#include <stddef.h>
#include <stdint.h>

struct source;

/* What an archive holds. */
struct tree_stats {
	uint64_t	 files;		/* regular files */
	uint64_t	 dirs;		/* directories, the root not counted */
	uint64_t	 symlinks;
	uint64_t	 skipped;	/* devices, FIFOs, sockets */
	uint64_t	 bytes;		/* the regular files' contents */
};

/*
 * Write the tree under the open directory dirfd to fd as a pax archive;
 * name is the tree as the user gave it, for messages.  Skipped entries
 * are warned about with error().  Returns 0, or -1 with a message in err
 * (an unreadable entry, a file that changed while it was read, a write
 * error).
 */
int	tree_archive(int dirfd, const char *name, int fd,
	    struct tree_stats *st, char *err, size_t errlen);
/*
 * Open the directory path as src: archive it into an unlinked temp file
 * and adopt that, with the directory's base name, mode and times.
 * Returns 0, or -1 with a message in err.
 */
int	tree_source(struct source *src, const char *path, char *err,
	    size_t errlen);

/*
 * Several sources (paths[i], landing as names[i], distinct): one archive
 * whose top entries are them, each followed if a symlink: a regular file,
 * or with recursive a directory and all under it.  Anything else fails.
 * tree_set_source() adopts it as src, as tree_source() does.  0, or -1
 * with a message in err.
 */
int	tree_set_archive(char *const *paths, char *const *names, size_t n,
	    int recursive, int fd, struct tree_stats *st, char *err,
	    size_t errlen);
int	tree_set_source(struct source *src, char *const *paths,
	    char *const *names, size_t n, int recursive, char *err,
	    size_t errlen);
/* The name path lands as (DIR/NAME), xmalloc'd; NULL when none ("/"). */
char	*tree_set_name(const char *path);

#endif
