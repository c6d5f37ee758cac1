/* Sign-in pages: password (/login), the TOTP step with QR enrolment
 * (/login/2fa) and logout, on cookie sessions.  Also the small form helpers
 * every page module shares (pages.h). */
#include "pages.h"

#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "qr.h"
#include "router.h"
#include "server.h"
#include "totp.h"
#include "valid.h"


/* ---- helpers shared by the page modules ---- */

json_t *
pages_form_json(struct req *r, const char *const *names)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; names[i] != NULL; i++) {
		const char *v = kv_get(&r->form, names[i]);
		json_t *s;

		if (v == NULL || *v == '\0')
			continue;
		/* not UTF-8: a number, so validation names the field */
		s = json_string(v);
		json_object_set_new(o, names[i], s ? s : json_integer(0));
	}
	return o;
}

void
pages_field_error(json_t *model, const char *field, const char *kind)
{
	json_t *e = json_object_get(model, "errors");

	if (!json_is_object(e)) {
		e = json_object();
		json_object_set_new(model, "errors", e);
	}
	json_object_set_new(e, field, json_string(kind));
}

int
pages_check_fields(struct req *r, json_t *model, json_t *body, const struct vfield *fields,
    size_t n)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		json_t *one = json_object(), *v = json_object_get(body, fields[i].name);

		if (v != NULL)
			json_object_set(one, fields[i].name, v);
		if (valid_check(r->a, one, &fields[i], 1, NULL) != NULL) {
			pages_field_error(model, fields[i].name, "invalid");
			bad++;
		}
		json_decref(one);
	}
	return bad;
}

int
pages_page_parse(const char *s)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (*s - '0')) > 1000000)
			return 0;
	}
	return (int)v;
}

int
pages_page_no(struct req *r)
{
	const char *s = kv_get(&r->query_params, "page");
	int n = pages_page_parse(s ? s : kv_get(&r->form, "page"));

	return n > 0 ? n : 1;
}

json_t *
pages_pager(struct req *r, const char *base, int page, long long last, int has_next)
{
	json_t *links = json_array();
	long long i, shown = 0;

	for (i = 1; i <= last; i++) {
		if (i != 1 && i != last && (i < page - 2 || i > page + 2))
			continue;
		if (shown != 0 && i > shown + 1)
			json_array_append_new(links, json_pack("{s:b}", "gap", 1));
		json_array_append_new(links, json_pack("{s:I, s:s, s:b}", "n", (json_int_t)i,
		    "href", arena_printf(r->a, "%spage=%lld", base, i), "current", i == page));
		shown = i;
	}
	return json_pack("{s:b, s:i, s:s?, s:s?, s:o}", "show", last > 1 || page > 1, "page", page,
	    "prev", page > 1 ? arena_printf(r->a, "%spage=%d", base, page - 1) : NULL,
	    "next", has_next ? arena_printf(r->a, "%spage=%d", base, page + 1) : NULL, "links", links);
}

void
pages_fail(struct req *r)
{
	page_error(r, r->resp.status >= 400 ? r->resp.status : 500);
}

void
pages_db_fail(struct req *r)
{
	db_fail(r);
	pages_fail(r);
}

int
pages_local_path(const char *s)
{
	size_t i;

	if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i > 1000 || (unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '\\')
			return 0;
	return 1;
}

