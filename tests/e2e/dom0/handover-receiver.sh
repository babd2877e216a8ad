#!/bin/bash
# Migration receiver for the handover-resume/-fenced scenarios, used as the
# "host" of `xl migrate -s ''`. Unlike killing-receiver.sh it does not kill
# at the suspend: it stops (SIGSTOP) `xl migrate-receive` as soon as the
# source is suspended, so the destination can never start, and kills it
# once the scenario says so (file /run/xh/ho-kill, written after the
# daemon released the source's disk and, for -fenced, another host took
# the VDI). The sender then resumes the guest on the source.
# usage: handover-receiver.sh SOURCE_DOMAIN_NAME
src=$1
run=/run/xh
rm -f "$run/ho-kill" "$run/ho-receiver-stopped"
xl migrate-receive <&0 &
rpid=$!
exec 0</dev/null 1>/dev/null
stopped=0
while kill -0 "$rpid" 2>/dev/null; do
	if [ $stopped = 0 ]; then
		state=$(xl list "$src" 2>/dev/null | awk 'NR == 2 { print $5 }')
		case $state in
		*s*)
			kill -STOP "$rpid"
			stopped=1
			date +%s > "$run/ho-receiver-stopped"
			echo "handover-receiver: receiver stopped after suspend (source state $state)" >&2
			;;
		esac
	elif [ -f "$run/ho-kill" ] ||
	     [ $(( $(date +%s) - $(cat "$run/ho-receiver-stopped") )) -gt 240 ]; then
		kill -9 "$rpid"
		kill -CONT "$rpid" 2>/dev/null
		echo "handover-receiver: receiver killed after suspend" >&2
		break
	fi
	sleep 0.2
done
wait "$rpid" 2>/dev/null
exit 1
