/* The reports API (sales, top products, PnL, today's stats; JSON or CSV)
 * and expenses.  The figures are computed in SQL (report_* functions of
 * migration 0004) in one statement each, so they are read in one snapshot;
 * this file checks the query, shapes CSV and owns the expense handlers. */
#include "reports.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "list.h"
#include "log.h"
#include "valid.h"

#define MONEY_MAX 1000000000000LL	/* 10^12 minor units */
/* Fold in the request only when the aggregator is clearly behind: a
 * request that folds writes, and a few hundred pending orders cost a reader
 * about a millisecond. */
#define FOLD_MIN "200"
#define FOLD_LIMIT "5000"

/* ---- shared helpers ---- */

long
reports_parse_date(const char *s)
{
	struct tm tm;
	int i, y, m, d;
	time_t t;

	if (s == NULL || strlen(s) != 10)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return -1;
	}
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	/* timegm normalises: 2026-02-30 comes back as March 2 */
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d)
		return -1;
	return (long)(t / 86400);
}

char *
reports_money(struct req *r, long long minor, const char *sep)
{
	unsigned long long v = minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
	char digits[32], out[96];
	size_t n, i, o = 0, sl = strlen(sep);

	n = (size_t)snprintf(digits, sizeof(digits), "%llu", v / 100);
	if (minor < 0)
		out[o++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0 && o + sl < sizeof(out) - 8) {
			memcpy(out + o, sep, sl);
			o += sl;
		}
		out[o++] = digits[i];
	}
	snprintf(out + o, sizeof(out) - o, ".%02llu", v % 100);
	return arena_strdup(r->a, out);
}

int
reports_fold(struct req *r)
{
	return db_exec(r, "SELECT rollup_fold(" FOLD_LIMIT ", " FOLD_MIN ")", 0, NULL) ? 0 : -1;
}

const char *
reports_today(struct req *r)
{
	const char *v[1] = { r->who.store_id };
	PGresult *res = db_exec(r, "SELECT coalesce(store_today($1), (now() AT TIME ZONE 'UTC')::date)::text", 1, v);

	return res ? arena_strdup(r->a, PQgetvalue(res, 0, 0)) : NULL;
}

/* from and to (YYYY-MM-DD, inclusive, the store's days), each defaulting to
 * the store's today (from, when only to is given, to to). */
struct range {
	const char *from, *to;
};

static int
parse_range(struct req *r, struct range *g)
{
	const char *f = kv_get(&r->query_params, "from"), *t = kv_get(&r->query_params, "to");
	long df, dt;

	if (f == NULL || t == NULL) {
		const char *today = t ? t : reports_today(r);

		if (today == NULL) {
			db_fail(r);
			return -1;
		}
		if (f == NULL)
			f = today;
		if (t == NULL)
			t = today;
	}
	if ((df = reports_parse_date(f)) < 0) {
		resp_error(r, 400, "validation_failed", "from");
		return -1;
	}
	if ((dt = reports_parse_date(t)) < 0 || dt < df || dt - df + 1 > REPORTS_MAX_DAYS) {
		resp_error(r, 400, "validation_failed", "to");
		return -1;
	}
	g->from = f;
	g->to = t;
	return 0;
}

/* 1 for CSV (?format=csv, or Accept naming text/csv), 0 for JSON, -1 with
 * a 400 reply for another format. */
static int
want_csv(struct req *r)
{
	const char *f = kv_get(&r->query_params, "format"), *p;

	if (f != NULL) {
		if (strcmp(f, "csv") == 0)
			return 1;
		if (strcmp(f, "json") == 0)
			return 0;
		resp_error(r, 400, "validation_failed", "format");
		return -1;
	}
	for (p = r->accept; p != NULL && *p != '\0'; ) {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ",;");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 8 && strncasecmp(p, "text/csv", 8) == 0)
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}

/* The store every report is about; a principal without one gets 404. */
static int
have_store(struct req *r)
{
	if (r->who.store_id != NULL)
		return 1;
	resp_error(r, 404, "not_found", NULL);
	return 0;
}

/* ---- CSV (RFC 4180: CRLF lines, quoted when needed, UTF-8 with a BOM so
 * spreadsheets read Cyrillic right) ---- */

enum csv_kind { CSV_TEXT, CSV_INT, CSV_MONEY };

