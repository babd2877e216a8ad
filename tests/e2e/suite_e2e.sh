#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# xh-timeout: 3300
#
# The core Xen-under-QEMU scenarios (tests/e2e/run.sh --tier core) as part
# of tests/run-all.sh (and so of .ci/run), which runs this in the
# background beside the other areas: one "PASS|FAIL|SKIP e2e/<name>" line
# per scenario. `make e2e` runs the full matrix. The QEMU run is bounded
# below the runner's limit so a hung scenario still ends in FAIL lines
# with console tails, not a kill.
# A cold machine first builds the boot images (about 4 minutes, cached in
# /var/cache/xen-handover/e2e afterwards).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# One stock/drain round of the throughput benchmark here: its numbers are
# TCG noise either way (bench/e2e-throughput runs more), and each guest
# boot costs minutes of CI time.
export XH_BENCH_ROUNDS=${XH_BENCH_ROUNDS:-1}
[ $# -gt 0 ] || set -- --tier core
"$here/run.sh" --timeout "${XH_E2E_TIMEOUT:-3000}" "$@"
rc=$?
# run.sh says why it skipped in its own SKIP line; the runner wants 0.
[ $rc = 77 ] && exit 0
exit $rc
