// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapdisk-activated: the handover daemon. Option parsing only; the work is
 * in xsd_daemon.c (loop) and xsd_machine.c (state machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef XH_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/exitcodes.h"
#include "common/version.h"
#include "lease/lease.h"
#include "xsd_client.h"
#include "xsd_daemon.h"

#define DEFAULT_CONFIG "/etc/xen-handover/tapdisk-activated.conf"
#define DEFAULT_PID_FILE "/run/tapdisk-activated.pid"

static void usage(FILE *out)
{
	fprintf(out,
"usage: tapdisk-activated [--foreground] [--config FILE] [--host-id N]\n"
"                         [--tool PATH] [--vdi-dir DIR]\n"
"                         [--domains-from-xenstore PATH] [--pid-file PATH]\n"
"       tapdisk-activated [--config FILE] [--vdi-dir DIR] --print-vdi NAME\n"
"       tapdisk-activated " XSD_CLIENT_COMMAND " VDI OP [OPTIONS]   (--help: its options)\n"
"\n"
"Drives VDI handover (activate/deactivate/reactivate) from xenstore:\n"
"block-handover disks, domain suspend/resume/destroy, and requests under\n"
"/vdi-handover/<vdi>/request. Logs to stderr (the journal under systemd).\n"
"\n"
"  --foreground         run in the foreground (the only mode; systemd\n"
"                       runs it as Type=notify: READY=1 once it watches\n"
"                       xenstore; SIGHUP rescans backends and requests)\n"
"  --config FILE        daemon configuration (default " DEFAULT_CONFIG ")\n"
"  --host-id N          this host's lease id 1..2000 (overrides config)\n"
"  --tool PATH          tapdisk-activate binary to run\n"
"  --vdi-dir DIR        directory of <vdi>.conf files\n"
"  --domains-from-xenstore PATH\n"
"                       read domain states from PATH/<domid> in xenstore\n"
"                       instead of libxenctrl (tests, other toolstacks)\n"
"  --pid-file PATH      held locked while the daemon runs, with its pid\n"
"                       (default " DEFAULT_PID_FILE "; block-handover\n"
"                       tests the lock to tell whether the daemon runs)\n"
"  --print-vdi NAME     check the VDI definition NAME.conf as the daemon\n"
"                       reads it and print it as key=value lines (image,\n"
"                       device, format, backend, lease, host-id, tool):\n"
"                       what block-handover uses; nothing is started\n"
"  --version, --help\n"
"\nExit codes: 0 stopped by a signal, 40 bad configuration, 41 xenstored\n"
"or libxenctrl unavailable. See tapdisk-activated(8).\n");
}

/*
 * The VDI definition @name as the daemon reads it, for block-handover: one
 * "key=value" line each, values verbatim (the parser rejects newlines by
 * construction: it reads lines). host-id only when configured.
 */
static int print_vdi(const struct xsd_config *cfg, const char *name)
{
	struct xsd_vdi_conf vdi;
	const char *why = NULL;
	char err[512];

	if (xsd_parse_vdi_name(name, strlen(name), &why)) {
		fprintf(stderr, "tapdisk-activated: --print-vdi '%s': %s\n",
			name, why ? why : "not a VDI name");
		return XH_EXIT_DAEMON_CONFIG;
	}
	if (xsd_vdi_conf_load(cfg, name, &vdi, err, sizeof(err))) {
		fprintf(stderr, "tapdisk-activated: %s\n", err);
		return XH_EXIT_DAEMON_CONFIG;
	}
	printf("image=%s\n", vdi.image);
	printf("device=%s\n", vdi.device[0] ? vdi.device : vdi.image);
	printf("format=%s\n", vdi.raw ? "raw" : "vhd");
	printf("backend=%s\n", xsd_backend_name(vdi.backend));
	printf("lease=%s\n", vdi.lease);
	if (cfg->host_id)
		printf("host-id=%u\n", cfg->host_id);
	printf("tool=%s\n", cfg->tool);
	return fflush(stdout) ? XH_EXIT_FAILURE : XH_EXIT_OK;
}

/*
 * Takes the pid file's lock for the daemon's lifetime (the descriptor is
 * close-on-exec: a job the daemon runs never keeps it, so a dead daemon
 * never looks alive). Returns the descriptor, or -1 with @err set.
 */
static int pid_file_lock(const char *path, char *err, size_t errlen)
{
	char pid[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "another tapdisk-activated runs "
				 "(pid %s, %s)", pid[0] ? pid : "?", path);
		else
			snprintf(err, errlen, "%s: lock: %s", path,
				 strerror(e));
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A state change for systemd (Type=notify): READY=1 once the daemon
 * watches xenstore, STOPPING=1 when it leaves. libsystemd's sd_notify
 * where the build found it; else the datagram sd_notify(3) describes,
 * sent to $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
 * Nothing happens outside systemd.
 */
static void notify_systemd(const char *state)
{
#ifdef XH_HAVE_LIBSYSTEMD
	int rc = sd_notify(0, state);

	if (rc < 0)
		fprintf(stderr, "tapdisk-activated: sd_notify: %s\n",
			strerror(-rc));
#else
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (const struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		fprintf(stderr, "tapdisk-activated: NOTIFY_SOCKET %s: %s\n",
			path, strerror(errno));
	close(fd);
#endif
}

/* The command line: where the configuration is, and what overrides it. */
struct daemon_args {
	const char *config, *host, *tool, *vdi_dir, *table, *print;
	const char *pid_file;
	bool config_given;
};

/* Returns -1 to go on, else the exit code (after --help, --version). */
static int parse_args(int argc, char **argv, struct daemon_args *a)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "host-id", required_argument, NULL, 'i' },
		{ "tool", required_argument, NULL, 't' },
		{ "vdi-dir", required_argument, NULL, 'v' },
		{ "domains-from-xenstore", required_argument, NULL, 'x' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "print-vdi", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*a = (struct daemon_args){ .config = DEFAULT_CONFIG,
				   .pid_file = DEFAULT_PID_FILE };
	while ((c = getopt_long(argc, argv, "fc:i:t:v:x:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f': break;
		case 'c': a->config = optarg; a->config_given = true; break;
		case 'i': a->host = optarg; break;
		case 't': a->tool = optarg; break;
		case 'v': a->vdi_dir = optarg; break;
		case 'x': a->table = optarg; break;
		case 'p': a->pid_file = optarg; break;
		case 'P': a->print = optarg; break;
		case 'h':
			usage(stdout);
			return XH_EXIT_OK;
		case 'V':
			printf("tapdisk-activated %s\n", XH_VERSION);
			return XH_EXIT_OK;
		default:
			usage(stderr);
			return XH_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return XH_EXIT_USAGE;
	}
	return -1;
}

/* Copies @val into a config field of @size bytes; names @opt if too long. */
static int set_path(char *field, size_t size, const char *val, const char *opt,
		    char *err, size_t errlen)
{
	if (snprintf(field, size, "%s", val) < (int)size)
		return 0;
	snprintf(err, errlen, "%s: longer than %zu bytes", opt, size - 1);
	return -1;
}

/* The configuration file, then the command line's overrides. */
static int load_config(struct xsd_config *cfg, const struct daemon_args *a,
		       char *err, size_t errlen)
{
	const char *why;
	int rc;

	xsd_config_defaults(cfg);
	rc = xsd_config_load(cfg, a->config, a->config_given, err, errlen);
	if (!rc && a->host &&
	    (xsd_parse_u32(a->host, strlen(a->host), LEASE_MAX_HOSTS,
			   &cfg->host_id, &why) || !cfg->host_id)) {
		snprintf(err, errlen, "--host-id wants 1..%u", LEASE_MAX_HOSTS);
		rc = -1;
	}
	if (!rc && a->tool)
		rc = set_path(cfg->tool, sizeof(cfg->tool), a->tool, "--tool",
			      err, errlen);
	if (!rc && a->vdi_dir)
		rc = set_path(cfg->vdi_dir, sizeof(cfg->vdi_dir), a->vdi_dir,
			      "--vdi-dir", err, errlen);
	if (!rc && a->table)
		rc = set_path(cfg->domain_table, sizeof(cfg->domain_table),
			      a->table, "--domains-from-xenstore", err, errlen);
	return rc;
}

int main(int argc, char **argv)
{
	struct daemon_args a;
	struct xsd_daemon *d;
	char err[512];
	int rc, pid_fd;

	if (argc > 1 && !strcmp(argv[1], XSD_CLIENT_COMMAND))
		return xsd_client_main(argc - 1, argv + 1, DEFAULT_CONFIG,
				       DEFAULT_PID_FILE);
	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "tapdisk-activated: out of memory\n");
		return XH_EXIT_FAILURE;
	}
	rc = load_config(&d->cfg, &a, err, sizeof(err));
	if (!rc && a.print) {
		rc = print_vdi(&d->cfg, a.print);
		free(d);
		return rc;
	}
	if (!rc && !d->cfg.host_id) {
		snprintf(err, sizeof(err), "no host-id: set it in %s or pass "
			 "--host-id", a.config);
		rc = -1;
	}
	if (rc) {
		fprintf(stderr, "tapdisk-activated: %s\n", err);
		free(d);
		return XH_EXIT_DAEMON_CONFIG;
	}
	pid_fd = pid_file_lock(a.pid_file, err, sizeof(err));
	if (pid_fd < 0) {
		fprintf(stderr, "tapdisk-activated: %s\n", err);
		free(d);
		return XH_EXIT_DAEMON_CONFIG;
	}
	xsd_lease_ops_default(&d->lease);
	rc = xsd_daemon_init(d, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "tapdisk-activated: %s\n", err);
	} else {
		notify_systemd("READY=1\nSTATUS=watching xenstore");
		rc = xsd_daemon_run(d);
		notify_systemd("STOPPING=1");
	}
	xsd_daemon_fini(d);
	free(d);
	close(pid_fd);
	return rc;
}
