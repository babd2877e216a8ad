// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapctl: tapdisk control-socket client with bounded waits (see tapctl.h). */
#include "tapctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

/* Largest errno a tapdisk answer may carry (the kernel's MAX_ERRNO). */
#define TAPCTL_ERRNO_MAX	4095

int tapctl_socket_path(char *buf, size_t len, const char *dir, int pid)
{
	int n;

	if (!dir)
		dir = getenv("TAPDISK_ACTIVATE_CONTROL_DIR");
	if (!dir || !*dir)
		dir = TAPCTL_CONTROL_DIR;
	if (pid <= 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s%d", dir, TAPCTL_SOCKET_PREFIX, pid);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Waits for @events on @fd until @deadline; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = (int64_t)(deadline - clock_now_ms());
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 0;
	}
}

static int connect_bounded(const char *sock, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;
	socklen_t elen = sizeof(err);

	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		int64_t left;

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (errno == EINPROGRESS) {
			err = wait_fd(fd, POLLOUT, deadline);
			if (err)
				goto fail;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
				       &elen) < 0)
				err = errno;
			if (!err)
				return fd;
			err = -err;
			goto fail;
		}
		if (errno != EAGAIN && errno != EINTR) {
			err = -errno;
			goto fail;
		}
		/*
		 * EAGAIN: tapdisk's listen backlog is full. AF_UNIX does not
		 * complete such a connect later (POLLOUT says nothing about
		 * it): try again until the deadline.
		 */
		left = (int64_t)(deadline - clock_now_ms());
		if (left <= 0) {
			err = -ETIMEDOUT;
			goto fail;
		}
		usleep(left < 5 ? (useconds_t)left * 1000u : 5000u);
	}
fail:
	close(fd);
	return err;
}

static int send_all(int fd, const void *buf, size_t len, uint64_t deadline)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(fd, POLLOUT, deadline);

			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(fd, POLLIN, deadline);

			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *op_name(uint16_t type)
{
	switch (type) {
	case TAPCTL_MSG_PAUSE: return "pause";
	case TAPCTL_MSG_RESUME: return "resume";
	case TAPCTL_MSG_LIST: return "list";
	case TAPCTL_MSG_STATS: return "stats";
	default: return "request";
	}
}

static void describe_io_error(int ret, const char *sock, uint16_t type,
			      int timeout_ms, char *err, size_t errlen)
{
	if (!err || !errlen)
		return;
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen,
			 "tapdisk at %s did not answer %s within %d ms",
			 sock, op_name(type), timeout_ms);
	else if (ret == -ECONNRESET)
		snprintf(err, errlen,
			 "tapdisk at %s closed the connection during %s",
			 sock, op_name(type));
	else
		snprintf(err, errlen, "tapdisk control socket %s: %s", sock,
			 strerror(-ret));
}

/*
 * One request on a fresh connection (tapdisk serves one request per
 * connection); the first reply is left in @rsp and the connection stays
 * open in *@fdp when the caller wants more (LIST), else it is closed.
 * @tail (TAPCTL_PATH_MAX bytes, or NULL) follows the message in the same
 * send: tapdisk reads it with one read() right after the message.
 */
static int transact_tail(const char *sock, const struct tapctl_msg *req,
			 const char *tail, struct tapctl_msg *rsp,
			 uint64_t deadline, int *fdp, int timeout_ms,
			 char *err, size_t errlen)
{
	struct {
		struct tapctl_msg msg;
		char tail[TAPCTL_PATH_MAX];
	} out;
	size_t len = sizeof(*req);
	int fd, ret;

	static_assert(sizeof(out) == sizeof(struct tapctl_msg) +
		      TAPCTL_PATH_MAX, "no padding between message and tail");
	out.msg = *req;
	if (tail) {
		memcpy(out.tail, tail, TAPCTL_PATH_MAX);
		len += TAPCTL_PATH_MAX;
	}
	fd = connect_bounded(sock, deadline);
	if (fd < 0) {
		describe_io_error(fd, sock, req->type, timeout_ms, err, errlen);
		return fd;
	}
	ret = send_all(fd, &out, len, deadline);
	if (!ret)
		ret = recv_all(fd, rsp, sizeof(*rsp), deadline);
	if (ret) {
		describe_io_error(ret, sock, req->type, timeout_ms, err, errlen);
		close(fd);
		return ret;
	}
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return 0;
}

