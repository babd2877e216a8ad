/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* CRC32C (Castagnoli), as iSCSI/ext4 use it: hardware when the CPU has it. */
#ifndef TAPDISK_ACTIVATE_LEASE_CRC32C_H
#define TAPDISK_ACTIVATE_LEASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C of @len bytes (initial value ~0, final xor ~0). */
uint32_t lease_crc32c(const void *buf, size_t len);

/* Table-driven version (the reference the hardware one is tested against). */
uint32_t lease_crc32c_portable(const void *buf, size_t len);

#endif /* TAPDISK_ACTIVATE_LEASE_CRC32C_H */
