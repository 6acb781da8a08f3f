/*
 * The scripted libssh2 of mock_libssh2.h.  Handles are our own records
 * cast to libssh2's opaque types; records outlive the frees, so tests can
 * read them afterwards, until mock_reset().  Memory comes from cmocka's
 * test_malloc, so a test that forgets mock_reset() is told of the leak.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host.h"
#include "knownhosts.h"
#include "mock_libssh2.h"
#include "remote.h"
#include "sshconf.h"

struct mock mock;

/* The resumable calls, for the EAGAIN contract and its messages. */
enum mock_fn {
	MF_HANDSHAKE,
	MF_USERAUTH_LIST,
	MF_PUBKEY,
	MF_OPEN,
	MF_STARTUP,
	MF_WRITE,
	MF_READ,
	MF_SEND_EOF,
	MF_CLOSE,
	MF_WAIT_CLOSED,
	MF_DISCONNECT,
};

static const char *const mock_fn_names[] = {
	[MF_HANDSHAKE] = "libssh2_session_handshake",
	[MF_USERAUTH_LIST] = "libssh2_userauth_list",
	[MF_PUBKEY] = "libssh2_userauth_publickey_fromfile_ex",
	[MF_OPEN] = "libssh2_channel_open_ex",
	[MF_STARTUP] = "libssh2_channel_process_startup",
	[MF_WRITE] = "libssh2_channel_write_ex",
	[MF_READ] = "libssh2_channel_read_ex",
	[MF_SEND_EOF] = "libssh2_channel_send_eof",
	[MF_CLOSE] = "libssh2_channel_close",
	[MF_WAIT_CLOSED] = "libssh2_channel_wait_closed",
	[MF_DISCONNECT] = "libssh2_session_disconnect_ex",
};

#define DIR_IN		LIBSSH2_SESSION_BLOCK_INBOUND
#define DIR_OUT		LIBSSH2_SESSION_BLOCK_OUTBOUND

/* Which way the next eagain_first EAGAIN blocks: it alternates. */
static int mock_flip;
static uint64_t	mock_script_size(const char *);
static void	mock_reply(struct mock_chan *);
static void	mock_joined_in(struct mock_chan *);

