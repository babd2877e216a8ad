// SPDX-License-Identifier: GPL-2.0 OR MIT
/* backend_tapdisk: pause/resume/query through tapdisk's control socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "tapctl.h"

static enum backend_result classify(int ret)
{
	switch (ret) {
	case 0:
		return BACKEND_OK;
	case -ETIMEDOUT:
		return BACKEND_TIMEOUT;
	case -ENOENT:
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ENOTSOCK:
	case -ENAMETOOLONG:
		return BACKEND_UNREACHABLE;
	default:
		return BACKEND_REFUSED;
	}
}

enum backend_result backend_tapdisk_pause(const struct backend *b,
					  int timeout_ms, char *err,
					  size_t errlen)
{
	return classify(tapctl_pause(b->sock, b->minor, timeout_ms, err,
				     errlen));
}

bool backend_tapdisk_pause_or_gone(const struct backend *b, int timeout_ms,
				   char *err, size_t errlen)
{
	int ret = tapctl_pause(b->sock, b->minor, timeout_ms, err, errlen);

	/*
	 * Nothing listening (socket gone, or left behind by a dead tapdisk)
	 * is a tapdisk that can no longer write. A reset connection is not:
	 * a live tapdisk may close a connection without answering.
	 */
	return !ret || ret == -ENOENT || ret == -ECONNREFUSED;
}

enum backend_result backend_tapdisk_resume(const struct backend *b,
					   const char *image_path,
					   int timeout_ms, char *err,
					   size_t errlen)
{
	char params[TAPCTL_PATH_MAX];
	int n;

	/* Naming the image makes tapdisk reopen it from scratch. */
	n = snprintf(params, sizeof(params), "%s:%s", b->image_type,
		     image_path);
	if (n < 0 || (size_t)n >= sizeof(params)) {
		snprintf(err, errlen, "image path too long for tapdisk (%d max)",
			 TAPCTL_PATH_MAX - 1);
		return BACKEND_REFUSED;
	}
	return classify(tapctl_resume(b->sock, b->minor, params, 0, timeout_ms,
				      err, errlen));
}

enum backend_result backend_tapdisk_query(const struct backend *b,
					  struct backend_status *st,
					  int timeout_ms, char *err,
					  size_t errlen)
{
	struct tapctl_vbd vbd;
	int ret;

	ret = tapctl_vbd_state(b->sock, b->minor, &vbd, timeout_ms, err,
			       errlen);
	if (ret) {
		snprintf(st->state, sizeof(st->state), "unknown");
		return classify(ret);
	}
	st->known = true;
	st->raw_state = vbd.state;
	st->paused = vbd.state & TAPCTL_STATE_PAUSED;
	snprintf(st->state, sizeof(st->state), "%s",
		 tapctl_state_name(vbd.state));
	snprintf(st->image, sizeof(st->image), "%s", vbd.params);
	return BACKEND_OK;
}
