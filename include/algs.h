/*
 * The Ciphers, MACs and KexAlgorithms of ssh_config(5) and -o, held to what
 * libssh2 1.10 can do (issue 10).  A list is read as OpenSSH 9.2 reads it
 * (kex_assemble_names()): "+list" appends to OpenSSH's default, "-list"
 * removes from it, "^list" puts in front of it, a plain list replaces it;
 * every name may be a pattern ('*', '?'), matched against the names the
 * client supports, here libssh2's.  What is left is offered through
 * libssh2_session_method_pref().  When nothing is left, --transport auto
 * hands the host to ssh and --transport libssh2 fails it (transport.c,
 * conn.c).
 */
#ifndef FANSCP_ALGS_H
#define FANSCP_ALGS_H

#include <stddef.h>

struct hostcfg;

enum alg_class { ALG_CIPHER, ALG_MAC, ALG_KEX, ALG_NCLASSES };

/* The longest list written out (libssh2 1.10 has far fewer names). */
#define ALGS_MAX	1024

/* The ssh_config keyword of a class ("Ciphers"). */
const char	*algs_keyword(enum alg_class);
/* OpenSSH 9.2's default list of a class. */
const char	*algs_default(enum alg_class);
/*
 * What libssh2 supports of a class, comma-separated, in its order (from
 * libssh2_session_supported_algs(); computed once).  "" if unknown.
 */
const char	*algs_libssh2(enum alg_class);
/*
 * The list spec gives, from the default deflt, of the names in all, in
 * out.  Returns 0 with a non-empty list, 1 when no name is left (out ""),
 * -1 when spec is malformed (empty, or a negated pattern).
 */
int	algs_assemble(const char *spec, const char *deflt, const char *all,
	    char *out, size_t len);
/*
 * The lists a host's settings give, against all[] (NULL for a class: take
 * algs_libssh2()).  out[k] is "" for a class that is not set (libssh2's
 * own preference stands).  Returns 0, or -1 with why set ("Ciphers
 * chacha20-poly1305@openssh.com leaves nothing libssh2 1.10 supports; it
 * offers aes128-ctr,...").
 */
int	algs_host(const struct hostcfg *, const char *const all[ALG_NCLASSES],
	    char out[ALG_NCLASSES][ALGS_MAX], char *why, size_t len);

#endif
