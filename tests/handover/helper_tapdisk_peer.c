// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * helper_tapdisk_peer: a stand-in for tapdisk's control socket (tapdisk is
 * not packaged for Debian). It speaks the same wire format (tapctl_proto.h,
 * asserted against upstream) and behaves like tapdisk where the handover
 * depends on it:
 *   - it holds the image open and keeps the VHD metadata (footer, header,
 *     BAT) it read at open time, the way tapdisk does, so it goes stale
 *     when another host changes the image;
 *   - PAUSE first lets in-flight I/O complete, then really closes the image
 *     and only then answers PAUSE_RSP; no server-side timeout (a client
 *     that disconnects abandons the pause);
 *   - RESUME reopens the image ("type:/path" from the message, or the old
 *     one) and re-reads all metadata, refusing a different disk size with
 *     EMEDIUMTYPE like tapdisk's "cannot change disk info";
 *   - LIST answers one LIST_RSP per VBD and a terminating count==0.
 * What it loaded is written to --report (key=value, replaced atomically) so
 * tests can see stale vs fresh metadata.
 *
 * usage: helper_tapdisk_peer --socket PATH --image TYPE:/PATH --report PATH
 *        [--minor N] [--probe VOFF] [--inflight-ms MS] [--inflight-voff VOFF]
 *        [--fault pause-hang|resume-fail|die-on-pause|die-on-resume]
 *        [--resume-delay-ms MS]  (RESUME takes MS before it reopens, like
 *                                 a tapdisk stuck on slow storage; the
 *                                 reopen completes even if the client
 *                                 has given up)
 *        [--list-minor-unknown]  (LIST says minor -1, as blktap3 does
 *                                 when the VBD has no kernel tap device)
 *        [--secs-written N]  (answer STATS as tapdisk does: "secs" [read,
 *                             written] with N written sectors, plus 8 for
 *                             the in-flight write once issued; the image
 *                             list while open; reqs_outstanding 1 while
 *                             a write is in flight. Without it STATS is
 *                             refused, as by an older tapdisk.)
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "backend/tapctl_proto.h"

#define MAX_CONNS	8
#define VHD_FOOTER	512
#define VHD_HEADER	1024
#define BAT_UNUSED	0xffffffffu
#define MAX_BAT_ENTRIES	(64u << 20)	/* hostile-image bound */

enum fault { FAULT_NONE, FAULT_PAUSE_HANG, FAULT_RESUME_FAIL,
	     FAULT_DIE_ON_PAUSE, FAULT_DIE_ON_RESUME };

struct image {
	int fd;
	bool vhd;
	char params[TAPCTL_PATH_MAX];
	uint64_t size;		/* virtual size */
	uint32_t block_size;
	uint32_t bat_entries;
	uint32_t *bat;		/* host byte order, as loaded */
	uint64_t bat_hash;
	uint32_t allocated;
};

struct conn {
	int fd;
	size_t got;
	struct tapctl_msg in;
	bool waiting_pause;
};

static struct {
	const char *sock;
	const char *report;
	int minor;
	enum fault fault;
	bool list_minor_unknown;	/* blktap3 without a tap device */
	long resume_delay_ms;
	uint64_t probe_voff;
	bool probe;
	struct image img;
	uint32_t state;
	unsigned int opens;
	uint64_t inflight_due;	/* 0: nothing in flight */
	uint64_t inflight_voff;
	unsigned int inflight_landed;
	unsigned int inflight_issued;	/* counted like tapdisk: at issue */
	uint64_t saved_size;	/* disk info before pause */
	bool stats;		/* --secs-written given */
	uint64_t secs_written;
	struct conn conns[MAX_CONNS];
	volatile sig_atomic_t stop;
} peer = { .img.fd = -1 };

