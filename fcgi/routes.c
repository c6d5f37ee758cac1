/* Every route of the product, in one table (cgit's cmd.c is the model).
 * The dispatcher (server.c) enforces each row before the handler runs:
 * who may call (WHO_*), the roles a user needs (0: any signed-in user),
 * body kind and size limit, the database, the tenant transaction, CSRF.
 * static/openapi.json describes exactly these routes (a unit test keeps the
 * two equal). */
#include "router.h"

#include "audit.h"
#include "auth.h"
#include "core.h"
#include "devices.h"
#include "tenants.h"
#include "users.h"

#define KB 1024
#define TX (RF_DB | RF_TENANT)
#define SA ROLE_SUPERADMIN
#define OA ROLES_OWNER_ADMIN
#define MGR ROLES_MANAGER_UP
#define U WHO_USER
#define D WHO_DEVICE
#define ANON WHO_ANON

const struct route routes[] = {
	/* method  pattern                           handler                   who       roles     flags   body       limit */
	/* the service */
	{ "GET",   "/healthz",                        core_healthz,             ANON,     0,        0,      BODY_NONE, 0 },
	{ "GET",   "/api/version",                    core_version,             ANON,     0,        0,      BODY_NONE, 0 },
	{ "GET",   "/api/openapi.json",               core_openapi,             ANON,     0,        0,      BODY_NONE, 0 },
	{ "POST",  "/api/client-log",                 core_client_log,          ANON,     0,        0,      BODY_JSON, 16 * KB },

	/* sign-in */
	{ "POST",  "/api/auth/login",                 auth_api_login,           ANON,     0,        RF_DB,  BODY_JSON, 16 * KB },
	{ "POST",  "/api/auth/2fa/verify",            auth_api_2fa_verify,      ANON,     0,        RF_DB,  BODY_JSON, 16 * KB },
	{ "POST",  "/api/auth/pin",                   auth_api_pin,             D,        0,        TX,     BODY_JSON, 4 * KB },
	{ "POST",  "/api/auth/logout",                auth_api_logout,          U,        0,        TX,     BODY_NONE, 0 },

	/* onboarding and licensing */
	{ "POST",  "/api/bootstrap",                  tenants_api_bootstrap,    ANON | U, SA,       TX,     BODY_JSON, 16 * KB },
	{ "GET",   "/api/tenants",                    tenants_api_list,         U,        SA,       TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/tenants/{id}/max-devices",   tenants_api_max_devices,  U,        SA,       TX,     BODY_JSON, 4 * KB },
	{ "POST",  "/api/licence-codes",              tenants_api_licence_code, U,        SA,       TX,     BODY_JSON, 4 * KB },
	{ "GET",   "/api/audit",                      audit_api_list,           U,        OA | SA,  TX,     BODY_NONE, 0 },
	{ "GET",   "/api/store",                      tenants_api_store_get,    U | D,    MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/store",                      tenants_api_store_patch,  U,        OA,       TX,     BODY_JSON, 4 * KB },

	/* tills */
	{ "GET",   "/api/devices",                    devices_api_list,         U,        OA,       TX,     BODY_NONE, 0 },
	{ "POST",  "/api/devices",                    devices_api_create,       U,        OA,       TX,     BODY_JSON, 4 * KB },
	{ "POST",  "/api/devices/activate",           devices_api_activate,     ANON,     0,        RF_DB,  BODY_JSON, 4 * KB },
	{ "POST",  "/api/devices/{id}/revoke",        devices_api_revoke,       U,        OA,       TX,     BODY_NONE, 0 },
	{ "POST",  "/api/devices/{id}/reset-key",     devices_api_reset_key,    U,        OA,       TX,     BODY_NONE, 0 },
	{ "POST",  "/api/devices/{id}/enable",        devices_api_enable,       U,        OA,       TX,     BODY_NONE, 0 },

	/* staff */
	{ "GET",   "/api/users",                      users_api_list,           U,        OA,       TX,     BODY_NONE, 0 },
	{ "POST",  "/api/users",                      users_api_create,         U,        OA,       TX,     BODY_JSON, 16 * KB },
	{ "GET",   "/api/users/{id}",                 users_api_get,            U,        OA,       TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/users/{id}",                 users_api_patch,          U,        OA,       TX,     BODY_JSON, 16 * KB },
	{ "DELETE","/api/users/{id}",                 users_api_delete,         U,        OA,       TX,     BODY_NONE, 0 },

	/* pages */
	{ "GET",   "/docs",                           core_docs,                ANON,     0,        RF_PAGE, BODY_NONE, 0 },
	{ "GET",   "/",                               core_home,                ANON,     0,        RF_PAGE, BODY_NONE, 0 },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
