#ifndef FANSCP_CTR_H
#define FANSCP_CTR_H

/*
 * ctr.c: libssh2 1.10's AES-CTR calls, 16 bytes each, answered from a
 * keystream made 32 KiB at a time.  It has no setup: it works by
 * defining EVP_Cipher, EVP_CipherInit and EVP_CIPHER_CTX_free in the
 * executable.  FANSCP_CTR_BATCH=0 turns it off.
 */

/* How many 32 KiB keystreams were made so far, over every thread. */
unsigned long	ctr_keystreams(void);

#endif
