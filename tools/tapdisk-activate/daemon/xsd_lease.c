// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's direct use of the lease library: status (restart recovery
 * cross-checks xenstore against the lease) and renewal of the leases this
 * host holds for active VDIs. Acquire and release stay with the
 * tapdisk-activate commands, which also pause/resume the backend.
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

static int renew(const struct xsd_vdi_conf *vdi, uint16_t host_id,
		 const char *token, uint64_t version, uint32_t *next_s,
		 uint64_t *valid_until_ns, char *err, size_t errlen)
{
	struct lease_holder h = { .host_id = host_id, .version = version };
	struct lease_status st;
	struct lease *l;
	int rc;

	if (open_lease(vdi, 0, &l, err, errlen))
		return -1;
	gethostname(h.host_name, sizeof(h.host_name) - 1);
	snprintf(h.token, sizeof(h.token), "%s",
		 token[0] ? token : LEASE_HANDOVER_TOKEN);
	/* The holder's name as the lease recorded it, if it is ours. */
	if (lease_read_status(l, &st) == LEASE_OK && st.has_owner &&
	    st.owner.host_id == host_id && !strcmp(st.owner.token, h.token))
		snprintf(h.host_name, sizeof(h.host_name), "%s",
			 st.owner.host_name);
	rc = lease_renew(l, &h);
	if (rc != LEASE_OK)
		snprintf(err, errlen, "%s: %s", lease_strerror(rc),
			 lease_last_error(l));
	if (lease_valid_until_ns(l))
		*valid_until_ns = lease_valid_until_ns(l);
	if (rc == LEASE_OK && lease_read_status(l, &st) == LEASE_OK &&
	    st.timeout_s)
		*next_s = lease_renew_interval_s(st.timeout_s);
	lease_close(l);
	if (rc == LEASE_OK)
		return 0;
	return rc == LEASE_NOT_OWNER || rc == LEASE_LOST ? 1 : -1;
}

void xsd_lease_ops_default(struct xsd_lease_ops *ops)
{
	ops->status = status;
	ops->renew = renew;
}
