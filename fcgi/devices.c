#include "devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "i18n.h"
#include "list.h"
#include "token.h"
#include "valid.h"

#define DEV_COLS \
	"id, name, store_id, status, rfc3339(created_at) AS created_at, " \
	"rfc3339(activated_at) AS activated_at, rfc3339(last_seen_at) AS last_seen_at, " \
	"rfc3339(last_sync_at) AS last_sync_at, rfc3339(revoked_at) AS revoked_at"

/* Lock the tenant row and count the tills that hold a licence slot. */
/* Lock the tenant row, then count the tills that hold a licence slot.  Two
 * statements on purpose: in READ COMMITTED a count inside the locking
 * statement would come from its snapshot taken before the lock was granted,
 * so concurrent requests could all pass the limit. */
static int
lock_and_count(struct req *r, long long *limit, long long *active)
{
	PGresult *res = db_exec(r,
	    "SELECT max_devices FROM tenants "
	    "WHERE id = NULLIF(current_setting('app.tenant_id', true), '')::uuid FOR UPDATE", 0, NULL);

	if (res == NULL || PQntuples(res) != 1)
		return -1;
	*limit = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	res = db_exec(r, "SELECT count(*) FROM devices WHERE status <> 'revoked'", 0, NULL);
	if (res == NULL)
		return -1;
	*active = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	return 0;
}

static const char *
new_key(struct req *r, const char **hash)
{
	const char *key = crypto_random_key(r->a);
	const char *norm = crypto_normalize_key(r->a, key);

	*hash = crypto_sha256_hex(r->a, norm, strlen(norm));
	return key;
}

json_t *
devices_insert(struct req *r, const char *store_id, const char *name)
{
	const char *hash, *key = new_key(r, &hash), *v[3] = { store_id, name, hash };
	PGresult *res;
	json_t *d;

	res = db_exec(r, "INSERT INTO devices (tenant_id, id, store_id, name, key_hash) "
	    "VALUES (NULLIF(current_setting('app.tenant_id', true), '')::uuid, gen_random_uuid(), $1, "
	    "coalesce($2, (SELECT 'POS-' || lpad(g::text, 2, '0') FROM generate_series(1, 100000) g   "
	    "WHERE NOT EXISTS (SELECT FROM devices x WHERE x.name = 'POS-' || lpad(g::text, 2, "
	    "'0')) LIMIT 1)), $3) RETURNING " DEV_COLS, 3, v);
	if (res == NULL)
		return NULL;
	d = db_row_json(res, 0);
	json_object_set_new(d, "device_key", json_string(key));
	if (audit(r, "device_created", "device", PQgetvalue(res, 0, 0),
	    json_pack("{s:s}", "name", PQgetvalue(res, 0, 1))) < 0) {
		json_decref(d);
		return NULL;
	}
	return d;
}

enum dev_result
devices_create(struct req *r, const char *name, json_t **out, long long *limit, long long *active)
{
	if (lock_and_count(r, limit, active) < 0)
		return DEV_DB;
	if (*active >= *limit)
		return DEV_LIMIT;
	*out = devices_insert(r, r->who.store_id, name);
	return *out ? DEV_OK : DEV_DB;
}

static enum dev_result
update_one(struct req *r, const char *sql, const char *id, const char *hash, const char *action, json_t **out)
{
	const char *v[2] = { id, hash };
	PGresult *res = db_exec(r, sql, hash ? 2 : 1, v);

	if (res == NULL)
		return DEV_DB;
	if (PQntuples(res) != 1)
		return DEV_NOT_FOUND;
	*out = db_row_json(res, 0);
	if (audit(r, action, "device", id, NULL) < 0) {
		json_decref(*out);
		return DEV_DB;
	}
	return DEV_OK;
}

enum dev_result
devices_revoke(struct req *r, const char *id, json_t **out)
{
	/* bumping token_version kills every token the till holds, at once */
	return update_one(r,
	    "UPDATE devices SET status = 'revoked', revoked_at = coalesce(revoked_at, now()), "
	    "token_version = token_version + CASE WHEN status = 'revoked' THEN 0 ELSE 1 END, "
	    "key_hash = NULL, updated_at = now() WHERE id = $1 RETURNING " DEV_COLS, id, NULL, "device_revoked", out);
}

