// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: tapdisk started with -D (page cache) on ext4 is refused. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "tapdisk:4242:3,no-o-direct", .fs_magic = MS_MAGIC_EXT4,
		.safe = false, .rule = MS_RULE_UNSAFE_CACHE,
		.reason_has = { "page cache", "ext4", "--unsafe" },
	};

	return migrate_row_check(&row);
}
