/*
 * A scripted libssh2 for the unit tests: a small fake server linked in
 * with -Wl,--wrap=SYM, so that sess.c, rexec.c and auth.c run against
 * EAGAIN, short writes, errors and a remote side that dies, with no
 * network.  A test sets fields of the global `mock` after mock_reset(),
 * runs the code, then reads what the mock recorded: every session, its
 * channels, the command each ran and every byte each accepted.
 *
 * The mock enforces libssh2's EAGAIN contract (libssh2.md §1.2): once a
 * call returned EAGAIN, the next call on that session must repeat it with
 * the same arguments (for a write: the same buffer pointer and length).
 * Getters and frees are always allowed.  When a write's EAGAIN left no
 * packet parked (OUTBOUND not set), reads are allowed too, and the write
 * may be abandoned once channel_eof() has said the remote side ended.
 * Anything else fails the test.
 *
 * Every channel execs the loader and then writes its script, framed, on
 * stdin: the mock reads the frame (always whole, whatever the write
 * script says) and knows the script from it.  The scripts answer as the
 * real ones do: receive and commit say "fanscp-ready WHAT" as soon as
 * their script is in (unless receive_refuse: then receive ends there with
 * receive_exit and receive_stderr); after our EOF, receive prints
 * "fanscp-ok receive N" (N: the data bytes its channel accepted), commit
 * "fanscp-ok commit N" (N: the bytes of the session's receive channel)
 * if it was given the go-ahead, else it exits 81; abort prints
 * "fanscp-ok abort 0"; each then sends EOF and exit status 0.  A joined
 * receive (remote.h: its script also commits) says "fanscp-ready commit"
 * once its "s=N" bytes are in, or ends there if the receive is scripted
 * to fail; what comes after is its go-ahead, and after our EOF it answers
 * as a commit does.
 */
#ifndef FANSCP_MOCK_LIBSSH2_H
#define FANSCP_MOCK_LIBSSH2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libssh2.h>

#include "job.h"
#include "source.h"

struct host;

/* What one channel_write does, as the test scripts it. */
enum mock_wkind {
	MW_ACCEPT,		/* take min(n, len, MOCK_WRITE_CAP) bytes */
	MW_EAGAIN_OUT,		/* park a packet: EAGAIN, block OUTBOUND */
	MW_EAGAIN_IN,		/* the window is shut: EAGAIN, block INBOUND */
	MW_ERROR,		/* fail with libssh2 code n */
	MW_DIE,			/* the remote cat dies: EAGAIN INBOUND on */
	MW_EAGAIN_IN_ADJ,	/* as MW_EAGAIN_IN, and the window adjust
				   arrives with the next read: after it
				   nothing more comes on the socket */
};

struct mock_write {
	enum mock_wkind	 kind;
	long		 n;
};

/* What a channel runs, told from its command's success line. */
enum mock_script {
	MS_OTHER,
	MS_RECEIVE,
	MS_COMMIT,
	MS_ABORT,
};

#define MOCK_WRITE_CAP	32700	/* libssh2 1.10's bytes per packet */
#define MOCK_MAX_WRITES	4096	/* scripted writes */
#define MOCK_MAX_PUBKEY	8	/* scripted publickey results */

struct mock_sess;

