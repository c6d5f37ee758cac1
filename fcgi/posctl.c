/* posctl: the command-line tool.  Shares the workers' modules and config
 * (POS_* environment, POS_CONFIG file).  It acts as the platform operator:
 * its requests run with the superadmin's rights. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "arena.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "keys.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "router.h"
#include "tenants.h"
#include "totp.h"
#include "users.h"
#include "valid.h"

static struct arena arena;
static struct db db;

/* A request context for the shared modules, scoped to tenant (or none). */
static struct req *
cli_req(const char *tenant_id)
{
	static struct req r;

	memset(&r, 0, sizeof(r));
	r.a = &arena;
	r.db = &db;
	r.lang = "en";
	r.request_id = "posctl";
	r.remote_addr = "cli";
	r.method = "CLI";
	r.path = "posctl";
	buf_init(&r.resp.body, &arena, 1024);
	r.who.kind = AUTHK_USER;
	r.who.role = ROLE_SUPERADMIN;
	r.who.tenant_id = tenant_id;
	return &r;
}

static int
fail(struct req *r, const char *what)
{
	fprintf(stderr, "posctl: %s failed: %s%.*s\n", what, r->db->sqlstate[0] ? "" : "",
	    (int)r->resp.body.len, r->resp.body.p);
	if (r->db->conn != NULL && PQerrorMessage(r->db->conn)[0] != '\0')
		fprintf(stderr, "posctl: %s", PQerrorMessage(r->db->conn));
	db_rollback(r);
	return 1;
}

static int
open_db(void)
{
	char err[512];

	if (keys_load(app.cfg.vardir, err, sizeof(err)) < 0) {
		fprintf(stderr, "posctl: keys: %s\n", err);
		return -1;
	}
	arena_init(&arena, 64 * 1024);
	db_init(&db, app.cfg.db);
	if (db_ensure(&db) < 0) {
		fprintf(stderr, "posctl: cannot connect to the database (POS_DB)\n");
		return -1;
	}
	return 0;
}

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

/* POS_SUPERADMIN_EMAIL + POS_SUPERADMIN_PASSWORD: create the platform's
 * superadmin if absent (an existing one is left as it is). */
static int
cmd_create_superadmin(void)
{
	const char *email = getenv("POS_SUPERADMIN_EMAIL"), *pw = getenv("POS_SUPERADMIN_PASSWORD");
	char hash[crypto_pwhash_STRBYTES];
	const char *v[2];
	struct req *r;
	PGresult *res;

	if (email == NULL || pw == NULL || !valid_email(email) || strlen(pw) < 12 || strlen(pw) > 128) {
		fprintf(stderr, "posctl: set POS_SUPERADMIN_EMAIL (an email) and POS_SUPERADMIN_PASSWORD (12-128 characters)\n");
		return 2;
	}
	if (open_db() < 0)
		return 1;
	r = cli_req(PLATFORM_TENANT);
	if (db_begin(r, PLATFORM_TENANT) < 0)
		return fail(r, "begin");
	v[0] = email;
	res = db_exec(r, "SELECT role FROM users WHERE lower(email) = lower($1)", 1, v);
	if (res == NULL)
		return fail(r, "lookup");
	if (PQntuples(res) == 1) {
		db_rollback(r);
		printf("superadmin %s exists\n", email);
		return 0;
	}
	if (pw_hash(pw, hash) < 0)
		return fail(r, "password hash");
	v[1] = hash;
	if (db_exec(r, "INSERT INTO users (tenant_id, id, email, password_hash, role) VALUES "
	    "('" PLATFORM_TENANT "', gen_random_uuid(), $1, $2, 'superadmin')", 2, v) == NULL ||
	    db_commit(r) < 0)
		return fail(r, "insert");
	printf("superadmin %s created (2FA enrolment at first login)\n", email);
	return 0;
}

static int
cmd_licence_code(const char *note)
{
	struct req *r;
	json_t *o;

	if (open_db() < 0)
		return 1;
	r = cli_req(PLATFORM_TENANT);
	if (db_begin(r, PLATFORM_TENANT) < 0)
		return fail(r, "begin");
	o = tenants_new_licence_code(r, note);
	if (o == NULL || db_commit(r) < 0)
		return fail(r, "licence code");
	printf("%s\n", json_string_value(json_object_get(o, "code")));
	json_decref(o);
	return 0;
}

/* A user of the demo tenant, with TOTP already enrolled from a secret that
 * demo-logins.txt prints, so the demo can be signed into at once. */
static int
demo_user(struct req *r, const char *email, const char *pw, const char *role, const char *pin,
    const char **totp_b32)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "email", email, "password", pw, "role", role);
	const char *bad = NULL, *v[2];
	json_t *u;

	if (pin != NULL)
		json_object_set_new(body, "pin", json_string(pin));
	u = users_create(r, body, &bad);
	json_decref(body);
	if (u == NULL)
		return -1;
	*totp_b32 = NULL;
	if (auth_role_needs_mfa(role)) {
		unsigned char secret[20];

		if (totp_new_secret(secret) < 0)
			return -1;
		v[0] = json_string_value(json_object_get(u, "id"));
		v[1] = crypto_seal(r->a, secret, sizeof(secret), r->who.tenant_id, "users", "totp_secret", v[0]);
		*totp_b32 = totp_base32(r->a, secret, sizeof(secret));
		if (v[1] == NULL || db_exec(r, "UPDATE users SET totp_secret = $2, totp_enabled = true "
		    "WHERE id = $1", 2, v) == NULL)
			return -1;
	}
	json_decref(u);
	return 0;
}

