/*
 * The job: what every host shares, read-only while the engine runs.  main
 * fills it from the options; sessions read it.  Zero means default.
 */
#ifndef FANSCP_JOB_H
#define FANSCP_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "remote.h"

struct source;
struct sshconf;
struct knownhosts;
struct ratelimit;
struct relay;
struct compress;

/* --transport: which client logs in to the hosts. */
enum job_transport {
	JOB_TRANSPORT_AUTO = 0,	/* libssh2, else ssh where it cannot */
	JOB_TRANSPORT_LIBSSH2,	/* libssh2 only, never ssh */
	JOB_TRANSPORT_SSH,	/* every host through an ssh child */
};

struct job {
	enum remote_kind  kind;		/* what each host receives */
	struct source	 *src;
	/* REMOTE_SET: the sources' names in DIR, and which are directories */
	char		**names;
	unsigned char	 *name_dirs;
	size_t		  n_names;
	struct sshconf	 *conf;
	struct knownhosts *kh;
	enum job_transport transport;
	const char	 *config_file;	/* -F, for ssh children; NULL: none */
	char		**options;	/* -o in their order, likewise */
	size_t		  n_options;
	char		**identities;	/* -i files, tried before config ones */
	size_t		  n_identities;
	int		  port;		/* -P; 0: from the target or config */
	int		  family;	/* -4/-6: AF_INET, AF_INET6; 0: config */
	int		  connect_timeout; /* s, connect to logged in; 0: config */
	int		  stall_timeout; /* s without progress after login (> 0) */
	int		  verify;	/* --verify: SHA-256 every copy */
	int		  preserve;	/* -p: mode and times */
	int		  inplace;	/* --inplace where rename cannot be */
	int		  sudo;		/* --sudo: every script through sudo -n */
	const char	 *exec_cmd;	/* --exec: the command fed the data */
	const char	 *validate;	/* --validate, as sh code naming the
					   temp file "$1" (opts_validate()) */
	const char	 *then;		/* --then: run on each host committed */
	const char	 *chown;	/* --chown USER:GROUP; NULL: none */
	int		  has_chmod;	/* --chmod given: */
	unsigned int	  chmod;	/* its mode */
	int		  max_failures;	/* --max-failures; 0: none */
	int		  if_changed;	/* --if-changed (implies verify) */
	int		  all_or_nothing; /* --all-or-nothing */
	/*
	 * What the engines of a run share for those two, atomically: the
	 * hosts ended not done, and (--all-or-nothing) the hosts whose
	 * commit said "ready" and waits for the go-ahead, of total.
	 */
	struct job_tally {
		size_t	  failed;
		size_t	  ready;
		size_t	  total;
	}		 *tally;
	int		  retries;	/* --retries: more sessions for a host
					   whose connection failed or was lost */
	int		  resume;	/* --resume: take over and resume what
					   an earlier run left on a host */
	int		  keep;		/* keep short temp files to resume them
					   (retries, --resume, probes) */
	char		  run_id[17];	/* this run's random id, hex */
	struct ratelimit *limit;	/* -l: every host's data, shared (its
					   state is its own, behind a lock);
					   NULL: none */
	uint64_t	  host_limit;	/* --host-limit, bytes/s; 0: none */
	struct relay	 *relay;	/* --relay: who feeds whom; NULL: none */
	/*
	 * --compress: the sessions send wire, src compressed by cz
	 * (compress.h), while the size, hash, mode and times stay src's,
	 * which the hosts check after decompressing.  NULL: none.
	 */
	struct source	 *wire;
	struct compress	 *cz;
};

/* Defaults, in seconds, for the two per-host timeouts. */
#define JOB_CONNECT_TIMEOUT	30
#define JOB_STALL_TIMEOUT	60

#endif
