/*
 * Unit tests for outfile.c: a report appears whole by rename, nothing is
 * left beside it, a non-regular file is written in place, a file that
 * cannot be made fails at open, and a second Ctrl-C removes the temp file.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_in_place_and_errors),
		cmocka_unit_test(test_unlink_all),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
