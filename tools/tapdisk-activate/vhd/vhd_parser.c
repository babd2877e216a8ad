// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VHD metadata parser and validator: the state machine that drives the
 * rounds (see vhd_parser.h). The rules live in vhd_footer.c, vhd_header.c
 * and vhd_bat.c; the buffers and helpers they share in vhd_meta.c, so the
 * rounds never call back into this file.
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
