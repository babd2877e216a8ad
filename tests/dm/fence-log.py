#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Checks the serial log of a fencing boot (tests/dm/vm-fence.sh).

A boot that announced no reset must end with "DMTEST DONE". A boot that
announced "DMTEST EXPECT-RESET NAME timeout_s=T witness=0|1" must instead end in the
kernel's "softdog: Initiating system reboot" (QEMU runs with -no-reboot,
so the reset ends it), and that reset must come before the lease's
deadline d, the last "DMTEST DEADLINE NAME NS" (CLOCK_BOOTTIME of the
VM, the daemon's valid-until).

The printk timestamp (local_clock) is put on CLOCK_BOOTTIME with the
calibration marks of "helper_dmctl clockmarks": mark n is the kmsg line
"XHCLOCK n B0" (B0 read before the write) and "XHCLOCKA n B1" (read after
it). The printk stamp K of mark n was taken between B0 and B1, so
off = K - B, the clock offset, lies in [K - B1, K - B0]; the reset time
is taken as R = Ks - (K - B1) + 1 us (printk truncates to microseconds),
which is never earlier than the true one: the margin d - R printed and
checked is a lower bound. The last mark before the reset is used; the
spread of the offsets over all marks shows the two clocks' drift.

Also checked: no "HOST2 NAME acquired NS" before R, and no "WITNESS NAME
SEQ NS" line after "WITNESS0 NAME SEQ0 NS" shows another sequence number
(a guest write that landed after the fence started); witness=1 requires
the WITNESS0 line.

Prints PASS/FAIL dm/NAME lines; exit status 1 when anything failed,
including any "DMTEST FAIL" line of the VM.
"""
import re
import sys

TS = r'\[\s*(\d+)\.(\d{6})\]'


def main(path):
    text = open(path, 'rb').read().decode('latin-1').replace('\r', '')
    lines = text.split('\n')
    done = any(line.startswith('DMTEST DONE') for line in lines)
    expect = [m.groups() for m in
              re.finditer(r'^DMTEST EXPECT-RESET (\S+) timeout_s=(\d+) witness=([01])',
                          text, re.M)]
    failed = re.search(r'^DMTEST FAIL ', text, re.M) is not None
    if not expect:
        if done:
            return int(failed)
        print('FAIL dm/fence-vm: %s ended without DMTEST DONE' % path)
        return 1
    name, timeout_s = expect[-1][0], int(expect[-1][1])
    want_witness = expect[-1][2] == '1'
    fail = lambda why: print('FAIL dm/%s: %s' % (name, why)) or 1
    reset_at = None
    marks, after = [], {}
    for i, line in enumerate(lines):
        m = re.search(TS + r' softdog: Initiating system reboot', line)
        if m:
            reset_at = int(m.group(1)) * 10**9 + int(m.group(2)) * 1000
            break
        m = re.search(TS + r' XHCLOCK (\d+) (\d+)', line)
        if m:
            k = int(m.group(1)) * 10**9 + int(m.group(2)) * 1000
            marks.append((int(m.group(3)), k, int(m.group(4))))
        m = re.search(r'XHCLOCKA (\d+) (\d+)', line)
        if m:
            after[int(m.group(1))] = int(m.group(2))
    if done:
        return fail('the VM was not reset (it printed DMTEST DONE)')
    if reset_at is None:
        return fail('the VM ended without the softdog reset')
    marks = [(n, k, b0, after[n]) for n, k, b0 in marks if n in after]
    if not marks:
        return fail('no clock calibration mark before the reset')
    deadlines = re.findall(r'^DMTEST DEADLINE %s (\d+)' % re.escape(name),
                           text, re.M)
    if not deadlines:
        return fail('no deadline announced')
    d = int(deadlines[-1])
    n, k, b0, b1 = marks[-1]
    reset = reset_at - (k - b1) + 1000
    offs = [k_ - b1_ for _, k_, _, b1_ in marks]
    margin = d - reset
    print('  | %s: softdog reset at %.3f s (CLOCK_BOOTTIME, +0/-%.3f ms '
          'from calibration mark %d; offsets over %d marks spread %.3f ms)'
          % (name, reset / 1e9, (b1 - b0) / 1e6, n, len(marks),
             (max(offs) - min(offs)) / 1e6))
    print('  | %s: %d ms before the lease deadline (valid-until), so at '
          'least %d ms before host 2 could take over (deadline + T/4, '
          'T = %d s)' % (name, margin // 10**6,
                         (margin + timeout_s * 250 * 10**6) // 10**6,
                         timeout_s))
    bad = 0
    if margin <= 0:
        bad = fail('reset %d ms AFTER the deadline' % (-margin // 10**6))
    for t in re.findall(r'^HOST2 %s acquired (\d+)' % re.escape(name),
                        text, re.M):
        if int(t) < reset:
            bad = fail('host 2 acquired the lease at %s, before the reset'
                       % t)
    w0 = re.findall(r'^WITNESS0 %s (\d+) (\d+)' % re.escape(name), text,
                    re.M)
    ws = re.findall(r'^WITNESS %s (\d+) (\d+)' % re.escape(name), text,
                    re.M)
    if not w0 and want_witness:
        bad = fail('no witness reading at the fence')
    elif w0:
        seen = [s for s, _ in ws if s != w0[-1][0]]
        print('  | %s: witness: last record seq %s at the fence, unchanged '
              'in %d readings until the reset' % (name, w0[-1][0], len(ws)))
        if seen:
            bad = fail('a guest write landed after the fence started: '
                       'record %s' % seen[0])
    if not bad:
        print('PASS dm/%s' % name)
    return int(bad or failed)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
