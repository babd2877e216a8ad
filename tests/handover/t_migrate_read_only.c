// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: a read-only disk is safe whatever the cache mode. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk", .fs_magic = MS_MAGIC_EXT4, .read_only = true,
		.safe = true, .rule = MS_RULE_READ_ONLY,
		.reason_has = { "read-only" },
	};

	return migrate_row_check(&row);
}
