// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Lease handle: open/init/status, and the operations of a holder (renew,
 * release). Acquire is in lease_acquire.c, the operator's break (which
 * acquires) in lease_break.c.
 */
#include "lease_internal.h"
#include "common/hint.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lease_timeouts.h"

static const char *const result_names[] = {
	[LEASE_OK] = "ok",
	[LEASE_HELD] = "held by another holder",
	[LEASE_VERSION_MOVED] = "version moved (acquired by someone else since)",
	[LEASE_DAMAGED] = "lease area damaged",
	[LEASE_NOT_OWNER] = "not the owner",
	[LEASE_LOST] = "lease lost (renewal deadline missed)",
	[LEASE_CONTENDED] = "contended (ballots kept being pre-empted)",
	[LEASE_NOT_INITIALIZED] = "not a lease area",
	[LEASE_USAGE] = "usage error",
	[LEASE_IO] = "I/O error",
};

const char *lease_strerror(int result)
{
	if (result < 0 || (size_t)result >= sizeof(result_names) /
					    sizeof(result_names[0]))
		return "unknown lease result";
	return result_names[result];
}

const char *lease_state_name(enum lease_state s)
{
	switch (s) {
	case LEASE_STATE_FREE: return "free";
	case LEASE_STATE_HELD: return "held";
	case LEASE_STATE_PENDING: return "pending";
	case LEASE_STATE_DAMAGED: return "damaged";
	}
	return "unknown";
}

const char *lease_last_error(const struct lease *l)
{
	return l->err[0] ? l->err : "no error";
}

void lease_get_io_stats(const struct lease *l, struct lease_io_stats *st)
{
	*st = l->stats;
}

uint64_t lease_valid_until_ns(const struct lease *l)
{
	return l->holding ? l->valid_until_ns : 0;
}

uint32_t lease_timeout_of(const struct lease *l)
{
	return l->have_header ? l->hdr.timeout_s : 0;
}

