/* Unit tests for fcgi/valid.c: JSON bodies checked against a field table.
 * Every refusal must be a 400 {"error":{"code":"validation_failed",
 * "field":...}} naming the field (API.md, Conventions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "http.h"
#include "valid.h"

static int
setup(void **state)
{
	arena_init(&A, 0);
	return 0;
}

static void
req_init(struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->a = &A;
	buf_init(&r->resp.body, &A, 0);
	r->lang = "en";
}

static const char *const units[] = { "g", "ml", "pcs", NULL };

/* A table shaped like the API's bodies. */
static const struct vfield F[] = {
	{ "name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "qty", V_INT, 1, 1, 1000, NULL, 0 },
	{ "active", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "unit", V_ENUM, 0, 0, 0, units, 0 },
	{ "category_id", V_UUID, 0, 0, 0, NULL, 0 },
	{ "email", V_EMAIL, 0, 0, 0, NULL, 0 },
	{ "tags", V_ARRAY, 0, 0, 3, NULL, 0 },
	{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
	{ "meta", V_OBJECT, 0, 0, 0, NULL, 0 },
	{ "delta", V_INT, 0, -500, 500, NULL, 1 },
};

static json_t *
load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);

	if (j == NULL)
		fail_msg("test JSON %s: %s", text, je.text);
	return j;
}

/* Runs valid_check and valid_object; want_field NULL means "must pass". */
static void
run(json_t *obj, const struct vfield *f, size_t n, const char *prefix, const char *want_field,
    const char *what)
{
	struct req r;
	int rc;

	/* valid_check (forms) names the same field without replying */
	{
		const char *cf = valid_check(&A, obj, f, n, prefix);

		if ((cf == NULL) != (want_field == NULL) || (cf && strcmp(cf, want_field) != 0))
			fail_msg("%s: valid_check gave %s, want %s", what, cf ? cf : "NULL",
			    want_field ? want_field : "NULL");
	}
	req_init(&r);
	rc = valid_object(&r, obj, f, n, prefix);
	if (want_field == NULL) {
		if (rc != 0)
			fail_msg("%s: refused: %s", what, r.resp.body.p);
		assert_int_equal(r.resp.body.len, 0);
		return;
	}
	if (rc != -1)
		fail_msg("%s: accepted, want a refusal naming %s", what, want_field);
	assert_int_equal(r.resp.status, 400);
	{
		json_error_t je;
		json_t *b = json_loadb(r.resp.body.p, r.resp.body.len, JSON_REJECT_DUPLICATES, &je), *e;
		const char *code, *field;

		if (b == NULL)
			fail_msg("%s: reply is not JSON: %s", what, r.resp.body.p);
		e = json_object_get(b, "error");
		code = json_string_value(json_object_get(e, "code"));
		field = json_string_value(json_object_get(e, "field"));
		if (code == NULL || strcmp(code, "validation_failed") != 0 ||
		    field == NULL || strcmp(field, want_field) != 0 ||
		    !json_is_string(json_object_get(e, "message"))) {
			char copy[512];

			snprintf(copy, sizeof(copy), "%s", r.resp.body.p);
			json_decref(b);
			fail_msg("%s: reply %s, want validation_failed naming \"%s\"", what, copy, want_field);
		}
		json_decref(b);
	}
}

static void
check_text(const char *text, const char *want_field)
{
	json_t *j = load(text);

	run(j, F, N(F), NULL, want_field, text);
	json_decref(j);
}

#define BASE "\"name\":\"Latte\",\"qty\":2"

