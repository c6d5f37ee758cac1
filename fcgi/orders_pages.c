/* The Orders pages of the dashboard: the list with its filters
 * (/dashboard/orders), one order with its refund and cancel forms
 * (/dashboard/orders/{id}) and the sync conflicts (/dashboard/conflicts).
 * Orders come from the SQL function api_order(); refunds and cancellations
 * go through order_set_status(), which also returns the stock, as the API
 * does.  Times are shown in the store's time zone, money from minor units
 * in the page's language. */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "valid.h"

#define PAGE_SIZE 50
#define PAGE_LIMIT "LIMIT 50 "	/* PAGE_SIZE in SQL */
#define PAGE_MAX 100000	/* deeper pages are not a person's */

static const char *const methods[] = { "cash", "card", "qr", NULL };
static const char *const statuses[] = { "paid", "cancelled", "refunded", NULL };

/* Done messages after a redirect (PRG): only these words are shown. */
static const char *const done_words[] = { "refunded", "cancelled", NULL };

static int
one_of(const char *s, const char *const *list)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A query parameter, NULL when absent or empty. */
static const char *
query(struct req *r, const char *name)
{
	const char *v = kv_get(&r->query_params, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Money from minor units (two decimals for every currency the product
 * takes): "1,234.50 AZN" in English, "1 234,50 AZN" in the other
 * languages, with no-break spaces. */
static const char *
money(struct req *r, long long minor, const char *currency)
{
	int en = strcmp(r->lang, "en") == 0;
	unsigned long long v = minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
	char units[32], out[96];
	size_t n, i, o = 0;

	n = (size_t)snprintf(units, sizeof(units), "%llu", v / 100);
	if (minor < 0)
		out[o++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			if (en) {
				out[o++] = ',';
			} else {
				out[o++] = '\xc2';
				out[o++] = '\xa0';
			}
		}
		out[o++] = units[i];
	}
	snprintf(out + o, sizeof(out) - o, "%c%02llu\xc2\xa0%s", en ? '.' : ',', v % 100,
	    currency ? currency : "");
	return arena_strdup(r->a, out);
}

/* obj[key "_fmt"] = money(obj[key], currency) when obj[key] is a number. */
static void
fmt_money(struct req *r, json_t *obj, const char *key, const char *currency)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		json_object_set_new(obj, arena_printf(r->a, "%s_fmt", key),
		    json_string(money(r, (long long)json_integer_value(v), currency)));
}

/* YYYY-MM-DD naming a real day. */
static int
valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* ?page=N: 1 when absent; 0 when malformed. */
static long
page_number(struct req *r)
{
	const char *s = query(r, "page");
	char *end;
	long n;

	if (s == NULL)
		return 1;
	if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
		return 0;
	n = strtol(s, &end, 10);
	return n >= 1 && n <= PAGE_MAX ? n : 0;
}

/* The pager of a list: {page, pages, total, prev, next, items: [{n, href,
 * current} | {gap}]}, hrefs as base ("…?" or "…?a=b&") plus page=N. */
static json_t *
pager(struct req *r, const char *base, long page, long long total)
{
	long pages = (long)((total + PAGE_SIZE - 1) / PAGE_SIZE), n, last = 0;
	json_t *items = json_array();

	if (pages < 1)
		pages = 1;
	for (n = 1; n <= pages; n++) {
		if (n != 1 && n != pages && (n < page - 2 || n > page + 2))
			continue;
		if (last != 0 && n > last + 1)
			json_array_append_new(items, json_pack("{s:b}", "gap", 1));
		json_array_append_new(items, json_pack("{s:I, s:s, s:b}", "n", (json_int_t)n,
		    "href", n == 1 ? arena_printf(r->a, "%.*s", (int)(strlen(base) - 1), base) :
		    arena_printf(r->a, "%spage=%ld", base, n), "current", n == page));
		last = n;
	}
	return json_pack("{s:I, s:I, s:I, s:s?, s:s?, s:o, s:b}", "page", (json_int_t)page,
	    "pages", (json_int_t)pages, "total", (json_int_t)total,
	    "prev", page > 1 ? (page == 2 ? arena_printf(r->a, "%.*s", (int)(strlen(base) - 1), base) :
	    arena_printf(r->a, "%spage=%ld", base, page - 1)) : NULL,
	    "next", page < pages ? arena_printf(r->a, "%spage=%ld", base, page + 1) : NULL,
	    "items", items, "many", pages > 1);
}

