// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapctl against a hostile or broken control socket: each answer below is
 * what one connection gets back, and each must end in a bounded, distinct
 * error with printable text, never in undefined behaviour (the ASan+UBSan
 * pass of this test aborts on any), a hang or success:
 *   error codes no errno can be (INT32_MIN, huge, -huge) -> -EPROTO;
 *   -errno instead of errno -> that errno;
 *   ERROR with code 0 -> -EIO; unsolicited message type -> -EPROTO;
 *   text without NUL and with control bytes -> '?' in the message;
 *   half a message, then EOF -> -ECONNRESET;
 *   nothing at all -> -ETIMEDOUT at the deadline;
 *   endless LIST entries -> -EPROTO after TAPCTL_LIST_MAX;
 *   listen backlog full (tapdisk not accepting) -> connect retried until
 *   the deadline: -ETIMEDOUT, or success once it accepts again.
 */
#include <stdint.h>

#include "handover_test.h"
#include "backend/tapctl.h"

enum answer { A_ONE, A_HALF, A_SILENT, A_ENDLESS_LIST };

/* Serves one connection with @kind / @m, in a child; returns its pid. */
static pid_t serve_once(const char *sock, enum answer kind,
			const struct tapctl_msg *m)
{
	int fd;
	pid_t pid = ht_fake_socket_fork(sock, &fd);

	if (pid)
		return pid;
	if (fd >= 0) {
		struct tapctl_msg req;
		size_t got = 0;

		while (got < sizeof(req)) {
			ssize_t n = recv(fd, (char *)&req + got,
					 sizeof(req) - got, 0);
			if (n <= 0)
				_exit(1);
			got += (size_t)n;
		}
		switch (kind) {
		case A_ONE:
			send(fd, m, sizeof(*m), 0);
			break;
		case A_HALF:
			send(fd, m, sizeof(*m) / 2, 0);
			break;
		case A_SILENT:
			sleep(30);	/* the client gives up first */
			break;
		case A_ENDLESS_LIST: {
			/* Well-formed entries, counting down from @m's. */
			struct tapctl_msg e = *m;

			for (int i = 0; i < 10 * TAPCTL_LIST_MAX; i++) {
				if (send(fd, &e, sizeof(e), 0) < 0)
					break;
				e.u.list.count--;
			}
			break;
		}
		}
		close(fd);
	}
	_exit(0);
}

static void finish(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void printable(const char *s)
{
	for (; *s; s++)
		T_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f,
			 "control byte %#x in the error text",
			 (unsigned char)*s);
}

/* PAUSE answered with @type / @error / @text: expect @want. */
static void pause_answer(const char *sock, uint16_t type, int32_t error,
			 const char *text, int want, const char *needle)
{
	struct tapctl_msg m = { .type = type };
	char err[512] = "";
	pid_t pid;
	int ret;

	m.u.response.error = error;
	if (text)
		memcpy(m.u.response.message, text, strlen(text));
	pid = serve_once(sock, A_ONE, &m);
	ret = tapctl_pause(sock, 0, 2000, err, sizeof(err));
	finish(pid);
	T_ASSERT(ret == want, "type %u error %d: got %d, want %d (%s)", type,
		 (int)error, ret, want, err);
	T_ASSERT(!needle || strstr(err, needle), "error text '%s' lacks '%s'",
		 err, needle);
	printable(err);
}

/*
 * A control socket whose listen backlog is full (one queued connection
 * nobody accepts). With @accept_after_ms >= 0 a child then accepts: drops
 * the queued one and answers the next PAUSE.
 */
static int backlog_full(const char *sock, int accept_after_ms, int timeout_ms,
			uint64_t *took, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct tapctl_msg m = { .type = TAPCTL_MSG_PAUSE_RSP };
	int lfd, filler, ret;
	uint64_t t0;
	pid_t pid = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	filler = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	T_ASSERT(lfd >= 0 && filler >= 0 &&
		 !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) &&
		 !listen(lfd, 0) &&
		 !connect(filler, (struct sockaddr *)&sa, sizeof(sa)),
		 "fill the backlog of %s", sock);
	if (accept_after_ms >= 0) {
		pid = fork();
		T_ASSERT(pid >= 0, "fork");
		if (!pid) {
			struct tapctl_msg req;
			int fd;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			usleep((useconds_t)accept_after_ms * 1000u);
			close(accept(lfd, NULL, NULL));	/* the filler */
			fd = accept(lfd, NULL, NULL);
			if (fd < 0 || recv(fd, &req, sizeof(req), MSG_WAITALL) !=
			    (ssize_t)sizeof(req))
				_exit(1);
			send(fd, &m, sizeof(m), 0);
			_exit(0);
		}
	}
	t0 = clock_now_ms();
	ret = tapctl_pause(sock, 0, timeout_ms, err, errlen);
	*took = clock_now_ms() - t0;
	if (pid)
		finish(pid);
	close(filler);
	close(lfd);
	unlink(sock);
	return ret;
}

