/*
 * Tests for the tree archiver (-r): what the archive holds, read back with
 * libarchive; that its names are safe (relative, no "..", nothing through
 * a symlink); what is skipped; and the source made of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "log.h"
#include "source.h"
#include "tree.h"

int	tree_tempfile(char *, size_t);

static char	topdir[PATH_MAX];
static char	tmpdir[64];

/* One entry read back: name, type, link target, contents. */
struct ent {
	char	 name[256];
	mode_t	 type;
	mode_t	 perm;
	char	 target[256];
	char	 data[64];
	size_t	 len;
};

static struct ent	ents[64];
static size_t		nents;

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	chmod(path, 0700);
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	umask(022);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fanscp-tree.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(chdir(tmpdir), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	assert_int_equal(chdir(topdir), 0);
	nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void
put(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int	read_back(FILE *, int);

/* Archive dir into a temp file and read every entry back into ents. */
static int
archive_and_read(const char *dir, struct tree_stats *st, char *err,
    size_t errlen)
{
	FILE *f = tmpfile();
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), rc;

	assert_non_null(f);
	assert_true(dfd >= 0);
	rc = tree_archive(dfd, dir, fileno(f), st, err, errlen);
	close(dfd);
	return read_back(f, rc);
}

/* Read the archive in f back into ents, unless rc says it failed. */
static int
read_back(FILE *f, int rc)
{
	struct archive *a;
	struct archive_entry *e;

	nents = 0;
	if (rc != 0) {
		fclose(f);
		return rc;
	}
	lseek(fileno(f), 0, SEEK_SET);
	a = archive_read_new();
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_fd(a, fileno(f), 10240),
	    ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		struct ent *x = &ents[nents++];
		ssize_t n;

		assert_true(nents < 64);
		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "%s",
		    archive_entry_pathname(e));
		x->type = archive_entry_filetype(e);
		x->perm = archive_entry_perm(e);
		if (archive_entry_symlink(e) != NULL)
			snprintf(x->target, sizeof(x->target), "%s",
			    archive_entry_symlink(e));
		n = archive_read_data(a, x->data, sizeof(x->data));
		x->len = n > 0 ? (size_t)n : 0;
	}
	archive_read_free(a);
	fclose(f);
	return 0;
}

/* The entry named name (a directory's last one), or NULL. */
static const struct ent *
find(const char *name)
{
	const struct ent *hit = NULL;
	size_t i, n = strlen(name);

	for (i = 0; i < nents; i++)
		if (strcmp(ents[i].name, name) == 0 ||
		    (strncmp(ents[i].name, name, n) == 0 &&
		    strcmp(ents[i].name + n, "/") == 0))
			hit = &ents[i];
	return hit;
}

/* Every name is relative, with no "." or ".." component. */
static void
assert_safe_names(void)
{
	size_t i;

	for (i = 0; i < nents; i++) {
		const char *p = ents[i].name;

		assert_true(p[0] != '/' && p[0] != '\0');
		assert_null(strstr(p, "/../"));
		assert_null(strstr(p, "/./"));
		assert_true(strncmp(p, "../", 3) != 0 && strcmp(p, "..") != 0);
		assert_true(strncmp(p, "./", 2) != 0 && strcmp(p, ".") != 0);
	}
}

