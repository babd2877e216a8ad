/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Minimal streaming JSON writer for --json output: one object per command,
 * strings escaped per RFC 8259 (bytes that are not UTF-8 as \udcXX, see
 * json.c), no allocation.
 */
#ifndef TAPDISK_ACTIVATE_JSON_H
#define TAPDISK_ACTIVATE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool has_member[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *out);
/* @key is NULL at top level and inside arrays. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_u64(struct json *j, const char *key, uint64_t value);
void json_i64(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* Ends the top-level value with a newline and flushes. */
void json_finish(struct json *j);

#endif /* TAPDISK_ACTIVATE_JSON_H */
