// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xh-guest: the workload run inside the e2e test domU.
 *
 *   xh-guest serve --dev /dev/xvda [--blocks N] [--counters DIR]...
 *       obey mailbox commands from dom0: load, stop, verify, ping, quit
 *   xh-guest bench --dev /dev/xvda --label NAME [--secs S] [--depth D]
 *       4 KiB throughput phases
 *
 * Every line meant for dom0 starts with "XH-G " and is printed on the
 * console, which xenconsoled logs in dom0.
 */
#include "bench.h"
#include "load.h"
#include "mailbox.h"
#include "record.h"
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNTER_DIRS 4
#define RECORD_BASE_BLOCK 16	/* block 0 is the mailbox */
#define BENCH_BASE_BLOCK 1024
#define POLL_MS 200
#define PROGRESS_MS 5000
#define STOP_TIMEOUT_MS 180000

struct serve_opts {
	const char *dev;
	uint32_t blocks;
	const char *counter_dirs[MAX_COUNTER_DIRS];
	int ncounter_dirs;
};

static void usage(FILE *f)
{
	fputs("usage: xh-guest serve --dev DEV [--blocks N] [--counters DIR]...\n"
	      "       xh-guest bench --dev DEV --label NAME [--secs S] [--depth D] [--mib M]\n"
	      "serve obeys mailbox commands written by dom0 into block 0 of DEV:\n"
	      "  load [pace_us=U] [max_s=S] [stagger_ms=T] [stop_after_resume_ms=M]\n"
	      "                              start the record write load (AIO, O_DIRECT),\n"
	      "                              block b starting b*T ms after block 0;\n"
	      "                              stop by itself M ms after a resume from\n"
	      "                              suspend, once every block was rewritten\n"
	      "  stop                        stop it and wait for in-flight writes\n"
	      "  verify                      read records back, count stale blocks\n"
	      "  ping                        report progress\n"
	      "  quit                        exit\n", f);
}

static long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/*
 * Time the guest spent suspended so far: a Xen save/migrate resume injects
 * the time away into CLOCK_BOOTTIME (read from the hypervisor's wallclock)
 * but not into CLOCK_MONOTONIC, so their difference jumps at each resume.
 */
static double suspended_s(void)
{
	struct timespec b, m;

	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return (double)(b.tv_sec - m.tv_sec) + (double)(b.tv_nsec - m.tv_nsec) / 1e9;
}

/* Auto-stop after a resume: see the "load" command's stop_after_resume_ms. */
struct resume_stop {
	uint64_t after_ms;	/* 0: disabled */
	uint64_t first_seq;	/* first sequence number submitted after the resume */
	struct timespec at;
	int armed;
};

/* True once every block completed a write submitted after the resume. */
static int rewritten_since(const struct xh_load *l, uint64_t first_seq)
{
	for (uint32_t b = 0; b < l->nblocks; b++)
		if (l->completed[b] < first_seq)
			return 0;
	return 1;
}

static void print_counters(const struct serve_opts *o)
{
	for (int i = 0; i < o->ncounter_dirs; i++) {
		DIR *d = opendir(o->counter_dirs[i]);
		struct dirent *de;

		if (!d) {
			printf("XH-G counters dir=%s missing\n", o->counter_dirs[i]);
			continue;
		}
		printf("XH-G counters dir=%s", o->counter_dirs[i]);
		while ((de = readdir(d))) {
			char path[512], val[64];
			FILE *f;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", o->counter_dirs[i], de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(val, sizeof(val), f)) {
				val[strcspn(val, "\n ")] = '\0';
				printf(" %s=%s", de->d_name, val);
			}
			fclose(f);
		}
		closedir(d);
		printf("\n");
	}
}

static void report_progress(const char *what, uint64_t seq, const struct xh_load *l)
{
	printf("XH-G %s %llu running=%d seq=%llu completed=%llu inflight=%u errors=%llu\n",
	       what, (unsigned long long)seq, l->running, (unsigned long long)(l->next_seq - 1),
	       (unsigned long long)l->nr_completed, l->inflight,
	       (unsigned long long)l->nr_errors);
}

static int handle(const struct serve_opts *o, struct xh_load *l, const struct xh_mbox_cmd *c,
		  struct timespec *load_started, uint64_t *max_s, struct resume_stop *rs)
{
	unsigned long long seq = (unsigned long long)c->seq;

	printf("XH-G ack %llu %s\n", seq, c->cmd);
	if (strcmp(c->cmd, "load") == 0) {
		uint64_t pace = 0, stagger = 0;

		*max_s = 120;
		xh_args_get_u64(c->args, "pace_us", &pace);
		xh_args_get_u64(c->args, "max_s", max_s);
		xh_args_get_u64(c->args, "stagger_ms", &stagger);
		rs->after_ms = 0;
		rs->armed = 0;
		xh_args_get_u64(c->args, "stop_after_resume_ms", &rs->after_ms);
		clock_gettime(CLOCK_MONOTONIC, load_started);
		if (pace > 1000000 || stagger > 600000 ||
		    xh_load_start(l, (unsigned int)pace, (unsigned int)stagger) < 0) {
			printf("XH-G done %llu load error=%s\n", seq, strerror(errno));
			return 0;
		}
		printf("XH-G done %llu load blocks=%u inflight=%u\n", seq, l->nblocks, l->inflight);
	} else if (strcmp(c->cmd, "stop") == 0) {
		int rc = xh_load_stop(l, STOP_TIMEOUT_MS);

		report_progress(rc == 0 ? "done" : "stop-timeout", c->seq, l);
	} else if (strcmp(c->cmd, "verify") == 0) {
		struct xh_verify_result r;

		if (xh_verify(l, &r, stdout) < 0) {
			printf("XH-G done %llu verify error=%s\n", seq, strerror(errno));
			return 0;
		}
		print_counters(o);
		printf("XH-G done %llu verify blocks=%u ok=%u stale=%u corrupt=%u future=%u ioerr=%u writes=%llu write_errors=%llu\n",
		       seq, r.blocks, r.ok, r.stale, r.corrupt, r.future, r.ioerr,
		       (unsigned long long)l->nr_completed, (unsigned long long)l->nr_errors);
	} else if (strcmp(c->cmd, "ping") == 0) {
		report_progress("done", c->seq, l);
	} else if (strcmp(c->cmd, "quit") == 0) {
		printf("XH-G done %llu quit\n", seq);
		return 1;
	} else {
		printf("XH-G done %llu error=unknown-command\n", seq);
	}
	return 0;
}

