/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * migrate_safety: libvirt's qemuMigrationSrcIsSafe() page-cache rule,
 * adapted to Xen block backends.
 *
 * Handing a disk to another host is only safe when no host can serve the
 * guest stale data from its own page cache. That holds when
 *   - the disk is read-only, or explicitly shareable (the guest cluster
 *     software owns coherence then), or
 *   - the image lives on a coherent cluster filesystem (GFS2, OCFS2,
 *     CephFS: the ones libvirt accepts with any cache mode), or
 *   - the backend bypasses the dom0 page cache: tapdisk opens images
 *     O_DIRECT unless told otherwise (-D / NO_O_DIRECT), blkback (phy:, dm)
 *     submits bios directly, qdisk only with direct-io-safe.
 * Otherwise the handover is refused with the reason, unless the operator
 * overrides it (--unsafe, like virsh migrate --unsafe).
 *
 * The decision is a pure function of struct migrate_facts so that every row
 * of the matrix is testable without GFS2 or a real tapdisk; the probe fills
 * the facts from statfs(), the backend spec and, for tapdisk, how the
 * running tapdisk really opened the image (tests/tapdisk/ checks that
 * against real tapdisk).
 */
#ifndef TAPDISK_ACTIVATE_MIGRATE_SAFETY_H
#define TAPDISK_ACTIVATE_MIGRATE_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* statfs f_type values (linux/magic.h and the filesystems' own headers). */
#define MS_MAGIC_NFS		0x00006969u
#define MS_MAGIC_GFS2		0x01161970u
#define MS_MAGIC_OCFS2		0x7461636fu
#define MS_MAGIC_CEPH		0x00c36400u
#define MS_MAGIC_AFS		0x5346414fu
#define MS_MAGIC_SMB		0x0000517bu
#define MS_MAGIC_SMB2		0xfe534d42u
#define MS_MAGIC_CIFS		0xff534d42u
#define MS_MAGIC_GPFS		0x47504653u
#define MS_MAGIC_ACFS		0x61636673u
#define MS_MAGIC_BEEGFS		0x19830326u
#define MS_MAGIC_FUSE		0x65735546u	/* GlusterFS, Quobyte clients */
#define MS_MAGIC_EXT4		0x0000ef53u
#define MS_MAGIC_XFS		0x58465342u
#define MS_MAGIC_BTRFS		0x9123683eu
#define MS_MAGIC_TMPFS		0x01021994u

struct migrate_facts {
	const char *backend;	/* "tapdisk", "qdisk", "dm", "none" */
	bool backend_live;	/* false for "none": nothing serves I/O */
	bool backend_direct_io;	/* bypasses the dom0 page cache */
	const char *backend_io_note; /* why (for the message), may be NULL */
	bool read_only;
	bool shareable;
	bool is_blockdev;	/* the VDI is a block device, not a file */
	bool fs_known;		/* statfs succeeded */
	uint32_t fs_magic;	/* statfs f_type */
	/*
	 * Set by migrate_backend_facts for a tapdisk: probe_path then asks
	 * that tapdisk how it opened the image, and what it says replaces
	 * what the spec claims (backend_io_note points into io_how).
	 */
	const struct backend *tapdisk;
	char io_how[256];
};

enum migrate_rule {
	MS_RULE_READ_ONLY,
	MS_RULE_SHAREABLE,
	MS_RULE_NO_BACKEND,
	MS_RULE_DIRECT_IO,
	MS_RULE_CLUSTER_FS,
	MS_RULE_UNSAFE_CACHE,	/* the refusal */
};

struct migrate_verdict {
	bool safe;		/* a rule made it safe */
	bool overridden;	/* unsafe, but --unsafe was given */
	enum migrate_rule rule;
	const char *fs_name;	/* "ext4", "gfs2", ..., "unknown" */
	bool fs_shared;		/* libvirt's shared-FS list */
	bool fs_cluster;	/* coherent cluster FS */
	char reason[512];	/* one sentence for the user */
};

void migrate_safety_decide(const struct migrate_facts *f, bool allow_unsafe,
			   struct migrate_verdict *v);

struct backend;
/*
 * Fills fs_known/fs_magic/is_blockdev for @path; 0 or -errno. For a
 * tapdisk backend it also reads how that tapdisk opened @path
 * (backend_tapdisk_io_mode, bounded by MIGRATE_PROBE_MS) and sets
 * backend_direct_io from it; when tapdisk cannot tell, the spec stands.
 */
#define MIGRATE_PROBE_MS	5000
int migrate_safety_probe_path(const char *path, struct migrate_facts *f);

const char *migrate_fs_name(uint32_t magic);
bool migrate_fs_is_cluster(uint32_t magic);
bool migrate_fs_is_shared(uint32_t magic);
const char *migrate_rule_name(enum migrate_rule rule);

/* What the page-cache rule needs to know about backend @b (its spec). */
void migrate_backend_facts(const struct backend *b, struct migrate_facts *f);

#endif /* TAPDISK_ACTIVATE_MIGRATE_SAFETY_H */
