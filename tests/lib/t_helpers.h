/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Helpers shared by the test programs. One program per feature; exit
 * status is the verdict, as automake and liburing's tests use it.
 */
#ifndef XH_T_HELPERS_H
#define XH_T_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

enum t_result {
	T_EXIT_PASS = 0,
	T_EXIT_FAIL = 1,
	T_EXIT_SKIP = 77,
};

/* Fails the test (exit 1) with file:line and a message when @cond is false. */
#define T_ASSERT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: assertion '%s' failed: ",\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			exit(T_EXIT_FAIL);				\
		}							\
	} while (0)

/* Skips the test (exit 77) with a reason. */
#define T_SKIP(...)							\
	do {								\
		fprintf(stderr, "skip: ");				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		exit(T_EXIT_SKIP);					\
	} while (0)

/*
 * Creates a fresh directory for the test under $XH_TEST_TMPDIR (or /var/tmp,
 * which is disk-backed: tmpfs does not enforce O_DIRECT alignment) and
 * removes it at exit. Returns its path.
 */
const char *t_tmpdir(void);

/* Joins t_tmpdir() and @name; the string lives until exit. */
char *t_path(const char *name);

/* Creates @path of @size bytes filled with @byte. Fails the test on error. */
void t_create_file(const char *path, size_t size, int byte);

/* Runs a shell command; returns its exit status (or -1). */
int t_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when running as root (loop devices, cache drop). */
bool t_is_root(void);

/*
 * Attaches @file to a free loop device with the given logical sector size
 * (512 or 4096) and direct I/O on. Returns the device path (static-lifetime
 * string), or NULL when loop devices are unavailable: callers skip then.
 * The device is detached at exit.
 */
const char *t_loop_attach(const char *file, unsigned int sector_size);

#endif /* XH_T_HELPERS_H */
