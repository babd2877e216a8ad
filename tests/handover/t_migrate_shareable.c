// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: a shareable disk is safe whatever the cache mode. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "tapdisk:9:1,no-o-direct", .fs_magic = MS_MAGIC_XFS,
		.shareable = true,
		.safe = true, .rule = MS_RULE_SHAREABLE,
		.reason_has = { "shareable" },
	};

	return migrate_row_check(&row);
}
