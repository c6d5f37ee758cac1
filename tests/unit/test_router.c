/* Unit tests for fcgi/router.c against the real route table (routes.c) and
 * against small local tables for router_check().  router_match() always
 * uses the global table, so {id} matching is tested on whatever routes
 * with a parameter routes.c has (skipped while it has none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "http.h"
#include "router.h"

#define TX (RF_DB | RF_TENANT)

static void
h(struct req *r)
{
	(void)r;
}

/* The rows of the known-bug tests are otherwise valid: the same row with a
 * well-formed pattern passes, so a refusal can only be about the pattern. */
static void
control_row_ok(void)
{
	static const struct route t[] = { { "GET", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 } };
	char err[256] = "";

	if (router_check(t, 1, err, sizeof(err)) != 0)
		fail_msg("control row refused (the test's rows need updating): %s", err);
}

struct match_res {
	enum router_result rc;
	const struct route *rt;
	const char *params[HTTP_MAX_PATH_PARAMS];
	int nparams;
	char scratch[HTTP_MAX_PATH_PARAMS * 37];	/* as server_dispatch */
	char allow[64];
};

static enum router_result
match(struct match_res *m, const char *method, const char *path)
{
	memset(m, 0, sizeof(*m));
	m->rc = router_match(method, path, &m->rt, m->params, &m->nparams,
	    m->scratch, sizeof(m->scratch), m->allow, sizeof(m->allow));
	return m->rc;
}

static const char *
rc_name(enum router_result rc)
{
	switch (rc) {
	case ROUTER_OK: return "OK";
	case ROUTER_NOT_FOUND: return "NOT_FOUND";
	case ROUTER_BAD_METHOD: return "BAD_METHOD";
	}
	return "?";
}

/* ---- the real table ---------------------------------------------------- */

static void
test_real_table_is_valid(void **state)
{
	char err[256] = "";

	if (router_check(routes, nroutes, err, sizeof(err)) != 0)
		fail_msg("routes.c: %s", err);
	assert_true(nroutes > 0);
}

/* Table hygiene the checker does not cover: methods are upper-case verbs
 * the router can reach, every route declares who may call it sensibly. */
static void
test_real_table_lint(void **state)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
	size_t i, j;

	for (i = 0; i < nroutes; i++) {
		const struct route *rt = &routes[i];
		int ok = 0;

		for (j = 0; j < N(methods); j++)
			ok |= strcmp(rt->method, methods[j]) == 0;
		if (!ok)
			fail_msg("route %s %s: method unreachable (HEAD maps to GET)", rt->method, rt->pattern);
		if (strcmp(rt->method, "GET") == 0 && rt->body != BODY_NONE)
			fail_msg("route GET %s: a GET with a body", rt->pattern);
		if (rt->body_max > HTTP_BODY_MAX)
			fail_msg("route %s %s: body_max above HTTP_BODY_MAX", rt->method, rt->pattern);
		if (strlen(rt->pattern) > 1 && rt->pattern[strlen(rt->pattern) - 1] == '/')
			print_message("note: route %s %s ends with '/'\n", rt->method, rt->pattern);
	}
}

