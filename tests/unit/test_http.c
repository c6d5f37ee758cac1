/* Unit tests for fcgi/http.c and the escaping writers of fcgi/buf.c: the
 * request parsers (query strings, forms, cookies, JSON bodies, headers) and
 * the buffered reply.  Pure functions over an arena; run under `make SAN=1
 * unit` so that over-reads and leaks (JSON freed by arena_reset) show up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include <jansson.h>

#include "app.h"
#include "arena.h"
#include "buf.h"
#include "http.h"
#include "i18n.h"

static int
setup(void **state)
{
	arena_init(&A, 0);
	return 0;
}

/* An exact-size heap copy without a terminating NUL, so that ASan reports a
 * parser reading past n. */
static char *
exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

/* ---- http_parse_urlencoded ------------------------------------------------ */

struct ue_case {
	const char *in;
	size_t n;		/* 0: strlen(in) */
	int rc;
	size_t npairs;
	const char *kv[8];	/* key, value, key, value, ... */
};

static const struct ue_case ue_cases[] = {
	{ "", 0, 0, 0, { NULL } },
	{ "a=1&b=2", 0, 0, 2, { "a", "1", "b", "2" } },
	{ "a=hello+world", 0, 0, 1, { "a", "hello world" } },
	{ "a=hello%20world", 0, 0, 1, { "a", "hello world" } },
	{ "a+b=c%2Bd", 0, 0, 1, { "a b", "c+d" } },
	{ "%61=%62%4a%4A", 0, 0, 1, { "a", "bJJ" } },
	{ "a=1&&b=2", 0, 0, 2, { "a", "1", "b", "2" } },
	{ "&&a=1&", 0, 0, 1, { "a", "1" } },
	{ "&", 0, 0, 0, { NULL } },
	{ "flag", 0, 0, 1, { "flag", "" } },
	{ "flag&x=", 0, 0, 2, { "flag", "", "x", "" } },
	{ "a==b", 0, 0, 1, { "a", "=b" } },
	{ "a=1;b=2", 0, 0, 2, { "a", "1", "b", "2" } },
	{ "a=1;b=2&c=3", 0, 0, 3, { "a", "1", "b", "2", "c", "3" } },
	{ "name=%D0%B6%D0%B0", 0, 0, 1, { "name", "\xd0\xb6\xd0\xb0" } },
	{ "name=\xd0\xb6\xd0\xb0", 0, 0, 1, { "name", "\xd0\xb6\xd0\xb0" } },
	{ "q=%E2%80%A8", 0, 0, 1, { "q", "\xe2\x80\xa8" } },
	{ "a=%zz", 0, -1, 0, { NULL } },
	{ "a=%z1", 0, -1, 0, { NULL } },
	{ "a=%1z", 0, -1, 0, { NULL } },
	{ "%zz=1", 0, -1, 0, { NULL } },
	{ "a=%4", 0, -1, 0, { NULL } },
	{ "a=%", 0, -1, 0, { NULL } },
	{ "a=%&b=1", 0, -1, 0, { NULL } },
	{ "a=%00", 0, -1, 0, { NULL } },
	{ "%00=1", 0, -1, 0, { NULL } },
	{ "ok=1&bad=%G0", 0, -1, 0, { NULL } },
	{ "a=1\0b=2", 7, -1, 0, { NULL } },	/* raw NUL inside the input */
	{ "a=12&b=2", 4, 0, 1, { "a", "12" } },	/* n is honoured */
};

static void
test_urlencoded_table(void **state)
{
	size_t i, j;

	for (i = 0; i < sizeof(ue_cases) / sizeof(ue_cases[0]); i++) {
		const struct ue_case *c = &ue_cases[i];
		size_t n = c->n ? c->n : strlen(c->in);
		char *in = exact(c->in, n);
		struct kvlist l;
		int rc = http_parse_urlencoded(&A, in, n, &l);

		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d, want %d", i, c->in, rc, c->rc);
		if (rc == 0) {
			if (l.n != c->npairs)
				fail_msg("case %zu \"%s\": %zu pairs, want %zu", i, c->in, l.n, c->npairs);
			for (j = 0; j < l.n; j++) {
				assert_string_equal(l.v[j].key, c->kv[2 * j]);
				assert_string_equal(l.v[j].val, c->kv[2 * j + 1]);
			}
		}
		free(in);
		arena_reset(&A);
	}
}

static void
test_urlencoded_null(void **state)
{
	struct kvlist l = { (struct kv *)&l, 99 };

	assert_int_equal(http_parse_urlencoded(&A, NULL, 0, &l), 0);
	assert_int_equal(l.n, 0);
}

