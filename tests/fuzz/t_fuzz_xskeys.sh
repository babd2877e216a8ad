#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the libFuzzer target over tapdisk-activated's xenstore key parsers
# for a bounded time (XH_FUZZ_SECONDS, default 60) starting from the seed
# corpus in tests/fuzz/corpus/xskeys. Fails on any crash, sanitizer report
# or violated parser property; new inputs go to a scratch corpus, never
# into the repository.
set -u
. "$(dirname "$0")/lib.sh"

# -max_len: the parsers reject anything past 257 bytes; a little more
# exercises the length checks without wasting time on huge inputs.
xh_run_fuzzer fuzz_xskeys "$top/tests/fuzz/corpus/xskeys" 320
