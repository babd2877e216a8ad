// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activate check-migrate: the page-cache safety rule on its own. */
#include <stdio.h>

#include "common/exitcodes.h"
#include "handover_cli.h"

static const char usage[] =
"usage: tapdisk-activate check-migrate VDI [--backend SPEC] [--unsafe]\n"
"           [--read-only] [--shareable] [--json]\n"
"\n"
"Is it safe to hand VDI to another host, as far as page caches go? (libvirt's\n"
"qemuMigrationSrcIsSafe rule adapted to Xen backends.) Safe when the disk is\n"
"read-only or shareable, or the image is on a coherent cluster filesystem\n"
"(GFS2, OCFS2, CephFS), or the backend bypasses the dom0 page cache (tapdisk\n"
"by default, blkback on dm/phy, qdisk with direct-io-safe). Otherwise exit 30\n"
"naming the reason, unless --unsafe.\n"
"\n"
"  --backend SPEC  tapdisk:PID:MINOR[,no-o-direct] | dm:NAME |\n"
"                  qdisk[,direct-io-safe] | none (default)\n"
"  --read-only     the disk is attached read-only\n"
"  --shareable     the disk is attached shareable\n"
"  --unsafe        report, but do not refuse\n"
"  --json          one JSON object on stdout\n"
"See tapdisk-activate-check-migrate(8).\n";

int cmd_check_migrate(int argc, char **argv)
{
	struct handover_result r = { .op = "check-migrate" };
	struct handover_cli c;
	int ret;

	ret = handover_cli_parse(&c, argc, argv, HCLI_BACKEND | HCLI_SAFETY,
				 usage);
	if (ret >= 0)
		return ret;
	ret = handover_check_migrate(&c.opts, &r);
	r.exit_code = ret;
	handover_print(c.json || !ret ? stdout : stderr, &c.opts, &r, c.json);
	return ret;
}
