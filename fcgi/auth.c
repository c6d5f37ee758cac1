#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "password.h"
#include "router.h"
#include "server.h"
#include "token.h"
#include "totp.h"
#include "valid.h"

static const struct {
	const char *name;
	unsigned bit;
} roles_tab[] = {
	{ "superadmin", ROLE_SUPERADMIN }, { "owner", ROLE_OWNER }, { "admin", ROLE_ADMIN },
	{ "manager", ROLE_MANAGER }, { "cashier", ROLE_CASHIER }, { "cook", ROLE_COOK },
};

unsigned
auth_role_bit(const char *role)
{
	size_t i;

	for (i = 0; role != NULL && i < sizeof(roles_tab) / sizeof(roles_tab[0]); i++)
		if (strcmp(roles_tab[i].name, role) == 0)
			return roles_tab[i].bit;
	return 0;
}

const char *
auth_role_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof(roles_tab) / sizeof(roles_tab[0]); i++)
		if (roles_tab[i].bit == bit)
			return roles_tab[i].name;
	return "";
}

int
auth_role_needs_mfa(const char *role)
{
	return (auth_role_bit(role) & (ROLE_SUPERADMIN | ROLES_MANAGER_UP)) != 0;
}

/* ---- resolving the caller ---- */

static int
deny(struct req *r, int status)
{
	if (req_wants_page(r)) {
		if (status == 401) {
			if (kv_get(&r->cookies, SESSION_COOKIE) != NULL)
				auth_set_session_cookie(r, NULL);
			struct buf next;

			buf_init(&next, r->a, 64);
			buf_puts(&next, "/login?next=");
			buf_url(&next, r->path, strlen(r->path));
			resp_redirect(r, 303, next.p);
		} else {
			page_error(r, status);
		}
	} else {
		resp_error(r, status, status == 401 ? "unauthorized" : "forbidden", NULL);
	}
	memset(&r->who, 0, sizeof(r->who));
	return 0;
}

