/*
 * The command line, parsed into one struct opts (zero means default).
 * Short options keep scp's meanings; fanscp's own are long options.
 */
#ifndef FANSCP_OPTS_H
#define FANSCP_OPTS_H

#include <stddef.h>
#include <stdint.h>

struct opts {
	int	  family;		/* -4, -6: AF_INET, AF_INET6 */
	int	  preserve;		/* -p */
	int	  recursive;		/* -r */
	int	  verbose;		/* -v, counted */
	int	  quiet;		/* -q */
	char	 *config;		/* -F */
	char	**hostfiles;		/* -h, repeatable */
	size_t	  n_hostfiles;
	char	**identities;		/* -i, repeatable */
	size_t	  n_identities;
	char	**options;		/* -o, repeatable */
	size_t	  n_options;
	int	  port;			/* -P */
	uint64_t  limit;		/* -l, Kbit/s; 0: none */
	uint64_t  host_limit;		/* --host-limit, likewise */
	int	  width;		/* --width */
	int	  startups;		/* --max-startups */
	int	  connect_timeout;	/* --connect-timeout */
	int	  stall_timeout;	/* --stall-timeout */
	int	  threads;		/* --threads; 0: one per online CPU */
	int	  verify;		/* --verify */
	int	  inplace;		/* --inplace */
	int	  sudo;			/* --sudo */
	char	 *spool_dir;		/* --spool-dir */
	uint64_t  spool_max;		/* --spool-max; 0: none */
	int	  has_size;		/* --size given */
	uint64_t  size;			/* --size */
	char	 *sha256;		/* --sha256 */
	int	  transport;		/* --transport: enum job_transport */
	char	 *exec_cmd;		/* --exec: the remote command */
	char	 *validate;		/* --validate, as sh code that names
					   the temp file "$1" */
	char	 *then;			/* --then: run where committed */
	char	 *chown;		/* --chown USER:GROUP */
	int	  has_chmod;		/* --chmod given: */
	unsigned int chmod;		/* its octal mode */
	int	  max_failures;		/* --max-failures */
	int	  if_changed;		/* --if-changed */
	int	  all_or_nothing;	/* --all-or-nothing */
	int	  exec_stream;		/* --exec-stream: no temp copy */
	int	  retries;		/* --retries */
	int	  resume;		/* --resume */
	int	  relay;		/* --relay */
	int	  relay_fanout;		/* --relay-fanout; 0: 1 */
	int	  relay_auth;		/* --relay-auth: enum relay_auth */
	int	  compress;		/* --compress: enum compress_kind */
	int	  compress_level;	/* its level; 0: the default */
	int	  no_history;		/* --no-history: no rate history */
	char	 *json;			/* --json: the report's file, "-" */
	char	 *failed;		/* --failed: the retry list's file */
	char	 *source;		/* the first operand: sources[0] */
	char	**sources;		/* the leading local operands, as
					   scp reads them (one under --exec) */
	size_t	  n_sources;
	char	**targets;		/* the rest */
	size_t	  n_targets;
};

/* Defaults for the widths. */
#define OPTS_WIDTH	32
#define OPTS_STARTUPS	16

/* The usage text: the SYNOPSIS of fanscp(1), word for word. */
extern const char opts_usage[];

/*
 * Parse argv into o.  Returns 0; 1 when --help or --version was handled
 * (exit 0); -1 with a message in err for a usage error (exit 2).
 */
int	opts_parse(struct opts *o, int argc, char **argv, char *err,
	    size_t errlen);
/* Free what opts_parse() allocated. */
void	opts_release(struct opts *o);

#endif
