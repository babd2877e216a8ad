// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The admin client of tapdisk-activated's request tree (xsd_client.h).
 *
 * One request at a time per VDI: the request is written in a xenstore
 * transaction only when the VDI has no unanswered request of another
 * requester (the daemon answers one request per VDI; overwriting a pending
 * one would leave its requester waiting for an answer that never comes).
 * The request goes through the daemon's own parser first, so the client
 * never sends a request the daemon would reject as malformed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/exitcodes.h"
#include "common/json.h"
#include "xsd_client.h"
#include "xsd_config.h"
#include "xsd_job.h"
#include "xsd_parse.h"
#include "xsd_xs.h"

#define PROG		"tapdisk-activated " XSD_CLIENT_COMMAND
/* A status request is answered at the daemon's next event, well within. */
#define STATUS_ANSWER_S	10u
/* Beyond the step's bound and the daemon's kill grace: its lease release
 * and the answer itself. */
#define ANSWER_SLACK_S	5u
#define MESSAGE_MAX	512
#define POST_TRIES	20

struct client {
	const char *vdi, *config, *pid_file;
	struct xsd_request req;
	bool json, has_answer_s;
	uint32_t answer_s;
	char line[XSD_REQUEST_MAX + 1];		/* the request as written */
	char p_req[96], p_res[96], p_msg[96];
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: " PROG " VDI OP [--wait S] [--timeout S]\n"
"           [--expect-version V] [--force] [--disk DOMID/DEVID]\n"
"           [--answer-timeout S] [--json] [--config FILE] [--pid-file PATH]\n"
"\n"
"Asks the running tapdisk-activated to act on VDI through its request tree\n"
"(" XSD_ROOT "/VDI/" XSD_KEY_REQUEST "), waits for its answer and prints it.\n"
"OP is activate, deactivate, reactivate or status.\n"
"\n"
"  --wait S             activate: seconds to wait for the lease (wait=)\n"
"  --timeout S          deactivate: seconds the backend may take to drain\n"
"                       (timeout=)\n"
"  --expect-version V   activate, reactivate: the lease version released\n"
"                       (version=)\n"
"  --force              reactivate: skip the version check (force)\n"
"  --disk DOMID/DEVID   the disk, when the VDI has several here (backend=)\n"
"  --answer-timeout S   how long to wait for the answer (default: the\n"
"                       step's bound plus the daemon's kill grace, %u s)\n"
"  --json               one JSON object on stdout, also on failure\n"
"  --config FILE        the daemon's configuration (its default bounds)\n"
"  --pid-file PATH      the daemon's pid file (is it running?)\n"
"\n"
"Exit codes: 0 ok; the daemon's result code (42 busy, 43 unknown VDI or\n"
"disk, 44 step not run, else tapdisk-activate's code); 2 bad command line;\n"
"41 no xenstored; 45 daemon not running (nothing written); 46 no answer in\n"
"time (the request stays). See tapdisk-activated(8).\n",
		XSD_JOB_GRACE_MS / 1000u);
}

/* A dom0 process may write anything under XSD_ROOT: print it tamed. */
static void tame(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int fail(const struct client *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const struct client *c, int code, const char *fmt, ...)
{
	char msg[MESSAGE_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", msg);
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "command", XSD_CLIENT_COMMAND);
		json_string(&j, "vdi", c->vdi ? c->vdi : "");
		if (c->line[0]) {
			json_string(&j, "request", c->line);
			json_u64(&j, "id", c->req.id);
		}
		json_bool(&j, "ok", false);
		json_i64(&j, "exit_code", code);
		json_object_begin(&j, "error");
		json_string(&j, "message", msg);
		json_object_end(&j);
		json_object_end(&j);
		json_finish(&j);
	}
	return code;
}

static int parse_secs(const struct client *c, const char *opt,
		      const char *v, uint32_t *out, bool *has)
{
	const char *why;

	if (xsd_parse_u32(v, strlen(v), XSD_REQUEST_SECS_MAX, out, &why))
		return fail(c, XH_EXIT_USAGE, "%s wants seconds 0..%u, not '%s' (%s)",
			    opt, XSD_REQUEST_SECS_MAX, v, why);
	*has = true;
	return 0;
}

static int parse_disk(const struct client *c, const char *v,
		      struct xsd_request *r)
{
	const char *slash = strchr(v, '/'), *why = "no '/'";

	if (!slash ||
	    xsd_parse_domid(v, (size_t)(slash - v), false, &r->be_domid,
			    &why) ||
	    xsd_parse_devid(slash + 1, strlen(slash + 1), &r->be_devid, &why))
		return fail(c, XH_EXIT_USAGE, "--disk wants DOMID/DEVID (domain 1..%u), "
			    "not '%s' (%s)", XSD_DOMID_LIMIT - 1, v, why);
	r->has_backend = true;
	return 0;
}

