// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: blkback over a dm device (bios, no page cache) is safe. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "dm:vg-vdi", .blockdev = true,
		.safe = true, .rule = MS_RULE_DIRECT_IO,
		.reason_has = { "blkback" },
	};

	return migrate_row_check(&row);
}
