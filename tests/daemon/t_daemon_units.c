// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Pieces of tapdisk-activated that need no xenstore: the per-domain rate
 * limiter, the configuration parsers (strict: unknown keys and bad values
 * are errors), the reading of tapdisk-activate's JSON report, the
 * child-job runner (output capture, exit code, kill on deadline), the
 * decoding of the hypervisor's XEN_DOMINF_* flags (xsd_xen_compat.h) and the
 * mapping of libxenctrl's domain flags to domain states, and the log
 * line format (journal priority prefixes when stderr is the journal).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "t_helpers.h"
#include "daemon/xsd_config.h"
#include "daemon/xsd_daemon.h"
#include "daemon/xsd_hyp.h"
#include "daemon/xsd_job.h"
#include "daemon/xsd_rate.h"
#include "daemon/xsd_xen_compat.h"

static void test_rate(void)
{
	struct xsd_rate_table t;
	unsigned int allowed = 0, cursor = 0;
	uint32_t domid = 0;
	uint64_t n;

	xsd_rate_init(&t, 10, 5);
	for (int i = 0; i < 100; i++)
		allowed += xsd_rate_allow(&t, 7, 1000);
	T_ASSERT(allowed == 5, "burst of 5 allowed %u", allowed);
	/* Another domain has its own bucket. */
	T_ASSERT(xsd_rate_allow(&t, 8, 1000), "domain 8 starved by 7");
	/* 10/s: after 300 ms three more. */
	allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += xsd_rate_allow(&t, 7, 1300);
	T_ASSERT(allowed == 3, "refill gave %u, want 3", allowed);
	n = xsd_rate_report(&t, 1300, &cursor, &domid);
	T_ASSERT(n == 192 && domid == 7, "report %lu for %u",
		 (unsigned long)n, domid);
	cursor = 0;
	T_ASSERT(!xsd_rate_report(&t, 1400, &cursor, &domid),
		 "reported twice within 10 s");
	/* More noisy domains than slots: still bounded, still answering. */
	for (uint32_t d = 1; d < 3 * XSD_RATE_SLOTS; d++)
		xsd_rate_allow(&t, d, 2000);
	T_ASSERT(xsd_rate_allow(&t, 99999, 2000), "new domain refused");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f && fputs(text, f) >= 0 && !fclose(f), "write %s", path);
}

