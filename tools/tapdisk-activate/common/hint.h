/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Options named in messages that tell the user what to do next.
 *
 * A message of a library part (vhd, lease, backend, handover) may be
 * printed by several commands, and a hint that names an option the
 * printing command rejects is a lie ("activate --force" was one). So such
 * a message names an option only as XH_HINT("command", "--option"): it
 * expands to the option's text, and tests/docs/t_hints.sh checks every
 * XH_HINT against the options that command accepts, and fails on an
 * option named in a library message without it.
 */
#ifndef TAPDISK_ACTIVATE_HINT_H
#define TAPDISK_ACTIVATE_HINT_H

/* @cmd: "activate", "lease break", ...; @opt: "--force". The option. */
#define XH_HINT(cmd, opt)	opt

#endif /* TAPDISK_ACTIVATE_HINT_H */
