/*
 * The tree (-r): a directory walked with openat(2) and written as a pax
 * archive with libarchive.  See tree.h for the rules of the walk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "log.h"
#include "source.h"
#include "strmap.h"
#include "tree.h"
#include "unittest.h"
#include "xmalloc.h"

#define TREE_BUF	(1 << 20)	/* the read size for file contents */

struct walk {
	struct archive	*a;
	struct archive_entry *e;
	struct tree_stats *st;
	const char	*root;		/* as the user named it */
	char		*buf;
	char		*err;
	size_t		 errlen;
};

static int	walk_dir(struct walk *, int dirfd, const char *rel);
static int	walk_file_fd(struct walk *, int fd, const char *rel,
		    const struct stat *);
static int	walk_subdir_fd(struct walk *, int fd, const char *rel,
		    const struct stat *);

/* Fail the walk with a message about rel (under the root). */
static int
walk_fail(struct walk *w, const char *rel, const char *why)
{
	size_t n = strlen(w->root);

	snprintf(w->err, w->errlen, "'%s%s%s': %s", w->root,
	    n > 0 && w->root[n - 1] == '/' ? "" : "/", rel, why);
	return -1;
}

/* The archive's own error, after a libarchive call failed. */
static int
walk_afail(struct walk *w)
{
	snprintf(w->err, w->errlen, "cannot write the archive of '%s': %s",
	    w->root, archive_error_string(w->a) ? archive_error_string(w->a) :
	    "unknown error");
	return -1;
}

/*
 * The header of entry rel.  Only what tar -x uses is recorded: type,
 * permissions, the mtime, size, owner ids, the link target.  The mtime
 * is whole seconds (as scp -p keeps it): a fraction would cost a pax
 * extended header, 1 KiB more, on every entry.  A name that libarchive
 * cannot convert to UTF-8 (it is not UTF-8, or the locale is C) goes in
 * as bytes, marked hdrcharset=BINARY, with a warning we do not need.
 */
static int
walk_header(struct walk *w, const char *rel, const struct stat *sb,
    const char *target)
{
	struct archive_entry *e = w->e;

	archive_entry_clear(e);
	archive_entry_copy_pathname(e, rel);
	archive_entry_set_filetype(e, sb->st_mode & S_IFMT);
	archive_entry_set_perm(e, sb->st_mode & 07777);
	archive_entry_set_uid(e, sb->st_uid);
	archive_entry_set_gid(e, sb->st_gid);
	archive_entry_set_mtime(e, sb->st_mtim.tv_sec, 0);
	archive_entry_set_size(e, S_ISREG(sb->st_mode) ? sb->st_size : 0);
	if (target != NULL)
		archive_entry_copy_symlink(e, target);
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return walk_afail(w);
	return 0;
}

/* Is the open file fd still what lstat saw as sb? */
static int
same_file(int fd, const struct stat *sb, struct stat *now)
{
	return fstat(fd, now) == 0 && now->st_dev == sb->st_dev &&
	    now->st_ino == sb->st_ino &&
	    (now->st_mode & S_IFMT) == (sb->st_mode & S_IFMT);
}

/*
 * A regular file: its header with the size lstat gave, then exactly that
 * many bytes.  A file that shrinks, grows or is rewritten meanwhile fails
 * the archive: what is sent must be one state of the file.
 */
static int
walk_file(struct walk *w, int dirfd, const char *name, const char *rel,
    const struct stat *sb)
{
	struct stat now;
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return walk_fail(w, rel, strerror(errno));
	if (!same_file(fd, sb, &now))
		rc = walk_fail(w, rel, "changed while being archived");
	else
		rc = walk_file_fd(w, fd, rel, sb);
	close(fd);
	return rc;
}

