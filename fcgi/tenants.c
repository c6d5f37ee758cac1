#include "tenants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "devices.h"
#include "http.h"
#include "list.h"
#include "log.h"
#include "password.h"
#include "router.h"
#include "valid.h"

const char *const tenants_currencies[] = { "AZN", "USD", "EUR", "KZT", "UZS", "RUB", NULL };
const char *const tenants_languages[] = { "ru", "az", "uz", "en", NULL };

static const struct vfield bootstrap_fields[] = {
	{ "tenant_name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "store_name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "owner_email", V_EMAIL, 1, 0, 0, NULL, 0 },
	{ "owner_password", V_STRING, 1, 12, 128, NULL, 0 },
	{ "base_currency", V_ENUM, 0, 0, 0, tenants_currencies, 1 },
	{ "language", V_ENUM, 0, 0, 0, tenants_languages, 1 },
	{ "time_zone", V_STRING, 0, 1, 64, NULL, 1 },
	{ "licence_code", V_STRING, 0, 1, 64, NULL, 1 },
};

/* 1 if PostgreSQL knows the time zone name, 0 if not, -1 on failure. */
static int
tz_known(struct req *r, const char *tz)
{
	const char *v[1] = { tz };
	PGresult *res = db_exec(r, "SELECT FROM pg_timezone_names WHERE name = $1", 1, v);

	return res == NULL ? -1 : PQntuples(res) > 0;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

json_t *
tenants_bootstrap(struct req *r, json_t *body, const char **bad_field)
{
	const char *code, *tz, *v[8];
	char hash[160];
	PGresult *res;
	json_t *dev, *reply;
	const char *tenant_id, *store_id, *owner_id;

	*bad_field = valid_check(r->a, body, bootstrap_fields,
	    sizeof(bootstrap_fields) / sizeof(bootstrap_fields[0]), NULL);
	if (*bad_field != NULL)
		return NULL;
	tz = str(body, "time_zone");
	switch (tz ? tz_known(r, tz) : 1) {
	case -1:
		db_fail(r);
		return NULL;
	case 0:
		*bad_field = "time_zone";
		return NULL;
	}
	res = db_exec(r, "SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid()", 0, NULL);
	if (res == NULL) {
		db_fail(r);
		return NULL;
	}
	tenant_id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	store_id = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	owner_id = arena_strdup(r->a, PQgetvalue(res, 0, 2));

	/* Who may: the superadmin, a holder of an unused licence code (spent in
	 * this same transaction), or anyone when signup is open. */
	code = str(body, "licence_code");
	if (code != NULL) {
		const char *norm = crypto_normalize_key(r->a, code);

		v[0] = norm ? crypto_sha256_hex(r->a, norm, strlen(norm)) : "";
		v[1] = tenant_id;
		res = db_exec(r, "SELECT licence_spend($1, $2)", 2, v);
		if (res == NULL) {
			db_fail(r);
			return NULL;
		}
		if (PQgetvalue(res, 0, 0)[0] != 't') {
			resp_error(r, 403, "forbidden", "licence_code");
			return NULL;
		}
	} else if (r->who.role != ROLE_SUPERADMIN && strcmp(app.cfg.signup, "open") != 0) {
		resp_error(r, 403, "forbidden", NULL);
		return NULL;
	}
	if (pw_hash(str(body, "owner_password"), hash) < 0) {
		resp_error(r, 500, "internal", NULL);
		return NULL;
	}
	v[0] = tenant_id;
	if (db_exec(r, "SELECT set_config('app.tenant_id', $1, true)", 1, v) == NULL)
		goto dbfail;
	v[1] = str(body, "tenant_name");
	if (db_exec(r, "INSERT INTO tenants (id, name) VALUES ($1, $2)", 2, v) == NULL)
		goto dbfail;
	v[1] = store_id;
	v[2] = str(body, "store_name");
	v[3] = str(body, "base_currency");
	v[4] = str(body, "language");
	v[5] = tz;
	if (db_exec(r, "INSERT INTO stores (tenant_id, id, name, base_currency, language, time_zone) "
	    "VALUES ($1, $2, $3, coalesce($4, 'AZN'), coalesce($5, 'ru'), coalesce($6, 'Asia/Baku'))", 6, v) == NULL)
		goto dbfail;
	v[1] = owner_id;
	v[2] = str(body, "owner_email");
	v[3] = hash;
	v[4] = str(body, "language");
	if (db_exec(r, "INSERT INTO users (tenant_id, id, email, password_hash, role, language) "
	    "VALUES ($1, $2, $3, $4, 'owner', $5)", 5, v) == NULL)
		goto dbfail;
	dev = devices_insert(r, store_id, "POS-01");
	if (dev == NULL)
		goto dbfail;
	reply = json_pack("{s:{s:s, s:s, s:i}, s:{s:s, s:s}, s:{s:s, s:s}, s:o}",
	    "tenant", "id", tenant_id, "name", str(body, "tenant_name"), "max_devices", 1,
	    "store", "id", store_id, "name", str(body, "store_name"),
	    "owner", "id", owner_id, "email", str(body, "owner_email"),
	    "device", dev);
	if (audit(r, "bootstrap", "tenant", tenant_id, json_pack("{s:s, s:b}", "store", store_id,
	    "licence_code", code != NULL)) < 0) {
		json_decref(reply);
		goto dbfail;
	}
	return reply;
dbfail:
	db_fail(r);
	return NULL;
}

void
tenants_api_bootstrap(struct req *r)
{
	const char *bad;
	json_t *reply = tenants_bootstrap(r, r->json, &bad);

	if (reply != NULL)
		resp_json(r, 201, reply);
	else if (bad != NULL)
		resp_error(r, 400, "validation_failed", bad);
}

void
tenants_api_list(struct req *r)
{
	list_reply_rows_sql(r,
	    "SELECT id, name, max_devices, is_active, rfc3339(created_at) AS created_at, "
	    "devices_total, devices_active, devices_active AS device_count FROM platform_tenants() "
	    "LIMIT $1::int + 1 OFFSET $2::int", 0, NULL);
}

int
tenants_set_max_devices(struct req *r, const char *tenant_id, long long max, json_t **out)
{
	char n[24];
	const char *v[2] = { tenant_id, n };
	PGresult *res;

	if (strcmp(tenant_id, PLATFORM_TENANT) == 0)
		return 1;
	snprintf(n, sizeof(n), "%lld", max);
	/* act inside the target tenant: its row and devices become visible */
	if (db_exec(r, "SELECT set_config('app.tenant_id', $1, true)", 1, v) == NULL)
		return -1;
	/* lock first, count in a statement of its own (see devices.c) */
	res = db_exec(r, "SELECT FROM tenants WHERE id = $1 FOR UPDATE", 1, v);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
		return 1;
	res = db_exec(r, "SELECT count(*) FROM devices WHERE status <> 'revoked'", 0, NULL);
	if (res == NULL)
		return -1;
	if (max < strtoll(PQgetvalue(res, 0, 0), NULL, 10))
		return 2;
	res = db_exec(r, "UPDATE tenants SET max_devices = $2::int, updated_at = now() WHERE id = $1 "
	    "RETURNING id, name, max_devices, is_active, "
	    "(SELECT count(*) FROM devices WHERE status <> 'revoked') AS devices_active", 2, v);
	if (res == NULL)
		return -1;
	*out = db_row_json(res, 0);
	if (audit(r, "tenant_max_devices", "tenant", tenant_id, json_pack("{s:I}", "max_devices", max)) < 0) {
		json_decref(*out);
		return -1;
	}
	return 0;
}

void
tenants_api_max_devices(struct req *r)
{
	static const struct vfield fields[] = {
		{ "max_devices", V_INT, 1, 0, 10000, NULL, 0 },
	};
	json_t *t = NULL;

	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	switch (tenants_set_max_devices(r, r->params[0],
	    json_integer_value(json_object_get(r->json, "max_devices")), &t)) {
	case 0:
		resp_json(r, 200, t);
		break;
	case 1:
		resp_error(r, 404, "not_found", NULL);
		break;
	case 2:
		resp_error(r, 409, "conflict", "max_devices");
		break;
	default:
		db_fail(r);
	}
}

json_t *
tenants_new_licence_code(struct req *r, const char *note)
{
	const char *code = crypto_random_key(r->a);
	const char *norm = crypto_normalize_key(r->a, code);
	const char *v[3] = { crypto_sha256_hex(r->a, norm, strlen(norm)), note, r->who.user_id };
	PGresult *res;
	json_t *o;

	res = db_exec(r, "INSERT INTO licence_codes (id, code_hash, note, created_by) "
	    "VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id, note, rfc3339(created_at) AS created_at", 3, v);
	if (res == NULL)
		return NULL;
	o = db_row_json(res, 0);
	json_object_set_new(o, "code", json_string(code));
	if (audit(r, "licence_code_issued", "licence_code", PQgetvalue(res, 0, 0), NULL) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void
tenants_api_licence_code(struct req *r)
{
	static const struct vfield fields[] = {
		{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
	};
	json_t *o;

	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	o = tenants_new_licence_code(r, str(r->json, "note"));
	if (o == NULL)
		db_fail(r);
	else
		resp_json(r, 201, o);
}

#define STORE_COLS \
	"id, name, time_zone, language, base_currency, rfc3339(created_at) AS created_at, " \
	"rfc3339(updated_at) AS updated_at"

void
tenants_api_store_get(struct req *r)
{
	const char *v[1] = { r->who.store_id };
	PGresult *res = db_exec(r, "SELECT " STORE_COLS " FROM stores WHERE id = $1", 1, v);

	db_reply_row(r, 200, res);
}

void
tenants_api_store_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 0 },
		{ "time_zone", V_STRING, 0, 1, 64, NULL, 0 },
		{ "language", V_ENUM, 0, 0, 0, tenants_languages, 0 },
		{ "base_currency", V_ENUM, 0, 0, 0, tenants_currencies, 0 },
	};
	const char *v[5];
	PGresult *res;

	if (valid_object(r, r->json, fields, 4, NULL) < 0)
		return;
	v[0] = r->who.store_id;
	v[1] = str(r->json, "name");
	v[2] = str(r->json, "time_zone");
	v[3] = str(r->json, "language");
	v[4] = str(r->json, "base_currency");
	switch (v[2] ? tz_known(r, v[2]) : 1) {
	case -1:
		db_fail(r);
		return;
	case 0:
		resp_error(r, 400, "validation_failed", "time_zone");
		return;
	}
	res = db_exec(r, "UPDATE stores SET name = coalesce($2, name), time_zone = coalesce($3, time_zone), "
	    "language = coalesce($4, language), base_currency = coalesce($5, base_currency), "
	    "updated_at = now() WHERE id = $1 RETURNING " STORE_COLS, 5, v);
	if (res == NULL || audit(r, "store_updated", "store", r->who.store_id,
	    json_incref(r->json)) < 0) {
		db_fail(r);
		return;
	}
	db_reply_row(r, 200, res);
}
