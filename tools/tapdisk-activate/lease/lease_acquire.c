// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Acquire: decide which version to compete for, wait out a live owner,
 * then run a Disk Paxos ballot for that version (Gafni & Lamport, one disk,
 * one block per host; the same family as sanlock's paxos leases).
 *
 * Ballot for version N with ballot number b (unique to this host):
 *   phase 1: write own slot {lver N, mbal b, bal, inp kept}; scan all slots;
 *            abort if a slot has lver > N or (lver N and mbal > b);
 *            v = inp of the highest bal among lver-N slots, else ourselves
 *   phase 2: write own slot {lver N, mbal b, bal b, inp v}; scan; same aborts
 *   commit:  v is chosen for N: write the leader {N, held, owner v}
 * Fast path: the successor named by the last release uses round 0, the
 * lowest ballot anyone can have for N, so phase 1 has nothing to learn and
 * is skipped: one slot-area scan instead of two. It yields to any other
 * slot at N. Why this is safe: Documentation/lease.rst.
 */
#include "lease_internal.h"
#include "common/hint.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lease_timeouts.h"

enum ballot_outcome {
	BALLOT_CHOSEN,		/* *chosen holds the value of version N */
	BALLOT_PREEMPTED,	/* a higher ballot for N: retry later */
	BALLOT_RESTART,		/* the lease moved: re-read from the top */
	BALLOT_ERROR,		/* *err holds a lease_result */
};

struct ballot {
	uint64_t n;			/* version competed for */
	bool fast;
	struct lease_value me;
	struct lease_slot_rec own;	/* our slot as last read */
	struct lease_value chosen;
	uint64_t moved_to;		/* RESTART: version some slot is at */
	/*
	 * When this call first wrote a proposal of itself for version n:
	 * no one can have committed us before, so no contender can have
	 * started timing our lease before. Validity counts from here.
	 */
	uint64_t prop_start_ns;
	int err;
};

static void sleep_us(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000u),
			       .tv_nsec = (long)(us % 1000000u) * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * Checks a scan taken after writing our slot with ballot @b: is anyone
 * ahead of us? Also checks our own slot reads back as written (a second
 * writer of our host id would break Disk Paxos).
 */
static enum ballot_outcome check_scan(struct lease *l, struct ballot *bt,
				      const struct lease_slot_rec *mine)
{
	uint16_t me = bt->me.host_id;
	const struct lease_slot_rec *rb = &l->slots[me];
	bool preempted = false;
	uint64_t top = 0;

	if (rb->lver != mine->lver || rb->mbal != mine->mbal ||
	    rb->bal != mine->bal || !lease_value_equal(&rb->inp, &mine->inp)) {
		bt->err = lease_fail(l, LEASE_USAGE,
				     "host %u's slot changed under us (writer '%s'): is host id %u used by another host?",
				     me, rb->writer_name, me);
		return BALLOT_ERROR;
	}
	if (l->leader.version >= bt->n) {
		if (l->leader.version == bt->n &&
		    l->leader.state == LEASE_LEADER_HELD) {
			/* Already committed by someone: that is the value. */
			bt->chosen = l->leader.owner;
			return BALLOT_CHOSEN;
		}
		bt->moved_to = 0;
		return BALLOT_RESTART;
	}
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		const struct lease_slot_rec *s = &l->slots[h];

		if (h == me)
			continue;
		if (s->lver > bt->n) {
			if (s->lver > top)
				top = s->lver;
			continue;
		}
		if (s->lver != bt->n)
			continue;
		/* The fast round yields to anyone else at N. */
		if (bt->fast || s->mbal > mine->mbal) {
			preempted = true;
			if (l->ballot_lver != bt->n || s->mbal > l->ballot_mbal) {
				l->ballot_lver = bt->n;
				l->ballot_mbal = s->mbal;
			}
		}
	}
	if (top) {
		bt->moved_to = top;
		return BALLOT_RESTART;
	}
	if (preempted)
		return BALLOT_PREEMPTED;
	return BALLOT_CHOSEN;
}

/* The proposal a phase-1 scan obliges us to make. */
static void pick_value(struct lease *l, struct ballot *bt,
		       struct lease_value *v)
{
	uint64_t best = 0;

