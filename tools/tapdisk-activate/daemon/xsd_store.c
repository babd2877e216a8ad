// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What tapdisk-activated publishes and remembers in xenstore, all under
 * /vdi-handover/<vdi>/ (created dom0-only: no guest can read or write it):
 *   state, owner, version, alert      summary for operators and toolstacks
 *   request / result / message        the request tree
 *   att/<domid>-<devid>/{state,version,token,why,hold,valid-until}
 *                                     per-attachment record used to resume
 *                                     after a daemon restart
 * Documentation/xenstore-keys.rst lists every key and its grammar.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xsd_daemon.h"

/* An attachment's state as the store writes and reads it (att/.../state). */
static const char *const att_state_names[] = {
	[XSD_ATT_IDLE] = "idle",
	[XSD_ATT_ACTIVATING] = "activating",
	[XSD_ATT_ACTIVE] = "active",
	[XSD_ATT_DRAINING] = "draining",
	[XSD_ATT_DEACTIVATING] = "deactivating",
	[XSD_ATT_RELEASED] = "released",
	[XSD_ATT_REACTIVATING] = "reactivating",
	[XSD_ATT_FENCED] = "fenced",
	[XSD_ATT_FAILED] = "failed",
};

const char *xsd_att_state_name(enum xsd_att_state s)
{
	return (unsigned int)s <= XSD_ATT_FAILED ? att_state_names[s] : "?";
}

int xsd_att_state_parse(const char *s, enum xsd_att_state *out)
{
	for (unsigned int i = 0; i <= XSD_ATT_FAILED; i++)
		if (!strcmp(s, att_state_names[i])) {
			*out = (enum xsd_att_state)i;
			return 0;
		}
	return -1;
}

/* syslog(3) priorities of the daemon's levels; "ALERT" (a VDI an operator
 * must look at) and "alert" (the watchdog) alike. */
