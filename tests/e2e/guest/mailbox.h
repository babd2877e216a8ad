/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Command mailbox: dom0 writes one text line into block 0 of the guest's
 * backing store ("XHMB <seq> <cmd> [args]"), the guest polls it with
 * O_DIRECT reads. It needs no guest tools and survives a migration,
 * because it lives on the shared storage itself.
 */
#ifndef XH_MAILBOX_H
#define XH_MAILBOX_H

#include <stdint.h>

#define XH_MBOX_CMD_MAX 16
#define XH_MBOX_ARGS_MAX 128

struct xh_mbox_cmd {
	uint64_t seq;
	char cmd[XH_MBOX_CMD_MAX];
	char args[XH_MBOX_ARGS_MAX];
};

/*
 * Read the mailbox block with O_DIRECT into the XH_BLOCK_SIZE aligned
 * scratch buffer. Returns 1 and fills *out for a well-formed command,
 * 0 when the block holds no command, -1 on a read error.
 */
int xh_mbox_read(int fd, void *scratch, struct xh_mbox_cmd *out);

/* Parse the unsigned "key=value" from a space separated args string. */
int xh_args_get_u64(const char *args, const char *key, uint64_t *val);

#endif
