// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dio under libaio faults (io_submit and io_getevents are interposed by
 * this program and call libaio's own unless told to fail):
 *  - io_submit -EAGAIN a few times: the batch still completes, with a
 *    bounded number of calls, not a busy loop;
 *  - io_submit -EAGAIN for good: the read fails -EAGAIN within bounds;
 *  - io_getevents fails with requests in flight: the read fails with that
 *    error and the context is gone (io_destroy waited for the requests),
 *    so no buffer the kernel may still write into is freed early; the next
 *    read sets up a new context and works;
 *  - a partial submit followed by a failing io_submit: the submitted
 *    requests are reaped before the error is returned.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libaio.h>
#include <string.h>
#include <time.h>

#include "common/dio.h"
#include "t_helpers.h"

#define FILE_SIZE	(256 * 1024)
#define NEXT		8

static int eagain_left;		/* io_submit: this many -EAGAIN first */
static int submit_one_then_eio;	/* io_submit: 1 request, then -EIO */
static int getevents_fail;	/* io_getevents: fail once with -EIO */
static int submit_calls;

int io_submit(io_context_t ctx, long nr, struct iocb **iocbs)
{
	static int (*real)(io_context_t, long, struct iocb **);

	if (!real)
		real = (int (*)(io_context_t, long, struct iocb **))
			dlsym(RTLD_NEXT, "io_submit");
	submit_calls++;
	if (eagain_left) {
		if (eagain_left > 0)
			eagain_left--;
		return -EAGAIN;
	}
	if (submit_one_then_eio == 1) {
		submit_one_then_eio = 2;
		return real(ctx, 1, iocbs);
	}
	if (submit_one_then_eio == 2) {
		submit_one_then_eio = 0;
		return -EIO;
	}
	return real(ctx, nr, iocbs);
}

int io_getevents(io_context_t ctx, long min, long nr, struct io_event *ev,
		 struct timespec *tmo)
{
	static int (*real)(io_context_t, long, long, struct io_event *,
			   struct timespec *);

	if (!real)
		real = (int (*)(io_context_t, long, long, struct io_event *,
				struct timespec *))dlsym(RTLD_NEXT,
							 "io_getevents");
	if (getevents_fail) {
		getevents_fail = 0;
		return -EIO;
	}
	return real(ctx, min, nr, ev, tmo);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_batch(struct dio_dev *dev, unsigned char *buf)
{
	struct dio_extent ext[NEXT];

	memset(buf, 0, FILE_SIZE);
	for (int i = 0; i < NEXT; i++) {
		/* Unaligned: every extent goes through a bounce buffer. */
		ext[i].offset = (uint64_t)i * (FILE_SIZE / NEXT) + 1;
		ext[i].len = FILE_SIZE / NEXT - 2;
		ext[i].buf = buf + ext[i].offset;
	}
	return dio_read(dev, ext, NEXT);
}

static void check(const unsigned char *buf)
{
	for (int i = 0; i < NEXT; i++) {
		size_t off = (size_t)i * (FILE_SIZE / NEXT) + 1;

		T_ASSERT(buf[off] == 0x5a && buf[off + FILE_SIZE / NEXT - 3] ==
			 0x5a, "extent %d read back wrong", i);
	}
}

int main(void)
{
	static unsigned char buf[FILE_SIZE];
	struct dio_dev dev;
	char err[256];
	char *path = t_path("img");
	double t0;
	int r;

	t_create_file(path, FILE_SIZE, 0x5a);
	T_ASSERT(dio_open(&dev, path, DIO_READ_ONLY, err, sizeof(err)) == 0,
		 "%s", err);

	T_ASSERT(read_batch(&dev, buf) == 0, "plain batch");
	check(buf);
	T_ASSERT(dev.ctx, "a batch sets up the libaio context");

	eagain_left = 5;
	submit_calls = 0;
	T_ASSERT(read_batch(&dev, buf) == 0, "batch after 5 x -EAGAIN");
	check(buf);
	T_ASSERT(submit_calls == 6, "io_submit called %d times", submit_calls);

	eagain_left = -1;
	submit_calls = 0;
	t0 = now();
	r = read_batch(&dev, buf);
	eagain_left = 0;
	T_ASSERT(r == -EAGAIN, "endless -EAGAIN: got %d", r);
	T_ASSERT(submit_calls <= 1001 && now() - t0 < 10,
		 "%d calls in %.1f s", submit_calls, now() - t0);
	printf("endless -EAGAIN: gave up after %d calls, %.2f s\n",
	       submit_calls, now() - t0);

	getevents_fail = 1;
	r = read_batch(&dev, buf);
	T_ASSERT(r == -EIO, "io_getevents failure: got %d", r);
	T_ASSERT(!dev.ctx, "context destroyed after a failed reap");
	T_ASSERT(read_batch(&dev, buf) == 0, "next batch on a new context");
	check(buf);

	submit_one_then_eio = 1;
	r = read_batch(&dev, buf);
	T_ASSERT(r == -EIO, "partial submit then -EIO: got %d", r);
	T_ASSERT(dev.ctx, "in-flight request reaped, context kept");
	T_ASSERT(read_batch(&dev, buf) == 0, "batch after a partial submit");
	check(buf);

	dio_close(&dev);
	return T_EXIT_PASS;
}
