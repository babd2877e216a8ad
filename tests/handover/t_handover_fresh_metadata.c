// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Two hosts, one shared directory: metadata the source changes before its
 * deactivate is what the destination serves after its activate.
 *
 * Host 1 (tapdisk peer A) runs the VDI; host 2's tapdisk (peer B) opened
 * the same image early, as xl's destination does, and holds its BAT. The
 * source then allocates a new block (a BAT change). Without the reopen B
 * still serves the old BAT (the seed bug: reads of the new block come back
 * as zeros); deactivate on host 1 + activate on host 2 make B reopen and
 * serve the new block's data, and the fingerprint recorded by the source
 * is the one the destination validated.
 */
#include "handover_test.h"

#define PROBE "8388608"	/* virtual offset in block 4 (2 MiB blocks) */

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8], fp_src[80], line[256];
	struct peer a, b;
	FILE *f;

	ht_vdi_setup(vdi, "write -P 0x11 0 64k", params, sizeof(params));

	ht_peer_start(&a, ctl, params, "--probe " PROBE);
	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0,
		 "initial activate on host 1");
	T_ASSERT(ht_held_by(vdi, 1), "host 1 holds");

	/* Destination tapdisk attached early: its BAT is from now. */
	ht_peer_start(&b, ctl, params, "--probe " PROBE);
	T_ASSERT(!strcmp(ht_report(&b, "probe"), "unallocated"), "B probe");

	/* The source guest allocates block 4 (writes through host 1). */
	ht_qemu_io(vdi, "write -P 0x5a " PROBE " 64k");
	T_ASSERT(!strcmp(ht_report(&b, "probe"), "unallocated"),
		 "B is stale before the handover (as expected)");

	T_ASSERT(ht_cli(ctl, "deactivate %s --host-id 1 --backend tapdisk:%d:0"
			" --json > %s/deact.json", vdi, a.pid, ctl) == 0,
		 "deactivate on host 1");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "0"), "A closed the image");
	T_ASSERT(t_system("jq -e '.ok and .lease.released_version >= 1' "
			  "%s/deact.json >/dev/null", ctl) == 0, "deact json");
	snprintf(line, sizeof(line), "jq -r .fingerprint %s/deact.json", ctl);
	f = popen(line, "r");
	T_ASSERT(f && fgets(fp_src, sizeof(fp_src), f), "fingerprint");
	pclose(f);
	fp_src[strcspn(fp_src, "\n")] = '\0';
	T_ASSERT(strlen(fp_src) == 64, "source fingerprint '%s'", fp_src);

	T_ASSERT(ht_cli(ctl, "activate %s --host-id 2 --backend tapdisk:%d:0"
			" --wait 5 --json > %s/act.json", vdi, b.pid, ctl) == 0,
		 "activate on host 2");
	T_ASSERT(ht_held_by(vdi, 2), "host 2 holds");
	T_ASSERT(!strcmp(ht_report(&b, "probe"), "5a5a5a5a5a5a5a5a"),
		 "B serves the new block after the reopen: %s",
		 ht_report(&b, "probe"));
	T_ASSERT(!strcmp(ht_report(&b, "opens"), "2"), "B reopened once");
	T_ASSERT(t_system("jq -e --arg fp '%s' '.fingerprint == $fp' "
			  "%s/act.json >/dev/null", fp_src, ctl) == 0,
		 "destination validated the metadata the source recorded");
	ht_peer_stop(&a);
	ht_peer_stop(&b);
	return T_EXIT_PASS;
}