/* The open regular file fd, which is what sb says, as entry rel. */
static int
walk_file_fd(struct walk *w, int fd, const char *rel, const struct stat *sb)
{
	struct stat now;
	off_t left = sb->st_size;
	ssize_t n;

	if (walk_header(w, rel, sb, NULL) != 0)
		return -1;
	while (left > 0) {
		n = read(fd, w->buf, left < TREE_BUF ? (size_t)left : TREE_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return walk_fail(w, rel, n < 0 ? strerror(errno) :
			    "shrank while being archived");
		if (archive_write_data(w->a, w->buf, (size_t)n) != n)
			return walk_afail(w);
		left -= n;
	}
	if (fstat(fd, &now) != 0 || now.st_size != sb->st_size ||
	    now.st_mtim.tv_sec != sb->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != sb->st_mtim.tv_nsec)
		return walk_fail(w, rel, "changed while being archived");
	w->st->files++;
	w->st->bytes += (uint64_t)sb->st_size;
	return 0;
}

static int
walk_symlink(struct walk *w, int dirfd, const char *name, const char *rel,
    const struct stat *sb)
{
	char target[PATH_MAX + 1];
	ssize_t n;

	n = readlinkat(dirfd, name, target, sizeof(target));
	if (n < 0)
		return walk_fail(w, rel, strerror(errno));
	if ((size_t)n >= sizeof(target))
		return walk_fail(w, rel, "symbolic link target too long");
	target[n] = '\0';
	w->st->symlinks++;
	return walk_header(w, rel, sb, target);
}

/*
 * A subdirectory: its entry, its own entries (it is opened without
 * following), and its entry again.  The first one is writable for its
 * owner, so that a tar that applies a directory's mode at once (BusyBox)
 * can still unpack a read-only directory's files into it; the second
 * sets the real mode and times after the files changed them, for tars
 * that do not defer this to the end themselves as GNU tar and bsdtar do.
 */
static int
walk_subdir(struct walk *w, int dirfd, const char *name, const char *rel,
    const struct stat *sb)
{
	struct stat now;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return walk_fail(w, rel, strerror(errno));
	if (!same_file(fd, sb, &now)) {
		close(fd);
		return walk_fail(w, rel, "changed while being archived");
	}
	return walk_subdir_fd(w, fd, rel, sb);
}

/* The open directory fd (taken), which is what sb says, as entry rel. */
static int
walk_subdir_fd(struct walk *w, int fd, const char *rel, const struct stat *sb)
{
	struct stat open_sb = *sb;

	open_sb.st_mode |= S_IRWXU;
	if (walk_header(w, rel, &open_sb, NULL) != 0) {
		close(fd);
		return -1;
	}
	w->st->dirs++;
	if (walk_dir(w, fd, rel) != 0)	/* takes fd */
		return -1;
	return walk_header(w, rel, sb, NULL);
}

/* What a skipped entry is. */
static const char *
special_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a file, directory or symbolic link";
}

/* One directory entry, by its type as lstat sees it. */
static int
walk_entry(struct walk *w, int dirfd, const char *name, const char *rel)
{
	struct stat sb;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return walk_fail(w, rel, strerror(errno));
	if (S_ISREG(sb.st_mode))
		return walk_file(w, dirfd, name, rel, &sb);
	if (S_ISDIR(sb.st_mode))
		return walk_subdir(w, dirfd, name, rel, &sb);
	if (S_ISLNK(sb.st_mode))
		return walk_symlink(w, dirfd, name, rel, &sb);
	error("skipping '%s/%s': %s", w->root, rel, special_kind(sb.st_mode));
	w->st->skipped++;
	return 0;
}

/*
 * The entries of the directory open as fd (taken, and closed), named
 * rel in the archive ("" for the root), in readdir order.  A name that
 * readdir returns twice (the directory changing under the walk) goes in
 * once: so no name can be a symlink in one entry and a directory that
 * later entries go through in another.
 */