static const char *
bearer(const struct req *r)
{
	const char *h = r->authorization;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

/* "tenant-uuid.secret": the tenant part only scopes the look-up; the
 * secret's hash must match a session row of that tenant. */
static int
split_session_cookie(struct req *r, const char *v, const char **tenant, const char **secret)
{
	if (v == NULL || strlen(v) < 38 || strlen(v) > 128 || v[36] != '.')
		return -1;
	*tenant = arena_strndup(r->a, v, 36);
	*secret = v + 37;
	return http_is_uuid(*tenant) ? 0 : -1;
}

int
auth_resolve(struct req *r)
{
	const struct route *rt = r->route;
	const char *tok = bearer(r);
	struct token t;

	memset(&r->who, 0, sizeof(r->who));
	if (tok != NULL && (rt->who & (WHO_USER | WHO_DEVICE))) {
		if ((rt->who & WHO_USER) && token_check(r->a, tok, "pos-user", &t) == 0) {
			r->who.kind = AUTHK_USER;
			r->who.user_id = t.sub;
			r->who.tenant_id = t.tid;
			r->who.session_id = t.sid;
			r->who.role = auth_role_bit(t.role);
		} else if ((rt->who & WHO_DEVICE) && token_check(r->a, tok, "pos-device", &t) == 0) {
			r->who.kind = AUTHK_DEVICE;
			r->who.device_id = t.sub;
			r->who.tenant_id = t.tid;
			r->who.store_id = t.store;
			r->who.token_version = t.ver;
		} else if ((rt->who & WHO_DEVICE) && token_check(r->a, tok, "pos-cashier", &t) == 0) {
			r->who.kind = AUTHK_DEVICE;
			r->who.user_id = t.sub;
			r->who.device_id = t.dev;
			r->who.tenant_id = t.tid;
			r->who.store_id = t.store;
			r->who.session_id = t.sid;
			r->who.token_version = t.ver;
			r->who.role = auth_role_bit(t.role);
		} else {
			return deny(r, 401);
		}
		if (r->who.tenant_id == NULL || !http_is_uuid(r->who.tenant_id))
			return deny(r, 401);
		return 1;
	}
	if (tok != NULL && !(rt->who & WHO_ANON))
		return deny(r, 401);	/* a token of a kind this route never takes */
	if (rt->who & WHO_SESSION) {
		const char *tenant, *secret;

		if (split_session_cookie(r, kv_get(&r->cookies, SESSION_COOKIE), &tenant, &secret) == 0) {
			r->who.kind = AUTHK_USER;
			r->who.tenant_id = tenant;
			r->who.from_cookie = 1;
			return 1;
		}
	}
	if (rt->who & WHO_ANON)
		return 1;
	return deny(r, 401);
}

static int
verify_user_session(struct req *r)
{
	PGresult *res;

	if (r->who.from_cookie) {
		const char *secret = strchr(kv_get(&r->cookies, SESSION_COOKIE), '.') + 1;
		const char *v[1] = { crypto_sha256_hex(r->a, secret, strlen(secret)) };

		/* last_seen_at (the 15-minute idle timeout) is written at most every
		 * 30 s: a page and its parallel requests would otherwise queue on
		 * the session row's lock */
		res = db_exec(r,
		    "WITH s AS (SELECT s.id, s.user_id, s.state, s.last_seen_at, u.role, u.email "
		    "  FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id "
		    "  WHERE s.token_hash = $1 AND s.kind = 'web' AND s.revoked_at IS NULL "
		    "  AND s.expires_at > now() AND u.is_active "
		    "  AND (s.last_seen_at > now() - interval '15 minutes' OR u.role IN ('cashier', 'cook'))), "
		    "touch AS (UPDATE sessions x SET last_seen_at = now() FROM s "
		    "  WHERE x.id = s.id AND s.last_seen_at < now() - interval '30 seconds') "
		    "SELECT s.id, s.user_id, s.state, s.role, s.email, "
		    "(SELECT st.id FROM stores st ORDER BY st.created_at LIMIT 1) FROM s", 1, v);
	} else {
		const char *v[2] = { r->who.session_id, r->who.user_id };

		if (r->who.session_id == NULL || !http_is_uuid(r->who.session_id))
			return 0;
		res = db_exec(r,
		    "SELECT s.id, s.user_id, s.state, u.role, u.email, "
		    "(SELECT st.id FROM stores st ORDER BY st.created_at LIMIT 1) "
		    "FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id "
		    "WHERE s.id = $1 AND s.user_id = $2 AND s.kind = 'api' AND s.revoked_at IS NULL "
		    "AND s.expires_at > now() AND u.is_active", 2, v);
	}
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
		return 0;
	r->who.session_id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	r->who.user_id = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	r->who.mfa_pending = strcmp(PQgetvalue(res, 0, 2), "full") != 0;
	if (r->who.from_cookie)
		r->who.role = auth_role_bit(PQgetvalue(res, 0, 3));
	else if (r->who.role != auth_role_bit(PQgetvalue(res, 0, 3)))
		return 0;	/* role changed since the token was issued */
	r->who.email = arena_strdup(r->a, PQgetvalue(res, 0, 4));
	r->who.store_id = db_val(res, 0, 5) ? arena_strdup(r->a, PQgetvalue(res, 0, 5)) : NULL;
	return 1;
}

static int
verify_device(struct req *r)
{
	char ver[24];
	const char *v[4] = { r->who.device_id, ver, r->who.user_id, NULL };
	PGresult *res;

	if (r->who.device_id == NULL || !http_is_uuid(r->who.device_id) ||
	    (r->who.user_id != NULL && !http_is_uuid(r->who.user_id)))
		return 0;
	snprintf(ver, sizeof(ver), "%lld", r->who.token_version);
	if (r->who.user_id != NULL && (r->who.session_id == NULL || !http_is_uuid(r->who.session_id)))
		return 0;
	v[3] = r->who.session_id;
	/* last_seen_at is written at most once a minute per till; a cashier's
	 * token also needs its session (ended by logout or deactivation) */
	res = db_exec(r,
	    "WITH d AS (SELECT id, store_id FROM devices WHERE id = $1 AND status = 'active' "
	    "  AND token_version = $2::int), "
	    "seen AS (UPDATE devices SET last_seen_at = now() WHERE id IN (SELECT id FROM d) "
	    "  AND (last_seen_at IS NULL OR last_seen_at < now() - interval '1 minute')) "
	    "SELECT d.store_id, (SELECT u.role FROM users u JOIN sessions s ON s.tenant_id = u.tenant_id "
	    "  AND s.user_id = u.id WHERE u.id = $3::uuid AND u.is_active AND s.id = $4::uuid "
	    "  AND s.revoked_at IS NULL AND s.expires_at > now()) "
	    "FROM d", 4, v);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1)
		return 0;
	if (r->who.user_id != NULL &&
	    (db_val(res, 0, 1) == NULL || auth_role_bit(PQgetvalue(res, 0, 1)) != r->who.role))
		return 0;	/* cashier deactivated or role changed */
	r->who.store_id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	return 1;
}

