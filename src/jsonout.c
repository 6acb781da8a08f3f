/*
 * The --json report.  One object, not JSON Lines: a script reads it with
 * one parse, the summary travels with the records, and a truncated file
 * does not parse (it is also written whole, by outfile.c).  Each record
 * still sits on a line of its own, for grep and for diff.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "jsonout.h"
#include "target.h"
#include "xmalloc.h"

/* The format's version: bumped when a field changes meaning or goes. */
#define JSONOUT_VERSION	1

/*
 * The length of the UTF-8 sequence at s (at most n bytes), or 0 if it is
 * not one: overlong forms, surrogates and code points past U+10FFFF are
 * not.
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void
jsonout_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), len;

	fputc('"', f);
	while (n > 0) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\u%04x", *s);
		else if ((len = utf8_len(s, n)) == 0)
			fputs("\\ufffd", f);
		else {
			fwrite(s, 1, len, f);
			s += len;
			n -= len;
			continue;
		}
		s++;
		n--;
	}
	fputc('"', f);
}

/* "key": "s", or "key": null when s is NULL. */
static void
field_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, ", \"%s\": ", key);
	if (s == NULL)
		fputs("null", f);
	else
		jsonout_str(f, s);
}

static const char *
status_name(const struct host *h)
{
	switch (h->status) {
	case HOST_DONE:
		return h->unchanged ? "unchanged" : "done";
	case HOST_UNKNOWN:
		return "unknown";
	default:
		return "failed";
	}
}

/* One target's record, on one line. */
static void
write_host(FILE *f, const struct host *h)
{
	int ok = h->status == HOST_DONE;
	char *uri = target_uri(&h->t);

	fputs("    {\"target\": ", f);
	jsonout_str(f, h->name);
	field_str(f, "uri", uri);
	field_str(f, "host", h->t.host);
	field_str(f, "hostname", h->hostname);
	/* The port connected to: the target's "uri" keeps the one given. */
	if (h->port != 0)
		fprintf(f, ", \"port\": %d", h->port);
	else
		fputs(", \"port\": null", f);
	field_str(f, "jump", h->jump);
	field_str(f, "user", h->t.user);
	field_str(f, "path", h->t.path);
	field_str(f, "status", status_name(h));
	field_str(f, "error_kind", ok ? NULL : h->kind == ERR_NONE ?
	    "other" : host_err_name(h->kind));
	field_str(f, "error", ok ? NULL : h->err[0] ? h->err :
	    "not finished");
	fprintf(f, ", \"bytes\": %llu", (unsigned long long)h->bytes);
	if (h->t_start > 0 && h->t_end >= h->t_start)
		fprintf(f, ", \"seconds\": %.3f",
		    (double)(h->t_end - h->t_start) / 1000);
	else
		fputs(", \"seconds\": null", f);
	if (h->rate > 0)
		fprintf(f, ", \"rate\": %.0f", h->rate);
	else
		fputs(", \"rate\": null", f);
	fprintf(f, ", \"attempts\": %d", h->attempts);
	/* --then: its own result, apart from the copy's. */
	if (ok && h->then_ran) {
		fprintf(f, ", \"then\": {\"status\": %d, \"output\": ",
		    h->then_status);
		jsonout_str(f, h->then_out);
		fputs("}}", f);
	} else
		fputs(", \"then\": null}", f);
	free(uri);
}

/* The "summary" object. */
static void
write_summary(FILE *f, const struct host *hosts, size_t n,
    const struct jsonout_run *run)
{
	size_t i, done = 0, unknown = 0, same = 0;

	for (i = 0; i < n; i++) {
		done += hosts[i].status == HOST_DONE;
		same += hosts[i].status == HOST_DONE && hosts[i].unchanged;
		unknown += hosts[i].status == HOST_UNKNOWN;
	}
	fputs("  \"summary\": {\"source\": ", f);
	jsonout_str(f, run->source);
	field_str(f, "mode", run->exec ? "exec" : "copy");
	if (run->has_size)
		fprintf(f, ", \"size\": %llu", (unsigned long long)run->size);
	else
		fputs(", \"size\": null", f);
	fprintf(f, ", \"hosts\": %zu, \"done\": %zu, \"unchanged\": %zu, "
	    "\"failed\": %zu, \"unknown\": %zu, \"seconds\": %.3f, "
	    "\"interrupted\": %s},\n",
	    n, done - same, same, n - done - unknown, unknown, run->seconds,
	    run->signal ? "true" : "false");
}

int
jsonout_write(FILE *f, const struct host *hosts, size_t n,
    const struct jsonout_run *run)
{
	size_t i;

	fprintf(f, "{\n  \"fanscp_json\": %d,\n", JSONOUT_VERSION);
	write_summary(f, hosts, n, run);
	fputs("  \"hosts\": [", f);
	for (i = 0; i < n; i++) {
		fputs(i > 0 ? ",\n" : "\n", f);
		write_host(f, &hosts[i]);
	}
	fputs(n > 0 ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -1 : 0;
}
