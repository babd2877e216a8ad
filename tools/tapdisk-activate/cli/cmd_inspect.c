// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapdisk-activate inspect IMAGE [--json] [--fingerprint]
 *
 * Reads the VHD metadata of a file or block device with O_DIRECT,
 * validates all of it and prints a summary (or one JSON object). Exit 0
 * for a valid image, 3 for an invalid one, 4 when it cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_inspect.h"
#include "common/exitcodes.h"
#include "common/json.h"
#include "vhd/vhd.h"

struct inspect_opts {
	const char *image;
	bool json;
	bool fingerprint;
	struct vhd_options vhd;
};

static void inspect_usage(FILE *out)
{
	fprintf(out,
		"usage: tapdisk-activate inspect [--json] [--fingerprint] "
		"[--aio]\n"
		"                                [--now SECONDS] IMAGE\n\n"
		"Validates the VHD metadata of IMAGE (file or block device),\n"
		"read with O_DIRECT: footer and its copy, dynamic header,\n"
		"parent locators, block allocation table, tapdisk batmap.\n\n"
		"  --json           print one JSON object on stdout\n"
		"  --fingerprint    also print the SHA-256 metadata fingerprint\n"
		"  --aio            one libaio submission per round instead of\n"
		"                   synchronous O_DIRECT reads (the default,\n"
		"                   faster: no aio context teardown at exit)\n"
		"  --sync-io        the default; accepted for old scripts\n"
		"  --now SECONDS    judge timestamps against this Unix time\n"
		"  -h, --help       this text\n\n"
		"Exit status: 0 valid, 2 usage, 3 invalid image, 4 I/O error.\n"
		"See tapdisk-activate-inspect(8).\n");
}

