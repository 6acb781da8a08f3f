/*
 * The algorithm offers of an SSH key exchange, read off the wire, so that a
 * failed negotiation can say what did not match, as ssh does ("no matching
 * MAC found; the server offers ...").  libssh2 1.10 keeps the server's
 * SSH_MSG_KEXINIT to itself and says only "Unable to exchange encryption
 * keys"; conn.c taps the bytes each way through libssh2's SEND and RECV
 * callbacks, and this module finds the KEXINIT in them.  Until NEWKEYS
 * nothing is encrypted, and each side's KEXINIT is the first packet after
 * its identification line (RFC 4253, 4.2 and 7.1), so the raw stream is
 * enough.  The server's bytes are untrusted: every length is checked, and
 * names are kept only if they are printable ASCII.
 */
#ifndef FANSCP_KEXINIT_H
#define FANSCP_KEXINIT_H

#include <stddef.h>

/* The name-lists of a KEXINIT in packet order (as LIBSSH2_METHOD_*). */
enum kex_class {
	KEX_KEX,		/* key exchange */
	KEX_HOSTKEY,		/* host key types */
	KEX_CIPHER_C2S,
	KEX_CIPHER_S2C,
	KEX_MAC_C2S,
	KEX_MAC_S2C,
	KEX_COMP_C2S,
	KEX_COMP_S2C,
	KEX_LANG_C2S,
	KEX_LANG_S2C,
	KEX_NLISTS
};

struct kexinit {
	char	*list[KEX_NLISTS];	/* comma-separated, as sent */
};

/* The most the tap keeps of one direction before giving up. */
#define KEXINIT_TAP_MAX	65536

enum kexinit_tap_state { TAP_IDENT, TAP_PACKETS, TAP_DONE, TAP_BAD };

/* The first bytes of one direction of a connection, read as they pass. */
struct kexinit_tap {
	enum kexinit_tap_state state;
	unsigned char	*buf;		/* what came so far (until done) */
	size_t		 len;
	size_t		 cap;
	size_t		 pos;		/* the line or packet being read */
	size_t		 scan;		/* where the '\n' search resumes */
	struct kexinit	 kex;		/* once TAP_DONE */
};

/*
 * Feed the next bytes of the stream, from its first byte on.  Returns 1
 * once the KEXINIT is in tap->kex, -1 once the stream cannot be an SSH
 * stream that starts with one (or it is too long), 0 while more is needed.
 * After 1 or -1 further bytes are ignored and the buffer is freed.
 */
int	kexinit_tap_feed(struct kexinit_tap *, const void *, size_t);
/* Free what the tap holds, and reset it. */
void	kexinit_tap_release(struct kexinit_tap *);
/*
 * Parse a KEXINIT payload (from its message number, 20).  Returns 0 with
 * out filled (release it), or -1 if it is malformed.
 */
int	kexinit_parse(const unsigned char *, size_t, struct kexinit *out);
void	kexinit_release(struct kexinit *);
/*
 * The first class in which the client's offer and the server's have no
 * name in common, in the order ssh negotiates (key exchange, host key,
 * then cipher, MAC and compression each way; the MAC is skipped where the
 * cipher that would be chosen is an AEAD one).  Writes ssh's words into
 * msg: "no matching MAC found; the server offers A,B; libssh2 offers C,D"
 * (client_name names the client, lists are shortened to fit).  Returns the
 * class, or -1 with msg "" when every class has a match.
 */
int	kexinit_mismatch(const struct kexinit *client,
	    const struct kexinit *server, const char *client_name, char *msg,
	    size_t len);
/* The first name of a that b also has, copied to out ("" if none). */
void	kexinit_choose(const char *a, const char *b, char *out, size_t len);

#endif
