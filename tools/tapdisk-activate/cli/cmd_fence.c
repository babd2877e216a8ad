// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activate fence: stop a backend's writes after the lease is lost. */
#include <stdio.h>

#include "handover_cli.h"

static const char usage[] =
"usage: tapdisk-activate fence VDI [--host-id N] [--backend SPEC] [--timeout S]\n"
"           [--format vhd|raw] [--json]\n"
"\n"
"Self-fencing of a host that can no longer prove its lease: drain and stop\n"
"the backend (tapdisk pause, dm suspend) and flush this host's cache of the\n"
"image, bounded by --timeout. No lease I/O: the lease storage may be what\n"
"hangs, and the lease is no longer this host's to release. Exit 0 confirms\n"
"that no write of this host to the image can still land; anything else\n"
"means it is not confirmed (tapdisk-activated then lets the watchdog reset\n"
"the host before another host may take the VDI over).\n"
"\n"
"  --host-id N       this host's lease id (only recorded)\n"
"  --backend SPEC    tapdisk:PID:MINOR[,type=T][,no-o-direct] | dm:NAME | none\n"
"  --timeout S       bound on the backend pause (seconds, default 30)\n"
"  --format raw      the VDI has no VHD metadata\n"
"  --json            one JSON object on stdout\n"
"See tapdisk-activate-fence(8).\n";

int cmd_fence(int argc, char **argv)
{
	return handover_cli_run(argc, argv, HCLI_HOST_ID | HCLI_BACKEND |
				HCLI_TIMEOUT | HCLI_LEASE, usage, handover_fence);
}
