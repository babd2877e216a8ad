/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Small helpers shared by the lease tests (header-only, static inline). */
#ifndef XH_TESTS_LEASE_TEST_H
#define XH_TESTS_LEASE_TEST_H

#include <stdlib.h>
#include <string.h>

#include "lease/lease.h"
#include "t_helpers.h"

/* Keeps the host-local lock files inside the test's directory. */
static inline void lt_setup(void)
{
	setenv("XH_LEASE_LOCK_DIR", t_tmpdir(), 1);
}

static inline struct lease *lt_open(const char *spec, unsigned int flags)
{
	struct lease *l;
	char err[512];
	int r = lease_open(&l, spec, flags, err, sizeof(err));

	T_ASSERT(r == LEASE_OK, "lease_open %s: %s", spec, err);
	return l;
}

static inline void lt_init(struct lease *l, uint32_t ss, uint32_t timeout)
{
	struct lease_init_opts o = { .sector_size = ss, .timeout_s = timeout };
	int r = lease_init(l, &o);

	T_ASSERT(r == LEASE_OK, "init: %s", lease_last_error(l));
}

static inline int lt_acquire(struct lease *l, uint16_t host, const char *name,
			     const char *token, double wait,
			     struct lease_holder *h)
{
	struct lease_acquire_opts o = {
		.host_id = host, .host_name = name, .token = token,
		.wait_seconds = wait,
	};

	return lease_acquire(l, &o, h, NULL);
}

#endif /* XH_TESTS_LEASE_TEST_H */
