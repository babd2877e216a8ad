/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Exit codes of tapdisk-activate, one table for every command so that
 * automation can rely on them. Ranges: 3-9 image, 10-19 lease, 20-29
 * backend, 30-39 handover safety, 40-49 daemon. Documented in
 * man/tapdisk-activate.8; never renumber a published code.
 */
#ifndef TAPDISK_ACTIVATE_EXITCODES_H
#define TAPDISK_ACTIVATE_EXITCODES_H

enum xh_exit {
	XH_EXIT_OK = 0,
	XH_EXIT_FAILURE = 1,		/* unexpected error (message says which) */
	XH_EXIT_USAGE = 2,		/* bad command line */
	XH_EXIT_IMAGE_INVALID = 3,	/* VHD metadata failed validation */
	XH_EXIT_IO = 4,			/* storage could not be opened or read */
};

#endif /* TAPDISK_ACTIVATE_EXITCODES_H */
