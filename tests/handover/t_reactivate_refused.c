// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Failed migration after all, but the destination did activate (and may
 * have run the guest): reactivate on the source must refuse with the
 * reactivate exit code, leave the source backend paused and the lease
 * alone, and say which host acquired. activate --expect-version with the
 * released version is refused the same way. After host 2 lets go,
 * --force (the operator's decision) activates again.
 */
#include "handover_test.h"

#define EXIT_REACTIVATE_REFUSED 31

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	struct lease_status st;
	uint64_t released;
	struct peer a, b;
	int rc;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));
	ht_peer_start(&a, ctl, params, NULL);
	ht_peer_start(&b, ctl, params, NULL);
	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0, "host 1 activates");
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 1, &a) == 0,
		 "host 1 deactivates");
	released = ht_lease_status(vdi).version;
	T_ASSERT(ht_run(ctl, "activate", vdi, 2, &b) == 0, "host 2 activates");
	/* The destination ran the guest, then gave up (e.g. crashed VM). */
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 2, &b) == 0,
		 "host 2 deactivates");

	rc = ht_cli(ctl, "reactivate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--json > %s/re.json", vdi, a.pid, ctl);
	T_ASSERT(rc == EXIT_REACTIVATE_REFUSED, "reactivate exit %d", rc);
	T_ASSERT(t_system("jq -e '.ok == false and .error.step == \"lease\" "
			  "and (.error.message | test(\"another host\")) and "
			  ".lease.expected_version == %llu' %s/re.json",
			  (unsigned long long)released, ctl) == 0,
		 "refusal explained");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "0"), "source stays paused");
	st = ht_lease_status(vdi);
	T_ASSERT(st.state == LEASE_STATE_FREE, "lease left free");

	rc = ht_cli(ctl, "activate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--expect-version %llu", vdi, a.pid,
		    (unsigned long long)released);
	T_ASSERT(rc == EXIT_REACTIVATE_REFUSED, "versioned activate %d", rc);

	T_ASSERT(ht_cli(ctl, "reactivate %s --host-id 1 --backend "
			"tapdisk:%d:0 --force", vdi, a.pid) == 0, "--force");
	T_ASSERT(ht_held_by(vdi, 1), "host 1 holds after --force");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "source reopened");
	ht_peer_stop(&a);
	ht_peer_stop(&b);
	return T_EXIT_PASS;
}
