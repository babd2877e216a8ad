/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tapctl_proto: the wire format of tapdisk's control socket (blktap3,
 * xapi-project/blktap include/tapdisk-message.h, checked against commit
 * 79774319a75a28c46fc094c373811170a5867784 of 2026-02-04, the revision
 * scripts/build-blktap.sh builds and tests/tapdisk/ runs). Every message is one
 * fixed-size struct written and read whole in host byte order, so our
 * definition must match upstream's C layout byte for byte: the
 * static_asserts below pin every size and offset we rely on (x86-64 ABI,
 * the only one dom0 tapdisk runs on). A mismatch would make both sides
 * wait forever for the rest of a message, which is why this is checked at
 * compile time rather than trusted.
 */
#ifndef TAPDISK_ACTIVATE_TAPCTL_PROTO_H
#define TAPDISK_ACTIVATE_TAPCTL_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAPCTL_CONTROL_DIR	"/run/blktap-control"
#define TAPCTL_SOCKET_PREFIX	"ctl"
#define TAPCTL_PATH_MAX		256	/* TAPDISK_MESSAGE_MAX_PATH_LENGTH */
#define TAPCTL_STRING_MAX	256	/* TAPDISK_MESSAGE_STRING_LENGTH */
#define TAPCTL_MAX_MINORS	(TAPCTL_PATH_MAX / sizeof(int) - 1)
#define TAPCTL_COOKIE_ALL	0xffff	/* LIST/STATS cookie: every VBD */

/* Message ids (enum tapdisk_message_id); only the ones we speak. */
enum tapctl_msg_type {
	TAPCTL_MSG_ERROR = 1,
	TAPCTL_MSG_PAUSE = 9,
	TAPCTL_MSG_PAUSE_RSP = 10,
	TAPCTL_MSG_RESUME = 11,
	TAPCTL_MSG_RESUME_RSP = 12,
	TAPCTL_MSG_LIST = 19,
	TAPCTL_MSG_LIST_RSP = 20,
	TAPCTL_MSG_STATS = 21,
	TAPCTL_MSG_STATS_RSP = 22,
};

/* u.params.flags bits (TAPDISK_MESSAGE_FLAG_*). */
#define TAPCTL_FLAG_SHARED	0x001
#define TAPCTL_FLAG_RDONLY	0x002
/*
 * ADD_LOG: a changed-block-tracking log path follows the message, as
 * TAPCTL_PATH_MAX more bytes (NUL-padded) on the same connection. On
 * RESUME, tapdisk forgets the VBD's log (frees vbd->logpath and clears
 * TD_OPEN_ADD_LOG) unless this flag comes with it, so every RESUME of a
 * VBD that tracks changed blocks must carry its log again.
 */
#define TAPCTL_FLAG_ADD_LOG	0x010
#define TAPCTL_FLAG_SECONDARY	0x080
#define TAPCTL_FLAG_STANDBY	0x100
#define TAPCTL_FLAG_NO_O_DIRECT	0x200

/* VBD state bits reported by LIST (drivers/tapdisk-vbd.h TD_VBD_*). */
#define TAPCTL_STATE_DEAD		0x001
#define TAPCTL_STATE_CLOSED		0x002
#define TAPCTL_STATE_QUIESCE_REQUESTED	0x004
#define TAPCTL_STATE_QUIESCED		0x008
#define TAPCTL_STATE_PAUSE_REQUESTED	0x010
#define TAPCTL_STATE_PAUSED		0x020
#define TAPCTL_STATE_SHUTDOWN_REQUESTED	0x040
#define TAPCTL_STATE_RESUME_FAILED	0x200

struct tapctl_params {			/* tapdisk_message_params */
	uint32_t flags;
	uint32_t devnum;
	uint32_t domid;
	char path[TAPCTL_PATH_MAX];	/* "type:/path" */
	uint32_t prt_devnum;
	uint16_t req_timeout;
	char secondary[TAPCTL_PATH_MAX];
};

