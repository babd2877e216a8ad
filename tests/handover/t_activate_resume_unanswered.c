// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * activate whose reopen goes unanswered: tapdisk is stuck in RESUME past
 * --timeout and completes the reopen afterwards. The lease may only be
 * given back once the backend is known not to serve the image:
 *   - it answers a second pause in time: the lease is released and the
 *     backend ends paused with the image closed (exit 23);
 *   - it does not: the lease stays held by this host, said so in the
 *     report, because the late reopen makes the backend serve the image
 *     (exit 23). A released lease here would let another host activate
 *     while this one still writes.
 */
#include "handover_test.h"

#define EXIT_RESUME_FAILED 23
#define PAUSED_BIT 0x20

static void wait_until(uint64_t t_ms)
{
	uint64_t now = clock_now_ms();

	if (now < t_ms)
		usleep((useconds_t)(t_ms - now) * 1000u);
}

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	struct peer b;
	uint64_t t0;
	int rc;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));

	/* Reopen done after 2 s; resume gives up at 1.5 s, re-pause at 3 s. */
	ht_peer_start(&b, ctl, params, "--resume-delay-ms 2000");
	t0 = clock_now_ms();
	rc = ht_cli(ctl, "activate %s --host-id 2 --backend tapdisk:%d:0 "
		    "--timeout 1.5 --json > %s/a1.json", vdi, b.pid, ctl);
	T_ASSERT(rc == EXIT_RESUME_FAILED, "late reopen: exit %d", rc);
	wait_until(t0 + 2800);	/* the late reopen has happened by now */
	T_ASSERT(ht_lease_status(vdi).state == LEASE_STATE_FREE,
		 "lease released once the backend paused again");
	T_ASSERT(!strcmp(ht_report(&b, "open"), "0") &&
		 strtoul(ht_report(&b, "state"), NULL, 0) & PAUSED_BIT,
		 "released lease, but the backend serves the image (open=%s)",
		 ht_report(&b, "open"));
	T_ASSERT(t_system("jq -e '.ok == false and .error.step == \"resume\" "
			  "and .lease.held_by_this_host == false' %s/a1.json "
			  ">/dev/null", ctl) == 0, "report a1");
	ht_peer_stop(&b);

	/* Reopen done after 4 s; resume gives up at 1 s, re-pause at 2 s. */
	ht_peer_start(&b, ctl, params, "--resume-delay-ms 4000");
	t0 = clock_now_ms();
	rc = ht_cli(ctl, "activate %s --host-id 2 --backend tapdisk:%d:0 "
		    "--timeout 1 --json > %s/a2.json", vdi, b.pid, ctl);
	T_ASSERT(rc == EXIT_RESUME_FAILED, "stuck reopen: exit %d", rc);
	T_ASSERT(ht_held_by(vdi, 2),
		 "lease given away while the backend may still reopen");
	T_ASSERT(t_system("jq -e '.ok == false and .error.step == \"resume\" "
			  "and .lease.held_by_this_host == true and "
			  "(.error.message | test(\"lease stays held\"))' "
			  "%s/a2.json >/dev/null", ctl) == 0, "report a2");
	wait_until(t0 + 4500);
	T_ASSERT(ht_held_by(vdi, 2), "still held after the late reopen");
	/* The operator's way out: deactivate pauses and releases. */
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 2, &b) == 0, "deactivate");
	T_ASSERT(ht_lease_status(vdi).state == LEASE_STATE_FREE, "released");
	ht_peer_stop(&b);
	return T_EXIT_PASS;
}
