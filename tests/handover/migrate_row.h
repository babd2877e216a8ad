/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * One row of the check-migrate matrix: backend facts come from a real
 * backend spec (backend_parse + migrate_backend_facts), the storage facts
 * are injected (the seam that stands in for statfs on GFS2/OCFS2/NFS...).
 */
#ifndef XH_MIGRATE_ROW_H
#define XH_MIGRATE_ROW_H

#include <string.h>

#include "backend/backend.h"
#include "handover/migrate_safety.h"
#include "t_helpers.h"

struct migrate_row {
	const char *spec;
	bool blockdev;
	uint32_t fs_magic;
	bool read_only, shareable, allow_unsafe;
	/* expected */
	bool safe, overridden;
	enum migrate_rule rule;
	const char *reason_has[3];
};

static inline int migrate_row_check(const struct migrate_row *r)
{
	struct migrate_facts f = { 0 };
	struct migrate_verdict v;
	struct backend b;
	char err[256];

	T_ASSERT(backend_parse(r->spec, &b, err, sizeof(err)) == 0, "%s", err);
	migrate_backend_facts(&b, &f);
	f.is_blockdev = r->blockdev;
	f.fs_known = !r->blockdev;
	f.fs_magic = r->fs_magic;
	f.read_only = r->read_only;
	f.shareable = r->shareable;
	migrate_safety_decide(&f, r->allow_unsafe, &v);
	printf("%s: safe=%d overridden=%d rule=%s fs=%s\n  %s\n", r->spec,
	       v.safe, v.overridden, migrate_rule_name(v.rule), v.fs_name,
	       v.reason);
	T_ASSERT(v.safe == r->safe, "safe=%d want %d", v.safe, r->safe);
	T_ASSERT(v.overridden == r->overridden, "overridden=%d", v.overridden);
	T_ASSERT(v.rule == r->rule, "rule %s want %s",
		 migrate_rule_name(v.rule), migrate_rule_name(r->rule));
	for (int i = 0; i < 3 && r->reason_has[i]; i++)
		T_ASSERT(strstr(v.reason, r->reason_has[i]),
			 "reason lacks '%s'", r->reason_has[i]);
	return T_EXIT_PASS;
}

#endif /* XH_MIGRATE_ROW_H */
