// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The --json writer's strings: file names and VHD fields are bytes. Every
 * output is valid JSON (checked against exact text here, and with a JSON
 * parser in tests/vhd/t_cli.sh): well-formed UTF-8 passes through, control
 * characters are \uXXXX, and a byte that is not UTF-8 is the lone
 * surrogate \udcXX, so different names never print the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "t_helpers.h"

static char *render(const char *value)
{
	static char buf[512];
	struct json j;
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	T_ASSERT(f, "fmemopen");
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "s", value);
	json_object_end(&j);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void expect(const char *value, const char *want)
{
	const char *got = render(value);
	char full[512];

	snprintf(full, sizeof(full), "{\"s\":%s}", want);
	T_ASSERT(!strcmp(got, full), "got %s, want %s", got, full);
}

int main(void)
{
	expect("plain/path.vhd", "\"plain/path.vhd\"");
	expect("q\"b\\n\nt\t", "\"q\\\"b\\\\n\\nt\\t\"");
	expect("\x01\x1b[31m\x7f", "\"\\u0001\\u001b[31m\\u007f\"");
	/* Well-formed UTF-8: 2, 3 and 4 bytes, as they are. */
	expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe",
	       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe\"");
	/* Latin-1 byte, lone continuation, truncated sequence at the end. */
	expect("caf\xe9", "\"caf\\udce9\"");
	expect("a\x80z", "\"a\\udc80z\"");
	expect("x\xe2\x82", "\"x\\udce2\\udc82\"");
	/* Overlong '/', UTF-16 surrogate, above U+10FFFF, 0xff. */
	expect("\xc0\xaf", "\"\\udcc0\\udcaf\"");
	expect("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");
	expect("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"");
	expect("\xff", "\"\\udcff\"");
	/* Injective: é in UTF-8 and é in Latin-1 print differently. */
	{
		char a[512];

		snprintf(a, sizeof(a), "%s", render("\xc3\xa9"));
		T_ASSERT(strcmp(a, render("\xe9")) != 0, "collision %s", a);
	}
	return 0;
}
