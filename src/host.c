/* Host records: the first error noted is the one kept. */
#include <stdarg.h>
#include <stdio.h>

#include "host.h"

void
host_fail(struct host *h, const char *fmt, ...)
{
	va_list ap;

	if (host_has_error(h))
		return;
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
