# shellcheck shell=bash
# Scenario 1, the seed bug: a PVH guest keeps AIO+O_DIRECT record writes in
# flight while it is live-migrated to localhost. The source reaches the
# shared storage through dm-delay (writes delayed XH_S1_DELAY_MS), the
# destination does not. The delay (30 s) must outlast the time the guest
# is away (suspend to running on the destination: ~5 s on an idle host,
# ~20 s on a loaded one), or the source's copies land first. A stock xen-blkfront re-issues its in-flight writes
# on the destination, then the source's delayed copies land on top of newer
# records: the test must find stale blocks. xen-blkfront-drain waits for
# them before suspending: zero stale, drain-state=drained, nothing re-issued.
# "upstream" is xen-blkfront with the patches/linux/ series (6.12 guests):
# the same verdict, with drain-inflight=0 standing for the re-issue counter
# the upstream driver does not have (an empty ring leaves nothing to re-issue).

# Shared by scenarios 1 and 2: boot a PVH guest on a delayed source disk and
# start the record load. Sets NAME and DST_CFG.
s1_setup() { # NAME BLKFRONT WDELAY_MS EXTRA_CMDLINE
	NAME=$1
	xh_disk_setup "$NAME" "$3" || xh_fail "disk setup failed"
	xh_guest_cfg "$NAME" pvh "/dev/mapper/xh-src-$NAME" "$2" "$4" > "$XH_RUN/$NAME.cfg"
	xh_guest_cfg "$NAME" pvh "/dev/mapper/xh-dst-$NAME" "$2" "$4" > "$XH_RUN/$NAME-dst.cfg"
	DST_CFG=$XH_RUN/$NAME-dst.cfg
	xh_guest_start "$NAME" "$XH_RUN/$NAME.cfg"
	# Staggered starts spread the blocks' delayed writes over the whole delay
	# (in lockstep they would all land before or all after the resume).
	xh_mbox_or_fail "$NAME" 60 load "pace_us=${XH_LOAD_PACE_US:-2000} max_s=900 stagger_ms=$(( $3 / 16 )) stop_after_resume_ms=${XH_S1_STOP_AFTER_RESUME_MS:-1000}"
	xh_info "load started: $MB_REPLY"
	sleep $(( $3 / 1000 ))	# let every block start
}


# After the migration: the guest stops its load by itself shortly after it
# resumed (once every block was rewritten on the destination), before the
# source's delayed copies land; stop here only collects that. Then wait for
# the source's delayed writes to land and read every record back.
s1_finish_and_verify() { # WDELAY_MS
	xh_mbox_or_fail "$NAME" 240 stop
	xh_info "load stopped: $MB_REPLY"
	case $MB_REPLY in *stop-timeout*) xh_fail "in-flight writes never completed: $MB_REPLY" ;; esac
	AWAY_S=$(xh_kv "$(xh_guest_grep "$NAME" '^XH-G resumed' | tail -1)" away_s)
	xh_info "guest was away ${AWAY_S:-?} s; $(xh_guest_grep "$NAME" '^XH-G autostop' | tail -1)"
	xh_wait_src_idle "$NAME" $(( $1 / 1000 + 60 )) || xh_fail "source device never went idle"
	xh_mbox_or_fail "$NAME" 90 verify
	xh_parse_verify "$MB_REPLY" || xh_fail "unparsable verify reply: $MB_REPLY"
	REISSUED=$(xh_guest_counter "$NAME" "${XH_REISSUE_COUNTER:-reissued}")
	xh_guest_grep "$NAME" '^XH-G block ' | tail -"$V_BLOCKS" | sed 's/^/XH-INFO /'
}

seed_bug() { # stock|drain|upstream
	local fe=$1 w=${XH_S1_DELAY_MS:-30000} state problems args=
	# The drain may wait the whole write delay: give it room, within the
	# 60 s libxl allows a guest to suspend.
	[ "$fe" != stock ] && args="xh_drain_args=drain_timeout_ms=${XH_S1_DRAIN_TIMEOUT_MS:-50000}"
	s1_setup "s1-$fe" "$fe" "$w" "$args"
	xh_migrate_local
	s1_finish_and_verify "$w"
	state=$(xh_drain_key drain-state)
	xh_metric "blkfront=$fe stale=$V_STALE blocks=$V_BLOCKS corrupt=$V_CORRUPT writes=$V_WRITES" \
		"migrate_s=$MIGRATE_S away_s=${AWAY_S:-?} drain_state=${state:-none} drain_usecs=$(xh_drain_key drain-usecs)" \
		"reissued=${REISSUED:-n/a}"
	if [ "$fe" = stock ]; then
		[ "$V_IOERR" = 0 ] && [ "$V_WERR" = 0 ] ||
			xh_fail "I/O errors (read $V_IOERR, write $V_WERR) instead of the hazard"
		[ $((V_STALE + V_CORRUPT)) -ge 1 ] ||
			xh_fail "hazard NOT reproduced: 0 of $V_BLOCKS blocks stale with stock xen-blkfront"
		xh_pass "hazard reproduced with stock xen-blkfront: $V_STALE of $V_BLOCKS blocks stale" \
			"(+$V_CORRUPT torn) after live migration"
	fi
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || xh_fail "records lost with $([ "$fe" = upstream ] &&
		echo 'the patched xen-blkfront' || echo xen-blkfront-drain): $problems"
	[ "$state" = drained ] || xh_fail "xenstore drain-state='${state}' (want drained)"
	if [ "$fe" = upstream ]; then
		[ "$(xh_drain_key drain-inflight)" = 0 ] ||
			xh_fail "drain-inflight='$(xh_drain_key drain-inflight)' (want 0)"
		xh_pass "patched upstream xen-blkfront: 0 of $V_BLOCKS blocks stale, drain-state=drained" \
			"in $(xh_drain_key drain-usecs) us, drain-inflight 0, $V_WRITES writes"
	fi
	[ "${REISSUED:-}" = 0 ] || xh_fail "re-issue counter '${REISSUED:-missing}' (want 0)"
	xh_pass "0 of $V_BLOCKS blocks stale, drain-state=drained in" \
		"$(xh_drain_key drain-usecs) us, re-issued 0, $V_WRITES writes"
}
