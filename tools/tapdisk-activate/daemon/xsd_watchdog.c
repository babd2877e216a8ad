// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The host watchdog (see xsd_watchdog.h). */
#include "xsd_watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xsd_daemon.h"

int xsd_watchdog_open(struct xsd_watchdog *w, const char *path,
		      uint32_t timeout_s, char *err, size_t errlen)
{
	int t = (int)timeout_s;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->timeout_s = timeout_s;
	if (!path[0])
		return 0;
	snprintf(w->path, sizeof(w->path), "%s", path);
	/* Opening a watchdog device arms it: from here on it must be fed. */
	w->fd = open(path, O_WRONLY | O_CLOEXEC | O_APPEND);
	if (w->fd < 0) {
		snprintf(err, errlen, "watchdog %s: %s", path, strerror(errno));
		return -1;
	}
	if (ioctl(w->fd, WDIOC_SETTIMEOUT, &t) == 0) {
		if (t < 1 || (uint32_t)t > timeout_s) {
			snprintf(err, errlen, "watchdog %s runs with %d s, not "
				 "the %u s asked: refusing (the lease timing "
				 "assumes at most that)", path, t, timeout_s);
			xsd_watchdog_close(w, true);
			return -1;
		}
		w->timeout_s = (uint32_t)t;
	} else if (errno != ENOTTY && errno != EINVAL) {
		snprintf(err, errlen, "watchdog %s: cannot set %u s: %s", path,
			 timeout_s, strerror(errno));
		xsd_watchdog_close(w, true);
		return -1;
	} else {
		xsd_log("warning", "watchdog %s takes no timeout (%s): "
			"assuming %u s", path, strerror(errno), timeout_s);
	}
	if (write(w->fd, "1", 1) != 1) {
		snprintf(err, errlen, "watchdog %s: cannot feed: %s", path,
			 strerror(errno));
		xsd_watchdog_close(w, true);
		return -1;
	}
	xsd_log("info", "watchdog %s armed, timeout %u s", path, w->timeout_s);
	return 0;
}

void xsd_watchdog_tick(struct xsd_watchdog *w, bool safe, const char *why,
		       uint64_t now_ms)
{
	if (w->fd < 0)
		return;
	if (!safe) {
		if (!w->starving)
			xsd_log("alert", "watchdog %s no longer fed: %s; the "
				"host resets within %u s unless that changes",
				w->path, why, w->timeout_s);
		w->starving = true;
		return;
	}
	if (w->starving)
		xsd_log("info", "watchdog %s fed again", w->path);
	w->starving = false;
	if (now_ms - w->last_feed_ms < (w->timeout_s * 250u <
					XSD_WATCHDOG_FEED_MS ?
					w->timeout_s * 250u :
					XSD_WATCHDOG_FEED_MS))
		return;
	if (write(w->fd, "1", 1) != 1)
		xsd_log("error", "watchdog %s: feed failed: %s", w->path,
			strerror(errno));
	w->last_feed_ms = now_ms;
}

void xsd_watchdog_close(struct xsd_watchdog *w, bool disarm)
{
	if (w->fd < 0)
		return;
	if (disarm && write(w->fd, "V", 1) != 1)
		xsd_log("error", "watchdog %s: cannot disarm: %s", w->path,
			strerror(errno));
	if (!disarm)
		xsd_log("warning", "watchdog %s left armed: leases are held; "
			"tapdisk-activated must run again within %u s or the "
			"host resets", w->path, w->timeout_s);
	close(w->fd);
	w->fd = -1;
}
