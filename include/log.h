/*
 * Logging in OpenSSH's manner: fatal() for errors before the engine runs,
 * error() for things the user must see, verbose() and debug() for -v and
 * -vv.  Messages start in lower case and name their subject.  A hook lets
 * the progress display clear its line before a message is printed.
 */
#ifndef FANSCP_LOG_H
#define FANSCP_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_QUIET = -1,		/* -q: errors from fatal() only */
	LOG_ERROR = 0,		/* the default */
	LOG_VERBOSE = 1,	/* -v */
	LOG_DEBUG = 2,		/* -vv and more */
};

/* Set the level and the program name used as a prefix. */
void	log_init(const char *progname, enum log_level level);
/* The current level. */
enum log_level log_level(void);
/* Call fn before each message (to clear a progress line); NULL to stop. */
void	log_set_clear_hook(void (*fn)(void));
/* Print a message and exit(2). Only for errors before any host is started. */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Print at LOG_ERROR. */
void	error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Print at LOG_VERBOSE. */
void	verbose(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Print at LOG_DEBUG. */
void	debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Print "host: message" at the given level. */
void	hlog(enum log_level, const char *host, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
