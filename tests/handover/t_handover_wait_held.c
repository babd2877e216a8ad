// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A destination activate while the source still holds the lease waits
 * (--wait) and then fails cleanly: lease exit code, host 1 still holds the
 * lease, the destination backend stays paused with the image closed (it
 * was paused before the lease was asked for), and no record claims an
 * activation. Then, when host 1 releases during a second wait, the same
 * activate succeeds.
 */
#include "handover_test.h"

#define EXIT_LEASE_HELD 10

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	struct peer a, b;
	uint64_t t0, waited;
	pid_t pid;
	int st;

	ht_vdi_setup(vdi, NULL, params, sizeof(params));
	ht_peer_start(&a, ctl, params, NULL);
	ht_peer_start(&b, ctl, params, NULL);
	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0, "host 1 activates");

	t0 = clock_now_ms();
	st = ht_cli(ctl, "activate %s --host-id 2 --backend tapdisk:%d:0 "
		    "--wait 1.5", vdi, b.pid);
	waited = clock_now_ms() - t0;
	T_ASSERT(st == EXIT_LEASE_HELD, "exit %d, want lease-held", st);
	T_ASSERT(waited >= 1400 && waited < 10000, "waited %llu ms",
		 (unsigned long long)waited);
	T_ASSERT(ht_held_by(vdi, 1), "host 1 still holds the lease");
	T_ASSERT(!strcmp(ht_report(&b, "open"), "0") &&
		 strtoul(ht_report(&b, "state"), NULL, 0) & 0x20,
		 "destination backend paused, image closed");
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "source untouched");

	/* Host 1 hands over while host 2 is waiting. */
	pid = fork();
	T_ASSERT(pid >= 0, "fork");
	if (pid == 0)
		_exit(ht_cli(ctl, "activate %s --host-id 2 --backend "
			     "tapdisk:%d:0 --wait 20", vdi, b.pid));
	usleep(500000);
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 1, &a) == 0, "deactivate");
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 0, "waiting activate succeeded (%d)",
		 WEXITSTATUS(st));
	T_ASSERT(ht_held_by(vdi, 2), "host 2 holds");
	T_ASSERT(!strcmp(ht_report(&b, "open"), "1"), "B reopened");
	ht_peer_stop(&a);
	ht_peer_stop(&b);
	return T_EXIT_PASS;
}