int main(void)
{
	const char *sock = t_path("ctl-hostile");
	char junk[TAPCTL_STRING_MAX + 1], err[512];
	struct tapctl_msg m = { .type = TAPCTL_MSG_PAUSE_RSP };
	struct tapctl_vbd vbds[4];
	uint64_t t0, took;
	unsigned int n;
	pid_t pid;
	int ret;

	pause_answer(sock, TAPCTL_MSG_ERROR, INT32_MIN, NULL, -EPROTO,
		     "garbled");
	pause_answer(sock, TAPCTL_MSG_PAUSE_RSP, INT32_MIN, NULL, -EPROTO,
		     "garbled");
	pause_answer(sock, TAPCTL_MSG_ERROR, INT32_MAX, NULL, -EPROTO,
		     "garbled");
	pause_answer(sock, TAPCTL_MSG_ERROR, -INT32_MAX, NULL, -EPROTO,
		     "garbled");
	pause_answer(sock, TAPCTL_MSG_ERROR, 4096, NULL, -EPROTO, "garbled");
	pause_answer(sock, TAPCTL_MSG_ERROR, -EBUSY, "busy", -EBUSY, "busy");
	pause_answer(sock, TAPCTL_MSG_PAUSE_RSP, EBUSY, NULL, -EBUSY, NULL);
	pause_answer(sock, TAPCTL_MSG_ERROR, 0, NULL, -EIO, NULL);
	pause_answer(sock, TAPCTL_MSG_RESUME_RSP, 0, NULL, -EPROTO,
		     "message type");
	pause_answer(sock, 0xffff, 0, NULL, -EPROTO, "message type");
	/* Message text filling the field, no NUL, with control bytes. */
	memset(junk, '\x1b', sizeof(junk));
	junk[TAPCTL_STRING_MAX] = '\0';
	pause_answer(sock, TAPCTL_MSG_ERROR, EINVAL, junk, -EINVAL, "?");

	pid = serve_once(sock, A_HALF, &m);
	ret = tapctl_pause(sock, 0, 2000, err, sizeof(err));
	finish(pid);
	T_ASSERT(ret == -ECONNRESET, "half a message: %d (%s)", ret, err);

	pid = serve_once(sock, A_SILENT, &m);
	t0 = clock_now_ms();
	ret = tapctl_pause(sock, 0, 400, err, sizeof(err));
	took = clock_now_ms() - t0;
	finish(pid);
	T_ASSERT(ret == -ETIMEDOUT && took >= 350 && took < 5000,
		 "silent tapdisk: %d after %llu ms", ret,
		 (unsigned long long)took);

	memset(&m, 0, sizeof(m));
	m.type = TAPCTL_MSG_LIST_RSP;
	m.cookie = TAPCTL_COOKIE_ALL;
	m.u.list.count = INT32_MAX;
	memset(m.u.list.path, 'x', sizeof(m.u.list.path));	/* no NUL */
	pid = serve_once(sock, A_ENDLESS_LIST, &m);
	ret = tapctl_list(sock, vbds, 4, &n, 2000, err, sizeof(err));
	finish(pid);
	T_ASSERT(ret == -EPROTO && n == 4, "endless LIST: %d, %u kept (%s)",
		 ret, n, err);
	T_ASSERT(strlen(vbds[0].params) == TAPCTL_PATH_MAX - 1,
		 "unterminated path bounded");

	ret = backlog_full(sock, -1, 400, &took, err, sizeof(err));
	T_ASSERT(ret == -ETIMEDOUT && took >= 350 && took < 5000,
		 "full backlog: %d after %llu ms (%s)", ret,
		 (unsigned long long)took, err);
	ret = backlog_full(sock, 300, 5000, &took, err, sizeof(err));
	T_ASSERT(ret == 0 && took >= 250, "backlog drained: %d after %llu ms "
		 "(%s)", ret, (unsigned long long)took, err);
	unlink(sock);
	return T_EXIT_PASS;
}
