// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The owner's proof of validity, kept on the host. An owner may rely on
 * its lease only until lease_owner_valid_ms() after the start of its last
 * successful renewal, on its own CLOCK_BOOTTIME (lease_timeouts.h). A
 * handle that acquired knows that deadline; a renewal through a fresh
 * handle (`tapdisk-activate lease renew`, the daemon renewing what an
 * `activate` child acquired) did not, so a renewal 20 ms after the
 * deadline could succeed while a contender was already taking over: two
 * owners. Every successful acquire and renewal therefore writes the
 * deadline here, every renewal reads it, and one without it is refused.
 *
 * File: <lock dir>/lease-<area uuid>-h<host id>.at-<dev>-<ino>-<offset>.holder
 * (see state_path), written to a
 * temporary and renamed (a crash leaves the old or the new file, never a
 * torn one). Binary, host-local, this build's layout (struct holder_rec):
 *   magic "XHHOLDR1", boot id (kernel's random boot_id: CLOCK_BOOTTIME
 *   restarts at boot, so a file from an earlier boot proves nothing),
 *   the holder (host id, name, token, version), valid_until_ns
 *   (CLOCK_BOOTTIME; UINT64_MAX for timeout 0).
 */
#include "lease_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HOLDER_MAGIC	"XHHOLDR1"
#define BOOT_ID_LEN	36

struct holder_rec {
	char magic[8];
	char boot_id[BOOT_ID_LEN + 1];
	struct lease_holder held;
	uint64_t valid_until_ns;
};

static int boot_id(char out[BOOT_ID_LEN + 1])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int ok;

	memset(out, 0, BOOT_ID_LEN + 1);
	if (!f)
		return -1;
	ok = fread(out, 1, BOOT_ID_LEN, f) == BOOT_ID_LEN;
	fclose(f);
	return ok ? 0 : -1;
}

/*
 * Named after the area's uuid and where this host reaches it (device,
 * inode, offset): a sidecar copied with its image keeps the uuid, and the
 * two areas must never vouch for each other's holders.
 */
static int state_path(struct lease *l, uint16_t host_id, char *path,
		      size_t len)
{
	const char *dir = NULL;
	char suffix[96];
	int ret = lease_lock_dir(l, &dir);

	if (ret)
		return ret;
	snprintf(suffix, sizeof(suffix), "at-%llx-%llx-%llu.holder",
		 (unsigned long long)l->dev_id, (unsigned long long)l->ino,
		 (unsigned long long)l->offset);
	lease_host_file(l, dir, host_id, suffix, path, len);
	if (strlen(path) + 1 >= len)
		return lease_fail(l, LEASE_USAGE,
				  "holder state path too long under %s", dir);
	return LEASE_OK;
}

/* Same holding; the host name only when @by_name (recall has none). */
static bool same_holder(const struct lease_holder *a,
			const struct lease_holder *b, bool by_name)
{
	return a->host_id == b->host_id && a->version == b->version &&
	       (!by_name || !strcmp(a->host_name, b->host_name)) &&
	       !strcmp(a->token, b->token);
}

int lease_state_save(struct lease *l)
{
	struct holder_rec r;
	char path[512], tmp[600];
	int fd, ret;
	bool ok;

	memset(&r, 0, sizeof(r));
	memcpy(r.magic, HOLDER_MAGIC, sizeof(r.magic));
	if (boot_id(r.boot_id))
		return lease_fail(l, LEASE_IO, "cannot read the boot id");
	r.held = l->held;
	r.valid_until_ns = l->valid_until_ns;
	ret = state_path(l, l->held.host_id, path, sizeof(path));
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return lease_fail(l, LEASE_IO, "%s: %s", tmp, strerror(errno));
	ok = write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r);
	ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return lease_fail(l, LEASE_IO, "cannot save holder state %s",
				  path);
	}
	return LEASE_OK;
}

/* @h's record from this boot into @r, and its path; false if there is none. */
static bool read_state(struct lease *l, const struct lease_holder *h,
		       bool by_name, struct holder_rec *r, char *path,
		       size_t len)
{
	char boot[BOOT_ID_LEN + 1];
	bool ok;
	int fd;

	if (state_path(l, h->host_id, path, len) || boot_id(boot))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	ok = read(fd, r, sizeof(*r)) == (ssize_t)sizeof(*r);
	close(fd);
	r->held.host_name[sizeof(r->held.host_name) - 1] = 0;
	r->held.token[sizeof(r->held.token) - 1] = 0;
	return ok && !memcmp(r->magic, HOLDER_MAGIC, sizeof(r->magic)) &&
	       !memcmp(r->boot_id, boot, BOOT_ID_LEN) &&
	       same_holder(&r->held, h, by_name);
}

bool lease_state_load(struct lease *l, const struct lease_holder *h)
{
	struct holder_rec r;
	char path[512];

	if (!read_state(l, h, true, &r, path, sizeof(path)))
		return false;
	l->held = r.held;
	l->valid_until_ns = r.valid_until_ns;
	l->holding = true;
	return true;
}

void lease_state_drop(struct lease *l, const struct lease_holder *h)
{
	struct holder_rec r;
	char path[512];

	/* Only @h's own proof: another holder's file stays. */
	if (read_state(l, h, true, &r, path, sizeof(path)))
		unlink(path);
}

bool lease_state_recall(struct lease *l, const struct lease_holder *want)
{
	struct holder_rec r;
	char path[512];

	if (!read_state(l, want, false, &r, path, sizeof(path)))
		return false;
	l->held = r.held;
	l->valid_until_ns = r.valid_until_ns;
	l->holding = true;
	return true;
}
