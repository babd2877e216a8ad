// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Failed migration where the destination activated: may the source take
 * the VDI back, and may it trust its changed-block-tracking log? Against
 * the tapdisk peer answering STATS with its write counter
 * (--secs-written), no blktap needed:
 *   clean        destination wrote nothing: its deactivate releases clean
 *                (leader flag), the source's reactivate succeeds one
 *                version on, the CBT log stays consistent
 *   wrote        destination's counter shows writes: plain release;
 *                reactivate refused (31), CBT log marked inconsistent
 *   in-flight    a write in flight when the destination's pause began
 *                lands during the drain and counts: refused, marked
 *   two-holders  two acquires since the source's release, both clean:
 *                nothing proves the first one is all: refused, marked
 *   no-counters  the destination's tapdisk refuses STATS: nothing proved:
 *                refused, marked
 *   failed-activate  the destination acquired but its resume failed: the
 *                backend never ran, the activate gives the lease back
 *                clean and the source's reactivate succeeds
 *   force        reactivate --force after a destination that wrote:
 *                succeeds, and marks the log before the resume
 */
#include <fcntl.h>

#include "handover_test.h"

#define EXIT_REACTIVATE_REFUSED 31
#define CBT_DISK	(64ull << 20)

/* A blktap CBT log for a 64 MiB disk, marked consistent (backup taken). */
static void make_cbt_log(const char *path)
{
	unsigned char buf[48 + (CBT_DISK / 65536 + 7) / 8];
	const int32_t one = 1;
	const uint64_t size = CBT_DISK;
	int fd;

	memset(buf, 0, sizeof(buf));
	memcpy(buf + 32, &one, sizeof(one));
	memcpy(buf + 40, &size, sizeof(size));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	T_ASSERT(fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
		 "write %s", path);
	close(fd);
}

static int cbt_flag(const char *path)
{
	int32_t v = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	T_ASSERT(fd >= 0 && pread(fd, &v, sizeof(v), 32) == sizeof(v),
		 "read %s", path);
	close(fd);
	return v;
}

struct outcome {
	int rc;			/* reactivate's exit status */
	int cbt;		/* the log's consistent flag afterwards */
	bool dest_clean;	/* the lease said released clean before it */
};

/*
 * Source (host 1, CBT log) activates and deactivates; then @holders
 * destinations (hosts 2, 3: peers started with @dest_opts) activate and
 * deactivate in turn (with @dest_fault, the first one's activate fails
 * instead); then host 1 runs `reactivate @re_opts`.
 */
