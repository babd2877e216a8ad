// SPDX-License-Identifier: GPL-2.0 OR MIT
/* cli_args: option values shared by the commands (see cli_args.h). */
#include "cli_args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lease/lease.h"

bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 ||
	    v > CLI_MAX_SECONDS)
		return false;
	*out = v;
	return true;
}

bool cli_parse_host_id(const char *s, uint16_t *out)
{
	uint64_t v;

	if (!cli_parse_u64(s, LEASE_MAX_HOSTS, &v) || !v)
		return false;
	*out = (uint16_t)v;
	return true;
}
