// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Lease lifecycle through the C API: init, acquire, held by another,
 * renew, release keeps the version, versions strictly increase, versioned
 * acquire (--expect-version), not-owner refusals, the successor's fast
 * path (one slot-area scan instead of two, each scan one batched read),
 * two holders on one host, takeover only after the timeout on our own
 * clock, timeout 0 never expires, re-init keeps versions monotonic, a
 * newer ballot ends the current version at once.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease_disk.h"
#include "lease_test.h"
#include "lease/lease_timeouts.h"

static double now_s(void)
{
	return lease_now_ns() / 1e9;
}

static void lifecycle(const char *spec)
{
	struct lease *a = lt_open(spec, LEASE_OPEN_CREATE);
	struct lease *b, *ro;
	struct lease_holder ha, hb, hx;
	struct lease_status st;
	struct lease_io_stats s0, s1;
	int r;

	lt_init(a, 512, 30);
	b = lt_open(spec, 0);
	ro = lt_open(spec, LEASE_OPEN_READ_ONLY);

	T_ASSERT(lease_read_status(ro, &st) == LEASE_OK, "%s",
		 lease_last_error(ro));
	T_ASSERT(st.state == LEASE_STATE_FREE && st.version == 0 &&
		 !st.has_owner && st.timeout_s == 30 && st.sector_size == 512 &&
		 st.max_hosts == 2000, "fresh status");

	r = lt_acquire(a, 1, "host-a", "tok-a", 0, &ha);
	T_ASSERT(r == LEASE_OK, "acquire a: %s", lease_last_error(a));
	T_ASSERT(ha.version == 1 && ha.host_id == 1 &&
		 !strcmp(ha.token, "tok-a"), "holder a");

	r = lt_acquire(b, 2, "host-b", "tok-b", 0, &hb);
	T_ASSERT(r == LEASE_HELD, "second host must see HELD, got %s",
		 lease_strerror(r));
	T_ASSERT(strstr(lease_last_error(b), "tok-a"), "message names owner: %s",
		 lease_last_error(b));

	T_ASSERT(lease_read_status(ro, &st) == LEASE_OK, "status");
	T_ASSERT(st.state == LEASE_STATE_HELD && st.has_owner &&
		 st.owner.host_id == 1 && !strcmp(st.owner.token, "tok-a") &&
		 !strcmp(st.owner.host_name, "host-a") && st.version == 1,
		 "held status");

	/* Renew: one small read, one single-sector write. */
	lease_get_io_stats(a, &s0);
	T_ASSERT(lease_renew(a, &ha) == LEASE_OK, "renew: %s",
		 lease_last_error(a));
	lease_get_io_stats(a, &s1);
	T_ASSERT(s1.sector_writes - s0.sector_writes == 1 &&
		 s1.full_scans == s0.full_scans, "renew is one sector write");
	T_ASSERT(lease_read_status(ro, &st) == LEASE_OK && st.renewals == 1,
		 "renewal counter %llu", (unsigned long long)st.renewals);

	/* Only the owner may renew or release. */
	hx = ha;
	strcpy(hx.token, "someone-else");
	T_ASSERT(lease_renew(b, &hx) == LEASE_NOT_OWNER, "foreign renew");
	T_ASSERT(lease_release(b, &hx, 0) == LEASE_NOT_OWNER, "foreign release");
	hx = ha;
	hx.version = 7;
	T_ASSERT(lease_release(b, &hx, 0) == LEASE_NOT_OWNER, "wrong version");

	/* Release keeps the version and hands the fast path to host 2. */
	T_ASSERT(lease_release(a, &ha, 2) == LEASE_OK, "release: %s",
		 lease_last_error(a));
	T_ASSERT(lease_release(a, &ha, 2) == LEASE_NOT_OWNER, "double release");
	T_ASSERT(lease_read_status(ro, &st) == LEASE_OK, "status");
	T_ASSERT(st.state == LEASE_STATE_FREE && st.version == 1 &&
		 st.successor_host_id == 2, "released status");

	/* The successor: one batched scan of all 2000 slots. */
	lease_get_io_stats(b, &s0);
	r = lt_acquire(b, 2, "host-b", "tok-b", 0, &hb);
	lease_get_io_stats(b, &s1);
	T_ASSERT(r == LEASE_OK && hb.version == 2, "successor acquire: %s",
		 lease_last_error(b));
	T_ASSERT(s1.full_scans - s0.full_scans == 1,
		 "successor fast path did %llu scans",
		 (unsigned long long)(s1.full_scans - s0.full_scans));

	/* Versioned acquire: version 1 is gone, so it must fail. */
	{
		struct lease_acquire_opts o = {
			.host_id = 1, .host_name = "host-a", .token = "tok-a",
			.has_expect_version = true, .expect_version = 1,
		};

		T_ASSERT(lease_acquire(a, &o, &ha, &st) ==
			 LEASE_VERSION_MOVED, "expect 1 after 2: %s",
			 lease_last_error(a));
		T_ASSERT(st.version == 2 && st.owner.host_id == 2,
			 "seen status");
		/* Released at 2 with nobody since: expecting 2 succeeds. */
		T_ASSERT(lease_release(b, &hb, 0) == LEASE_OK, "release b");
		o.expect_version = 2;
		lease_get_io_stats(a, &s0);
		T_ASSERT(lease_acquire(a, &o, &ha, NULL) == LEASE_OK,
			 "expect 2: %s", lease_last_error(a));
		lease_get_io_stats(a, &s1);
		T_ASSERT(ha.version == 3, "version 3, got %llu",
			 (unsigned long long)ha.version);
		/* Not the successor (0): a full two-phase ballot. */
		T_ASSERT(s1.full_scans - s0.full_scans == 2,
			 "ballot did %llu scans",
			 (unsigned long long)(s1.full_scans - s0.full_scans));
		o.expect_version = 2;
		T_ASSERT(lease_acquire(b, &o, &hb, NULL) ==
			 LEASE_VERSION_MOVED, "expect 2 again");
	}

	/* Two holders on one host: same host id, distinct tokens. */
	{
		struct lease *a2 = lt_open(spec, 0);
		struct lease_holder h2;

		T_ASSERT(lt_acquire(a2, 1, "host-a", "tok-a2", 0, &h2) ==
			 LEASE_HELD, "same host, other token must be HELD");
		T_ASSERT(lease_release(a, &ha, 1) == LEASE_OK, "release");
		T_ASSERT(lt_acquire(a2, 1, "host-a", "tok-a2", 0, &h2) ==
			 LEASE_OK, "same host, other token: %s",
			 lease_last_error(a2));
		T_ASSERT(h2.version == 4, "version 4");
		T_ASSERT(lease_renew(a, &ha) == LEASE_NOT_OWNER,
			 "old holder on the same host");
		T_ASSERT(lease_release(a2, &h2, 0) == LEASE_OK, "release a2");
		lease_close(a2);
	}

	/* A host id belongs to one host name. */
	T_ASSERT(lt_acquire(b, 1, "intruder", "x", 0, &hx) == LEASE_USAGE,
		 "host id used by another host name");
	lease_close(a);
	lease_close(b);
	lease_close(ro);
}

