/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cli_args: the option values every tapdisk-activate command reads the
 * same way (numbers, seconds, host ids), so a value means the same and
 * is refused the same way on every command.
 */
#ifndef TAPDISK_ACTIVATE_CLI_ARGS_H
#define TAPDISK_ACTIVATE_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* Longest wait any option may ask for: a day is already absurd. */
#define CLI_MAX_SECONDS	86400.0

/* A decimal number 0..@max, digits only (no sign, no blanks). */
bool cli_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Seconds, fractions allowed, 0..CLI_MAX_SECONDS. */
bool cli_parse_seconds(const char *s, double *out);
/* A lease host id, 1..LEASE_MAX_HOSTS. */
bool cli_parse_host_id(const char *s, uint16_t *out);

#endif /* TAPDISK_ACTIVATE_CLI_ARGS_H */