	*v = bt->me;
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		const struct lease_slot_rec *s = &l->slots[h];

		if (s->lver == bt->n && s->bal > best) {
			best = s->bal;
			*v = s->inp;
		}
	}
}

static enum ballot_outcome scan_and_check(struct lease *l, struct ballot *bt,
					  const struct lease_slot_rec *mine)
{
	int ret = lease_scan(l);

	if (ret) {
		bt->err = ret;
		return BALLOT_ERROR;
	}
	return check_scan(l, bt, mine);
}

static enum ballot_outcome write_own(struct lease *l, struct ballot *bt,
				     const struct lease_slot_rec *s)
{
	int ret;

	if (s->bal && !bt->prop_start_ns &&
	    lease_value_equal(&s->inp, &bt->me))
		bt->prop_start_ns = lease_owner_now_ns();
	ret = lease_write_slot(l, s);

	if (ret) {
		bt->err = ret;
		return BALLOT_ERROR;
	}
	bt->own = *s;
	return BALLOT_CHOSEN;
}

static enum ballot_outcome run_ballot(struct lease *l, struct ballot *bt)
{
	struct lease_slot_rec s = bt->own;
	struct lease_leader_rec leader;
	enum ballot_outcome out;
	uint64_t floor = 0, round;

	s.host_id = bt->me.host_id;
	snprintf(s.writer_name, sizeof(s.writer_name), "%s",
		 bt->me.host_name);
	s.written_unix_ms = lease_wall_ms();
	if (s.lver != bt->n) {
		/* A new version: no promise or proposal for it yet. */
		s.lver = bt->n;
		s.mbal = 0;
		s.bal = 0;
		memset(&s.inp, 0, sizeof(s.inp));
	}
	if (bt->fast) {
		s.mbal = s.bal = lease_ballot(0, bt->me.host_id);
		s.inp = bt->me;
		out = write_own(l, bt, &s);
		if (out == BALLOT_CHOSEN)
			out = scan_and_check(l, bt, &s);
		if (out != BALLOT_CHOSEN || l->leader.version >= bt->n)
			return out;
	} else {
		floor = s.mbal;
		if (l->ballot_lver == bt->n && l->ballot_mbal > floor)
			floor = l->ballot_mbal;
		round = floor ? lease_ballot_round(floor) + 1 : 1;
		s.mbal = lease_ballot(round, bt->me.host_id);
		out = write_own(l, bt, &s);			/* phase 1 */
		if (out == BALLOT_CHOSEN)
			out = scan_and_check(l, bt, &s);
		if (out != BALLOT_CHOSEN || l->leader.version >= bt->n)
			return out;
		pick_value(l, bt, &s.inp);
		s.bal = s.mbal;
		s.written_unix_ms = lease_wall_ms();
		out = write_own(l, bt, &s);			/* phase 2 */
		if (out == BALLOT_CHOSEN)
			out = scan_and_check(l, bt, &s);
		if (out != BALLOT_CHOSEN || l->leader.version >= bt->n)
			return out;
	}
	/* s.inp is chosen for version n: commit it to the leader. */
	bt->chosen = s.inp;
	leader = (struct lease_leader_rec){
		.version = bt->n, .state = LEASE_LEADER_HELD,
		.timeout_s = l->hdr.timeout_s, .owner = s.inp,
		.writer_host_id = bt->me.host_id, .ballot = s.bal,
		.written_unix_ms = lease_wall_ms(),
	};
	bt->err = lease_write_leader(l, &leader);
	return bt->err ? BALLOT_ERROR : BALLOT_CHOSEN;
}

/* What a contender watches for change while waiting for expiry. */
struct watch {
	bool active;
	uint64_t since_ns;
	struct lease_leader_rec leader;
	uint64_t renewals, lver, mbal;
};

static bool watch_same(const struct watch *w,
		       const struct lease_leader_rec *leader,
		       const struct lease_slot_rec *owner)
{
	return w->active && w->leader.version == leader->version &&
	       w->leader.state == leader->state &&
	       w->leader.ballot == leader->ballot &&
	       lease_value_equal(&w->leader.owner, &leader->owner) &&
	       w->renewals == owner->renewals && w->lver == owner->lver &&
	       w->mbal == owner->mbal;
}

