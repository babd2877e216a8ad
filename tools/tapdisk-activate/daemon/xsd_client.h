/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * "tapdisk-activated request VDI OP [OPTIONS]": the daemon binary as the
 * client of its own request tree (/vdi-handover/<vdi>/request, result,
 * message), so the key names and both grammars stay the daemon's
 * (xsd_parse.h). Writes one request, waits a bounded time for the answer,
 * prints it, and exits with the answer's code (tapdisk-activated(8)).
 */
#ifndef TAPDISK_ACTIVATE_XSD_CLIENT_H
#define TAPDISK_ACTIVATE_XSD_CLIENT_H

/* The subcommand's name, argv[0] of xsd_client_main(). */
#define XSD_CLIENT_COMMAND	"request"

/*
 * @argv[0] is XSD_CLIENT_COMMAND. @config and @pid_file are the daemon's
 * defaults (its own --config and --pid-file override them).
 */
int xsd_client_main(int argc, char **argv, const char *config,
		    const char *pid_file);

#endif /* TAPDISK_ACTIVATE_XSD_CLIENT_H */
