// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-host handover record: round trip of every field, durable
 * replace (no temporary left behind, old record intact when the new one
 * cannot be written), damaged or hostile records rejected with a message,
 * and status --json showing each host's last handover with its timings.
 */
#include "handover/handover_state.h"
#include "handover_test.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
}

int main(void)
{
	const char *dir = t_tmpdir();
	const char *rec = t_path("r.state"), *vdi = t_path("vm.vhd");
	const char *ctl = t_path("ctl");
	struct handover_state st = { 0 }, back;
	char err[512], path[PATH_MAX];

	snprintf(st.vdi, sizeof(st.vdi), "/srv/vdi/a b.vhd");
	st.host_id = 7;
	snprintf(st.last_op, sizeof(st.last_op), "deactivate");
	snprintf(st.result, sizeof(st.result), "ok");
	st.time = 1700000000;
	st.has_released_version = true;
	st.released_version = 42;
	memset(st.fingerprint, 'a', 64);
	snprintf(st.backend, sizeof(st.backend), "tapdisk:12:3");
	st.total_us = 12345;
	handover_state_add_step(&st, "pause", 100);
	handover_state_add_step(&st, "release", 200);
	T_ASSERT(handover_state_save(rec, &st, true, err, sizeof(err)) == 0, "%s",
		 err);
	snprintf(path, sizeof(path), "%s.tmp", rec);
	T_ASSERT(access(path, F_OK) != 0, "temporary removed by rename");
	T_ASSERT(handover_state_load(rec, &back, err, sizeof(err)) == 0, "%s",
		 err);
	T_ASSERT(!strcmp(back.vdi, st.vdi) && back.host_id == 7 &&
		 back.has_released_version && back.released_version == 42 &&
		 !back.has_acquired_version && !strcmp(back.fingerprint,
		 st.fingerprint) && back.nr_steps == 2 &&
		 back.steps[1].us == 200 && back.total_us == 12345,
		 "round trip");

	/* A record that cannot be written leaves the old one in place. */
	snprintf(st.vdi, sizeof(st.vdi), "bad\nvdi=/etc/passwd");
	T_ASSERT(handover_state_save(rec, &st, true, err, sizeof(err)) == -EINVAL,
		 "newline refused");
	T_ASSERT(handover_state_load(rec, &back, err, sizeof(err)) == 0 &&
		 back.released_version == 42, "old record intact");

	write_file(rec, "host_id=1\nlast_op=deactivate\nreleased_version=-1\n");
	T_ASSERT(handover_state_load(rec, &back, err, sizeof(err)) == -EINVAL &&
		 strstr(err, "line 3"), "negative version: %s", err);
	write_file(rec, "host_id=1\nlast_op=deactivate\nfingerprint=xyz\n");
	T_ASSERT(handover_state_load(rec, &back, err, sizeof(err)) == -EINVAL,
		 "bad fingerprint");
	write_file(rec, "garbage without equals\n");
	T_ASSERT(handover_state_load(rec, &back, err, sizeof(err)) == -EINVAL,
		 "garbage");
	write_file(rec, "released_version=3\n");
	T_ASSERT(handover_state_load(rec, &back, err, sizeof(err)) == -EINVAL &&
		 strstr(err, "incomplete"), "incomplete");
	T_ASSERT(handover_state_load(t_path("none"), &back, err, sizeof(err)) ==
		 -ENOENT, "missing");
	T_ASSERT(handover_state_default_path("/nonexistent/l", "/a/b.vhd", 3,
					     path, sizeof(path)) == 0 &&
		 !strcmp(path, "/var/lib/tapdisk-activate/_a_b.vhd.host3.state"),
		 "fallback path %s", path);
	{
		/* Injective: /a/b_c and /a_b/c are two records. */
		char p2[512];

		T_ASSERT(!handover_state_default_path("/nonexistent/l", "/a/b_c",
						      3, path, sizeof(path)) &&
			 !handover_state_default_path("/nonexistent/l", "/a_b/c",
						      3, p2, sizeof(p2)) &&
			 strcmp(path, p2) != 0, "one record for two VDIs: %s",
			 path);
		T_ASSERT(!strcmp(path, "/var/lib/tapdisk-activate/"
				 "_a_b%5Fc.host3.state"), "escaped %s", path);
		T_ASSERT(!handover_state_default_path("/nonexistent/l", "/a%5F",
						      3, p2, sizeof(p2)) &&
			 !strcmp(p2, "/var/lib/tapdisk-activate/"
				 "_a%255F.host3.state"), "percent %s", p2);
	}
	(void)dir;

	/* status shows both hosts' records after a handover. */
	ht_make_vhd(vdi, "16M");
	ht_lease_init(vdi);
	mkdir(ctl, 0755);
	T_ASSERT(ht_cli(ctl, "activate %s --host-id 1 >/dev/null", vdi) == 0,
		 "activate 1");
	T_ASSERT(ht_cli(ctl, "deactivate %s --host-id 1 >/dev/null", vdi) == 0,
		 "deactivate 1");
	T_ASSERT(ht_cli(ctl, "activate %s --host-id 2 >/dev/null", vdi) == 0,
		 "activate 2");
	T_ASSERT(ht_cli(ctl, "status %s --json > %s/s.json", vdi, ctl) == 0,
		 "status");
	T_ASSERT(t_system("jq -e '.lease.state == \"held\" and "
			  ".lease.owner_host_id == 2 and (.handovers | length) "
			  "== 2 and ([.handovers[] | select(.host_id == 1 and "
			  ".last_op == \"deactivate\" and .timings_us.pause >= "
			  "0)] | length) == 1' %s/s.json >/dev/null",
			  ctl) == 0, "status json");
	T_ASSERT(ht_cli(ctl, "status %s --host-id 1 > %s/s.txt", vdi, ctl) ==
		 0 && t_system("grep -q 'last deactivate ok' %s/s.txt", ctl) ==
		 0, "status text");
	return T_EXIT_PASS;
}
