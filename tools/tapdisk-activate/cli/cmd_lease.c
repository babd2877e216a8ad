// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapdisk-activate lease init|acquire|renew|release|status|break LEASE
 *
 * Thin command line over lease.h; every result maps to one documented exit
 * code (common/exitcodes.h, tapdisk-activate-lease(8)).
 */
#include "cmd_lease.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_args.h"
#include "common/exitcodes.h"
#include "common/json.h"
#include "handover/handover.h"	/* handover_lease_exit */
#include "lease/lease.h"

struct lease_cli {
	const char *sub;
	const char *spec;
	long host_id;
	const char *host_name;
	const char *token;
	bool has_expect, has_version, has_timeout, json, force, repair;
	uint64_t expect_version, version;
	double wait;
	uint32_t timeout, sector_size;
	long successor;
	unsigned int given;	/* LO_* of the options on the command line */
};

/* The options, as bits: which a command line gave, which a subcommand takes. */
enum {
	LO_HOST_ID = 1u << 0, LO_HOST_NAME = 1u << 1, LO_TOKEN = 1u << 2,
	LO_EXPECT = 1u << 3, LO_VERSION = 1u << 4, LO_WAIT = 1u << 5,
	LO_TIMEOUT = 1u << 6, LO_SECTOR = 1u << 7, LO_SUCCESSOR = 1u << 8,
	LO_JSON = 1u << 9, LO_FORCE = 1u << 10, LO_REPAIR = 1u << 11,
};

/* getopt's value of each option, in the order of the LO_* bits. */
static const char lease_opt_chars[] = "inteVwTsSjfr";

static const struct option lease_opts[] = {
	{ "host-id", required_argument, NULL, 'i' },
	{ "host-name", required_argument, NULL, 'n' },
	{ "token", required_argument, NULL, 't' },
	{ "expect-version", required_argument, NULL, 'e' },
	{ "version", required_argument, NULL, 'V' },
	{ "wait", required_argument, NULL, 'w' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "sector-size", required_argument, NULL, 's' },
	{ "successor", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'f' },
	{ "repair", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tapdisk-activate lease SUBCOMMAND [OPTIONS] LEASE\n"
		"LEASE is PATH[:OFFSET]: a lease file (a file VDI's default is IMAGE.lease)\n"
		"or a block device range. Subcommands:\n"
		"  init     [--timeout S] [--sector-size 512|4096] [--force]\n"
		"  acquire  --host-id N [--token T] [--host-name H] [--expect-version V]\n"
		"           [--wait S] [--force]\n"
		"  renew    --host-id N --token T [--version V]\n"
		"  release  --host-id N --token T [--version V] [--successor N]\n"
		"  status   [--json]\n"
		"  break    --force --host-id N [--repair]   (only after fencing the owner)\n"
		"Options:\n"
		"  --host-id N         this host's id, 1..%u, unique per host\n"
		"  --host-name H       host name or uuid (default: gethostname)\n"
		"  --token T           holder token (acquire: generated if absent)\n"
		"  --expect-version V  acquire only if nobody acquired since version V\n"
		"  --version V         version held (default: the current one)\n"
		"  --wait S            keep trying S seconds (waits out expiry)\n"
		"  --timeout S         init: expiry timeout, 0 = never (default %u)\n"
		"  --successor N       release: host N gets the fast acquire (default: self, 0: none)\n"
		"  --json              one JSON object on stdout\n"
		"Exit codes: 0 ok, 2 usage, 4 I/O, 10 held, 11 version moved, 12 damaged,\n"
		"13 not owner, 14 lost, 15 contended, 16 not a lease area (init: exists).\n",
		LEASE_MAX_HOSTS, LEASE_DEFAULT_TIMEOUT_S);
}

