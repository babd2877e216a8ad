// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Domain state seam for tapdisk-activated (see xsd_hyp.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xsd_hyp.h"
#include "xsd_xs.h"

static const char *const state_names[] = {
	[XSD_DOM_ABSENT] = "absent",
	[XSD_DOM_RUNNING] = "running",
	[XSD_DOM_PAUSED] = "paused",
	[XSD_DOM_SUSPENDED] = "suspended",
	[XSD_DOM_SHUTDOWN] = "shutdown",
	[XSD_DOM_UNKNOWN] = "unknown",
};

/* Xen's SHUTDOWN_suspend (public/sched.h), kept here so this file needs no
 * Xen headers. */
#define XSD_SHUTDOWN_SUSPEND 2

enum xsd_dom_state xsd_dom_state_from_info(bool dying, bool shutdown,
					   bool crashed,
					   unsigned int shutdown_reason,
					   bool paused)
{
	if (dying || crashed)
		return XSD_DOM_SHUTDOWN;
	if (shutdown)
		return shutdown_reason == XSD_SHUTDOWN_SUSPEND ?
			XSD_DOM_SUSPENDED : XSD_DOM_SHUTDOWN;
	if (paused)
		return XSD_DOM_PAUSED;
	return XSD_DOM_RUNNING;
}

/* xenstore table --------------------------------------------------------- */

static enum xsd_dom_state table_state(struct xsd_hyp *hyp, uint32_t domid)
{
	char path[160], v[16];
	int n;

	snprintf(path, sizeof(path), "%s/%u", hyp->table, domid);
	n = xsd_xs_read(hyp->xs, path, v, sizeof(v));
	if (n == -ENOENT)
		return XSD_DOM_ABSENT;
	if (n < 0 || strlen(v) != (size_t)n)
		return XSD_DOM_UNKNOWN;
	for (unsigned int s = XSD_DOM_ABSENT; s < XSD_DOM_UNKNOWN; s++)
		if (!strcmp(v, state_names[s]))
			return (enum xsd_dom_state)s;
	if (!strcmp(v, "dying"))
		return XSD_DOM_SHUTDOWN;
	return XSD_DOM_UNKNOWN;
}

static int table_pause(struct xsd_hyp *hyp, uint32_t domid)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%u", hyp->table, domid);
	return xsd_xs_write(hyp->xs, path, "paused");
}

static void table_close(struct xsd_hyp *hyp)
{
	(void)hyp;
}

int xsd_hyp_open_table(struct xsd_hyp *hyp, struct xsd_xs *xs,
		       const char *dir, char *err, size_t errlen)
{
	memset(hyp, 0, sizeof(*hyp));
	if (dir[0] != '/' || strlen(dir) >= sizeof(hyp->table)) {
		snprintf(err, errlen, "domain table path must be absolute and "
			 "shorter than %zu bytes", sizeof(hyp->table));
		return -1;
	}
	snprintf(hyp->table, sizeof(hyp->table), "%s", dir);
	hyp->name = "xenstore-table";
	hyp->watch_path = hyp->table;
	hyp->xs = xs;
	hyp->state = table_state;
	hyp->pause = table_pause;
	hyp->close = table_close;
	return 0;
}
