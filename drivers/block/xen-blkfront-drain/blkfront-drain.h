/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen-blkfront-drain: private definitions shared by the driver's files.
 *
 * A blk-mq request is mapped onto one or more ring slots ("parts"). Each
 * slot has a shadow entry that owns the grants of that part, so that a
 * response can be validated against what we really sent and so that the
 * drain and resume logic know exactly which requests are still on the ring.
 */
#ifndef XEN_BLKFRONT_DRAIN_H
#define XEN_BLKFRONT_DRAIN_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/interface/io/blkif.h>
#include <xen/xenbus.h>

#define XBD_NAME		"xen_blkfront_drain"
#define XBD_MAJOR		202
#define XBD_PARTS_PER_DISK	16
#define XBD_PARTS_PER_EXT_DISK	256
/* Largest request we build; also bounds the parts of one request (256 / 11 < 32 slots). */
#define XBD_MAX_SEGMENTS	256
#define XBD_MAX_RING_ORDER	XENBUS_MAX_RING_GRANT_ORDER
#define XBD_SEGS_PER_IPAGE	(XEN_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define XBD_MAX_IPAGES		DIV_ROUND_UP(XBD_MAX_SEGMENTS, XBD_SEGS_PER_IPAGE)

enum xbd_conn {
	XBD_DISCONNECTED,	/* no ring yet, or between suspend and reconnect */
	XBD_CONNECTED,
	XBD_BROKEN,		/* backend violated the protocol: stopped for good */
	XBD_CLOSED,		/* backend closed or device being removed */
};

enum xbd_slot_state {
	XBD_SLOT_FREE,
	XBD_SLOT_INFLIGHT,
	XBD_SLOT_LEAKED,	/* backend kept a grant: never reuse this slot */
	XBD_SLOT_GONE,		/* grants handed to the deferred release: retired */
};

/* Classes of malformed responses; any of them stops the device. */
enum xbd_rsp_check {
	XBD_RSP_VALID,
	XBD_RSP_BAD_PROD,	/* rsp_prod runs ahead of what we produced */
	XBD_RSP_BAD_ID,		/* id outside the ring */
	XBD_RSP_NOT_INFLIGHT,	/* id not in flight: duplicate or invented */
	XBD_RSP_BAD_OP,		/* operation differs from the request's */
	XBD_RSP_BAD_STATUS,	/* status is not OKAY/ERROR/EOPNOTSUPP */
	XBD_RSP_GRANT_BUSY,	/* backend still maps a granted page */
	XBD_RSP_NR_CHECKS,
};

struct xbd_info;
struct xbd_ring;

/* Everything that needs a hypervisor goes through here (KUnit fakes it). */
struct xbd_env_ops {
	int (*grant)(struct xbd_info *info, struct page *page, bool readonly);
	bool (*end_grant)(struct xbd_info *info, grant_ref_t ref);
	/* end later, then drop one reference on @page (ours from then on) */
	void (*defer_grant)(struct xbd_info *info, grant_ref_t ref, struct page *page);
	void (*notify)(struct xbd_ring *ring);
	/* late EOI; flags 0 or XEN_EOI_FLAG_SPURIOUS */
	void (*eoi)(struct xbd_ring *ring, unsigned int flags);
	void (*complete)(struct xbd_info *info, struct request *rq);
};

struct xbd_shadow {
	struct request *rq;	/* NULL for the driver's own drain flush */
	u8 state;		/* enum xbd_slot_state */
	u8 op;			/* real operation, as the response must echo it */
	u16 nr_grants;
	u16 nr_igrants;
	u32 next_free;
	/*
	 * One per data segment of this part, with the page behind it. A ref
	 * is INVALID_GRANT_REF once ended: a slot the backend kept keeps the
	 * refs it could not end, so that they can still be revoked.
	 */
	grant_ref_t *grefs;
	struct page **gpages;
	grant_ref_t igrefs[XBD_MAX_IPAGES];
	struct page *ipages[XBD_MAX_IPAGES];
};

struct xbd_ring {
	struct xbd_info *info;
	unsigned int index;
	/* protects front, shadow and the free list; taken from the IRQ handler */
	spinlock_t lock;
	struct blkif_front_ring front;
	unsigned int size;
	unsigned int nr_pages;
	grant_ref_t ring_refs[XENBUS_MAX_RING_GRANTS];
	evtchn_port_t evtchn;
	int irq;
	struct xbd_shadow *shadow;
	u32 free_head;
	unsigned int nr_free;
};

/* Per-request driver data (blk-mq PDU). */
struct xbd_rq {
	unsigned int parts;	/* ring slots still outstanding */
	blk_status_t status;
	bool on_reissue_list;
	bool counted;		/* scratch mark of xbd_requests_on_ring() */
	struct scatterlist sg[];
};

struct xbd_stats {
	u64 drains;
	u64 drain_timeouts;
	u64 last_drain_usecs;
	u64 last_drain_inflight;
	u64 reissued;
	u64 protocol_errors;
};

struct xbd_drain_result {
	bool drained;
	unsigned int inflight;	/* requests (not ring slots) still on the ring */
	u64 usecs;
	int flush_status;	/* 0, -EOPNOTSUPP, -EIO, or 1 when not attempted */
};