static int parse(int argc, char **argv, struct lease_cli *c)
{
	uint64_t v;
	int ch;

	c->successor = -1;
	c->timeout = LEASE_DEFAULT_TIMEOUT_S;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lease_opts, NULL)) != -1) {
		const char *at = ch ? strchr(lease_opt_chars, ch) : NULL;

		if (at)
			c->given |= 1u << (at - lease_opt_chars);
		switch (ch) {
		case 'i':
			if (!cli_parse_u64(optarg, LEASE_MAX_HOSTS, &v) || !v) {
				fprintf(stderr, "tapdisk-activate lease: --host-id "
					"must be 1..%u, not '%s' (try --help)\n",
					LEASE_MAX_HOSTS, optarg);
				return XH_EXIT_USAGE;
			}
			c->host_id = (long)v;
			break;
		case 'n': c->host_name = optarg; break;
		case 't': c->token = optarg; break;
		case 'e':
			if (!cli_parse_u64(optarg, UINT64_MAX, &c->expect_version))
				goto bad;
			c->has_expect = true;
			break;
		case 'V':
			if (!cli_parse_u64(optarg, UINT64_MAX, &c->version))
				goto bad;
			c->has_version = true;
			break;
		case 'w':
			if (!cli_parse_seconds(optarg, &c->wait))
				goto bad;
			break;
		case 'T':
			if (!cli_parse_u64(optarg, LEASE_MAX_TIMEOUT_S, &v))
				goto bad;
			c->timeout = (uint32_t)v;
			c->has_timeout = true;
			break;
		case 's':
			if (!cli_parse_u64(optarg, 4096, &v) ||
			    (v != 512 && v != 4096))
				goto bad;
			c->sector_size = (uint32_t)v;
			break;
		case 'S':
			if (!cli_parse_u64(optarg, LEASE_MAX_HOSTS, &v))
				goto bad;
			c->successor = (long)v;
			break;
		case 'j': c->json = true; break;
		case 'f': c->force = true; break;
		case 'r': c->repair = true; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return XH_EXIT_USAGE;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "tapdisk-activate lease: need SUBCOMMAND and LEASE (try --help)\n");
		return XH_EXIT_USAGE;
	}
	c->sub = argv[optind];
	c->spec = argv[optind + 1];
	return 0;
bad:
	fprintf(stderr, "tapdisk-activate lease: bad option value '%s' (try --help)\n",
		optarg);
	return XH_EXIT_USAGE;
}

/* Set once a command printed its JSON object (--json prints one). */
static bool json_printed;

/* --json: the object of a failure that printed nothing else, in the shape
 * of the handover commands' reports (command, ok, exit_code, error). */
static void print_error_json(const struct lease_cli *c, int exit_code,
			     const char *message)
{
	struct json j;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "lease %s", c->sub ? c->sub : "");
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "command", cmd);
	json_string(&j, "lease", c->spec ? c->spec : "");
	json_bool(&j, "ok", false);
	json_i64(&j, "exit_code", exit_code);
	json_object_begin(&j, "error");
	json_string(&j, "message", message);
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
	json_printed = true;
}

