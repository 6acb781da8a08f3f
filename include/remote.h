/*
 * The remote side: the POSIX sh scripts that a target runs, built here as
 * strings for libssh2_channel_exec().  Targets need sh and coreutils-level
 * tools (cat, wc, mv, rm, chmod, stat, touch), nothing else.
 *
 * Each host runs two scripts on one session:
 *   receive  resolves the destination as scp does, creates an exclusive
 *            temp file beside it (".NAME.fanscp.TOKEN"), copies stdin into
 *            it and checks the byte count; on any failure it removes the
 *            temp file;
 *   commit   checks the byte count again, and the SHA-256 when asked, sets
 *            the mode, then renames the temp file onto the destination; on
 *            any failure it removes the temp file.
 * abort removes the temp file when the client gives up between the two.
 * Both scripts resolve the destination with the same code, so the commit
 * finds the temp file that receive made from the same token.
 *
 * Every path is single-quoted.  On success each script prints one line,
 * "fanscp-ok receive N" or "fanscp-ok commit N", so that success is
 * positive and never read from a default exit status.
 */
#ifndef FANSCP_REMOTE_H
#define FANSCP_REMOTE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Exit statuses of the scripts, besides 0. */
enum remote_exit {
	REMOTE_EXIT_NODIR = 70,		/* no directory for the destination */
	REMOTE_EXIT_ISDIR = 71,		/* the destination is a directory */
	REMOTE_EXIT_CREATE = 72,	/* the temp file cannot be created */
	REMOTE_EXIT_WRITE = 73,		/* writing the temp file failed */
	REMOTE_EXIT_SIZE = 74,		/* the byte count differs */
	REMOTE_EXIT_HASH = 75,		/* the SHA-256 differs */
	REMOTE_EXIT_NOHASH = 76,	/* no sha256sum/shasum/openssl there */
	REMOTE_EXIT_RENAME = 77,	/* chmod, touch or mv failed */
	REMOTE_EXIT_NOTMP = 78,		/* commit found no temp file */
};

struct remote_job {
	const char	*path;		/* the target path ("" = home) */
	const char	*basename;	/* the source's base name, no '/' */
	uint64_t	 size;		/* bytes to expect */
	const char	*sha256;	/* 64 hex digits to check, or NULL */
	mode_t		 mode;		/* the source's permission bits */
	int		 preserve;	/* -p: exact mode and times */
	time_t		 mtime;		/* with preserve */
	time_t		 atime;		/* with preserve */
	const char	*token;		/* random hex, at most 32 digits */
};

/* s as one single-quoted sh word: ' becomes '\''.  xmalloc'd. */
char	*shquote(const char *s);
/* The receive script for job.  xmalloc'd. */
char	*remote_receive_cmd(const struct remote_job *job);
/* The commit script for job.  xmalloc'd. */
char	*remote_commit_cmd(const struct remote_job *job);
/* The script that removes job's temp file, if any.  xmalloc'd. */
char	*remote_abort_cmd(const struct remote_job *job);
/*
 * Check a script's stdout for its success line: returns 0 when out ends
 * with the line "fanscp-ok WHAT N\n", N equal to size, else -1.  Lines
 * before it (from a noisy rc file) are allowed.  Abort reports N = 0.
 */
int	remote_check_ok(const char *out, size_t len, const char *what,
	    uint64_t size);
/* A short description of a script exit status, or NULL for unknown ones. */
const char *remote_exit_str(int status);

#endif
