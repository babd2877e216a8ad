// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench/lease engine: latency of the lease (lease.h) against sanlock's
 * resource lease on the same filesystem, in the same run. Run through
 * bench/lease, which builds this, starts the sanlock daemon and joins its
 * lockspace first (that join is the step our lease does not have).
 *
 *   lease_bench LEASEFILE SANLOCK_RES_SPEC ITERATIONS
 *
 * Measured, CLOCK_MONOTONIC, medians (p90 in brackets):
 *   acquire / release by one holder, repeatedly;
 *   handover: holder A (one process) releases, holder B (another process,
 *   another host id for ours) acquires; timed from A's release start to
 *   B's acquire return.
 * sanlock is driven through libsanlock.so.1 (dlopen, so the project does
 * not build-depend on it); its client API registers the process and asks
 * the daemon, which is how libvirt and vdsm use it.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"

/* sanlock's public ABI (sanlock.h, sanlock_resource.h). */
struct sanlk_disk {
	char path[1024];
	uint64_t offset;
	uint32_t pad1, pad2;
};

struct sanlk_resource {
	char lockspace_name[48];
	char name[48];
	uint64_t lver;
	uint64_t data64;
	uint32_t data32;
	uint32_t unused;
	uint32_t flags;
	uint32_t num_disks;
	struct sanlk_disk disks[1];
};

static int (*sl_register)(void);
static int (*sl_acquire)(int, int, uint32_t, int, struct sanlk_resource **,
			 void *);
static int (*sl_release)(int, int, uint32_t, int, struct sanlk_resource **);

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

struct lat {
	double med, p90;
};

static struct lat summarize(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return (struct lat){ v[n / 2], v[(n * 9) / 10] };
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "lease_bench: %s: %s\n", what, detail);
	exit(1);
}

/* ---- ours ---- */

static struct lease *our_open(const char *path)
{
	struct lease *l;
	char err[512];

	if (lease_open(&l, path, 0, err, sizeof(err)))
		die("lease_open", err);
	return l;
}

static struct lease_holder our_acquire(struct lease *l, uint16_t host,
				       const char *token)
{
	struct lease_acquire_opts o = { .host_id = host, .token = token,
					.host_name = host == 1 ? "bench-a" :
						     "bench-b",
					.wait_seconds = 5 };
	struct lease_holder h;

	if (lease_acquire(l, &o, &h, NULL))
		die("lease_acquire", lease_last_error(l));
	return h;
}

static void our_release(struct lease *l, struct lease_holder *h,
			uint16_t succ)
{
	if (lease_release(l, h, succ))
		die("lease_release", lease_last_error(l));
}

/* ---- sanlock ---- */

static struct sanlk_resource *sl_res(const char *spec)
{
	static struct sanlk_resource r;
	char buf[1200], *ls, *name, *path, *off;

	snprintf(buf, sizeof(buf), "%s", spec);
	ls = strtok(buf, ":");
	name = strtok(NULL, ":");
	path = strtok(NULL, ":");
	off = strtok(NULL, ":");
	if (!ls || !name || !path || !off)
		die("resource", "want LOCKSPACE:NAME:PATH:OFFSET");
	memset(&r, 0, sizeof(r));
	snprintf(r.lockspace_name, sizeof(r.lockspace_name), "%s", ls);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.disks[0].path, sizeof(r.disks[0].path), "%s", path);
	r.disks[0].offset = strtoull(off, NULL, 10);
	r.num_disks = 1;
	return &r;
}

static void load_sanlock(void)
{
	void *h = dlopen("libsanlock.so.1", RTLD_NOW);

	if (!h)
		die("dlopen libsanlock.so.1", dlerror());
	sl_register = (int (*)(void))dlsym(h, "sanlock_register");
	sl_acquire = (int (*)(int, int, uint32_t, int, struct sanlk_resource **,
			      void *))dlsym(h, "sanlock_acquire");
	sl_release = (int (*)(int, int, uint32_t, int,
			      struct sanlk_resource **))dlsym(h,
							      "sanlock_release");
	if (!sl_register || !sl_acquire || !sl_release)
		die("libsanlock", "missing symbols");
}

/* ---- handover between two processes ---- */

