/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * handover_state: what one host remembers about its last handover of a
 * VDI, kept durably so a later process (reactivate after a failed
 * migration, status) can rely on it:
 *   - the lease version this host released on deactivate (the reactivate
 *     rule: succeed only if nobody acquired since that version),
 *   - the metadata fingerprint at that moment (a changed fingerprint means
 *     someone wrote the image without the lease),
 *   - timings of the last deactivate/activate, step by step.
 *
 * One small key=value file per host beside the lease (LEASE.host<N>.state),
 * replaced with write-tmp + fsync + rename + fsync(dir) so a crash leaves
 * either the old or the new record, never a torn one. Each save writes a
 * temporary of its own (mkostemp in the same directory), so two commands
 * saving the same record at once each publish a whole record: the last
 * rename wins. One file per host
 * because two hosts hand over concurrently and must not overwrite each
 * other's record.
 */
#ifndef TAPDISK_ACTIVATE_HANDOVER_STATE_H
#define TAPDISK_ACTIVATE_HANDOVER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HANDOVER_STATE_PATH_MAX	4096
#define HANDOVER_MAX_STEPS	8

struct handover_step {
	char name[24];		/* "pause", "flush", "lease", ... */
	uint64_t us;
};

struct handover_state {
	char vdi[HANDOVER_STATE_PATH_MAX];
	uint16_t host_id;
	char last_op[16];	/* "deactivate", "activate", "reactivate" */
	char result[16];	/* "ok" or "failed" */
	int64_t time;		/* Unix seconds of the record */
	bool has_released_version;
	uint64_t released_version;	/* deactivate: version we let go */
	bool has_acquired_version;
	uint64_t acquired_version;	/* activate: version we hold */
	char fingerprint[65];		/* "" when none (raw, unreadable) */
	char backend[512];
	uint64_t total_us;
	unsigned int nr_steps;
	struct handover_step steps[HANDOVER_MAX_STEPS];
};

/*
 * Default record path: LEASEFILE.host<N>.state when the lease is a regular
 * file, else /var/lib/tapdisk-activate/<VDI path with '/' as '_', and
 * its own '_' and '%' as "%5F" and "%25">.host<N>.state: one file per
 * path. 0 or -ENAMETOOLONG.
 */
int handover_state_default_path(const char *lease_path, const char *vdi,
				uint16_t host_id, char *buf, size_t len);

/* 0, -ENOENT (no record), -EINVAL (damaged: message in @err), -errno. */
int handover_state_load(const char *path, struct handover_state *st,
			char *err, size_t errlen);

/*
 * Atomic replace (see above); 0 or -errno with @err, the temporary
 * removed on failure. The data is always fsynced before the rename; with
 * @durable the directory is too, so the new record survives a crash once
 * this returns (the deactivate record that reactivate relies on); without,
 * a crash may lose the new record but never tears it (activate's record
 * only carries timings).
 */
int handover_state_save(const char *path, const struct handover_state *st,
			bool durable, char *err, size_t errlen);

void handover_state_add_step(struct handover_state *st, const char *name,
			     uint64_t us);

#endif /* TAPDISK_ACTIVATE_HANDOVER_STATE_H */
