// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The handover's report on the wire (handover/handover_wire.h): what
 * tapdisk-activate --json prints for a handover (handover_print) decodes
 * back, field for field, into the struct handover_outcome tapdisk-activated
 * acts on; names elsewhere in the report (a "token" member of another
 * object, a key inside a string) are not taken for the lease's; escapes
 * come back as the bytes they stand for; and a report that is no JSON, or
 * not of the report's shape, is refused with a reason instead of being
 * half read.
 */
#include <stdint.h>
#include <string.h>

#include "common/json.h"
#include "handover/handover.h"
#include "handover/handover_wire.h"
#include "t_helpers.h"

static char text[HO_WIRE_TEXT_MAX + 64];

/* handover_print's JSON of @r into text[]. */
static size_t print_report(const struct handover_result *r)
{
	struct handover_opts o = { .vdi = "/srv/vm \"token\": \"x\".vhd",
				   .host_id = 7 };
	FILE *f = fmemopen(text, sizeof(text), "w");

	T_ASSERT(f, "fmemopen");
	snprintf(o.backend.spec, sizeof(o.backend.spec), "%s",
		 "dm:\"lease\":{\"token\":\"no\"}");
	o.backend.kind = BACKEND_DM;
	handover_print(f, &o, r, true);
	T_ASSERT(!ferror(f), "report fits");
	fclose(f);
	return strlen(text);
}

static void decode_ok(size_t len, struct handover_outcome *out)
{
	char err[160];

	T_ASSERT(!handover_outcome_decode(text, len, out, err, sizeof(err)),
		 "decode: %s\n%s", err, text);
}

static void refused(const char *report, const char *why)
{
	struct handover_outcome out;
	char err[160] = "";

	T_ASSERT(handover_outcome_decode(report, strlen(report), &out, err,
					 sizeof(err)), "accepted: %s", report);
	T_ASSERT(strstr(err, why), "'%s': reason '%s', wanted '%s'", report,
		 err, why);
}

static void test_round_trip(void)
{
	static struct handover_result r;
	struct handover_outcome out;

	/* activate: version, token, deadline; decoys in vdi, backend and
	 * warning */
	memset(&r, 0, sizeof(r));
	r.op = "activate";
	r.lease_held = true;
	r.has_version = true;
	r.version = UINT64_MAX;
	r.valid_until_ns = 123456789012345ull;
	snprintf(r.token, sizeof(r.token), "ho:tapdisk-minor:3");
	snprintf(r.warning, sizeof(r.warning),
		 "{\"token\": \"warning\", \"message\": \"no\"}");
	decode_ok(print_report(&r), &out);
	T_ASSERT(!strcmp(out.command, "activate") && out.exit_code == 0 &&
		 !out.step[0] && !out.message[0], "activate: %s", text);
	T_ASSERT(out.has_lease && out.lease_held && out.has_version &&
		 out.version == UINT64_MAX, "version: %s", text);
	T_ASSERT(!strcmp(out.token, "ho:tapdisk-minor:3"), "token '%s'",
		 out.token);
	T_ASSERT(out.valid_until_ns == 123456789012345ull, "deadline");

	/* deactivate failed: the message with quotes, a tab, a control
	 * byte, a byte that is not UTF-8 and a UTF-8 character. */
	memset(&r, 0, sizeof(r));
	r.op = "deactivate";
	r.exit_code = 21;
	r.lease_held = true;
	snprintf(r.failed_step, sizeof(r.failed_step), "pause");
	snprintf(r.message, sizeof(r.message),
		 "\"dm\"\tdid not\x01 pause \xff in 5 s \xc3\xa9");
	decode_ok(print_report(&r), &out);
	T_ASSERT(out.exit_code == 21 && !strcmp(out.step, "pause") &&
		 !strcmp(out.message, r.message), "message '%s'\n%s",
		 out.message, text);
	T_ASSERT(!out.has_version && !out.token[0] && !out.valid_until_ns,
		 "nothing else: %s", text);

	/* deactivate done: released_version; a message as long as any */
	memset(&r, 0, sizeof(r));
	r.op = "deactivate";
	r.has_version = true;
	r.version = 17;
	decode_ok(print_report(&r), &out);
	T_ASSERT(out.has_version && out.version == 17 && !out.lease_held,
		 "released: %s", text);
	r.exit_code = 14;
	memset(r.message, 'm', sizeof(r.message) - 1);
	decode_ok(print_report(&r), &out);
	T_ASSERT(strlen(out.message) == sizeof(r.message) - 1, "long message");

	/* check-migrate: no lease object */
	memset(&r, 0, sizeof(r));
	r.op = "check-migrate";
	decode_ok(print_report(&r), &out);
	T_ASSERT(!out.has_lease && !out.has_version, "check-migrate: %s",
		 text);
}

