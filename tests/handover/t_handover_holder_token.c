// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Per-holder tokens: two disks of one host on one VDI (the source and
 * the destination tapdisk of a localhost migration, minors 0 and 1).
 * The deactivate of the disk that does not hold the lease must not
 * release it (exit 32, the lease stays with the holder); the holder's
 * own deactivate does. The holder is known by its minor, so a restarted
 * tapdisk (new pid) still releases its own lease. A lease taken with the
 * token of earlier versions ("tapdisk-activate") is still released.
 */
#include "handover_test.h"

#define EXIT_NOT_HOLDER 32

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	struct lease_status st;
	struct peer a, b;
	int rc;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));
	ht_peer_start(&a, ctl, params, "--minor 1");
	ht_peer_start(&b, ctl, params, NULL);
	T_ASSERT(ht_cli(ctl, "activate %s --host-id 1 --backend tapdisk:%d:1",
			vdi, (int)a.pid) == 0, "disk on minor 1 activates");
	st = ht_lease_status(vdi);
	T_ASSERT(st.state == LEASE_STATE_HELD &&
		 !strcmp(st.owner.token, "ho:tapdisk-minor:1"),
		 "held with the minor's token, not '%s'", st.owner.token);

	rc = ht_run(ctl, "deactivate", vdi, 1, &b);
	T_ASSERT(rc == EXIT_NOT_HOLDER, "other disk's deactivate: exit %d", rc);
	T_ASSERT(ht_held_by(vdi, 1), "lease still held for minor 1");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "holder untouched");

	/* tapdisk restarted: same minor, new pid. */
	ht_peer_stop(&a);
	ht_peer_start(&a, ctl, params, "--minor 1");
	T_ASSERT(ht_cli(ctl, "deactivate %s --host-id 1 --backend "
			"tapdisk:%d:1", vdi, (int)a.pid) == 0,
		 "holder's own deactivate");
	T_ASSERT(!ht_held_by(vdi, 1), "released");

	/* A lease from an earlier version, with the shared token. */
	T_ASSERT(ht_cli(ctl, "lease acquire %s.lease --host-id 1 --token "
			"tapdisk-activate", vdi) == 0, "legacy acquire");
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 1, &b) == 0,
		 "legacy holding released");
	T_ASSERT(!ht_held_by(vdi, 1), "legacy released");
	ht_peer_stop(&a);
	ht_peer_stop(&b);
	return 0;
}
