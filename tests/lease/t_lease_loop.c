// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Lease areas on block devices: a loop device with 4096-byte logical
 * sectors takes 4096-byte lease sectors (chosen at init, stored in the
 * header) and refuses 512-byte ones it cannot write atomically; PATH:OFFSET
 * places an area inside the device; a 512-byte loop device works with 512.
 * Two handles race the same area as two hosts would.
 */
#include <stdio.h>
#include <string.h>

#include "lease_test.h"

static void exercise(const char *spec, uint32_t want_ss)
{
	struct lease *a = lt_open(spec, 0), *b = lt_open(spec, 0);
	struct lease_holder ha, hb;
	struct lease_status st;
	struct lease_io_stats s0, s1;

	T_ASSERT(lease_read_status(a, &st) == LEASE_OK, "status: %s",
		 lease_last_error(a));
	T_ASSERT(st.sector_size == want_ss, "sector size %u, want %u",
		 st.sector_size, want_ss);
	T_ASSERT(lt_acquire(a, 1, "a", "ta", 0, &ha) == LEASE_OK, "acquire: %s",
		 lease_last_error(a));
	T_ASSERT(lt_acquire(b, 2, "b", "tb", 0, &hb) == LEASE_HELD, "held");
	T_ASSERT(lease_renew(a, &ha) == LEASE_OK, "renew");
	T_ASSERT(lease_release(a, &ha, 2) == LEASE_OK, "release");
	lease_get_io_stats(b, &s0);
	T_ASSERT(lt_acquire(b, 2, "b", "tb", 0, &hb) == LEASE_OK &&
		 hb.version == ha.version + 1, "handover: %s",
		 lease_last_error(b));
	lease_get_io_stats(b, &s1);
	T_ASSERT(s1.full_scans - s0.full_scans == 1, "fast path scans");
	T_ASSERT(lease_release(b, &hb, 0) == LEASE_OK, "release b");
	lease_close(a);
	lease_close(b);
}

int main(void)
{
	char *f4k = t_path("disk4k.img"), *f512 = t_path("disk512.img");
	struct lease_init_opts o = { .timeout_s = 10 };
	const char *dev;
	char spec[128];
	struct lease *l;

	if (!t_is_root())
		T_SKIP("needs root for loop devices");
	lt_setup();
	t_create_file(f4k, 24 << 20, 0);
	dev = t_loop_attach(f4k, 4096);
	if (!dev)
		T_SKIP("no loop device");

	l = lt_open(dev, 0);
	o.sector_size = 512;
	T_ASSERT(lease_init(l, &o) == LEASE_USAGE &&
		 strstr(lease_last_error(l), "4096"),
		 "512-byte sectors on a 4K device: %s", lease_last_error(l));
	o.sector_size = 0;		/* the device's: 4096 */
	T_ASSERT(lease_init(l, &o) == LEASE_OK, "init: %s",
		 lease_last_error(l));
	lease_close(l);
	exercise(dev, 4096);

	/* A second area 8 MiB into the device, next to the first. */
	snprintf(spec, sizeof(spec), "%s:%u", dev, 8u << 20);
	l = lt_open(spec, 0);
	o.sector_size = 4096;
	T_ASSERT(lease_init(l, &o) == LEASE_OK, "init at offset: %s",
		 lease_last_error(l));
	lease_close(l);
	exercise(spec, 4096);
	/* Too close to the end: 8 MiB area at 20 MiB of 24 MiB. */
	snprintf(spec, sizeof(spec), "%s:%u", dev, 20u << 20);
	l = lt_open(spec, 0);
	T_ASSERT(lease_init(l, &o) == LEASE_USAGE, "area past the end");
	lease_close(l);

	t_create_file(f512, 4 << 20, 0);
	dev = t_loop_attach(f512, 512);
	T_ASSERT(dev, "second loop device");
	l = lt_open(dev, 0);
	o.sector_size = 0;
	T_ASSERT(lease_init(l, &o) == LEASE_OK, "init 512: %s",
		 lease_last_error(l));
	lease_close(l);
	exercise(dev, 512);
	return T_EXIT_PASS;
}
