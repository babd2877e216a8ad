// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: qdisk without direct-io-safe on NFS (shared, not coherent) is refused. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk", .fs_magic = MS_MAGIC_NFS,
		.safe = false, .rule = MS_RULE_UNSAFE_CACHE,
		.reason_has = { "qdisk", "nfs", "not a coherent cluster" },
	};

	return migrate_row_check(&row);
}
