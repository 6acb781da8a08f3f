/*
 * The command line of an ssh child, for the OpenSSH transport (issue 8):
 * the user's own ssh, given what fanscp was given (-F, -o, -i, the port and
 * user it resolved) and the host-key policy fanscp resolved, and kept from
 * turning into something else by the user's configuration.
 *
 * ssh takes the FIRST value it obtains for an option: -o options in their
 * order, then the files; -p and -l likewise ("-o Port=1 -p 2" is port 1).
 * So what fanscp must decide comes first, before the user's -o: BatchMode,
 * the host-key policy (never StrictHostKeyChecking=no, which still logs in
 * over a changed key), UpdateHostKeys=no (many children would rewrite
 * known_hosts under fanscp), no forwardings, tty, escape character, remote
 * or local command, and fanscp's own ControlMaster settings.  Then "--",
 * so that neither the host nor anything after it is read as an option,
 * the host as typed (ssh applies the same Host blocks fanscp did), and the
 * remote command as one argument.  Remote paths never appear here: they
 * go in the framed script on the child's stdin.  sshcmd_verdict() reads
 * a child's end (exit status 255, stderr) back into an error kind.
 */
#ifndef FANSCP_SSHCMD_H
#define FANSCP_SSHCMD_H

#include <stddef.h>

#include "host.h"
#include "sshconf.h"

/* How the child shares a connection with the host's other steps. */
enum sshcmd_mux {
	SSHCMD_MUX_NONE,	/* its own connection: ControlPath=none */
	SSHCMD_MUX_MASTER,	/* fanscp's private master for the host:
				   ControlMaster=yes, ControlPersist=no */
	SSHCMD_MUX_CLIENT,	/* a step through that master */
	SSHCMD_MUX_USER,	/* the user's own live master: their
				   ControlPath and ControlMaster apply */
};

struct sshcmd {
	const char	*program;	/* "ssh", or a path */
	int		 version;	/* ssh's, as 10 * major + minor (92),
					   for options newer ssh knows; 0:
					   unknown, only the old ones */
	const char	*config_file;	/* -F, or NULL */
	char *const	*options;	/* the user's -o, in their order */
	size_t		 n_options;
	char *const	*identities;	/* the user's -i, in their order */
	size_t		 n_identities;
	int		 port;		/* as fanscp resolved it; 0: ssh's */
	const char	*user;		/* likewise, or NULL */
	int		 family;	/* AF_INET: -4, AF_INET6: -6 */
	int		 connect_timeout; /* s; 0: ssh's own */
	enum stricthk	 strict;	/* fanscp's resolved policy */
	const char	*host_key_alias; /* HostKeyAlias, or NULL */
	enum sshcmd_mux	 mux;
	const char	*control_path;	/* fanscp's socket (MASTER, CLIENT) */
	const char	*host;		/* the host as typed */
	const char	*command;	/* the remote command, one argument */
	const char	*forward;	/* or "host:port" for -W (a jump host's
					   channel), then no command */
	const char	*proxy_command;	/* ProxyCommand, set before the user's
					   -o (its ProxyJump then does not
					   apply), or NULL */
	const char	*proxy_jump;	/* ProxyJump likewise ("none" too) */
};

/*
 * The argv (NULL-ended; sshcmd_free() it), or NULL with the reason in err
 * when it cannot be built safely: a host name ssh would read otherwise
 * (an option, user@host, an ssh:// URI) or reject, a control path that
 * ssh would expand.
 */
char	**sshcmd_argv(const struct sshcmd *, char *err, size_t errlen);
void	  sshcmd_free(char **);
/*
 * What went wrong, from an ssh child's wait status and stderr: ERR_NONE
 * when ssh itself did not fail (it exited with the remote command's own
 * status, anything but 255); else the kind (hostkey, auth, connect,
 * timeout, ssh, config, lost) and a message in fanscp's words, such as
 * "no matching MAC found; the server offers ...", from OpenSSH 9's lines.
 * started: the remote command had begun (a failure then is a lost
 * connection).  Remote scripts never exit 255 themselves.
 * ssh says "Unable to negotiate" and "Connection closed by" at LogLevel
 * INFO: under LogLevel=ERROR a failed negotiation leaves stderr empty.
 */
enum host_err sshcmd_verdict(int wstatus, const char *err, size_t len,
	    int started, char *msg, size_t msglen);
/*
 * Does ssh's stderr say that a jump host could not open the channel to
 * the host (ssh -W, or ProxyJump's)?  The line that says it goes in line.
 */
int	  sshcmd_forward_failed(const char *err, size_t len, char *line,
	    size_t linelen);
/* Then a hint on why (" (AllowTcpForwarding ...)"), from ssh's words, or "". */
const char *sshcmd_forward_hint(const char *err);
/* "OpenSSH_9.2p1 Debian-2, OpenSSL ..." (ssh -V) as 92; 0 if not OpenSSH. */
int	  sshcmd_version(const char *banner);

#endif
