// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A sector caught in the middle of another host's write is not damage.
 * Where the storage does not make a sector write atomic for readers (a
 * 4096-byte lease sector on 512-byte storage, some network filesystems),
 * a reader can see half the new bytes over the old ones; the checksum
 * fails although the write completes a moment later. Status and acquire
 * must re-read before calling the area damaged (exit 12).
 *
 * A writer process flips host 7's slot between two valid contents with
 * two separate half-sector writes 200 us apart (1 ms with 4096-byte
 * sectors, whose 8 MiB scans otherwise rarely meet it), so the torn state
 * really is on the file for a while, then leaves it intact for 5-8 ms
 * (15-25 ms with 4096-byte sectors), like a host writing its slot now and
 * then, only much more often; at real-time priority when allowed,
 * so that no other load stretches a torn state beyond the re-read budget.
 * Meanwhile status runs in a loop and hosts acquire and release: none may
 * report damage, and the I/O counters must show that torn reads were
 * actually met and re-read. Finally a slot left torn for good is still
 * reported damaged, after the bounded re-reads. Both sector sizes.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease_disk.h"
#include "lease_test.h"
#include "lease/lease_timeouts.h"

#define FLIP_HOST	7
#define OWNER_HOST	3

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Two valid, different contents of host FLIP_HOST's slot. */
static void make_slots(const char *path, uint32_t ss, unsigned char *a,
		       unsigned char *b)
{
	unsigned char hdr[4096];
	struct lease_hdr_rec h;
	struct lease_slot_rec s = { .host_id = FLIP_HOST };
	char why[256];
	int fd = open(path, O_RDONLY);

	T_ASSERT(fd >= 0 && pread(fd, hdr, sizeof(hdr), 0) ==
		 (ssize_t)sizeof(hdr), "read header of %s", path);
	close(fd);
	T_ASSERT(!lease_decode_header(hdr, sizeof(hdr), &h, why, sizeof(why)),
		 "header: %s", why);
	T_ASSERT(h.sector_size == ss, "sector size %u", h.sector_size);
	s.written_unix_ms = 1;
	strcpy(s.writer_name, "flip-a");
	lease_encode_slot(a, ss, h.uuid, &s);
	s.written_unix_ms = 2;
	strcpy(s.writer_name, "flip-b");
	lease_encode_slot(b, ss, h.uuid, &s);
}

/* Writes the first half of @sec, pauses, writes the rest. */
static void write_halves(int fd, const unsigned char *sec, uint32_t ss,
			 off_t off, useconds_t pause_us)
{
	if (pwrite(fd, sec, ss / 2, off) != (ssize_t)(ss / 2))
		_exit(1);
	if (pause_us)
		usleep(pause_us);
	if (pwrite(fd, sec + ss / 2, ss / 2, off + ss / 2) != (ssize_t)(ss / 2))
		_exit(1);
}

static pid_t start_flipper(const char *path, uint32_t ss,
			   const unsigned char *a, const unsigned char *b)
{
	off_t off = (off_t)LEASE_SECTOR_SLOT(FLIP_HOST) * ss;
	pid_t pid = fork();

	T_ASSERT(pid >= 0, "fork");
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		struct sched_param sp = { .sched_priority = 1 };
		int fd = open(path, O_RDWR);

		/* Best effort: keeps a torn state from outliving the budget
		 * on a loaded machine. */
		sched_setscheduler(0, SCHED_FIFO, &sp);
		if (fd < 0)
			_exit(1);
		srand((unsigned int)getpid());
		for (unsigned long i = 0;; i++) {
			write_halves(fd, i & 1 ? b : a, ss, off,
				     ss == 4096 ? 1000 : 200);
			usleep(ss == 4096 ?
			       15000 + (useconds_t)(rand() % 10000) :
			       5000 + (useconds_t)(rand() % 3000));
		}
	}
}

static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	T_ASSERT(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
		 "the flipper died on its own (write failed)");
}

