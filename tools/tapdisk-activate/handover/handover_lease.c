// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * handover_lease: adapter between the handover and lease.h: where the
 * lease of a VDI lives, and which exit code each lease result maps to.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/exitcodes.h"
#include "handover.h"

int handover_lease_open(const struct handover_opts *o, struct lease **l,
			char *path, size_t pathlen, char *err, size_t errlen)
{
	char sidecar[HANDOVER_STATE_PATH_MAX];
	const char *spec = o->lease_spec;
	char *colon;

	if (!spec) {
		if (lease_sidecar_path(o->vdi, sidecar, sizeof(sidecar)) < 0) {
			snprintf(err, errlen, "VDI path too long for a lease");
			return LEASE_USAGE;
		}
		spec = sidecar;
	}
	if (path) {
		/* PATH[:OFFSET]: the record lives beside PATH. */
		snprintf(path, pathlen, "%s", spec);
		colon = strrchr(path, ':');
		if (colon && colon[1] && strspn(colon + 1, "0123456789") ==
		    strlen(colon + 1))
			*colon = '\0';
	}
	return lease_open(l, spec, 0, err, errlen);
}

int handover_lease_exit(int result)
{
	switch (result) {
	case LEASE_OK: return XH_EXIT_OK;
	case LEASE_HELD: return XH_EXIT_LEASE_HELD;
	case LEASE_VERSION_MOVED: return XH_EXIT_LEASE_VERSION_MOVED;
	case LEASE_DAMAGED: return XH_EXIT_LEASE_DAMAGED;
	case LEASE_NOT_OWNER: return XH_EXIT_LEASE_NOT_OWNER;
	case LEASE_LOST: return XH_EXIT_LEASE_LOST;
	case LEASE_CONTENDED: return XH_EXIT_LEASE_CONTENDED;
	case LEASE_NOT_INITIALIZED: return XH_EXIT_LEASE_NOT_INITIALIZED;
	case LEASE_USAGE: return XH_EXIT_USAGE;
	case LEASE_IO: return XH_EXIT_IO;
	}
	return XH_EXIT_FAILURE;
}

int handover_backend_exit(enum backend_result r)
{
	switch (r) {
	case BACKEND_OK: return XH_EXIT_OK;
	case BACKEND_UNREACHABLE: return XH_EXIT_BACKEND_UNREACHABLE;
	case BACKEND_TIMEOUT: return XH_EXIT_BACKEND_PAUSE_TIMEOUT;
	case BACKEND_REFUSED: return XH_EXIT_BACKEND_PAUSE_FAILED;
	case BACKEND_UNSUPPORTED: return XH_EXIT_BACKEND_UNSUPPORTED;
	}
	return XH_EXIT_FAILURE;
}
