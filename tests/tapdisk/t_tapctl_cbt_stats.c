// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapctl's CBT and STATS wire format, byte for byte, against a scripted
 * control socket (suite_tapdisk.sh runs the same against real tapdisk):
 * RESUME with a CBT log carries TAPCTL_FLAG_ADD_LOG and the path as
 * TAPCTL_PATH_MAX NUL-padded bytes right after the message, and nothing
 * follows a RESUME without one (a stray flag from the caller is dropped);
 * STATS answers are read as message + announced length and parsed; the
 * parser takes tapdisk's own text (captured from tapdisk at the pinned
 * blktap revision) and refuses malformed or hostile text.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "t_helpers.h"
#include "backend/tapctl.h"

/* Captured from `tap-ctl stats` of a VBD opened with -C (running). */
static const char running_text[] =
	"{ \"name\": \"vhd:/var/tmp/stprobe/d.vhd\", \"secs\": [ 0, 0 ], "
	"\"images\": [ { \"name\": \"/var/tmp/stprobe/d.log\", \"hits\": [ 0, "
	"0 ], \"fail\": [ 0, 0 ], \"driver\": { \"type\": 9, \"name\": \"log\", "
	"\"status\": null } }, { \"name\": \"/var/tmp/stprobe/d.vhd\", "
	"\"hits\": [ 0, 0 ], \"fail\": [ 0, 0 ], \"driver\": { \"type\": 4, "
	"\"name\": \"vhd\", \"status\": null } } ], "
	"\"FIXME_enospc_redirect_count\": 0, \"nbd_mirror_failed\": 0, "
	"\"reqs_outstanding\": 0, \"read_caching\": \"false\" }";
/* The same VBD paused: its images are closed. */
static const char paused_text[] =
	"{ \"name\": \"vhd:/var/tmp/stprobe/d.vhd\", \"secs\": [ 0, 0 ], "
	"\"images\": [  ], \"FIXME_enospc_redirect_count\": 0, "
	"\"nbd_mirror_failed\": 0, \"reqs_outstanding\": 0, "
	"\"read_caching\": \"true\" }";

static int parse(const char *s, struct tapctl_stats *st)
{
	return tapctl_parse_stats(s, strlen(s), st);
}

static void test_parse(void)
{
	struct tapctl_stats st;
	char big[2048], deep[256];
	int i;

	T_ASSERT(parse(running_text, &st) == 0, "running text");
	T_ASSERT(st.images == 2 && st.has_log && st.read_caching == 0,
		 "images %u log %d rc %d", st.images, st.has_log,
		 st.read_caching);
	T_ASSERT(!strcmp(st.log, "/var/tmp/stprobe/d.log"), "log %s", st.log);

	T_ASSERT(parse(paused_text, &st) == 0, "paused text");
	T_ASSERT(st.images == 0 && !st.has_log && st.read_caching == 1,
		 "paused: images %u log %d rc %d", st.images, st.has_log,
		 st.read_caching);

	/* A NUL tapdisk may count in the length is not garbage. */
	T_ASSERT(tapctl_parse_stats(paused_text, sizeof(paused_text), &st) ==
		 0, "trailing NUL");
	/* No read_caching (older tapdisk): unknown, not O_DIRECT. */
	T_ASSERT(parse("{ \"images\": [ ] }", &st) == 0 &&
		 st.read_caching == -1, "no read_caching");
	/* Escaped quote inside a name. */
	T_ASSERT(parse("{ \"images\": [ { \"name\": \"/a\\\"b\", \"driver\": "
		       "{ \"name\": \"log\" } } ] }", &st) == 0 &&
		 !strcmp(st.log, "/a\"b"), "escape: %s", st.log);

	/* Hostile or broken text. */
	T_ASSERT(parse(running_text + 1, &st) == -EPROTO, "no opening brace");
	T_ASSERT(tapctl_parse_stats(running_text, sizeof(running_text) - 10,
				    &st) == -EPROTO, "truncated");
	T_ASSERT(parse("{ \"images\": [ ] } x", &st) == -EPROTO, "trailing");
	T_ASSERT(tapctl_parse_stats("{ \"a\": 1\0 }", 11, &st) == -EPROTO,
		 "embedded NUL");
	T_ASSERT(parse("{ \"images\": { } }", &st) == -EPROTO,
		 "images not a list");
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[i] = '\0';
	snprintf(big, sizeof(big), "{ \"x\": %s }", deep);
	T_ASSERT(parse(big, &st) == -EPROTO, "nesting without end");
	memset(big, 0, sizeof(big));
	strcpy(big, "{ \"images\": [ { \"name\": \"/");
	memset(big + strlen(big), 'a', 300);
	strcat(big, "\", \"driver\": { \"name\": \"log\" } } ] }");
	T_ASSERT(parse(big, &st) == -EPROTO, "log path longer than a message");
}

