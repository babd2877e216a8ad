// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target over the xenstore key parsers of tapdisk-activated.
 * First input byte picks the parser, the rest is the value as xs_read()
 * would return it (any bytes, NULs included). Besides memory safety it
 * checks properties an accepted value must have, so a parser that lets
 * junk through fails here:
 *  - numbers: the canonical decimal of the result is the input itself;
 *  - enumerations: the input is one of the exact spellings;
 *  - VDI names: only [A-Za-z0-9_-], first alphanumeric, length bounded;
 *  - requests: formatting and re-parsing gives the same request.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-handover/xenstore-keys.h"
#include "daemon/xsd_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "property failed: %s\n", #c);	\
			abort();					\
		}							\
	} while (0)

static void same_decimal(const char *v, size_t len, uint64_t n)
{
	char buf[24];
	int l = snprintf(buf, sizeof(buf), "%" PRIu64, n);

	CHECK(l > 0 && (size_t)l == len && !memcmp(buf, v, len));
}

static bool same_request(const struct xsd_request *a,
			 const struct xsd_request *b)
{
	return a->id == b->id && a->op == b->op &&
	       a->has_version == b->has_version && a->version == b->version &&
	       a->has_wait == b->has_wait && a->wait_s == b->wait_s &&
	       a->has_timeout == b->has_timeout &&
	       a->timeout_s == b->timeout_s &&
	       a->has_backend == b->has_backend &&
	       a->be_domid == b->be_domid && a->be_devid == b->be_devid &&
	       a->force == b->force;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	const char *v;
	size_t len;
	char *copy;

	if (size < 1)
		return 0;
	len = size - 1;
	/* An exact-size heap copy, so ASan sees any read past the value. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, len);
	v = copy;

	switch (data[0] % 8) {
	case 0: {
		bool on;

		if (!xsd_parse_feature_drain(v, len, &on, &why))
			CHECK(len == 1 && v[0] == (on ? '1' : '0'));
		break;
	}
	case 1: {
		enum xsd_drain_state st;

		if (!xsd_parse_drain_state(v, len, &st, &why)) {
			const char *s = st == XSD_DRAIN_DRAINED ?
				XH_DRAIN_STATE_DRAINED :
				st == XSD_DRAIN_TIMEOUT ?
				XH_DRAIN_STATE_TIMEOUT : "error";
			CHECK(len == strlen(s) && !memcmp(v, s, len));
		}
		break;
	}
	case 2: {
		uint32_t n;

		if (!xsd_parse_drain_inflight(v, len, &n, &why)) {
			CHECK(n <= XSD_DRAIN_INFLIGHT_MAX);
			same_decimal(v, len, n);
		}
		break;
	}
	case 3: {
		uint64_t n;

		if (!xsd_parse_drain_usecs(v, len, &n, &why)) {
			CHECK(n <= XSD_DRAIN_USECS_MAX);
			same_decimal(v, len, n);
		}
		break;
	}
	case 4: {
		unsigned int st;

		if (!xsd_parse_xenbus_state(v, len, &st, &why)) {
			CHECK(st <= 8);
			same_decimal(v, len, st);
		}
		break;
	}
	case 5: {
		uint32_t d;

		if (!xsd_parse_domid(v, len, data[0] & 0x80, &d, &why)) {
			CHECK(d < XSD_DOMID_LIMIT);
			same_decimal(v, len, d);
		}
		if (!xsd_parse_devid(v, len, &d, &why))
			same_decimal(v, len, d);
		break;
	}
	case 6:
		if (!xsd_parse_vdi_name(v, len, &why)) {
			CHECK(len >= 1 && len <= XSD_VDI_NAME_MAX);
			CHECK(strchr("abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
				     v[0]) && v[0]);
			for (size_t i = 0; i < len; i++)
				CHECK(v[i] && strchr("abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
					v[i]));
		}
		break;
	default: {
		struct xsd_request r, r2;
		char buf[XSD_REQUEST_MAX + 64];
		int n;

		if (!xsd_parse_request(v, len, &r, &why)) {
			n = xsd_format_request(&r, buf, sizeof(buf));
			CHECK(n > 0);
			CHECK(!xsd_parse_request(buf, (size_t)n, &r2, &why));
			CHECK(same_request(&r, &r2));
			CHECK(r.id > 0 && r.op >= XSD_OP_ACTIVATE &&
			      r.op <= XSD_OP_STATUS);
		}
		break;
	}
	}
	free(copy);
	return 0;
}
