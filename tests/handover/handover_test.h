/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Shared by the handover tests: start/stop the tapdisk peer, read its
 * report, make VHD images with qemu-img/qemu-io, run the CLI as one of two
 * "hosts". Header-only (static inline) because each test is one program.
 */
#ifndef XH_HANDOVER_TEST_H
#define XH_HANDOVER_TEST_H

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "lease/lease.h"
#include "t_helpers.h"

struct peer {
	pid_t pid;
	char sock[PATH_MAX + 64];
	char report[PATH_MAX + 64];
};

/*
 * A fake control socket at @sock served by a forked child: returns the
 * child's pid in the parent; in the child returns 0 with *@fd the accepted
 * connection (-1 if accept failed). The child dies with the test.
 */
static inline pid_t ht_fake_socket_fork(const char *sock, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	T_ASSERT(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) &&
		 !listen(lfd, 4), "listen %s", sock);
	pid = fork();
	T_ASSERT(pid >= 0, "fork");
	if (pid) {
		close(lfd);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	*fd = accept(lfd, NULL, NULL);
	return 0;
}

/* Directory holding this test binary (helpers are built next to it). */
static inline const char *ht_bindir(void)
{
	static char dir[PATH_MAX];

	if (!dir[0]) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		char *d;

		T_ASSERT(n > 0, "readlink /proc/self/exe");
		dir[n] = '\0';
		d = dirname(dir);
		memmove(dir, d, strlen(d) + 1);
	}
	return dir;
}

/* The CLI under test: $XH_TOOL, else build/tapdisk-activate beside us. */
static inline const char *ht_tool(void)
{
	static char tool[PATH_MAX + 64];
	const char *env = getenv("XH_TOOL");

	if (env && *env)
		return env;
	snprintf(tool, sizeof(tool), "%s/../../tapdisk-activate", ht_bindir());
	return tool;
}

static inline bool ht_have(const char *prog)
{
	return t_system("command -v %s >/dev/null 2>&1", prog) == 0;
}

/* Dynamic VHD of @size (qemu-img syntax), written with qemu-io commands. */
static inline void ht_make_vhd(const char *path, const char *size)
{
	if (!ht_have("qemu-img") || !ht_have("qemu-io"))
		T_SKIP("qemu-img/qemu-io not installed");
	T_ASSERT(t_system("qemu-img create -q -f vpc -o subformat=dynamic "
			  "'%s' %s", path, size) == 0, "qemu-img create");
}

/* Runs qemu-io -c CMD on a VHD (the "source host" writing the image). */
static inline void ht_qemu_io(const char *path, const char *cmd)
{
	T_ASSERT(t_system("qemu-io -f vpc -c '%s' '%s' >/dev/null", cmd,
			  path) == 0, "qemu-io %s", cmd);
}

/* Value of @key in the peer's report ("" when missing). */
static inline const char *ht_report(const struct peer *p, const char *key)
{
	static char val[1024];
	char line[1024];
	size_t klen = strlen(key);
	FILE *f = fopen(p->report, "r");

	val[0] = '\0';
	if (!f)
		return val;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			snprintf(val, sizeof(val), "%s", line + klen + 1);
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return val;
}

/* Peers still running; killed at exit even when an assertion fails. */
#define HT_MAX_PEERS 16
static pid_t ht_live_peers[HT_MAX_PEERS];

static inline void ht_kill_live_peers(void)
{
	for (int i = 0; i < HT_MAX_PEERS; i++) {
		if (ht_live_peers[i] > 0) {
			kill(ht_live_peers[i], SIGKILL);
			waitpid(ht_live_peers[i], NULL, 0);
			ht_live_peers[i] = 0;
		}
	}
}

static inline void ht_track_peer(pid_t pid, bool add)
{
	static bool registered;

	if (!registered) {
		atexit(ht_kill_live_peers);
		registered = true;
	}
	for (int i = 0; i < HT_MAX_PEERS; i++) {
		if (add && ht_live_peers[i] <= 0) {
			ht_live_peers[i] = pid;
			return;
		}
		if (!add && ht_live_peers[i] == pid) {
			ht_live_peers[i] = 0;
			return;
		}
	}
}

/*
 * Starts the peer for @image ("vhd:/path") with extra options @fmt
 * (space-separated, no quoting) and waits for its report to appear.
 * The socket is named ctl<PID> in @ctldir so "tapdisk:PID:0" works with
 * TAPDISK_ACTIVATE_CONTROL_DIR=@ctldir.
 */