static void test_config(void)
{
	struct xsd_config c;
	struct xsd_vdi_conf v;
	char err[512], buf[200];
	char *p = t_path("d.conf");

	xsd_config_defaults(&c);
	T_ASSERT(!xsd_config_load(&c, t_path("missing.conf"), false, err,
				  sizeof(err)), "optional missing file");
	T_ASSERT(xsd_config_load(&c, t_path("missing.conf"), true, err,
				 sizeof(err)), "required missing file");

	write_file(p, "# comment\n host-id = 12 \nactivate-on = attach\n"
		   "drain-quiet-ms = 1500\n");
	T_ASSERT(!xsd_config_load(&c, p, true, err, sizeof(err)), "%s", err);
	T_ASSERT(c.host_id == 12 && c.activate_on == XSD_ACTIVATE_ON_ATTACH &&
		 c.drain_quiet_ms == 1500, "values");

	write_file(p, "host-id = 2001\n");
	T_ASSERT(xsd_config_load(&c, p, true, err, sizeof(err)) &&
		 strstr(err, ":1:"), "host-id range: %s", err);
	write_file(p, "host-id = 1\nhostid = 2\n");
	T_ASSERT(xsd_config_load(&c, p, true, err, sizeof(err)) &&
		 strstr(err, "unknown key"), "typo accepted: %s", err);
	write_file(p, "tool = relative/path\n");
	T_ASSERT(xsd_config_load(&c, p, true, err, sizeof(err)), "relative");
	write_file(p, "activate-wait = 5s\n");
	T_ASSERT(xsd_config_load(&c, p, true, err, sizeof(err)), "5s");

	snprintf(c.vdi_dir, sizeof(c.vdi_dir), "%s", t_tmpdir());
	write_file(t_path("v1.conf"), "image = /dev/sdx\nformat = raw\n"
		   "lease = /l/v1.lease:1048576\n");
	T_ASSERT(!xsd_vdi_conf_load(&c, "v1", &v, err, sizeof(err)), "%s", err);
	T_ASSERT(v.raw && v.backend == XSD_BACKEND_DM &&
		 !strcmp(v.lease, "/l/v1.lease:1048576"), "vdi values");
	T_ASSERT(!xsd_backend_spec(&v, 5, 51712, NULL, buf, sizeof(buf)) &&
		 !strcmp(buf, "dm:xh-v1-5-51712"), "spec %s", buf);
	T_ASSERT(!xsd_backend_spec(&v, 0, 0, NULL, buf, sizeof(buf)) &&
		 !strcmp(buf, "none"), "disk-less spec %s", buf);
	write_file(t_path("v2.conf"), "format = raw\n");
	T_ASSERT(xsd_vdi_conf_load(&c, "v2", &v, err, sizeof(err)) &&
		 strstr(err, "no image"), "missing image: %s", err);
	write_file(t_path("v3.conf"), "image = /x\nbackend = tapdisk2\n");
	T_ASSERT(xsd_vdi_conf_load(&c, "v3", &v, err, sizeof(err)) &&
		 strstr(err, "dm, tapdisk or none"), "tapdisk2: %s", err);
	/* backend tapdisk: VHD by default, the spec from block-handover's
	 * xh-tapdisk key (PID:MINOR), "none" once the disk is gone. */
	write_file(t_path("v8.conf"), "image = /s/a.vhd\nbackend = tapdisk\n");
	T_ASSERT(!xsd_vdi_conf_load(&c, "v8", &v, err, sizeof(err)) &&
		 !v.raw && v.backend == XSD_BACKEND_TAPDISK, "tapdisk: %s", err);
	T_ASSERT(!strcmp(xsd_backend_name(v.backend), "tapdisk"), "name");
	T_ASSERT(!xsd_backend_spec(&v, 5, 51712, "812:0", buf, sizeof(buf)) &&
		 !strcmp(buf, "tapdisk:812:0"), "tapdisk spec %s", buf);
	T_ASSERT(!xsd_backend_spec(&v, 5, 51712, NULL, buf, sizeof(buf)) &&
		 !strcmp(buf, "none"), "tapdisk gone: %s", buf);
	{
		static const char *const bad[] = {
			"", "812", ":0", "812:", "0812:1", "812:01", "-1:0",
			"812:0,cbt-log=/x", "812:0:1", "1234567890:0", " 812:0",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			T_ASSERT(xsd_backend_spec(&v, 5, 51712, bad[i], buf,
						  sizeof(buf)),
				 "xh-tapdisk '%s' accepted", bad[i]);
	}
	write_file(t_path("v9.conf"), "image = /s/a.img\nbackend = tapdisk\n"
		   "format = raw\n");
	T_ASSERT(!xsd_vdi_conf_load(&c, "v9", &v, err, sizeof(err)) && v.raw &&
		 !xsd_backend_spec(&v, 5, 51712, "9:3", buf, sizeof(buf)) &&
		 !strcmp(buf, "tapdisk:9:3,type=aio"), "raw tapdisk %s", buf);
	/* One reading for the daemon and block-handover: a key twice is an
	 * error (the script took the first image line, the daemon the last). */
	write_file(t_path("v4.conf"), "image = /a\nformat = raw\nimage = /b\n");
	T_ASSERT(xsd_vdi_conf_load(&c, "v4", &v, err, sizeof(err)) &&
		 strstr(err, ":3:") && strstr(err, "'image' given twice"),
		 "duplicate image: %s", err);
	/* backend dm: raw by default, a VHD refused naming the tapdisk path. */
	write_file(t_path("v5.conf"), "image = /a\ndevice = /dev/mapper/d\n");
	T_ASSERT(!xsd_vdi_conf_load(&c, "v5", &v, err, sizeof(err)) && v.raw &&
		 !strcmp(v.device, "/dev/mapper/d"), "dm default raw: %s", err);
	write_file(t_path("v6.conf"), "image = /a\nformat = vhd\n");
	T_ASSERT(xsd_vdi_conf_load(&c, "v6", &v, err, sizeof(err)) &&
		 strstr(err, "tapdisk:PID:MINOR"), "dm vhd: %s", err);
	write_file(t_path("v7.conf"), "image = /a.vhd\nbackend = none\n");
	T_ASSERT(!xsd_vdi_conf_load(&c, "v7", &v, err, sizeof(err)) && !v.raw,
		 "backend none keeps the VHD default: %s", err);
}

static void run_job(char *const argv[], uint64_t timeout_ms,
		    struct xsd_job *j)
{
	char err[256];
	uint64_t start = clock_now_ms();

	T_ASSERT(!xsd_job_start(j, argv, start, timeout_ms, err, sizeof(err)),
		 "%s", err);
	while (!xsd_job_step(j, clock_now_ms())) {
		struct pollfd pfd[3];
		int n = xsd_job_pollfds(j, pfd);

		poll(pfd, (nfds_t)n, 50);
		T_ASSERT(clock_now_ms() - start < 10000, "job never ended");
	}
}

static void test_jobs(void)
{
	char *ok[] = { "/bin/sh", "-c",
		"echo '{\"acquired_version\":5}'; echo 'step one' >&2;"
		" echo 'last line' >&2; exit 3", NULL };
	char *slow[] = { "/bin/sh", "-c", "exec sleep 30", NULL };
	char *big[] = { "/bin/sh", "-c",
		"head -c 100000 /dev/zero | tr '\\0' x; echo oops >&2", NULL };
	char *missing[] = { "/nonexistent/tool", NULL };
	struct xsd_job j;
	char msg[128];
	uint64_t t0;

	run_job(ok, 5000, &j);
	T_ASSERT(j.exit_code == 3 && !j.timed_out, "exit %d", j.exit_code);
	T_ASSERT(!strcmp(j.out, "{\"acquired_version\":5}\n") &&
		 j.out_len == strlen(j.out), "stdout: %s", j.out);
	T_ASSERT(!strcmp(xsd_job_message(&j, msg, sizeof(msg)), "last line"),
		 "message '%s'", msg);

	t0 = clock_now_ms();
	run_job(slow, 300, &j);
	T_ASSERT(j.timed_out && j.exit_code == 128 + 9, "not killed: %d",
		 j.exit_code);
	T_ASSERT(clock_now_ms() - t0 < 3000, "kill took too long");

	run_job(big, 5000, &j);
	T_ASSERT(j.exit_code == 0 && j.out_len == XSD_JOB_OUT_MAX - 1,
		 "stdout bound: %zu", j.out_len);
	T_ASSERT(!strcmp(xsd_job_message(&j, msg, sizeof(msg)), "oops"),
		 "message after big output '%s'", msg);

	run_job(missing, 5000, &j);
	T_ASSERT(j.exit_code == 127 && strstr(j.err, "cannot execute"),
		 "exec failure: %d %s", j.exit_code, j.err);
}

/* libxenctrl's flags as it reports them (xc_domain_getinfo). */
static void test_dom_state(void)
{
	/* Crash: libxenctrl clears "shutdown" and sets "crashed". Found on
	 * real Xen: a crashed guest looked running and kept its VDI. */
	T_ASSERT(xsd_dom_state_from_info(false, false, true, 3, false) ==
		 XSD_DOM_SHUTDOWN, "crashed domain not shut down");
	T_ASSERT(xsd_dom_state_from_info(false, false, true, 3, true) ==
		 XSD_DOM_SHUTDOWN, "paused crashed domain not shut down");
	T_ASSERT(xsd_dom_state_from_info(false, true, false, 2, false) ==
		 XSD_DOM_SUSPENDED, "suspend");
	T_ASSERT(xsd_dom_state_from_info(false, true, false, 0, false) ==
		 XSD_DOM_SHUTDOWN, "poweroff");
	T_ASSERT(xsd_dom_state_from_info(true, false, false, 0, false) ==
		 XSD_DOM_SHUTDOWN, "dying");
	T_ASSERT(xsd_dom_state_from_info(false, false, false, 0, true) ==
		 XSD_DOM_PAUSED, "paused");
	T_ASSERT(xsd_dom_state_from_info(false, false, false, 0, false) ==
		 XSD_DOM_RUNNING, "running");
}

/*
 * The raw XEN_DOMINF_* word of xc_domain_getinfolist (public domctl ABI:
 * dying bit 0, shutdown bit 2, paused bit 3, shutdown code in bits 16-23;
 * xsd_xen_compat.c checks these against the Xen headers it is built with).
 */
static enum xsd_dom_state from_flags(uint32_t flags)
{
	struct xsd_xc_dominfo i;

	xsd_xc_decode_flags(flags, &i);
	return xsd_dom_state_from_info(i.dying, i.shutdown, i.crashed,
				       i.shutdown_reason, i.paused);
}

static void test_xc_flags(void)
{
	struct xsd_xc_dominfo i;

	xsd_xc_decode_flags(1u << 2 | 3u << 16, &i);
	T_ASSERT(i.crashed && !i.shutdown && i.shutdown_reason == 3,
		 "crash decoded as crashed=%d shutdown=%d reason=%u",
		 i.crashed, i.shutdown, i.shutdown_reason);
	xsd_xc_decode_flags(1u << 2 | 2u << 16 | 1u << 3, &i);
	T_ASSERT(i.shutdown && !i.crashed && i.paused && !i.dying &&
		 i.shutdown_reason == 2, "paused suspend decoded wrong");
	/* Reason bits without the shutdown flag are not a shutdown. */
	xsd_xc_decode_flags(3u << 16, &i);
	T_ASSERT(!i.shutdown && !i.crashed, "reason without shutdown flag");
	T_ASSERT(from_flags(1u << 2 | 2u << 16) == XSD_DOM_SUSPENDED,
		 "suspend");
	T_ASSERT(from_flags(1u << 2 | 3u << 16) == XSD_DOM_SHUTDOWN, "crash");
	T_ASSERT(from_flags(1u << 2 | 0u << 16) == XSD_DOM_SHUTDOWN,
		 "poweroff");
	T_ASSERT(from_flags(1u << 0) == XSD_DOM_SHUTDOWN, "dying");
	T_ASSERT(from_flags(1u << 3) == XSD_DOM_PAUSED, "paused");
	/* hvm_guest, blocked, running, hap: still running. */
	T_ASSERT(from_flags(1u << 1 | 1u << 4 | 1u << 5 | 1u << 8) ==
		 XSD_DOM_RUNNING, "running");
}

/* xsd_log's line for @level with stderr on a file, with and without
 * $JOURNAL_STREAM naming that file. */
static void log_line(const char *level, bool journal, char *out, size_t size)
{
	char *p = t_path("log.txt");
	int fd, saved;
	struct stat st;
	char js[64];
	ssize_t n;

	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd >= 0 && !fstat(fd, &st), "log file");
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", js, 1);
	else
		unsetenv("JOURNAL_STREAM");
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	xsd_log(level, "VDI %s: %d", "v1", 7);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unsetenv("JOURNAL_STREAM");
}

static void test_log(void)
{
	char l[256];

	log_line("ALERT", false, l, sizeof(l));
	T_ASSERT(!strcmp(l, "tapdisk-activated: ALERT: VDI v1: 7\n"),
		 "plain line '%s'", l);
	log_line("ALERT", true, l, sizeof(l));
	T_ASSERT(!strcmp(l, "<1>ALERT: VDI v1: 7\n"), "journal ALERT '%s'", l);
	log_line("alert", true, l, sizeof(l));
	T_ASSERT(!strncmp(l, "<1>alert: ", 10), "watchdog alert '%s'", l);
	log_line("error", true, l, sizeof(l));
	T_ASSERT(!strncmp(l, "<3>error: ", 10), "error '%s'", l);
	log_line("warning", true, l, sizeof(l));
	T_ASSERT(!strncmp(l, "<4>warning: ", 12), "warning '%s'", l);
	log_line("info", true, l, sizeof(l));
	T_ASSERT(!strncmp(l, "<6>info: ", 9), "info '%s'", l);
}

int main(void)
{
	test_dom_state();
	test_xc_flags();
	test_rate();
	test_config();
	test_jobs();
	test_log();
	return T_EXIT_PASS;
}
