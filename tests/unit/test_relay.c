/*
 * Tests for --relay's decisions (relay.h): the shape of chains and trees
 * and their groups, the lines a host is answered, who feeds whom when a
 * host fails, refuses, or is late, and which keys may go into a line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "relay.h"

static struct host hosts[40];

#define KEY	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq0"

/* Host i made its key (or none) and learnt its facts. */
static void
keyed(struct relay *r, int i, const char *key, int64_t now)
{
	struct relay_node *n = &r->n[i];

	snprintf(n->key, sizeof(n->key), "%s", key);
	snprintf(n->addr, sizeof(n->addr), "10.0.0.%d", i + 1);
	snprintf(n->host, sizeof(n->host), "10.0.0.%d", i + 1);
	snprintf(n->user, sizeof(n->user), "u%d", i);
	snprintf(n->hostkey, sizeof(n->hostkey), "ssh-ed25519 HK%d", i);
	n->port = 22;
	n->keyed = 1;
	n->key_at = now;
}

static void
test_shapes(void **state)
{
	struct relay *r;
	int i;

	(void)state;
	/* Chains of at most 4: 0-1-2-3, 4-5-6-7, 8-9. */
	r = relay_new(hosts, 10, 1, 4);
	for (i = 0; i < 10; i++) {
		assert_int_equal(r->n[i].parent, i % 4 == 0 ? -1 : i - 1);
		assert_int_equal(r->n[i].nkids,
		    i % 4 == 3 || i == 9 ? 0 : 1);
	}
	relay_free(r);
	/* A tree of fanout 2 over 7: 0 -> 1 2, 1 -> 3 4, 2 -> 5 6. */
	r = relay_new(hosts, 7, 2, 16);
	assert_int_equal(r->n[0].parent, -1);
	assert_int_equal(r->n[0].kids[0], 1);
	assert_int_equal(r->n[0].kids[1], 2);
	assert_int_equal(r->n[0].nkids, 2);
	assert_int_equal(r->n[2].kids[0], 5);
	assert_int_equal(r->n[2].nkids, 2);
	assert_int_equal(r->n[6].parent, 2);
	assert_int_equal(r->n[3].nkids, 0);
	assert_ptr_equal(relay_node(r, &hosts[6]), &r->n[6]);
	assert_null(relay_node(r, &hosts[7]));
	relay_free(r);
	/* Out of range fanout and group sizes are clamped. */
	r = relay_new(hosts, 3, 99, 0);
	assert_int_equal(r->fanout, RELAY_FANOUT_MAX);
	assert_int_equal(r->n[1].parent, 0);
	assert_int_equal(r->n[2].parent, -1);
	relay_free(r);
}

/*
 * Known rates: unknown hosts first, as given, then the fastest first; the
 * slowest ends its chain.
 */
static void
test_shape_rates(void **state)
{
	double rates[6] = { 5e6, 0, 50e6, 1e6, 0, 50e6 };
	struct relay *r = relay_new(hosts, 6, 1, 16);

	(void)state;
	r->together = 1;
	relay_shape(r, rates);
	/* The chain: 1 4 2 5 0 3. */
	assert_int_equal(r->n[1].parent, -1);
	assert_int_equal(r->n[4].parent, 1);
	assert_int_equal(r->n[2].parent, 4);
	assert_int_equal(r->n[5].parent, 2);
	assert_int_equal(r->n[0].parent, 5);
	assert_int_equal(r->n[3].parent, 0);
	assert_int_equal(r->n[3].nkids, 0);
	assert_int_equal(r->n[1].kids[0], 4);
	relay_shape(r, NULL);
	assert_int_equal(r->n[0].parent, -1);
	assert_int_equal(r->n[5].parent, 4);
	relay_free(r);
	/*
	 * Trees of 3 that cannot start together: each keeps its run of the
	 * order given (0 1 2, then 3 4 5), ordered within by rate: 1 2 0 and
	 * 4 5 3.  Together, the slow 0 and 3 share the last tree: 1 4 2 | 5
	 * 0 3.
	 */
	r = relay_new(hosts, 6, 1, 3);
	relay_shape(r, rates);
	assert_int_equal(r->n[1].parent, -1);
	assert_int_equal(r->n[2].parent, 1);
	assert_int_equal(r->n[0].parent, 2);
	assert_int_equal(r->n[4].parent, -1);
	assert_int_equal(r->n[5].parent, 4);
	assert_int_equal(r->n[3].parent, 5);
	r->together = 1;
	relay_shape(r, rates);
	assert_int_equal(r->n[1].parent, -1);
	assert_int_equal(r->n[4].parent, 1);
	assert_int_equal(r->n[2].parent, 4);
	assert_int_equal(r->n[5].parent, -1);
	assert_int_equal(r->n[0].parent, 5);
	assert_int_equal(r->n[3].parent, 0);
	relay_free(r);
}