static int parse_option(struct client *c, int opt, const char *arg)
{
	struct xsd_request *r = &c->req;
	const char *why;

	switch (opt) {
	case 'w':
		return parse_secs(c, "--wait", arg, &r->wait_s, &r->has_wait);
	case 't':
		return parse_secs(c, "--timeout", arg, &r->timeout_s,
				  &r->has_timeout);
	case 'a':
		return parse_secs(c, "--answer-timeout", arg, &c->answer_s,
				  &c->has_answer_s);
	case 'e':
		if (xsd_parse_u64(arg, strlen(arg), INT64_MAX, &r->version,
				  &why))
			return fail(c, XH_EXIT_USAGE, "--expect-version wants a lease "
				    "version, not '%s' (%s)", arg, why);
		r->has_version = true;
		return 0;
	case 'f':
		r->force = true;
		return 0;
	case 'd':
		return parse_disk(c, arg, r);
	case 'j':
		return 0;	/* seen before parsing: errors print JSON */
	case 'c':
		c->config = arg;
		return 0;
	case 'p':
		c->pid_file = arg;
		return 0;
	}
	if (!c->json)
		usage(stderr);
	return fail(c, XH_EXIT_USAGE, "bad command line (try --help)");
}

/* Request options (xsd_parse_request) and the client's options for them. */
static const struct {
	const char *wire, *cli;
} option_names[] = {
	{ "version=", "--expect-version" }, { "wait=", "--wait" },
	{ "timeout=", "--timeout" }, { "backend=", "--disk" },
	{ "force", "--force" },
};

/*
 * The daemon parser's reason @why in the client's terms: "force is only
 * valid with reactivate" becomes "--force is only ...", "timeout=0" becomes
 * "--timeout 0", so no message names an option this command lacks.
 */
static void cli_terms(const char *why, char *out, size_t size)
{
	size_t o = 0;

	while (*why && o + 1 < size) {
		size_t i, n = sizeof(option_names) / sizeof(option_names[0]);

		for (i = 0; i < n; i++) {
			size_t wl = strlen(option_names[i].wire);

			if (!strncmp(why, option_names[i].wire, wl))
				break;
		}
		if (i == n) {
			out[o++] = *why++;
			continue;
		}
		why += strlen(option_names[i].wire);
		o += (size_t)snprintf(out + o, size - o, "%s%s",
				      option_names[i].cli,
				      *why && *why != ' ' && *why != ')' ?
				      " " : "");
		if (o >= size)
			o = size - 1;
	}
	out[o] = '\0';
}

/* VDI and OP, then the request as the daemon's parser reads it: 0 or
 * the exit code. */
static int check_request(struct client *c, const char *op)
{
	const char *why;
	unsigned int i;

	if (xsd_parse_vdi_name(c->vdi, strlen(c->vdi), &why))
		return fail(c, XH_EXIT_USAGE, "'%s' is not a VDI name: %s (a name is "
			    "[A-Za-z0-9][A-Za-z0-9_-]*, at most %u characters)",
			    c->vdi, why, XSD_VDI_NAME_MAX);
	for (i = XSD_OP_ACTIVATE; i <= XSD_OP_STATUS; i++)
		if (!strcmp(op, xsd_op_name((enum xsd_op)i)))
			break;
	if (i > XSD_OP_STATUS)
		return fail(c, XH_EXIT_USAGE, "unknown operation '%s' (activate, "
			    "deactivate, reactivate, status)", op);
	c->req.op = (enum xsd_op)i;
	c->req.id = 1;		/* the real id is chosen when it is posted */
	if (xsd_format_request(&c->req, c->line, sizeof(c->line)) < 0 ||
	    xsd_parse_request(c->line, strlen(c->line), &c->req, &why)) {
		char reason[160];

		cli_terms(why, reason, sizeof(reason));
		c->line[0] = '\0';
		return fail(c, XH_EXIT_USAGE, "%s %s: %s", c->vdi, op, reason);
	}
	c->line[0] = '\0';
	return 0;
}

/* 0, -1 after --help, else the exit code. */
static int parse_args(struct client *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "expect-version", required_argument, NULL, 'e' },
		{ "force", no_argument, NULL, 'f' },
		{ "disk", required_argument, NULL, 'd' },
		{ "answer-timeout", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			c->json = true;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (parse_option(c, opt, optarg))
			return XH_EXIT_USAGE;
	}
	if (argc - optind != 2) {
		if (!c->json)
			usage(stderr);
		return fail(c, XH_EXIT_USAGE, "wants VDI and OP, got %d argument%s",
			    argc - optind, argc - optind == 1 ? "" : "s");
	}
	c->vdi = argv[optind];
	return check_request(c, argv[optind + 1]);
}