/* @result: acquire's outcome ("acquired", "held", ...), NULL elsewhere. */
static void print_status(const struct lease_cli *c, const struct lease_status *st,
			 int r, const char *err, const char *result)
{
	/* A damaged header: version, timeout and geometry are unknown. */
	bool no_header = !st->sector_size;

	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		if (result)
			json_string(&j, "result", result);
		json_string(&j, "lease", c->spec);
		json_string(&j, "state", lease_state_name(st->state));
		if (no_header)
			json_null(&j, "version");
		else
			json_u64(&j, "version", st->version);
		if (st->pending_version)
			json_u64(&j, "pending_version", st->pending_version);
		else
			json_null(&j, "pending_version");
		if (st->has_owner) {
			json_u64(&j, "owner_host_id", st->owner.host_id);
			json_string(&j, "owner_host_name", st->owner.host_name);
			json_string(&j, "owner_token", st->owner.token);
			json_u64(&j, "renewals", st->renewals);
		} else {
			json_null(&j, "owner_host_id");
			json_null(&j, "owner_host_name");
			json_null(&j, "owner_token");
			json_null(&j, "renewals");
		}
		if (!st->has_owner && st->owner.host_id) {
			json_u64(&j, "last_owner_host_id", st->owner.host_id);
			json_string(&j, "last_owner_token", st->owner.token);
		}
		if (no_header)
			json_null(&j, "timeout_s");
		else
			json_u64(&j, "timeout_s", st->timeout_s);
		if (st->successor_host_id)
			json_u64(&j, "successor_host_id", st->successor_host_id);
		else
			json_null(&j, "successor_host_id");
		if (no_header) {
			json_null(&j, "sector_size");
			json_null(&j, "max_hosts");
		} else {
			json_u64(&j, "sector_size", st->sector_size);
			json_u64(&j, "max_hosts", st->max_hosts);
		}
		json_u64(&j, "offset", st->offset);
		if (r == LEASE_DAMAGED)
			json_string(&j, "damage", err);
		else
			json_null(&j, "damage");
		json_object_end(&j);
		json_finish(&j);
		json_printed = true;
		return;
	}
	printf("lease:     %s\nstate:     %s\n", c->spec, lease_state_name(st->state));
	if (no_header) {
		if (r == LEASE_DAMAGED)
			printf("damage:    %s\n", err);
		return;
	}
	printf("version:   %llu\n", (unsigned long long)st->version);
	if (st->pending_version)
		printf("pending:   version %llu (ballot under way or commit lost)\n",
		       (unsigned long long)st->pending_version);
	if (st->has_owner)
		printf("owner:     host %u '%s' token '%s'\nrenewals:  %llu\n",
		       st->owner.host_id, st->owner.host_name, st->owner.token,
		       (unsigned long long)st->renewals);
	else if (st->owner.host_id)
		printf("last:      host %u '%s' token '%s'\n", st->owner.host_id,
		       st->owner.host_name, st->owner.token);
	printf("timeout:   %u s%s\n", st->timeout_s,
	       st->timeout_s ? "" : " (never expires)");
	if (st->successor_host_id)
		printf("successor: host %u\n", st->successor_host_id);
	printf("sectors:   %u bytes, %u host slots\n", st->sector_size,
	       st->max_hosts);
	if (r == LEASE_DAMAGED)
		printf("damage:    %s\n", err);
}

static void print_holder(const struct lease_cli *c, const char *what,
			 const struct lease_holder *h)
{
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "result", what);
		json_u64(&j, "version", h->version);
		json_u64(&j, "host_id", h->host_id);
		json_string(&j, "host_name", h->host_name);
		json_string(&j, "token", h->token);
		json_object_end(&j);
		json_finish(&j);
		json_printed = true;
	} else {
		printf("%s version %llu host %u token %s\n", what,
		       (unsigned long long)h->version, h->host_id, h->token);
	}
}

static int need_holder(const struct lease_cli *c, struct lease *l,
		       struct lease_holder *h)
{
	struct lease_status st;
	int r;

	if (!c->host_id || !c->token) {
		fprintf(stderr, "tapdisk-activate lease %s: --host-id and --token are required\n",
			c->sub);
		return -1;
	}
	memset(h, 0, sizeof(*h));
	h->host_id = (uint16_t)c->host_id;
	if (c->host_name)
		snprintf(h->host_name, sizeof(h->host_name), "%s",
			 c->host_name);
	else if (gethostname(h->host_name, sizeof(h->host_name) - 1))
		strcpy(h->host_name, "unknown");
	if (strlen(c->token) >= sizeof(h->token)) {
		fprintf(stderr, "tapdisk-activate lease: token too long\n");
		return -1;
	}
	strcpy(h->token, c->token);
	h->version = c->version;
	if (!c->has_version) {
		r = lease_read_status(l, &st);
		if (r)
			return r;
		h->version = st.version;
	}
	return 0;
}