/* Files, directories (empty too), symlinks and odd names, as they are. */
static void
test_contents(void **state)
{
	static const char *const odd[] = { "with space", "new\nline", "-dash",
	    "it's", "$(touch pwned)", "\xff\xfe bytes", "*" };
	struct tree_stats st;
	const struct ent *x;
	char err[512];
	size_t i;

	(void)state;
	assert_int_equal(mkdir("t", 0755), 0);
	assert_int_equal(mkdir("t/sub", 0750), 0);
	assert_int_equal(mkdir("t/sub/empty", 0700), 0);
	assert_int_equal(mkdir("t/ro", 0755), 0);
	put("t/sub/f", "nested", 0640);
	put("t/ro/f", "in ro", 0444);
	assert_int_equal(chmod("t/ro", 0555), 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "t/%s", odd[i]);
		put(p, odd[i], 0755);
	}
	assert_int_equal(symlink("/etc/passwd", "t/abs"), 0);
	assert_int_equal(symlink("../../up", "t/sub/up"), 0);
	assert_int_equal(archive_and_read("t", &st, err, sizeof(err)), 0);
	assert_safe_names();
	assert_int_equal(st.files, 2 + sizeof(odd) / sizeof(odd[0]));
	assert_int_equal(st.dirs, 3);
	assert_int_equal(st.symlinks, 2);
	assert_int_equal(st.skipped, 0);
	x = find("sub/f");
	assert_non_null(x);
	assert_int_equal(x->type, AE_IFREG);
	assert_int_equal(x->perm, 0640);
	assert_int_equal(x->len, 6);
	assert_memory_equal(x->data, "nested", 6);
	x = find("sub/empty");
	assert_non_null(x);
	assert_int_equal(x->type, AE_IFDIR);
	assert_int_equal(x->perm, 0700);
	/* A read-only directory: writable first, then its own mode. */
	x = find("ro");
	assert_non_null(x);
	assert_int_equal(x->perm, 0555);
	assert_int_equal(ents[0].type == AE_IFDIR || ents[0].type == AE_IFREG ||
	    ents[0].type == AE_IFLNK, 1);
	x = find("abs");
	assert_int_equal(x->type, AE_IFLNK);
	assert_string_equal(x->target, "/etc/passwd");
	x = find("sub/up");
	assert_string_equal(x->target, "../../up");
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		x = find(odd[i]);
		assert_non_null(x);
		assert_int_equal(x->len, strlen(odd[i]));
		assert_memory_equal(x->data, odd[i], x->len);
	}
}

/* A directory entry comes before its files, and again after them. */
static void
test_dir_twice(void **state)
{
	struct tree_stats st;
	char err[512];

	(void)state;
	assert_int_equal(mkdir("t", 0755), 0);
	assert_int_equal(mkdir("t/d", 0500), 0);
	assert_int_equal(archive_and_read("t", &st, err, sizeof(err)), 0);
	assert_int_equal(nents, 2);
	assert_int_equal(ents[0].perm, 0700);
	assert_int_equal(ents[1].perm, 0500);
	assert_int_equal(chmod("t/d", 0700), 0);
}

/*
 * A symlink to a directory outside the tree is a symlink in the archive:
 * nothing is read through it, and no name goes through it.
 */
static void
test_symlink_not_followed(void **state)
{
	struct tree_stats st;
	const struct ent *x;
	char err[512], target[PATH_MAX];
	size_t i;

	(void)state;
	assert_int_equal(mkdir("outside", 0755), 0);
	put("outside/secret", "secret", 0644);
	assert_int_equal(mkdir("t", 0755), 0);
	snprintf(target, sizeof(target), "%s/outside", tmpdir);
	assert_int_equal(symlink(target, "t/evil"), 0);
	assert_int_equal(symlink("../outside", "t/rel"), 0);
	assert_int_equal(archive_and_read("t", &st, err, sizeof(err)), 0);
	assert_int_equal(nents, 2);
	x = find("evil");
	assert_int_equal(x->type, AE_IFLNK);
	assert_int_equal(x->len, 0);
	for (i = 0; i < nents; i++)
		assert_null(strstr(ents[i].name, "secret"));
	assert_int_equal(st.files, 0);
}

/* FIFOs and sockets are skipped with a warning; the rest goes. */
static void
test_special_skipped(void **state)
{
	struct sockaddr_un sun;
	struct tree_stats st;
	char err[512];
	int s;

	(void)state;
	assert_int_equal(mkdir("t", 0755), 0);
	assert_int_equal(mkfifo("t/fifo", 0644), 0);
	put("t/f", "x", 0644);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "t/sock");
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(archive_and_read("t", &st, err, sizeof(err)), 0);
	close(s);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(nents, 1);
	assert_string_equal(ents[0].name, "f");
}

