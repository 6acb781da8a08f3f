/*
 * Finding each side's SSH_MSG_KEXINIT in the raw bytes of a connection, and
 * naming the algorithm class that has no match (see kexinit.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kexinit.h"
#include "xmalloc.h"

#define SSH_MSG_IGNORE	2
#define SSH_MSG_DEBUG	4
#define SSH_MSG_KEXINIT	20

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Names are printable ASCII without spaces (RFC 4251, 6); so are commas. */
static int
names_ok(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

void
kexinit_release(struct kexinit *k)
{
	size_t i;

	for (i = 0; i < KEX_NLISTS; i++) {
		free(k->list[i]);
		k->list[i] = NULL;
	}
}

/*
 * byte 20, byte[16] cookie, name-list x 10, boolean first_kex_packet_follows,
 * uint32 reserved.
 */
int
kexinit_parse(const unsigned char *p, size_t len, struct kexinit *out)
{
	size_t off = 17, n, i;

	memset(out, 0, sizeof(*out));
	if (len < off || p[0] != SSH_MSG_KEXINIT)
		return -1;
	for (i = 0; i < KEX_NLISTS; i++) {
		if (len - off < 4)
			goto bad;
		n = get32(p + off);
		off += 4;
		if (n > len - off || !names_ok(p + off, n))
			goto bad;
		out->list[i] = xstrndup((const char *)p + off, n);
		off += n;
	}
	if (len - off < 5)
		goto bad;
	return 0;
bad:
	kexinit_release(out);
	return -1;
}

/* The tap reached an end: keep the verdict, drop the bytes. */
static int
tap_end(struct kexinit_tap *t, enum kexinit_tap_state st)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = t->pos = t->scan = 0;
	t->state = st;
	return st == TAP_DONE ? 1 : -1;
}

/* Identification lines: skip those before "SSH-", then packets follow. */
static int
tap_ident(struct kexinit_tap *t)
{
	unsigned char *nl;

	while (t->state == TAP_IDENT) {
		nl = memchr(t->buf + t->scan, '\n', t->len - t->scan);
		if (nl == NULL) {
			t->scan = t->len;
			return 0;
		}
		if ((size_t)(nl - t->buf) - t->pos >= 4 &&
		    memcmp(t->buf + t->pos, "SSH-", 4) == 0)
			t->state = TAP_PACKETS;
		t->pos = t->scan = (size_t)(nl - t->buf) + 1;
	}
	return 0;
}

/*
 * Unencrypted binary packets: uint32 packet_length, byte padding_length,
 * payload, padding, no MAC.  IGNORE and DEBUG may come before the KEXINIT;
 * anything else means this is not the start of a key exchange.
 */
static int
tap_packets(struct kexinit_tap *t)
{
	const unsigned char *p;
	uint32_t plen;
	unsigned int pad;

	for (;;) {
		if (t->len - t->pos < 5)
			return 0;
		p = t->buf + t->pos;
		plen = get32(p);
		pad = p[4];
		if (plen > KEXINIT_TAP_MAX || plen < pad + 2U)
			return tap_end(t, TAP_BAD);
		if (t->len - t->pos - 4 < plen)
			return 0;
		switch (p[5]) {
		case SSH_MSG_KEXINIT:
			if (kexinit_parse(p + 5, plen - pad - 1, &t->kex) != 0)
				return tap_end(t, TAP_BAD);
			return tap_end(t, TAP_DONE);
		case SSH_MSG_IGNORE:
		case SSH_MSG_DEBUG:
			t->pos += 4 + (size_t)plen;
			break;
		default:
			return tap_end(t, TAP_BAD);
		}
	}
}

int
kexinit_tap_feed(struct kexinit_tap *t, const void *data, size_t n)
{
	int r;

	if (t->state == TAP_DONE)
		return 1;
	if (t->state == TAP_BAD)
		return -1;
	if (n > KEXINIT_TAP_MAX - t->len)
		n = KEXINIT_TAP_MAX - t->len;
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 2048;

		while (cap < t->len + n)
			cap *= 2;
		if (cap > KEXINIT_TAP_MAX)
			cap = KEXINIT_TAP_MAX;
		t->buf = xreallocarray(t->buf, cap, 1);
		t->cap = cap;
	}
	if (n > 0)
		memcpy(t->buf + t->len, data, n);
	t->len += n;
	r = tap_ident(t);
	if (r == 0 && t->state == TAP_PACKETS)
		r = tap_packets(t);
	if (r == 0 && t->len == KEXINIT_TAP_MAX)
		r = tap_end(t, TAP_BAD);
	return r;
}

