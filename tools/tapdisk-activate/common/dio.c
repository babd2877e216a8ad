// SPDX-License-Identifier: GPL-2.0 OR MIT
/* dio: O_DIRECT + libaio access to files and block devices (see dio.h). */
#include "dio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* Used when the kernel cannot tell (no STATX_DIOALIGN): always sufficient. */
#define DIO_FALLBACK_ALIGN	4096u

static int dio_statx(int fd, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH,
		    STATX_TYPE | STATX_SIZE | STATX_DIOALIGN, stx) < 0)
		return -errno;
	return 0;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int dio_refresh_size(struct dio_dev *dev)
{
	struct statx stx;
	uint64_t bytes;
	int ret;

	if (dev->is_blockdev) {
		if (ioctl(dev->fd, BLKGETSIZE64, &bytes) < 0)
			return -errno;
		dev->size = bytes;
		return 0;
	}
	ret = dio_statx(dev->fd, &stx);
	if (ret)
		return ret;
	dev->size = stx.stx_size;
	return 0;
}

static int dio_probe_geometry(struct dio_dev *dev, const struct statx *stx)
{
	int lbs;

	dev->is_blockdev = (stx->stx_mode & S_IFMT) == S_IFBLK;
	dev->align = DIO_FALLBACK_ALIGN;
	if ((stx->stx_mask & STATX_DIOALIGN) && stx->stx_dio_offset_align) {
		uint32_t a = stx->stx_dio_offset_align;

		if (stx->stx_dio_mem_align > a)
			a = stx->stx_dio_mem_align;
		if (is_pow2(a) && a <= DIO_BUF_ALIGN)
			dev->align = a;
	}
	dev->sector_size = dev->align;
	if (dev->is_blockdev) {
		if (ioctl(dev->fd, BLKSSZGET, &lbs) < 0)
			return -errno;
		if (lbs <= 0 || !is_pow2((uint64_t)lbs) ||
		    (uint32_t)lbs > DIO_BUF_ALIGN)
			return -EINVAL;
		dev->sector_size = (uint32_t)lbs;
		if (dev->align < dev->sector_size)
			dev->align = dev->sector_size;
	}
	return 0;
}

