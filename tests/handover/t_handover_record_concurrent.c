// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Several commands on one host may save the same handover record at the
 * same time (a retried deactivate racing a status-triggered rewrite, two
 * operators). Each save must publish one whole record: WRITERS processes
 * replace one record ROUNDS times each, with records whose fields all
 * encode (writer, round), while a reader loads it in a loop. Every save
 * must succeed, every load must give a complete record that is exactly
 * one writer's (no mix of two, no empty or truncated file), and no
 * temporary file may be left behind, also when the final rename fails.
 */
#include <dirent.h>

#include "handover/handover_state.h"
#include "handover_test.h"

#define WRITERS	6
#define ROUNDS	150
#define PAD	300	/* long enough that a torn write shows */

static void fill(struct handover_state *st, unsigned int w, unsigned int r)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->vdi, sizeof(st->vdi), "/srv/vdi/writer-%u.vhd", w);
	st->host_id = 3;
	snprintf(st->last_op, sizeof(st->last_op), "deactivate");
	snprintf(st->result, sizeof(st->result), "ok");
	st->time = 1700000000 + r;
	st->has_released_version = true;
	st->released_version = (uint64_t)w * 100000 + r;
	memset(st->fingerprint, "0123456789abcdef"[w % 16], 64);
	memset(st->backend, 'a' + (int)w, PAD);
	st->total_us = (uint64_t)w * 1000000 + r;
	handover_state_add_step(st, "pause", w);
	handover_state_add_step(st, "release", r);
}

/* NULL when @st is one writer's whole record, else what is wrong. */
static const char *torn(const struct handover_state *st)
{
	struct handover_state want;
	unsigned int w, r;

	if (!st->has_released_version)
		return "no released_version";
	w = (unsigned int)(st->released_version / 100000);
	r = (unsigned int)(st->released_version % 100000);
	if (w >= WRITERS || r >= ROUNDS)
		return "version out of range";
	fill(&want, w, r);
	if (strcmp(st->vdi, want.vdi) || st->host_id != want.host_id ||
	    strcmp(st->last_op, want.last_op) ||
	    strcmp(st->result, want.result) || st->time != want.time ||
	    strcmp(st->fingerprint, want.fingerprint) ||
	    strcmp(st->backend, want.backend) ||
	    st->total_us != want.total_us || st->nr_steps != 2 ||
	    st->steps[0].us != w || st->steps[1].us != r)
		return "fields of different records";
	return NULL;
}

static void writer(const char *rec, unsigned int w)
{
	struct handover_state st;
	char err[512];

	for (unsigned int r = 0; r < ROUNDS; r++) {
		fill(&st, w, r);
		/* Alternate: both kinds of save must publish whole records. */
		if (handover_state_save(rec, &st, r & 1, err, sizeof(err))) {
			fprintf(stderr, "writer %u round %u: %s\n", w, r, err);
			_exit(1);
		}
	}
	_exit(0);
}

/* Entries of @dir other than @keep ("" keeps none). */
static int strays(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	T_ASSERT(d, "opendir %s", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, keep))
			continue;
		fprintf(stderr, "left behind: %s/%s\n", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *dir = t_path("records"), *rec = t_path("records/r.state");
	struct handover_state st;
	unsigned long loads = 0, whole = 0;
	pid_t pids[WRITERS];
	char err[512];
	int running = WRITERS, bad = 0, status;

	T_ASSERT(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	for (unsigned int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		T_ASSERT(pids[w] >= 0, "fork");
		if (!pids[w]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			writer(rec, w);
		}
	}
	while (running) {
		int ret = handover_state_load(rec, &st, err, sizeof(err));
		const char *why;

		loads++;
		if (ret == -ENOENT && !whole) {
			/* nothing published yet */
		} else if (ret) {
			fprintf(stderr, "load %lu: %d %s\n", loads, ret, err);
			bad++;
		} else if ((why = torn(&st))) {
			fprintf(stderr, "load %lu: torn record: %s\n", loads,
				why);
			bad++;
		} else {
			whole++;
		}
		if (bad > 5)
			break;
		while (running) {
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0)
				break;
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				bad++;
		}
	}
	for (unsigned int w = 0; w < WRITERS && running; w++)
		kill(pids[w], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	fprintf(stderr, "%lu loads, %lu whole records\n", loads, whole);
	T_ASSERT(!bad, "%d failed saves or torn/invalid loads", bad);
	T_ASSERT(whole > 0, "the reader never saw a record");
	T_ASSERT(handover_state_load(rec, &st, err, sizeof(err)) == 0 &&
		 !torn(&st) && st.released_version % 100000 == ROUNDS - 1,
		 "final record is some writer's last one");
	T_ASSERT(strays(dir, "r.state") == 0, "temporary files left behind");

	/* A save whose rename fails (the target is a directory) cleans up. */
	T_ASSERT(unlink(rec) == 0 && mkdir(rec, 0755) == 0, "record as dir");
	fill(&st, 0, 0);
	T_ASSERT(handover_state_save(rec, &st, true, err, sizeof(err)) < 0,
		 "rename over a directory must fail");
	T_ASSERT(strstr(err, "r.state"), "error names the record: %s", err);
	T_ASSERT(strays(dir, "r.state") == 0, "temporary left after failure");
	rmdir(rec);
	return T_EXIT_PASS;
}
