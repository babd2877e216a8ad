/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * lease: exclusive activation of a VDI across hosts that share nothing but
 * the storage. A lease area (a sidecar file IMAGE.lease, or a range of a
 * block device) holds a leader record, one sector per host id (1..2000) and
 * a header; hosts agree on the next owner with a Disk Paxos ballot using
 * only sector-atomic O_DIRECT reads and O_DSYNC writes. Every successful
 * acquire moves the lease to a new, strictly larger version; a versioned
 * acquire succeeds only if nobody acquired since that version.
 * Algorithm, timings and on-disk layout: Documentation/lease.rst.
 *
 * Thread safety: a struct lease is used by one thread at a time. Several
 * processes (or handles) on one host may use the same lease; they are
 * serialised by a host-local lock while they write their host's sector.
 */
#ifndef TAPDISK_ACTIVATE_LEASE_H
#define TAPDISK_ACTIVATE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_MAX_HOSTS		2000u	/* host ids are 1..LEASE_MAX_HOSTS */
/*
 * The holder token the handover commands (handover/) acquire with, and
 * so the one tapdisk-activated renews for them when a lease has none.
 */
#define LEASE_HANDOVER_TOKEN	"tapdisk-activate"
/* The lease timeout T (seconds, stored at init); lease_timeouts.h derives
 * every lease timing from it. */
#define LEASE_DEFAULT_TIMEOUT_S	60u
#define LEASE_MAX_TIMEOUT_S	86400u
/* How often an owner renews a lease of timeout @timeout_s (not 0): T/4,
 * at least 1 s. */
uint32_t lease_renew_interval_s(uint32_t timeout_s);
/*
 * Fencing (Documentation/lease.rst, "Fencing"). An owner that has not
 * proved its lease again starts stopping its writes (pause the domain,
 * suspend the backend) lease_fence_lead_ms() before its deadline
 * (lease_valid_until_ns), which leaves lease_fence_confirm_ms() to see
 * that done. With a watchdog of @watchdog_s seconds (0: none) the lead
 * also covers the watchdog: a host feeds it only while every lease it
 * holds and has not fenced stays valid for lease_watchdog_feed_ms() more,
 * so an unconfirmed fence ends in a reset before the deadline.
 */
uint64_t lease_fence_confirm_ms(uint32_t timeout_s);
uint64_t lease_fence_lead_ms(uint32_t timeout_s, uint32_t watchdog_s);
uint64_t lease_watchdog_feed_ms(uint32_t watchdog_s);
/* The watchdog's own lateness (drivers count whole seconds). */
#define LEASE_WATCHDOG_SLACK_MS	1000u
/*
 * False when a lease of timeout @timeout_s cannot be held safely with a
 * watchdog of @watchdog_s: the fence would have to start before one
 * missed renewal (lead > 3T/8). lease_min_timeout_s() gives the smallest
 * timeout that works with @watchdog_s.
 */
bool lease_fence_timing_ok(uint32_t timeout_s, uint32_t watchdog_s);
uint32_t lease_min_timeout_s(uint32_t watchdog_s);
/*
 * The owner's clock for its validity window: CLOCK_BOOTTIME, which keeps
 * counting while the host is suspended. An owner must never believe less
 * time passed than did: with CLOCK_MONOTONIC a host suspended for longer
 * than T would wake up still "valid" and renew while another host, whose
 * clock ran, is taking the lease over.
 */
uint64_t lease_owner_now_ns(void);
#define LEASE_NAME_LEN		64u	/* host name / token buffers, with NUL */
#define LEASE_TOKEN_LEN		64u
#define LEASE_AREA_SECTORS	2048u	/* 1 MiB with 512-byte sectors */

/* Results of every lease_* call (never negative). */
enum lease_result {
	LEASE_OK = 0,
	LEASE_HELD,		/* another holder has it and it has not expired */
	LEASE_VERSION_MOVED,	/* --expect-version: someone acquired since */
	LEASE_DAMAGED,		/* a sector failed validation: see message */
	LEASE_NOT_OWNER,	/* renew/release by someone not holding it */
	LEASE_LOST,		/* holder missed its renewal deadline */
	LEASE_CONTENDED,	/* ballots kept being pre-empted until deadline */
	LEASE_NOT_INITIALIZED,	/* no lease area there (or init: exists) */
	LEASE_USAGE,		/* bad argument */
	LEASE_IO,		/* storage error */
};

enum lease_state {
	LEASE_STATE_FREE,	/* released (or never acquired) */
	LEASE_STATE_HELD,	/* leader names an owner */
	LEASE_STATE_PENDING,	/* a ballot for a newer version is under way */
	LEASE_STATE_DAMAGED,
};

/* Who holds (or asks for) the lease. Strings are NUL-terminated. */
struct lease_holder {
	uint16_t host_id;			/* 1..LEASE_MAX_HOSTS */
	char host_name[LEASE_NAME_LEN];		/* host name or uuid */
	char token[LEASE_TOKEN_LEN];		/* distinguishes holders on a host */
	uint64_t version;			/* version held */
};

struct lease_status {
	enum lease_state state;
	uint64_t version;		/* last committed version */
	uint64_t pending_version;	/* > version when a ballot is open */
	bool has_owner;			/* HELD: owner is the holder */
	struct lease_holder owner;	/* FREE: last owner (if any) */
	uint64_t renewals;		/* owner's renewal counter */
	uint32_t timeout_s;		/* 0: never expires */
	uint16_t successor_host_id;	/* FREE: host with the fast path, 0 none */
	bool released_clean;		/* FREE: the last holder released its
					 * version stating it wrote nothing */
	uint32_t sector_size;
	uint32_t max_hosts;
	uint64_t offset;		/* byte offset of the area */
	char damage[256];		/* DAMAGED: which sector and field */
};