struct mock_chan {
	struct mock_sess *sess;
	int		 id;		/* 0, 1, ... in its session */
	enum mock_script script;
	char		*cmd;		/* the command exec'd, then the script
					   its frame held; or NULL */
	uint64_t	 want;		/* its "s=N": the bytes to expect */
	char		*frame;		/* the framed script, as it comes */
	size_t		 framelen;
	int		 framed;	/* the whole script is in */
	int		 joined;	/* a receive that goes on to commit */
	int		 go_ready;	/* joined: said "fanscp-ready commit" */
	char		*go;		/* joined: its input after that */
	size_t		 golen;
	unsigned char	*data;		/* every byte after the frame */
	size_t		 len;
	size_t		 cap;
	size_t		 nwrites;	/* writes that accepted bytes */
	size_t		 parked;	/* bytes of a parked packet, or 0 */
	unsigned char	*parkbuf;	/* the parked bytes, as copied */
	int		 eof_sent;	/* we sent EOF */
	int		 dead;		/* the remote ended before our EOF */
	int		 replied;	/* the remote's answer is queued */
	int		 delay;		/* read EAGAINs left before it */
	int		 gap;		/* a read EAGAIN is due next */
	int		 eof_seen;	/* channel_eof() returned 1 */
	int		 closed;	/* channel_close() done */
	int		 wait_closed;	/* channel_wait_closed() done */
	int		 freed;
	char		*out;		/* the remote's stdout */
	size_t		 outlen;
	size_t		 outpos;
	char		*err;		/* its stderr */
	size_t		 errlen;
	size_t		 errpos;
	int		 exit_status;
	const char	*signal;
	struct mock_chan *next;
};

/* The call a session owes the mock after an EAGAIN. */
struct mock_pending {
	int		 fn;		/* MF_*, or -1: nothing pending */
	const void	*obj;		/* the session or channel */
	const void	*p;		/* the buffer, command, user... */
	const void	*q;		/* a second pointer argument */
	size_t		 len;
	int		 dir;		/* block directions it set */
};

struct mock_sess {
	int		 id;		/* 0, 1, ... in creation order */
	int		 fd;		/* given to the handshake */
	int		 blocking;
	int		 hs_calls;
	int		 hs_left;	/* handshake EAGAINs left */
	int		 handshaken;
	int		 logging_in;	/* between handshake and auth success */
	int		 authed;
	int		 auth_calls;	/* userauth_list, publickey, agent */
	int		 pub_i;		/* publickey results used */
	char		*auth_user;
	char		*auth_key;	/* the last private key file tried */
	char		*hostkey_prefs;	/* what method_pref set, or NULL */
	void		*abstract;	/* as given to session_init_ex */
	void		*disconnect_cb;	/* LIBSSH2_CALLBACK_DISCONNECT */
	int		 server_gone;	/* the server said goodbye */
	int		 adjust_coming;	/* the next read takes in an adjust */
	int		 adjust_taken;	/* it did: the window is open, and no
					   input will come to say so */
	int		 disconnected;
	int		 freed;
	int		 dir;		/* block directions */
	int		 last_eagain;	/* the last call (not a getter) did */
	int		 errcode;
	char		 errmsg[128];
	struct mock_pending pend;
	struct mock_chan *chans;	/* in creation order */
	int		 nchans;
	struct mock_sess *next;
};

/* One accepted channel_write, for the fairness checks. */
struct mock_wlog {
	int		 sess;		/* mock_sess id */
	int		 others;	/* other sessions ready to send then */
	uint32_t	 ready;		/* which (bit i: session i, i < 32) */
};

struct mock {
	/* Set by tests, after mock_reset(). */
	int		 handshake_eagain;	/* EAGAINs before the result */
	int		 handshake_rc;		/* 0, or an error code */
	unsigned char	 hostkey[64];		/* the server's key blob */
	size_t		 hostkey_len;
	const char	*auth_methods;		/* NULL: "none" is accepted */
	int		 pubkey_rc[MOCK_MAX_PUBKEY]; /* per session, then 0 */
	const char	*pubkey_msg[MOCK_MAX_PUBKEY]; /* last_error's text
						   for each; NULL: the
						   server's refusal */
	int		 npubkey_rc;
	struct mock_write writes[MOCK_MAX_WRITES]; /* shared by sessions */
	int		 nwrites;
	int		 wpos;
	int		 write_stall;		/* every write parks, forever */
	int		 eagain_first;		/* every resumable call EAGAINs
						   once before it completes */
	int		 reply_delay;		/* read EAGAINs, then reply */
	int		 read_chunk;		/* bytes per read, 0: all */
	int		 read_gaps;		/* an EAGAIN between chunks */
	const char	*stdout_prefix;		/* rc-file noise before "ok" */
	int		 receive_refuse;	/* end before "ready" */
	int		 receive_exit;
	const char	*receive_stderr;
	int		 receive_no_ok;		/* exit 0, but print nothing */
	const char	*receive_signal;	/* killed by this signal */
	int		 commit_exit;
	const char	*commit_stderr;
	int		 commit_no_ready;	/* commit checks for ever */
	int		 commit_delay;		/* reply_delay, for commit */
	int		 commit_lost;		/* the connection dies once
						   commit has the go-ahead */
	const char	*die_stderr;		/* what a dying cat says */
	int		 die_exit;
	int		 tolerate;		/* count contract breaks, not
						   fail: to test the mock */
	int		 pubkey_disconnect;	/* after this many refused
						   keys, the server says
						   goodbye (MaxAuthTries) */
	/* Recorded. */
	struct mock_sess *sessions;		/* in creation order */
	int		 nsessions;
	int		 live;			/* sessions not yet freed */
	int		 max_live;
	int		 logging_in;
	int		 max_logging_in;
	struct mock_wlog *wlog;
	size_t		 nwlog;
	size_t		 wlogcap;
	size_t		 write_calls;		/* every channel_write call */
	int		 violations;		/* contract breaks tolerated */
};

