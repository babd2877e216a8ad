/*
 * SPDX-License-Identifier: GPL-2.0 OR MIT
 *
 * Promela model of the lease protocol of tools/tapdisk-activate
 * (lease_acquire.c, lease.c; Documentation/lease.rst), checked by
 * t_spin_lease.sh for:
 *   - mutual exclusion: never two processes holding the lease;
 *   - version monotonicity: each successful acquire gets a version
 *     strictly above every version acknowledged before it;
 *   - versioned acquire: expecting version V succeeds only if nobody
 *     acquired since V.
 * NPROC hosts (one slot each) run acquire / hold / release. Each acquire
 * call is an attempt with its own value (the nonce); host 0 makes two
 * (the second may be a versioned resume), hosts 1 and 2 one each. Disk writes are
 * sector-atomic (one slot or the leader per step); a scan reads the slots
 * one at a time, interleaved with everything else.
 *   crasher: kills any process at any step (crash-stop: local state lost,
 *            the disk keeps whatever was written), MAXCRASH times in total;
 *   lapser:  ends any attempt's validity at any step (a stall longer than
 *            T*3/4), MAXLAPSE times: the attempt can no longer be
 *            acknowledged and stops holding, but keeps running and may
 *            still write late (e.g. a late commit of an old version).
 * Time is abstracted: a contender treats a held lease as expired only
 * when the owner's attempt is dead, lapsed or over. Documentation/lease.rst
 * shows why "no renewal seen for T" implies exactly that.
 *
 * Mutants that must fail (t_spin_lease.sh checks spin finds them):
 * BUG_FAST_FOR_ALL lets every host skip phase 1, BUG_NO_SECOND_SCAN commits
 * without the scan after the proposal.
 *
 * Bounds: NPROC 3, versions 1..MAXV, ballot rounds 0..MAXR (0 = the
 * successor's fast round, 1.. the normal rounds), NATT attempts in total,
 * MAXCRASH crashes, MAXLAPSE lapses. Exceeding a bound ends that attempt.
 */
#ifndef NPROC
#define NPROC 3
#endif
#ifndef MAXV
#define MAXV 3
#endif
#ifndef MAXR
#define MAXR 2
#endif
#ifndef NATT
#define NATT 4
#endif
#ifndef MAXCRASH
#define MAXCRASH 1
#endif
#ifndef MAXLAPSE
#define MAXLAPSE 1
#endif
/* acquire calls per host; host 0's second may be a versioned resume */
#ifndef PLAN0
#define PLAN0 2
#endif
#ifndef PLAN1
#define PLAN1 1
#endif
#ifndef PLAN2
#define PLAN2 1
#endif
/* successor named in the initial leader (1 = host 0, 0 = none) */
#ifndef INIT_SUCC
#define INIT_SUCC 1
#endif

/* ballot = round * NPROC + pid + 1: every process's ballots are its own */
#define BALLOT(r, p)	((r) * NPROC + (p) + 1)
#define ROUND(b)	(((b) - 1) / NPROC)

typedef slot_t {
	byte lver;
	byte mbal;
	byte bal;
	byte inp;	/* value = attempt number 1..NATT, 0 none */
};

slot_t slot[NPROC];
byte L_ver;
bool L_held;
byte L_owner;
byte L_succ;		/* pid + 1 of the designated successor, 0 none */

/* ghost state: never read by the protocol's decisions */
byte owner_of[NATT + 1];	/* value -> pid + 1 */
bool live[NATT + 1];		/* attempt may still be acknowledged/hold */
byte holder;			/* attempt currently holding, 0 none */
byte last_acked;
byte next_att = 1;
bool crash_req[NPROC];
byte crashes, lapses;

