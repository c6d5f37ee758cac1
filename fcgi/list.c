#include "list.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "http.h"

int
list_parse(struct req *r, struct list_page *pg)
{
	const char *l = kv_get(&r->query_params, "limit");
	const char *c = kv_get(&r->query_params, "cursor");

	pg->limit = 50;
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
	if (c != NULL && *c != '\0') {
		const char *p;

		/* cursors are row keys we handed out: digits or a UUID */
		for (p = c; *p && (isalnum((unsigned char)*p) || *p == '-'); p++)
			;
		if (*p != '\0' || strlen(c) > 64) {
			resp_error(r, 400, "validation_failed", "cursor");
			return -1;
		}
		pg->cursor = c;
	}
	return 0;
}

void
list_reply(struct req *r, const struct list_page *pg, const PGresult *res, const char *key_col)
{
	json_t *items = json_array();
	int i, n = PQntuples(res), shown = n > pg->limit ? pg->limit : n;
	int col = PQfnumber(res, key_col);

	for (i = 0; i < shown; i++)
		json_array_append_new(items, db_row_json(res, i));
	resp_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
	    n > pg->limit && col >= 0 ? json_string(PQgetvalue(res, shown - 1, col)) : json_null()));
}
