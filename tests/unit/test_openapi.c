/* static/openapi.json against the route table (routes.c): the document is
 * OpenAPI 3.1, describes every route and nothing else, and each operation
 * carries what clients and /docs rely on.  POS_OPENAPI overrides the file
 * (to try the checks on another document). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "router.h"

static const char *const op_methods[] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace",
};
#define NMETHODS (sizeof(op_methods) / sizeof(op_methods[0]))

static json_t *doc;
static int problems;

static void
problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
problem(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("  openapi: %s\n", msg);
	problems++;
}

#define FINISH(what) do { \
	if (problems) \
		fail_msg("%d mismatch(es) in %s (listed above)", problems, what); \
} while (0)

static const char *
doc_path(void)
{
	const char *p = getenv("POS_OPENAPI");

	return p && *p ? p : "static/openapi.json";
}

static int
setup(void **state)
{
	json_error_t je;

	if (access(doc_path(), F_OK) != 0)
		return 0;	/* each test skips */
	doc = json_load_file(doc_path(), JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL)
		print_error("%s:%d:%d: %s\n", doc_path(), je.line, je.column, je.text);
	return 0;
}

static int
teardown(void **state)
{
	json_decref(doc);
	doc = NULL;
	return 0;
}

static int
before(void **state)
{
	problems = 0;
	return 0;
}

static void
need_doc(void)
{
	if (access(doc_path(), F_OK) != 0) {
		print_message("%s does not exist yet: skipped\n", doc_path());
		skip();
	}
	if (doc == NULL)
		fail_msg("%s is not valid JSON (or has duplicate keys)", doc_path());
}

static void
lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
	dst[i] = '\0';
}

/* Resolve a local "$ref": "#/a/b" (JSON Pointer, ~0 and ~1 escapes). */
static json_t *
deref(json_t *v)
{
	int hops;

	for (hops = 0; hops < 16 && json_is_object(v); hops++) {
		const char *ref = json_string_value(json_object_get(v, "$ref"));
		json_t *cur = doc;
		char tok[256];

		if (ref == NULL)
			return v;
		if (strncmp(ref, "#/", 2) != 0)
			return NULL;
		ref += 2;
		while (cur != NULL) {
			size_t n = 0;

			while (*ref && *ref != '/' && n + 1 < sizeof(tok)) {
				if (ref[0] == '~' && ref[1] == '0') {
					tok[n++] = '~';
					ref += 2;
				} else if (ref[0] == '~' && ref[1] == '1') {
					tok[n++] = '/';
					ref += 2;
				} else {
					tok[n++] = *ref++;
				}
			}
			tok[n] = '\0';
			cur = json_object_get(cur, tok);
			if (*ref != '/')
				break;
			ref++;
		}
		v = cur;
	}
	return v;
}

static const struct route *
find_route(const char *method_lc, const char *path)
{
	size_t i;

	for (i = 0; i < nroutes; i++)
		if (strcasecmp(routes[i].method, method_lc) == 0 && strcmp(routes[i].pattern, path) == 0)
			return &routes[i];
	return NULL;
}

static void
test_version_and_info(void **state)
{
	const char *v;
	json_t *info;

	need_doc();
	v = json_string_value(json_object_get(doc, "openapi"));
	if (v == NULL || strncmp(v, "3.1", 3) != 0)
		problem("\"openapi\" is %s, want 3.1.x", v ? v : "missing");
	info = json_object_get(doc, "info");
	if (!json_is_string(json_object_get(info, "title")))
		problem("info.title missing");
	if (!json_is_string(json_object_get(info, "version")))
		problem("info.version missing");
	if (!json_is_object(json_object_get(doc, "paths")))
		problem("\"paths\" is not an object");
	FINISH(doc_path());
}

/* Every route is described, with its method in lower case. */
static void
test_every_route_described(void **state)
{
	json_t *paths;
	size_t i;

	need_doc();
	paths = json_object_get(doc, "paths");
	for (i = 0; i < nroutes; i++) {
		json_t *item = json_object_get(paths, routes[i].pattern);
		char m[16];

		lower(m, routes[i].method, sizeof(m));
		if (item == NULL)
			problem("route %s %s: path not described", routes[i].method, routes[i].pattern);
		else if (!json_is_object(json_object_get(item, m)))
			problem("route %s %s: no \"%s\" operation under the path", routes[i].method,
			    routes[i].pattern, m);
	}
	FINISH("routes without a description");
}

