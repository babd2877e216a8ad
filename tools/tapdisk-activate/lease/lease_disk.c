// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Encoding and validation of lease sectors. Everything read from the lease
 * area is hostile input: another host, a torn write, a stale copy of
 * another area or a plain overwrite may have put anything there, and a
 * sector that is misread as "free" could admit a second owner. So every
 * field is checked and a failure names the sector and the field.
 */
#include "lease_disk.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lease_crc32c.h"

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * The integer fields of each record, once: where each lies in the sector
 * (the LH_/LL_/LS_ offsets of lease_disk.h, little-endian), how wide it is
 * (the width of the struct member it maps to) and which member. Encoders
 * and decoders both walk these tables; names, tokens and owner values are
 * written by put_value/get_value, which check them as strings.
 */
struct disk_field {
	uint16_t off;		/* byte offset in the sector */
	uint8_t width;		/* 2, 4 or 8 bytes */
	uint16_t member;	/* offsetof() in the record struct */
};

#define FIELD(off, rec, m) \
	{ (off), sizeof(((struct rec *)0)->m), offsetof(struct rec, m) }

static const struct disk_field header_fields[] = {
	FIELD(LH_SECTOR_SIZE, lease_hdr_rec, sector_size),
	FIELD(LH_MAX_HOSTS, lease_hdr_rec, max_hosts),
	FIELD(LH_AREA_SECTORS, lease_hdr_rec, area_sectors),
	FIELD(LH_TIMEOUT, lease_hdr_rec, timeout_s),
	FIELD(LH_CREATED, lease_hdr_rec, created_unix_s),
	FIELD(LH_VERSION_FLOOR, lease_hdr_rec, version_floor),
};

static const struct disk_field leader_fields[] = {
	FIELD(LL_VERSION, lease_leader_rec, version),
	FIELD(LL_STATE, lease_leader_rec, state),
	FIELD(LL_TIMEOUT, lease_leader_rec, timeout_s),
	FIELD(LL_SUCCESSOR, lease_leader_rec, successor_host_id),
	FIELD(LL_WRITER_ID, lease_leader_rec, writer_host_id),
	FIELD(LL_FLAGS, lease_leader_rec, flags),
	FIELD(LL_BALLOT, lease_leader_rec, ballot),
	FIELD(LL_WRITTEN_MS, lease_leader_rec, written_unix_ms),
};