static int serve(const struct serve_opts *o)
{
	struct timespec load_started = { 0 }, last_progress, last_poll, now;
	uint64_t last_seq = 0, max_s = 0;
	struct resume_stop rs = { 0 };
	double away = suspended_s();
	struct xh_load l;
	void *scratch;
	int fd;

	fd = open(o->dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		printf("XH-G fatal open %s: %s\n", o->dev, strerror(errno));
		return 1;
	}
	if (posix_memalign(&scratch, XH_BLOCK_SIZE, XH_BLOCK_SIZE) ||
	    xh_load_init(&l, fd, o->blocks, RECORD_BASE_BLOCK,
			 (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid()) < 0) {
		printf("XH-G fatal init: %s\n", strerror(errno));
		return 1;
	}
	printf("XH-G serving dev=%s blocks=%u\n", o->dev, o->blocks);
	clock_gettime(CLOCK_MONOTONIC, &last_progress);
	last_poll = last_progress;
	for (;;) {
		struct xh_mbox_cmd c;
		int rc;

		if (xh_load_tick(&l) < 0)
			printf("XH-G submit error: %s\n", strerror(errno));
		if (l.inflight) {
			if (xh_load_poll(&l, POLL_MS) < 0)
				printf("XH-G poll error: %s\n", strerror(errno));
		} else {
			struct timespec ts = { 0, POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (suspended_s() - away > 1.0) {
			printf("XH-G resumed away_s=%.1f seq=%llu completed=%llu inflight=%u\n",
			       suspended_s() - away, (unsigned long long)(l.next_seq - 1),
			       (unsigned long long)l.nr_completed, l.inflight);
			away = suspended_s();
			if (l.running && rs.after_ms) {
				rs.armed = 1;
				rs.first_seq = l.next_seq;
				rs.at = now;
			}
		}
		if (rs.armed && l.running && elapsed_ms(&rs.at, &now) >= (long)rs.after_ms &&
		    rewritten_since(&l, rs.first_seq)) {
			/* Stop before late writes of the old host land, so they stay visible. */
			rs.armed = 0;
			xh_load_stop(&l, STOP_TIMEOUT_MS);
			report_progress("autostop-after-resume", 0, &l);
		}
		if (l.running && elapsed_ms(&last_progress, &now) >= PROGRESS_MS) {
			report_progress("progress", 0, &l);
			last_progress = now;
		}
		if (l.running && elapsed_ms(&load_started, &now) >= (long)max_s * 1000) {
			/* Safety cap: long full-speed phases can kill TCG guests. */
			printf("XH-G autostop after %llus\n", (unsigned long long)max_s);
			xh_load_stop(&l, STOP_TIMEOUT_MS);
		}
		if (elapsed_ms(&last_poll, &now) < POLL_MS)
			continue;
		last_poll = now;
		rc = xh_mbox_read(fd, scratch, &c);
		if (rc < 0)
			printf("XH-G mailbox read error: %s\n", strerror(errno));
		if (rc <= 0 || c.seq <= last_seq)
			continue;
		last_seq = c.seq;
		if (handle(o, &l, &c, &load_started, &max_s, &rs))
			break;
	}
	xh_load_free(&l);
	free(scratch);
	close(fd);
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v > 1024)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "counters", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
		{ "secs", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'q' },
		{ "mib", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_opts so = { .blocks = 8 };
	struct xh_bench_opts bo = { .label = "unnamed", .secs = 3, .depth = 8,
				    .first_block = BENCH_BASE_BLOCK };
	uint32_t mib = 16, v;
	const char *mode;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			so.dev = optarg;
			break;
		case 'b':
			if (parse_u32(optarg, &so.blocks))
				goto bad;
			break;
		case 'c':
			if (so.ncounter_dirs == MAX_COUNTER_DIRS)
				goto bad;
			so.counter_dirs[so.ncounter_dirs++] = optarg;
			break;
		case 'l':
			bo.label = optarg;
			break;
		case 's':
			if (parse_u32(optarg, &bo.secs))
				goto bad;
			break;
		case 'q':
			if (parse_u32(optarg, &v) || v > 64)
				goto bad;
			bo.depth = v;
			break;
		case 'm':
			if (parse_u32(optarg, &mib))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!so.dev || optind != argc)
		goto bad;
	if (strcmp(mode, "serve") == 0)
		return serve(&so);
	if (strcmp(mode, "bench") == 0) {
		bo.fd = open(so.dev, O_RDWR | O_DIRECT);
		if (bo.fd < 0) {
			printf("XH-G fatal open %s: %s\n", so.dev, strerror(errno));
			return 1;
		}
		bo.nblocks = (uint64_t)mib * 256;
		return xh_bench_run(&bo) == 0 ? 0 : 1;
	}
bad:
	usage(stderr);
	return 2;
}