static void
test_table(void **state)
{
	static const struct {
		const char *json;
		const char *field;	/* NULL: valid */
	} cases[] = {
		/* valid */
		{ "{" BASE "}", NULL },
		{ "{" BASE ",\"active\":true,\"unit\":\"ml\",\"category_id\":\"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a10\","
		  "\"email\":\"a@b.co\",\"tags\":[1,\"x\",null],\"note\":\"n\",\"meta\":{\"k\":[]},\"delta\":-500}", NULL },
		{ "{\"qty\":1000,\"name\":\"x\"}", NULL },	/* order does not matter */
		{ "{" BASE ",\"active\":false}", NULL },
		{ "{" BASE ",\"tags\":[]}", NULL },
		{ "{" BASE ",\"meta\":{}}", NULL },
		{ "{" BASE ",\"delta\":500}", NULL },
		{ "{" BASE ",\"delta\":0}", NULL },
		/* unknown fields, checked before anything else */
		{ "{" BASE ",\"bogus\":1}", "bogus" },
		{ "{\"bogus\":1}", "bogus" },
		{ "{" BASE ",\"Name\":\"x\"}", "Name" },
		{ "{" BASE ",\"name \":\"x\"}", "name " },
		{ "{" BASE ",\"\":1}", "" },
		{ "{" BASE ",\"</script>\":1}", "</script>" },
		/* required */
		{ "{}", "name" },
		{ "{\"qty\":2}", "name" },
		{ "{\"name\":\"x\"}", "qty" },
		{ "{\"name\":null,\"qty\":2}", "name" },
		/* types */
		{ "{\"name\":5,\"qty\":2}", "name" },
		{ "{\"name\":[\"x\"],\"qty\":2}", "name" },
		{ "{\"name\":true,\"qty\":2}", "name" },
		{ "{\"name\":\"x\",\"qty\":\"2\"}", "qty" },
		{ "{\"name\":\"x\",\"qty\":true}", "qty" },
		{ "{\"name\":\"x\",\"qty\":2.0}", "qty" },
		{ "{\"name\":\"x\",\"qty\":2.5}", "qty" },
		{ "{\"name\":\"x\",\"qty\":2e0}", "qty" },
		{ "{\"name\":\"x\",\"qty\":null}", "qty" },
		{ "{\"name\":\"x\",\"qty\":{}}", "qty" },
		{ "{" BASE ",\"active\":1}", "active" },
		{ "{" BASE ",\"active\":\"true\"}", "active" },
		{ "{" BASE ",\"active\":null}", "active" },	/* not nullable */
		{ "{" BASE ",\"tags\":{}}", "tags" },
		{ "{" BASE ",\"tags\":\"a,b\"}", "tags" },
		{ "{" BASE ",\"meta\":[]}", "meta" },
		{ "{" BASE ",\"meta\":\"{}\"}", "meta" },
		{ "{" BASE ",\"category_id\":5}", "category_id" },
		{ "{" BASE ",\"email\":5}", "email" },
		{ "{" BASE ",\"unit\":1}", "unit" },
		/* int bounds */
		{ "{\"name\":\"x\",\"qty\":0}", "qty" },
		{ "{\"name\":\"x\",\"qty\":-1}", "qty" },
		{ "{\"name\":\"x\",\"qty\":1001}", "qty" },
		{ "{\"name\":\"x\",\"qty\":9223372036854775807}", "qty" },
		{ "{\"name\":\"x\",\"qty\":-9223372036854775808}", "qty" },
		{ "{" BASE ",\"delta\":-501}", "delta" },
		{ "{" BASE ",\"delta\":501}", "delta" },
		/* string length */
		{ "{\"name\":\"\",\"qty\":2}", "name" },
		/* enum */
		{ "{" BASE ",\"unit\":\"g\"}", NULL },
		{ "{" BASE ",\"unit\":\"pcs\"}", NULL },
		{ "{" BASE ",\"unit\":\"kg\"}", "unit" },
		{ "{" BASE ",\"unit\":\"G\"}", "unit" },
		{ "{" BASE ",\"unit\":\"g \"}", "unit" },
		{ "{" BASE ",\"unit\":\"\"}", "unit" },
		{ "{" BASE ",\"unit\":null}", "unit" },
		/* UUID */
		{ "{" BASE ",\"category_id\":\"0B7E6A52-2C7E-4C1A-9A3F-5D2B8F4E6A10\"}", NULL },
		{ "{" BASE ",\"category_id\":\"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a1\"}", "category_id" },
		{ "{" BASE ",\"category_id\":\"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a100\"}", "category_id" },
		{ "{" BASE ",\"category_id\":\"0b7e6a522c7e4c1a9a3f5d2b8f4e6a10\"}", "category_id" },
		{ "{" BASE ",\"category_id\":\"1 OR 1=1\"}", "category_id" },
		{ "{" BASE ",\"category_id\":\"\"}", "category_id" },
		/* arrays */
		{ "{" BASE ",\"tags\":[1,2,3]}", NULL },
		{ "{" BASE ",\"tags\":[1,2,3,4]}", "tags" },
		/* nullable */
		{ "{" BASE ",\"note\":null}", NULL },
		{ "{" BASE ",\"delta\":null}", NULL },
		{ "{" BASE ",\"note\":\"\"}", NULL },
		{ "{" BASE ",\"note\":5}", "note" },
		/* the first problem in table order after unknown fields */
		{ "{\"qty\":0,\"name\":5}", "name" },
		{ "{\"qty\":0,\"name\":5,\"zzz\":1}", "zzz" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		check_text(cases[i].json, cases[i].field);
		arena_reset(&A);
	}
}

static void
test_email(void **state)
{
	static const struct {
		const char *email;
		int ok;
	} cases[] = {
		{ "a@b.co", 1 },
		{ "owner@example.com", 1 },
		{ "first.last+tag@sub.example.az", 1 },
		{ "x_y-z@a-b.c.d", 1 },
		{ "a", 0 },
		{ "", 0 },
		{ "a@b", 0 },
		{ "@b.co", 0 },
		{ "a@", 0 },
		{ "a@b.", 0 },
		{ "a@.co", 0 },
		{ "a@@b.co", 0 },
		{ "a@b@c.co", 0 },
		{ "a b@c.co", 0 },
		{ "a@b .co", 0 },
		{ " a@b.co", 0 },
		{ "a@b.co ", 0 },
		{ "a\t@b.co", 0 },
		{ "a\n@b.co", 0 },
		{ "<a>@b.co", 0 },
		{ "\"a\"@b.co", 0 },
		{ "a,b@c.co", 0 },
		{ "a\\b@c.co", 0 },
		{ "a@b.co>", 0 },
	};
	char long_ok[201], long_bad[202];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		if (valid_email(cases[i].email) != cases[i].ok)
			fail_msg("valid_email(\"%s\"): want %d", cases[i].email, cases[i].ok);
		/* and through a field table */
		{
			json_t *j = json_pack("{s:s,s:i,s:s}", "name", "x", "qty", 1, "email", cases[i].email);

			run(j, F, N(F), NULL, cases[i].ok ? NULL : "email", cases[i].email);
			json_decref(j);
			arena_reset(&A);
		}
	}
	/* at most 200 characters */
	memset(long_ok, 'a', sizeof(long_ok));
	memcpy(long_ok + 200 - 6, "@b.com", 7);
	assert_int_equal(strlen(long_ok), 200);
	assert_int_equal(valid_email(long_ok), 1);
	memset(long_bad, 'a', sizeof(long_bad));
	memcpy(long_bad + 201 - 6, "@b.com", 7);
	assert_int_equal(strlen(long_bad), 201);
	assert_int_equal(valid_email(long_bad), 0);
}

