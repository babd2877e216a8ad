// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench/renew engine: steady-state lease renewal, I/O and time per VDI,
 * for 1, 100 and 500 VDIs, against sanlock's delta-lease renewal I/O in
 * the same run. Run through bench/renew.
 *
 *   renew_bench DIR ROUNDS N...
 *
 * Ours: DIR/vdi-I.lease, one lease per VDI, acquired by one handle which
 * is then closed (the `activate` child), and renewed through a second,
 * kept handle that adopted the holding with lease_holder_recall(), as
 * the daemon's renewal thread (daemon/xsd_renewer.c) does: lease_renew()
 * on it, one VDI after the other.
 *
 * Anchor: DIR/ls-I.lease, one sanlock lockspace per VDI (initialised by
 * `sanlock direct init -s` when bench/renew finds sanlock). The renewal is
 * not sanlock's daemon but the I/O it does per lockspace and renewal
 * (delta_lease_renew() in sanlock's delta_lease.c): one O_DIRECT read of
 * the whole lockspace area (align_size, 1 MiB with 512-byte sectors: it
 * reads every host's delta lease to track their liveness) and one O_DIRECT
 * write of its own host's sector, on a descriptor opened O_RDWR | O_DIRECT
 * | O_SYNC as sanlock opens its disks. Named "sanlock delta-lease I/O" in
 * the output.
 *
 * sanlock itself renews per lockspace, not per VDI: VDIs holding resource
 * leases in one lockspace share its one renewal. The per-VDI comparison
 * is therefore "a lockspace per VDI"; the load line also prints the load
 * of one lockspace for all N VDIs (sanlock as oVirt uses it, one per
 * storage domain), at both sides' default intervals (ours T/4 of 60 s,
 * sanlock 2 x io_timeout of 10 s).
 *
 * Each round renews every VDI once on both sides, interleaved VDI by VDI
 * (which side goes first alternates by round) so both see the same storage
 * load. Bytes come from the kernel's per-thread I/O accounting
 * (/proc/thread-self/io read_bytes and write_bytes: what reached the block
 * layer), operations from lease_get_io_stats() and the anchor's own count.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease.h"

#define SL_AREA		(1024 * 1024)	/* sanlock align_size, 512 B sectors */
#define SL_SECTOR	512
#define SL_DELTA_MAGIC	0x12212010u	/* sanlock's DELTA_DISK_MAGIC */
#define RENEW_HOST	1
#define OUR_T		60	/* default T */
#define SL_RENEW_S	20	/* sanlock: every 2 * io_timeout, default 10 s */

struct vdi {
	struct lease *l;
	struct lease_holder h;
	int sl_fd;
};

struct iocount {
	uint64_t rd, wr, wchar;
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "renew_bench: %s: %s\n", what, detail);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, int p)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[(n * (size_t)p) / 100 < n ? (n * (size_t)p) / 100 : n - 1];
}

static struct iocount io_now(void)
{
	struct iocount c = { 0, 0, 0 };
	char line[128];
	FILE *f = fopen("/proc/thread-self/io", "re");

	if (!f)
		die("/proc/thread-self/io", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "read_bytes: %llu", &v) == 1)
			c.rd = v;
		else if (sscanf(line, "write_bytes: %llu", &v) == 1)
			c.wr = v;
		else if (sscanf(line, "wchar: %llu", &v) == 1)
			c.wchar = v;
	}
	fclose(f);
	return c;
}

static void setup_ours(struct vdi *v, const char *dir, int i)
{
	struct lease_init_opts io = { .sector_size = 0, .timeout_s = OUR_T };
	struct lease_acquire_opts ao = { .host_id = RENEW_HOST };
	struct lease_holder h;
	char spec[4096], token[LEASE_TOKEN_LEN], err[256];
	struct lease *a;
	int rc;

	snprintf(spec, sizeof(spec), "%s/vdi-%d.lease", dir, i);
	snprintf(token, sizeof(token), "bench-vdi-%d", i);
	ao.token = token;
	if (lease_open(&a, spec, LEASE_OPEN_CREATE, err, sizeof(err)))
		die(spec, err);
	rc = lease_init(a, &io);
	if (rc)
		die("lease_init", lease_last_error(a));
	rc = lease_acquire(a, &ao, &h, NULL);
	if (rc)
		die("lease_acquire", lease_last_error(a));
	lease_close(a);
	/* the renewal thread's own handle, adopting the holding */
	if (lease_open(&v->l, spec, 0, err, sizeof(err)))
		die(spec, err);
	rc = lease_holder_recall(v->l, RENEW_HOST, token, h.version, &v->h);
	if (rc)
		die("lease_holder_recall", lease_last_error(v->l));
}

