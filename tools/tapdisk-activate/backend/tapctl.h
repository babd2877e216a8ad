/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tapctl: a client for tapdisk's control socket with our own deadlines.
 *
 * tapdisk never gives up on a PAUSE by itself (it keeps retrying while the
 * client is connected) and tap-ctl's own -t option is broken, so every
 * step here (connect, send, each receive) is bounded by one overall
 * deadline; when it passes we close the socket, which is also what makes
 * tapdisk abandon a pause it could not finish.
 *
 * Return values: 0, or a negative errno. -ETIMEDOUT: the deadline passed;
 * -ECONNREFUSED/-ENOENT: no tapdisk listens there; -ECONNRESET: tapdisk
 * closed the connection without answering; -EPROTO: it answered with
 * something we did not ask for (another message type, a reply whose
 * cookie names another minor, a LIST whose entry counts do not count
 * down to 0), or an error code no errno can be (outside 1..4095 either
 * sign); -EINVAL before anything is sent: a minor outside 0..0xfffe (the
 * 16-bit cookie, 0xffff meaning every VBD); any other value is tapdisk's
 * own error (TAPDISK_MESSAGE_ERROR, or a failed *_RSP), with its text in
 * @err.
 */
#ifndef TAPDISK_ACTIVATE_TAPCTL_H
#define TAPDISK_ACTIVATE_TAPCTL_H

#include <stddef.h>
#include <stdint.h>

#include "tapctl_proto.h"

/* Most VBDs one LIST answer may describe before we call it hostile. */
#define TAPCTL_LIST_MAX	64

struct tapctl_vbd {
	int minor;
	uint32_t state;			/* TAPCTL_STATE_* */
	char params[TAPCTL_PATH_MAX];	/* "type:/path", may be empty */
};

/*
 * Socket path of tapdisk @pid in @dir (NULL: TAPCTL_CONTROL_DIR, or
 * $TAPDISK_ACTIVATE_CONTROL_DIR when set, so tests need no /run).
 */
int tapctl_socket_path(char *buf, size_t len, const char *dir, int pid);

int tapctl_pause(const char *sock, int minor, int timeout_ms,
		 char *err, size_t errlen);

/*
 * RESUME: tapdisk reopens the image chain, re-reading all metadata.
 * @params is "type:/path" (NULL or "" keeps the image it had).
 */
int tapctl_resume(const char *sock, int minor, const char *params,
		  uint32_t flags, int timeout_ms, char *err, size_t errlen);

/* LIST: every VBD of that tapdisk. */
int tapctl_list(const char *sock, struct tapctl_vbd *vbds, unsigned int max,
		unsigned int *count, int timeout_ms, char *err, size_t errlen);

/* LIST, then the entry for @minor; -ENODEV when tapdisk has no such VBD. */
int tapctl_vbd_state(const char *sock, int minor, struct tapctl_vbd *out,
		     int timeout_ms, char *err, size_t errlen);

/* "paused", "pause-requested", "resume-failed", "running", ... */
const char *tapctl_state_name(uint32_t state);

#endif /* TAPDISK_ACTIVATE_TAPCTL_H */
