// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The SHA-NI fingerprint adapter gives byte-for-byte the VHD engine's
 * fingerprint (on images with and without batmap-less BATs, small and
 * large), and its SHA-256 matches FIPS 180-4 answers and sha256sum on
 * every length around the block boundaries.
 */
#include "handover_fingerprint.h"
#include "handover_test.h"

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void same_as_engine(const char *path)
{
	struct vhd_info vi;
	char err[256], a[65], b[65];

	memset(&vi, 0, sizeof(vi));
	T_ASSERT(vhd_open_path(path, NULL, &vi, err, sizeof(err)) == 0, "%s",
		 err);
	T_ASSERT(vhd_fingerprint(&vi, a) == 0, "engine");
	T_ASSERT(handover_fingerprint(&vi, b) == 0, "adapter");
	T_ASSERT(!strcmp(a, b), "%s: engine %s, adapter %s", path, a, b);
	vhd_info_release(&vi);
}

int main(void)
{
	static const char *abc_digest =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char *empty_digest =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	uint8_t d[32], *buf;
	char got[65], line[200];
	const char *f = t_path("blob"), *v1 = t_path("a.vhd"),
		   *v2 = t_path("b.vhd");

	if (!handover_sha256_accelerated())
		T_SKIP("no SHA-NI on this CPU: the adapter calls the engine");
	handover_sha256("abc", 3, d);
	hex(d, got);
	T_ASSERT(!strcmp(got, abc_digest), "sha256(abc) = %s", got);
	handover_sha256("", 0, d);
	hex(d, got);
	T_ASSERT(!strcmp(got, empty_digest), "sha256('') = %s", got);

	buf = malloc(300);
	T_ASSERT(buf, "malloc");
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
		handover_sha256(buf, len, d);
		hex(d, got);
		T_ASSERT(!strncmp(got, line, 64), "len %zu: %s vs %.64s", len,
			 got, line);
	}
	free(buf);

	ht_make_vhd(v1, "64M");
	ht_qemu_io(v1, "write -P 0x33 3M 100k");
	same_as_engine(v1);
	ht_make_vhd(v2, "300G");
	ht_qemu_io(v2, "write -P 0x44 100G 64k");
	same_as_engine(v2);
	return T_EXIT_PASS;
}