static void takeover(const char *spec)
{
	struct lease *a = lt_open(spec, LEASE_OPEN_CREATE);
	struct lease *b = lt_open(spec, 0);
	struct lease_holder ha, hb;
	double t0, dt;
	int r;

	lt_init(a, 512, 2);
	T_ASSERT(lt_acquire(a, 5, "h5", "t5", 0, &ha) == LEASE_OK, "acquire");
	/* Renewals keep it: b waits 2.6 s while a renews every 0.15 s. */
	t0 = now_s();
	while (now_s() - t0 < 2.6) {
		r = lt_acquire(b, 6, "h6", "t6", 0.15, &hb);
		T_ASSERT(r == LEASE_HELD, "live owner taken over: %s",
			 lease_strerror(r));
		T_ASSERT(lease_renew(a, &ha) == LEASE_OK, "renew: %s",
			 lease_last_error(a));
	}
	/* Without renewals it expires after the timeout, not before. */
	t0 = now_s();
	r = lt_acquire(b, 6, "h6", "t6", 8, &hb);
	dt = now_s() - t0;
	T_ASSERT(r == LEASE_OK && hb.version == 2, "takeover: %s",
		 lease_last_error(b));
	T_ASSERT(dt >= 2.0 && dt < 6.0, "takeover after %.2f s", dt);
	/* The old owner finds out. */
	r = lease_renew(a, &ha);
	T_ASSERT(r == LEASE_NOT_OWNER || r == LEASE_LOST, "stale renew: %s",
		 lease_strerror(r));
	T_ASSERT(lease_release(a, &ha, 0) == LEASE_NOT_OWNER, "stale release");
	lease_close(a);
	lease_close(b);
}

