/*
 * The remote side: the POSIX sh scripts that a target runs.  Targets need
 * sh and coreutils-level tools (cat, wc, mv, rm, chmod, stat, dd), nothing
 * else (--compress: gzip or zstd too, checked for before any data).
 * Every channel execs the same short command, remote_exec_cmd,
 * whatever the login shell: a fresh /bin/sh that reads the script itself
 * from stdin, framed by remote_frame(); the data or the go-ahead follow.
 *
 * Each host runs two steps on one session, on one channel or two:
 *   receive  resolves the destination as scp does (a symlink is followed
 *            to its final target), refuses what scp would refuse or what
 *            could not be replaced atomically, creates an exclusive temp
 *            file beside it (".NAME.fanscp.TOKEN"), says "ready", copies
 *            stdin into it and checks the byte count;
 *   commit   checks the byte count again, and the SHA-256 when asked
 *            (printing a heartbeat line meanwhile), prepares the owner,
 *            ACL, label and mode, says "ready" and waits for the go-ahead
 *            line on stdin: only then does it rename the temp file onto
 *            the destination.  Without it (EOF: the client is gone) it
 *            removes the temp file and changes nothing.
 * abort removes the temp file when the client gives up between the two.
 * Where the data's length is known before it is sent (a file, not
 * compressed, not relayed), the two steps are joined on one channel
 * (remote_can_join()): the receive reads exactly that many bytes with
 * dd iflag=fullblock,count_bytes from 1 MiB on where dd has it, else
 * head -c (a dd loop where head has no -c), not to the end of input, and
 * its shell goes on to the commit's checks, "ready" and go-ahead.  fanscp
 * sends nothing after the data until that "ready", so a head that reads
 * ahead through stdio still reads no byte of the go-ahead.  That saves a
 * channel, an sshd session, its shells and round trips on every host.
 * That is the file payload (remote_file.c); the --exec payloads
 * (remote_exec.c) receive into a private temp file and run the user's
 * command on it after the go-ahead, or (--exec-stream) run it on the data
 * as it arrives, and end with "fanscp-ok exec STATUS LEN".
 * With --inplace, a destination whose directory is not writable (or whose
 * rename is not permitted) is received into $TMPDIR or the home, and after
 * the go-ahead copied over the destination and checked again.
 *
 * Every path is single-quoted.  A script that reaches a step prints one
 * line, "fanscp-ready WHAT" or "fanscp-ok WHAT N", so that success is
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
	REMOTE_EXIT_SPECIAL = 79,	/* not a regular file: never replaced */
	REMOTE_EXIT_DENIED = 80,	/* not writable, or not replaceable */
	REMOTE_EXIT_NOGO = 81,		/* no go-ahead: nothing changed */
	REMOTE_EXIT_MODIFIED = 82,	/* --inplace failed after writing */
	REMOTE_EXIT_LINK = 83,		/* a symlink loop */
	REMOTE_EXIT_NOTAR = 84,		/* -r: no tar on the host */
	REMOTE_EXIT_UNPACK = 85,	/* -r: tar -x failed */
	REMOTE_EXIT_NOTDIR = 86,	/* -r: the destination is no directory */
	REMOTE_EXIT_PART = 87,		/* keep: the data was short, and the
					   temp file is kept to be resumed */
	REMOTE_EXIT_HELD = 88,		/* keep: another run's receive holds
					   the temp file */
	REMOTE_EXIT_VALIDATE = 89,	/* --validate's command failed */
	REMOTE_EXIT_NOUNZIP = 90,	/* --compress: no decompressor there */
	REMOTE_EXIT_UNZIP = 91,		/* --compress: decompressing failed */
};

/*
 * What a host is told when its account ran something else than the
 * command fanscp asked for, silently: a ForceCommand such as
 * internal-sftp (SFTP-only accounts, appliances).  fanscp does not speak
 * SFTP: such a host is failed, saying so.
 */