/*
 * Notes what the owner's records look like at @t_read; true once nothing
 * moved for the lease timeout on our own clock (started watching at @now).
 */
static bool watch_expired(struct watch *w,
			  const struct lease_leader_rec *leader,
			  const struct lease_slot_rec *owner, uint64_t now,
			  uint64_t t_read)
{
	if (!leader->timeout_s)
		return false;		/* never expires */
	if (!watch_same(w, leader, owner)) {
		w->active = true;
		w->since_ns = now;
		w->leader = *leader;
		w->renewals = owner->renewals;
		w->lver = owner->lver;
		w->mbal = owner->mbal;
		return false;
	}
	return t_read - w->since_ns >=
	       lease_expiry_ms(leader->timeout_s) * 1000000u;
}

static bool leader_same(const struct lease_leader_rec *a,
			const struct lease_leader_rec *b)
{
	return a->version == b->version && a->state == b->state &&
	       a->ballot == b->ballot &&
	       lease_value_equal(&a->owner, &b->owner);
}

/*
 * Sleeps until @until (CLOCK_MONOTONIC ns), re-reading the leader sector
 * alone in between (lease_recheck_interval_ms()) and returning early when
 * it differs from @seen: a release is then acted on at once instead of a
 * poll interval later. Only an accelerator: every decision is taken by
 * the caller's full read, so errors here just end the wait early.
 */
static void watch_leader(struct lease *l, const struct lease_leader_rec *seen,
			 uint32_t timeout_s, uint64_t wait_start,
			 uint64_t until, unsigned int *rechecks)
{
	struct lease_leader_rec cur;

	for (;;) {
		uint64_t now = lease_now_ns(), step;

		if (now >= until)
			return;
		step = lease_recheck_interval_ms(timeout_s, *rechecks,
						 (now - wait_start) / 1000000u) *
		       1000000u;
		if (!step || now + step >= until) {
			sleep_us((until - now) / 1000u + 1);
			return;
		}
		sleep_us(step / 1000u);
		++*rechecks;
		if (lease_read_small(l, 0, 0, &cur, NULL, NULL)) {
			l->err[0] = 0;
			return;
		}
		if (!leader_same(seen, &cur))
			return;
	}
}

/*
 * Where in the lease's history a leader record lies: version L held is
 * 2L, version L released 2L + 1 (a release comes after the holding and
 * before the next version). Tickets and wait_seen are such positions.
 */
static uint64_t history_pos(const struct lease_leader_rec *leader)
{
	return 2 * leader->version +
	       (leader->state == LEASE_LEADER_FREE ? 1u : 0u);
}

/*
 * Under the host lock, with @own our slot as just read: announces that
 * this call waits (a fresh ticket the first time in the call) and brings
 * wait_seen up to @leader's position. Writes only the two ticket fields:
 * the ballot fields go back exactly as read (Documentation/lease.rst,
 * "Fairness").
 */
static int note_waiting(struct lease *l, const struct lease_value *me,
			struct lease_slot_rec *own,
			const struct lease_leader_rec *leader, bool *ticket)
{
	struct lease_slot_rec s = *own;
	uint64_t v = history_pos(leader);
	int ret;

	if (*ticket && own->wait_since && own->wait_seen >= v)
		return LEASE_OK;
	if (!*ticket || !own->wait_since)
		s.wait_since = v;
	if (s.wait_seen < v)
		s.wait_seen = v;
	if (s.wait_seen < s.wait_since)
		s.wait_seen = s.wait_since;
	s.host_id = me->host_id;
	snprintf(s.writer_name, sizeof(s.writer_name), "%s", me->host_name);
	s.written_unix_ms = lease_wall_ms();
	ret = lease_write_slot(l, &s);
	if (ret)
		return ret;
	*own = s;
	*ticket = true;
	return LEASE_OK;
}

