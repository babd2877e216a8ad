/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one place where tapdisk-activated meets libxenctrl calls whose shape
 * differs between Xen releases. Xen 4.18 removed xc_domain_getinfo() and
 * its xc_dominfo_t (Debian 12 ships 4.17, Debian 13 4.20); what the daemon
 * reads of a domain comes from xc_domain_getinfolist() and the raw
 * XEN_DOMINF_* flags word, which both releases have. Any further version
 * difference goes here, not into the daemon.
 *
 * The header needs no Xen headers: callers pass the xc_interface handle as
 * void *.
 */
#ifndef TAPDISK_ACTIVATE_XSD_XEN_COMPAT_H
#define TAPDISK_ACTIVATE_XSD_XEN_COMPAT_H

#include <stdbool.h>
#include <stdint.h>

/* What the daemon needs of one domain, as the hypervisor reports it. */
struct xsd_xc_dominfo {
	uint32_t domid;
	bool dying;
	bool shutdown;		/* shut down for a reason other than crash */
	bool crashed;		/* shut down with reason crash */
	bool paused;
	unsigned int shutdown_reason;	/* SHUTDOWN_* when shutdown/crashed */
};

/*
 * Decodes a XEN_DOMINF_* flags word (the public domctl ABI). A crash is
 * reported as crashed with shutdown false, as xc_domain_getinfo() did.
 */
void xsd_xc_decode_flags(uint32_t flags, struct xsd_xc_dominfo *out);

/*
 * The state of domain @domid through the handle @xch (an xc_interface *).
 * Returns 1 and fills @out when the domain exists, 0 when it does not, -1
 * (errno set) when the hypervisor could not be asked.
 */
int xsd_xc_getinfo(void *xch, uint32_t domid, struct xsd_xc_dominfo *out);

#endif /* TAPDISK_ACTIVATE_XSD_XEN_COMPAT_H */
