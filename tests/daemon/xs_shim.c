// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * LD_PRELOAD shim that lets Debian's oxenstored run on a machine without a
 * hypervisor, for the daemon tests only:
 *  - setrlimit/prlimit raises are clamped to the hard limit (oxenstored asks
 *    for RLIMIT_NOFILE 1048576 and the test sandbox lacks CAP_SYS_RESOURCE),
 *  - xc_interface_open returns a dummy handle (oxenstored only needs one to
 *    exist with --no-domain-init),
 *  - xenevtchn_* is backed by a pipe that never becomes readable, so the
 *    event-channel path is idle and only the unix socket carries requests.
 * Built by tests/daemon/xs-ns-run.sh with -shared -fPIC.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

typedef int (*setrlimit_fn)(__rlimit_resource_t, const struct rlimit *);
typedef int (*prlimit_fn)(pid_t, __rlimit_resource_t, const struct rlimit *,
			  struct rlimit *);

static void clamp_to_hard(__rlimit_resource_t res, struct rlimit *want)
{
	struct rlimit have;

	if (getrlimit(res, &have))
		return;
	if (want->rlim_max > have.rlim_max)
		want->rlim_max = have.rlim_max;
	if (want->rlim_cur > want->rlim_max)
		want->rlim_cur = want->rlim_max;
}

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	static setrlimit_fn real;
	struct rlimit r = *rl;

	if (!real)
		real = (setrlimit_fn)dlsym(RTLD_NEXT, "setrlimit");
	clamp_to_hard(res, &r);
	return real(res, &r);
}

int setrlimit64(__rlimit_resource_t res, const struct rlimit64 *rl)
{
	struct rlimit r = { .rlim_cur = rl->rlim_cur, .rlim_max = rl->rlim_max };

	return setrlimit(res, &r);
}

int prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *nl,
	    struct rlimit *ol)
{
	static prlimit_fn real;
	struct rlimit r;

	if (!real)
		real = (prlimit_fn)dlsym(RTLD_NEXT, "prlimit");
	if (!nl)
		return real(pid, res, nl, ol);
	r = *nl;
	clamp_to_hard(res, &r);
	return real(pid, res, &r, ol);
}

/* libxenctrl: a non-NULL handle is all oxenstored checks. */
void *xc_interface_open(void *logger, void *dombuild_logger, unsigned int flags);
int xc_interface_close(void *xch);

void *xc_interface_open(void *logger, void *dombuild_logger, unsigned int flags)
{
	(void)logger;
	(void)dombuild_logger;
	(void)flags;
	return calloc(1, 64);
}

int xc_interface_close(void *xch)
{
	free(xch);
	return 0;
}

/* libxenevtchn: one idle pipe stands in for /dev/xen/evtchn. */
static int idle_pipe[2] = { -1, -1 };

void *xenevtchn_open(void *logger, unsigned int flags);
int xenevtchn_close(void *xce);
int xenevtchn_fd(void *xce);
int xenevtchn_bind_virq(void *xce, unsigned int virq);
int xenevtchn_bind_interdomain(void *xce, unsigned int domid,
			       unsigned int port);
int xenevtchn_unbind(void *xce, unsigned int port);
int xenevtchn_notify(void *xce, unsigned int port);
int xenevtchn_pending(void *xce);
int xenevtchn_unmask(void *xce, unsigned int port);

void *xenevtchn_open(void *logger, unsigned int flags)
{
	(void)logger;
	(void)flags;
	if (idle_pipe[0] < 0 && pipe(idle_pipe))
		return NULL;
	return calloc(1, 64);
}

int xenevtchn_close(void *xce)
{
	free(xce);
	return 0;
}

int xenevtchn_fd(void *xce)
{
	(void)xce;
	return idle_pipe[0];
}

int xenevtchn_bind_virq(void *xce, unsigned int virq)
{
	(void)xce;
	(void)virq;
	return 1;
}

int xenevtchn_bind_interdomain(void *xce, unsigned int domid,
			       unsigned int port)
{
	(void)xce;
	(void)domid;
	(void)port;
	return 2;
}

int xenevtchn_unbind(void *xce, unsigned int port)
{
	(void)xce;
	(void)port;
	return 0;
}

int xenevtchn_notify(void *xce, unsigned int port)
{
	(void)xce;
	(void)port;
	return 0;
}

int xenevtchn_pending(void *xce)
{
	(void)xce;
	return -1;
}

int xenevtchn_unmask(void *xce, unsigned int port)
{
	(void)xce;
	(void)port;
	return 0;
}
