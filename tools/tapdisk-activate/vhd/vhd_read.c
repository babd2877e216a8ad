// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VHD metadata from storage: feeds the parser's rounds through dio, so
 * every byte comes from the device with O_DIRECT (never this host's page
 * cache, which may predate another host's writes), one libaio submission
 * per round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dio.h"
#include "vhd_parser.h"

/*
 * Large spans (the BAT: 4 MiB at 2 TiB) are cut into pieces submitted
 * together, so the device works on them in parallel instead of one long
 * request.
 */
#define VHD_IO_CHUNK		(256u * 1024)

static int read_round(struct dio_dev *dev, struct vhd_span *spans,
		      unsigned int n)
{
	struct dio_extent *ext;
	unsigned int nr = 0, i;
	size_t total = 0;
	int ret;

	for (i = 0; i < n; i++)
		total += (spans[i].len + VHD_IO_CHUNK - 1) / VHD_IO_CHUNK;
	ext = calloc(total ? total : 1, sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		for (size_t done = 0; done < spans[i].len;
		     done += VHD_IO_CHUNK) {
			size_t len = spans[i].len - done;

			ext[nr].offset = spans[i].offset + done;
			ext[nr].len = len < VHD_IO_CHUNK ? len : VHD_IO_CHUNK;
			ext[nr].buf = spans[i].buf + done;
			nr++;
		}
	}
	ret = dio_read(dev, ext, nr);
	nr = 0;
	for (i = 0; !ret && i < n; i++) {
		spans[i].got = 0;
		for (size_t done = 0; done < spans[i].len;
		     done += VHD_IO_CHUNK, nr++) {
			spans[i].got += ext[nr].done;
			if (ext[nr].done < ext[nr].len) {
				/* Short at EOF: count nothing after it. */
				nr += (spans[i].len - done - 1) / VHD_IO_CHUNK + 1;
				break;
			}
		}
	}
	free(ext);
	return ret;
}

int vhd_read_dev(struct dio_dev *dev, const struct vhd_options *opts,
		 struct vhd_info *vi, char *err, size_t errlen)
{
	struct vhd_span *spans;
	unsigned int n;
	int ret;

	/* One size for the whole verdict: rules compare against it. */
	ret = dio_refresh_size(dev);
	if (!ret)
		ret = vhd_parser_init(vi, dev->size, dev->is_blockdev, opts);
	while (!ret && (n = vhd_parser_wants(vi, &spans))) {
		ret = read_round(dev, spans, n);
		if (!ret)
			ret = vhd_parser_feed(vi);
	}
	if (ret && err)
		snprintf(err, errlen, "%s: cannot read VHD metadata: %s",
			 dev->path, strerror(-ret));
	return ret;
}

int vhd_open_path(const char *path, const struct vhd_options *opts,
		  struct vhd_info *vi, char *err, size_t errlen)
{
	struct dio_dev dev;
	int ret;

	memset(vi, 0, sizeof(*vi));
	/* O_DIRECT on a directory fails with EINVAL, which would read as a
	 * file system without direct I/O. */
	{
		struct stat st;

		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (err)
				snprintf(err, errlen, "%s: is a directory, not "
					 "a VHD file or block device", path);
			return -EISDIR;
		}
	}
	ret = dio_open(&dev, path, DIO_READ_ONLY, err, errlen);
	if (ret)
		return ret;
	dev.sync_only = !(opts && opts->aio);
	ret = vhd_read_dev(&dev, opts, vi, err, errlen);
	dio_close(&dev);
	return ret;
}