static void test_refused(void)
{
	static const char ok_head[] =
		"{\"command\":\"fence\",\"ok\":true,\"exit_code\":0";
	char deep[128] = "", big[64];

	refused("", "unexpected end");
	refused("cannot execute tapdisk-activate", "unexpected character");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0} x",
		"text after the value");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0",
		"expected ','");
	refused("[1]", "not a JSON object");
	refused("{\"ok\":true,\"exit_code\":0}", "no \"command\"");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0,"
		"\"exit_code\":0}", "\"exit_code\" given twice");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":3}",
		"disagrees");
	refused("{\"command\":\"fence\",\"ok\":false,\"exit_code\":3}",
		"no \"error\"");
	refused("{\"command\":\"fence\",\"ok\":false,\"exit_code\":-3}",
		"exit status");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0.0}",
		"exit status");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0,\"lease\":"
		"{\"held_by_this_host\":1}}", "not true or false");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0,\"lease\":"
		"{\"held_by_this_host\":true,\"acquired_version\":"
		"18446744073709551616}}", "0..2^64-1");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0,\"lease\":"
		"{\"held_by_this_host\":true,\"acquired_version\":1,"
		"\"released_version\":1}}", "both");
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0,\"lease\":"
		"{\"held_by_this_host\":true,\"token\":\"0123456789012345678901"
		"234567890123456789012345678901234567890123\"}}", "longer than");
	refused("{\"command\":\"a\\x\",\"ok\":true,\"exit_code\":0}",
		"bad escape");
	refused("{\"command\":\"a\nb\",\"ok\":true,\"exit_code\":0}",
		"control character");
	refused("{\"command\":\"a\",\"ok\":true,\"exit_code\":01}",
		"expected ','");
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		strcat(deep, "[");
	snprintf(big, sizeof(big), "%s,\"x\":%s}", ok_head, deep);
	refused(big, "nested deeper");
	/* escaped key names are the names they spell */
	refused("{\"command\":\"fence\",\"ok\":true,\"exit_code\":0,"
		"\"\\u0065xit_code\":0}", "given twice");
}

/* A member is the one of its object, wherever else the name occurs. */
static void test_scoped(void)
{
	static const char r1[] =
		"{\"backend\":{\"token\":\"no\",\"message\":\"no\"},"
		"\"command\":\"activate\",\"ok\":true,\"exit_code\":0,"
		"\"lease\":{\"held_by_this_host\":true,\"token\":\"ho:1\","
		"\"x\":{\"acquired_version\":9}}}";
	static const char r2[] =
		"{\"command\":\"activate\",\"ok\":true,\"exit_code\":0,"
		"\"lease\":{\"held_by_this_host\":false},"
		"\"timings_us\":{\"token\":\"no\",\"acquired_version\":3}}";
	struct handover_outcome out;
	char err[160];

	T_ASSERT(!handover_outcome_decode(r1, strlen(r1), &out, err,
					  sizeof(err)), "%s", err);
	T_ASSERT(!strcmp(out.token, "ho:1") && !out.has_version &&
		 !out.message[0], "r1: token '%s'", out.token);
	T_ASSERT(!handover_outcome_decode(r2, strlen(r2), &out, err,
					  sizeof(err)), "%s", err);
	T_ASSERT(!out.token[0] && !out.has_version, "r2: token '%s'",
		 out.token);
}

/* The reader on its own: tokens, lookups, numbers. */
static void test_reader(void)
{
	static const char doc[] = " {\"a\": [1, {\"b\": null}], \"b\": -9223372036854775808,"
		" \"c\": \"\\ud83d\\ude00\\u00e9\\/\", \"d\": 1e3} ";
	struct json_tok tok[16];
	struct json_doc d;
	char err[128], s[16];
	int64_t i;
	uint64_t u;
	int t;

	T_ASSERT(!json_parse(&d, doc, strlen(doc), tok, 16, err, sizeof(err)),
		 "%s", err);
	T_ASSERT(d.n == 13, "%u tokens", d.n);
	t = json_find(&d, 0, "b");
	T_ASSERT(t > 0 && !json_get_i64(&d, (unsigned int)t, &i) &&
		 i == INT64_MIN, "b: the top-level one, not a's");
	T_ASSERT(json_get_u64(&d, (unsigned int)t, &u), "negative as u64");
	t = json_find(&d, 0, "c");
	T_ASSERT(t > 0 && !json_get_string(&d, (unsigned int)t, s, sizeof(s)) &&
		 !strcmp(s, "\xf0\x9f\x98\x80\xc3\xa9/"), "c '%s'", s);
	T_ASSERT(json_get_string(&d, (unsigned int)t, s, 4), "c fits in 4");
	t = json_find(&d, 0, "d");
	T_ASSERT(t > 0 && json_get_u64(&d, (unsigned int)t, &u), "1e3 no u64");
	T_ASSERT(json_find(&d, 0, "e") == -1 && json_find(&d, 1, "a") == -1,
		 "absent");
	T_ASSERT(json_parse(&d, doc, strlen(doc), tok, 12, err, sizeof(err)) &&
		 strstr(err, "more than 12"), "token bound: %s", err);
}

int main(void)
{
	test_round_trip();
	test_refused();
	test_scoped();
	test_reader();
	return T_EXIT_PASS;
}
