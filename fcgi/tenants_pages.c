/* Pages of tenancy and licensing: the onboarding form (bootstrap) and the
 * superadmin's platform page (tenants, till limits, licence codes, the
 * audit log).  The dashboard's home is in reports_pages.c. */
#include "pages.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "qr.h"
#include "router.h"
#include "server.h"
#include "tenants.h"
#include "valid.h"

static json_t *
str_array(const char *const *v)
{
	json_t *a = json_array();

	for (; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* ---- /onboarding ---- */

static const char *const onboarding_fields[] = {
	"tenant_name", "store_name", "owner_email", "owner_password", "licence_code",
	"base_currency", "time_zone", "language", NULL,
};

/* The rules of POST /api/bootstrap, checked field by field first so the
 * form marks every mistake at once; tenants_bootstrap() checks again. */
static const struct vfield onboarding_checks[] = {
	{ "tenant_name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "store_name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "owner_email", V_EMAIL, 1, 0, 0, NULL, 0 },
	{ "owner_password", V_STRING, 1, 12, 128, NULL, 0 },
	{ "base_currency", V_ENUM, 0, 0, 0, tenants_currencies, 1 },
	{ "time_zone", V_STRING, 0, 1, 64, NULL, 1 },
	{ "language", V_ENUM, 0, 0, 0, tenants_languages, 1 },
	{ "licence_code", V_STRING, 0, 1, 64, NULL, 1 },
};

/* The time zones of the markets served; the API takes any IANA name. */
static const char *const time_zones[] = {
	"Asia/Baku", "Asia/Tashkent", "Asia/Samarkand", "Asia/Almaty", "Asia/Aqtobe",
	"Asia/Qostanay", "Europe/Moscow", "UTC", NULL,
};

static void
render_onboarding(struct req *r, int status, json_t *form, json_t *errors)
{
	json_object_del(form, "owner_password");	/* never echoed back */
	if (json_object_get(form, "base_currency") == NULL)
		json_object_set_new(form, "base_currency", json_string("AZN"));
	if (json_object_get(form, "time_zone") == NULL)
		json_object_set_new(form, "time_zone", json_string("Asia/Baku"));
	if (json_object_get(form, "language") == NULL)
		json_object_set_new(form, "language", json_string(r->lang));
	page_render(r, status, "onboarding", json_pack("{s:o, s:o, s:o, s:o}", "form", form,
	    "errors", errors ? errors : json_object(), "currencies", str_array(tenants_currencies),
	    "time_zones", str_array(time_zones)));
}

void
tenants_page_onboarding(struct req *r)
{
	render_onboarding(r, 200, json_object(), NULL);
}

void
tenants_page_onboarding_post(struct req *r)
{
	json_t *body = pages_form_json(r, onboarding_fields), *reply, *dev;
	const char *bad = NULL, *key;
	json_t *check = json_object();

	if (pages_check_fields(r, check, body, onboarding_checks,
	    sizeof(onboarding_checks) / sizeof(onboarding_checks[0])) > 0) {
		render_onboarding(r, 400, body, json_incref(json_object_get(check, "errors")));
		json_decref(check);
		return;
	}
	json_decref(check);
	reply = tenants_bootstrap(r, body, &bad);
	if (reply == NULL) {
		json_t *errors = json_object();
		int status = r->resp.status;

		if (bad != NULL) {
			json_object_set_new(errors, bad, json_string("invalid"));
			status = 400;
		} else if (status == 403) {
			/* no code, or one that is unknown or spent */
			json_object_set_new(errors, "licence_code", json_string(
			    json_object_get(body, "licence_code") ? "invalid" : "required"));
		} else if (status == 409) {
			json_object_set_new(errors, "owner_email", json_string("taken"));
		} else {
			json_decref(errors);
			json_decref(body);
			pages_fail(r);
			return;
		}
		render_onboarding(r, status, body, errors);
		return;
	}
	json_decref(body);
	dev = json_object_get(reply, "device");
	key = json_string_value(json_object_get(dev, "device_key"));
	page_render(r, 201, "onboarding_done", json_pack("{s:s, s:s, s:{s:s, s:s, s:s?}}",
	    "tenant_name", json_string_value(json_object_get(json_object_get(reply, "tenant"), "name")),
	    "store_name", json_string_value(json_object_get(json_object_get(reply, "store"), "name")),
	    "device", "name", json_string_value(json_object_get(dev, "name")), "key", key,
	    "qr", qr_svg(r->a, key)));
	json_decref(reply);
}

/* ---- /platform ---- */

/* The tenants table pages by ?page= (50 a page); its forms carry the page
 * they were sent from and lead back to it.  The audit table is the latest
 * 50 entries only (the whole log: GET /api/audit). */
#define PER_PAGE 50

/* Tenants of page (1-based), one more than a page when another follows. */
static PGresult *
fetch_tenants(struct req *r, int page)
{
	const char *v[2] = { arena_printf(r->a, "%d", PER_PAGE),
	    arena_printf(r->a, "%lld", (long long)(page - 1) * PER_PAGE) };

	return db_exec(r, "SELECT id, name, max_devices, devices_active, "
	    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS created "
	    "FROM platform_tenants() ORDER BY created_at DESC, id LIMIT $1::int + 1 OFFSET $2::int", 2, v);
}

/* The page itself; extra holds what the action that led here adds
 * (licence_code, errors, row_error) and is stolen. */
static void
render_platform(struct req *r, int status, json_t *extra)
{
	PGresult *tenants, *log, *cnt;
	json_t *model;
	int page = pages_page_no(r), more;

	tenants = fetch_tenants(r, page);
	if (tenants != NULL && PQntuples(tenants) == 0 && page > 1) {
		/* past the end: the last page, as the catalogue lists do */
		cnt = db_exec(r, "SELECT count(*) FROM platform_tenants()", 0, NULL);
		if (cnt != NULL) {
			long long total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);

			page = total > 0 ? (int)((total + PER_PAGE - 1) / PER_PAGE) : 1;
			tenants = fetch_tenants(r, page);
		} else {
			tenants = NULL;
		}
	}
	log = tenants ? db_exec(r, "SELECT a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at, "
	    "t.name AS tenant, a.action, a.object_type, a.ip, "
	    "left(coalesce(a.user_id, a.device_id)::text, 8) AS actor "
	    "FROM platform_audit(NULL, 50) a LEFT JOIN platform_tenants() t ON t.id = a.tenant_id "
	    "ORDER BY a.id DESC", 0, NULL) : NULL;
	if (log == NULL) {
		json_decref(extra);
		pages_db_fail(r);
		return;
	}
	more = PQntuples(tenants) > PER_PAGE;
	model = json_pack("{s:o, s:i, s:o, s:o}", "tenants", db_rows_json(tenants), "page", page,
	    "pager", pages_pager(r, "/platform?", page, more ? (long long)page + 1 : page, more), "audit", db_rows_json(log));
	if (more)
		json_array_remove(json_object_get(model, "tenants"), PER_PAGE);
	if (extra != NULL) {
		json_object_update(model, extra);
		json_decref(extra);
	}
	if (json_object_get(model, "errors") == NULL)
		json_object_set_new(model, "errors", json_object());
	page_render(r, status, "platform", model);
}

void
tenants_page_platform(struct req *r)
{
	render_platform(r, 200, NULL);
}

/* A whole number in [lo, hi] and nothing else; -1 otherwise. */
static long long
form_int(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

void
tenants_page_max_devices(struct req *r)
{
	const char *typed = kv_get(&r->form, "max_devices"), *v[1] = { r->params[0] };
	long long max = form_int(typed, 0, 10000);
	json_t *t = NULL, *row;
	PGresult *res;
	int status, page;

	if (max < 0) {
		row = json_pack("{s:s, s:s, s:s?}", "id", r->params[0], "kind", "invalid", "value", typed);
		render_platform(r, 400, json_pack("{s:o}", "row_error", row));
		return;
	}
	switch (tenants_set_max_devices(r, r->params[0], max, &t)) {
	case 0:
		json_decref(t);
		page = pages_page_parse(kv_get(&r->form, "page"));
		resp_redirect(r, 303, page > 1 ? arena_printf(r->a, "/platform?page=%d", page) : "/platform");
		return;
	case 1:
		page_error(r, 404);
		return;
	case 2:
		status = 409;
		break;
	default:
		pages_db_fail(r);
		return;
	}
	/* below the tills in use: say how many there are */
	res = db_exec(r, "SELECT devices_active FROM platform_tenants() WHERE id = $1", 1, v);
	if (res == NULL || PQntuples(res) != 1) {
		pages_db_fail(r);
		return;
	}
	row = json_pack("{s:s, s:s, s:s, s:I}", "id", r->params[0], "kind", "below", "value", typed,
	    "active", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10));
	render_platform(r, status, json_pack("{s:o}", "row_error", row));
}

void
tenants_page_licence_code(struct req *r)
{
	const char *note = kv_get(&r->form, "note");
	long long len = note ? valid_utf8_len(note, strlen(note)) : 0;
	json_t *o;

	if (len < 0 || len > 1000) {
		render_platform(r, 400, json_pack("{s:{s:s}}", "errors", "note", "invalid"));
		return;
	}
	o = tenants_new_licence_code(r, note && *note ? note : NULL);
	if (o == NULL) {
		pages_db_fail(r);
		return;
	}
	render_platform(r, 201, json_pack("{s:s, s:s?}", "licence_code",
	    json_string_value(json_object_get(o, "code")), "licence_note",
	    json_string_value(json_object_get(o, "note"))));
	json_decref(o);
}
