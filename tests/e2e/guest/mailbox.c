// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "mailbox.h"
#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_line(const char *p, struct xh_mbox_cmd *out)
{
	char *end;
	size_t n;

	if (strncmp(p, "XHMB ", 5) != 0)
		return 0;
	p += 5;
	if (!isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	out->seq = strtoull(p, &end, 10);
	if (errno || *end != ' ')
		return 0;
	p = end + 1;
	n = strcspn(p, " \n");
	if (n == 0 || n >= sizeof(out->cmd))
		return 0;
	memcpy(out->cmd, p, n);
	out->cmd[n] = '\0';
	p += n;
	out->args[0] = '\0';
	if (*p == ' ') {
		p++;
		n = strcspn(p, "\n");
		if (n >= sizeof(out->args))
			return 0;
		memcpy(out->args, p, n);
		out->args[n] = '\0';
		p += n;
	}
	return *p == '\n';
}

int xh_mbox_read(int fd, void *scratch, struct xh_mbox_cmd *out)
{
	char *buf = scratch;
	ssize_t rc = pread(fd, buf, XH_BLOCK_SIZE, 0);

	if (rc != (ssize_t)XH_BLOCK_SIZE)
		return -1;
	/* The block is dom0-written text; never trust it to be terminated. */
	buf[XH_BLOCK_SIZE - 1] = '\0';
	return parse_line(buf, out);
}

int xh_args_get_u64(const char *args, const char *key, uint64_t *val)
{
	size_t klen = strlen(key);
	const char *p = args;

	while (*p) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			char *end;

			errno = 0;
			*val = strtoull(p + klen + 1, &end, 10);
			if (errno || end == p + klen + 1 || (*end != ' ' && *end != '\0'))
				return -1;
			return 0;
		}
		p += strcspn(p, " ");
	}
	return -1;
}
