/*
 * Tests for auth.c against the scripted libssh2 of mock_libssh2.c: which
 * refused keys are tried once more (a local failure at the signature) and
 * which are not (the server's no), with every call repeated after EAGAIN
 * as the mock demands.  No agent: the tests pass "none".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "mock_libssh2.h"

#define MAX_STEPS	1000

/* What libssh2 1.10 says when its sign callback failed. */
#define SIGN_FAILED	"Callback returned error"

int		 auth_rc_is_local(int, const char *);
const char	*auth_rc_name(int);

struct fx {
	char		 dir[64];
	char		 key[2][128];
	char		 logpath[128];
	int		 sv[2];
	char		 err[512];
	char		 log[4096];	/* what -v printed */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char path[sizeof(fx->key[0])];
	int i, fd;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/fanscp-ut-auth.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/id_%d", fx->dir, i);
		memcpy(fx->key[i], path, sizeof(path));
		/* auth.c only stats it; the mock never reads it. */
		fd = open(fx->key[i], O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "SECRET\n", 7), 7);
		close(fd);
	}
	snprintf(fx->logpath, sizeof(fx->logpath), "%s/log", fx->dir);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fx->sv), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	close(fx->sv[0]);
	close(fx->sv[1]);
	unlink(fx->key[0]);
	unlink(fx->key[1]);
	unlink(fx->logpath);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A fresh mock where every call EAGAINs once first. */
static void
fresh(void)
{
	mock_reset();
	mock.handshake_eagain = 0;
	mock.eagain_first = 1;
}

/* Script the publickey results, in call order. */
static void
script(int i, int rc, const char *msg)
{
	assert_true(i < MOCK_MAX_PUBKEY);
	mock.pubkey_rc[i] = rc;
	mock.pubkey_msg[i] = msg;
	if (mock.npubkey_rc < i + 1)
		mock.npubkey_rc = i + 1;
}

/*
 * Log in with the fixture's keys as auth_step() is driven by conn.c, at
 * -v with stderr caught in fx->log.  Returns the result.
 */
static enum auth_result
run(struct fx *fx)
{
	char *files[2] = { fx->key[0], fx->key[1] };
	LIBSSH2_SESSION *s;
	struct auth *a;
	enum auth_result r = AUTH_AGAIN;
	int i, fd, saved;
	ssize_t n;

	s = libssh2_session_init_ex(NULL, NULL, NULL, NULL);
	libssh2_session_set_blocking(s, 0);
	assert_int_equal(libssh2_session_handshake(s, fx->sv[0]), 0);
	a = auth_new("u", files, 2, 0, "none");
	auth_set_host(a, "lab002");

	fd = open(fx->logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_init("fanscp", LOG_VERBOSE);
	for (i = 0; i < MAX_STEPS && r == AUTH_AGAIN; i++) {
		fx->err[0] = '\0';
		r = auth_step(a, s, fx->err, sizeof(fx->err));
	}
	log_init("fanscp", LOG_ERROR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, fx->log, sizeof(fx->log) - 1, 0);
	close(fd);
	fx->log[n > 0 ? n : 0] = '\0';

	assert_true(i < MAX_STEPS);
	auth_free(a);
	libssh2_session_free(s);
	/* The key file's bytes never reach a message. */
	assert_null(strstr(fx->log, "SECRET"));
	assert_null(strstr(fx->err, "SECRET"));
	return r;
}

static struct mock_sess *
msess(void)
{
	return mock_session(0);
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not in \"%s\"", needle, hay);
}

/* Count the lines of s that hold needle. */
static int
count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* (a) The sign callback failed once: the same key again, and it works. */
static void
test_local_failure_retried(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, SIGN_FAILED);
	assert_int_equal(run(fx), AUTH_OK);
	assert_int_equal(msess()->pub_i, 2);
	assert_string_equal(msess()->auth_key, fx->key[0]);
	assert_contains(fx->log, "lab002: key '");
	assert_contains(fx->log, "refused: -19 "
	    "LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED (" SIGN_FAILED ")");
	assert_contains(fx->log, "trying it once more");
	assert_int_equal(count(fx->log, "refused"), 1);
	mock_reset();
}

/* An allocation failure in libssh2 is as local. */
static void
test_alloc_failure_retried(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_ALLOC, "Unable to allocate memory for "
	    "userauth-publickey signed data");
	assert_int_equal(run(fx), AUTH_OK);
	assert_int_equal(msess()->pub_i, 2);
	assert_string_equal(msess()->auth_key, fx->key[0]);
	assert_contains(fx->log, "-6 LIBSSH2_ERROR_ALLOC");
	mock_reset();
}

