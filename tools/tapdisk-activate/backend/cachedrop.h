/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cachedrop: make this host forget what it cached of an image.
 *
 * Before a destination reads metadata the source just wrote, any page this
 * host cached earlier is a lie. Regular files: fdatasync (so nothing dirty
 * of ours is thrown away), then posix_fadvise(DONTNEED) over the whole
 * file. Block devices: BLKFLSBUF, which writes back and invalidates the
 * device's page cache. On the source side the same call is the "flush"
 * step of deactivate: our dirty pages reach the storage before the lease
 * is released.
 */
#ifndef TAPDISK_ACTIVATE_CACHEDROP_H
#define TAPDISK_ACTIVATE_CACHEDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cachedrop_result {
	bool is_blockdev;
	uint64_t size;
};

/* 0 or -errno with a message in @err. */
int cachedrop_path(const char *path, struct cachedrop_result *res,
		   char *err, size_t errlen);

/*
 * Counts resident pages of a file with mincore (tests). Costs a byte per
 * page of the file's size, sparse or not: not for 2 TiB images.
 */
int64_t cachedrop_resident_pages(const char *path);

#endif /* TAPDISK_ACTIVATE_CACHEDROP_H */