/* Limits count characters (code points), not bytes: 200 Cyrillic letters
 * (400 bytes) are a valid name, 201 are not. */
static void
test_string_length_utf8(void **state)
{
	static const char *const letters[] = {
		"a",			/* 1 byte */
		"\xd0\xb6",		/* ж, 2 bytes */
		"\xe2\x82\xbc",		/* ₼, 3 bytes */
		"\xf0\x9f\x98\x80",	/* 😀, 4 bytes */
	};
	size_t k;

	for (k = 0; k < N(letters); k++) {
		size_t count;

		for (count = 199; count <= 201; count++) {
			char s[201 * 4 + 1] = "";
			size_t i;
			json_t *j;

			for (i = 0; i < count; i++)
				strcat(s, letters[k]);
			j = json_pack("{s:s,s:i}", "name", s, "qty", 1);
			assert_non_null(j);
			run(j, F, N(F), NULL, count <= 200 ? NULL : "name", letters[k]);
			json_decref(j);
			arena_reset(&A);
		}
	}
}

/* Strings jansson would never produce from a body, built with _nocheck:
 * invalid UTF-8 and embedded NUL are refused by the validator itself. */
static void
test_string_bytes(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "\xff", 1 },
		{ "ab\xc3", 3 },		/* truncated */
		{ "\xc0\x80", 2 },		/* overlong NUL */
		{ "\x80x", 2 },
		{ "a\0b", 3 },			/* NUL inside */
		{ "\0", 1 },
	};
	size_t i;

	for (i = 0; i < N(bad); i++) {
		json_t *j = json_object();

		json_object_set_new(j, "name", json_stringn_nocheck(bad[i].s, bad[i].n));
		json_object_set_new(j, "qty", json_integer(1));
		run(j, F, N(F), NULL, "name", "bad bytes in a string");
		json_decref(j);
		arena_reset(&A);

		/* the same in an enum, UUID and email field */
		j = json_pack("{s:s,s:i}", "name", "x", "qty", 1);
		json_object_set_new(j, "unit", json_stringn_nocheck(bad[i].s, bad[i].n));
		run(j, F, N(F), NULL, "unit", "bad bytes in an enum");
		json_decref(j);
		arena_reset(&A);
	}
	{
		/* "g\0" must not pass as the enum value "g" */
		json_t *j = json_pack("{s:s,s:i}", "name", "x", "qty", 1);

		json_object_set_new(j, "unit", json_stringn("g\0", 2));
		run(j, F, N(F), NULL, "unit", "enum with trailing NUL");
		json_decref(j);
	}
}