static void die(const char *what)
{
	fprintf(stderr, "tapdisk-peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Fast 64-bit digest of what was loaded (8 bytes per step). */
static uint64_t digest(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, v;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&v, p, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static uint32_t vhd_checksum(const unsigned char *buf, size_t len,
			     size_t csum_off)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++)
		if (i < csum_off || i >= csum_off + 4)
			sum += buf[i];
	return ~sum;
}

static uint64_t be64_at(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static uint32_t be32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

#define DIO_ALIGN 4096u

/*
 * Reads like tapdisk: O_DIRECT (the image fd is opened with it), through an
 * aligned bounce buffer so callers can ask for any range.
 */
static int read_exact(int fd, void *buf, size_t len, uint64_t off)
{
	uint64_t aoff = off & ~(uint64_t)(DIO_ALIGN - 1);
	size_t alen = (size_t)((off + len + DIO_ALIGN - 1) &
			       ~(uint64_t)(DIO_ALIGN - 1)) - (size_t)aoff;
	void *bounce;
	ssize_t n;

	if (posix_memalign(&bounce, DIO_ALIGN, alen))
		return -ENOMEM;
	n = pread(fd, bounce, alen, (off_t)aoff);
	if (n >= 0 && (uint64_t)n >= off - aoff + len)
		memcpy(buf, (char *)bounce + (off - aoff), len);
	free(bounce);
	if (n < 0)
		return -errno;
	return (uint64_t)n >= off - aoff + len ? 0 : -EIO;
}

/* The strict open tapdisk does on RESUME: footer, header, whole BAT. */
static int load_vhd(struct image *img, char *why, size_t whylen)
{
	unsigned char ftr[VHD_FOOTER], hdr[VHD_HEADER];
	struct stat st;
	uint64_t data_off, table_off;
	int ret;

	if (fstat(img->fd, &st) < 0 || st.st_size < VHD_FOOTER) {
		snprintf(why, whylen, "image too small");
		return -EINVAL;
	}
	ret = read_exact(img->fd, ftr, sizeof(ftr),
			 (uint64_t)st.st_size - VHD_FOOTER);
	if (ret || memcmp(ftr, "conectix", 8) ||
	    be32_at(ftr + 64) != vhd_checksum(ftr, sizeof(ftr), 64)) {
		snprintf(why, whylen, "bad VHD footer");
		return -EINVAL;
	}
	img->size = be64_at(ftr + 48);
	if (be32_at(ftr + 60) == 2)	/* fixed: no BAT */
		return 0;
	data_off = be64_at(ftr + 16);
	ret = read_exact(img->fd, hdr, sizeof(hdr), data_off);
	if (ret || memcmp(hdr, "cxsparse", 8) ||
	    be32_at(hdr + 36) != vhd_checksum(hdr, sizeof(hdr), 36)) {
		snprintf(why, whylen, "bad VHD dynamic header");
		return -EINVAL;
	}
	table_off = be64_at(hdr + 16);
	img->bat_entries = be32_at(hdr + 28);
	img->block_size = be32_at(hdr + 32);
	if (!img->bat_entries || img->bat_entries > MAX_BAT_ENTRIES ||
	    !img->block_size || (img->block_size & (img->block_size - 1)) ||
	    table_off + (uint64_t)img->bat_entries * 4 > (uint64_t)st.st_size) {
		snprintf(why, whylen, "bad VHD BAT geometry");
		return -EINVAL;
	}
	img->bat = malloc((size_t)img->bat_entries * 4);
	if (!img->bat)
		return -ENOMEM;
	ret = read_exact(img->fd, img->bat, (size_t)img->bat_entries * 4,
			 table_off);
	if (ret) {
		snprintf(why, whylen, "cannot read BAT");
		return ret;
	}
	img->bat_hash = digest(img->bat, (size_t)img->bat_entries * 4);
	for (uint32_t i = 0; i < img->bat_entries; i++) {
		img->bat[i] = be32toh(img->bat[i]);
		if (img->bat[i] != BAT_UNUSED)
			img->allocated++;
	}
	return 0;
}

static void close_image(struct image *img)
{
	if (img->fd >= 0) {
		fdatasync(img->fd);
		close(img->fd);
	}
	free(img->bat);
	img->bat = NULL;
	img->fd = -1;
	img->bat_entries = 0;
	img->allocated = 0;
	img->bat_hash = 0;
	img->size = 0;
}

static int open_image(struct image *img, const char *params, char *why,
		      size_t whylen)
{
	const char *colon = strchr(params, ':');
	struct stat st;
	int ret;

	if (!colon || strlen(params) >= sizeof(img->params)) {
		snprintf(why, whylen, "bad image params '%s'", params);
		return -EINVAL;
	}
	img->vhd = !strncmp(params, "vhd:", 4);
	if (!img->vhd && strncmp(params, "aio:", 4)) {
		snprintf(why, whylen, "unsupported image type in '%s'", params);
		return -EINVAL;
	}
	img->fd = open(colon + 1, O_RDWR | O_CLOEXEC | O_DIRECT);
	if (img->fd < 0 && errno == EINVAL)	/* tmpfs: no O_DIRECT */
		img->fd = open(colon + 1, O_RDWR | O_CLOEXEC);
	if (img->fd < 0) {
		ret = -errno;
		snprintf(why, whylen, "open %s: %s", colon + 1, strerror(errno));
		return ret;
	}
	memmove(img->params, params, strlen(params) + 1);
	if (img->vhd) {
		ret = load_vhd(img, why, whylen);
	} else {
		ret = fstat(img->fd, &st) < 0 ? -errno : 0;
		img->size = (uint64_t)st.st_size;
	}
	if (ret)
		close_image(img);
	return ret;
}

/* File offset of virtual byte @voff through the BAT we have loaded. */
static int64_t map_voff(const struct image *img, uint64_t voff)
{
	uint64_t blk, bm_bytes;

	if (!img->vhd)
		return voff < img->size ? (int64_t)voff : -1;
	if (!img->bat || voff >= img->size)
		return -1;
	blk = voff / img->block_size;
	if (blk >= img->bat_entries || img->bat[blk] == BAT_UNUSED)
		return -1;
	bm_bytes = ((img->block_size / 512 / 8) + 511) / 512 * 512;
	return (int64_t)((uint64_t)img->bat[blk] * 512 + bm_bytes +
			 voff % img->block_size);
}

static void write_report(void)
{
	char tmp[4200], probe[40] = "none";
	FILE *f;

	if (!peer.report)
		return;
	if (peer.probe) {
		int64_t off = peer.img.fd >= 0 ?
			map_voff(&peer.img, peer.probe_voff) : -1;
		unsigned char b[8];

		if (off < 0)
			snprintf(probe, sizeof(probe), "unallocated");
		else if (read_exact(peer.img.fd, b, 8, (uint64_t)off))
			snprintf(probe, sizeof(probe), "read-error");
		else
			snprintf(probe, sizeof(probe),
				 "%02x%02x%02x%02x%02x%02x%02x%02x", b[0],
				 b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", peer.report);
	f = fopen(tmp, "w");
	if (!f)
		die("report");
	fprintf(f, "state=%#x\nopen=%d\nopens=%u\nimage=%s\nsize=%llu\n"
		"bat_entries=%u\nbat_allocated=%u\nbat_hash=%016llx\n"
		"probe=%s\ninflight=%d\ninflight_landed=%u\n",
		peer.state, peer.img.fd >= 0, peer.opens, peer.img.params,
		(unsigned long long)peer.img.size, peer.img.bat_entries,
		peer.img.allocated, (unsigned long long)peer.img.bat_hash,
		probe, peer.inflight_due != 0, peer.inflight_landed);
	if (fclose(f) || rename(tmp, peer.report))
		die("report");
}

/* The slow guest write the pause has to wait for. */
static void land_inflight(void)
{
	unsigned char buf[4096];
	int64_t off = map_voff(&peer.img, peer.inflight_voff);
	char *colon = strchr(peer.img.params, ':');
	int fd = colon ? open(colon + 1, O_WRONLY | O_CLOEXEC) : -1;

	/* Unaligned guest write: buffered, then made durable. */
	peer.inflight_issued++;
	memset(buf, 0xa5, sizeof(buf));
	if (off < 0 || fd < 0 || pwrite(fd, buf, sizeof(buf), off) !=
	    (ssize_t)sizeof(buf) || fdatasync(fd))
		fprintf(stderr, "tapdisk-peer: in-flight write failed\n");
	else
		peer.inflight_landed++;
	if (fd >= 0)
		close(fd);
	peer.inflight_due = 0;
	write_report();
}

static void send_msg(struct conn *c, const struct tapctl_msg *m)
{
	if (send(c->fd, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		fprintf(stderr, "tapdisk-peer: short send\n");
}

/* Like tapdisk, every reply carries the cookie of the request it answers. */
static void reply(struct conn *c, uint16_t type, int error, const char *text)
{
	struct tapctl_msg m = { .type = type, .cookie = c->in.cookie };

	m.u.response.error = error;
	if (text)
		snprintf(m.u.response.message, sizeof(m.u.response.message),
			 "%s", text);
	send_msg(c, &m);
}

static void drop_conn(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->got = 0;
	if (c->waiting_pause) {
		c->waiting_pause = false;
		/* Like tapdisk: the pause only lives while its client does. */
		for (int i = 0; i < MAX_CONNS; i++)
			if (peer.conns[i].fd >= 0 && peer.conns[i].waiting_pause)
				return;
		peer.state &= ~TAPCTL_STATE_PAUSE_REQUESTED;
		write_report();
	}
}

static void crash(void)
{
	/* A dying tapdisk: no answer, socket file left behind. */
	fprintf(stderr, "tapdisk-peer: simulated crash\n");
	_exit(3);
}

static void do_list(struct conn *c)
{
	struct tapctl_msg m = { .type = TAPCTL_MSG_LIST_RSP,
				.cookie = c->in.cookie };

	m.u.list.count = 1;
	m.u.list.minor = peer.list_minor_unknown ? -1 : peer.minor;
	m.u.list.state = (int32_t)peer.state;
	snprintf(m.u.list.path, sizeof(m.u.list.path), "%s",
		 peer.img.params);
	send_msg(c, &m);
	memset(&m.u, 0, sizeof(m.u));
	m.u.list.count = 0;
	m.u.list.minor = -1;
	send_msg(c, &m);
	drop_conn(c);
}

static void do_resume(struct conn *c)
{
	char why[300] = "", params[TAPCTL_PATH_MAX];
	int ret;

	if (peer.fault == FAULT_DIE_ON_RESUME)
		crash();
	if (!(peer.state & TAPCTL_STATE_PAUSED)) {
		reply(c, TAPCTL_MSG_ERROR, EINVAL, "vbd not paused");
		drop_conn(c);
		return;
	}
	memcpy(params, c->in.u.params.path, sizeof(params));
	params[sizeof(params) - 1] = '\0';
	if (!params[0])
		memcpy(params, peer.img.params, sizeof(params));
	if (peer.resume_delay_ms > 0)	/* serves nothing meanwhile */
		usleep((useconds_t)peer.resume_delay_ms * 1000u);
	if (peer.fault == FAULT_RESUME_FAIL) {
		ret = -EIO;
		snprintf(why, sizeof(why), "injected resume failure");
	} else {
		ret = open_image(&peer.img, params, why, sizeof(why));
		if (!ret && peer.img.size != peer.saved_size) {
			close_image(&peer.img);
			ret = -EMEDIUMTYPE;
			snprintf(why, sizeof(why), "cannot change disk info");
		}
	}
	/* Report first: a client that got the answer may read it at once. */
	if (ret) {
		peer.state |= TAPCTL_STATE_RESUME_FAILED;
		write_report();
		reply(c, TAPCTL_MSG_ERROR, -ret, why);
	} else {
		peer.opens++;
		peer.state = 0;
		write_report();
		reply(c, TAPCTL_MSG_RESUME_RSP, 0, NULL);
	}
	drop_conn(c);
}

static void refuse(struct conn *c)
{
	reply(c, TAPCTL_MSG_ERROR, EINVAL, "unsupported message");
	drop_conn(c);
}

/* STATS_RSP and the JSON text after it, shaped like tapdisk's. */
static void do_stats(struct conn *c)
{
	struct tapctl_msg m = { .type = TAPCTL_MSG_STATS_RSP,
				.cookie = c->in.cookie };
	char text[TAPCTL_PATH_MAX * 2 + 256], image[TAPCTL_PATH_MAX + 96] = "";
	const char *path = strchr(peer.img.params, ':');
	int n;

	if (peer.img.fd >= 0)
		snprintf(image, sizeof(image), "{ \"name\": \"%s\", "
			 "\"hits\": [ 0, 0 ], \"driver\": { \"name\": "
			 "\"vhd\" } }", path ? path + 1 : peer.img.params);
	n = snprintf(text, sizeof(text), "{ \"name\": \"%s\", \"secs\": "
		     "[ 0, %llu ], \"images\": [ %s ], \"reqs_outstanding\":"
		     " %d, \"read_caching\": \"false\" }", peer.img.params,
		     (unsigned long long)(peer.secs_written +
					  8ull * peer.inflight_issued),
		     image, peer.inflight_due != 0);
	m.u.info.length = (size_t)n + 1;	/* tapdisk counts the NUL */
	send_msg(c, &m);
	if (send(c->fd, text, (size_t)n + 1, MSG_NOSIGNAL) != n + 1)
		fprintf(stderr, "tapdisk-peer: short send\n");
	drop_conn(c);
}

static void handle(struct conn *c)
{
	if (c->in.cookie != (uint16_t)peer.minor &&
	    c->in.type != TAPCTL_MSG_LIST) {
		reply(c, TAPCTL_MSG_ERROR, EINVAL, "no such minor");
		drop_conn(c);
		return;
	}
	switch (c->in.type) {
	case TAPCTL_MSG_LIST:
		do_list(c);
		break;
	case TAPCTL_MSG_PAUSE:
		if (peer.fault == FAULT_DIE_ON_PAUSE)
			crash();
		if (peer.state & TAPCTL_STATE_PAUSED) {
			reply(c, TAPCTL_MSG_PAUSE_RSP, 0, NULL);
			drop_conn(c);
			break;
		}
		peer.state |= TAPCTL_STATE_PAUSE_REQUESTED;
		c->waiting_pause = true;
		write_report();
		break;
	case TAPCTL_MSG_RESUME:
		do_resume(c);
		break;
	case TAPCTL_MSG_STATS:
		if (peer.stats)
			do_stats(c);
		else
			refuse(c);
		break;
	default:
		refuse(c);
	}
}

/* Completes a requested pause once nothing is in flight. */
static void try_pause(void)
{
	if (!(peer.state & TAPCTL_STATE_PAUSE_REQUESTED) ||
	    peer.fault == FAULT_PAUSE_HANG || peer.inflight_due)
		return;
	peer.saved_size = peer.img.size;
	close_image(&peer.img);
	peer.state = (peer.state & ~TAPCTL_STATE_PAUSE_REQUESTED) |
		     TAPCTL_STATE_PAUSED;
	write_report();
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &peer.conns[i];

		if (c->fd >= 0 && c->waiting_pause) {
			c->waiting_pause = false;
			reply(c, TAPCTL_MSG_PAUSE_RSP, 0, NULL);
			drop_conn(c);
		}
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		die(path);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0)
		die(path);
	return fd;
}

static void on_signal(int sig)
{
	(void)sig;
	peer.stop = 1;
}

static void serve(int lfd)
{
	struct pollfd pfd[MAX_CONNS + 1];

	while (!peer.stop) {
		int n = 0, timeout = -1, map[MAX_CONNS + 1];
		uint64_t now = clock_now_ms();

		if (peer.inflight_due && now >= peer.inflight_due)
			land_inflight();
		try_pause();
		if (peer.inflight_due)
			timeout = (int)(peer.inflight_due - now);
		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (peer.conns[i].fd < 0)
				continue;
			map[n] = i;
			pfd[n].fd = peer.conns[i].fd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (int k = 1; k < n; k++) {
			struct conn *c = &peer.conns[map[k]];
			ssize_t r;

			if (!pfd[k].revents)
				continue;
			if (c->waiting_pause) {	/* only EOF is expected */
				char b;

				if (recv(c->fd, &b, 1, 0) <= 0)
					drop_conn(c);
				continue;
			}
			r = recv(c->fd, (char *)&c->in + c->got,
				 sizeof(c->in) - c->got, 0);
			if (r <= 0) {
				drop_conn(c);
				continue;
			}
			c->got += (size_t)r;
			if (c->got == sizeof(c->in))
				handle(c);
		}
		if (pfd[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			for (int i = 0; cfd >= 0 && i < MAX_CONNS; i++) {
				if (peer.conns[i].fd < 0) {
					peer.conns[i].fd = cfd;
					peer.conns[i].got = 0;
					cfd = -1;
				}
			}
			if (cfd >= 0)
				close(cfd);
		}
	}
}

static enum fault parse_fault(const char *s)
{
	static const char *const names[] = {
		[FAULT_PAUSE_HANG] = "pause-hang",
		[FAULT_RESUME_FAIL] = "resume-fail",
		[FAULT_DIE_ON_PAUSE] = "die-on-pause",
		[FAULT_DIE_ON_RESUME] = "die-on-resume",
	};

	for (int i = 1; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(s, names[i]))
			return (enum fault)i;
	fprintf(stderr, "tapdisk-peer: unknown fault %s\n", s);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "image", required_argument, NULL, 'i' },
		{ "report", required_argument, NULL, 'r' },
		{ "minor", required_argument, NULL, 'm' },
		{ "probe", required_argument, NULL, 'p' },
		{ "inflight-ms", required_argument, NULL, 'd' },
		{ "inflight-voff", required_argument, NULL, 'o' },
		{ "fault", required_argument, NULL, 'f' },
		{ "list-minor-unknown", no_argument, NULL, 'u' },
		{ "resume-delay-ms", required_argument, NULL, 'w' },
		{ "secs-written", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char *image = NULL;
	char why[300];
	long inflight_ms = 0;
	int c, lfd;

	for (int i = 0; i < MAX_CONNS; i++)
		peer.conns[i].fd = -1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': peer.sock = optarg; break;
		case 'i': image = optarg; break;
		case 'r': peer.report = optarg; break;
		case 'm': peer.minor = atoi(optarg); break;
		case 'p': peer.probe = true;
			  peer.probe_voff = strtoull(optarg, NULL, 0); break;
		case 'd': inflight_ms = strtol(optarg, NULL, 0); break;
		case 'o': peer.inflight_voff = strtoull(optarg, NULL, 0); break;
		case 'f': peer.fault = parse_fault(optarg); break;
		case 'u': peer.list_minor_unknown = true; break;
		case 'w': peer.resume_delay_ms = strtol(optarg, NULL, 0); break;
		case 'S': peer.stats = true;
			  peer.secs_written = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (!peer.sock || !image) {
		fprintf(stderr, "usage: %s --socket PATH --image TYPE:/PATH "
			"[--report PATH] [--minor N] [--probe VOFF] "
			"[--inflight-ms MS] [--inflight-voff VOFF] "
			"[--fault KIND]\n", argv[0]);
		return 2;
	}
	if (open_image(&peer.img, image, why, sizeof(why))) {
		fprintf(stderr, "tapdisk-peer: %s\n", why);
		return 1;
	}
	peer.opens = 1;
	if (inflight_ms > 0)
		peer.inflight_due = clock_now_ms() + (uint64_t)inflight_ms;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(peer.sock);
	write_report();		/* the report appearing means "ready" */
	serve(lfd);
	close(lfd);
	unlink(peer.sock);
	for (int i = 0; i < MAX_CONNS; i++)
		if (peer.conns[i].fd >= 0)
			close(peer.conns[i].fd);
	close_image(&peer.img);
	return 0;
}
