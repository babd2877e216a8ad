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

#include "lease/lease.h"

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

/* Runs @iters handovers, appending their latencies to @v. */
static void handover(enum side s, const char *where, int iters, bool hint,
		     double *v)
{
	struct sanlk_resource *res = NULL;
	struct lease *l = NULL;
	struct lease_holder h;
	struct pair pp;
	double t0, t1;
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
	if (sock >= 0)
		close(sock);
}

/*
 * One holder acquiring and releasing over and over. The three variants run
 * interleaved, iteration by iteration, so that both leases see the same
 * load on shared storage.
 */
struct series {
	double *acq, *rel, *both;
};

static void series_alloc(struct series *x, int n)
{
	x->acq = calloc((size_t)n, sizeof(double));
	x->rel = calloc((size_t)n, sizeof(double));
	x->both = calloc((size_t)n, sizeof(double));
	if (!x->acq || !x->rel || !x->both)
		die("calloc", "series");
}

static void series_free(struct series *x)
{
	free(x->acq);
	free(x->rel);
	free(x->both);
}

static void one_ours(struct lease *l, int i, uint16_t succ, struct series *x,
		     struct lease_io_stats *io)
{
	struct lease_io_stats s0, s1;
	struct lease_holder h;
	double t0 = now_ms(), t1, t2;

	lease_get_io_stats(l, &s0);
	h = our_acquire(l, 1, "a");
	lease_get_io_stats(l, &s1);
	t1 = now_ms();
	our_release(l, &h, succ);
	t2 = now_ms();
	io->full_scans = s1.full_scans - s0.full_scans;
	io->small_reads = s1.small_reads - s0.small_reads;
	io->sector_writes = s1.sector_writes - s0.sector_writes;
	x->acq[i] = t1 - t0;
	x->rel[i] = t2 - t1;
	x->both[i] = t2 - t0;
}

static void one_sanlock(int sock, struct sanlk_resource *res, int i,
			struct series *x)
{
	double t0 = now_ms(), t1, t2;

	if (sl_acquire(sock, -1, 0, 1, &res, NULL))
		die("sanlock_acquire", "uncontended");
	t1 = now_ms();
	if (sl_release(sock, -1, 0, 1, &res))
		die("sanlock_release", "uncontended");
	t2 = now_ms();
	x->acq[i] = t1 - t0;
	x->rel[i] = t2 - t1;
	x->both[i] = t2 - t0;
}

static void row(const char *name, struct lat ours, struct lat theirs)
{
	printf("%-34s %8.3f [%7.3f] %9.3f [%7.3f]  %6.3fx\n", name, ours.med,
	       ours.p90, theirs.med, theirs.p90, ours.med / theirs.med);
}

int main(int argc, char **argv)
{
	struct series fast, full, san;
	struct lease_io_stats io_fast, io_full;
	double *hf, *hn, *hs;
	struct sanlk_resource *res;
	struct lease *l;
	int iters, sock, done;

	if (argc != 4)
		die("usage", "lease_bench LEASEFILE LS:RES:PATH:OFFSET ITERATIONS");
	iters = atoi(argv[3]);
	if (iters < 10)
		die("usage", "ITERATIONS must be at least 10");
	{
		struct lease_init_opts o = { .sector_size = 512,
					     .timeout_s = 60 };
		char err[512];

		if (lease_open(&l, argv[1], LEASE_OPEN_CREATE, err,
			       sizeof(err)))
			die("lease_open", err);
		if (lease_init(l, &o))
			die("lease_init", lease_last_error(l));
	}
	load_sanlock();
	res = sl_res(argv[2]);
	sock = sl_register();
	if (sock < 0)
		die("sanlock_register", "main");
	series_alloc(&fast, iters);
	series_alloc(&full, iters);
	series_alloc(&san, iters);
	/* The first release names ourselves: the next acquire is fast. */
	{
		struct lease_holder h = our_acquire(l, 1, "a");

		our_release(l, &h, 1);
	}
	for (int i = 0; i < iters; i++) {
		one_ours(l, i, 0, &fast, &io_fast);	/* fast, frees to none */
		one_ours(l, i, 1, &full, &io_full);	/* full, names self */
		one_sanlock(sock, res, i, &san);
	}
	close(sock);
	lease_close(l);

	/* Handovers between two processes, in interleaved blocks of 10. */
	hf = calloc((size_t)iters, sizeof(double));
	hn = calloc((size_t)iters, sizeof(double));
	hs = calloc((size_t)iters, sizeof(double));
	if (!hf || !hn || !hs)
		die("calloc", "handover");
	for (done = 0; done + 10 <= iters; done += 10) {
		handover(OURS, argv[1], 10, true, hf + done);
		handover(OURS, argv[1], 10, false, hn + done);
		handover(SANLOCK, argv[2], 10, false, hs + done);
	}

	printf("\n%d iterations each, interleaved; milliseconds, median [p90]\n",
	       iters);
	printf("%-34s %19s %19s  %s\n", "", "xen-handover lease", "sanlock paxos",
	       "ratio");
	{
		struct lat fa = summarize(fast.acq, iters);
		struct lat fu = summarize(full.acq, iters);
		struct lat sa = summarize(san.acq, iters);
		struct lat fr = summarize(fast.rel, iters);
		struct lat sr = summarize(san.rel, iters);
		struct lat fb = summarize(fast.both, iters);
		struct lat ub = summarize(full.both, iters);
		struct lat sb = summarize(san.both, iters);
		struct lat ohf = summarize(hf, done);
		struct lat ohn = summarize(hn, done);
		struct lat osh = summarize(hs, done);

		row("acquire (successor fast path)", fa, sa);
		row("acquire (full two-phase ballot)", fu, sa);
		row("release", fr, sr);
		row("acquire + release (fast path)", fb, sb);
		row("acquire + release (full ballot)", ub, sb);
		row("handover A->B (release names B)", ohf, osh);
		row("handover A->B (no successor)", ohn, osh);
		printf("\nI/O per acquire (ours): fast path %llu slot-area scan(s), "
		       "%llu small read(s), %llu sector write(s); full ballot "
		       "%llu scan(s), %llu small, %llu writes. Each scan is one "
		       "batched read of all %u host slots.\n",
		       (unsigned long long)io_fast.full_scans,
		       (unsigned long long)io_fast.small_reads,
		       (unsigned long long)io_fast.sector_writes,
		       (unsigned long long)io_full.full_scans,
		       (unsigned long long)io_full.small_reads,
		       (unsigned long long)io_full.sector_writes,
		       LEASE_MAX_HOSTS);
		printf("RATIO acquire_fast=%.3f acquire_full=%.3f handover_fast=%.3f handover_full=%.3f\n",
		       fa.med / sa.med, fu.med / sa.med, ohf.med / osh.med,
		       ohn.med / osh.med);
	}
	series_free(&fast);
	series_free(&full);
	series_free(&san);
	free(hf);
	free(hn);
	free(hs);
	return 0;
}
