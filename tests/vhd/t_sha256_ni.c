// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The SHA-NI block function of vhd_sha256.c gives the portable one's
 * digests: FIPS 180-4 answers and sha256sum on every length around the
 * block boundaries (in one update and in odd pieces), and the same
 * metadata fingerprint on small and large qemu-img images.
 */
#include <string.h>

#include "t_helpers.h"
#include "vhd_test.h"
#include "vhd/vhd.h"
#include "vhd/vhd_parser.h"

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha(const void *p, size_t len, size_t piece, char out[65])
{
	struct vhd_sha256 s;
	uint8_t d[32];

	vhd_sha256_init(&s);
	for (size_t off = 0; off < len; off += piece)
		vhd_sha256_update(&s, (const uint8_t *)p + off,
				  len - off < piece ? len - off : piece);
	vhd_sha256_final(&s, d);
	hex(d, out);
}

/* Both block functions against sha256sum, lengths 0..300. */
static void known_answers(const char *mode)
{
	static const char *abc =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char *empty =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const char *f = t_path("blob");
	char got[65], line[200];
	uint8_t buf[300];

	sha("abc", 3, 3, got);
	T_ASSERT(!strcmp(got, abc), "%s: sha256(abc) = %s", mode, got);
	sha("", 0, 1, got);
	T_ASSERT(!strcmp(got, empty), "%s: sha256('') = %s", mode, got);
	for (int i = 0; i < 300; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t len = 0; len <= 300; len += (len < 130 ? 1 : 17)) {
		FILE *out = fopen(f, "w"), *p;

		T_ASSERT(out && fwrite(buf, 1, len, out) == len &&
			 fclose(out) == 0, "write blob");
		snprintf(line, sizeof(line), "sha256sum '%s'", f);
		p = popen(line, "r");
		T_ASSERT(p && fgets(line, sizeof(line), p), "sha256sum");
		pclose(p);
		sha(buf, len, len ? len : 1, got);
		T_ASSERT(!strncmp(got, line, 64), "%s: len %zu: %s vs %.64s",
			 mode, len, got, line);
		sha(buf, len, 37, got);
		T_ASSERT(!strncmp(got, line, 64), "%s: len %zu in pieces: %s",
			 mode, len, got);
	}
}

static void same_fingerprint(const char *path)
{
	struct vhd_info vi;
	char err[256], portable[65], accel[65];

	T_ASSERT(vhd_open_path(path, NULL, &vi, err, sizeof(err)) == 0, "%s",
		 err);
	T_ASSERT(!vhd_sha256_select(false), "portable selectable");
	T_ASSERT(vhd_fingerprint(&vi, portable) == 0, "portable");
	T_ASSERT(vhd_sha256_select(true), "SHA-NI selectable");
	T_ASSERT(vhd_fingerprint(&vi, accel) == 0, "SHA-NI");
	T_ASSERT(!strcmp(portable, accel), "%s: portable %s, SHA-NI %s", path,
		 portable, accel);
	vhd_info_release(&vi);
}

int main(void)
{
	const char *v1 = t_path("a.vhd"), *v2 = t_path("b.vhd");

	if (!vhd_sha256_select(true))
		T_SKIP("no SHA-NI on this CPU (or not an x86-64 build)");
	known_answers("SHA-NI");
	T_ASSERT(!vhd_sha256_select(false), "portable selectable");
	known_answers("portable");

	vt_qemu_vhd(v1, "64M", "-c 'write -P 0x33 3M 100k'");
	same_fingerprint(v1);
	vt_qemu_vhd(v2, "300G", "-c 'write -P 0x44 100G 64k'");
	same_fingerprint(v2);
	return T_EXIT_PASS;
}
