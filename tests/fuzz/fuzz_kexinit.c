/*
 * libFuzzer target for the KEXINIT tap: the input is what a server sends
 * from its first byte, fed in chunks whose sizes come from the input
 * itself (libssh2 reads the banner a byte at a time, packets in bulk).
 * Once a KEXINIT is found, every name must be printable ASCII, and the
 * mismatch message against libssh2's offer must fit its buffer and stay
 * printable.  The payload parser is also run on the raw input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kexinit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const ours[KEX_NLISTS] = {
	"curve25519-sha256,ecdh-sha2-nistp256", "ssh-ed25519,ecdsa-sha2-nistp256",
	"aes128-ctr,aes256-ctr", "aes128-ctr,aes256-ctr",
	"hmac-sha2-256,hmac-sha1", "hmac-sha2-256,hmac-sha1", "none", "none",
	"", "",
};

static void
check_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

static void
check(const struct kexinit *k)
{
	struct kexinit c;
	char msg[512];
	size_t i;

	for (i = 0; i < KEX_NLISTS; i++) {
		if (k->list[i] == NULL)
			abort();
		check_text(k->list[i]);
		c.list[i] = (char *)(uintptr_t)ours[i];
	}
	memset(msg, 'x', sizeof(msg));
	if (kexinit_mismatch(&c, k, "libssh2", msg, sizeof(msg)) >= 0 &&
	    strncmp(msg, "no matching ", 12) != 0)
		abort();
	if (memchr(msg, '\0', sizeof(msg)) == NULL)
		abort();
	check_text(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kexinit_tap t;
	struct kexinit k;
	size_t off = 0, n;
	int r = 0;

	if (kexinit_parse(data, size, &k) == 0) {
		check(&k);
		kexinit_release(&k);
	}
	memset(&t, 0, sizeof(t));
	while (off < size && r == 0) {
		n = 1 + data[off] % 64;
		if (n > size - off)
			n = size - off;
		r = kexinit_tap_feed(&t, data + off, n);
		off += n;
	}
	if (r == 1)
		check(&t.kex);
	if ((r == 1) != (t.state == TAP_DONE) || (r != 0 && t.buf != NULL))
		abort();
	kexinit_tap_release(&t);
	return 0;
}
