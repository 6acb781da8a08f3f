/*
 * Pure formatting helpers for messages and the progress display.  Each
 * writes into buf (at most len bytes, always terminated) and returns buf.
 */
#ifndef FANSCP_FMT_H
#define FANSCP_FMT_H

#include <stddef.h>
#include <stdint.h>

/* A byte count in IEC units (1024): "512 B", "12.3 MiB", "1.20 GiB". */
char	*fmt_size(char *buf, size_t len, uint64_t bytes);
/* A rate in bytes per second: "12.3 MiB/s". */
char	*fmt_rate(char *buf, size_t len, double bytes_per_sec);
/* A duration: "42s", "3m05s", "2h07m"; "--:--" when unknown (< 0). */
char	*fmt_eta(char *buf, size_t len, double seconds);
/*
 * s as quoted in a message: itself, or when longer than 64 bytes its first
 * and last 30 with "..." between, so that the reason after it still fits.
 */
char	*fmt_ends(char *buf, size_t len, const char *s);
/* Replace control bytes in s with '?', so a message cannot play tricks. */
char	*fmt_noctrl(char *s);
/*
 * Copy untrusted text (remote stderr) into buf, making it safe for a
 * terminal: control bytes and non-ASCII bytes become \ooo escapes,
 * a trailing newline is dropped and inner newlines become "; ".
 */
char	*fmt_clean(char *buf, size_t len, const char *s, size_t slen);

#endif
