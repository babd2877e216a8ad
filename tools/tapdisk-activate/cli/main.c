// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapdisk-activate: dom0 helper that hands a VDI on shared storage from one
 * host to another without stale metadata, stale cache or in-flight writes.
 * This file only dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_inspect.h"
#include "cmd_lease.h"
#include "commands.h"
#include "common/exitcodes.h"
#include "handover_cli.h"
#include "common/version.h"

/* One line per subcommand; the declarations sit beside their entries. */
static const struct command commands[] = {
	{ "inspect", cmd_inspect, "validate and describe a VHD image (O_DIRECT)" },
	{ "lease", cmd_lease, "on-storage lease: init/acquire/renew/release/status/break" },
	{ "activate", cmd_activate, "acquire the lease, validate, reopen the backend" },
	{ "deactivate", cmd_deactivate, "drain and flush the backend, release the lease" },
	{ "reactivate", cmd_reactivate, "take a VDI back after a failed migration" },
	{ "fence", cmd_fence, "stop a backend's writes after its lease was lost" },
	{ "status", cmd_status, "lease owner/version, backend state, last handovers" },
	{ "check-migrate", cmd_check_migrate, "page-cache safety rule for a handover" },
	{ NULL, NULL, NULL }
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tapdisk-activate COMMAND [OPTIONS] [ARGS]\n"
		"       tapdisk-activate COMMAND --help\n\n"
		"Commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-16s %s\n", c->name, c->summary);
	fprintf(out, "\nExit codes are listed in tapdisk-activate(8).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return XH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return XH_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("tapdisk-activate %s\n", XH_VERSION);
		return XH_EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "tapdisk-activate: unknown command '%s' (try --help)\n",
		argv[1]);
	return XH_EXIT_USAGE;
}
