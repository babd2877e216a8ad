// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "verify.h"
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xh_verify(const struct xh_load *l, struct xh_verify_result *r, FILE *detail)
{
	unsigned char *buf;

	memset(r, 0, sizeof(*r));
	if (l->inflight) {
		errno = EBUSY;
		return -1;
	}
	if (posix_memalign((void **)&buf, XH_BLOCK_SIZE, XH_BLOCK_SIZE))
		return -1;
	r->blocks = l->nblocks;
	for (uint32_t b = 0; b < l->nblocks; b++) {
		off_t off = (off_t)((l->base_block + b) * XH_BLOCK_SIZE);
		uint64_t want = l->completed[b], have = 0;
		enum xh_record_status st;

		if (pread(l->fd, buf, XH_BLOCK_SIZE, off) != (ssize_t)XH_BLOCK_SIZE) {
			r->ioerr++;
			fprintf(detail, "XH-G block %u IOERR want=%llu\n", b,
				(unsigned long long)want);
			continue;
		}
		st = xh_record_check(buf, l->run_id, b, &have);
		if (st == XH_REC_CORRUPT) {
			r->corrupt++;
			fprintf(detail, "XH-G block %u CORRUPT want=%llu\n", b,
				(unsigned long long)want);
		} else if (st == XH_REC_EMPTY) {
			if (want == 0) {
				r->ok++;
			} else {
				r->stale++;
				fprintf(detail, "XH-G block %u STALE have=none want=%llu\n", b,
					(unsigned long long)want);
			}
		} else if (have == want) {
			r->ok++;
		} else if (have < want) {
			r->stale++;
			fprintf(detail, "XH-G block %u STALE have=%llu want=%llu\n", b,
				(unsigned long long)have, (unsigned long long)want);
		} else {
			r->future++;
			fprintf(detail, "XH-G block %u FUTURE have=%llu want=%llu\n", b,
				(unsigned long long)have, (unsigned long long)want);
		}
	}
	free(buf);
	return 0;
}