static const struct disk_field slot_fields[] = {
	FIELD(LS_HOST_ID, lease_slot_rec, host_id),
	FIELD(LS_LVER, lease_slot_rec, lver),
	FIELD(LS_MBAL, lease_slot_rec, mbal),
	FIELD(LS_BAL, lease_slot_rec, bal),
	FIELD(LS_RENEWALS, lease_slot_rec, renewals),
	FIELD(LS_WRITTEN_MS, lease_slot_rec, written_unix_ms),
	FIELD(LS_WAIT_SINCE, lease_slot_rec, wait_since),
	FIELD(LS_WAIT_SEEN, lease_slot_rec, wait_seen),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

static void put_fields(unsigned char *p, const void *rec,
		       const struct disk_field *f, size_t n)
{
	const unsigned char *r = rec;

	for (size_t i = 0; i < n; i++) {
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		switch (f[i].width) {
		case 2:
			memcpy(&v16, r + f[i].member, 2);
			put16(p + f[i].off, v16);
			break;
		case 4:
			memcpy(&v32, r + f[i].member, 4);
			put32(p + f[i].off, v32);
			break;
		default:
			memcpy(&v64, r + f[i].member, 8);
			put64(p + f[i].off, v64);
			break;
		}
	}
}

static void get_fields(void *rec, const unsigned char *p,
		       const struct disk_field *f, size_t n)
{
	unsigned char *r = rec;

	for (size_t i = 0; i < n; i++) {
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		switch (f[i].width) {
		case 2:
			v16 = get16(p + f[i].off);
			memcpy(r + f[i].member, &v16, 2);
			break;
		case 4:
			v32 = get32(p + f[i].off);
			memcpy(r + f[i].member, &v32, 4);
			break;
		default:
			v64 = get64(p + f[i].off);
			memcpy(r + f[i].member, &v64, 8);
			break;
		}
	}
}

static void put_str(unsigned char *p, const char *s, size_t field)
{
	size_t n = strnlen(s, field - 1);

	memcpy(p, s, n);
	memset(p + n, 0, field - n);
}

bool lease_value_equal(const struct lease_value *a,
		       const struct lease_value *b)
{
	return a->nonce == b->nonce && lease_value_same_holder(a, b);
}

bool lease_value_same_holder(const struct lease_value *a,
			     const struct lease_value *b)
{
	return a->host_id == b->host_id &&
	       !strncmp(a->host_name, b->host_name, LEASE_NAME_LEN) &&
	       !strncmp(a->token, b->token, LEASE_TOKEN_LEN);
}

static void put_preamble(unsigned char *p, uint32_t ss, enum lease_kind kind,
			 uint32_t index, const uint8_t *uuid)
{
	memset(p, 0, ss);
	put32(p + LD_MAGIC, LEASE_MAGIC);
	put16(p + LD_FORMAT, LEASE_FORMAT_VERSION);
	p[LD_KIND] = (unsigned char)kind;
	put32(p + LD_INDEX, index);
	memcpy(p + LD_UUID, uuid, LEASE_UUID_LEN);
}

static void seal(unsigned char *p, uint32_t ss)
{
	put32(p + ss - 4, lease_crc32c(p, ss - 4));
}

void lease_encode_header(void *sec, uint32_t ss,
			 const struct lease_hdr_rec *h)
{
	unsigned char *p = sec;

	put_preamble(p, ss, LEASE_KIND_HEADER, LEASE_SECTOR_HEADER, h->uuid);
	put_fields(p, h, header_fields, NFIELDS(header_fields));
	seal(p, ss);
}

static void put_value(unsigned char *p, size_t id_off, size_t name_off,
		      size_t token_off, size_t nonce_off,
		      const struct lease_value *v)
{
	put16(p + id_off, v->host_id);
	put64(p + nonce_off, v->nonce);
	put_str(p + name_off, v->host_name, LEASE_NAME_LEN);
	put_str(p + token_off, v->token, LEASE_TOKEN_LEN);
}

void lease_encode_leader(void *sec, uint32_t ss, const uint8_t *uuid,
			 const struct lease_leader_rec *r)
{
	unsigned char *p = sec;

	put_preamble(p, ss, LEASE_KIND_LEADER, LEASE_SECTOR_LEADER, uuid);
	put_fields(p, r, leader_fields, NFIELDS(leader_fields));
	put_value(p, LL_OWNER_ID, LL_OWNER_NAME, LL_OWNER_TOKEN, LL_OWNER_NONCE,
		  &r->owner);
	seal(p, ss);
}

void lease_encode_slot(void *sec, uint32_t ss, const uint8_t *uuid,
		       const struct lease_slot_rec *r)
{
	unsigned char *p = sec;

	put_preamble(p, ss, LEASE_KIND_SLOT, LEASE_SECTOR_SLOT(r->host_id),
		     uuid);
	put_fields(p, r, slot_fields, NFIELDS(slot_fields));
	put_value(p, LS_INP_ID, LS_INP_NAME, LS_INP_TOKEN, LS_INP_NONCE,
		  &r->inp);
	put_str(p + LS_WRITER_NAME, r->writer_name, LEASE_NAME_LEN);
	seal(p, ss);
}

/* --- validation --- */

struct why {
	char *buf;
	size_t len;
	uint32_t index;
	const char *what;	/* "header", "leader", or NULL: host slot */
	uint16_t host_id;
};

__attribute__((format(printf, 2, 3)))
static int bad(const struct why *w, const char *fmt, ...)
{
	char detail[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (w->buf && w->len && w->what)
		snprintf(w->buf, w->len, "sector %u (%s): %s", w->index,
			 w->what, detail);
	else if (w->buf && w->len)
		snprintf(w->buf, w->len, "sector %u (host %u slot): %s",
			 w->index, w->host_id, detail);
	return -1;
}

static const unsigned char zeroes[4096];

static bool all_zero(const unsigned char *p, size_t len)
{
	while (len) {
		size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);

		if (memcmp(p, zeroes, n))
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static int check_preamble(const struct why *w, const unsigned char *p,
			  uint32_t ss, enum lease_kind kind,
			  const uint8_t *uuid)
{
	uint32_t stored, computed;

	if (all_zero(p, ss))
		return bad(w, "never written (all zeroes)");
	stored = get32(p + ss - 4);
	computed = lease_crc32c(p, ss - 4);
	if (stored != computed)
		return bad(w, "checksum mismatch (stored 0x%08x, computed 0x%08x): torn or overwritten",
			   stored, computed);
	if (get32(p + LD_MAGIC) != LEASE_MAGIC)
		return bad(w, "field magic: 0x%08x is not a lease sector",
			   get32(p + LD_MAGIC));
	if (get16(p + LD_FORMAT) != LEASE_FORMAT_VERSION)
		return bad(w, "field format: version %u not supported",
			   get16(p + LD_FORMAT));
	if (p[LD_KIND] != kind)
		return bad(w, "field kind: %u, expected %u", p[LD_KIND], kind);
	if (p[LD_RSVD0] || get32(p + LD_RSVD1))
		return bad(w, "reserved preamble bytes not zero");
	if (get32(p + LD_INDEX) != w->index)
		return bad(w, "field sector_index: says %u (misplaced write)",
			   get32(p + LD_INDEX));
	if (uuid && memcmp(p + LD_UUID, uuid, LEASE_UUID_LEN))
		return bad(w, "field area_uuid: belongs to another lease area");
	return 0;
}

/* A NUL-terminated, NUL-padded string field. */
static int get_str(const struct why *w, const unsigned char *p, size_t field,
		   const char *prefix, const char *name, char *out)
{
	size_t n = strnlen((const char *)p, field);

	if (n == field)
		return bad(w, "field %s%s: not NUL-terminated", prefix, name);
	if (!all_zero(p + n, field - n))
		return bad(w, "field %s%s: bytes after the NUL", prefix, name);
	memcpy(out, p, n + 1);
	return 0;
}

static int get_value(const struct why *w, const unsigned char *p,
		     size_t id_off, size_t name_off, size_t token_off,
		     size_t nonce_off, const char *prefix,
		     struct lease_value *v)
{
	v->host_id = get16(p + id_off);
	v->nonce = get64(p + nonce_off);
	if (get_str(w, p + name_off, LEASE_NAME_LEN, prefix, "_host_name",
		    v->host_name))
		return -1;
	return get_str(w, p + token_off, LEASE_TOKEN_LEN, prefix, "_token",
		       v->token);
}

static bool value_empty(const struct lease_value *v)
{
	return !v->host_id && !v->host_name[0] && !v->token[0] && !v->nonce;
}

int lease_decode_header(const void *sec, size_t avail,
			struct lease_hdr_rec *h, char *why, size_t whylen)
{
	const unsigned char *p = sec;
	struct why w = { why, whylen, LEASE_SECTOR_HEADER, "header", 0 };
	uint32_t ss;

	memset(h, 0, sizeof(*h));
	if (avail < 512)
		return bad(&w, "area too small (%zu bytes)", avail);
	if (all_zero(p, 512))
		return bad(&w, "never written (all zeroes): not initialised");
	if (get32(p + LD_MAGIC) != LEASE_MAGIC)
		return bad(&w, "field magic: 0x%08x is not a lease area",
			   get32(p + LD_MAGIC));
	/* From here on the sector claims to be our header. */
	ss = get32(p + LH_SECTOR_SIZE);
	if (ss != 512 && ss != 4096) {
		bad(&w, "field sector_size: %u (512 or 4096)", ss);
		return LEASE_HDR_DAMAGED;
	}
	if (avail < ss) {
		bad(&w, "area too small for %u-byte sectors", ss);
		return LEASE_HDR_DAMAGED;
	}
	if (check_preamble(&w, p, ss, LEASE_KIND_HEADER, NULL)) {
		/* An intact header of a newer format is someone else's. */
		if (get32(p + ss - 4) == lease_crc32c(p, ss - 4) &&
		    get16(p + LD_FORMAT) != LEASE_FORMAT_VERSION)
			return LEASE_HDR_ABSENT;
		return LEASE_HDR_DAMAGED;
	}
	get_fields(h, p, header_fields, NFIELDS(header_fields));
	memcpy(h->uuid, p + LD_UUID, LEASE_UUID_LEN);
	if (h->max_hosts != LEASE_MAX_HOSTS)
		bad(&w, "field max_hosts: %u (expected %u)", h->max_hosts,
		    LEASE_MAX_HOSTS);
	else if (h->area_sectors != LEASE_AREA_SECTORS)
		bad(&w, "field area_sectors: %u (expected %u)",
		    h->area_sectors, LEASE_AREA_SECTORS);
	else if (h->timeout_s > 86400u)
		bad(&w, "field timeout: %u s out of range", h->timeout_s);
	else if (!all_zero(p + LH_END, LD_RECORD_END - LH_END))
		bad(&w, "reserved bytes not zero");
	else
		return 0;
	return LEASE_HDR_DAMAGED;
}

int lease_decode_leader(const void *sec, uint32_t ss, const uint8_t *uuid,
			struct lease_leader_rec *r, char *why, size_t whylen)
{
	const unsigned char *p = sec;
	struct why w = { why, whylen, LEASE_SECTOR_LEADER, "leader", 0 };

	memset(r, 0, sizeof(*r));
	if (check_preamble(&w, p, ss, LEASE_KIND_LEADER, uuid))
		return -1;
	get_fields(r, p, leader_fields, NFIELDS(leader_fields));
	if (get_value(&w, p, LL_OWNER_ID, LL_OWNER_NAME, LL_OWNER_TOKEN,
		      LL_OWNER_NONCE, "owner", &r->owner))
		return -1;
	if (r->state != LEASE_LEADER_FREE && r->state != LEASE_LEADER_HELD)
		return bad(&w, "field state: %u", r->state);
	if (r->timeout_s > 86400u)
		return bad(&w, "field timeout: %u s out of range",
			   r->timeout_s);
	if (r->owner.host_id > LEASE_MAX_HOSTS)
		return bad(&w, "field owner_host_id: %u out of range",
			   r->owner.host_id);
	if (r->state == LEASE_LEADER_HELD &&
	    (!r->owner.host_id || !r->owner.token[0]))
		return bad(&w, "field owner: held without owner host id/token");
	if (r->state == LEASE_LEADER_HELD && r->successor_host_id)
		return bad(&w, "field successor_host_id: set while held");
	if (r->successor_host_id > LEASE_MAX_HOSTS)
		return bad(&w, "field successor_host_id: %u out of range",
			   r->successor_host_id);
	if (r->writer_host_id > LEASE_MAX_HOSTS)
		return bad(&w, "field writer_host_id: %u out of range",
			   r->writer_host_id);
	if (r->flags & ~LEASE_LEADER_FLAGS_KNOWN)
		return bad(&w, "field flags: unknown bits 0x%x", r->flags);
	if ((r->flags & LEASE_LEADER_FLAG_CLEAN) &&
	    (r->state != LEASE_LEADER_FREE ||
	     (r->flags & LEASE_LEADER_FLAG_BROKEN)))
		return bad(&w, "field flags: released-clean on a %s leader",
			   r->state == LEASE_LEADER_FREE ? "broken" : "held");
	if (r->state == LEASE_LEADER_HELD && !r->ballot)
		return bad(&w, "field ballot: held without a ballot");
	if (r->ballot && lease_ballot_host(r->ballot) == 0)
		return bad(&w, "field ballot: invalid");
	if (!all_zero(p + LL_END, LD_RECORD_END - LL_END))
		return bad(&w, "reserved bytes not zero");
	return 0;
}

int lease_decode_slot(const void *sec, uint32_t ss, const uint8_t *uuid,
		      uint16_t host_id, struct lease_slot_rec *r,
		      char *why, size_t whylen)
{
	const unsigned char *p = sec;
	struct why w = { why, whylen, LEASE_SECTOR_SLOT(host_id), NULL,
			 host_id };

	memset(r, 0, sizeof(*r));
	if (check_preamble(&w, p, ss, LEASE_KIND_SLOT, uuid))
		return -1;
	get_fields(r, p, slot_fields, NFIELDS(slot_fields));
	if (get_value(&w, p, LS_INP_ID, LS_INP_NAME, LS_INP_TOKEN,
		      LS_INP_NONCE, "inp", &r->inp))
		return -1;
	if (get_str(&w, p + LS_WRITER_NAME, LEASE_NAME_LEN, "writer",
		    "_host_name", r->writer_name))
		return -1;
	if (r->host_id != host_id)
		return bad(&w, "field host_id: says %u", r->host_id);
	if (get32(p + LS_RSVD))
		return bad(&w, "reserved bytes not zero");
	if (r->mbal && lease_ballot_host(r->mbal) != host_id)
		return bad(&w, "field mbal: ballot %llu is host %u's",
			   (unsigned long long)r->mbal,
			   lease_ballot_host(r->mbal));
	if (r->bal > r->mbal)
		return bad(&w, "field bal: %llu above mbal %llu",
			   (unsigned long long)r->bal,
			   (unsigned long long)r->mbal);
	if (r->bal && lease_ballot_host(r->bal) != host_id)
		return bad(&w, "field bal: ballot %llu is host %u's",
			   (unsigned long long)r->bal,
			   lease_ballot_host(r->bal));
	if (r->mbal && !r->lver)
		return bad(&w, "field lver: ballot without a version");
	if (r->bal && (!r->inp.host_id || r->inp.host_id > LEASE_MAX_HOSTS ||
		       !r->inp.token[0]))
		return bad(&w, "field inp: proposal without a valid owner");
	if (!r->bal && !value_empty(&r->inp))
		return bad(&w, "field inp: owner without a proposal ballot");
	if (!r->wait_since && r->wait_seen)
		return bad(&w, "field wait_seen: %llu without wait_since",
			   (unsigned long long)r->wait_seen);
	if (r->wait_seen < r->wait_since)
		return bad(&w, "field wait_seen: %llu below wait_since %llu",
			   (unsigned long long)r->wait_seen,
			   (unsigned long long)r->wait_since);
	if (!all_zero(p + LS_END, LD_RECORD_END - LS_END))
		return bad(&w, "reserved bytes not zero");
	return 0;
}

bool lease_area_claimed(const void *area, size_t avail)
{
	static const size_t at[] = { 0, 512, 4096 };
	const unsigned char *p = area;

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (avail >= at[i] + 4 && get32(p + at[i]) == LEASE_MAGIC)
			return true;
	return false;
}
