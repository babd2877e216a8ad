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

# xh_qemu_monitor SOCKET CMD...: runs each command on QEMU's human monitor
# (unix socket) and prints the answers; bounded (5 s a command).
xh_qemu_monitor() {
	python3 - "$@" <<'PY'
import socket, sys, time

sock, cmds = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sock)
except OSError as e:
    print('monitor %s: %s' % (sock, e))
    sys.exit(1)

def until_prompt():
    out = b''
    end = time.time() + 5
    while not out.endswith(b'(qemu) ') and time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
    return out.decode('utf-8', 'replace')

until_prompt()
for c in cmds:
    s.sendall(c.encode() + b'\n')
    print('### ' + c)
    text = until_prompt()
    # The monitor echoes the command line with terminal escapes: drop them.
    lines = text.replace('\r', '').split('\n')
    print('\n'.join(l for l in lines[1:] if not l.startswith('(qemu)')))
PY
}