int
auth_verify_db(struct req *r)
{
	const struct route *rt = r->route;
	int ok;

	switch (r->who.kind) {
	case AUTHK_NONE:
		return 1;
	case AUTHK_USER:
		ok = verify_user_session(r);
		break;
	case AUTHK_DEVICE:
		ok = verify_device(r);
		break;
	default:
		ok = 0;
	}
	if (ok < 0) {
		db_fail(r);
		return 0;
	}
	if (ok == 0) {
		if (r->who.from_cookie && (rt->who & WHO_ANON)) {
			/* a stale cookie on a page anyone may see: carry on signed out */
			memset(&r->who, 0, sizeof(r->who));
			auth_set_session_cookie(r, NULL);
			return 1;
		}
		return deny(r, 401);
	}
	if (r->who.mfa_pending && !(rt->flags & RF_MFA_STEP)) {
		if (req_wants_page(r)) {
			resp_redirect(r, 303, "/login/2fa");
			return 0;
		}
		return deny(r, 401);
	}
	if (r->who.kind == AUTHK_USER && rt->roles != 0 && !(rt->roles & r->who.role))
		return deny(r, 403);
	return 1;
}

/* ---- CSRF (double submit: a random cookie echoed in every form) ---- */

const char *
auth_csrf_token(struct req *r)
{
	const char *c = kv_get(&r->cookies, CSRF_COOKIE);

	if (c != NULL && strlen(c) == 43)
		return c;
	if (r->csrf_new == NULL) {
		r->csrf_new = crypto_random_b64url(r->a, 32);
		resp_header(r, "Set-Cookie", arena_printf(r->a,
		    "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", CSRF_COOKIE, r->csrf_new,
		    r->scheme_https || app.cfg.https ? "; Secure" : ""));
	}
	return r->csrf_new;
}

int
auth_csrf_ok(struct req *r)
{
	const char *c = kv_get(&r->cookies, CSRF_COOKIE);
	const char *f = kv_get(&r->form, "_csrf");

	return c != NULL && f != NULL && strlen(c) == 43 && crypto_streq(f, c);
}

json_t *
auth_user_json(struct req *r)
{
	if (r->who.kind != AUTHK_USER || r->who.user_id == NULL || r->who.mfa_pending)
		return json_null();
	return json_pack("{s:s, s:s?, s:s}", "id", r->who.user_id, "email", r->who.email,
	    "role", auth_role_name(r->who.role));
}

/* ---- login ---- */

enum login_result
auth_password(struct req *r, const char *email, const char *password, struct login *out)
{
	PGresult *res;
	const char *v[1] = { email }, *uv[1];
	int ok;

	memset(out, 0, sizeof(*out));
	res = db_exec(r, "SELECT tenant_id, user_id FROM auth_find_email($1)", 1, v);
	if (res == NULL)
		return LOGIN_ERROR;
	if (PQntuples(res) != 1) {
		pw_verify_dummy(password);	/* an unknown email costs the same time */
		return LOGIN_BAD;
	}
	out->tenant_id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	out->user_id = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	if (db_begin(r, out->tenant_id) < 0)
		return LOGIN_ERROR;
	uv[0] = out->user_id;
	res = db_exec(r,
	    "SELECT email, role, password_hash, totp_enabled, is_active, "
	    "coalesce(locked_until > now(), false), language FROM users WHERE id = $1 FOR UPDATE", 1, uv);
	if (res == NULL)
		return LOGIN_ERROR;
	if (PQntuples(res) != 1 || PQgetvalue(res, 0, 4)[0] != 't' || PQgetvalue(res, 0, 5)[0] == 't') {
		/* deactivated or locked: answer exactly like a wrong password */
		pw_verify_dummy(password);
		if (PQntuples(res) == 1 && PQgetvalue(res, 0, 5)[0] == 't')
			(void)audit(r, "login_locked", "user", out->user_id, NULL);
		db_commit(r);
		return LOGIN_BAD;
	}
	out->email = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	out->role = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	out->totp_enabled = PQgetvalue(res, 0, 3)[0] == 't';
	out->language = db_val(res, 0, 6) ? arena_strdup(r->a, PQgetvalue(res, 0, 6)) : NULL;
	ok = pw_verify(PQgetvalue(res, 0, 2), password);
	if (!ok) {
		/* the 5th failure in a row locks the account for 15 minutes */
		if (db_exec(r,
		    "UPDATE users SET failed_logins = CASE WHEN locked_until IS NOT NULL "
		    "  THEN 1 ELSE failed_logins + 1 END, "
		    "locked_until = CASE WHEN locked_until IS NULL AND failed_logins + 1 >= 5 "
		    "  THEN now() + interval '15 minutes' ELSE NULL END "
		    "WHERE id = $1", 1, uv) == NULL ||
		    audit(r, "login_failed", "user", out->user_id, NULL) < 0 || db_commit(r) < 0)
			return LOGIN_ERROR;
		return LOGIN_BAD;
	}
	if (db_exec(r, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
	    1, uv) == NULL)
		return LOGIN_ERROR;
	return LOGIN_OK;
}

