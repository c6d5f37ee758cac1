#include "users.h"

#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "list.h"
#include "password.h"
#include "router.h"
#include "tenants.h"
#include "valid.h"

const char *const users_roles[] = { "owner", "admin", "manager", "cashier", "cook", NULL };

#define USER_COLS \
	"id, email, role, language, is_active, totp_enabled, pin_hmac IS NOT NULL AS has_pin, " \
	"rfc3339(created_at) AS created_at, rfc3339(updated_at) AS updated_at"

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int
users_pin_ok(const char *pin)
{
	size_t n = pin ? strlen(pin) : 0, i;

	if (n < 4 || n > 6)
		return 0;
	for (i = 0; i < n; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return 0;
	return 1;
}

/* Only an owner may create or change an owner. */
static int
may_assign(struct req *r, const char *role)
{
	return role == NULL || strcmp(role, "owner") != 0 || r->who.role == ROLE_OWNER;
}

json_t *
users_create(struct req *r, json_t *body, const char **bad_field)
{
	static const struct vfield fields[] = {
		{ "email", V_EMAIL, 1, 0, 0, NULL, 0 },
		{ "password", V_STRING, 1, 12, 128, NULL, 0 },
		{ "role", V_ENUM, 1, 0, 0, users_roles, 0 },
		{ "pin", V_STRING, 0, 4, 6, NULL, 1 },
		{ "language", V_ENUM, 0, 0, 0, tenants_languages, 1 },
	};
	char hash[160];
	const char *pin, *v[5];
	PGresult *res;
	json_t *u;

	*bad_field = valid_check(r->a, body, fields, sizeof(fields) / sizeof(fields[0]), NULL);
	if (*bad_field != NULL)
		return NULL;
	pin = str(body, "pin");
	if (pin != NULL && !users_pin_ok(pin)) {
		*bad_field = "pin";
		return NULL;
	}
	if (!may_assign(r, str(body, "role"))) {
		resp_error(r, 403, "forbidden", "role");
		return NULL;
	}
	if (pw_hash(str(body, "password"), hash) < 0) {
		resp_error(r, 500, "internal", NULL);
		return NULL;
	}
	v[0] = str(body, "email");
	v[1] = hash;
	v[2] = str(body, "role");
	v[3] = pin ? crypto_pin_hmac(r->a, r->who.tenant_id, pin) : NULL;
	v[4] = str(body, "language");
	/* a taken email (any tenant) or PIN (this tenant) is a unique violation: 409 */
	res = db_exec(r, "INSERT INTO users (tenant_id, id, email, password_hash, role, pin_hmac, language) "
	    "VALUES (NULLIF(current_setting('app.tenant_id', true), '')::uuid, gen_random_uuid(), $1, "
	    "$2, $3, $4, $5) RETURNING " USER_COLS, 5, v);
	if (res == NULL) {
		db_fail(r);
		return NULL;
	}
	u = db_row_json(res, 0);
	if (audit(r, "user_created", "user", PQgetvalue(res, 0, 0),
	    json_pack("{s:s, s:s}", "email", v[0], "role", v[2])) < 0) {
		json_decref(u);
		db_fail(r);
		return NULL;
	}
	return u;
}

void
users_api_list(struct req *r)
{
	list_reply_rows_sql(r, "SELECT " USER_COLS " FROM users ORDER BY is_active DESC, created_at, email, id "
	    "LIMIT $1::int + 1 OFFSET $2::int", 0, NULL);
}

void
users_api_create(struct req *r)
{
	const char *bad = NULL;
	json_t *u = users_create(r, r->json, &bad);

	if (u != NULL)
		resp_json(r, 201, u);
	else if (bad != NULL)
		resp_error(r, 400, "validation_failed", bad);
}

static PGresult *
fetch(struct req *r, const char *id, int for_update)
{
	const char *v[1] = { id };

	return db_exec(r, for_update ? "SELECT " USER_COLS " FROM users WHERE id = $1 FOR UPDATE"
	    : "SELECT " USER_COLS " FROM users WHERE id = $1", 1, v);
}

void
users_api_get(struct req *r)
{
	PGresult *res = fetch(r, r->params[0], 0);

	db_reply_row(r, 200, res);
}

void
users_api_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "email", V_EMAIL, 0, 0, 0, NULL, 0 },
		{ "password", V_STRING, 0, 12, 128, NULL, 0 },
		{ "role", V_ENUM, 0, 0, 0, users_roles, 0 },
		{ "pin", V_STRING, 0, 4, 6, NULL, 1 },
		{ "language", V_ENUM, 0, 0, 0, tenants_languages, 1 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	char hash[160];
	const char *v[9], *pin;
	PGresult *res;
	json_t *active;

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0)
		return;
	pin = str(r->json, "pin");
	if (pin != NULL && !users_pin_ok(pin)) {
		resp_error(r, 400, "validation_failed", "pin");
		return;
	}
	res = fetch(r, r->params[0], 1);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	if (!may_assign(r, PQgetvalue(res, 0, 2)) || !may_assign(r, str(r->json, "role"))) {
		resp_error(r, 403, "forbidden", NULL);
		return;
	}
	if (str(r->json, "password") != NULL && pw_hash(str(r->json, "password"), hash) < 0) {
		resp_error(r, 500, "internal", NULL);
		return;
	}
	active = json_object_get(r->json, "is_active");
	v[0] = r->params[0];
	v[1] = str(r->json, "email");
	v[2] = str(r->json, "password") ? hash : NULL;
	v[3] = str(r->json, "role");
	v[4] = pin ? crypto_pin_hmac(r->a, r->who.tenant_id, pin) : NULL;
	v[5] = json_is_null(json_object_get(r->json, "pin")) ? "t" : "f";	/* null clears the PIN */
	v[6] = str(r->json, "language");
	v[7] = active ? (json_is_true(active) ? "t" : "f") : NULL;
	v[8] = json_object_get(r->json, "language") ? "t" : "f";
	res = db_exec(r, "UPDATE users SET email = coalesce($2, email), password_hash = coalesce($3, "
	    "password_hash), role = coalesce($4, role), pin_hmac = CASE WHEN $6::bool THEN NULL ELSE "
	    "coalesce($5, pin_hmac) END, language = CASE WHEN $9::bool THEN $7 ELSE language END, "
	    "is_active = coalesce($8::bool, is_active), "
	    "failed_logins = CASE WHEN $3 IS NULL THEN failed_logins ELSE 0 END, "
	    "locked_until = CASE WHEN $3 IS NULL THEN locked_until ELSE NULL END, updated_at = now() "
	    "WHERE id = $1 RETURNING " USER_COLS, 9, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	/* a deactivated user or a new password ends every session at once */
	if ((v[7] != NULL && v[7][0] == 'f') || v[2] != NULL) {
		const char *s[1] = { r->params[0] };

		if (db_exec(r, "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
		    1, s) == NULL) {
			db_fail(r);
			return;
		}
	}
	if (audit(r, "user_updated", "user", r->params[0], json_pack("{s:b, s:b, s:s?}",
	    "password", v[2] != NULL, "pin", pin != NULL || v[5][0] == 't', "role", v[3])) < 0) {
		db_fail(r);
		return;
	}
	resp_json(r, 200, db_row_json(res, 0));
}

void
users_api_delete(struct req *r)
{
	const char *v[1] = { r->params[0] };
	PGresult *res = fetch(r, r->params[0], 1);

	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	if (!may_assign(r, PQgetvalue(res, 0, 2)) || strcmp(r->params[0], r->who.user_id) == 0) {
		resp_error(r, 403, "forbidden", NULL);	/* not an owner by an admin, not oneself */
		return;
	}
	res = db_exec(r, "UPDATE users SET is_active = false, updated_at = now() WHERE id = $1 RETURNING " USER_COLS, 1, v);
	if (res == NULL ||
	    db_exec(r, "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", 1, v) == NULL ||
	    audit(r, "user_deactivated", "user", r->params[0], NULL) < 0) {
		db_fail(r);
		return;
	}
	resp_json(r, 200, db_row_json(res, 0));
}