/* "a=1&a=1&...": npairs pairs joined by sep. */
static char *
many_pairs(size_t npairs, const char *sep, const char *tail)
{
	struct buf b;
	size_t i;

	buf_init(&b, &A, 0);
	for (i = 0; i < npairs; i++)
		buf_printf(&b, "%sk%zu=%zu", i ? sep : "", i, i);
	buf_puts(&b, tail);
	return b.p;
}

static void
test_urlencoded_limit(void **state)
{
	struct kvlist l;
	char *s;

	s = many_pairs(HTTP_MAX_PARAMS, "&", "");
	assert_int_equal(http_parse_urlencoded(&A, s, strlen(s), &l), 0);
	assert_int_equal(l.n, HTTP_MAX_PARAMS);
	assert_string_equal(l.v[255].key, "k255");
	assert_string_equal(kv_get(&l, "k255"), "255");

	s = many_pairs(HTTP_MAX_PARAMS, ";", "");
	assert_int_equal(http_parse_urlencoded(&A, s, strlen(s), &l), 0);
	assert_int_equal(l.n, HTTP_MAX_PARAMS);

	s = many_pairs(HTTP_MAX_PARAMS + 1, "&", "");
	assert_int_equal(http_parse_urlencoded(&A, s, strlen(s), &l), -1);
	s = many_pairs(HTTP_MAX_PARAMS + 1, ";", "");
	assert_int_equal(http_parse_urlencoded(&A, s, strlen(s), &l), -1);
	s = many_pairs(1000, "&", "");
	assert_int_equal(http_parse_urlencoded(&A, s, strlen(s), &l), -1);
}

/* http.h: "-1 for ... more than HTTP_MAX_PARAMS pairs".  The code counts
 * separators, not pairs, so 256 real pairs plus one trailing '&' fail. */
static void
test_urlencoded_limit_counts_pairs(void **state)
{
	struct kvlist l;
	char *s = many_pairs(HTTP_MAX_PARAMS, "&", "&");

	KNOWN_BUG(http_parse_urlencoded(&A, s, strlen(s), &l) == 0,
	    "http_parse_urlencoded: 256 pairs + trailing '&' -> -1 (counts separators, not pairs)");
	assert_int_equal(l.n, HTTP_MAX_PARAMS);
}

/* ---- http_urldecode ---------------------------------------------------- */

static void
test_urldecode(void **state)
{
	static const struct {
		const char *in;
		int plus;
		int rc;
		const char *out;
	} cases[] = {
		{ "", 1, 0, "" },
		{ "abc", 1, 0, "abc" },
		{ "a+b", 1, 0, "a b" },
		{ "a+b", 0, 0, "a+b" },
		{ "%2B", 1, 0, "+" },
		{ "%20%41%7e", 0, 0, " A~" },
		{ "%ff", 0, 0, "\xff" },	/* bytes, not characters: UTF-8 is checked later */
		{ "100%", 0, -1, NULL },
		{ "%4", 0, -1, NULL },
		{ "%4g", 0, -1, NULL },
		{ "%-1", 0, -1, NULL },
		{ "% 1", 0, -1, NULL },
		{ "%00", 0, -1, NULL },
		{ "a%00b", 1, -1, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].in);
		char *in = exact(cases[i].in, n), *out = NULL;
		int rc = http_urldecode(&A, in, n, cases[i].plus, &out);

		if (rc != cases[i].rc)
			fail_msg("urldecode \"%s\": rc %d, want %d", cases[i].in, rc, cases[i].rc);
		if (rc == 0)
			assert_string_equal(out, cases[i].out);
		free(in);
	}
}

/* ---- http_parse_cookies / kv_get ---------------------------------------- */

static void
test_cookies_table(void **state)
{
	static const struct {
		const char *in;
		size_t npairs;
		const char *kv[8];
	} cases[] = {
		{ "", 0, { NULL } },
		{ "a=1", 1, { "a", "1" } },
		{ "a=1; b=2", 2, { "a", "1", "b", "2" } },
		{ "a=1;b=2", 2, { "a", "1", "b", "2" } },
		{ "  a = 1 ;\tb=2  ", 2, { "a", "1", "b", "2" } },
		{ "sid=\"quoted value\"", 1, { "sid", "quoted value" } },
		{ "sid=\"\"", 1, { "sid", "" } },
		{ "sid=\"", 1, { "sid", "\"" } },
		{ "sid=\"open", 1, { "sid", "\"open" } },
		{ "a=b=c", 1, { "a", "b=c" } },
		{ "a=", 1, { "a", "" } },
		{ "garbage; a=1", 1, { "a", "1" } },
		{ "=v; a=1", 1, { "a", "1" } },
		{ " = v ;;; a=1;", 1, { "a", "1" } },
		{ ";;;", 0, { NULL } },
		{ "lang=ru; lang=en", 2, { "lang", "ru", "lang", "en" } },
		{ "n=\xd0\xb6", 1, { "n", "\xd0\xb6" } },
	};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvlist l;

		if (http_parse_cookies(&A, cases[i].in, &l) != 0)
			fail_msg("cookies \"%s\": failed", cases[i].in);
		if (l.n != cases[i].npairs)
			fail_msg("cookies \"%s\": %zu pairs, want %zu", cases[i].in, l.n, cases[i].npairs);
		for (j = 0; j < l.n; j++) {
			assert_string_equal(l.v[j].key, cases[i].kv[2 * j]);
			assert_string_equal(l.v[j].val, cases[i].kv[2 * j + 1]);
		}
	}
}