/* An unreadable file fails the archive, naming it. */
static void
test_unreadable(void **state)
{
	struct tree_stats st;
	char err[512];

	(void)state;
	if (geteuid() == 0)
		skip();
	assert_int_equal(mkdir("t", 0755), 0);
	put("t/f", "x", 0000);
	assert_int_equal(archive_and_read("t", &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'t/f': Permission denied"));
}

/*
 * The source: the archive, unlinked, with the directory's name, mode and
 * times; not "changed" afterwards; "." is named after the directory.
 */
static void
test_source(void **state)
{
	struct source src;
	struct stat sb;
	char err[512];

	(void)state;
	assert_int_equal(mkdir("my tree", 0751), 0);
	put("my tree/f", "abc", 0644);
	assert_int_equal(system("touch -d '2001-02-03 04:05:06Z' 'my tree'"),
	    0);
	assert_int_equal(stat("my tree", &sb), 0);
	assert_int_equal(tree_source(&src, "my tree/", err, sizeof(err)), 0);
	assert_string_equal(src.basename, "my tree");
	assert_int_equal(src.mode, 0751);
	assert_int_equal(src.mtime, 981173106);
	assert_true(src.size >= 2048 && src.size % 512 == 0);
	assert_int_equal(source_changed(&src, err, sizeof(err)), 0);
	assert_int_equal(source_hash(&src, err, sizeof(err)), 0);
	source_close(&src);
	assert_int_equal(chdir("my tree"), 0);
	assert_int_equal(tree_source(&src, ".", err, sizeof(err)), 0);
	assert_string_equal(src.basename, "my tree");
	source_close(&src);
	assert_int_equal(chdir(".."), 0);
	/* "/" has no name: refused before anything is read. */
	assert_int_equal(tree_source(&src, "/", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'/' has no name"));
	assert_int_equal(tree_source(&src, "missing", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open 'missing'"));
}

/* No temp directory: a clear error. */
static void
test_tempfile(void **state)
{
	char err[512];
	int fd;

	(void)state;
	setenv("TMPDIR", "/nonexistent/fanscp", 1);
	fd = tree_tempfile(err, sizeof(err));
	unsetenv("TMPDIR");
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "cannot create a temp file in "
	    "'/nonexistent/fanscp'"));
	fd = tree_tempfile(err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
}

/*
 * Several sources: each a top entry under the name given, a symlink
 * source followed, a directory only with recursive, its insides as -r's.
 */
static void
test_set(void **state)
{
	char *paths[] = { "x/a", "ln", "d" }, *names[] = { "a", "ln", "d" };
	struct tree_stats st;
	const struct ent *x;
	char err[256], *name;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir("x", 0755), 0);
	assert_int_equal(mkdir("d", 0750), 0);
	put("x/a", "aaa", 0640);
	put("b", "bee", 0604);
	put("d/in", "inside", 0600);
	assert_int_equal(symlink("b", "ln"), 0);
	assert_int_equal(symlink("in", "d/l"), 0);
	assert_non_null(f = tmpfile());
	assert_int_equal(read_back(f, tree_set_archive(paths, names, 3, 1,
	    fileno(f), &st, err, sizeof(err))), 0);
	assert_safe_names();
	assert_non_null(x = find("a"));
	assert_true(x->type == AE_IFREG && x->perm == 0640);
	assert_memory_equal(x->data, "aaa", 3);
	assert_non_null(x = find("ln"));
	assert_true(x->type == AE_IFREG && x->perm == 0604);
	assert_memory_equal(x->data, "bee", 3);
	assert_non_null(x = find("d"));
	assert_true(x->type == AE_IFDIR && x->perm == 0750);
	assert_non_null(x = find("d/in"));
	assert_memory_equal(x->data, "inside", 6);
	assert_non_null(x = find("d/l"));
	assert_true(x->type == AE_IFLNK);
	assert_string_equal(x->target, "in");
	assert_int_equal(st.files, 3);
	/* A directory without -r is refused, naming it. */
	assert_non_null(f = tmpfile());
	assert_int_equal(read_back(f, tree_set_archive(paths, names, 3, 0,
	    fileno(f), &st, err, sizeof(err))), -1);
	assert_string_equal(err, "'d': is a directory (-r copies it)");
	/* The name a source lands as. */
	assert_string_equal(name = tree_set_name("x/a"), "a");
	free(name);
	assert_string_equal(name = tree_set_name("d//"), "d");
	free(name);
	assert_null(tree_set_name("/"));
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_contents),
		T(test_dir_twice),
		T(test_symlink_not_followed),
		T(test_special_skipped),
		T(test_unreadable),
		T(test_source),
		T(test_tempfile),
		T(test_set),
	};

	log_init("test_tree", LOG_QUIET);
	if (getcwd(topdir, sizeof(topdir)) == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
