#!/bin/bash
# Migration receiver that dies after the sender has suspended the guest:
# used as the "host" of `xl migrate -s ''` so the rune runs this instead of
# a plain `xl migrate-receive`. The sender then sees the stream break and
# resumes the guest on the source (suspend cancelled).
# usage: killing-receiver.sh SOURCE_DOMAIN_NAME
src=$1
# A background job gets /dev/null as stdin unless told otherwise: hand it
# the migration stream explicitly.
xl migrate-receive <&0 &
rpid=$!
# Our copies of the stream fds must not keep the pipe open after the kill.
exec 0</dev/null 1>/dev/null
while kill -0 "$rpid" 2>/dev/null; do
	state=$(xl list "$src" 2>/dev/null | awk 'NR == 2 { print $5 }')
	case $state in
	*s*)
		kill -9 "$rpid"
		echo "killing-receiver: receiver killed after suspend (source state $state)" >&2
		break
		;;
	esac
	sleep 0.2
done
wait "$rpid" 2>/dev/null
exit 1