static void
test_prefix(void **state)
{
	static const struct {
		const char *json, *field;
	} cases[] = {
		{ "{\"bogus\":1," BASE "}", "lines[2].bogus" },
		{ "{\"qty\":2}", "lines[2].name" },
		{ "{\"name\":\"x\",\"qty\":0}", "lines[2].qty" },
		{ "{" BASE "}", NULL },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		json_t *j = load(cases[i].json);

		run(j, F, N(F), "lines[2].", cases[i].field, cases[i].json);
		json_decref(j);
		arena_reset(&A);
	}
}

static void
test_not_an_object(void **state)
{
	static const char *const texts[] = { "[]", "[{\"name\":\"x\",\"qty\":1}]", "\"s\"", "1", "null" };
	size_t i;

	for (i = 0; i < N(texts); i++) {
		json_t *j = load(texts[i]);

		run(j, F, N(F), NULL, "body", texts[i]);
		run(j, F, N(F), "lines[0]", "lines[0]", texts[i]);
		json_decref(j);
		arena_reset(&A);
	}
	run(NULL, F, N(F), NULL, "body", "NULL object");
}

/* The message names the field too, for people reading the reply. */
static void
test_message_names_field(void **state)
{
	struct req r;
	json_t *j = load("{\"name\":\"x\",\"qty\":2,\"surprise\":1}"), *b;
	const char *msg;

	req_init(&r);
	assert_int_equal(valid_object(&r, j, F, N(F), NULL), -1);
	b = json_loads(r.resp.body.p, 0, NULL);
	assert_non_null(b);
	msg = json_string_value(json_object_get(json_object_get(b, "error"), "message"));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "surprise"));
	assert_string_equal(r.resp.content_type, "application/json");
	json_decref(b);
	json_decref(j);
}

/* An empty table refuses every field and accepts {}. */
static void
test_empty_table(void **state)
{
	json_t *j = load("{}");

	run(j, F, 0, NULL, NULL, "{} with no fields");
	json_decref(j);
	j = load("{\"a\":1}");
	run(j, F, 0, NULL, "a", "{a} with no fields");
	json_decref(j);
}

/* ---- valid_utf8_len ----------------------------------------------------- */

static long long
ulen(const char *s, size_t n)
{
	/* exact-size heap copy: an over-read is an ASan error */
	char *p = malloc(n ? n : 1);
	long long v;

	assert_non_null(p);
	memcpy(p, s, n);
	v = valid_utf8_len(p, n);
	free(p);
	return v;
}

