/*
 * sendpath: libssh2 1.10's send path, alone, with one cipher and one MAC
 * (issue 10, research/libssh2-sendpath.md).  See bench/sendpath/README.md.
 *
 *   sendpath -p PORT -u USER -i KEY [-H ADDR] [-n MiB] -c CIPHER -m MAC
 *	opens one session to a local sshd, execs "cat > /dev/null" (-x CMD
 *	for another) and pushes MiB mebibytes down that one channel with
 *	fanscp's send discipline (sess.c st_send): non-blocking, turns of
 *	8 * 32700 bytes, each write the rest of the turn, the same write
 *	repeated after EAGAIN, POLLOUT only while a packet is parked
 *	(OUTBOUND), POLLIN otherwise, and back to poll(POLLOUT) after every
 *	turn as fanscp's loop does.
 *
 *   sendpath -B [-n MiB] -c CIPHER -m MAC
 *	no network: the same bytes through the crypto work libssh2 1.10 does
 *	per packet (copy into the packet, a new HMAC context over sequence
 *	number and packet, the cipher 16 bytes per EVP_Cipher call into a
 *	scratch block and copied back: transport.c fullpacket, openssl.c
 *	_libssh2_cipher_crypt), and once more with one EVP_Cipher call per
 *	packet: what a bulk cipher call would save, and (CTR only) with
 *	the 16-byte calls kept but served from a keystream made 32 KiB at a
 *	time: what a shim under libssh2's EVP_Cipher calls could reach.
 *
 * It prints one tab-separated line (see the header it prints with -h).
 * The host key is not checked: this runs against the loopback fixture.
 */
#define OPENSSL_API_COMPAT 0x10100000L	/* HMAC_CTX, as libssh2 1.10 uses it */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define PACKET	32700			/* libssh2 1.10's channel_write cap */
#define TURN	(8 * PACKET)		/* fanscp's SESS_TURN_BYTES */
#define MiB	1048576.0

static const char header[] =
    "#mode\tcipher\tmac\tMiB\tstatus\txfer_s\ttotal_s\tuser_s\tsys_s\t"
    "MB/s\tcpu_s/GiB\twrites\teagain_out\teagain_in\tpolls\n";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
cpu(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sendpath -p PORT -u USER -i KEY [-H ADDR] "
	    "[-n MiB] [-x CMD] -c CIPHER -m MAC\n"
	    "       sendpath -B [-n MiB] -c CIPHER -m MAC\n"
	    "       sendpath -h   (the output's header line)\n");
	exit(2);
}

/* A line that says why there is no figure (refused, unknown, error). */
static int
status_line(const char *mode, const char *c, const char *m, long mib,
    const char *why)
{
	printf("%s\t%s\t%s\t%ld\t%s\n", mode, c, m, mib, why);
	fflush(stdout);
	return 3;
}

/* The same, after freeing the session and the socket. */
static int
fail(LIBSSH2_SESSION *s, LIBSSH2_CHANNEL *ch, int fd, const char *c,
    const char *m, long mib, const char *why)
{
	if (s != NULL) {
		libssh2_session_set_blocking(s, 1);
		if (ch != NULL)
			libssh2_channel_free(ch);
		libssh2_session_free(s);
	}
	if (fd >= 0)
		close(fd);
	libssh2_exit();
	return status_line("send", c, m, mib, why);
}

/* --------------------------------------------------------- -B: crypto */

static const EVP_CIPHER *
cipher_of(const char *name)
{
	if (strcmp(name, "aes128-ctr") == 0)
		return EVP_aes_128_ctr();
	if (strcmp(name, "aes192-ctr") == 0)
		return EVP_aes_192_ctr();
	if (strcmp(name, "aes256-ctr") == 0)
		return EVP_aes_256_ctr();
	if (strcmp(name, "aes128-cbc") == 0)
		return EVP_aes_128_cbc();
	if (strcmp(name, "aes192-cbc") == 0)
		return EVP_aes_192_cbc();
	if (strcmp(name, "aes256-cbc") == 0)
		return EVP_aes_256_cbc();
	if (strcmp(name, "3des-cbc") == 0)
		return EVP_des_ede3_cbc();
	return NULL;
}