int lease_sidecar_path(const char *image, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.lease", image);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

uint32_t lease_random(struct lease *l)
{
	/* xorshift32: only spreads retries, never decides safety. */
	uint32_t x = l->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	l->rnd = x ? x : 0x9e3779b9u;
	return l->rnd;
}

uint64_t lease_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int lease_check_value(struct lease *l, const struct lease_value *v)
{
	if (!v->host_id || v->host_id > LEASE_MAX_HOSTS)
		return lease_fail(l, LEASE_USAGE,
				  "host id %u out of range 1..%u", v->host_id,
				  LEASE_MAX_HOSTS);
	if (!v->token[0])
		return lease_fail(l, LEASE_USAGE, "empty holder token");
	return LEASE_OK;
}

/* PATH[:OFFSET]: the suffix is an offset only when it is all digits. */
static int parse_spec(const char *spec, char *path, size_t len,
		      uint64_t *offset)
{
	const char *colon = strrchr(spec, ':');
	size_t plen = strlen(spec);
	char *end;

	*offset = 0;
	if (colon && colon[1] && colon > spec) {
		const char *p = colon + 1;

		while (isdigit((unsigned char)*p))
			p++;
		if (!*p) {
			errno = 0;
			*offset = strtoull(colon + 1, &end, 10);
			if (errno || *end)
				return -1;
			plen = (size_t)(colon - spec);
		}
	}
	if (!plen || plen >= len)
		return -1;
	memcpy(path, spec, plen);
	path[plen] = 0;
	return 0;
}

static int read_header_once(struct lease *l, unsigned char *buf, char *why,
			    size_t whylen, int *verdict)
{
	struct dio_extent ext = { .offset = l->offset, .len = 8192, .buf = buf };
	int ret = dio_read(&l->dev, &ext, 1);

	if (ret)
		return lease_fail(l, LEASE_IO, "%s: read failed: %s",
				  l->dev.path, strerror(-ret));
	*verdict = lease_decode_header(buf, ext.done, &l->hdr, why, whylen);
	l->claimed = lease_area_claimed(buf, ext.done);
	return LEASE_OK;
}

/*
 * LEASE_OK, LEASE_NOT_INITIALIZED (no lease header: no magic, or another
 * format), LEASE_DAMAGED (the lease magic over a header that does not
 * validate, still so after the re-reads that tell a torn read from damage,
 * see lease_io.c) or LEASE_IO.
 */
static int read_header(struct lease *l)
{
	unsigned char *buf = dio_alloc(8192);
	char why[256];
	int ret, verdict = 0;

	if (!buf)
		return lease_fail(l, LEASE_IO, "out of memory");
	ret = read_header_once(l, buf, why, sizeof(why), &verdict);
	for (unsigned int n = 0; !ret && verdict == LEASE_HDR_DAMAGED &&
	     n < LEASE_REREADS; n++) {
		lease_reread_sleep(n);
		ret = read_header_once(l, buf, why, sizeof(why), &verdict);
	}
	free(buf);
	if (ret)
		return ret;
	if (verdict == LEASE_HDR_DAMAGED)
		return lease_fail(l, LEASE_DAMAGED,
				  "lease area damaged: %s:%llu: %s",
				  l->dev.path, (unsigned long long)l->offset,
				  why);
	if (verdict)
		return lease_fail(l, LEASE_NOT_INITIALIZED,
				  "%s:%llu: no valid lease area: %s",
				  l->dev.path, (unsigned long long)l->offset,
				  why);
	return LEASE_OK;
}

/* Buffers for sector size @ss; checks the device can do it atomically. */
static int setup_geometry(struct lease *l, uint32_t ss)
{
	if (l->dev.align > ss)
		return lease_fail(l, LEASE_USAGE,
				  "%s: direct I/O needs %u-byte alignment, larger than the lease's %u-byte sectors",
				  l->dev.path, l->dev.align, ss);
	if (l->offset % ss || l->offset % l->dev.align)
		return lease_fail(l, LEASE_USAGE,
				  "%s: offset %llu is not a multiple of the %u-byte sector",
				  l->dev.path, (unsigned long long)l->offset,
				  ss);
	free(l->area);
	free(l->small);
	free(l->wbuf);
	l->ss = ss;
	l->area_read_len = dio_round_up((uint64_t)LEASE_USED_SECTORS * ss,
					l->dev.align);
	l->area = dio_alloc(l->area_read_len);
	l->small = dio_alloc(3 * (size_t)ss);
	l->wbuf = dio_alloc(ss);
	if (!l->area || !l->small || !l->wbuf)
		return lease_fail(l, LEASE_IO, "out of memory");
	return LEASE_OK;
}

int lease_open(struct lease **out, const char *spec, unsigned int flags,
	       char *err, size_t errlen)
{
	struct lease *l = calloc(1, sizeof(*l));
	char path[4096];
	struct stat st;
	int ret;

	*out = NULL;
	if (!l || !(l->slots = calloc(LEASE_MAX_HOSTS + 1,
				      sizeof(*l->slots)))) {
		if (l)
			free(l);
		snprintf(err, errlen, "out of memory");
		return LEASE_IO;
	}
	l->lock_fd = -1;
	l->dev.fd = -1;
	if (parse_spec(spec, path, sizeof(path), &l->offset)) {
		snprintf(err, errlen, "%s: bad lease location (PATH[:OFFSET])",
			 spec);
		lease_close(l);
		return LEASE_USAGE;
	}
	if ((flags & LEASE_OPEN_CREATE) && stat(path, &st) && errno == ENOENT) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);

		if (fd < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", path,
				 strerror(errno));
			lease_close(l);
			return LEASE_IO;
		}
		if (fd >= 0)
			close(fd);
	}
	l->read_only = flags & LEASE_OPEN_READ_ONLY;
	ret = dio_open(&l->dev, path, l->read_only ? DIO_READ_ONLY :
			DIO_READ_WRITE, err, errlen);
	if (ret) {
		lease_close(l);
		/* A missing or unreadable file is the storage's answer (4,
		 * as on every command), not a usage error. */
		return LEASE_IO;
	}
	if (fstat(l->dev.fd, &st) == 0) {
		l->dev_id = l->dev.is_blockdev ? st.st_rdev : st.st_dev;
		l->ino = l->dev.is_blockdev ? 0 : st.st_ino;
	}
	if (getrandom(&l->rnd, sizeof(l->rnd), 0) != sizeof(l->rnd) || !l->rnd)
		l->rnd = (uint32_t)lease_now_ns() | 1u;
	if (read_header(l) == LEASE_OK) {
		ret = setup_geometry(l, l->hdr.sector_size);
		if (ret) {
			snprintf(err, errlen, "%s", l->err);
			lease_close(l);
			return ret;
		}
		l->have_header = true;
	}
	l->err[0] = 0;
	*out = l;
	return LEASE_OK;
}

