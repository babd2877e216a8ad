// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's direct use of the lease library: status (restart recovery
 * cross-checks xenstore against the lease). Renewal runs in threads of its
 * own (xsd_renewer.c); acquire and release stay with the tapdisk-activate
 * commands, which also pause/resume the backend.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lease/lease.h"
#include "xsd_daemon.h"

static int open_lease(const struct xsd_vdi_conf *vdi, unsigned int flags,
		      struct lease **l, char *err, size_t errlen)
{
	char spec[XSD_PATH_MAX + 16];

	if (vdi->lease[0])
		snprintf(spec, sizeof(spec), "%s", vdi->lease);
	else if (lease_sidecar_path(vdi->image, spec, sizeof(spec))) {
		snprintf(err, errlen, "lease path of %s too long", vdi->image);
		return -1;
	}
	return lease_open(l, spec, flags, err, errlen) ? -1 : 0;
}

static int status(const struct xsd_vdi_conf *vdi, bool *held,
		  uint16_t *owner_host, char *owner_token, size_t tlen,
		  uint64_t *version, char *err, size_t errlen)
{
	struct lease_status st;
	struct lease *l;
	int rc;

	if (open_lease(vdi, LEASE_OPEN_READ_ONLY, &l, err, errlen))
		return -1;
	rc = lease_read_status(l, &st);
	if (rc != LEASE_OK) {
		snprintf(err, errlen, "%s: %s", lease_strerror(rc),
			 lease_last_error(l));
		lease_close(l);
		return -1;
	}
	lease_close(l);
	/* When free, st.owner is the last owner (0 if there never was one). */
	*held = st.state == LEASE_STATE_HELD && st.has_owner;
	*owner_host = st.owner.host_id;
	snprintf(owner_token, tlen, "%s", st.owner.token);
	*version = st.version;
	return 0;
}

void xsd_lease_ops_default(struct xsd_lease_ops *ops)
{
	ops->status = status;
}
