// SPDX-License-Identifier: GPL-2.0 OR MIT
/* backend_tapdisk: pause/resume/query through tapdisk's control socket. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "common/clock.h"
#include "tapctl.h"

static enum backend_result classify(int ret)
{
	switch (ret) {
	case 0:
		return BACKEND_OK;
	case -ETIMEDOUT:
		return BACKEND_TIMEOUT;
	case -ENOENT:
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ENOTSOCK:
	case -ENAMETOOLONG:
		return BACKEND_UNREACHABLE;
	default:
		return BACKEND_REFUSED;
	}
}

/*
 * Longest a pause spends asking tapdisk about its CBT log first: a third
 * of the pause's bound, at most 5 s; the pause itself gets what is left,
 * so the whole stays within the caller's bound.
 */
#define CBT_CHECK_MAX_MS	5000

/*
 * Before a running VBD is paused: does it track changed blocks into a
 * log the spec does not name? Then the resume that ends this pause
 * (activate, reactivate: another process, with the same spec) would
 * turn tracking off, since tapdisk forgets the log on a RESUME that does
 * not carry it, and writes would go unrecorded: incremental backups
 * built on the log would miss them. Refused here, while nothing has
 * changed yet. A VBD that is paused already shows no images (tapdisk
 * closed them); then nothing can be learnt and the spec is all we have.
 * When STATS itself fails the pause goes on: draining the VBD matters
 * more, and a tapdisk that cannot answer STATS will not answer the pause
 * either.
 */
/* Two names of one file (another spelling, a symlink)? */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return *a && *b && !stat(a, &sa) && !stat(b, &sb) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool cbt_log_unnamed(const struct backend *b, int timeout_ms,
			    char *err, size_t errlen)
{
	struct tapctl_stats st;
	char ignored[256];
	int bound = timeout_ms / 3;

	if (bound > CBT_CHECK_MAX_MS)
		bound = CBT_CHECK_MAX_MS;
	if (tapctl_stats(b->sock, b->minor, &st, bound, ignored,
			 sizeof(ignored)))
		return false;
	if (!st.has_log || !strcmp(st.log, b->cbt_log) ||
	    same_file(st.log, b->cbt_log))
		return false;
	if (b->cbt_log[0])
		snprintf(err, errlen, "tapdisk %d minor %d tracks changed blocks "
			 "in the CBT log %s, but the backend spec names %s: a "
			 "resume would move tracking there and the log would "
			 "miss later writes, so the VBD is not paused: name "
			 "%s in cbt-log=", b->pid, b->minor, st.log,
			 b->cbt_log, st.log);
	else
		snprintf(err, errlen, "tapdisk %d minor %d tracks changed blocks "
			 "in the CBT log %s, but the backend spec names none: "
			 "a resume without it turns tracking off (writes would "
			 "be missing from the log), so the VBD is not paused: "
			 "add ,cbt-log=%s to the spec", b->pid, b->minor,
			 st.log, st.log);
	return true;
}

enum backend_result backend_tapdisk_pause(const struct backend *b,
					  int timeout_ms, char *err,
					  size_t errlen)
{
	uint64_t t0 = clock_now_ms();
	int left;

	if (cbt_log_unnamed(b, timeout_ms, err, errlen))
		return BACKEND_REFUSED;
	left = timeout_ms - (int)(clock_now_ms() - t0);
	return classify(tapctl_pause(b->sock, b->minor, left > 0 ? left : 1,
				     err, errlen));
}

bool backend_tapdisk_pause_or_gone(const struct backend *b, int timeout_ms,
				   char *err, size_t errlen)
{
	int ret = tapctl_pause(b->sock, b->minor, timeout_ms, err, errlen);

	/*
	 * Nothing listening (socket gone, or left behind by a dead tapdisk)
	 * is a tapdisk that can no longer write. A reset connection is not:
	 * a live tapdisk may close a connection without answering.
	 */
	return !ret || ret == -ENOENT || ret == -ECONNREFUSED;
}

enum backend_result backend_tapdisk_resume(const struct backend *b,
					   const char *image_path,
					   int timeout_ms, char *err,
					   size_t errlen)
{
	char params[TAPCTL_PATH_MAX];
	int n;

	/* Naming the image makes tapdisk reopen it from scratch. */
	n = snprintf(params, sizeof(params), "%s:%s", b->image_type,
		     image_path);
	if (n < 0 || (size_t)n >= sizeof(params)) {
		snprintf(err, errlen, "image path too long for tapdisk (%d max)",
			 TAPCTL_PATH_MAX - 1);
		return BACKEND_REFUSED;
	}
	/* With its CBT log, if it has one: tapdisk drops it otherwise. */
	return classify(tapctl_resume_log(b->sock, b->minor, params, 0,
					  b->cbt_log, timeout_ms, err,
					  errlen));
}