static void
test_cookies_null_and_limit(void **state)
{
	struct kvlist l;
	char *s;

	assert_int_equal(http_parse_cookies(&A, NULL, &l), 0);
	assert_int_equal(l.n, 0);

	s = many_pairs(HTTP_MAX_PARAMS, "; ", "");
	assert_int_equal(http_parse_cookies(&A, s, &l), 0);
	assert_int_equal(l.n, HTTP_MAX_PARAMS);
	s = many_pairs(HTTP_MAX_PARAMS + 1, "; ", "");
	assert_int_equal(http_parse_cookies(&A, s, &l), -1);
}

static void
test_kv_get_first_wins(void **state)
{
	struct kvlist l;
	static const char q[] = "a=1&b=2&a=3";

	assert_int_equal(http_parse_urlencoded(&A, q, strlen(q), &l), 0);
	assert_string_equal(kv_get(&l, "a"), "1");
	assert_string_equal(kv_get(&l, "b"), "2");
	assert_null(kv_get(&l, "c"));
	assert_null(kv_get(&l, "A"));	/* keys are case-sensitive */

	assert_int_equal(http_parse_cookies(&A, "lang=ru; lang=en", &l), 0);
	assert_string_equal(kv_get(&l, "lang"), "ru");

	l.v = NULL;
	l.n = 0;
	assert_null(kv_get(&l, "a"));
}

/* ---- http_content_length ------------------------------------------------ */

static void
test_content_length(void **state)
{
	static const struct {
		const char *in;
		long long want;
	} cases[] = {
		{ "0", 0 },
		{ "7", 7 },
		{ "007", 7 },
		{ "4194304", 4194304 },
		{ "1125899906842624", 1125899906842624LL },	/* 2^50 */
		{ "", -1 },
		{ "-1", -1 },
		{ "-0", -1 },
		{ "+5", -1 },
		{ " 5", -1 },
		{ "5 ", -1 },
		{ "12a", -1 },
		{ "0x10", -1 },
		{ "1e3", -1 },
		{ "1.0", -1 },
		{ "99999999999999999999", -1 },
		{ "9223372036854775807", -1 },
		{ "18446744073709551617", -1 },
		{ "999999999999999999999999999999999999999999", -1 },
	};
	size_t i;

	assert_int_equal(http_content_length(NULL), -1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long got = http_content_length(cases[i].in);

		if (got != cases[i].want)
			fail_msg("content_length \"%s\": %lld, want %lld", cases[i].in, got, cases[i].want);
	}
}

/* ---- http_parse_json ---------------------------------------------------- */