static int parse_args(int argc, char **argv, struct inspect_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fingerprint", no_argument, NULL, 'f' },
		{ "now", required_argument, NULL, 'n' },
		{ "sync-io", no_argument, NULL, 's' },
		{ "aio", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;	/* one line of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'f':
			o->fingerprint = true;
			break;
		case 'n':
			errno = 0;
			o->vhd.now = strtoll(optarg, &end, 10);
			if (errno || *end || o->vhd.now <= 0) {
				fprintf(stderr, "inspect: --now needs a positive "
					"number of seconds\n");
				return XH_EXIT_USAGE;
			}
			break;
		case 's':
			o->vhd.aio = false;
			break;
		case 'a':
			o->vhd.aio = true;
			break;
		case 'h':
			inspect_usage(stdout);
			return -1;
		default:
			fprintf(stderr, "inspect: bad option '%s' (try --help)\n",
				argv[optind - 1]);
			return XH_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "inspect: expected exactly one IMAGE "
			"(try --help)\n");
		return XH_EXIT_USAGE;
	}
	o->image = argv[optind];
	return 0;
}

static void print_json(const struct inspect_opts *o,
		       const struct vhd_info *vi, const char *fp)
{
	bool dyn = vi->disk_type == VHD_TYPE_DYNAMIC ||
		   vi->disk_type == VHD_TYPE_DIFFERENCING;
	struct json j;
	char when[40];

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "image", o->image);
	/* Without a readable footer nothing says this is a VHD at all. */
	json_string(&j, "format", vi->raw_footer ? "vhd" : NULL);
	json_string(&j, "disk_type", vhd_disk_type_name(vi->disk_type));
	json_u64(&j, "virtual_size", vi->virtual_size);
	if (dyn) {
		json_u64(&j, "block_size", vi->block_size);
		json_u64(&j, "max_table_entries", vi->max_table_entries);
		json_u64(&j, "allocated_blocks", vi->allocated_blocks);
	} else {
		json_null(&j, "block_size");
		json_null(&j, "max_table_entries");
		json_null(&j, "allocated_blocks");
	}
	json_string(&j, "uuid", vi->raw_footer ? vi->uuid_str : NULL);
	if (vi->has_parent) {
		json_object_begin(&j, "parent");
		json_string(&j, "uuid", vi->parent_uuid_str);
		json_string(&j, "name", vi->parent_name);
		vhd_time_format(vi->parent_timestamp, when, sizeof(when));
		json_string(&j, "timestamp", when);
		json_array_begin(&j, "locators");
		for (unsigned int i = 0; i < vi->nr_locators; i++) {
			const struct vhd_locator *l = &vi->locators[i];

			json_object_begin(&j, NULL);
			json_u64(&j, "slot", l->slot);
			json_string(&j, "platform", l->platform);
			json_u64(&j, "code", l->code);
			json_u64(&j, "data_offset", l->data_offset);
			json_u64(&j, "data_len", l->data_len);
			json_u64(&j, "data_space", l->data_space);
			json_string(&j, "path", l->decoded ? l->path : NULL);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	} else {
		json_null(&j, "parent");
	}
	json_bool(&j, "valid", vhd_valid(vi));
	json_array_begin(&j, "errors");
	for (unsigned int i = 0; i < vi->nr_errors; i++) {
		const struct vhd_error *e = &vi->errors[i];

		json_object_begin(&j, NULL);
		json_string(&j, "name", vhd_err_name(e->code));
		json_string(&j, "structure", e->structure);
		json_string(&j, "field", e->field);
		json_string(&j, "expected", e->expected);
		json_string(&j, "found", e->found);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_u64(&j, "errors_total", vi->nr_errors_total);
	json_u64(&j, "file_size", vi->file_size);
	json_bool(&j, "block_device", vi->is_blockdev);
	json_u64(&j, "data_end", vi->data_end);
	json_bool(&j, "disabled", vi->disabled);
	json_bool(&j, "hidden", vi->hidden);
	json_object_begin(&j, "creator");
	json_string(&j, "app", vi->creator_app);
	json_u64(&j, "version", vi->creator_version);
	json_u64(&j, "os", vi->creator_os);
	json_object_end(&j);
	vhd_time_format(vi->timestamp, when, sizeof(when));
	json_string(&j, "timestamp", vi->raw_footer ? when : NULL);
	if (vi->has_batmap) {
		json_object_begin(&j, "batmap");
		json_u64(&j, "offset", vi->batmap_offset);
		json_u64(&j, "sectors", vi->batmap_sectors);
		json_u64(&j, "version", vi->batmap_version);
		json_u64(&j, "marker", vi->batmap_marker);
		json_object_end(&j);
	} else {
		json_null(&j, "batmap");
	}
	if (o->fingerprint)
		json_string(&j, "fingerprint", fp[0] ? fp : NULL);
	json_object_end(&j);
	json_finish(&j);
}

/* Automation gets an object even when nothing could be read. */
static void print_io_error(const struct inspect_opts *o, int err)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "image", o->image);
	json_null(&j, "format");
	json_bool(&j, "valid", false);
	json_array_begin(&j, "errors");
	json_object_begin(&j, NULL);
	json_string(&j, "name", "io_error");
	json_string(&j, "structure", "file");
	json_string(&j, "field", "-");
	json_string(&j, "expected", "readable with O_DIRECT");
	json_string(&j, "found", strerror(-err));
	json_object_end(&j);
	json_array_end(&j);
	json_u64(&j, "errors_total", 1);
	json_object_end(&j);
	json_finish(&j);
}

/*
 * @s for a terminal: names, locators and the creator come from the image,
 * which the guest wrote. Control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 print as \xNN, and '\' as "\\", so no escape sequence
 * reaches the terminal and the text still says what the bytes were.
 */
static void fput_safe(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = 1;

		if (*p >= 0xc2 && *p <= 0xf4) {
			unsigned char lo = *p == 0xe0 ? 0xa0 :
					   *p == 0xf0 ? 0x90 : 0x80;
			unsigned char hi = *p == 0xed ? 0x9f :
					   *p == 0xf4 ? 0x8f : 0xbf;
			size_t want = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;

			for (n = 1; n < want; n++) {
				unsigned char c = p[n];

				if (c < (n == 1 ? lo : 0x80) ||
				    c > (n == 1 ? hi : 0xbf))
					break;
			}
			/* Well formed and not a C1 control (U+0080-U+009F). */
			if (n == want && !(*p == 0xc2 && p[1] <= 0x9f)) {
				fwrite(p, 1, n, out);
				p += n;
				continue;
			}
		} else if (*p >= 0x20 && *p < 0x7f) {
			if (*p == '\\')
				fputc('\\', out);
			fputc(*p, out);
			p++;
			continue;
		}
		fprintf(out, "\\x%02x", *p);
		p++;
	}
}

