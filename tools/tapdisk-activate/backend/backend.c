// SPDX-License-Identifier: GPL-2.0 OR MIT
/* backend: spec parsing and dispatch (see backend.h). */
#include "backend.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapctl.h"

const char *backend_kind_name(enum backend_kind kind)
{
	switch (kind) {
	case BACKEND_NONE: return "none";
	case BACKEND_TAPDISK: return "tapdisk";
	case BACKEND_DM: return "dm";
	case BACKEND_QDISK: return "qdisk";
	}
	return "?";
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int bad(char *err, size_t errlen, const char *spec, const char *why)
{
	snprintf(err, errlen, "bad backend spec '%s': %s", spec, why);
	return -EINVAL;
}

/* One option of a spec; -EINVAL (with @err) when unknown or repeated. */
static int parse_option(struct backend *b, const char *o, bool *seen_type,
			const char *spec, char *err, size_t errlen)
{
	if (b->kind == BACKEND_TAPDISK && !strcmp(o, "no-o-direct")) {
		if (b->no_o_direct)
			return bad(err, errlen, spec, "no-o-direct repeated");
		b->no_o_direct = true;
	} else if (b->kind == BACKEND_TAPDISK && !strncmp(o, "type=", 5)) {
		const char *t = o + 5;

		if (*seen_type)
			return bad(err, errlen, spec, "type= repeated");
		if (!*t || strlen(t) >= sizeof(b->image_type) ||
		    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789") !=
		    strlen(t))
			return bad(err, errlen, spec, "bad type=");
		strcpy(b->image_type, t);
		*seen_type = true;
	} else if (b->kind == BACKEND_TAPDISK && !strncmp(o, "cbt-log=", 8)) {
		const char *l = o + 8;

		if (b->cbt_log[0])
			return bad(err, errlen, spec, "cbt-log= repeated");
		/* tapdisk reads it as TAPCTL_PATH_MAX bytes, NUL included */
		if (l[0] != '/' || strlen(l) >= sizeof(b->cbt_log))
			return bad(err, errlen, spec,
				   "cbt-log= needs an absolute path shorter "
				   "than 256 bytes");
		strcpy(b->cbt_log, l);
	} else if (b->kind == BACKEND_QDISK && !strcmp(o, "direct-io-safe")) {
		if (b->direct_io_safe)
			return bad(err, errlen, spec,
				   "direct-io-safe repeated");
		b->direct_io_safe = true;
	} else {
		return bad(err, errlen, spec, "unknown option");
	}
	return 0;
}

/*
 * The options after the first ',' of a spec (@opts, split in place).
 * Every element must be non-empty: "x,", "x,,y" are typos, and skipping
 * empty elements (as strtok would) hides them.
 */
static int parse_options(struct backend *b, char *opts, const char *spec,
			 char *err, size_t errlen)
{
	bool seen_type = false;

	for (char *o = opts, *next; o; o = next) {
		int ret;

		next = strchr(o, ',');
		if (next)
			*next++ = '\0';
		if (!*o)
			return bad(err, errlen, spec, "empty option");
		ret = parse_option(b, o, &seen_type, spec, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int backend_parse(const char *spec, struct backend *b, char *err,
		  size_t errlen)
{
	char buf[BACKEND_SPEC_MAX], *opts, *f1, *f2;
	long pid, minor;

	memset(b, 0, sizeof(*b));
	if (!spec || strlen(spec) >= sizeof(buf))
		return bad(err, errlen, spec ? spec : "", "too long");
	strcpy(b->spec, spec);
	strcpy(buf, spec);
	opts = strchr(buf, ',');
	if (opts)
		*opts++ = '\0';
	strcpy(b->image_type, "vhd");

	if (!strcmp(buf, "none")) {
		b->kind = BACKEND_NONE;
	} else if (!strcmp(buf, "qdisk")) {
		b->kind = BACKEND_QDISK;
	} else if (!strncmp(buf, "dm:", 3)) {
		b->kind = BACKEND_DM;
		f1 = buf + 3;
		if (!*f1 || strlen(f1) >= sizeof(b->dm_name) ||
		    strchr(f1, '/') || !strcmp(f1, ".") || !strcmp(f1, ".."))
			return bad(err, errlen, spec, "dm:NAME expected");
		strcpy(b->dm_name, f1);
	} else if (!strncmp(buf, "tapdisk:", 8)) {
		b->kind = BACKEND_TAPDISK;
		f1 = buf + 8;
		f2 = strchr(f1, ':');
		if (!f2)
			return bad(err, errlen, spec, "tapdisk:PID:MINOR expected");
		*f2++ = '\0';
		if (parse_int(f1, 1, INT_MAX, &pid) ||
		    parse_int(f2, 0, 0xfffe, &minor))
			return bad(err, errlen, spec, "bad PID or MINOR");
		b->pid = (int)pid;
		b->minor = (int)minor;
		if (tapctl_socket_path(b->sock, sizeof(b->sock), NULL, b->pid))
			return bad(err, errlen, spec, "socket path too long");
	} else {
		return bad(err, errlen, spec,
			   "expected tapdisk:PID:MINOR, dm:NAME, qdisk or none");
	}
	if (opts)	/* a ',' was there: at least one option follows */
		return parse_options(b, opts, spec, err, errlen);
	return 0;
}

enum backend_result backend_pause(const struct backend *b, int timeout_ms,
				  char *err, size_t errlen)
{
	switch (b->kind) {
	case BACKEND_NONE:
		return BACKEND_OK;
	case BACKEND_TAPDISK:
		return backend_tapdisk_pause(b, timeout_ms, err, errlen);
	case BACKEND_DM:
		return backend_dm_pause(b, timeout_ms, err, errlen);
	case BACKEND_QDISK:
		break;
	}
	snprintf(err, errlen,
		 "backend %s cannot be paused by tapdisk-activate; "
		 "only check-migrate supports it", backend_kind_name(b->kind));
	return BACKEND_UNSUPPORTED;
}

bool backend_stopped_after_resume(const struct backend *b, int timeout_ms,
				  char *err, size_t errlen)
{
	switch (b->kind) {
	case BACKEND_NONE:
		return true;
	case BACKEND_TAPDISK:
		return backend_tapdisk_pause_or_gone(b, timeout_ms, err, errlen);
	case BACKEND_DM:
		/* Unreachable here means the device no longer exists. */
		switch (backend_dm_pause(b, timeout_ms, err, errlen)) {
		case BACKEND_OK:
		case BACKEND_UNREACHABLE:
			return true;
		default:
			return false;
		}
	case BACKEND_QDISK:
		break;
	}
	snprintf(err, errlen, "backend %s cannot be paused",
		 backend_kind_name(b->kind));
	return false;
}

enum backend_result backend_resume(const struct backend *b,
				   const char *image_path, int timeout_ms,
				   char *err, size_t errlen)
{
	switch (b->kind) {
	case BACKEND_NONE:
		return BACKEND_OK;
	case BACKEND_TAPDISK:
		return backend_tapdisk_resume(b, image_path, timeout_ms, err,
					      errlen);
	case BACKEND_DM:
		return backend_dm_resume(b, timeout_ms, err, errlen);
	case BACKEND_QDISK:
		break;
	}
	snprintf(err, errlen, "backend %s cannot be resumed by tapdisk-activate",
		 backend_kind_name(b->kind));
	return BACKEND_UNSUPPORTED;
}

enum backend_result backend_query(const struct backend *b,
				  struct backend_status *st, int timeout_ms,
				  char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	switch (b->kind) {
	case BACKEND_NONE:
		st->known = true;
		snprintf(st->state, sizeof(st->state), "none");
		return BACKEND_OK;
	case BACKEND_TAPDISK:
		return backend_tapdisk_query(b, st, timeout_ms, err, errlen);
	case BACKEND_DM:
		return backend_dm_query(b, st, timeout_ms, err, errlen);
	case BACKEND_QDISK:
		break;
	}
	snprintf(st->state, sizeof(st->state), "unknown");
	snprintf(err, errlen, "backend %s cannot be queried",
		 backend_kind_name(b->kind));
	return BACKEND_UNSUPPORTED;
}

enum backend_result backend_writes(const struct backend *b, int timeout_ms,
				   struct backend_writes *w, char *err,
				   size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->in_flight = -1;
	switch (b->kind) {
	case BACKEND_TAPDISK:
		return backend_tapdisk_writes(b, timeout_ms, w, err, errlen);
	case BACKEND_DM:
		return backend_dm_writes(b, timeout_ms, w, err, errlen);
	case BACKEND_NONE:
	case BACKEND_QDISK:
		break;
	}
	snprintf(err, errlen, "backend %s has no write counters",
		 backend_kind_name(b->kind));
	return BACKEND_UNSUPPORTED;
}
