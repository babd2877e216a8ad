/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tapdisk-activated: drives the VDI handover from xenstore events.
 *
 * Unit of work: an attachment = one block-handover disk of one domain
 * (backend/vbd/<domid>/<devid>), or a request-tree activation without a
 * disk (domid 0). Each attachment runs the state machine below; at most one
 * attachment per VDI is past IDLE/RELEASED/FENCED at any time, which keeps a
 * VDI single-owner on this host as the lease keeps it single-owner across
 * hosts.
 *
 *   IDLE --wanted--> ACTIVATING --ok--> ACTIVE --suspended--> DRAINING
 *   DRAINING --drained/quiet/bounded--> DEACTIVATING --ok--> RELEASED(v)
 *   RELEASED --domain resumes--> REACTIVATING(expect v) --ok--> ACTIVE
 *                                              \--refused--> FENCED (alert)
 *   ACTIVE --domain or disk gone--> DEACTIVATING --ok--> IDLE (removed)
 *   any step failing --> FAILED (alert, retried with back-off)
 *
 * Everything needed to resume after a restart is kept in xenstore under
 * /vdi-handover/<vdi>/ (dom0-only) and cross-checked against the lease.
 */
#ifndef TAPDISK_ACTIVATE_XSD_DAEMON_H
#define TAPDISK_ACTIVATE_XSD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "xsd_config.h"
#include "xsd_hyp.h"
#include "xsd_job.h"
#include "xsd_parse.h"
#include "xsd_rate.h"
#include "xsd_renewer.h"
#include "xsd_xs.h"

#define XSD_MAX_ATTACH		512
#define XSD_TICK_MS		200

enum xsd_att_state {
	XSD_ATT_IDLE = 0,
	XSD_ATT_ACTIVATING,
	XSD_ATT_ACTIVE,
	XSD_ATT_DRAINING,
	XSD_ATT_DEACTIVATING,
	XSD_ATT_RELEASED,
	XSD_ATT_REACTIVATING,
	XSD_ATT_FENCED,
	XSD_ATT_FAILED,
};

/* Why a deactivation runs: decides where it ends. */
enum xsd_why {
	XSD_WHY_NONE = 0,
	XSD_WHY_SUSPEND,	/* guest suspended: end RELEASED, watch resume */
	XSD_WHY_GONE,		/* domain or disk gone: end IDLE */
	XSD_WHY_REQUEST,	/* toolstack asked: end RELEASED, hold */
};

struct xsd_att {
	bool used;
	bool seen;			/* found by the last backend scan */
	bool manual;			/* request-tree attachment, no disk */
	bool hold;			/* toolstack owns transitions now */
	uint32_t domid, devid;
	struct xsd_vdi_conf vdi;
	char backend[160];		/* --backend SPEC */
	enum xsd_att_state state;
	enum xsd_att_state failed_from;	/* what FAILED retries */
	enum xsd_why why;
	uint64_t version;		/* lease version held or released */
	bool has_version;
	char token[64];			/* lease holder token, "" unknown */
	uint64_t state_ms;		/* when the state was entered */
	uint64_t retry_ms;		/* FAILED: next attempt */
	uint32_t retries;
	/* Holding the lease (xsd_fence.c): its renewal thread, and the
	 * deadline on the owner's clock (lease_owner_now_ns) from the last
	 * acquire or renewal that reported one; 0: not known yet. */
	struct xsd_renewer *renewer;
	uint64_t renewer_start_ms;
	uint64_t renew_failures;	/* failures already logged */
	uint64_t valid_until_ns;
	uint32_t lease_timeout_s;
	bool timeout_known;
	/* FENCED for a lost lease; confirmed once the fence job stopped the
	 * backend (else the watchdog starves near the deadline). */
	bool fence_lease, fence_confirmed;
	bool timing_warned;		/* LEASE-TIMING raised */
	uint64_t drain_next_ms;		/* DRAINING: next backend sample */
	uint64_t drain_sample[5];
	uint32_t drain_stable;
	bool drain_logged;
	bool fe_watched;
	bool dirty;			/* re-evaluate now */
	/* Request being served (0: none); its options. */
	struct xsd_request req;
	struct xsd_job *job;
};

