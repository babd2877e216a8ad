// SPDX-License-Identifier: GPL-2.0 OR MIT
/* handover_cli: option parsing shared by the handover commands. */
#include "handover_cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_args.h"
#include "common/exitcodes.h"

enum {
	OPT_HOST_ID = 256, OPT_BACKEND, OPT_TIMEOUT, OPT_WAIT, OPT_EXPECT,
	OPT_FORCE, OPT_UNSAFE, OPT_RO, OPT_SHAREABLE, OPT_LEASE, OPT_STATE,
	OPT_FORMAT, OPT_JSON, OPT_HELP, OPT_SUCCESSOR,
};

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tapdisk-activate %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	return XH_EXIT_USAGE;
}

/*
 * One option @opt (with optarg) into @c; -1 to go on, else the exit code
 * to stop with (a usage error, or 0 after --help).
 */
static int apply_option(struct handover_cli *c, int opt, const char *cmd,
			const char *usage, bool *have_backend)
{
	struct handover_opts *o = &c->opts;
	char err[600];
	double secs;

	switch (opt) {
	case OPT_HOST_ID:
		if (!cli_parse_host_id(optarg, &o->host_id))
			return usage_error(cmd,
				"--host-id must be 1..%u, not '%s'",
				LEASE_MAX_HOSTS, optarg);
		break;
	case OPT_BACKEND:
		if (backend_parse(optarg, &o->backend, err,
				  sizeof(err)))
			return usage_error(cmd, "%s", err);
		*have_backend = true;
		break;
	case OPT_TIMEOUT:
		if (!cli_parse_seconds(optarg, &secs) || secs < 0.001)
			return usage_error(cmd,
				"--timeout needs seconds > 0, not '%s'",
				optarg);
		o->timeout_ms = (int)(secs * 1000.0 + 0.5);
		break;
	case OPT_WAIT:
		if (!cli_parse_seconds(optarg, &o->lease_wait_s))
			return usage_error(cmd,
				"--wait needs seconds >= 0, not '%s'",
				optarg);
		break;
	case OPT_EXPECT:
		if (!cli_parse_u64(optarg, UINT64_MAX, &o->expect_version))
			return usage_error(cmd,
				"bad --expect-version '%s'", optarg);
		o->has_expect_version = true;
		break;
	case OPT_SUCCESSOR:
		if (!cli_parse_host_id(optarg, &o->successor_host_id))
			return usage_error(cmd,
				"--successor must be 1..%u, not '%s'",
				LEASE_MAX_HOSTS, optarg);
		break;
	case OPT_FORCE: o->force = true; break;
	case OPT_UNSAFE: o->allow_unsafe = true; break;
	case OPT_RO: o->read_only = true; break;
	case OPT_SHAREABLE: o->shareable = true; break;
	case OPT_LEASE: o->lease_spec = optarg; break;
	case OPT_STATE: o->state_path = optarg; break;
	case OPT_FORMAT:
		if (!strcmp(optarg, "raw"))
			o->raw = true;
		else if (strcmp(optarg, "vhd"))
			return usage_error(cmd,
				"--format is vhd or raw, not '%s'",
				optarg);
		break;
	case OPT_JSON: c->json = true; break;
	case OPT_HELP:
		fputs(usage, stdout);
		c->help = true;
		return XH_EXIT_OK;
	}
	return -1;
}