/* ---- /dashboard/orders ---- */

/* Every filter is a parameter: NULL leaves it out. */
#define ORDERS_FROM \
	"FROM orders o JOIN stores s ON s.tenant_id = o.tenant_id AND s.id = o.store_id " \
	"LEFT JOIN devices d ON d.tenant_id = o.tenant_id AND d.id = o.device_id " \
	"LEFT JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.cashier_id " \
	"WHERE o.store_id = $1::uuid " \
	"AND ($2::date IS NULL OR o.created_at >= ($2::date::timestamp AT TIME ZONE s.time_zone)) " \
	"AND ($3::date IS NULL OR o.created_at < (($3::date + 1)::timestamp AT TIME ZONE s.time_zone)) " \
	"AND ($4::uuid IS NULL OR o.device_id = $4::uuid) " \
	"AND ($5::uuid IS NULL OR o.cashier_id = $5::uuid) " \
	"AND ($6::text IS NULL OR EXISTS (SELECT FROM order_payments p WHERE p.tenant_id = o.tenant_id " \
	"AND p.order_id = o.id AND p.method = $6::text)) " \
	"AND ($7::text IS NULL OR o.status = $7::text) "

void
orders_page_list(struct req *r)
{
	static const char *const names[] = { "from", "to", "device", "cashier", "method", "status" };
	const char *v[8], *qs = "";
	json_t *form = json_object(), *errors = json_object(), *rows, *row, *model;
	PGresult *list, *count, *devs, *staff;
	long page = page_number(r);
	size_t i;

	v[0] = r->who.store_id;
	for (i = 0; i < 6; i++) {
		const char *x = query(r, names[i]);
		int ok;

		v[i + 1] = NULL;
		if (x == NULL)
			continue;
		json_object_set_new(form, names[i], json_string(valid_utf8_len(x, strlen(x)) < 0 ? "" : x));
		ok = i < 2 ? valid_date(x) : i < 4 ? http_is_uuid(x) : i == 4 ? one_of(x, methods) :
		    one_of(x, statuses);
		if (!ok) {
			json_object_set_new(errors, names[i], json_string("invalid"));
			continue;
		}
		v[i + 1] = x;
		qs = arena_printf(r->a, "%s%s=%s&", qs, names[i], pages_url_encode(r, x));
	}
	/* an empty period: say so next to "to" rather than show nothing */
	if (v[1] != NULL && v[2] != NULL && strcmp(v[1], v[2]) > 0) {
		json_object_set_new(errors, "to", json_string("before_from"));
		v[2] = NULL;
	}
	if (page == 0) {
		json_object_set_new(errors, "page", json_string("invalid"));
		page = 1;
	}
	v[7] = arena_printf(r->a, "%ld", (page - 1) * PAGE_SIZE);
	count = db_exec(r, "SELECT count(*) " ORDERS_FROM, 7, v);
	list = count ? db_exec(r, "SELECT o.id, o.number, "
	    "to_char(o.created_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI') AS sold_at, "
	    "d.name AS till, u.email AS cashier, o.total, o.currency, o.status, o.kitchen_status, "
	    "(SELECT coalesce(jsonb_agg(DISTINCT p.method), '[]') FROM order_payments p "
	    "WHERE p.tenant_id = o.tenant_id AND p.order_id = o.id) AS methods "
	    ORDERS_FROM "ORDER BY o.created_at DESC, o.received_at DESC, o.id DESC " PAGE_LIMIT "OFFSET $8::int", 8, v) : NULL;
	devs = list ? db_exec(r, "SELECT id, name FROM devices WHERE store_id = $1::uuid ORDER BY name, id",
	    1, v) : NULL;
	staff = devs ? db_exec(r, "SELECT id, email FROM users WHERE role <> 'superadmin' "
	    "ORDER BY lower(email), id", 0, NULL) : NULL;
	if (staff == NULL) {
		json_decref(form);
		json_decref(errors);
		pages_db_fail(r);
		return;
	}
	rows = db_rows_json(list);
	json_array_foreach(rows, i, row)
		fmt_money(r, row, "total", json_string_value(json_object_get(row, "currency")));
	model = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "orders", rows,
	    "pager", pager(r, arena_printf(r->a, "/dashboard/orders?%s", qs), page,
	    strtoll(PQgetvalue(count, 0, 0), NULL, 10)),
	    "devices", db_rows_json(devs), "staff", db_rows_json(staff), "form", form, "errors", errors,
	    "filtered", qs[0] != '\0');
	page_render(r, json_object_size(errors) > 0 ? 400 : 200, "dashboard/orders", model);
}