proctype host(byte p; byte plan)
{
	byte att, n, b, v, r, j, lv, lo, best, restart, expect, released;
	bool lh, fast, versioned;

again:
	{
		atomic {
			if
			:: plan > 0 && next_att <= NATT -> plan--;
			   att = next_att; next_att++;
			   owner_of[att] = p + 1; live[att] = true
			:: else -> goto done
			fi;
			/* plain acquire, or resume expecting what we released */
			if
			:: versioned = false; expect = 0
			:: released > 0 -> versioned = true; expect = released
			fi;
			restart = 0
		};
read_leader:
		atomic {
			lv = L_ver; lh = L_held; lo = L_owner;
			fast = false;
			if
			:: versioned && lv != expect -> goto give_up	/* VERSION_MOVED */
			:: restart > lv -> n = restart
			:: else ->
				if
				:: !lh -> n = lv + 1;
#ifdef BUG_FAST_FOR_ALL
					/* mutant: every host takes the fast path */
					fast = (slot[p].lver < n)
#else
					fast = (L_succ == p + 1 && slot[p].lver < n)
#endif
				:: lh && owner_of[lo] == p + 1 -> n = lv + 1
				:: lh && owner_of[lo] != p + 1 && !live[lo] -> n = lv + 1
				:: lh && owner_of[lo] != p + 1 && live[lo] ->
					n = 0	/* wait for expiry or a change */
				fi
			fi;
			lh = false; restart = 0
		};
		if
		:: n == 0 ->
			if
			:: atomic { (L_ver != lv || L_owner != lo || !L_held || !live[lo]) ->
				 lv = 0; lo = 0 }
			:: atomic {
				/* the scan a waiting contender makes: a slot at a
				 * newer version means this one already ended */
				(slot[0].lver > lv || slot[1].lver > lv || slot[2].lver > lv) ->
				restart = slot[0].lver;
				if
				:: slot[1].lver > restart -> restart = slot[1].lver
				:: else -> skip
				fi;
				if
				:: slot[2].lver > restart -> restart = slot[2].lver
				:: else -> skip
				fi;
				lv = 0; lo = 0 }
			fi;
			goto read_leader
		:: versioned && n != expect + 1 -> goto give_up
		:: n > MAXV -> goto give_up				/* bound */
		:: else -> lv = 0; lo = 0
		fi;

		/* ---- ballot for version n ---- */
		if
		:: fast ->
			b = BALLOT(0, p);
			atomic { slot[p].lver = n; slot[p].mbal = b;
				 slot[p].bal = b; slot[p].inp = att }
		:: else ->
			d_step {
				/* next round: above our own and the pre-empter's */
				if
				:: slot[p].lver == n -> r = ROUND(slot[p].mbal) + 1
				:: else -> r = 1
				fi;
				j = 0;
				do
				:: j < NPROC ->
					if
					:: j != p && slot[j].lver == n &&
					   ROUND(slot[j].mbal) >= r ->
						r = ROUND(slot[j].mbal) + 1
					:: else -> skip
					fi;
					j++
				:: else -> break
				od;
				j = 0
			};
			if
			:: r > MAXR -> goto give_up			/* bound */
			:: else -> skip
			fi;
			b = BALLOT(r, p);
			/* phase 1: promise b, keep our bal/inp for version n */
			atomic {
				if
				:: slot[p].lver != n ->
					slot[p].lver = n; slot[p].bal = 0; slot[p].inp = 0
				:: else -> skip
				fi;
				slot[p].mbal = b; best = slot[p].bal; v = slot[p].inp
			};
			j = 0;
			do
			:: j < NPROC ->
				atomic {
					if
					:: j == p -> skip
					:: j != p && slot[j].lver > n -> restart = slot[j].lver
					:: j != p && slot[j].lver == n && slot[j].mbal > b ->
						restart = 255
					:: j != p && slot[j].lver == n && slot[j].mbal <= b &&
					   slot[j].bal > best ->
						best = slot[j].bal; v = slot[j].inp
					:: else -> skip
					fi;
					j++
				}
			:: else -> break
			od;
			atomic {
				j = 0; best = 0;
				if
				:: restart == 255 -> restart = n; goto read_leader	/* pre-empted: n again */
				:: restart > 0 -> goto read_leader
				:: L_ver >= n && !(L_ver == n && L_held) -> goto read_leader
				:: L_ver == n && L_held -> v = L_owner; goto decided
				:: else -> skip
				fi;
				if
				:: v == 0 -> v = att
				:: else -> skip
				fi
			};
			/* phase 2 */
			atomic { slot[p].bal = b; slot[p].inp = v }
		fi;
		/* scan after the proposal (both paths) */
#ifdef BUG_NO_SECOND_SCAN
		/* mutant: commit without checking for higher ballots */
		j = NPROC;
#else
		j = 0;
#endif
		do
		:: j < NPROC ->
			atomic {
				if
				:: j == p -> skip
				:: j != p && slot[j].lver > n -> restart = slot[j].lver
				:: j != p && slot[j].lver == n && (fast || slot[j].mbal > b) ->
					restart = 255
				:: else -> skip
				fi;
				j++
			}
		:: else -> break
		od;
		atomic {
			j = 0;
			v = slot[p].inp;
			if
			:: restart == 255 -> restart = n; goto read_leader	/* pre-empted: n again */
			:: restart > 0 -> goto read_leader
			:: L_ver >= n && !(L_ver == n && L_held) -> goto read_leader
			:: L_ver == n && L_held -> v = L_owner; goto decided
			:: else -> skip
			fi
		};
		/* commit: v is chosen for n; check-then-write is two steps */
		if
		:: L_ver < n ->
			atomic { L_ver = n; L_held = true; L_owner = v; L_succ = 0 }
		:: else -> skip
		fi;
decided:
		atomic {
			if
			:: v == att && live[att] ->
				/* acknowledged: the caller uses the disk from now */
				assert(holder == 0);
				assert(n > last_acked);
				assert(!versioned || last_acked == expect);
				last_acked = n;
				holder = att
			:: else -> goto give_up	/* lost, or lapsed before the ack */
			fi
		};
		/* hold until release or lapse */
		if
		:: atomic { live[att] -> live[att] = false; holder = 0 };
			/* release: check, then write FREE (two steps) */
			if
			:: atomic { L_held && L_ver == n && L_owner == att } ->
				released = n;
				if
				:: atomic { L_ver = n; L_held = false; L_succ = p + 1 }
				:: atomic { L_ver = n; L_held = false; L_succ = (p + 1) % NPROC + 1 }
				fi
			:: else -> skip				/* NOT_OWNER */
			fi
		:: atomic { !live[att] -> skip }		/* lapsed: lost it */
		fi;
give_up:
		atomic {
			if
			:: live[att] -> live[att] = false
			:: else -> skip
			fi;
			n = 0; b = 0; v = 0; r = 0; restart = 0; fast = false
		};
		goto again
	} unless {
		/* crash-stop: local state is gone, the disk keeps its sectors */
		atomic {
			crash_req[p] -> crash_req[p] = false; plan = 0;
			if
			:: att && holder == att -> holder = 0
			:: else -> skip
			fi;
			if
			:: att -> live[att] = false
			:: else -> skip
			fi;
			n = 0; b = 0; v = 0; r = 0; j = 0; lv = 0; lo = 0;
			best = 0; restart = 0; fast = false; lh = false
		}
	};
	goto again;
done:
	skip
}

