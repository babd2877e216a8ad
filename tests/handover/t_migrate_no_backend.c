// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: no live backend (offline handover) is safe. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "none", .fs_magic = MS_MAGIC_EXT4,
		.safe = true, .rule = MS_RULE_NO_BACKEND,
		.reason_has = { "no live backend" },
	};

	return migrate_row_check(&row);
}
