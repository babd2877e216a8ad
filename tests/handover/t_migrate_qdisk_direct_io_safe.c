// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: qdisk with direct-io-safe on NFS is safe. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk,direct-io-safe", .fs_magic = MS_MAGIC_NFS,
		.safe = true, .rule = MS_RULE_DIRECT_IO,
		.reason_has = { "direct-io-safe" },
	};

	return migrate_row_check(&row);
}