/* A control socket that answers one connection with a script. */
struct fake {
	char path[108];
	int lfd;
	pthread_t thr;
	/* what arrived */
	struct tapctl_msg req;
	char tail[TAPCTL_PATH_MAX];
	ssize_t extra;		/* bytes after the message (-1: none read) */
	/* what to answer */
	struct tapctl_msg rsp;
	const char *text;	/* sent after rsp when set */
	size_t text_len;
};

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (read_full(fd, &f->req, sizeof(f->req)) == sizeof(f->req)) {
		/* After a RESUME, whatever follows within 300 ms is the tail. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (f->req.type == TAPCTL_MSG_RESUME)
			f->extra = read_full(fd, f->tail, sizeof(f->tail));
		f->rsp.cookie = f->req.cookie;
		if (write(fd, &f->rsp, sizeof(f->rsp)) < 0 ||
		    (f->text && write(fd, f->text, f->text_len) < 0))
			f->extra = -2;
	}
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, const char *dir, uint16_t rsp_type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f->path, sizeof(f->path), "%s/ctl1", dir);
	unlink(f->path);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	T_ASSERT(f->lfd >= 0 && bind(f->lfd, (struct sockaddr *)&sa,
				     sizeof(sa)) == 0 &&
		 listen(f->lfd, 4) == 0, "fake socket: %s", strerror(errno));
	f->extra = -1;
	f->rsp.type = rsp_type;
	T_ASSERT(pthread_create(&f->thr, NULL, fake_serve, f) == 0, "thread");
}

static void fake_end(struct fake *f)
{
	pthread_join(f->thr, NULL);
	close(f->lfd);
	unlink(f->path);
}

static void test_resume_framing(const char *dir)
{
	static struct fake f;
	char err[512], longlog[TAPCTL_PATH_MAX + 1];
	int ret;

	memset(&f, 0, sizeof(f));
	fake_start(&f, dir, TAPCTL_MSG_RESUME_RSP);
	ret = tapctl_resume_log(f.path, 3, "vhd:/x.vhd", 0, "/x.cbtlog", 2000,
				err, sizeof(err));
	fake_end(&f);
	T_ASSERT(ret == 0, "resume with log: %s", err);
	T_ASSERT(f.req.type == TAPCTL_MSG_RESUME && f.req.cookie == 3,
		 "type %u cookie %u", f.req.type, f.req.cookie);
	T_ASSERT(f.req.u.params.flags == TAPCTL_FLAG_ADD_LOG, "flags %#x",
		 f.req.u.params.flags);
	T_ASSERT(!strcmp(f.req.u.params.path, "vhd:/x.vhd"), "path");
	T_ASSERT(f.extra == TAPCTL_PATH_MAX, "tail %zd bytes", f.extra);
	T_ASSERT(!strcmp(f.tail, "/x.cbtlog"), "tail %s", f.tail);
	for (int i = (int)strlen("/x.cbtlog"); i < TAPCTL_PATH_MAX; i++)
		T_ASSERT(f.tail[i] == 0, "tail not NUL-padded at %d", i);

	/* No log: no flag (even a stray one from the caller), no tail. */
	memset(&f, 0, sizeof(f));
	fake_start(&f, dir, TAPCTL_MSG_RESUME_RSP);
	ret = tapctl_resume_log(f.path, 3, NULL, TAPCTL_FLAG_ADD_LOG, NULL,
				2000, err, sizeof(err));
	fake_end(&f);
	T_ASSERT(ret == 0, "resume: %s", err);
	T_ASSERT(f.req.u.params.flags == 0, "flags %#x without a log",
		 f.req.u.params.flags);
	T_ASSERT(f.extra == 0, "%zd bytes after a RESUME without log",
		 f.extra);

	/* Too long for tapdisk's buffer: refused before anything is sent. */
	memset(longlog, 'l', sizeof(longlog) - 1);
	longlog[0] = '/';
	longlog[TAPCTL_PATH_MAX] = '\0';
	ret = tapctl_resume_log("/nonexistent/ctl1", 0, NULL, 0, longlog, 200,
				err, sizeof(err));
	T_ASSERT(ret == -ENAMETOOLONG, "long log: %d", ret);
}