enum side { OURS, SANLOCK };

struct pair {
	int to_b[2], to_a[2];
};

static void xwrite(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		die("pipe", "write");
}

static void xread(int fd, void *p, size_t n)
{
	if (read(fd, p, n) != (ssize_t)n)
		die("pipe", "read");
}

/* B: waits for "go", acquires, reports the time, releases on "back". */
static void side_b(enum side s, const char *where, struct pair *pp, int iters)
{
	struct sanlk_resource *res = NULL;
	struct lease *l = NULL;
	struct lease_holder h;
	int sock = -1;
	char cmd;

	if (s == OURS) {
		l = our_open(where);
	} else {
		res = sl_res(where);
		sock = sl_register();
		if (sock < 0)
			die("sanlock_register", "B");
	}
	for (int i = 0; i < iters; i++) {
		double t;

		xread(pp->to_b[0], &cmd, 1);
		if (s == OURS) {
			h = our_acquire(l, 2, "b");
		} else if (sl_acquire(sock, -1, 0, 1, &res, NULL)) {
			die("sanlock_acquire", "B");
		}
		t = now_ms();
		xwrite(pp->to_a[1], &t, sizeof(t));
		xread(pp->to_b[0], &cmd, 1);
		if (s == OURS)
			our_release(l, &h, 1);
		else if (sl_release(sock, -1, 0, 1, &res))
			die("sanlock_release", "B");
		xwrite(pp->to_a[1], &t, sizeof(t));
	}
	if (l)
		lease_close(l);
	_exit(0);
}

static struct lat handover(enum side s, const char *where, int iters,
			    bool hint)
{
	struct sanlk_resource *res = NULL;
	struct lease *l = NULL;
	struct lease_holder h;
	struct pair pp;
	double *v = calloc((size_t)iters, sizeof(double)), t0, t1;
	int sock = -1, st;
	pid_t pid;
	char go = 'g';

	if (pipe(pp.to_b) || pipe(pp.to_a))
		die("pipe", "create");
	pid = fork();
	if (!pid)
		side_b(s, where, &pp, iters);
	if (s == OURS) {
		l = our_open(where);
	} else {
		res = sl_res(where);
		sock = sl_register();
		if (sock < 0)
			die("sanlock_register", "A");
	}
	for (int i = 0; i < iters; i++) {
		if (s == OURS)
			h = our_acquire(l, 1, "a");
		else if (sl_acquire(sock, -1, 0, 1, &res, NULL))
			die("sanlock_acquire", "A");
		t0 = now_ms();
		if (s == OURS)
			our_release(l, &h, hint ? 2 : 0);
		else if (sl_release(sock, -1, 0, 1, &res))
			die("sanlock_release", "A");
		xwrite(pp.to_b[1], &go, 1);
		xread(pp.to_a[0], &t1, sizeof(t1));
		v[i] = t1 - t0;
		xwrite(pp.to_b[1], &go, 1);
		xread(pp.to_a[0], &t1, sizeof(t1));
	}
	waitpid(pid, &st, 0);
	if (l)
		lease_close(l);
	close(pp.to_b[0]); close(pp.to_b[1]);
	close(pp.to_a[0]); close(pp.to_a[1]);
	{
		struct lat r = summarize(v, iters);

		free(v);
		return r;
	}
}

/* One holder acquiring and releasing over and over. */
static void uncontended(enum side s, const char *where, int iters, bool hint,
			struct lat *acq, struct lat *rel, struct lat *both,
			struct lease_io_stats *io)
{
	double *a = calloc((size_t)iters, sizeof(double));
	double *r = calloc((size_t)iters, sizeof(double));
	double *b = calloc((size_t)iters, sizeof(double));
	struct sanlk_resource *res = NULL;
	struct lease *l = NULL;
	struct lease_holder h;
	int sock = -1;