static void
test_match_table(void **state)
{
	static const struct {
		const char *method, *path;
		enum router_result rc;
		const char *pattern;	/* for OK */
		const char *allow_has;	/* for BAD_METHOD */
	} cases[] = {
		{ "GET", "/healthz", ROUTER_OK, "/healthz", NULL },
		{ "HEAD", "/healthz", ROUTER_OK, "/healthz", NULL },
		{ "POST", "/healthz", ROUTER_BAD_METHOD, NULL, "GET" },
		{ "DELETE", "/healthz", ROUTER_BAD_METHOD, NULL, "GET" },
		{ "GET", "/", ROUTER_OK, "/", NULL },
		{ "GET", "/api/version", ROUTER_OK, "/api/version", NULL },
		{ "GET", "/api/openapi.json", ROUTER_OK, "/api/openapi.json", NULL },
		{ "POST", "/api/client-log", ROUTER_OK, "/api/client-log", NULL },
		{ "GET", "/api/client-log", ROUTER_BAD_METHOD, NULL, "POST" },
		{ "HEAD", "/api/client-log", ROUTER_BAD_METHOD, NULL, "POST" },
		{ "GET", "/nope", ROUTER_NOT_FOUND, NULL, NULL },
		{ "POST", "/nope", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/healthz/", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/api/version/", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/healthzz", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/health", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/HEALTHZ", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "//healthz", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/healthz//", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/healthz/x", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/healthz?x=1", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/healthz%2f", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/api/../healthz", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/./healthz", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "healthz", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "//", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/api", ROUTER_NOT_FOUND, NULL, NULL },
		{ "GET", "/api/", ROUTER_NOT_FOUND, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct match_res m;

		if (match(&m, cases[i].method, cases[i].path) != cases[i].rc)
			fail_msg("%s \"%s\": %s, want %s", cases[i].method, cases[i].path,
			    rc_name(m.rc), rc_name(cases[i].rc));
		if (m.rc == ROUTER_OK) {
			assert_non_null(m.rt);
			assert_string_equal(m.rt->pattern, cases[i].pattern);
			assert_string_equal(m.rt->method, strcmp(cases[i].method, "HEAD") ? cases[i].method : "GET");
			assert_int_equal(m.nparams, 0);
		}
		if (m.rc == ROUTER_BAD_METHOD) {
			if (strstr(m.allow, cases[i].allow_has) == NULL)
				fail_msg("%s %s: allow \"%s\" lacks %s", cases[i].method, cases[i].path,
				    m.allow, cases[i].allow_has);
			/* the method asked for is not offered back */
			if (strcmp(cases[i].method, "HEAD") != 0 && strstr(m.allow, cases[i].method) != NULL)
				fail_msg("%s %s: allow \"%s\"", cases[i].method, cases[i].path, m.allow);
		}
	}
}

/* Every route in the table is reachable: its own method and a path made from
 * its pattern (UUIDs for parameters) find exactly that row. */
static void
test_every_route_reachable(void **state)
{
	static const char uuid[] = "0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a10";
	size_t i;

	for (i = 0; i < nroutes; i++) {
		char path[512];
		const char *p = routes[i].pattern;
		size_t n = 0;
		struct match_res m;
		int want = 0, k;

		while (*p && n + sizeof(uuid) < sizeof(path)) {
			if (*p == '{') {
				memcpy(path + n, uuid, 36);
				n += 36;
				p = strchr(p, '}');
				assert_non_null(p);
				p++;
				want++;
			} else {
				path[n++] = *p++;
			}
		}
		path[n] = '\0';
		if (match(&m, routes[i].method, path) != ROUTER_OK)
			fail_msg("route %s %s unreachable via %s: %s", routes[i].method, routes[i].pattern,
			    path, rc_name(m.rc));
		if (m.rt != &routes[i])
			fail_msg("route %s %s shadowed by %s %s", routes[i].method, routes[i].pattern,
			    m.rt->method, m.rt->pattern);
		assert_int_equal(m.nparams, want);
		for (k = 0; k < m.nparams; k++)
			assert_string_equal(m.params[k], uuid);
	}
}

static void
test_allow_buffer_small(void **state)
{
	const struct route *rt = NULL;
	const char *params[HTTP_MAX_PATH_PARAMS];
	char scratch[HTTP_MAX_PATH_PARAMS * 37];
	char allow[8];
	int np = 0;

	memset(allow, 'X', sizeof(allow));
	assert_int_equal(router_match("POST", "/healthz", &rt, params, &np, scratch, sizeof(scratch),
	    allow, 2), ROUTER_BAD_METHOD);
	assert_true(memchr(allow, '\0', 2) != NULL);		/* terminated within allow_len */
	assert_int_equal(allow[2], 'X');			/* nothing written past it */
	memset(allow, 'X', sizeof(allow));
	assert_int_equal(router_match("POST", "/healthz", &rt, params, &np, scratch, sizeof(scratch),
	    allow, 4), ROUTER_BAD_METHOD);
	assert_string_equal(allow, "GET");
	assert_int_equal(allow[4], 'X');
}

/* ---- router_check on local tables -------------------------------------- */

static void
test_check_good_local(void **state)
{
	static const struct route t[] = {
		{ "GET", "/", h, WHO_ANON, 0, 0, BODY_NONE, 0 },
		{ "GET", "/api/x", h, WHO_USER, ROLES_MANAGER_UP, TX, BODY_NONE, 0 },
		{ "POST", "/api/x", h, WHO_USER, ROLES_MANAGER_UP, TX, BODY_JSON, 0 },
		{ "GET", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 },
		{ "PATCH", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_JSON, 0 },
		{ "POST", "/api/x/{id}/items/{item_id}", h, WHO_USER, 0, TX, BODY_JSON, 0 },
		{ "GET", "/api/x/stats", h, WHO_USER | WHO_DEVICE, 0, TX, BODY_NONE, 0 },
		{ "POST", "/login", h, WHO_ANON, 0, RF_PAGE | RF_CSRF | RF_DB, BODY_FORM, 4096 },
	};
	char err[256] = "";

	if (router_check(t, N(t), err, sizeof(err)) != 0)
		fail_msg("good table refused: %s", err);
	assert_int_equal(router_check(t, 0, err, sizeof(err)), 0);
}

struct bad_case {
	const char *why;
	struct route r[2];
	size_t n;
	const char *err_has;
};

static void
test_check_bad_local(void **state)
{
	static const struct bad_case cases[] = {
		{ "unterminated {id", {
			{ "GET", "/api/x/{id", h, WHO_USER, 0, TX, BODY_NONE, 0 } }, 1, "parameter" },
		{ "'{' not at segment start", {
			{ "GET", "/api/x{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 } }, 1, "parameter" },
		{ "no leading slash", {
			{ "GET", "api/x", h, WHO_USER, 0, TX, BODY_NONE, 0 } }, 1, "api/x" },
		{ "empty pattern", {
			{ "GET", "", h, WHO_USER, 0, TX, BODY_NONE, 0 } }, 1, NULL },
		{ "no handler", {
			{ "GET", "/api/x", NULL, WHO_USER, 0, TX, BODY_NONE, 0 } }, 1, "/api/x" },
		{ "nobody may call", {
			{ "GET", "/api/x", h, 0, 0, RF_DB, BODY_NONE, 0 } }, 1, "/api/x" },
		{ "RF_TENANT without RF_DB", {
			{ "GET", "/api/x", h, WHO_USER, 0, RF_TENANT, BODY_NONE, 0 } }, 1, "RF_TENANT" },
		{ "RF_TENANT without RF_DB, anonymous", {
			{ "GET", "/api/x", h, WHO_ANON, 0, RF_TENANT, BODY_NONE, 0 } }, 1, "RF_TENANT" },
		{ "signed-in callers outside a tenant transaction", {
			{ "GET", "/api/x", h, WHO_DEVICE, 0, RF_DB, BODY_NONE, 0 } }, 1, "RF_TENANT" },
		{ "duplicate method+pattern", {
			{ "GET", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 },
			{ "GET", "/api/x/{id}", h, WHO_ANON, 0, 0, BODY_NONE, 0 } }, 2, "twice" },
		{ "bad second row", {
			{ "GET", "/api/x", h, WHO_USER, 0, TX, BODY_NONE, 0 },
			{ "POST", "/api/x/{id", h, WHO_USER, 0, TX, BODY_JSON, 0 } }, 2, "/api/x/{id" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char err[256] = "";

		if (router_check(cases[i].r, cases[i].n, err, sizeof(err)) != -1)
			fail_msg("router_check accepted a table with %s", cases[i].why);
		if (err[0] == '\0')
			fail_msg("%s: no message", cases[i].why);
		if (cases[i].err_has && strstr(err, cases[i].err_has) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].why, err, cases[i].err_has);
	}
	/* same pattern with different methods is fine */
	{
		static const struct route t[] = {
			{ "GET", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 },
			{ "DELETE", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 },
		};
		char err[256];

		assert_int_equal(router_check(t, N(t), err, sizeof(err)), 0);
	}
}

/* router.h: "Check the table itself: patterns well-formed".  These are not
 * well-formed but pass: the matcher takes the whole segment as a parameter,
 * so "{id}x" silently matches any UUID and "{a/b}" spans two segments. */
static void
test_check_malformed_param_segments(void **state)
{
	static const char *const bad[] = {
		"/api/x/{id}x",		/* text after '}' in the segment */
		"/api/{x/y}",		/* a parameter spanning '/' */
		"/api/x/{}",		/* empty name */
		"/api/x/{{id}}",
	};
	char accepted[512] = "";
	size_t i;

	control_row_ok();
	for (i = 0; i < N(bad); i++) {
		const struct route t[] = { { "GET", bad[i], h, WHO_USER, 0, TX, BODY_NONE, 0 } };
		char err[256];

		if (router_check(t, 1, err, sizeof(err)) != -1)
			snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted),
			    " \"%s\"", bad[i]);
	}
	KNOWN_BUG(accepted[0] == '\0', "router_check accepts malformed patterns:%s", accepted);
}

/* Two rows that differ only in the parameter's name are the same route: the
 * second can never be reached. */
static void
test_check_ambiguous_duplicates(void **state)
{
	static const struct route t[] = {
		{ "GET", "/api/x/{id}", h, WHO_USER, 0, TX, BODY_NONE, 0 },
		{ "GET", "/api/x/{uuid}", h, WHO_ANON, 0, 0, BODY_NONE, 0 },
	};
	char err[256];

	control_row_ok();
	KNOWN_BUG(router_check(t, N(t), err, sizeof(err)) == -1,
	    "router_check accepts GET /api/x/{id} and GET /api/x/{uuid} (second unreachable)");
}

/* More {x} segments than HTTP_MAX_PATH_PARAMS can never match. */
static void
test_check_too_many_params(void **state)
{
	static const struct route t[] = {
		{ "GET", "/a/{p1}/{p2}/{p3}/{p4}/{p5}", h, WHO_USER, 0, TX, BODY_NONE, 0 },
	};
	char err[256];

	control_row_ok();
	KNOWN_BUG(router_check(t, N(t), err, sizeof(err)) == -1,
	    "router_check accepts a pattern with %d parameters (max %d): it never matches",
	    5, HTTP_MAX_PATH_PARAMS);
}

/* ---- {id} matching through the real table ------------------------------ */

static void
test_match_id_param(void **state)
{
	static const char *const good[] = {
		"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a10",
		"0B7E6A52-2C7E-4C1A-9A3F-5D2B8F4E6A10",
	};
	static const char *const bad[] = {
		"1 OR 1=1",
		"1%20OR%201=1",
		"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a1",		/* 35 */
		"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a100",	/* 37 */
		"0b7e6a522c7e4c1a9a3f5d2b8f4e6a10",		/* no dashes */
		"0b7e6a52-2c7e-4c1a-9a3f-5d2b8f4e6a1g",		/* non-hex */
		"0b7e6a52_2c7e_4c1a_9a3f_5d2b8f4e6a10",
		"{id}",
		"",
		"..",
		"123",
	};
	const struct route *rt = NULL;
	char prefix[256], suffix[256];
	size_t i, k;

	for (i = 0; i < nroutes; i++)
		if (strchr(routes[i].pattern, '{') != NULL) {
			rt = &routes[i];
			break;
		}
	if (rt == NULL) {
		print_message("no route with a {parameter} in routes.c yet: skipped\n");
		skip();
	}
	/* split the pattern around its first parameter; later ones get a UUID */
	{
		const char *o = strchr(rt->pattern, '{'), *c = strchr(o, '}'), *p;
		size_t n = 0;

		snprintf(prefix, sizeof(prefix), "%.*s", (int)(o - rt->pattern), rt->pattern);
		for (p = c + 1; *p && n + 40 < sizeof(suffix); ) {
			if (*p == '{') {
				memcpy(suffix + n, good[0], 36);
				n += 36;
				p = strchr(p, '}') + 1;
			} else {
				suffix[n++] = *p++;
			}
		}
		suffix[n] = '\0';
	}
	for (k = 0; k < N(good); k++) {
		char path[600];
		struct match_res m;

		snprintf(path, sizeof(path), "%s%s%s", prefix, good[k], suffix);
		if (match(&m, rt->method, path) != ROUTER_OK)
			fail_msg("%s %s: %s", rt->method, path, rc_name(m.rc));
		assert_string_equal(m.rt->pattern, rt->pattern);
		assert_true(m.nparams >= 1);
		assert_string_equal(m.params[0], good[k]);
		/* the parameter is a copy, not a pointer into the path */
		assert_true(m.params[0] < path || m.params[0] >= path + sizeof(path));

		/* scratch too small for one UUID: no match, no overflow */
		{
			const struct route *r2;
			const char *params[HTTP_MAX_PATH_PARAMS];
			char scratch[40], allow[64];
			int np = 0;

			memset(scratch, 'Z', sizeof(scratch));
			assert_int_equal(router_match(rt->method, path, &r2, params, &np, scratch, 36,
			    allow, sizeof(allow)), ROUTER_NOT_FOUND);
			assert_int_equal(scratch[36], 'Z');
		}
	}
	for (k = 0; k < N(bad); k++) {
		char path[600];
		struct match_res m;

		snprintf(path, sizeof(path), "%s%s%s", prefix, bad[k], suffix);
		if (match(&m, rt->method, path) != ROUTER_NOT_FOUND)
			fail_msg("%s \"%s\": %s, want NOT_FOUND", rt->method, path, rc_name(m.rc));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_table_is_valid),
		cmocka_unit_test(test_real_table_lint),
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_every_route_reachable),
		cmocka_unit_test(test_allow_buffer_small),
		cmocka_unit_test(test_check_good_local),
		cmocka_unit_test(test_check_bad_local),
		cmocka_unit_test(test_check_malformed_param_segments),
		cmocka_unit_test(test_check_ambiguous_duplicates),
		cmocka_unit_test(test_check_too_many_params),
		cmocka_unit_test(test_match_id_param),
	};

	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