static void *sl_buf, *sl_wbuf;

static void setup_anchor(struct vdi *v, const char *dir, int i,
			 bool sanlock_init)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ls-%d.lease", dir, i);
	if (!sanlock_init) {
		/* written out, not sparse: a hole is read without any I/O */
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		memset(sl_buf, 0xa5, SL_AREA);
		if (fd < 0 || pwrite(fd, sl_buf, SL_AREA, 0) != SL_AREA ||
		    fsync(fd) < 0)
			die(path, strerror(errno));
		close(fd);
	}
	v->sl_fd = open(path, O_RDWR | O_DIRECT | O_SYNC | O_CLOEXEC);
	if (v->sl_fd < 0)
		die(path, strerror(errno));
	if (sanlock_init) {
		uint32_t magic;

		if (pread(v->sl_fd, sl_buf, SL_AREA, 0) != SL_AREA)
			die(path, "short read of the lockspace area");
		memcpy(&magic, sl_buf, sizeof(magic));
		if (magic != SL_DELTA_MAGIC)
			die(path, "host 1's sector is not a sanlock delta lease");
	}
}

/* sanlock's per-lockspace renewal I/O: read the area, write our sector. */
static int anchor_renew(struct vdi *v)
{
	if (pread(v->sl_fd, sl_buf, SL_AREA, 0) != SL_AREA)
		return -1;
	/* sanlock writes its leader record with a new timestamp and
	 * checksum; the bytes do not change the I/O, so host 1's sector is
	 * written back as read (the area stays a valid lockspace) */
	memcpy(sl_wbuf, sl_buf, SL_SECTOR);
	return pwrite(v->sl_fd, sl_wbuf, SL_SECTOR, 0) == SL_SECTOR ? 0 : -1;
}

struct side {
	double *lat;		/* per renewal, ms */
	size_t n;
	double total_ms;	/* sum over rounds of the time to renew all */
	struct iocount io;
	uint64_t reads, scans, writes;
};

static void account(struct side *s, double ms, struct iocount a,
		    struct iocount b)
{
	s->lat[s->n++] = ms;
	s->total_ms += ms;
	s->io.rd += b.rd - a.rd;
	s->io.wr += b.wr - a.wr;
	s->io.wchar += b.wchar - a.wchar;
}

static void renew_ours(struct vdi *v, struct side *s)
{
	struct lease_io_stats st0, st1;
	struct iocount a, b;
	double t0, t1;
	int rc;

	lease_get_io_stats(v->l, &st0);
	a = io_now();
	t0 = now_ms();
	rc = lease_renew(v->l, &v->h);
	t1 = now_ms();
	b = io_now();
	if (rc)
		die("lease_renew", lease_last_error(v->l));
	lease_get_io_stats(v->l, &st1);
	s->reads += st1.small_reads - st0.small_reads;
	s->scans += st1.full_scans - st0.full_scans;
	s->writes += st1.sector_writes - st0.sector_writes;
	account(s, t1 - t0, a, b);
}

static void renew_anchor(struct vdi *v, struct side *s)
{
	struct iocount a, b;
	double t0, t1;

	a = io_now();
	t0 = now_ms();
	if (anchor_renew(v))
		die("anchor renewal", strerror(errno));
	t1 = now_ms();
	b = io_now();
	s->reads++;
	s->writes++;
	account(s, t1 - t0, a, b);
}

