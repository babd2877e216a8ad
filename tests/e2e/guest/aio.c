// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "aio.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int xh_io_setup(unsigned int nr, aio_context_t *ctx)
{
	*ctx = 0;
	return (int)syscall(SYS_io_setup, nr, ctx);
}

int xh_io_destroy(aio_context_t ctx)
{
	return (int)syscall(SYS_io_destroy, ctx);
}

int xh_io_submit(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return (int)syscall(SYS_io_submit, ctx, nr, iocbs);
}

int xh_io_getevents(aio_context_t ctx, long min_nr, long max_nr,
		    struct io_event *events, long timeout_ms)
{
	struct timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (timeout_ms % 1000) * 1000000L,
	};
	int rc;

	do {
		rc = (int)syscall(SYS_io_getevents, ctx, min_nr, max_nr, events,
				  timeout_ms < 0 ? NULL : &ts);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

void xh_iocb_prep(struct iocb *cb, int fd, int write, void *buf, size_t len,
		  off_t offset, uint64_t data)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = (uint32_t)fd;
	cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	cb->aio_buf = (uint64_t)(uintptr_t)buf;
	cb->aio_nbytes = len;
	cb->aio_offset = offset;
	cb->aio_data = data;
}