/* The call that wrote a ticket is over: take it back (best effort). */
static void drop_ticket(struct lease *l, uint16_t host_id)
{
	struct lease_leader_rec leader;
	struct lease_slot_rec own;
	char keep[sizeof(l->err)];

	memcpy(keep, l->err, sizeof(keep));
	if (lease_lock_host(l, host_id) == LEASE_OK) {
		if (!lease_read_small(l, host_id, 0, &leader, &own, NULL) &&
		    own.wait_since) {
			own.wait_since = 0;
			own.wait_seen = 0;
			own.written_unix_ms = lease_wall_ms();
			lease_write_slot(l, &own);
		}
		lease_unlock_host(l);
	}
	/* A ticket left behind goes stale (LEASE_WAIT_STALE_VERSIONS). */
	memcpy(l->err, keep, sizeof(keep));
}

/* Whose slot a contender reads with the leader (see acquire_loop). */
static uint16_t watch_target(const struct lease_leader_rec *leader)
{
	return leader->state == LEASE_LEADER_HELD ? leader->owner.host_id :
						    leader->successor_host_id;
}

static int make_me(struct lease *l, const struct lease_acquire_opts *o,
		   struct lease_value *me)
{
	memset(me, 0, sizeof(*me));
	me->host_id = o->host_id;
	if (o->host_name) {
		if (strlen(o->host_name) >= LEASE_NAME_LEN)
			return lease_fail(l, LEASE_USAGE,
					  "host name longer than %u bytes",
					  LEASE_NAME_LEN - 1);
		strcpy(me->host_name, o->host_name);
	} else if (gethostname(me->host_name, LEASE_NAME_LEN - 1)) {
		strcpy(me->host_name, "unknown");
	}
	if (o->token) {
		if (strlen(o->token) >= LEASE_TOKEN_LEN)
			return lease_fail(l, LEASE_USAGE,
					  "token longer than %u bytes",
					  LEASE_TOKEN_LEN - 1);
		strcpy(me->token, o->token);
	} else {
		unsigned char r[16];

		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return lease_fail(l, LEASE_IO, "getrandom failed");
		for (int i = 0; i < 16; i++)
			sprintf(me->token + 2 * i, "%02x", r[i]);
	}
	while (!me->nonce)
		if (getrandom(&me->nonce, sizeof(me->nonce), 0) !=
		    sizeof(me->nonce))
			return lease_fail(l, LEASE_IO, "getrandom failed");
	return lease_check_value(l, me);
}

static void fill_seen(struct lease *l, struct lease_status *seen,
		      const struct lease_leader_rec *leader,
		      const struct lease_slot_rec *owner)
{
	if (!seen)
		return;
	memset(seen, 0, sizeof(*seen));
	seen->state = leader->state == LEASE_LEADER_HELD ? LEASE_STATE_HELD :
							  LEASE_STATE_FREE;
	seen->version = leader->version;
	seen->has_owner = leader->state == LEASE_LEADER_HELD;
	seen->owner.host_id = leader->owner.host_id;
	memcpy(seen->owner.host_name, leader->owner.host_name, LEASE_NAME_LEN);
	memcpy(seen->owner.token, leader->owner.token, LEASE_TOKEN_LEN);
	seen->owner.version = leader->version;
	seen->renewals = owner ? owner->renewals : 0;
	seen->timeout_s = leader->timeout_s;
	seen->successor_host_id = leader->successor_host_id;
	seen->sector_size = l->ss;
	seen->max_hosts = l->hdr.max_hosts;
	seen->offset = l->offset;
}

static int held_result(struct lease *l, const struct lease_leader_rec *ld,
		       bool expect)
{
	if (expect)
		return lease_fail(l, LEASE_VERSION_MOVED,
				  "version moved to %llu (owner host %u '%s' token '%s')",
				  (unsigned long long)ld->version,
				  ld->owner.host_id, ld->owner.host_name,
				  ld->owner.token);
	return lease_fail(l, LEASE_HELD,
			  "held by host %u '%s' token '%s' at version %llu%s",
			  ld->owner.host_id, ld->owner.host_name,
			  ld->owner.token, (unsigned long long)ld->version,
			  ld->timeout_s ? "" :
			  " (timeout 0: never expires; lease break "
			  XH_HINT("lease break", "--force") " after fencing)");
}

/* Version bt->n is ours: take it if its validity has not run out yet. */
static int acquired(struct lease *l, const struct ballot *bt,
		    struct lease_holder *holder)
{
	uint64_t valid = bt->prop_start_ns +
			 lease_owner_valid_ms(l->hdr.timeout_s) * 1000000u;