struct csv_col {
	const char *head;	/* money columns get _<currency> appended */
	const char *field;
	enum csv_kind kind;
};

static void
csv_field(struct buf *b, const char *s, int text)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL || *s == ' ';
	const char *p;

	if (quote)
		buf_putc(b, '"');
	/* a text cell that a spreadsheet would run as a formula is made text */
	if (text && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r'))
		buf_putc(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '"')
			buf_putc(b, '"');
		buf_putc(b, *p);
	}
	if (quote)
		buf_putc(b, '"');
}

static const char *
csv_value(struct req *r, json_t *v, enum csv_kind kind)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return kind == CSV_MONEY ? reports_money(r, json_integer_value(v), "")
		    : arena_printf(r->a, "%lld", (long long)json_integer_value(v));
	if (json_is_true(v) || json_is_false(v))
		return json_is_true(v) ? "true" : "false";
	return "";
}

/* Rows (an array of objects, or one object) as a CSV attachment. */
static void
reply_csv(struct req *r, const char *name, const struct csv_col *cols, size_t ncols, json_t *rows,
    const char *currency)
{
	struct buf b;
	char cur[8];
	size_t i, j;
	json_t *row;

	snprintf(cur, sizeof(cur), "%s", currency ? currency : "");
	for (i = 0; cur[i]; i++)
		cur[i] = (char)tolower((unsigned char)cur[i]);
	buf_init(&b, r->a, 4096);
	buf_puts(&b, "\xEF\xBB\xBF");
	for (j = 0; j < ncols; j++) {
		if (j > 0)
			buf_putc(&b, ',');
		csv_field(&b, cols[j].kind == CSV_MONEY && *cur ? arena_printf(r->a, "%s_%s", cols[j].head, cur)
		    : cols[j].head, 0);
	}
	buf_puts(&b, "\r\n");
	if (json_is_object(rows))
		rows = json_pack("[O]", rows);
	else
		json_incref(rows);
	json_array_foreach(rows, i, row) {
		for (j = 0; j < ncols; j++) {
			if (j > 0)
				buf_putc(&b, ',');
			csv_field(&b, csv_value(r, json_object_get(row, cols[j].field), cols[j].kind),
			    cols[j].kind == CSV_TEXT);
		}
		buf_puts(&b, "\r\n");
	}
	json_decref(rows);
	resp_text(r, 200, "text/csv; charset=utf-8", b.p, b.len);
	resp_header(r, "Content-Disposition", arena_printf(r->a, "attachment; filename=\"%s.csv\"", name));
	resp_header(r, "Cache-Control", "private, no-store");
}

/* Run a report statement returning one jsonb; reply with it as JSON, or
 * return it parsed (for CSV). */
