// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench/inspect_engine: time of the VHD engine alone, as a long-running
 * caller (the handover daemon) pays it: the device is opened once and
 * vhd_read_dev() (O_DIRECT reads of footer/header/BAT, full validation)
 * runs N times. Separates the engine from process start-up and from the
 * libaio context teardown every CLI run pays at exit.
 *
 * usage: inspect_engine IMAGE [RUNS]   prints "mean_ms min_ms"
 *        inspect_engine --aio-floor    creates a libaio context and exits:
 *                                      timed from outside, the fixed cost
 *                                      any one-shot libaio process pays
 *                                      (the kernel tears the context down
 *                                      after RCU grace periods, and exit
 *                                      waits for it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dio.h"
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
	struct dio_dev dev;
	char err[256];

	if (argc == 2 && !strcmp(argv[1], "--aio-floor")) {
		io_context_t ctx = 0;

		return io_setup(1, &ctx) ? 1 : 0;
	}
	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: inspect_engine IMAGE [RUNS]\n");
		return 2;
	}
	if (dio_open(&dev, argv[1], DIO_READ_ONLY, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 4;
	}
	for (int i = 0; i < runs; i++) {
		struct vhd_info vi;
		double t0 = now_ms(), dt;
		int ret = vhd_read_dev(&dev, NULL, &vi, err, sizeof(err));

		dt = now_ms() - t0;
		if (ret || !vhd_valid(&vi)) {
			fprintf(stderr, "%s: %s\n", argv[1],
				ret ? err : "invalid image");
			vhd_info_release(&vi);
			dio_close(&dev);
			return 3;
		}
		vhd_info_release(&vi);
		total += dt;
		if (dt < min)
			min = dt;
	}
	dio_close(&dev);
	printf("%.3f %.3f\n", total / runs, min);
	return 0;
}
