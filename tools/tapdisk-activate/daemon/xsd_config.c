// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activated configuration files (see xsd_config.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lease/lease.h"
#include "xsd_config.h"

void xsd_config_defaults(struct xsd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->tool, sizeof(cfg->tool), "/usr/sbin/tapdisk-activate");
	snprintf(cfg->vdi_dir, sizeof(cfg->vdi_dir), "/etc/xen-handover/vdi");
	snprintf(cfg->backend_stats, sizeof(cfg->backend_stats),
		 "/sys/bus/xen-backend/devices");
	cfg->activate_on = XSD_ACTIVATE_ON_CONNECT;
	cfg->activate_wait_s = 120;
	cfg->deactivate_timeout_s = 30;
	cfg->drain_wait_s = 30;
	cfg->drain_quiet_ms = 600;
	cfg->renew_interval_s = 10;
	cfg->retry_s = 5;
	cfg->events_per_s = 20;
	cfg->events_burst = 50;
	cfg->watchdog_timeout_s = XSD_WATCHDOG_DEFAULT_S;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

typedef int (*kv_fn)(void *ctx, const char *key, const char *value,
		     char *err, size_t errlen);

/* Calls @fn for every "key = value" line of @path. */
static int parse_kv_file(const char *path, bool required, kv_fn fn, void *ctx,
			 char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	unsigned int lineno = 0;
	int rc = 0;

	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val;
		char sub[512];

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path,
				 lineno);
			rc = -1;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected key = value",
				 path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (fn(ctx, key, val, sub, sizeof(sub))) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, sub);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static int set_u32(const char *val, uint32_t min, uint32_t max,
		   uint32_t *out, char *err, size_t errlen)
{
	const char *why = NULL;
	uint32_t v;

	if (xsd_parse_u32(val, strlen(val), max, &v, &why) || v < min) {
		snprintf(err, errlen, "'%s' is not a number in %u..%u", val,
			 min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int set_path(const char *val, char *out, char *err, size_t errlen)
{
	if (val[0] != '/' || strlen(val) >= XSD_PATH_MAX) {
		snprintf(err, errlen, "'%s' must be an absolute path shorter "
			 "than %d bytes", val, XSD_PATH_MAX);
		return -1;
	}
	snprintf(out, XSD_PATH_MAX, "%s", val);
	return 0;
}

static int daemon_kv(void *ctx, const char *k, const char *v, char *err,
		     size_t errlen)
{
	struct xsd_config *c = ctx;

	if (!strcmp(k, "host-id"))
		return set_u32(v, 1, LEASE_MAX_HOSTS, &c->host_id, err, errlen);
	if (!strcmp(k, "tool"))
		return set_path(v, c->tool, err, errlen);
	if (!strcmp(k, "vdi-dir"))
		return set_path(v, c->vdi_dir, err, errlen);
	if (!strcmp(k, "backend-stats"))
		return set_path(v, c->backend_stats, err, errlen);
	if (!strcmp(k, "activate-on")) {
		if (!strcmp(v, "connect"))
			c->activate_on = XSD_ACTIVATE_ON_CONNECT;
		else if (!strcmp(v, "attach"))
			c->activate_on = XSD_ACTIVATE_ON_ATTACH;
		else {
			snprintf(err, errlen, "activate-on is connect or "
				 "attach, not '%s'", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(k, "activate-wait"))
		return set_u32(v, 0, 3600, &c->activate_wait_s, err, errlen);
	if (!strcmp(k, "deactivate-timeout"))
		return set_u32(v, 1, 3600, &c->deactivate_timeout_s, err,
			       errlen);
	if (!strcmp(k, "drain-wait"))
		return set_u32(v, 0, 600, &c->drain_wait_s, err, errlen);
	if (!strcmp(k, "drain-quiet-ms"))
		return set_u32(v, 200, 60000, &c->drain_quiet_ms, err, errlen);
	if (!strcmp(k, "renew-interval"))
		return set_u32(v, 1, 3600, &c->renew_interval_s, err, errlen);
	if (!strcmp(k, "retry"))
		return set_u32(v, 1, 3600, &c->retry_s, err, errlen);
	if (!strcmp(k, "events-per-second"))
		return set_u32(v, 1, 100000, &c->events_per_s, err, errlen);
	if (!strcmp(k, "events-burst"))
		return set_u32(v, 1, 100000, &c->events_burst, err, errlen);
	if (!strcmp(k, "watchdog")) {
		if (!v[0]) {
			c->watchdog[0] = '\0';
			return 0;
		}
		return set_path(v, c->watchdog, err, errlen);
	}
	if (!strcmp(k, "watchdog-timeout"))
		return set_u32(v, 1, XSD_WATCHDOG_MAX_S, &c->watchdog_timeout_s,
			       err, errlen);
	if (!strcmp(k, "backend-domid"))
		return set_u32(v, 0, XSD_DOMID_LIMIT - 1, &c->backend_domid,
			       err, errlen);
	snprintf(err, errlen, "unknown key '%s'", k);
	return -1;
}

int xsd_config_load(struct xsd_config *cfg, const char *path, bool required,
		    char *err, size_t errlen)
{
	return parse_kv_file(path, required, daemon_kv, cfg, err, errlen);
}

struct vdi_parse {
	struct xsd_vdi_conf *vdi;
	unsigned int seen;		/* bit i: vdi_keys[i] given */
	bool format_given;
};

static const char *const vdi_keys[] = {
	"image", "lease", "backend", "format", "device",
};

static int vdi_kv(void *ctx, const char *k, const char *v, char *err,
		  size_t errlen)
{
	struct vdi_parse *ps = ctx;
	struct xsd_vdi_conf *d = ps->vdi;

	for (unsigned int i = 0; i < sizeof(vdi_keys) / sizeof(vdi_keys[0]);
	     i++) {
		if (strcmp(k, vdi_keys[i]))
			continue;
		if (ps->seen & (1u << i)) {
			snprintf(err, errlen, "'%s' given twice", k);
			return -1;
		}
		ps->seen |= 1u << i;
	}
	if (!strcmp(k, "image"))
		return set_path(v, d->image, err, errlen);
	if (!strcmp(k, "lease")) {
		if (v[0] != '/' || strlen(v) >= sizeof(d->lease)) {
			snprintf(err, errlen, "lease must be PATH[:OFFSET]");
			return -1;
		}
		snprintf(d->lease, sizeof(d->lease), "%s", v);
		return 0;
	}
	if (!strcmp(k, "backend")) {
		if (!strcmp(v, "dm"))
			d->backend = XSD_BACKEND_DM;
		else if (!strcmp(v, "none"))
			d->backend = XSD_BACKEND_NONE;
		else if (!strcmp(v, "tapdisk"))
			d->backend = XSD_BACKEND_TAPDISK;
		else {
			snprintf(err, errlen, "backend is dm, tapdisk or none");
			return -1;
		}
		return 0;
	}
	if (!strcmp(k, "format")) {
		if (strcmp(v, "raw") && strcmp(v, "vhd")) {
			snprintf(err, errlen, "format is vhd or raw");
			return -1;
		}
		d->raw = !strcmp(v, "raw");
		ps->format_given = true;
		return 0;
	}
	/* What block-handover's dm device maps (the daemon never opens it). */
	if (!strcmp(k, "device"))
		return set_path(v, d->device, err, errlen);
	snprintf(err, errlen, "unknown key '%s'", k);
	return -1;
}

int xsd_vdi_conf_load(const struct xsd_config *cfg, const char *name,
		      struct xsd_vdi_conf *vdi, char *err, size_t errlen)
{
	char path[XSD_PATH_MAX + XSD_VDI_NAME_MAX + 8];
	struct vdi_parse ps = { .vdi = vdi };

	memset(vdi, 0, sizeof(*vdi));
	vdi->backend = XSD_BACKEND_DM;
	snprintf(vdi->name, sizeof(vdi->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s.conf", cfg->vdi_dir, name);
	if (parse_kv_file(path, true, vdi_kv, &ps, err, errlen))
		return -1;
	if (!vdi->image[0]) {
		snprintf(err, errlen, "%s: no image = line", path);
		return -1;
	}
	if (vdi->backend == XSD_BACKEND_DM) {
		/* blkback serves the dm device's bytes as they are. */
		if (ps.format_given && !vdi->raw) {
			snprintf(err, errlen, "%s: format = vhd with backend = "
				 "dm would show the guest the VHD container; "
				 "serve a VHD through tapdisk (tapdisk-activate "
				 "--backend tapdisk:PID:MINOR, control socket "
				 "/run/blktap-control/ctl<PID>, see "
				 "tapdisk-activate(8)) or set format = raw",
				 path);
			return -1;
		}
		vdi->raw = true;
	}
	return 0;
}

int xsd_dm_name(const char *vdi, uint32_t domid, uint32_t devid, char *buf,
		size_t size)
{
	int n = snprintf(buf, size, "xh-%s-%u-%u", vdi, domid, devid);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

const char *xsd_backend_name(enum xsd_backend_kind kind)
{
	switch (kind) {
	case XSD_BACKEND_DM:
		return "dm";
	case XSD_BACKEND_TAPDISK:
		return "tapdisk";
	case XSD_BACKEND_NONE:
		break;
	}
	return "none";
}

/* "PID:MINOR" as block-handover writes it: decimal, no sign, in range. */
static bool tapdisk_ref_ok(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t lp, lm;

	if (!colon)
		return false;
	lp = (size_t)(colon - s);
	lm = strlen(colon + 1);
	if (lp < 1 || lp > 9 || lm < 1 || lm > 6 || s[0] == '0' ||
	    (colon[1] == '0' && lm > 1))
		return false;
	return strspn(s, "0123456789") == lp &&
	       strspn(colon + 1, "0123456789") == lm;
}

int xsd_backend_spec(const struct xsd_vdi_conf *vdi, uint32_t domid,
		     uint32_t devid, const char *tapdisk, char *buf,
		     size_t size)
{
	char dm[XSD_VDI_NAME_MAX + 32];
	int n;

	switch (vdi->backend) {
	case XSD_BACKEND_DM:
		if (domid == 0)		/* no attachment: offline */
			break;
		if (xsd_dm_name(vdi->name, domid, devid, dm, sizeof(dm)))
			return -1;
		n = snprintf(buf, size, "dm:%s", dm);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	case XSD_BACKEND_TAPDISK:
		if (domid == 0 || !tapdisk)	/* offline, or disk gone */
			break;
		if (!tapdisk_ref_ok(tapdisk))
			return -1;
		n = snprintf(buf, size, "tapdisk:%s%s", tapdisk,
			     vdi->raw ? ",type=aio" : "");
		return n < 0 || (size_t)n >= size ? -1 : 0;
	case XSD_BACKEND_NONE:
		break;
	}
	n = snprintf(buf, size, "none");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
