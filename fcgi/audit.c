#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "list.h"
#include "router.h"

int
audit(struct req *r, const char *action, const char *object_type,
    const char *object_id, json_t *detail)
{
	char *d = NULL;
	const char *v[7];

	if (detail != NULL) {
		d = json_dumps(detail, JSON_COMPACT);
		json_decref(detail);
		if (d != NULL)
			arena_defer(r->a, free, d);
	}
	v[0] = r->who.kind == AUTHK_USER || (r->who.kind == AUTHK_DEVICE && r->who.user_id) ? r->who.user_id : NULL;
	v[1] = r->who.device_id;
	v[2] = action;
	v[3] = object_type;
	v[4] = object_id;
	v[5] = d;
	v[6] = r->remote_addr;
	{
		const char *vals[8] = { v[0], v[1], v[2], v[3], v[4], v[5], v[6], r->request_id };

		return db_exec(r,
		    "INSERT INTO audit_log (tenant_id, user_id, device_id, action, object_type, object_id, detail, ip, request_id) "
		    "VALUES (NULLIF(current_setting('app.tenant_id', true), '')::uuid, $1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
		    8, vals) == NULL ? -1 : 0;
	}
}

/* Owners and admins see their tenant's log; the superadmin sees all. */
void
audit_api_list(struct req *r)
{
	#define AUDIT_COLS \
	"id, rfc3339(at) AS at, tenant_id, user_id, device_id, action, object_type, object_id, detail, ip"
	struct list_page pg;
	PGresult *res;
	const char *v[2];

	if (list_parse(r, &pg) < 0)
		return;
	v[0] = pg.cursor;
	v[1] = pg.limit_s;
	if (r->who.role == ROLE_SUPERADMIN)
		res = db_exec(r, "SELECT " AUDIT_COLS " FROM platform_audit($1::bigint, $2::int + 1)", 2, v);
	else
		res = db_exec(r, "SELECT " AUDIT_COLS " FROM audit_log WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2::int + 1", 2, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	list_reply(r, &pg, res, "id");
}
