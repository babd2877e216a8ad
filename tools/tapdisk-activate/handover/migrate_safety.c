// SPDX-License-Identifier: GPL-2.0 OR MIT
/* migrate_safety: the page-cache safety rule (see migrate_safety.h). */
#include "migrate_safety.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "backend/backend.h"
#include "common/hint.h"

struct fs_kind {
	uint32_t magic;
	const char *name;
	bool shared;	/* on libvirt's shared-storage list */
	bool cluster;	/* coherent: safe with any cache mode */
};

static const struct fs_kind fs_kinds[] = {
	{ MS_MAGIC_GFS2, "gfs2", true, true },
	{ MS_MAGIC_OCFS2, "ocfs2", true, true },
	{ MS_MAGIC_CEPH, "ceph", true, true },
	{ MS_MAGIC_NFS, "nfs", true, false },
	{ MS_MAGIC_AFS, "afs", true, false },
	{ MS_MAGIC_SMB, "smb", true, false },
	{ MS_MAGIC_SMB2, "smb2", true, false },
	{ MS_MAGIC_CIFS, "cifs", true, false },
	{ MS_MAGIC_GPFS, "gpfs", true, false },
	{ MS_MAGIC_ACFS, "acfs", true, false },
	{ MS_MAGIC_BEEGFS, "beegfs", true, false },
	/* FUSE: glusterfs/quobyte are shared, other FUSE filesystems not;
	 * libvirt tells them apart from the mount table. Not coherent. */
	{ MS_MAGIC_FUSE, "fuse", false, false },
	{ MS_MAGIC_EXT4, "ext4", false, false },
	{ MS_MAGIC_XFS, "xfs", false, false },
	{ MS_MAGIC_BTRFS, "btrfs", false, false },
	{ MS_MAGIC_TMPFS, "tmpfs", false, false },
};

static const struct fs_kind *fs_lookup(uint32_t magic)
{
	for (size_t i = 0; i < sizeof(fs_kinds) / sizeof(fs_kinds[0]); i++)
		if (fs_kinds[i].magic == magic)
			return &fs_kinds[i];
	return NULL;
}

const char *migrate_fs_name(uint32_t magic)
{
	const struct fs_kind *k = fs_lookup(magic);

	return k ? k->name : "unknown";
}

bool migrate_fs_is_cluster(uint32_t magic)
{
	const struct fs_kind *k = fs_lookup(magic);

	return k && k->cluster;
}

bool migrate_fs_is_shared(uint32_t magic)
{
	const struct fs_kind *k = fs_lookup(magic);

	return k && k->shared;
}

const char *migrate_rule_name(enum migrate_rule rule)
{
	switch (rule) {
	case MS_RULE_READ_ONLY: return "read-only";
	case MS_RULE_SHAREABLE: return "shareable";
	case MS_RULE_NO_BACKEND: return "no-live-backend";
	case MS_RULE_DIRECT_IO: return "direct-io";
	case MS_RULE_CLUSTER_FS: return "cluster-fs";
	case MS_RULE_UNSAFE_CACHE: return "unsafe-cache";
	}
	return "?";
}

/* What the tapdisk itself says replaces what its spec claims. */
static void probe_tapdisk(const char *path, struct migrate_facts *f)
{
	bool direct;

	if (!f->tapdisk ||
	    backend_tapdisk_io_mode(f->tapdisk, path, MIGRATE_PROBE_MS,
				    &direct, f->io_how, sizeof(f->io_how)))
		return;
	f->backend_direct_io = direct;
	f->backend_io_note = f->io_how;
}

int migrate_safety_probe_path(const char *path, struct migrate_facts *f)
{
	struct statfs sfs;
	struct stat st;

	f->fs_known = false;
	if (stat(path, &st) < 0)
		return -errno;
	f->is_blockdev = S_ISBLK(st.st_mode);
	probe_tapdisk(path, f);
	if (f->is_blockdev)
		return 0;	/* no filesystem between us and the storage */
	if (statfs(path, &sfs) < 0)
		return -errno;
	f->fs_known = true;
	f->fs_magic = (uint32_t)sfs.f_type;
	return 0;
}