static json_t *
run_report(struct req *r, const char *sql, int n, const char *const *v, int csv)
{
	PGresult *res = db_exec(r, sql, n, v);
	json_t *j;

	if (res == NULL) {
		db_fail(r);
		return NULL;
	}
	if (!csv) {
		resp_text(r, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
		return NULL;
	}
	j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (j == NULL) {
		log_error("report returned malformed JSON");
		resp_error(r, 500, "internal", NULL);
	}
	return j;
}

/* ---- the reports ---- */

static const char *const sales_groups[] = { "day", "hour", "product", "cashier", "payment_method", NULL };

void
reports_api_sales(struct req *r)
{
	static const struct csv_col by_day[] = {
		{ "date", "date", CSV_TEXT }, { "orders", "count", CSV_INT },
		{ "revenue", "revenue", CSV_MONEY }, { "average_check", "average_check", CSV_MONEY },
	};
	static const struct csv_col by_hour[] = {
		{ "hour", "hour", CSV_INT }, { "orders", "count", CSV_INT },
		{ "revenue", "revenue", CSV_MONEY }, { "average_check", "average_check", CSV_MONEY },
	};
	static const struct csv_col by_product[] = {
		{ "product_id", "product_id", CSV_TEXT }, { "name", "name", CSV_TEXT }, { "qty", "qty", CSV_INT },
		{ "orders", "count", CSV_INT }, { "revenue", "revenue", CSV_MONEY }, { "cogs", "cogs", CSV_MONEY },
	};
	static const struct csv_col by_cashier[] = {
		{ "cashier_id", "cashier_id", CSV_TEXT }, { "email", "email", CSV_TEXT },
		{ "orders", "count", CSV_INT }, { "revenue", "revenue", CSV_MONEY },
		{ "average_check", "average_check", CSV_MONEY },
	};
	static const struct csv_col by_method[] = {
		{ "method", "method", CSV_TEXT }, { "orders", "count", CSV_INT },
		{ "revenue", "revenue", CSV_MONEY }, { "average_check", "average_check", CSV_MONEY },
	};
	const struct csv_col *cols = by_day;
	size_t ncols = sizeof(by_day) / sizeof(by_day[0]);
	const char *group = kv_get(&r->query_params, "group"), *v[4];
	struct range g;
	json_t *j;
	int csv, i;

	if (group == NULL)
		group = "day";
	for (i = 0; sales_groups[i] != NULL && strcmp(sales_groups[i], group) != 0; i++)
		;
	if (sales_groups[i] == NULL) {
		resp_error(r, 400, "validation_failed", "group");
		return;
	}
	if (!have_store(r) || parse_range(r, &g) < 0 || (csv = want_csv(r)) < 0)
		return;
	if (reports_fold(r) < 0) {
		db_fail(r);
		return;
	}
	v[0] = r->who.store_id;
	v[1] = g.from;
	v[2] = g.to;
	v[3] = group;
	j = run_report(r, "SELECT report_sales($1::uuid, $2::date, $3::date, $4)", 4, v, csv);
	if (j == NULL)
		return;
	switch (i) {
	case 1:
		cols = by_hour;
		ncols = sizeof(by_hour) / sizeof(by_hour[0]);
		break;
	case 2:
		cols = by_product;
		ncols = sizeof(by_product) / sizeof(by_product[0]);
		break;
	case 3:
		cols = by_cashier;
		ncols = sizeof(by_cashier) / sizeof(by_cashier[0]);
		break;
	case 4:
		cols = by_method;
		ncols = sizeof(by_method) / sizeof(by_method[0]);
		break;
	default:
		break;
	}
	reply_csv(r, arena_printf(r->a, "sales-%s-%s_%s", group, g.from, g.to), cols, ncols,
	    json_object_get(j, "items"), json_string_value(json_object_get(j, "currency")));
	json_decref(j);
}

void
reports_api_top_products(struct req *r)
{
	static const struct csv_col cols[] = {
		{ "product_id", "product_id", CSV_TEXT }, { "name", "name", CSV_TEXT }, { "qty", "qty", CSV_INT },
		{ "orders", "count", CSV_INT }, { "revenue", "revenue", CSV_MONEY },
	};
	const char *l = kv_get(&r->query_params, "limit"), *v[4];
	struct range g;
	json_t *j;
	int csv;

	if (l != NULL) {
		char *end;
		long n = strtol(l, &end, 10);

		if (!isdigit((unsigned char)*l) || *end != '\0' || n < 1 || n > 100) {
			resp_error(r, 400, "validation_failed", "limit");
			return;
		}
	}
	if (!have_store(r) || parse_range(r, &g) < 0 || (csv = want_csv(r)) < 0)
		return;
	if (reports_fold(r) < 0) {
		db_fail(r);
		return;
	}
	v[0] = r->who.store_id;
	v[1] = g.from;
	v[2] = g.to;
	v[3] = l ? l : "10";
	j = run_report(r, "SELECT report_top_products($1::uuid, $2::date, $3::date, $4::int)", 4, v, csv);
	if (j == NULL)
		return;
	reply_csv(r, arena_printf(r->a, "top-products-%s_%s", g.from, g.to), cols, sizeof(cols) / sizeof(cols[0]),
	    json_object_get(j, "items"), json_string_value(json_object_get(j, "currency")));
	json_decref(j);
}

void
reports_api_pnl(struct req *r)
{
	static const struct csv_col cols[] = {
		{ "from", "from", CSV_TEXT }, { "to", "to", CSV_TEXT }, { "revenue", "revenue", CSV_MONEY },
		{ "cogs", "cogs", CSV_MONEY }, { "expenses", "expenses", CSV_MONEY }, { "profit", "profit", CSV_MONEY },
	};
	const char *v[3];
	struct range g;
	json_t *j;
	int csv;

	if (!have_store(r) || parse_range(r, &g) < 0 || (csv = want_csv(r)) < 0)
		return;
	if (reports_fold(r) < 0) {
		db_fail(r);
		return;
	}
	v[0] = r->who.store_id;
	v[1] = g.from;
	v[2] = g.to;
	j = run_report(r, "SELECT report_pnl($1::uuid, $2::date, $3::date)", 3, v, csv);
	if (j == NULL)
		return;
	reply_csv(r, arena_printf(r->a, "pnl-%s_%s", g.from, g.to), cols, sizeof(cols) / sizeof(cols[0]), j,
	    json_string_value(json_object_get(j, "currency")));
	json_decref(j);
}

/* Paid orders of the store's day so far, from the rollups and the pending
 * orders: the same figures as summing today's orders, without reading them. */
void
reports_api_stats_today(struct req *r)
{
	const char *v[1] = { r->who.store_id };
	PGresult *res;

	if (!have_store(r))
		return;
	if (reports_fold(r) < 0) {
		db_fail(r);
		return;
	}
	res = db_exec(r,
	    "WITH d AS (SELECT store_today($1::uuid) AS day) "
	    "SELECT jsonb_build_object('count', coalesce(sum(h.orders), 0)::bigint, "
	    "'revenue', coalesce(sum(h.revenue), 0)::bigint, "
	    "'average_check', report_avg(sum(h.revenue)::bigint, sum(h.orders)::bigint), "
	    "'currency', (SELECT s.base_currency FROM stores s WHERE s.id = $1::uuid), 'date', d.day) "
	    "FROM d LEFT JOIN LATERAL report_hourly($1::uuid, d.day, d.day) h ON true "
	    "WHERE d.day IS NOT NULL GROUP BY d.day", 1, v);
	if (res == NULL)
		db_fail(r);
	else if (PQntuples(res) != 1)
		resp_error(r, 404, "not_found", NULL);
	else
		resp_text(r, 200, "application/json", PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* ---- expenses ---- */

#define TENANT "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
#define PAGE " LIMIT $1::int + 1 OFFSET $2::int"

void
reports_categories_list(struct req *r)
{
	list_reply_sql(r, "SELECT api_expense_category(c) FROM expense_categories c "
	    "ORDER BY c.is_active DESC, lower(c.name), c.id" PAGE, 0, NULL);
}

void
reports_categories_create(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 1, 1, 200, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *v[1];

	if (valid_object(r, r->json, fields, 2, NULL) < 0)
		return;
	v[0] = req_json_text(r);
	db_reply_value(r, 201, db_exec(r, "INSERT INTO expense_categories (tenant_id, id, name, is_active) "
	    "VALUES (" TENANT ", gen_random_uuid(), $1::jsonb->>'name', coalesce(($1::jsonb->>'is_active')::bool, true)) "
	    "RETURNING api_expense_category(expense_categories)", 1, v), "name");
}

void
reports_categories_get(struct req *r)
{
	const char *v[1] = { r->params[0] };

	db_reply_value(r, 200, db_exec(r, "SELECT api_expense_category(c) FROM expense_categories c WHERE id = $1", 1, v),
	    NULL);
}

void
reports_categories_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *v[2];

	if (valid_object(r, r->json, fields, 2, NULL) < 0)
		return;
	v[0] = r->params[0];
	v[1] = req_json_text(r);
	db_reply_value(r, 200, db_exec(r, "UPDATE expense_categories SET name = coalesce($2::jsonb->>'name', name), "
	    "is_active = coalesce(($2::jsonb->>'is_active')::bool, is_active), updated_at = now() "
	    "WHERE id = $1 RETURNING api_expense_category(expense_categories)", 2, v), "name");
}

void
reports_categories_delete(struct req *r)
{
	const char *v[1] = { r->params[0] };

	db_reply_value(r, 200, db_exec(r, "UPDATE expense_categories SET is_active = false, updated_at = now() "
	    "WHERE id = $1 RETURNING api_expense_category(expense_categories)", 1, v), NULL);
}

/* The checks a field table cannot state: a three-letter currency, a real
 * date. */
static int
expense_extra_checks(struct req *r)
{
	const char *c = json_string_value(json_object_get(r->json, "currency"));
	json_t *d = json_object_get(r->json, "spent_on");
	int i;

	for (i = 0; c != NULL && i < 3; i++) {
		if (c[i] < 'A' || c[i] > 'Z') {
			resp_error(r, 400, "validation_failed", "currency");
			return -1;
		}
	}
	if (json_is_string(d) && reports_parse_date(json_string_value(d)) < 0) {
		resp_error(r, 400, "validation_failed", "spent_on");
		return -1;
	}
	return 0;
}

/* expense_save() with p_id (NULL: create); replies and audits. */
static void
expense_save(struct req *r, const char *id, int status)
{
	const char *v[3] = { id, req_json_text(r), r->who.user_id }, *st;
	PGresult *res = db_exec(r, "SELECT expense_save($1::uuid, $2::jsonb, $3::uuid)", 3, v);
	json_t *out, *e;

	if (res == NULL) {
		db_fail_field(r, "category_id");
		return;
	}
	out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	st = json_string_value(json_object_get(out, "status"));
	e = json_object_get(out, "expense");
	if (st != NULL && strcmp(st, "not_found") == 0) {
		resp_error(r, 404, "not_found", NULL);
	} else if (st != NULL && strcmp(st, "invalid") == 0) {
		resp_error(r, 400, "validation_failed", json_string_value(json_object_get(out, "field")));
	} else if (e == NULL || audit(r, id ? "expense_updated" : "expense_created", "expense",
	    json_string_value(json_object_get(e, "id")), json_pack("{s:O, s:O, s:O}", "amount",
	    json_object_get(e, "amount"), "currency", json_object_get(e, "currency"), "spent_on",
	    json_object_get(e, "spent_on"))) < 0) {
		db_fail(r);
	} else {
		resp_json(r, status, json_incref(e));
	}
	json_decref(out);
}

void
reports_expenses_list(struct req *r)
{
	const char *from = kv_get(&r->query_params, "from"), *to = kv_get(&r->query_params, "to");
	const char *cat = kv_get(&r->query_params, "category_id"), *v[3];

	if (from != NULL && reports_parse_date(from) < 0) {
		resp_error(r, 400, "validation_failed", "from");
		return;
	}
	if (to != NULL && reports_parse_date(to) < 0) {
		resp_error(r, 400, "validation_failed", "to");
		return;
	}
	if (cat != NULL && !http_is_uuid(cat)) {
		resp_error(r, 400, "validation_failed", "category_id");
		return;
	}
	v[0] = from;
	v[1] = to;
	v[2] = cat;
	list_reply_sql(r, "SELECT api_expense(x) FROM expenses x "
	    "WHERE ($3::date IS NULL OR x.spent_on >= $3::date) AND ($4::date IS NULL OR x.spent_on <= $4::date) "
	    "AND ($5::uuid IS NULL OR x.category_id = $5::uuid) "
	    "ORDER BY x.is_active DESC, x.spent_on DESC, x.created_at DESC, x.id" PAGE, 3, v);
}

void
reports_expenses_create(struct req *r)
{
	static const struct vfield fields[] = {
		{ "category_id", V_UUID, 1, 0, 0, NULL, 0 },
		{ "amount", V_INT, 1, 1, MONEY_MAX, NULL, 0 },
		{ "currency", V_STRING, 0, 3, 3, NULL, 1 },
		{ "spent_on", V_STRING, 0, 10, 10, NULL, 1 },
		{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0 ||
	    expense_extra_checks(r) < 0)
		return;
	expense_save(r, NULL, 201);
}

void
reports_expenses_get(struct req *r)
{
	const char *v[1] = { r->params[0] };

	db_reply_value(r, 200, db_exec(r, "SELECT api_expense(x) FROM expenses x WHERE id = $1", 1, v), NULL);
}

void
reports_expenses_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "category_id", V_UUID, 0, 0, 0, NULL, 0 },
		{ "amount", V_INT, 0, 1, MONEY_MAX, NULL, 0 },
		{ "currency", V_STRING, 0, 3, 3, NULL, 0 },
		{ "spent_on", V_STRING, 0, 10, 10, NULL, 0 },
		{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0 ||
	    expense_extra_checks(r) < 0)
		return;
	expense_save(r, r->params[0], 200);
}

void
reports_expenses_delete(struct req *r)
{
	const char *v[1] = { r->params[0] };
	PGresult *res = db_exec(r, "UPDATE expenses SET is_active = false, updated_at = now() WHERE id = $1 "
	    "RETURNING api_expense(expenses)", 1, v);

	if (res != NULL && PQntuples(res) == 1 && audit(r, "expense_deleted", "expense", r->params[0], NULL) < 0)
		res = NULL;
	db_reply_value(r, 200, res, NULL);
}
