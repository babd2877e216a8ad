// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the VHD rounds share (see vhd_parser.h): the parser's buffers, the
 * map of metadata ranges already claimed, and small checks. The state
 * machine (vhd_parser.c) and the rules (vhd_footer.c, vhd_header.c,
 * vhd_bat.c) all sit above this file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vhd_format.h"
#include "vhd_parser.h"

/* ---- buffers ------------------------------------------------------------ */

/*
 * Span buffers: DIO-aligned so reads land without a bounce copy, not
 * zeroed (the driver reports ->got, short reads are errors), and backed by
 * huge pages when large: faulting in 1024 small pages for a 4 MiB BAT
 * costs more than reading it.
 */
static uint8_t *vhd_alloc(struct vhd_parser *p, size_t len)
{
	size_t align = len >= (1u << 21) ? (1u << 21) : 4096;
	size_t rounded = (len + align - 1) / align * align;
	void *buf;

	if (p->nr_allocs == VHD_MAX_ALLOCS || !rounded)
		return NULL;
	if (posix_memalign(&buf, align, rounded))
		return NULL;
	if (align > 4096)
		madvise(buf, rounded, MADV_HUGEPAGE);
	p->allocs[p->nr_allocs] = buf;
	p->alloc_len[p->nr_allocs++] = rounded;
	return buf;
}

/*
 * A range that cannot be planned fails the whole parse (p->result): a
 * skipped BAT must never turn into a verdict without BAT checks.
 */
int vhd_add_span(struct vhd_parser *p, uint64_t offset, size_t len)
{
	struct vhd_span *s;

	if (p->nr_spans == VHD_MAX_SPANS)
		return p->result = -ENOMEM;
	s = &p->spans[p->nr_spans];
	s->buf = vhd_alloc(p, len);
	if (!s->buf)
		return p->result = -ENOMEM;
	s->offset = offset;
	s->len = len;
	s->got = 0;
	return (int)p->nr_spans++;
}

/* ---- helpers -------------------------------------------------------------- */

void vhd_add_meta(struct vhd_parser *p, uint64_t start, uint64_t len,
		     const char *what)
{
	if (p->nr_meta < VHD_MAX_RANGES && len)
		p->meta[p->nr_meta++] = (struct vhd_range){ start, start + len,
							    what };
}

/* Name of the metadata range [start, start+len) intersects, or NULL. */
const char *vhd_meta_overlap(const struct vhd_parser *p, uint64_t start,
				uint64_t len)
{
	for (unsigned int i = 0; i < p->nr_meta; i++)
		if (start < p->meta[i].end && p->meta[i].start < start + len)
			return p->meta[i].what;
	return NULL;
}

uint64_t vhd_meta_end(const struct vhd_parser *p)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < p->nr_meta; i++)
		if (p->meta[i].end > end)
			end = p->meta[i].end;
	return end;
}

void vhd_format_cookie(const uint8_t *c, char *out, size_t len)
{
	char tmp[9];

	for (int i = 0; i < 8; i++)
		tmp[i] = c[i] >= 0x20 && c[i] < 0x7f && c[i] != '"' &&
			 c[i] != '\\' ? (char)c[i] : '.';
	tmp[8] = 0;
	snprintf(out, len, "\"%s\"", tmp);
}

/* Checks a VHD timestamp (seconds since 2000) against now + slack. */
int64_t vhd_check_time(struct vhd_info *vi, uint32_t stamp,
			  const char *structure, const char *field)
{
	struct vhd_parser *p = vi->parser;
	int64_t t = VHD_EPOCH_UNIX + stamp;
	char exp[96], got[48];

	if (t > p->now + p->slack) {
		vhd_time_format(p->now + p->slack, got, sizeof(got));
		snprintf(exp, sizeof(exp), "<= %s (now + %" PRIu32 " s)", got,
			 p->slack);
		vhd_time_format(t, got, sizeof(got));
		vhd_report(vi, VHD_ERR_TIMESTAMP_FUTURE, structure, field, exp,
			   got);
	}
	return t;
}

bool vhd_is_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

bool vhd_tap_creator(const struct vhd_info *vi)
{
	return !memcmp(vi->creator_app, "tap", 3);
}

/* ---- tables ------------------------------------------------------------- */

uint32_t vhd_bat_entry(const struct vhd_info *vi, uint32_t i)
{
	if (!vi->raw_bat || i >= vi->max_table_entries)
		return VHD_BAT_UNUSED;
	return vhd_be32(vi->raw_bat + (size_t)i * VHD_BAT_ENTRY_SIZE);
}