static void
test_json_table(void **state)
{
	static const struct {
		const char *in;
		size_t n;	/* 0: strlen */
		int rc;
	} cases[] = {
		{ "{}", 0, 0 },
		{ " {\"a\":1, \"b\":[true,null,\"\xd0\xb6\"]} \n", 0, 0 },
		{ "{\"a\":1,\"a\":2}", 0, -1 },		/* duplicate keys */
		{ "{\"o\":{\"k\":1,\"k\":1}}", 0, -1 },	/* duplicates nested */
		{ "{\"a\":1}\0", 8, -1 },		/* NUL after the object */
		{ "{\"a\":\"x\0y\"}", 11, -1 },	/* NUL inside a string */
		{ "{\"a\":\"\\u0000\"}", 0, -1 },	/* escaped NUL */
		{ "{\"a\":\"\xff\"}", 0, -1 },		/* invalid UTF-8 */
		{ "{\"a\":\"\xc0\x80\"}", 0, -1 },	/* overlong */
		{ "{", 0, -1 },
		{ "{\"a\":}", 0, -1 },
		{ "{\"a\":1,}", 0, -1 },
		{ "{} {}", 0, -1 },
		{ "{} x", 0, -1 },
		{ "{'a':1}", 0, -1 },
		{ "[1,2]", 0, -1 },			/* not an object */
		{ "[]", 0, -1 },
		{ "1", 0, -1 },
		{ "\"s\"", 0, -1 },
		{ "null", 0, -1 },
		{ "true", 0, -1 },
		{ " ", 0, -1 },
		{ "{\"a\":NaN}", 0, -1 },
		{ "{\"a\":1e999}", 0, -1 },		/* real overflow */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
		char *in = exact(cases[i].in, n), err[160] = "";
		json_t *j = (json_t *)1;
		int rc = http_parse_json(&A, in, n, &j, err, sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("json case %zu \"%s\": rc %d, want %d (%s)", i, cases[i].in, rc, cases[i].rc, err);
		if (rc == 0) {
			assert_non_null(j);
			assert_true(json_is_object(j));
		} else {
			assert_null(j);
			assert_true(err[0] != '\0');
		}
		free(in);
		arena_reset(&A);	/* frees the parsed JSON, object or not */
	}
}

static void
test_json_empty(void **state)
{
	char err[160] = "";
	json_t *j = (json_t *)1;

	assert_int_equal(http_parse_json(&A, "", 0, &j, err, sizeof(err)), -1);
	assert_null(j);
	assert_string_equal(err, "empty body");
}

static void
test_json_values_and_ownership(void **state)
{
	static const char body[] = "{\"name\":\"\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5\",\"qty\":2,\"x\":[1,2,3]}";
	char err[160];
	json_t *j;

	assert_int_equal(http_parse_json(&A, body, strlen(body), &j, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5");
	assert_int_equal(json_integer_value(json_object_get(j, "qty")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "x")), 3);
	/* no json_decref here: the arena owns it (LeakSanitizer checks) */
	arena_reset(&A);
	assert_int_equal(http_parse_json(&A, body, strlen(body), &j, err, sizeof(err)), 0);
	/* left for teardown's arena_free */
}

static void
test_json_deep_nesting(void **state)
{
	const size_t depth = 100000;
	char *s = malloc(2 * depth + 16), err[160];
	size_t i, n = 0;
	json_t *j;

	assert_non_null(s);
	/* arrays inside an object */
	s[n++] = '{';
	memcpy(s + n, "\"a\":", 4);
	n += 4;
	for (i = 0; i < depth; i++)
		s[n++] = '[';
	for (i = 0; i < depth; i++)
		s[n++] = ']';
	s[n++] = '}';
	assert_int_equal(http_parse_json(&A, s, n, &j, err, sizeof(err)), -1);
	/* unterminated */
	assert_int_equal(http_parse_json(&A, s, depth, &j, err, sizeof(err)), -1);
	/* objects: {"a":{"a":...}} */
	n = 0;
	for (i = 0; i < depth / 4; i++) {
		memcpy(s + n, "{\"a\":", 5);
		n += 5;
	}
	s[n++] = '1';
	for (i = 0; i < depth / 4; i++)
		s[n++] = '}';
	assert_int_equal(http_parse_json(&A, s, n, &j, err, sizeof(err)), -1);
	/* moderate nesting is fine */
	n = 0;
	for (i = 0; i < 50; i++) {
		memcpy(s + n, "{\"a\":", 5);
		n += 5;
	}
	s[n++] = '1';
	for (i = 0; i < 50; i++)
		s[n++] = '}';
	assert_int_equal(http_parse_json(&A, s, n, &j, err, sizeof(err)), 0);
	free(s);
}

/* ---- http_is_uuid ------------------------------------------------------ */

static void
test_is_uuid(void **state)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "123e4567-e89b-12d3-a456-426614174000", 1 },
		{ "123E4567-E89B-12D3-A456-426614174000", 1 },
		{ "00000000-0000-0000-0000-000000000000", 1 },
		{ "ffffffff-FFFF-ffff-FFFF-ffffffffffff", 1 },
		{ "", 0 },
		{ "123e4567-e89b-12d3-a456-42661417400", 0 },		/* 35 */
		{ "123e4567-e89b-12d3-a456-4266141740000", 0 },	/* 37 */
		{ "123e4567-e89b-12d3-a456-426614174000 ", 0 },
		{ " 123e4567-e89b-12d3-a456-42661417400", 0 },
		{ "123e4567e-89b-12d3-a456-426614174000", 0 },	/* dash moved */
		{ "123e4567-e89b-12d3-a4564-26614174000", 0 },
		{ "123e4567-e89b-12d3-a456_426614174000", 0 },
		{ "123e4567+e89b-12d3-a456-426614174000", 0 },
		{ "123e4567-e89b-12d3-a456-42661417400g", 0 },	/* non-hex */
		{ "g23e4567-e89b-12d3-a456-426614174000", 0 },
		{ "123e4567-e89b-12d3-a456-4266141740\xd0\xb6", 0 },
		{ "123e4567e89b12d3a456426614174000", 0 },		/* no dashes */
		{ "{123e4567-e89b-12d3-a456-426614174000}", 0 },
		{ "------------------------------------", 0 },
		{ "1 OR 1=1", 0 },
	};
	size_t i;

	assert_int_equal(http_is_uuid(NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* exact-size copy with NUL: short strings must not be over-read */
		size_t n = strlen(cases[i].in) + 1;
		char *in = exact(cases[i].in, n);

		if (http_is_uuid(in) != cases[i].want)
			fail_msg("is_uuid \"%s\": want %d", cases[i].in, cases[i].want);
		free(in);
	}
}

