/*
 * Tests for the rate history: a round trip, hostile keys, a corrupted
 * file read line by line, the bound on entries, a planted symlink
 * refused, two runs' saves merged, and the default path's rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"

struct fx {
	char	 dir[64];
	char	 path[128];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/fanscp-hist.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/c/rates", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_round_trip(void **state)
{
	struct fx *fx = *state;
	struct history *h = history_load(fx->path);
	struct stat st;
	char dir[128];

	assert_true(history_rate(h, "a port 22") == 0);
	assert_true(history_uplink(h) == 0);
	history_put(h, "a port 22", 1e6);
	history_put(h, "b port 2222", 3.5e7);
	history_put_uplink(h, 5e7);
	assert_int_equal(history_save(h), 0);
	history_free(h);

	h = history_load(fx->path);
	assert_true(history_rate(h, "a port 22") == 1e6);
	assert_true(history_rate(h, "b port 2222") == 3.5e7);
	assert_true(history_rate(h, "c port 22") == 0);
	assert_true(history_uplink(h) == 5e7);
	/* A second run's rate is averaged with the first's. */
	history_put(h, "a port 22", 2e6);
	assert_int_equal(history_save(h), 0);
	history_free(h);
	h = history_load(fx->path);
	assert_true(history_rate(h, "a port 22") > 1e6);
	assert_true(history_rate(h, "a port 22") < 2e6);
	history_free(h);

	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/c", fx->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void
test_hostile_keys(void **state)
{
	static const char *keys[] = {
		"with space port 22", "new\nline port 22", "%41 port 22",
		"*uplink", "%2Auplink", "tab\there", "\x01\x7f\xff", "-x",
		"a b 3 4",
	};
	struct fx *fx = *state;
	struct history *h = history_load(fx->path);
	char long_key[HISTORY_KEYMAX + 2], *text;
	size_t i, len;
	FILE *f;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		history_put(h, keys[i], 1000.0 * (double)(i + 1));
	memset(long_key, 'x', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	history_put(h, long_key, 5);		/* too long: not kept */
	long_key[HISTORY_KEYMAX] = '\0';
	history_put(h, long_key, 7);		/* just fits */
	history_put(h, "", 9);
	assert_int_equal(history_save(h), 0);
	history_free(h);

	h = history_load(fx->path);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_true(history_rate(h, keys[i]) ==
		    1000.0 * (double)(i + 1));
	assert_true(history_rate(h, "A port 22") == 0);
	assert_true(history_uplink(h) == 0);	/* "*uplink" is a host */
	assert_true(history_rate(h, long_key) == 7);
	history_free(h);

	/* Every line: three fields, no byte outside the printable. */
	f = fopen(fx->path, "r");
	assert_non_null(f);
	text = calloc(1, 1 << 16);
	len = fread(text, 1, (1 << 16) - 1, f);
	fclose(f);
	for (i = 0; i < len; i++)
		assert_true(text[i] == '\n' || (text[i] >= ' ' &&
		    text[i] < 0x7f));
	assert_null(strstr(text, "\n*uplink"));
	free(text);
}

static void
test_corrupt(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/c", fx->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(fx->path, "fanscp-rates 1\n"
	    "good 100 5\n"
	    "two fields\n"
	    "four f i e\n"
	    "neg -5 5\n"
	    "nan nan 5\n"
	    "inf inf 5\n"
	    "big 1e300 5\n"
	    "bad%zz 100 5\n"
	    "bad%4 100 5\n"
	    "sp%20ok 200 5\n"
	    "raw*star 100 5\n"
	    "time 100 -1\n"
	    "time2 100 x\n"
	    "rate 100x 5\n"
	    "  100 5\n"
	    "\n"
	    "last 300 5");			/* no newline: cut */
	h = history_load(fx->path);
	assert_true(history_rate(h, "good") == 100);
	assert_true(history_rate(h, "sp ok") == 200);
	assert_true(history_rate(h, "neg") == 0);
	assert_true(history_rate(h, "nan") == 0);
	assert_true(history_rate(h, "inf") == 0);
	assert_true(history_rate(h, "big") == 0);
	assert_true(history_rate(h, "raw*star") == 0);
	assert_true(history_rate(h, "time") == 0);
	assert_true(history_rate(h, "time2") == 0);
	assert_true(history_rate(h, "rate") == 0);
	assert_true(history_rate(h, "last") == 0);
	history_free(h);

	/* Not ours (no version line): read as empty, saved over. */
	write_text(fx->path, "good 100 5\n");
	h = history_load(fx->path);
	assert_true(history_rate(h, "good") == 0);
	history_free(h);
}

