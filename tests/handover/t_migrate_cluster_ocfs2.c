// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: cached backend on OCFS2 (coherent cluster FS) is safe. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "tapdisk:1:0,no-o-direct", .fs_magic = MS_MAGIC_OCFS2,
		.safe = true, .rule = MS_RULE_CLUSTER_FS,
		.reason_has = { "ocfs2" },
	};

	return migrate_row_check(&row);
}
