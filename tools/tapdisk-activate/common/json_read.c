// SPDX-License-Identifier: GPL-2.0 OR MIT
/* JSON reader (see json.h): RFC 8259 grammar, no allocation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

struct parser {
	struct json_doc *d;
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos);
	return -1;
}

static void skip_blanks(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	       p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	       p->s[p->pos] == '\r'))
		p->pos++;
}

static int new_tok(struct parser *p, enum json_type type, unsigned int *t)
{
	if (p->d->n >= p->d->max)
		return fail(p, "more than %u values", p->d->max);
	*t = p->d->n++;
	p->d->tok[*t] = (struct json_tok){ .type = type, .start = p->pos };
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int parse_string(struct parser *p)
{
	unsigned int t;

	if (new_tok(p, JSON_STRING, &t))
		return -1;
	p->pos++;			/* the opening quote */
	p->d->tok[t].start = p->pos;
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = (unsigned char)p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c == '\\') {
			char e = p->pos + 1 < p->len ? p->s[p->pos + 1] : 0;

			if (e == 'u') {
				for (size_t i = 2; i < 6; i++)
					if (p->pos + i >= p->len ||
					    !is_hex(p->s[p->pos + i]))
						return fail(p, "bad \\u escape");
				p->pos += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || !e)
				return fail(p, "bad escape");
			p->pos += 2;
			continue;
		}
		p->pos++;
	}
	p->d->tok[t].end = p->pos++;
	p->d->tok[t].next = p->d->n;
	return 0;
}

static size_t digits(struct parser *p)
{
	size_t n = 0;

	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		p->pos++;
		n++;
	}
	return n;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(struct parser *p)
{
	unsigned int t;

	if (new_tok(p, JSON_NUMBER, &t))
		return -1;
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0')
		p->pos++;
	else if (!digits(p))
		return fail(p, "bad number");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return fail(p, "bad fraction");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' ||
					p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return fail(p, "bad exponent");
	}
	p->d->tok[t].end = p->pos;
	p->d->tok[t].next = p->d->n;
	return 0;
}

static int parse_word(struct parser *p, const char *w, enum json_type type)
{
	size_t n = strlen(w);
	unsigned int t;

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n))
		return fail(p, "unexpected character");
	if (new_tok(p, type, &t))
		return -1;
	p->pos += n;
	p->d->tok[t].end = p->pos;
	p->d->tok[t].next = p->d->n;
	return 0;
}

static int parse_value(struct parser *p, int depth);

/* An object or array: members "key": value, or values, comma separated. */
static int parse_container(struct parser *p, int depth, bool object)
{
	char close = object ? '}' : ']';
	unsigned int t;

	if (depth >= JSON_MAX_DEPTH)
		return fail(p, "nested deeper than %d", JSON_MAX_DEPTH);
	if (new_tok(p, object ? JSON_OBJECT : JSON_ARRAY, &t))
		return -1;
	p->pos++;
	skip_blanks(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
	} else {
		for (;;) {
			skip_blanks(p);
			if (object) {
				if (p->pos >= p->len || p->s[p->pos] != '"')
					return fail(p, "expected a key");
				if (parse_string(p))
					return -1;
				skip_blanks(p);
				if (p->pos >= p->len || p->s[p->pos] != ':')
					return fail(p, "expected ':'");
				p->pos++;
			}
			if (parse_value(p, depth + 1))
				return -1;
			skip_blanks(p);
			if (p->pos < p->len && p->s[p->pos] == ',') {
				p->pos++;
				continue;
			}
			if (p->pos < p->len && p->s[p->pos] == close) {
				p->pos++;
				break;
			}
			return fail(p, "expected ',' or '%c'", close);
		}
	}
	p->d->tok[t].end = p->pos;
	p->d->tok[t].next = p->d->n;
	return 0;
}