#define REMOTE_NOT_OURS	"the account did not run fanscp's command " \
	"(a ForceCommand, such as internal-sftp?): fanscp needs a POSIX sh " \
	"there, and does not speak SFTP"

/* The go-ahead line that lets a commit rename. */
#define REMOTE_GO	"go\n"

/* What a job delivers, and so which scripts its hosts run. */
enum remote_kind {
	REMOTE_FILE = 0,	/* a file, renamed into place (remote_file.c) */
	REMOTE_TREE,		/* -r: a tar archive, unpacked (remote_tree.c) */
	REMOTE_EXEC,		/* --exec: a checked temp file, then CMD < it */
	REMOTE_EXEC_STREAM,	/* --exec-stream: the data straight into CMD */
	REMOTE_SET,		/* several sources: an archive of them,
				   each placed in a directory (remote_set.c) */
};

struct remote_job {
	enum remote_kind kind;
	const char	*path;		/* the target path ("" = home) */
	const char	*basename;	/* the source's base name, no '/' */
	uint64_t	 size;		/* bytes to expect */
	int		 size_unknown;	/* a stream still arriving: the
					   receive step cannot check size,
					   and the data ends with a seal */
	const char	*sha256;	/* 64 hex digits to check, or NULL */
	mode_t		 mode;		/* the source's permission bits */
	int		 preserve;	/* -p: exact mode and times */
	time_t		 mtime;		/* with preserve */
	time_t		 atime;		/* with preserve */
	const char	*token;		/* random hex, at most 32 digits */
	int		 inplace;	/* --inplace where rename cannot work */
	int		 sudo;		/* --sudo: the scripts run as root */
	const char	*cmd;		/* --exec: the user's command, for sh -c */
	/*
	 * Resume (the file payload): token names the source and the target,
	 * not a random draw, so that a later session finds the temp file
	 * again; a pid file beside it ("TEMP.pid": run, shell, cat) lets that
	 * session stop a receiver left from a lost connection.  Data that
	 * ends short keeps the temp file ("fanscp-part receive N", status
	 * REMOTE_EXIT_PART).  A receive that finds a temp file it may resume
	 * says "fanscp-have N SHA256" (the hash of those N bytes, "-" when
	 * the host has no tool) and reads "from N" (append) or "from 0"
	 * (start over) before it says "ready".
	 */
	int		 keep;		/* keep and resume partial temp files */
	int		 takeover;	/* --resume: another run's temp file
					   may be taken over and resumed */
	const char	*run;		/* this run's random id, hex */
	/*
	 * --validate (the file payload): sh code run by "/bin/sh -c" with
	 * the checked temp file's absolute path as $1, before "ready"; its
	 * failure drops the temp file (REMOTE_EXIT_VALIDATE), and the tail
	 * of its output is the reason.  NULL: none.
	 */
	const char	*validate;
	/*
	 * --then (the file payload): sh code run by "/bin/sh -c" once the
	 * file is in place, before "fanscp-ok commit": the commit then says
	 * "fanscp-then STATUS" on stdout, and on stderr, after a line
	 * "fanscp-then-output", the tail of its output.  NULL: none.
	 */
	const char	*then;
	/*
	 * --chown USER:GROUP and --chmod MODE (the file payload): set on
	 * every file written, new or replaced, after the owner and mode it
	 * would keep, before --validate; chown needs root, which the receive
	 * checks before any data.  NULL, and has_chmod 0: none.
	 */
	const char	*chown;
	int		 has_chmod;
	mode_t		 chmod;
	/*
	 * --if-changed (the file payload): the receive first hashes an
	 * existing destination, and if it holds sha256 already, ends with
	 * "fanscp-ok unchanged 0" instead of "ready": nothing is sent.
	 */
	int		 if_changed;
	/*
	 * --relay (the file payload, relay.h): the receive sets up the hops
	 * and takes the stream from fanscp or from another host; relay_fwd
	 * when it may feed others.
	 */
	int		 relay;
	int		 relay_fwd;
	int		 relay_existing; /* --relay-auth existing */
	/*
	 * REMOTE_SET: the archive's top entries, each landing as PATH/NAME;
	 * name_dirs[i] is 1 for a directory (-r), 0 for a file.
	 */
	char *const	*names;
	const unsigned char *name_dirs;
	size_t		 n_names;
	/*
	 * --compress (the file payload): the data is compressed, and the
	 * receive pipes it through "UNZIP -dc" ("gzip", "zstd"), which it
	 * checks for before "ready".  NULL: plain data.
	 */
	const char	*unzip;
	/*
	 * The receive goes on to the commit on its own channel (see above):
	 * set from remote_can_join() before the receive script is built.
	 */
	int		 joined;
};

