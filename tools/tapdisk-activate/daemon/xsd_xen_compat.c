// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libxenctrl calls that differ between Xen releases (see xsd_xen_compat.h).
 * Xen's public headers refuse strict ISO C (anonymous unions, aligned
 * attributes behind __STRICT_ANSI__), so this file compiles them as GNU C.
 */
#undef __STRICT_ANSI__
#include <errno.h>
#include <string.h>
#include <xenctrl.h>

#include "xsd_xen_compat.h"

/*
 * xsd_xc_decode_flags() is tested without Xen headers, with the ABI's bit
 * values; these fail the build on a Xen whose headers disagree.
 */
_Static_assert(XEN_DOMINF_dying == 1u << 0, "XEN_DOMINF_dying moved");
_Static_assert(XEN_DOMINF_shutdown == 1u << 2, "XEN_DOMINF_shutdown moved");
_Static_assert(XEN_DOMINF_paused == 1u << 3, "XEN_DOMINF_paused moved");
_Static_assert(XEN_DOMINF_shutdownshift == 16 &&
	       XEN_DOMINF_shutdownmask == 255, "shutdown code moved");
_Static_assert(SHUTDOWN_crash == 3 && SHUTDOWN_suspend == 2,
	       "SHUTDOWN_* codes moved");

void xsd_xc_decode_flags(uint32_t flags, struct xsd_xc_dominfo *out)
{
	bool down = flags & XEN_DOMINF_shutdown;

	out->dying = flags & XEN_DOMINF_dying;
	out->paused = flags & XEN_DOMINF_paused;
	out->shutdown_reason = (flags >> XEN_DOMINF_shutdownshift) &
			       XEN_DOMINF_shutdownmask;
	out->crashed = down && out->shutdown_reason == SHUTDOWN_crash;
	out->shutdown = down && !out->crashed;
}

int xsd_xc_getinfo(void *xch, uint32_t domid, struct xsd_xc_dominfo *out)
{
	xc_domaininfo_t info;
	int n;

	memset(&info, 0, sizeof(info));
	/* Enumerates from @domid on: the first entry may be a later domain. */
	n = xc_domain_getinfolist(xch, domid, 1, &info);
	if (n < 0)
		return -1;
	if (n == 0 || info.domain != domid)
		return 0;
	memset(out, 0, sizeof(*out));
	out->domid = info.domain;
	xsd_xc_decode_flags(info.flags, out);
	return 1;
}
