/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * handover_cli: the command-line surface shared by activate, deactivate,
 * reactivate, status and check-migrate (one parser so the options mean
 * the same everywhere), and their entry points for main.c's table.
 */
#ifndef TAPDISK_ACTIVATE_HANDOVER_CLI_H
#define TAPDISK_ACTIVATE_HANDOVER_CLI_H

#include <stdbool.h>

#include "handover/handover.h"

/* Which options a command accepts. */
#define HCLI_HOST_ID		0x001u
#define HCLI_HOST_ID_REQUIRED	0x002u
#define HCLI_BACKEND		0x004u
#define HCLI_TIMEOUT		0x008u
#define HCLI_WAIT		0x010u
#define HCLI_EXPECT		0x020u
#define HCLI_FORCE		0x040u
#define HCLI_SAFETY		0x080u	/* --unsafe --read-only --shareable */
#define HCLI_LEASE		0x100u	/* --lease --state --format */
#define HCLI_SUCCESSOR		0x200u
/* What every command that moves the VDI accepts. */
#define HCLI_HANDOVER		(HCLI_HOST_ID | HCLI_HOST_ID_REQUIRED | \
				 HCLI_BACKEND | HCLI_TIMEOUT | HCLI_SAFETY | \
				 HCLI_LEASE)

struct handover_cli {
	struct handover_opts opts;
	bool json;
	bool help;
};

/*
 * Parses argv (argv[0] = command name). Returns -1 to continue, else the
 * exit code to return (0 after --help, 2 on a usage error).
 */
int handover_cli_parse(struct handover_cli *c, int argc, char **argv,
		       unsigned int accepted, const char *usage);

/*
 * The body of activate, deactivate and reactivate: parse with @accepted,
 * run @op, print its report (stdout on success or with --json, else
 * stderr). Returns the exit code.
 */
int handover_cli_run(int argc, char **argv, unsigned int accepted,
		     const char *usage,
		     int (*op)(const struct handover_opts *o,
			       struct handover_result *r));

int cmd_activate(int argc, char **argv);
int cmd_deactivate(int argc, char **argv);
int cmd_reactivate(int argc, char **argv);
int cmd_fence(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check_migrate(int argc, char **argv);

#endif /* TAPDISK_ACTIVATE_HANDOVER_CLI_H */
