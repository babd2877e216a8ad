// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The operator's break: after the owner host has been fenced, take the
 * lease over at once (optionally rewriting damaged sectors first) and free
 * it marked as broken. It acquires, so it sits above lease_acquire.c and
 * lease.c and neither calls back into it.
 */
#include "lease_internal.h"
#include "common/hint.h"

#include <string.h>

/* Rewrites damaged sectors; only the operator's word makes this safe. */
static int repair(struct lease *l, uint16_t breaker)
{
	char why[256];
	bool leader_bad;
	uint64_t top;
	int ret;

	leader_bad = lease_decode_leader(l->area + LEASE_SECTOR_LEADER * l->ss,
					 l->ss, l->hdr.uuid, &l->leader, why,
					 sizeof(why)) != 0;
	top = lease_highest_version(l, !leader_bad);
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		struct lease_slot_rec s = { .host_id = h };

		if (!lease_decode_slot(l->area +
				       (size_t)LEASE_SECTOR_SLOT(h) * l->ss,
				       l->ss, l->hdr.uuid, h, &s, why,
				       sizeof(why)))
			continue;
		memset(&s, 0, sizeof(s));
		s.host_id = h;
		s.written_unix_ms = lease_wall_ms();
		ret = lease_write_slot(l, &s);
		if (ret)
			return ret;
	}
	if (leader_bad) {
		struct lease_leader_rec r = {
			.version = top, .state = LEASE_LEADER_FREE,
			.timeout_s = l->hdr.timeout_s,
			.writer_host_id = breaker,
			.flags = LEASE_LEADER_FLAG_BROKEN,
			.written_unix_ms = lease_wall_ms(),
		};

		ret = lease_write_leader(l, &r);
		if (ret)
			return ret;
	}
	return LEASE_OK;
}

int lease_break(struct lease *l, const struct lease_holder *breaker,
		bool force, bool do_repair, struct lease_status *after)
{
	struct lease_acquire_opts o = { 0 };
	struct lease_holder got;
	int ret;

	l->err[0] = 0;
	if (!force)
		return lease_fail(l, LEASE_USAGE,
				  "break needs " XH_HINT("lease break", "--force")
				  ": only after the owner has been fenced");
	ret = lease_need_header(l);
	if (ret)
		return ret;
	ret = lease_scan(l);
	if (ret == LEASE_DAMAGED && do_repair)
		ret = repair(l, breaker->host_id);
	if (ret)
		return ret;
	o.host_id = breaker->host_id;
	o.host_name = breaker->host_name[0] ? breaker->host_name : NULL;
	o.token = breaker->token[0] ? breaker->token : NULL;
	o.force = true;
	o.wait_seconds = 5;
	ret = lease_acquire(l, &o, &got, NULL);
	if (ret)
		return ret;
	ret = lease_release_flags(l, &got, 0, LEASE_LEADER_FLAG_BROKEN);
	if (!ret && after)
		ret = lease_read_status(l, after);
	return ret;
}
