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

enum json_type {
	JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_OBJECT, JSON_ARRAY,
};

/* One value (or object key), in document order. */
struct json_tok {
	enum json_type type;
	size_t start, end;	/* its text; a string's without the quotes */
	unsigned int next;	/* index of the token after its whole value */
};

struct json_doc {
	const char *text;
	struct json_tok *tok;	/* tok[0] is the top-level value */
	unsigned int n, max;
};

/*
 * Parses @len bytes of @text (one value, blanks around it) into @tok (room
 * for @max tokens; every value and every key takes one). 0, or -1 with
 * the reason and its byte offset in @err (also when @max is too small or
 * nesting is deeper than JSON_MAX_DEPTH).
 */
int json_parse(struct json_doc *d, const char *text, size_t len,
	       struct json_tok *tok, unsigned int max, char *err,
	       size_t errlen);
/*
 * Token of the value of member @key of the object @obj: its index, -1
 * when absent or @obj is no object, -2 when @key occurs twice.
 */
int json_find(const struct json_doc *d, unsigned int obj, const char *key);
/* Typed values of token @t; -1 on another type or out of range. */
int json_get_u64(const struct json_doc *d, unsigned int t, uint64_t *out);
int json_get_i64(const struct json_doc *d, unsigned int t, int64_t *out);
int json_get_bool(const struct json_doc *d, unsigned int t, bool *out);
/*
 * The string of token @t with its escapes decoded (\u as UTF-8; a lone
 * surrogate \udcXX back to the byte XX the writer escaped, any other as
 * U+FFFD). -1 on another type or when it does not fit in @size with its
 * NUL (@out then holds what fitted).
 */
int json_get_string(const struct json_doc *d, unsigned int t, char *out,
		    size_t size);

#endif /* TAPDISK_ACTIVATE_JSON_H */
