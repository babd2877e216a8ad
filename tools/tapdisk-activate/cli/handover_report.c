// SPDX-License-Identifier: GPL-2.0 OR MIT
/* handover_report: text and JSON output of a handover command. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "handover/handover.h"
#include "handover/handover_wire.h"
#include "common/json.h"

/* The daemon's decoder takes back every string this report can hold. */
_Static_assert(sizeof(((struct handover_outcome *)0)->message) >=
	       sizeof(((struct handover_result *)0)->message), "message");
_Static_assert(sizeof(((struct handover_outcome *)0)->step) >=
	       sizeof(((struct handover_result *)0)->failed_step), "step");
_Static_assert(sizeof(((struct handover_outcome *)0)->token) >=
	       sizeof(((struct handover_result *)0)->token), "token");

static void print_verdict_json(struct json *j, const struct migrate_verdict *v)
{
	json_object_begin(j, "check_migrate");
	json_bool(j, "safe", v->safe || v->overridden);
	json_bool(j, "overridden", v->overridden);
	json_string(j, "rule", migrate_rule_name(v->rule));
	json_string(j, "filesystem", v->fs_name);
	json_bool(j, "shared_fs", v->fs_shared);
	json_bool(j, "cluster_fs", v->fs_cluster);
	json_string(j, "reason", v->reason);
	json_object_end(j);
}

static void print_json(FILE *out, const struct handover_opts *o,
		       const struct handover_result *r)
{
	bool check_only = !strcmp(r->op, "check-migrate");
	struct json j;

	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_string(&j, HO_WIRE_COMMAND, r->op);
	json_string(&j, "vdi", o->vdi);
	if (!check_only)
		json_u64(&j, "host_id", o->host_id);
	json_bool(&j, HO_WIRE_OK, r->exit_code == 0);
	json_i64(&j, HO_WIRE_EXIT_CODE, r->exit_code);
	if (r->exit_code) {
		json_object_begin(&j, HO_WIRE_ERROR);
		json_string(&j, HO_WIRE_STEP, r->failed_step);
		json_string(&j, HO_WIRE_MESSAGE, r->message);
		json_object_end(&j);
	}
	if (r->warning[0])
		json_string(&j, "warning", r->warning);
	json_object_begin(&j, "backend");
	json_string(&j, "spec", o->backend.spec);
	json_string(&j, "kind", backend_kind_name(o->backend.kind));
	json_object_end(&j);
	if (check_only) {
		if (r->have_verdict)
			print_verdict_json(&j, &r->verdict);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	json_object_begin(&j, HO_WIRE_LEASE);
	json_bool(&j, HO_WIRE_HELD, r->lease_held);
	if (r->has_version)
		json_u64(&j, strcmp(r->op, "deactivate") ?
			 HO_WIRE_ACQUIRED_VERSION : HO_WIRE_RELEASED_VERSION,
			 r->version);
	if (r->has_expected)
		json_u64(&j, "expected_version", r->expected_version);
	if (r->token[0])
		json_string(&j, HO_WIRE_TOKEN, r->token);
	if (r->valid_until_ns)
		json_u64(&j, HO_WIRE_VALID_UNTIL, r->valid_until_ns);
	if (r->writes[0])
		json_bool(&j, "released_clean", r->released_clean);
	if (r->have_seen) {
		json_u64(&j, "seen_version", r->seen.version);
		if (r->seen.has_owner) {
			json_u64(&j, "seen_owner_host_id",
				 r->seen.owner.host_id);
			json_string(&j, "seen_owner_host_name",
				    r->seen.owner.host_name);
		}
	}
	json_object_end(&j);
	if (r->fingerprint[0])
		json_string(&j, "fingerprint", r->fingerprint);
	else
		json_null(&j, "fingerprint");
	if (r->have_verdict)
		print_verdict_json(&j, &r->verdict);
	if (r->writes[0])
		json_string(&j, "writes", r->writes);
	if (r->cbt_marked_inconsistent)
		json_bool(&j, "cbt_marked_inconsistent", true);
	json_object_begin(&j, "timings_us");
	for (unsigned int i = 0; i < r->record.nr_steps; i++)
		json_u64(&j, r->record.steps[i].name, r->record.steps[i].us);
	json_u64(&j, "total", r->record.total_us);
	json_object_end(&j);
	if (r->state_path[0])
		json_string(&j, "record", r->state_path);
	json_object_end(&j);
	json_finish(&j);
}

static void print_steps(FILE *out, const struct handover_result *r)
{
	fprintf(out, "  steps:");
	for (unsigned int i = 0; i < r->record.nr_steps; i++)
		fprintf(out, " %s %.1f ms", r->record.steps[i].name,
			(double)r->record.steps[i].us / 1000.0);
	fputc('\n', out);
}

static void print_text(FILE *out, const struct handover_opts *o,
		       const struct handover_result *r)
{
	if (r->exit_code) {
		fprintf(out, "tapdisk-activate %s: %s failed: %s\n", r->op,
			r->failed_step, r->message);
	} else if (!strcmp(r->op, "check-migrate")) {
		fprintf(out, "%s: migration %s (%s): %s\n", o->vdi,
			r->verdict.safe ? "safe" : "UNSAFE, overridden",
			migrate_rule_name(r->verdict.rule), r->verdict.reason);
	} else if (!strcmp(r->op, "fence")) {
		fprintf(out, "%s: fenced: %s\n", o->vdi, r->message);
		print_steps(out, r);
	} else {
		fprintf(out, "%s: %s by host %u, lease version %" PRIu64
			" %s, in %.1f ms\n", o->vdi,
			!strcmp(r->op, "deactivate") ? "deactivated" :
			r->op[0] == 'r' ? "reactivated" : "activated",
			(unsigned int)o->host_id, r->version,
			!strcmp(r->op, "deactivate") ? "released" : "held",
			(double)r->record.total_us / 1000.0);
		if (r->fingerprint[0])
			fprintf(out, "  metadata fingerprint %s\n",
				r->fingerprint);
		if (r->writes[0])
			fprintf(out, "  %s: %s\n", r->released_clean ?
				"released clean, nothing written" :
				"writes", r->writes);
		print_steps(out, r);
	}
	if (r->warning[0])
		fprintf(out, "warning: %s\n", r->warning);
}

void handover_print(FILE *out, const struct handover_opts *o,
		    const struct handover_result *r, bool json)
{
	if (json)
		print_json(out, o, r);
	else
		print_text(out, o, r);
}
