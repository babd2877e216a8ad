// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapctl client against the tapdisk peer: LIST/PAUSE/RESUME round trips,
 * the image is really closed while paused and reopened on resume, and
 * every fault mode ends in a bounded, distinct error instead of a hang:
 * pause that never completes (-ETIMEDOUT within the deadline), resume that
 * fails (tapdisk's error text surfaces), socket that dies (-ECONNRESET,
 * then -ECONNREFUSED on the stale socket).
 */
#include "handover_test.h"
#include "backend/tapctl.h"

static void expect_state(const struct peer *p, uint32_t want_bits,
			 uint32_t want_clear)
{
	struct tapctl_vbd vbd;
	char err[512];
	int ret = tapctl_vbd_state(p->sock, 0, &vbd, 2000, err, sizeof(err));

	T_ASSERT(ret == 0, "list: %s", err);
	T_ASSERT((vbd.state & want_bits) == want_bits &&
		 !(vbd.state & want_clear), "state %#x", vbd.state);
}

static void round_trip(const char *ctl, const char *image)
{
	char params[600], err[512];
	struct peer p;
	int ret;

	snprintf(params, sizeof(params), "vhd:%s", image);
	ht_peer_start(&p, ctl, params, NULL);
	expect_state(&p, 0, TAPCTL_STATE_PAUSED);
	T_ASSERT(!strcmp(ht_report(&p, "open"), "1"), "image open at start");

	ret = tapctl_pause(p.sock, 0, 2000, err, sizeof(err));
	T_ASSERT(ret == 0, "pause: %s", err);
	T_ASSERT(!strcmp(ht_report(&p, "open"), "0"), "image closed on pause");
	expect_state(&p, TAPCTL_STATE_PAUSED, 0);
	/* Pausing a paused VBD is a no-op success, like tapdisk. */
	T_ASSERT(tapctl_pause(p.sock, 0, 2000, err, sizeof(err)) == 0, "%s",
		 err);

	ret = tapctl_resume(p.sock, 0, params, 0, 2000, err, sizeof(err));
	T_ASSERT(ret == 0, "resume: %s", err);
	T_ASSERT(!strcmp(ht_report(&p, "open"), "1"), "reopened");
	T_ASSERT(!strcmp(ht_report(&p, "opens"), "2"), "second open");
	expect_state(&p, 0, TAPCTL_STATE_PAUSED);

	/* RESUME of a running VBD is refused with tapdisk's error. */
	ret = tapctl_resume(p.sock, 0, params, 0, 2000, err, sizeof(err));
	T_ASSERT(ret == -EINVAL && strstr(err, "not paused"), "%d %s", ret,
		 err);
	/* Unknown minor. */
	ret = tapctl_pause(p.sock, 7, 2000, err, sizeof(err));
	T_ASSERT(ret == -EINVAL, "minor 7: %d", ret);
	T_ASSERT(ht_peer_stop(&p) == 0, "peer exit");
}

static void pause_hang(const char *ctl, const char *image)
{
	char params[600], err[512];
	struct peer p;
	uint64_t t0;
	int ret;

	snprintf(params, sizeof(params), "vhd:%s", image);
	ht_peer_start(&p, ctl, params, "--fault pause-hang");
	t0 = clock_now_ms();
	ret = tapctl_pause(p.sock, 0, 300, err, sizeof(err));
	T_ASSERT(ret == -ETIMEDOUT, "hung pause: %d %s", ret, err);
	T_ASSERT(clock_now_ms() - t0 < 2000, "deadline honoured");
	T_ASSERT(strstr(err, "did not answer pause"), "%s", err);
	/* Our disconnect abandons the pause; the image stays open. */
	usleep(50000);
	expect_state(&p, 0, TAPCTL_STATE_PAUSED | TAPCTL_STATE_PAUSE_REQUESTED);
	T_ASSERT(!strcmp(ht_report(&p, "open"), "1"), "still open");
	ht_peer_stop(&p);
}

static void resume_fail(const char *ctl, const char *image)
{
	char params[600], err[512];
	struct peer p;
	int ret;

	snprintf(params, sizeof(params), "vhd:%s", image);
	ht_peer_start(&p, ctl, params, "--fault resume-fail");
	T_ASSERT(tapctl_pause(p.sock, 0, 2000, err, sizeof(err)) == 0, "%s",
		 err);
	ret = tapctl_resume(p.sock, 0, params, 0, 2000, err, sizeof(err));
	T_ASSERT(ret == -EIO, "resume-fail: %d", ret);
	T_ASSERT(strstr(err, "injected resume failure"), "%s", err);
	expect_state(&p, TAPCTL_STATE_PAUSED | TAPCTL_STATE_RESUME_FAILED, 0);
	T_ASSERT(!strcmp(ht_report(&p, "open"), "0"), "stays closed");
	ht_peer_stop(&p);
}

static void socket_dies(const char *ctl, const char *image)
{
	char params[600], err[512];
	struct peer p;
	int ret;

	snprintf(params, sizeof(params), "vhd:%s", image);
	ht_peer_start(&p, ctl, params, "--fault die-on-pause");
	ret = tapctl_pause(p.sock, 0, 2000, err, sizeof(err));
	T_ASSERT(ret == -ECONNRESET, "dying peer: %d %s", ret, err);
	T_ASSERT(ht_peer_stop(&p) == 3, "peer crashed");
	ret = tapctl_pause(p.sock, 0, 2000, err, sizeof(err));
	T_ASSERT(ret == -ECONNREFUSED, "stale socket: %d %s", ret, err);
	ret = tapctl_pause("/nonexistent/ctl1", 0, 200, err, sizeof(err));
	T_ASSERT(ret == -ENOENT, "missing socket: %d", ret);
}

/* blktap3 lists a VBD without a tap device as minor -1: still found. */
static void list_minor_unknown(const char *ctl, const char *image)
{
	char params[600], err[512];
	struct tapctl_vbd vbd;
	struct peer p;

	snprintf(params, sizeof(params), "vhd:%s", image);
	ht_peer_start(&p, ctl, params, "--list-minor-unknown");
	T_ASSERT(tapctl_vbd_state(p.sock, 0, &vbd, 2000, err, sizeof(err)) ==
		 0 && vbd.minor == 0 && !strcmp(vbd.params, params),
		 "minor -1 entry: %s", err);
	ht_peer_stop(&p);
}

int main(void)
{
	const char *ctl = t_path("ctl");
	const char *image = t_path("disk.vhd");
	char path[64];

	ht_make_vhd(image, "64M");
	round_trip(ctl, image);
	pause_hang(ctl, image);
	resume_fail(ctl, image);
	socket_dies(ctl, image);
	list_minor_unknown(ctl, image);

	setenv("TAPDISK_ACTIVATE_CONTROL_DIR", "/x", 1);
	T_ASSERT(tapctl_socket_path(path, sizeof(path), NULL, 42) == 0 &&
		 !strcmp(path, "/x/ctl42"), "%s", path);
	unsetenv("TAPDISK_ACTIVATE_CONTROL_DIR");
	T_ASSERT(tapctl_socket_path(path, sizeof(path), NULL, 42) == 0 &&
		 !strcmp(path, "/run/blktap-control/ctl42"), "%s", path);
	return T_EXIT_PASS;
}