enum dev_result
devices_reset_key(struct req *r, const char *id, json_t **out)
{
	const char *hash, *key = new_key(r, &hash), *v[1] = { id };
	PGresult *res = db_exec(r, "SELECT status FROM devices WHERE id = $1 FOR UPDATE", 1, v);
	enum dev_result e;

	if (res == NULL)
		return DEV_DB;
	if (PQntuples(res) != 1)
		return DEV_NOT_FOUND;
	if (strcmp(PQgetvalue(res, 0, 0), "revoked") == 0)
		return DEV_CONFLICT;	/* enable it first: that takes a licence slot */
	e = update_one(r,
	    "UPDATE devices SET key_hash = $2, status = 'pending', token_version = token_version + 1, "
	    "activated_at = NULL, updated_at = now() WHERE id = $1 RETURNING " DEV_COLS, id, hash, "device_key_reset", out);
	if (e == DEV_OK)
		json_object_set_new(*out, "device_key", json_string(key));
	return e;
}

enum dev_result
devices_enable(struct req *r, const char *id, json_t **out, long long *limit, long long *active)
{
	const char *hash, *key, *v[1] = { id };
	PGresult *res;
	enum dev_result e;

	if (lock_and_count(r, limit, active) < 0)
		return DEV_DB;
	res = db_exec(r, "SELECT " DEV_COLS " FROM devices WHERE id = $1 FOR UPDATE", 1, v);
	if (res == NULL)
		return DEV_DB;
	if (PQntuples(res) != 1)
		return DEV_NOT_FOUND;
	if (strcmp(PQgetvalue(res, 0, PQfnumber(res, "status")), "revoked") != 0) {
		*out = db_row_json(res, 0);	/* already holds a slot: nothing to do */
		return DEV_OK;
	}
	if (*active >= *limit)
		return DEV_LIMIT;
	/* its old tokens died with the revocation: it activates again with a new key */
	key = new_key(r, &hash);
	e = update_one(r,
	    "UPDATE devices SET status = 'pending', key_hash = $2, revoked_at = NULL, activated_at = NULL, "
	    "updated_at = now() WHERE id = $1 RETURNING " DEV_COLS, id, hash, "device_enabled", out);
	if (e == DEV_OK)
		json_object_set_new(*out, "device_key", json_string(key));
	return e;
}

/* One page of tills, with max_devices and the active count; NULL on a
 * database failure. */
static PGresult *
devices_page(struct req *r, const struct list_page *pg, long long *limit, long long *active)
{
	const char *v[2] = { pg->limit_s, pg->offset_s };
	PGresult *res = db_exec(r, "SELECT " DEV_COLS " FROM devices ORDER BY created_at, name, id "
	    "LIMIT $1::int + 1 OFFSET $2::int", 2, v);
	PGresult *t;

	if (res == NULL)
		return NULL;
	t = db_exec(r, "SELECT max_devices, (SELECT count(*) FROM devices WHERE status <> 'revoked') "
	    "FROM tenants WHERE id = NULLIF(current_setting('app.tenant_id', true), '')::uuid", 0, NULL);
	if (t == NULL || PQntuples(t) != 1)
		return NULL;
	*limit = strtoll(PQgetvalue(t, 0, 0), NULL, 10);
	*active = strtoll(PQgetvalue(t, 0, 1), NULL, 10);
	return res;
}

json_t *
devices_list(struct req *r)
{
	struct list_page pg = { 500, "500", NULL, "0" };
	long long limit, active;
	PGresult *res = devices_page(r, &pg, &limit, &active);

	if (res == NULL)
		return NULL;
	return json_pack("{s:o, s:I, s:I}", "items", db_rows_json(res),
	    "max_devices", (json_int_t)limit, "active_count", (json_int_t)active);
}

void
devices_limit_error(struct req *r, long long limit, long long active)
{
	const char *msg = i18n_get(app.cat, r->lang, "device.limit_reached");

	resp_error_msg(r, 409, "device_limit_reached", NULL, msg ? msg : "Till limit reached");
	/* the numbers, for the page and the client: limit and tills in use */
	{
		json_t *body = json_loadb(r->resp.body.p, r->resp.body.len, 0, NULL);

		if (body != NULL) {
			json_t *e = json_object_get(body, "error");

			json_object_set_new(e, "max_devices", json_integer(limit));
			json_object_set_new(e, "active_count", json_integer(active));
			resp_json(r, 409, body);
		}
	}
}

