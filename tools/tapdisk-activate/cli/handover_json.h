/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Keys of the handover commands' JSON report (handover_report.c) that
 * tapdisk-activated reads back from a job's output (daemon/xsd_machine.c):
 * written once here so that the two cannot drift apart. Like the exit
 * codes (exitcodes.h) they are the CLI's contract with the daemon until
 * the daemon gets a typed result from the handover itself.
 */
#ifndef TAPDISK_ACTIVATE_HANDOVER_JSON_H
#define TAPDISK_ACTIVATE_HANDOVER_JSON_H

#define HO_JSON_MESSAGE			"message"
#define HO_JSON_ACQUIRED_VERSION	"acquired_version"
#define HO_JSON_RELEASED_VERSION	"released_version"
#define HO_JSON_TOKEN			"token"
/* CLOCK_BOOTTIME ns of this boot until which the acquired lease holds. */
#define HO_JSON_VALID_UNTIL		"lease_valid_until_ns"

#endif /* TAPDISK_ACTIVATE_HANDOVER_JSON_H */
