/* posctl: the command-line tool.  Shares the workers' modules and config
 * (POS_* environment, POS_CONFIG file). */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "log.h"
#include "migrate.h"
#include "router.h"

static int
cmd_migrate(void)
{
	char err[1024];
	int n = migrate_run(app.cfg.db_admin, app.cfg.root, err, sizeof(err));

	if (n < 0) {
		fprintf(stderr, "posctl migrate: %s\n", err);
		return 1;
	}
	printf("migrations: %d applied, schema up to date\n", n);
	return 0;
}

static int
cmd_routes(void)
{
	size_t i;

	for (i = 0; i < nroutes; i++)
		printf("%-6s %s\n", routes[i].method, routes[i].pattern);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: posctl COMMAND\n"
	    "  migrate      apply pending migrations (as POS_DB_ADMIN)\n"
	    "  routes       list the route table\n");
}

int
main(int argc, char **argv)
{
	char err[1024];

	if (config_load(&app.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "posctl: %s\n", err);
		return 1;
	}
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate();
	if (strcmp(argv[1], "routes") == 0)
		return cmd_routes();
	usage();
	return 2;
}
