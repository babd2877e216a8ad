// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Metadata fingerprint and the two drivers: the O_DIRECT reader and the
 * in-memory parser give the same verdict and fingerprint; the fingerprint
 * stays when data is rewritten inside allocated blocks and changes when a
 * block is allocated (what a handover must notice).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t_helpers.h"
#include "vhd_test.h"
#include "vhd/vhd.h"

static void fp_of(const char *path, char fp[65], uint32_t *blocks)
{
	struct vhd_info vi;
	char err[256];

	T_ASSERT(vhd_open_path(path, NULL, &vi, err, sizeof(err)) == 0, "%s",
		 err);
	T_ASSERT(vhd_valid(&vi), "%s: invalid", path);
	T_ASSERT(vhd_fingerprint(&vi, fp) == 0, "no fingerprint");
	*blocks = vi.allocated_blocks;
	vhd_info_release(&vi);
}

static void fp_in_memory(const char *path, char fp[65], uint32_t *blocks)
{
	struct vhd_info vi;
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	T_ASSERT(fd >= 0 && !fstat(fd, &st), "open %s", path);
	buf = malloc((size_t)st.st_size);
	T_ASSERT(buf && pread(fd, buf, (size_t)st.st_size, 0) == st.st_size,
		 "read %s", path);
	close(fd);
	T_ASSERT(vhd_parse_image(buf, (size_t)st.st_size, NULL, &vi) == 0,
		 "parse");
	T_ASSERT(vhd_valid(&vi), "%s: invalid in memory", path);
	T_ASSERT(vhd_fingerprint(&vi, fp) == 0, "no fingerprint");
	*blocks = vi.allocated_blocks;
	vhd_info_release(&vi);
	free(buf);
}

int main(void)
{
	char *img = t_path("fp.vhd");
	char a[65], b[65], c[65], m[65];
	uint32_t na, nb, nc, nm;
	struct vhd_info none;

	vt_qemu_vhd(img, "256M", "-c 'write -P 1 0 64k'");

	fp_of(img, a, &na);
	fp_in_memory(img, m, &nm);
	T_ASSERT(!strcmp(a, m) && na == nm,
		 "O_DIRECT and in-memory disagree: %s vs %s", a, m);
	T_ASSERT(strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64,
		 "fingerprint is not 64 hex digits: %s", a);

	/* Rewrite inside the allocated block: metadata unchanged. */
	T_ASSERT(!t_system("qemu-io -f vpc -c 'write -P 9 0 64k' '%s' "
			   ">/dev/null", img), "rewrite");
	fp_of(img, b, &nb);
	T_ASSERT(!strcmp(a, b) && na == nb, "data rewrite changed it");

	/* Allocate a new block: BAT changes, so must the fingerprint. */
	T_ASSERT(!t_system("qemu-io -f vpc -c 'write -P 3 100M 4k' '%s' "
			   ">/dev/null", img), "allocate");
	fp_of(img, c, &nc);
	T_ASSERT(strcmp(a, c) && nc == na + 1,
		 "allocation not seen: %s -> %s, %u -> %u blocks", a, c, na,
		 nc);

	/* No footer read: no fingerprint, and release is safe. */
	T_ASSERT(vhd_parse_image("short", 5, NULL, &none) == 0, "parse short");
	T_ASSERT(!vhd_valid(&none) && none.errors[0].code == VHD_ERR_TRUNCATED,
		 "5-byte image not truncated");
	T_ASSERT(vhd_fingerprint(&none, m) < 0, "fingerprint without footer");
	vhd_info_release(&none);
	vhd_info_release(&none);
	printf("fingerprint %s stable over rewrites, changed to %s\n", a, c);
	return T_EXIT_PASS;
}