static const EVP_MD *
mac_of(const char *name, int *keylen)
{
	if (strcmp(name, "hmac-sha2-256") == 0) {
		*keylen = 32;
		return EVP_sha256();
	}
	if (strcmp(name, "hmac-sha2-512") == 0) {
		*keylen = 64;
		return EVP_sha512();
	}
	if (strcmp(name, "hmac-sha1") == 0 || strcmp(name, "hmac-sha1-96") == 0) {
		*keylen = 20;
		return EVP_sha1();
	}
	if (strcmp(name, "hmac-md5") == 0 || strcmp(name, "hmac-md5-96") == 0) {
		*keylen = 16;
		return EVP_md5();
	}
	return NULL;
}

enum pass { PASS_16, PASS_BULK, PASS_KS };

#define KS	32768		/* keystream made ahead, bytes */

/*
 * A CTR cipher call of len bytes served from a keystream made KS bytes
 * at a time with one EVP_Cipher call on the same context (a CTR
 * keystream does not depend on the data).  noinline: libssh2's call
 * stays a call.
 */
static unsigned char ks[KS];
static int ks_pos = KS;

/* A new context: the keystream made for the last one is no use. */
static void
ks_reset(void)
{
	ks_pos = KS;
}

static __attribute__((noinline)) void
ks_cipher(EVP_CIPHER_CTX *cx, unsigned char *out, const unsigned char *in,
    int len)
{
	int i, pos = ks_pos;

	if (pos + len > KS) {
		memset(ks, 0, sizeof(ks));
		EVP_Cipher(cx, ks, ks, KS);
		pos = 0;
	}
	for (i = 0; i + 8 <= len; i += 8) {	/* a word at a time */
		uint64_t x, y;

		memcpy(&x, in + i, 8);
		memcpy(&y, ks + pos + i, 8);
		x ^= y;
		memcpy(out + i, &x, 8);
	}
	for (; i < len; i++)
		out[i] = in[i] ^ ks[pos + i];
	ks_pos = pos + len;
}

/*
 * One pass of MiB through libssh2 1.10's per-packet work; PASS_BULK: the
 * cipher in one call per packet instead of 16 bytes a call; PASS_KS: 16
 * bytes a call from a keystream made ahead.  Returns CPU seconds.
 */
static double
crypto_pass(const EVP_CIPHER *ci, const EVP_MD *md, int keylen, long mib,
    enum pass how)
{
	static unsigned char src[PACKET], pkt[PACKET + 64], mac[EVP_MAX_MD_SIZE];
	unsigned char key[64] = { 1 }, iv[16] = { 2 }, seq[4], blk[32];
	unsigned long long left = (unsigned long long)mib << 20;
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int bs = EVP_CIPHER_block_size(ci), i, plen, n;
	unsigned int maclen;
	uint32_t seqno = 0;
	double u0, s0, u1, s1;

	if (bs == 1)
		bs = 16;	/* a stream mode: libssh2 still calls per 16 */
	EVP_CipherInit(cx, ci, key, iv, 1);
	for (i = 0; i < PACKET; i++)
		src[i] = (unsigned char)(i * 131 + 7);
	cpu(&u0, &s0);
	while (left > 0) {
		n = left < PACKET ? (int)left : PACKET;
		/* uint32 len, padding len, msg, channel, data len: 14 bytes */
		memset(pkt, 0, 14);
		memcpy(pkt + 14, src, (size_t)n);
		plen = 14 + n + 4;
		plen += bs - plen % bs;		/* padding to the block */
		seq[0] = (unsigned char)(seqno >> 24);
		seq[1] = (unsigned char)(seqno >> 16);
		seq[2] = (unsigned char)(seqno >> 8);
		seq[3] = (unsigned char)seqno;
		seqno++;
		{
			/* libssh2_hmac_ctx_init + _init per packet */
			HMAC_CTX *h = HMAC_CTX_new();

			HMAC_Init_ex(h, key, keylen, md, NULL);
			HMAC_Update(h, seq, 4);
			HMAC_Update(h, pkt, (size_t)plen);
			HMAC_Final(h, mac, &maclen);
			HMAC_CTX_free(h);
		}
		if (how == PASS_BULK)
			EVP_Cipher(cx, pkt, pkt, (unsigned)plen);
		else
			for (i = 0; i < plen; i += bs) {
				if (how == PASS_KS)
					ks_cipher(cx, blk, pkt + i, bs);
				else
					EVP_Cipher(cx, blk, pkt + i,
					    (unsigned)bs);
				memcpy(pkt + i, blk, (size_t)bs);
			}
		left -= (unsigned long long)n;
	}
	cpu(&u1, &s1);
	EVP_CIPHER_CTX_free(cx);
	return (u1 - u0) + (s1 - s0);
}

/*
 * Does the keystream made ahead give the bytes that 16-byte calls give?
 * 0 if so, for 4 MiB from the same key and IV.
 */