static void put_safe(const char *s)
{
	fput_safe(stdout, s);
}

static void print_summary(const struct inspect_opts *o,
			  const struct vhd_info *vi, const char *fp)
{
	char when[40];

	put_safe(o->image);
	printf(": valid VHD, %s\n", vhd_disk_type_name(vi->disk_type));
	printf("  virtual size:      %" PRIu64 " bytes (%.1f GiB)\n",
	       vi->virtual_size, (double)vi->virtual_size / (1 << 30));
	if (vi->disk_type != VHD_TYPE_FIXED) {
		printf("  block size:        %" PRIu32 " bytes\n",
		       vi->block_size);
		printf("  table entries:     %" PRIu32 " (%" PRIu32
		       " allocated)\n", vi->max_table_entries,
		       vi->allocated_blocks);
	}
	printf("  uuid:              %s\n", vi->uuid_str);
	vhd_time_format(vi->timestamp, when, sizeof(when));
	printf("  creator:           \"");
	put_safe(vi->creator_app);
	printf("\" 0x%08" PRIx32 ", created %s\n", vi->creator_version, when);
	printf("  file size:         %" PRIu64 " bytes%s\n", vi->file_size,
	       vi->is_blockdev ? " (block device)" : "");
	if (vi->has_parent) {
		printf("  parent:            %s \"", vi->parent_uuid_str);
		put_safe(vi->parent_name);
		printf("\"\n");
		for (unsigned int i = 0; i < vi->nr_locators; i++) {
			printf("  locator ");
			put_safe(vi->locators[i].platform);
			printf("%*s       ", (int)(4 - strnlen(
			       vi->locators[i].platform, 4)), "");
			put_safe(vi->locators[i].decoded ?
				 vi->locators[i].path : "(not decoded)");
			putchar('\n');
		}
	}
	if (vi->has_batmap)
		printf("  batmap:            %" PRIu32 " sectors at %" PRIu64
		       ", version 0x%08" PRIx32 "\n", vi->batmap_sectors,
		       vi->batmap_offset, vi->batmap_version);
	if (o->fingerprint)
		printf("  fingerprint:       %s\n", fp);
}

int cmd_inspect(int argc, char **argv)
{
	struct inspect_opts o;
	struct vhd_info vi;
	char err[512], fp[65] = "";
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? XH_EXIT_OK : ret;
	ret = vhd_open_path(o.image, &o.vhd, &vi, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "tapdisk-activate inspect: %s\n", err);
		if (o.json)
			print_io_error(&o, ret);
		vhd_info_release(&vi);
		return XH_EXIT_IO;
	}
	if (o.fingerprint)
		vhd_fingerprint(&vi, fp);
	if (o.json)
		print_json(&o, &vi, fp);
	else if (vhd_valid(&vi))
		print_summary(&o, &vi, fp);
	if (!vhd_valid(&vi)) {
		vhd_error_format(&vi.errors[0], err, sizeof(err));
		fputs("tapdisk-activate inspect: ", stderr);
		fput_safe(stderr, o.image);
		fputs(": invalid VHD: ", stderr);
		fput_safe(stderr, err);
		if (vi.nr_errors_total > 1)
			fprintf(stderr, " (and %u more)", vi.nr_errors_total - 1);
		fputc('\n', stderr);
	}
	ret = vhd_valid(&vi) ? XH_EXIT_OK : XH_EXIT_IMAGE_INVALID;
	vhd_info_release(&vi);
	return ret;
}
