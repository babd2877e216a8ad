// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host self-test of the guest workload: run the record load against a
 * scratch file, then check that verify reports a clean disk as clean and
 * catches an injected stale record, a torn record and a lost write; and
 * that the mailbox parser rejects malformed commands.
 * Exit 0 pass, 1 fail, 77 skip (no O_DIRECT on the scratch directory).
 */
#include "load.h"
#include "mailbox.h"
#include "record.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } \
} while (0)

static void put_block(int fd, uint64_t blk, const void *data)
{
	void *buf;

	if (posix_memalign(&buf, XH_BLOCK_SIZE, XH_BLOCK_SIZE))
		abort();
	memcpy(buf, data, XH_BLOCK_SIZE);
	if (pwrite(fd, buf, XH_BLOCK_SIZE, (off_t)(blk * XH_BLOCK_SIZE)) != XH_BLOCK_SIZE)
		abort();
	free(buf);
}

static void test_mailbox(int fd)
{
	static const char *bad[] = {
		"XHMB x load\n", "XHMB 1 \n", "XHMB 1 load", "xhmb 1 load\n",
		"XHMB 1 averyveryverylongcommandname\n", "XHMB 99999999999999999999999 load\n",
	};
	unsigned char blk[XH_BLOCK_SIZE];
	struct xh_mbox_cmd c;
	void *scratch;
	uint64_t v = 0;

	if (posix_memalign(&scratch, XH_BLOCK_SIZE, XH_BLOCK_SIZE))
		abort();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(blk, 0, sizeof(blk));
		memcpy(blk, bad[i], strlen(bad[i]));
		put_block(fd, 0, blk);
		CHECK(xh_mbox_read(fd, scratch, &c) == 0);
	}
	memset(blk, 'A', sizeof(blk));	/* no terminator anywhere */
	put_block(fd, 0, blk);
	CHECK(xh_mbox_read(fd, scratch, &c) == 0);
	memset(blk, 0, sizeof(blk));
	strcpy((char *)blk, "XHMB 7 load pace_us=250 max_s=30\n");
	put_block(fd, 0, blk);
	CHECK(xh_mbox_read(fd, scratch, &c) == 1);
	CHECK(c.seq == 7 && strcmp(c.cmd, "load") == 0);
	CHECK(xh_args_get_u64(c.args, "max_s", &v) == 0 && v == 30);
	CHECK(xh_args_get_u64(c.args, "pace_us", &v) == 0 && v == 250);
	CHECK(xh_args_get_u64(c.args, "pace", &v) == -1);
	CHECK(xh_args_get_u64("max_s=3x", "max_s", &v) == -1);
	free(scratch);
}

int main(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	char path[4096];
	unsigned char blk[XH_BLOCK_SIZE];
	struct xh_verify_result r;
	struct xh_load l;
	int fd;

	snprintf(path, sizeof(path), "%s/xh-test-verify.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT, 0600);
	if (fd < 0) {
		fprintf(stderr, "SKIP: O_DIRECT open in %s: %s\n", dir, strerror(errno));
		return 77;
	}
	unlink(path);
	if (ftruncate(fd, 1 << 20) < 0)
		return 1;

	test_mailbox(fd);

	if (xh_load_init(&l, fd, 8, 16, 0x1234) < 0) {
		fprintf(stderr, "SKIP: io_setup: %s\n", strerror(errno));
		return 77;
	}
	CHECK(xh_load_start(&l, 0, 0) == 0);
	while (l.nr_completed < 200)
		CHECK(xh_load_poll(&l, 1000) >= 0);
	CHECK(xh_load_stop(&l, 10000) == 0);
	CHECK(xh_verify(&l, &r, stdout) == 0);
	CHECK(r.blocks == 8 && r.ok == 8 && r.stale == 0 && r.corrupt == 0 && r.future == 0);

	/* An older record in block 3: what the source's delayed write leaves. */
	xh_record_fill(blk, l.run_id, 3, l.completed[3] - 1);
	put_block(fd, 16 + 3, blk);
	/* A torn record in block 5. */
	xh_record_fill(blk, l.run_id, 5, l.completed[5]);
	blk[2000] ^= 1;
	put_block(fd, 16 + 5, blk);
	/* A lost write in block 6 (zeroes). */
	memset(blk, 0, sizeof(blk));
	put_block(fd, 16 + 6, blk);
	/* A record the guest never completed in block 7. */
	xh_record_fill(blk, l.run_id, 7, l.next_seq + 10);
	put_block(fd, 16 + 7, blk);
	CHECK(xh_verify(&l, &r, stdout) == 0);
	CHECK(r.ok == 4 && r.stale == 2 && r.corrupt == 1 && r.future == 1);

	xh_load_free(&l);
	close(fd);
	if (failures)
		return 1;
	printf("PASS test-verify\n");
	return 0;
}