/*
 * Whether the daemon runs: it holds its pid file locked (daemon_main.c).
 * Puts its pid (or "") in @pid.
 */
static bool daemon_running(const char *pid_file, char *pid, size_t size)
{
	int fd = open(pid_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool locked = false;
	ssize_t n;

	pid[0] = '\0';
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB))
		locked = errno == EWOULDBLOCK;
	n = read(fd, pid, size - 1);
	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	tame(pid);
	close(fd);
	return locked;
}

/* The answer bound: the daemon's own bound for the step, plus its grace. */
static uint32_t answer_bound_s(const struct client *c)
{
	struct xsd_config cfg;
	char err[512];
	uint32_t step;

	if (c->has_answer_s)
		return c->answer_s;
	if (c->req.op == XSD_OP_STATUS)
		return STATUS_ANSWER_S;
	xsd_config_defaults(&cfg);
	/* Unreadable: the defaults (the daemon would not have started). */
	xsd_config_load(&cfg, c->config, false, err, sizeof(err));
	if (c->req.op == XSD_OP_DEACTIVATE)
		step = c->req.has_timeout ? c->req.timeout_s :
			cfg.deactivate_timeout_s;
	else if (c->req.op == XSD_OP_ACTIVATE && c->req.has_wait)
		step = c->req.wait_s;
	else
		step = cfg.activate_wait_s;
	return step + XSD_JOB_GRACE_MS / 1000u + ANSWER_SLACK_S;
}

/* The id a request or result line starts with; 0 when it has none. */
static uint64_t line_id(const char *v, int len)
{
	const char *sp, *why;
	uint64_t id;

	if (len <= 0)
		return 0;
	sp = memchr(v, ' ', (size_t)len);
	if (!sp || xsd_parse_u64(v, (size_t)(sp - v), INT64_MAX, &id, &why))
		return 0;
	return id;
}

/*
 * One attempt at posting: 0 written, 1 another requester's request is
 * pending (its text in @pending), -EAGAIN raced, -EIO failed.
 */
static int post_once(struct client *c, struct xsd_xs *xs, char *pending,
		     size_t psize)
{
	char req[XSD_REQUEST_MAX + 2], res[XSD_RESULT_MAX + 2];
	int rl, sl;
	uint64_t req_id, res_id, id;
	struct timespec ts;

	if (xsd_xs_begin(xs))
		return -EIO;
	rl = xsd_xs_read(xs, c->p_req, req, sizeof(req));
	sl = xsd_xs_read(xs, c->p_res, res, sizeof(res));
	req_id = line_id(req, rl);
	res_id = line_id(res, sl);
	/* The daemon answers a request it cannot read with id 0. */
	if (rl > 0 && !(sl > 0 && res_id == req_id)) {
		snprintf(pending, psize, "%s", req);
		tame(pending);
		xsd_xs_end(xs, true);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	id = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) %
		(uint64_t)INT64_MAX;
	while (!id || id == req_id || id == res_id)
		id++;
	c->req.id = id;
	if (xsd_format_request(&c->req, c->line, sizeof(c->line)) < 0 ||
	    xsd_xs_write(xs, c->p_req, c->line)) {
		xsd_xs_end(xs, true);
		return -EIO;
	}
	return xsd_xs_end(xs, false);
}