static int transact(const char *sock, const struct tapctl_msg *req,
		    struct tapctl_msg *rsp, uint64_t deadline, int *fdp,
		    int timeout_ms, char *err, size_t errlen)
{
	return transact_tail(sock, req, NULL, rsp, deadline, fdp, timeout_ms,
			     err, errlen);
}

/* The reply type that completes @req_type. */
static uint16_t reply_type(uint16_t req_type)
{
	switch (req_type) {
	case TAPCTL_MSG_PAUSE: return TAPCTL_MSG_PAUSE_RSP;
	case TAPCTL_MSG_RESUME: return TAPCTL_MSG_RESUME_RSP;
	case TAPCTL_MSG_LIST: return TAPCTL_MSG_LIST_RSP;
	case TAPCTL_MSG_STATS: return TAPCTL_MSG_STATS_RSP;
	default: return 0;
	}
}

/*
 * Is @rsp addressed to @req? tapdisk copies the request's cookie into
 * every reply its handlers write (also their ERRORs); only a request it
 * rejects before dispatching (unknown type, busy connection) gets an
 * ERROR with cookie 0. Anything else answers some other request: taking
 * it would report another VBD's pause as ours.
 */
static int check_addressee(const struct tapctl_msg *req,
			   const struct tapctl_msg *rsp, const char *sock,
			   char *err, size_t errlen)
{
	const char *what = op_name(req->type);

	if (rsp->type != reply_type(req->type) &&
	    rsp->type != TAPCTL_MSG_ERROR) {
		if (err && errlen)
			snprintf(err, errlen,
				 "tapdisk at %s answered %s with message type %u",
				 sock, what, rsp->type);
		return -EPROTO;
	}
	if (rsp->cookie == req->cookie ||
	    (rsp->type == TAPCTL_MSG_ERROR && rsp->cookie == 0))
		return 0;
	if (err && errlen) {
		char ours[32], theirs[32];

		snprintf(ours, sizeof(ours), req->cookie == TAPCTL_COOKIE_ALL ?
			 "all minors" : "minor %u", req->cookie);
		snprintf(theirs, sizeof(theirs),
			 rsp->cookie == TAPCTL_COOKIE_ALL ? "all minors" :
			 "minor %u", rsp->cookie);
		snprintf(err, errlen, "tapdisk at %s answered %s for %s with "
			 "a reply for %s", sock, what, ours, theirs);
	}
	return -EPROTO;
}

/*
 * Turns the answer @rsp to @req (ERROR or the matching *_RSP) into 0 /
 * -error with tapdisk's text; -EPROTO when it answers something else.
 */
static int check_response(const struct tapctl_msg *req,
			  const struct tapctl_msg *rsp, const char *sock,
			  char *err, size_t errlen)
{
	const char *what = op_name(req->type);
	char text[TAPCTL_STRING_MAX + 1];
	int e;

	e = check_addressee(req, rsp, sock, err, errlen);
	if (e)
		return e;
	e = rsp->u.response.error;
	/* Some error paths store -errno; INT32_MIN has no positive twin. */
	if (e < 0 && e >= -TAPCTL_ERRNO_MAX)
		e = -e;
	if (e < 0 || e > TAPCTL_ERRNO_MAX) {
		if (err && errlen)
			snprintf(err, errlen,
				 "tapdisk at %s answered %s with a garbled error "
				 "code %d", sock, what, (int)rsp->u.response.error);
		return -EPROTO;
	}
	if (!e && rsp->type != TAPCTL_MSG_ERROR)
		return 0;
	if (!e)
		e = EIO;	/* ERROR with no code is still an error */
	memcpy(text, rsp->u.response.message, TAPCTL_STRING_MAX);
	text[TAPCTL_STRING_MAX] = '\0';
	for (char *c = text; *c; c++)	/* hostile peer: printable only */
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (err && errlen)
		snprintf(err, errlen, "tapdisk %s failed: %s%s%s", what,
			 strerror(e), text[0] ? ": " : "", text);
	return -e;
}

