// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The failed-migration path right after a deactivate whose pause timed
 * out: the lease was kept, and tapdisk, its pause abandoned when our
 * connection closed, went on running the image. reactivate must bring the
 * VDI back (exit 0, lease untouched, image still open) instead of failing
 * on tapdisk's refusal to RESUME a VBD that is not paused.
 */
#include "handover_test.h"

#define EXIT_PAUSE_TIMEOUT 21

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	uint64_t v;
	struct peer a;
	int rc;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));
	ht_peer_start(&a, ctl, params, NULL);
	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0, "activate");
	v = ht_lease_status(vdi).version;
	/* The same VBD, now with a pause that cannot drain. */
	ht_peer_stop(&a);
	ht_peer_start(&a, ctl, params, "--fault pause-hang");

	rc = ht_cli(ctl, "deactivate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--timeout 0.3", vdi, a.pid);
	T_ASSERT(rc == EXIT_PAUSE_TIMEOUT, "deactivate: %d", rc);
	T_ASSERT(ht_held_by(vdi, 1), "lease kept after the pause timeout");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1") &&
		 strtoul(ht_report(&a, "state"), NULL, 0) == 0,
		 "tapdisk abandoned the pause and runs (state %s)",
		 ht_report(&a, "state"));

	rc = ht_cli(ctl, "reactivate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--json > %s/re.json", vdi, a.pid, ctl);
	T_ASSERT(rc == 0, "reactivate after the pause timeout: exit %d", rc);
	T_ASSERT(t_system("jq -e '.ok and (.warning | test(\"never released\"))'"
			  " %s/re.json >/dev/null", ctl) == 0, "report");
	T_ASSERT(ht_held_by(vdi, 1) && ht_lease_status(vdi).version == v,
		 "lease untouched");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "image still open");
	ht_peer_stop(&a);
	return T_EXIT_PASS;
}
