// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activate deactivate: the source side of a handover. */
#include <stdio.h>

#include "handover_cli.h"

static const char usage[] =
"usage: tapdisk-activate deactivate VDI --host-id N [--backend SPEC]\n"
"           [--timeout S] [--successor N] [--lease PATH[:OFFSET]] [--state FILE]\n"
"           [--format vhd|raw] [--unsafe] [--read-only] [--shareable] [--json]\n"
"\n"
"Source side of a handover: pause the backend (its in-flight I/O completes\n"
"and the image is closed), flush this host's cache of the image, record the\n"
"lease version and the VHD metadata fingerprint, release the lease.\n"
"If the backend does not pause within --timeout (default 30 s) the lease is\n"
"kept: a VDI whose writes may still land is never released.\n"
"\n"
"  --host-id N       this host's lease id (1..2000), required\n"
"  --backend SPEC    tapdisk:PID:MINOR[,type=T][,no-o-direct] | dm:NAME | none\n"
"  --timeout S       bound on the backend pause (seconds, default 30)\n"
"  --successor N     host id of the destination: its acquire takes the\n"
"                    lease's fast path (one slot-area read less)\n"
"  --lease SPEC      lease area (default VDI.lease)\n"
"  --state FILE      handover record (default LEASE.host<N>.state)\n"
"  --format raw      the VDI has no VHD metadata (phy:/dm raw volumes)\n"
"  --unsafe          hand over although check-migrate refuses\n"
"  --json            one JSON object on stdout\n"
"See tapdisk-activate-deactivate(8).\n";

int cmd_deactivate(int argc, char **argv)
{
	return handover_cli_run(argc, argv, HCLI_HANDOVER | HCLI_SUCCESSOR,
				usage, handover_deactivate);
}