/* Returns how many torn reads the status loop met (and re-read). */
static uint64_t run(uint32_t ss)
{
	static unsigned char a[4096], b[4096];
	char name[32];
	const char *path;
	struct lease_holder owner, h;
	struct lease_io_stats io0, io1;
	struct lease_status st;
	unsigned long statuses = 0, cycles = 0;
	uint64_t t0, took, rereads;
	struct lease *l;
	pid_t pid;
	int r, fd;

	snprintf(name, sizeof(name), "torn%u.lease", ss);
	path = t_path(name);
	l = lt_open(path, LEASE_OPEN_CREATE);
	lt_init(l, ss, 30);
	T_ASSERT(lt_acquire(l, OWNER_HOST, "h3", "t3", 0, &owner) == LEASE_OK,
		 "acquire: %s", lease_last_error(l));
	make_slots(path, ss, a, b);
	pid = start_flipper(path, ss, a, b);

	/* Status in a loop. */
	lease_get_io_stats(l, &io0);
	t0 = now_ms();
	while (now_ms() - t0 < 1500) {
		r = lease_read_status(l, &st);
		T_ASSERT(r == LEASE_OK && st.state == LEASE_STATE_HELD &&
			 st.owner.host_id == OWNER_HOST,
			 "%u-byte sectors, status %lu: %s (%s)", ss, statuses,
			 lease_strerror(r), lease_last_error(l));
		statuses++;
	}
	lease_get_io_stats(l, &io1);
	rereads = io1.full_scans - io0.full_scans - statuses;

	/* Acquire/release cycles: every ballot scans the whole area. */
	T_ASSERT(lease_release(l, &owner, 0) == LEASE_OK, "release: %s",
		 lease_last_error(l));
	t0 = now_ms();
	while (now_ms() - t0 < 1000) {
		uint16_t host = (uint16_t)(1 + cycles % 2);

		r = lt_acquire(l, host, host == 1 ? "h1" : "h2", "t", 0, &h);
		T_ASSERT(r == LEASE_OK, "%u-byte sectors, acquire %lu: %s (%s)",
			 ss, cycles, lease_strerror(r), lease_last_error(l));
		T_ASSERT(lease_release(l, &h, 0) == LEASE_OK, "release: %s",
			 lease_last_error(l));
		cycles++;
	}
	stop(pid);
	fprintf(stderr, "%u-byte sectors: %lu statuses (%llu torn reads "
		"re-read), %lu acquire/release cycles, none damaged\n", ss,
		statuses, (unsigned long long)rereads, cycles);

	/* Torn for good: still damaged, after the bounded re-reads. */
	fd = open(path, O_RDWR);
	T_ASSERT(fd >= 0, "open %s", path);
	write_halves(fd, a, ss, (off_t)LEASE_SECTOR_SLOT(FLIP_HOST) * ss, 0);
	T_ASSERT(pwrite(fd, b, ss / 2, (off_t)LEASE_SECTOR_SLOT(FLIP_HOST) *
			ss) == (ssize_t)(ss / 2) && fsync(fd) == 0, "tear");
	close(fd);
	lease_get_io_stats(l, &io0);
	t0 = now_ms();
	r = lease_read_status(l, &st);
	took = now_ms() - t0;
	lease_get_io_stats(l, &io1);
	T_ASSERT(r == LEASE_DAMAGED && st.state == LEASE_STATE_DAMAGED &&
		 strstr(st.damage, "checksum mismatch"),
		 "persistent tear: %s '%s'", lease_strerror(r), st.damage);
	T_ASSERT(io1.full_scans - io0.full_scans == 1 + LEASE_REREADS,
		 "persistent tear read %llu times, want %u",
		 (unsigned long long)(io1.full_scans - io0.full_scans),
		 1 + LEASE_REREADS);
	T_ASSERT(took >= LEASE_REREAD_BUDGET_MS && took < 5000,
		 "persistent tear decided after %llu ms",
		 (unsigned long long)took);
	lease_close(l);
	return rereads;
}

int main(void)
{
	uint64_t rereads;

	lt_setup();
	rereads = run(512);
	rereads += run(4096);
	T_ASSERT(rereads > 0, "the writer was never caught mid-write: the "
		 "test did not exercise torn reads");
	return T_EXIT_PASS;
}
