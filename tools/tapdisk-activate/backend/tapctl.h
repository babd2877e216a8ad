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

#include <stdbool.h>
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

/*
 * RESUME that keeps (or starts) changed-block tracking into @cbt_log:
 * sets TAPCTL_FLAG_ADD_LOG and sends the path after the message, as
 * tap-ctl unpause -c does. NULL or "" is tapctl_resume(): tapdisk then
 * stops tracking. -ENAMETOOLONG for a path of TAPCTL_PATH_MAX bytes or
 * more.
 */
int tapctl_resume_log(const char *sock, int minor, const char *params,
		      uint32_t flags, const char *cbt_log, int timeout_ms,
		      char *err, size_t errlen);

/* Longest STATS text we accept for one VBD. */
#define TAPCTL_STATS_MAX	65536

/* What tapdisk's STATS tells about one VBD (the fields we use). */
struct tapctl_stats {
	unsigned int images;		/* open images; 0 while paused */
	bool has_log;			/* a CBT log layer ("log" driver) */
	char log[TAPCTL_PATH_MAX];	/* its path, when has_log */
	int read_caching;		/* 1: opened without O_DIRECT (-D),
					 * 0: O_DIRECT, -1: not reported */
	/*
	 * "secs": sectors of the read and write requests tapdisk issued to
	 * the image since the VBD was created (counted as each request is
	 * issued, kept across pause and resume).
	 */
	bool has_secs;
	uint64_t secs_read;
	uint64_t secs_written;
	int reqs_outstanding;		/* requests queued or in flight,
					 * -1: not reported */
};

/*
 * STATS for @minor: tapdisk answers with a JSON text; this parses the
 * image list, read_caching, the sector counters and the requests
 * outstanding out of it. -EPROTO when the text is not
 * what tapdisk writes (or longer than TAPCTL_STATS_MAX).
 */
int tapctl_stats(const char *sock, int minor, struct tapctl_stats *st,
		 int timeout_ms, char *err, size_t errlen);

/* Parses tapdisk's STATS text of one VBD (exposed for tests). */
int tapctl_parse_stats(const char *text, size_t len, struct tapctl_stats *st);

/* LIST: every VBD of that tapdisk. */
int tapctl_list(const char *sock, struct tapctl_vbd *vbds, unsigned int max,
		unsigned int *count, int timeout_ms, char *err, size_t errlen);

/* LIST, then the entry for @minor; -ENODEV when tapdisk has no such VBD. */
int tapctl_vbd_state(const char *sock, int minor, struct tapctl_vbd *out,
		     int timeout_ms, char *err, size_t errlen);

/* "paused", "pause-requested", "resume-failed", "running", ... */
const char *tapctl_state_name(uint32_t state);

#endif /* TAPDISK_ACTIVATE_TAPCTL_H */