/* The command every channel execs; it reads a framed script on stdin. */
extern const char remote_exec_cmd[];
/* The same through "sudo -n", for --sudo. */
extern const char remote_sudo_cmd[];
/* The same minus "exec /bin/sh -c": to run the scripts under any sh. */
extern const char remote_loader[];

/*
 * One payload kind's scripts, each xmalloc'd.  commit is NULL for a kind
 * that has no second step: its receive script's success is the host's.
 * runs_cmd names the step ("receive", "commit") whose script runs the
 * user's command and ends with its result line (remote_exec_result()),
 * or is NULL.
 */
struct remote_payload {
	const char	*name;
	char		*(*receive)(const struct remote_job *);
	char		*(*commit)(const struct remote_job *);
	char		*(*abort)(const struct remote_job *);
	int		 sealed;	/* its receive takes a stream's seal */
	const char	*runs_cmd;
	int		 joins;		/* its receive can carry the commit */
};

/*
 * A stream's data cannot say where it ends: a connection cut short gives
 * the remote cat the same end of input as a finished stream.  So after a
 * stream's last byte, a receive that stores it into a temp file gets a
 * seal, REMOTE_SEAL_LEN bytes: "fanscp-end TOKEN SIZE\n", SIZE in 19
 * digits.  The receive's unseal() strips it and takes the size from it;
 * without it, the data was cut short and the temp file is removed.
 * The token is the host's own random one, which no stream can forge.
 */
#define REMOTE_SEAL_LEN	64
/* Write job's seal for size bytes into buf (REMOTE_SEAL_LEN + 1 bytes). */
void	remote_seal(const struct remote_job *job, uint64_t size, char *buf);
/* Does job's receive expect a seal after a stream? */
int	remote_sealed(const struct remote_job *job);

extern const struct remote_payload remote_file_payload;
extern const struct remote_payload remote_tree_payload;
extern const struct remote_payload remote_set_payload;
extern const struct remote_payload remote_exec_payload;
extern const struct remote_payload remote_exec_stream_payload;

/* s as one single-quoted sh word: ' becomes '\''.  xmalloc'd. */
char	*shquote(const char *s);
/*
 * For the payloads' builders: the sh every script starts with (die, drop,
 * size, beat, unbeat, w; see remote.c), and remote_vars(), the job's
 * values as assignments (d b k s i) followed by it.  remote_sha_part()
 * defines "hash FILE", which checks the SHA-256 the job asks for, and is
 * true when it asks for none.
 */
extern const char remote_common[];
char	*remote_vars(const struct remote_job *job);
char	*remote_sha_part(const struct remote_job *job);
/*
 * For a receive: X, the decompressor's name (job->unzip, or empty), a
 * check that it is there (REMOTE_EXIT_NOUNZIP), and "unzip", which copies
 * stdin to stdout through "$X -dc", or cat without one.
 */
char	*remote_unzip_part(const struct remote_job *job);
/* t as touch -t wants it, in UTC: CCYYMMDDhhmm.SS. */
void	remote_touch_stamp(time_t t, char *buf, size_t len);

