// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: --unsafe lets an unsafe configuration through, marked overridden. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk", .fs_magic = MS_MAGIC_EXT4, .allow_unsafe = true,
		.safe = false, .overridden = true, .rule = MS_RULE_UNSAFE_CACHE,
		.reason_has = { "overridden by --unsafe" },
	};

	return migrate_row_check(&row);
}
