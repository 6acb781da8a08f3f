/*
 * The source: a file opened once and read with pread at each host's
 * offset, or a stream spooled by spool.c and read from there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "source.h"
#include "spool.h"
#include "xmalloc.h"

static char *
path_basename(const char *path)
{
	size_t len = strlen(path);
	const char *b;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (b = path + len; b > path && b[-1] != '/'; b--)
		;
	return xstrndup(b, path + len - b);
}

/*
 * Open without blocking (a FIFO would wait for a writer), then judge what
 * was opened: fstat after open is what counts, not a stat before it.
 */
static int
source_open_fd(const char *path, struct stat *st, int streams, char *err,
    size_t errlen)
{
	struct stat lst;
	int fd;

	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENXIO && stat(path, &lst) == 0 &&
	    S_ISSOCK(lst.st_mode)) {
		snprintf(err, errlen, "'%s': not a regular file (a socket)",
		    path);
		return -1;
	}
	if (fd < 0 || fstat(fd, st) < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (streams && (S_ISFIFO(st->st_mode) || S_ISCHR(st->st_mode) ||
	    S_ISBLK(st->st_mode)))
		return fd;	/* a stream: kept non-blocking, see spool.c */
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "'%s': %s", path, S_ISDIR(st->st_mode) ?
		    "is a directory (fanscp copies one file)" :
		    S_ISFIFO(st->st_mode) ? "not a regular file (a FIFO)" :
		    S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ?
		    "not a regular file (a device)" : "not a regular file");
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Fill in a file source from its open descriptor. */
static void
source_set_file(struct source *src, const char *path, const struct stat *st)
{
	src->path = xstrdup(path);
	src->basename = path_basename(path);
	src->size = (uint64_t)st->st_size;
	src->mode = st->st_mode & 07777;
	src->mtime = st->st_mtim.tv_sec;
	src->mtime_nsec = st->st_mtim.tv_nsec;
	src->ctime = st->st_ctim.tv_sec;
	src->ctime_nsec = st->st_ctim.tv_nsec;
	src->atime = st->st_atim.tv_sec;
	src->dev = st->st_dev;
	src->ino = st->st_ino;
}

int
source_open(struct source *src, const char *path, char *err, size_t errlen)
{
	struct stat st;

	memset(src, 0, sizeof(*src));
	if ((src->fd = source_open_fd(path, &st, 0, err, errlen)) < 0)
		return -1;
	source_set_file(src, path, &st);
	return 0;
}

int
source_adopt(struct source *src, int fd, const char *name, char *err,
    size_t errlen)
{
	struct stat st;

	memset(src, 0, sizeof(*src));
	src->fd = -1;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot use the archive of '%s': %s",
		    name, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot use the archive of '%s': not a "
		    "regular file", name);
		close(fd);
		return -1;
	}
	src->fd = fd;
	src->unnamed = 1;
	source_set_file(src, name, &st);
	return 0;
}

/*
 * A stream has no name, mode or times of its own: its copies get what a
 * local "cat > file" would (0666 less the umask), and the time it was
 * opened.
 */
int
source_open_stream(struct source *src, int fd, const char *name,
    const struct source_conf *conf, char *err, size_t errlen)
{
	struct spool_conf sc;
	mode_t um = umask(022);

	umask(um);
	memset(src, 0, sizeof(*src));
	memset(&sc, 0, sizeof(sc));
	sc.dir = conf->spool_dir;
	sc.max = conf->spool_max;
	sc.hash = conf->hash;
	sc.check_size = conf->check_size;
	sc.size = conf->size;
	sc.sha256 = conf->sha256;
	src->kind = SOURCE_SPOOL;
	src->fd = -1;
	if ((src->spool = spool_new(fd, name, &sc, err, errlen)) == NULL)
		return -1;
	src->path = xstrdup(name);
	src->mode = 0666 & ~um;
	src->mtime = src->atime = src->ctime = time(NULL);
	return 0;
}