struct xbd_info {
	struct xenbus_device *xbdev;
	const struct xbd_env_ops *ops;
	/* serialises state changes: probe, backend events, suspend, resume, remove */
	struct mutex mutex;
	enum xbd_conn connected;
	domid_t backend_id;
	unsigned int vdevice;
	unsigned int handle;
	unsigned int first_minor;
	unsigned int nr_minors;
	char name[DISK_NAME_LEN];

	struct gendisk *gd;
	struct blk_mq_tag_set tag_set;
	bool quiesced;		/* dispatch stopped by a drain */
	bool resuming;		/* between .resume and reconnection */

	unsigned int nr_rings;
	unsigned int ring_order;
	struct xbd_ring *rings;
	unsigned int seg_alloc;		/* grefs per shadow (max segments per part) */
	unsigned int max_indirect;	/* 0: backend has no indirect descriptors */
	unsigned int max_req_segs;	/* queue limit currently advertised */
	u8 flush_op;			/* 0 when the backend cannot flush */
	bool feature_fua;
	bool feature_discard;
	bool feature_secure;
	unsigned int discard_granularity;
	unsigned int discard_alignment;
	unsigned int sector_size;
	unsigned int physical_sector_size;
	unsigned long long sectors;
	unsigned int vdisk_info;

	atomic_t inflight;		/* ring slots in flight, all rings */
	int drain_flush_status;		/* result of the drain's own flush */
	wait_queue_head_t drain_wq;
	struct list_head reissue;	/* requests to re-issue after reconnect */
	struct xbd_stats stats;
	struct device *pmdev;
	struct delayed_work remove_work;	/* bounds removal's wait (xbd_remove_arm) */
	bool remove_armed;
	struct xenbus_watch close_watch;	/* backend state while unbinding */
	struct completion backend_closed;
	enum xenbus_state close_wait_state;	/* what xbd_hand_back() waits for */
};

static inline struct xbd_rq *xbd_rq_data(struct request *rq)
{
	return blk_mq_rq_to_pdu(rq);
}

/* ring.c */
int xbd_ring_init_shadows(struct xbd_info *info, struct xbd_ring *ring, unsigned int size);
void xbd_ring_free_shadows(struct xbd_ring *ring);
int xbd_map_request(struct xbd_ring *ring, struct request *rq, u8 op, sector_t sector,
		    struct scatterlist *sgl, unsigned int nsegs, u8 discard_flag,
		    u64 discard_sectors);
int xbd_queue_flush(struct xbd_ring *ring);
unsigned int xbd_parts_needed(struct xbd_info *info, u8 op, unsigned int nsegs);
int xbd_talk_to_backend(struct xbd_info *info);
void xbd_unbind_irqs(struct xbd_info *info);
void xbd_free_rings(struct xbd_info *info);
extern const struct xbd_env_ops xbd_xen_ops;

/* response.c */
enum xbd_rsp_check xbd_check_response(const struct xbd_ring *ring,
				      const struct blkif_response *rsp);
enum xbd_rsp_check xbd_ring_process(struct xbd_ring *ring);
void xbd_mark_broken(struct xbd_info *info, enum xbd_rsp_check why);
bool xbd_release_slot(struct xbd_ring *ring, unsigned int id);
void xbd_defer_slot(struct xbd_ring *ring, unsigned int id);
irqreturn_t xbd_interrupt(int irq, void *dev_id);
const char *xbd_rsp_check_name(enum xbd_rsp_check c);

/* drain.c */
extern unsigned int xbd_drain_timeout_ms;
unsigned int xbd_requests_on_ring(struct xbd_info *info);
void xbd_drain_rings(struct xbd_info *info, unsigned long timeout,
		     struct xbd_drain_result *res);
int xbd_suspend(struct xbd_info *info);
unsigned int xbd_collect_unfinished(struct xbd_info *info);
unsigned int xbd_fail_unfinished(struct xbd_info *info);
unsigned int xbd_fail_reissue_list(struct xbd_info *info);
bool xbd_remove_may_wait(enum xbd_conn conn, enum xenbus_state backend);
unsigned int xbd_abandon(struct xbd_info *info);
void xbd_remove_arm(struct xbd_info *info, unsigned long timeout);
void xbd_remove_disarm(struct xbd_info *info);
unsigned int xbd_reissue(struct xbd_info *info);
void xbd_dispatch_restart(struct xbd_info *info);
int xbd_pmdev_register(struct xbd_info *info);
void xbd_pmdev_unregister(struct xbd_info *info);

/* blkmq.c */
int xbd_disk_name(unsigned int index, char *buf, size_t len);
int xbd_decode_vdevice(unsigned int vdevice, unsigned int *minor, unsigned int *nr_minors,
		       unsigned int *index);
int xbd_create_disk(struct xbd_info *info);
int xbd_apply_limits(struct xbd_info *info);
void xbd_kick_queues(struct xbd_info *info);

/* sysfs.c */
extern const struct attribute_group *xbd_disk_groups[];

#endif /* XEN_BLKFRONT_DRAIN_H */
