// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: an unidentified filesystem with a caching backend is refused. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk", .fs_magic = 0x12345678u,
		.safe = false, .rule = MS_RULE_UNSAFE_CACHE,
		.reason_has = { "unknown" },
	};

	return migrate_row_check(&row);
}