void
kexinit_tap_release(struct kexinit_tap *t)
{
	free(t->buf);
	kexinit_release(&t->kex);
	memset(t, 0, sizeof(*t));
}

/* Does the comma-separated list have name (n bytes) as one of its names? */
static int
has_name(const char *list, const char *name, size_t n)
{
	const char *p = list, *e;

	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

void
kexinit_choose(const char *a, const char *b, char *out, size_t len)
{
	const char *p = a, *e;
	size_t n;

	if (len > 0)
		out[0] = '\0';
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n > 0 && has_name(b, p, n)) {
			snprintf(out, len, "%.*s", (int)n, p);
			return;
		}
		p = *e ? e + 1 : e;
	}
}

/* An AEAD cipher authenticates the packets itself: no MAC is chosen. */
static int
aead(const char *cipher)
{
	size_t n = strlen(cipher);
	const char *gcm = "-gcm@openssh.com";

	return strcmp(cipher, "chacha20-poly1305@openssh.com") == 0 ||
	    (n > strlen(gcm) && strcmp(cipher + n - strlen(gcm), gcm) == 0);
}

/*
 * Append list to msg (holding o bytes of len), in at most room bytes:
 * shortened at a comma, with ",..." after, when it does not fit.
 */
static size_t
put_list(char *msg, size_t o, size_t len, size_t room, const char *list)
{
	size_t n = strlen(list), cut;

	if (room > len - o)
		room = len - o;
	if (*list == '\0') {
		list = "nothing";
		n = strlen(list);
	}
	if (n < room)
		return o + (size_t)snprintf(msg + o, len - o, "%s", list);
	if (room < 5)
		return o;
	for (cut = room - 5; cut > 0 && list[cut] != ','; cut--)
		;
	return o + (size_t)snprintf(msg + o, len - o, "%.*s%s", (int)cut,
	    list, cut ? ",..." : "...");
}

static void
mismatch_msg(const char *what, const char *client, const char *server,
    const char *client_name, char *msg, size_t len)
{
	size_t o, room;

	o = (size_t)snprintf(msg, len, "no matching %s found; the server "
	    "offers ", what);
	if (o >= len)
		return;
	/* The server's offer first; what we offer in what is left. */
	room = len - o > 200 ? len - o - 120 : len - o;
	o = put_list(msg, o, len, room, server);
	if (len - o < 40)
		return;
	o += (size_t)snprintf(msg + o, len - o, "; %s offers ", client_name);
	put_list(msg, o, len, len - o, client);
}

int
kexinit_mismatch(const struct kexinit *client, const struct kexinit *server,
    const char *client_name, char *msg, size_t len)
{
	static const int order[] = { KEX_KEX, KEX_HOSTKEY, KEX_CIPHER_C2S,
	    KEX_MAC_C2S, KEX_COMP_C2S, KEX_CIPHER_S2C, KEX_MAC_S2C,
	    KEX_COMP_S2C };
	static const char *const what[] = {
		[KEX_KEX] = "key exchange method",
		[KEX_HOSTKEY] = "host key type",
		[KEX_CIPHER_C2S] = "cipher", [KEX_CIPHER_S2C] = "cipher",
		[KEX_MAC_C2S] = "MAC", [KEX_MAC_S2C] = "MAC",
		[KEX_COMP_C2S] = "compression method",
		[KEX_COMP_S2C] = "compression method",
	};
	char chosen[128], cipher[128];
	size_t i;
	int k;

	if (len > 0)
		msg[0] = '\0';
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		k = order[i];
		if (client->list[k] == NULL || server->list[k] == NULL)
			continue;
		if (k == KEX_MAC_C2S || k == KEX_MAC_S2C) {
			kexinit_choose(client->list[k - 2],
			    server->list[k - 2], cipher, sizeof(cipher));
			if (aead(cipher))
				continue;
		}
		kexinit_choose(client->list[k], server->list[k], chosen,
		    sizeof(chosen));
		if (chosen[0] != '\0')
			continue;
		mismatch_msg(what[k], client->list[k], server->list[k],
		    client_name, msg, len);
		return k;
	}
	return -1;
}
