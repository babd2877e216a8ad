// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Strict parsers for guest-writable and request-tree xenstore values:
 * tables of exact accepts and of the hostile spellings that must be
 * rejected (signs, spaces, leading zeros, trailing junk, NULs, overlong).
 */
#include <string.h>

#include "t_helpers.h"
#include "daemon/xsd_parse.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_numbers(void)
{
	static const char *const bad[] = {
		"", "+1", "-1", " 1", "1 ", "01", "00", "1x", "0x10", "1e3",
		"4294967296", "99999999999999999999999",
	};
	uint32_t u;
	uint64_t n;
	const char *why = NULL;

	T_ASSERT(!xsd_parse_u32(S("0"), 10, &u, &why) && u == 0, "0");
	T_ASSERT(!xsd_parse_u32(S("4294967295"), UINT32_MAX, &u, &why) &&
		 u == UINT32_MAX, "u32 max");
	T_ASSERT(!xsd_parse_u64(S("18446744073709551615"), UINT64_MAX, &n,
				&why) && n == UINT64_MAX, "u64 max");
	T_ASSERT(xsd_parse_u64(S("18446744073709551616"), UINT64_MAX, &n,
			       &why), "u64 overflow accepted");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		T_ASSERT(xsd_parse_u32(bad[i], strlen(bad[i]), UINT32_MAX, &u,
				       &why) && why, "accepted '%s'", bad[i]);
	}
	T_ASSERT(xsd_parse_u32("1\0", 2, 10, &u, &why), "embedded NUL");
	T_ASSERT(xsd_parse_u32(S("11"), 10, &u, &why), "above max");
}

static void test_frontend_keys(void)
{
	enum xsd_drain_state st;
	uint32_t n;
	uint64_t us;
	unsigned int xb;
	bool on;
	const char *why;
	char big[4096];

	memset(big, '1', sizeof(big));
	T_ASSERT(!xsd_parse_feature_drain(S("1"), &on, &why) && on, "fd 1");
	T_ASSERT(!xsd_parse_feature_drain(S("0"), &on, &why) && !on, "fd 0");
	T_ASSERT(xsd_parse_feature_drain(S("yes"), &on, &why), "fd yes");
	T_ASSERT(xsd_parse_feature_drain(S("1\n"), &on, &why), "fd 1\\n");
	T_ASSERT(xsd_parse_feature_drain(S("11"), &on, &why), "fd 11");
	T_ASSERT(xsd_parse_feature_drain(big, sizeof(big), &on, &why),
		 "fd oversized");

	T_ASSERT(!xsd_parse_drain_state(S("drained"), &st, &why) &&
		 st == XSD_DRAIN_DRAINED, "drained");
	T_ASSERT(!xsd_parse_drain_state(S("timeout"), &st, &why) &&
		 st == XSD_DRAIN_TIMEOUT, "timeout");
	T_ASSERT(xsd_parse_drain_state(S("Drained"), &st, &why), "case");
	T_ASSERT(xsd_parse_drain_state(S("drained "), &st, &why), "space");
	T_ASSERT(xsd_parse_drain_state("drained\0x", 9, &st, &why), "NUL");
	T_ASSERT(xsd_parse_drain_state(S("drain"), &st, &why), "prefix");
	T_ASSERT(xsd_parse_drain_state(big, sizeof(big), &st, &why), "big");

	T_ASSERT(!xsd_parse_drain_inflight(S("32"), &n, &why) && n == 32,
		 "inflight 32");
	T_ASSERT(xsd_parse_drain_inflight(S("65537"), &n, &why), "inflight max");
	T_ASSERT(xsd_parse_drain_inflight(S("-1"), &n, &why), "inflight -1");
	T_ASSERT(!xsd_parse_drain_usecs(S("3600000000"), &us, &why),
		 "usecs max");
	T_ASSERT(xsd_parse_drain_usecs(S("3600000001"), &us, &why),
		 "usecs above max");
	T_ASSERT(xsd_parse_drain_usecs(S("123456789012345678901"), &us, &why),
		 "usecs 21 digits");

	for (char c = '0'; c <= '8'; c++)
		T_ASSERT(!xsd_parse_xenbus_state(&c, 1, &xb, &why) &&
			 xb == (unsigned int)(c - '0'), "state %c", c);
	T_ASSERT(xsd_parse_xenbus_state(S("9"), &xb, &why), "state 9");
	T_ASSERT(xsd_parse_xenbus_state(S("04"), &xb, &why), "state 04");
	T_ASSERT(xsd_parse_xenbus_state(S(""), &xb, &why), "state empty");
}

