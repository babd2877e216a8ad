#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# No function of the dom0 tools (tools/tapdisk-activate) or of the guest
# module (drivers/block/xen-blkfront-drain) is longer than 100 lines
# unless the comment right above it says why, starting "Over 100 lines"
# (Documentation/design.rst, "Code rules"). A function is counted from
# its opening brace in column 0 to its closing one; the reason must lie
# in the comment block that ends where the definition begins.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
limit=${XH_FUNC_LIMIT:-100}

python3 - "$top" "$limit" <<'PY'
import glob, os, re, sys

top, limit = sys.argv[1], int(sys.argv[2])
files = sorted(glob.glob(os.path.join(top, 'tools/tapdisk-activate/**/*.c'), recursive=True) +
               glob.glob(os.path.join(top, 'drivers/block/xen-blkfront-drain/*.c')))
if not files:
    print('no source files found under', top)
    sys.exit(1)
bad = counted = 0
for path in files:
    lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
    i = 0
    while i < len(lines):
        if lines[i] != '{':
            i += 1
            continue
        # The definition's first line: walk up over the signature.
        j = i - 1
        while j > 0 and lines[j - 1].strip() and not lines[j - 1].startswith(('}', '#', '/*', ' *', '//')) \
                and not lines[j - 1].rstrip().endswith((';', '*/')):
            j -= 1
        k = i + 1
        while k < len(lines) and lines[k] != '}':
            k += 1
        n = k - i + 1
        counted += 1
        if n > limit:
            m = re.search(r'(\w+)\s*\(', ' '.join(lines[j:i]))
            name = m.group(1) if m else lines[j].strip()
            # The comment block right above the definition.
            c = j - 1
            block = []
            while c >= 0 and lines[c].startswith(('/*', ' *', '//')):
                block.insert(0, lines[c])
                c -= 1
            if not re.search(r'Over %d lines' % limit, ' '.join(block)):
                print('%s:%d: %s() is %d lines with no "Over %d lines" reason above it'
                      % (os.path.relpath(path, top), j + 1, name, n, limit))
                bad += 1
        i = k + 1
if counted < 100:
    print('only %d functions found: the scan is broken' % counted)
    sys.exit(1)
sys.exit(1 if bad else 0)
PY