int
auth_totp_enrol(struct req *r, const struct login *l, const char **base32, const char **uri)
{
	unsigned char secret[20];
	const char *sealed, *v[2];

	{
		/* an enrolment already under way keeps its secret: a QR code
		 * scanned from an earlier sign-in (or another tab) stays good */
		const char *u[1] = { l->user_id };
		PGresult *res = db_exec(r, "SELECT totp_secret FROM users WHERE id = $1 AND NOT totp_enabled "
		    "AND totp_secret IS NOT NULL", 1, u);
		unsigned char *old;
		size_t n;

		if (res == NULL)
			return -1;
		if (PQntuples(res) == 1 && crypto_open(r->a, PQgetvalue(res, 0, 0), l->tenant_id, "users",
		    "totp_secret", l->user_id, &old, &n) == 0 && n == sizeof(secret)) {
			*base32 = totp_base32(r->a, old, n);
			*uri = totp_uri(r->a, "POS", l->email, *base32);
			memset(old, 0, n);
			return *base32 && *uri ? 0 : -1;
		}
	}
	if (totp_new_secret(secret) < 0)
		return -1;
	sealed = crypto_seal(r->a, secret, sizeof(secret), l->tenant_id, "users", "totp_secret", l->user_id);
	*base32 = totp_base32(r->a, secret, sizeof(secret));
	*uri = totp_uri(r->a, "POS", l->email, *base32);
	memset(secret, 0, sizeof(secret));
	v[0] = sealed;
	v[1] = l->user_id;
	if (sealed == NULL || *base32 == NULL || *uri == NULL)
		return -1;
	return db_exec(r, "UPDATE users SET totp_secret = $1, totp_enabled = false, "
	    "totp_last_counter = -1 WHERE id = $2", 2, v) == NULL ? -1 : 0;
}

int
auth_totp_check(struct req *r, const char *user_id, const char *code)
{
	const char *v[2] = { user_id, NULL };
	unsigned char *secret;
	size_t n;
	long long matched;
	char counter[24];
	PGresult *res;
	int ok;

	res = db_exec(r, "SELECT tenant_id, totp_secret, totp_last_counter FROM users "
	    "WHERE id = $1 AND is_active FOR UPDATE", 1, v);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_val(res, 0, 1) == NULL)
		return 0;
	if (crypto_open(r->a, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), "users", "totp_secret",
	    user_id, &secret, &n) < 0) {
		log_error("totp secret of user %s does not decrypt", user_id);
		return 0;
	}
	ok = totp_verify(secret, n, code, time(NULL), strtoll(PQgetvalue(res, 0, 2), NULL, 10), &matched);
	memset(secret, 0, n);
	if (!ok)
		return 0;
	snprintf(counter, sizeof(counter), "%lld", matched);
	v[1] = counter;
	/* recording the step makes the same code useless a second time */
	if (db_exec(r, "UPDATE users SET totp_enabled = true, totp_last_counter = $2::bigint WHERE id = $1",
	    2, v) == NULL)
		return -1;
	return 1;
}

