// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: tapdisk (O_DIRECT by default) on a local filesystem is safe. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "tapdisk:4242:3", .fs_magic = MS_MAGIC_EXT4,
		.safe = true, .rule = MS_RULE_DIRECT_IO,
		.reason_has = { "tapdisk", "O_DIRECT" },
	};

	return migrate_row_check(&row);
}
