/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * dio: the direct-I/O layer every on-storage structure goes through.
 *
 * Shared storage is only trustworthy when reads bypass this host's page
 * cache (another host may have written the blocks since we last looked), so
 * every metadata and lease access is O_DIRECT and batched through libaio:
 * a caller describes all ranges it needs and pays for one submission.
 *
 * Works on regular files and block devices. Ranges handed to dio_read() may
 * be arbitrary byte ranges (they are widened to the device's direct-I/O
 * alignment internally, through a bounce buffer when needed). Writes must be
 * aligned, and are durable when dio_write() returns (O_DSYNC).
 */
#ifndef TAPDISK_ACTIVATE_DIO_H
#define TAPDISK_ACTIVATE_DIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libaio.h>

/* Alignment of every buffer dio_alloc() returns; a multiple of any sector. */
#define DIO_BUF_ALIGN		4096u
/* Most iocbs in one io_submit(); larger batches are split. */
#define DIO_MAX_BATCH		64u

enum dio_mode {
	DIO_READ_ONLY,
	DIO_READ_WRITE,		/* writes are O_DSYNC: durable on completion */
};

struct dio_dev {
	int fd;
	bool is_blockdev;
	/* Offset and length alignment direct I/O needs on this file/device. */
	uint32_t align;
	/* Logical sector size of the device (block devices) or @align (files). */
	uint32_t sector_size;
	/* Size in bytes when opened or last dio_refresh_size(). */
	uint64_t size;
	io_context_t ctx;
	/*
	 * Set after dio_open() to issue batches as sequential O_DIRECT
	 * preads/pwrites instead of libaio: for one-shot commands whose few
	 * batches cost less than the aio context teardown (see dio_open()).
	 */
	bool sync_only;
	char path[4096];
};

struct dio_extent {
	uint64_t offset;	/* byte offset in the file/device */
	size_t len;		/* bytes */
	void *buf;		/* destination (read) or source (write) */
	/* Out (reads): bytes actually read; less than len only at EOF. */
	size_t done;
};

/*
 * Opens @path with O_DIRECT. Returns 0 or a negative errno; on failure
 * @dev is left closed and a message suitable for the user is in @err
 * (may be NULL).
 */
int dio_open(struct dio_dev *dev, const char *path, enum dio_mode mode,
	     char *err, size_t errlen);
void dio_close(struct dio_dev *dev);

/* Re-reads the size (it changes while another host grows an image). */
int dio_refresh_size(struct dio_dev *dev);

/*
 * Reads all @n extents with O_DIRECT in as few io_submit() calls as
 * DIO_MAX_BATCH allows. Extents may be unaligned. An extent that ends past
 * EOF is read up to EOF and reports it in ->done. Returns 0 or -errno.
 */
int dio_read(struct dio_dev *dev, struct dio_extent *ext, unsigned int n);

/*
 * Writes all @n extents; offset, len and buf must be aligned to dev->align
 * (-EINVAL otherwise). Returns 0 once every byte is durable, or -errno.
 */
int dio_write(struct dio_dev *dev, const struct dio_extent *ext,
	      unsigned int n);

/* Zeroed buffer aligned to DIO_BUF_ALIGN, length rounded up to it. */
void *dio_alloc(size_t len);

/* Rounds up/down to a power-of-two alignment. */
static inline uint64_t dio_round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline uint64_t dio_round_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

#endif /* TAPDISK_ACTIVATE_DIO_H */
