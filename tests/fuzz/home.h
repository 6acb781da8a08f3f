/*
 * A throwaway $HOME for the fuzzers that look there, so that a run reads
 * only what it made: a fresh directory, filled by the fuzzer if it wants,
 * and removed at exit.
 */
#ifndef FANSCP_FUZZ_HOME_H
#define FANSCP_FUZZ_HOME_H

/* Make an empty directory under $TMPDIR, set $HOME to it, return it. */
const char	*home_init(void);
/* Create rel under $HOME: a directory if text is NULL, else a file. */
void		 home_add(const char *rel, const char *text);

#endif