static char *
mock_strndup(const char *s, size_t n)
{
	char *p = test_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static struct mock_sess *
mock_sess_of(LIBSSH2_SESSION *s)
{
	assert_non_null(s);
	return (struct mock_sess *)(void *)s;
}

static struct mock_chan *
mock_chan_of(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = (struct mock_chan *)(void *)c;

	assert_non_null(c);
	if (ch->freed)
		fail_msg("mock: channel %d of session %d used after "
		    "libssh2_channel_free", ch->id, ch->sess->id);
	return ch;
}

/* How many sessions are between handshake and auth; keeps the maximum. */
static void
mock_logins(void)
{
	struct mock_sess *ms;
	int n = 0;

	for (ms = mock.sessions; ms != NULL; ms = ms->next)
		if (ms->logging_in && !ms->authed && !ms->freed)
			n++;
	mock.logging_in = n;
	if (n > mock.max_logging_in)
		mock.max_logging_in = n;
}

/*
 * Check a call against the EAGAIN contract.  Returns 1 if it repeats the
 * call that returned EAGAIN (which is then no longer owed), 0 if it is a
 * fresh call that the contract allows; fails the test otherwise.
 */
static int
mock_enter(struct mock_sess *ms, enum mock_fn fn, const void *obj,
    const void *p, const void *q, size_t len)
{
	struct mock_pending *pd = &ms->pend;

	if (ms->freed)
		fail_msg("mock: %s on session %d after libssh2_session_free",
		    mock_fn_names[fn], ms->id);
	if (pd->fn < 0)
		return 0;
	if (pd->fn == (int)fn && pd->obj == obj && pd->p == p &&
	    pd->q == q && pd->len == len) {
		pd->fn = -1;
		return 1;
	}
	/* A write that parked nothing: reading is safe (libssh2.md §1.2). */
	if (pd->fn == MF_WRITE && !(pd->dir & DIR_OUT)) {
		if (fn == MF_READ)
			return 0;
		/* Once the remote is known to have ended, it may be dropped. */
		if (((const struct mock_chan *)pd->obj)->eof_seen) {
			pd->fn = -1;
			return 0;
		}
	}
	if (mock.tolerate) {
		mock.violations++;
		pd->fn = -1;
		return 0;
	}
	fail_msg("mock: EAGAIN contract broken on session %d: %s returned "
	    "EAGAIN (%s, ptr %p, len %zu) but the next call was %s (ptr %p, "
	    "len %zu)", ms->id, mock_fn_names[pd->fn],
	    pd->dir & DIR_OUT ? "OUTBOUND" : "INBOUND", pd->p, pd->len,
	    mock_fn_names[fn], p, len);
	return 0;
}

/* Return EAGAIN, owing the same call: dir is what block_directions says. */
static int
mock_park(struct mock_sess *ms, enum mock_fn fn, const void *obj,
    const void *p, const void *q, size_t len, int dir)
{
	ms->pend.fn = (int)fn;
	ms->pend.obj = obj;
	ms->pend.p = p;
	ms->pend.q = q;
	ms->pend.len = len;
	ms->pend.dir = dir;
	ms->dir = dir;
	ms->errcode = LIBSSH2_ERROR_EAGAIN;
	snprintf(ms->errmsg, sizeof(ms->errmsg), "Would block");
	ms->last_eagain = 1;
	return LIBSSH2_ERROR_EAGAIN;
}

/* The direction of the next EAGAIN that eagain_first makes. */
static int
mock_flip_dir(void)
{
	mock_flip = !mock_flip;
	return mock_flip ? DIR_OUT : DIR_IN;
}

/* A call that completed. */
static int
mock_ok(struct mock_sess *ms)
{
	ms->last_eagain = 0;
	return 0;
}

/* A call that failed with rc; last_error() will say msg. */
static int
mock_error(struct mock_sess *ms, int rc, const char *msg)
{
	ms->errcode = rc;
	snprintf(ms->errmsg, sizeof(ms->errmsg), "%s", msg);
	ms->last_eagain = 0;
	return rc;
}

/* A read found nothing yet: EAGAIN, waiting for input; nothing is owed. */
static int
mock_read_eagain(struct mock_sess *ms)
{
	ms->dir = DIR_IN;
	ms->errcode = LIBSSH2_ERROR_EAGAIN;
	snprintf(ms->errmsg, sizeof(ms->errmsg), "Would block");
	ms->last_eagain = 1;
	return LIBSSH2_ERROR_EAGAIN;
}

static void
mock_free_chan(struct mock_chan *ch)
{
	char *const owned[] = { ch->cmd, ch->frame, (char *)ch->data,
	    (char *)ch->parkbuf, ch->out, ch->err, ch->go };
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (owned[i] != NULL)
			test_free(owned[i]);
	test_free(ch);
}

static void
mock_free_sess(struct mock_sess *ms)
{
	struct mock_chan *ch, *next;

	for (ch = ms->chans; ch != NULL; ch = next) {
		next = ch->next;
		mock_free_chan(ch);
	}
	test_free(ms->auth_user);
	test_free(ms->auth_key);
	test_free(ms->hostkey_prefs);
	test_free(ms);
}

void
mock_reset(void)
{
	struct mock_sess *ms, *next;

	for (ms = mock.sessions; ms != NULL; ms = next) {
		next = ms->next;
		mock_free_sess(ms);
	}
	test_free(mock.wlog);
	memset(&mock, 0, sizeof(mock));
	mock_flip = 0;
	mock.handshake_eagain = 1;
	mock.hostkey_len = mock_ed25519_blob(mock.hostkey,
	    sizeof(mock.hostkey), 1);
	mock.auth_methods = "publickey";
	mock.reply_delay = 1;
	mock.die_stderr = "cat: write error: No space left on device\n";
	mock.die_exit = 73;
}

static void
mock_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

size_t
mock_ed25519_blob(unsigned char *blob, size_t len, unsigned char seed)
{
	static const char type[] = "ssh-ed25519";
	size_t i, tlen = sizeof(type) - 1;

	assert_true(len >= 4 + tlen + 4 + 32);
	mock_put_u32(blob, (uint32_t)tlen);
	memcpy(blob + 4, type, tlen);
	mock_put_u32(blob + 4 + tlen, 32);
	for (i = 0; i < 32; i++)
		blob[8 + tlen + i] = (unsigned char)(seed * 37 + i * 11 + 1);
	return 8 + tlen + 32;
}

void
mock_script_write(enum mock_wkind kind, long n)
{
	assert_true(mock.nwrites < MOCK_MAX_WRITES);
	mock.writes[mock.nwrites].kind = kind;
	mock.writes[mock.nwrites++].n = n;
}

struct mock_sess *
mock_session(int i)
{
	struct mock_sess *ms;

	for (ms = mock.sessions; ms != NULL; ms = ms->next)
		if (ms->id == i)
			return ms;
	fail_msg("mock: no session %d (%d made)", i, mock.nsessions);
	return NULL;
}

struct mock_chan *
mock_channel(const struct mock_sess *ms, int i)
{
	struct mock_chan *ch;

	for (ch = ms->chans; ch != NULL; ch = ch->next)
		if (ch->id == i)
			return ch;
	return NULL;
}

int
mock_count_script(const struct mock_sess *ms, enum mock_script k)
{
	struct mock_chan *ch;
	int n = 0;

	for (ch = ms->chans; ch != NULL; ch = ch->next)
		if (ch->cmd != NULL && ch->script == k)
			n++;
	return n;
}

struct mock_chan *
mock_script_chan(const struct mock_sess *ms, enum mock_script k)
{
	struct mock_chan *ch;

	for (ch = ms->chans; ch != NULL; ch = ch->next)
		if (ch->cmd != NULL && ch->script == k)
			return ch;
	return NULL;
}

void
mock_assert_all_freed(void)
{
	struct mock_sess *ms;
	struct mock_chan *ch;

	for (ms = mock.sessions; ms != NULL; ms = ms->next) {
		if (!ms->freed)
			fail_msg("mock: session %d was never freed", ms->id);
		for (ch = ms->chans; ch != NULL; ch = ch->next)
			if (!ch->freed)
				fail_msg("mock: channel %d of session %d was "
				    "never freed", ch->id, ms->id);
	}
}

/* Add text to what the channel's stream holds. */
static void
mock_add_text(char **dst, size_t *len, const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0;

	*dst = test_realloc(*dst, *len + n + 1);
	memcpy(*dst + *len, text != NULL ? text : "", n);
	*len += n;
	(*dst)[*len] = '\0';
}

/* A commit's answer to its input in: n data bytes committed, or 81. */
static void
mock_commit_reply(struct mock_chan *ch, const void *in,
    size_t inlen, size_t n, const char **err, char *line, size_t linelen)
{
	if (inlen != 3 || memcmp(in, "go\n", 3) != 0) {
		*err = "no go-ahead from fanscp; 'dest' left as it was\n";
		ch->exit_status = 81;
		return;
	}
	snprintf(line, linelen, "fanscp-ok commit %zu\n", n);
	*err = mock.commit_stderr;
	ch->exit_status = mock.commit_exit;
}

/* What the remote side says once its stdin ended (or it died). */
static void
mock_reply(struct mock_chan *ch)
{
	const struct mock_chan *rc;
	const char *err = NULL;
	char line[64] = "";
	int ok = 1;

	ch->replied = 1;
	if (ch->dead) {
		err = mock.die_stderr;
		ch->exit_status = mock.die_exit;
		ok = 0;
	} else if (ch->joined && ch->go_ready) {
		mock_commit_reply(ch, ch->go, ch->golen, ch->len, &err, line,
		    sizeof(line));
		ok = ch->exit_status == 0;
	} else if (ch->script == MS_RECEIVE && ch->joined) {
		/* Short data, or a scripted failure: the receive's end. */
		err = mock.receive_stderr;
		ch->exit_status = mock.receive_exit != 0 ? mock.receive_exit :
		    mock.receive_signal != NULL || mock.receive_no_ok ? 0 : 74;
		ch->signal = mock.receive_signal;
		ok = 0;
	} else if (ch->script == MS_RECEIVE) {
		snprintf(line, sizeof(line), "fanscp-ok receive %zu\n",
		    ch->len);
		err = mock.receive_stderr;
		ch->exit_status = mock.receive_exit;
		ch->signal = mock.receive_signal;
		ok = ch->exit_status == 0 && ch->signal == NULL &&
		    !mock.receive_no_ok;
	} else if (ch->script == MS_COMMIT) {
		rc = mock_script_chan(ch->sess, MS_RECEIVE);
		mock_commit_reply(ch, ch->data, ch->len, rc != NULL ? rc->len :
		    0, &err, line, sizeof(line));
		ok = ch->exit_status == 0;
	} else if (ch->script == MS_ABORT) {
		snprintf(line, sizeof(line), "fanscp-ok abort 0\n");
	}
	if (ok)
		mock_add_text(&ch->out, &ch->outlen, line);
	mock_add_text(&ch->err, &ch->errlen, err);
}

/*
 * The script's frame is whole: know the script, and say "ready" (or, for
 * a refusing receive, end) as a real one does before reading any data.
 */
static void
mock_framed(struct mock_chan *ch)
{
	const char *nl = memchr(ch->frame, '\n', ch->framelen);

	ch->framed = 1;
	test_free(ch->cmd);
	ch->cmd = mock_strndup(nl + 1, ch->framelen - (size_t)(nl + 1 -
	    ch->frame));
	ch->joined = strstr(ch->cmd, "fanscp-ready receive") != NULL &&
	    strstr(ch->cmd, "fanscp-ok commit") != NULL;
	if (ch->joined || strstr(ch->cmd, "fanscp-ok receive") != NULL)
		ch->script = MS_RECEIVE;
	else if (strstr(ch->cmd, "fanscp-ok commit") != NULL)
		ch->script = MS_COMMIT;
	else if (strstr(ch->cmd, "fanscp-ok abort") != NULL)
		ch->script = MS_ABORT;
	ch->want = mock_script_size(ch->cmd);
	mock_add_text(&ch->out, &ch->outlen, mock.stdout_prefix);
	if (ch->script == MS_RECEIVE && mock.receive_refuse) {
		ch->replied = 1;
		ch->exit_status = mock.receive_exit;
		mock_add_text(&ch->err, &ch->errlen, mock.receive_stderr);
	} else if (ch->script == MS_RECEIVE) {
		mock_add_text(&ch->out, &ch->outlen, "fanscp-ready receive\n");
		mock_joined_in(ch);
	} else if (ch->script == MS_COMMIT && !mock.commit_no_ready) {
		mock_add_text(&ch->out, &ch->outlen, "fanscp-ready commit\n");
	}
}

/*
 * A joined receive whose data is all in goes on to its commit's
 * "ready", or ends there when the receive is scripted to fail.
 */
static void
mock_joined_in(struct mock_chan *ch)
{
	if (!ch->joined || ch->go_ready || ch->replied || ch->len < ch->want)
		return;
	if (mock.receive_exit != 0 || mock.receive_signal != NULL ||
	    mock.receive_no_ok) {
		mock_reply(ch);
		return;
	}
	ch->go_ready = 1;
	if (!mock.commit_no_ready)
		mock_add_text(&ch->out, &ch->outlen, "fanscp-ready commit\n");
}

/* A joined receive's go-ahead goes in whole, outside the counts. */
static ssize_t
mock_go_input(struct mock_sess *ms, struct mock_chan *ch, const char *buf,
    size_t len)
{
	ch->go = test_realloc(ch->go, ch->golen + len);
	memcpy(ch->go + ch->golen, buf, len);
	ch->golen += len;
	mock_ok(ms);
	return (ssize_t)len;
}

/* A commit's input (the go-ahead) goes in whole, outside the counts. */
static ssize_t
mock_commit_input(struct mock_sess *ms, struct mock_chan *ch,
    const char *buf, size_t len)
{
	ch->data = test_realloc(ch->data, ch->len + len);
	memcpy(ch->data + ch->len, buf, len);
	ch->len += len;
	mock_ok(ms);
	return (ssize_t)len;
}

/* Frame bytes go in whole, whatever the write script says. */
static ssize_t
mock_frame_write(struct mock_sess *ms, struct mock_chan *ch,
    const char *buf, size_t len)
{
	size_t need, n;
	const char *nl;

	ch->frame = test_realloc(ch->frame, ch->framelen + len + 1);
	n = len;
	nl = memchr(ch->frame, '\n', ch->framelen);
	memcpy(ch->frame + ch->framelen, buf, len);
	ch->framelen += len;
	if (nl == NULL)
		nl = memchr(ch->frame, '\n', ch->framelen);
	if (nl != NULL) {
		need = (size_t)(nl - ch->frame) + 1 +
		    strtoull(ch->frame, NULL, 10);
		if (ch->framelen >= need) {
			n = len - (ch->framelen - need);
			ch->framelen = need;
			mock_framed(ch);
		}
	}
	mock_ok(ms);
	return (ssize_t)n;
}

/* The other sessions that could send now, for fairness: their number. */
static int
mock_others_ready(const struct mock_sess *self, uint32_t *mask)
{
	const struct mock_sess *ms;
	const struct mock_chan *ch;
	int n = 0;

	*mask = 0;
	for (ms = mock.sessions; ms != NULL; ms = ms->next) {
		if (ms == self || ms->freed)
			continue;
		for (ch = ms->chans; ch != NULL; ch = ch->next)
			if (ch->script == MS_RECEIVE && !ch->freed &&
			    !ch->eof_sent && !ch->dead && ch->len < ch->want)
				break;
		if (ch == NULL)
			continue;
		n++;
		if (ms->id < 32)
			*mask |= (uint32_t)1 << ms->id;
	}
	return n;
}

/* The channel takes n bytes of buf. */
static ssize_t
mock_accept(struct mock_sess *ms, struct mock_chan *ch,
    const unsigned char *buf, size_t n)
{
	if (ch->len + n > ch->cap) {
		ch->cap = ch->cap * 2 > ch->len + n ? ch->cap * 2 :
		    ch->len + n;
		ch->data = test_realloc(ch->data, ch->cap);
	}
	memcpy(ch->data + ch->len, buf, n);
	ch->len += n;
	ch->nwrites++;
	if (mock.nwlog == mock.wlogcap) {
		mock.wlogcap = mock.wlogcap ? mock.wlogcap * 2 : 256;
		mock.wlog = test_realloc(mock.wlog,
		    mock.wlogcap * sizeof(*mock.wlog));
	}
	mock.wlog[mock.nwlog].sess = ms->id;
	mock.wlog[mock.nwlog].others = mock_others_ready(ms,
	    &mock.wlog[mock.nwlog].ready);
	mock.nwlog++;
	mock_joined_in(ch);
	mock_ok(ms);
	return (ssize_t)n;
}

/* Encrypt a packet of n bytes into the one outgoing slot, and block. */
static ssize_t
mock_park_packet(struct mock_sess *ms, struct mock_chan *ch,
    const char *buf, size_t len, size_t n)
{
	if (ch->parkbuf == NULL)
		ch->parkbuf = test_malloc(MOCK_WRITE_CAP);
	memcpy(ch->parkbuf, buf, n);
	ch->parked = n;
	return mock_park(ms, MF_WRITE, ch, buf, NULL, len, DIR_OUT);
}

/* The repeat of a write whose packet was parked. */
static ssize_t
mock_write_parked(struct mock_sess *ms, struct mock_chan *ch,
    const char *buf, size_t len)
{
	const struct mock_write *w = NULL;
	size_t n = ch->parked;

	if (mock.wpos < mock.nwrites)
		w = &mock.writes[mock.wpos];
	if (mock.write_stall || (w != NULL && w->kind == MW_EAGAIN_OUT)) {
		if (!mock.write_stall)
			mock.wpos++;
		return mock_park(ms, MF_WRITE, ch, buf, NULL, len, DIR_OUT);
	}
	if (w != NULL && w->kind == MW_ERROR) {
		mock.wpos++;
		ch->parked = 0;
		return mock_error(ms, (int)w->n, "Unable to send data");
	}
	/* What goes out is what was copied when the packet was parked. */
	ch->parked = 0;
	return mock_accept(ms, ch, ch->parkbuf, n);
}

static size_t
mock_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* The next scripted write, or the default: a full packet. */
static struct mock_write
mock_next_write(void)
{
	struct mock_write w = { MW_ACCEPT, MOCK_WRITE_CAP };

	if (mock.wpos < mock.nwrites)
		w = mock.writes[mock.wpos++];
	return w;
}

static const char *
mock_errmsg(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_SEND:
		return "Unable to send data on socket";
	case LIBSSH2_ERROR_SOCKET_RECV:
		return "Failure while draining incoming flow";
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
		return "Disconnected by the server";
	case LIBSSH2_ERROR_KEX_FAILURE:
		return "Unable to exchange encryption keys";
	case LIBSSH2_ERROR_TIMEOUT:
		return "Timed out";
	default:
		return "Scripted failure";
	}
}

