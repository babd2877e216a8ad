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
	/* 10-19: lease (lease.h, tapdisk-activate-lease(8)) */
	XH_EXIT_LEASE_HELD = 10,	/* held by another holder, not expired */
	XH_EXIT_LEASE_VERSION_MOVED = 11, /* --expect-version: acquired since */
	XH_EXIT_LEASE_DAMAGED = 12,	/* a lease sector failed validation */
	XH_EXIT_LEASE_NOT_OWNER = 13,	/* renew/release by a non-holder */
	XH_EXIT_LEASE_LOST = 14,	/* holder missed its renewal deadline */
	XH_EXIT_LEASE_CONTENDED = 15,	/* ballots pre-empted until --wait ran out */
	XH_EXIT_LEASE_NOT_INITIALIZED = 16, /* no lease area (init: exists) */
	/* 40-49: tapdisk-activated (exit status and request-tree results) */
	XH_EXIT_DAEMON_CONFIG = 40,	/* configuration file invalid */
	XH_EXIT_DAEMON_XENSTORE = 41,	/* xenstored / libxenctrl unavailable */
	XH_EXIT_DAEMON_BUSY = 42,	/* request refused: a step is running */
	XH_EXIT_DAEMON_REQUEST = 43,	/* malformed request, unknown VDI/disk */
	XH_EXIT_DAEMON_JOB = 44,	/* tapdisk-activate killed or not run */
	XH_EXIT_DAEMON_DOWN = 45,	/* request: daemon not running, not sent */
	XH_EXIT_DAEMON_NO_ANSWER = 46,	/* request: no answer in time, pending */
	/* backend (handover: activate/deactivate/reactivate/status) */
	XH_EXIT_BACKEND_UNREACHABLE = 20, /* no tapdisk/dm device to talk to */
	XH_EXIT_BACKEND_PAUSE_TIMEOUT = 21, /* did not drain in time; lease kept */
	XH_EXIT_BACKEND_PAUSE_FAILED = 22, /* backend refused to pause */
	XH_EXIT_BACKEND_RESUME_FAILED = 23, /* reopen failed; stays paused */
	XH_EXIT_FLUSH_FAILED = 24,	/* fdatasync/BLKFLSBUF/cache drop failed */
	XH_EXIT_BACKEND_UNSUPPORTED = 25, /* that backend cannot do this */
	/* handover safety */
	XH_EXIT_MIGRATE_UNSAFE = 30,	/* page-cache rule refused (see --unsafe) */
	XH_EXIT_REACTIVATE_REFUSED = 31, /* another host acquired since (--force) */
	XH_EXIT_NOT_HOLDER = 32,	/* deactivate: this host holds no lease */
	XH_EXIT_METADATA_CHANGED = 33,	/* reactivate: metadata changed since */
	XH_EXIT_NO_HANDOVER_RECORD = 34, /* reactivate: no deactivate recorded */
	XH_EXIT_STATE_WRITE = 35,	/* handover record could not be saved */
};

#endif /* TAPDISK_ACTIVATE_EXITCODES_H */
