// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * activate's failure rule: whatever fails after the lease was acquired,
 * the backend stays paused (image closed) and the lease is released again,
 * with a distinct exit code: reopen refused by tapdisk (23), tapdisk gone
 * (20), metadata damaged on the way (3). A clean activate afterwards works.
 */
#include <fcntl.h>

#include "handover_test.h"

#define EXIT_IMAGE_INVALID 3
#define EXIT_UNREACHABLE 20
#define EXIT_RESUME_FAILED 23

static void corrupt_header(const char *vdi, bool undo)
{
	static unsigned char saved;
	int fd = open(vdi, O_RDWR);
	unsigned char b;

	/* Dynamic header at 512 (qemu-img): flip a byte of its checksum. */
	T_ASSERT(fd >= 0 && pread(fd, &b, 1, 512 + 36) == 1, "read");
	if (!undo)
		saved = b;
	b = undo ? saved : (unsigned char)(b ^ 0xff);
	T_ASSERT(pwrite(fd, &b, 1, 512 + 36) == 1 && fsync(fd) == 0, "write");
	close(fd);
}

static void assert_paused_and_free(const struct peer *b, const char *vdi)
{
	struct lease_status st = ht_lease_status(vdi);

	T_ASSERT(st.state == LEASE_STATE_FREE, "lease released (state %d)",
		 st.state);
	T_ASSERT(!strcmp(ht_report(b, "open"), "0") &&
		 strtoul(ht_report(b, "state"), NULL, 0) & 0x20,
		 "destination backend stays paused");
}

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	struct peer b;
	int rc;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));

	ht_peer_start(&b, ctl, params, "--fault resume-fail");
	rc = ht_run(ctl, "activate", vdi, 2, &b);
	T_ASSERT(rc == EXIT_RESUME_FAILED, "resume failure: exit %d", rc);
	assert_paused_and_free(&b, vdi);
	ht_peer_stop(&b);

	ht_peer_start(&b, ctl, params, NULL);
	corrupt_header(vdi, false);
	rc = ht_cli(ctl, "activate %s --host-id 2 --backend tapdisk:%d:0 "
		    "--json > %s/inv.json", vdi, b.pid, ctl);
	T_ASSERT(rc == EXIT_IMAGE_INVALID, "damaged metadata: exit %d", rc);
	T_ASSERT(t_system("jq -e '.error.step == \"validate\" and "
			  "(.error.message | test(\"checksum\"))' %s/inv.json "
			  ">/dev/null", ctl) == 0, "names the rule");
	assert_paused_and_free(&b, vdi);
	corrupt_header(vdi, true);
	ht_peer_stop(&b);

	ht_peer_start(&b, ctl, params, "--fault die-on-resume");
	rc = ht_run(ctl, "activate", vdi, 2, &b);
	T_ASSERT(rc == EXIT_UNREACHABLE, "tapdisk died: exit %d", rc);
	T_ASSERT(ht_lease_status(vdi).state == LEASE_STATE_FREE, "released");
	ht_peer_stop(&b);

	ht_peer_start(&b, ctl, params, NULL);
	T_ASSERT(ht_run(ctl, "activate", vdi, 2, &b) == 0, "clean activate");
	T_ASSERT(ht_held_by(vdi, 2) && !strcmp(ht_report(&b, "open"), "1"),
		 "active");
	ht_peer_stop(&b);
	return T_EXIT_PASS;
}