/* ---- http_media_type_is ------------------------------------------------- */

static void
test_media_type(void **state)
{
	static const struct {
		const char *ct, *t;
		int want;
	} cases[] = {
		{ "application/json", "application/json", 1 },
		{ "application/json; charset=utf-8", "application/json", 1 },
		{ "application/json;charset=UTF-8", "application/json", 1 },
		{ "Application/JSON", "application/json", 1 },
		{ "  application/json ; charset=utf-8", "application/json", 1 },
		{ "application/jsonx", "application/json", 0 },
		{ "application/json-patch+json", "application/json", 0 },
		{ "application/jso", "application/json", 0 },
		{ "text/json", "application/json", 0 },
		{ "text/plain; a=application/json", "application/json", 0 },
		{ "", "application/json", 0 },
		{ "application/x-www-form-urlencoded", "application/x-www-form-urlencoded", 1 },
		{ "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded", 1 },
		{ "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", 0 },
	};
	size_t i;

	assert_int_equal(http_media_type_is(NULL, "application/json"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_media_type_is(cases[i].ct, cases[i].t) != cases[i].want)
			fail_msg("media_type_is(\"%s\", \"%s\"): want %d", cases[i].ct, cases[i].t, cases[i].want);
}

/* ---- replies ----------------------------------------------------------- */

static void
req_init(struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->a = &A;
	buf_init(&r->resp.body, &A, 0);
	r->lang = "en";
	r->resp.status = 200;
}

/* Header lines of a serialised reply, up to the blank line.  Returns the
 * count; *body points after the blank line. */
static int
split_head(char *s, char **lines, int max, char **body)
{
	int n = 0;
	char *p = s, *e;

	while ((e = strstr(p, "\r\n")) != NULL) {
		*e = '\0';
		if (e == p) {
			*body = e + 2;
			return n;
		}
		assert_true(n < max);
		lines[n++] = p;
		p = e + 2;
	}
	fail_msg("no blank line after the headers");
	return -1;
}

static void
test_serialize_basic(void **state)
{
	struct req r;
	struct buf out;
	char *lines[64], *body;
	int n;

	req_init(&r);
	resp_text(&r, 201, "text/plain; charset=utf-8", "hello", 5);
	resp_header(&r, "X-Request-Id", "abc");
	buf_init(&out, &A, 0);
	resp_serialize(&r, &out, 0);
	n = split_head(out.p, lines, 64, &body);
	assert_int_equal(n, 4);
	assert_string_equal(lines[0], "Status: 201 Created");
	assert_string_equal(lines[1], "Content-Type: text/plain; charset=utf-8");
	assert_string_equal(lines[2], "Content-Length: 5");
	assert_string_equal(lines[3], "X-Request-Id: abc");
	assert_string_equal(body, "hello");
}

static void
test_serialize_length_and_head(void **state)
{
	struct req r;
	struct buf out;
	char *lines[64], *body, want[64];
	int n, i, found = 0;
	/* multibyte body: Content-Length counts bytes */
	json_t *j = json_pack("{s:s}", "name", "\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5 \xe2\x98\x95");

	req_init(&r);
	resp_json(&r, 200, j);
	assert_string_equal(r.resp.content_type, "application/json");
	snprintf(want, sizeof(want), "Content-Length: %zu", r.resp.body.len);

	buf_init(&out, &A, 0);
	resp_serialize(&r, &out, 0);
	n = split_head(out.p, lines, 64, &body);
	for (i = 0; i < n; i++)
		found += strcmp(lines[i], want) == 0;
	assert_int_equal(found, 1);
	assert_int_equal(strlen(body), r.resp.body.len);
	assert_memory_equal(body, r.resp.body.p, r.resp.body.len);

	/* HEAD: same headers, no body */
	buf_init(&out, &A, 0);
	resp_serialize(&r, &out, 1);
	n = split_head(out.p, lines, 64, &body);
	found = 0;
	for (i = 0; i < n; i++)
		found += strcmp(lines[i], want) == 0;
	assert_int_equal(found, 1);
	assert_string_equal(body, "");

	/* empty body */
	req_init(&r);
	resp_text(&r, 204, "text/plain", "", 0);
	buf_init(&out, &A, 0);
	resp_serialize(&r, &out, 0);
	assert_non_null(strstr(out.p, "\r\nContent-Length: 0\r\n"));
	assert_true(strncmp(out.p, "Status: 204 No Content\r\n", 24) == 0);
}

static void
test_serialize_header_injection(void **state)
{
	static const char *const evil[] = {
		"a\r\nSet-Cookie: evil=1",
		"a\nSet-Cookie: evil=1",
		"a\rSet-Cookie: evil=1",
		"a\r\n\r\n<script>alert(1)</script>",
		"\r\nSet-Cookie: evil=1\r\n",
	};
	size_t k;

	for (k = 0; k < sizeof(evil) / sizeof(evil[0]); k++) {
		struct req r;
		struct buf out;
		char *lines[64], *body;
		int n, i;

		req_init(&r);
		resp_text(&r, 200, "text/plain", "ok", 2);
		resp_header(&r, "X-Test", evil[k]);
		resp_redirect(&r, 303, evil[k]);
		buf_init(&out, &A, 0);
		resp_serialize(&r, &out, 0);
		/* no bare CR or LF anywhere in the head */
		for (i = 0; out.p + i < strstr(out.p, "\r\n\r\n"); i++) {
			if ((out.p[i] == '\r' && out.p[i + 1] != '\n') ||
			    (out.p[i] == '\n' && (i == 0 || out.p[i - 1] != '\r')))
				fail_msg("bare CR/LF in the head for value %zu", k);
		}
		n = split_head(out.p, lines, 64, &body);
		for (i = 0; i < n; i++)
			if (strncasecmp(lines[i], "Set-Cookie", 10) == 0 || lines[i][0] == '<')
				fail_msg("value %zu injected a header line: \"%s\"", k, lines[i]);
		assert_string_equal(body, "");	/* resp_redirect empties it */
		assert_true(strncmp(out.p, "Status: 303 ", 12) == 0);
	}
}

static void
test_header_replace_and_set_cookie(void **state)
{
	struct req r;
	struct buf out;
	const char *p;
	int cookies = 0;

	req_init(&r);
	resp_header(&r, "Cache-Control", "no-cache");
	resp_header(&r, "cache-control", "no-store");
	resp_header(&r, "Set-Cookie", "a=1");
	resp_header(&r, "Set-Cookie", "b=2");
	assert_int_equal(r.resp.nheaders, 3);
	buf_init(&out, &A, 0);
	resp_serialize(&r, &out, 0);
	assert_null(strstr(out.p, "no-cache"));
	assert_non_null(strstr(out.p, "Cache-Control: no-store\r\n"));
	for (p = out.p; (p = strstr(p, "Set-Cookie: ")) != NULL; p++)
		cookies++;
	assert_int_equal(cookies, 2);
}

static void
check_error_body(struct req *r, int status, const char *code, const char *field, const char *msg_part)
{
	json_error_t je;
	json_t *j = json_loadb(r->resp.body.p, r->resp.body.len, JSON_REJECT_DUPLICATES, &je), *e;
	const char *k;
	json_t *v;

	if (j == NULL)
		fail_msg("error body is not JSON: %s", r->resp.body.p);
	assert_int_equal(r->resp.status, status);
	assert_string_equal(r->resp.content_type, "application/json");
	assert_int_equal(json_object_size(j), 1);
	e = json_object_get(j, "error");
	assert_true(json_is_object(e));
	assert_string_equal(json_string_value(json_object_get(e, "code")), code);
	assert_true(json_is_string(json_object_get(e, "message")));
	if (msg_part != NULL && strstr(json_string_value(json_object_get(e, "message")), msg_part) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", json_string_value(json_object_get(e, "message")), msg_part);
	if (field != NULL)
		assert_string_equal(json_string_value(json_object_get(e, "field")), field);
	else
		assert_null(json_object_get(e, "field"));
	json_object_foreach(e, k, v)
		if (strcmp(k, "code") != 0 && strcmp(k, "message") != 0 && strcmp(k, "field") != 0)
			fail_msg("unexpected key error.%s", k);
	json_decref(j);
}

static void
test_resp_error_shape(void **state)
{
	struct req r;
	struct i18n *saved = app.cat;

	app.cat = NULL;		/* no catalogue: status text */
	req_init(&r);
	resp_error(&r, 404, "not_found", NULL);
	check_error_body(&r, 404, "not_found", NULL, "Not Found");

	req_init(&r);
	resp_error(&r, 400, "validation_failed", "lines[2].qty");
	check_error_body(&r, 400, "validation_failed", "lines[2].qty", "lines[2].qty");

	req_init(&r);
	resp_error_msg(&r, 400, "bad_request", NULL, "Malformed \"JSON\" </script>");
	check_error_body(&r, 400, "bad_request", NULL, "</script>");

	/* a later error replaces an earlier body, it is not appended */
	req_init(&r);
	resp_text(&r, 200, "text/plain", "partial", 7);
	resp_error(&r, 409, "conflict", NULL);
	check_error_body(&r, 409, "conflict", NULL, NULL);
	app.cat = saved;
}

static void
test_resp_error_translated(void **state)
{
	struct req r;
	struct i18n *saved = app.cat, *cat;
	char err[256] = "";

	cat = i18n_load("templates/i18n", err, sizeof(err));
	if (cat == NULL) {
		print_message("catalogues not loadable (%s): skipped\n", err);
		skip();
	}
	app.cat = cat;
	req_init(&r);
	resp_error(&r, 404, "not_found", NULL);
	assert_non_null(i18n_get(cat, "en", "error.not_found"));
	check_error_body(&r, 404, "not_found", NULL, i18n_get(cat, "en", "error.not_found"));
	assert_null(strstr(r.resp.body.p, "error.not_found"));	/* a message, not the key */

	/* validation_failed names the field in the translated message too */
	req_init(&r);
	resp_error(&r, 400, "validation_failed", "email");
	{
		/* the sentence, its final period giving way to ": field" */
		char want[256];
		size_t n;

		snprintf(want, sizeof(want), "%s", i18n_get(cat, "en", "error.validation_failed"));
		n = strlen(want);
		if (n > 0 && want[n - 1] == '.')
			want[n - 1] = '\0';
		check_error_body(&r, 400, "validation_failed", "email", want);
	}
	check_error_body(&r, 400, "validation_failed", "email", "email");
	app.cat = saved;
	i18n_free(cat);
}

static void
test_status_text(void **state)
{
	assert_string_equal(http_status_text(200), "OK");
	assert_string_equal(http_status_text(404), "Not Found");
	assert_string_equal(http_status_text(413), "Payload Too Large");
	assert_string_equal(http_status_text(503), "Service Unavailable");
	assert_string_equal(http_status_text(599), "Unknown");
}

/* ---- escaping writers (buf.c) ------------------------------------------ */

static const char *
esc(void (*fn)(struct buf *, const char *, size_t), const char *s, size_t n)
{
	struct buf b;
	char *in = exact(s, n);

	buf_init(&b, &A, 4);	/* tiny: exercises growth */
	fn(&b, in, n);
	free(in);
	assert_int_equal(strlen(b.p), b.len);
	return b.p;
}

static void
test_buf_html(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "</script><script>alert(1)</script>", "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "\" onmouseover=\"x", "&quot; onmouseover=&quot;x" },
		{ "' onload='x", "&#39; onload=&#39;x" },
		{ "`x`", "&#96;x&#96;" },
		{ "a&amp;b", "a&amp;amp;b" },
		{ "\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5 & \xe2\x80\xa8", "\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5 &amp; \xe2\x80\xa8" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(esc(buf_html, cases[i].in, strlen(cases[i].in)), cases[i].out);
	/* n is honoured */
	assert_string_equal(esc(buf_html, "<b>x", 2), "&lt;b");
}

static void
test_buf_url(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "AZaz09-_.~", "AZaz09-_.~" },
		{ "a b", "a%20b" },
		{ "a+b", "a%2Bb" },
		{ "/?#&=%", "%2F%3F%23%26%3D%25" },
		{ "\"<>'", "%22%3C%3E%27" },
		{ "\xd0\xb6", "%D0%B6" },
		{ "\r\n", "%0D%0A" },
		{ "javascript:alert(1)", "javascript%3Aalert%281%29" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(esc(buf_url, cases[i].in, strlen(cases[i].in)), cases[i].out);
	assert_string_equal(esc(buf_url, "a\0b", 3), "a%00b");
	assert_string_equal(esc(buf_url, "\xff", 1), "%FF");
}

static void
test_buf_jsstr(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "</script>", "\"\\u003c/script\\u003e\"" },
		{ "<!--", "\"\\u003c!--\"" },
		{ "\"q\" \\", "\"\\\"q\\\" \\\\\"" },
		{ "it's & co", "\"it\\u0027s \\u0026 co\"" },
		{ "a\nb\tc\x01", "\"a\\u000ab\\u0009c\\u0001\"" },
		{ "\xe2\x80\xa8|\xe2\x80\xa9", "\"\\u2028|\\u2029\"" },
		{ "\xe2\x80\xa7", "\"\xe2\x80\xa7\"" },		/* U+2027 is left alone */
		{ "\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5", "\"\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5\"" },
		{ "\xe2\x80", "\"\xe2\x80\"" },			/* truncated: no over-read */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(esc(buf_jsstr, cases[i].in, strlen(cases[i].in)), cases[i].out);
	assert_string_equal(esc(buf_jsstr, "a\0b", 3), "\"a\\u0000b\"");
}

/* Round trip: for valid UTF-8 the output is a JSON string literal that
 * decodes back to the input, and it never contains '<' or U+2028. */
static void
test_buf_jsstr_roundtrip(void **state)
{
	static const char *const in[] = {
		"</script><script>alert('x')</script>",
		"line\xe2\x80\xa8sep\xe2\x80\xa9par",
		"\"\\/\b\f\n\r\t",
		"\xd0\x9a\xd0\xbe\xd1\x84\xd0\xb5 \xf0\x9f\x98\x80 \xe2\x82\xbc",
		"\x7f<>&'",
	};
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		const char *out = esc(buf_jsstr, in[i], strlen(in[i]));
		json_error_t je;
		json_t *j = json_loads(out, JSON_DECODE_ANY, &je);

		if (j == NULL)
			fail_msg("buf_jsstr output %s is not JSON: %s", out, je.text);
		assert_string_equal(json_string_value(j), in[i]);
		json_decref(j);
		assert_null(strchr(out, '<'));
		assert_null(strchr(out, '>'));
		assert_null(strstr(out, "\xe2\x80\xa8"));
		assert_null(strstr(out, "\xe2\x80\xa9"));
	}
}