	if (l->hdr.timeout_s && lease_owner_now_ns() >= valid)
		return lease_fail(l, LEASE_LOST,
				  "won version %llu but only after its validity ran out (stalled %.1f s): not taken",
				  (unsigned long long)bt->n,
				  (lease_owner_now_ns() - bt->prop_start_ns) /
				  1e9);
	memset(&l->held, 0, sizeof(l->held));
	l->held.host_id = bt->me.host_id;
	strcpy(l->held.host_name, bt->me.host_name);
	strcpy(l->held.token, bt->me.token);
	l->held.version = bt->n;
	l->holding = true;
	l->valid_until_ns = l->hdr.timeout_s ? valid : UINT64_MAX;
	if (holder)
		*holder = l->held;
	/*
	 * Renewals through other handles and processes check this deadline.
	 * Without it nobody could renew what we now hold: give it back at
	 * once rather than leave it held for T (or for ever at timeout 0).
	 */
	if (lease_state_save(l)) {
		char why[sizeof(l->err)];

		snprintf(why, sizeof(why), "%s", l->err);
		lease_release(l, &l->held, 0);
		l->holding = false;
		return lease_fail(l, LEASE_IO,
				  "won version %llu but %s: released it again",
				  (unsigned long long)bt->n, why);
	}
	return LEASE_OK;
}

/* The area can be acquired through @l with @o: header read, writable. */
static int acquire_usable(struct lease *l, const struct lease_acquire_opts *o)
{
	int ret;

	if (!l->have_header) {
		struct lease_status st;

		ret = lease_read_status(l, &st);
		if (!l->have_header && (ret == LEASE_NOT_INITIALIZED ||
					ret == LEASE_DAMAGED ||
					ret == LEASE_IO))
			return ret;
	}
	if (!l->have_header)
		return lease_fail(l, LEASE_NOT_INITIALIZED, "not a lease area");
	if (l->read_only)
		return lease_fail(l, LEASE_USAGE, "opened read-only");
	if (o->wait_seconds < 0 || o->wait_seconds > 1e7)
		return lease_fail(l, LEASE_USAGE, "bad wait time");
	return LEASE_OK;
}

/*
 * One call of lease_acquire: a retry loop of the consensus protocol
 * (Documentation/lease.rst, "Acquire"). Each round reads the records
 * (acq_read), checks what ends the call at once (acq_check), picks the
 * version to ballot for (acq_pick: free, or held and waited out), and
 * runs the ballot (acq_ballot). What one round learns (restart_at, the
 * proposal in flight, the owner watch, the deferral to a successor)
 * decides the next and lives here.
 */
struct acq {
	struct lease *l;
	const struct lease_acquire_opts *o;
	struct lease_holder *holder;
	struct lease_status *seen;
	bool *ticket;
	struct lease_value me;
	uint64_t start, deadline, busy_deadline;
	/* carried across rounds */
	uint64_t restart_at;		/* a slot is at this newer version */
	uint64_t prop_n, prop_start;	/* our proposal in flight */
	struct watch w;			/* the owner's records, for expiry */
	unsigned int attempt, rechecks;
	uint64_t wait_start, recheck_ver;
	uint64_t defer_ver, defer_from;	/* deferring to a waiting successor */
	uint16_t defer_succ;
	bool scanned;
	/* this round's reads */
	struct lease_leader_rec leader;
	struct lease_slot_rec own, owner;
	uint64_t t_read, now;
	int ret;			/* the result, once STEP_DONE */
};

enum acq_step {
	STEP_GO,	/* go on with this round (host lock held) */
	STEP_AGAIN,	/* start the next round (host lock released) */
	STEP_DONE,	/* return a->ret (host lock released) */
};

/* Tells the caller what this round waits for (lease_acquire_opts.on_wait). */
static void report_wait(const struct acq *a)
{
	struct lease_status st;

	if (!a->o->on_wait)
		return;
	fill_seen(a->l, &st, &a->leader, &a->owner);
	a->o->on_wait(a->o->on_wait_arg, &st,
		      (double)(a->deadline - a->now) / 1e9);
}