static void never_expires(const char *spec)
{
	struct lease *a = lt_open(spec, LEASE_OPEN_CREATE);
	struct lease *b = lt_open(spec, 0);
	struct lease_holder ha, hb, breaker = { .host_id = 9 };
	struct lease_status st;

	lt_init(a, 512, 0);
	T_ASSERT(lt_acquire(a, 1, "h1", "t1", 0, &ha) == LEASE_OK, "acquire");
	T_ASSERT(lt_acquire(b, 2, "h2", "t2", 1.5, &hb) == LEASE_HELD,
		 "timeout 0 must never expire");
	T_ASSERT(lease_break(b, &breaker, false, false, NULL) == LEASE_USAGE,
		 "break without force");
	strcpy(breaker.host_name, "operator");
	T_ASSERT(lease_break(b, &breaker, true, false, &st) == LEASE_OK,
		 "break: %s", lease_last_error(b));
	T_ASSERT(st.state == LEASE_STATE_FREE && st.version == 2,
		 "broken: state %d version %llu", st.state,
		 (unsigned long long)st.version);
	T_ASSERT(lease_renew(a, &ha) == LEASE_NOT_OWNER, "broken owner");
	T_ASSERT(lt_acquire(b, 2, "h2", "t2", 0, &hb) == LEASE_OK &&
		 hb.version == 3, "after break");
	lease_close(a);
	lease_close(b);
}

static void reinit_keeps_versions(const char *spec)
{
	struct lease *a = lt_open(spec, LEASE_OPEN_CREATE);
	struct lease_init_opts o = { .sector_size = 512, .timeout_s = 5 };
	struct lease_holder h;

	lt_init(a, 512, 5);
	for (int i = 0; i < 3; i++) {
		T_ASSERT(lt_acquire(a, 3, "h3", "t", 0, &h) == LEASE_OK, "acq");
		T_ASSERT(lease_release(a, &h, 3) == LEASE_OK, "rel");
	}
	T_ASSERT(lease_init(a, &o) == LEASE_NOT_INITIALIZED,
		 "init over an existing area needs force");
	o.force = true;
	T_ASSERT(lease_init(a, &o) == LEASE_OK, "init --force");
	T_ASSERT(lt_acquire(a, 3, "h3", "t", 0, &h) == LEASE_OK &&
		 h.version == 4, "version after re-init: %llu",
		 (unsigned long long)h.version);
	lease_close(a);
}

/*
 * A ballot for a newer version (here forged: host 9 started version 2 and
 * vanished) proves the current version was seen free or expired: a
 * command-line renew of version 1 must refuse, and a contender joins the
 * newer ballot at once instead of waiting out the timeout.
 */
