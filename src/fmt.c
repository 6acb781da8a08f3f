/*
 * Formatting helpers: sizes, rates, durations and untrusted text.  Sizes
 * are in powers of 1024 (KiB, MiB), the units --spool-max takes and the
 * man page, README and bench quote, so one figure reads the same
 * everywhere.
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"

char *
fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
	    "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%u B", (unsigned)bytes);
		return buf;
	}
	while (v >= 1023.95 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 9.995 ? "%.2f %s" : "%.1f %s", v, unit[u]);
	return buf;
}

char *
fmt_rate(char *buf, size_t len, double bytes_per_sec)
{
	char sz[32];

	if (!(bytes_per_sec >= 0))	/* negative or NaN */
		bytes_per_sec = 0;
	if (bytes_per_sec > 1e18)
		bytes_per_sec = 1e18;
	fmt_size(sz, sizeof(sz), (uint64_t)bytes_per_sec);
	snprintf(buf, len, "%s/s", sz);
	return buf;
}

char *
fmt_eta(char *buf, size_t len, double seconds)
{
	unsigned long s;

	if (!(seconds >= 0) || seconds > 359999) {	/* NaN fails too */
		snprintf(buf, len, "--:--");
		return buf;
	}
	s = (unsigned long)(seconds + 0.5);
	if (s < 60)
		snprintf(buf, len, "%lus", s);
	else if (s < 3600)
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	else
		snprintf(buf, len, "%luh%02lum", s / 3600, s % 3600 / 60);
	return buf;
}

char *
fmt_noctrl(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

char *
fmt_ends(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n > 64)
		snprintf(buf, len, "%.30s...%s", s, s + n - 30);
	else
		snprintf(buf, len, "%s", s);
	return buf;
}

char *
fmt_clean(char *buf, size_t len, const char *s, size_t slen)
{
	size_t o = 0, i;

	if (len == 0)
		return buf;
	while (slen > 0 && (s[slen - 1] == '\n' || s[slen - 1] == '\r'))
		slen--;
	for (i = 0; i < slen && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			memcpy(buf + o, "; ", 2);
			o += 2;
		} else if (c == '\\' || c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\%03o", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}
