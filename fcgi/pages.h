/* Server-rendered pages of sign-in (password, TOTP step, logout),
 * onboarding, the dashboard's home, tills and staff pages and the platform
 * page, plus the few helpers their forms share.  The business rules stay in
 * the service functions of tenants.c, devices.c and users.c; these handlers
 * turn form fields into the services' JSON bodies and their outcomes into
 * pages (field errors next to the field, PRG redirects, one-time secrets). */
#ifndef POS_PAGES_H
#define POS_PAGES_H

#include <jansson.h>

struct req;
struct vfield;

#define PAGES_FORM_MAX (16 * 1024)	/* body limit of every page form */

/* The named form fields (names NULL-terminated) as a JSON object of strings;
 * empty fields are left out, so optional fields read as absent.  New ref. */
json_t *pages_form_json(struct req *r, const char *const *names);
/* model.errors[field] = kind ("invalid", "taken", ...): the template shows
 * the translated message for that kind next to the field. */
void pages_field_error(json_t *model, const char *field, const char *kind);
/* Check each field of body on its own and mark every bad one "invalid" in
 * model.errors, so a form shows all its mistakes at once (the services stop
 * at the first).  Returns the number of bad fields. */
int pages_check_fields(struct req *r, json_t *model, json_t *body, const struct vfield *fields,
    size_t n);
/* A service failed and set a JSON error reply: show the friendly error page
 * of the same status instead. */
void pages_fail(struct req *r);
/* db_fail() as a friendly page (503, 409, 500). */
void pages_db_fail(struct req *r);
/* 1 if s may follow a sign-in: a local path ("/" not followed by "/" or
 * "\"), printable ASCII only, so it can never leave the site. */
int pages_local_path(const char *s);
/* s percent-encoded for a query string value; in the arena. */
char *pages_url_encode(struct req *r, const char *s);
/* A savepoint inside the request's transaction, so a statement that fails
 * with a unique violation can be undone and the page still rendered from
 * the database.  0 or -1. */
int pages_savepoint(struct req *r);
int pages_rollback_savepoint(struct req *r);

/* auth_pages.c */
void auth_page_login(struct req *r);
void auth_page_login_post(struct req *r);
void auth_page_2fa(struct req *r);
void auth_page_2fa_post(struct req *r);
void auth_page_logout(struct req *r);

/* tenants_pages.c */
void tenants_page_onboarding(struct req *r);
void tenants_page_onboarding_post(struct req *r);
void tenants_page_platform(struct req *r);
void tenants_page_max_devices(struct req *r);
void tenants_page_licence_code(struct req *r);

/* devices_pages.c */
void devices_page_list(struct req *r);
void devices_page_create(struct req *r);
void devices_page_revoke(struct req *r);
void devices_page_reset_key(struct req *r);
void devices_page_enable(struct req *r);

/* users_pages.c */
void users_page_list(struct req *r);
void users_page_create(struct req *r);
void users_page_deactivate(struct req *r);
void users_page_pin(struct req *r);

/* kitchen_pages.c */
void kitchen_page(struct req *r);
void kitchen_page_status(struct req *r);

/* orders_pages.c */
void orders_page_list(struct req *r);
void orders_page_detail(struct req *r);
void orders_page_refund(struct req *r);
void orders_page_cancel(struct req *r);
void orders_page_conflicts(struct req *r);

/* settings_pages.c */
void settings_page(struct req *r);
void settings_page_post(struct req *r);

/* catalogue_pages.c: categories, products, modifier groups, ingredients,
 * recipes (by product id) and stock (manager+) */
void catalogue_page_categories(struct req *r);
void catalogue_page_category(struct req *r);
void catalogue_page_category_create(struct req *r);
void catalogue_page_category_update(struct req *r);
void catalogue_page_category_delete(struct req *r);
void catalogue_page_category_restore(struct req *r);
void catalogue_page_products(struct req *r);
void catalogue_page_product(struct req *r);
void catalogue_page_product_create(struct req *r);
void catalogue_page_product_update(struct req *r);
void catalogue_page_product_delete(struct req *r);
void catalogue_page_product_restore(struct req *r);
void catalogue_page_groups(struct req *r);
void catalogue_page_group(struct req *r);
void catalogue_page_group_create(struct req *r);
void catalogue_page_group_update(struct req *r);
void catalogue_page_group_delete(struct req *r);
void catalogue_page_group_restore(struct req *r);
void catalogue_page_ingredients(struct req *r);
void catalogue_page_ingredient(struct req *r);
void catalogue_page_ingredient_create(struct req *r);
void catalogue_page_ingredient_update(struct req *r);
void catalogue_page_ingredient_delete(struct req *r);
void catalogue_page_ingredient_restore(struct req *r);
void catalogue_page_recipes(struct req *r);
void catalogue_page_recipe(struct req *r);
void catalogue_page_recipe_save(struct req *r);
void catalogue_page_stock(struct req *r);
void catalogue_page_stock_movement(struct req *r);

/* A list page number: 1 to 1000000, digits only; 0 for anything else. */
int pages_page_parse(const char *s);
/* The page asked for: ?page= of a GET, the form's page field of a POST;
 * 1 when absent or not a page number. */
int pages_page_no(struct req *r);
/* model.pager for dashboard/catalogue_pager: {show, page, prev, next,
 * links: [{n, href, current} | {gap}]} for pages 1..last (the first, the
 * last and two either side of page), hrefs as base ("…?" or "…&") plus
 * page=N; next only when has_next. */
json_t *pages_pager(struct req *r, const char *base, int page, long long last, int has_next);

#endif
