// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A damaged lease area is never read as "free": each corrupted field of a
 * host slot, the leader and the header (checksum recomputed, as a stale or
 * misplaced but intact sector would be), raw bit flips, zeroed sectors and
 * torn 4096-byte sector writes (a 512-byte piece of the new write over the
 * old one) make acquire, renew and status report "damaged" naming the
 * sector and the field; break --force --repair restores a usable area with
 * a version above every earlier one. A header with the lease magic that
 * fails its checksum or a field check is damage too (status and acquire
 * report it, plain init refuses it, init --force restarts above the old
 * versions); only a header without the magic, or an intact one of another
 * format version, is "not a lease area".
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lease/lease_crc32c.h"
#include "lease/lease_disk.h"
#include "lease_test.h"

static unsigned char pristine[LEASE_AREA_SECTORS * 4096];
static size_t area_len;
static uint32_t ss;

static void load(const char *path, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	T_ASSERT(fd >= 0 && pread(fd, buf, len, 0) == (ssize_t)len, "read %s",
		 path);
	close(fd);
}

static void store(const char *path, const unsigned char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	T_ASSERT(fd >= 0 && pwrite(fd, buf, len, 0) == (ssize_t)len &&
		 fsync(fd) == 0, "write %s", path);
	close(fd);
}

static void reseal(unsigned char *sec)
{
	uint32_t crc = lease_crc32c(sec, ss - 4);

	memcpy(sec + ss - 4, &crc, 4);		/* little-endian host */
}

typedef void (*damage_fn)(unsigned char *area);
static void d_far_slot(unsigned char *a);
static const damage_fn d_far_slot_fn = d_far_slot;

/* Applies @fn to a copy of the pristine area and checks every operation
 * refuses with a message containing @want. */
static void expect_damaged(const char *name, damage_fn fn, const char *want,
			   int want_result)
{
	bool far = fn == d_far_slot_fn;
	static unsigned char work[sizeof(pristine)];
	char *path = t_path("damaged.lease");
	struct lease_holder h, owner = { .host_id = 3, .version = 1 };
	struct lease_status st;
	struct lease *l;
	char err[512];
	int r;

	strcpy(owner.host_name, "h3");
	strcpy(owner.token, "t3");
	memcpy(work, pristine, area_len);
	fn(work);
	store(path, work, area_len);
	r = lease_open(&l, path, 0, err, sizeof(err));
	T_ASSERT(r == LEASE_OK, "%s: open: %s", name, err);
	r = lt_acquire(l, 4, "h4", "t4", 0, &h);
	/*
	 * Held by a live owner, acquire stops after reading the leader and
	 * the owner's slot: it never reaches a ballot, so a damaged slot
	 * elsewhere cannot matter yet (status and every ballot see it).
	 */
	if (!(far && r == LEASE_HELD)) {
		T_ASSERT(r == want_result, "%s: acquire gave %s (%s)", name,
			 lease_strerror(r), lease_last_error(l));
		T_ASSERT(strstr(lease_last_error(l), want),
			 "%s: '%s' lacks '%s'", name, lease_last_error(l),
			 want);
	}
	r = lease_read_status(l, &st);
	T_ASSERT(r == LEASE_DAMAGED && st.state == LEASE_STATE_DAMAGED &&
		 strstr(st.damage, want), "%s: status %s '%s'", name,
		 lease_strerror(r), st.damage);
	r = lease_renew(l, &owner);
	T_ASSERT(r == LEASE_DAMAGED || r == LEASE_NOT_OWNER, "%s: renew %s",
		 name, lease_strerror(r));
	/* The operator's repair makes it usable, versions keep rising. */
	{
		struct lease_holder op = { .host_id = 7 };

		strcpy(op.host_name, "operator");
		T_ASSERT(lease_break(l, &op, true, false, NULL) == LEASE_DAMAGED,
			 "%s: break without --repair must refuse", name);
		r = lease_break(l, &op, true, true, &st);
		T_ASSERT(r == LEASE_OK, "%s: repair: %s", name,
			 lease_last_error(l));
		T_ASSERT(st.state == LEASE_STATE_FREE && st.version >= 2,
			 "%s: repaired version %llu", name,
			 (unsigned long long)st.version);
		r = lt_acquire(l, 4, "h4", "t4", 0, &h);
		T_ASSERT(r == LEASE_OK && h.version > st.version,
			 "%s: acquire after repair: %s", name,
			 lease_last_error(l));
	}
	lease_close(l);
	fprintf(stderr, "ok %-28s -> %s\n", name, want);
}