int
source_open_arg(struct source *src, const char *arg,
    const struct source_conf *conf, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (strcmp(arg, "-") == 0) {
		/* A copy, so that fd 0 stays open (and blocking) as it was. */
		if ((fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) < 0) {
			snprintf(err, errlen, "cannot read stdin: %s",
			    strerror(errno));
			return -1;
		}
		return source_open_stream(src, fd, "stdin", conf, err,
		    errlen);
	}
	memset(src, 0, sizeof(*src));
	src->fd = -1;
	if ((fd = source_open_fd(arg, &st, 1, err, errlen)) < 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return source_open_stream(src, fd, arg, conf, err, errlen);
	src->fd = fd;
	source_set_file(src, arg, &st);
	return 0;
}

int
source_is_stream(const struct source *src)
{
	return src->kind == SOURCE_SPOOL;
}

const char *
source_basename(const struct source *src)
{
	return src->basename;
}

int
source_size(const struct source *src, uint64_t *size)
{
	if (src->kind == SOURCE_SPOOL)
		return spool_ended(src->spool, size);
	*size = src->size;
	return 1;
}

int
source_failed(const struct source *src, char *err, size_t errlen)
{
	return src->kind == SOURCE_SPOOL &&
	    spool_failed(src->spool, err, errlen);
}

void
source_meta(const struct source *src, mode_t *mode, time_t *mtime,
    time_t *atime)
{
	*mode = src->mode;
	*mtime = src->mtime;
	*atime = src->atime;
}

const char *
source_sha256(const struct source *src)
{
	if (src->kind == SOURCE_SPOOL)
		return spool_sha256(src->spool);
	return src->sha256[0] != '\0' ? src->sha256 : NULL;
}

int
source_subscribe(const struct source *src)
{
	return src->kind == SOURCE_SPOOL ? spool_subscribe(src->spool) : -1;
}

void
source_unsubscribe(const struct source *src, int fd)
{
	if (src->kind == SOURCE_SPOOL && fd >= 0)
		spool_unsubscribe(src->spool, fd);
}

void
source_notified(int fd)
{
	spool_notified(fd);
}

void
source_expect_readers(const struct source *src, size_t n)
{
	if (src->kind == SOURCE_SPOOL)
		spool_expect_readers(src->spool, n);
}

struct source_reader {
	const struct source	*src;
	struct spool_reader	*r;	/* a stream's */
};

struct source_reader *
source_reader_new(const struct source *src)
{
	struct source_reader *r = xcalloc(1, sizeof(*r));

	r->src = src;
	if (src->kind == SOURCE_SPOOL)
		r->r = spool_reader_new(src->spool);
	return r;
}

ssize_t
source_reader_read(struct source_reader *r, uint64_t off, void *buf,
    size_t len, char *err, size_t errlen)
{
	spool_reader_at(r->r, off);
	return source_read(r->src, off, buf, len, err, errlen);
}

void
source_reader_free(struct source_reader *r)
{
	if (r == NULL)
		return;
	spool_reader_free(r->r);
	free(r);
}

int
source_prefix_sha256(const struct source *src, uint64_t len, char hex[65],
    char *err, size_t errlen)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32], *buf = xmalloc(1 << 20);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t off = 0;
	int i, rc = -1;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		snprintf(err, errlen, "cannot hash '%s'", src->path);
		goto out;
	}
	while (off < len) {
		size_t want = len - off < (1 << 20) ? (size_t)(len - off) :
		    (1 << 20);
		ssize_t n = source_read(src, off, buf, want, err, errlen);

		if (n < 0)
			goto out;
		if (n == 0) {
			snprintf(err, errlen, "'%s' is shorter than %llu bytes",
			    src->path, (unsigned long long)len);
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

int
source_hash(struct source *src, char *err, size_t errlen)
{
	return source_prefix_sha256(src, src->size, src->sha256, err, errlen);
}

ssize_t
source_read(const struct source *src, uint64_t off, void *buf, size_t len,
    char *err, size_t errlen)
{
	ssize_t n;

	if (src->kind == SOURCE_SPOOL)
		return spool_read(src->spool, off, buf, len, err, errlen);
	if (off >= src->size)
		return 0;
	if (len > src->size - off)
		len = (size_t)(src->size - off);
	do
		n = pread(src->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", src->path,
		    strerror(errno));
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "source '%s' shrank while being sent",
		    src->path);
		return -1;
	}
	return n;
}

/* Does the name still lead to the file opened? */
static int
source_name_changed(const struct source *src, char *err, size_t errlen)
{
	struct stat st;

	if (src->kind == SOURCE_SPOOL)
		return 0;
	if (stat(src->path, &st) < 0) {
		snprintf(err, errlen, "source '%s' (%s) changed while being "
		    "sent", src->path, strerror(errno));
		return 1;
	}
	if (st.st_dev != src->dev || st.st_ino != src->ino) {
		snprintf(err, errlen, "source '%s' (now another file) changed "
		    "while being sent", src->path);
		return 1;
	}
	return 0;
}

/*
 * The name (unless the file was adopted: it has none), then the open
 * file's size and times: a file renamed over the name is another inode,
 * and an in-place rewrite that keeps the size and puts the mtime back
 * still moves the ctime.
 */
int
source_changed(const struct source *src, char *err, size_t errlen)
{
	struct stat st;

	if (src->kind == SOURCE_SPOOL)
		return 0;
	if (!src->unnamed && source_name_changed(src, err, errlen))
		return 1;
	if (fstat(src->fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat '%s': %s", src->path,
		    strerror(errno));
		return 1;
	}
	if ((uint64_t)st.st_size != src->size ||
	    st.st_mtim.tv_sec != src->mtime ||
	    st.st_mtim.tv_nsec != src->mtime_nsec ||
	    st.st_ctim.tv_sec != src->ctime ||
	    st.st_ctim.tv_nsec != src->ctime_nsec) {
		snprintf(err, errlen, "source '%s' changed while being sent",
		    src->path);
		return 1;
	}
	return 0;
}

void
source_close(struct source *src)
{
	if (src->fd >= 0)
		close(src->fd);
	src->fd = -1;
	spool_free(src->spool);
	src->spool = NULL;
	free(src->path);
	free(src->basename);
	src->path = src->basename = NULL;
}

void
source_identity(const struct source *src, const char *tag, char tok[33])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	char *id;
	int i;

	id = xasprintf("fanscp-resume %llu %llu %llu %lld.%09ld %lld.%09ld %s",
	    (unsigned long long)src->dev, (unsigned long long)src->ino,
	    (unsigned long long)src->size, (long long)src->mtime,
	    src->mtime_nsec, (long long)src->ctime, src->ctime_nsec, tag);
	EVP_Digest(id, strlen(id), md, NULL, EVP_sha256(), NULL);
	free(id);
	for (i = 0; i < 16; i++) {
		tok[2 * i] = digits[md[i] >> 4];
		tok[2 * i + 1] = digits[md[i] & 15];
	}
	tok[32] = '\0';
}
