/* The kitchen's live phone view: GET /kitchen renders the open tickets
 * (oldest first) in two columns, "open" (new, cooking) and "ready", so the
 * screen works without JavaScript; ?fragment=tickets renders only those
 * columns, which static/kitchen/kitchen.js fetches to redraw after an event
 * or a reconnect.  POST /kitchen/orders/{id}/status is the page-session
 * twin of POST /api/kitchen/orders/{id}/status (whose routes take bearer
 * tokens only): the same handler runs, so the forward-only rule, the
 * manager's step back and the audit entry are the API's. */
#include "pages.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "kitchen.h"
#include "server.h"

/* Each column shows its newest tickets of the last 12 hours, at most this
 * many, oldest first, and says how many others it leaves out: a kitchen that
 * never taps "Served" still gets a page, the newest sale is always on it, and
 * yesterday's forgotten tickets do not bury today's. */
#define KITCHEN_MAX_TICKETS "200"
#define KITCHEN_HOURS "12"

/* One row per ticket: the API's order (without payments) plus what the
 * screen shows without arithmetic in the template: age in seconds at render
 * time (the script counts on from it, so the phone's clock never matters),
 * the elapsed time as m:ss or h:mm:ss, the sale's local time and the
 * timer's level (amber after 10 minutes, red after 20); and, apart, the
 * number of tickets of its column in the window. */
static const char tickets_sql[] =
    "SELECT (api_order(o) - 'payments') || jsonb_build_object("
    "  'age', a.s, "
    "  'elapsed', CASE WHEN a.s >= 3600 THEN (a.s / 3600) || ':' || lpad((a.s / 60 % 60)::text, 2, '0') "
    "    ELSE (a.s / 60)::text END || ':' || lpad((a.s % 60)::text, 2, '0'), "
    "  'at', to_char(o.created_at AT TIME ZONE s.time_zone, 'HH24:MI'), "
    "  'level', CASE WHEN o.kitchen_status = 'ready' THEN 'ok' WHEN a.s >= 1200 THEN 'late' "
    "    WHEN a.s >= 600 THEN 'warn' ELSE 'ok' END) AS t, x.total "
    "FROM (SELECT o.tenant_id, o.id, count(*) OVER w AS total, "
    "        row_number() OVER (w ORDER BY o.created_at DESC, o.number DESC, o.id DESC) AS rn "
    "      FROM orders o WHERE o.store_id = $1 AND o.kitchen_status <> 'served' AND o.status = 'paid' "
    "      AND o.created_at > now() - interval '" KITCHEN_HOURS " hours' "
    "      WINDOW w AS (PARTITION BY o.kitchen_status = 'ready')) x "
    "JOIN orders o ON o.tenant_id = x.tenant_id AND o.id = x.id "
    "JOIN stores s ON s.id = o.store_id "
    "CROSS JOIN LATERAL (SELECT greatest(0, floor(extract(epoch FROM now() - o.created_at)))::bigint AS s) a "
    "WHERE x.rn <= " KITCHEN_MAX_TICKETS " "
    "ORDER BY o.created_at, o.number, o.id";

/* The open tickets older than the window, per column. */
static const char older_sql[] =
    "SELECT count(*) FILTER (WHERE kitchen_status <> 'ready'), count(*) FILTER (WHERE kitchen_status = 'ready') "
    "FROM orders WHERE store_id = $1 AND kitchen_status <> 'served' AND status = 'paid' "
    "AND created_at <= now() - interval '" KITCHEN_HOURS " hours'";

/* total: the column's open tickets, shown or not */
static json_t *
column(const char *id, json_t *tickets, long long total)
{
	long long shown = (long long)json_array_size(tickets);

	return json_pack("{s:s, s:o, s:I, s:I}", "id", id, "tickets", tickets,
	    "count", (json_int_t)shown, "more", (json_int_t)(total > shown ? total - shown : 0));
}

void
kitchen_page(struct req *r)
{
	const char *v[1] = { r->who.store_id };
	const char *frag = kv_get(&r->query_params, "fragment");
	json_t *open = json_array(), *ready = json_array(), *model;
	PGresult *store, *older, *res;
	long long n_open = 0, n_ready = 0;
	int i;

	store = db_exec(r, "SELECT name FROM stores WHERE id = $1", 1, v);
	older = store ? db_exec(r, older_sql, 1, v) : NULL;
	res = older ? db_exec(r, tickets_sql, 1, v) : NULL;
	if (res == NULL) {
		json_decref(open);
		json_decref(ready);
		pages_db_fail(r);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		json_t *row = db_row_json(res, i), *t = json_object_get(row, "t");
		const char *st = json_string_value(json_object_get(t, "kitchen_status"));
		int is_ready = st != NULL && strcmp(st, "ready") == 0;

		json_array_append(is_ready ? ready : open, t);
		*(is_ready ? &n_ready : &n_open) = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		json_decref(row);
	}
	model = json_pack("{s:s, s:b, s:{s:I, s:I}, s:[o, o]}",
	    "store", PQntuples(store) == 1 ? PQgetvalue(store, 0, 0) : "",
	    "fragment", frag != NULL && strcmp(frag, "tickets") == 0,
	    "counts", "open", (json_int_t)json_array_size(open), "ready", (json_int_t)json_array_size(ready),
	    "columns", column("open", open, n_open + strtoll(PQgetvalue(older, 0, 0), NULL, 10)),
	    column("ready", ready, n_ready + strtoll(PQgetvalue(older, 0, 1), NULL, 10)));
	page_render(r, 200, "kitchen", model);
}

void
kitchen_page_status(struct req *r)
{
	static const char *const names[] = { "status", NULL };
	int js = r->accept != NULL && strstr(r->accept, "application/json") != NULL;

	/* the API handler reads r->json: give it the form's one field */
	r->json = arena_defer(r->a, (void (*)(void *))json_decref, pages_form_json(r, names));
	kitchen_api_status(r);
	if (js)
		return;		/* the script takes the API's JSON answer */
	switch (r->resp.status) {
	case 200:
	case 400:
		/* done, or a step another cook already took: the screen shows
		 * where the ticket is now */
		resp_redirect(r, 303, "/kitchen");
		break;
	case 404:
		page_error(r, 404);
		break;
	default:
		pages_fail(r);
	}
}
