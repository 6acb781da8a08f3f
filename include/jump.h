/*
 * ProxyJump values (-J, ProxyJump in ssh_config): "[user@]host[:port]",
 * or ssh://[user@]host[:port], comma-separated, first hop first.  A parser
 * of its own, apart from the tunnels that use it, so that it can be
 * fuzzed alone (tests/fuzz/fuzz_jump.c).
 */
#ifndef FANSCP_JUMP_H
#define FANSCP_JUMP_H

#include <stddef.h>

#define JUMP_MAX_HOPS	8

/* Where one hop of a ProxyJump list goes. */
struct jump_hop {
	char	*user;		/* or NULL */
	char	*host;
	int	 port;		/* or 0 */
};

/*
 * Split a ProxyJump value ("[user@]host[:port],…", each hop also as
 * ssh://[user@]host[:port]) into hops, first hop first.  Returns the
 * number of hops (freed with jump_hops_free), or -1 with a message.
 */
int		 jump_parse(const char *spec, struct jump_hop **hops,
		    char *err, size_t errlen);
void		 jump_hops_free(struct jump_hop *, int n);

#endif
