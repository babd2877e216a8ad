// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * check-migrate from the command line, on this machine's real filesystem
 * (statfs, not injected): a caching backend on a local filesystem is
 * refused with exit 30 and the reason, --unsafe turns it into a warning,
 * O_DIRECT backends pass, and activate/deactivate apply the same rule
 * before touching the lease or the backend.
 */
#include "handover_test.h"

#define EXIT_UNSAFE 30

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	int rc;

	ht_make_vhd(vdi, "16M");
	ht_lease_init(vdi);
	mkdir(ctl, 0755);

	rc = ht_cli(ctl, "check-migrate %s --backend qdisk --json > %s/q.json",
		    vdi, ctl);
	T_ASSERT(rc == EXIT_UNSAFE, "qdisk without direct-io-safe: %d", rc);
	T_ASSERT(t_system("jq -e '.ok == false and .check_migrate.rule == "
			  "\"unsafe-cache\" and (.error.message | "
			  "test(\"page cache\"))' %s/q.json >/dev/null",
			  ctl) == 0, "json names the reason");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --backend qdisk --unsafe "
			"--json > %s/u.json", vdi, ctl) == 0, "--unsafe");
	T_ASSERT(t_system("jq -e '.ok and .check_migrate.overridden and "
			  "(.warning | test(\"--unsafe\"))' %s/u.json "
			  ">/dev/null", ctl) == 0, "override is reported");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --backend qdisk,direct-io-safe",
			vdi) == 0, "direct-io-safe");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --backend tapdisk:1:0", vdi) ==
		 0, "tapdisk O_DIRECT");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --backend tapdisk:1:0,"
			"no-o-direct --read-only", vdi) == 0, "read-only");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --backend tapdisk:1:0,"
			"no-o-direct", vdi) == EXIT_UNSAFE, "tapdisk -D");
	T_ASSERT(ht_cli(ctl, "check-migrate /nonexistent/x.vhd") == 4,
		 "missing VDI");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --backend bogus", vdi) == 2,
		 "bad spec is a usage error");
	T_ASSERT(ht_cli(ctl, "check-migrate %s --help >/dev/null", vdi) == 0,
		 "--help");

	/* activate/deactivate refuse before doing anything. */
	rc = ht_cli(ctl, "activate %s --host-id 1 --backend qdisk", vdi);
	T_ASSERT(rc == EXIT_UNSAFE, "activate runs the rule: %d", rc);
	T_ASSERT(ht_lease_status(vdi).state == LEASE_STATE_FREE, "no lease");
	rc = ht_cli(ctl, "deactivate %s --host-id 1 --backend "
		    "tapdisk:1:0,no-o-direct", vdi);
	T_ASSERT(rc == EXIT_UNSAFE, "deactivate runs the rule: %d", rc);
	return T_EXIT_PASS;
}
