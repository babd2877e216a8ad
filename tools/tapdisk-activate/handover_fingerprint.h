/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * handover_fingerprint: the VHD engine's metadata fingerprint
 * (vhd_fingerprint(), SHA-256 over footer, header, BAT and batmap), computed
 * with the CPU's SHA extensions when it has them.
 *
 * Adapter, not a new format: the digest is byte-for-byte the engine's (a
 * test compares them), so records, `inspect --fingerprint` and the daemon
 * agree. Why: a handover hashes the 4 MiB BAT of a 2 TiB image twice (source
 * and destination); the portable SHA-256 spends ~20 ms per hash there,
 * SHA-NI ~2 ms. Without SHA-NI this calls vhd_fingerprint().
 */
#ifndef TAPDISK_ACTIVATE_HANDOVER_FINGERPRINT_H
#define TAPDISK_ACTIVATE_HANDOVER_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhd.h"

/* Same contract as vhd_fingerprint(): 0, or -EINVAL without a footer. */
int handover_fingerprint(const struct vhd_info *vi, char out[65]);

/* Plain SHA-256 of @len bytes (exposed for the known-answer test). */
void handover_sha256(const void *data, size_t len, uint8_t digest[32]);

/* Whether the SHA-NI path is in use on this CPU. */
bool handover_sha256_accelerated(void);

#endif /* TAPDISK_ACTIVATE_HANDOVER_FINGERPRINT_H */