/*
 * A damaged header: status, acquire, renew and break all give
 * @want_result with @want in the message; when that is damage, plain init
 * refuses and init --force starts above the versions the area had.
 */
static void expect_header(const char *name, damage_fn fn, const char *want,
			  int want_result)
{
	static unsigned char work[sizeof(pristine)];
	char *path = t_path("header.lease");
	struct lease_holder h, owner = { .host_id = 3, .version = 2 };
	struct lease_holder op = { .host_id = 7 };
	struct lease_init_opts io = { .sector_size = ss, .timeout_s = 5 };
	struct lease_status st;
	struct lease *l;
	char err[512];
	int r;

	strcpy(owner.host_name, "h3");
	strcpy(owner.token, "t3");
	strcpy(op.host_name, "operator");
	memcpy(work, pristine, area_len);
	fn(work);
	store(path, work, area_len);
	T_ASSERT(lease_open(&l, path, 0, err, sizeof(err)) == LEASE_OK,
		 "%s: open: %s", name, err);
	r = lt_acquire(l, 4, "h4", "t4", 0, &h);
	T_ASSERT(r == want_result && strstr(lease_last_error(l), want),
		 "%s: acquire gave %s '%s', want %s '%s'", name,
		 lease_strerror(r), lease_last_error(l),
		 lease_strerror(want_result), want);
	r = lease_read_status(l, &st);
	T_ASSERT(r == want_result, "%s: status gave %s (%s)", name,
		 lease_strerror(r), lease_last_error(l));
	if (want_result == LEASE_DAMAGED)
		T_ASSERT(st.state == LEASE_STATE_DAMAGED &&
			 strstr(st.damage, want) &&
			 strstr(st.damage, "sector 0 (header)"),
			 "%s: status state %d damage '%s'", name, st.state,
			 st.damage);
	r = lease_renew(l, &owner);
	T_ASSERT(r == want_result, "%s: renew gave %s", name,
		 lease_strerror(r));
	r = lease_break(l, &op, true, true, NULL);
	T_ASSERT(r == want_result, "%s: break --repair gave %s", name,
		 lease_strerror(r));
	if (want_result == LEASE_DAMAGED) {
		r = lease_init(l, &io);
		T_ASSERT(r == LEASE_DAMAGED, "%s: plain init gave %s", name,
			 lease_strerror(r));
		io.force = true;
		r = lease_init(l, &io);
		T_ASSERT(r == LEASE_OK, "%s: init --force: %s", name,
			 lease_last_error(l));
		r = lt_acquire(l, 4, "h4", "t4", 0, &h);
		T_ASSERT(r == LEASE_OK && h.version > 2,
			 "%s: acquire after init --force: %s, version %llu",
			 name, lease_strerror(r),
			 (unsigned long long)h.version);
	}
	lease_close(l);
	fprintf(stderr, "ok %-28s -> %s\n", name, want);
}

#define SLOT3	(LEASE_SECTOR_SLOT(3) * ss)
#define LEADER	(LEASE_SECTOR_LEADER * ss)

static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }

