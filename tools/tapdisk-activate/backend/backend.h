/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * backend: the thing on this host that serves the VDI to a guest, as far as
 * the handover needs it: drain + close (pause), reopen with fresh metadata
 * (resume), and what it is doing now.
 *
 * Specs (--backend SPEC):
 *   tapdisk:PID:MINOR[,type=T][,no-o-direct][,cbt-log=PATH]
 *       tapdisk's control socket /run/blktap-control/ctl<PID> (the directory
 *       can be moved with $TAPDISK_ACTIVATE_CONTROL_DIR). type is the
 *       tapdisk driver name used to reopen ("vhd" by default, "aio" raw);
 *       no-o-direct records that it was started with -D (page cache), and
 *       is only used when tapdisk cannot be asked (backend_tapdisk_io_mode);
 *       cbt-log is the VBD's changed-block-tracking log (tap-ctl -C PATH):
 *       every resume carries it, because a RESUME without it makes tapdisk
 *       stop tracking. Pausing a running VBD whose CBT log the spec does
 *       not name is refused (see backend_tapdisk_pause).
 *   dm:NAME
 *       a device-mapper device under a blkback phy: disk; pause = suspend
 *       (waits for in-flight bios and flushes), resume = resume.
 *   qdisk[,direct-io-safe]
 *       QEMU's Xen disk backend; only for check-migrate (it cannot be
 *       paused from here).
 *   none
 *       no live backend (offline use): flush and cache drop only.
 *
 * Every call is bounded by its timeout; nothing here waits forever.
 */
#ifndef TAPDISK_ACTIVATE_BACKEND_H
#define TAPDISK_ACTIVATE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cachedrop.h"

enum backend_kind {
	BACKEND_NONE,
	BACKEND_TAPDISK,
	BACKEND_DM,
	BACKEND_QDISK,
};

enum backend_result {
	BACKEND_OK = 0,
	BACKEND_UNREACHABLE,	/* no such tapdisk/dm device, socket dead */
	BACKEND_TIMEOUT,	/* did not finish within the timeout */
	BACKEND_REFUSED,	/* answered with an error */
	BACKEND_UNSUPPORTED,	/* this kind cannot do that */
};

#define BACKEND_SPEC_MAX	512
#define BACKEND_DM_NAME_MAX	128	/* DM_NAME_LEN */
#define BACKEND_CBT_LOG_MAX	256	/* TAPDISK_MESSAGE_MAX_PATH_LENGTH */

struct backend {
	enum backend_kind kind;
	char spec[BACKEND_SPEC_MAX];
	/* tapdisk */
	int pid;
	int minor;
	char sock[BACKEND_SPEC_MAX];
	char image_type[16];
	bool no_o_direct;
	char cbt_log[BACKEND_CBT_LOG_MAX];	/* "" when none */
	/* dm */
	char dm_name[BACKEND_DM_NAME_MAX];
	/* qdisk */
	bool direct_io_safe;
};

struct backend_status {
	bool known;		/* the backend answered */
	bool paused;		/* drained and closed (or dm suspended) */
	char state[32];		/* "running", "paused", "resume-failed", ... */
	char image[256];	/* what it serves ("vhd:/path"), may be empty */
	uint32_t raw_state;	/* tapdisk state bits / dm flags */
};

/* Parses @spec; 0 or -EINVAL with a message in @err. */
int backend_parse(const char *spec, struct backend *b, char *err,
		  size_t errlen);

const char *backend_kind_name(enum backend_kind kind);

/* Drain in-flight I/O and close the image (tapdisk) / suspend (dm). */
enum backend_result backend_pause(const struct backend *b, int timeout_ms,
				  char *err, size_t errlen);

/*
 * Reopen @image_path, re-reading all its metadata (tapdisk RESUME with
 * "type:/path"), or resume the dm device.
 */
enum backend_result backend_resume(const struct backend *b,
				   const char *image_path, int timeout_ms,
				   char *err, size_t errlen);

enum backend_result backend_query(const struct backend *b,
				  struct backend_status *st, int timeout_ms,
				  char *err, size_t errlen);

/*
 * After a resume that failed or went unanswered (it may still complete):
 * pause again, bounded. True when the backend is known not to serve the
 * image now: it answered the pause, or nothing is left to serve it (no
 * tapdisk listens on its socket, no such dm device). False (with @err)
 * when it may be running.
 */
