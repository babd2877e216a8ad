// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A source and a destination must compute the same metadata fingerprint
 * whatever their CPUs: nettle's SHA-256 with the x86 SHA extensions
 * (SHA-NI) and its generic code (as on a CPU without them) give the same
 * digests as sha256sum on every length around the block boundaries (in
 * one update and in odd pieces) and the same fingerprint of small and
 * large qemu-img images.
 *
 * nettle picks its implementation once, at load time, so this program runs
 * itself twice: as nettle chooses on this CPU and with
 * NETTLE_FAT_OVERRIDE=none, both with NETTLE_FAT_VERBOSE=1 to see which
 * code ran. Each run prints its digests and fingerprints; the two outputs
 * must be equal, and each must match sha256sum.
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

static void blob(uint8_t buf[300])
{
	for (int i = 0; i < 300; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
}

static size_t next_len(size_t len)
{
	return len + (len < 130 ? 1 : 17);
}

/* The child: digests of the blob's prefixes and the images' fingerprints. */
static int child(int argc, char **argv)
{
	uint8_t buf[300];
	char one[65], pieces[65];

	blob(buf);
	for (size_t len = 0; len <= 300; len = next_len(len)) {
		sha(buf, len, len ? len : 1, one);
		sha(buf, len, 37, pieces);
		printf("len %zu %s %s\n", len, one, pieces);
	}
	for (int i = 2; i < argc; i++) {
		struct vhd_info vi;
		char err[256], fp[65];

		if (vhd_open_path(argv[i], NULL, &vi, err, sizeof(err)) ||
		    vhd_fingerprint(&vi, fp)) {
			fprintf(stderr, "%s: %s\n", argv[i], err);
			return 1;
		}
		printf("fingerprint %s %s\n", argv[i], fp);
		vhd_info_release(&vi);
	}
	return 0;
}

static char *slurp(const char *path)
{
	static char bufs[2][64 * 1024];
	static int which;
	char *b = bufs[which++ & 1];
	FILE *f = fopen(path, "r");
	size_t n;

	T_ASSERT(f, "open %s", path);
	n = fread(b, 1, sizeof(bufs[0]) - 1, f);
	fclose(f);
	b[n] = 0;
	return b;
}

/* Runs the child with @env; its stdout and stderr into @out and @err. */
static void run_child(const char *self, const char *env, const char *v1,
		      const char *v2, const char *out, const char *err)
{
	T_ASSERT(!t_system("env NETTLE_FAT_VERBOSE=1 %s '%s' --child '%s' '%s' "
			   ">'%s' 2>'%s'", env, self, v1, v2, out, err),
		 "child with '%s' failed: %s", env, slurp(err));
}

int main(int argc, char **argv)
{
	const char *v1 = t_path("a.vhd"), *v2 = t_path("b.vhd");
	const char *o1 = t_path("out.sha_ni"), *e1 = t_path("err.sha_ni");
	const char *o2 = t_path("out.generic"), *e2 = t_path("err.generic");
	const char *f = t_path("blob");
	char *a, *b, line[200], want[160];
	uint8_t buf[300];

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child(argc, argv);

	vt_qemu_vhd(v1, "64M", "-c 'write -P 0x33 3M 100k'");
	vt_qemu_vhd(v2, "300G", "-c 'write -P 0x44 100G 64k'");
	run_child(argv[0], "", v1, v2, o1, e1);
	run_child(argv[0], "NETTLE_FAT_OVERRIDE=none", v1, v2, o2, e2);
	if (!strstr(slurp(e1), "using sha_ni instructions") ||
	    strstr(slurp(e1), "not using sha_ni"))
		T_SKIP("nettle does not use SHA-NI here (no SHA extensions, "
		       "or not a fat build): %.200s", slurp(e1));
	T_ASSERT(strstr(slurp(e2), "not using sha_ni instructions"),
		 "NETTLE_FAT_OVERRIDE=none still used SHA-NI: %.200s",
		 slurp(e2));

	/* Same digests and fingerprints from both implementations. */
	a = strdup(slurp(o1));
	b = slurp(o2);
	T_ASSERT(a && !strcmp(a, b), "SHA-NI and generic differ:\n%s\n---\n%s",
		 a, b);
	T_ASSERT(strstr(a, "fingerprint ") && strstr(a, v2),
		 "no fingerprints in the output: %s", a);

	/* And they are SHA-256: sha256sum on every length. */
	blob(buf);
	for (size_t len = 0; len <= 300; len = next_len(len)) {
		FILE *out = fopen(f, "w"), *p;

		T_ASSERT(out && fwrite(buf, 1, len, out) == len &&
			 fclose(out) == 0, "write blob");
		snprintf(line, sizeof(line), "sha256sum '%s'", f);
		p = popen(line, "r");
		T_ASSERT(p && fgets(line, sizeof(line), p), "sha256sum");
		pclose(p);
		snprintf(want, sizeof(want), "len %zu %.64s %.64s\n", len,
			 line, line);
		T_ASSERT(strstr(a, want), "len %zu: want %.64s", len, line);
	}
	free(a);
	printf("SHA-NI and generic SHA-256 agree with sha256sum and on both "
	       "fingerprints\n");
	return T_EXIT_PASS;
}
