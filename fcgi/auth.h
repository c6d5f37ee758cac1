/* Who is calling.  Bearer tokens (user, device, cashier) and dashboard
 * cookie sessions are resolved into r->who; the route table's caller set and
 * roles are enforced; sessions and device token versions are checked in the
 * request's tenant transaction, so a revoked device or a logged-out session
 * stops at once.  Also the login flows (password, TOTP, PIN) shared by the
 * API and the pages, and CSRF for forms.  Deny by default. */
#ifndef POS_AUTH_H
#define POS_AUTH_H

#include <jansson.h>

struct req;

#define PLATFORM_TENANT "00000000-0000-0000-0000-000000000000"
#define SESSION_COOKIE "pos_session"
#define CSRF_COOKIE "pos_csrf"
#define USER_TOKEN_TTL 900		/* seconds: user tokens are short-lived */
#define DEVICE_TOKEN_TTL (365L * 86400)
#define CASHIER_TOKEN_TTL (12L * 3600)
#define MFA_TOKEN_TTL 300
#define WEB_IDLE_MINUTES 15

/* Before any transaction: parse and verify credentials, fill r->who.
 * 1 to go on; 0 when the reply (401, or a redirect to /login) is set. */
int auth_resolve(struct req *r);
/* Inside the tenant transaction: the session or device is still valid, the
 * role is allowed.  1 to go on; 0 when the reply is set. */
int auth_verify_db(struct req *r);
/* For RF_CSRF routes: the form's _csrf equals the CSRF cookie. */
int auth_csrf_ok(struct req *r);
/* The CSRF token for forms on this page (sets the cookie when new). */
const char *auth_csrf_token(struct req *r);

/* The signed-in user for page models: {id, email, role} or JSON null. */
json_t *auth_user_json(struct req *r);

unsigned auth_role_bit(const char *role);
const char *auth_role_name(unsigned bit);
/* 1 if this role must have TOTP. */
int auth_role_needs_mfa(const char *role);

enum login_result { LOGIN_OK, LOGIN_BAD, LOGIN_ERROR };

struct login {
	const char *user_id, *tenant_id, *email, *role, *language;
	int totp_enabled;
};

/* Check email + password (lockout, same answer for unknown emails).  On
 * LOGIN_OK a transaction with the user's tenant is open. */
enum login_result auth_password(struct req *r, const char *email, const char *password, struct login *out);
/* Start TOTP enrolment: a new secret stored encrypted; returns base32 and the
 * otpauth URI through the out parameters. */
int auth_totp_enrol(struct req *r, const struct login *l, const char **base32, const char **uri);
/* Check a TOTP code for user in the open transaction; records the counter. */
int auth_totp_check(struct req *r, const char *user_id, const char *code);
/* A wrong TOTP code for user in session: recorded; after 5 within 5 minutes
 * the session is revoked (1).  0 to let them try again, -1 on failure. */
int auth_mfa_failed(struct req *r, const char *user_id, const char *session_id, const char *via);
/* A session row; returns its id.  kind "web" also returns the cookie value. */
const char *auth_session_new(struct req *r, const struct login *l, const char *kind,
    const char *state, const char **cookie);
/* Set the session cookie (or clear it with value NULL). */
void auth_set_session_cookie(struct req *r, const char *value);
/* Issue a user access token for a full session: {access_token, token_type, expires_in, user}. */
json_t *auth_token_reply(struct req *r, const struct login *l, const char *session_id);

/* Route handlers. */
void auth_api_login(struct req *r);
void auth_api_2fa_verify(struct req *r);
void auth_api_pin(struct req *r);
void auth_api_logout(struct req *r);

#endif
