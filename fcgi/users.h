/* Staff of a tenant: invitations with a role, PIN resets, soft
 * deactivation.  Owners and admins manage them; an admin cannot touch an
 * owner, and nobody can make a superadmin. */
#ifndef POS_USERS_H
#define POS_USERS_H

#include <jansson.h>

struct req;

extern const char *const users_roles[];	/* roles staff may be given */

/* A cashier's PIN: 4 to 6 digits (NULL is not one). */
int users_pin_ok(const char *pin);

/* Shared by the API and the Users page.  body as POST /api/users.  Returns
 * the new user, or NULL with *bad_field (400) or the reply set. */
json_t *users_create(struct req *r, json_t *body, const char **bad_field);

void users_api_list(struct req *r);
void users_api_create(struct req *r);
void users_api_get(struct req *r);
void users_api_patch(struct req *r);
void users_api_delete(struct req *r);

#endif
