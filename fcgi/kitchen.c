#include "kitchen.h"

#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "http.h"
#include "list.h"
#include "router.h"
#include "valid.h"

static const char *const steps[] = { "new", "cooking", "ready", "served", NULL };

static int
step_of(const char *s)
{
	int i;

	for (i = 0; steps[i] != NULL; i++)
		if (strcmp(steps[i], s) == 0)
			return i;
	return -1;
}

/* Open tickets of the caller's store, oldest first: not yet served, and
 * paid (a cancelled order leaves the kitchen).  Paged like every list
 * (?limit=, ?cursor=), 500 a page unless asked for fewer; the cursor is the
 * last ticket's id and the next page
 * starts after its (created_at, number, id), so a ticket served between two
 * pages never shifts one out of sight. */
void
kitchen_api_orders(struct req *r)
{
	const char *cursor = kv_get(&r->query_params, "cursor"), *v[3];
	struct list_page pg;
	PGresult *res;

	/* a kitchen's client wants every open ticket in one answer: the
	 * largest page unless it asks for less */
	if (list_parse_limit(r, &pg, 500) < 0)
		return;
	if (cursor != NULL && *cursor == '\0')
		cursor = NULL;
	if (cursor != NULL && !http_is_uuid(cursor)) {
		resp_error(r, 400, "validation_failed", "cursor");
		return;
	}
	v[0] = pg.limit_s;
	v[1] = r->who.store_id;
	v[2] = cursor;
	if (cursor != NULL) {
		/* a cursor names a ticket of this store (served since is fine) */
		const char *cv[2] = { cursor, r->who.store_id };

		res = db_exec(r, "SELECT FROM orders WHERE id = $1::uuid AND store_id = $2::uuid", 2, cv);
		if (res == NULL) {
			db_fail(r);
			return;
		}
		if (PQntuples(res) != 1) {
			resp_error(r, 400, "validation_failed", "cursor");
			return;
		}
	}
	res = db_exec(r, "SELECT api_order(o) - 'payments', o.id FROM orders o "
	    "WHERE o.store_id = $2::uuid AND o.kitchen_status <> 'served' AND o.status = 'paid' "
	    "AND ($3::uuid IS NULL OR (o.created_at, o.number, o.id) > "
	    "  (SELECT c.created_at, c.number, c.id FROM orders c WHERE c.id = $3::uuid AND c.store_id = $2::uuid)) "
	    "ORDER BY o.created_at, o.number, o.id LIMIT $1::int + 1", 3, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	list_reply_objects(r, &pg, res, 1);
}

void
kitchen_api_status(struct req *r)
{
	static const struct vfield fields[] = {
		{ "status", V_ENUM, 1, 0, 0, steps, 0 },
	};
	const char *to, *v[3];
	PGresult *res;
	int from;

	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	to = json_string_value(json_object_get(r->json, "status"));
	v[0] = r->params[0];
	v[1] = r->who.store_id;
	res = db_exec(r, "SELECT kitchen_status FROM orders WHERE id = $1 AND store_id = $2 FOR UPDATE", 2, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	from = step_of(PQgetvalue(res, 0, 0));
	/* forward only, one or more steps; a manager may also step back */
	if (step_of(to) <= from && !(r->who.role & ROLES_MANAGER_UP && step_of(to) != from)) {
		resp_error(r, 400, "validation_failed", "status");
		return;
	}
	v[2] = to;
	res = db_exec(r, "UPDATE orders SET kitchen_status = $3, kitchen_updated_at = now() "
	    "WHERE id = $1 AND store_id = $2 RETURNING api_order(orders) - 'payments'", 3, v);
	if (res == NULL || audit(r, "kitchen_status", "order", r->params[0],
	    json_pack("{s:s, s:s}", "from", steps[from], "to", to)) < 0) {
		db_fail(r);
		return;
	}
	resp_text(r, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}
