#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# activate --wait on a terminal shows what it waits for (the holder's host
# id and name, the lease version, the seconds left), redrawn in place on
# stderr and cleared at the end; with stderr a file or a pipe the output
# is byte for byte what it was without the feature (no line, no escape).
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
[ -x "$tool" ] || { echo "$tool not built"; exit 1; }
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
dir=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-wait-tty.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export XH_LEASE_LOCK_DIR=$dir
fail=0
bad() { echo "FAIL: $*"; fail=1; }

img=$dir/vdi.img
truncate -s 4M "$img"
"$tool" lease init "$img.lease" --timeout 0 >/dev/null || { echo "lease init"; exit 1; }
"$tool" lease acquire "$img.lease" --host-id 2 >/dev/null || { echo "host 2 acquire"; exit 1; }
v=$("$tool" lease status "$img.lease" --json | sed -n 's/.*"version": *\([0-9]*\).*/\1/p')
act=("$tool" activate "$img" --host-id 1 --backend none --format raw --wait 2)

# On a terminal: stderr through a pty, stdout a file.
python3 - "$dir/tty.err" "${act[@]}" >"$dir/tty.out" <<'PY'
import os, subprocess, sys
out, argv = sys.argv[1], sys.argv[2:]
master, slave = os.openpty()
p = subprocess.Popen(argv, stderr=slave)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:		# EIO: the child closed the terminal
        break
    if not chunk:
        break
    data += chunk
open(out, "wb").write(data)
sys.exit(p.wait())
PY
rc=$?
[ $rc = 10 ] || bad "activate on a tty: exit $rc, want 10 (held): $(cat -v "$dir/tty.err")"
grep -aq "waiting for the lease: held by host 2 ([^)]*) at version $v, 2 s left" "$dir/tty.err" ||
	bad "no wait line naming host 2, version $v, 2 s left: $(cat -v "$dir/tty.err")"
grep -aq "waiting for the lease: .*, [01] s left" "$dir/tty.err" ||
	bad "the wait line was not redrawn as time passed: $(cat -v "$dir/tty.err")"
[ "$(grep -ac $'\r\033\\[K' "$dir/tty.err")" -ge 1 ] ||
	bad "no in-place redraw (CR, erase line): $(cat -v "$dir/tty.err")"
# Cleared before the report: the last wait line is erased.
tail=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.rfind(b"waiting for the lease"); print(b"\r\x1b[K" in d[i:])' "$dir/tty.err")
[ "$tail" = True ] || bad "the wait line is not cleared at the end"

# Not a terminal: unchanged (no wait line, no control characters).
"${act[@]}" >"$dir/file.out" 2>"$dir/file.err"
rc=$?
[ $rc = 10 ] || bad "activate, stderr a file: exit $rc"
grep -aq "waiting for the lease" "$dir/file.err" && bad "wait line written to a file"
grep -aq $'\r\|\033' "$dir/file.err" && bad "control characters in a file: $(cat -v "$dir/file.err")"
"${act[@]}" 2>&1 >/dev/null | cat >"$dir/pipe.err"
grep -aq $'waiting for the lease\|\r\|\033' "$dir/pipe.err" && bad "wait line written to a pipe"
# The pty run's report is the same text as the file run's once the line is gone.
sed -e $'s/.*\033\\[K//' -e 's/\r$//' "$dir/tty.err" | grep -v '^$' >"$dir/tty.clean"
sed -E 's/[0-9]+\.[0-9]+ s/N s/g; s/[0-9]+ ms/N ms/g' "$dir/tty.clean" >"$dir/a"
sed -E 's/[0-9]+\.[0-9]+ s/N s/g; s/[0-9]+ ms/N ms/g' "$dir/file.err" >"$dir/b"
cmp -s "$dir/a" "$dir/b" || bad "report differs on a tty: $(diff "$dir/a" "$dir/b" | head -5)"
exit $fail