static enum acq_step acq_done(struct acq *a, int ret)
{
	a->ret = ret;
	return STEP_DONE;
}

static enum acq_step acq_done_unlock(struct acq *a, int ret)
{
	lease_unlock_host(a->l);
	return acq_done(a, ret);
}

/*
 * Under the host lock: the leader and our slot, and the slot of the host
 * the leader names (held: the owner, for the watch; free for a named
 * successor: its waiting ticket). The second read brings a newer leader
 * too; @owner must be the slot of the host that leader names.
 */
static enum acq_step acq_read(struct acq *a)
{
	struct lease *l = a->l;
	uint16_t watch_id;
	int ret;

	ret = lease_lock_host(l, a->me.host_id);
	if (ret)
		return acq_done(a, ret);
	a->t_read = lease_now_ns();
	ret = lease_read_small(l, a->me.host_id, 0, &a->leader, &a->own, NULL);
	a->owner = a->own;
	for (int tries = 0; !ret; tries++) {
		watch_id = watch_target(&a->leader);
		if (!watch_id || watch_id == a->me.host_id) {
			a->owner = a->own;
			break;
		}
		if (tries && a->owner.host_id == watch_id)
			break;
		if (tries == 3) {
			/* The leader keeps moving: start over. */
			lease_unlock_host(l);
			return STEP_AGAIN;
		}
		ret = lease_read_small(l, a->me.host_id, watch_id, &a->leader,
				       &a->own, &a->owner);
	}
	if (ret)
		return acq_done_unlock(a, ret);
	return STEP_GO;
}

/* What ends the call whatever the lease's state. */
static enum acq_step acq_check(struct acq *a)
{
	struct lease *l = a->l;
	const struct lease_leader_rec *ld = &a->leader;
	struct ballot bt;

	if (a->own.writer_name[0] && strcmp(a->own.writer_name, a->me.host_name))
		return acq_done_unlock(a, lease_fail(l, LEASE_USAGE,
			"host id %u is used by host '%s' (this is '%s'): host ids must be unique per host",
			a->me.host_id, a->own.writer_name, a->me.host_name));
	if (a->o->has_expect_version && ld->version != a->o->expect_version) {
		fill_seen(l, a->seen, ld, &a->owner);
		return acq_done_unlock(a, lease_fail(l, LEASE_VERSION_MOVED,
			"version is %llu, expected %llu: acquired by host %u token '%s' since",
			(unsigned long long)ld->version,
			(unsigned long long)a->o->expect_version,
			ld->owner.host_id, ld->owner.token));
	}
	a->now = lease_now_ns();
	if (ld->state != LEASE_LEADER_HELD ||
	    !lease_value_equal(&ld->owner, &a->me) ||
	    a->prop_n != ld->version || !a->prop_start)
		return STEP_GO;
	/* Our own proposal, committed by someone else after our ballot was
	 * pre-empted: it is ours. Under the lock: the holder state is saved
	 * before a release of the old version can drop it. */
	memset(&bt, 0, sizeof(bt));
	bt.n = ld->version;
	bt.me = a->me;
	bt.chosen = a->me;
	bt.prop_start_ns = a->prop_start;
	return acq_done_unlock(a, acquired(l, &bt, a->holder));
}

/*
 * Free, released to a successor that is waiting for it: let it take the
 * fast path unopposed, for a bounded time (Documentation/lease.rst,
 * "Fairness"). STEP_GO when we need not (or no longer) defer.
 */
static enum acq_step acq_defer(struct acq *a, uint64_t n)
{
	struct lease *l = a->l;
	const struct lease_leader_rec *ld = &a->leader;
	uint16_t succ = ld->successor_host_id;
	uint64_t until, cap;
	int ret;