static int
walk_dir(struct walk *w, int fd, const char *rel)
{
	struct strmap *seen = strmap_new();
	struct dirent *de;
	DIR *d = fdopendir(fd);
	char *sub;
	int rc = 0;

	if (d == NULL) {
		close(fd);
		strmap_free(seen);
		return walk_fail(w, *rel ? rel : ".", strerror(errno));
	}
	for (errno = 0; rc == 0 && (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (*strmap_slot(seen, de->d_name))++ > 0)
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		rc = walk_entry(w, dirfd(d), de->d_name, sub);
		free(sub);
	}
	if (rc == 0 && errno != 0)
		rc = walk_fail(w, *rel ? rel : ".", strerror(errno));
	closedir(d);
	strmap_free(seen);
	return rc;
}

/* A pax writer on fd: long blocks, no padding after the end marker. */
static struct archive *
tree_writer(int fd)
{
	struct archive *a = archive_write_new();

	if (a == NULL)
		fatal("out of memory");
	if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		archive_write_free(a);
		return NULL;
	}
	return a;
}

int
tree_archive(int dirfd, const char *name, int fd, struct tree_stats *st,
    char *err, size_t errlen)
{
	struct walk w;
	int rc, dfd;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.root = name;
	w.err = err;
	w.errlen = errlen;
	/* An open file of its own: readdir must start at the beginning. */
	if ((dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot archive '%s': %s", name,
		    strerror(errno));
		return -1;
	}
	if ((w.a = tree_writer(fd)) == NULL) {
		close(dfd);
		snprintf(err, errlen, "cannot start the archive of '%s'", name);
		return -1;
	}
	w.e = archive_entry_new();
	w.buf = xmalloc(TREE_BUF);
	rc = walk_dir(&w, dfd, "");
	if (archive_write_close(w.a) != ARCHIVE_OK && rc == 0)
		rc = walk_afail(&w);
	archive_entry_free(w.e);
	archive_write_free(w.a);
	free(w.buf);
	return rc;
}

/* An unlinked temp file in $TMPDIR (else /tmp), or -1 with err. */
STATIC int
tree_tempfile(char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* No O_TMPFILE on this filesystem: a named file, unlinked at once. */
	path = xasprintf("%s/fanscp-tree.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	else
		snprintf(err, errlen, "cannot create a temp file in '%s': %s",
		    dir, strerror(errno));
	free(path);
	return fd;
}

/*
 * The name the tree lands as: the last component of path, or for "." and
 * ".." (and "dir/..") that of the directory they stand for.  NULL when
 * there is none ("/").
 */
STATIC char *
tree_name(const char *path)
{
	size_t len = strlen(path);
	const char *b;
	char *name, *real;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (b = path + len; b > path && b[-1] != '/'; b--)
		;
	name = xstrndup(b, (size_t)(path + len - b));
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		free(name);
		name = NULL;
		if ((real = realpath(path, NULL)) != NULL &&
		    (b = strrchr(real, '/')) != NULL && b[1] != '\0')
			name = xstrdup(b + 1);
		free(real);
	}
	if (name != NULL && (*name == '\0' || strchr(name, '/') != NULL)) {
		free(name);
		name = NULL;
	}
	return name;
}

/*
 * The archive takes the directory's mode and times, so that the source
 * built on it reports them (and its change checks keep holding).
 */
static int
tree_stamp(int fd, const struct stat *dir)
{
	struct timespec ts[2] = { dir->st_atim, dir->st_mtim };

	return fchmod(fd, dir->st_mode & 07777) == 0 &&
	    futimens(fd, ts) == 0 ? 0 : -1;
}

