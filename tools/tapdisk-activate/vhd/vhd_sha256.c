// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * SHA-256 for the metadata fingerprint, from nettle (libnettle): the one
 * file that names the library, so another one (libcrypto) would only touch
 * this file and the Makefile. Debian's nettle is a "fat" build that picks
 * its SHA-256 at load time by CPUID: the x86 SHA extensions (SHA-NI) where
 * the CPU has them, its generic x86-64 code elsewhere (NETTLE_FAT_OVERRIDE
 * =none forces the latter; tests/vhd/t_sha256_ni checks that both give the
 * same digests and fingerprints).
 */
#include "vhd_parser.h"

void vhd_sha256_init(struct vhd_sha256 *s)
{
	sha256_init(&s->ctx);
}

void vhd_sha256_update(struct vhd_sha256 *s, const void *data, size_t len)
{
	sha256_update(&s->ctx, len, data);
}

void vhd_sha256_final(struct vhd_sha256 *s, uint8_t digest[32])
{
	sha256_digest(&s->ctx, SHA256_DIGEST_SIZE, digest);
}
