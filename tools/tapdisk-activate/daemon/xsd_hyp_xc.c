// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Domain state from libxenctrl (see xsd_hyp.h); the calls whose shape
 * changed between Xen releases go through xsd_xen_compat.h. Xen's public
 * headers that xenctrl.h pulls in refuse strict ISO C (anonymous unions,
 * aligned attributes behind __STRICT_ANSI__), so this file and the compat
 * file compile them as GNU C; nothing else here depends on extensions.
 */
#undef __STRICT_ANSI__
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xenctrl.h>

#include "xsd_hyp.h"
#include "xsd_xen_compat.h"

#if defined(SHUTDOWN_suspend) && SHUTDOWN_suspend != 2
#error "xsd_dom_state_from_info assumes SHUTDOWN_suspend == 2"
#endif

/* libxenctrl ------------------------------------------------------------ */

static enum xsd_dom_state xc_state(struct xsd_hyp *hyp, uint32_t domid)
{
	struct xsd_xc_dominfo info;
	int n = xsd_xc_getinfo(hyp->priv, domid, &info);

	if (n < 0)
		return XSD_DOM_UNKNOWN;
	if (n == 0)
		return XSD_DOM_ABSENT;
	return xsd_dom_state_from_info(info.dying, info.shutdown, info.crashed,
				       info.shutdown_reason, info.paused);
}

static int xc_pause(struct xsd_hyp *hyp, uint32_t domid)
{
	return xc_domain_pause(hyp->priv, domid) ? -1 : 0;
}

static void xc_close(struct xsd_hyp *hyp)
{
	if (hyp->priv)
		xc_interface_close(hyp->priv);
	hyp->priv = NULL;
}

int xsd_hyp_open_xenctrl(struct xsd_hyp *hyp, char *err, size_t errlen)
{
	memset(hyp, 0, sizeof(*hyp));
	/* Default logger: libxenctrl's own line goes to stderr, ours too. */
	hyp->priv = xc_interface_open(NULL, NULL, 0);
	if (!hyp->priv) {
		snprintf(err, errlen, "cannot open libxenctrl (is this a Xen "
			 "dom0?): %s", strerror(errno));
		return -1;
	}
	hyp->name = "xenctrl";
	hyp->state = xc_state;
	hyp->pause = xc_pause;
	hyp->close = xc_close;
	return 0;
}