static void newer_ballot(const char *spec)
{
	struct lease *a = lt_open(spec, LEASE_OPEN_CREATE);
	struct lease *c, *b;
	struct lease_holder ha, hb;
	struct lease_slot_rec s = { .host_id = 9, .lver = 2 };
	unsigned char uuid[LEASE_UUID_LEN], *sec = calloc(1, 512);
	double t0;
	int fd;

	lt_init(a, 512, 30);
	T_ASSERT(lt_acquire(a, 1, "h1", "t1", 0, &ha) == LEASE_OK, "acquire");
	fd = open(spec, O_RDWR);
	T_ASSERT(fd >= 0 && pread(fd, uuid, sizeof(uuid), LD_UUID) ==
		 (ssize_t)sizeof(uuid), "read uuid");
	s.mbal = lease_ballot(1, 9);
	strcpy(s.writer_name, "h9");
	lease_encode_slot(sec, 512, uuid, &s);
	T_ASSERT(pwrite(fd, sec, 512, LEASE_SECTOR_SLOT(9) * 512) == 512 &&
		 fsync(fd) == 0, "forge slot");
	close(fd);
	free(sec);

	/*
	 * Not the handle that acquired, and without the holder state on this
	 * host: nothing proves the owner's window, so the renewal is refused
	 * (it used to scan for a takeover and could pass just before one).
	 */
	{
		char state[256], hex[2 * LEASE_UUID_LEN + 1];

		for (unsigned int i = 0; i < LEASE_UUID_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", uuid[i]);
		snprintf(state, sizeof(state), "%s/lease-%s-h1.at-*.holder",
			 t_tmpdir(), hex);
		T_ASSERT(t_system("rm %s", state) == 0, "holder state %s",
			 state);
	}
	c = lt_open(spec, 0);
	T_ASSERT(lease_renew(c, &ha) == LEASE_LOST,
		 "untracked renew: %s", lease_last_error(c));
	b = lt_open(spec, 0);
	t0 = now_s();
	T_ASSERT(lt_acquire(b, 2, "h2", "t2", 5, &hb) == LEASE_OK &&
		 hb.version == 2, "join the newer ballot: %s",
		 lease_last_error(b));
	T_ASSERT(now_s() - t0 < 2.0, "joined without waiting for expiry");
	lease_close(a);
	lease_close(b);
	lease_close(c);
}

int main(void)
{
	char side[256], spec[300];
	struct lease *l;
	char err[256];

	lt_setup();
	lifecycle(t_path("vdi.vhd.lease"));
	/* PATH:OFFSET inside a bigger file */
	t_create_file(t_path("shared.img"), 4 << 20, 0);
	snprintf(spec, sizeof(spec), "%s:1048576", t_path("shared.img"));
	takeover(spec);
	never_expires(t_path("never.lease"));
	reinit_keeps_versions(t_path("reinit.lease"));
	newer_ballot(t_path("newer.lease"));

	T_ASSERT(lease_sidecar_path("/srv/vdi/a.vhd", side, sizeof(side)) == 0 &&
		 !strcmp(side, "/srv/vdi/a.vhd.lease"), "sidecar %s", side);
	T_ASSERT(lease_open(&l, t_path("missing.lease"), 0, err,
			    sizeof(err)) != LEASE_OK, "missing file");
	snprintf(spec, sizeof(spec), "%s:100", t_path("shared.img"));
	l = lt_open(spec, 0);
	{
		struct lease_init_opts o = { .sector_size = 512, .timeout_s = 5 };

		T_ASSERT(lease_init(l, &o) == LEASE_USAGE, "unaligned offset");
	}
	lease_close(l);
	l = lt_open(t_path("shared.img"), 0);
	{
		struct lease_holder h;

		T_ASSERT(lt_acquire(l, 1, "h", "t", 0, &h) ==
			 LEASE_NOT_INITIALIZED, "uninitialised area: %s",
			 lease_last_error(l));
	}
	lease_close(l);
	return T_EXIT_PASS;
}