static void
answer(struct req *r, enum dev_result e, json_t *out, int ok_status, long long limit, long long active)
{
	switch (e) {
	case DEV_OK:
		resp_json(r, ok_status, out);
		break;
	case DEV_NOT_FOUND:
		resp_error(r, 404, "not_found", NULL);
		break;
	case DEV_LIMIT:
		devices_limit_error(r, limit, active);
		break;
	case DEV_CONFLICT:
		resp_error(r, 409, "conflict", NULL);
		break;
	case DEV_DB:
		db_fail(r);
		break;
	}
}

void
devices_api_list(struct req *r)
{
	struct list_page pg;
	long long limit, active;
	PGresult *res;

	if (list_parse(r, &pg) < 0)
		return;
	res = devices_page(r, &pg, &limit, &active);
	if (res == NULL)
		db_fail(r);
	else
		list_reply_extra(r, &pg, res, NULL, json_pack("{s:I, s:I}",
		    "max_devices", (json_int_t)limit, "active_count", (json_int_t)active));
}

void
devices_api_create(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 1 },
	};
	json_t *out = NULL;
	long long limit = 0, active = 0;
	enum dev_result e;

	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	e = devices_create(r, json_string_value(json_object_get(r->json, "name")), &out, &limit, &active);
	answer(r, e, out, 201, limit, active);
}

void
devices_api_revoke(struct req *r)
{
	json_t *out = NULL;
	enum dev_result e = devices_revoke(r, r->params[0], &out);

	answer(r, e, out, 200, 0, 0);
}

void
devices_api_reset_key(struct req *r)
{
	json_t *out = NULL;
	enum dev_result e = devices_reset_key(r, r->params[0], &out);

	answer(r, e, out, 200, 0, 0);
}

void
devices_api_enable(struct req *r)
{
	json_t *out = NULL;
	long long limit = 0, active = 0;
	enum dev_result e = devices_enable(r, r->params[0], &out, &limit, &active);

	answer(r, e, out, 200, limit, active);
}

void
devices_api_activate(struct req *r)
{
	static const struct vfield fields[] = {
		{ "device_key", V_STRING, 1, 1, 64, NULL, 0 },
	};
	const char *norm, *v[2];
	PGresult *res;
	struct token tk;
	const char *jwt, *tenant;

	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	norm = crypto_normalize_key(r->a, json_string_value(json_object_get(r->json, "device_key")));
	if (norm == NULL) {
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	v[0] = crypto_sha256_hex(r->a, norm, strlen(norm));
	res = db_exec(r, "SELECT tenant_id, device_id FROM auth_find_device_key($1)", 1, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	tenant = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	if (db_begin(r, tenant) < 0) {
		db_fail(r);
		return;
	}
	/* the key is spent in the same statement that activates the till */
	res = db_exec(r, "UPDATE devices SET key_hash = NULL, status = 'active', activated_at = now(), "
	    "last_seen_at = now(), updated_at = now() WHERE key_hash = $1 AND status <> 'revoked' "
	    "RETURNING id, name, store_id, token_version", 1, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		db_rollback(r);
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	memset(&tk, 0, sizeof(tk));
	tk.aud = "pos-device";
	tk.sub = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	tk.tid = tenant;
	tk.store = arena_strdup(r->a, PQgetvalue(res, 0, 2));
	tk.ver = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	jwt = token_issue(r->a, &tk, DEVICE_TOKEN_TTL);
	r->who.device_id = tk.sub;	/* the audit row names the till */
	if (jwt == NULL || audit(r, "device_activated", "device", r->who.device_id, NULL) < 0 ||
	    db_commit(r) < 0) {
		db_fail(r);
		return;
	}
	resp_json(r, 200, json_pack("{s:s, s:{s:s, s:s, s:s}}", "device_token", jwt, "device",
	    "id", PQgetvalue(res, 0, 0), "name", PQgetvalue(res, 0, 1), "store_id", PQgetvalue(res, 0, 2)));
}
