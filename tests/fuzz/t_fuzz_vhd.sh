#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the libFuzzer target over the VHD metadata parser (in-memory image,
# the state machine the O_DIRECT reader drives) for a bounded time
# (XH_FUZZ_SECONDS, default 60) from the seed corpus tests/fuzz/corpus/vhd:
# small valid images of every kind (qemu-img dynamic and fixed, writer
# dynamic, batmap, differencing) and a few damaged ones. Fails on any
# crash, sanitizer report, timeout or violated parser property; new inputs
# go to a scratch corpus, never into the repository. It runs in the fuzz
# area's side lane, beside the other two targets (one core each).
# xh-lane: side
set -u
. "$(dirname "$0")/lib.sh"

# -max_len: the seeds are at most 36 KiB; 64 KiB leaves room to grow
# tables and locators without spending the time budget on huge copies.
xh_run_fuzzer fuzz_vhd "$top/tests/fuzz/corpus/vhd" 65536
