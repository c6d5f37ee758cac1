/* The Tills page of the dashboard (/dashboard/devices): the tills under the
 * licence, adding one, revoking, new keys, enabling again.  A new key is
 * shown once, on the page that answers the action that made it.  The list
 * pages by ?page= (50 a page); every form carries the page it was sent
 * from and leads back to it. */
#include "pages.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "devices.h"
#include "http.h"
#include "qr.h"
#include "server.h"
#include "valid.h"

#define PER_PAGE 50
#define FROM_SQL "FROM devices d JOIN stores s ON s.tenant_id = d.tenant_id AND s.id = d.store_id "

/* Where an action goes back to: the page its form was sent from. */
static const char *
back_to(struct req *r)
{
	int n = pages_page_parse(kv_get(&r->form, "page"));

	return n > 1 ? arena_printf(r->a, "/dashboard/devices?page=%d", n) : "/dashboard/devices";
}

/* Rows of page (1-based), one more than a page when another page follows;
 * times in the store's own time zone. */
static PGresult *
fetch_page(struct req *r, int page)
{
	const char *v[2] = { arena_printf(r->a, "%d", PER_PAGE),
	    arena_printf(r->a, "%lld", (long long)(page - 1) * PER_PAGE) };

	return db_exec(r, "SELECT d.id, d.name, d.status, "
	    "to_char(d.last_seen_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI') AS last_seen, "
	    "to_char(d.last_sync_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI') AS last_sync "
	    FROM_SQL "ORDER BY d.created_at, d.name, d.id LIMIT $1::int + 1 OFFSET $2::int", 2, v);
}

/* Render the page; extra (stolen, may be NULL) adds new_device, limit,
 * conflict, form or errors. */
static void
render(struct req *r, int status, json_t *extra)
{
	PGresult *list, *counts, *cnt;
	json_t *model;
	long long max, active;
	int page = pages_page_no(r), more;

	list = fetch_page(r, page);
	if (list != NULL && PQntuples(list) == 0 && page > 1) {
		/* past the end: the last page, as the catalogue lists do */
		cnt = db_exec(r, "SELECT count(*) " FROM_SQL, 0, NULL);
		if (cnt != NULL) {
			long long total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);

			page = total > 0 ? (int)((total + PER_PAGE - 1) / PER_PAGE) : 1;
			list = fetch_page(r, page);
		} else {
			list = NULL;
		}
	}
	counts = list ? db_exec(r, "SELECT max_devices, (SELECT count(*) FROM devices WHERE status <> 'revoked') "
	    "FROM tenants WHERE id = NULLIF(current_setting('app.tenant_id', true), '')::uuid", 0, NULL) : NULL;
	if (counts == NULL || PQntuples(counts) != 1) {
		json_decref(extra);
		if (counts == NULL)
			pages_db_fail(r);
		else
			page_error(r, 404);
		return;
	}
	max = strtoll(PQgetvalue(counts, 0, 0), NULL, 10);
	active = strtoll(PQgetvalue(counts, 0, 1), NULL, 10);
	more = PQntuples(list) > PER_PAGE;
	model = json_pack("{s:o, s:i, s:o, s:I, s:I, s:b, s:{}, s:{}}", "devices", db_rows_json(list),
	    "page", page, "pager", pages_pager(r, "/dashboard/devices?", page, more ? (long long)page + 1 : page, more),
	    "active", (json_int_t)active, "max", (json_int_t)max, "at_limit", active >= max,
	    "form", "errors");
	if (more)
		json_array_remove(json_object_get(model, "devices"), PER_PAGE);
	if (extra != NULL) {
		json_object_update(model, extra);
		json_decref(extra);
	}
	page_render(r, status, "dashboard/devices", model);
}

/* The device the action returned, with its one-time key and the key's QR. */
static json_t *
shown_once(struct req *r, json_t *dev)
{
	const char *key = json_string_value(json_object_get(dev, "device_key"));
	json_t *o = json_pack("{s:{s:s?, s:s?, s:s?, s:s?}}", "new_device",
	    "id", json_string_value(json_object_get(dev, "id")),
	    "name", json_string_value(json_object_get(dev, "name")),
	    "key", key, "qr", key ? qr_svg(r->a, key) : NULL);

	json_decref(dev);
	return o;
}

static json_t *
limit_reached(long long limit, long long active)
{
	return json_pack("{s:{s:I, s:I}}", "limit", "max", (json_int_t)limit, "active", (json_int_t)active);
}

void
devices_page_list(struct req *r)
{
	render(r, 200, NULL);
}

void
devices_page_create(struct req *r)
{
	const char *name = kv_get(&r->form, "name");
	long long len = name ? valid_utf8_len(name, strlen(name)) : 0;
	long long limit = 0, active = 0;
	json_t *dev = NULL;
	enum dev_result e;

	if (name != NULL && *name == '\0')
		name = NULL;	/* the next free POS-nn */
	if (len < 0 || len > 200) {
		render(r, 400, json_pack("{s:{s:s}, s:{s:s}}", "errors", "name", "invalid",
		    "form", "name", len < 0 ? "" : name));
		return;
	}
	if (pages_savepoint(r) < 0) {
		pages_db_fail(r);
		return;
	}
	e = devices_create(r, name, &dev, &limit, &active);
	switch (e) {
	case DEV_OK:
		render(r, 201, shown_once(r, dev));
		return;
	case DEV_LIMIT:
		render(r, 409, limit_reached(limit, active));
		return;
	default:
		if (strcmp(r->db->sqlstate, "23505") == 0 && pages_rollback_savepoint(r) == 0) {
			/* that name is taken */
			render(r, 409, json_pack("{s:{s:s}, s:{s:s}}", "errors", "name", "taken",
			    "form", "name", name ? name : ""));
			return;
		}
		pages_db_fail(r);
	}
}

void
devices_page_revoke(struct req *r)
{
	json_t *dev = NULL;

	switch (devices_revoke(r, r->params[0], &dev)) {
	case DEV_OK:
		json_decref(dev);
		resp_redirect(r, 303, back_to(r));
		break;
	case DEV_NOT_FOUND:
		page_error(r, 404);
		break;
	default:
		pages_db_fail(r);
	}
}

void
devices_page_reset_key(struct req *r)
{
	json_t *dev = NULL;

	switch (devices_reset_key(r, r->params[0], &dev)) {
	case DEV_OK:
		render(r, 200, shown_once(r, dev));
		break;
	case DEV_NOT_FOUND:
		page_error(r, 404);
		break;
	case DEV_CONFLICT:
		/* a revoked till gets a key by being enabled, which takes a slot */
		render(r, 409, json_pack("{s:s}", "conflict", "revoked"));
		break;
	default:
		pages_db_fail(r);
	}
}

void
devices_page_enable(struct req *r)
{
	long long limit = 0, active = 0;
	json_t *dev = NULL;

	switch (devices_enable(r, r->params[0], &dev, &limit, &active)) {
	case DEV_OK:
		if (json_object_get(dev, "device_key") == NULL) {
			json_decref(dev);	/* it was not revoked: nothing changed */
			resp_redirect(r, 303, back_to(r));
		} else {
			render(r, 200, shown_once(r, dev));
		}
		break;
	case DEV_NOT_FOUND:
		page_error(r, 404);
		break;
	case DEV_LIMIT:
		render(r, 409, limit_reached(limit, active));
		break;
	default:
		pages_db_fail(r);
	}
}