/* Nothing is described that the router would not serve. */
static void
test_no_phantom_paths(void **state)
{
	const char *path, *key;
	json_t *item, *v;

	need_doc();
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		int any = 0;

		json_object_foreach(item, key, v) {
			size_t k;
			int is_method = 0;

			for (k = 0; k < NMETHODS; k++)
				is_method |= strcmp(key, op_methods[k]) == 0;
			if (!is_method) {
				size_t kk;
				int upper = 0;

				for (kk = 0; kk < NMETHODS; kk++)
					upper |= strcasecmp(key, op_methods[kk]) == 0;
				if (upper)
					problem("%s: method \"%s\" must be lower case", path, key);
				continue;
			}
			any = 1;
			if (find_route(key, path) == NULL &&
			    !(strcmp(key, "head") == 0 && find_route("get", path) != NULL))
				problem("%s %s: described but not in routes.c", key, path);
		}
		if (!any)
			problem("%s: no operations", path);
	}
	FINISH("phantom paths");
}

static int
has_path_param(json_t *params, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(params, i, p) {
		p = deref(p);
		if (json_is_object(p) &&
		    json_is_string(json_object_get(p, "in")) &&
		    strcmp(json_string_value(json_object_get(p, "in")), "path") == 0 &&
		    json_is_string(json_object_get(p, "name")) &&
		    strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
			return json_is_true(json_object_get(p, "required")) ? 1 : 2;
	}
	return 0;
}

/* What each operation must carry. */
static void
test_operations(void **state)
{
	json_t *paths, *ids = json_object();
	size_t i;

	need_doc();
	paths = json_object_get(doc, "paths");
	for (i = 0; i < nroutes; i++) {
		const struct route *rt = &routes[i];
		json_t *item = json_object_get(paths, rt->pattern), *op, *resp, *tags;
		const char *s, *p;
		char m[16];

		lower(m, rt->method, sizeof(m));
		op = json_object_get(item, m);
		if (!json_is_object(op))
			continue;	/* reported by test_every_route_described */
		s = json_string_value(json_object_get(op, "summary"));
		if (s == NULL || *s == '\0')
			problem("%s %s: no summary", m, rt->pattern);
		tags = json_object_get(op, "tags");
		if (!json_is_array(tags) || !json_is_string(json_array_get(tags, 0)) ||
		    *json_string_value(json_array_get(tags, 0)) == '\0')
			problem("%s %s: no tags[0]", m, rt->pattern);
		s = json_string_value(json_object_get(op, "x-pos-auth"));
		if (s == NULL || *s == '\0')
			problem("%s %s: no \"x-pos-auth\" string", m, rt->pattern);
		s = json_string_value(json_object_get(op, "operationId"));
		if (s != NULL) {
			if (json_object_get(ids, s) != NULL)
				problem("%s %s: operationId \"%s\" used twice", m, rt->pattern, s);
			json_object_set_new(ids, s, json_true());
		}
		resp = json_object_get(op, "responses");
		if (!json_is_object(resp) || json_object_size(resp) == 0) {
			problem("%s %s: no responses", m, rt->pattern);
			continue;
		}
		if (strchr(rt->pattern, '{') != NULL && json_object_get(resp, "404") == NULL)
			problem("%s %s: responses lack 404 (a non-UUID id is 404)", m, rt->pattern);
		if (rt->body == BODY_JSON && json_object_get(resp, "400") == NULL)
			problem("%s %s: responses lack 400 (JSON body)", m, rt->pattern);
		if (rt->body == BODY_JSON && json_object_get(op, "requestBody") == NULL)
			problem("%s %s: JSON body route without requestBody", m, rt->pattern);
		/* each {name} declared as a required path parameter */
		for (p = strchr(rt->pattern, '{'); p != NULL; p = strchr(p + 1, '{')) {
			const char *e = strchr(p, '}');
			char name[128];
			int found;

			if (e == NULL)
				break;
			snprintf(name, sizeof(name), "%.*s", (int)(e - p - 1), p + 1);
			found = has_path_param(json_object_get(op, "parameters"), name);
			if (found == 0)
				found = has_path_param(json_object_get(item, "parameters"), name);
			if (found == 0)
				problem("%s %s: path parameter \"%s\" not declared", m, rt->pattern, name);
			else if (found == 2)
				problem("%s %s: path parameter \"%s\" must be required: true", m, rt->pattern, name);
		}
	}
	json_decref(ids);
	FINISH("operations");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_version_and_info, before),
		cmocka_unit_test_setup(test_every_route_described, before),
		cmocka_unit_test_setup(test_no_phantom_paths, before),
		cmocka_unit_test_setup(test_operations, before),
	};

	return cmocka_run_group_tests_name("openapi", tests, setup, teardown);
}
