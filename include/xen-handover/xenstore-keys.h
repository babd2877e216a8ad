/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Xenstore key names shared by the xen-blkfront-drain guest module and the
 * dom0 tools (tapdisk-activate, tapdisk-activated).
 *
 * Only string macros live here so that the header is usable from kernel and
 * userspace alike. Documentation/xenstore-keys.rst describes every key,
 * who writes it, and its exact value grammar.
 */
#ifndef XEN_HANDOVER_XENSTORE_KEYS_H
#define XEN_HANDOVER_XENSTORE_KEYS_H

/*
 * Keys written by the frontend into its own device directory
 * (/local/domain/<domid>/device/vbd/<devid>/). Guest-writable: the dom0
 * side must treat every value as hostile input.
 */

/* "1" when the frontend drains its ring before suspend. */
#define XH_KEY_FEATURE_DRAIN		"feature-drain"
/* Outcome of the last drain: one of the XH_DRAIN_STATE_* strings. */
#define XH_KEY_DRAIN_STATE		"drain-state"
/* Decimal count of requests still on the ring when the drain ended. */
#define XH_KEY_DRAIN_INFLIGHT		"drain-inflight"
/* Decimal duration of the last drain in microseconds. */
#define XH_KEY_DRAIN_USECS		"drain-usecs"

/* Values of XH_KEY_DRAIN_STATE. */
#define XH_DRAIN_STATE_DRAINED		"drained"
#define XH_DRAIN_STATE_TIMEOUT		"timeout"
/*
 * The ring is empty or the backend broke the protocol, but the drain could
 * not be confirmed: the device is broken or the final cache flush failed.
 * Dom0 must treat it like "timeout" (and any unknown value likewise).
 */
#define XH_DRAIN_STATE_ERROR		"error"

/* Longest value the frontend ever writes for any key above, without NUL. */
#define XH_DRAIN_VALUE_MAX		20

#endif /* XEN_HANDOVER_XENSTORE_KEYS_H */