extern struct mock mock;

/* Free every record and set the defaults: a polite, fast server. */
void		 mock_reset(void);
/* An ssh-ed25519 key blob whose key bytes derive from seed; returns len. */
size_t		 mock_ed25519_blob(unsigned char *blob, size_t len,
		    unsigned char seed);
/* Script the next channel_write results, in order. */
void		 mock_script_write(enum mock_wkind kind, long n);
/* Session i in creation order; fails the test if there is none. */
struct mock_sess *mock_session(int i);
/* Channel i of session ms, or NULL. */
struct mock_chan *mock_channel(const struct mock_sess *ms, int i);
/* How many channels of ms exec'd a script of kind k. */
int		 mock_count_script(const struct mock_sess *ms,
		    enum mock_script k);
/* The channel of ms that ran a script of kind k, or NULL. */
struct mock_chan *mock_script_chan(const struct mock_sess *ms,
		    enum mock_script k);
/* Does a channel of ms hold output that a read would return at once? */
int		 mock_output_queued(const struct mock_sess *ms);
/* Fail the test unless every session and channel made was freed. */
void		 mock_assert_all_freed(void);

/*
 * The world a session runs in: a socket listening on 127.0.0.1 that stands
 * for the server (the mock does the SSH part), and a temp directory with a
 * key file (mode 0600), a known_hosts file holding the mock's host key,
 * and a source file of pseudo-random bytes; the job's configuration points
 * at them all.  Helpers fail the test on any error.
 */
struct mock_world {
	int		 lfd;		/* the listening socket */
	int		 port;
	char		 dir[64];
	char		 key[128];
	char		 known_hosts[128];
	char		 path[128];	/* the source file */
	unsigned char	*data;		/* its bytes */
	size_t		 size;
	struct source	 src;
	struct sshconf	*conf;
	struct knownhosts *kh;
	struct job	 job;
};

#define MOCK_STALL_S	30	/* the world's job.stall_timeout */

/* Make the world, with a source of size bytes. */
void		 mock_world_init(struct mock_world *, size_t size);
/* Rewrite known_hosts with the key of mock_ed25519_blob(seed); 0: empty. */
void		 mock_world_known_hosts(struct mock_world *, unsigned char);
/* Rewrite the source with size new bytes, and open it again. */
void		 mock_world_source(struct mock_world *, size_t size);
/* Remove the files, close the sockets and free the job's parts. */
void		 mock_world_release(struct mock_world *);
/* A fresh host record for name, queued, with a remote path. */
void		 mock_host_init(struct host *, char *name);
/* A port on 127.0.0.1 that nothing listens on. */
int		 mock_closed_port(void);

/* The wrappers, linked in place of libssh2's functions. */
LIBSSH2_SESSION	*__wrap_libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*)),
		    LIBSSH2_FREE_FUNC((*)), LIBSSH2_REALLOC_FUNC((*)), void *);
