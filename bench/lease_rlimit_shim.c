// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * LD_PRELOAD shim for bench/lease: sanlock's daemon raises RLIMIT_MEMLOCK
 * (and other limits) at start and exits when that fails, which it does in
 * containers without CAP_SYS_RESOURCE. Any raise above the hard limit is
 * lowered to the hard limit instead, so the daemon can run unprivileged
 * for the comparison; nothing else changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

static void lower_to_hard(int resource, struct rlimit *want)
{
	struct rlimit now;

	if (getrlimit(resource, &now))
		return;
	if (want->rlim_max > now.rlim_max)
		want->rlim_max = now.rlim_max;
	if (want->rlim_cur > want->rlim_max)
		want->rlim_cur = want->rlim_max;
}

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rl)
{
	static int (*next)(__rlimit_resource_t, const struct rlimit *);
	struct rlimit r = *rl;

	if (!next)
		next = (int (*)(__rlimit_resource_t, const struct rlimit *))
			dlsym(RTLD_NEXT, "setrlimit");
	lower_to_hard(resource, &r);
	return next(resource, &r);
}

int prlimit(pid_t pid, __rlimit_resource_t resource,
	    const struct rlimit *new_limit, struct rlimit *old_limit)
{
	static int (*next)(pid_t, __rlimit_resource_t, const struct rlimit *,
			   struct rlimit *);
	struct rlimit r;

	if (!next)
		next = (int (*)(pid_t, __rlimit_resource_t,
				const struct rlimit *, struct rlimit *))
			dlsym(RTLD_NEXT, "prlimit");
	if (!new_limit)
		return next(pid, resource, NULL, old_limit);
	r = *new_limit;
	lower_to_hard(resource, &r);
	return next(pid, resource, &r, old_limit);
}

/* 64-bit glibc: same layout, programs built with LFS call this name. */
int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *rl)
{
	return setrlimit(resource, (const struct rlimit *)rl);
}