static int post(struct client *c, struct xsd_xs *xs)
{
	char pending[XSD_REQUEST_MAX + 2];

	for (int i = 0; i < POST_TRIES; i++) {
		int r = post_once(c, xs, pending, sizeof(pending));

		if (r == 0)
			return 0;
		if (r == 1) {
			c->line[0] = '\0';
			return fail(c, XH_EXIT_DAEMON_BUSY, "VDI %s: request "
				    "'%s' of another requester is not answered "
				    "yet (%s); nothing was written", c->vdi,
				    pending, c->p_req);
		}
		if (r != -EAGAIN)
			break;
	}
	c->line[0] = '\0';
	return fail(c, XH_EXIT_DAEMON_XENSTORE, "cannot write %s: %s",
		    c->p_req, strerror(errno));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* 1 with @code set once our answer is there, 0 not yet. */
static int answered(const struct client *c, struct xsd_xs *xs, int *code)
{
	char res[XSD_RESULT_MAX + 2];
	const char *why;
	uint64_t id;
	int n = xsd_xs_read(xs, c->p_res, res, sizeof(res));

	if (n <= 0 || xsd_parse_result(res, (size_t)n, &id, code, &why))
		return 0;
	return id == c->req.id;
}

/* Waits for the answer: 0 with @code, -1 when @limit_s passed. */
static int await(const struct client *c, struct xsd_xs *xs, uint32_t limit_s,
		 int *code)
{
	uint64_t end = now_ms() + (uint64_t)limit_s * 1000u;
	char path[160], token[16];

	for (;;) {
		struct pollfd pfd = { .fd = xsd_xs_fd(xs), .events = POLLIN };
		uint64_t now = now_ms();
		int ms;

		while (xsd_xs_next_event(xs, path, sizeof(path), token,
					 sizeof(token)) > 0)
			;
		if (answered(c, xs, code))
			return 0;
		if (now >= end)
			return -1;
		/* Re-read at least every second: never rely on one event. */
		ms = end - now > 1000u ? 1000 : (int)(end - now);
		poll(&pfd, 1, ms);
	}
}

static void print_answer(const struct client *c, struct xsd_xs *xs, int code)
{
	char msg[MESSAGE_MAX + 2], res[XSD_RESULT_MAX + 2];
	int n = xsd_xs_read(xs, c->p_msg, msg, sizeof(msg));

	if (n < 0)
		msg[0] = '\0';
	msg[strnlen(msg, sizeof(msg))] = '\0';
	tame(msg);
	if (xsd_xs_read(xs, c->p_res, res, sizeof(res)) < 0)
		res[0] = '\0';
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "command", XSD_CLIENT_COMMAND);
		json_string(&j, "vdi", c->vdi);
		json_string(&j, "request", c->line);
		json_u64(&j, "id", c->req.id);
		json_bool(&j, "ok", code == 0);
		json_i64(&j, "exit_code", code);
		json_string(&j, "result", res);
		if (code) {
			json_object_begin(&j, "error");
			json_string(&j, "message", msg);
			json_object_end(&j);
		} else {
			json_string(&j, "message", msg);
		}
		json_object_end(&j);
		json_finish(&j);
	}
	if (!code && !c->json)
		printf("%s: %s: ok: %s\n", c->vdi, c->line, msg);
	else if (code)
		fprintf(stderr, PROG ": %s: %s: error %d: %s\n", c->vdi,
			c->line, code, msg);
}

static int run(struct client *c, struct xsd_xs *xs)
{
	uint32_t limit = answer_bound_s(c);
	char pid[32];
	int code, rc;

	if (!daemon_running(c->pid_file, pid, sizeof(pid)))
		return fail(c, XH_EXIT_DAEMON_DOWN, "tapdisk-activated is not "
			    "running (%s is not locked); nothing was written "
			    "(systemctl status tapdisk-activated)",
			    c->pid_file);
	if (!xsd_xs_exists(xs, XSD_ROOT))
		return fail(c, XH_EXIT_DAEMON_DOWN, XSD_ROOT " does not exist: "
			    "tapdisk-activated (pid %s) has not started on "
			    "this xenstored; nothing was written", pid);
	if (xsd_xs_watch(xs, c->p_res, "res"))
		return fail(c, XH_EXIT_DAEMON_XENSTORE, "cannot watch %s: %s",
			    c->p_res, strerror(errno));
	rc = post(c, xs);
	if (rc)
		return rc;
	if (await(c, xs, limit, &code)) {
		bool up = daemon_running(c->pid_file, pid, sizeof(pid));

		return fail(c, XH_EXIT_DAEMON_NO_ANSWER, "no answer within "
			    "%" PRIu32 " s: waited for %s to read '%" PRIu64
			    " ok' or '%" PRIu64 " error CODE' (request '%s'); "
			    "tapdisk-activated %s; the request stays and is "
			    "answered when the daemon gets to it", limit,
			    c->p_res, c->req.id, c->req.id, c->line,
			    up ? "runs but did not answer" :
			    "is no longer running");
	}
	print_answer(c, xs, code);
	return code;
}

int xsd_client_main(int argc, char **argv, const char *config,
		    const char *pid_file)
{
	struct client c = { .config = config, .pid_file = pid_file };
	struct xsd_xs xs = { 0 };
	char err[256];
	int rc;

	rc = parse_args(&c, argc, argv);
	if (rc)
		return rc < 0 ? XH_EXIT_OK : rc;	/* -1: --help */
	snprintf(c.p_req, sizeof(c.p_req), XSD_ROOT "/%s/" XSD_KEY_REQUEST,
		 c.vdi);
	snprintf(c.p_res, sizeof(c.p_res), XSD_ROOT "/%s/" XSD_KEY_RESULT,
		 c.vdi);
	snprintf(c.p_msg, sizeof(c.p_msg), XSD_ROOT "/%s/" XSD_KEY_MESSAGE,
		 c.vdi);
	if (xsd_xs_open(&xs, err, sizeof(err)))
		return fail(&c, XH_EXIT_DAEMON_XENSTORE, "%s", err);
	rc = run(&c, &xs);
	xsd_xs_close(&xs);
	return rc;
}