void lease_close(struct lease *l)
{
	if (!l)
		return;
	if (l->dev.fd >= 0)
		dio_close(&l->dev);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	free(l->area);
	free(l->small);
	free(l->wbuf);
	free(l->slots);
	free(l);
}

int lease_need_header(struct lease *l)
{
	int ret;

	if (l->have_header)
		return LEASE_OK;
	ret = read_header(l);
	/* Damage is not absence: a lease may live under a broken header. */
	if (ret == LEASE_DAMAGED || ret == LEASE_IO)
		return ret;
	if (ret == LEASE_OK && setup_geometry(l, l->hdr.sector_size)
	    == LEASE_OK) {
		l->have_header = true;
		return LEASE_OK;
	}
	if (!l->err[0] || !strstr(l->err, "lease area"))
		lease_fail(l, LEASE_NOT_INITIALIZED,
			   "%s:%llu: not a lease area (run lease init)",
			   l->dev.path, (unsigned long long)l->offset);
	return LEASE_NOT_INITIALIZED;
}

/*
 * Highest version any intact lease sector at @l->offset records, whatever
 * its area uuid and for either sector size: the floor of a re-init. A
 * re-init that crashed after writing the new sectors but before the new
 * header leaves sectors of the new uuid under the old header; they count
 * too, so running init --force again cannot take versions back.
 */
static uint64_t floor_from_any_sector(struct lease *l)
{
	static const uint32_t sizes[] = { 512, 4096 };
	size_t len = (size_t)LEASE_USED_SECTORS * 4096;
	unsigned char *buf = dio_alloc(len);
	struct lease_hdr_rec hdr;
	uint64_t top = 0;
	char why[256];

	if (!buf)
		return 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t ss = sizes[i];
		struct dio_extent ext = { .offset = l->offset,
					  .len = (size_t)LEASE_USED_SECTORS * ss,
					  .buf = buf };
		struct lease_leader_rec ld;
		struct lease_slot_rec s;

		if (ss < l->dev.align || l->offset % ss ||
		    dio_read(&l->dev, &ext, 1))
			continue;
		if (!lease_decode_header(buf, ext.done, &hdr, why, sizeof(why)) &&
		    hdr.version_floor > top)
			top = hdr.version_floor;
		if (ext.done >= 2 * (size_t)ss &&
		    !lease_decode_leader(buf + ss, ss, NULL, &ld, why,
					 sizeof(why)) && ld.version > top)
			top = ld.version;
		for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
			size_t at = (size_t)LEASE_SECTOR_SLOT(h) * ss;

			if (ext.done < at + ss)
				break;
			if (!lease_decode_slot(buf + at, ss, NULL, h, &s, why,
					       sizeof(why)) && s.lver > top)
				top = s.lver;
		}
	}
	free(buf);
	return top;
}

/* Highest version anything in the last scan mentions (damage tolerated). */
uint64_t lease_highest_version(struct lease *l, bool leader_ok)
{
	uint64_t v = l->hdr.version_floor;

	if (leader_ok && l->leader.version > v)
		v = l->leader.version;
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++)
		if (l->slots[h].host_id == h && l->slots[h].lver > v)
			v = l->slots[h].lver;
	return v;
}

/*
 * Init over what is there: refuse to overwrite a lease area (or damage
 * that may be one) without --force, and with it keep versions monotonic:
 * *@floor is the highest version any readable sector has seen.
 */