static struct outcome scene(const char *name, const char *dest_opts,
			    int holders, bool dest_fault, const char *re_opts)
{
	char dir[PATH_MAX / 2], vdi[PATH_MAX], log[PATH_MAX];
	char ctl[PATH_MAX], params[PATH_MAX + 8];
	struct peer a, d[2];
	struct outcome o;
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", t_tmpdir(), name);
	T_ASSERT(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	snprintf(vdi, sizeof(vdi), "%s/vm.vhd", dir);
	snprintf(log, sizeof(log), "%s/vm.cbtlog", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	ht_vdi_setup(vdi, "write -P 0x11 0 64k", params, sizeof(params));
	make_cbt_log(log);
	ht_peer_start(&a, ctl, params, "--secs-written 2048");
	T_ASSERT(ht_cli(ctl, "activate %s --host-id 1 --backend "
			"tapdisk:%d:0,cbt-log=%s", vdi, a.pid, log) == 0,
		 "%s: source activates", name);
	T_ASSERT(ht_cli(ctl, "deactivate %s --host-id 1 --backend "
			"tapdisk:%d:0,cbt-log=%s --successor 2", vdi, a.pid,
			log) == 0, "%s: source deactivates", name);
	T_ASSERT(!ht_lease_status(vdi).released_clean,
		 "%s: a source that wrote released clean", name);
	for (int i = 0; i < holders; i++) {
		ht_peer_start(&d[i], ctl, params, "%s%s", dest_opts,
			      dest_fault ? " --fault resume-fail" : "");
		rc = ht_run(ctl, "activate", vdi, 2 + i, &d[i]);
		if (dest_fault) {
			T_ASSERT(rc != 0 && !ht_held_by(vdi, 2),
				 "%s: failing activate: exit %d", name, rc);
		} else {
			T_ASSERT(rc == 0, "%s: host %d activates", name, 2 + i);
			T_ASSERT(ht_run(ctl, "deactivate", vdi, 2 + i,
					&d[i]) == 0, "%s: host %d deactivates",
				 name, 2 + i);
		}
	}
	o.dest_clean = ht_lease_status(vdi).released_clean;
	o.rc = ht_cli(ctl, "reactivate %s --host-id 1 --backend "
		      "tapdisk:%d:0,cbt-log=%s --json %s > %s/re.json", vdi,
		      a.pid, log, re_opts, dir);
	o.cbt = cbt_flag(log);
	if (o.rc == 0)
		T_ASSERT(ht_held_by(vdi, 1) &&
			 !strcmp(ht_report(&a, "open"), "1"),
			 "%s: reactivated but not running", name);
	else
		T_ASSERT(!strcmp(ht_report(&a, "open"), "0"),
			 "%s: refused but the source is not paused", name);
	if (o.cbt == 0)
		T_ASSERT(t_system("jq -e '(.error.message // .warning) | "
				  "test(\"marked inconsistent\")' %s/re.json "
				  ">/dev/null", dir) == 0,
			 "%s: the report does not say the log was marked",
			 name);
	fprintf(stderr, "ok %-16s dest clean %d, reactivate exit %d, CBT "
		"consistent %d\n", name, o.dest_clean, o.rc, o.cbt);
	ht_peer_stop(&a);
	for (int i = 0; i < holders; i++)
		ht_peer_stop(&d[i]);
	return o;
}

int main(void)
{
	struct outcome o;

	if (!ht_have("jq") || !ht_have("qemu-img"))
		T_SKIP("needs jq and qemu-img");

	o = scene("clean", "--secs-written 0", 1, false, "");
	T_ASSERT(o.dest_clean && o.rc == 0 && o.cbt == 1,
		 "clean destination: want released clean, reactivate 0, log "
		 "consistent");
	T_ASSERT(t_system("jq -e '.warning | test(\"released version 2 "
			  "clean\")' %s/clean/re.json >/dev/null",
			  t_tmpdir()) == 0, "reactivate does not say why");

	o = scene("wrote", "--secs-written 8", 1, false, "");
	T_ASSERT(!o.dest_clean && o.rc == EXIT_REACTIVATE_REFUSED &&
		 o.cbt == 0, "destination that wrote");

	o = scene("in-flight", "--secs-written 0 --inflight-ms 400 --inflight-voff 0", 1, false,
		  "");
	T_ASSERT(!o.dest_clean && o.rc == EXIT_REACTIVATE_REFUSED &&
		 o.cbt == 0, "write in flight at the pause");

	o = scene("two-holders", "--secs-written 0", 2, false, "");
	T_ASSERT(o.dest_clean && o.rc == EXIT_REACTIVATE_REFUSED &&
		 o.cbt == 0, "two acquires since the release");

	o = scene("no-counters", "", 1, false, "");
	T_ASSERT(!o.dest_clean && o.rc == EXIT_REACTIVATE_REFUSED &&
		 o.cbt == 0, "no counters");

	o = scene("failed-activate", "--secs-written 0", 1, true, "");
	T_ASSERT(o.dest_clean && o.rc == 0 && o.cbt == 1,
		 "activate that failed before the backend ran");

	o = scene("force", "--secs-written 8", 1, false, "--force");
	T_ASSERT(o.rc == 0 && o.cbt == 0, "--force after a destination that "
		 "wrote: reactivated, log marked");
	return T_EXIT_PASS;
}
