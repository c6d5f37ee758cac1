/* Who is calling: resolves bearer tokens and page sessions into r->who and
 * enforces the route's caller set and roles.  Deny by default. */
#ifndef POS_AUTH_H
#define POS_AUTH_H

#include <jansson.h>

struct req;

/* 1 if the request may proceed; otherwise the reply (401/403, or a redirect
 * to the login page for pages) is set and 0 returned. */
int auth_check(struct req *r);
/* The signed-in user for page models: {email, role} or JSON null. */
json_t *auth_user_json(struct req *r);

#endif
