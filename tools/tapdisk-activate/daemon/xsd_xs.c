// SPDX-License-Identifier: GPL-2.0 OR MIT
/* xenstore access for tapdisk-activated (see xsd_xs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xsd_xs.h"

int xsd_xs_open(struct xsd_xs *xs, char *err, size_t errlen)
{
	xs->tx = XBT_NULL;
	xs->h = xs_open(0);
	if (!xs->h) {
		snprintf(err, errlen, "cannot connect to xenstored: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

void xsd_xs_close(struct xsd_xs *xs)
{
	if (xs->h)
		xs_close(xs->h);
	xs->h = NULL;
}

int xsd_xs_fd(struct xsd_xs *xs)
{
	return xs_fileno(xs->h);
}

int xsd_xs_read(struct xsd_xs *xs, const char *path, char *buf, size_t size)
{
	unsigned int len = 0;
	char *v = xs_read(xs->h, xs->tx, path, &len);

	if (size)
		buf[0] = '\0';
	if (!v)
		return errno == ENOENT ? -ENOENT : -EIO;
	if ((size_t)len + 1 > size) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	free(v);
	return (int)len;
}

bool xsd_xs_exists(struct xsd_xs *xs, const char *path)
{
	unsigned int len;
	char *v = xs_read(xs->h, xs->tx, path, &len);

	free(v);
	return v != NULL;
}

int xsd_xs_write(struct xsd_xs *xs, const char *path, const char *value)
{
	return xs_write(xs->h, xs->tx, path, value,
			(unsigned int)strlen(value)) ? 0 : -1;
}

int xsd_xs_rm(struct xsd_xs *xs, const char *path)
{
	if (xs_rm(xs->h, xs->tx, path) || errno == ENOENT)
		return 0;
	return -1;
}

int xsd_xs_mkdir_private(struct xsd_xs *xs, const char *path)
{
	struct xs_permissions perm = { .id = 0, .perms = XS_PERM_NONE };

	if (!xs_mkdir(xs->h, xs->tx, path))
		return -1;
	return xs_set_permissions(xs->h, xs->tx, path, &perm, 1) ? 0 : -1;
}

char **xsd_xs_list(struct xsd_xs *xs, const char *path, unsigned int *n)
{
	char **v = xs_directory(xs->h, xs->tx, path, n);

	if (!v)
		*n = 0;
	return v;
}

int xsd_xs_begin(struct xsd_xs *xs)
{
	xs_transaction_t t = xs_transaction_start(xs->h);

	if (t == XBT_NULL)
		return -1;
	xs->tx = t;
	return 0;
}

int xsd_xs_end(struct xsd_xs *xs, bool abort)
{
	xs_transaction_t t = xs->tx;

	xs->tx = XBT_NULL;
	if (xs_transaction_end(xs->h, t, abort))
		return 0;
	return errno == EAGAIN ? -EAGAIN : -EIO;
}

int xsd_xs_watch(struct xsd_xs *xs, const char *path, const char *token)
{
	return xs_watch(xs->h, path, token) ? 0 : -1;
}

int xsd_xs_unwatch(struct xsd_xs *xs, const char *path, const char *token)
{
	return xs_unwatch(xs->h, path, token) ? 0 : -1;
}

int xsd_xs_next_event(struct xsd_xs *xs, char *path, size_t psize,
		      char *token, size_t tsize)
{
	char **ev = xs_check_watch(xs->h);

	if (!ev)
		return errno == EAGAIN ? 0 : -1;
	snprintf(path, psize, "%s", ev[XS_WATCH_PATH]);
	snprintf(token, tsize, "%s", ev[XS_WATCH_TOKEN]);
	free(ev);
	return 1;
}
