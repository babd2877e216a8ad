// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Strict xenstore value parsers (see xsd_parse.h). Written without strtoul
 * and friends on purpose: they skip white space, accept signs and stop at
 * junk, which is exactly what hostile input must not get away with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xen-handover/xenstore-keys.h"
#include "xsd_parse.h"

static int reject(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int xsd_parse_u64(const char *v, size_t len, uint64_t max, uint64_t *out,
		  const char **why)
{
	uint64_t n = 0;

	if (!v || len == 0)
		return reject(why, "empty value");
	if (len > 20)
		return reject(why, "number too long");
	if (len > 1 && v[0] == '0')
		return reject(why, "leading zero");
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (!is_digit(v[i]))
			return reject(why, "not a decimal number");
		d = (unsigned int)(v[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return reject(why, "number out of range");
		n = n * 10 + d;
	}
	if (n > max)
		return reject(why, "number out of range");
	*out = n;
	return 0;
}

int xsd_parse_u32(const char *v, size_t len, uint32_t max, uint32_t *out,
		  const char **why)
{
	uint64_t n;

	if (xsd_parse_u64(v, len, max, &n, why))
		return -1;
	*out = (uint32_t)n;
	return 0;
}

/* True when v[0..len) is exactly the NUL-free string @s. */
static bool equals(const char *v, size_t len, const char *s)
{
	return v && len == strlen(s) && !memcmp(v, s, len);
}

static int check_frontend_len(const char *v, size_t len, const char **why)
{
	if (!v || len == 0)
		return reject(why, "empty value");
	if (len > XH_DRAIN_VALUE_MAX)
		return reject(why, "value too long");
	return 0;
}

int xsd_parse_feature_drain(const char *v, size_t len, bool *on,
			    const char **why)
{
	if (check_frontend_len(v, len, why))
		return -1;
	if (equals(v, len, "1"))
		*on = true;
	else if (equals(v, len, "0"))
		*on = false;
	else
		return reject(why, "feature-drain is neither 0 nor 1");
	return 0;
}

int xsd_parse_drain_state(const char *v, size_t len,
			  enum xsd_drain_state *state, const char **why)
{
	if (check_frontend_len(v, len, why))
		return -1;
	if (equals(v, len, XH_DRAIN_STATE_DRAINED))
		*state = XSD_DRAIN_DRAINED;
	else if (equals(v, len, XH_DRAIN_STATE_TIMEOUT))
		*state = XSD_DRAIN_TIMEOUT;
	else if (equals(v, len, "error"))
		*state = XSD_DRAIN_ERROR;
	else
		return reject(why, "unknown drain-state");
	return 0;
}

int xsd_parse_drain_inflight(const char *v, size_t len, uint32_t *n,
			     const char **why)
{
	if (check_frontend_len(v, len, why))
		return -1;
	return xsd_parse_u32(v, len, XSD_DRAIN_INFLIGHT_MAX, n, why);
}

int xsd_parse_drain_usecs(const char *v, size_t len, uint64_t *usecs,
			  const char **why)
{
	if (check_frontend_len(v, len, why))
		return -1;
	return xsd_parse_u64(v, len, XSD_DRAIN_USECS_MAX, usecs, why);
}

int xsd_parse_xenbus_state(const char *v, size_t len, unsigned int *state,
			   const char **why)
{
	if (!v || len != 1 || v[0] < '0' || v[0] > '8')
		return reject(why, "not a XenbusState (0..8)");
	*state = (unsigned int)(v[0] - '0');
	return 0;
}

int xsd_parse_domid(const char *v, size_t len, bool allow_zero,
		    uint32_t *domid, const char **why)
{
	uint32_t d;

	if (xsd_parse_u32(v, len, XSD_DOMID_LIMIT - 1, &d, why))
		return -1;
	if (d == 0 && !allow_zero)
		return reject(why, "domain 0 is not a guest");
	*domid = d;
	return 0;
}

int xsd_parse_devid(const char *v, size_t len, uint32_t *devid,
		    const char **why)
{
	return xsd_parse_u32(v, len, INT32_MAX, devid, why);
}

int xsd_parse_vdi_name(const char *v, size_t len, const char **why)
{
	if (!v || len == 0)
		return reject(why, "empty VDI name");
	if (len > XSD_VDI_NAME_MAX)
		return reject(why, "VDI name too long");
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		bool alnum = is_digit(c) || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z');

		if (alnum)
			continue;
		if (i > 0 && (c == '_' || c == '-'))
			continue;
		return reject(why, "VDI name has a character outside "
			      "[A-Za-z0-9_-] or starts with punctuation");
	}
	return 0;
}

static const char *const op_names[] = {
	[XSD_OP_ACTIVATE] = "activate",
	[XSD_OP_DEACTIVATE] = "deactivate",
	[XSD_OP_REACTIVATE] = "reactivate",
	[XSD_OP_STATUS] = "status",
};

const char *xsd_op_name(enum xsd_op op)
{
	if ((unsigned int)op >= sizeof(op_names) / sizeof(op_names[0]) ||
	    !op_names[op])
		return "?";
	return op_names[op];
}

/* Splits off the next space-separated token; no empty tokens allowed. */
static int next_token(const char **p, const char *end, const char **tok,
		      size_t *tlen)
{
	const char *s = *p, *e = s;

	while (e < end && *e != ' ')
		e++;
	if (e == s)
		return -1;
	*tok = s;
	*tlen = (size_t)(e - s);
	if (e < end) {
		e++;			/* exactly one separator ... */
		if (e == end)		/* ... never trailing */
			return -1;
	}
	*p = e;
	return 0;
}

static bool has_prefix(const char *t, size_t tlen, const char *prefix,
		       size_t *plen)
{
	*plen = strlen(prefix);
	return tlen >= *plen && !memcmp(t, prefix, *plen);
}

static int parse_backend(const char *v, size_t len, struct xsd_request *r,
			 const char **why)
{
	const char *slash = memchr(v, '/', len);

	if (!slash)
		return reject(why, "backend= wants DOMID/DEVID");
	if (xsd_parse_domid(v, (size_t)(slash - v), false, &r->be_domid, why) ||
	    xsd_parse_devid(slash + 1, len - (size_t)(slash - v) - 1,
			    &r->be_devid, why))
		return -1;
	r->has_backend = true;
	return 0;
}

static int parse_option(const char *t, size_t tlen, struct xsd_request *r,
			const char **why)
{
	size_t pl;

	if (equals(t, tlen, "force")) {
		if (r->force)
			return reject(why, "option repeated");
		r->force = true;
		return 0;
	}
	if (has_prefix(t, tlen, "version=", &pl)) {
		if (r->has_version)
			return reject(why, "option repeated");
		r->has_version = true;
		return xsd_parse_u64(t + pl, tlen - pl, INT64_MAX, &r->version,
				     why);
	}
	if (has_prefix(t, tlen, "wait=", &pl)) {
		if (r->has_wait)
			return reject(why, "option repeated");
		r->has_wait = true;
		return xsd_parse_u32(t + pl, tlen - pl, XSD_REQUEST_SECS_MAX,
				     &r->wait_s, why);
	}
	if (has_prefix(t, tlen, "timeout=", &pl)) {
		if (r->has_timeout)
			return reject(why, "option repeated");
		r->has_timeout = true;
		if (xsd_parse_u32(t + pl, tlen - pl, XSD_REQUEST_SECS_MAX,
				  &r->timeout_s, why))
			return -1;
		if (r->timeout_s == 0)
			return reject(why, "timeout=0 is not a bounded wait");
		return 0;
	}
	if (has_prefix(t, tlen, "backend=", &pl)) {
		if (r->has_backend)
			return reject(why, "option repeated");
		return parse_backend(t + pl, tlen - pl, r, why);
	}
	return reject(why, "unknown request option");
}

int xsd_parse_request(const char *v, size_t len, struct xsd_request *req,
		      const char **why)
{
	struct xsd_request r = { 0 };
	const char *p = v, *end = v + len, *t;
	size_t tlen;
	unsigned int op;

	if (!v || len == 0)
		return reject(why, "empty request");
	if (len > XSD_REQUEST_MAX)
		return reject(why, "request too long");
	if (memchr(v, '\0', len))
		return reject(why, "NUL byte in request");
	if (next_token(&p, end, &t, &tlen) ||
	    xsd_parse_u64(t, tlen, INT64_MAX, &r.id, why))
		return reject(why, "request must start with a decimal id");
	if (r.id == 0)
		return reject(why, "request id 0 is reserved");
	if (next_token(&p, end, &t, &tlen))
		return reject(why, "request has no operation");
	for (op = XSD_OP_ACTIVATE; op <= XSD_OP_STATUS; op++)
		if (equals(t, tlen, op_names[op]))
			break;
	if (op > XSD_OP_STATUS)
		return reject(why, "unknown operation");
	r.op = (enum xsd_op)op;
	while (p < end) {
		if (next_token(&p, end, &t, &tlen))
			return reject(why, "malformed option list");
		if (parse_option(t, tlen, &r, why))
			return -1;
	}
	if (r.force && r.op != XSD_OP_REACTIVATE)
		return reject(why, "force is only valid with reactivate");
	if (r.has_version && r.op != XSD_OP_REACTIVATE &&
	    r.op != XSD_OP_ACTIVATE)
		return reject(why, "version= only with activate/reactivate");
	if (r.op == XSD_OP_REACTIVATE && !r.has_version && !r.force)
		return reject(why, "reactivate needs version= (or force)");
	*req = r;
	return 0;
}

int xsd_format_request(const struct xsd_request *r, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%" PRIu64 " %s", r->id,
			 xsd_op_name(r->op));
	size_t used;

#define APPEND(...)							\
	do {								\
		if (n < 0 || (size_t)n >= size)				\
			return -1;					\
		used = (size_t)n;					\
		n += snprintf(buf + used, size - used, __VA_ARGS__);	\
	} while (0)

	if (r->has_version)
		APPEND(" version=%" PRIu64, r->version);
	if (r->has_wait)
		APPEND(" wait=%" PRIu32, r->wait_s);
	if (r->has_timeout)
		APPEND(" timeout=%" PRIu32, r->timeout_s);
	if (r->has_backend)
		APPEND(" backend=%" PRIu32 "/%" PRIu32, r->be_domid,
		       r->be_devid);
	if (r->force)
		APPEND(" force");
#undef APPEND
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int xsd_format_result(uint64_t id, int code, char *buf, size_t size)
{
	int n;

	if (code)
		n = snprintf(buf, size, "%" PRIu64 " error %d", id, code);
	else
		n = snprintf(buf, size, "%" PRIu64 " ok", id);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int xsd_parse_result(const char *v, size_t len, uint64_t *id, int *code,
		     const char **why)
{
	const char *p = v, *end = v + len, *t;
	size_t tlen;
	uint64_t i;
	uint32_t c = 0;

	if (!v || len == 0)
		return reject(why, "empty result");
	if (len > XSD_RESULT_MAX)
		return reject(why, "result too long");
	if (next_token(&p, end, &t, &tlen) ||
	    xsd_parse_u64(t, tlen, INT64_MAX, &i, why))
		return reject(why, "result must start with a decimal id");
	if (next_token(&p, end, &t, &tlen))
		return reject(why, "result has no outcome");
	if (equals(t, tlen, "ok")) {
		if (p != end)
			return reject(why, "junk after ok");
	} else if (equals(t, tlen, "error")) {
		if (next_token(&p, end, &t, &tlen) || p != end ||
		    xsd_parse_u32(t, tlen, 255, &c, why) || c == 0)
			return reject(why, "error wants one code 1..255");
	} else {
		return reject(why, "outcome is neither ok nor error");
	}
	*id = i;
	*code = (int)c;
	return 0;
}
