/* The Settings page of the dashboard (/dashboard/settings, owner/admin):
 * the store's name, time zone, language and base currency, with the rules
 * of PATCH /api/store (time zones are the names PostgreSQL knows), and
 * links to the Staff and Tills pages. */
#include "pages.h"

#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "tenants.h"
#include "valid.h"

static const char *const fields[] = { "name", "time_zone", "language", "base_currency", NULL };

/* The rules of PATCH /api/store, every field required on the form. */
static const struct vfield checks[] = {
	{ "name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "time_zone", V_STRING, 1, 1, 64, NULL, 0 },
	{ "language", V_ENUM, 1, 0, 0, tenants_languages, 0 },
	{ "base_currency", V_ENUM, 1, 0, 0, tenants_currencies, 0 },
};

/* The region's zones come first in the list; then every other one. */
static const char *const common_zones[] = {
	"Asia/Baku", "Asia/Almaty", "Asia/Tashkent", "Asia/Aqtobe", "Europe/Moscow", NULL,
};

/* Done messages after a redirect (PRG): only these words are shown. */
static const char *const done_words[] = { "saved", NULL };

static int
listed(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static json_t *
str_array(const char *const *v)
{
	json_t *a = json_array();

	for (; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* The store's settings as a form object; NULL with the failure page set. */
static json_t *
current(struct req *r)
{
	const char *v[1] = { r->who.store_id };
	PGresult *res = db_exec(r, "SELECT name, time_zone, language, base_currency FROM stores WHERE id = $1::uuid",
	    1, v);

	if (res == NULL) {
		pages_db_fail(r);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return NULL;
	}
	return db_row_json(res, 0);
}

/* Render the page with form (stolen: the values shown) and errors (stolen,
 * may be NULL). */
static void
render(struct req *r, int status, json_t *form, json_t *errors)
{
	const char *tz = json_string_value(json_object_get(form, "time_zone"));
	const char *done = kv_get(&r->query_params, "done");
	PGresult *res;
	json_t *zones, *model;
	int i, n, seen = listed(tz, common_zones);

	/* posix/ and right/ repeat the same zones under other names */
	res = db_exec(r, "SELECT name FROM pg_timezone_names "
	    "WHERE name NOT LIKE 'posix/%' AND name NOT LIKE 'right/%' ORDER BY name", 0, NULL);
	if (res == NULL) {
		json_decref(form);
		json_decref(errors);
		pages_db_fail(r);
		return;
	}
	zones = json_array();
	for (i = 0, n = PQntuples(res); i < n; i++) {
		const char *z = PQgetvalue(res, i, 0);

		if (listed(z, common_zones))
			continue;
		if (tz != NULL && strcmp(z, tz) == 0)
			seen = 1;
		json_array_append_new(zones, json_string(z));
	}
	model = json_pack("{s:o, s:o, s:o, s:o, s:o}", "form", form,
	    "errors", errors ? errors : json_object(), "common_zones", str_array(common_zones),
	    "zones", zones, "currencies", str_array(tenants_currencies));
	/* a value the lists lack (unknown, or posix/…) is kept on the form */
	if (tz != NULL && !seen)
		json_object_set_new(model, "other_zone", json_string(tz));
	if (status == 200 && listed(done, done_words))
		json_object_set_new(model, "done", json_string(done));
	page_render(r, status, "dashboard/settings", model);
}

void
settings_page(struct req *r)
{
	json_t *form = current(r);

	if (form != NULL)
		render(r, 200, form, NULL);
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void
settings_page_post(struct req *r)
{
	json_t *body = pages_form_json(r, fields), *check = json_object(), *errors, *old, *changed;
	const char *name = str(body, "name"), *tz, *v[5];
	size_t i;

	pages_check_fields(r, check, body, checks, sizeof(checks) / sizeof(checks[0]));
	errors = json_incref(json_object_get(check, "errors"));
	json_decref(check);
	if (errors == NULL)
		errors = json_object();
	if (name != NULL && strspn(name, " \t\r\n") == strlen(name))
		json_object_set_new(errors, "name", json_string("invalid"));
	tz = str(body, "time_zone");
	if (tz != NULL && json_object_get(errors, "time_zone") == NULL) {
		const char *z[1] = { tz };
		PGresult *res = db_exec(r, "SELECT FROM pg_timezone_names WHERE name = $1", 1, z);

		if (res == NULL) {
			json_decref(body);
			json_decref(errors);
			pages_db_fail(r);
			return;
		}
		if (PQntuples(res) == 0)
			json_object_set_new(errors, "time_zone", json_string("unknown"));
	}
	if (json_object_size(errors) > 0) {
		/* not UTF-8 comes back as a number: show it as empty */
		for (i = 0; fields[i] != NULL; i++)
			if (!json_is_string(json_object_get(body, fields[i])))
				json_object_set_new(body, fields[i], json_string(""));
		render(r, 400, body, errors);
		return;
	}
	json_decref(errors);
	if ((old = current(r)) == NULL) {
		json_decref(body);
		return;
	}
	/* the audit names what changed, as PATCH /api/store names what it got */
	changed = json_object();
	for (i = 0; fields[i] != NULL; i++)
		if (!json_equal(json_object_get(old, fields[i]), json_object_get(body, fields[i])))
			json_object_set(changed, fields[i], json_object_get(body, fields[i]));
	json_decref(old);
	if (json_object_size(changed) > 0) {
		v[0] = r->who.store_id;
		v[1] = name;
		v[2] = tz;
		v[3] = str(body, "language");
		v[4] = str(body, "base_currency");
		if (db_exec(r, "UPDATE stores SET name = $2, time_zone = $3, language = $4, base_currency = $5, "
		    "updated_at = now() WHERE id = $1::uuid", 5, v) == NULL ||
		    audit(r, "store_updated", "store", r->who.store_id, json_incref(changed)) < 0) {
			json_decref(changed);
			json_decref(body);
			pages_db_fail(r);
			return;
		}
	}
	json_decref(changed);
	json_decref(body);
	resp_redirect(r, 303, "/dashboard/settings?done=saved");
}