static int
ks_check(const EVP_CIPHER *ci)
{
	static unsigned char a[1 << 22], b[sizeof(a)], blk[16];
	unsigned char key[64] = { 3 }, iv[16] = { 4 };
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new(), *y = EVP_CIPHER_CTX_new();
	size_t i;
	int r;

	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (unsigned char)(i * 7 + (i >> 9));
	EVP_CipherInit(x, ci, key, iv, 1);
	EVP_CipherInit(y, ci, key, iv, 1);
	for (i = 0; i < sizeof(a); i += 16) {
		EVP_Cipher(x, blk, a + i, 16);
		memcpy(a + i, blk, 16);
	}
	ks_reset();
	for (i = 0; i < sizeof(b); i += 16) {
		ks_cipher(y, blk, b + i, 16);
		memcpy(b + i, blk, 16);
	}
	ks_reset();
	r = memcmp(a, b, sizeof(a)) != 0;
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_CTX_free(y);
	return r;
}

static int
crypto_bound(const char *c, const char *m, long mib)
{
	const EVP_CIPHER *ci = cipher_of(c);
	const EVP_MD *md;
	double t16, tbulk, tks, gib = mib / 1024.0;
	int keylen;

	if (ci == NULL || (md = mac_of(m, &keylen)) == NULL)
		return status_line("bound", c, m, mib, "unknown-here");
	t16 = crypto_pass(ci, md, keylen, mib, PASS_16);
	tbulk = crypto_pass(ci, md, keylen, mib, PASS_BULK);
	printf("bound\t%s\t%s\t%ld\tok\t\t\t%.3f\t0\t%.0f\t%.3f\t\t\t\t\n",
	    c, m, mib, t16, mib * MiB / 1e6 / t16, t16 / gib);
	printf("bound-bulk\t%s\t%s\t%ld\tok\t\t\t%.3f\t0\t%.0f\t%.3f\t\t\t\t\n",
	    c, m, mib, tbulk, mib * MiB / 1e6 / tbulk, tbulk / gib);
	if (EVP_CIPHER_mode(ci) == EVP_CIPH_CTR_MODE) {
		if (ks_check(ci) != 0)
			return status_line("bound-ks", c, m, mib,
			    "keystream-mismatch");
		ks_reset();
		tks = crypto_pass(ci, md, keylen, mib, PASS_KS);
		printf("bound-ks\t%s\t%s\t%ld\tok\t\t\t%.3f\t0\t%.0f\t%.3f"
		    "\t\t\t\t\n", c, m, mib, tks, mib * MiB / 1e6 / tks,
		    tks / gib);
	}
	return 0;
}

/* ------------------------------------------------------- the real send */