struct tapctl_image {			/* tapdisk_message_image */
	uint64_t sectors;
	uint32_t sector_size;
	uint32_t info;
};

struct tapctl_response {		/* tapdisk_message_response */
	int32_t error;			/* positive errno */
	char message[TAPCTL_STRING_MAX];
};

struct tapctl_list {			/* tapdisk_message_list */
	int32_t count;			/* entries still to come; 0 ends */
	int32_t minor;
	int32_t state;
	char path[TAPCTL_PATH_MAX];
};

struct tapctl_stat {			/* tapdisk_message_stat */
	uint16_t type;
	uint16_t cookie;
	size_t length;			/* STATS_RSP: bytes of text that follow */
};

struct tapctl_blkif {			/* tapdisk_message_blkif */
	uint32_t domid;
	uint32_t devid;
	uint32_t gref[8];
	uint32_t order;
	uint32_t proto;
	char pool[TAPCTL_STRING_MAX];
	uint32_t port;
	uint32_t poll_duration;		/* microseconds, 0: no polling */
	uint32_t poll_idle_threshold;
};

struct tapctl_resume {			/* tapdisk_message_resume */
	uint32_t flags;
	char new_params[TAPCTL_PATH_MAX];
	char secondary[TAPCTL_PATH_MAX];
};

struct tapctl_minors {			/* tapdisk_message_minors */
	int32_t count;
	int32_t list[TAPCTL_MAX_MINORS];
};

struct tapctl_msg {			/* tapdisk_message */
	uint16_t type;
	uint16_t cookie;		/* the VBD minor */
	union {
		pid_t tapdisk_pid;
		struct tapctl_image image;
		struct tapctl_params params;
		char string[TAPCTL_STRING_MAX];
		struct tapctl_minors minors;
		struct tapctl_response response;
		struct tapctl_list list;
		struct tapctl_stat info;
		struct tapctl_blkif blkif;
		struct tapctl_resume resume;
	} u;
};

/* Upstream layout, x86-64 (see the header comment). */
static_assert(sizeof(pid_t) == 4, "pid_t");
static_assert(offsetof(struct tapctl_msg, type) == 0, "type");
static_assert(offsetof(struct tapctl_msg, cookie) == 2, "cookie");
static_assert(offsetof(struct tapctl_msg, u) == 8, "union is 8-aligned");
static_assert(offsetof(struct tapctl_params, devnum) == 4, "devnum");
static_assert(offsetof(struct tapctl_params, domid) == 8, "domid");
static_assert(offsetof(struct tapctl_params, path) == 12, "params.path");
static_assert(offsetof(struct tapctl_params, prt_devnum) == 268, "prt");
static_assert(offsetof(struct tapctl_params, req_timeout) == 272, "tmo");
static_assert(offsetof(struct tapctl_params, secondary) == 274, "second");
static_assert(sizeof(struct tapctl_params) == 532, "params size");
static_assert(sizeof(struct tapctl_response) == 260, "response size");
static_assert(offsetof(struct tapctl_response, message) == 4, "message");
static_assert(offsetof(struct tapctl_list, state) == 8, "list.state");
static_assert(offsetof(struct tapctl_list, path) == 12, "list.path");
static_assert(sizeof(struct tapctl_list) == 268, "list size");
/*
 * tapdisk_message_blkif ends with poll_duration and poll_idle_threshold
 * at the pinned revision (79774319a75a, see the header comment): 316
 * bytes, not the 308 of older blktap3. Still smaller than params, so
 * the message size does not change.
 */
static_assert(offsetof(struct tapctl_blkif, port) == 304, "blkif.port");
static_assert(sizeof(struct tapctl_blkif) == 316, "blkif size");
static_assert(sizeof(struct tapctl_resume) == 516, "resume size");
static_assert(sizeof(struct tapctl_minors) == 256, "minors size");
static_assert(sizeof(struct tapctl_stat) == 16, "stat size");
static_assert(sizeof(struct tapctl_msg) == 544, "message size");

#endif /* TAPDISK_ACTIVATE_TAPCTL_PROTO_H */
