/*
 * Unit tests for outfile.c: a report appears whole by rename, nothing is
 * left beside it, a non-regular file is written in place, a file that
 * cannot be made fails at open, a second Ctrl-C removes the temp file, and
 * a symlink (to a file, dangling, a chain) stays one while its target is
 * written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static char dir[] = "/tmp/fanscp_outfileXXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* How many entries dir holds. */
static int
entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
test_commit(void **state)
{
	struct outfile o;
	char path[256], err[256], buf[64];
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(outfile_open(&o, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), -1);	/* not there until commit */
	assert_int_equal(entries(), 1);		/* the temp file */
	fputs("{}\n", o.f);
	assert_int_equal(outfile_commit(&o, err, sizeof(err)), 0);
	assert_int_equal(entries(), 1);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(buf, "{}\n");
	fclose(f);
	/* Again over it: replaced whole. */
	assert_int_equal(outfile_open(&o, path, err, sizeof(err)), 0);
	fputs("[]\n", o.f);
	assert_int_equal(outfile_commit(&o, err, sizeof(err)), 0);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(buf, "[]\n");
	fclose(f);
	unlink(path);
}

static void
test_in_place_and_errors(void **state)
{
	struct outfile o;
	char path[256], err[256], want[300];

	(void)state;
	assert_int_equal(outfile_open(&o, "/dev/null", err, sizeof(err)), 0);
	assert_null(o.tmp);
	fputs("x", o.f);
	assert_int_equal(outfile_commit(&o, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/no/r.json", dir);
	assert_int_equal(outfile_open(&o, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot create '%s.fanscp.", path);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(outfile_open(&o, dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot open '%s': Is a directory", dir);
	assert_string_equal(err, want);
}

static void
test_unlink_all(void **state)
{
	struct outfile a, b;
	char p1[256], p2[256], err[256];

	(void)state;
	snprintf(p1, sizeof(p1), "%s/a", dir);
	snprintf(p2, sizeof(p2), "%s/b", dir);
	assert_int_equal(outfile_open(&a, p1, err, sizeof(err)), 0);
	assert_int_equal(outfile_open(&b, p2, err, sizeof(err)), 0);
	assert_int_equal(entries(), 2);
	outfile_unlink_all();
	assert_int_equal(entries(), 0);
	fclose(a.f);
	fclose(b.f);
	free(a.tmp);
	free(a.path);
	free(b.tmp);
	free(b.path);
}

/* The whole content of path, or "" (a static buffer). */
static const char *
content(const char *path)
{
	static char buf[64];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Open at path, write text, commit: outfile_open's return. */
static int
write_report(const char *path, const char *text, char *err, size_t errlen)
{
	struct outfile o;

	if (outfile_open(&o, path, err, errlen) != 0)
		return -1;
	fputs(text, o.f);
	assert_int_equal(outfile_commit(&o, err, errlen), 0);
	return 0;
}

/* Is path a symlink holding target? */
static void
assert_link(const char *path, const char *target)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static void
test_symlink(void **state)
{
	char d[64], p[128], q[128], err[256], want[300];
	struct outfile o;

	(void)state;
	snprintf(d, sizeof(d), "%s/sym", dir);
	assert_int_equal(mkdir(d, 0700), 0);
	snprintf(p, sizeof(p), "%s/t", d);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/t/real.json", d);
	assert_int_equal(write_report(p, "old", err, sizeof(err)), 0);
	/* A relative link to a file: the temp file is beside the file. */
	snprintf(p, sizeof(p), "%s/latest.json", d);
	assert_int_equal(symlink("t/real.json", p), 0);
	assert_int_equal(outfile_open(&o, p, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/t/real.json.fanscp.", d);
	assert_memory_equal(o.tmp, want, strlen(want));
	fputs("new", o.f);
	assert_int_equal(outfile_commit(&o, err, sizeof(err)), 0);
	assert_link(p, "t/real.json");
	snprintf(q, sizeof(q), "%s/t/real.json", d);
	assert_string_equal(content(q), "new");
	/* A chain of two, the second absolute. */
	snprintf(q, sizeof(q), "%s/chain.json", d);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(write_report(q, "chained", err, sizeof(err)), 0);
	assert_link(q, p);
	assert_link(p, "t/real.json");
	assert_string_equal(content(p), "chained");
	/* Dangling: the file it names is made. */
	snprintf(p, sizeof(p), "%s/dangling.json", d);
	assert_int_equal(symlink("t/new.json", p), 0);
	assert_int_equal(write_report(p, "made", err, sizeof(err)), 0);
	assert_link(p, "t/new.json");
	snprintf(q, sizeof(q), "%s/t/new.json", d);
	assert_string_equal(content(q), "made");
	/* Into a directory that does not exist, and a loop: refused. */
	snprintf(p, sizeof(p), "%s/nodir.json", d);
	assert_int_equal(symlink("no/such.json", p), 0);
	assert_int_equal(write_report(p, "x", err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot follow the symlink '%s': No such "
	    "file or directory", p);
	assert_string_equal(err, want);
	snprintf(p, sizeof(p), "%s/loop1", d);
	snprintf(q, sizeof(q), "%s/loop2", d);
	assert_int_equal(symlink("loop2", p), 0);
	assert_int_equal(symlink("loop1", q), 0);
	assert_int_equal(write_report(p, "x", err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot follow the symlink '%s': Too many "
	    "levels of symbolic links", p);
	assert_string_equal(err, want);
	assert_link(p, "loop2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_in_place_and_errors),
		cmocka_unit_test(test_unlink_all),
		cmocka_unit_test(test_symlink),	/* last: it leaves sym/ */
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