static int init_floor(struct lease *l, const struct lease_init_opts *o,
		      uint64_t *floor)
{
	int ret = l->have_header ? LEASE_OK : read_header(l);

	*floor = 0;
	if (ret == LEASE_IO)
		return ret;
	if (ret == LEASE_OK) {
		if (!o->force)
			return lease_fail(l, LEASE_NOT_INITIALIZED,
					  "%s:%llu: already a lease area (version history would be lost; use --force)",
					  l->dev.path,
					  (unsigned long long)l->offset);
		/* Keep versions monotonic across a re-init. */
		if (setup_geometry(l, l->hdr.sector_size) == LEASE_OK) {
			int r = lease_scan(l);

			*floor = lease_highest_version(l, r == LEASE_OK ||
						l->first_damaged !=
						LEASE_SECTOR_LEADER);
		}
	} else if (l->claimed && !o->force) {
		/* Damage is not absence: a torn or newer-format header may sit
		 * over a lease someone holds; starting over at version 0
		 * would admit a second owner and take versions back. */
		char why[sizeof(l->err)];

		snprintf(why, sizeof(why), "%s", l->err);
		return lease_fail(l, LEASE_DAMAGED,
				  "%s; init --force only after fencing every host using it",
				  why);
	}
	if (o->force) {
		uint64_t any = floor_from_any_sector(l);

		if (any > *floor)
			*floor = any;
	}
	return LEASE_OK;
}

/* Room for the area at @ss-byte sectors: a file grows, a device must fit. */
static int init_room(struct lease *l, uint32_t ss)
{
	uint64_t area_len = (uint64_t)LEASE_AREA_SECTORS * ss;
	int ret;

	l->have_header = false;
	ret = setup_geometry(l, ss);
	if (ret)
		return ret;
	if (l->dev.is_blockdev && l->offset + area_len > l->dev.size)
		return lease_fail(l, LEASE_USAGE,
				  "%s: %llu bytes needed at offset %llu, device has %llu",
				  l->dev.path, (unsigned long long)area_len,
				  (unsigned long long)l->offset,
				  (unsigned long long)l->dev.size);
	if (!l->dev.is_blockdev && l->offset + area_len > l->dev.size &&
	    ftruncate(l->dev.fd, (off_t)(l->offset + area_len)))
		return lease_fail(l, LEASE_IO, "%s: cannot extend: %s",
				  l->dev.path, strerror(errno));
	return LEASE_OK;
}

/* Writes a fresh area for @hdr: a free leader at the floor, empty slots. */
static int init_write(struct lease *l, const struct lease_hdr_rec *hdr)
{
	uint32_t ss = hdr->sector_size;
	uint64_t area_len = (uint64_t)LEASE_AREA_SECTORS * ss;
	struct lease_leader_rec leader = { 0 };
	struct dio_extent ext;
	unsigned char *buf;
	int ret;

	buf = dio_alloc(area_len);
	if (!buf)
		return lease_fail(l, LEASE_IO, "out of memory");
	leader.version = hdr->version_floor;
	leader.timeout_s = hdr->timeout_s;
	lease_encode_leader(buf + LEASE_SECTOR_LEADER * ss, ss, hdr->uuid,
			    &leader);
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		struct lease_slot_rec s = { .host_id = h };

		lease_encode_slot(buf + (size_t)LEASE_SECTOR_SLOT(h) * ss, ss,
				  hdr->uuid, &s);
	}
	/* Everything but the header first: a crash leaves "no lease area". */
	ext = (struct dio_extent){ .offset = l->offset + ss,
				   .len = area_len - ss, .buf = buf + ss };
	ret = dio_write(&l->dev, &ext, 1);
	if (!ret) {
		lease_encode_header(buf, ss, hdr);
		ext = (struct dio_extent){ .offset = l->offset, .len = ss,
					   .buf = buf };
		ret = dio_write(&l->dev, &ext, 1);
	}
	free(buf);
	if (ret)
		return lease_fail(l, LEASE_IO, "%s: init write failed: %s",
				  l->dev.path, strerror(-ret));
	return LEASE_OK;
}