int handover_cli_parse(struct handover_cli *c, int argc, char **argv,
		       unsigned int accepted, const char *usage)
{
	static const struct option all[] = {
		{ "host-id", required_argument, NULL, OPT_HOST_ID },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "expect-version", required_argument, NULL, OPT_EXPECT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "unsafe", no_argument, NULL, OPT_UNSAFE },
		{ "read-only", no_argument, NULL, OPT_RO },
		{ "shareable", no_argument, NULL, OPT_SHAREABLE },
		{ "lease", required_argument, NULL, OPT_LEASE },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "successor", required_argument, NULL, OPT_SUCCESSOR },
		{ NULL, 0, NULL, 0 }
	};
	static const unsigned int need[] = {
		[OPT_HOST_ID - 256] = HCLI_HOST_ID,
		[OPT_BACKEND - 256] = HCLI_BACKEND,
		[OPT_TIMEOUT - 256] = HCLI_TIMEOUT,
		[OPT_WAIT - 256] = HCLI_WAIT,
		[OPT_EXPECT - 256] = HCLI_EXPECT,
		[OPT_FORCE - 256] = HCLI_FORCE,
		[OPT_UNSAFE - 256] = HCLI_SAFETY,
		[OPT_RO - 256] = HCLI_SAFETY,
		[OPT_SHAREABLE - 256] = HCLI_SAFETY,
		[OPT_LEASE - 256] = HCLI_LEASE,
		[OPT_STATE - 256] = HCLI_LEASE,
		[OPT_FORMAT - 256] = HCLI_LEASE,
		[OPT_JSON - 256] = 0,
		[OPT_HELP - 256] = 0,
		[OPT_SUCCESSOR - 256] = HCLI_SUCCESSOR,
	};
	struct handover_opts *o = &c->opts;
	const char *cmd = argv[0];
	char err[600];
	bool have_backend = false;
	int opt, ret;

	memset(c, 0, sizeof(*c));
	o->timeout_ms = HANDOVER_DEFAULT_TIMEOUT_MS;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", all, NULL)) != -1) {
		if (opt < 256 || need[opt - 256] & ~accepted) {
			return usage_error(cmd, "unknown or misplaced option %s",
					   argv[optind - 1]);
		}
		ret = apply_option(c, opt, cmd, usage, &have_backend);
		if (ret >= 0)
			return ret;
	}
	if (optind != argc - 1)
		return usage_error(cmd, "%s", optind >= argc ?
				   "missing VDI argument" :
				   "exactly one VDI argument expected");
	o->vdi = argv[optind];
	if (!*o->vdi)
		return usage_error(cmd, "%s", "empty VDI path");
	if ((accepted & HCLI_HOST_ID_REQUIRED) && !o->host_id)
		return usage_error(cmd, "%s", "--host-id N is required");
	if (!have_backend)
		backend_parse("none", &o->backend, err, sizeof(err));
	return -1;
}

/*
 * --wait on a terminal: one status line on stderr, redrawn in place, of
 * what the lease wait waits for, and cleared when the wait ends. Only
 * when stderr is a terminal: a pipe or a file (the daemon, scripts) gets
 * exactly the output it got before.
 */
struct wait_line {
	bool shown;
};

static void show_lease_wait(void *arg, const struct lease_status *st,
			    double left_s)
{
	struct wait_line *w = arg;
	char name[LEASE_NAME_LEN + 1];
	size_t i;

	/* Another host wrote the name: no terminal control gets through. */
	for (i = 0; i < LEASE_NAME_LEN && st->owner.host_name[i]; i++) {
		unsigned char ch = (unsigned char)st->owner.host_name[i];

		name[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
	}
	name[i] = '\0';
	if (left_s < 0)
		left_s = 0;
	if (st->has_owner)
		fprintf(stderr, "\r\033[Kwaiting for the lease: held by host "
			"%u (%s) at version %llu, %.0f s left",
			(unsigned int)st->owner.host_id, name,
			(unsigned long long)st->version, left_s);
	else
		fprintf(stderr, "\r\033[Kwaiting for the lease: free at "
			"version %llu, handed to waiting host %u, %.0f s left",
			(unsigned long long)st->version,
			(unsigned int)st->successor_host_id, left_s);
	fflush(stderr);
	w->shown = true;
}

int handover_cli_run(int argc, char **argv, unsigned int accepted,
		     const char *usage,
		     int (*op)(const struct handover_opts *o,
			       struct handover_result *r))
{
	struct handover_result r;
	struct handover_cli c;
	struct wait_line wait = { 0 };
	int ret;

	ret = handover_cli_parse(&c, argc, argv, accepted, usage);
	if (ret >= 0)
		return ret;
	if (c.opts.lease_wait_s > 0 && isatty(STDERR_FILENO)) {
		c.opts.on_lease_wait = show_lease_wait;
		c.opts.on_lease_wait_arg = &wait;
	}
	ret = op(&c.opts, &r);
	if (wait.shown)
		fputs("\r\033[K", stderr);
	handover_print(c.json || !ret ? stdout : stderr, &c.opts, &r, c.json);
	return ret;
}