int dio_open(struct dio_dev *dev, const char *path, enum dio_mode mode,
	     char *err, size_t errlen)
{
	int flags = O_DIRECT | O_CLOEXEC;
	struct statx stx;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	if (strlen(path) >= sizeof(dev->path)) {
		if (err)
			snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(dev->path, path);
	flags |= mode == DIO_READ_WRITE ? O_RDWR | O_DSYNC : O_RDONLY;
	dev->fd = open(path, flags);
	if (dev->fd < 0) {
		ret = -errno;
		if (err)
			snprintf(err, errlen, "%s: cannot open with O_DIRECT: %s",
				 path, strerror(-ret));
		return ret;
	}
	ret = dio_statx(dev->fd, &stx);
	if (!ret && (stx.stx_mode & S_IFMT) != S_IFREG &&
	    (stx.stx_mode & S_IFMT) != S_IFBLK)
		ret = -EINVAL;
	if (!ret)
		ret = dio_probe_geometry(dev, &stx);
	if (!ret)
		ret = dio_refresh_size(dev);
	/*
	 * The libaio context is set up on the first batch of more than one
	 * I/O: tearing one down (io_destroy or process exit) waits for an RCU
	 * grace period, ~35 ms here, which would dominate short commands that
	 * only ever do single I/Os (a lease renewal, a status).
	 */
	if (ret) {
		if (err)
			snprintf(err, errlen, "%s: %s", path,
				 ret == -EINVAL ?
				 "not a regular file or block device" :
				 strerror(-ret));
		close(dev->fd);
		dev->fd = -1;
		dev->ctx = 0;
		return ret;
	}
	return 0;
}

void dio_close(struct dio_dev *dev)
{
	if (dev->ctx)
		io_destroy(dev->ctx);
	dev->ctx = 0;
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

void *dio_alloc(size_t len)
{
	size_t rounded = dio_round_up(len ? len : 1, DIO_BUF_ALIGN);
	void *p;

	if (posix_memalign(&p, DIO_BUF_ALIGN, rounded))
		return NULL;
	memset(p, 0, rounded);
	return p;
}

/* One aligned I/O as submitted, and where its bytes belong. */
struct dio_slot {
	struct iocb cb;
	uint64_t aoff;		/* aligned offset submitted */
	size_t alen;		/* aligned length submitted */
	void *io_buf;		/* buffer handed to the kernel */
	bool bounce;		/* io_buf is ours, copy out on completion */
};

static bool extent_aligned(const struct dio_dev *dev, uint64_t off,
			   size_t len, const void *buf)
{
	return !(off % dev->align) && !(len % dev->align) &&
	       !((uintptr_t)buf % dev->align);
}

/* One I/O needs no batching: the same O_DIRECT transfer, synchronously. */
static void dio_run_one(struct dio_dev *dev, struct iocb *cb, long *res)
{
	ssize_t r;

	do {
		if (cb->aio_lio_opcode == IO_CMD_PREAD)
			r = pread(dev->fd, cb->u.c.buf, cb->u.c.nbytes,
				  cb->u.c.offset);
		else
			r = pwrite(dev->fd, cb->u.c.buf, cb->u.c.nbytes,
				   cb->u.c.offset);
	} while (r < 0 && errno == EINTR);
	*res = r < 0 ? -errno : (long)r;
}

/*
 * Adjacent I/Os as one preadv/pwritev (sync_only mode): a BAT read in
 * many pieces then costs one syscall and one request, not one each.
 */
static void dio_run_vec(struct dio_dev *dev, struct dio_slot *slots,
			unsigned int n, long *res)
{
	struct iovec iov[DIO_MAX_BATCH];
	ssize_t r;

	for (unsigned int i = 0; i < n; i++) {
		iov[i].iov_base = slots[i].cb.u.c.buf;
		iov[i].iov_len = slots[i].cb.u.c.nbytes;
	}
	do {
		if (slots[0].cb.aio_lio_opcode == IO_CMD_PREAD)
			r = preadv(dev->fd, iov, (int)n,
				   slots[0].cb.u.c.offset);
		else
			r = pwritev(dev->fd, iov, (int)n,
				    slots[0].cb.u.c.offset);
	} while (r < 0 && errno == EINTR);
	for (unsigned int i = 0; i < n; i++) {
		if (r < 0) {
			res[i] = -errno;
			continue;
		}
		res[i] = (size_t)r < iov[i].iov_len ? (long)r :
			 (long)iov[i].iov_len;
		r -= res[i];
	}
}

/* Length of the run of I/Os from @i on that continue each other. */
static unsigned int dio_adjacent(const struct dio_slot *slots, unsigned int i,
				 unsigned int n)
{
	unsigned int j = i + 1;

	while (j < n &&
	       slots[j].cb.aio_lio_opcode == slots[i].cb.aio_lio_opcode &&
	       slots[j].cb.u.c.offset == slots[j - 1].cb.u.c.offset +
	       (long long)slots[j - 1].cb.u.c.nbytes)
		j++;
	return j - i;
}

/* io_submit() -EAGAIN: at most this many retries, pausing when idle. */
#define DIO_EAGAIN_RETRIES	1000u
#define DIO_EAGAIN_PAUSE_US	1000u

/*
 * Reaps between @min and @max completions into @res (indexed by the iocb's
 * data); returns how many, or a negative errno other than EINTR.
 */
static int dio_reap(struct dio_dev *dev, long min, long max,
		    struct io_event *ev, long *res)
{
	int got;

	do {
		got = io_getevents(dev->ctx, min, max, ev, NULL);
	} while (got == -EINTR);
	for (int i = 0; i < got; i++)
		res[(uintptr_t)ev[i].data] = (long)ev[i].res;
	return got;
}

/*
 * Reaping failed with I/O still in flight: the kernel may yet write into
 * the caller's (or our bounce) buffers, so they must not be freed before
 * it is done. io_destroy() waits for every request of the context to
 * complete; the next batch sets up a new context.
 */
static int dio_abandon(struct dio_dev *dev, int err)
{
	/* Nothing waited: buffers in use by the kernel must not be freed. */
	if (io_destroy(dev->ctx))
		abort();
	dev->ctx = 0;
	return err;
}

/* Submits @n prepared iocbs and reaps all of them; ->res into @res. */
static int dio_run(struct dio_dev *dev, struct dio_slot *slots,
		   unsigned int n, long *res)
{
	struct iocb *cbs[DIO_MAX_BATCH];
	struct io_event ev[DIO_MAX_BATCH];
	unsigned int submitted = 0, reaped = 0, eagain = 0, i;
	int ret;

	if (n == 1) {
		dio_run_one(dev, &slots[0].cb, res);
		return 0;
	}
	if (dev->sync_only) {
		for (i = 0; i < n; i += submitted) {
			submitted = dio_adjacent(slots, i, n);
			if (submitted == 1)
				dio_run_one(dev, &slots[i].cb, &res[i]);
			else
				dio_run_vec(dev, &slots[i], submitted,
					    &res[i]);
		}
		return 0;
	}
	if (!dev->ctx) {
		ret = io_setup(DIO_MAX_BATCH, &dev->ctx);
		if (ret) {
			dev->ctx = 0;
			return ret > 0 ? -ret : ret;
		}
	}

	for (i = 0; i < n; i++) {
		cbs[i] = &slots[i].cb;
		slots[i].cb.data = (void *)(uintptr_t)i;
	}
	while (submitted < n) {
		ret = io_submit(dev->ctx, n - submitted, cbs + submitted);
		if (ret == -EINTR)
			continue;
		if (ret == -EAGAIN && eagain < DIO_EAGAIN_RETRIES) {
			/*
			 * No room for more requests: let one in flight finish
			 * first, or with none in flight pause briefly; a
			 * bounded number of times, never a busy loop.
			 */
			eagain++;
			if (reaped < submitted) {
				ret = dio_reap(dev, 1, submitted - reaped, ev,
					       res);
				if (ret < 0)
					return dio_abandon(dev, ret);
				reaped += ret;
			} else {
				usleep(DIO_EAGAIN_PAUSE_US);
			}
			continue;
		}
		if (ret <= 0) {
			/* Nothing more goes in: wait out what is in flight. */
			while (reaped < submitted) {
				int got = dio_reap(dev, 1, submitted - reaped,
						   ev, res);

				if (got < 0)
					return dio_abandon(dev, got);
				reaped += got;
			}
			return ret ? ret : -EIO;
		}
		submitted += ret;
	}
	while (reaped < n) {
		ret = dio_reap(dev, 1, n - reaped, ev, res);
		if (ret < 0)
			return dio_abandon(dev, ret);
		reaped += ret;
	}
	return 0;
}

static void free_bounces(struct dio_slot *slots, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (slots[i].bounce)
			free(slots[i].io_buf);
}

static int dio_read_chunk(struct dio_dev *dev, struct dio_extent *ext,
			  unsigned int n)
{
	struct dio_slot slots[DIO_MAX_BATCH];
	long res[DIO_MAX_BATCH];
	unsigned int i;
	int ret = 0;

	memset(slots, 0, sizeof(slots));
	for (i = 0; i < n; i++) {
		struct dio_slot *s = &slots[i];

		ext[i].done = 0;
		s->aoff = dio_round_down(ext[i].offset, dev->align);
		s->alen = dio_round_up(ext[i].offset + ext[i].len,
				       dev->align) - s->aoff;
		if (extent_aligned(dev, ext[i].offset, ext[i].len,
				   ext[i].buf)) {
			s->io_buf = ext[i].buf;
		} else {
			s->io_buf = dio_alloc(s->alen);
			if (!s->io_buf) {
				free_bounces(slots, i);
				return -ENOMEM;
			}
			s->bounce = true;
		}
		io_prep_pread(&s->cb, dev->fd, s->io_buf, s->alen,
			      (long long)s->aoff);
	}
	ret = dio_run(dev, slots, n, res);
	for (i = 0; !ret && i < n; i++) {
		struct dio_slot *s = &slots[i];
		uint64_t head = ext[i].offset - s->aoff;
		size_t got;

		if (res[i] < 0) {
			ret = (int)res[i];
			break;
		}
		got = (size_t)res[i];
		/* A short read is only legitimate at end of file/device. */
		if (got < s->alen && s->aoff + got < dev->size) {
			ret = -EIO;
			break;
		}
		got = got > head ? got - head : 0;
		ext[i].done = got < ext[i].len ? got : ext[i].len;
		if (s->bounce)
			memcpy(ext[i].buf, (char *)s->io_buf + head,
			       ext[i].done);
	}
	free_bounces(slots, n);
	return ret;
}

int dio_read(struct dio_dev *dev, struct dio_extent *ext, unsigned int n)
{
	int ret;

	/* The size bounds short-read checks: another host may have grown it. */
	ret = dio_refresh_size(dev);
	while (!ret && n) {
		unsigned int chunk = n < DIO_MAX_BATCH ? n : DIO_MAX_BATCH;

		ret = dio_read_chunk(dev, ext, chunk);
		ext += chunk;
		n -= chunk;
	}
	return ret;
}

int dio_write(struct dio_dev *dev, const struct dio_extent *ext,
	      unsigned int n)
{
	struct dio_slot slots[DIO_MAX_BATCH];
	long res[DIO_MAX_BATCH];

	while (n) {
		unsigned int chunk = n < DIO_MAX_BATCH ? n : DIO_MAX_BATCH;
		unsigned int i;
		int ret;

		memset(slots, 0, sizeof(slots));
		for (i = 0; i < chunk; i++) {
			if (!extent_aligned(dev, ext[i].offset, ext[i].len,
					    ext[i].buf))
				return -EINVAL;
			io_prep_pwrite(&slots[i].cb, dev->fd, ext[i].buf,
				       ext[i].len, (long long)ext[i].offset);
		}
		ret = dio_run(dev, slots, chunk, res);
		if (ret)
			return ret;
		for (i = 0; i < chunk; i++) {
			if (res[i] < 0)
				return (int)res[i];
			if ((size_t)res[i] != ext[i].len)
				return -EIO;
		}
		ext += chunk;
		n -= chunk;
	}
	return 0;
}
