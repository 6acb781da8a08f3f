/*
 * Tests for names resolved off the loop: the answer arrives on the
 * eventfd, the caller's thread runs on while getaddrinfo() blocks (a fake
 * that waits for the test), a request dropped unanswered is freed by its
 * thread once the answer comes (ASan sees no leak), failures come back as
 * getaddrinfo()'s code, and many requests at once each get their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"

extern int (*resolve_gai)(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static atomic_int in_gai, out_gai;

/* A DNS that answers only once the test opens the gate. */
static int
slow_gai(const char *host, const char *port, const struct addrinfo *hints,
    struct addrinfo **ai)
{
	struct addrinfo h = *hints;

	atomic_fetch_add(&in_gai, 1);
	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	atomic_fetch_add(&out_gai, 1);
	if (strcmp(host, "nx.invalid") == 0)
		return EAI_NONAME;
	/* Every other name is 127.0.0.1 (numeric, no real DNS asked). */
	h.ai_flags |= AI_NUMERICHOST;
	return getaddrinfo("127.0.0.1", port, &h, ai);
}

static void
gate(int open)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = open;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

static int
setup(void **state)
{
	(void)state;
	resolve_gai = slow_gai;
	atomic_store(&in_gai, 0);
	atomic_store(&out_gai, 0);
	gate(0);
	return 0;
}

static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static struct addrinfo hints = { .ai_family = AF_INET,
    .ai_socktype = SOCK_STREAM };

static void
wait_for(atomic_int *n, int want)
{
	int i;

	for (i = 0; i < 5000 && atomic_load(n) < want; i++)
		usleep(1000);
	assert_int_equal(atomic_load(n), want);
}

static void
test_answer_later(void **state)
{
	struct resolve *r;
	struct addrinfo *ai = NULL;
	int rc = -1, i;

	(void)state;
	r = resolve_start("web01.example.org", "2222", &hints);
	assert_non_null(r);
	wait_for(&in_gai, 1);
	/* DNS blocks; the caller does not: it polls and gets nothing. */
	for (i = 0; i < 5; i++) {
		assert_false(readable(resolve_fd(r), 10));
		assert_int_equal(resolve_take(r, &rc, &ai), 0);
	}
	gate(1);
	assert_true(readable(resolve_fd(r), 5000));
	assert_int_equal(resolve_take(r, &rc, &ai), 1);
	assert_int_equal(rc, 0);
	assert_non_null(ai);
	assert_int_equal(ai->ai_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)(void *)ai->ai_addr)->
	    sin_port), 2222);
	freeaddrinfo(ai);
	resolve_drop(r);
}

static void
test_failure(void **state)
{
	struct resolve *r;
	struct addrinfo *ai = NULL;
	int rc = 0;

	(void)state;
	gate(1);
	r = resolve_start("nx.invalid", "22", &hints);
	assert_non_null(r);
	assert_true(readable(resolve_fd(r), 5000));
	assert_int_equal(resolve_take(r, &rc, &ai), 1);
	assert_int_equal(rc, EAI_NONAME);
	assert_null(ai);
	resolve_drop(r);
}

/* Dropped before the answer: the thread frees it (ASan: no leak). */
static void
test_dropped(void **state)
{
	struct resolve *r[3];
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_non_null(r[i] = resolve_start("web.example.org", "22",
		    &hints));
	wait_for(&in_gai, 3);
	for (i = 0; i < 3; i++)
		resolve_drop(r[i]);
	gate(1);
	wait_for(&out_gai, 3);
	usleep(50000);	/* the threads free what they hold */
}

/* Many at once: each its own answer, all in while DNS is slow for all. */
static void
test_many(void **state)
{
	enum { N = 200 };
	struct resolve *r[N];
	struct addrinfo *ai;
	char port[16];
	int i, rc;

	(void)state;
	for (i = 0; i < N; i++) {
		snprintf(port, sizeof(port), "%d", 1000 + i);
		assert_non_null(r[i] = resolve_start("h.example.org", port,
		    &hints));
	}
	wait_for(&in_gai, N);
	gate(1);
	for (i = 0; i < N; i++) {
		assert_true(readable(resolve_fd(r[i]), 5000));
		assert_int_equal(resolve_take(r[i], &rc, &ai), 1);
		assert_int_equal(rc, 0);
		assert_int_equal(ntohs(((struct sockaddr_in *)(void *)
		    ai->ai_addr)->sin_port), 1000 + i);
		freeaddrinfo(ai);
		resolve_drop(r[i]);
	}
	resolve_drop(NULL);
}

/* The real getaddrinfo(), through a thread: localhost from /etc/hosts. */
static void
test_real(void **state)
{
	struct resolve *r;
	struct addrinfo *ai;
	int rc;

	(void)state;
	resolve_gai = getaddrinfo;
	r = resolve_start("localhost", "22", &hints);
	assert_non_null(r);
	assert_true(readable(resolve_fd(r), 10000));
	assert_int_equal(resolve_take(r, &rc, &ai), 1);
	assert_int_equal(rc, 0);
	freeaddrinfo(ai);
	resolve_drop(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_answer_later, setup),
		cmocka_unit_test_setup(test_failure, setup),
		cmocka_unit_test_setup(test_dropped, setup),
		cmocka_unit_test_setup(test_many, setup),
		cmocka_unit_test_setup(test_real, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
