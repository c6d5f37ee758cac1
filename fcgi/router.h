/* The route table (routes.c) and its matcher.  Every route of the product is
 * one row: method, path pattern, handler, who may call it, CSRF, body kind
 * and size limit.  The dispatcher enforces the row before the handler runs:
 * deny by default. */
#ifndef POS_ROUTER_H
#define POS_ROUTER_H

#include <stddef.h>

struct req;

typedef void (*handler_fn)(struct req *r);

/* Who may call: any combination. */
enum {
	WHO_ANON    = 1u << 0,	/* nobody in particular */
	WHO_DEVICE  = 1u << 1,	/* device token (a till), or a cashier token on it */
	WHO_USER    = 1u << 2,	/* user bearer token */
	WHO_SESSION = 1u << 3,	/* dashboard cookie session */
};

/* Roles, one bit each; a route lists the roles it admits (0 = any role). */
enum {
	ROLE_SUPERADMIN = 1u << 0,
	ROLE_OWNER      = 1u << 1,
	ROLE_ADMIN      = 1u << 2,
	ROLE_MANAGER    = 1u << 3,
	ROLE_CASHIER    = 1u << 4,
	ROLE_COOK       = 1u << 5,
};
#define ROLES_OWNER_ADMIN (ROLE_OWNER | ROLE_ADMIN)
#define ROLES_MANAGER_UP  (ROLE_OWNER | ROLE_ADMIN | ROLE_MANAGER)
#define ROLES_COOK_UP     (ROLES_MANAGER_UP | ROLE_COOK)

enum body_kind { BODY_NONE, BODY_JSON, BODY_FORM };

enum {
	RF_DB     = 1u << 0,	/* needs the database (503 when it is away) */
	RF_TENANT = 1u << 1,	/* runs in a transaction with app.tenant_id set */
	RF_PAGE   = 1u << 2,	/* an HTML page: errors as friendly pages */
	RF_CSRF   = 1u << 3,	/* unsafe page request: CSRF token checked */
	RF_STREAM = 1u << 4,	/* long-lived event stream */
	RF_MFA_STEP = 1u << 5,	/* reachable with a session still waiting for its TOTP code */
};

struct route {
	const char *method;
	const char *pattern;	/* "/api/products/{id}": {x} matches a UUID */
	handler_fn fn;
	unsigned who;
	unsigned roles;
	unsigned flags;
	enum body_kind body;
	size_t body_max;	/* 0: HTTP_BODY_MAX */
};

extern const struct route routes[];
extern const size_t nroutes;

enum router_result { ROUTER_OK, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/* Match method+path.  On ROUTER_OK *out is the route and params[] the {x}
 * values (pointers into arena copies).  On ROUTER_BAD_METHOD allow[] is a
 * comma-separated list of the methods that path accepts. */
enum router_result router_match(const char *method, const char *path,
    const struct route **out, const char **params, int *nparams,
    char *scratch, size_t scratch_len, char *allow, size_t allow_len);

/* Check the table itself: patterns well-formed, no duplicate method+pattern.
 * Returns 0 or -1 with a message. */
int router_check(const struct route *tab, size_t n, char *err, size_t errlen);

#endif
