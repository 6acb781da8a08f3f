/*
 * A child process with its stdin, stdout and stderr on pipes whose ends
 * in fanscp are non-blocking, for the event loop (the ssh children of the
 * OpenSSH transport, issue 8).  posix_spawn, so that even a large process
 * starts cheaply (glibc's clone(CLONE_VFORK)), and an exec failure comes
 * back as the spawn's error.  The child gets the three pipes and no other
 * fd (ours are close-on-exec, inherited ones are closed), SIGPIPE and the other
 * signals at their defaults and none blocked, and a process group of its
 * own: a Ctrl-C at the terminal reaches fanscp alone, which then winds its
 * hosts down in order (a child is told by its stdin closing, or a signal).
 */
#ifndef FANSCP_CHILD_H
#define FANSCP_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t	pid;		/* 0 once reaped */
	int	in;		/* its stdin, to write; -1 once closed */
	int	out;		/* its stdout, to read */
	int	err;		/* its stderr, to read */
	int	status;		/* the wait status, once reaped */
	int	sock;		/* CHILD_SOCKET: in and out are one socket */
};

/*
 * CHILD_SOCKET: its stdin and stdout are one end of a socketpair, so that
 * fanscp watches one fd for both directions, as it does a libssh2 socket;
 * closing stdin is then a shutdown(SHUT_WR).  stderr stays a pipe.
 */
#define CHILD_SOCKET	0x1

/*
 * Start argv[0] (looked up in PATH when it has no '/') with argv.  Returns
 * 0, or -1 with "cannot run 'ssh': reason" in err and nothing left open.
 */
int	child_spawn(struct child *, char *const argv[], int flags, char *err,
	    size_t errlen);
/*
 * Start argv with sock as its stdin and stdout (the caller's socket, which
 * it keeps: the child gets a copy) and its stderr on a pipe.  c->in and
 * c->out stay -1.  Returns 0, or -1 with the reason in err.
 */
int	child_spawn_on(struct child *, char *const argv[], int sock,
	    char *err, size_t errlen);
/* Close our end of its stdin: it reads EOF. */
void	child_close_in(struct child *);
/* Send it sig, unless it was reaped. */
int	child_kill(struct child *, int sig);
/*
 * Reap it without blocking: 1 once it has exited (c->status holds the wait
 * status), 0 while it runs, -1 on an error (not our child).
 */
int	child_reap(struct child *);
/* Close our ends of its pipes.  It is not waited for: reap it first. */
void	child_release(struct child *);

#endif