/* (b) The server said no: never the same key again; the next one. */
static void
test_server_refusal_not_retried(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, "Invalid signature for "
	    "supplied public key, or bad username/public key combination");
	assert_int_equal(run(fx), AUTH_OK);
	assert_int_equal(msess()->pub_i, 2);
	assert_string_equal(msess()->auth_key, fx->key[1]);
	assert_contains(fx->log, fx->key[0]);
	assert_contains(fx->log, "-19 LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED "
	    "(Invalid signature");
	assert_null(strstr(fx->log, "once more"));
	mock_reset();
}

/* The key query refused (-18): the next key, at once. */
static void
test_query_refusal_not_retried(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_AUTHENTICATION_FAILED, NULL);
	script(1, LIBSSH2_ERROR_AUTHENTICATION_FAILED, NULL);
	assert_int_equal(run(fx), AUTH_FAIL);
	assert_int_equal(msess()->pub_i, 2);
	assert_string_equal(msess()->auth_key, fx->key[1]);
	assert_contains(fx->err, "permission denied (publickey)");
	assert_int_equal(count(fx->log, "-18 "
	    "LIBSSH2_ERROR_AUTHENTICATION_FAILED (Username/PublicKey "
	    "combination invalid)"), 2);
	mock_reset();
}

/* No reply came: the connection's business, not the key's; no retry. */
static void
test_no_reply_not_retried(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
	    "Waiting for publickey USERAUTH response");
	assert_int_equal(run(fx), AUTH_OK);
	assert_int_equal(msess()->pub_i, 2);
	assert_string_equal(msess()->auth_key, fx->key[1]);
	mock_reset();
}

/*
 * (c) The sign callback failed twice: the key is given up, the next one
 * tried, and the error names libssh2's code and message.
 */
static void
test_local_failure_twice(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, SIGN_FAILED);
	script(1, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, SIGN_FAILED);
	script(2, LIBSSH2_ERROR_AUTHENTICATION_FAILED, NULL);
	assert_int_equal(run(fx), AUTH_FAIL);
	assert_int_equal(msess()->pub_i, 3);
	assert_string_equal(msess()->auth_key, fx->key[1]);
	assert_contains(fx->err, "permission denied (publickey)");
	assert_contains(fx->err, fx->key[0]);
	assert_contains(fx->err, "-19 LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED: "
	    SIGN_FAILED);
	assert_contains(fx->log, "giving it up");
	assert_int_equal(count(fx->log, "refused"), 3);
	mock_reset();
}

/* Each key has its own one retry: both keys fail locally, then work. */
static void
test_retry_per_key(void **state)
{
	struct fx *fx = *state;

	fresh();
	script(0, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, SIGN_FAILED);
	script(1, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, SIGN_FAILED);
	script(2, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, SIGN_FAILED);
	assert_int_equal(run(fx), AUTH_OK);
	assert_int_equal(msess()->pub_i, 4);
	assert_string_equal(msess()->auth_key, fx->key[1]);
	mock_reset();
}

static void
test_classify(void **state)
{
	(void)state;
	assert_true(auth_rc_is_local(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
	    SIGN_FAILED));
	assert_true(auth_rc_is_local(LIBSSH2_ERROR_ALLOC, ""));
	assert_true(auth_rc_is_local(LIBSSH2_ERROR_FILE, ""));
	assert_false(auth_rc_is_local(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
	    NULL));
	assert_false(auth_rc_is_local(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
	    "Invalid signature for supplied public key, or bad "
	    "username/public key combination"));
	assert_false(auth_rc_is_local(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
	    "Waiting for USERAUTH response"));
	assert_false(auth_rc_is_local(LIBSSH2_ERROR_AUTHENTICATION_FAILED,
	    SIGN_FAILED));
	assert_false(auth_rc_is_local(LIBSSH2_ERROR_METHOD_NONE, ""));
	assert_string_equal(auth_rc_name(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED),
	    "LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED");
	assert_string_equal(auth_rc_name(-1), "LIBSSH2_ERROR");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_local_failure_retried),
		T(test_alloc_failure_retried),
		T(test_server_refusal_not_retried),
		T(test_query_refusal_not_retried),
		T(test_no_reply_not_retried),
		T(test_local_failure_twice),
		T(test_retry_per_key),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
