/*
 * SPDX-License-Identifier: GPL-2.0 OR MIT
 *
 * Promela model of the lease's timing (Documentation/lease.rst, "Timeouts"
 * and "Verification"): an owner that keeps a deadline on its own clock and
 * a contender that takes over after seeing no renewal for T on its own
 * clock. Checked by t_spin_lease.sh for: no data write of the owner lands
 * after the contender took over.
 *
 * lease.pml checks the consensus part and abstracts time away ("a
 * contender takes a held lease only when the owner's attempt is dead,
 * lapsed or over"); this model checks that abstraction against clocks.
 *
 * Time: real time advances in ticks (proctype ticker). At each tick each
 * host's clock advances by RLO..RHI units, chosen anew every tick and
 * independently for the two hosts, so over any k ticks a clock advances
 * between k*RLO and k*RHI: clock rates anywhere in [RLO, RHI] per tick,
 * varying over time. Nominal is NOM units per tick. Any number of protocol
 * steps happen between two ticks, in any order.
 *
 * Owner (lease_renew() as the daemon's renewal thread calls it):
 *   - holds a deadline: V units on its clock after the START of its last
 *     renewal that counted (the first window starts at the acquire's
 *     first write, time 0 here);
 *   - starts a renewal at any moment (late too), one at a time; the slot
 *     write lands on the disk at any later moment, and the owner learns
 *     of its completion at any moment after that: renewal I/O of any
 *     length, completing before or after the deadline;
 *   - the renewal counts only if it started and completed no later than
 *     the deadline (then the deadline becomes start + V), otherwise the
 *     holding is lost and never renewed again;
 *   - submits data writes whenever its clock is within the deadline; a
 *     data write lands on the disk within DW ticks of its submission (the
 *     time to stop I/O plus the write's own latency, S + D in lease.rst).
 *     The owner never learns of a takeover from the disk (no leader read):
 *     only its clock protects the data.
 * Contender: reads the owner's slot at any moment; a changed slot restarts
 * its wait; it takes over (from then on it writes the data) when its clock
 * shows at least T units since the read that first saw the current slot
 * and a read just now still sees it unchanged.
 *
 * Abstractions keeping the state space finite (and exact for this
 * question): clocks are kept as ages (units since an event) that saturate
 * once no decision depends on them any more; the renewal counter in the
 * slot is a ghost "changed since the contender's last read" bit (the real
 * counter never repeats a value); one data write in flight is enough (any
 * violating run with several contains one with just the late one).
 *
 * Units: NOM = 8 units per nominal tick, T = 8 ticks = 64 units, V = 3T/4.
 * Rates 7..9 are +-12.5 % (the guarantee needs V*(1+rho) < T*(1-rho), so
 * rho < 1/7 without I/O time); DW = 1 tick. Then the last data write lands
 * at most 6 + 1 ticks after the renewal's start and the takeover comes at
 * least 8 ticks after it. Configurations that must fail are checked too
 * (t_spin_lease.sh): rates 5..11, DW = 2, and the mutants below.
 *
 * Mutants (compile-time):
 *   BUG_NO_DEADLINE_CHECK: a renewal counts whenever it completes, started
 *     and completed before the deadline or not;
 *   BUG_NO_COMPLETION_CHECK: only the start is checked against the
 *     deadline (the untracked renewal of issue 13 could pass this way).
 * NONVACUITY asserts that no takeover happens after two counted renewals
 * and a data write after them; spin must find such a run, which shows the
 * passing model does renew, write and take over.
 */
#ifndef NOM
#define NOM 8
#endif
#ifndef RLO
#define RLO 7
#endif
#ifndef RHI
#define RHI 9
#endif
#ifndef T
#define T (8 * NOM)
#endif
#ifndef V
#define V (T * 3 / 4)
#endif
#ifndef DW
#define DW 1
#endif

/* ages saturate here: every comparison is against T or V */
#define AGE_CAP (T + 1)

