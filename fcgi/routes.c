/* Every route of the product, in one table (cgit's cmd.c is the model).
 * The dispatcher (server.c) enforces each row before the handler runs:
 * who may call, roles, body kind and limit, database, tenant transaction,
 * CSRF.  static/openapi.json describes exactly these routes (a unit test
 * keeps the two equal). */
#include "router.h"

#include "core.h"

const struct route routes[] = {
	/* method  pattern               handler        who       roles flags           body       max */
	{ "GET",  "/healthz",            core_healthz,  WHO_ANON, 0, 0,                 BODY_NONE, 0 },
	{ "GET",  "/api/version",        core_version,  WHO_ANON, 0, 0,                 BODY_NONE, 0 },
	{ "GET",  "/api/openapi.json",   core_openapi,  WHO_ANON, 0, 0,                 BODY_NONE, 0 },
	{ "GET",  "/docs",               core_docs,     WHO_ANON, 0, RF_PAGE,           BODY_NONE, 0 },
	{ "POST", "/api/client-log",     core_client_log, WHO_ANON | WHO_DEVICE | WHO_USER, 0, 0, BODY_JSON, 16 * 1024 },
	{ "GET",  "/",                   core_home,     WHO_ANON, 0, RF_PAGE,           BODY_NONE, 0 },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