int
tree_source(struct source *src, const char *path, char *err, size_t errlen)
{
	struct tree_stats st;
	struct stat sb;
	char *name;
	int dfd, fd;

	if ((name = tree_name(path)) == NULL) {
		snprintf(err, errlen, "'%s' has no name for the tree to land "
		    "as", path);
		return -1;
	}
	err[0] = '\0';
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &sb) != 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((fd = tree_tempfile(err, errlen)) < 0)
		goto fail;
	if (tree_archive(dfd, path, fd, &st, err, errlen) != 0 ||
	    tree_stamp(fd, &sb) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot archive '%s': %s", path,
			    strerror(errno));
		close(fd);
		goto fail;
	}
	close(dfd);
	verbose("'%s': %llu files, %llu directories, %llu symbolic links, "
	    "%llu skipped", path, (unsigned long long)st.files,
	    (unsigned long long)st.dirs, (unsigned long long)st.symlinks,
	    (unsigned long long)st.skipped);
	if (source_adopt(src, fd, path, err, errlen) != 0) {
		free(name);
		return -1;
	}
	free(src->basename);
	src->basename = name;
	return 0;
fail:
	if (dfd >= 0)
		close(dfd);
	free(name);
	return -1;
}

/*
 * The set: several sources as the top entries of one archive, each under
 * its name.  A source is followed if it is a symlink, as scp follows a
 * named source; below it, the walk follows none.
 */

/* What contains path's last component, for messages: "." if nothing. */
static char *
set_parent(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	while (len > 1 && path[len - 1] == '/')
		len--;
	return len == 0 ? xstrdup(".") : xstrndup(path, len);
}

/* One source as the entry name: a regular file, or a directory (-r). */
static int
set_entry(struct walk *w, const char *path, const char *name, int recursive)
{
	struct stat sb;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(w->err, w->errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(sb.st_mode) && recursive) {
		w->st->dirs++;
		return walk_subdir_fd(w, fd, name, &sb);	/* takes fd */
	}
	if (S_ISREG(sb.st_mode))
		rc = walk_file_fd(w, fd, name, &sb);
	else {
		snprintf(w->err, w->errlen, "'%s': %s", path,
		    S_ISDIR(sb.st_mode) ? "is a directory (-r copies it)" :
		    "not a regular file");
		rc = -1;
	}
	close(fd);
	return rc;
}

int
tree_set_archive(char *const *paths, char *const *names, size_t n,
    int recursive, int fd, struct tree_stats *st, char *err, size_t errlen)
{
	struct walk w;
	size_t i;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.err = err;
	w.errlen = errlen;
	if ((w.a = tree_writer(fd)) == NULL) {
		snprintf(err, errlen, "cannot start the archive of the sources");
		return -1;
	}
	w.e = archive_entry_new();
	w.buf = xmalloc(TREE_BUF);
	for (i = 0; i < n && rc == 0; i++) {
		char *parent = set_parent(paths[i]);

		w.root = parent;
		rc = set_entry(&w, paths[i], names[i], recursive);
		free(parent);
	}
	w.root = "the sources";
	if (archive_write_close(w.a) != ARCHIVE_OK && rc == 0)
		rc = walk_afail(&w);
	archive_entry_free(w.e);
	archive_write_free(w.a);
	free(w.buf);
	return rc;
}

int
tree_set_source(struct source *src, char *const *paths, char *const *names,
    size_t n, int recursive, char *err, size_t errlen)
{
	struct tree_stats st;
	int fd;

	err[0] = '\0';
	if ((fd = tree_tempfile(err, errlen)) < 0)
		return -1;
	if (tree_set_archive(paths, names, n, recursive, fd, &st, err,
	    errlen) != 0) {
		close(fd);
		return -1;
	}
	verbose("%zu sources: %llu files, %llu directories, %llu symbolic "
	    "links, %llu skipped", n, (unsigned long long)st.files,
	    (unsigned long long)st.dirs, (unsigned long long)st.symlinks,
	    (unsigned long long)st.skipped);
	if (source_adopt(src, fd, paths[0], err, errlen) != 0)
		return -1;
	/* The sources have their own modes, in the archive: none here. */
	src->mode = 0;
	free(src->basename);
	src->basename = xstrdup("");
	return 0;
}

char *
tree_set_name(const char *path)
{
	return tree_name(path);
}