int lease_init(struct lease *l, const struct lease_init_opts *o)
{
	uint32_t ss = o->sector_size ? o->sector_size :
		      (l->dev.align > 512 ? l->dev.align : 512);
	struct lease_hdr_rec hdr = { 0 };
	uint64_t floor;
	int ret;

	l->err[0] = 0;
	if (l->read_only)
		return lease_fail(l, LEASE_USAGE, "opened read-only");
	if (ss != 512 && ss != 4096)
		return lease_fail(l, LEASE_USAGE,
				  "sector size %u: must be 512 or 4096", ss);
	if (o->timeout_s > LEASE_MAX_TIMEOUT_S)
		return lease_fail(l, LEASE_USAGE, "timeout %u s above %u s",
				  o->timeout_s, LEASE_MAX_TIMEOUT_S);
	ret = init_floor(l, o, &floor);
	if (!ret)
		ret = init_room(l, ss);
	if (ret)
		return ret;
	hdr.sector_size = ss;
	hdr.max_hosts = LEASE_MAX_HOSTS;
	hdr.area_sectors = LEASE_AREA_SECTORS;
	hdr.timeout_s = o->timeout_s;
	hdr.created_unix_s = lease_wall_ms() / 1000u;
	hdr.version_floor = floor;
	if (getrandom(hdr.uuid, sizeof(hdr.uuid), 0) != sizeof(hdr.uuid))
		return lease_fail(l, LEASE_IO, "getrandom failed");
	ret = init_write(l, &hdr);
	if (ret)
		return ret;
	l->hdr = hdr;
	l->have_header = true;
	l->holding = false;
	return LEASE_OK;
}

static void fill_holder(struct lease_holder *h, const struct lease_value *v,
			uint64_t version)
{
	memset(h, 0, sizeof(*h));
	h->host_id = v->host_id;
	memcpy(h->host_name, v->host_name, sizeof(h->host_name));
	memcpy(h->token, v->token, sizeof(h->token));
	h->version = version;
}

int lease_read_status(struct lease *l, struct lease_status *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	l->err[0] = 0;
	st->offset = l->offset;
	ret = lease_need_header(l);
	if (ret == LEASE_DAMAGED) {
		st->state = LEASE_STATE_DAMAGED;
		memcpy(st->damage, l->err, sizeof(st->damage) - 1);
	}
	if (ret)
		return ret;
	st->sector_size = l->ss;
	st->max_hosts = l->hdr.max_hosts;
	st->offset = l->offset;
	st->timeout_s = l->hdr.timeout_s;
	ret = lease_scan(l);
	if (ret && ret != LEASE_DAMAGED)
		return ret;
	/* The verdict is lease_decode_area()'s: damage is never free. */
	st->state = l->scan_state;
	if (ret == LEASE_DAMAGED) {
		memcpy(st->damage, l->err, sizeof(st->damage) - 1);
		if (l->first_damaged == LEASE_SECTOR_LEADER)
			return ret;
	}
	st->version = l->leader.version;
	st->timeout_s = l->leader.timeout_s;
	st->successor_host_id = l->leader.successor_host_id;
	if (l->leader.owner.host_id) {
		fill_holder(&st->owner, &l->leader.owner, l->leader.version);
		st->renewals = l->slots[l->leader.owner.host_id].renewals;
	}
	if (ret == LEASE_DAMAGED)
		return ret;
	st->has_owner = l->leader.state == LEASE_LEADER_HELD;
	st->released_clean = l->leader.state == LEASE_LEADER_FREE &&
			     (l->leader.flags & LEASE_LEADER_FLAG_CLEAN);
	st->pending_version = l->scan_pending;
	return LEASE_OK;
}

static void holder_value(const struct lease_holder *h, struct lease_value *v)
{
	memset(v, 0, sizeof(*v));
	v->host_id = h->host_id;
	snprintf(v->host_name, sizeof(v->host_name), "%s", h->host_name);
	snprintf(v->token, sizeof(v->token), "%s", h->token);
}

static bool tracking(const struct lease *l, const struct lease_holder *h)
{
	return l->holding && l->held.host_id == h->host_id &&
	       l->held.version == h->version &&
	       !strcmp(l->held.token, h->token) &&
	       !strcmp(l->held.host_name, h->host_name);
}

/*
 * Does @v still own version @version? A leader older than @version while
 * our own slot carries our winning proposal means the commit write was
 * overwritten by a late write from the past; this handle knows it won, so
 * it may restore the leader (the dblocks still choose us for @version).
 */
