/* The Staff page of the dashboard (/dashboard/users): invitations, PIN
 * resets and deactivation.  The rules are those of the API: an admin does
 * not touch an owner, nobody deactivates themselves, a PIN is unique among
 * the tenant's active staff.  The list pages by ?page= (50 a page); every
 * form carries the page it was sent from and leads back to it. */
#include "pages.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "server.h"
#include "tenants.h"
#include "users.h"
#include "valid.h"

static const char *const invite_fields[] = { "email", "password", "role", "pin", "language", NULL };

/* The rules of POST /api/users, checked field by field first so the form
 * marks every mistake at once; users_create() checks again. */
static const struct vfield invite_checks[] = {
	{ "email", V_EMAIL, 1, 0, 0, NULL, 0 },
	{ "password", V_STRING, 1, 12, 128, NULL, 0 },
	{ "role", V_ENUM, 1, 0, 0, users_roles, 0 },
	{ "pin", V_STRING, 0, 4, 6, NULL, 1 },
	{ "language", V_ENUM, 0, 0, 0, tenants_languages, 1 },
};

/* Done messages after a redirect (PRG): only these words are shown. */
static const char *const done_words[] = { "invited", "deactivated", "pin", NULL };

#define PER_PAGE 50
#define LIST_SQL "SELECT id, email, role, language, is_active, totp_enabled, " \
	"pin_hmac IS NOT NULL AS has_pin FROM users " \
	"ORDER BY is_active DESC, created_at, email, id LIMIT $1::int + 1 OFFSET $2::int"

/* Where an action goes back to: the page its form was sent from. */
static const char *
back_to(struct req *r, const char *done)
{
	int n = pages_page_parse(kv_get(&r->form, "page"));

	if (n > 1)
		return arena_printf(r->a, "/dashboard/users?page=%d&done=%s", n, done);
	return arena_printf(r->a, "/dashboard/users?done=%s", done);
}

/* Rows of page (1-based), one more than a page when another page follows. */
static PGresult *
fetch_page(struct req *r, int page)
{
	const char *v[2] = { arena_printf(r->a, "%d", PER_PAGE),
	    arena_printf(r->a, "%lld", (long long)(page - 1) * PER_PAGE) };

	return db_exec(r, LIST_SQL, 2, v);
}

/* Render the page; extra (stolen, may be NULL) adds form, errors,
 * row_error or denied. */
static void
render(struct req *r, int status, json_t *extra)
{
	json_t *model, *form;
	const char *done = kv_get(&r->query_params, "done");
	int page = pages_page_no(r), more;
	PGresult *res = fetch_page(r, page), *cnt;
	size_t i;

	if (res != NULL && PQntuples(res) == 0 && page > 1) {
		/* past the end: the last page, as the catalogue lists do */
		cnt = db_exec(r, "SELECT count(*) FROM users", 0, NULL);
		if (cnt != NULL) {
			long long total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);

			page = total > 0 ? (int)((total + PER_PAGE - 1) / PER_PAGE) : 1;
			res = fetch_page(r, page);
		} else {
			res = NULL;
		}
	}
	if (res == NULL) {
		json_decref(extra);
		pages_db_fail(r);
		return;
	}
	more = PQntuples(res) > PER_PAGE;
	model = json_pack("{s:o, s:i, s:o, s:b, s:s, s:{}, s:{s:s, s:s}}", "users", db_rows_json(res),
	    "page", page, "pager", pages_pager(r, "/dashboard/users?", page, more ? (long long)page + 1 : page, more),
	    "can_owner", r->who.role == ROLE_OWNER, "me", r->who.user_id ? r->who.user_id : "",
	    "errors", "form", "role", "cashier", "language", r->lang);
	if (more)
		json_array_remove(json_object_get(model, "users"), PER_PAGE);
	for (i = 0; status == 200 && done != NULL && done_words[i] != NULL; i++)
		if (strcmp(done, done_words[i]) == 0)
			json_object_set_new(model, "done", json_string(done));
	if (extra != NULL) {
		json_object_update(model, extra);
		json_decref(extra);
	}
	form = json_object_get(model, "form");
	json_object_del(form, "password");	/* never echoed back */
	json_object_del(form, "pin");
	page_render(r, status, "dashboard/users", model);
}

void
users_page_list(struct req *r)
{
	render(r, 200, NULL);
}

/* Only an owner may create or change an owner. */
static int
may_touch(struct req *r, const char *role)
{
	return role == NULL || strcmp(role, "owner") != 0 || r->who.role == ROLE_OWNER;
}

/* 1 if an active user of this tenant already has the PIN, 0 if not, -1. */
static int
pin_taken(struct req *r, const char *pin)
{
	const char *v[1] = { crypto_pin_hmac(r->a, r->who.tenant_id, pin) };
	PGresult *res = db_exec(r, "SELECT EXISTS (SELECT FROM users WHERE pin_hmac = $1 AND is_active)", 1, v);

	return res == NULL ? -1 : PQgetvalue(res, 0, 0)[0] == 't';
}

