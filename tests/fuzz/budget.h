/*
 * A cheap upper bound on what nodesets in a fuzz input can cost, so the
 * target and host-file fuzzers skip inputs that would only measure how
 * long a million-name expansion takes (the nodeset fuzzer does that).
 */
#ifndef FANSCP_FUZZ_BUDGET_H
#define FANSCP_FUZZ_BUDGET_H

#include <stddef.h>

/*
 * Whether the nodesets in [data, data + size) stay within the fuzzers'
 * budget of names and bytes.  With bylines set each line is a separate
 * pattern (a host file), else the whole input is one (a TARGET).
 */
int	budget_ok(const char *data, size_t size, int bylines);

#endif