static void safe(struct migrate_verdict *v, enum migrate_rule rule,
		 const char *why)
{
	v->safe = true;
	v->rule = rule;
	snprintf(v->reason, sizeof(v->reason), "%s", why);
}

void migrate_safety_decide(const struct migrate_facts *f, bool allow_unsafe,
			   struct migrate_verdict *v)
{
	const char *where;
	char storage[96];

	memset(v, 0, sizeof(*v));
	v->fs_name = f->is_blockdev ? "block-device" :
		     f->fs_known ? migrate_fs_name(f->fs_magic) : "unknown";
	v->fs_shared = f->fs_known && migrate_fs_is_shared(f->fs_magic);
	v->fs_cluster = f->fs_known && migrate_fs_is_cluster(f->fs_magic);

	/* Same order as libvirt: disk properties, then storage, then cache. */
	if (f->read_only) {
		safe(v, MS_RULE_READ_ONLY,
		     "the disk is read-only: no host writes it");
		return;
	}
	if (f->shareable) {
		safe(v, MS_RULE_SHAREABLE,
		     "the disk is shareable: coherence is the guest's");
		return;
	}
	if (!f->backend_live) {
		safe(v, MS_RULE_NO_BACKEND,
		     "no live backend serves the disk on this host");
		return;
	}
	if (v->fs_cluster) {
		snprintf(v->reason, sizeof(v->reason),
			 "the image is on %s, a coherent cluster filesystem",
			 v->fs_name);
		v->safe = true;
		v->rule = MS_RULE_CLUSTER_FS;
		return;
	}
	if (f->backend_direct_io) {
		snprintf(v->reason, sizeof(v->reason),
			 "backend %s bypasses the dom0 page cache%s%s%s",
			 f->backend, f->backend_io_note ? " (" : "",
			 f->backend_io_note ? f->backend_io_note : "",
			 f->backend_io_note ? ")" : "");
		v->safe = true;
		v->rule = MS_RULE_DIRECT_IO;
		return;
	}
	v->rule = MS_RULE_UNSAFE_CACHE;
	v->overridden = allow_unsafe;
	if (f->is_blockdev)
		where = "a block device (each host has its own page cache of it)";
	else if (!f->fs_known)
		where = "a filesystem that could not be identified";
	else {
		snprintf(storage, sizeof(storage),
			 "%s, which is not a coherent cluster filesystem",
			 v->fs_name);
		where = storage;
	}
	snprintf(v->reason, sizeof(v->reason),
		 "backend %s reads and writes through the dom0 page cache%s%s%s"
		 " and the image is on %s: the destination could read stale "
		 "pages or the source could write back after the handover%s",
		 f->backend, f->backend_io_note ? " (" : "",
		 f->backend_io_note ? f->backend_io_note : "",
		 f->backend_io_note ? ")" : "", where,
		 allow_unsafe ? " (overridden by "
		 XH_HINT("check-migrate", "--unsafe") ")" :
		 "; use O_DIRECT (tapdisk default, qdisk direct-io-safe), a "
		 "cluster filesystem, or "
		 XH_HINT("check-migrate", "--unsafe"));
}

void migrate_backend_facts(const struct backend *b, struct migrate_facts *f)
{
	f->backend = backend_kind_name(b->kind);
	f->backend_live = b->kind != BACKEND_NONE;
	switch (b->kind) {
	case BACKEND_TAPDISK:
		f->tapdisk = b;
		f->backend_direct_io = !b->no_o_direct;
		f->backend_io_note = b->no_o_direct ?
			"tapdisk started with -D / NO_O_DIRECT, as its spec "
			"says" :
			"tapdisk opens images with O_DIRECT, as its spec says";
		break;
	case BACKEND_DM:
		f->backend_direct_io = true;
		f->backend_io_note = "blkback submits bios to the device";
		break;
	case BACKEND_QDISK:
		f->backend_direct_io = b->direct_io_safe;
		f->backend_io_note = b->direct_io_safe ?
			"direct-io-safe: cache=none" :
			"no direct-io-safe: cache=writeback";
		break;
	case BACKEND_NONE:
		f->backend_direct_io = false;
		f->backend_io_note = NULL;
		break;
	}
}