int
auth_mfa_failed(struct req *r, const char *user_id, const char *session_id, const char *via)
{
	const char *v[2] = { user_id, session_id };
	PGresult *res;

	/* the guesses stay on record although the reply is a 401 */
	r->resp_commit = 1;
	if (audit(r, "mfa_failed", "user", user_id, json_pack("{s:s}", "via", via)) < 0)
		return -1;
	res = db_exec(r, "SELECT count(*) >= 5 FROM audit_log WHERE action = 'mfa_failed' "
	    "AND object_id = $1 AND at > now() - interval '5 minutes'", 1, v);
	if (res == NULL)
		return -1;
	if (PQgetvalue(res, 0, 0)[0] != 't')
		return 0;
	/* too many guesses at a six-digit code: this sign-in is over */
	if (db_exec(r, "UPDATE sessions SET revoked_at = now() WHERE id = $2 AND user_id = $1", 2, v) == NULL)
		return -1;
	return 1;
}

const char *
auth_session_new(struct req *r, const struct login *l, const char *kind, const char *state,
    const char **cookie)
{
	const char *secret = NULL, *hash = NULL, *csrf = NULL, *v[8];
	PGresult *res;

	if (strcmp(kind, "web") == 0) {
		secret = crypto_random_b64url(r->a, 32);
		hash = crypto_sha256_hex(r->a, secret, strlen(secret));
		csrf = crypto_random_b64url(r->a, 32);
	}
	v[0] = l->user_id;
	v[1] = kind;
	v[2] = state;
	v[3] = hash;
	v[4] = csrf;
	v[5] = r->remote_addr;
	v[6] = r->user_agent ? arena_strndup(r->a, r->user_agent, 200) : NULL;
	/* a pending second factor must be finished within five minutes */
	v[7] = strcmp(state, "mfa") == 0 ? "5 minutes" : "12 hours";
	res = db_exec(r,
	    "INSERT INTO sessions (tenant_id, id, user_id, kind, state, token_hash, csrf, ip, user_agent, expires_at) "
	    "VALUES (NULLIF(current_setting('app.tenant_id', true), '')::uuid, gen_random_uuid(), "
	    "$1, $2, $3, $4, $5, $6, $7, now() + $8::interval) RETURNING id", 8, v);
	if (res == NULL)
		return NULL;
	if (cookie != NULL)
		*cookie = secret ? arena_printf(r->a, "%s.%s", l->tenant_id, secret) : NULL;
	if (csrf != NULL) {
		/* a new sign-in gets a new CSRF token: one planted before it is dead */
		r->csrf_new = csrf;
		resp_header(r, "Set-Cookie", arena_printf(r->a, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s",
		    CSRF_COOKIE, csrf, r->scheme_https || app.cfg.https ? "; Secure" : ""));
	}
	return arena_strdup(r->a, PQgetvalue(res, 0, 0));
}

void
auth_set_session_cookie(struct req *r, const char *value)
{
	resp_header(r, "Set-Cookie", arena_printf(r->a, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s",
	    SESSION_COOKIE, value ? value : "", r->scheme_https || app.cfg.https ? "; Secure" : "",
	    value ? "" : "; Max-Age=0"));
}

static json_t *
user_json(const struct login *l)
{
	return json_pack("{s:s, s:s, s:s, s:s?}", "id", l->user_id, "email", l->email,
	    "role", l->role, "tenant_id",
	    strcmp(l->tenant_id, PLATFORM_TENANT) == 0 ? NULL : l->tenant_id);
}

json_t *
auth_token_reply(struct req *r, const struct login *l, const char *session_id)
{
	struct token t;
	const char *jwt;

	memset(&t, 0, sizeof(t));
	t.aud = "pos-user";
	t.sub = l->user_id;
	t.tid = l->tenant_id;
	t.role = l->role;
	t.sid = session_id;
	jwt = token_issue(r->a, &t, USER_TOKEN_TTL);
	if (jwt == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:o}", "access_token", jwt, "token_type", "Bearer",
	    "expires_in", USER_TOKEN_TTL, "user", user_json(l));
}

static void
fail_internal(struct req *r)
{
	db_rollback(r);
	db_fail(r);
}

