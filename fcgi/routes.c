/* Every route of the product, in one table (cgit's cmd.c is the model).
 * The dispatcher (server.c) enforces each row before the handler runs:
 * who may call (WHO_*), the roles a user needs (0: any signed-in user),
 * body kind and size limit, the database, the tenant transaction, CSRF.
 * static/openapi.json describes exactly these routes (a unit test keeps the
 * two equal). */
#include "router.h"

#include "audit.h"
#include "catalogue.h"
#include "orders.h"
#include "auth.h"
#include "core.h"
#include "devices.h"
#include "events.h"
#include "kitchen.h"
#include "pages.h"
#include "reports.h"
#include "tenants.h"
#include "users.h"

#define KB 1024
#define TX (RF_DB | RF_TENANT)
#define SA ROLE_SUPERADMIN
#define OA ROLES_OWNER_ADMIN
#define MGR ROLES_MANAGER_UP
#define COOK ROLES_COOK_UP
#define U WHO_USER
#define D WHO_DEVICE
#define ANON WHO_ANON
#define S WHO_SESSION
#define PG RF_PAGE
#define FORM BODY_FORM, PAGES_FORM_MAX

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
	{ "POST",  "/api/auth/logout",                auth_api_logout,          U | D,      0,        TX,     BODY_NONE, 0 },

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

	/* catalogue (manager+) and what the till shows */
	{ "GET",   "/api/pos/categories",             cat_pos_categories,       U | D,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/pos/items",                  cat_pos_items,            U | D,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/categories",                 cat_categories_list,      U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/categories",                 cat_categories_create,    U,        MGR,      TX,     BODY_JSON, 16 * KB },
	{ "GET",   "/api/categories/{id}",            cat_categories_get,       U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/categories/{id}",            cat_categories_patch,     U,        MGR,      TX,     BODY_JSON, 16 * KB },
	{ "DELETE","/api/categories/{id}",            cat_categories_delete,    U,        MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/products",                   cat_products_list,        U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/products",                   cat_products_create,      U,        MGR,      TX,     BODY_JSON, 16 * KB },
	{ "GET",   "/api/products/{id}",              cat_products_get,         U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/products/{id}",              cat_products_patch,       U,        MGR,      TX,     BODY_JSON, 16 * KB },
	{ "DELETE","/api/products/{id}",              cat_products_delete,      U,        MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/modifier-groups",            cat_groups_list,          U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/modifier-groups",            cat_groups_create,        U,        MGR,      TX,     BODY_JSON, 64 * KB },
	{ "GET",   "/api/modifier-groups/{id}",       cat_groups_get,           U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/modifier-groups/{id}",       cat_groups_patch,         U,        MGR,      TX,     BODY_JSON, 64 * KB },
	{ "DELETE","/api/modifier-groups/{id}",       cat_groups_delete,        U,        MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/ingredients",                cat_ingredients_list,     U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/ingredients",                cat_ingredients_create,   U,        MGR,      TX,     BODY_JSON, 16 * KB },
	{ "GET",   "/api/ingredients/{id}",           cat_ingredients_get,      U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/ingredients/{id}",           cat_ingredients_patch,    U,        MGR,      TX,     BODY_JSON, 16 * KB },
	{ "DELETE","/api/ingredients/{id}",           cat_ingredients_delete,   U,        MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/recipes",                    cat_recipes_list,         U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/recipes",                    cat_recipes_create,       U,        MGR,      TX,     BODY_JSON, 64 * KB },
	{ "GET",   "/api/recipes/{id}",               cat_recipes_get,          U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/recipes/{id}",               cat_recipes_patch,        U,        MGR,      TX,     BODY_JSON, 64 * KB },
	{ "DELETE","/api/recipes/{id}",               cat_recipes_delete,       U,        MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/stock",                      stock_list,               U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/stock/movements",            stock_movement,           U,        MGR,      TX,     BODY_JSON, 4 * KB },

	/* orders and sync */
	{ "POST",  "/api/orders",                     orders_api_create,        D,        0,        TX,     BODY_JSON, 1024 * KB },
	{ "GET",   "/api/orders/today",               orders_api_today,         U | D,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/orders/stats/today",         reports_api_stats_today,  U | D,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/orders/{id}",                orders_api_get,           U | D,    MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/orders/{id}/refund",         orders_api_refund,        U,        MGR,      TX,     BODY_JSON, 4 * KB },
	{ "POST",  "/api/orders/{id}/cancel",         orders_api_cancel,        U,        MGR,      TX,     BODY_JSON, 4 * KB },
	{ "POST",  "/api/sync/push",                  orders_sync_push,         D,        0,        TX,     BODY_JSON, 0 },
	{ "GET",   "/api/sync/pull",                  cat_sync_pull,            D,        0,        TX,     BODY_NONE, 0 },
	{ "GET",   "/api/sync/conflicts",             orders_sync_conflicts,    U,        MGR,      TX,     BODY_NONE, 0 },

	/* kitchen (cook+) */
	{ "GET",   "/api/kitchen/orders",             kitchen_api_orders,       U,        COOK,     TX,     BODY_NONE, 0 },
	{ "POST",  "/api/kitchen/orders/{id}/status", kitchen_api_status,       U,        COOK,     TX,     BODY_JSON, 4 * KB },

	/* reports (manager+; the session too, so the reports page's CSV links work) and expenses */
	{ "GET",   "/api/reports/sales",              reports_api_sales,        U | S,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/reports/top-products",       reports_api_top_products, U | S,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/reports/pnl",                reports_api_pnl,          U | S,    MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/expense-categories",         reports_categories_list,  U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/expense-categories",         reports_categories_create, U,       MGR,      TX,     BODY_JSON, 4 * KB },
	{ "GET",   "/api/expense-categories/{id}",    reports_categories_get,   U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/expense-categories/{id}",    reports_categories_patch, U,        MGR,      TX,     BODY_JSON, 4 * KB },
	{ "DELETE","/api/expense-categories/{id}",    reports_categories_delete, U,       MGR,      TX,     BODY_NONE, 0 },
	{ "GET",   "/api/expenses",                   reports_expenses_list,    U,        MGR,      TX,     BODY_NONE, 0 },
	{ "POST",  "/api/expenses",                   reports_expenses_create,  U,        MGR,      TX,     BODY_JSON, 8 * KB },
	{ "GET",   "/api/expenses/{id}",              reports_expenses_get,     U,        MGR,      TX,     BODY_NONE, 0 },
	{ "PATCH", "/api/expenses/{id}",              reports_expenses_patch,   U,        MGR,      TX,     BODY_JSON, 8 * KB },
	{ "DELETE","/api/expenses/{id}",              reports_expenses_delete,  U,        MGR,      TX,     BODY_NONE, 0 },

	/* live events (served by posev; this row states who may listen) */
	{ "GET",   "/api/events",                     events_elsewhere,         U | D | WHO_SESSION, 0, TX | RF_STREAM, BODY_NONE, 0 },

	/* pages */
	{ "GET",   "/docs",                           core_docs,                ANON,     0,        RF_PAGE, BODY_NONE, 0 },
	{ "GET",   "/",                               core_home,                ANON,     0,        RF_PAGE, BODY_NONE, 0 },
	{ "GET",   "/login",                          auth_page_login,          ANON,     0,        PG,     BODY_NONE, 0 },
	{ "POST",  "/login",                          auth_page_login_post,     ANON,     0,        RF_DB | PG | RF_CSRF, FORM },
	{ "GET",   "/login/2fa",                      auth_page_2fa,            S,        0,        TX | PG | RF_MFA_STEP, BODY_NONE, 0 },
	{ "POST",  "/login/2fa",                      auth_page_2fa_post,       S,        0,        TX | PG | RF_MFA_STEP | RF_CSRF, FORM },
	{ "POST",  "/logout",                         auth_page_logout,         S,        0,        TX | PG | RF_MFA_STEP | RF_CSRF, FORM },
	{ "GET",   "/onboarding",                     tenants_page_onboarding,  ANON,     0,        PG,     BODY_NONE, 0 },
	{ "POST",  "/onboarding",                     tenants_page_onboarding_post, ANON, 0,        TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard",                      reports_page_dashboard,   S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "GET",   "/dashboard/reports",              reports_page_reports,     S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "GET",   "/dashboard/devices",              devices_page_list,        S,        OA,       TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/devices",              devices_page_create,      S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/devices/{id}/revoke",  devices_page_revoke,      S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/devices/{id}/reset-key", devices_page_reset_key, S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/devices/{id}/enable",  devices_page_enable,      S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/users",                users_page_list,          S,        OA,       TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/users",                users_page_create,        S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/users/{id}/deactivate", users_page_deactivate,   S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/users/{id}/pin",       users_page_pin,           S,        OA,       TX | PG | RF_CSRF, FORM },
	{ "GET",   "/kitchen",                        kitchen_page,             S,        COOK,     TX | PG, BODY_NONE, 0 },
	{ "POST",  "/kitchen/orders/{id}/status",     kitchen_page_status,      S,        COOK,     TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/orders",               orders_page_list,         S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "GET",   "/dashboard/orders/{id}",          orders_page_detail,       S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/orders/{id}/refund",   orders_page_refund,       S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/orders/{id}/cancel",   orders_page_cancel,       S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/conflicts",            orders_page_conflicts,    S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "GET",   "/dashboard/settings",             settings_page,            S,        OA,       TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/settings",             settings_page_post,       S,        OA,       TX | PG | RF_CSRF, FORM },
	/* catalogue pages (manager+); recipes/{id} is the product's id */
	{ "GET",   "/dashboard/categories",           catalogue_page_categories,         S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/categories",           catalogue_page_category_create,    S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/categories/{id}",      catalogue_page_category,           S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/categories/{id}",      catalogue_page_category_update,    S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/categories/{id}/delete", catalogue_page_category_delete,    S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/categories/{id}/restore", catalogue_page_category_restore,   S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/products",             catalogue_page_products,           S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/products",             catalogue_page_product_create,     S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/products/{id}",        catalogue_page_product,            S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/products/{id}",        catalogue_page_product_update,     S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/products/{id}/delete", catalogue_page_product_delete,     S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/products/{id}/restore", catalogue_page_product_restore,    S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/modifier-groups",      catalogue_page_groups,             S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/modifier-groups",      catalogue_page_group_create,       S,        MGR,      TX | PG | RF_CSRF, BODY_FORM, 64 * KB },
	{ "GET",   "/dashboard/modifier-groups/{id}", catalogue_page_group,              S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/modifier-groups/{id}", catalogue_page_group_update,       S,        MGR,      TX | PG | RF_CSRF, BODY_FORM, 64 * KB },
	{ "POST",  "/dashboard/modifier-groups/{id}/delete", catalogue_page_group_delete,       S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/modifier-groups/{id}/restore", catalogue_page_group_restore,      S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/ingredients",          catalogue_page_ingredients,        S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/ingredients",          catalogue_page_ingredient_create,  S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/ingredients/{id}",     catalogue_page_ingredient,         S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/ingredients/{id}",     catalogue_page_ingredient_update,  S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/ingredients/{id}/delete", catalogue_page_ingredient_delete,  S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "POST",  "/dashboard/ingredients/{id}/restore", catalogue_page_ingredient_restore, S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/dashboard/recipes",              catalogue_page_recipes,            S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "GET",   "/dashboard/recipes/{id}",         catalogue_page_recipe,             S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/recipes/{id}",         catalogue_page_recipe_save,        S,        MGR,      TX | PG | RF_CSRF, BODY_FORM, 64 * KB },
	{ "GET",   "/dashboard/stock",                catalogue_page_stock,              S,        MGR,      TX | PG, BODY_NONE, 0 },
	{ "POST",  "/dashboard/stock/movements",      catalogue_page_stock_movement,     S,        MGR,      TX | PG | RF_CSRF, FORM },
	{ "GET",   "/platform",                       tenants_page_platform,    S,        SA,       TX | PG, BODY_NONE, 0 },
	{ "POST",  "/platform/tenants/{id}/max-devices", tenants_page_max_devices, S,     SA,       TX | PG | RF_CSRF, FORM },
	{ "POST",  "/platform/licence-codes",         tenants_page_licence_code, S,       SA,       TX | PG | RF_CSRF, FORM },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
