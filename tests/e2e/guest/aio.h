/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Linux native AIO through raw syscalls: the guest image is a static binary
 * without libaio, and AIO is what leaves writes in flight across a suspend
 * (a thread blocked in pwrite() is waited for by the freezer instead).
 */
#ifndef XH_AIO_H
#define XH_AIO_H

#include <linux/aio_abi.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

int xh_io_setup(unsigned int nr, aio_context_t *ctx);
int xh_io_destroy(aio_context_t ctx);
int xh_io_submit(aio_context_t ctx, long nr, struct iocb **iocbs);
/* Returns the number of events or -1 with errno set; timeout_ms < 0 waits forever. */
int xh_io_getevents(aio_context_t ctx, long min_nr, long max_nr,
		    struct io_event *events, long timeout_ms);
void xh_iocb_prep(struct iocb *cb, int fd, int write, void *buf, size_t len,
		  off_t offset, uint64_t data);

#endif