/*
 * The cookie is 16 bits and 0xffff means "every VBD": a larger minor
 * would silently address minor & 0xffff.
 */
static int check_minor(int minor, char *err, size_t errlen)
{
	if (minor >= 0 && minor < TAPCTL_COOKIE_ALL)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "tapdisk minor %d out of range 0..%d",
			 minor, TAPCTL_COOKIE_ALL - 1);
	return -EINVAL;
}

int tapctl_pause(const char *sock, int minor, int timeout_ms,
		 char *err, size_t errlen)
{
	struct tapctl_msg req = { .type = TAPCTL_MSG_PAUSE }, rsp;
	int ret = check_minor(minor, err, errlen);

	if (ret)
		return ret;
	req.cookie = (uint16_t)minor;
	ret = transact(sock, &req, &rsp, clock_now_ms() + (uint64_t)timeout_ms,
		       NULL, timeout_ms, err, errlen);
	if (ret)
		return ret;
	return check_response(&req, &rsp, sock, err, errlen);
}

int tapctl_resume(const char *sock, int minor, const char *params,
		  uint32_t flags, int timeout_ms, char *err, size_t errlen)
{
	return tapctl_resume_log(sock, minor, params, flags, NULL, timeout_ms,
				 err, errlen);
}

int tapctl_resume_log(const char *sock, int minor, const char *params,
		      uint32_t flags, const char *cbt_log, int timeout_ms,
		      char *err, size_t errlen)
{
	struct tapctl_msg req = { .type = TAPCTL_MSG_RESUME }, rsp;
	char tail[TAPCTL_PATH_MAX] = "";
	bool with_log = cbt_log && *cbt_log;
	int ret = check_minor(minor, err, errlen);

	if (ret)
		return ret;
	req.cookie = (uint16_t)minor;
	/* The tail is there exactly when the flag says so. */
	flags &= ~(uint32_t)TAPCTL_FLAG_ADD_LOG;
	if (with_log) {
		if (strlen(cbt_log) >= sizeof(tail)) {
			if (err && errlen)
				snprintf(err, errlen,
					 "CBT log path longer than %d bytes: %s",
					 TAPCTL_PATH_MAX - 1, cbt_log);
			return -ENAMETOOLONG;
		}
		strcpy(tail, cbt_log);
		flags |= TAPCTL_FLAG_ADD_LOG;
	}
	req.u.params.flags = flags;
	if (params) {
		if (strlen(params) >= sizeof(req.u.params.path)) {
			if (err && errlen)
				snprintf(err, errlen,
					 "image params longer than %d bytes: %s",
					 TAPCTL_PATH_MAX - 1, params);
			return -ENAMETOOLONG;
		}
		strcpy(req.u.params.path, params);
	}
	ret = transact_tail(sock, &req, with_log ? tail : NULL, &rsp,
			    clock_now_ms() + (uint64_t)timeout_ms, NULL,
			    timeout_ms, err, errlen);
	if (ret)
		return ret;
	return check_response(&req, &rsp, sock, err, errlen);
}

static void copy_params(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < TAPCTL_PATH_MAX - 1 && src[i]; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
	dst[i] = '\0';
}