static inline void ht_peer_start(struct peer *p, const char *ctldir,
				 const char *image, const char *fmt, ...)
{
	char extra[1024] = "", helper[PATH_MAX + 64], *argv[32];
	int argc = 0, fds[2];
	va_list ap;
	char go;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(extra, sizeof(extra), fmt, ap);
		va_end(ap);
	}
	snprintf(helper, sizeof(helper), "%s/helper_tapdisk_peer",
		 ht_bindir());
	T_ASSERT(access(helper, X_OK) == 0, "%s missing", helper);
	mkdir(ctldir, 0755);
	T_ASSERT(pipe(fds) == 0, "pipe");
	p->pid = fork();
	T_ASSERT(p->pid >= 0, "fork");
	if (p->pid == 0) {
		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Wait until the parent knows our pid (it names the socket). */
		close(fds[1]);
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		snprintf(p->sock, sizeof(p->sock), "%s/ctl%d", ctldir,
			 (int)getpid());
		snprintf(p->report, sizeof(p->report), "%s/peer%d.report",
			 ctldir, (int)getpid());
		argv[argc++] = helper;
		argv[argc++] = "--socket";
		argv[argc++] = p->sock;
		argv[argc++] = "--image";
		argv[argc++] = (char *)image;
		argv[argc++] = "--report";
		argv[argc++] = p->report;
		for (char *tok = strtok(extra, " "); tok && argc < 30;
		     tok = strtok(NULL, " "))
			argv[argc++] = tok;
		argv[argc] = NULL;
		execv(helper, argv);
		_exit(127);
	}
	close(fds[0]);
	ht_track_peer(p->pid, true);
	snprintf(p->sock, sizeof(p->sock), "%s/ctl%d", ctldir, (int)p->pid);
	snprintf(p->report, sizeof(p->report), "%s/peer%d.report", ctldir,
		 (int)p->pid);
	T_ASSERT(write(fds[1], "g", 1) == 1, "pipe write");
	close(fds[1]);
	for (int i = 0; i < 1000; i++) {
		if (access(p->report, R_OK) == 0 && access(p->sock, F_OK) == 0)
			return;
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid)
			T_ASSERT(0, "tapdisk peer exited at start");
		usleep(10000);
	}
	T_ASSERT(0, "tapdisk peer did not start");
}

/* Stops the peer (if still running); returns its exit status or -1. */
static inline int ht_peer_stop(struct peer *p)
{
	int status = 0;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	waitpid(p->pid, &status, 0);
	ht_track_peer(p->pid, false);
	p->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs the CLI (with TAPDISK_ACTIVATE_CONTROL_DIR=@ctldir); exit status. */
static inline int ht_cli(const char *ctldir, const char *fmt, ...)
{
	char args[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return t_system("TAPDISK_ACTIVATE_CONTROL_DIR='%s' '%s' %s", ctldir,
			ht_tool(), args);
}

/* Creates VDI.lease (never-expiring lease, all hosts free). */
static inline void ht_lease_init(const char *vdi)
{
	struct lease_init_opts io = { .sector_size = 0, .timeout_s = 0 };
	char spec[PATH_MAX], err[256];
	struct lease *l;

	T_ASSERT(lease_sidecar_path(vdi, spec, sizeof(spec)) == 0, "sidecar");
	T_ASSERT(lease_open(&l, spec, LEASE_OPEN_CREATE, err, sizeof(err)) ==
		 LEASE_OK, "lease_open %s: %s", spec, err);
	T_ASSERT(lease_init(l, &io) == LEASE_OK, "lease_init: %s",
		 lease_last_error(l));
	lease_close(l);
}

/* The lease of @vdi as it is on disk now. */
static inline struct lease_status ht_lease_status(const char *vdi)
{
	struct lease_status st;
	char spec[PATH_MAX], err[256];
	struct lease *l;

	T_ASSERT(lease_sidecar_path(vdi, spec, sizeof(spec)) == 0, "sidecar");
	T_ASSERT(lease_open(&l, spec, LEASE_OPEN_READ_ONLY, err, sizeof(err))
		 == LEASE_OK, "lease_open: %s", err);
	T_ASSERT(lease_read_status(l, &st) == LEASE_OK, "status");
	lease_close(l);
	return st;
}

static inline bool ht_held_by(const char *vdi, unsigned int host)
{
	struct lease_status st = ht_lease_status(vdi);

	return st.state == LEASE_STATE_HELD && st.has_owner &&
	       st.owner.host_id == host;
}

/*
 * The usual scene: a 64M dynamic VHD at @vdi (written with qemu-io @cmd
 * unless NULL) and its lease; @image gets the peer's "vhd:PATH".
 */
static inline void ht_vdi_setup(const char *vdi, const char *cmd,
				char *image, size_t len)
{
	ht_make_vhd(vdi, "64M");
	if (cmd)
		ht_qemu_io(vdi, cmd);
	ht_lease_init(vdi);
	snprintf(image, len, "vhd:%s", vdi);
}

/* Runs "@op VDI --host-id @host --backend tapdisk:PEER:0"; exit status. */
static inline int ht_run(const char *ctldir, const char *op, const char *vdi,
			 unsigned int host, const struct peer *p)
{
	return ht_cli(ctldir, "%s %s --host-id %u --backend tapdisk:%d:0", op,
		      vdi, host, (int)p->pid);
}

#endif /* XH_HANDOVER_TEST_H */
