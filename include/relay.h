/*
 * --relay: the stream passed host to host, over SSH alone.
 *
 * The hosts are cut, in their order (with known rates, the slowest
 * last: relay_shape()), into trees of at most RELAY_GROUP hosts (fewer
 * when the width is smaller), each host feeding up to fanout children:
 * fanout 1 makes chains.  fanscp sends the data to each
 * tree's root only; every host writes its own temp file and passes the
 * bytes on, with the OpenSSH client it already has, to its children.
 * fanscp keeps its own session to every host, which checks and commits
 * each copy exactly as for a direct send.
 *
 * The hops are authorized for this job alone: a host that feeds others
 * makes a key pair (the private key never leaves it); each child adds
 * one line to its authorized_keys for that key, restricted to the
 * parent's address and to a forced command that takes the stream once,
 * deletes its own line, and writes the child's FIFO; the parent's ssh
 * knows the child's host key from fanscp, which has verified it.  The
 * remote side of this is remote_relay.c; this module decides who feeds
 * whom, from what each host's receive says (sess.c asks, line by line):
 *
 *   1. the host says "fanscp-relay-key TYPE B64" (or "existing", or
 *      "- REASON": it will feed nobody) and reads "in TYPE B64 FROM
 *      EXPIRY" (its parent's key, to authorize), "in existing" or "in -";
 *   2. it says "fanscp-relay-in ok W", "off REASON" or "-", and reads
 *      "feed parent" or "feed source";
 *   3. a host with a key reads one "kid USER HOST PORT W TYPE B64" line
 *      per child that will take its stream, then "end".
 *
 * A host whose parent has gone, or could not authorize it, or was too
 * late, is fed by fanscp; a child that is not ready within RELAY_WAIT_MS
 * of its parent's key is left out of the parent's list.  A fed host
 * whose stream ends short or stalls keeps its temp file, and is sent the
 * rest by fanscp (sess.c).  Every call comes from sessions of one engine
 * thread: under --relay there is one (main.c).
 */
#ifndef FANSCP_RELAY_H
#define FANSCP_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct host;

#define RELAY_GROUP	16	/* hosts in one tree, at most */
#define RELAY_WAIT_MS	15000	/* a parent waits this long for children */
#define RELAY_POLL_MS	50	/* a session waiting on another looks again */
#define RELAY_FEED_IDLE	6	/* s a fed host's file may not grow */
#define RELAY_FEED_FIRST 15	/* s it may wait for its first byte: its
				   parent's ssh may take ConnectTimeout */
#define RELAY_FANOUT_MAX 6	/* --relay-fanout, at most */

/* --relay-auth: how a hop's ssh logs in (0: not given, a key). */
enum relay_auth { RELAY_AUTH_KEY = 1, RELAY_AUTH_EXISTING };

enum relay_in { RELAY_IN_UNSEEN = 0, RELAY_IN_ASKED, RELAY_IN_OK,
	RELAY_IN_OFF };

struct relay_node {
	int		 parent;	/* index, or -1: fed by fanscp */
	int		 kids[RELAY_FANOUT_MAX]; /* its children, indices */
	int		 nkids;
	/* What its session learnt, first attempt only. */
	int		 live;		/* logged in, facts below set */
	int		 gone;		/* failed, or not relayed: feeds and
					   is fed by nobody from now on */
	int		 keyed;		/* said whether it has a key */
	char		 key[128];	/* "TYPE B64", or "": none */
	char		 addr[64];	/* as fanscp reached it: from= */
	char		 user[64];
	char		 host[256];	/* what its parent's ssh connects to */
	int		 port;
	char		 hostkey[1024];	/* "TYPE B64", verified by fanscp */
	int		 expiry;	/* its sshd takes expiry-time= */
	enum relay_in	 in;
	char		 w[512];	/* its work directory, once "in ok" */
	int		 decided;	/* its list of children is final */
	int		 sent[RELAY_FANOUT_MAX]; /* the children it feeds */
	int		 nsent;
	int		 fed;		/* decided: its parent takes it */
	int64_t		 key_at;	/* ms on the loop clock */
};

struct relay {
	struct relay_node *n;
	size_t		 count;
	int		 fanout;
	int		 group;		/* hosts in a tree, at most */
	int		 together;	/* every host starts at once (n <=
					   the width): relay_shape() orders
					   them all by rate, not tree by tree */
	/*
	 * --relay-auth existing: a feeding host says "existing" for its
	 * key, logs in to its children as the hosts already trust each
	 * other, and no authorized_keys is written.
	 */
	int		 existing;
	const struct host *hosts;	/* index 0 of the nodes */
};

/*
 * Trees over n hosts, of at most group each, fanout children a node, in
 * the order given.
 */
struct relay	*relay_new(const struct host *hosts, size_t n, int fanout,
		    int group);
/*
 * Shape them again knowing rates[i], host i's rate in bytes/s from the
 * history (0: unknown): the unknown first, as given, then the fastest
 * first, so that the slowest end the chains; over all the hosts when
 * they start together, else within each tree's run of the order given.
 * Before any session starts.
 */
void		 relay_shape(struct relay *, const double *rates);
void		 relay_free(struct relay *);
/* The node of host h, or NULL. */
struct relay_node *relay_node(struct relay *, const struct host *h);

/*
 * The first reply a host's receive waits for, once it said its key (key
 * NULL: none): a malloc'd "in ..." line, or NULL to ask again later.
 */
char		*relay_in_line(struct relay *, int i, int64_t now);
/* The host said "fanscp-relay-in": ok (W its work dir), or not. */
void		 relay_set_in(struct relay *, int i, int ok, const char *w);
/* 1: its parent feeds it; 0: fanscp does; -1: not decided yet. */
int		 relay_feed(struct relay *, int i);
/*
 * Its children's lines and "end", malloc'd, once it may decide; NULL to
 * ask again.  *nkids says how many will take its stream.
 */
char		*relay_kid_lines(struct relay *, int i, int64_t now,
		    int *nkids);
/* The host has left the relay: it failed, or is served directly. */
void		 relay_leave(struct relay *, int i);
/* The host that child number k (1-based) of i's list is, or NULL. */
const struct host *relay_kid(struct relay *, int i, int k);
/*
 * Is a key "TYPE B64" what a line may carry: ssh-ed25519 and base64,
 * nothing that could end the line or add options?
 */
int		 relay_key_ok(const char *key);
/*
 * Is a work directory what a "kid" line may carry, to become part of the
 * parent's ssh command: absolute, shorter than size, of characters that
 * need no quoting?
 */
int		 relay_path_ok(const char *w, size_t size);

#endif
