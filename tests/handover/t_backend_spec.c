// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * --backend SPEC parsing: every accepted form, and hostile or malformed
 * specs refused with a message (never a half-filled backend). Options are
 * a comma list with no empty element (a leading, doubled or trailing
 * comma is a typo, not "no option"), none repeated, values bounded.
 */
#include <errno.h>
#include <string.h>

#include "backend/backend.h"
#include "t_helpers.h"

static void ok(const char *spec, struct backend *b)
{
	char err[256] = "";

	T_ASSERT(backend_parse(spec, b, err, sizeof(err)) == 0, "%s: %s", spec,
		 err);
}

static void refused(const char *spec)
{
	struct backend b;
	char err[256] = "";

	T_ASSERT(backend_parse(spec, &b, err, sizeof(err)) == -EINVAL,
		 "%s accepted", spec);
	T_ASSERT(strstr(err, "bad backend spec"), "%s: message '%s'", spec,
		 err);
}

int main(void)
{
	struct backend b;
	char err[256];

	setenv("TAPDISK_ACTIVATE_CONTROL_DIR", "/var/tmp/ctl", 1);
	ok("tapdisk:1234:5", &b);
	T_ASSERT(b.kind == BACKEND_TAPDISK && b.pid == 1234 && b.minor == 5 &&
		 !strcmp(b.sock, "/var/tmp/ctl/ctl1234") &&
		 !strcmp(b.image_type, "vhd") && !b.no_o_direct, "tapdisk");
	ok("tapdisk:1:0,type=aio,no-o-direct", &b);
	T_ASSERT(!strcmp(b.image_type, "aio") && b.no_o_direct, "options");
	ok("dm:vg0-vdi1", &b);
	T_ASSERT(b.kind == BACKEND_DM && !strcmp(b.dm_name, "vg0-vdi1"), "dm");
	ok("qdisk,direct-io-safe", &b);
	T_ASSERT(b.kind == BACKEND_QDISK && b.direct_io_safe, "qdisk");
	ok("none", &b);
	T_ASSERT(b.kind == BACKEND_NONE, "none");

	refused("");
	refused("tapdisk");
	refused("tapdisk:12");
	refused("tapdisk:0:1");
	refused("tapdisk:-5:1");
	refused("tapdisk:12:65535");
	refused("tapdisk:12x:1");
	refused("tapdisk:1:1,type=../x");
	refused("tapdisk:1:1,bogus");
	refused("dm:");
	refused("dm:../../dev/sda");
	refused("qdisk,no-o-direct");
	refused("none,direct-io-safe");
	refused("nbd:foo");

	/* Option lists: empty elements, repeats, over-long values. */
	refused("tapdisk:1:1,");
	refused("tapdisk:1:1,,no-o-direct");
	refused("tapdisk:1:1,no-o-direct,");
	refused("tapdisk:1:1,no-o-direct,,type=aio");
	refused("qdisk,");
	refused("qdisk,,direct-io-safe");
	refused("none,");
	refused("dm:x,");
	refused(",");
	refused("tapdisk:1:1,no-o-direct,no-o-direct");
	refused("tapdisk:1:1,type=aio,type=vhd");
	refused("tapdisk:1:1,type=");
	refused("tapdisk:1:1,type");
	refused("tapdisk:1:1,type=aio,");
	refused("tapdisk:1:1,type=abcdefghijklmnop");	/* 16 > 15 */
	ok("tapdisk:1:1,type=abcdefghijklmno", &b);	/* 15 fits */
	T_ASSERT(!strcmp(b.image_type, "abcdefghijklmno"), "longest type");
	refused("tapdisk:1:1,no-o-directX");
	refused("tapdisk:1:1,NO-O-DIRECT");
	ok("tapdisk:1:1,no-o-direct,type=ram", &b);
	T_ASSERT(b.no_o_direct && !strcmp(b.image_type, "ram"), "order");
	{
		/* A spec at the length limit with a huge option value. */
		char big[BACKEND_SPEC_MAX + 8];

		snprintf(big, sizeof(big), "tapdisk:1:1,type=");
		memset(big + strlen(big), 'a', BACKEND_SPEC_MAX - 1 -
		       strlen(big));
		big[BACKEND_SPEC_MAX - 1] = '\0';
		refused(big);
		big[BACKEND_SPEC_MAX - 1] = 'a';
		big[BACKEND_SPEC_MAX] = '\0';
		refused(big);	/* one over the spec limit */
	}
	/* The parser keeps no state between calls (it used strtok). */
	ok("tapdisk:1:1,type=aio,no-o-direct", &b);
	ok("qdisk,direct-io-safe", &b);
	T_ASSERT(b.kind == BACKEND_QDISK && b.direct_io_safe &&
		 !b.no_o_direct, "second parse independent");

	/* qdisk can be checked but not driven. */
	ok("qdisk", &b);
	T_ASSERT(backend_pause(&b, 100, err, sizeof(err)) ==
		 BACKEND_UNSUPPORTED, "qdisk pause");
	/* dm without device-mapper (or without that device): unreachable. */
	ok("dm:xh-no-such-device", &b);
	T_ASSERT(backend_pause(&b, 2000, err, sizeof(err)) ==
		 BACKEND_UNREACHABLE, "dm missing: %s", err);
	return T_EXIT_PASS;
}