/* ---- /dashboard/orders/{id} ---- */

/* The card fragment of payment n (1-based) of an order, opened; NULL when
 * there is none or it does not open. */
static const char *
card_digits(struct req *r, const char *order_id, size_t n, const char *sealed)
{
	unsigned char *plain;
	size_t len;

	if (sealed == NULL || crypto_open(r->a, sealed, r->who.tenant_id, "order_payments", "card_last4",
	    arena_printf(r->a, "%s:%zu", order_id, n), &plain, &len) != 0 || len != 4 ||
	    strspn((const char *)plain, "0123456789") != 4)
		return NULL;
	return (const char *)plain;
}

/* Money and cards of an api_order() object made ready to show. */
static void
decorate(struct req *r, json_t *o)
{
	const char *cur = json_string_value(json_object_get(o, "currency"));
	const char *base = json_string_value(json_object_get(o, "base_currency"));
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *x, *m;
	size_t i, j;

	fmt_money(r, o, "subtotal", cur);
	fmt_money(r, o, "discount", cur);
	fmt_money(r, o, "total", cur);
	fmt_money(r, o, "total_base", base);
	json_object_set_new(o, "foreign", json_boolean(cur && base && strcmp(cur, base) != 0));
	json_object_set_new(o, "has_discount",
	    json_boolean(json_integer_value(json_object_get(o, "discount")) != 0));
	json_array_foreach(json_object_get(o, "lines"), i, x) {
		fmt_money(r, x, "unit_price", cur);
		fmt_money(r, x, "total", cur);
		json_array_foreach(json_object_get(x, "modifiers"), j, m) {
			long long d = (long long)json_integer_value(json_object_get(m, "price_delta"));

			json_object_set_new(m, "price_delta_fmt", json_string(d == 0 ? "" :
			    arena_printf(r->a, "%s%s", d > 0 ? "+" : "", money(r, d, cur))));
		}
	}
	json_array_foreach(json_object_get(o, "payments"), i, x) {
		const char *pc = json_string_value(json_object_get(x, "currency"));
		const char *digits = card_digits(r, id, i + 1,
		    json_string_value(json_object_get(x, "card_last4")));

		fmt_money(r, x, "amount", pc);
		fmt_money(r, x, "amount_base", base);
		fmt_money(r, x, "tendered", pc);
		fmt_money(r, x, "change", pc);
		/* the sealed value never reaches the page */
		json_object_del(x, "card_last4");
		if (digits != NULL)
			json_object_set_new(x, "card_last4", json_string(digits));
	}
}

/* Render one order; extra (stolen, may be NULL) adds errors, form, conflict.
 * 404 when the store has no such order. */
static void
render_order(struct req *r, int status, json_t *extra)
{
	const char *v[2] = { r->params[0], r->who.store_id }, *done = query(r, "done");
	PGresult *res;
	json_t *row, *o, *model;

	res = db_exec(r, "SELECT api_order(o) AS o, "
	    "to_char(o.created_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI:SS') AS sold_at, "
	    "to_char(o.received_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI:SS') AS received_at, "
	    "to_char(o.status_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI') AS status_at, "
	    "d.name AS till, u.email AS cashier, b.email AS status_by, s.time_zone "
	    "FROM orders o JOIN stores s ON s.tenant_id = o.tenant_id AND s.id = o.store_id "
	    "LEFT JOIN devices d ON d.tenant_id = o.tenant_id AND d.id = o.device_id "
	    "LEFT JOIN users u ON u.tenant_id = o.tenant_id AND u.id = o.cashier_id "
	    "LEFT JOIN users b ON b.tenant_id = o.tenant_id AND b.id = o.status_by "
	    "WHERE o.id = $1::uuid AND o.store_id = $2::uuid", 2, v);
	if (res == NULL) {
		json_decref(extra);
		pages_db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		json_decref(extra);
		page_error(r, 404);
		return;
	}
	row = db_row_json(res, 0);
	o = json_incref(json_object_get(row, "o"));
	json_object_del(row, "o");
	decorate(r, o);
	model = json_pack("{s:o, s:o, s:b, s:{}, s:{}}", "order", o, "meta", row,
	    "can_act", strcmp(json_string_value(json_object_get(o, "status")), "paid") == 0,
	    "errors", "form");
	if (status == 200 && one_of(done, done_words))
		json_object_set_new(model, "done", json_string(done));
	if (extra != NULL) {
		json_object_update(model, extra);
		json_decref(extra);
	}
	page_render(r, status, "dashboard/order", model);
}