static void d_bitflip(unsigned char *a) { a[SLOT3 + LS_MBAL] ^= 0x10; }
static void d_zero(unsigned char *a) { memset(a + SLOT3, 0, ss); }
static void d_magic(unsigned char *a) { a[SLOT3] ^= 1; reseal(a + SLOT3); }
static void d_format(unsigned char *a) { a[SLOT3 + LD_FORMAT] = 9; reseal(a + SLOT3); }
static void d_kind(unsigned char *a) { a[SLOT3 + LD_KIND] = LEASE_KIND_LEADER; reseal(a + SLOT3); }
static void d_index(unsigned char *a)
{
	/* A correct slot of host 5 written over host 3's (misdirected). */
	memcpy(a + SLOT3, a + LEASE_SECTOR_SLOT(5) * ss, ss);
}
static void d_uuid(unsigned char *a) { a[SLOT3 + LD_UUID + 3] ^= 0xff; reseal(a + SLOT3); }
static void d_host_id(unsigned char *a) { put16(a + SLOT3 + LS_HOST_ID, 4); reseal(a + SLOT3); }
static void d_mbal(unsigned char *a) { put64(a + SLOT3 + LS_MBAL, 2000 + 9); reseal(a + SLOT3); }
static void d_bal(unsigned char *a) { put64(a + SLOT3 + LS_BAL, 6003); reseal(a + SLOT3); }
static void d_lver(unsigned char *a) { put64(a + SLOT3 + LS_LVER, 0); reseal(a + SLOT3); }
static void d_inp(unsigned char *a) { put16(a + SLOT3 + LS_INP_ID, 0); reseal(a + SLOT3); }
static void d_token(unsigned char *a) { memset(a + SLOT3 + LS_INP_TOKEN, 'x', LEASE_TOKEN_LEN); reseal(a + SLOT3); }
static void d_wait_seen(unsigned char *a) { put64(a + SLOT3 + LS_WAIT_SEEN, 7); reseal(a + SLOT3); }
static void d_wait_order(unsigned char *a)
{
	put64(a + SLOT3 + LS_WAIT_SINCE, 9);
	put64(a + SLOT3 + LS_WAIT_SEEN, 8);
	reseal(a + SLOT3);
}
static void d_reserved(unsigned char *a) { a[SLOT3 + LS_END + 5] = 1; reseal(a + SLOT3); }
static void d_far_slot(unsigned char *a) { a[LEASE_SECTOR_SLOT(1999) * ss + 40] ^= 4; }
static void d_leader_state(unsigned char *a) { a[LEADER + LL_STATE] = 7; reseal(a + LEADER); }
static void d_leader_owner(unsigned char *a) { put16(a + LEADER + LL_OWNER_ID, 0); reseal(a + LEADER); }
static void d_leader_flags(unsigned char *a) { put16(a + LEADER + LL_FLAGS, 0x80); reseal(a + LEADER); }
static void d_leader_crc(unsigned char *a) { a[LEADER + LL_VERSION] ^= 2; }
static void d_hdr_magic(unsigned char *a) { a[0] ^= 0x40; }
static void d_hdr_hosts(unsigned char *a) { a[LH_MAX_HOSTS] = 7; reseal(a); }
static void d_hdr_crc(unsigned char *a) { a[LH_TIMEOUT] ^= 1; }
static void d_hdr_ss(unsigned char *a) { a[LH_SECTOR_SIZE + 1] = 0x11; }
static void d_hdr_kind(unsigned char *a) { a[LD_KIND] = LEASE_KIND_SLOT; reseal(a); }
static void d_hdr_format(unsigned char *a) { a[LD_FORMAT] = 2; reseal(a); }
static void d_hdr_zero(unsigned char *a) { memset(a, 0, ss); }

static unsigned char before[4096], after_[4096];

/* 4096-byte sectors on a 512-byte device: a write may tear at 512. */
static void d_torn_first(unsigned char *a)
{
	memcpy(a + SLOT3, before, ss);
	memcpy(a + SLOT3, after_, 512);
}

static void d_torn_last(unsigned char *a)
{
	memcpy(a + SLOT3, after_, ss);
	memcpy(a + SLOT3 + ss - 512, before + ss - 512, 512);
}

static void make_pristine(const char *path, uint32_t sector)
{
	struct lease *l = lt_open(path, LEASE_OPEN_CREATE);
	struct lease_holder h;

	ss = sector;
	area_len = (size_t)LEASE_AREA_SECTORS * ss;
	lt_init(l, ss, 5);
	T_ASSERT(lt_acquire(l, 5, "h5", "t5", 0, &h) == LEASE_OK, "acquire 5");
	T_ASSERT(lease_release(l, &h, 0) == LEASE_OK, "release 5");
	T_ASSERT(lt_acquire(l, 3, "h3", "t3", 0, &h) == LEASE_OK, "acquire 3");
	load(path, pristine, area_len);
	memcpy(before, pristine + SLOT3, ss);
	T_ASSERT(lease_renew(l, &h) == LEASE_OK, "renew");
	load(path, pristine, area_len);
	memcpy(after_, pristine + SLOT3, ss);
	lease_close(l);
}