static void test_names(void)
{
	static const char *const bad_vdi[] = {
		"", ".", "..", "-a", "_a", "a.b", "a/b", "../etc", "a b", "a\n",
		"a*", "a%s", "0123456789012345678901234567890123456789"
		"0123456789012345678901234",
	};
	uint32_t d;
	const char *why;

	T_ASSERT(!xsd_parse_vdi_name(S("vm1-disk0_vhd-A"), &why), "vdi ok");
	T_ASSERT(!xsd_parse_vdi_name(S("0"), &why), "vdi 0");
	for (size_t i = 0; i < sizeof(bad_vdi) / sizeof(bad_vdi[0]); i++)
		T_ASSERT(xsd_parse_vdi_name(bad_vdi[i], strlen(bad_vdi[i]),
					    &why), "vdi '%s'", bad_vdi[i]);
	T_ASSERT(xsd_parse_vdi_name("ab\0c", 4, &why), "vdi NUL");

	T_ASSERT(!xsd_parse_domid(S("32751"), false, &d, &why) && d == 32751,
		 "domid max");
	T_ASSERT(xsd_parse_domid(S("32752"), false, &d, &why), "DOMID_IO..");
	T_ASSERT(xsd_parse_domid(S("0"), false, &d, &why), "dom0 as guest");
	T_ASSERT(!xsd_parse_domid(S("0"), true, &d, &why), "dom0 allowed");
	T_ASSERT(!xsd_parse_devid(S("51712"), &d, &why) && d == 51712, "dev");
	T_ASSERT(xsd_parse_devid(S("2147483648"), &d, &why), "devid max");
}

static void test_requests(void)
{
	static const char *const bad[] = {
		"", "activate", "0 activate", "1  activate", "1 activate ",
		" 1 activate", "1 Activate", "1 activate wait=", "1 activate wait=x",
		"1 activate wait=3601", "1 deactivate timeout=0",
		"1 activate force", "1 reactivate", "1 deactivate version=3",
		"1 activate wait=1 wait=2", "1 activate backend=0/1",
		"1 activate backend=1", "1 activate backend=1/x",
		"1 activate path=/etc/passwd", "1 status\n",
		"9223372036854775808 status",
	};
	struct xsd_request r;
	const char *why;
	char buf[300];
	int n;

	T_ASSERT(!xsd_parse_request(S("7 activate wait=30 version=4"), &r,
				    &why), "activate: %s", why);
	T_ASSERT(r.id == 7 && r.op == XSD_OP_ACTIVATE && r.has_wait &&
		 r.wait_s == 30 && r.has_version && r.version == 4, "fields");
	T_ASSERT(!xsd_parse_request(S("8 reactivate version=5 force "
				      "backend=3/51712"), &r, &why), "react");
	T_ASSERT(r.force && r.has_backend && r.be_domid == 3 &&
		 r.be_devid == 51712, "react fields");
	n = xsd_format_request(&r, buf, sizeof(buf));
	T_ASSERT(n > 0 && !strcmp(buf, "8 reactivate version=5 backend=3/51712"
				  " force"), "format: %s", buf);
	T_ASSERT(!xsd_parse_request(S("1 reactivate force"), &r, &why),
		 "force without version");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		T_ASSERT(xsd_parse_request(bad[i], strlen(bad[i]), &r, &why) &&
			 why, "accepted '%s'", bad[i]);
	}
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "1 status ", 9);
	T_ASSERT(xsd_parse_request(buf, sizeof(buf), &r, &why), "oversized");
}

/* The daemon's answers, formatted and read back by its client. */
static void test_results(void)
{
	static const char *const bad[] = {
		"", "ok", "1", "1 ", "1 ok ", "1  ok", "1 okay", "1 error",
		"1 error 0", "1 error 256", "1 error 04", "1 error 4 5",
		"01 ok", "-1 ok", "9223372036854775808 ok", "1 ok\n",
	};
	char buf[XSD_RESULT_MAX + 1];
	const char *why;
	uint64_t id;
	int code, n;

	n = xsd_format_result(INT64_MAX, 255, buf, sizeof(buf));
	T_ASSERT(n > 0 && !strcmp(buf, "9223372036854775807 error 255"),
		 "longest result: %s", buf);
	T_ASSERT(!xsd_parse_result(buf, (size_t)n, &id, &code, &why) &&
		 id == INT64_MAX && code == 255, "round trip");
	n = xsd_format_result(12, 0, buf, sizeof(buf));
	T_ASSERT(!xsd_parse_result(buf, (size_t)n, &id, &code, &why) &&
		 id == 12 && code == 0, "ok: %s", buf);
	T_ASSERT(xsd_format_result(12, 43, buf, 5) < 0, "truncated format");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		T_ASSERT(xsd_parse_result(bad[i], strlen(bad[i]), &id, &code,
					  &why) && why, "accepted '%s'", bad[i]);
	}
}

int main(void)
{
	test_numbers();
	test_frontend_keys();
	test_names();
	test_requests();
	test_results();
	return T_EXIT_PASS;
}