	if (!succ || succ == a->me.host_id || succ != a->owner.host_id ||
	    !lease_ticket_live(&a->owner, ld->version))
		return STEP_GO;
	if (a->defer_ver != ld->version || a->defer_succ != succ) {
		a->defer_ver = ld->version;
		a->defer_succ = succ;
		a->defer_from = a->now;
	}
	until = a->defer_from + lease_successor_grace_ms(l->hdr.timeout_s) *
				(a->owner.lver == n ? 2u : 1u) * 1000000u;
	if (a->now >= until)
		return STEP_GO;
	fill_seen(l, a->seen, ld, NULL);
	if (a->now >= a->deadline)
		return acq_done_unlock(a, lease_fail(l, LEASE_HELD,
			"free at version %llu, handed to waiting host %u",
			(unsigned long long)ld->version, succ));
	ret = note_waiting(l, &a->me, &a->own, ld, a->ticket);
	if (ret)
		return acq_done_unlock(a, ret);
	lease_unlock_host(l);
	cap = a->now + lease_recheck_cap_ms(l->hdr.timeout_s) * 1000000u;
	if (until > a->deadline)
		until = a->deadline;
	if (until > cap)
		until = cap;
	report_wait(a);
	sleep_us((until - a->now) / 1000u + 1);
	return STEP_AGAIN;
}

/*
 * Held by someone else: it may be taken only once nothing moved for the
 * timeout on our own clock; until then wait (announced by a ticket),
 * re-reading the leader fast for a release.
 */
static enum acq_step acq_wait_held(struct acq *a)
{
	struct lease *l = a->l;
	const struct lease_leader_rec *ld = &a->leader;
	uint32_t tmo = ld->timeout_s ? ld->timeout_s : 20;
	uint64_t poll = lease_poll_interval_ms(tmo) * 1000u;
	int ret;

	if (!a->scanned) {
		/* Once per call: a ballot for a newer version already ended
		 * this one (see restart_at). */
		a->scanned = true;
		ret = lease_scan(l);
		if (ret)
			return acq_done_unlock(a, ret);
		for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++)
			if (l->slots[h].lver > ld->version &&
			    l->slots[h].lver > a->restart_at)
				a->restart_at = l->slots[h].lver;
		if (a->restart_at > ld->version) {
			lease_unlock_host(l);
			return STEP_AGAIN;
		}
	}
	if (watch_expired(&a->w, ld, &a->owner, a->now, a->t_read))
		return STEP_GO;
	if (a->now >= a->deadline) {
		lease_unlock_host(l);
		fill_seen(l, a->seen, ld, &a->owner);
		return acq_done(a, held_result(l, ld, false));
	}
	/* Only a call that will wait announces it. */
	ret = note_waiting(l, &a->me, &a->own, ld, a->ticket);
	if (ret)
		return acq_done_unlock(a, ret);
	lease_unlock_host(l);
	if (a->recheck_ver != ld->version) {
		/* A new tenure: its release may come soon (short holds),
		 * re-read fast. */
		a->recheck_ver = ld->version;
		a->rechecks = 0;
	}
	fill_seen(l, a->seen, ld, &a->owner);
	if (!a->wait_start)
		a->wait_start = a->now;
	if (a->now + poll * 1000u > a->deadline)
		poll = (a->deadline - a->now) / 1000u + 1;
	report_wait(a);
	watch_leader(l, ld, tmo, a->wait_start, a->now + poll * 1000u,
		     &a->rechecks);
	return STEP_AGAIN;
}

/* The version to ballot for, *@n, and whether the fast round may be used. */
static enum acq_step acq_pick(struct acq *a, uint64_t *n, bool *fast)
{
	const struct lease_leader_rec *ld = &a->leader;
	enum acq_step s;

	*fast = false;
	if (a->restart_at > ld->version) {
		/* A slot is at a newer version: its ballot started only
		 * after the leader's version was free or expired. */
		*n = a->restart_at;
	} else if (ld->state == LEASE_LEADER_FREE) {
		*n = ld->version + 1;
		*fast = ld->successor_host_id == a->me.host_id &&
			a->own.lver < *n;
		s = acq_defer(a, *n);
		if (s != STEP_GO)
			return s;
	} else if (lease_value_same_holder(&ld->owner, &a->me) || a->o->force) {
		*n = ld->version + 1;
	} else {
		s = acq_wait_held(a);
		if (s != STEP_GO)
			return s;
		*n = ld->version + 1;
	}
	if (a->o->has_expect_version && *n != a->o->expect_version + 1) {
		fill_seen(a->l, a->seen, ld, &a->owner);
		return acq_done_unlock(a, lease_fail(a->l, LEASE_VERSION_MOVED,
			"a ballot for version %llu is under way: version %llu is no longer current",
			(unsigned long long)*n,
			(unsigned long long)a->o->expect_version));
	}
	return STEP_GO;
}

