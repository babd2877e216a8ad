// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * reactivate of a lease that was never released (the deactivate's pause
 * timed out) renews it before touching the backend: once the holding's
 * deadline passed (lease timeout 2 s: validity 1.5 s), the renewal that
 * would prove it is refused, reactivate exits 14 (lease lost) and leaves
 * the backend alone; a reactivate within the window renews (the lease's
 * renewal counter moves) and succeeds.
 */
#include "handover_test.h"

#define EXIT_LEASE_LOST 14
#define EXIT_PAUSE_TIMEOUT 21

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	uint64_t renewals;
	struct peer a;
	int rc;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));
	T_ASSERT(ht_cli(ctl, "lease init %s.lease --force --timeout 2", vdi) ==
		 0, "lease with a 2 s timeout");
	ht_peer_start(&a, ctl, params, NULL);
	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0, "activate");
	ht_peer_stop(&a);
	ht_peer_start(&a, ctl, params, "--fault pause-hang");
	rc = ht_cli(ctl, "deactivate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--timeout 0.2", vdi, a.pid);
	T_ASSERT(rc == EXIT_PAUSE_TIMEOUT, "deactivate: %d", rc);

	/* Within the window: renewed, then resumed. */
	renewals = ht_lease_status(vdi).renewals;
	rc = ht_run(ctl, "reactivate", vdi, 1, &a);
	T_ASSERT(rc == 0, "reactivate within the window: exit %d", rc);
	T_ASSERT(ht_lease_status(vdi).renewals > renewals,
		 "reactivate renewed the lease before resuming");

	/* Past the deadline: no proof, nothing resumed. */
	usleep(1700 * 1000);
	rc = ht_cli(ctl, "reactivate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--json > %s/re.json", vdi, a.pid, ctl);
	T_ASSERT(rc == EXIT_LEASE_LOST, "reactivate past the deadline: exit %d",
		 rc);
	T_ASSERT(t_system("jq -e '.ok == false and .error.step == \"lease\" and "
			  "(.error.message | test(\"cannot prove\"))' %s/re.json"
			  " >/dev/null", ctl) == 0, "refusal explained");
	ht_peer_stop(&a);
	return T_EXIT_PASS;
}