/* A trusted SQL file of the project (no parameters), in r's transaction. */
static int
run_sql_file(struct req *r, const char *rel)
{
	char path[4096];
	FILE *f;
	long n;
	char *sql;
	PGresult *res;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", app.cfg.root, rel);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	sql = arena_alloc(r->a, (size_t)n + 1);
	if (fread(sql, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	sql[n] = '\0';
	res = PQexec(r->db->conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "posctl: %s: %s", rel, PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static int
cmd_seed_demo(void)
{
	static const char owner[] = "owner@demo.pos", pw[] = "demo-password-2026";
	char path[4096];
	const char *bad = NULL, *tenant, *v[1] = { owner }, *totp_owner, *totp_manager, *nothing;
	struct req *r;
	json_t *boot, *body;
	PGresult *res;
	FILE *f;

	if (open_db() < 0)
		return 1;
	r = cli_req(NULL);
	res = db_exec(r, "SELECT tenant_id FROM auth_find_email($1)", 1, v);
	if (res == NULL)
		return fail(r, "lookup");
	if (PQntuples(res) == 1) {
		printf("demo data present (%s)\n", owner);
		return 0;
	}
	if (db_begin(r, NULL) < 0)
		return fail(r, "begin");
	body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "tenant_name", "Demo Café",
	    "store_name", "Demo Café — Nizami St.", "owner_email", owner, "owner_password", pw,
	    "base_currency", "AZN", "language", "ru", "time_zone", "Asia/Baku");
	boot = tenants_bootstrap(r, body, &bad);
	json_decref(body);
	if (boot == NULL)
		return fail(r, bad ? bad : "bootstrap");
	tenant = json_string_value(json_object_get(json_object_get(boot, "tenant"), "id"));
	r->who.tenant_id = tenant;
	r->who.role = ROLE_OWNER;
	{
		/* the owner's own TOTP secret, enrolled the same way as staff */
		unsigned char secret[20];
		const char *uv[2];

		uv[0] = json_string_value(json_object_get(json_object_get(boot, "owner"), "id"));
		if (totp_new_secret(secret) < 0)
			return fail(r, "totp");
		uv[1] = crypto_seal(r->a, secret, sizeof(secret), tenant, "users", "totp_secret", uv[0]);
		totp_owner = totp_base32(r->a, secret, sizeof(secret));
		if (db_exec(r, "UPDATE users SET totp_secret = $2, totp_enabled = true WHERE id = $1", 2, uv) == NULL)
			return fail(r, "owner totp");
	}
	if (db_exec(r, "UPDATE tenants SET max_devices = 3", 0, NULL) == NULL || run_sql_file(r, "scripts/demo-catalogue.sql") < 0 ||
	    demo_user(r, "manager@demo.pos", pw, "manager", NULL, &totp_manager) < 0 ||
	    demo_user(r, "cashier@demo.pos", pw, "cashier", "1234", &nothing) < 0 ||
	    demo_user(r, "cook@demo.pos", pw, "cook", NULL, &nothing) < 0 ||
	    db_commit(r) < 0)
		return fail(r, "demo users");
	snprintf(path, sizeof(path), "%s/demo-logins.txt", app.cfg.vardir);
	/* the shared password, the TOTP secrets and the till's key: the
	 * owner of the data folder only, like the key files */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (fd >= 0 && f == NULL)
			close(fd);
		if (fd >= 0)
			(void)fchmod(fd, 0600);	/* an older file kept its mode */
	}
	if (f == NULL) {
		perror(path);
		return 1;
	}
	fprintf(f,
	    "  Demo logins (password for all: %s)\n"
	    "    owner    %-20s TOTP secret %s\n"
	    "    manager  %-20s TOTP secret %s\n"
	    "    cashier  %-20s PIN 1234 on the till\n"
	    "    cook     %-20s (kitchen view)\n"
	    "  Till POS-01 device key: %s (activates once)\n"
	    "  TOTP codes: add the secret to an authenticator app, or `oathtool --totp -b SECRET`\n\n",
	    pw, owner, totp_owner, "manager@demo.pos", totp_manager, "cashier@demo.pos", "cook@demo.pos",
	    json_string_value(json_object_get(json_object_get(boot, "device"), "device_key")));
	fclose(f);
	json_decref(boot);
	printf("demo data created; logins in %s\n", path);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: posctl COMMAND\n"
	    "  migrate             apply pending migrations (as POS_DB_ADMIN)\n"
	    "  routes              list the route table\n"
	    "  create-superadmin   create the platform superadmin from POS_SUPERADMIN_EMAIL/_PASSWORD if absent\n"
	    "  licence-code [NOTE] issue a single-use licence code\n"
	    "  seed-demo           create the demo café (once) and write VARDIR/demo-logins.txt\n");
}

int
main(int argc, char **argv)
{
	char err[1024];
	int rc;

	if (config_load(&app.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "posctl: %s\n", err);
		return 1;
	}
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "migrate") == 0)
		rc = cmd_migrate();
	else if (strcmp(argv[1], "routes") == 0)
		rc = cmd_routes();
	else if (strcmp(argv[1], "create-superadmin") == 0)
		rc = cmd_create_superadmin();
	else if (strcmp(argv[1], "licence-code") == 0)
		rc = cmd_licence_code(argc > 2 ? argv[2] : NULL);
	else if (strcmp(argv[1], "seed-demo") == 0)
		rc = cmd_seed_demo();
	else {
		usage();
		rc = 2;
	}
	if (db.conn != NULL) {
		db_close(&db);
		arena_free(&arena);
	}
	return rc;
}
