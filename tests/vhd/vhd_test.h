/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Shared by the VHD engine tests: fixtures made by qemu-img/qemu-io (the
 * real producer). Header-only (static inline) because each test is one
 * program.
 */
#ifndef XH_VHD_TEST_H
#define XH_VHD_TEST_H

#include "t_helpers.h"

/*
 * A dynamic VHD of @size (qemu-img syntax) at @path with the qemu-io
 * arguments @io applied (e.g. "-c 'write -P 1 0 64k'"). Skips the test
 * when qemu-img or qemu-io is missing.
 */
static inline void vt_qemu_vhd(const char *path, const char *size,
			       const char *io)
{
	if (t_system("command -v qemu-img >/dev/null && command -v qemu-io "
		     ">/dev/null"))
		T_SKIP("qemu-img/qemu-io missing");
	T_ASSERT(!t_system("qemu-img create -q -f vpc -o subformat=dynamic "
			   "'%s' %s && qemu-io -f vpc %s '%s' >/dev/null",
			   path, size, io, path), "qemu-img fixture %s", path);
}

#endif /* XH_VHD_TEST_H */