void
orders_page_detail(struct req *r)
{
	render_order(r, 200, NULL);
}

/* Refund or cancel with a reason (1-1000 characters, not only spaces). */
static void
set_status(struct req *r, const char *status, const char *action, const char *form_name)
{
	const char *reason = kv_get(&r->form, "reason"), *v[4];
	long long len = reason ? valid_utf8_len(reason, strlen(reason)) : 0;
	PGresult *res;
	json_t *out;
	const char *st;

	if (len <= 0 || len > 1000 || strspn(reason, " \t\r\n") == strlen(reason)) {
		render_order(r, 400, json_pack("{s:{s:s}, s:{s:s}}",
		    "errors", form_name, len > 1000 ? "long" : "required",
		    "form", form_name, len < 0 ? "" : reason ? reason : ""));
		return;
	}
	v[0] = r->params[0];
	v[1] = r->who.store_id;
	/* only this store's orders */
	res = db_exec(r, "SELECT FROM orders WHERE id = $1::uuid AND store_id = $2::uuid", 2, v);
	if (res == NULL) {
		pages_db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return;
	}
	v[1] = status;
	v[2] = reason;
	v[3] = r->who.user_id;
	res = db_exec(r, "SELECT order_set_status($1::uuid, $2, $3, $4::uuid)", 4, v);
	if (res == NULL) {
		pages_db_fail(r);
		return;
	}
	out = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	st = json_string_value(json_object_get(out, "status"));
	if (st == NULL || strcmp(st, "not_found") == 0) {
		json_decref(out);
		page_error(r, 404);
		return;
	}
	if (strcmp(st, "conflict") == 0) {
		/* only a paid order can be refunded or cancelled */
		json_decref(out);
		render_order(r, 409, json_pack("{s:s}", "conflict", "status"));
		return;
	}
	json_decref(out);
	if (audit(r, action, "order", r->params[0], json_pack("{s:s}", "reason", reason)) < 0) {
		pages_db_fail(r);
		return;
	}
	resp_redirect(r, 303, arena_printf(r->a, "/dashboard/orders/%s?done=%s", r->params[0], status));
}

void
orders_page_refund(struct req *r)
{
	set_status(r, "refunded", "order_refunded", "refund");
}

void
orders_page_cancel(struct req *r)
{
	set_status(r, "cancelled", "order_cancelled", "cancel");
}

/* ---- /dashboard/conflicts ---- */

void
orders_page_conflicts(struct req *r)
{
	long page = page_number(r);
	const char *v[2];
	PGresult *count, *list;

	if (page == 0) {
		page_error(r, 404);
		return;
	}
	v[0] = r->who.store_id;
	v[1] = arena_printf(r->a, "%ld", (page - 1) * PAGE_SIZE);
	count = db_exec(r, "SELECT count(*) FROM sync_conflicts", 0, NULL);
	list = count ? db_exec(r, "SELECT c.id, c.entity, c.entity_id, o.number AS order_number, "
	    "c.kept->>'value' AS kept_value, c.lost->>'value' AS lost_value, "
	    "to_char((c.kept->>'updated_at')::timestamptz AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI:SS') AS kept_at, "
	    "to_char((c.lost->>'updated_at')::timestamptz AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI:SS') AS lost_at, "
	    "c.kept ? 'device_id' AS kept_from_till, c.lost ? 'device_id' AS lost_from_till, "
	    "d.name AS till, to_char(c.at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI:SS') AS at "
	    "FROM sync_conflicts c JOIN stores s ON s.id = $1::uuid "
	    "LEFT JOIN orders o ON o.tenant_id = c.tenant_id AND o.id = c.entity_id "
	    "LEFT JOIN devices d ON d.tenant_id = c.tenant_id AND d.id = c.device_id "
	    "ORDER BY c.id DESC " PAGE_LIMIT "OFFSET $2::int", 2, v) : NULL;
	if (list == NULL) {
		pages_db_fail(r);
		return;
	}
	page_render(r, 200, "dashboard/conflicts", json_pack("{s:o, s:o}", "conflicts", db_rows_json(list),
	    "pager", pager(r, "/dashboard/conflicts?", page, strtoll(PQgetvalue(count, 0, 0), NULL, 10))));
}