int main(void)
{
	lt_setup();
	make_pristine(t_path("p512.lease"), 512);
	expect_damaged("bit flip", d_bitflip, "checksum mismatch", LEASE_DAMAGED);
	expect_damaged("zeroed sector", d_zero, "never written", LEASE_DAMAGED);
	expect_damaged("magic", d_magic, "field magic", LEASE_DAMAGED);
	expect_damaged("format", d_format, "field format", LEASE_DAMAGED);
	expect_damaged("kind", d_kind, "field kind", LEASE_DAMAGED);
	expect_damaged("misplaced slot", d_index, "field sector_index",
		       LEASE_DAMAGED);
	expect_damaged("foreign area", d_uuid, "field area_uuid",
		       LEASE_DAMAGED);
	expect_damaged("host id", d_host_id, "field host_id", LEASE_DAMAGED);
	expect_damaged("mbal of another host", d_mbal, "field mbal",
		       LEASE_DAMAGED);
	expect_damaged("bal above mbal", d_bal, "field bal", LEASE_DAMAGED);
	expect_damaged("ballot without version", d_lver, "field lver",
		       LEASE_DAMAGED);
	expect_damaged("proposal without owner", d_inp, "field inp",
		       LEASE_DAMAGED);
	expect_damaged("unterminated token", d_token, "inp_token",
		       LEASE_DAMAGED);
	expect_damaged("wait_seen without a ticket", d_wait_seen,
		       "field wait_seen", LEASE_DAMAGED);
	expect_damaged("wait_seen below wait_since", d_wait_order,
		       "field wait_seen", LEASE_DAMAGED);
	expect_damaged("reserved bytes", d_reserved, "reserved",
		       LEASE_DAMAGED);
	expect_damaged("slot of host 1999", d_far_slot, "sector 2000 (host 1999",
		       LEASE_DAMAGED);
	expect_damaged("leader state", d_leader_state, "field state",
		       LEASE_DAMAGED);
	expect_damaged("leader owner", d_leader_owner, "field owner",
		       LEASE_DAMAGED);
	expect_damaged("leader flags", d_leader_flags, "field flags",
		       LEASE_DAMAGED);
	expect_damaged("leader bit flip", d_leader_crc, "sector 1 (leader)",
		       LEASE_DAMAGED);
	/* Header: our magic but invalid is damage; no magic is no area. */
	expect_header("header max_hosts", d_hdr_hosts, "field max_hosts",
		      LEASE_DAMAGED);
	expect_header("header bit flip", d_hdr_crc, "checksum mismatch",
		      LEASE_DAMAGED);
	expect_header("header sector_size", d_hdr_ss, "field sector_size",
		      LEASE_DAMAGED);
	expect_header("header kind", d_hdr_kind, "field kind", LEASE_DAMAGED);
	expect_header("header magic", d_hdr_magic, "field magic",
		      LEASE_NOT_INITIALIZED);
	expect_header("header format 2", d_hdr_format, "field format",
		      LEASE_NOT_INITIALIZED);
	expect_header("header zeroed", d_hdr_zero, "never written",
		      LEASE_NOT_INITIALIZED);

	make_pristine(t_path("p4k.lease"), 4096);
	T_ASSERT(memcmp(before, after_, 512) && memcmp(before, after_, ss),
		 "renewal changed the first 512 bytes");
	expect_damaged("torn 4K write (head)", d_torn_first, "checksum mismatch",
		       LEASE_DAMAGED);
	expect_damaged("torn 4K write (tail)", d_torn_last, "checksum mismatch",
		       LEASE_DAMAGED);
	expect_damaged("4K misplaced slot", d_index, "field sector_index",
		       LEASE_DAMAGED);
	return T_EXIT_PASS;
}
