// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A guest gone wild, for the daemon tests: writes PATH COUNT times as fast
 * as libxenstore allows, cycling through values (valid and hostile), and
 * prints the rate. Usage: helper_xsstorm PATH COUNT [SIZE]
 * With SIZE, every value is SIZE bytes of junk instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

int main(int argc, char **argv)
{
	static const char *const values[] = {
		"1", "4", "3", "drained", "timeout", "error", "99", "-1", " 4",
		"4\n", "drained ", "0x4", "",
	};
	struct xs_handle *h;
	struct timespec a, b;
	long count, size = 0;
	char *junk = NULL;
	double secs;

	if (argc < 3) {
		fprintf(stderr, "usage: %s PATH COUNT [SIZE]\n", argv[0]);
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	if (argc > 3)
		size = strtol(argv[3], NULL, 10);
	h = xs_open(0);
	if (!h) {
		perror("xs_open");
		return 1;
	}
	if (size > 0) {
		junk = malloc((size_t)size);
		if (!junk)
			return 1;
		memset(junk, 'x', (size_t)size);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < count; i++) {
		const char *v = junk ? junk : values[i % 13];
		unsigned int len = junk ? (unsigned int)size :
			(unsigned int)strlen(v);

		if (!xs_write(h, XBT_NULL, argv[1], v, len)) {
			perror("xs_write");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%ld writes in %.3f s (%.0f/s)\n", count, secs, count / secs);
	free(junk);
	xs_close(h);
	return 0;
}
