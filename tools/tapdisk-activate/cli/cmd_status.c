// SPDX-License-Identifier: GPL-2.0 OR MIT
/* tapdisk-activate status: lease, backend and last handovers of a VDI. */
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/exitcodes.h"
#include "handover_cli.h"
#include "common/json.h"

static const char usage[] =
"usage: tapdisk-activate status VDI [--host-id N] [--backend SPEC]\n"
"           [--lease PATH[:OFFSET]] [--state FILE] [--timeout S] [--json]\n"
"\n"
"Shows who holds the lease of VDI and at which version, what the backend is\n"
"doing (with --backend), and each host's last recorded handover: operation,\n"
"result, released/acquired version, metadata fingerprint, step timings.\n"
"Records are read from LEASE.host<N>.state (all hosts, or --host-id N).\n"
"Reads only; exit 0 when the lease could be read.\n"
"See tapdisk-activate-status(8).\n";

#define MAX_RECORDS 64

static void record_json(struct json *j, const char *path,
			const struct handover_state *st)
{
	json_object_begin(j, NULL);
	json_string(j, "path", path);
	json_u64(j, "host_id", st->host_id);
	json_string(j, "last_op", st->last_op);
	json_string(j, "result", st->result);
	json_i64(j, "time", st->time);
	if (st->has_released_version)
		json_u64(j, "released_version", st->released_version);
	if (st->has_acquired_version)
		json_u64(j, "acquired_version", st->acquired_version);
	json_string(j, "fingerprint", st->fingerprint);
	json_string(j, "backend", st->backend);
	json_object_begin(j, "timings_us");
	for (unsigned int i = 0; i < st->nr_steps; i++)
		json_u64(j, st->steps[i].name, st->steps[i].us);
	json_u64(j, "total", st->total_us);
	json_object_end(j);
	json_object_end(j);
}

static void record_text(const struct handover_state *st)
{
	char when[32] = "?";
	time_t t = (time_t)st->time;
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("host %u: last %s %s at %s", (unsigned int)st->host_id,
	       st->last_op, st->result, when);
	if (st->has_released_version)
		printf(", released version %" PRIu64, st->released_version);
	if (st->has_acquired_version)
		printf(", acquired version %" PRIu64, st->acquired_version);
	printf(", %.1f ms\n", (double)st->total_us / 1000.0);
	if (st->fingerprint[0])
		printf("  fingerprint %s\n", st->fingerprint);
	printf("  steps:");
	for (unsigned int i = 0; i < st->nr_steps; i++)
		printf(" %s %.1f ms", st->steps[i].name,
		       (double)st->steps[i].us / 1000.0);
	printf("\n");
}

/* --json: a lease that cannot be read, in the handover commands' shape. */
static void status_error_json(const char *vdi, int ret, const char *err)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "command", "status");
	json_string(&j, "vdi", vdi);
	json_bool(&j, "ok", false);
	json_i64(&j, "exit_code", handover_lease_exit(ret));
	json_object_begin(&j, "error");
	json_string(&j, "step", "lease");
	json_string(&j, "message", err);
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

/* The lease and the backend; leaves the "handovers" array open. */
static void status_head_json(struct json *j, const struct handover_cli *c,
			     const struct handover_status *hs)
{
	const struct lease_status *st = &hs->lease;
	const struct backend_status *bs = &hs->backend;

	json_init(j, stdout);
	json_object_begin(j, NULL);
	json_string(j, "command", "status");
	json_string(j, "vdi", c->opts.vdi);
	json_object_begin(j, "lease");
	json_string(j, "state", lease_state_name(st->state));
	json_u64(j, "version", st->version);
	if (st->pending_version > st->version)
		json_u64(j, "pending_version", st->pending_version);
	if (st->has_owner) {
		json_u64(j, "owner_host_id", st->owner.host_id);
		json_string(j, "owner_host_name", st->owner.host_name);
	} else {
		json_null(j, "owner_host_id");
	}
	json_u64(j, "timeout_s", st->timeout_s);
	if (st->state == LEASE_STATE_DAMAGED)
		json_string(j, "damage", st->damage);
	json_object_end(j);
	json_object_begin(j, "backend");
	json_string(j, "spec", c->opts.backend.spec);
	json_string(j, "state", c->opts.backend.kind == BACKEND_NONE ?
		    "none" : bs->state);
	json_bool(j, "paused", bs->paused);
	if (bs->image[0])
		json_string(j, "image", bs->image);
	if (hs->backend_result != BACKEND_OK)
		json_string(j, "error", hs->backend_err);
	json_object_end(j);
	json_array_begin(j, "handovers");
}

static void status_head_text(const struct handover_cli *c,
			     const struct handover_status *hs)
{
	const struct lease_status *st = &hs->lease;
	const struct backend_status *bs = &hs->backend;

	printf("%s\nlease: %s, version %" PRIu64, c->opts.vdi,
	       lease_state_name(st->state), st->version);
	if (st->has_owner)
		printf(", %s host %u (%s)",
		       st->state == LEASE_STATE_HELD ? "held by" :
		       "last held by", (unsigned int)st->owner.host_id,
		       st->owner.host_name);
	printf("\n");
	if (c->opts.backend.kind != BACKEND_NONE)
		printf("backend %s: %s%s%s\n", c->opts.backend.spec,
		       hs->backend_result == BACKEND_OK ? bs->state :
		       hs->backend_err,
		       bs->image[0] ? " " : "", bs->image);
}

int cmd_status(int argc, char **argv)
{
	static struct handover_status hs;	/* large: not on the stack */
	struct handover_state rec;
	struct handover_cli c;
	char err[1024] = "";
	struct json j;
	int ret;

	ret = handover_cli_parse(&c, argc, argv, HCLI_HOST_ID | HCLI_BACKEND |
				 HCLI_TIMEOUT | HCLI_LEASE, usage);
	if (ret >= 0)
		return ret;
	ret = handover_status(&c.opts, &hs, err, sizeof(err));
	if (ret != LEASE_OK) {
		fprintf(stderr, "tapdisk-activate status: cannot read the lease "
			"of %s: %s\n", c.opts.vdi, err);
		if (c.json)
			status_error_json(c.opts.vdi, ret, err);
		return handover_lease_exit(ret);
	}
	if (c.json)
		status_head_json(&j, &c, &hs);
	else
		status_head_text(&c, &hs);
	for (size_t i = 0; i < hs.records.gl_pathc + (hs.one[0] ? 1 : 0); i++) {
		const char *p = hs.one[0] ? hs.one : hs.records.gl_pathv[i];

		if (handover_state_load(p, &rec, err, sizeof(err))) {
			if (!c.json && !hs.one[0])
				printf("%s\n", err);
			continue;
		}
		if (c.json)
			record_json(&j, p, &rec);
		else
			record_text(&rec);
	}
	if (c.json) {
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	}
	handover_status_release(&hs);
	return XH_EXIT_OK;
}
