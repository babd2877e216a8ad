# shellcheck shell=bash
# Reading the serial log: Xen's own lines start with "(XEN)", guest console
# lines were prefixed "G|<domain>| " by dom0, everything else is dom0.

xh_serial_clean() { tr -d '\r' < "$XH_OUT/serial.log" 2>/dev/null; }

# Lines of one scenario, from its XH-BEGIN to its XH-RESULT.
xh_section() { # NAME
	xh_serial_clean | awk -v n="$1" '
		$0 ~ "^XH-BEGIN " n "$" { on = 1 }
		on { print }
		on && index($0, "XH-RESULT " n " ") == 1 { exit }'
}

xh_split_section() { # NAME -> $XH_OUT/scenarios/NAME/{xen,dom0,guest}.log
	local d=$XH_OUT/scenarios/$1
	mkdir -p "$d"
	xh_section "$1" > "$d/serial.log"
	grep -a '^(XEN)' "$d/serial.log" > "$d/xen.log"
	grep -a '^G|' "$d/serial.log" > "$d/guest.log"
	grep -a -v -e '^(XEN)' -e '^G|' "$d/serial.log" > "$d/dom0.log"
}

xh_print_tails() { # NAME
	local d=$XH_OUT/scenarios/$1
	echo "    --- Xen console (last 15 lines of e2e/$1) ---"
	if [ -s "$d/xen.log" ]; then
		tail -15 "$d/xen.log"
	else
		xh_serial_clean | grep -a '^(XEN)' | tail -15
	fi | sed 's/^/    | /'
	echo "    --- dom0 console (last 40 lines) ---"
	tail -40 "$d/dom0.log" | sed 's/^/    | /'
	echo "    --- guest console (last 30 lines) ---"
	tail -30 "$d/guest.log" | sed 's/^/    | /'
	echo "    (full logs: $d)"
}
