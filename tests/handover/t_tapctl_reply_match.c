// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapctl only accepts the reply to the request it sent. tapdisk echoes
 * the request's cookie (the VBD minor, 0xffff for LIST) in every reply
 * its handlers write; a request it rejects before dispatch gets an ERROR
 * with cookie 0. A fake control socket answers with replies for another
 * minor or another request type; each must be -EPROTO, never success and
 * never the error of someone else's request:
 *   PAUSE/RESUME answered by the right *_RSP for another minor;
 *   PAUSE answered by RESUME_RSP or LIST_RSP, RESUME by PAUSE_RSP;
 *   ERROR naming another (non-zero) minor;
 *   LIST entries with a cookie other than 0xffff, a PAUSE_RSP among the
 *   entries, entry counts that do not count down to 0;
 *   minors a 16-bit cookie cannot carry (< 0, >= 0xffff) are refused
 *   before anything is sent, instead of addressing minor & 0xffff.
 * The matching replies still succeed, so the checks cannot pass by
 * refusing everything.
 */
#include <stdint.h>

#include "handover_test.h"
#include "backend/tapctl.h"

#define LIST_COOKIE	((uint16_t)0xffff)
#define MAX_REPLIES	4

struct script {
	unsigned int n;
	struct tapctl_msg m[MAX_REPLIES];
};

static struct tapctl_msg msg(uint16_t type, uint16_t cookie, int32_t error)
{
	struct tapctl_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.cookie = cookie;
	m.u.response.error = error;
	return m;
}

static struct tapctl_msg list_entry(uint16_t cookie, int32_t count,
				    int32_t minor)
{
	struct tapctl_msg m = msg(TAPCTL_MSG_LIST_RSP, cookie, 0);

	memset(&m.u, 0, sizeof(m.u));
	m.u.list.count = count;
	m.u.list.minor = minor;
	if (count)
		snprintf(m.u.list.path, sizeof(m.u.list.path), "vhd:/x%d",
			 minor);
	return m;
}

/*
 * Serves one connection in a child: reads one request, checks it is
 * @want_type/@want_cookie (exit 2 otherwise), sends the script's replies.
 */
static pid_t serve(const char *sock, const struct script *s,
		   uint16_t want_type, uint16_t want_cookie)
{
	struct tapctl_msg req;
	int fd;
	pid_t pid = ht_fake_socket_fork(sock, &fd);

	if (pid)
		return pid;
	if (fd < 0 || recv(fd, &req, sizeof(req), MSG_WAITALL) !=
	    (ssize_t)sizeof(req))
		_exit(3);
	if (req.type != want_type || req.cookie != want_cookie)
		_exit(2);
	for (unsigned int i = 0; i < s->n; i++)
		if (send(fd, &s->m[i], sizeof(s->m[i]), 0) < 0)
			break;
	/* Stay connected until the client hangs up: it must decide on what
	 * it got, not on an EOF. */
	while (recv(fd, &req, sizeof(req), 0) > 0)
		;
	_exit(0);
}

/* The server's verdict on the request it saw (0: as expected). */
static int finish(pid_t pid)
{
	int status;

	T_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void printable(const char *s)
{
	for (; *s; s++)
		T_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f,
			 "control byte %#x in the error text",
			 (unsigned char)*s);
}

static void check(const char *what, int ret, int want, const char *err,
		  const char *needle, int server)
{
	T_ASSERT(server == 0, "%s: the fake tapdisk saw an unexpected "
		 "request (%d)", what, server);
	T_ASSERT(ret == want, "%s: got %d (%s), want %d", what, ret, err,
		 want);
	T_ASSERT(!needle || strstr(err, needle), "%s: error text '%s' lacks "
		 "'%s'", what, err, needle);
	printable(err);
}

static void pause_case(const char *sock, const char *what, int minor,
		       struct tapctl_msg reply, int want, const char *needle)
{
	struct script s = { .n = 1, .m = { reply } };
	char err[512] = "";
	pid_t pid = serve(sock, &s, TAPCTL_MSG_PAUSE, (uint16_t)minor);
	int ret = tapctl_pause(sock, minor, 2000, err, sizeof(err));