static void
test_buf_basics(void **state)
{
	struct buf b;
	int i;

	buf_init(&b, &A, 1);
	assert_string_equal(b.p, "");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 2000);
	assert_int_equal(strlen(b.p), 2000);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_put(&b, "x", 0);
	assert_string_equal(b.p, "");
	buf_putc(&b, 'y');
	buf_puts(&b, "z");
	assert_string_equal(b.p, "yz");
}

/* arena.h: "Never returns NULL: out of memory ... aborts".  A request near
 * SIZE_MAX wraps in ALIGN() to 0 before the size check and returns a
 * pointer to zero bytes.  (No caller passes such a size today.)  Run in a
 * child: the correct outcome is that it dies. */
static void
test_arena_huge_alloc_dies(void **state)
{
	pid_t pid;
	int st = 0;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct arena a;

		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		arena_init(&a, 0);
		(void)arena_alloc(&a, SIZE_MAX - 8);
		_exit(0);	/* returned: the bug */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	KNOWN_BUG(!(WIFEXITED(st) && WEXITSTATUS(st) == 0),
	    "arena_alloc(SIZE_MAX - 8) returns a pointer (ALIGN wraps to 0) instead of dying");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_urlencoded_table, reset),
		cmocka_unit_test_teardown(test_urlencoded_null, reset),
		cmocka_unit_test_teardown(test_urlencoded_limit, reset),
		cmocka_unit_test_teardown(test_urlencoded_limit_counts_pairs, reset),
		cmocka_unit_test_teardown(test_urldecode, reset),
		cmocka_unit_test_teardown(test_cookies_table, reset),
		cmocka_unit_test_teardown(test_cookies_null_and_limit, reset),
		cmocka_unit_test_teardown(test_kv_get_first_wins, reset),
		cmocka_unit_test_teardown(test_content_length, reset),
		cmocka_unit_test_teardown(test_json_table, reset),
		cmocka_unit_test_teardown(test_json_empty, reset),
		cmocka_unit_test_teardown(test_json_values_and_ownership, reset),
		cmocka_unit_test_teardown(test_json_deep_nesting, reset),
		cmocka_unit_test_teardown(test_is_uuid, reset),
		cmocka_unit_test_teardown(test_media_type, reset),
		cmocka_unit_test_teardown(test_serialize_basic, reset),
		cmocka_unit_test_teardown(test_serialize_length_and_head, reset),
		cmocka_unit_test_teardown(test_serialize_header_injection, reset),
		cmocka_unit_test_teardown(test_header_replace_and_set_cookie, reset),
		cmocka_unit_test_teardown(test_resp_error_shape, reset),
		cmocka_unit_test_teardown(test_resp_error_translated, reset),
		cmocka_unit_test_teardown(test_status_text, reset),
		cmocka_unit_test_teardown(test_buf_html, reset),
		cmocka_unit_test_teardown(test_buf_url, reset),
		cmocka_unit_test_teardown(test_buf_jsstr, reset),
		cmocka_unit_test_teardown(test_buf_jsstr_roundtrip, reset),
		cmocka_unit_test_teardown(test_buf_basics, reset),
		cmocka_unit_test_teardown(test_arena_huge_alloc_dies, reset),
	};

	return cmocka_run_group_tests_name("http", tests, setup, teardown);
}