LIBSSH2_SESSION *
__wrap_libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*my_alloc)),
    LIBSSH2_FREE_FUNC((*my_free)), LIBSSH2_REALLOC_FUNC((*my_realloc)),
    void *abstract)
{
	struct mock_sess *ms = test_calloc(1, sizeof(*ms)), **tail;

	ms->abstract = abstract;
	assert_null(my_alloc);
	assert_null(my_free);
	assert_null(my_realloc);
	ms->id = mock.nsessions++;
	ms->fd = -1;
	ms->blocking = 1;
	ms->pend.fn = -1;
	ms->hs_left = mock.handshake_eagain;
	for (tail = &mock.sessions; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = ms;
	if (++mock.live > mock.max_live)
		mock.max_live = mock.live;
	return (LIBSSH2_SESSION *)(void *)ms;
}

void
__wrap_libssh2_session_set_blocking(LIBSSH2_SESSION *s, int blocking)
{
	mock_sess_of(s)->blocking = blocking;
}

int
__wrap_libssh2_session_method_pref(LIBSSH2_SESSION *s, int type,
    const char *prefs)
{
	struct mock_sess *ms = mock_sess_of(s);

	if (ms->hs_calls > 0)
		fail_msg("mock: method_pref after the handshake started");
	if (type == LIBSSH2_METHOD_HOSTKEY) {
		test_free(ms->hostkey_prefs);
		ms->hostkey_prefs = mock_strndup(prefs, strlen(prefs));
	}
	return 0;
}

/* The algorithms negotiated, for conn.c's -vv line. */
const char *
__wrap_libssh2_session_methods(LIBSSH2_SESSION *s, int type)
{
	(void)mock_sess_of(s);
	(void)type;
	return "mock";
}

int
__wrap_libssh2_session_handshake(LIBSSH2_SESSION *s, libssh2_socket_t fd)
{
	struct mock_sess *ms = mock_sess_of(s);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (!mock_enter(ms, MF_HANDSHAKE, ms, NULL, NULL, (size_t)fd)) {
		if (ms->hs_calls > 0)
			fail_msg("mock: session %d handshakes twice", ms->id);
		if (ms->blocking)
			fail_msg("mock: handshake in blocking mode");
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
			fail_msg("mock: handshake on fd %d, which is not a "
			    "connected socket", fd);
		ms->fd = fd;
		ms->logging_in = 1;
		mock_logins();
	}
	ms->hs_calls++;
	if (ms->hs_left > 0) {
		ms->hs_left--;
		return mock_park(ms, MF_HANDSHAKE, ms, NULL, NULL, (size_t)fd,
		    DIR_IN);
	}
	if (mock.handshake_rc != 0)
		return mock_error(ms, mock.handshake_rc,
		    mock_errmsg(mock.handshake_rc));
	ms->handshaken = 1;
	return mock_ok(ms);
}

const char *
__wrap_libssh2_session_hostkey(LIBSSH2_SESSION *s, size_t *len, int *type)
{
	struct mock_sess *ms = mock_sess_of(s);

	if (!ms->handshaken)
		fail_msg("mock: hostkey asked before the handshake ended");
	*len = mock.hostkey_len;
	if (type != NULL)
		*type = LIBSSH2_HOSTKEY_TYPE_ED25519;
	return (const char *)mock.hostkey;
}

int
__wrap_libssh2_session_block_directions(LIBSSH2_SESSION *s)
{
	return mock_sess_of(s)->dir;
}

int
__wrap_libssh2_session_last_error(LIBSSH2_SESSION *s, char **msg,
    int *len, int want_buf)
{
	struct mock_sess *ms = mock_sess_of(s);

	if (want_buf)
		fail_msg("mock: last_error with want_buf is not modelled");
	if (msg != NULL)
		*msg = ms->errmsg;
	if (len != NULL)
		*len = (int)strlen(ms->errmsg);
	return ms->errcode;
}

int
__wrap_libssh2_session_last_errno(LIBSSH2_SESSION *s)
{
	return mock_sess_of(s)->errcode;
}

int
__wrap_libssh2_session_disconnect_ex(LIBSSH2_SESSION *s, int reason,
    const char *desc, const char *lang)
{
	struct mock_sess *ms = mock_sess_of(s);

	(void)reason;
	(void)lang;
	if (!mock_enter(ms, MF_DISCONNECT, ms, desc, NULL, 0) &&
	    mock.eagain_first)
		return mock_park(ms, MF_DISCONNECT, ms, desc, NULL, 0,
		    DIR_OUT);
	ms->disconnected = 1;
	return mock_ok(ms);
}

int
__wrap_libssh2_session_free(LIBSSH2_SESSION *s)
{
	struct mock_sess *ms = mock_sess_of(s);

	if (ms->freed)
		fail_msg("mock: session %d freed twice", ms->id);
	ms->freed = 1;
	ms->pend.fn = -1;
	mock.live--;
	mock_logins();
	return 0;
}

char *
__wrap_libssh2_userauth_list(LIBSSH2_SESSION *s, const char *user,
    unsigned int ulen)
{
	struct mock_sess *ms = mock_sess_of(s);
	int again = mock_enter(ms, MF_USERAUTH_LIST, ms, user, NULL, ulen);

	if (!ms->handshaken)
		fail_msg("mock: userauth before the handshake ended");
	if (!again) {
		ms->auth_calls++;
		if (mock.eagain_first) {
			mock_park(ms, MF_USERAUTH_LIST, ms, user, NULL, ulen,
			    mock_flip_dir());
			return NULL;
		}
	}
	if (mock.auth_methods == NULL) {
		/* The server took "none": the session is logged in. */
		ms->authed = 1;
		mock_logins();
		ms->errcode = 0;
		mock_ok(ms);
		return NULL;
	}
	mock_ok(ms);
	return (char *)(uintptr_t)mock.auth_methods;
}

int
__wrap_libssh2_userauth_authenticated(LIBSSH2_SESSION *s)
{
	return mock_sess_of(s)->authed;
}

/* The server sends SSH_MSG_DISCONNECT: libssh2 calls the callback. */
static void
mock_server_disconnect(struct mock_sess *ms, const char *msg)
{
	LIBSSH2_DISCONNECT_FUNC((*cb));

	ms->server_gone = 1;
	if (ms->disconnect_cb == NULL)
		return;
	*(void **)&cb = ms->disconnect_cb;
	cb((LIBSSH2_SESSION *)(void *)ms, SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE,
	    msg, (int)strlen(msg), "", 0, &ms->abstract);
}

void *
__wrap_libssh2_session_callback_set(LIBSSH2_SESSION *s, int type,
    void *callback)
{
	struct mock_sess *ms = mock_sess_of(s);
	void *old;

	/* conn.c taps the handshake's I/O, which the mock never does. */
	if (type == LIBSSH2_CALLBACK_SEND || type == LIBSSH2_CALLBACK_RECV)
		return NULL;
	if (type != LIBSSH2_CALLBACK_DISCONNECT)
		fail_msg("mock: unexpected callback type %d", type);
	old = ms->disconnect_cb;
	ms->disconnect_cb = callback;
	return old;
}

int
__wrap_libssh2_userauth_publickey_fromfile_ex(LIBSSH2_SESSION *s,
    const char *user, unsigned int ulen, const char *pub, const char *priv,
    const char *pass)
{
	struct mock_sess *ms = mock_sess_of(s);
	const char *msg;
	int rc;

	(void)pub;
	(void)pass;
	if (!mock_enter(ms, MF_PUBKEY, ms, user, priv, ulen)) {
		if (!ms->handshaken)
			fail_msg("mock: userauth before the handshake ended");
		ms->auth_calls++;
		test_free(ms->auth_user);
		test_free(ms->auth_key);
		ms->auth_user = mock_strndup(user, ulen);
		ms->auth_key = mock_strndup(priv, strlen(priv));
		if (mock.eagain_first)
			return mock_park(ms, MF_PUBKEY, ms, user, priv, ulen,
			    mock_flip_dir());
	}
	if (ms->server_gone)
		return mock_error(ms, LIBSSH2_ERROR_SOCKET_SEND,
		    "Unable to send userauth-publickey request");
	rc = ms->pub_i < mock.npubkey_rc ? mock.pubkey_rc[ms->pub_i] : 0;
	msg = ms->pub_i < mock.npubkey_rc ? mock.pubkey_msg[ms->pub_i] : NULL;
	ms->pub_i++;
	if (rc != 0 && mock.pubkey_disconnect > 0 &&
	    ms->pub_i >= mock.pubkey_disconnect) {
		/* As libssh2 1.10 does: the callback, then -19. */
		mock_server_disconnect(ms, "Too many authentication failures");
		return mock_error(ms, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
		    "Invalid signature for supplied public key, or bad "
		    "username/public key combination");
	}
	if (rc != 0)
		return mock_error(ms, rc, msg != NULL ? msg :
		    "Username/PublicKey combination invalid");
	ms->authed = 1;
	mock_logins();
	return mock_ok(ms);
}

/* The mock has no agent: init says so, and nothing else may be called. */
LIBSSH2_AGENT *
__wrap_libssh2_agent_init(LIBSSH2_SESSION *s)
{
	mock_error(mock_sess_of(s), LIBSSH2_ERROR_AGENT_PROTOCOL,
	    "no agent in the mock");
	return NULL;
}

void
__wrap_libssh2_agent_set_identity_path(LIBSSH2_AGENT *a, const char *path)
{
	(void)a;
	(void)path;
	fail_msg("mock: agent_set_identity_path without an agent");
}

int
__wrap_libssh2_agent_connect(LIBSSH2_AGENT *a)
{
	(void)a;
	fail_msg("mock: agent_connect without an agent");
	return -1;
}

int
__wrap_libssh2_agent_list_identities(LIBSSH2_AGENT *a)
{
	(void)a;
	fail_msg("mock: agent_list_identities without an agent");
	return -1;
}

int
__wrap_libssh2_agent_get_identity(LIBSSH2_AGENT *a,
    struct libssh2_agent_publickey **store,
    struct libssh2_agent_publickey *prev)
{
	(void)a;
	(void)store;
	(void)prev;
	fail_msg("mock: agent_get_identity without an agent");
	return -1;
}

int
__wrap_libssh2_agent_userauth(LIBSSH2_AGENT *a, const char *user,
    struct libssh2_agent_publickey *id)
{
	(void)a;
	(void)user;
	(void)id;
	fail_msg("mock: agent_userauth without an agent");
	return -1;
}

int
__wrap_libssh2_agent_disconnect(LIBSSH2_AGENT *a)
{
	(void)a;
	fail_msg("mock: agent_disconnect without an agent");
	return -1;
}

void
__wrap_libssh2_agent_free(LIBSSH2_AGENT *a)
{
	(void)a;
	fail_msg("mock: agent_free without an agent");
}

LIBSSH2_CHANNEL *
__wrap_libssh2_channel_open_ex(LIBSSH2_SESSION *s, const char *type,
    unsigned int tlen, unsigned int window, unsigned int packet,
    const char *msg, unsigned int mlen)
{
	struct mock_sess *ms = mock_sess_of(s);
	struct mock_chan *ch, **tail;

	(void)window;
	(void)packet;
	if (!mock_enter(ms, MF_OPEN, ms, NULL, NULL, 0) &&
	    mock.eagain_first) {
		mock_park(ms, MF_OPEN, ms, NULL, NULL, 0, mock_flip_dir());
		return NULL;
	}
	if (!ms->authed)
		fail_msg("mock: channel opened before authentication");
	if (tlen != 7 || memcmp(type, "session", 7) != 0 || msg != NULL ||
	    mlen != 0)
		fail_msg("mock: only plain session channels are modelled");
	ch = test_calloc(1, sizeof(*ch));
	ch->sess = ms;
	ch->id = ms->nchans++;
	ch->exit_status = -1;
	for (tail = &ms->chans; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = ch;
	mock_ok(ms);
	return (LIBSSH2_CHANNEL *)(void *)ch;
}

/* The byte count the script expects: its "s=N" assignment. */
static uint64_t
mock_script_size(const char *cmd)
{
	const char *p = strstr(cmd, "' s=");

	return p != NULL ? strtoull(p + 4, NULL, 10) : 0;
}

int
__wrap_libssh2_channel_process_startup(LIBSSH2_CHANNEL *c, const char *req,
    unsigned int rlen, const char *msg, unsigned int mlen)
{
	struct mock_chan *ch = mock_chan_of(c);
	struct mock_sess *ms = ch->sess;

	if (!mock_enter(ms, MF_STARTUP, ch, msg, NULL, mlen)) {
		if (ch->cmd != NULL)
			fail_msg("mock: channel %d of session %d exec'd "
			    "twice", ch->id, ms->id);
		if (rlen != 4 || memcmp(req, "exec", 4) != 0)
			fail_msg("mock: only exec requests are modelled");
		if (mock.eagain_first)
			return mock_park(ms, MF_STARTUP, ch, msg, NULL, mlen,
			    mock_flip_dir());
	}
	ch->cmd = mock_strndup(msg, mlen);
	/* Anything but the loader takes its stdin raw. */
	ch->framed = strcmp(ch->cmd, remote_exec_cmd) != 0;
	return mock_ok(ms);
}

/* The send window: shut while an adjust is on its way, else open. */
unsigned long
__wrap_libssh2_channel_window_write_ex(LIBSSH2_CHANNEL *c,
    unsigned long *initial)
{
	struct mock_chan *ch = mock_chan_of(c);

	if (initial != NULL)
		*initial = 2097152;
	return ch->sess->adjust_coming ? 0 : 2097152;
}

ssize_t
__wrap_libssh2_channel_write_ex(LIBSSH2_CHANNEL *c, int stream,
    const char *buf, size_t len)
{
	struct mock_chan *ch = mock_chan_of(c);
	struct mock_sess *ms = ch->sess;
	int again = mock_enter(ms, MF_WRITE, ch, buf, NULL, len);
	struct mock_write w;
	size_t n = mock_min(len, MOCK_WRITE_CAP);

	if (!ch->framed && ch->cmd != NULL && !ch->eof_sent)
		return mock_frame_write(ms, ch, buf, len);
	if (ch->script == MS_COMMIT && !ch->eof_sent)
		return mock_commit_input(ms, ch, buf, len);
	if (ch->joined && ch->go_ready && !ch->eof_sent && !ch->replied)
		return mock_go_input(ms, ch, buf, len);
	mock.write_calls++;
	ms->adjust_taken = 0;
	if (stream != 0)
		fail_msg("mock: write to stream %d", stream);
	if (len == 0)
		fail_msg("mock: a zero-length write sends an empty packet");
	if (ch->cmd == NULL)
		fail_msg("mock: write before exec");
	if (ch->eof_sent)
		return mock_error(ms, LIBSSH2_ERROR_CHANNEL_EOF_SENT,
		    "EOF has already been sent, data might be ignored");
	if (again && ch->parked > 0)
		return mock_write_parked(ms, ch, buf, len);
	/* A dead receiver's sshd never opens the window again. */
	if (ch->dead)
		return mock_park(ms, MF_WRITE, ch, buf, NULL, len, DIR_IN);
	if (mock.write_stall)
		return mock_park_packet(ms, ch, buf, len, n);
	w = mock_next_write();
	switch (w.kind) {
	case MW_ACCEPT:
		return mock_accept(ms, ch, (const unsigned char *)buf,
		    mock_min(n, (size_t)w.n));
	case MW_EAGAIN_OUT:
		return mock_park_packet(ms, ch, buf, len, n);
	case MW_EAGAIN_IN:
		return mock_park(ms, MF_WRITE, ch, buf, NULL, len, DIR_IN);
	case MW_ERROR:
		return mock_error(ms, (int)w.n, mock_errmsg((int)w.n));
	case MW_DIE:
		ch->dead = 1;
		return mock_park(ms, MF_WRITE, ch, buf, NULL, len, DIR_IN);
	case MW_EAGAIN_IN_ADJ:
		ms->adjust_coming = 1;
		return mock_park(ms, MF_WRITE, ch, buf, NULL, len, DIR_IN);
	}
	fail_msg("mock: bad scripted write %d", (int)w.kind);
	return -1;
}

ssize_t
__wrap_libssh2_channel_read_ex(LIBSSH2_CHANNEL *c, int stream, char *buf,
    size_t buflen)
{
	struct mock_chan *ch = mock_chan_of(c);
	struct mock_sess *ms = ch->sess;
	const char *text;
	size_t *pos, len, n;

	mock_enter(ms, MF_READ, ch, buf, NULL, buflen);
	if (ms->adjust_coming) {
		ms->adjust_coming = 0;
		ms->adjust_taken = 1;
	}
	if (stream != 0 && stream != SSH_EXTENDED_DATA_STDERR)
		fail_msg("mock: read from stream %d", stream);
	if (ch->cmd == NULL)
		fail_msg("mock: read before exec");
	if (mock.commit_lost && ((ch->script == MS_COMMIT && ch->len > 0) ||
	    ch->golen > 0)) {
		ms->server_gone = 1;
		return mock_error(ms, LIBSSH2_ERROR_SOCKET_RECV,
		    "Failure while receiving");
	}
	if (!ch->replied && ch->outpos < ch->outlen && stream == 0 &&
	    !ch->gap) {
		/* "ready" (and noise before it), ahead of the end. */
		n = mock_min(buflen, ch->outlen - ch->outpos);
		memcpy(buf, ch->out + ch->outpos, n);
		ch->outpos += n;
		mock_ok(ms);
		return (ssize_t)n;
	}
	if (!ch->replied) {
		if (!ch->eof_sent && !ch->dead)
			return mock_read_eagain(ms);
		if (ch->delay > 0) {
			ch->delay--;
			return mock_read_eagain(ms);
		}
		mock_reply(ch);
	}
	if (ch->gap) {
		ch->gap = 0;
		return mock_read_eagain(ms);
	}
	text = stream == 0 ? ch->out : ch->err;
	len = stream == 0 ? ch->outlen : ch->errlen;
	pos = stream == 0 ? &ch->outpos : &ch->errpos;
	mock_ok(ms);
	if (*pos == len)
		return 0;
	n = mock_min(buflen, len - *pos);
	if (mock.read_chunk > 0)
		n = mock_min(n, (size_t)mock.read_chunk);
	memcpy(buf, text + *pos, n);
	*pos += n;
	ch->gap = mock.read_gaps;
	return (ssize_t)n;
}

int
__wrap_libssh2_channel_eof(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = mock_chan_of(c);

	if (!ch->replied || ch->outpos < ch->outlen || ch->errpos < ch->errlen)
		return 0;
	ch->eof_seen = 1;
	return 1;
}

/* Output a read would return now, without a wait: queued inside libssh2. */
int
__wrap_libssh2_poll_channel_read(LIBSSH2_CHANNEL *c, int extended)
{
	struct mock_chan *ch = mock_chan_of(c);

	if (ch->gap)
		return 0;
	if (!ch->replied)
		return ch->outpos < ch->outlen;
	return ch->outpos < ch->outlen ||
	    (extended && ch->errpos < ch->errlen);
}

int
mock_output_queued(const struct mock_sess *ms)
{
	struct mock_chan *ch;

	for (ch = ms->chans; ch != NULL; ch = ch->next)
		if (!ch->freed && ch->cmd != NULL &&
		    __wrap_libssh2_poll_channel_read((LIBSSH2_CHANNEL *)ch, 1))
			return 1;
	return 0;
}

int
__wrap_libssh2_channel_send_eof(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = mock_chan_of(c);
	struct mock_sess *ms = ch->sess;

	if (!mock_enter(ms, MF_SEND_EOF, ch, NULL, NULL, 0)) {
		if (ch->cmd == NULL)
			fail_msg("mock: send_eof before exec");
		if (mock.eagain_first)
			return mock_park(ms, MF_SEND_EOF, ch, NULL, NULL, 0,
			    mock_flip_dir());
	}
	if (!ch->eof_sent) {
		ch->eof_sent = 1;
		ch->delay = (ch->script == MS_COMMIT || ch->go_ready) &&
		    mock.commit_delay ?
		    mock.commit_delay : mock.reply_delay;
	}
	return mock_ok(ms);
}

int
__wrap_libssh2_channel_close(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = mock_chan_of(c);
	struct mock_sess *ms = ch->sess;

	if (!mock_enter(ms, MF_CLOSE, ch, NULL, NULL, 0) &&
	    mock.eagain_first)
		return mock_park(ms, MF_CLOSE, ch, NULL, NULL, 0,
		    mock_flip_dir());
	ch->eof_sent = 1;
	ch->closed = 1;
	return mock_ok(ms);
}

int
__wrap_libssh2_channel_wait_closed(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = mock_chan_of(c);
	struct mock_sess *ms = ch->sess;

	if (!mock_enter(ms, MF_WAIT_CLOSED, ch, NULL, NULL, 0)) {
		if (!ch->closed)
			fail_msg("mock: wait_closed before close");
		/* libssh2 1.10 insists on the remote EOF first. */
		if (!ch->replied)
			return mock_error(ms, LIBSSH2_ERROR_INVAL,
			    "libssh2_channel_wait_closed() invoked when "
			    "channel is not in EOF state");
		if (mock.eagain_first)
			return mock_park(ms, MF_WAIT_CLOSED, ch, NULL, NULL, 0,
			    DIR_IN);
	}
	ch->wait_closed = 1;
	return mock_ok(ms);
}

int
__wrap_libssh2_channel_get_exit_status(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = mock_chan_of(c);

	/* As in libssh2: 0 when no exit-status arrived. */
	return ch->replied && ch->exit_status > 0 ? ch->exit_status : 0;
}

int
__wrap_libssh2_channel_get_exit_signal(LIBSSH2_CHANNEL *c, char **sig,
    size_t *siglen, char **msg, size_t *msglen, char **lang,
    size_t *langlen)
{
	struct mock_chan *ch = mock_chan_of(c);

	if (sig != NULL)
		*sig = NULL;
	if (siglen != NULL)
		*siglen = 0;
	if (ch->replied && ch->signal != NULL && sig != NULL) {
		*sig = mock_strndup(ch->signal, strlen(ch->signal));
		if (siglen != NULL)
			*siglen = strlen(ch->signal);
	}
	if (msg != NULL)
		*msg = NULL;
	if (msglen != NULL)
		*msglen = 0;
	if (lang != NULL)
		*lang = NULL;
	if (langlen != NULL)
		*langlen = 0;
	return 0;
}

int
__wrap_libssh2_channel_free(LIBSSH2_CHANNEL *c)
{
	struct mock_chan *ch = mock_chan_of(c);

	if (ch->sess->freed)
		fail_msg("mock: channel freed after its session");
	ch->freed = 1;
	return 0;
}

void
__wrap_libssh2_free(LIBSSH2_SESSION *s, void *p)
{
	(void)mock_sess_of(s);
	test_free(p);
}

/* A socket on 127.0.0.1 and a kernel-chosen port; listening if asked. */
static int
mock_socket(int *port, int listening)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (listening)
		assert_int_equal(listen(fd, 128), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

int
mock_closed_port(void)
{
	int port, fd = mock_socket(&port, 0);

	close(fd);
	return port;
}

static void
mock_write_file(const char *path, const void *p, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

void
mock_world_known_hosts(struct mock_world *w, unsigned char seed)
{
	unsigned char blob[64], b64[128];
	char line[256] = "";
	size_t len;

	if (seed != 0) {
		len = mock_ed25519_blob(blob, sizeof(blob), seed);
		EVP_EncodeBlock(b64, blob, (int)len);
		snprintf(line, sizeof(line), "[127.0.0.1]:%d ssh-ed25519 %s\n",
		    w->port, (char *)b64);
	}
	mock_write_file(w->known_hosts, line, strlen(line), 0644);
}

void
mock_world_source(struct mock_world *w, size_t size)
{
	char err[256];
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ size;
	size_t i;

	if (w->src.path != NULL)
		source_close(&w->src);
	/* Plain malloc: a test may remake the source, outliving the test. */
	free(w->data);
	w->data = malloc(size + 1);
	assert_non_null(w->data);
	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w->data[i] = (unsigned char)(x >> 24);
	}
	w->size = size;
	mock_write_file(w->path, w->data, size, 0644);
	if (source_open(&w->src, w->path, err, sizeof(err)) != 0)
		fail_msg("source_open: %s", err);
	w->job.src = &w->src;
}

static void
mock_world_option(struct mock_world *w, const char *key, const char *val)
{
	char opt[256], err[256];

	snprintf(opt, sizeof(opt), "%s=%s", key, val);
	if (sshconf_add_option(w->conf, opt, err, sizeof(err)) != 0)
		fail_msg("sshconf_add_option '%s': %s", opt, err);
}

void
mock_world_init(struct mock_world *w, size_t size)
{
	static const char key[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	    "bW9jaw==\n-----END OPENSSH PRIVATE KEY-----\n";
	char port[16], none[128];

	memset(w, 0, sizeof(*w));
	w->src.fd = -1;
	w->lfd = mock_socket(&w->port, 1);
	snprintf(w->dir, sizeof(w->dir), "/tmp/fanscp-unit.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(w->key, sizeof(w->key), "%s/id_ed25519", w->dir);
	snprintf(w->known_hosts, sizeof(w->known_hosts), "%s/known_hosts",
	    w->dir);
	snprintf(w->path, sizeof(w->path), "%s/payload.bin", w->dir);
	snprintf(none, sizeof(none), "%s/no_global_known_hosts", w->dir);
	snprintf(port, sizeof(port), "%d", w->port);
	mock_write_file(w->key, key, sizeof(key) - 1, 0600);
	mock_world_known_hosts(w, 1);
	mock_world_source(w, size);
	w->conf = sshconf_new();
	mock_world_option(w, "HostName", "127.0.0.1");
	mock_world_option(w, "Port", port);
	mock_world_option(w, "UserKnownHostsFile", w->known_hosts);
	mock_world_option(w, "GlobalKnownHostsFile", none);
	mock_world_option(w, "StrictHostKeyChecking", "yes");
	mock_world_option(w, "IdentityFile", w->key);
	mock_world_option(w, "IdentityAgent", "none");
	w->kh = knownhosts_new();
	w->job.conf = w->conf;
	w->job.kh = w->kh;
	w->job.stall_timeout = MOCK_STALL_S;
}

void
mock_world_release(struct mock_world *w)
{
	if (w->conf != NULL)
		sshconf_free(w->conf);
	if (w->kh != NULL)
		knownhosts_free(w->kh);
	if (w->src.path != NULL)
		source_close(&w->src);
	free(w->data);
	unlink(w->key);
	unlink(w->known_hosts);
	unlink(w->path);
	rmdir(w->dir);
	if (w->lfd >= 0)
		close(w->lfd);
	memset(w, 0, sizeof(*w));
	w->lfd = -1;
}

void
mock_host_init(struct host *h, char *name)
{
	memset(h, 0, sizeof(*h));
	h->t.host = name;
	h->t.path = "dest/payload.bin";
}
