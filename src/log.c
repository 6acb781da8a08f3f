/* Logging to stderr, with a level and a hook that clears the progress line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static const char *log_progname = "fanscp";
static enum log_level log_cur = LOG_ERROR;
static void (*log_clear)(void);

void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_cur = level;
}

enum log_level
log_level(void)
{
	return log_cur;
}

void
log_set_clear_hook(void (*fn)(void))
{
	log_clear = fn;
}

/* One message, whole: engines on other threads may be logging too. */
static void
log_v(const char *host, const char *fmt, va_list ap)
{
	flockfile(stderr);
	if (log_clear != NULL)
		log_clear();
	if (host != NULL)
		fprintf(stderr, "%s: ", host);
	else
		fprintf(stderr, "%s: ", log_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(NULL, fmt, ap);
	va_end(ap);
	exit(2);
}

#define LOG_AT(name, level)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	if (log_cur < (level))				\
		return;					\
	va_start(ap, fmt);				\
	log_v(NULL, fmt, ap);				\
	va_end(ap);					\
}

LOG_AT(error, LOG_ERROR)
LOG_AT(verbose, LOG_VERBOSE)
LOG_AT(debug, LOG_DEBUG)

void
hlog(enum log_level level, const char *host, const char *fmt, ...)
{
	va_list ap;

	if (log_cur < level)
		return;
	va_start(ap, fmt);
	log_v(host, fmt, ap);
	va_end(ap);
}
