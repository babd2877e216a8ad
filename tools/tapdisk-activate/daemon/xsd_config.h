/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tapdisk-activated configuration: the daemon file
 * (/etc/xen-handover/tapdisk-activated.conf) and one file per VDI in the
 * VDI directory (/etc/xen-handover/vdi/<name>.conf). Both are dom0 files,
 * "key = value" per line, '#' comments; unknown keys are errors so that a
 * typo never silently changes a safety setting. The VDI files are the only
 * place a VDI's image, lease and backend come from.
 */
#ifndef TAPDISK_ACTIVATE_XSD_CONFIG_H
#define TAPDISK_ACTIVATE_XSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xsd_parse.h"
#include "xsd_watchdog.h"

#define XSD_PATH_MAX 256

enum xsd_activate_on {
	XSD_ACTIVATE_ON_CONNECT,	/* frontend connects or domain runs */
	XSD_ACTIVATE_ON_ATTACH,		/* as soon as the hotplug add is done */
};

struct xsd_config {
	uint32_t host_id;			/* 1..2000 */
	char tool[XSD_PATH_MAX];		/* tapdisk-activate binary */
	char vdi_dir[XSD_PATH_MAX];
	char backend_stats[XSD_PATH_MAX];	/* blkback sysfs devices dir */
	char domain_table[XSD_PATH_MAX];	/* test seam; "" = libxenctrl */
	enum xsd_activate_on activate_on;
	uint32_t activate_wait_s;	/* activate --wait */
	uint32_t deactivate_timeout_s;	/* deactivate --timeout */
	uint32_t drain_wait_s;		/* frontend drain-state / backend quiesce */
	uint32_t drain_quiet_ms;	/* backend counters still this long */
	uint32_t renew_interval_s;	/* for leases that never expire */
	uint32_t retry_s;		/* first retry after a failed step */
	uint32_t events_per_s;		/* guest-triggered events, per domain */
	uint32_t events_burst;
	uint32_t backend_domid;		/* domain whose backend dir we watch */
	/* Escalation of a fence not confirmed in time: a Linux watchdog
	 * device ("" none) fed only while every held lease is provably
	 * valid for its timeout more (xsd_watchdog.c, lease.rst). */
	char watchdog[XSD_PATH_MAX];
	uint32_t watchdog_timeout_s;
};

enum xsd_backend_kind {
	XSD_BACKEND_DM,		/* blkback phy: over a device-mapper device */
	XSD_BACKEND_NONE,	/* no pausable backend (flush + cache drop) */
	XSD_BACKEND_TAPDISK,	/* blkback phy: over tapdisk's NBD (nbd.ko) */
};

struct xsd_vdi_conf {
	char name[XSD_VDI_NAME_MAX + 1];
	char image[XSD_PATH_MAX];	/* VDI argument of tapdisk-activate */
	char lease[XSD_PATH_MAX];	/* PATH[:OFFSET]; "" = IMAGE.lease */
	char device[XSD_PATH_MAX];	/* what dm maps; "" = the image */
	enum xsd_backend_kind backend;
	bool raw;			/* format = raw: no VHD metadata */
};

void xsd_config_defaults(struct xsd_config *cfg);
/* Reads @path over @cfg's values; a missing file is fine if !@required. */
int xsd_config_load(struct xsd_config *cfg, const char *path, bool required,
		    char *err, size_t errlen);
/*
 * Loads <vdi_dir>/<name>.conf; @name must already be a valid VDI name. The
 * one reader of VDI files: block-handover reads them through
 * "tapdisk-activated --print-vdi". A key given twice is an error (the
 * script once took the first image line, the daemon the last). format
 * defaults to raw on backend dm; "format = vhd" with backend dm is refused
 * (blkback would hand the guest the VHD container's bytes). Backend
 * tapdisk defaults to vhd (raw: tapdisk's aio driver).
 */
int xsd_vdi_conf_load(const struct xsd_config *cfg, const char *name,
		      struct xsd_vdi_conf *vdi, char *err, size_t errlen);
/*
 * --backend SPEC for VDI @vdi attached as (domid, devid). @tapdisk is the
 * disk's "PID:MINOR" (backend key xh-tapdisk, written by block-handover)
 * for backend tapdisk, NULL when the disk is gone (then "none": the
 * hotplug script destroyed its tapdisk). -1: too long, or @tapdisk is
 * not PID:MINOR.
 */
int xsd_backend_spec(const struct xsd_vdi_conf *vdi, uint32_t domid,
		     uint32_t devid, const char *tapdisk, char *buf,
		     size_t size);
/* Backend key block-handover writes the tapdisk's PID:MINOR into. */
#define XSD_TAPDISK_KEY "xh-tapdisk"
/* The name print-vdi and the VDI files use for @kind. */
const char *xsd_backend_name(enum xsd_backend_kind kind);
/* Name of the device-mapper device block-handover creates. */
int xsd_dm_name(const char *vdi, uint32_t domid, uint32_t devid, char *buf,
		size_t size);

#endif /* TAPDISK_ACTIVATE_XSD_CONFIG_H */
