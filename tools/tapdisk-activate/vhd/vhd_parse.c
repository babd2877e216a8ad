// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VHD metadata parser and validator: buffers, shared helpers and the state
 * machine that drives the rounds (see vhd_parser.h). The rules live in
 * vhd_footer.c, vhd_header.c and vhd_bat.c.
 *
 * Rules follow what tapdisk and vhd-util rely on (blktap libvhd.c,
 * vhd-util-check.c) plus what a handover needs: every offset and size read
 * from the image is checked against the file size and the other metadata
 * before it is used, because the image is written by a guest's backend on
 * another host and must be treated as hostile.
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

/* ---- tables round --------------------------------------------------------- */

static void feed_tables(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	if (p->bat_span >= 0) {
		struct vhd_span *s = &p->spans[p->bat_span];

		if (s->got == s->len)
			vi->raw_bat = s->buf;
		else
			vhd_report(vi, VHD_ERR_TRUNCATED, "bat", "table_offset",
				   "whole table readable", "short read");
	}
	vhd_decode_locators(vi);
	if (p->bmh_span >= 0 &&
	    vhd_parse_batmap_header(vi, &p->spans[p->bmh_span])) {
		p->nr_spans = 0;
		p->bat_span = p->bmh_span = -1;
		for (unsigned int i = 0; i < VHD_MAX_LOCATORS; i++)
			p->loc_span[i] = -1;
		if (vhd_add_span(p, vi->batmap_offset,
			     (size_t)vi->batmap_sectors * VHD_SECTOR) >= 0) {
			p->stage = VHD_STAGE_BATMAP;
			return;
		}
	}
	vhd_finalize(vi);
}

/* ---- state machine -------------------------------------------------------- */

int vhd_parser_init(struct vhd_info *vi, uint64_t file_size, bool blockdev,
		    const struct vhd_options *opts)
{
	struct vhd_parser *p;

	memset(vi, 0, sizeof(*vi));
	vi->file_size = file_size;
	vi->is_blockdev = blockdev;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	vi->parser = p;
	p->now = opts && opts->now ? opts->now : (int64_t)time(NULL);
	p->slack = opts && opts->timestamp_slack ? opts->timestamp_slack :
		   VHD_TIMESTAMP_SLACK_DEFAULT;
	p->bat_span = p->bmh_span = -1;
	for (unsigned int i = 0; i < VHD_MAX_LOCATORS; i++)
		p->loc_span[i] = -1;
	p->stage = VHD_STAGE_FOOTERS;
	if (file_size < VHD_FOOTER_SIZE) {
		vhd_reportf(vi, VHD_ERR_TRUNCATED, "file", "size",
			    ">= 512 bytes (one footer)", "%" PRIu64,
			    file_size);
		p->stage = VHD_STAGE_DONE;
		return 0;
	}
	if (vhd_add_span(p, file_size - VHD_FOOTER_SIZE, VHD_FOOTER_SIZE) < 0 ||
	    vhd_add_span(p, 0, file_size < VHD_FOOTER_SIZE + VHD_HEADER_SIZE ?
			   file_size : VHD_FOOTER_SIZE + VHD_HEADER_SIZE) < 0)
		return -ENOMEM;
	return 0;
}

unsigned int vhd_parser_wants(struct vhd_info *vi, struct vhd_span **spans)
{
	struct vhd_parser *p = vi->parser;

	if (!p || p->stage == VHD_STAGE_DONE)
		return 0;
	*spans = p->spans;
	return p->nr_spans;
}

int vhd_parser_feed(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	p->result = 0;
	switch (p->stage) {
	case VHD_STAGE_FOOTERS:
		vhd_feed_footers(vi);
		break;
	case VHD_STAGE_HEADER:
		if (p->spans[0].got < VHD_HEADER_SIZE) {
			vhd_report(vi, VHD_ERR_TRUNCATED, "header", "cookie",
				   "1024 bytes at data_offset", "short read");
			p->stage = VHD_STAGE_DONE;
			break;
		}
		p->nr_spans = 0;
		vhd_parse_header(vi, p->spans[0].buf);
		break;
	case VHD_STAGE_TABLES:
		feed_tables(vi);
		break;
	case VHD_STAGE_BATMAP:
		if (p->spans[0].got < p->spans[0].len)
			vhd_report(vi, VHD_ERR_TRUNCATED, "batmap",
				   "batmap_offset", "whole batmap readable",
				   "short read");
		else
			vhd_check_batmap_map(vi, p->spans[0].buf);
		vhd_finalize(vi);
		break;
	case VHD_STAGE_DONE:
		break;
	}
	/* A header that failed early leaves nothing planned: stop. */
	if (p->stage != VHD_STAGE_DONE && !p->nr_spans)
		vhd_finalize(vi);
	return p->result;
}

uint32_t vhd_bat_entry(const struct vhd_info *vi, uint32_t i)
{
	if (!vi->raw_bat || i >= vi->max_table_entries)
		return VHD_BAT_UNUSED;
	return vhd_be32(vi->raw_bat + (size_t)i * VHD_BAT_ENTRY_SIZE);
}

void vhd_info_release(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	if (p) {
		for (unsigned int i = 0; i < p->nr_allocs; i++)
			free(p->allocs[i]);
		free(p);
	}
	vi->parser = NULL;
	vi->raw_footer = vi->raw_header = vi->raw_bat = NULL;
	vi->raw_batmap_header = vi->raw_batmap = NULL;
}

/* ---- in-memory driver ----------------------------------------------------- */

int vhd_parse_image(const void *buf, size_t len,
		    const struct vhd_options *opts, struct vhd_info *vi)
{
	struct vhd_span *spans;
	unsigned int n;
	int ret;

	ret = vhd_parser_init(vi, len, false, opts);
	while (!ret && (n = vhd_parser_wants(vi, &spans))) {
		for (unsigned int i = 0; i < n; i++) {
			struct vhd_span *s = &spans[i];

			s->got = 0;
			if (s->offset < len) {
				s->got = len - s->offset < s->len ?
					 len - s->offset : s->len;
				memcpy(s->buf, (const uint8_t *)buf + s->offset,
				       s->got);
			}
		}
		ret = vhd_parser_feed(vi);
	}
	return ret;
}