/* The receive script for job.  xmalloc'd. */
char	*remote_receive_cmd(const struct remote_job *job);
/*
 * A receive's data step, after its temp file is made: direct, the
 * payload's own, or under --relay the hops' set-up and the relay's data
 * step (remote_relay.c), which needs the payload's unzip part.  Either
 * way it defines part, which a keep receive that ends short calls.
 * xmalloc'd.
 */
char	*remote_data_part(const struct remote_job *job, const char *direct);
/* The commit script for job.  xmalloc'd. */
char	*remote_commit_cmd(const struct remote_job *job);
/* Does job's kind have a commit step after the receive? */
int	remote_has_commit(const struct remote_job *job);
/*
 * May job's receive and commit run as one script on one channel: its
 * payload joins, the size is known, the data is plain, and not relayed?
 */
int	remote_can_join(const struct remote_job *job);
/* Does the script of step what ("receive", "commit") run the command? */
int	remote_runs_cmd(const struct remote_job *job, const char *what);
/* The script that removes job's temp file, if any.  xmalloc'd. */
char	*remote_abort_cmd(const struct remote_job *job);
/* script framed for remote_exec_cmd's stdin; *len its length.  xmalloc'd. */
char	*remote_frame(const char *script, size_t *len);
/*
 * 0 when out ends with the line "fanscp-ready WHAT\n", else -1.  For
 * "receive", a joined receive's "ready" then its commit's also count:
 * with no bytes to take (an empty file, all kept), both come at once.
 */
int	remote_check_ready(const char *out, size_t len, const char *what);
/*
 * Check a script's stdout for its success line: returns 0 when out ends
 * with the line "fanscp-ok WHAT N\n", N equal to size, else -1.  Lines
 * before it (from a noisy rc file) are allowed.  Abort reports N = 0.
 */
int	remote_check_ok(const char *out, size_t len, const char *what,
	    uint64_t size);
/*
 * The result line of a script that ran the user's command: 0 when out
 * ends with "fanscp-ok exec STATUS LEN\n", the command's exit status and
 * the LEN bytes before that line's "\n" (the tail of its stdout, at most
 * REMOTE_OUT_TAIL), else -1.  The status is the command's, never the
 * script's own exit status, so the two cannot be confused.
 */
int	remote_exec_result(const char *out, size_t len, int *status,
	    const char **tail, size_t *taillen);
/*
 * The command's stderr in a finished script's stderr: what follows the
 * last "fanscp-stderr" line, or all of it when there is none.
 */
void	remote_exec_stderr(const char *err, size_t len, const char **tail,
	    size_t *taillen);
/* The most bytes of the command's stdout sent back; and of its stderr. */
#define REMOTE_OUT_TAIL	512
#define REMOTE_ERR_TAIL	2048

/*
 * A keep receive's offer: 0 when out ends with "fanscp-have N HASH\n",
 * with *have = N and hash (64 hex digits, or "" when the host has none).
 */
int	remote_check_have(const char *out, size_t len, uint64_t *have,
	    char hash[65]);
/* A keep receive that kept a short temp file: 0 and *have, else -1. */
int	remote_check_part(const char *out, size_t len, uint64_t *have);
/*
 * 0 when out's last line starts with prefix: *p is what follows, *n its
 * length (no newline).  Else -1.
 */
int	remote_last_line(const char *out, size_t len, const char *prefix,
	    const char **p, size_t *n);

/*
 * A commit's --then result: 0 with its exit status and output tail (in
 * err, the commit's stderr) when out has a "fanscp-then STATUS" line;
 * -1 when the command did not run.
 */
int	remote_then_result(const char *out, size_t len, const char *err,
	    size_t errlen, int *status, const char **tail, size_t *taillen);

/* A short description of a script exit status, or NULL for unknown ones. */
const char *remote_exit_str(int status);

#endif
