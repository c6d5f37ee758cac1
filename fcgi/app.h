/* Process-wide state: configuration, message catalogues, templates and the
 * API description.  Set once at start-up, read-only afterwards. */
#ifndef POS_APP_H
#define POS_APP_H

#include <jansson.h>
#include <stddef.h>

struct i18n;
struct tmpl_set;

struct config {
	const char *root;	/* project root: templates/, static/, migrations/ */
	const char *vardir;	/* data folder: keys, sockets, logs */
	const char *socket;	/* FastCGI unix socket the supervisor listens on */
	const char *order_socket; /* the same for the order pool (POST /api/orders, sync push) */
	const char *db;		/* libpq conninfo for the application role */
	const char *db_admin;	/* libpq conninfo for the owner role (migrations) */
	const char *signup;	/* "licence" (default) or "open" */
	const char *log_level;
	const char *version;
	int workers;		/* the API pool */
	int order_workers;	/* the order pool: store-serialised writes queue here */
	int event_threads;	/* posev: streams served at once */
	int https;		/* cookies get Secure even without the HTTPS param */
};

struct app {
	struct config cfg;
	struct i18n *cat;
	struct tmpl_set *tmpl;
	json_t *openapi;	/* parsed static/openapi.json */
	char *openapi_text;	/* the same, serialised once */
	size_t openapi_len;
	char static_v[17];	/* a hash of the page assets: ?v= on their URLs */
};

extern struct app app;

/* Read POS_* from the environment, then KEY=VALUE lines from POS_CONFIG (the
 * environment wins).  Returns 0 or -1 with a message. */
int config_load(struct config *c, char *err, size_t errlen);
/* Load catalogues, templates and the API description for the workers. */
int app_load_assets(char *err, size_t errlen);

#endif
