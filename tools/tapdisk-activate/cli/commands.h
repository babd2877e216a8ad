/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Subcommands of tapdisk-activate. Each lives in its own cmd_<name>.c,
 * parses its own options, prints --help, and returns an enum xh_exit.
 */
#ifndef TAPDISK_ACTIVATE_COMMANDS_H
#define TAPDISK_ACTIVATE_COMMANDS_H

struct command {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
	const char *summary;
};

#endif /* TAPDISK_ACTIVATE_COMMANDS_H */
