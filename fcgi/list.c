#include "list.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "log.h"

int
list_parse(struct req *r, struct list_page *pg)
{
	const char *c = kv_get(&r->query_params, "cursor");

	if (list_parse_limit(r, pg, 50) < 0)
		return -1;
	pg->cursor = NULL;
	pg->offset_s = "0";
	if (c != NULL && *c != '\0') {
		/* every cursor we hand out is a number: an offset or a row id */
		if (strspn(c, "0123456789") != strlen(c) || strlen(c) > 18) {
			resp_error(r, 400, "validation_failed", "cursor");
			return -1;
		}
		pg->cursor = c;
		pg->offset_s = c;
	}
	return 0;
}

int
list_parse_limit(struct req *r, struct list_page *pg, int def)
{
	const char *l = kv_get(&r->query_params, "limit");

	pg->limit = def;
	if (l != NULL) {
		char *end;
		long v = strtol(l, &end, 10);

		if (*l == '\0' || *end != '\0' || !isdigit((unsigned char)*l) || v < 1 || v > 500) {
			resp_error(r, 400, "validation_failed", "limit");
			return -1;
		}
		pg->limit = (int)v;
	}
	pg->limit_s = arena_printf(r->a, "%d", pg->limit);
	pg->cursor = NULL;
	pg->offset_s = "0";
	return 0;
}

void
list_reply_extra(struct req *r, const struct list_page *pg, const PGresult *res,
    const char *key_col, json_t *extra)
{
	json_t *items = json_array(), *next = json_null(), *out;
	int i, n = PQntuples(res), shown = n > pg->limit ? pg->limit : n;
	int col = key_col ? PQfnumber(res, key_col) : -1;

	for (i = 0; i < shown; i++)
		json_array_append_new(items, db_row_json(res, i));
	if (n > pg->limit) {
		if (key_col == NULL)
			next = json_string(arena_printf(r->a, "%lld",
			    strtoll(pg->offset_s, NULL, 10) + pg->limit));
		else if (col >= 0)
			next = json_string(PQgetvalue(res, shown - 1, col));
	}
	out = json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
	if (extra != NULL) {
		json_object_update(out, extra);
		json_decref(extra);
	}
	resp_json(r, 200, out);
}

void
list_reply(struct req *r, const struct list_page *pg, const PGresult *res, const char *key_col)
{
	list_reply_extra(r, pg, res, key_col, NULL);
}

/* The page of a list in display order: sql with $1 = limit + 1, $2 = the
 * offset and the extra parameters; NULL with the reply set when it fails. */
static PGresult *
page_query(struct req *r, struct list_page *pg, const char *sql, int nextra, const char *const *extra)
{
	const char *v[8];
	PGresult *res;
	int i;

	if (list_parse(r, pg) < 0)
		return NULL;
	if (nextra > 6)
		die("list_reply_sql: too many parameters");
	v[0] = pg->limit_s;
	v[1] = pg->offset_s;
	for (i = 0; i < nextra; i++)
		v[2 + i] = extra[i];
	res = db_exec(r, sql, 2 + nextra, v);
	if (res == NULL)
		db_fail(r);
	return res;
}

void
list_reply_sql(struct req *r, const char *sql, int nextra, const char *const *extra)
{
	struct list_page pg;
	PGresult *res = page_query(r, &pg, sql, nextra, extra);

	if (res != NULL)
		list_reply_objects(r, &pg, res, -1);
}

void
list_reply_rows_sql(struct req *r, const char *sql, int nextra, const char *const *extra)
{
	struct list_page pg;
	PGresult *res = page_query(r, &pg, sql, nextra, extra);

	if (res != NULL)
		list_reply(r, &pg, res, NULL);
}

void
list_reply_objects(struct req *r, const struct list_page *pg, const PGresult *res, int key_col)
{
	json_t *items = json_array(), *next = json_null();
	int i, n = PQntuples(res);

	for (i = 0; i < n && i < pg->limit; i++)
		json_array_append_new(items, json_loads(PQgetvalue(res, i, 0), 0, NULL));
	if (n > pg->limit)
		next = key_col >= 0 ? json_string(PQgetvalue(res, pg->limit - 1, key_col)) :
		    json_string(arena_printf(r->a, "%lld", strtoll(pg->offset_s, NULL, 10) + pg->limit));
	resp_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