enum backend_result backend_tapdisk_writes(const struct backend *b,
					   int timeout_ms,
					   struct backend_writes *w,
					   char *err, size_t errlen)
{
	struct tapctl_stats st;
	int ret;

	ret = tapctl_stats(b->sock, b->minor, &st, timeout_ms, err, errlen);
	if (ret)
		return classify(ret);
	if (!st.has_secs) {
		snprintf(err, errlen, "tapdisk at %s reports no sector counters "
			 "for minor %d", b->sock, b->minor);
		return BACKEND_UNSUPPORTED;
	}
	w->written = st.secs_written;
	w->in_flight = st.reqs_outstanding;
	w->wrote = st.secs_written || st.reqs_outstanding != 0;
	snprintf(w->how, sizeof(w->how), "tapdisk STATS of minor %d: %llu "
		 "sectors written since the VBD was created, %d requests "
		 "outstanding", b->minor, (unsigned long long)st.secs_written,
		 st.reqs_outstanding);
	return BACKEND_OK;
}

enum backend_result backend_tapdisk_query(const struct backend *b,
					  struct backend_status *st,
					  int timeout_ms, char *err,
					  size_t errlen)
{
	struct tapctl_vbd vbd;
	int ret;

	ret = tapctl_vbd_state(b->sock, b->minor, &vbd, timeout_ms, err,
			       errlen);
	if (ret) {
		snprintf(st->state, sizeof(st->state), "unknown");
		return classify(ret);
	}
	st->known = true;
	st->raw_state = vbd.state;
	st->paused = vbd.state & TAPCTL_STATE_PAUSED;
	snprintf(st->state, sizeof(st->state), "%s",
		 tapctl_state_name(vbd.state));
	snprintf(st->image, sizeof(st->image), "%s", vbd.params);
	return BACKEND_OK;
}

/*
 * O_DIRECT of every descriptor tapdisk @pid holds on the file @want:
 * 1 all have it, 0 one lacks it (*@flags: its flags), -ENOENT none is
 * open, -errno when /proc cannot be read.
 */
static int fd_direct(int pid, const struct stat *want, unsigned int *flags,
		     int *fdno)
{
	char dir[64], path[384], line[128];
	struct dirent *de;
	int found = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;
		unsigned int fl = 0;
		bool have = false;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || st.st_dev != want->st_dev ||
		    st.st_ino != want->st_ino)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* closed meanwhile */
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "flags: %o", &fl) == 1) {
				have = true;
				break;
			}
		fclose(f);
		if (!have)
			continue;
		*flags = fl;
		*fdno = atoi(de->d_name);
		if (!(fl & O_DIRECT)) {
			found = 0;
			break;
		}
		found = 1;
	}
	closedir(d);
	return found;
}

int backend_tapdisk_io_mode(const struct backend *b, const char *image,
			    int timeout_ms, bool *direct, char *how,
			    size_t howlen)
{
	struct tapctl_stats st;
	struct stat want;
	unsigned int flags = 0;
	char ignored[256];
	int fd = -1, ret;

	if (b->kind != BACKEND_TAPDISK)
		return -EINVAL;
	if (stat(image, &want))
		return -errno;
	ret = fd_direct(b->pid, &want, &flags, &fd);
	if (ret >= 0) {
		*direct = ret == 1;
		snprintf(how, howlen, "tapdisk %d has the image open %s "
			 "(/proc/%d/fdinfo/%d flags 0%o)", b->pid,
			 *direct ? "with O_DIRECT" : "without O_DIRECT",
			 b->pid, fd, flags);
		return 0;
	}
	/*
	 * Not open (paused: tapdisk closed it) or /proc not readable: the
	 * VBD's read_caching is tapdisk's own record of NO_O_DIRECT, kept
	 * across a pause. It cannot see libvhd's fallback from O_DIRECT to
	 * O_DSYNC, which the descriptor flags above do.
	 */
	ret = tapctl_stats(b->sock, b->minor, &st, timeout_ms, ignored,
			   sizeof(ignored));
	if (ret)
		return ret;
	if (st.read_caching < 0)
		return -ENODATA;
	*direct = !st.read_caching;
	snprintf(how, howlen, "tapdisk %d minor %d reports read_caching=%s, "
		 "the image is not open now", b->pid, b->minor,
		 st.read_caching ? "true (no O_DIRECT)" : "false (O_DIRECT)");
	return 0;
}
