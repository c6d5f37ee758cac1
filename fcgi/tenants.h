/* Tenants, stores and licences: bootstrap (a business, its store, owner and
 * first till in one transaction), the superadmin's tenant list, till limits
 * and licence codes, and the store's settings. */
#ifndef POS_TENANTS_H
#define POS_TENANTS_H

#include <jansson.h>

struct req;

extern const char *const tenants_currencies[];	/* NULL-terminated */
extern const char *const tenants_languages[];

/* The bootstrap itself, shared by the API and the /onboarding form.  body
 * holds the fields of POST /api/bootstrap (validated here).  On success
 * returns the 201 reply object; otherwise NULL with *bad_field set for a
 * validation failure (400), or with the reply already set (403/409/5xx). */
json_t *tenants_bootstrap(struct req *r, json_t *body, const char **bad_field);
/* Superadmin: set a tenant's till limit.  0 ok (*out = tenant), 1 not found,
 * 2 below the active count, -1 database failure. */
int tenants_set_max_devices(struct req *r, const char *tenant_id, long long max, json_t **out);
/* Superadmin: a new single-use code (shown once). */
json_t *tenants_new_licence_code(struct req *r, const char *note);

void tenants_api_bootstrap(struct req *r);
void tenants_api_list(struct req *r);
void tenants_api_max_devices(struct req *r);
void tenants_api_licence_code(struct req *r);
void tenants_api_store_get(struct req *r);
void tenants_api_store_patch(struct req *r);

#endif