static void
test_bound(void **state)
{
	struct fx *fx = *state;
	struct history *h = history_load(fx->path);
	char key[32];
	int i, kept = 0;
	FILE *f;

	for (i = 0; i < HISTORY_MAX + 100; i++) {
		snprintf(key, sizeof(key), "h%d", i);
		history_put(h, key, 1000 + i);
	}
	assert_int_equal(history_save(h), 0);
	history_free(h);
	h = history_load(fx->path);
	for (i = 0; i < HISTORY_MAX + 100; i++) {
		snprintf(key, sizeof(key), "h%d", i);
		kept += history_rate(h, key) > 0;
	}
	assert_int_equal(kept, HISTORY_MAX);
	history_free(h);

	/* A full file, each seen at its own time: a new host drops the
	   oldest. */
	f = fopen(fx->path, "w");
	assert_non_null(f);
	fprintf(f, "fanscp-rates 1\n");
	for (i = 0; i < HISTORY_MAX; i++)
		fprintf(f, "h%d %d %d\n", i, 1000 + i, 5000 - i);
	fclose(f);
	h = history_load(fx->path);
	history_put(h, "new", 1);
	assert_int_equal(history_save(h), 0);
	history_free(h);
	h = history_load(fx->path);
	assert_true(history_rate(h, "new") == 1);
	assert_true(history_rate(h, "h0") == 1000);
	assert_true(history_rate(h, "h4094") == 1000 + 4094);
	assert_true(history_rate(h, "h4095") == 0);	/* the oldest */
	history_free(h);
}

static void
test_symlink(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	char dir[128], target[128];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/c", fx->dir);
	snprintf(target, sizeof(target), "%s/elsewhere", fx->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(target, "fanscp-rates 1\nplanted 100 5\n");
	assert_int_equal(symlink(target, fx->path), 0);
	h = history_load(fx->path);
	assert_true(history_rate(h, "planted") == 0);	/* not followed */
	history_put(h, "x", 5);
	assert_int_equal(history_save(h), 0);
	history_free(h);
	/* The save replaced the link, and left its target alone. */
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	h = history_load(target);
	assert_true(history_rate(h, "planted") == 100);
	assert_true(history_rate(h, "x") == 0);
	history_free(h);
}

/* Two runs load the same file, each saves its own: both are kept. */
static void
test_merge(void **state)
{
	struct fx *fx = *state;
	struct history *a, *b;

	a = history_load(fx->path);
	history_put(a, "old", 10);
	assert_int_equal(history_save(a), 0);
	history_free(a);

	a = history_load(fx->path);
	b = history_load(fx->path);
	history_put(a, "from-a", 100);
	history_put(b, "from-b", 200);
	assert_int_equal(history_save(a), 0);
	assert_int_equal(history_save(b), 0);
	history_free(a);
	history_free(b);
	a = history_load(fx->path);
	assert_true(history_rate(a, "from-a") == 100);
	assert_true(history_rate(a, "from-b") == 200);
	assert_true(history_rate(a, "old") == 10);
	history_free(a);
}

/* Two processes saving at once, many times: no record is lost. */
static void
test_concurrent(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	char key[32];
	pid_t pid[2];
	int p, i, status;

	for (p = 0; p < 2; p++) {
		if ((pid[p] = fork()) == 0) {
			for (i = 0; i < 40; i++) {
				h = history_load(fx->path);
				snprintf(key, sizeof(key), "p%d-%d", p, i);
				history_put(h, key, 1 + i);
				if (history_save(h) != 0)
					_exit(1);
				history_free(h);
			}
			_exit(0);
		}
		assert_true(pid[p] > 0);
	}
	for (p = 0; p < 2; p++) {
		assert_int_equal(waitpid(pid[p], &status, 0), pid[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	h = history_load(fx->path);
	for (p = 0; p < 2; p++)
		for (i = 0; i < 40; i++) {
			snprintf(key, sizeof(key), "p%d-%d", p, i);
			assert_true(history_rate(h, key) == 1 + i);
		}
	history_free(h);
}

static void
test_path(void **state)
{
	char *p;

	(void)state;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	setenv("HOME", "/home/u", 1);
	p = history_path();
	assert_string_equal(p, "/x/cache/fanscp/rates");
	free(p);
	setenv("XDG_CACHE_HOME", "relative", 1);	/* invalid: ignored */
	p = history_path();
	assert_string_equal(p, "/home/u/.cache/fanscp/rates");
	free(p);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	assert_null(history_path());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup,
		    teardown),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