/* A subcommand's result: a lease_result, or SUB_USAGE (message printed). */
#define SUB_USAGE (-1)

static int sub_init(struct lease_cli *c, struct lease *l,
		    struct lease_status *st)
{
	struct lease_init_opts o = { .sector_size = c->sector_size,
				     .timeout_s = c->timeout,
				     .force = c->force };
	int r = lease_init(l, &o);

	if (!r && !c->json)
		printf("initialised %s: %u host slots, timeout %u s\n",
		       c->spec, LEASE_MAX_HOSTS, c->timeout);
	if (!r && c->json) {
		r = lease_read_status(l, st);
		print_status(c, st, r, lease_last_error(l), NULL);
	}
	return r;
}

static int sub_status(struct lease_cli *c, struct lease *l,
		      struct lease_status *st)
{
	int r = lease_read_status(l, st);

	if (r == LEASE_OK || st->state == LEASE_STATE_DAMAGED)
		print_status(c, st, r, lease_last_error(l), NULL);
	return r;
}

static int sub_acquire(struct lease_cli *c, struct lease *l,
		       struct lease_status *st)
{
	struct lease_acquire_opts o = {
		.host_id = (uint16_t)c->host_id,
		.host_name = c->host_name, .token = c->token,
		.has_expect_version = c->has_expect,
		.expect_version = c->expect_version,
		.wait_seconds = c->wait, .force = c->force,
	};
	struct lease_holder h;
	int r = lease_acquire(l, &o, &h, st);

	if (!r && !c->json) {
		print_holder(c, "acquired", &h);
	} else if (!r) {
		/* --json: one shape, acquired or not: the lease as it is
		 * now, with the outcome. */
		if (lease_read_status(l, st) == LEASE_OK)
			print_status(c, st, r, "", "acquired");
	} else if (c->json && (r == LEASE_HELD || r == LEASE_VERSION_MOVED)) {
		print_status(c, st, r, lease_last_error(l),
			     r == LEASE_HELD ? "held" : "version_moved");
	}
	return r;
}

static int sub_break(struct lease_cli *c, struct lease *l,
		     struct lease_status *st)
{
	struct lease_holder b = { .host_id = (uint16_t)c->host_id };
	int r;

	if (c->host_name)
		snprintf(b.host_name, sizeof(b.host_name), "%s", c->host_name);
	if (c->token)
		snprintf(b.token, sizeof(b.token), "%s", c->token);
	r = lease_break(l, &b, c->force, c->repair, st);
	if (!r)
		print_status(c, st, r, "", NULL);
	return r;
}

/* renew and release: the holder named on the command line. */
static int sub_holder(struct lease_cli *c, struct lease *l,
		      struct lease_status *st)
{
	bool renew = !strcmp(c->sub, "renew");
	struct lease_holder h;
	int r;

	(void)st;
	r = need_holder(c, l, &h);
	if (r < 0) {
		if (c->json)
			print_error_json(c, XH_EXIT_USAGE,
					 "--host-id and --token are required");
		return SUB_USAGE;
	}
	if (!r && renew)
		r = lease_renew(l, &h);
	else if (!r)
		r = lease_release(l, &h, c->successor < 0 ?
				  h.host_id : (uint16_t)c->successor);
	if (!r)
		print_holder(c, renew ? "renewed" : "released", &h);
	return r;
}

/* Each subcommand: how it opens the lease, the options it takes (one that
 * takes --host-id acts as a host and needs it). */
