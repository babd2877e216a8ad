// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Shared test helpers (see t_helpers.h). */
#include "t_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T_MAX_LOOPS 8

static char tmpdir[4096];
static char loops[T_MAX_LOOPS][64];
static int nr_loops;
static char **paths;
static size_t nr_paths;

static void t_cleanup(void)
{
	char cmd[4200];

	for (int i = 0; i < nr_loops; i++) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s 2>/dev/null", loops[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not detach %s\n",
				loops[i]);
	}
	for (size_t i = 0; i < nr_paths; i++)
		free(paths[i]);
	free(paths);
	paths = NULL;
	nr_paths = 0;
	if (tmpdir[0] && !getenv("XH_KEEP_TMP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not remove %s\n",
				tmpdir);
	}
}

const char *t_tmpdir(void)
{
	const char *base;

	if (tmpdir[0])
		return tmpdir;
	base = getenv("XH_TEST_TMPDIR");
	if (!base || !*base)
		base = "/var/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/xh-test-XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpdir, strerror(errno));
		exit(T_EXIT_FAIL);
	}
	atexit(t_cleanup);
	return tmpdir;
}

char *t_path(const char *name)
{
	size_t len = strlen(t_tmpdir()) + strlen(name) + 2;
	char **grown = realloc(paths, (nr_paths + 1) * sizeof(*paths));
	char *p = malloc(len);

	T_ASSERT(p && grown, "out of memory");
	paths = grown;
	paths[nr_paths++] = p;	/* freed at exit */
	snprintf(p, len, "%s/%s", tmpdir, name);
	return p;
}

void t_create_file(const char *path, size_t size, int byte)
{
	char buf[65536];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	T_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	memset(buf, byte, sizeof(buf));
	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		T_ASSERT(w == (ssize_t)n, "write %s: %s", path,
			 strerror(errno));
		size -= n;
	}
	T_ASSERT(fsync(fd) == 0, "fsync %s: %s", path, strerror(errno));
	close(fd);
}

int t_system(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

bool t_is_root(void)
{
	return geteuid() == 0;
}

const char *t_loop_attach(const char *file, unsigned int sector_size)
{
	char cmd[4400];
	char dev[64] = "";
	FILE *p;

	if (!t_is_root() || nr_loops == T_MAX_LOOPS)
		return NULL;
	snprintf(cmd, sizeof(cmd),
		 "losetup -f --show --direct-io=on --sector-size %u '%s' 2>/dev/null",
		 sector_size, file);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	if (!fgets(dev, sizeof(dev), p))
		dev[0] = 0;
	if (pclose(p) != 0 || strncmp(dev, "/dev/loop", 9))
		return NULL;
	dev[strcspn(dev, "\n")] = 0;
	snprintf(loops[nr_loops], sizeof(loops[0]), "%s", dev);
	t_tmpdir();	/* registers the cleanup */
	return loops[nr_loops++];
}
