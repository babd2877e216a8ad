// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: a caching backend on a plain block device is refused. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk", .blockdev = true,
		.safe = false, .rule = MS_RULE_UNSAFE_CACHE,
		.reason_has = { "block device" },
	};

	return migrate_row_check(&row);
}