static const struct lease_sub {
	const char *name;
	unsigned int open_flags;
	unsigned int takes;	/* LO_* it accepts; others are usage errors */
	int (*fn)(struct lease_cli *c, struct lease *l,
		  struct lease_status *st);
} lease_subs[] = {
	{ "init", LEASE_OPEN_CREATE,
	  LO_TIMEOUT | LO_SECTOR | LO_FORCE | LO_JSON, sub_init },
	{ "status", LEASE_OPEN_READ_ONLY, LO_JSON, sub_status },
	{ "acquire", 0, LO_HOST_ID | LO_HOST_NAME | LO_TOKEN |
	  LO_EXPECT | LO_WAIT | LO_FORCE | LO_JSON, sub_acquire },
	{ "renew", 0, LO_HOST_ID | LO_HOST_NAME | LO_TOKEN |
	  LO_VERSION | LO_JSON, sub_holder },
	{ "release", 0, LO_HOST_ID | LO_HOST_NAME | LO_TOKEN |
	  LO_VERSION | LO_SUCCESSOR | LO_JSON, sub_holder },
	{ "break", 0, LO_HOST_ID | LO_HOST_NAME | LO_TOKEN |
	  LO_FORCE | LO_REPAIR | LO_JSON, sub_break },
};

/* The long name of the first option in @bits, for a usage message. */
static const char *opt_name(unsigned int bits)
{
	for (unsigned int i = 0; lease_opt_chars[i]; i++) {
		if (!(bits & (1u << i)))
			continue;
		for (const struct option *o = lease_opts; o->name; o++)
			if (o->val == lease_opt_chars[i])
				return o->name;
	}
	return "?";
}

static int run(struct lease_cli *c)
{
	const struct lease_sub *sub = NULL;
	struct lease_status st;
	struct lease *l;
	char err[512];
	int r;

	for (size_t i = 0; i < sizeof(lease_subs) / sizeof(lease_subs[0]); i++)
		if (!strcmp(c->sub, lease_subs[i].name))
			sub = &lease_subs[i];
	if (!sub) {
		fprintf(stderr, "tapdisk-activate lease: unknown subcommand '%s' (try --help)\n",
			c->sub);
		return XH_EXIT_USAGE;
	}
	/* What the command line lacks or has in excess is a usage error (2)
	 * before anything is opened: a missing lease must not hide it. */
	if (c->given & ~sub->takes) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s does not take --%s", c->sub,
			 opt_name(c->given & ~sub->takes));
		fprintf(stderr, "tapdisk-activate lease %s (try --help)\n", msg);
		if (c->json)
			print_error_json(c, XH_EXIT_USAGE, msg);
		return XH_EXIT_USAGE;
	}
	if ((sub->takes & LO_HOST_ID) && !c->host_id) {
		fprintf(stderr, "tapdisk-activate lease %s: --host-id is "
			"required\n", c->sub);
		if (c->json)
			print_error_json(c, XH_EXIT_USAGE,
					 "--host-id is required");
		return XH_EXIT_USAGE;
	}
	r = lease_open(&l, c->spec, sub->open_flags, err, sizeof(err));
	if (r) {
		fprintf(stderr, "tapdisk-activate lease: %s\n", err);
		if (c->json)
			print_error_json(c, handover_lease_exit(r), err);
		return handover_lease_exit(r);
	}
	memset(&st, 0, sizeof(st));
	r = sub->fn(c, l, &st);
	if (r == SUB_USAGE) {
		lease_close(l);
		return XH_EXIT_USAGE;
	}
	if (r) {
		fprintf(stderr, "tapdisk-activate lease %s: %s: %s\n", c->sub,
			lease_strerror(r), lease_last_error(l));
		if (c->json && !json_printed) {
			char msg[600];

			snprintf(msg, sizeof(msg), "%s: %s", lease_strerror(r),
				 lease_last_error(l));
			print_error_json(c, handover_lease_exit(r), msg);
		}
	}
	lease_close(l);
	return handover_lease_exit(r);
}

int cmd_lease(int argc, char **argv)
{
	struct lease_cli c = { 0 };
	int r = parse(argc, argv, &c);

	if (r)
		return r < 0 ? XH_EXIT_OK : r;
	return run(&c);
}
