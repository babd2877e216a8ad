// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Asynchronous tapdisk-activate children (see xsd_job.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xsd_job.h"

static int pidfd_open_compat(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int xsd_job_start(struct xsd_job *j, char *const argv[], uint64_t now_ms,
		  uint64_t timeout_ms, char *err, size_t errlen)
{
	int out[2], errp[2];
	pid_t pid;

	memset(j, 0, sizeof(*j));
	j->pidfd = j->out_fd = j->err_fd = -1;
	if (pipe2(out, O_CLOEXEC))
		goto fail;
	if (pipe2(errp, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		goto fail;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		/* The child must not inherit the xenstore socket & co. */
		syscall(SYS_close_range, 3, ~0u, 0);
		execv(argv[0], argv);
		dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	j->pid = pid;
	j->out_fd = out[0];
	j->err_fd = errp[0];
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(j->err_fd, F_SETFL, O_NONBLOCK);
	j->pidfd = pidfd_open_compat(pid);
	j->deadline_ms = now_ms + timeout_ms;
	j->running = true;
	return 0;
fail:
	snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
	return -1;
}

int xsd_job_pollfds(const struct xsd_job *j, struct pollfd *pfd)
{
	int n = 0;

	if (!j->running)
		return 0;
	if (j->out_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = j->out_fd, .events = POLLIN };
	if (j->err_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = j->err_fd, .events = POLLIN };
	if (j->pidfd >= 0)
		pfd[n++] = (struct pollfd){ .fd = j->pidfd, .events = POLLIN };
	return n;
}

/* Reads what is there; stdout keeps its head, stderr keeps its tail. */
static void drain_pipe(int *fd, char *buf, size_t size, size_t *len,
		       bool keep_tail)
{
	char tmp[4096];

	while (*fd >= 0) {
		ssize_t r = read(*fd, tmp, sizeof(tmp));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			close_fd(fd);
			return;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (*len + 1 < size) {
				buf[(*len)++] = tmp[i];
			} else if (keep_tail) {
				memmove(buf, buf + 1, size - 2);
				buf[size - 2] = tmp[i];
			}
		}
		buf[*len] = '\0';
	}
}

static bool reap(struct xsd_job *j, int flags)
{
	int status;
	pid_t r;

	do
		r = waitpid(j->pid, &status, flags);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	if (r < 0)
		j->exit_code = 127;
	else if (WIFEXITED(status))
		j->exit_code = WEXITSTATUS(status);
	else
		j->exit_code = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return true;
}

bool xsd_job_step(struct xsd_job *j, uint64_t now_ms)
{
	if (!j->running)
		return true;
	drain_pipe(&j->out_fd, j->out, sizeof(j->out), &j->out_len, false);
	drain_pipe(&j->err_fd, j->err, sizeof(j->err), &j->err_len, true);
	if (!j->timed_out && now_ms >= j->deadline_ms) {
		j->timed_out = true;
		kill(j->pid, SIGKILL);
	}
	if (!reap(j, WNOHANG))
		return false;
	/* Whatever the child wrote before it exited is still in the pipes. */
	drain_pipe(&j->out_fd, j->out, sizeof(j->out), &j->out_len, false);
	drain_pipe(&j->err_fd, j->err, sizeof(j->err), &j->err_len, true);
	close_fd(&j->out_fd);
	close_fd(&j->err_fd);
	close_fd(&j->pidfd);
	j->running = false;
	return true;
}

void xsd_job_abort(struct xsd_job *j)
{
	if (!j->running)
		return;
	kill(j->pid, SIGKILL);
	reap(j, 0);
	close_fd(&j->out_fd);
	close_fd(&j->err_fd);
	close_fd(&j->pidfd);
	j->running = false;
}

const char *xsd_job_message(const struct xsd_job *j, char *buf, size_t size)
{
	size_t end = j->err_len, start;

	while (end > 0 && (j->err[end - 1] == '\n' || j->err[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && j->err[start - 1] != '\n')
		start--;
	snprintf(buf, size, "%.*s", (int)(end - start), j->err + start);
	/* Keep the message one printable line: it goes into xenstore. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';
	return buf;
}