static void
test_utf8_len(void **state)
{
	static const struct {
		const char *s;
		size_t n;	/* 0: strlen */
		long long want;
		const char *what;
	} cases[] = {
		{ "", 0, 0, "empty" },
		{ "abc", 0, 3, "ASCII" },
		{ "a\0b", 3, 3, "NUL is a code point (callers check NUL separately)" },
		{ "\x7f", 0, 1, "DEL" },
		{ "\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5", 0, 4, "Cyrillic" },
		{ "\xc2\x80", 0, 1, "U+0080, smallest 2-byte" },
		{ "\xdf\xbf", 0, 1, "U+07FF" },
		{ "\xe0\xa0\x80", 0, 1, "U+0800, smallest 3-byte" },
		{ "\xe2\x82\xbc", 0, 1, "manat sign" },
		{ "\xef\xbf\xbf", 0, 1, "U+FFFF" },
		{ "\xf0\x90\x80\x80", 0, 1, "U+10000, smallest 4-byte" },
		{ "\xf0\x9f\x98\x80", 0, 1, "emoji" },
		{ "\xf4\x8f\xbf\xbf", 0, 1, "U+10FFFF, largest" },
		{ "a\xd0\xb6\xe2\x82\xbc\xf0\x9f\x98\x80", 0, 4, "mixed widths" },
		{ "\xc0\x80", 0, -1, "overlong NUL (C0 80)" },
		{ "\xc1\xbf", 0, -1, "overlong (C1)" },
		{ "\x80", 0, -1, "lone continuation" },
		{ "\xbf", 0, -1, "lone continuation" },
		{ "\xc3", 0, -1, "truncated 2-byte" },
		{ "a\xc3", 0, -1, "truncated 2-byte at the end" },
		{ "\xe2\x82", 0, -1, "truncated 3-byte" },
		{ "\xf0\x9f\x98", 0, -1, "truncated 4-byte" },
		{ "\xc3\x28", 0, -1, "bad continuation" },
		{ "\xe2\x28\xa1", 0, -1, "bad continuation" },
		{ "\xe2\x82\x28", 0, -1, "bad continuation" },
		{ "\xf0\x28\x8c\xbc", 0, -1, "bad continuation" },
		{ "\xf5\x80\x80\x80", 0, -1, "F5 lead" },
		{ "\xf8\x88\x80\x80\x80", 0, -1, "5-byte form" },
		{ "\xfe", 0, -1, "FE" },
		{ "\xff", 0, -1, "FF" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		size_t n = cases[i].n ? cases[i].n : strlen(cases[i].s);
		long long got = ulen(cases[i].s, n);

		if (got != cases[i].want)
			fail_msg("valid_utf8_len(%s): %lld, want %lld", cases[i].what, got, cases[i].want);
	}
	/* n is honoured: a valid prefix of a longer buffer */
	assert_int_equal(ulen("\xd0\xb6\xd0\xb6", 2), 1);
	assert_int_equal(ulen("\xd0\xb6\xd0\xb6", 3), -1);
}

/* valid.h: "-1 if s is not valid UTF-8".  The lead-byte check is right for
 * 2-byte forms but 3- and 4-byte forms are not range-checked, so these
 * invalid sequences are counted as characters.  (jansson refuses them in
 * bodies, so today they only matter for other callers: form fields, query
 * parameters, cookies.) */
static void
test_utf8_len_strict(void **state)
{
	static const struct {
		const char *s, *what;
	} cases[] = {
		{ "\xe0\x80\x80", "overlong NUL in 3 bytes (E0 80 80)" },
		{ "\xe0\x9f\xbf", "overlong U+07FF (E0 9F BF)" },
		{ "\xed\xa0\x80", "UTF-16 surrogate U+D800 (ED A0 80)" },
		{ "\xed\xbf\xbf", "UTF-16 surrogate U+DFFF (ED BF BF)" },
		{ "\xf0\x80\x80\x80", "overlong NUL in 4 bytes (F0 80 80 80)" },
		{ "\xf0\x8f\xbf\xbf", "overlong U+FFFF (F0 8F BF BF)" },
		{ "\xf4\x90\x80\x80", "above U+10FFFF (F4 90 80 80)" },
	};
	char accepted[1024] = "";
	size_t i;

	for (i = 0; i < N(cases); i++)
		if (ulen(cases[i].s, strlen(cases[i].s)) != -1)
			snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted),
			    "\n    %s", cases[i].what);
	KNOWN_BUG(accepted[0] == '\0', "valid_utf8_len counts invalid UTF-8 as characters:%s", accepted);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_table, reset),
		cmocka_unit_test_teardown(test_email, reset),
		cmocka_unit_test_teardown(test_string_length_utf8, reset),
		cmocka_unit_test_teardown(test_string_bytes, reset),
		cmocka_unit_test_teardown(test_prefix, reset),
		cmocka_unit_test_teardown(test_not_an_object, reset),
		cmocka_unit_test_teardown(test_message_names_field, reset),
		cmocka_unit_test_teardown(test_empty_table, reset),
		cmocka_unit_test_teardown(test_utf8_len, reset),
		cmocka_unit_test_teardown(test_utf8_len_strict, reset),
	};

	return cmocka_run_group_tests_name("valid", tests, setup, teardown);
}
