/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The host watchdog, as sanlock uses wdmd: a Linux watchdog device
 * (/dev/watchdog; softdog in tests) that resets the host unless fed. The
 * daemon feeds it only while every lease this host holds and has not
 * confirmed fenced stays provably valid for the watchdog's timeout plus
 * LEASE_WATCHDOG_SLACK_MS (xsd_fence.c decides): a fence that cannot be
 * confirmed (a backend suspend stuck on hung storage) ends in a reset
 * before the lease's deadline, so before any other host may take over.
 *
 * Closing: with no lease held the device is closed with the magic 'V'
 * (disarmed); with leases held it stays armed, so a daemon that exits or
 * dies must be back within the timeout or the host resets.
 */
#ifndef TAPDISK_ACTIVATE_XSD_WATCHDOG_H
#define TAPDISK_ACTIVATE_XSD_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XSD_WATCHDOG_DEFAULT_S	10u
#define XSD_WATCHDOG_MAX_S	600u
/* Feeding pace while feeding is allowed: a quarter of the timeout, at
 * most this (the event loop turns every XSD_TICK_MS). */
#define XSD_WATCHDOG_FEED_MS	1000u

struct xsd_watchdog {
	int fd;			/* -1: none configured */
	uint32_t timeout_s;	/* what the device runs with */
	uint64_t last_feed_ms;
	bool starving;		/* feeding withheld (logged once) */
	char path[256];
};

/* Opens @path (empty: no watchdog) and sets @timeout_s. A device that
 * cannot take a timeout (a plain file in tests) keeps @timeout_s as the
 * assumption. 0, or -1 with @err. */
int xsd_watchdog_open(struct xsd_watchdog *w, const char *path,
		      uint32_t timeout_s, char *err, size_t errlen);
/* Feeds when @safe (at most every XSD_WATCHDOG_FEED_MS); otherwise
 * withholds and logs @why once per starving spell. */
void xsd_watchdog_tick(struct xsd_watchdog *w, bool safe, const char *why,
		       uint64_t now_ms);
/* Closes; disarms only when @disarm (no lease held). */
void xsd_watchdog_close(struct xsd_watchdog *w, bool disarm);

#endif /* TAPDISK_ACTIVATE_XSD_WATCHDOG_H */
