/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tapdisk-activated's xenstore connection: bounded reads (a value longer
 * than the caller's limit is an error, never truncated into something that
 * parses), writes, removal, listing and watches.
 */
#ifndef TAPDISK_ACTIVATE_XSD_XS_H
#define TAPDISK_ACTIVATE_XSD_XS_H

#include <stdbool.h>
#include <stddef.h>

struct xs_handle;

struct xsd_xs {
	struct xs_handle *h;
	unsigned int tx;	/* open transaction, 0 (XBT_NULL) outside */
};

int xsd_xs_open(struct xsd_xs *xs, char *err, size_t errlen);
void xsd_xs_close(struct xsd_xs *xs);
int xsd_xs_fd(struct xsd_xs *xs);

/*
 * Reads @path into @buf (NUL-terminated; the value itself may contain NULs,
 * the length is returned). Returns -ENOENT when absent, -E2BIG when the
 * value does not fit in @size - 1 bytes, -EIO on other errors.
 */
int xsd_xs_read(struct xsd_xs *xs, const char *path, char *buf, size_t size);
bool xsd_xs_exists(struct xsd_xs *xs, const char *path);
int xsd_xs_write(struct xsd_xs *xs, const char *path, const char *value);
int xsd_xs_rm(struct xsd_xs *xs, const char *path);
/* Creates @path readable and writable by dom0 only ("n0"). */
int xsd_xs_mkdir_private(struct xsd_xs *xs, const char *path);
/* Directory entries (free() the array); NULL with *n = 0 when absent. */
char **xsd_xs_list(struct xsd_xs *xs, const char *path, unsigned int *n);

/*
 * A transaction around the reads and writes between begin and end (one
 * at a time per connection). End returns 0 when committed, -EAGAIN when
 * another writer raced it (start over), -EIO otherwise; @abort drops it.
 */
int xsd_xs_begin(struct xsd_xs *xs);
int xsd_xs_end(struct xsd_xs *xs, bool abort);

int xsd_xs_watch(struct xsd_xs *xs, const char *path, const char *token);
int xsd_xs_unwatch(struct xsd_xs *xs, const char *path, const char *token);
/*
 * Next pending watch event without blocking: copies path and token, returns
 * 1, or 0 when none is queued, -1 on a broken connection.
 */
int xsd_xs_next_event(struct xsd_xs *xs, char *path, size_t psize,
		      char *token, size_t tsize);

#endif /* TAPDISK_ACTIVATE_XSD_XS_H */
