// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Text fields of VHD metadata: the parent name (UTF-16BE in the header),
 * locator paths (UTF-16LE for W2ku/W2ru, UTF-8 URLs for MacX) and uuids.
 * Decoders refuse malformed input instead of guessing: a name that cannot
 * be decoded cannot be matched against a parent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "vhd_parser.h"

static bool put_utf8(uint32_t cp, char *out, size_t out_len, size_t *pos)
{
	uint8_t tmp[4];
	size_t n, i;

	if (cp < 0x80) {
		tmp[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (uint8_t)(0xC0 | (cp >> 6));
		tmp[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (uint8_t)(0xE0 | (cp >> 12));
		tmp[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		tmp[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		tmp[0] = (uint8_t)(0xF0 | (cp >> 18));
		tmp[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
		tmp[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		tmp[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	/* Cut at a character boundary, always leaving room for the NUL. */
	if (*pos + n >= out_len)
		return false;
	for (i = 0; i < n; i++)
		out[(*pos)++] = (char)tmp[i];
	return true;
}

bool vhd_utf16_to_utf8(const uint8_t *in, size_t in_len, bool big_endian,
		       char *out, size_t out_len)
{
	size_t i, pos = 0;

	if (!out_len)
		return false;
	out[0] = 0;
	for (i = 0; i + 1 < in_len; i += 2) {
		uint32_t u = big_endian ? (uint32_t)(in[i] << 8 | in[i + 1]) :
					  (uint32_t)(in[i + 1] << 8 | in[i]);

		if (!u)
			break;		/* NUL-terminated inside the field */
		if (u >= 0xD800 && u < 0xDC00) {
			uint32_t lo;

			if (i + 3 >= in_len)
				return false;
			lo = big_endian ? (uint32_t)(in[i + 2] << 8 | in[i + 3]) :
					  (uint32_t)(in[i + 3] << 8 | in[i + 2]);
			if (lo < 0xDC00 || lo > 0xDFFF)
				return false;
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i += 2;
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			return false;	/* lone low surrogate */
		}
		if (!put_utf8(u, out, out_len, &pos))
			break;
	}
	out[pos] = 0;
	return true;
}

bool vhd_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t n, k;

		if (!c)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and out-of-range values. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

void vhd_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

void vhd_time_format(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%" PRId64, t);
}