static void test_stats(const char *dir)
{
	static struct fake f;
	struct tapctl_stats st;
	char err[512];
	int ret;

	memset(&f, 0, sizeof(f));
	f.text = running_text;
	f.text_len = sizeof(running_text);
	f.rsp.u.info.length = sizeof(running_text);
	fake_start(&f, dir, TAPCTL_MSG_STATS_RSP);
	ret = tapctl_stats(f.path, 5, &st, 2000, err, sizeof(err));
	fake_end(&f);
	T_ASSERT(ret == 0, "stats: %s", err);
	T_ASSERT(f.req.type == TAPCTL_MSG_STATS && f.req.cookie == 5,
		 "request type %u cookie %u", f.req.type, f.req.cookie);
	T_ASSERT(st.has_log && !strcmp(st.log, "/var/tmp/stprobe/d.log"),
		 "log over the wire");

	/* A length beyond what we accept: refused, not allocated. */
	memset(&f, 0, sizeof(f));
	f.rsp.u.info.length = (size_t)TAPCTL_STATS_MAX + 1;
	fake_start(&f, dir, TAPCTL_MSG_STATS_RSP);
	ret = tapctl_stats(f.path, 5, &st, 2000, err, sizeof(err));
	fake_end(&f);
	T_ASSERT(ret == -EPROTO, "huge length: %d", ret);

	/* Fewer bytes than announced: bounded, an error. */
	memset(&f, 0, sizeof(f));
	f.text = running_text;
	f.text_len = 20;
	f.rsp.u.info.length = sizeof(running_text);
	fake_start(&f, dir, TAPCTL_MSG_STATS_RSP);
	ret = tapctl_stats(f.path, 5, &st, 2000, err, sizeof(err));
	fake_end(&f);
	T_ASSERT(ret == -ECONNRESET, "short text: %d (%s)", ret, err);

	/* tapdisk's ERROR (e.g. no such minor) with its errno. */
	memset(&f, 0, sizeof(f));
	f.rsp.u.response.error = ENODEV;
	fake_start(&f, dir, TAPCTL_MSG_ERROR);
	ret = tapctl_stats(f.path, 5, &st, 2000, err, sizeof(err));
	fake_end(&f);
	T_ASSERT(ret == -ENODEV, "error reply: %d (%s)", ret, err);
}

int main(void)
{
	char dir[] = "/tmp/xh-tapctl-cbt-XXXXXX";

	T_ASSERT(mkdtemp(dir), "mkdtemp");
	test_parse();
	test_resume_framing(dir);
	test_stats(dir);
	rmdir(dir);
	printf("ok\n");
	return 0;
}