/* The whole exchange for a chain of 3, in the order sessions meet it. */
static void
test_chain_talk(void **state)
{
	struct relay *r = relay_new(hosts, 3, 1, 16);
	char *s;
	int k;

	(void)state;
	/* The root is fed by fanscp. */
	s = relay_in_line(r, 0, 0);
	assert_string_equal(s, "in -\n");
	free(s);
	/* Host 1 waits for its parent's key. */
	assert_null(relay_in_line(r, 1, 0));
	keyed(r, 0, KEY, 0);
	r->n[1].expiry = 0;
	s = relay_in_line(r, 1, 0);
	assert_string_equal(s, "in " KEY " 10.0.0.1 -\n");
	free(s);
	/* An sshd of 8.2 or later gets an expiry, a day ahead. */
	keyed(r, 1, KEY, 0);
	r->n[2].expiry = 1;
	s = relay_in_line(r, 2, 0);
	assert_true(strncmp(s, "in " KEY " 10.0.0.2 2", 34) == 0);
	assert_int_equal(strlen(s), strlen("in " KEY " 10.0.0.2 ") + 13);
	free(s);
	/* Host 0 decides only once its child said whether it took the key. */
	assert_null(relay_kid_lines(r, 0, 100, &k));
	assert_int_equal(relay_feed(r, 1), 0);	/* not said yet: fanscp */
	relay_set_in(r, 1, 1, "/h/.fanscp-relay.1");
	assert_int_equal(relay_feed(r, 1), -1);	/* parent undecided */
	s = relay_kid_lines(r, 0, 100, &k);
	assert_int_equal(k, 1);
	assert_string_equal(s, "kid u1 10.0.0.2 22 /h/.fanscp-relay.1 "
	    "ssh-ed25519 HK1\nend\n");
	free(s);
	assert_int_equal(relay_feed(r, 1), 1);
	assert_ptr_equal(relay_kid(r, 0, 1), &hosts[1]);
	assert_null(relay_kid(r, 0, 2));
	/* Host 2 could not take the key: host 1 feeds nobody. */
	relay_set_in(r, 2, 0, NULL);
	s = relay_kid_lines(r, 1, 100, &k);
	assert_int_equal(k, 0);
	assert_string_equal(s, "end\n");
	free(s);
	assert_int_equal(relay_feed(r, 2), 0);
	relay_free(r);
}

/* --relay-auth existing: the child is told so, with no key to write. */
static void
test_existing(void **state)
{
	struct relay *r = relay_new(hosts, 2, 1, 16);
	char *s;
	int k;

	(void)state;
	r->existing = 1;
	assert_null(relay_in_line(r, 1, 0));
	keyed(r, 0, "existing", 0);
	s = relay_in_line(r, 1, 0);
	assert_string_equal(s, "in existing\n");
	free(s);
	relay_set_in(r, 1, 1, "/h/.fanscp-relay.1");
	s = relay_kid_lines(r, 0, 100, &k);
	assert_int_equal(k, 1);
	free(s);
	assert_int_equal(relay_feed(r, 1), 1);
	relay_free(r);
}

/* A work directory goes into the parent's ssh command: no quoting needed. */
static void
test_path_ok(void **state)
{
	(void)state;
	assert_true(relay_path_ok("/home/u/.fanscp-relay.0a1b", 512));
	assert_true(relay_path_ok("/h/a+b_c-d.e", 512));
	assert_false(relay_path_ok("home/u/.fanscp-relay.0a1b", 512));
	assert_false(relay_path_ok("/h/x y", 512));
	assert_false(relay_path_ok("/h/x;touch PWNED", 512));
	assert_false(relay_path_ok("/h/$(id)", 512));
	assert_false(relay_path_ok("/h/x\\n", 512));
	assert_false(relay_path_ok("/h/abcdef", 7));
	assert_true(relay_path_ok("/h/abc", 7));
}

/* A parent that fails, has no key, or is late, feeds no one. */
static void
test_failures(void **state)
{
	struct relay *r = relay_new(hosts, 4, 1, 16);
	char *s;
	int k;

	(void)state;
	/* Host 0 made no key: host 1 is told "in -". */
	keyed(r, 0, "", 0);
	s = relay_in_line(r, 1, 0);
	assert_string_equal(s, "in -\n");
	free(s);
	/* Host 1's key; host 2 is asked, then host 1 fails. */
	keyed(r, 1, KEY, 0);
	s = relay_in_line(r, 2, 0);
	assert_non_null(s);
	free(s);
	relay_set_in(r, 2, 1, "/w");
	relay_leave(r, 1);
	assert_int_equal(relay_feed(r, 2), 0);
	/* Host 2's child never says anything: after the wait, left out. */
	keyed(r, 2, KEY, 1000);
	s = relay_in_line(r, 3, 1000);
	free(s);
	assert_null(relay_kid_lines(r, 2, 1000 + RELAY_WAIT_MS - 1, &k));
	s = relay_kid_lines(r, 2, 1000 + RELAY_WAIT_MS, &k);
	assert_int_equal(k, 0);
	assert_string_equal(s, "end\n");
	free(s);
	/* Too late now: host 3 is fed by fanscp, whatever it says. */
	relay_set_in(r, 3, 1, "/w3");
	assert_int_equal(relay_feed(r, 3), 0);
	/* A decided parent's later child is told "in -" at once. */
	r->n[3].in = RELAY_IN_UNSEEN;
	s = relay_in_line(r, 3, 2000);
	assert_string_equal(s, "in -\n");
	free(s);
	relay_free(r);
}

static void
test_key_ok(void **state)
{
	(void)state;
	assert_true(relay_key_ok(KEY));
	assert_true(relay_key_ok("ssh-ed25519 AAAA+/=="));
	assert_false(relay_key_ok("ssh-ed25519 "));
	assert_false(relay_key_ok("ssh-rsa AAAA"));
	assert_false(relay_key_ok("ssh-ed25519 AAAA x"));
	assert_false(relay_key_ok("ssh-ed25519 AA\"AA"));
	assert_false(relay_key_ok("ssh-ed25519 AAAA,command=\"x\""));
	assert_false(relay_key_ok("ssh-ed25519 AAAA\nssh-ed25519 BBBB"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_shape_rates),
		cmocka_unit_test(test_chain_talk),
		cmocka_unit_test(test_existing),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_key_ok),
		cmocka_unit_test(test_path_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