char *
pages_url_encode(struct req *r, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = arena_alloc(r->a, 3 * strlen(s) + 1), *p = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

int
pages_savepoint(struct req *r)
{
	return db_exec(r, "SAVEPOINT page_form", 0, NULL) == NULL ? -1 : 0;
}

int
pages_rollback_savepoint(struct req *r)
{
	return db_exec(r, "ROLLBACK TO SAVEPOINT page_form", 0, NULL) == NULL ? -1 : 0;
}

/* ---- where a signed-in user starts ---- */

static const char *
home_of(unsigned role)
{
	switch (role) {
	case ROLE_SUPERADMIN: return "/platform";
	case ROLE_CASHIER: return "/pos/";
	case ROLE_COOK: return "/kitchen";
	default: return "/dashboard";
	}
}

static const char *
next_param(const char *next)
{
	return pages_local_path(next) ? next : NULL;
}

/* ---- /login ---- */

static json_t *
login_model(const char *email, const char *next)
{
	return json_pack("{s:{s:s, s:s}, s:{}}", "form", "email", email ? email : "",
	    "next", next ? next : "", "errors");
}

void
auth_page_login(struct req *r)
{
	page_render(r, 200, "login",
	    login_model(NULL, next_param(kv_get(&r->query_params, "next"))));
}

void
auth_page_login_post(struct req *r)
{
	const char *email = kv_get(&r->form, "email"), *pw = kv_get(&r->form, "password");
	const char *next = next_param(kv_get(&r->form, "next"));
	const char *cookie = NULL, *b32, *uri, *sid;
	struct login l;
	json_t *model;
	int mfa;

	model = login_model(email, next);
	if (email == NULL || *email == '\0' || valid_utf8_len(email, strlen(email)) < 0 ||
	    strlen(email) > 200)
		pages_field_error(model, "email", "required");
	if (pw == NULL || *pw == '\0' || strlen(pw) > 512)
		pages_field_error(model, "password", "required");
	if (json_object_size(json_object_get(model, "errors")) > 0) {
		page_render(r, 400, "login", model);
		return;
	}
	switch (auth_password(r, email, pw, &l)) {
	case LOGIN_ERROR:
		json_decref(model);
		db_fail(r);
		db_rollback(r);
		pages_fail(r);
		return;
	case LOGIN_BAD:
		/* one text for an unknown email, a wrong password and a locked account */
		pages_field_error(model, "login", "bad_credentials");
		page_render(r, 401, "login", model);
		return;
	case LOGIN_OK:
		break;
	}
	json_decref(model);
	mfa = auth_role_needs_mfa(l.role);
	sid = auth_session_new(r, &l, "web", mfa ? "mfa" : "full", &cookie);
	if (sid == NULL || (mfa && !l.totp_enabled && auth_totp_enrol(r, &l, &b32, &uri) < 0) ||
	    audit(r, "login", "user", l.user_id, json_pack("{s:s}", "via", "web")) < 0 ||
	    db_commit(r) < 0) {
		db_fail(r);
		db_rollback(r);
		pages_fail(r);
		return;
	}
	auth_set_session_cookie(r, cookie);
	if (mfa)
		resp_redirect(r, 303, next ? arena_printf(r->a, "/login/2fa?next=%s",
		    pages_url_encode(r, next)) : "/login/2fa");
	else
		resp_redirect(r, 303, next ? next : home_of(auth_role_bit(l.role)));
}

/* ---- /login/2fa ---- */

/* model.enrolled, or (not yet enrolled) model.secret and model.qr: the
 * secret the authenticator app needs, from the sealed column. */
static int
mfa_model(struct req *r, json_t *model)
{
	const char *v[1] = { r->who.user_id }, *tenant, *email, *b32, *uri;
	unsigned char *secret;
	size_t n;
	PGresult *res;

	res = db_exec(r, "SELECT tenant_id, email, totp_enabled, totp_secret FROM users WHERE id = $1", 1, v);
	if (res == NULL || PQntuples(res) != 1)
		return -1;
	json_object_set_new(model, "enrolled", json_boolean(PQgetvalue(res, 0, 2)[0] == 't'));
	if (PQgetvalue(res, 0, 2)[0] == 't')
		return 0;
	tenant = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	email = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	if (db_val(res, 0, 3) == NULL) {
		/* the password step always enrols; a lost secret is made anew */
		struct login l;

		memset(&l, 0, sizeof(l));
		l.user_id = r->who.user_id;
		l.tenant_id = tenant;
		l.email = email;
		if (auth_totp_enrol(r, &l, &b32, &uri) < 0)
			return -1;
	} else {
		if (crypto_open(r->a, PQgetvalue(res, 0, 3), tenant, "users", "totp_secret",
		    r->who.user_id, &secret, &n) < 0) {
			log_error("totp secret of user %s does not decrypt", r->who.user_id);
			return -1;
		}
		b32 = totp_base32(r->a, secret, n);
		memset(secret, 0, n);
		uri = totp_uri(r->a, "POS", email, b32);
	}
	if (b32 == NULL || uri == NULL)
		return -1;
	json_object_set_new(model, "secret", json_string(b32));
	json_object_set_new(model, "qr", json_string(qr_svg(r->a, uri)));
	return 0;
}

static void
render_2fa(struct req *r, int status, const char *next, const char *error)
{
	json_t *model = json_pack("{s:{s:s}, s:{}}", "form", "next", next ? next : "", "errors");

	if (error != NULL)
		pages_field_error(model, "code", error);
	if (mfa_model(r, model) < 0) {
		json_decref(model);
		if (r->db->sqlstate[0] != '\0' || r->db->down)
			pages_db_fail(r);
		else
			page_error(r, 500);
		return;
	}
	page_render(r, status, "login_2fa", model);
}

void
auth_page_2fa(struct req *r)
{
	if (!r->who.mfa_pending) {
		resp_redirect(r, 303, home_of(r->who.role));
		return;
	}
	render_2fa(r, 200, next_param(kv_get(&r->query_params, "next")), NULL);
}

/* The session is full now: a new cookie secret for it, so the value that
 * existed before the second factor is worth nothing afterwards. */
static int
session_upgrade(struct req *r)
{
	const char *secret = crypto_random_b64url(r->a, 32);
	const char *v[2] = { r->who.session_id, crypto_sha256_hex(r->a, secret, strlen(secret)) };
	PGresult *res;

	res = db_exec(r, "UPDATE sessions SET state = 'full', token_hash = $2, last_seen_at = now(), "
	    "expires_at = now() + interval '12 hours' WHERE id = $1 AND state = 'mfa' "
	    "AND revoked_at IS NULL RETURNING id", 2, v);
	if (res == NULL || PQntuples(res) != 1)
		return -1;
	auth_set_session_cookie(r, arena_printf(r->a, "%s.%s", r->who.tenant_id, secret));
	return 0;
}

void
auth_page_2fa_post(struct req *r)
{
	const char *next = next_param(kv_get(&r->form, "next")), *typed = kv_get(&r->form, "code");
	char code[16];
	size_t n = 0;
	int ok;

	if (!r->who.mfa_pending) {
		resp_redirect(r, 303, next ? next : home_of(r->who.role));
		return;
	}
	/* "123 456" as some apps show it */
	for (; typed != NULL && *typed && n < sizeof(code) - 1; typed++)
		if (*typed != ' ')
			code[n++] = *typed;
	code[n] = '\0';
	if (n == 0) {
		render_2fa(r, 400, next, "required");
		return;
	}
	ok = auth_totp_check(r, r->who.user_id, code);
	if (ok < 0) {
		pages_db_fail(r);
		return;
	}
	if (ok == 0) {
		int revoked = auth_mfa_failed(r, r->who.user_id, r->who.session_id, "web");

		if (revoked < 0) {
			pages_db_fail(r);
			return;
		}
		if (revoked) {
			/* too many guesses: this sign-in is over, start again */
			auth_set_session_cookie(r, NULL);
			resp_redirect(r, 303, "/login");
			return;
		}
		render_2fa(r, 401, next, "wrong");
		r->resp_commit = 1;
		return;
	}
	if (session_upgrade(r) < 0 ||
	    audit(r, "mfa_ok", "user", r->who.user_id, json_pack("{s:s}", "via", "web")) < 0) {
		pages_db_fail(r);
		return;
	}
	resp_redirect(r, 303, next ? next : home_of(r->who.role));
}

/* ---- /logout ---- */

void
auth_page_logout(struct req *r)
{
	const char *v[1] = { r->who.session_id };

	if (db_exec(r, "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
	    1, v) == NULL || audit(r, "logout", "user", r->who.user_id, json_pack("{s:s}", "via", "web")) < 0) {
		pages_db_fail(r);
		return;
	}
	auth_set_session_cookie(r, NULL);
	resp_redirect(r, 303, "/login");
}