/* owner renewal phase */
#define R_IDLE		0
#define R_STARTED	1	/* slot write submitted, not on disk yet */
#define R_LANDED	2	/* on disk, owner not told yet */

short o_left = V;	/* deadline - owner clock; < 0: passed (floor -1) */
bool o_lost;		/* a renewal did not count: holding given up */
byte r_phase = R_IDLE;
short r_age;		/* owner clock units since the renewal's start */
bool d_flight;		/* a data write in flight */
byte d_age;		/* ticks since it was submitted */

bool dirty;		/* ghost: slot changed since the contender's last read */
bool c_seen;		/* contender made its first read */
short c_age;		/* contender clock units since it first saw this slot */
bool taken;		/* contender took over: the data is its now */
byte counted;		/* ghost: renewals that counted (saturates at 2) */
bool wrote;		/* ghost: a data write landed after the 2nd */

inline sat(x, d, cap)
{
	if
	:: x + d >= cap -> x = cap
	:: else -> x = x + d
	fi
}

active proctype ticker()
{
	byte io, ic;

end_tick:
	do
	:: atomic {
		/* a data write lands within DW ticks of its submission */
		!(d_flight && d_age >= DW) ->
		io = RLO;
		do
		:: io < RHI -> io++
		:: break
		od;
		ic = RLO;
		do
		:: ic < RHI -> ic++
		:: break
		od;
		if
		:: o_left - io < 0 -> o_left = -1
		:: else -> o_left = o_left - io
		fi;
		if
		:: r_phase != R_IDLE -> sat(r_age, io, AGE_CAP)
		:: else -> skip
		fi;
		if
		:: d_flight -> d_age++
		:: else -> skip
		fi;
		if
		:: c_seen -> sat(c_age, ic, AGE_CAP)
		:: else -> skip
		fi;
		io = 0; ic = 0
	   }
	od
}

active proctype owner()
{
end_owner:
	do
	/* data write: submitted only while this clock is within the deadline */
	:: atomic { !o_lost && o_left >= 0 && !d_flight ->
		d_flight = true; d_age = 0 }
	:: atomic { d_flight ->
		assert(!taken);		/* landed after the takeover */
		wrote = wrote || counted == 2;
		d_flight = false; d_age = 0 }
	/* renewal start (any time: late renewals too) */
	:: atomic { !o_lost && r_phase == R_IDLE ->
#if defined(BUG_NO_DEADLINE_CHECK)
		r_phase = R_STARTED; r_age = 0
#else
		if
		:: o_left >= 0 -> r_phase = R_STARTED; r_age = 0
		:: else -> o_lost = true	/* deadline passed: LOST */
		fi
#endif
	   }
	/* the slot write lands on the disk */
	:: atomic { r_phase == R_STARTED -> r_phase = R_LANDED; dirty = true }
	/* the owner learns the write completed */
	:: atomic { r_phase == R_LANDED ->
#if defined(BUG_NO_DEADLINE_CHECK) || defined(BUG_NO_COMPLETION_CHECK)
		o_left = V - r_age;
#else
		if
		:: o_left >= 0 -> o_left = V - r_age	/* start + V */
		:: else -> o_lost = true	/* completed late: LOST */
		fi;
#endif
		if
		:: o_left < 0 -> o_left = -1
		:: !o_lost && o_left >= 0 && counted < 2 -> counted++
		:: else -> skip
		fi;
		r_phase = R_IDLE; r_age = 0
	   }
	od
}

active proctype contender()
{
end_contender:
	do
	/* a read: a change (or the first read) restarts the wait */
	:: atomic { !taken && (dirty || !c_seen) ->
		dirty = false; c_seen = true; c_age = 0 }
	/* a read that sees no change, T after the first sight: take over */
	:: atomic { !taken && c_seen && !dirty && c_age >= T -> taken = true;
#ifdef NONVACUITY
		/* must fail: a takeover after two renewals that counted
		 * and a data write is reachable */
		assert(!(counted == 2 && wrote))
#endif
	   }
	od
}
