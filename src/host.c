/* Host records: the first error noted is the one kept. */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>

#include "host.h"

#define HOST_ERR_NAME(name, str)	str,
static const char *const err_names[] = { HOST_ERRS(HOST_ERR_NAME) };

const char *
host_err_name(enum host_err kind)
{
	return kind < ERR_NKINDS ? err_names[kind] : "?";
}

void
host_fail(struct host *h, enum host_err kind, const char *fmt, ...)
{
	va_list ap;

	if (host_has_error(h))
		return;
	h->kind = kind;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	if (h->err[0] == '\0')
		snprintf(h->err, sizeof(h->err), "failed");
}

int
host_has_error(const struct host *h)
{
	return h->err[0] != '\0';
}

void
host_release_conn(struct host *h)
{
	free(h->hostname);
	free(h->jump);
	h->hostname = NULL;
	h->jump = NULL;
}