/* Crashes any process at any step, MAXCRASH times in total. */
active proctype crasher()
{
end_crasher:
	do
	:: atomic { crashes < MAXCRASH -> crash_req[0] = true; crashes++ }
	:: atomic { crashes < MAXCRASH -> crash_req[1] = true; crashes++ }
	:: atomic { crashes < MAXCRASH -> crash_req[2] = true; crashes++ }
	od
}

/* Ends any live attempt's validity at any step, MAXLAPSE times. */
active proctype lapser()
{
	byte a;

end_lapser:
	do
	:: atomic {
		lapses < MAXLAPSE ->
		a = 1;
		do
		:: a < NATT -> a++
		:: break
		od;
		if
		:: live[a] -> live[a] = false; lapses++;
		   /* a lapsed holder stops using the disk */
		   if
		   :: holder == a -> holder = 0
		   :: else -> skip
		   fi
		:: else -> skip
		fi;
		a = 0
	   }
	od
}

/*
 * Host 0 acquires PLAN0 times (a later call may be a versioned resume
 * after its release), hosts 1 and 2 PLAN1 and PLAN2 times; host 0 starts
 * as the designated successor (fast path) unless INIT_SUCC is 0.
 */
init
{
	atomic {
		L_succ = INIT_SUCC;
		run host(0, PLAN0);
		run host(1, PLAN1);
		run host(2, PLAN2)
	}
}
