// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The leader's "released clean" flag (LEASE_LEADER_FLAG_CLEAN, bit 1 of
 * the leader's flags at byte 54): lease_release_clean() writes it, on the
 * free leader of the released version only; lease_read_status() reports
 * it as released_clean; a plain release, the next acquire and break
 * --force clear it; the decoder refuses it on a held or broken leader and
 * still refuses bits it does not know.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lease/lease_disk.h"
#include "lease_test.h"

static uint16_t disk_flags(const char *path)
{
	unsigned char sec[512];
	int fd = open(path, O_RDONLY);

	T_ASSERT(fd >= 0, "open %s", path);
	T_ASSERT(pread(fd, sec, sizeof(sec), 512 * LEASE_SECTOR_LEADER) ==
		 (ssize_t)sizeof(sec), "read leader");
	close(fd);
	return (uint16_t)(sec[LL_FLAGS] | sec[LL_FLAGS + 1] << 8);
}

static void status(struct lease *l, struct lease_status *st)
{
	T_ASSERT(lease_read_status(l, st) == LEASE_OK, "status: %s",
		 lease_last_error(l));
}

static void through_api(void)
{
	const char *spec = t_path("clean.lease");
	struct lease *a = lt_open(spec, LEASE_OPEN_CREATE), *b;
	struct lease_acquire_opts ao = { .host_id = 1, .host_name = "host-a",
					 .token = "tok-a",
					 .has_expect_version = true };
	struct lease_holder ha, hb, hc;
	struct lease_status st;
	int r;

	lt_init(a, 512, 30);
	b = lt_open(spec, 0);

	/* The source releases plainly: no flag. */
	T_ASSERT(lt_acquire(a, 1, "host-a", "tok-a", 0, &ha) == LEASE_OK,
		 "acquire a: %s", lease_last_error(a));
	T_ASSERT(lease_release(a, &ha, 2) == LEASE_OK, "release a: %s",
		 lease_last_error(a));
	status(b, &st);
	T_ASSERT(st.state == LEASE_STATE_FREE && !st.released_clean &&
		 disk_flags(spec) == 0, "plain release: clean %d flags 0x%x",
		 st.released_clean, disk_flags(spec));

	/* The destination takes it and releases it clean. */
	T_ASSERT(lt_acquire(b, 2, "host-b", "tok-b", 0, &hb) == LEASE_OK &&
		 hb.version == ha.version + 1, "acquire b: %s",
		 lease_last_error(b));
	status(a, &st);
	T_ASSERT(st.state == LEASE_STATE_HELD && !st.released_clean,
		 "held: never clean");
	T_ASSERT(lease_release_clean(b, &hb, 0) == LEASE_OK,
		 "release clean: %s", lease_last_error(b));
	status(a, &st);
	T_ASSERT(st.state == LEASE_STATE_FREE && st.released_clean &&
		 st.version == hb.version && st.owner.host_id == 2,
		 "released clean: state %d clean %d version %llu owner %u",
		 st.state, st.released_clean, (unsigned long long)st.version,
		 st.owner.host_id);
	T_ASSERT(disk_flags(spec) == LEASE_LEADER_FLAG_CLEAN,
		 "on disk: flags 0x%x", disk_flags(spec));

	/* Releasing twice is refused and leaves the record as it was. */
	r = lease_release_clean(b, &hb, 0);
	T_ASSERT(r == LEASE_NOT_OWNER, "second release: %s",
		 lease_strerror(r));

	/* The source takes it back at exactly that version: flag gone. */
	ao.expect_version = hb.version;
	T_ASSERT(lease_acquire(a, &ao, &hc, NULL) == LEASE_OK &&
		 hc.version == hb.version + 1, "reacquire: %s",
		 lease_last_error(a));
	status(b, &st);
	T_ASSERT(st.state == LEASE_STATE_HELD && !st.released_clean &&
		 disk_flags(spec) == 0, "acquire clears it: flags 0x%x",
		 disk_flags(spec));
	T_ASSERT(lease_release_clean(a, &hc, 0) == LEASE_OK, "%s",
		 lease_last_error(a));

	/* break --force moves the version and writes BROKEN, not CLEAN. */
	{
		struct lease_holder br = { .host_id = 3 };
		struct lease_status after;

		snprintf(br.host_name, sizeof(br.host_name), "op");
		snprintf(br.token, sizeof(br.token), "op");
		T_ASSERT(lease_break(b, &br, true, false, &after) == LEASE_OK,
			 "break: %s", lease_last_error(b));
		status(a, &st);
		T_ASSERT(!st.released_clean &&
			 disk_flags(spec) == LEASE_LEADER_FLAG_BROKEN,
			 "after break: clean %d flags 0x%x", st.released_clean,
			 disk_flags(spec));
	}
	lease_close(a);
	lease_close(b);
	fprintf(stderr, "ok api: written, reported, cleared\n");
}

static int decode(uint32_t state, uint16_t flags, char *why, size_t len)
{
	static const uint8_t uuid[LEASE_UUID_LEN] = { 1, 2, 3 };
	struct lease_leader_rec in = {
		.version = 7, .state = state, .timeout_s = 30,
		.writer_host_id = 2, .flags = flags,
		.ballot = lease_ballot(1, 2),
		.owner = { .host_id = 2, .host_name = "host-b",
			   .token = "tok-b", .nonce = 9 },
	}, out;
	unsigned char sec[512];

	memset(sec, 0, sizeof(sec));
	lease_encode_leader(sec, sizeof(sec), uuid, &in);
	why[0] = '\0';
	if (lease_decode_leader(sec, sizeof(sec), uuid, &out, why, len))
		return -1;
	T_ASSERT(out.flags == flags, "flags 0x%x back as 0x%x", flags,
		 out.flags);
	return 0;
}

static void decoder(void)
{
	char why[256];

	T_ASSERT(decode(LEASE_LEADER_FREE, LEASE_LEADER_FLAG_CLEAN, why,
			sizeof(why)) == 0, "free+clean refused: %s", why);
	T_ASSERT(decode(LEASE_LEADER_HELD, LEASE_LEADER_FLAG_CLEAN, why,
			sizeof(why)) && strstr(why, "released-clean on a held"),
		 "held+clean: '%s'", why);
	T_ASSERT(decode(LEASE_LEADER_FREE, LEASE_LEADER_FLAG_CLEAN |
			LEASE_LEADER_FLAG_BROKEN, why, sizeof(why)) &&
		 strstr(why, "released-clean on a broken"),
		 "broken+clean: '%s'", why);
	T_ASSERT(decode(LEASE_LEADER_FREE, 0x4, why, sizeof(why)) &&
		 strstr(why, "unknown bits 0x4"), "bit 2: '%s'", why);
	fprintf(stderr, "ok decoder: clean only on a free, unbroken leader\n");
}

int main(void)
{
	lt_setup();
	through_api();
	decoder();
	return T_EXIT_PASS;
}