	if (s == OURS) {
		l = our_open(where);
	} else {
		res = sl_res(where);
		sock = sl_register();
		if (sock < 0)
			die("sanlock_register", "uncontended");
	}
	for (int i = 0; i < iters; i++) {
		double t0 = now_ms(), t1, t2;
		struct lease_io_stats s0, s1;

		if (s == OURS) {
			lease_get_io_stats(l, &s0);
			h = our_acquire(l, 1, "a");
			lease_get_io_stats(l, &s1);
			io->full_scans = s1.full_scans - s0.full_scans;
			io->small_reads = s1.small_reads - s0.small_reads;
			io->sector_writes = s1.sector_writes - s0.sector_writes;
		} else if (sl_acquire(sock, -1, 0, 1, &res, NULL)) {
			die("sanlock_acquire", "uncontended");
		}
		t1 = now_ms();
		if (s == OURS)
			our_release(l, &h, hint ? 1 : 0);
		else if (sl_release(sock, -1, 0, 1, &res))
			die("sanlock_release", "uncontended");
		t2 = now_ms();
		a[i] = t1 - t0;
		r[i] = t2 - t1;
		b[i] = t2 - t0;
	}
	*acq = summarize(a, iters);
	*rel = summarize(r, iters);
	*both = summarize(b, iters);
	free(a);
	free(r);
	free(b);
	if (l)
		lease_close(l);
	if (sock >= 0)
		close(sock);
}

static void row(const char *name, struct lat ours, struct lat theirs)
{
	printf("%-34s %8.3f [%7.3f] %9.3f [%7.3f]  %6.3fx\n", name, ours.med,
	       ours.p90, theirs.med, theirs.p90, ours.med / theirs.med);
}

int main(int argc, char **argv)
{
	struct lat oa, orl, ob, ofa, ofr, ofb, sa, sr, sb, oh, ohf, sh;
	struct lease_io_stats io_fast, io_full;
	int iters;

	if (argc != 4)
		die("usage", "lease_bench LEASEFILE LS:RES:PATH:OFFSET ITERATIONS");
	iters = atoi(argv[3]);
	if (iters < 1)
		die("usage", "ITERATIONS must be positive");
	{
		struct lease_init_opts o = { .sector_size = 512,
					     .timeout_s = 60 };
		struct lease *l;
		char err[512];

		if (lease_open(&l, argv[1], LEASE_OPEN_CREATE, err,
			       sizeof(err)))
			die("lease_open", err);
		if (lease_init(l, &o))
			die("lease_init", lease_last_error(l));
		lease_close(l);
	}
	load_sanlock();
	uncontended(OURS, argv[1], iters, true, &ofa, &ofr, &ofb, &io_fast);
	uncontended(OURS, argv[1], iters, false, &oa, &orl, &ob, &io_full);
	uncontended(SANLOCK, argv[2], iters, false, &sa, &sr, &sb, NULL);
	ohf = handover(OURS, argv[1], iters, true);
	oh = handover(OURS, argv[1], iters, false);
	sh = handover(SANLOCK, argv[2], iters, false);

	printf("\n%d iterations each; milliseconds, median [p90]\n", iters);
	printf("%-34s %19s %19s  %s\n", "", "xen-handover lease", "sanlock paxos",
	       "ratio");
	row("acquire (successor fast path)", ofa, sa);
	row("acquire (full two-phase ballot)", oa, sa);
	row("release", orl, sr);
	row("acquire + release (fast path)", ofb, sb);
	row("acquire + release (full ballot)", ob, sb);
	row("handover A->B (release names B)", ohf, sh);
	row("handover A->B (no successor)", oh, sh);
	printf("\nI/O per acquire (ours): fast path %llu slot-area scan(s), "
	       "%llu small read(s), %llu sector write(s); full ballot %llu "
	       "scan(s), %llu small, %llu writes. Each scan is one batched "
	       "read of all %u host slots.\n",
	       (unsigned long long)io_fast.full_scans,
	       (unsigned long long)io_fast.small_reads,
	       (unsigned long long)io_fast.sector_writes,
	       (unsigned long long)io_full.full_scans,
	       (unsigned long long)io_full.small_reads,
	       (unsigned long long)io_full.sector_writes, LEASE_MAX_HOSTS);
	printf("RATIO acquire_fast=%.3f acquire_full=%.3f handover_fast=%.3f handover_full=%.3f\n",
	       ofa.med / sa.med, oa.med / sa.med, ohf.med / sh.med,
	       oh.med / sh.med);
	return 0;
}
