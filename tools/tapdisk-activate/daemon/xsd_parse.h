/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Strict parsers for every xenstore value tapdisk-activated reads.
 *
 * Values come from xs_read() as (pointer, length) and may contain anything,
 * including NUL bytes: a guest owns its frontend directory and can write any
 * byte string up to the store's quota. Each parser accepts exactly the
 * grammar documented in Documentation/xenstore-keys.rst and nothing else:
 * bounded length, no embedded NUL, no white space, no sign, no leading
 * zeros, no trailing junk. On rejection it returns -1 and points *why at a
 * static reason for the log; it never writes to its output then.
 *
 * A guest never names a path or a VDI: no parser here turns guest input
 * into either. VDI names come from the dom0-written backend "params" key.
 */
#ifndef TAPDISK_ACTIVATE_XSD_PARSE_H
#define TAPDISK_ACTIVATE_XSD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The request tree /vdi-handover/<vdi>/<key> (dom0 only,
 * Documentation/xenstore-keys.rst). The daemon and its client
 * ("tapdisk-activated request", xsd_client.c) name it only through these.
 */
#define XSD_ROOT		"/vdi-handover"
#define XSD_KEY_REQUEST		"request"	/* requester: ID OP [OPTION...] */
#define XSD_KEY_RESULT		"result"	/* daemon: xsd_format_result() */
#define XSD_KEY_MESSAGE		"message"	/* daemon, written before result */
#define XSD_KEY_STATE		"state"
#define XSD_KEY_OWNER		"owner"
#define XSD_KEY_VERSION		"version"
#define XSD_KEY_ALERT		"alert"
/* Longest result line: 19-digit id, " error ", 3-digit code. */
#define XSD_RESULT_MAX		40

/* Longest VDI name; also bounds every xenstore path the daemon builds. */
#define XSD_VDI_NAME_MAX	64
/* Longest request line accepted under /vdi-handover/<vdi>/request. */
#define XSD_REQUEST_MAX		256
/* Xen's first reserved domain id (DOMID_FIRST_RESERVED). */
#define XSD_DOMID_LIMIT		0x7ff0u
/* Bounds on what a frontend may report for a drain. */
#define XSD_DRAIN_INFLIGHT_MAX	65536u		/* 16 rings x 4096 slots */
#define XSD_DRAIN_USECS_MAX	3600000000ull	/* one hour */
/* Longest wait/timeout a request may ask for, in seconds. */
#define XSD_REQUEST_SECS_MAX	3600u

enum xsd_drain_state {
	XSD_DRAIN_UNKNOWN = 0,	/* key absent */
	XSD_DRAIN_DRAINED,
	XSD_DRAIN_TIMEOUT,
	XSD_DRAIN_ERROR,	/* frontend could not confirm: like timeout */
};

/* Decimal, [0, max], canonical form only ("0" or no leading zero). */
int xsd_parse_u64(const char *v, size_t len, uint64_t max, uint64_t *out,
		  const char **why);
int xsd_parse_u32(const char *v, size_t len, uint32_t max, uint32_t *out,
		  const char **why);

/* Guest-writable frontend keys (include/xen-handover/xenstore-keys.h). */
int xsd_parse_feature_drain(const char *v, size_t len, bool *on,
			    const char **why);
int xsd_parse_drain_state(const char *v, size_t len,
			  enum xsd_drain_state *state, const char **why);
int xsd_parse_drain_inflight(const char *v, size_t len, uint32_t *n,
			     const char **why);
int xsd_parse_drain_usecs(const char *v, size_t len, uint64_t *usecs,
			  const char **why);
/* XenbusState: exactly one digit 0..8. Frontend "state" is guest-written. */
int xsd_parse_xenbus_state(const char *v, size_t len, unsigned int *state,
			   const char **why);

/* Directory entries naming a domain (1..32751 for guests, 0 allowed when
 * @allow_zero) or a virtual device (0..2^31-1). */
int xsd_parse_domid(const char *v, size_t len, bool allow_zero,
		    uint32_t *domid, const char **why);
int xsd_parse_devid(const char *v, size_t len, uint32_t *devid,
		    const char **why);

/*
 * VDI name: [A-Za-z0-9][A-Za-z0-9_-]{0,63} (also a valid xenstore path
 * element, which excludes '.'). Used for the dom0-written backend "params"
 * of block-handover disks and for /vdi-handover/<vdi>.
 */
int xsd_parse_vdi_name(const char *v, size_t len, const char **why);

enum xsd_op {
	XSD_OP_ACTIVATE = 1,
	XSD_OP_DEACTIVATE,
	XSD_OP_REACTIVATE,
	XSD_OP_STATUS,
};

/*
 * A request written by a dom0 toolstack into /vdi-handover/<vdi>/request:
 *   ID SP OP *(SP OPTION)
 *   ID      = decimal 1..2^63-1 (the requester's, echoed in the result)
 *   OP      = activate | deactivate | reactivate | status
 *   OPTION  = version=U64 | wait=SECS | timeout=SECS | force
 *           | backend=DOMID/DEVID
 * Each option at most once; "force" and "version=" only with reactivate
 * (version= also with activate).
 */
struct xsd_request {
	uint64_t id;
	enum xsd_op op;
	bool has_version, has_wait, has_timeout, has_backend, force;
	uint64_t version;
	uint32_t wait_s, timeout_s;
	uint32_t be_domid, be_devid;
};

int xsd_parse_request(const char *v, size_t len, struct xsd_request *req,
		      const char **why);
/* Canonical text of @req; returns the length or -1 if @size is too small. */
int xsd_format_request(const struct xsd_request *req, char *buf, size_t size);
const char *xsd_op_name(enum xsd_op op);

/*
 * The answer to request @id: "ID ok" (@code 0) or "ID error CODE" (CODE
 * 1..255, an exit code of tapdisk-activate(8)). Returns the length, or -1
 * when @size is too small.
 */
int xsd_format_result(uint64_t id, int code, char *buf, size_t size);
/* Parses what xsd_format_result() writes, and nothing else. */
int xsd_parse_result(const char *v, size_t len, uint64_t *id, int *code,
		     const char **why);

#endif /* TAPDISK_ACTIVATE_XSD_PARSE_H */
