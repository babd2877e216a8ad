// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Decoder of the handover's report (see handover_wire.h). */
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "handover_wire.h"

/* The member @key of object @obj; -1 absent, -2 given twice. */
static int member(const struct json_doc *d, unsigned int obj, const char *key,
		  bool required, char *err, size_t errlen)
{
	int t = json_find(d, obj, key);

	if (t == -2)
		snprintf(err, errlen, "\"%s\" given twice", key);
	else if (t < 0 && required)
		snprintf(err, errlen, "no \"%s\"", key);
	return t == -1 && !required ? -1 : t < 0 ? -2 : t;
}

static int get_string(const struct json_doc *d, unsigned int obj,
		      const char *key, bool required, char *out, size_t size,
		      char *err, size_t errlen)
{
	int t = member(d, obj, key, required, err, errlen);

	if (t == -1)
		return 0;
	if (t < 0)
		return -1;
	if (d->tok[t].type != JSON_STRING) {
		snprintf(err, errlen, "\"%s\" is not a string", key);
		return -1;
	}
	if (json_get_string(d, (unsigned int)t, out, size)) {
		snprintf(err, errlen, "\"%s\" longer than %zu bytes", key,
			 size - 1);
		return -1;
	}
	return 0;
}

/* 1 when present, 0 absent (and not required), -1 wrong. */
static int get_u64(const struct json_doc *d, unsigned int obj,
		   const char *key, uint64_t *out, char *err, size_t errlen)
{
	int t = member(d, obj, key, false, err, errlen);

	if (t == -1)
		return 0;
	if (t < 0)
		return -1;
	if (json_get_u64(d, (unsigned int)t, out)) {
		snprintf(err, errlen, "\"%s\" is not a number 0..2^64-1", key);
		return -1;
	}
	return 1;
}

static int decode_lease(const struct json_doc *d, unsigned int lease,
			struct handover_outcome *o, char *err, size_t errlen)
{
	int t, acq, rel;

	if (d->tok[lease].type != JSON_OBJECT) {
		snprintf(err, errlen, "\"%s\" is not an object", HO_WIRE_LEASE);
		return -1;
	}
	o->has_lease = true;
	t = member(d, lease, HO_WIRE_HELD, true, err, errlen);
	if (t < 0)
		return -1;
	if (json_get_bool(d, (unsigned int)t, &o->lease_held)) {
		snprintf(err, errlen, "\"%s\" is not true or false",
			 HO_WIRE_HELD);
		return -1;
	}
	acq = get_u64(d, lease, HO_WIRE_ACQUIRED_VERSION, &o->version, err,
		      errlen);
	if (acq < 0)
		return -1;
	rel = get_u64(d, lease, HO_WIRE_RELEASED_VERSION, &o->version, err,
		      errlen);
	if (rel < 0)
		return -1;
	if (acq && rel) {
		snprintf(err, errlen, "both \"%s\" and \"%s\"",
			 HO_WIRE_ACQUIRED_VERSION, HO_WIRE_RELEASED_VERSION);
		return -1;
	}
	o->has_version = acq || rel;
	if (get_string(d, lease, HO_WIRE_TOKEN, false, o->token,
		       sizeof(o->token), err, errlen))
		return -1;
	return get_u64(d, lease, HO_WIRE_VALID_UNTIL, &o->valid_until_ns, err,
		       errlen) < 0 ? -1 : 0;
}

int handover_outcome_decode(const char *text, size_t len,
			    struct handover_outcome *o, char *err,
			    size_t errlen)
{
	struct json_tok tok[HO_WIRE_TOKENS_MAX];
	struct json_doc d;
	int64_t code;
	bool ok;
	int t;

	memset(o, 0, sizeof(*o));
	if (len > HO_WIRE_TEXT_MAX) {
		snprintf(err, errlen, "report longer than %u bytes",
			 HO_WIRE_TEXT_MAX);
		return -1;
	}
	if (json_parse(&d, text, len, tok, HO_WIRE_TOKENS_MAX, err, errlen))
		return -1;
	if (tok[0].type != JSON_OBJECT) {
		snprintf(err, errlen, "report is not a JSON object");
		return -1;
	}
	if (get_string(&d, 0, HO_WIRE_COMMAND, true, o->command,
		       sizeof(o->command), err, errlen))
		return -1;
	t = member(&d, 0, HO_WIRE_EXIT_CODE, true, err, errlen);
	if (t < 0)
		return -1;
	if (json_get_i64(&d, (unsigned int)t, &code) || code < 0 ||
	    code > 255) {
		snprintf(err, errlen, "\"%s\" is not an exit status 0..255",
			 HO_WIRE_EXIT_CODE);
		return -1;
	}
	o->exit_code = (int)code;
	t = member(&d, 0, HO_WIRE_OK, true, err, errlen);
	if (t < 0)
		return -1;
	if (json_get_bool(&d, (unsigned int)t, &ok) || ok != (code == 0)) {
		snprintf(err, errlen, "\"%s\" disagrees with \"%s\" %d",
			 HO_WIRE_OK, HO_WIRE_EXIT_CODE, o->exit_code);
		return -1;
	}
	if (code) {
		t = member(&d, 0, HO_WIRE_ERROR, true, err, errlen);
		if (t < 0)
			return -1;
		if (tok[t].type != JSON_OBJECT) {
			snprintf(err, errlen, "\"%s\" is not an object",
				 HO_WIRE_ERROR);
			return -1;
		}
		if (get_string(&d, (unsigned int)t, HO_WIRE_STEP, true,
			       o->step, sizeof(o->step), err, errlen) ||
		    get_string(&d, (unsigned int)t, HO_WIRE_MESSAGE, true,
			       o->message, sizeof(o->message), err, errlen))
			return -1;
	}
	t = member(&d, 0, HO_WIRE_LEASE, false, err, errlen);
	if (t == -2)
		return -1;
	if (t >= 0 && decode_lease(&d, (unsigned int)t, o, err, errlen))
		return -1;
	return 0;
}
