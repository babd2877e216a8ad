// SPDX-License-Identifier: GPL-2.0 OR MIT
/* handover_state: the durable per-host handover record. */
#include "handover_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_DIR_FALLBACK	"/var/lib/tapdisk-activate"
#define STATE_MAX_BYTES		16384	/* hostile/garbage bound */

int handover_state_default_path(const char *lease_path, const char *vdi,
				uint16_t host_id, char *buf, size_t len)
{
	struct stat st;
	char flat[HANDOVER_STATE_PATH_MAX];
	int n;

	if (lease_path && stat(lease_path, &st) == 0 && S_ISREG(st.st_mode)) {
		n = snprintf(buf, len, "%s.host%u.state", lease_path,
			     (unsigned int)host_id);
	} else {
		/* One file name per VDI path: '/' is '_', and the '_' and '%'
		 * of the path itself are "%5F" and "%25" (else /a/b_c and
		 * /a_b/c would share one record). */
		size_t i, o = 0;

		for (i = 0; vdi[i]; i++) {
			const char *esc = vdi[i] == '_' ? "%5F" :
					  vdi[i] == '%' ? "%25" : NULL;

			if (o + 4 > sizeof(flat))
				return -ENAMETOOLONG;
			if (esc) {
				memcpy(flat + o, esc, 3);
				o += 3;
			} else {
				flat[o++] = vdi[i] == '/' ? '_' : vdi[i];
			}
		}
		flat[o] = '\0';
		n = snprintf(buf, len, STATE_DIR_FALLBACK "/%s.host%u.state",
			     flat, (unsigned int)host_id);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void handover_state_add_step(struct handover_state *st, const char *name,
			     uint64_t us)
{
	struct handover_step *s;

	if (st->nr_steps >= HANDOVER_MAX_STEPS)
		return;
	s = &st->steps[st->nr_steps++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->us = us;
}

static bool is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* One "key=value" line into @st; unknown keys are ignored (newer writer). */
static int parse_line(struct handover_state *st, const char *key,
		      const char *val)
{
	uint64_t v;

	if (!strcmp(key, "vdi")) {
		if (strlen(val) >= sizeof(st->vdi))
			return -EINVAL;
		strcpy(st->vdi, val);
	} else if (!strcmp(key, "host_id")) {
		if (parse_u64(val, &v) || !v || v > 0xffff)
			return -EINVAL;
		st->host_id = (uint16_t)v;
	} else if (!strcmp(key, "last_op")) {
		if (strlen(val) >= sizeof(st->last_op))
			return -EINVAL;
		strcpy(st->last_op, val);
	} else if (!strcmp(key, "result")) {
		if (strlen(val) >= sizeof(st->result))
			return -EINVAL;
		strcpy(st->result, val);
	} else if (!strcmp(key, "time")) {
		if (parse_u64(val, &v))
			return -EINVAL;
		st->time = (int64_t)v;
	} else if (!strcmp(key, "released_version")) {
		if (parse_u64(val, &st->released_version))
			return -EINVAL;
		st->has_released_version = true;
	} else if (!strcmp(key, "acquired_version")) {
		if (parse_u64(val, &st->acquired_version))
			return -EINVAL;
		st->has_acquired_version = true;
	} else if (!strcmp(key, "fingerprint")) {
		if (*val && !is_hex64(val))
			return -EINVAL;
		strcpy(st->fingerprint, val);
	} else if (!strcmp(key, "backend")) {
		if (strlen(val) >= sizeof(st->backend))
			return -EINVAL;
		strcpy(st->backend, val);
	} else if (!strcmp(key, "total_us")) {
		if (parse_u64(val, &st->total_us))
			return -EINVAL;
	} else if (!strncmp(key, "step.", 5)) {
		if (parse_u64(val, &v) || strlen(key + 5) >= 24)
			return -EINVAL;
		handover_state_add_step(st, key + 5, v);
	}
	return 0;
}

int handover_state_load(const char *path, struct handover_state *st,
			char *err, size_t errlen)
{
	char *buf, *line, *save;
	ssize_t n;
	int fd, ret = 0, lineno = 0;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot read handover record %s: %s",
			 path, strerror(errno));
		return ret;
	}
	buf = malloc(STATE_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, STATE_MAX_BYTES + 1);
	close(fd);
	if (n < 0 || n > STATE_MAX_BYTES) {
		ret = n < 0 ? -errno : -EINVAL;
		snprintf(err, errlen, "handover record %s: %s", path,
			 n < 0 ? strerror(errno) : "too large");
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		lineno++;
		if (eq)
			*eq = '\0';
		if (!eq || parse_line(st, line, eq + 1)) {
			snprintf(err, errlen,
				 "handover record %s is damaged at line %d",
				 path, lineno);
			ret = -EINVAL;
			break;
		}
	}
	free(buf);
	if (!ret && (!st->host_id || !st->last_op[0])) {
		snprintf(err, errlen, "handover record %s is incomplete", path);
		ret = -EINVAL;
	}
	return ret;
}

static int fsync_dir(const char *dir)
{
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static bool has_newline(const char *s)
{
	return strchr(s, '\n') != NULL;
}

/* The whole record as text, in one malloc'ed buffer; NULL on ENOMEM. */
static char *format_record(const struct handover_state *st, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	fprintf(f, "vdi=%s\nhost_id=%u\nlast_op=%s\nresult=%s\ntime=%" PRId64
		"\n", st->vdi, (unsigned int)st->host_id, st->last_op,
		st->result, st->time);
	if (st->has_released_version)
		fprintf(f, "released_version=%" PRIu64 "\n",
			st->released_version);
	if (st->has_acquired_version)
		fprintf(f, "acquired_version=%" PRIu64 "\n",
			st->acquired_version);
	fprintf(f, "fingerprint=%s\nbackend=%s\ntotal_us=%" PRIu64 "\n",
		st->fingerprint, st->backend, st->total_us);
	for (unsigned int i = 0; i < st->nr_steps; i++)
		fprintf(f, "step.%s=%" PRIu64 "\n", st->steps[i].name,
			st->steps[i].us);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A temporary of our own beside @path (same directory, so the rename is
 * atomic): "<dir>/.<name>.XXXXXX". A fixed "<path>.tmp" would be shared by
 * two commands saving the same record at once, and one could rename the
 * other's half-written (or just truncated) file into place.
 */
static int open_temp(const char *path, char *tmp, size_t len, char *dir,
		     size_t dirlen)
{
	char copy[HANDOVER_STATE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int n, fd;

	if (strlen(path) >= sizeof(copy))
		return -ENAMETOOLONG;
	strcpy(copy, path);
	n = snprintf(dir, dirlen, "%s", dirname(copy));
	if (n < 0 || (size_t)n >= dirlen)
		return -ENAMETOOLONG;
	n = snprintf(tmp, len, "%s/.%s.XXXXXX", dir, slash ? slash + 1 : path);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* First record in the fallback directory. */
		mkdir(dir, 0755);
		n = snprintf(tmp, len, "%s/.%s.XXXXXX", dir,
			     slash ? slash + 1 : path);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	/* mkostemp makes 0600; records are readable like before. */
	if (fchmod(fd, 0644) < 0) {
		int ret = -errno;

		close(fd);
		unlink(tmp);
		return ret;
	}
	return fd;
}

int handover_state_save(const char *path, const struct handover_state *st,
			bool durable, char *err, size_t errlen)
{
	char tmp[HANDOVER_STATE_PATH_MAX + 16], dir[HANDOVER_STATE_PATH_MAX];
	char *text;
	size_t len;
	int fd, ret;

	if (has_newline(st->vdi) || has_newline(st->backend)) {
		snprintf(err, errlen, "newline in VDI path or backend spec");
		return -EINVAL;
	}
	text = format_record(st, &len);
	if (!text) {
		snprintf(err, errlen, "cannot save handover record %s: %s",
			 path, strerror(ENOMEM));
		return -ENOMEM;
	}
	fd = open_temp(path, tmp, sizeof(tmp), dir, sizeof(dir));
	if (fd < 0) {
		snprintf(err, errlen, "cannot write handover record %s: %s",
			 path, strerror(-fd));
		free(text);
		return fd;
	}
	/*
	 * The data is synced before the rename even when not @durable: a
	 * rename that reaches the disk before the data would publish an
	 * empty or short record after a crash.
	 */
	ret = write_all(fd, text, len);
	free(text);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	else if (durable)
		ret = fsync_dir(dir);
	if (ret)
		snprintf(err, errlen, "cannot save handover record %s: %s",
			 path, strerror(-ret));
	return ret;
}
