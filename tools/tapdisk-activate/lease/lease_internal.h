/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* State of an open lease area, shared by lease.c and lease_acquire.c. */
#ifndef TAPDISK_ACTIVATE_LEASE_INTERNAL_H
#define TAPDISK_ACTIVATE_LEASE_INTERNAL_H

#include <stdarg.h>

#include "common/dio.h"
#include "lease.h"
#include "lease_disk.h"

struct lease {
	struct dio_dev dev;
	bool read_only;
	uint64_t offset;		/* byte offset of sector 0 */
	uint64_t dev_id, ino;		/* identity for the host-local lock */

	bool have_header;
	bool claimed;			/* lease magic seen, header valid or not */
	struct lease_hdr_rec hdr;
	uint32_t ss;			/* sector size of the area */

	unsigned char *area;		/* full scans: sectors 0..2001 */
	size_t area_read_len;		/* rounded to the dio alignment */
	unsigned char *small;		/* up to 3 single sectors */
	unsigned char *wbuf;		/* one sector to write */

	/* Decoded by the last full scan (slots[0] unused). */
	struct lease_leader_rec leader;
	struct lease_slot_rec *slots;
	unsigned int damaged;		/* damaged sectors in the last scan */
	uint32_t first_damaged;
	enum lease_state scan_state;	/* lease_decode_area()'s verdict */
	uint64_t scan_pending;		/* its pending_version */

	/* Highest mbal seen for ballot_lver (chooses the next round). */
	uint64_t ballot_lver, ballot_mbal;

	int lock_fd;
	uint16_t lock_host;

	bool holding;
	struct lease_holder held;
	uint64_t valid_until_ns;

	struct lease_io_stats stats;
	uint32_t rnd;
	char err[512];
};

__attribute__((format(printf, 3, 4)))
int lease_fail(struct lease *l, int result, const char *fmt, ...);

/* Host-local files (lease_lock.c): the directory, and a file's name in it. */
int lease_lock_dir(struct lease *l, const char **out);
void lease_host_file(const struct lease *l, const char *dir, uint16_t host_id,
		     const char *suffix, char *path, size_t len);

/*
 * The holder's proof across processes (lease_holder_state.c): what an
 * owner's validity window needs, kept in a host-local file so that a
 * renewal through another handle or process (the CLI, the daemon) checks
 * the same deadline the acquiring handle would. save: l->held and
 * l->valid_until_ns; load: true and the handle tracks @h when the file
 * names @h and this boot; drop: forget @h's proof.
 */
int lease_state_save(struct lease *l);
bool lease_state_load(struct lease *l, const struct lease_holder *h);
/* As lease_state_load, matching @want without its host name. */
bool lease_state_recall(struct lease *l, const struct lease_holder *want);
void lease_state_drop(struct lease *l, const struct lease_holder *h);

/* I/O on the area. */
int lease_scan(struct lease *l);
/*
 * One batched read of the leader, host @own's slot and, when @other is
 * set and differs, host @other's slot (the owner being watched).
 */
int lease_read_small(struct lease *l, uint16_t own, uint16_t other,
		     struct lease_leader_rec *leader,
		     struct lease_slot_rec *own_slot,
		     struct lease_slot_rec *other_slot);
/* The pause before re-read @n of a read that found damage (lease_io.c). */
void lease_reread_sleep(unsigned int n);
int lease_write_leader(struct lease *l, const struct lease_leader_rec *r);
int lease_write_slot(struct lease *l, const struct lease_slot_rec *r);

/* Host-local serialisation of writers of one host's slot. */
int lease_lock_host(struct lease *l, uint16_t host_id);
void lease_unlock_host(struct lease *l);

uint32_t lease_random(struct lease *l);
uint64_t lease_wall_ms(void);
int lease_check_value(struct lease *l, const struct lease_value *v);

/*
 * Fairness (lease_fair.c, Documentation/lease.rst "Fairness"). Does slot
 * @s carry a waiting ticket that is alive for a release of @version? And
 * the successor a release that names the releasing host @self (the
 * default) writes instead: the longest waiting host with a live ticket,
 * else @self. One full scan; errors only mean no better choice.
 */
bool lease_ticket_live(const struct lease_slot_rec *s, uint64_t version);
uint16_t lease_pick_successor(struct lease *l, uint16_t self,
			      uint64_t version);

/* Shared by lease.c and the operator's break (lease_break.c). */
int lease_need_header(struct lease *l);
/* The highest version any sector of the area names. */
uint64_t lease_highest_version(struct lease *l, bool leader_ok);
/* Frees @h's lease for @successor; @flags marks an operator break. */
int lease_release_flags(struct lease *l, const struct lease_holder *h,
			uint16_t successor, uint16_t flags);

#endif /* TAPDISK_ACTIVATE_LEASE_INTERNAL_H */