/* Runs the ballot for version @n and acts on its outcome. */
static enum acq_step acq_ballot(struct acq *a, uint64_t n, bool fast)
{
	struct lease *l = a->l;
	struct lease_leader_rec *ld = &a->leader;
	struct ballot bt;
	int ret;

	memset(&bt, 0, sizeof(bt));
	bt.n = n;
	bt.fast = fast;
	bt.me = a->me;
	bt.own = a->own;
	if (a->prop_n == n)
		bt.prop_start_ns = a->prop_start;
	ret = run_ballot(l, &bt);
	if (bt.prop_start_ns) {
		a->prop_n = n;
		a->prop_start = bt.prop_start_ns;
	}
	switch (ret) {
	case BALLOT_ERROR:
		return acq_done_unlock(a, bt.err);
	case BALLOT_CHOSEN:
		if (lease_value_equal(&bt.chosen, &a->me))
			return acq_done_unlock(a, acquired(l, &bt, a->holder));
		lease_unlock_host(l);
		/* Someone else won version n. */
		ld->version = n;
		ld->state = LEASE_LEADER_HELD;
		ld->owner = bt.chosen;
		ld->timeout_s = l->hdr.timeout_s;
		fill_seen(l, a->seen, ld, NULL);
		if (a->o->has_expect_version)
			return acq_done(a, held_result(l, ld, true));
		a->restart_at = 0;
		if (lease_now_ns() >= a->deadline)
			return acq_done(a, held_result(l, ld, false));
		return STEP_AGAIN;
	case BALLOT_RESTART:
		lease_unlock_host(l);
		a->restart_at = bt.moved_to;
		if (lease_now_ns() >= a->busy_deadline)
			return acq_done(a, lease_fail(l, LEASE_CONTENDED,
				"lease kept moving for %.1f s",
				(lease_now_ns() - a->start) / 1e9));
		return STEP_AGAIN;
	case BALLOT_PREEMPTED:
	default:
		lease_unlock_host(l);
		if (lease_now_ns() >= a->busy_deadline)
			return acq_done(a, lease_fail(l, LEASE_CONTENDED,
				"ballots for version %llu kept being pre-empted for %.1f s",
				(unsigned long long)n,
				(lease_now_ns() - a->start) / 1e9));
		sleep_us(lease_ballot_backoff_us(a->attempt++,
						 lease_random(l)));
		return STEP_AGAIN;
	}
}

static int acquire_loop(struct acq *a)
{
	uint64_t min_busy = LEASE_MIN_CONTENTION_MS * 1000000ull;
	uint64_t n;
	bool fast;
	int ret;

	a->start = lease_now_ns();
	a->l->err[0] = 0;
	a->recheck_ver = UINT64_MAX;
	a->defer_ver = UINT64_MAX;
	ret = acquire_usable(a->l, a->o);
	if (ret)
		return ret;
	ret = make_me(a->l, a->o, &a->me);
	if (ret)
		return ret;
	a->deadline = a->start + (uint64_t)(a->o->wait_seconds * 1e9);
	a->busy_deadline = a->deadline > a->start + min_busy ?
			   a->deadline : a->start + min_busy;
	for (;;) {
		enum acq_step s = acq_read(a);

		if (s == STEP_GO)
			s = acq_check(a);
		if (s == STEP_GO)
			s = acq_pick(a, &n, &fast);
		if (s == STEP_GO)
			s = acq_ballot(a, n, fast);
		if (s == STEP_DONE)
			return a->ret;
	}
}

int lease_acquire(struct lease *l, const struct lease_acquire_opts *o,
		  struct lease_holder *holder, struct lease_status *seen)
{
	bool ticket = false;
	struct acq a = {
		.l = l, .o = o, .holder = holder, .seen = seen,
		.ticket = &ticket,
	};
	int ret = acquire_loop(&a);

	if (ticket)
		drop_ticket(l, o->host_id);
	return ret;
}