void
auth_api_login(struct req *r)
{
	static const struct vfield fields[] = {
		{ "email", V_STRING, 1, 1, 200, NULL, 0 },
		{ "password", V_STRING, 1, 1, 128, NULL, 0 },
	};
	struct login l;
	const char *sid;
	json_t *reply;

	if (valid_object(r, r->json, fields, 2, NULL) < 0)
		return;
	switch (auth_password(r, json_string_value(json_object_get(r->json, "email")),
	    json_string_value(json_object_get(r->json, "password")), &l)) {
	case LOGIN_ERROR:
		fail_internal(r);
		return;
	case LOGIN_BAD:
		resp_error(r, 401, "unauthorized", NULL);
		return;
	case LOGIN_OK:
		break;
	}
	if (auth_role_needs_mfa(l.role)) {
		struct token t;
		const char *mfa, *b32 = NULL, *uri = NULL;

		sid = auth_session_new(r, &l, "api", "mfa", NULL);
		if (sid == NULL || (!l.totp_enabled && auth_totp_enrol(r, &l, &b32, &uri) < 0)) {
			fail_internal(r);
			return;
		}
		memset(&t, 0, sizeof(t));
		t.aud = "pos-mfa";
		t.sub = l.user_id;
		t.tid = l.tenant_id;
		t.sid = sid;
		t.role = l.role;
		mfa = token_issue(r->a, &t, MFA_TOKEN_TTL);
		reply = l.totp_enabled
		    ? json_pack("{s:b, s:s}", "mfa_required", 1, "mfa_token", mfa)
		    : json_pack("{s:b, s:s, s:s, s:s}", "mfa_enroll_required", 1, "mfa_token", mfa,
			"otpauth_uri", uri, "secret", b32);
	} else {
		sid = auth_session_new(r, &l, "api", "full", NULL);
		reply = sid ? auth_token_reply(r, &l, sid) : NULL;
	}
	r->who.kind = AUTHK_USER;	/* the audit row names who signed in */
	r->who.user_id = l.user_id;
	if (reply == NULL || audit(r, "login", "user", l.user_id, NULL) < 0 || db_commit(r) < 0) {
		json_decref(reply);
		fail_internal(r);
		return;
	}
	resp_json(r, 200, reply);
}

