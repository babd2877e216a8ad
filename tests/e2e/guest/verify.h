/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef XH_VERIFY_H
#define XH_VERIFY_H

#include "load.h"

#include <stdint.h>
#include <stdio.h>

struct xh_verify_result {
	unsigned int blocks;
	unsigned int ok;	/* holds exactly the last completed record */
	unsigned int stale;	/* holds an older record (or none) although a newer write completed */
	unsigned int corrupt;	/* our record, but torn or misplaced */
	unsigned int future;	/* a record newer than any completed write */
	unsigned int ioerr;	/* the read back failed */
};

/*
 * Read every record block back with O_DIRECT and compare it to the last
 * completed write. Requires no write in flight. One line per bad block is
 * printed to detail.
 */
int xh_verify(const struct xh_load *l, struct xh_verify_result *r, FILE *detail);

#endif
