/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Child processes of tapdisk-activated: each handover step runs
 * `tapdisk-activate <command> ... --json` asynchronously so the daemon keeps
 * serving xenstore while a deactivate waits for a backend. Output is
 * collected (bounded; the report is decoded by handover_outcome_decode,
 * handover/handover_wire.h), the exit code is the verdict, and a job that
 * outlives its deadline is killed (the command's own --timeout/--wait is
 * the real bound; the deadline is a safety net above it).
 */
#ifndef TAPDISK_ACTIVATE_XSD_JOB_H
#define TAPDISK_ACTIVATE_XSD_JOB_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define XSD_JOB_OUT_MAX	16384
#define XSD_JOB_ERR_MAX	2048
/* Grace beyond the command's own bound before the daemon kills it (and
 * so the longest a request's answer may take past its wait/timeout). */
#define XSD_JOB_GRACE_MS	60000u

struct xsd_job {
	bool running;
	pid_t pid;
	int pidfd, out_fd, err_fd;
	uint64_t deadline_ms;
	bool timed_out;
	int exit_code;		/* exit status; 128+signal when killed */
	size_t out_len, err_len;
	char out[XSD_JOB_OUT_MAX];
	char err[XSD_JOB_ERR_MAX];	/* tail of stderr */
};

int xsd_job_start(struct xsd_job *j, char *const argv[], uint64_t now_ms,
		  uint64_t timeout_ms, char *err, size_t errlen);
/* Adds the job's descriptors to @pfd (room for 3); returns how many. */
int xsd_job_pollfds(const struct xsd_job *j, struct pollfd *pfd);
/* Reads output, kills on deadline, reaps. True once the job has ended. */
bool xsd_job_step(struct xsd_job *j, uint64_t now_ms);
/* Kills and reaps a running job (daemon shutdown). */
void xsd_job_abort(struct xsd_job *j);
/* Last non-empty stderr line, or "" (points into @buf). */
const char *xsd_job_message(const struct xsd_job *j, char *buf, size_t size);

#endif /* TAPDISK_ACTIVATE_XSD_JOB_H */