void
auth_api_2fa_verify(struct req *r)
{
	static const struct vfield fields[] = {
		{ "mfa_token", V_STRING, 1, 1, 4096, NULL, 0 },
		{ "code", V_STRING, 1, 1, 16, NULL, 0 },
	};
	struct token t;
	struct login l;
	const char *v[1];
	PGresult *res;
	json_t *reply;
	int ok;

	if (valid_object(r, r->json, fields, 2, NULL) < 0)
		return;
	if (token_check(r->a, json_string_value(json_object_get(r->json, "mfa_token")), "pos-mfa", &t) < 0) {
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	if (db_begin(r, t.tid) < 0) {
		db_fail(r);
		return;
	}
	v[0] = t.sid;
	res = db_exec(r, "SELECT u.id, u.email, u.role, u.tenant_id FROM sessions s "
	    "JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id "
	    "WHERE s.id = $1 AND s.state = 'mfa' AND s.revoked_at IS NULL AND s.expires_at > now() "
	    "AND u.is_active FOR UPDATE OF s", 1, v);
	if (res == NULL) {
		fail_internal(r);
		return;
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), t.sub) != 0) {
		db_rollback(r);
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.user_id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	l.email = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	l.role = arena_strdup(r->a, PQgetvalue(res, 0, 2));
	l.tenant_id = arena_strdup(r->a, PQgetvalue(res, 0, 3));
	ok = auth_totp_check(r, l.user_id, json_string_value(json_object_get(r->json, "code")));
	if (ok < 0) {
		fail_internal(r);
		return;
	}
	if (ok == 0) {
		if (auth_mfa_failed(r, l.user_id, t.sid, "api") < 0 || db_commit(r) < 0) {
			fail_internal(r);
			return;
		}
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	if (db_exec(r, "UPDATE sessions SET state = 'full', expires_at = now() + interval '12 hours' "
	    "WHERE id = $1", 1, v) == NULL) {
		fail_internal(r);
		return;
	}
	reply = auth_token_reply(r, &l, t.sid);
	if (reply == NULL || audit(r, "mfa_ok", "user", l.user_id, NULL) < 0 || db_commit(r) < 0) {
		json_decref(reply);
		fail_internal(r);
		return;
	}
	resp_json(r, 200, reply);
}

void
auth_api_pin(struct req *r)
{
	static const struct vfield fields[] = {
		{ "pin", V_STRING, 1, 4, 6, NULL, 0 },
	};
	const char *pin, *v[2];
	struct token t;
	struct login l;
	PGresult *res;
	size_t i;

	if (r->who.user_id != NULL) {
		/* only the till's own token signs a cashier in, not a cashier's */
		resp_error(r, 401, "unauthorized", NULL);
		return;
	}
	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	pin = json_string_value(json_object_get(r->json, "pin"));
	for (i = 0; pin[i]; i++) {
		if (pin[i] < '0' || pin[i] > '9') {
			resp_error(r, 400, "validation_failed", "pin");
			return;
		}
	}
	v[0] = r->who.device_id;
	res = db_exec(r, "SELECT coalesce(pin_locked_until > now(), false) FROM devices WHERE id = $1 FOR UPDATE", 1, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1 || PQgetvalue(res, 0, 0)[0] == 't') {
		resp_error(r, 429, "rate_limited", NULL);
		return;
	}
	v[1] = crypto_pin_hmac(r->a, r->who.tenant_id, pin);
	/* the PIN pad signs in cashiers: cashier tokens carry no other role */
	res = db_exec(r, "SELECT id, email, role, tenant_id FROM users WHERE pin_hmac = $2 AND is_active "
	    "AND role = 'cashier' AND $1::uuid IS NOT NULL", 2, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		/* five wrong PINs in a row pause this till's PIN pad for a minute */
		if (db_exec(r, "UPDATE devices SET pin_failures = CASE WHEN pin_failures + 1 >= 5 THEN 0 "
		    "ELSE pin_failures + 1 END, pin_locked_until = CASE WHEN pin_failures + 1 >= 5 "
		    "THEN now() + interval '1 minute' ELSE pin_locked_until END WHERE id = $1", 1, v) == NULL ||
		    audit(r, "pin_failed", "device", r->who.device_id, NULL) < 0) {
			db_fail(r);
			return;
		}
		resp_error(r, 401, "unauthorized", NULL);
		r->resp_commit = 1;	/* keep the failure count although the reply is 401 */
		return;
	}
	memset(&l, 0, sizeof(l));
	l.user_id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	l.email = arena_strdup(r->a, PQgetvalue(res, 0, 1));
	l.role = arena_strdup(r->a, PQgetvalue(res, 0, 2));
	l.tenant_id = arena_strdup(r->a, PQgetvalue(res, 0, 3));
	if (db_exec(r, "UPDATE devices SET pin_failures = 0 WHERE id = $1", 1, v) == NULL) {
		db_fail(r);
		return;
	}
	{
		/* a session of its own, so the cashier can sign out of the till */
		const char *saved_tenant = l.tenant_id;

		t.sid = auth_session_new(r, &l, "api", "full", NULL);
		l.tenant_id = saved_tenant;
		if (t.sid == NULL) {
			db_fail(r);
			return;
		}
	}
	{
		const char *sid = t.sid;

		memset(&t, 0, sizeof(t));
		t.sid = sid;
	}
	t.aud = "pos-cashier";
	t.sub = l.user_id;
	t.tid = l.tenant_id;
	t.role = l.role;
	t.store = r->who.store_id;
	t.dev = r->who.device_id;
	t.ver = r->who.token_version;
	{
		const char *jwt = token_issue(r->a, &t, CASHIER_TOKEN_TTL);
		const char *saved = r->who.user_id;

		r->who.user_id = l.user_id;	/* the audit row names the cashier */
		if (jwt == NULL || audit(r, "pin_login", "user", l.user_id, NULL) < 0) {
			r->who.user_id = saved;
			db_fail(r);
			return;
		}
		resp_json(r, 200, json_pack("{s:s, s:s, s:i, s:o}", "access_token", jwt,
		    "token_type", "Bearer", "expires_in", (int)CASHIER_TOKEN_TTL, "user", user_json(&l)));
	}
}

void
auth_api_logout(struct req *r)
{
	const char *v[1] = { r->who.session_id };

	if (r->who.session_id == NULL) {
		resp_error(r, 401, "unauthorized", NULL);	/* a till's own token has no session */
		return;
	}

	if (db_exec(r, "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", 1, v) == NULL ||
	    audit(r, "logout", "user", r->who.user_id, NULL) < 0) {
		db_fail(r);
		return;
	}
	resp_json(r, 200, json_pack("{s:b}", "logged_out", 1));
}
