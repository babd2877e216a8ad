// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VHD metadata read from block devices (loop, direct I/O on) with 512 and
 * 4096-byte logical sectors: same facts and fingerprint as from the file.
 * The 4096 case is a 2 TiB image (4 MiB BAT) whose footer sits at the end
 * of a device larger than the data (as on a logical volume): valid on the
 * device, a file_size_mismatch as a plain file.
 */
#include <inttypes.h>
#include <string.h>

#include "common/dio.h"
#include "t_helpers.h"
#include "vhd_test.h"
#include "vhd/vhd.h"

static const char *helper(const char *name)
{
	static char path[4096];
	const char *b = getenv("XH_BUILD");

	snprintf(path, sizeof(path), "%s/tests/vhd/%s", b ? b : "build", name);
	return path;
}

static void read_checked(const char *path, struct vhd_info *vi, char fp[65])
{
	char err[256];
	int ret = vhd_open_path(path, NULL, vi, err, sizeof(err));

	T_ASSERT(ret == 0, "%s: %s", path, err);
	T_ASSERT(vhd_fingerprint(vi, fp) == 0, "%s: no fingerprint", path);
}

static void first_error(const struct vhd_info *vi, char *buf, size_t len)
{
	snprintf(buf, len, "none");
	if (vi->nr_errors)
		vhd_error_format(&vi->errors[0], buf, len);
}

static void compare(const char *file, const char *dev, bool file_valid)
{
	struct vhd_info f, d;
	char ffp[65], dfp[65], e[256];

	read_checked(file, &f, ffp);
	read_checked(dev, &d, dfp);
	first_error(&d, e, sizeof(e));
	T_ASSERT(d.is_blockdev && !f.is_blockdev, "%s: not seen as a device",
		 dev);
	T_ASSERT(vhd_valid(&d), "%s: invalid on the device: %s", dev, e);
	first_error(&f, e, sizeof(e));
	if (file_valid) {
		T_ASSERT(vhd_valid(&f), "%s: invalid file: %s", file, e);
	} else {
		T_ASSERT(!vhd_valid(&f) &&
			 f.errors[0].code == VHD_ERR_FILE_SIZE,
			 "%s: padded layout should be file_size_mismatch "
			 "as a file, got %s", file, e);
	}
	T_ASSERT(d.virtual_size == f.virtual_size &&
		 d.allocated_blocks == f.allocated_blocks &&
		 d.max_table_entries == f.max_table_entries,
		 "%s: device and file disagree (%" PRIu64 "/%" PRIu64 ")",
		 dev, d.virtual_size, f.virtual_size);
	T_ASSERT(!strcmp(ffp, dfp), "%s: fingerprint differs from file", dev);
	printf("%s: valid, %u blocks, fingerprint %.16s...\n", dev,
	       d.allocated_blocks, dfp);
	vhd_info_release(&f);
	vhd_info_release(&d);
}

int main(void)
{
	char *qimg = t_path("q.vhd"), *pimg = t_path("padded.vhd");
	const char *dev512, *dev4k;

	if (!t_is_root())
		T_SKIP("loop devices need root");
	vt_qemu_vhd(qimg, "1G",
		    "-c 'write -P 1 0 64k' -c 'write -P 2 700M 64k'");
	/* Exactly 2 TiB: a 4 MiB BAT, last entry allocated. */
	T_ASSERT(!t_system("'%s' '%s' --size %llu --alloc 0,3,1048575 "
			   "--pad-to 4096", helper("helper_vhdgen"), pimg,
			   2ull << 40), "helper_vhdgen fixture");

	dev512 = t_loop_attach(qimg, 512);
	if (!dev512)
		T_SKIP("no loop device available");
	compare(qimg, dev512, true);

	dev4k = t_loop_attach(pimg, 4096);
	T_ASSERT(dev4k, "4096-byte loop device");
	compare(pimg, dev4k, false);
	return T_EXIT_PASS;
}