int tapctl_list(const char *sock, struct tapctl_vbd *vbds, unsigned int max,
		unsigned int *count, int timeout_ms, char *err, size_t errlen)
{
	struct tapctl_msg req = { .type = TAPCTL_MSG_LIST }, rsp;
	uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
	int32_t left = -1;		/* count the next entry must carry */
	unsigned int n = 0;
	int fd, ret;

	req.cookie = TAPCTL_COOKIE_ALL;
	*count = 0;
	ret = transact(sock, &req, &rsp, deadline, &fd, timeout_ms,
		       err, errlen);
	if (ret)
		return ret;
	/*
	 * One LIST_RSP per VBD, their counts going N, N-1, ..., 1, then one
	 * with count 0. Every one must answer our request, and the counts
	 * must not skip or repeat: a short or mixed-up list could hide the
	 * VBD we are asked about.
	 */
	for (unsigned int seen = 0;; seen++) {
		if (rsp.type != TAPCTL_MSG_LIST_RSP ||
		    rsp.cookie != req.cookie) {
			ret = check_response(&req, &rsp, sock, err, errlen);
			if (!ret)
				ret = -EPROTO;
			break;
		}
		if (left >= 0 ? rsp.u.list.count != left - 1 :
		    rsp.u.list.count < 0) {
			ret = -EPROTO;
			if (err && errlen)
				snprintf(err, errlen,
					 "tapdisk at %s sent list entry count %d "
					 "after %d", sock, (int)rsp.u.list.count,
					 (int)left);
			break;
		}
		left = rsp.u.list.count;
		if (!left)
			break;
		if (seen >= TAPCTL_LIST_MAX) {
			ret = -EPROTO;
			if (err && errlen)
				snprintf(err, errlen,
					 "tapdisk at %s listed more than %d VBDs",
					 sock, TAPCTL_LIST_MAX);
			break;
		}
		if (n < max) {
			vbds[n].minor = rsp.u.list.minor;
			vbds[n].state = (uint32_t)rsp.u.list.state;
			copy_params(vbds[n].params, rsp.u.list.path);
			n++;
		}
		ret = recv_all(fd, &rsp, sizeof(rsp), deadline);
		if (ret) {
			describe_io_error(ret, sock, TAPCTL_MSG_LIST,
					  timeout_ms, err, errlen);
			break;
		}
	}
	close(fd);
	*count = n;
	return ret;
}

int tapctl_vbd_state(const char *sock, int minor, struct tapctl_vbd *out,
		     int timeout_ms, char *err, size_t errlen)
{
	struct tapctl_vbd *vbds;
	unsigned int n;
	int ret = check_minor(minor, err, errlen);

	if (ret)
		return ret;
	vbds = calloc(TAPCTL_LIST_MAX, sizeof(*vbds));
	if (!vbds)
		return -ENOMEM;
	ret = tapctl_list(sock, vbds, TAPCTL_LIST_MAX, &n, timeout_ms,
			  err, errlen);
	if (!ret) {
		ret = -ENODEV;
		for (unsigned int i = 0; i < n; i++) {
			if (vbds[i].minor == minor) {
				*out = vbds[i];
				ret = 0;
				break;
			}
		}
		/*
		 * blktap3 without a kernel tap device lists its VBD with
		 * minor -1 (vbd->tap is NULL); one such VBD is ours.
		 */
		if (ret && n == 1 && vbds[0].minor == -1) {
			*out = vbds[0];
			out->minor = minor;
			ret = 0;
		}
		if (ret && err && errlen)
			snprintf(err, errlen, "tapdisk at %s has no minor %d",
				 sock, minor);
	}
	free(vbds);
	return ret;
}

const char *tapctl_state_name(uint32_t state)
{
	if (state & TAPCTL_STATE_DEAD)
		return "dead";
	if (state & TAPCTL_STATE_RESUME_FAILED)
		return "resume-failed";
	if (state & TAPCTL_STATE_PAUSED)
		return "paused";
	if (state & TAPCTL_STATE_PAUSE_REQUESTED)
		return "pause-requested";
	if (state & TAPCTL_STATE_SHUTDOWN_REQUESTED)
		return "shutting-down";
	if (state & TAPCTL_STATE_CLOSED)
		return "closed";
	return "running";
}

