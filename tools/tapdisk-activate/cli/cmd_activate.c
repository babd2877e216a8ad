// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activate activate: the destination side of a handover. */
#include <stdio.h>

#include "handover_cli.h"

static const char usage[] =
"usage: tapdisk-activate activate VDI --host-id N [--backend SPEC]\n"
"           [--expect-version V] [--wait S] [--timeout S]\n"
"           [--lease PATH[:OFFSET]] [--state FILE] [--format vhd|raw]\n"
"           [--unsafe] [--read-only] [--shareable] [--json]\n"
"\n"
"Destination side of a handover: make sure the backend is paused, acquire\n"
"the lease (waiting up to --wait seconds for the previous holder's\n"
"release), drop this host's cached pages of the image, validate the VHD\n"
"metadata with O_DIRECT, then resume the backend so it reopens the image\n"
"and reads that fresh metadata. On any failure the backend stays paused and\n"
"the lease is released.\n"
"\n"
"  --host-id N         this host's lease id (1..2000), required\n"
"  --backend SPEC      tapdisk:PID:MINOR[,type=T][,no-o-direct] | dm:NAME | none\n"
"  --expect-version V  succeed only if nobody acquired the lease since V\n"
"  --wait S            wait for the lease this long (default 0)\n"
"  --timeout S         bound on each backend pause/resume (default 30)\n"
"  --lease SPEC        lease area (default VDI.lease)\n"
"  --state FILE        handover record (default LEASE.host<N>.state)\n"
"  --format raw        the VDI has no VHD metadata\n"
"  --unsafe            activate although check-migrate refuses\n"
"  --json              one JSON object on stdout\n"
"See tapdisk-activate-activate(8).\n";

int cmd_activate(int argc, char **argv)
{
	return handover_cli_run(argc, argv,
				HCLI_HANDOVER | HCLI_WAIT | HCLI_EXPECT, usage,
				handover_activate);
}
