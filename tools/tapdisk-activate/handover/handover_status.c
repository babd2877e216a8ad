// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * handover_status: what `tapdisk-activate status` shows of a VDI, gathered
 * here so that the CLI only prints: the lease as read now, what the
 * backend says (with --backend), and which handover records to show.
 */
#include <stdio.h>
#include <string.h>

#include "handover.h"

/* Record paths: the one asked for, or every host's beside the lease. */
static void find_records(const struct handover_opts *o,
			 struct handover_status *s)
{
	char pattern[HANDOVER_STATE_PATH_MAX + 32];

	if (o->state_path) {
		snprintf(s->one, sizeof(s->one), "%s", o->state_path);
	} else if (o->host_id) {
		if (handover_state_default_path(s->lease_path, o->vdi,
						o->host_id, s->one,
						sizeof(s->one)))
			s->one[0] = '\0';
	} else {
		snprintf(pattern, sizeof(pattern), "%s.host*.state",
			 s->lease_path);
		glob(pattern, 0, NULL, &s->records);
	}
}

int handover_status(const struct handover_opts *o, struct handover_status *s,
		    char *err, size_t errlen)
{
	struct lease *l = NULL;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = handover_lease_open(o, &l, s->lease_path, sizeof(s->lease_path),
				  err, errlen);
	if (ret == LEASE_OK) {
		ret = lease_read_status(l, &s->lease);
		if (ret != LEASE_OK)
			snprintf(err, errlen, "%s",
				 lease_last_error(l) ? lease_last_error(l) :
				 lease_strerror(ret));
	}
	lease_close(l);
	if (ret != LEASE_OK)
		return ret;
	s->backend_result = BACKEND_OK;
	if (o->backend.kind != BACKEND_NONE)
		s->backend_result = backend_query(&o->backend, &s->backend,
						  o->timeout_ms, s->backend_err,
						  sizeof(s->backend_err));
	find_records(o, s);
	return LEASE_OK;
}

void handover_status_release(struct handover_status *s)
{
	globfree(&s->records);
}