static int parse_value(struct parser *p, int depth)
{
	skip_blanks(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end");
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		return parse_string(p);
	case 't':
		return parse_word(p, "true", JSON_BOOL);
	case 'f':
		return parse_word(p, "false", JSON_BOOL);
	case 'n':
		return parse_word(p, "null", JSON_NULL);
	default:
		if (p->s[p->pos] == '-' ||
		    (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
			return parse_number(p);
		return fail(p, "unexpected character");
	}
}

int json_parse(struct json_doc *d, const char *text, size_t len,
	       struct json_tok *tok, unsigned int max, char *err,
	       size_t errlen)
{
	struct parser p = {
		.d = d, .s = text, .len = len, .err = err, .errlen = errlen,
	};

	*d = (struct json_doc){ .text = text, .tok = tok, .max = max };
	if (parse_value(&p, 0))
		return -1;
	skip_blanks(&p);
	if (p.pos != len)
		return fail(&p, "text after the value");
	return 0;
}

/* Appends code point @c as UTF-8; false when it does not fit. */
static bool put_utf8(char *out, size_t size, size_t *n, unsigned long c)
{
	unsigned char b[4];
	size_t k;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		k = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*n + k >= size)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

static unsigned long hex4(const char *s)
{
	unsigned long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v = v * 16 + (unsigned long)(c <= '9' ? c - '0' :
					      (c | 0x20) - 'a' + 10);
	}
	return v;
}

int json_get_string(const struct json_doc *d, unsigned int t, char *out,
		    size_t size)
{
	const struct json_tok *k;
	const char *s;
	size_t n = 0;

	if (!size)
		return -1;
	out[0] = '\0';
	if (t >= d->n || d->tok[t].type != JSON_STRING)
		return -1;
	k = &d->tok[t];
	s = d->text;
	for (size_t i = k->start; i < k->end; ) {
		unsigned long c;

		if (s[i] != '\\') {
			if (n + 1 >= size)
				goto full;
			out[n++] = s[i++];
			continue;
		}
		switch (s[i + 1]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': c = 0; break;
		default: c = (unsigned char)s[i + 1]; break;
		}
		if (s[i + 1] != 'u') {
			i += 2;
		} else {
			c = hex4(s + i + 2);
			i += 6;
			if (c >= 0xd800 && c <= 0xdbff && i + 6 <= k->end &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    hex4(s + i + 2) >= 0xdc00 &&
			    hex4(s + i + 2) <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (hex4(s + i + 2) - 0xdc00);
				i += 6;
			} else if (c >= 0xdc80 && c <= 0xdcff) {
				/* a byte the writer could not print as UTF-8 */
				if (n + 1 >= size)
					goto full;
				out[n++] = (char)(c & 0xff);
				continue;
			} else if (c >= 0xd800 && c <= 0xdfff) {
				c = 0xfffd;
			}
		}
		if (!put_utf8(out, size, &n, c))
			goto full;
	}
	out[n] = '\0';
	return 0;
full:
	out[n] = '\0';
	return -1;
}

int json_find(const struct json_doc *d, unsigned int obj, const char *key)
{
	size_t kl = strlen(key);
	int found = -1;
	char name[256];

	if (obj >= d->n || d->tok[obj].type != JSON_OBJECT)
		return -1;
	for (unsigned int i = obj + 1; i < d->tok[obj].next;
	     i = d->tok[i + 1].next) {
		/* Keys are compared decoded: "tok\u0065n" is "token". */
		if (kl < sizeof(name) && !json_get_string(d, i, name,
							  sizeof(name)) &&
		    !strcmp(name, key)) {
			if (found >= 0)
				return -2;
			found = (int)i + 1;
		}
	}
	return found;
}

int json_get_u64(const struct json_doc *d, unsigned int t, uint64_t *out)
{
	uint64_t v = 0;

	if (t >= d->n || d->tok[t].type != JSON_NUMBER)
		return -1;
	for (size_t i = d->tok[t].start; i < d->tok[t].end; i++) {
		unsigned int c = (unsigned char)d->text[i] - '0';

		if (c > 9 || v > (UINT64_MAX - c) / 10)
			return -1;	/* sign, fraction, exponent, overflow */
		v = v * 10 + c;
	}
	*out = v;
	return 0;
}

int json_get_i64(const struct json_doc *d, unsigned int t, int64_t *out)
{
	struct json_tok k;
	struct json_doc sub;
	bool neg;
	uint64_t v;

	if (t >= d->n || d->tok[t].type != JSON_NUMBER)
		return -1;
	k = d->tok[t];
	neg = d->text[k.start] == '-';
	k.start += neg;
	sub = (struct json_doc){ .text = d->text, .tok = &k, .n = 1, .max = 1 };
	if (json_get_u64(&sub, 0, &v) ||
	    v > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int json_get_bool(const struct json_doc *d, unsigned int t, bool *out)
{
	if (t >= d->n || d->tok[t].type != JSON_BOOL)
		return -1;
	*out = d->text[d->tok[t].start] == 't';
	return 0;
}