static int check_owner(struct lease *l, const struct lease_value *v,
		       uint64_t version, bool tracked,
		       const struct lease_leader_rec *leader,
		       const struct lease_slot_rec *own, bool *stale_leader)
{
	*stale_leader = false;
	/* Our own slot already competes for a newer version: this one ended. */
	if (own->lver > version)
		return lease_fail(l, LEASE_NOT_OWNER,
				  "host %u's slot is at version %llu: version %llu is over",
				  v->host_id, (unsigned long long)own->lver,
				  (unsigned long long)version);
	if (leader->version == version && leader->state == LEASE_LEADER_HELD &&
	    lease_value_same_holder(&leader->owner, v))
		return LEASE_OK;
	if (tracked && leader->version < version && own->lver == version &&
	    own->bal && lease_value_same_holder(&own->inp, v)) {
		*stale_leader = true;
		return LEASE_OK;
	}
	if (leader->version == version && leader->state == LEASE_LEADER_FREE)
		return lease_fail(l, LEASE_NOT_OWNER,
				  "version %llu was already released",
				  (unsigned long long)version);
	return lease_fail(l, LEASE_NOT_OWNER,
			  "lease is at version %llu (%s, owner host %u token '%s'), not held by host %u token '%s' at version %llu",
			  (unsigned long long)leader->version,
			  leader->state == LEASE_LEADER_HELD ? "held" : "free",
			  leader->owner.host_id, leader->owner.token,
			  v->host_id, v->token, (unsigned long long)version);
}

/* Common start of renew and release: a readable area, a well-formed holder. */
static int holder_begin(struct lease *l, const struct lease_holder *h,
			struct lease_value *v)
{
	int ret;

	l->err[0] = 0;
	ret = lease_need_header(l);
	if (ret)
		return ret;
	holder_value(h, v);
	return lease_check_value(l, v);
}

/* Our commit was overwritten by a late write from the past: write it again. */
static int rewrite_leader(struct lease *l, const struct lease_holder *h,
			  const struct lease_slot_rec *own,
			  struct lease_leader_rec *leader)
{
	leader->version = h->version;
	leader->state = LEASE_LEADER_HELD;
	leader->owner = own->inp;
	leader->successor_host_id = 0;
	leader->flags = 0;
	leader->ballot = own->bal;
	leader->timeout_s = l->hdr.timeout_s;
	leader->writer_host_id = h->host_id;
	leader->written_unix_ms = lease_wall_ms();
	return lease_write_leader(l, leader);
}

/*
 * Renewal counts only if it starts and completes within the owner's
 * window, measured on this host's CLOCK_BOOTTIME from the start of the
 * last successful acquire or renewal. The window comes from this handle
 * or, for a renewal through another handle or process, from the holder
 * state on this host (lease_holder_state.c); without either there is no
 * proof, and the renewal is refused as LOST rather than trusted. Steady
 * state: one batched read (leader, own slot) and one slot write.
 */
int lease_renew(struct lease *l, const struct lease_holder *h)
{
	struct lease_leader_rec leader;
	struct lease_slot_rec own;
	struct lease_value v;
	bool tracked, stale;
	uint64_t start;
	int ret;

	ret = holder_begin(l, h, &v);
	if (ret)
		return ret;
	ret = lease_lock_host(l, h->host_id);
	if (ret)
		return ret;
	tracked = tracking(l, h) || lease_state_load(l, h);
	start = lease_owner_now_ns();
	if (tracked && start > l->valid_until_ns) {
		l->holding = false;
		ret = lease_fail(l, LEASE_LOST,
				 "renewal deadline passed %.3f s ago: another host may own it now",
				 (start - l->valid_until_ns) / 1e9);
		goto out;
	}
	ret = lease_read_small(l, h->host_id, 0, &leader, &own, NULL);
	if (!ret)
		ret = check_owner(l, &v, h->version, tracked, &leader, &own,
				  &stale);
	if (!ret && !tracked) {
		ret = lease_fail(l, LEASE_LOST,
				 "no proof on this host that host %u token '%s' still holds version %llu in time (acquired in another boot, or its holder state is gone): release and acquire again",
				 h->host_id, h->token,
				 (unsigned long long)h->version);
		goto out;
	}
	if (!ret && stale)
		ret = rewrite_leader(l, h, &own, &leader);
	if (!ret) {
		own.renewals++;
		own.written_unix_ms = lease_wall_ms();
		ret = lease_write_slot(l, &own);
	}
	if (ret) {
		if (ret == LEASE_NOT_OWNER)
			l->holding = false;
		goto out;
	}
	/* A renewal that lands after the old deadline proves nothing. */
	if (lease_owner_now_ns() > l->valid_until_ns) {
		l->holding = false;
		ret = lease_fail(l, LEASE_LOST,
				 "renewal completed after the deadline");
		goto out;
	}
	l->valid_until_ns = !l->hdr.timeout_s ? UINT64_MAX :
		start + lease_owner_valid_ms(l->hdr.timeout_s) * 1000000u;
	ret = lease_state_save(l);
out:
	lease_unlock_host(l);
	return ret;
}

