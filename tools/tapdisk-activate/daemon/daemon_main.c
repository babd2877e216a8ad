// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapdisk-activated: the handover daemon. Option parsing only; the work is
 * in xsd_daemon.c (loop) and xsd_machine.c (state machine).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exitcodes.h"
#include "common/version.h"
#include "lease/lease.h"
#include "xsd_daemon.h"

#define DEFAULT_CONFIG "/etc/xen-handover/tapdisk-activated.conf"

static void usage(FILE *out)
{
	fprintf(out,
"usage: tapdisk-activated [--foreground] [--config FILE] [--host-id N]\n"
"                         [--tool PATH] [--vdi-dir DIR]\n"
"                         [--domains-from-xenstore PATH]\n"
"\n"
"Drives VDI handover (activate/deactivate/reactivate) from xenstore:\n"
"block-handover disks, domain suspend/resume/destroy, and requests under\n"
"/vdi-handover/<vdi>/request. Logs to stderr (the journal under systemd).\n"
"\n"
"  --foreground         run in the foreground (the only mode; systemd\n"
"                       runs it as Type=simple)\n"
"  --config FILE        daemon configuration (default " DEFAULT_CONFIG ")\n"
"  --host-id N          this host's lease id 1..2000 (overrides config)\n"
"  --tool PATH          tapdisk-activate binary to run\n"
"  --vdi-dir DIR        directory of <vdi>.conf files\n"
"  --domains-from-xenstore PATH\n"
"                       read domain states from PATH/<domid> in xenstore\n"
"                       instead of libxenctrl (tests, other toolstacks)\n"
"  --version, --help\n"
"\nExit codes: 0 stopped by a signal, 40 bad configuration, 41 xenstored\n"
"or libxenctrl unavailable. See tapdisk-activated(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "host-id", required_argument, NULL, 'i' },
		{ "tool", required_argument, NULL, 't' },
		{ "vdi-dir", required_argument, NULL, 'v' },
		{ "domains-from-xenstore", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG, *host = NULL, *tool = NULL;
	const char *vdi_dir = NULL, *table = NULL;
	bool config_given = false;
	struct xsd_daemon *d;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "fc:i:t:v:x:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			break;
		case 'c':
			config = optarg;
			config_given = true;
			break;
		case 'i':
			host = optarg;
			break;
		case 't':
			tool = optarg;
			break;
		case 'v':
			vdi_dir = optarg;
			break;
		case 'x':
			table = optarg;
			break;
		case 'h':
			usage(stdout);
			return XH_EXIT_OK;
		case 'V':
			printf("tapdisk-activated %s\n", XH_VERSION);
			return XH_EXIT_OK;
		default:
			usage(stderr);
			return XH_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return XH_EXIT_USAGE;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "tapdisk-activated: out of memory\n");
		return XH_EXIT_FAILURE;
	}
	xsd_config_defaults(&d->cfg);
	rc = xsd_config_load(&d->cfg, config, config_given, err, sizeof(err));
	if (!rc && host) {
		const char *why;

		if (xsd_parse_u32(host, strlen(host), LEASE_MAX_HOSTS,
				  &d->cfg.host_id, &why) || !d->cfg.host_id) {
			snprintf(err, sizeof(err), "--host-id wants 1..%u",
				 LEASE_MAX_HOSTS);
			rc = -1;
		}
	}
	if (!rc && tool)
		rc = snprintf(d->cfg.tool, sizeof(d->cfg.tool), "%s", tool) >=
			(int)sizeof(d->cfg.tool) ? -1 : 0;
	if (!rc && vdi_dir)
		rc = snprintf(d->cfg.vdi_dir, sizeof(d->cfg.vdi_dir), "%s",
			      vdi_dir) >= (int)sizeof(d->cfg.vdi_dir) ? -1 : 0;
	if (!rc && table)
		rc = snprintf(d->cfg.domain_table, sizeof(d->cfg.domain_table),
			      "%s", table) >= (int)sizeof(d->cfg.domain_table) ?
			-1 : 0;
	if (!rc && !d->cfg.host_id) {
		snprintf(err, sizeof(err), "no host-id: set it in %s or pass "
			 "--host-id", config);
		rc = -1;
	}
	if (rc) {
		fprintf(stderr, "tapdisk-activated: %s\n", err);
		free(d);
		return XH_EXIT_DAEMON_CONFIG;
	}
	xsd_lease_ops_default(&d->lease);
	rc = xsd_daemon_init(d, err, sizeof(err));
	if (rc)
		fprintf(stderr, "tapdisk-activated: %s\n", err);
	else
		rc = xsd_daemon_run(d);
	xsd_daemon_fini(d);
	free(d);
	return rc;
}
