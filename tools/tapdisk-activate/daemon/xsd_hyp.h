/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Domain state for tapdisk-activated, behind a seam: on a Xen host it comes
 * from libxenctrl; for tests (and toolstacks that publish it themselves) it
 * comes from a xenstore table DIR/<domid> = running|paused|suspended|
 * shutdown|dying, written by dom0. The table variant is how the daemon's
 * tests run against a real oxenstored on a machine without Xen.
 */
#ifndef TAPDISK_ACTIVATE_XSD_HYP_H
#define TAPDISK_ACTIVATE_XSD_HYP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xsd_xs;

enum xsd_dom_state {
	XSD_DOM_ABSENT = 0,	/* no such domain (destroyed) */
	XSD_DOM_RUNNING,
	XSD_DOM_PAUSED,		/* created paused or paused by the toolstack */
	XSD_DOM_SUSPENDED,	/* shut down with reason suspend (save/migrate) */
	XSD_DOM_SHUTDOWN,	/* shut down for another reason, or dying */
	XSD_DOM_UNKNOWN,	/* could not be determined: take no action */
};

struct xsd_hyp {
	const char *name;
	/* Path to watch for state changes besides @releaseDomain, or NULL. */
	const char *watch_path;
	enum xsd_dom_state (*state)(struct xsd_hyp *hyp, uint32_t domid);
	/* Pauses the domain's vCPUs (fencing a guest whose lease is lost). */
	int (*pause)(struct xsd_hyp *hyp, uint32_t domid);
	void (*close)(struct xsd_hyp *hyp);
	void *priv;
	struct xsd_xs *xs;
	char table[128];
};

/*
 * Domain state from libxenctrl's dominfo flags. libxenctrl reports a
 * crashed domain with shutdown = 0 and crashed = 1 (it clears "shutdown"
 * for reason crash): without @crashed a crashed guest (on_crash =
 * "preserve") looked running and kept its VDI until xl destroy.
 */
enum xsd_dom_state xsd_dom_state_from_info(bool dying, bool shutdown,
					   bool crashed,
					   unsigned int shutdown_reason,
					   bool paused);
int xsd_hyp_open_xenctrl(struct xsd_hyp *hyp, char *err, size_t errlen);
int xsd_hyp_open_table(struct xsd_hyp *hyp, struct xsd_xs *xs,
		       const char *dir, char *err, size_t errlen);

#endif /* TAPDISK_ACTIVATE_XSD_HYP_H */