int main(int argc, char **argv)
{
	struct vdi *v;
	int rounds, maxn = 0, i, k, r;
	bool sl_init = getenv("RENEW_SANLOCK_INIT") &&
		       !strcmp(getenv("RENEW_SANLOCK_INIT"), "1");
	uint32_t sector = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: renew_bench DIR ROUNDS N...\n");
		return 2;
	}
	rounds = atoi(argv[2]);
	if (rounds < 1)
		die("ROUNDS", "must be at least 1");
	for (k = 3; k < argc; k++)
		if (atoi(argv[k]) > maxn)
			maxn = atoi(argv[k]);
	if (maxn < 1)
		die("N", "must be at least 1");
	if (posix_memalign(&sl_buf, 4096, SL_AREA) ||
	    posix_memalign(&sl_wbuf, 4096, SL_SECTOR))
		die("posix_memalign", "out of memory");
	v = calloc((size_t)maxn, sizeof(*v));
	if (!v)
		die("calloc", "out of memory");
	for (i = 0; i < maxn; i++) {
		setup_ours(&v[i], argv[1], i);
		setup_anchor(&v[i], argv[1], i, sl_init);
	}
	{
		struct lease_status st;

		if (!lease_read_status(v[0].l, &st))
			sector = st.sector_size;
	}
	printf("%d VDIs set up (ours: %u-byte sectors, T 60 s; anchor: %s)\n",
	       maxn, sector, sl_init ? "lockspaces made by sanlock direct init -s" :
	       "1 MiB areas, sanlock not installed");
	printf("%d round(s); per renewal: ms median [p90]; I/O to storage per "
	       "renewal (kernel accounting)\n\n", rounds);
	printf("%-5s %-26s %9s %9s %9s %8s %8s %10s\n", "VDIs", "side", "median",
	       "p90", "all VDIs", "read B", "write B", "ops r/w");
	for (k = 3; k < argc; k++) {
		int n = atoi(argv[k]);
		struct side o = { 0 }, s = { 0 };
		double om, sm;

		if (n < 1)
			continue;
		o.lat = calloc((size_t)n * (size_t)rounds, sizeof(double));
		s.lat = calloc((size_t)n * (size_t)rounds, sizeof(double));
		if (!o.lat || !s.lat)
			die("calloc", "out of memory");
		for (r = 0; r < rounds; r++)
			for (i = 0; i < n; i++) {
				if (r % 2) {
					renew_anchor(&v[i], &s);
					renew_ours(&v[i], &o);
				} else {
					renew_ours(&v[i], &o);
					renew_anchor(&v[i], &s);
				}
			}
		om = pct(o.lat, o.n, 50);
		sm = pct(s.lat, s.n, 50);
		printf("%-5d %-26s %9.3f %9.3f %9.1f %8.0f %8.0f %4.2f/%-4.2f%s\n",
		       n, "xen-handover lease_renew", om, pct(o.lat, o.n, 90),
		       o.total_ms / rounds, (double)o.io.rd / (double)o.n,
		       (double)o.io.wr / (double)o.n,
		       (double)o.reads / (double)o.n,
		       (double)o.writes / (double)o.n,
		       o.scans ? "  FULL SCANS" : "");
		printf("%-5d %-26s %9.3f %9.3f %9.1f %8.0f %8.0f %4.2f/%-4.2f\n",
		       n, "sanlock delta-lease I/O", sm, pct(s.lat, s.n, 90),
		       s.total_ms / rounds, (double)s.io.rd / (double)s.n,
		       (double)s.io.wr / (double)s.n,
		       (double)s.reads / (double)s.n,
		       (double)s.writes / (double)s.n);
		printf("      host-local holder state per renewal (ours, buffered, "
		       "not shared storage): %.0f bytes written\n",
		       (double)o.io.wchar / (double)o.n);
		{
			/* steady load on the shared storage, default timings */
			double oi = lease_renew_interval_s(OUR_T);
			double ob = (double)(o.io.rd + o.io.wr) / (double)o.n;
			double sb = (double)(s.io.rd + s.io.wr) / (double)s.n;

			printf("      storage load at default timings: ours %.1f ops/s %.1f KiB/s (renew every %.0f s); "
			       "sanlock, a lockspace per VDI %.1f ops/s %.1f KiB/s; one lockspace for all %d %.2f ops/s %.1f KiB/s (every %d s)\n",
			       2.0 * n / oi, ob * n / oi / 1024, oi,
			       2.0 * n / SL_RENEW_S, sb * n / SL_RENEW_S / 1024,
			       n, 2.0 / SL_RENEW_S, sb / SL_RENEW_S / 1024,
			       SL_RENEW_S);
		}
		printf("RATIO vdis=%d time_median=%.3f time_all=%.3f read_bytes=%.4f write_bytes=%.3f\n\n",
		       n, sm > 0 ? om / sm : 0,
		       s.total_ms > 0 ? o.total_ms / s.total_ms : 0,
		       s.io.rd ? (double)o.io.rd / (double)s.io.rd : 0,
		       s.io.wr ? (double)o.io.wr / (double)s.io.wr : 0);
		free(o.lat);
		free(s.lat);
	}
	for (i = 0; i < maxn; i++) {
		lease_release(v[i].l, &v[i].h, 0);
		lease_close(v[i].l);
		close(v[i].sl_fd);
	}
	free(v);
	free(sl_buf);
	free(sl_wbuf);
	return 0;
}
