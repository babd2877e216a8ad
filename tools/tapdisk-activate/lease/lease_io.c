// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Lease area I/O: full scans (one O_DIRECT read of every sector a ballot
 * needs), small reads of the leader and one or two slots,
 * and single-sector O_DSYNC writes (sector-atomic, durable on return).
 */
#include "lease_internal.h"

#include "lease_area.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lease_timeouts.h"

int lease_fail(struct lease *l, int result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return result;
}

static int io_fail(struct lease *l, int ret, const char *what)
{
	return lease_fail(l, LEASE_IO, "%s: %s of the lease area failed: %s",
			  l->dev.path, what, strerror(-ret));
}

static int damaged(struct lease *l, const char *why)
{
	return lease_fail(l, LEASE_DAMAGED, "lease area damaged: %s:%llu: %s",
			  l->dev.path, (unsigned long long)l->offset, why);
}

/*
 * Torn reads: where the storage does not make a sector write atomic for
 * readers (a 4096-byte lease sector on 512-byte storage, some network
 * filesystems), a sector another host is writing right now can read back
 * as part new, part old bytes and fail its checksum although the write
 * completes a moment later. So a read whose sectors do not all validate is
 * repeated, LEASE_REREADS times with growing pauses, and only damage that
 * is still there is reported. The read pattern of an intact area is
 * unchanged; I/O errors are not retried here.
 */
void lease_reread_sleep(unsigned int n)
{
	uint64_t ns = lease_reread_pause_ms(n) * 1000000u;
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int scan_once(struct lease *l)
{
	struct dio_extent ext = {
		.offset = l->offset, .len = l->area_read_len, .buf = l->area,
	};
	struct lease_area_view v = { .slots = l->slots };
	int ret;

	ret = dio_read(&l->dev, &ext, 1);
	l->stats.full_scans++;
	if (ret)
		return io_fail(l, ret, "read");
	ret = lease_decode_area(l->area, ext.done, l->ss, l->hdr.uuid, &v);
	l->leader = v.leader;
	l->damaged = v.damaged;
	l->first_damaged = v.first_damaged;
	l->scan_state = v.state;
	l->scan_pending = v.pending_version;
	if (ret == LEASE_OK)
		return LEASE_OK;
	damaged(l, v.why);
	if (v.damaged > 1) {
		size_t n = strlen(l->err);

		snprintf(l->err + n, sizeof(l->err) - n,
			 " (and %u more damaged sectors)", v.damaged - 1);
	}
	return LEASE_DAMAGED;
}

int lease_scan(struct lease *l)
{
	int ret = scan_once(l);

	for (unsigned int n = 0; ret == LEASE_DAMAGED && n < LEASE_REREADS;
	     n++) {
		lease_reread_sleep(n);
		ret = scan_once(l);
	}
	return ret;
}

static int read_small_once(struct lease *l, uint16_t own, uint16_t other,
			   struct lease_leader_rec *leader,
			   struct lease_slot_rec *own_slot,
			   struct lease_slot_rec *other_slot)
{
	struct dio_extent ext[3];
	unsigned int n = 0;
	char why[256];
	int ret;

	ext[n++] = (struct dio_extent){
		.offset = l->offset + (uint64_t)LEASE_SECTOR_LEADER * l->ss,
		.len = l->ss, .buf = l->small };
	if (own)
		ext[n++] = (struct dio_extent){
			.offset = l->offset +
				  (uint64_t)LEASE_SECTOR_SLOT(own) * l->ss,
			.len = l->ss, .buf = l->small + l->ss };
	if (other)
		ext[n++] = (struct dio_extent){
			.offset = l->offset +
				  (uint64_t)LEASE_SECTOR_SLOT(other) * l->ss,
			.len = l->ss, .buf = l->small + 2 * l->ss };
	/*
	 * One sector each, synchronously: a libaio context costs ~35 ms to
	 * tear down, more than the whole renewal (see dio.c).
	 */
	for (unsigned int i = 0; i < n; i++) {
		ret = dio_read(&l->dev, &ext[i], 1);
		if (ret)
			return io_fail(l, ret, "read");
	}
	l->stats.small_reads++;
	for (unsigned int i = 0; i < n; i++)
		if (ext[i].done != l->ss)
			return damaged(l, "area truncated");
	if (lease_decode_leader(l->small, l->ss, l->hdr.uuid, leader, why,
				sizeof(why)))
		return damaged(l, why);
	if (own && lease_decode_slot(l->small + l->ss, l->ss, l->hdr.uuid,
				     own, own_slot, why, sizeof(why)))
		return damaged(l, why);
	if (other && lease_decode_slot(l->small + 2 * l->ss, l->ss,
				       l->hdr.uuid, other, other_slot, why,
				       sizeof(why)))
		return damaged(l, why);
	return LEASE_OK;
}

int lease_read_small(struct lease *l, uint16_t own, uint16_t other,
		     struct lease_leader_rec *leader,
		     struct lease_slot_rec *own_slot,
		     struct lease_slot_rec *other_slot)
{
	int ret;

	if (other == own)
		other = 0;
	ret = read_small_once(l, own, other, leader, own_slot, other_slot);
	for (unsigned int n = 0; ret == LEASE_DAMAGED && n < LEASE_REREADS;
	     n++) {
		lease_reread_sleep(n);
		ret = read_small_once(l, own, other, leader, own_slot,
				      other_slot);
	}
	if (ret)
		return ret;
	if (own && other_slot && !other)
		*other_slot = *own_slot;
	return LEASE_OK;
}

static int write_sector(struct lease *l, uint32_t index)
{
	struct dio_extent ext = {
		.offset = l->offset + (uint64_t)index * l->ss,
		.len = l->ss, .buf = l->wbuf,
	};
	int ret;

	if (l->read_only)
		return lease_fail(l, LEASE_USAGE, "%s: opened read-only",
				  l->dev.path);
	ret = dio_write(&l->dev, &ext, 1);
	l->stats.sector_writes++;
	return ret ? io_fail(l, ret, "write") : LEASE_OK;
}

int lease_write_leader(struct lease *l, const struct lease_leader_rec *r)
{
	lease_encode_leader(l->wbuf, l->ss, l->hdr.uuid, r);
	return write_sector(l, LEASE_SECTOR_LEADER);
}

int lease_write_slot(struct lease *l, const struct lease_slot_rec *r)
{
	lease_encode_slot(l->wbuf, l->ss, l->hdr.uuid, r);
	return write_sector(l, LEASE_SECTOR_SLOT(r->host_id));
}
