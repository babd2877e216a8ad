// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * deactivate waits for the backend's in-flight I/O: the tapdisk peer has a
 * guest write in flight that lands 800 ms later; deactivate must not
 * return (nor release the lease) before it has landed, and the data must be
 * in the image when it does. A deactivate by a host that does not hold the
 * lease is refused (exit 32) without touching the backend.
 */
#include "handover_test.h"

#define EXIT_NOT_HOLDER 32

int main(void)
{
	const char *ctl = t_path("ctl"), *vdi = t_path("vm.vhd");
	char params[PATH_MAX + 8];
	struct peer a;
	uint64_t t0, took;
	int rc;

	ht_vdi_setup(vdi, "write -P 0x11 0 1M", params, sizeof(params));

	ht_peer_start(&a, ctl, params, NULL);
	rc = ht_run(ctl, "deactivate", vdi, 1, &a);
	T_ASSERT(rc == EXIT_NOT_HOLDER, "deactivate without lease: %d", rc);
	T_ASSERT(!strcmp(ht_report(&a, "open"), "1"), "backend untouched");
	T_ASSERT(ht_run(ctl, "activate", vdi, 1, &a) == 0, "activate");
	ht_peer_stop(&a);

	/* Fresh tapdisk with a slow write in flight at virtual offset 0. */
	ht_peer_start(&a, ctl, params, "--inflight-ms 800 --inflight-voff 0");
	T_ASSERT(!strcmp(ht_report(&a, "inflight"), "1"), "write in flight");
	t0 = clock_now_ms();
	T_ASSERT(ht_run(ctl, "deactivate", vdi, 1, &a) == 0, "deactivate");
	took = clock_now_ms() - t0;
	T_ASSERT(!strcmp(ht_report(&a, "inflight_landed"), "1"),
		 "in-flight write landed before deactivate returned");
	T_ASSERT(took >= 600, "deactivate returned after %llu ms, before the "
		 "write could land", (unsigned long long)took);
	T_ASSERT(!ht_held_by(vdi, 1), "released");
	T_ASSERT(t_system("qemu-io -f vpc -c 'read -P 0xa5 0 4k' '%s' | "
			  "grep -q 'verification failed'", vdi) != 0,
		 "the written data is in the image");
	ht_peer_stop(&a);
	return T_EXIT_PASS;
}
