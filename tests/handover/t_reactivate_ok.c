// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Failed migration before the destination activated: reactivate on the
 * source succeeds (versioned acquire from the recorded released version,
 * metadata fingerprint unchanged), reopens the source backend, and a
 * later destination activate with the stale version is refused. Also:
 * reactivate without any recorded deactivate is refused (exit 34), and a
 * reactivate after a deactivate that never released (pause timeout) only
 * resumes the backend.
 */
#include "handover_test.h"
#include "backend/tapctl.h"

#define EXIT_NO_RECORD 34
#define EXIT_PAUSE_TIMEOUT 21

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	uint64_t v_released, v_now;
	struct peer a;
	int rc;

	ht_vdi_setup(vdi, "write -P 0x22 0 1M", params, sizeof(params));
	ht_peer_start(&a, ctl, params, NULL);

	rc = ht_run(ctl, "reactivate", vdi, 1, &a);
	T_ASSERT(rc == EXIT_NO_RECORD, "reactivate without record: %d", rc);

	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0, "host 1 activates");
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 1, &a) == 0, "deactivate");
	v_released = ht_lease_status(vdi).version;
	T_ASSERT(!strcmp(ht_report(&a, "open"), "0"), "paused");

	/* Migration failed: nobody else acquired. */
	T_ASSERT(ht_cli(ctl, "reactivate %s --host-id 1 --backend "
			"tapdisk:%d:0 --json > %s/re.json", vdi, a.pid,
			ctl) == 0, "reactivate succeeds");
	T_ASSERT(ht_held_by(vdi, 1), "host 1 holds again");
	v_now = ht_lease_status(vdi).version;
	T_ASSERT(v_now > v_released, "version moved on (%llu > %llu)",
		 (unsigned long long)v_now, (unsigned long long)v_released);
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "source reopened");
	T_ASSERT(t_system("jq -e '.ok and .lease.expected_version == %llu' "
			  "%s/re.json >/dev/null",
			  (unsigned long long)v_released, ctl) == 0, "json");

	/* Deactivate that cannot drain keeps the lease; reactivate resumes. */
	ht_peer_stop(&a);
	ht_peer_start(&a, ctl, params, "--fault pause-hang");
	rc = ht_cli(ctl, "deactivate %s --host-id 1 --backend tapdisk:%d:0 "
		    "--timeout 0.3", vdi, a.pid);
	T_ASSERT(rc == EXIT_PAUSE_TIMEOUT, "deactivate: %d", rc);
	T_ASSERT(ht_held_by(vdi, 1), "lease kept after the pause timeout");
	/* Say the toolstack paused it by other means meanwhile. */
	ht_peer_stop(&a);
	ht_peer_start(&a, ctl, params, NULL);
	{
		char err[256];

		T_ASSERT(tapctl_pause(a.sock, 0, 2000, err, sizeof(err)) == 0,
			 "%s", err);
	}
	T_ASSERT(ht_held_by(vdi, 1), "still held");
	T_ASSERT(ht_run(ctl, "reactivate", vdi, 1, &a) == 0, "resume-only");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "reopened");
	T_ASSERT(ht_held_by(vdi, 1) &&
		 ht_lease_status(vdi).version == v_now, "lease untouched");
	ht_peer_stop(&a);
	return T_EXIT_PASS;
}