/* Wait for what libssh2 blocks on: POLLOUT only if a packet is parked. */
static void
wait_dirs(LIBSSH2_SESSION *s, int fd, long *polls)
{
	int dir = libssh2_session_block_directions(s);
	struct pollfd p = { .fd = fd };

	p.events = (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : POLLIN;
	(*polls)++;
	poll(&p, 1, 1000);
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *user = NULL, *key = NULL;
	const char *c = NULL, *m = NULL, *cmd = "cat > /dev/null";
	const char *got_c, *got_m;
	char pub[4096], rbuf[4096];
	static char buf[TURN];
	long mib = 64, port = 0, writes = 0, eag_out = 0, eag_in = 0, polls = 0;
	unsigned long long total, sent = 0;
	int bound = 0, ch, fd, rc, one = 1;
	double t0, t1, t2, u0, s0, u1, s1, gib;
	struct sockaddr_in sa;
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *chan;

	while ((ch = getopt(argc, argv, "BH:c:hi:m:n:p:u:x:")) != -1) {
		switch (ch) {
		case 'B': bound = 1; break;
		case 'H': addr = optarg; break;
		case 'c': c = optarg; break;
		case 'h': fputs(header, stdout); return 0;
		case 'i': key = optarg; break;
		case 'm': m = optarg; break;
		case 'n': mib = atol(optarg); break;
		case 'p': port = atol(optarg); break;
		case 'u': user = optarg; break;
		case 'x': cmd = optarg; break;
		default: usage();
		}
	}
	if (c == NULL || m == NULL || mib <= 0)
		usage();
	if (bound)
		return crypto_bound(c, m, mib);
	if (user == NULL || key == NULL || port <= 0)
		usage();
	snprintf(pub, sizeof(pub), "%s.pub", key);
	total = (unsigned long long)mib << 20;
	gib = mib / 1024.0;
	for (size_t i = 0; i < sizeof(buf); i++)	/* fault it in now */
		buf[i] = (char)(i * 2654435761u >> 13);

	if (libssh2_init(0) != 0)
		return status_line("send", c, m, mib, "error:libssh2_init");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		usage();
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return status_line("send", c, m, mib, "error:connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* conn.c */
	s = libssh2_session_init();
	/* Setup is blocking: only the send loop is measured. */
	libssh2_session_set_blocking(s, 1);
	if (libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, c) != 0 ||
	    libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_SC, c) != 0 ||
	    libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_CS, m) != 0 ||
	    libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC, m) != 0)
		return fail(s, NULL, fd, c, m, mib, "unsupported-by-libssh2");
	if (libssh2_session_handshake(s, fd) != 0)
		return fail(s, NULL, fd, c, m, mib, "refused-by-sshd");
	got_c = libssh2_session_methods(s, LIBSSH2_METHOD_CRYPT_CS);
	got_m = libssh2_session_methods(s, LIBSSH2_METHOD_MAC_CS);
	if (got_c == NULL || got_m == NULL || strcmp(got_c, c) != 0 ||
	    strcmp(got_m, m) != 0)
		return fail(s, NULL, fd, c, m, mib, "not-negotiated");
	if (libssh2_userauth_publickey_fromfile(s, user, pub, key, NULL) != 0)
		return fail(s, NULL, fd, c, m, mib, "error:auth");
	if ((chan = libssh2_channel_open_session(s)) == NULL ||
	    libssh2_channel_exec(chan, cmd) != 0)
		return fail(s, chan, fd, c, m, mib, "error:exec");
	libssh2_session_set_blocking(s, 0);

	/* fanscp's st_send: a turn, then back to the loop for POLLOUT. */
	cpu(&u0, &s0);
	t0 = now();
	while (sent < total) {
		size_t budget = TURN, pos = 0, len;
		ssize_t n;

		while (budget > 0 && sent < total) {
			len = TURN - pos;
			if (len > budget)
				len = budget;
			if (len > total - sent)
				len = (size_t)(total - sent);
			n = libssh2_channel_write(chan, buf + pos, len);
			if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
				if (libssh2_session_block_directions(s) &
				    LIBSSH2_SESSION_BLOCK_OUTBOUND)
					eag_out++;
				else
					eag_in++;
				wait_dirs(s, fd, &polls);
				continue;	/* the same write again */
			}
			if (n < 0)
				return fail(s, chan, fd, c, m, mib,
				    "error:write");
			writes++;
			sent += (unsigned long long)n;
			pos = (pos + (size_t)n) % TURN;
			budget -= (size_t)n;
		}
		{
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			polls++;
			poll(&p, 1, 1000);
		}
	}
	t1 = now();
	cpu(&u1, &s1);
	/* EOF, then read to the remote EOF and close: cat has it all. */
	while ((rc = libssh2_channel_send_eof(chan)) == LIBSSH2_ERROR_EAGAIN)
		wait_dirs(s, fd, &polls);
	for (;;) {
		rc = (int)libssh2_channel_read(chan, rbuf, sizeof(rbuf));
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			wait_dirs(s, fd, &polls);
			continue;
		}
		if (rc <= 0 && libssh2_channel_eof(chan))
			break;
		if (rc < 0)
			break;
	}
	while ((rc = libssh2_channel_close(chan)) == LIBSSH2_ERROR_EAGAIN)
		wait_dirs(s, fd, &polls);
	while ((rc = libssh2_channel_wait_closed(chan)) == LIBSSH2_ERROR_EAGAIN)
		wait_dirs(s, fd, &polls);
	t2 = now();
	rc = libssh2_channel_get_exit_status(chan);
	libssh2_session_set_blocking(s, 1);
	libssh2_channel_free(chan);
	libssh2_session_disconnect(s, "done");
	libssh2_session_free(s);
	close(fd);
	libssh2_exit();
	if (rc != 0)
		return status_line("send", c, m, mib, "error:remote-exit");
	printf("send\t%s\t%s\t%ld\tok\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f\t%.3f\t"
	    "%ld\t%ld\t%ld\t%ld\n", c, m, mib, t1 - t0, t2 - t0, u1 - u0,
	    s1 - s0, total / 1e6 / (t2 - t0), ((u1 - u0) + (s1 - s0)) / gib,
	    writes, eag_out, eag_in, polls);
	return 0;
}
