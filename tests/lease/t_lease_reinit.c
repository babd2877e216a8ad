// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * init over an area whose header does not validate. A header torn,
 * overwritten or written by a newer format is damage, not absence: a
 * plain init must refuse (a host may hold the lease; starting over at
 * version 0 would admit a second owner and take versions back), and
 * init --force must start versions above every version any intact sector
 * records. Also a re-init that crashed between writing the new sectors and
 * the new header (old header, new uuid everywhere else): running init
 * --force again must not take versions back.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lease/lease_crc32c.h"
#include "lease_test.h"

#define SS 512

static void rw_sector0(const char *path, unsigned char *buf, bool write)
{
	int fd = open(path, O_RDWR);

	T_ASSERT(fd >= 0, "open %s", path);
	T_ASSERT((write ? pwrite(fd, buf, SS, 0) : pread(fd, buf, SS, 0)) == SS &&
		 fsync(fd) == 0, "%s sector 0", write ? "write" : "read");
	close(fd);
}

/* Area at version 3, host 2 holding it. */
static void held_area(const char *path)
{
	struct lease *l = lt_open(path, LEASE_OPEN_CREATE);
	struct lease_holder h;

	lt_init(l, SS, 30);
	for (int i = 0; i < 2; i++) {
		T_ASSERT(lt_acquire(l, 1, "h1", "t1", 0, &h) == LEASE_OK, "%s",
			 lease_last_error(l));
		T_ASSERT(lease_release(l, &h, 0) == LEASE_OK, "release");
	}
	T_ASSERT(lt_acquire(l, 2, "h2", "t2", 0, &h) == LEASE_OK &&
		 h.version == 3, "acquire v3: %s", lease_last_error(l));
	lease_close(l);
}

static uint64_t next_version(const char *path)
{
	struct lease *l = lt_open(path, 0);
	struct lease_holder h;
	uint64_t v;

	T_ASSERT(lt_acquire(l, 4, "h4", "t4", 0, &h) == LEASE_OK, "%s",
		 lease_last_error(l));
	v = h.version;
	lease_close(l);
	return v;
}

static void damaged_header(const char *name, bool reseal, size_t at,
			   unsigned char val)
{
	char *path = t_path(name);
	struct lease_init_opts o = { .sector_size = SS, .timeout_s = 30 };
	unsigned char sec[SS];
	struct lease *l;
	uint64_t v;
	int r;

	held_area(path);
	rw_sector0(path, sec, false);
	sec[at] = val;
	if (reseal) {
		uint32_t crc = lease_crc32c(sec, SS - 4);

		memcpy(sec + SS - 4, &crc, 4);		/* little-endian host */
	}
	rw_sector0(path, sec, true);

	l = lt_open(path, 0);
	r = lease_init(l, &o);
	T_ASSERT(r == LEASE_DAMAGED,
		 "%s: plain init over a lease with an invalid header gave %s (%s)",
		 name, lease_strerror(r), lease_last_error(l));
	T_ASSERT(strstr(lease_last_error(l), "sector 0 (header)"),
		 "%s: message: %s", name, lease_last_error(l));
	o.force = true;
	T_ASSERT(lease_init(l, &o) == LEASE_OK, "%s: init --force: %s", name,
		 lease_last_error(l));
	lease_close(l);
	v = next_version(path);
	T_ASSERT(v > 3, "%s: version %llu after re-init, 3 was acquired before",
		 name, (unsigned long long)v);
}

static void crashed_reinit(void)
{
	char *path = t_path("crashed.lease");
	struct lease_init_opts o = { .sector_size = SS, .timeout_s = 30,
				     .force = true };
	unsigned char old_hdr[SS];
	struct lease *l;
	uint64_t v;

	held_area(path);
	rw_sector0(path, old_hdr, false);
	l = lt_open(path, 0);
	T_ASSERT(lease_init(l, &o) == LEASE_OK, "init --force: %s",
		 lease_last_error(l));
	lease_close(l);
	/* The crash: the new header never reached the disk. */
	rw_sector0(path, old_hdr, true);

	l = lt_open(path, 0);
	T_ASSERT(lease_init(l, &o) == LEASE_OK, "init --force again: %s",
		 lease_last_error(l));
	lease_close(l);
	v = next_version(path);
	T_ASSERT(v > 3, "crashed re-init: version %llu, 3 was acquired before",
		 (unsigned long long)v);
}

int main(void)
{
	lt_setup();
	damaged_header("torn.lease", false, 100, 0x5a);
	damaged_header("format2.lease", true, 4, 2);
	damaged_header("hosts.lease", true, 36, 7);
	crashed_reinit();
	return T_EXIT_PASS;
}