/*
 * A small reader for the JSON text tapdisk's STATS writes
 * (tapdisk_vbd_stats: { "name": .., "images": [ { "name": PATH, ..,
 * "driver": { "type": N, "name": DRIVER, .. } }, .. ], ..,
 * "read_caching": "true"|"false" }). It walks every value properly, so
 * fields it does not know are skipped whatever they hold; nesting deeper
 * than STATS_DEPTH or anything else it cannot read is -EPROTO.
 */
#define STATS_DEPTH	16

struct jtext {
	const char *p, *end;
};

static void j_ws(struct jtext *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool j_eat(struct jtext *j, char c)
{
	j_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* A string into @buf (NULL: skipped); too long for @buf is an error. */
static int j_string(struct jtext *j, char *buf, size_t len)
{
	size_t n = 0;

	if (!j_eat(j, '"'))
		return -EPROTO;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if (c == '\\') {
			if (j->p >= j->end)
				return -EPROTO;
			c = *j->p++;	/* \" and \\ as themselves */
		}
		if (buf) {
			if (n + 1 >= len)
				return -EPROTO;
			buf[n++] = c;
		}
	}
	if (j->p >= j->end)
		return -EPROTO;
	j->p++;
	if (buf)
		buf[n] = '\0';
	return 0;
}

static int j_skip(struct jtext *j, int depth)
{
	if (depth > STATS_DEPTH)
		return -EPROTO;
	j_ws(j);
	if (j->p >= j->end)
		return -EPROTO;
	if (*j->p == '"')
		return j_string(j, NULL, 0);
	if (*j->p == '{' || *j->p == '[') {
		char close = *j->p == '{' ? '}' : ']';
		bool obj = *j->p == '{';

		j->p++;
		if (j_eat(j, close))
			return 0;
		do {
			if (obj && (j_string(j, NULL, 0) || !j_eat(j, ':')))
				return -EPROTO;
			if (j_skip(j, depth + 1))
				return -EPROTO;
		} while (j_eat(j, ','));
		return j_eat(j, close) ? 0 : -EPROTO;
	}
	/* number, true, false, null */
	if (!*j->p || !strchr("-0123456789tfn", *j->p))
		return -EPROTO;
	while (j->p < j->end && *j->p &&
	       strchr("+-.0123456789eEtruefalsn", *j->p))
		j->p++;
	return 0;
}

/* Calls @member for each "key": value of an object; it must consume it. */
static int j_object(struct jtext *j,
		    int (*member)(struct jtext *, const char *, void *),
		    void *arg)
{
	char key[64];

	if (!j_eat(j, '{'))
		return -EPROTO;
	if (j_eat(j, '}'))
		return 0;
	do {
		int ret;

		if (j_string(j, key, sizeof(key)) || !j_eat(j, ':'))
			return -EPROTO;
		ret = member(j, key, arg);
		if (ret)
			return ret;
	} while (j_eat(j, ','));
	return j_eat(j, '}') ? 0 : -EPROTO;
}

/* A non-negative integer that fits 64 bits. */
static int j_u64(struct jtext *j, uint64_t *v)
{
	uint64_t x = 0;
	bool any = false;

	j_ws(j);
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		unsigned int d = (unsigned int)(*j->p++ - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EPROTO;
		x = x * 10 + d;
		any = true;
	}
	if (!any)
		return -EPROTO;
	*v = x;
	return 0;
}

struct stats_image {
	char name[TAPCTL_PATH_MAX];
	char driver[32];
};

static int driver_member(struct jtext *j, const char *key, void *arg)
{
	struct stats_image *im = arg;

	if (!strcmp(key, "name"))
		return j_string(j, im->driver, sizeof(im->driver));
	return j_skip(j, 3);
}

static int image_member(struct jtext *j, const char *key, void *arg)
{
	struct stats_image *im = arg;

	if (!strcmp(key, "name"))
		return j_string(j, im->name, sizeof(im->name));
	if (!strcmp(key, "driver"))
		return j_object(j, driver_member, im);
	return j_skip(j, 2);
}

static int vbd_member(struct jtext *j, const char *key, void *arg)
{
	struct tapctl_stats *st = arg;

	if (!strcmp(key, "images")) {
		if (!j_eat(j, '['))
			return -EPROTO;
		if (j_eat(j, ']'))
			return 0;
		do {
			struct stats_image im = { "", "" };

			if (j_object(j, image_member, &im))
				return -EPROTO;
			st->images++;
			if (!strcmp(im.driver, "log") && !st->has_log) {
				st->has_log = true;
				memcpy(st->log, im.name, sizeof(st->log));
			}
		} while (j_eat(j, ','));
		return j_eat(j, ']') ? 0 : -EPROTO;
	}
	if (!strcmp(key, "secs")) {
		/* [read sectors, written sectors] */
		if (!j_eat(j, '[') || j_u64(j, &st->secs_read) ||
		    !j_eat(j, ',') || j_u64(j, &st->secs_written) ||
		    !j_eat(j, ']'))
			return -EPROTO;
		st->has_secs = true;
		return 0;
	}
	if (!strcmp(key, "reqs_outstanding")) {
		uint64_t n;

		if (j_u64(j, &n) || n > INT32_MAX)
			return -EPROTO;
		st->reqs_outstanding = (int)n;
		return 0;
	}
	if (!strcmp(key, "read_caching")) {
		char v[8];

		if (j_string(j, v, sizeof(v)))
			return -EPROTO;
		st->read_caching = !strcmp(v, "true") ? 1 :
				   !strcmp(v, "false") ? 0 : -1;
		return 0;
	}
	return j_skip(j, 1);
}

int tapctl_parse_stats(const char *text, size_t len, struct tapctl_stats *st)
{
	struct jtext j = { text, text + len };

	memset(st, 0, sizeof(*st));
	st->read_caching = -1;
	st->reqs_outstanding = -1;
	/* tapdisk may count a terminating NUL in the length */
	while (j.end > j.p && j.end[-1] == '\0')
		j.end--;
	if (j_object(&j, vbd_member, st))
		return -EPROTO;
	j_ws(&j);
	return j.p == j.end ? 0 : -EPROTO;
}

int tapctl_stats(const char *sock, int minor, struct tapctl_stats *st,
		 int timeout_ms, char *err, size_t errlen)
{
	struct tapctl_msg req = { .type = TAPCTL_MSG_STATS }, rsp;
	uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
	char *text;
	size_t len;
	int fd, ret = check_minor(minor, err, errlen);

	if (ret)
		return ret;
	req.cookie = (uint16_t)minor;
	ret = transact(sock, &req, &rsp, deadline, &fd, timeout_ms, err,
		       errlen);
	if (ret)
		return ret;
	ret = check_addressee(&req, &rsp, sock, err, errlen);
	if (!ret && rsp.type == TAPCTL_MSG_ERROR)
		ret = check_response(&req, &rsp, sock, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	len = rsp.u.info.length;
	if (len == 0 || len > TAPCTL_STATS_MAX) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "tapdisk at %s announced %zu bytes "
				 "of stats (1..%d accepted)", sock, len,
				 TAPCTL_STATS_MAX);
		return -EPROTO;
	}
	text = malloc(len);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	ret = recv_all(fd, text, len, deadline);
	close(fd);
	if (ret)
		describe_io_error(ret, sock, TAPCTL_MSG_STATS, timeout_ms, err,
				  errlen);
	else if (tapctl_parse_stats(text, len, st)) {
		ret = -EPROTO;
		if (err && errlen)
			snprintf(err, errlen, "tapdisk at %s sent stats of minor "
				 "%d that do not parse", sock, minor);
	}
	free(text);
	return ret;
}
