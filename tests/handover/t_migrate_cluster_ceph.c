// SPDX-License-Identifier: GPL-2.0 OR MIT
/* check-migrate matrix row: cached backend on CephFS (libvirt accepts it as coherent) is safe. */
#include "migrate_row.h"

int main(void)
{
	static const struct migrate_row row = {
		.spec = "qdisk", .fs_magic = MS_MAGIC_CEPH,
		.safe = true, .rule = MS_RULE_CLUSTER_FS,
		.reason_has = { "ceph" },
	};

	return migrate_row_check(&row);
}