/* Lease access the daemon needs; NULL members mean "not available". */
struct xsd_lease_ops {
	/* Fills holder (the last one when free)/version and the timeout T
	 * (seconds, from the area's header) of the lease of @vdi; 0 on
	 * success. */
	int (*status)(const struct xsd_vdi_conf *vdi, bool *held,
		      uint16_t *owner_host, char *owner_token, size_t tlen,
		      uint64_t *version, uint32_t *timeout_s, char *err,
		      size_t errlen);
};

/* The lease library behind xsd_lease_ops (xsd_lease.c). */
void xsd_lease_ops_default(struct xsd_lease_ops *ops);

struct xsd_daemon {
	struct xsd_config cfg;
	struct xsd_xs xs;
	struct xsd_hyp hyp;
	struct xsd_rate_table rate;
	struct xsd_lease_ops lease;
	struct xsd_watchdog wd;
	int wake_rd, wake_wr;		/* renewal threads wake the loop */
	struct xsd_att att[XSD_MAX_ATTACH];
	char be_root[64];		/* /local/domain/<bdom>/backend/vbd */
	bool rescan_backends, rescan_requests, recheck_all;
	bool adopted;			/* orphan records taken over */
	uint64_t next_sweep_ms;
	int stop_signal;
	uint64_t events_total, events_deferred;
};

int xsd_daemon_init(struct xsd_daemon *d, char *err, size_t errlen);
/* Runs until SIGTERM/SIGINT; returns an exit code. */
int xsd_daemon_run(struct xsd_daemon *d);
void xsd_daemon_fini(struct xsd_daemon *d);

/* State machine (xsd_machine.c). */
void xsd_machine_step(struct xsd_daemon *d, struct xsd_att *a, uint64_t now);
void xsd_machine_job_done(struct xsd_daemon *d, struct xsd_att *a,
			  uint64_t now);
void xsd_set_state(struct xsd_daemon *d, struct xsd_att *a,
		   enum xsd_att_state s, uint64_t now);
const char *xsd_att_state_name(enum xsd_att_state s);
int xsd_att_state_parse(const char *s, enum xsd_att_state *out);
/* Starts a tapdisk-activate job for @a: "activate", "deactivate",
 * "reactivate" with the attachment's current options. */
int xsd_start_job(struct xsd_daemon *d, struct xsd_att *a,
		  enum xsd_att_state next, uint64_t now);
/* True when another attachment of the same VDI owns it on this host. */
bool xsd_vdi_busy_elsewhere(struct xsd_daemon *d, const struct xsd_att *a);

/* Lease proof, fencing and the watchdog's verdict (xsd_fence.c). */
void xsd_lease_track(struct xsd_daemon *d, struct xsd_att *a, uint64_t now);
void xsd_lease_forget(struct xsd_att *a);
void xsd_fence(struct xsd_daemon *d, struct xsd_att *a, const char *code,
	       const char *why, uint64_t now);
bool xsd_lease_host_safe(const struct xsd_daemon *d, char *why, size_t len);
bool xsd_lease_any_held(const struct xsd_daemon *d);

/* Persistence and alerts under /vdi-handover (xsd_store.c). */
void xsd_store_att(struct xsd_daemon *d, const struct xsd_att *a);
/* Only the holding's deadline (each renewal). */
void xsd_store_valid_until(struct xsd_daemon *d, const struct xsd_att *a);
void xsd_store_forget(struct xsd_daemon *d, const struct xsd_att *a);
int xsd_store_recall(struct xsd_daemon *d, struct xsd_att *a);
void xsd_alert(struct xsd_daemon *d, const struct xsd_att *a,
	       const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void xsd_alert_clear(struct xsd_daemon *d, const struct xsd_att *a);
void xsd_result(struct xsd_daemon *d, const char *vdi, uint64_t id,
		int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Logging to stderr (journald under systemd). */
void xsd_log(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* TAPDISK_ACTIVATE_XSD_DAEMON_H */
