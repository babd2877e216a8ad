// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activate reactivate: take the VDI back after a failed migration. */
#include <stdio.h>

#include "handover_cli.h"

static const char usage[] =
"usage: tapdisk-activate reactivate VDI --host-id N [--backend SPEC]\n"
"           [--force] [--expect-version V] [--wait S] [--timeout S]\n"
"           [--lease PATH[:OFFSET]] [--state FILE] [--format vhd|raw]\n"
"           [--unsafe] [--read-only] [--shareable] [--json]\n"
"\n"
"Failed-migration path on the source: activate the VDI here again, but only\n"
"if no other host acquired its lease since this host's deactivate (the\n"
"version recorded then, or --expect-version V) and its metadata is what we\n"
"left. If another host did, it may have run the guest and written the disk:\n"
"refuse and explain; --force overrides after the operator made sure that\n"
"host does not run the guest. If the lease was never released, only the\n"
"backend is resumed (left as it is if it already runs).\n"
"\n"
"  --host-id N         this host's lease id (1..2000), required\n"
"  --backend SPEC      tapdisk:PID:MINOR[,type=T][,no-o-direct] | dm:NAME | none\n"
"  --force             skip the version and fingerprint checks\n"
"  --expect-version V  use V instead of the recorded released version\n"
"  --wait S, --timeout S, --lease, --state, --format, --unsafe, --json: as\n"
"                      for activate\n"
"See tapdisk-activate-reactivate(8).\n";

int cmd_reactivate(int argc, char **argv)
{
	return handover_cli_run(argc, argv, HCLI_HANDOVER | HCLI_WAIT |
				HCLI_EXPECT | HCLI_FORCE, usage,
				handover_reactivate);
}
