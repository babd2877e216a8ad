// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What "released clean" is decided from, piece by piece: tapdisk's STATS
 * sector counters and requests outstanding (tapdisk's own text at the
 * pinned blktap revision), a block device's statistics as the kernel
 * writes /sys/block/DEV/stat in its three lengths (dm), and blktap's CBT
 * log header: its consistent flag read and cleared, and a file that is
 * not a CBT log of the size its header states left untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t_helpers.h"
#include "backend/backend.h"
#include "backend/tapctl.h"

/* tap-ctl stats of a paused VBD after one 64 KiB write and some reads. */
static const char written_text[] =
	"{ \"name\": \"vhd:/var/tmp/x/a.vhd\", \"secs\": [ 384, 128 ], "
	"\"images\": [  ], \"FIXME_enospc_redirect_count\": 0, "
	"\"nbd_mirror_failed\": 0, \"reqs_outstanding\": 0, "
	"\"read_caching\": \"false\" }";

static void test_stats(void)
{
	struct tapctl_stats st;

	T_ASSERT(tapctl_parse_stats(written_text, strlen(written_text), &st)
		 == 0, "tapdisk text");
	T_ASSERT(st.has_secs && st.secs_read == 384 &&
		 st.secs_written == 128 && st.reqs_outstanding == 0,
		 "secs %d %llu/%llu outstanding %d", st.has_secs,
		 (unsigned long long)st.secs_read,
		 (unsigned long long)st.secs_written, st.reqs_outstanding);
	T_ASSERT(tapctl_parse_stats("{ \"images\": [ ] }", 17, &st) == 0 &&
		 !st.has_secs && st.reqs_outstanding == -1,
		 "no counters: unknown, not zero");
	T_ASSERT(tapctl_parse_stats("{ \"secs\": [ 1 ] }", 17, &st) ==
		 -EPROTO, "one counter");
	T_ASSERT(tapctl_parse_stats("{ \"secs\": [ -1, 0 ] }", 21, &st) ==
		 -EPROTO, "negative");
	T_ASSERT(tapctl_parse_stats("{ \"secs\": [ 0, 18446744073709551616 ] }",
				    39, &st) == -EPROTO, "2^64");
	T_ASSERT(tapctl_parse_stats("{ \"reqs_outstanding\": 4294967296 }",
				    34, &st) == -EPROTO, "outstanding > int");
}

static void test_blockstat(void)
{
	uint64_t w, d, f;

	/* 6.1: 17 fields */
	T_ASSERT(backend_parse_blockstat("     120        0     9600       40 "
					 "      7        1      64       12 "
					 "       2       52       52        3 "
					 "       0      512        0        0 "
					 "       0\n", &w, &d, &f) == 0 &&
		 w == 7 && d == 3 && f == 2, "17 fields: %llu %llu %llu",
		 (unsigned long long)w, (unsigned long long)d,
		 (unsigned long long)f);
	/* 4.18..5.4: 15 fields; up to 4.17: 11, no discards */
	T_ASSERT(backend_parse_blockstat("1 0 8 0 0 0 0 0 0 0 0 5 0 40 0\n",
					 &w, &d, &f) == 0 && !w && d == 5 &&
		 !f, "15 fields");
	T_ASSERT(backend_parse_blockstat("1 0 8 0 4 0 32 0 0 0 0\n", &w, &d,
					 &f) == 0 && w == 4 && !d, "11 fields");
	T_ASSERT(backend_parse_blockstat("1 0 8 0 4 0 32 0 0 0\n", &w, &d,
					 &f) == -EPROTO, "10 fields");
	T_ASSERT(backend_parse_blockstat("1 0 8 0 x 0 32 0 0 0 0\n", &w, &d,
					 &f) == -EPROTO, "not a number");
	T_ASSERT(backend_parse_blockstat("", &w, &d, &f) == -EPROTO, "empty");
}

static void write_log(const char *path, uint64_t disk, int32_t flag,
		      size_t len)
{
	unsigned char buf[4096] = { 0 };
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memcpy(buf + 32, &flag, sizeof(flag));
	memcpy(buf + 40, &disk, sizeof(disk));
	T_ASSERT(fd >= 0 && len <= sizeof(buf) &&
		 write(fd, buf, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

static void test_cbt(void)
{
	const char *log = t_path("d.cbtlog"), *other = t_path("other");
	unsigned char before[4096], after[4096];
	char err[512];
	int fd;

	/* 64 MiB disk: 1024 blocks of 64 KiB, 128 bitmap bytes */
	write_log(log, 64ull << 20, 1, 48 + 128);
	T_ASSERT(backend_cbt_consistent(log, err, sizeof(err)) == 1, "%s",
		 err);
	T_ASSERT(backend_cbt_mark_inconsistent(log, err, sizeof(err)) == 0,
		 "%s", err);
	T_ASSERT(backend_cbt_consistent(log, err, sizeof(err)) == 0,
		 "still consistent after marking");
	/* A disk size that is not a whole number of blocks rounds up. */
	write_log(log, (64ull << 20) + 1, 1, 48 + 129);
	T_ASSERT(backend_cbt_consistent(log, err, sizeof(err)) == 1, "%s",
		 err);

	/* Anything else is refused and left as it was. */
	write_log(other, 64ull << 20, 1, 48 + 200);
	fd = open(other, O_RDONLY);
	T_ASSERT(fd >= 0 && read(fd, before, sizeof(before)) == 248, "read");
	close(fd);
	T_ASSERT(backend_cbt_mark_inconsistent(other, err, sizeof(err)) ==
		 -EPROTO && strstr(err, "is not a CBT log"), "wrong length: %s",
		 err);
	fd = open(other, O_RDONLY);
	T_ASSERT(fd >= 0 && read(fd, after, sizeof(after)) == 248 &&
		 !memcmp(before, after, 248), "a refused file was changed");
	close(fd);
	write_log(other, 0, 1, 48);
	T_ASSERT(backend_cbt_mark_inconsistent(other, err, sizeof(err)) ==
		 -EPROTO, "zero disk size");
	write_log(other, 0, 1, 20);
	T_ASSERT(backend_cbt_consistent(other, err, sizeof(err)) == -EPROTO,
		 "short header");
	T_ASSERT(backend_cbt_consistent(t_path("none"), err, sizeof(err)) ==
		 -ENOENT, "missing file");
}

int main(void)
{
	test_stats();
	test_blockstat();
	test_cbt();
	return T_EXIT_PASS;
}
