/* PostgreSQL access: one connection per worker, parameters only (there is no
 * entry point that formats SQL), results owned by the request's arena.  The
 * connection comes back by itself after PostgreSQL restarts. */
#ifndef POS_DB_H
#define POS_DB_H

#include <libpq-fe.h>

struct req;

#define DB_MAX_STMTS 256

/* A statement prepared once per connection, on first use. */
struct db_stmt {
	const char *name;
	const char *sql;
};

struct db {
	PGconn *conn;
	const char *conninfo;
	unsigned gen;				/* bumped on every (re)connect */
	const struct db_stmt *stmts[DB_MAX_STMTS];
	unsigned stmt_gen[DB_MAX_STMTS];
	int nstmts;
	int used_in_request;			/* a statement has run in this request */
	int down;				/* last failure was a lost connection */
	char sqlstate[6];			/* of the last failure, "" if none */
	char constraint[64];			/* constraint named by the last failure */
};

void db_init(struct db *db, const char *conninfo);
/* Connect if not connected.  0 when usable, -1 when PostgreSQL is away. */
int db_ensure(struct db *db);
/* End of request: roll back anything left open, forget per-request state. */
void db_end_request(struct db *db);
void db_close(struct db *db);

/* Run sql with text parameters (NULL = SQL NULL).  The result belongs to the
 * request; NULL on failure, with r->db->down / r->db->sqlstate set. */
PGresult *db_exec(struct req *r, const char *sql, int n, const char *const *vals);
PGresult *db_exec_stmt(struct req *r, const struct db_stmt *st, int n, const char *const *vals);

/* BEGIN, and when tenant_id is non-NULL set app.tenant_id for this transaction
 * only (set_config(..., true)), so row-level security scopes every query. */
int db_begin(struct req *r, const char *tenant_id);
int db_commit(struct req *r);
void db_rollback(struct req *r);

/* Map the last failure to a reply: 503 db_unavailable, 409 conflict for a
 * unique violation, 500 otherwise (logged, never shown). */
void db_fail(struct req *r);
/* Like db_fail, but a foreign-key or check violation (a referenced row that
 * does not exist, a value the table refuses) is the client's: 400
 * validation_failed naming field. */
void db_fail_field(struct req *r, const char *field);

/* Reply with the single row of res as JSON (status), 404 when there is no
 * row, or the failure's status when res is NULL. */
void db_reply_row(struct req *r, int status, const PGresult *res);

/* Reply with the one JSON value a statement returned, as it came (status),
 * 404 without one; on failure db_fail_field(r, field). */
void db_reply_value(struct req *r, int status, const PGresult *res, const char *field);

/* Convenience: value of row/col or NULL for SQL NULL. */
const char *db_val(const PGresult *res, int row, int col);



#include <jansson.h>

/* A result row as a JSON object keyed by column name: integers and booleans
 * typed, json/jsonb parsed, everything else (text, uuid, numeric, times
 * formatted by SQL) as strings, SQL NULL as null. */
json_t *db_row_json(const PGresult *res, int row);
/* All rows as a JSON array of such objects. */
json_t *db_rows_json(const PGresult *res);
#endif
