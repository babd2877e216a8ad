/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The handover's report on the wire: what `tapdisk-activate <command>
 * --json` prints for activate, deactivate, reactivate, fence and
 * check-migrate (cli/handover_report.c writes it with these names) and
 * what tapdisk-activated, which runs the command in a child it can kill,
 * takes back as a struct handover_outcome (handover_outcome_decode). The
 * names are written here once; the report carries more (timings, the
 * backend, the verdict) than the outcome holds, and the decoder ignores
 * members it does not know, so the report may grow.
 *
 * The exit status of the command and the report's exit_code are the same
 * value of common/exitcodes.h.
 */
#ifndef TAPDISK_ACTIVATE_HANDOVER_WIRE_H
#define TAPDISK_ACTIVATE_HANDOVER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease/lease.h"

/* Members of the top-level object. */
#define HO_WIRE_COMMAND			"command"
#define HO_WIRE_OK			"ok"
#define HO_WIRE_EXIT_CODE		"exit_code"
#define HO_WIRE_ERROR			"error"		/* when not ok */
#define HO_WIRE_LEASE			"lease"		/* not check-migrate */
/* Members of "error". */
#define HO_WIRE_STEP			"step"
#define HO_WIRE_MESSAGE			"message"
/* Members of "lease". */
#define HO_WIRE_HELD			"held_by_this_host"
#define HO_WIRE_ACQUIRED_VERSION	"acquired_version"
#define HO_WIRE_RELEASED_VERSION	"released_version"
#define HO_WIRE_TOKEN			"token"
/* CLOCK_BOOTTIME ns of this boot until which the acquired lease holds. */
#define HO_WIRE_VALID_UNTIL		"lease_valid_until_ns"

/* The longest report the decoder takes, and its number of values. */
#define HO_WIRE_TEXT_MAX		16384
#define HO_WIRE_TOKENS_MAX		512

struct handover_outcome {
	char command[24];		/* "activate", ... */
	int exit_code;			/* common/exitcodes.h */
	char step[24];			/* failed step, "" when ok */
	char message[2048];		/* why, "" when ok */
	bool has_lease;			/* a "lease" object was reported */
	bool lease_held;		/* this host holds it afterwards */
	bool has_version;
	uint64_t version;		/* acquired (released by deactivate) */
	char token[LEASE_TOKEN_LEN];	/* holder token, "" none reported */
	uint64_t valid_until_ns;	/* 0 none reported */
};

/*
 * Decodes @len bytes of @text, one report as above: 0, or -1 with the
 * reason in @err (not JSON, a member missing or of the wrong type or
 * given twice, a string too long for its field, ok disagreeing with
 * exit_code).
 */
int handover_outcome_decode(const char *text, size_t len,
			    struct handover_outcome *o, char *err,
			    size_t errlen);

#endif /* TAPDISK_ACTIVATE_HANDOVER_WIRE_H */