	check(what, ret, want, err, needle, finish(pid));
}

static void resume_case(const char *sock, const char *what, int minor,
			struct tapctl_msg reply, int want, const char *needle)
{
	struct script s = { .n = 1, .m = { reply } };
	char err[512] = "";
	pid_t pid = serve(sock, &s, TAPCTL_MSG_RESUME, (uint16_t)minor);
	int ret = tapctl_resume(sock, minor, "vhd:/x", 0, 2000, err,
				sizeof(err));

	check(what, ret, want, err, needle, finish(pid));
}

static void list_case(const char *sock, const char *what,
		      const struct script *s, int want, unsigned int want_n,
		      const char *needle)
{
	struct tapctl_vbd vbds[4];
	unsigned int n = 99;
	char err[512] = "";
	pid_t pid = serve(sock, s, TAPCTL_MSG_LIST, LIST_COOKIE);
	int ret = tapctl_list(sock, vbds, 4, &n, 2000, err, sizeof(err));

	check(what, ret, want, err, needle, finish(pid));
	T_ASSERT(n == want_n, "%s: %u entries kept, want %u", what, n, want_n);
}

/* A minor no 16-bit cookie can carry: refused, nothing is sent. */
static void bad_minor(const char *sock, int minor)
{
	struct tapctl_vbd vbd;
	char err[512] = "";
	int ret;

	unlink(sock);	/* would be -ENOENT if it tried to connect */
	ret = tapctl_pause(sock, minor, 500, err, sizeof(err));
	T_ASSERT(ret == -EINVAL && strstr(err, "minor"),
		 "pause minor %d: %d (%s)", minor, ret, err);
	ret = tapctl_resume(sock, minor, NULL, 0, 500, err, sizeof(err));
	T_ASSERT(ret == -EINVAL, "resume minor %d: %d (%s)", minor, ret, err);
	ret = tapctl_vbd_state(sock, minor, &vbd, 500, err, sizeof(err));
	T_ASSERT(ret == -EINVAL, "state minor %d: %d (%s)", minor, ret, err);
}