static int log_priority(const char *level)
{
	static const struct {
		const char *level;
		int prio;
	} map[] = {
		{ "ALERT", 1 }, { "alert", 1 }, { "crit", 2 }, { "error", 3 },
		{ "warning", 4 }, { "notice", 5 }, { "info", 6 }, { "debug", 7 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(level, map[i].level))
			return map[i].prio;
	return 5;
}

/* stderr is the journal's stream when $JOURNAL_STREAM names its device and
 * inode (systemd.exec(5)): then "<N>" gives each line its priority. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	return !fstat(STDERR_FILENO, &st) && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/*
 * One line on stderr, written whole (renewal threads log too): under
 * systemd "<N>LEVEL: message", where N is the syslog priority the journal
 * files it under; elsewhere "tapdisk-activated: LEVEL: message".
 */
void xsd_log(const char *level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n, m;

	if (stderr_is_journal())
		n = snprintf(line, sizeof(line), "<%d>%s: ",
			     log_priority(level), level);
	else
		n = snprintf(line, sizeof(line), "tapdisk-activated: %s: ",
			     level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;	/* truncated: still one line */
	line[n++] = '\n';
	fflush(stderr);
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to say it. */
	}
}

static void vdi_path(char *buf, size_t size, const char *vdi, const char *key)
{
	snprintf(buf, size, XSD_ROOT "/%s/%s", vdi, key);
}

static void att_path(char *buf, size_t size, const struct xsd_att *a,
		     const char *key)
{
	snprintf(buf, size, XSD_ROOT "/%s/att/%u-%u/%s", a->vdi.name,
		 a->domid, a->devid, key);
}

static void put(struct xsd_daemon *d, const char *path, const char *value)
{
	if (xsd_xs_write(&d->xs, path, value))
		xsd_log("error", "cannot write %s: %s", path, strerror(errno));
}

void xsd_store_valid_until(struct xsd_daemon *d, const struct xsd_att *a)
{
	char p[256], v[32];

	/* CLOCK_BOOTTIME ns: xenstore lives as long as this boot. */
	att_path(p, sizeof(p), a, "valid-until");
	if (a->valid_until_ns) {
		snprintf(v, sizeof(v), "%" PRIu64, a->valid_until_ns);
		put(d, p, v);
	} else {
		xsd_xs_rm(&d->xs, p);
	}
}

void xsd_store_att(struct xsd_daemon *d, const struct xsd_att *a)
{
	char p[256], v[64];

	att_path(p, sizeof(p), a, "state");
	put(d, p, xsd_att_state_name(a->state));
	att_path(p, sizeof(p), a, "version");
	if (a->has_version) {
		snprintf(v, sizeof(v), "%" PRIu64, a->version);
		put(d, p, v);
	} else {
		xsd_xs_rm(&d->xs, p);
	}
	att_path(p, sizeof(p), a, "token");
	put(d, p, a->token);
	att_path(p, sizeof(p), a, "why");
	snprintf(v, sizeof(v), "%d", (int)a->why);
	put(d, p, v);
	att_path(p, sizeof(p), a, "hold");
	put(d, p, a->hold ? "1" : "0");
	xsd_store_valid_until(d, a);

	/* Summary keys follow the attachment that moved last. */
	vdi_path(p, sizeof(p), a->vdi.name, XSD_KEY_STATE);
	put(d, p, xsd_att_state_name(a->state));
	vdi_path(p, sizeof(p), a->vdi.name, XSD_KEY_OWNER);
	snprintf(v, sizeof(v), "%u/%u", a->domid, a->devid);
	put(d, p, v);
	if (a->has_version) {
		vdi_path(p, sizeof(p), a->vdi.name, XSD_KEY_VERSION);
		snprintf(v, sizeof(v), "%" PRIu64, a->version);
		put(d, p, v);
	}
}

void xsd_store_forget(struct xsd_daemon *d, const struct xsd_att *a)
{
	char p[256];

	snprintf(p, sizeof(p), XSD_ROOT "/%s/att/%u-%u", a->vdi.name,
		 a->domid, a->devid);
	xsd_xs_rm(&d->xs, p);
	vdi_path(p, sizeof(p), a->vdi.name, XSD_KEY_STATE);
	put(d, p, "idle");
}

/* Reads one of our own keys back, still strictly: xenstore is shared. */
static int get(struct xsd_daemon *d, const struct xsd_att *a, const char *key,
	       char *buf, size_t size)
{
	char p[256];
	int n;

	att_path(p, sizeof(p), a, key);
	n = xsd_xs_read(&d->xs, p, buf, size);
	if (n < 0 || strlen(buf) != (size_t)n)
		return -1;
	return 0;
}

int xsd_store_recall(struct xsd_daemon *d, struct xsd_att *a)
{
	char v[80];
	const char *why;
	uint32_t w;

	if (get(d, a, "state", v, sizeof(v)) ||
	    xsd_att_state_parse(v, &a->state))
		return -1;
	a->has_version = !get(d, a, "version", v, sizeof(v)) &&
		!xsd_parse_u64(v, strlen(v), INT64_MAX, &a->version, &why);
	if (get(d, a, "token", a->token, sizeof(a->token)))
		a->token[0] = '\0';
	if (!get(d, a, "why", v, sizeof(v)) &&
	    !xsd_parse_u32(v, strlen(v), XSD_WHY_REQUEST, &w, &why))
		a->why = (enum xsd_why)w;
	a->hold = !get(d, a, "hold", v, sizeof(v)) && !strcmp(v, "1");
	if (get(d, a, "valid-until", v, sizeof(v)) ||
	    xsd_parse_u64(v, strlen(v), UINT64_MAX, &a->valid_until_ns, &why))
		a->valid_until_ns = 0;
	return 0;
}

void xsd_alert(struct xsd_daemon *d, const struct xsd_att *a,
	       const char *code, const char *fmt, ...)
{
	char msg[512], line[600], p[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", code, msg);
	xsd_log("ALERT", "VDI %s (domain %u disk %u): %s", a->vdi.name,
		a->domid, a->devid, line);
	vdi_path(p, sizeof(p), a->vdi.name, XSD_KEY_ALERT);
	put(d, p, line);
}

void xsd_alert_clear(struct xsd_daemon *d, const struct xsd_att *a)
{
	char p[256];

	vdi_path(p, sizeof(p), a->vdi.name, XSD_KEY_ALERT);
	if (xsd_xs_exists(&d->xs, p)) {
		xsd_log("info", "VDI %s: alert cleared", a->vdi.name);
		xsd_xs_rm(&d->xs, p);
	}
}

void xsd_result(struct xsd_daemon *d, const char *vdi, uint64_t id, int code,
		const char *fmt, ...)
{
	char msg[512], p[256], v[XSD_RESULT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* message first: a requester polling "result" then reads both. */
	vdi_path(p, sizeof(p), vdi, XSD_KEY_MESSAGE);
	put(d, p, msg);
	xsd_format_result(id, code, v, sizeof(v));
	vdi_path(p, sizeof(p), vdi, XSD_KEY_RESULT);
	put(d, p, v);
	xsd_log("info", "VDI %s: request %" PRIu64 " -> %s: %s", vdi, id, v,
		msg);
}
