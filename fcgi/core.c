#include "core.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "valid.h"

void
core_healthz(struct req *r)
{
	int up = db_ensure(r->db) == 0 && db_exec(r, "SELECT 1", 0, NULL) != NULL;

	resp_json(r, up ? 200 : 503, json_pack("{s:s, s:s}",
	    "status", up ? "ok" : "unavailable", "db", up ? "ok" : "down"));
}

void
core_version(struct req *r)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	resp_json(r, 200, json_pack("{s:s, s:s, s:s}", "name", "pos",
	    "version", app.cfg.version, "time", now));
}

void
core_openapi(struct req *r)
{
	resp_text(r, 200, "application/json", app.openapi_text, app.openapi_len);
	resp_header(r, "Cache-Control", "no-cache");
}

static const char *const methods[] = { "get", "post", "put", "patch", "delete" };

/* Who may call an operation, from our extension x-pos-auth (kept next to the
 * route table by the openapi test). */
static json_t *
operation_row(struct req *r, const char *method, const char *path, json_t *op)
{
	const char *summary = json_string_value(json_object_get(op, "summary"));
	const char *auth = json_string_value(json_object_get(op, "x-pos-auth"));
	char *m = arena_strdup(r->a, method), *p, *anchor;

	for (p = m; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	anchor = arena_printf(r->a, "%s%s", method, path);
	for (p = anchor; *p; p++)
		if (!isalnum((unsigned char)*p))
			*p = '-';
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "method", m, "path", path,
	    "summary", summary ? summary : "", "auth", auth ? auth : "none", "anchor", anchor);
}

void
core_docs(struct req *r)
{
	json_t *info = json_object_get(app.openapi, "info");
	json_t *paths = json_object_get(app.openapi, "paths");
	json_t *tags = json_array(), *model, *pv;
	const char *path;

	/* group operations by their first tag, in the document's order */
	json_object_foreach(paths, path, pv) {
		size_t i;

		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
			json_t *op = json_object_get(pv, methods[i]), *tag, *t;
			const char *tname;
			size_t k;

			if (op == NULL)
				continue;
			tname = json_string_value(json_array_get(json_object_get(op, "tags"), 0));
			if (tname == NULL)
				tname = "other";
			tag = NULL;
			json_array_foreach(tags, k, t) {
				if (strcmp(json_string_value(json_object_get(t, "name")), tname) == 0)
					tag = t;
			}
			if (tag == NULL) {
				tag = json_pack("{s:s, s:[]}", "name", tname, "operations");
				json_array_append_new(tags, tag);
			}
			json_array_append_new(json_object_get(tag, "operations"),
			    operation_row(r, methods[i], path, op));
		}
	}
	model = json_pack("{s:{s:s?, s:s?, s:s?}, s:o}", "api",
	    "title", json_string_value(json_object_get(info, "title")),
	    "version", json_string_value(json_object_get(info, "version")),
	    "description", json_string_value(json_object_get(info, "description")),
	    "tags", tags);
	if (model == NULL)
		die("json_pack");
	page_render(r, 200, "docs", model);
}

void
core_home(struct req *r)
{
	page_render(r, 200, "home", json_pack("{s:s}", "version", app.cfg.version));
}

/* The till and the pages report their own errors here (sync failures,
 * uncaught exceptions), so "errors are logged" holds on the client side too.
 * One line per report, message truncated; nothing is stored. */
void
core_client_log(struct req *r)
{
	static const char *const levels[] = { "error", "warn", "info", NULL };
	static const struct vfield fields[] = {
		{ "level", V_ENUM, 1, 0, 0, levels, 0 },
		{ "message", V_STRING, 1, 1, 1000, NULL, 0 },
		{ "source", V_STRING, 0, 0, 200, NULL, 1 },
		{ "url", V_STRING, 0, 0, 1000, NULL, 1 },
		{ "at", V_STRING, 0, 0, 64, NULL, 1 },
	};
	const char *level, *msg, *src;
	char clean[1001];
	size_t i;

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0)
		return;
	level = json_string_value(json_object_get(r->json, "level"));
	msg = json_string_value(json_object_get(r->json, "message"));
	src = json_string_value(json_object_get(r->json, "source"));
	/* quotes and control characters would break the log line's shape */
	for (i = 0; msg[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = (unsigned char)msg[i] < 0x20 || msg[i] == '"' ? ' ' : msg[i];
	clean[i] = '\0';
	log_msg(strcmp(level, "error") == 0 ? LOG_ERROR : strcmp(level, "warn") == 0 ? LOG_WARN : LOG_INFO,
	    "client", 0, "client_log source=\"%.200s\" msg=\"%s\"",
	    src && !strpbrk(src, "\"\r\n") ? src : "-", clean);
	resp_json(r, 202, json_pack("{s:b}", "logged", 1));
}