struct lease_init_opts {
	uint32_t sector_size;	/* 512 or 4096; 0: the device's alignment */
	uint32_t timeout_s;	/* 0: never expires (break --force only) */
	bool force;		/* overwrite an existing area (keeps versions) */
};

struct lease_acquire_opts {
	uint16_t host_id;		/* required, 1..LEASE_MAX_HOSTS */
	const char *host_name;		/* NULL: gethostname() */
	const char *token;		/* NULL: a random one is generated */
	bool has_expect_version;
	uint64_t expect_version;	/* succeed only if version is still this */
	double wait_seconds;		/* keep trying (and observing) this long */
	/*
	 * Take over a held lease without waiting for it to expire. Only for
	 * an operator who has fenced the owner (break --force uses it).
	 */
	bool force;
	/*
	 * When not NULL, called before each wait for another holder (a live
	 * owner, or a waiting successor this host defers to) with the lease
	 * as read and the seconds left of wait_seconds: progress display
	 * only, it must not block.
	 */
	void (*on_wait)(void *arg, const struct lease_status *seen,
			double left_s);
	void *on_wait_arg;
};

struct lease;

/* Opens PATH[:OFFSET] (offset in bytes, default 0). */
#define LEASE_OPEN_READ_ONLY	0x1u
#define LEASE_OPEN_CREATE	0x2u	/* create a missing regular file (init) */
int lease_open(struct lease **out, const char *spec, unsigned int flags,
	       char *err, size_t errlen);
void lease_close(struct lease *l);

/* Writes a fresh area: leader FREE, every host sector empty. */
int lease_init(struct lease *l, const struct lease_init_opts *opts);

/*
 * Acquires the lease. On LEASE_OK @holder (may be NULL) gets the identity
 * used and the new version. On LEASE_HELD / LEASE_VERSION_MOVED @seen (may
 * be NULL) describes the lease as last read.
 */
int lease_acquire(struct lease *l, const struct lease_acquire_opts *opts,
		  struct lease_holder *holder, struct lease_status *seen);

/*
 * Renews @holder's lease: it must still own it and this host must be
 * able to prove that from its own clock (this handle's window, or the
 * holder state a handle of this host saved). Steady state on a kept
 * handle: one batched read (leader and own slot) and one slot write.
 */
int lease_renew(struct lease *l, const struct lease_holder *holder);

/*
 * Adopts a holding another process of this host acquired or renewed (the
 * daemon renewing for an `activate` child): fills @out (host name
 * included) from this host's holder state for @host_id, @token and
 * @version, and makes this handle track it. LEASE_LOST when this boot
 * has no such state (then nothing proves the holding: release it).
 */
int lease_holder_recall(struct lease *l, uint16_t host_id, const char *token,
			uint64_t version, struct lease_holder *out);

/*
 * Releases; the version stays. @successor_host_id may take the next
 * acquire's fast path (one slot-area read instead of two); 0: none.
 */
int lease_release(struct lease *l, const struct lease_holder *holder,
		  uint16_t successor_host_id);

/*
 * lease_release, and the leader records that this version's holder wrote
 * nothing to the VDI while it held it (LEASE_LEADER_FLAG_CLEAN, reported
 * by lease_read_status as released_clean). Only the caller knows that;
 * the handover passes it when the backend's write counters, read after
 * the drain, prove it.
 */
int lease_release_clean(struct lease *l, const struct lease_holder *holder,
			uint16_t successor_host_id);

int lease_read_status(struct lease *l, struct lease_status *st);

/*
 * Operator override after fencing the owner (@force must be true): takes
 * the lease over as @breaker and releases it, so the version moves past
 * every holder's. With @repair, damaged sectors are rewritten first (only
 * safe when no host is using the lease at all).
 */
int lease_break(struct lease *l, const struct lease_holder *breaker,
		bool force, bool repair, struct lease_status *after);

/* Deadline (ns on CLOCK_BOOTTIME, lease_owner_now_ns(): it counts time
 * suspended) until which the holding this handle last acquired or renewed
 * is valid; 0 when it holds nothing. */
uint64_t lease_valid_until_ns(const struct lease *l);

/* T (seconds; 0: never expires) from the header this handle read: after
 * any call that succeeded on it. */
uint32_t lease_timeout_of(const struct lease *l);

/* I/O this handle has done (tests and bench check the read pattern). */
struct lease_io_stats {
	uint64_t full_scans;	/* reads of the whole slot area, one batch each */
	uint64_t small_reads;	/* batched reads of 1..3 sectors */
	uint64_t sector_writes;	/* single-sector O_DSYNC writes */
};
void lease_get_io_stats(const struct lease *l, struct lease_io_stats *st);

/* Details of the last failure on @l (sector, field, errno text). */
const char *lease_last_error(const struct lease *l);
const char *lease_strerror(int result);
/* "free", "held", "pending", "damaged": the names status prints. */
const char *lease_state_name(enum lease_state s);

/* IMAGE + ".lease" into @buf; -1 if it does not fit. */
int lease_sidecar_path(const char *image, char *buf, size_t len);

#endif /* TAPDISK_ACTIVATE_LEASE_H */