void		 __wrap_libssh2_session_set_blocking(LIBSSH2_SESSION *, int);
const char	*__wrap_libssh2_session_methods(LIBSSH2_SESSION *, int);
int		 __wrap_libssh2_session_method_pref(LIBSSH2_SESSION *, int,
		    const char *);
int		 __wrap_libssh2_session_handshake(LIBSSH2_SESSION *,
		    libssh2_socket_t);
const char	*__wrap_libssh2_session_hostkey(LIBSSH2_SESSION *, size_t *,
		    int *);
int		 __wrap_libssh2_session_block_directions(LIBSSH2_SESSION *);
int		 __wrap_libssh2_session_last_error(LIBSSH2_SESSION *, char **,
		    int *, int);
int		 __wrap_libssh2_session_last_errno(LIBSSH2_SESSION *);
int		 __wrap_libssh2_session_disconnect_ex(LIBSSH2_SESSION *, int,
		    const char *, const char *);
int		 __wrap_libssh2_session_free(LIBSSH2_SESSION *);
char		*__wrap_libssh2_userauth_list(LIBSSH2_SESSION *, const char *,
		    unsigned int);
int		 __wrap_libssh2_userauth_authenticated(LIBSSH2_SESSION *);
unsigned long	 __wrap_libssh2_channel_window_write_ex(LIBSSH2_CHANNEL *,
		    unsigned long *);
void		*__wrap_libssh2_session_callback_set(LIBSSH2_SESSION *, int,
		    void *);
int		 __wrap_libssh2_userauth_publickey_fromfile_ex(
		    LIBSSH2_SESSION *, const char *, unsigned int,
		    const char *, const char *, const char *);
LIBSSH2_AGENT	*__wrap_libssh2_agent_init(LIBSSH2_SESSION *);
void		 __wrap_libssh2_agent_set_identity_path(LIBSSH2_AGENT *,
		    const char *);
int		 __wrap_libssh2_agent_connect(LIBSSH2_AGENT *);
int		 __wrap_libssh2_agent_list_identities(LIBSSH2_AGENT *);
int		 __wrap_libssh2_agent_get_identity(LIBSSH2_AGENT *,
		    struct libssh2_agent_publickey **,
		    struct libssh2_agent_publickey *);
int		 __wrap_libssh2_agent_userauth(LIBSSH2_AGENT *, const char *,
		    struct libssh2_agent_publickey *);
int		 __wrap_libssh2_agent_disconnect(LIBSSH2_AGENT *);
void		 __wrap_libssh2_agent_free(LIBSSH2_AGENT *);
LIBSSH2_CHANNEL	*__wrap_libssh2_channel_open_ex(LIBSSH2_SESSION *,
		    const char *, unsigned int, unsigned int, unsigned int,
		    const char *, unsigned int);
int		 __wrap_libssh2_channel_process_startup(LIBSSH2_CHANNEL *,
		    const char *, unsigned int, const char *, unsigned int);
ssize_t		 __wrap_libssh2_channel_write_ex(LIBSSH2_CHANNEL *, int,
		    const char *, size_t);
ssize_t		 __wrap_libssh2_channel_read_ex(LIBSSH2_CHANNEL *, int,
		    char *, size_t);
int		 __wrap_libssh2_poll_channel_read(LIBSSH2_CHANNEL *, int);
int		 __wrap_libssh2_channel_eof(LIBSSH2_CHANNEL *);
int		 __wrap_libssh2_channel_send_eof(LIBSSH2_CHANNEL *);
int		 __wrap_libssh2_channel_close(LIBSSH2_CHANNEL *);
int		 __wrap_libssh2_channel_wait_closed(LIBSSH2_CHANNEL *);
int		 __wrap_libssh2_channel_get_exit_status(LIBSSH2_CHANNEL *);
int		 __wrap_libssh2_channel_get_exit_signal(LIBSSH2_CHANNEL *,
		    char **, size_t *, char **, size_t *, char **, size_t *);
int		 __wrap_libssh2_channel_free(LIBSSH2_CHANNEL *);
void		 __wrap_libssh2_free(LIBSSH2_SESSION *, void *);

#endif
