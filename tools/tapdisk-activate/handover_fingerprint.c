// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * handover_fingerprint: vhd_fingerprint() with SHA-NI (see the header).
 * Streaming SHA-256 (FIPS 180-4) whose block function uses the x86 SHA
 * extensions; only built for x86-64, only run when CPUID says so.
 */
#include "handover_fingerprint.h"

#include <errno.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI_BUILD 1
#else
#define HAVE_SHA_NI_BUILD 0
#endif

#define FP_FOOTER	512u
#define FP_HEADER	1024u
#define FP_SECTOR	512u
#define FP_BAT_ENTRY	4u

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	size_t fill;
	uint64_t total;
};

#if HAVE_SHA_NI_BUILD
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Compresses @n 64-byte blocks into @h. */
__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
					     0x0405060700010203ULL);
	__m128i s0, s1, tmp, msg, w[4], abef, cdgh;

	/* h[0..7] = a..h  ->  ABEF / CDGH lane order of the instructions. */
	tmp = _mm_loadu_si128((const __m128i *)&h[0]);
	s1 = _mm_loadu_si128((const __m128i *)&h[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xb1);
	s1 = _mm_shuffle_epi32(s1, 0x1b);
	s0 = _mm_alignr_epi8(tmp, s1, 8);
	s1 = _mm_blend_epi16(s1, tmp, 0xf0);

	for (; n; n--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (int i = 0; i < 16; i++) {
			__m128i *cur = &w[i & 3];

			if (i < 4) {
				*cur = _mm_shuffle_epi8(_mm_loadu_si128(
					(const __m128i *)(p + 16 * i)), bswap);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
				__m128i x = _mm_sha256msg1_epu32(w[i & 3],
								 w[(i + 1) & 3]);

				x = _mm_add_epi32(x, _mm_alignr_epi8(
					w[(i + 3) & 3], w[(i + 2) & 3], 4));
				*cur = _mm_sha256msg2_epu32(x, w[(i + 3) & 3]);
			}
			msg = _mm_add_epi32(*cur, _mm_loadu_si128(
				(const __m128i *)&sha256_k[4 * i]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0e);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}

	tmp = _mm_shuffle_epi32(s0, 0x1b);
	s1 = _mm_shuffle_epi32(s1, 0xb1);
	s0 = _mm_blend_epi16(tmp, s1, 0xf0);
	s1 = _mm_alignr_epi8(s1, tmp, 8);
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}
#endif

bool handover_sha256_accelerated(void)
{
#if HAVE_SHA_NI_BUILD
	/* CPUID directly: not every compiler knows "sha" as a feature name. */
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    !(c & (1u << 19)) || !(c & (1u << 9)))	/* SSE4.1, SSSE3 */
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return b & (1u << 29);				/* SHA */
#else
	return false;
#endif
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->fill = 0;
	s->total = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
#if HAVE_SHA_NI_BUILD
	const uint8_t *p = data;

	s->total += len;
	if (s->fill) {
		size_t take = 64 - s->fill < len ? 64 - s->fill : len;

		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		len -= take;
		if (s->fill < 64)
			return;
		sha256_blocks(s->h, s->buf, 1);
		s->fill = 0;
	}
	if (len >= 64) {
		sha256_blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(s->buf, p, len);
	s->fill = len;
#else
	(void)s;
	(void)data;
	(void)len;
#endif
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->total * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void handover_sha256(const void *data, size_t len, uint8_t digest[32])
{
	struct sha256 s;

	sha_init(&s);
	sha_update(&s, data, len);
	sha_final(&s, digest);
}

/* One tagged part, framed exactly as vhd_fingerprint() frames it. */
static void part(struct sha256 *s, char tag, const uint8_t *p, uint64_t len)
{
	uint8_t hdr[9];

	hdr[0] = (uint8_t)tag;
	for (int i = 0; i < 8; i++)
		hdr[1 + i] = (uint8_t)((p ? len : 0) >> (56 - 8 * i));
	sha_update(s, hdr, sizeof(hdr));
	if (p)
		sha_update(s, p, len);
}

int handover_fingerprint(const struct vhd_info *vi, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256 s;
	uint8_t d[32];

	if (!handover_sha256_accelerated())
		return vhd_fingerprint(vi, out);
	out[0] = '\0';
	if (!vi->raw_footer)
		return -EINVAL;
	sha_init(&s);
	sha_update(&s, "xh-vhd-fp-1", 11);
	part(&s, 'F', vi->raw_footer, FP_FOOTER);
	part(&s, 'H', vi->raw_header, FP_HEADER);
	part(&s, 'B', vi->raw_bat,
	     (uint64_t)vi->max_table_entries * FP_BAT_ENTRY);
	part(&s, 'm', vi->raw_batmap_header, FP_SECTOR);
	part(&s, 'M', vi->raw_batmap, (uint64_t)vi->batmap_sectors * FP_SECTOR);
	sha_final(&s, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
	return 0;
}