bool backend_stopped_after_resume(const struct backend *b, int timeout_ms,
				  char *err, size_t errlen);

/*
 * Did the backend write to the image since it was opened? Read after a
 * pause (drained: nothing of it is in flight), so the answer covers every
 * write it will ever have issued for this holding. tapdisk: STATS "secs"
 * (sectors of write requests issued since the VBD was created) and
 * "reqs_outstanding"; dm: the device's block statistics (write and
 * discard requests completed since the device was created, requests in
 * flight), which count blkback's and anyone else's I/O on it. @wrote is
 * true when any counter is not zero. BACKEND_OK with @w filled; anything
 * else (no such backend, kind without counters: none, qdisk) means
 * nothing can be said, and a caller must assume it wrote.
 */
struct backend_writes {
	bool wrote;
	uint64_t written;	/* tapdisk: sectors; dm: write requests */
	uint64_t discarded;	/* dm: discard requests */
	int64_t in_flight;	/* queued or in flight, -1: not reported */
	char how[384];		/* where the figures came from */
};

enum backend_result backend_writes(const struct backend *b, int timeout_ms,
				   struct backend_writes *w, char *err,
				   size_t errlen);

/*
 * Parses a block device's statistics (/sys/block/DEV/stat, 11 to 17
 * fields): writes completed, discards completed (0 before Linux 4.18,
 * which has 11 fields) and requests in flight. -EPROTO on anything else.
 */
int backend_parse_blockstat(const char *text, uint64_t *writes,
			    uint64_t *discards, uint64_t *in_flight);

/*
 * blktap's changed-block-tracking log (what tap-ctl -C / cbt-util handle):
 * a 48-byte header (parent and child uuids, a 32-bit "consistent" flag
 * at byte 32, the disk size in bytes at byte 40, native byte order) and
 * one bit per 64 KiB of disk. The flag says whether the bitmap can be
 * trusted for an incremental backup; a backup tool that finds it 0 takes
 * a full one. backend_cbt_consistent() reads it (0/1, or -errno, -EPROTO
 * for a file whose length does not match its own header);
 * backend_cbt_mark_inconsistent() writes 0 and syncs the file, as
 * `cbt-util set -f 0` does.
 */
int backend_cbt_consistent(const char *log, char *err, size_t errlen);
int backend_cbt_mark_inconsistent(const char *log, char *err, size_t errlen);

/* Per-kind implementations (backend_tapdisk.c, backend_dm.c). */
enum backend_result backend_tapdisk_pause(const struct backend *b,
					  int timeout_ms, char *err,
					  size_t errlen);
enum backend_result backend_tapdisk_resume(const struct backend *b,
					   const char *image_path,
					   int timeout_ms, char *err,
					   size_t errlen);
enum backend_result backend_tapdisk_query(const struct backend *b,
					  struct backend_status *st,
					  int timeout_ms, char *err,
					  size_t errlen);
bool backend_tapdisk_pause_or_gone(const struct backend *b, int timeout_ms,
				   char *err, size_t errlen);

/*
 * How the tapdisk of @b has @image open, for the page-cache rule: from
 * the file flags of its open descriptors of @image
 * (/proc/PID/fdinfo/N "flags", matched by device and inode), or, while
 * the VBD is paused and the image closed, from the read_caching that
 * tapdisk's STATS reports. 0 with *@direct and a sentence in @how
 * saying where it was read; -errno when tapdisk could not tell (no
 * such process, no answer): the caller falls back to the spec.
 */
int backend_tapdisk_io_mode(const struct backend *b, const char *image,
			    int timeout_ms, bool *direct, char *how,
			    size_t howlen);
enum backend_result backend_tapdisk_writes(const struct backend *b,
					   int timeout_ms,
					   struct backend_writes *w,
					   char *err, size_t errlen);
enum backend_result backend_dm_writes(const struct backend *b, int timeout_ms,
				      struct backend_writes *w, char *err,
				      size_t errlen);
enum backend_result backend_dm_pause(const struct backend *b, int timeout_ms,
				     char *err, size_t errlen);
enum backend_result backend_dm_resume(const struct backend *b, int timeout_ms,
				      char *err, size_t errlen);
enum backend_result backend_dm_query(const struct backend *b,
				     struct backend_status *st, int timeout_ms,
				     char *err, size_t errlen);

#endif /* TAPDISK_ACTIVATE_BACKEND_H */