int lease_holder_recall(struct lease *l, uint16_t host_id, const char *token,
			uint64_t version, struct lease_holder *out)
{
	struct lease_holder want = { .host_id = host_id, .version = version };
	int ret;

	l->err[0] = 0;
	ret = lease_need_header(l);
	if (ret)
		return ret;
	if (snprintf(want.token, sizeof(want.token), "%s", token) >=
	    (int)sizeof(want.token))
		return lease_fail(l, LEASE_USAGE, "token too long");
	if (!lease_state_recall(l, &want))
		return lease_fail(l, LEASE_LOST,
				  "no holder state on this host (this boot) for host %u token '%s' version %llu: nothing proves the holding",
				  host_id, token, (unsigned long long)version);
	*out = l->held;
	return LEASE_OK;
}

/* Writes FREE for @version; @flags: an operator break, or released clean. */
static int write_free(struct lease *l, const struct lease_value *v,
		      uint64_t version, uint16_t successor, uint16_t flags,
		      const struct lease_leader_rec *old)
{
	struct lease_leader_rec r = *old;

	r.version = version;
	r.state = LEASE_LEADER_FREE;
	if (!lease_value_same_holder(&r.owner, v))
		r.owner = *v;
	r.successor_host_id = successor;
	r.flags = flags;
	r.writer_host_id = v->host_id;
	r.timeout_s = l->hdr.timeout_s;
	r.written_unix_ms = lease_wall_ms();
	if (!r.ballot)
		r.ballot = lease_ballot(1, v->host_id);
	return lease_write_leader(l, &r);
}

int lease_release_flags(struct lease *l, const struct lease_holder *h,
			uint16_t successor, uint16_t flags)
{
	struct lease_leader_rec leader;
	struct lease_slot_rec own;
	struct lease_value v;
	bool stale;
	int ret;

	ret = holder_begin(l, h, &v);
	if (ret)
		return ret;
	if (successor > LEASE_MAX_HOSTS)
		return lease_fail(l, LEASE_USAGE, "successor host id %u out of range",
				  successor);
	ret = lease_lock_host(l, h->host_id);
	if (ret)
		return ret;
	ret = lease_read_small(l, h->host_id, 0, &leader, &own, NULL);
	if (!ret)
		ret = check_owner(l, &v, h->version, tracking(l, h), &leader,
				  &own, &stale);
	/* The default successor, the releasing host, yields to the
	 * longest waiter (Documentation/lease.rst, "Fairness"). */
	if (!ret && successor == h->host_id)
		successor = lease_pick_successor(l, h->host_id, h->version);
	if (!ret)
		ret = write_free(l, &v, h->version, successor, flags, &leader);
	if (ret != LEASE_IO)
		lease_state_drop(l, h);
	lease_unlock_host(l);
	if (tracking(l, h) && ret != LEASE_IO)
		l->holding = false;
	return ret;
}

int lease_release(struct lease *l, const struct lease_holder *h,
		  uint16_t successor_host_id)
{
	return lease_release_flags(l, h, successor_host_id, 0);
}

int lease_release_clean(struct lease *l, const struct lease_holder *h,
			uint16_t successor_host_id)
{
	return lease_release_flags(l, h, successor_host_id,
				   LEASE_LEADER_FLAG_CLEAN);
}