int main(void)
{
	const char *sock = t_path("ctl-match");
	struct tapctl_vbd vbd;
	struct script s;
	char err[512];
	pid_t pid;
	int ret;

	/* The matching replies succeed / carry tapdisk's error. */
	pause_case(sock, "pause ok", 3, msg(TAPCTL_MSG_PAUSE_RSP, 3, 0), 0,
		   NULL);
	resume_case(sock, "resume ok", 3, msg(TAPCTL_MSG_RESUME_RSP, 3, 0), 0,
		    NULL);
	pause_case(sock, "error for our minor", 3,
		   msg(TAPCTL_MSG_ERROR, 3, EBUSY), -EBUSY, NULL);
	pause_case(sock, "error rejected before dispatch", 3,
		   msg(TAPCTL_MSG_ERROR, 0, EINVAL), -EINVAL, NULL);
	pause_case(sock, "minor 0", 0, msg(TAPCTL_MSG_PAUSE_RSP, 0, 0), 0,
		   NULL);
	pause_case(sock, "largest minor", 0xfffe,
		   msg(TAPCTL_MSG_PAUSE_RSP, 0xfffe, 0), 0, NULL);

	/* Replies for another minor. */
	pause_case(sock, "pause_rsp for minor 5", 3,
		   msg(TAPCTL_MSG_PAUSE_RSP, 5, 0), -EPROTO, "minor 5");
	pause_case(sock, "pause_rsp for all minors", 3,
		   msg(TAPCTL_MSG_PAUSE_RSP, LIST_COOKIE, 0), -EPROTO, NULL);
	pause_case(sock, "pause_rsp for minor 0", 3,
		   msg(TAPCTL_MSG_PAUSE_RSP, 0, 0), -EPROTO, "minor 0");
	resume_case(sock, "resume_rsp for minor 4", 3,
		    msg(TAPCTL_MSG_RESUME_RSP, 4, 0), -EPROTO, "minor 4");
	pause_case(sock, "error for minor 9", 3,
		   msg(TAPCTL_MSG_ERROR, 9, EBUSY), -EPROTO, "minor 9");

	/* Replies to another request type. */
	pause_case(sock, "pause answered by resume_rsp", 3,
		   msg(TAPCTL_MSG_RESUME_RSP, 3, 0), -EPROTO, "message type");
	pause_case(sock, "pause answered by list_rsp", 3,
		   msg(TAPCTL_MSG_LIST_RSP, 3, 0), -EPROTO, "message type");
	resume_case(sock, "resume answered by pause_rsp", 3,
		    msg(TAPCTL_MSG_PAUSE_RSP, 3, 0), -EPROTO, "message type");
	resume_case(sock, "resume answered by a request", 3,
		    msg(TAPCTL_MSG_RESUME, 3, 0), -EPROTO, "message type");

	/* LIST: a well-formed answer, then malformed ones. */
	s = (struct script){ .n = 3, .m = { list_entry(LIST_COOKIE, 2, 1),
					   list_entry(LIST_COOKIE, 1, 7),
					   list_entry(LIST_COOKIE, 0, -1) } };
	list_case(sock, "list ok", &s, 0, 2, NULL);
	pid = serve(sock, &s, TAPCTL_MSG_LIST, LIST_COOKIE);
	ret = tapctl_vbd_state(sock, 7, &vbd, 2000, err, sizeof(err));
	T_ASSERT(finish(pid) == 0 && ret == 0 && vbd.minor == 7 &&
		 !strcmp(vbd.params, "vhd:/x7"), "state of minor 7: %d (%s)",
		 ret, err);

	s.m[1].cookie = 7;	/* second entry answers someone else */
	list_case(sock, "list entry with cookie 7", &s, -EPROTO, 1, "minor 7");
	s.m[1].cookie = LIST_COOKIE;
	s.m[0].cookie = 0;
	list_case(sock, "list entry with cookie 0", &s, -EPROTO, 0, "minor 0");
	pid = serve(sock, &s, TAPCTL_MSG_LIST, LIST_COOKIE);
	ret = tapctl_vbd_state(sock, 1, &vbd, 2000, err, sizeof(err));
	T_ASSERT(finish(pid) == 0 && ret == -EPROTO,
		 "state from a foreign list: %d (%s)", ret, err);
	s.m[0].cookie = LIST_COOKIE;
	s.m[2].cookie = 3;	/* the terminator too */
	list_case(sock, "list end with cookie 3", &s, -EPROTO, 2, "minor 3");

	s = (struct script){ .n = 3, .m = { list_entry(LIST_COOKIE, 2, 1),
					   msg(TAPCTL_MSG_PAUSE_RSP,
					       LIST_COOKIE, 0),
					   list_entry(LIST_COOKIE, 0, -1) } };
	list_case(sock, "pause_rsp inside a list", &s, -EPROTO, 1,
		  "message type");

	s = (struct script){ .n = 4, .m = { list_entry(LIST_COOKIE, 2, 1),
					   list_entry(LIST_COOKIE, 2, 2),
					   list_entry(LIST_COOKIE, 1, 3),
					   list_entry(LIST_COOKIE, 0, -1) } };
	list_case(sock, "list count repeats", &s, -EPROTO, 1, "count");
	s = (struct script){ .n = 2, .m = { list_entry(LIST_COOKIE, 2, 1),
					   list_entry(LIST_COOKIE, 0, -1) } };
	list_case(sock, "list ends early", &s, -EPROTO, 1, "count");
	s = (struct script){ .n = 2, .m = { list_entry(LIST_COOKIE, 1, 1),
					   list_entry(LIST_COOKIE, -1, -1) } };
	list_case(sock, "list ends negative", &s, -EPROTO, 1, "count");

	bad_minor(sock, -1);
	bad_minor(sock, 0xffff);
	bad_minor(sock, 0x10003);	/* would otherwise address minor 3 */
	bad_minor(sock, INT32_MIN);
	unlink(sock);
	return T_EXIT_PASS;
}