void
users_page_create(struct req *r)
{
	json_t *body = pages_form_json(r, invite_fields), *u, *errors = json_object();
	const char *bad = NULL, *pin = json_string_value(json_object_get(body, "pin"));
	int status;
	json_t *check = json_object();

	pages_check_fields(r, check, body, invite_checks, sizeof(invite_checks) / sizeof(invite_checks[0]));
	if (pin != NULL && !users_pin_ok(pin))
		pages_field_error(check, "pin", "invalid");
	if (json_object_size(json_object_get(check, "errors")) > 0) {
		json_decref(errors);
		render(r, 400, json_pack("{s:o, s:O}", "form", body, "errors", json_object_get(check, "errors")));
		json_decref(check);
		return;
	}
	json_decref(check);
	if (pages_savepoint(r) < 0) {
		json_decref(body);
		json_decref(errors);
		pages_db_fail(r);
		return;
	}
	u = users_create(r, body, &bad);
	if (u != NULL) {
		json_decref(u);
		json_decref(body);
		json_decref(errors);
		resp_redirect(r, 303, back_to(r, "invited"));
		return;
	}
	status = r->resp.status;
	if (bad != NULL) {
		json_object_set_new(errors, bad, json_string("invalid"));
		status = 400;
	} else if (status == 403) {
		json_object_set_new(errors, "role", json_string("forbidden"));
	} else if (status == 409 && pages_rollback_savepoint(r) == 0) {
		/* the email (anywhere) or the PIN (here) is taken: which one? */
		int t = pin ? pin_taken(r, pin) : 0;

		if (t < 0) {
			json_decref(body);
			json_decref(errors);
			pages_db_fail(r);
			return;
		}
		json_object_set_new(errors, t ? "pin" : "email", json_string("taken"));
	} else {
		json_decref(body);
		json_decref(errors);
		pages_fail(r);
		return;
	}
	render(r, status, json_pack("{s:o, s:o}", "form", body, "errors", errors));
}

/* The target user's role, locked; NULL when there is none (the 404 page
 * or a failure page is then set). */
static const char *
target_role(struct req *r)
{
	const char *v[1] = { r->params[0] };
	PGresult *res = db_exec(r, "SELECT role FROM users WHERE id = $1 AND role <> 'superadmin' FOR UPDATE", 1, v);

	if (res == NULL) {
		pages_db_fail(r);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return NULL;
	}
	return arena_strdup(r->a, PQgetvalue(res, 0, 0));
}

static void
denied(struct req *r, const char *why)
{
	render(r, 403, json_pack("{s:s}", "denied", why));
}

void
users_page_deactivate(struct req *r)
{
	const char *v[1] = { r->params[0] }, *role = target_role(r);

	if (role == NULL)
		return;
	if (!may_touch(r, role)) {
		denied(r, "owner");
		return;
	}
	if (strcmp(r->params[0], r->who.user_id) == 0) {
		denied(r, "self");
		return;
	}
	/* a deactivated user's sessions end at once */
	if (db_exec(r, "UPDATE users SET is_active = false, updated_at = now() WHERE id = $1", 1, v) == NULL ||
	    db_exec(r, "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
	    1, v) == NULL || audit(r, "user_deactivated", "user", r->params[0], NULL) < 0) {
		pages_db_fail(r);
		return;
	}
	resp_redirect(r, 303, back_to(r, "deactivated"));
}

void
users_page_pin(struct req *r)
{
	const char *pin = kv_get(&r->form, "pin"), *role, *v[2];
	PGresult *res;

	if (!users_pin_ok(pin)) {
		render(r, 400, json_pack("{s:{s:s, s:s}}", "row_error", "id", r->params[0], "kind", "invalid"));
		return;
	}
	if ((role = target_role(r)) == NULL)
		return;
	if (!may_touch(r, role)) {
		denied(r, "owner");
		return;
	}
	if (pages_savepoint(r) < 0) {
		pages_db_fail(r);
		return;
	}
	v[0] = r->params[0];
	v[1] = crypto_pin_hmac(r->a, r->who.tenant_id, pin);
	res = db_exec(r, "UPDATE users SET pin_hmac = $2, updated_at = now() WHERE id = $1", 2, v);
	if (res == NULL && strcmp(r->db->sqlstate, "23505") == 0 && pages_rollback_savepoint(r) == 0) {
		render(r, 409, json_pack("{s:{s:s, s:s}}", "row_error", "id", r->params[0], "kind", "taken"));
		return;
	}
	if (res == NULL || audit(r, "user_updated", "user", r->params[0],
	    json_pack("{s:b}", "pin", 1)) < 0) {
		pages_db_fail(r);
		return;
	}
	resp_redirect(r, 303, back_to(r, "pin"));
}
