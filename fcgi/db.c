#include "db.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "log.h"

void
db_init(struct db *db, const char *conninfo)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
}

static int
connect_now(struct db *db)
{
	/* expand_dbname lets conninfo be a full string; the options keep a stuck
	 * query or an abandoned transaction from holding a worker forever */
	const char *keys[] = { "dbname", "connect_timeout", "options", "application_name", NULL };
	const char *vals[] = { db->conninfo, "3",
	    "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000 -c max_parallel_workers_per_gather=0",
	    "posd", NULL };

	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = PQconnectdbParams(keys, vals, 1);
	db->gen++;
	if (db->conn == NULL)
		die("out of memory");
	if (PQstatus(db->conn) != CONNECTION_OK) {
		log_warn("db connect failed: %s", PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	return 0;
}

int
db_ensure(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	return connect_now(db);
}

void
db_end_request(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		PGresult *res;

		/* drain anything pending, then roll back what a handler left open */
		while ((res = PQgetResult(db->conn)) != NULL)
			PQclear(res);
		res = PQexec(db->conn, "ROLLBACK");
		PQclear(res);
	}
	db->used_in_request = 0;
	db->down = 0;
	db->sqlstate[0] = '\0';
}

void
db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
}

static void
clear_cb(void *p)
{
	PQclear(p);
}

/* Record why res failed; return 1 if the connection itself is gone. */
static int
note_failure(struct db *db, PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cn = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", st ? st : "");
	snprintf(db->constraint, sizeof(db->constraint), "%s", cn ? cn : "");
	db->down = db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK;
	return db->down;
}

static int
result_ok(PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static int
prepare(struct db *db, const struct db_stmt *st)
{
	PGresult *res;
	int i;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i] == st)
			break;
	if (i < db->nstmts && db->stmt_gen[i] == db->gen)
		return 0;
	res = PQprepare(db->conn, st->name, st->sql, 0, NULL);
	if (!result_ok(res)) {
		int down = note_failure(db, res);

		if (!down)
			log_error("prepare %s: %s", st->name, res ? PQresultErrorMessage(res) : "no result");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (i == db->nstmts) {
		if (db->nstmts == DB_MAX_STMTS)
			die("too many prepared statements");
		db->stmts[db->nstmts++] = st;
	}
	db->stmt_gen[i] = db->gen;
	return 0;
}

static PGresult *
run(struct req *r, const char *sql, const struct db_stmt *st, int n, const char *const *vals)
{
	struct db *db = r->db;
	PGresult *res = NULL;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (db_ensure(db) < 0) {
			db->down = 1;
			return NULL;
		}
		if (st != NULL && prepare(db, st) < 0) {
			res = NULL;
		} else if (st != NULL) {
			res = PQexecPrepared(db->conn, st->name, n, vals, NULL, NULL, 0);
		} else {
			res = PQexecParams(db->conn, sql, n, NULL, vals, NULL, NULL, 0);
		}
		if (result_ok(res)) {
			db->used_in_request = 1;
			db->sqlstate[0] = '\0';
			return arena_defer(r->a, clear_cb, res);
		}
		if (st == NULL || res != NULL)
			note_failure(db, res);
		PQclear(res);
		/* A connection that died while idle (PostgreSQL restarted) is only
		 * noticed now.  Nothing of this request has reached the database
		 * yet, so reconnecting and running the statement again is safe. */
		if (!db->down || db->used_in_request)
			break;
		log_info("db connection lost; reconnecting");
		if (connect_now(db) < 0)
			break;
	}
	if (!db->down && db->sqlstate[0] != '\0' && strncmp(db->sqlstate, "23", 2) != 0 &&
	    strcmp(db->sqlstate, "40001") != 0 && strcmp(db->sqlstate, "40P01") != 0)
		log_error("sql failed: sqlstate=%s %s", db->sqlstate, PQerrorMessage(db->conn));
	return NULL;
}

PGresult *
db_exec(struct req *r, const char *sql, int n, const char *const *vals)
{
	return run(r, sql, NULL, n, vals);
}

PGresult *
db_exec_stmt(struct req *r, const struct db_stmt *st, int n, const char *const *vals)
{
	return run(r, NULL, st, n, vals);
}

int
db_begin(struct req *r, const char *tenant_id)
{
	const char *v[1] = { tenant_id };

	if (db_exec(r, "BEGIN", 0, NULL) == NULL)
		return -1;
	if (tenant_id != NULL &&
	    db_exec(r, "SELECT set_config('app.tenant_id', $1, true)", 1, v) == NULL)
		return -1;
	return 0;
}

int
db_commit(struct req *r)
{
	return db_exec(r, "COMMIT", 0, NULL) == NULL ? -1 : 0;
}

void
db_rollback(struct req *r)
{
	if (r->db->conn != NULL && PQtransactionStatus(r->db->conn) != PQTRANS_IDLE)
		(void)db_exec(r, "ROLLBACK", 0, NULL);
}

void
db_fail(struct req *r)
{
	const char *st = r->db->sqlstate;

	if (r->db->down || r->db->conn == NULL)
		resp_error(r, 503, "db_unavailable", NULL);
	else if (strcmp(st, "23505") == 0 || strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		resp_error(r, 409, "conflict", NULL);
	else
		resp_error(r, 500, "internal", NULL);
}

void
db_fail_field(struct req *r, const char *field)
{
	const char *st = r->db->sqlstate;

	if (!r->db->down && (strcmp(st, "23503") == 0 || strcmp(st, "23514") == 0 || strcmp(st, "22003") == 0))
		resp_error(r, 400, "validation_failed", field);
	else
		db_fail(r);
}

void
db_reply_row(struct req *r, int status, const PGresult *res)
{
	if (res == NULL)
		db_fail(r);
	else if (PQntuples(res) != 1)
		resp_error(r, 404, "not_found", NULL);
	else
		resp_json(r, status, db_row_json(res, 0));
}

void
db_reply_value(struct req *r, int status, const PGresult *res, const char *field)
{
	if (res == NULL) {
		db_fail_field(r, field);
		return;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	resp_text(r, status, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

const char *
db_val(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

/* type OIDs from pg_type.h (stable across PostgreSQL versions) */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_JSONB 3802

json_t *
db_row_json(const PGresult *res, int row)
{
	json_t *o = json_object();
	int c, n = PQnfields(res);

	for (c = 0; c < n; c++) {
		const char *v = PQgetvalue(res, row, c);
		json_t *j;

		if (PQgetisnull(res, row, c)) {
			j = json_null();
		} else {
			switch (PQftype(res, c)) {
			case OID_BOOL:
				j = json_boolean(v[0] == 't');
				break;
			case OID_INT2:
			case OID_INT4:
			case OID_INT8:
				j = json_integer(strtoll(v, NULL, 10));
				break;
			case OID_JSON:
			case OID_JSONB:
				j = json_loads(v, JSON_DECODE_ANY, NULL);
				if (j == NULL)
					j = json_null();
				break;
			default:
				j = json_string(v);
				if (j == NULL)	/* not UTF-8: never from our UTF-8 database */
					j = json_null();
			}
		}
		json_object_set_new(o, PQfname(res, c), j);
	}
	return o;
}

json_t *
db_rows_json(const PGresult *res)
{
	json_t *a = json_array();
	int i, n = PQntuples(res);

	for (i = 0; i < n; i++)
		json_array_append_new(a, db_row_json(res, i));
	return a;
}
