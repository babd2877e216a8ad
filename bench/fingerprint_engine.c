// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench/fingerprint_engine: time of the metadata fingerprint alone (what a
 * handover pays twice, on the source at deactivate and on the destination
 * before it serves): the image's metadata is read once, then
 * vhd_fingerprint() hashes it N times.
 *
 * usage: fingerprint_engine IMAGE [RUNS]
 *        prints "mean_ms min_ms MiB_per_s hashed_bytes"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vhd/vhd.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 200;
	double total = 0, min = 1e30;
	struct vhd_info vi;
	char err[256], fp[65], first[65];
	double bytes;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: fingerprint_engine IMAGE [RUNS]\n");
		return 2;
	}
	if (vhd_open_path(argv[1], NULL, &vi, err, sizeof(err)) ||
	    !vhd_valid(&vi)) {
		fprintf(stderr, "%s: %s\n", argv[1], err[0] ? err : "invalid");
		vhd_info_release(&vi);
		return 3;
	}
	/* Footer, header, BAT, batmap header and batmap, as hashed. */
	bytes = 512.0 + 1024 + 4.0 * vi.max_table_entries + 512 +
		512.0 * vi.batmap_sectors;
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms(), dt;

		if (vhd_fingerprint(&vi, fp)) {
			fprintf(stderr, "%s: no fingerprint\n", argv[1]);
			vhd_info_release(&vi);
			return 3;
		}
		dt = now_ms() - t0;
		if (!i)
			memcpy(first, fp, sizeof(first));
		else if (strcmp(first, fp)) {
			fprintf(stderr, "fingerprint changed between runs\n");
			return 3;
		}
		total += dt;
		if (dt < min)
			min = dt;
	}
	vhd_info_release(&vi);
	printf("%.3f %.3f %.0f %.0f\n", total / runs, min,
	       bytes / (1 << 20) / (min / 1e3), bytes);
	return 0;
}
