#include "auth.h"

#include "http.h"
#include "router.h"
#include "server.h"

int
auth_check(struct req *r)
{
	if (r->route->who & WHO_ANON)
		return 1;
	/* No credential kind is accepted yet: every protected route is closed. */
	if (req_wants_page(r))
		resp_redirect(r, 303, "/login");
	else
		resp_error(r, 401, "unauthorized", NULL);
	return 0;
}

json_t *
auth_user_json(struct req *r)
{
	return json_null();
}
