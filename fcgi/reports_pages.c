/* Pages of the reports module: the dashboard home (today's figures against
 * the same weekday last week, sales by hour as a server-drawn SVG chart, top
 * products, the latest orders; ?fragment=figures returns that part alone so
 * static/js/dashboard.js can refresh it on an order event) and the reports
 * page (a GET form: period and grouping; sales table and chart, top
 * products, profit and loss, CSV links).  Everything works without
 * JavaScript; CSP allows no inline styles, so charts use SVG attributes. */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "pages.h"
#include "router.h"
#include "server.h"

#define NARROW_NBSP "\xE2\x80\xAF"	/* U+202F between thousands */

static char *
money(struct req *r, long long minor)
{
	return reports_money(r, minor, NARROW_NBSP);
}

static long long
ival(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* Percentage change of now against then, half away from zero: {pct,
 * text, dir: up | down | flat}, or {dir: none} when then is 0. */
static json_t *
delta(struct req *r, long long now, long long then)
{
	long long num, pct;

	if (then <= 0)
		return json_pack("{s:s}", "dir", "none");
	num = (now - then) * 200;
	pct = num >= 0 ? (num / then + 1) / 2 : -((-num / then + 1) / 2);
	return json_pack("{s:I, s:s, s:s}", "pct", (json_int_t)pct,
	    "text", pct > 0 ? arena_printf(r->a, "+%lld %%", pct) : pct < 0
	    ? arena_printf(r->a, "\xE2\x88\x92%lld %%", -pct) : "0 %",
	    "dir", pct > 0 ? "up" : pct < 0 ? "down" : "flat");
}

/* ---- the SVG bar chart ----
 * Geometry is computed here; the template only copies numbers into
 * attributes.  viewBox units: 24 hour slots fit 720 wide, labels under the
 * baseline.  Longer series (days of a period) get narrower slots and every
 * n-th label. */
#define CH_W 720
#define CH_H 200
#define CH_LEFT 12
#define CH_RIGHT 8
#define CH_TOP 22
#define CH_BASE 172

/* items: [{label, title, revenue}]; returns {w, h, base, top, label_y, bars:
 * [{x, y, w, h, lx, label?, title}], max}. */
static json_t *
chart(struct req *r, json_t *items, const char *currency)
{
	size_t i, n = json_array_size(items), every;
	long long max = 0;
	double slot, bw;
	json_t *bars = json_array(), *it;

	json_array_foreach(items, i, it) {
		if (ival(it, "revenue") > max)
			max = ival(it, "revenue");
	}
	if (n == 0)
		n = 1;
	slot = (double)(CH_W - CH_LEFT - CH_RIGHT) / (double)n;
	bw = slot * 0.72;
	every = n <= 24 ? 1 : (n + 23) / 24;
	json_array_foreach(items, i, it) {
		long long v = ival(it, "revenue");
		long h = max > 0 && v > 0 ? (long)((double)v * (CH_BASE - CH_TOP) / (double)max + 0.5) : 0;
		double x = CH_LEFT + slot * (double)i + (slot - bw) / 2;
		json_t *b;

		if (v > 0 && h < 2)
			h = 2;
		b = json_pack("{s:s, s:s, s:i, s:i, s:s}", "x", arena_printf(r->a, "%.1f", x),
		    "w", arena_printf(r->a, "%.1f", bw), "y", (int)(CH_BASE - h), "h", (int)h,
		    "lx", arena_printf(r->a, "%.1f", x + bw / 2));
		json_object_set(b, "title", json_object_get(it, "title"));
		if (i % every == 0)
			json_object_set(b, "label", json_object_get(it, "label"));
		json_array_append_new(bars, b);
	}
	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:o}", "w", CH_W, "h", CH_H, "base", CH_BASE,
	    "top", CH_TOP, "label_y", CH_BASE + 17, "right", CH_W - CH_RIGHT,
	    "max", arena_printf(r->a, "%s %s", money(r, max), currency), "bars", bars);
}

/* ---- /dashboard ---- */

/* The figures part of the home page from report_dashboard()'s JSON. */
static json_t *
figures(struct req *r, json_t *d)
{
	json_t *today = json_object_get(d, "today"), *last = json_object_get(d, "last_week");
	const char *cur = json_string_value(json_object_get(d, "currency"));
	json_t *hours = json_array(), *top = json_array(), *latest = json_array(), *it;
	long long top_max = 0;
	int any = 0;
	size_t i;

	if (cur == NULL)
		cur = "";
	json_array_foreach(json_object_get(d, "hours"), i, it) {
		long long h = ival(it, "hour"), c = ival(it, "count"), v = ival(it, "revenue");

		any |= c != 0 || v != 0;
		json_array_append_new(hours, json_pack("{s:s, s:s, s:I, s:I, s:s}",
		    "label", arena_printf(r->a, "%02lld", h),
		    "title", arena_printf(r->a, "%02lld:00\xE2\x80\x93%02lld:59 \xC2\xB7 %s %s \xC2\xB7 %lld", h, h,
		    money(r, v), cur, c), "revenue", (json_int_t)v, "count", (json_int_t)c,
		    "money", money(r, v)));
	}
	json_array_foreach(json_object_get(d, "top"), i, it) {
		if (ival(it, "revenue") > top_max)
			top_max = ival(it, "revenue");
	}
	json_array_foreach(json_object_get(d, "top"), i, it) {
		long long v = ival(it, "revenue");
		/* the meter's width in the design system's 5 % steps */
		long long p = top_max > 0 ? (v * 20 + top_max / 2) / top_max * 5 : 0;

		json_array_append_new(top, json_pack("{s:I, s:O, s:I, s:s, s:s}", "rank", (json_int_t)i + 1,
		    "name", json_object_get(it, "name"), "qty", (json_int_t)ival(it, "qty"),
		    "revenue", money(r, v), "meter", arena_printf(r->a, "p-%lld", p)));
	}
	json_array_foreach(json_object_get(d, "latest"), i, it) {
		const char *day = json_string_value(json_object_get(it, "day"));
		const char *date = json_string_value(json_object_get(d, "date"));

		json_array_append_new(latest, json_pack("{s:O, s:O, s:O, s:s?, s:s, s:O}", "id",
		    json_object_get(it, "id"), "number", json_object_get(it, "number"), "time",
		    json_object_get(it, "time"), "day", day && date && strcmp(day, date) != 0 ? day : NULL,
		    "total", money(r, ival(it, "total")), "status", json_object_get(it, "status")));
	}
	return json_pack("{s:O, s:O, s:O, s:s, s:b, s:{s:s, s:o}, s:{s:I, s:o}, s:{s:s, s:o}, s:o, s:o, s:o, s:o}",
	    "date", json_object_get(d, "date"), "time", json_object_get(d, "time"),
	    "last_date", json_object_get(d, "last_date"), "currency", cur, "any", any,
	    "revenue", "value", money(r, ival(today, "revenue")),
	    "delta", delta(r, ival(today, "revenue"), ival(last, "revenue")),
	    "orders", "value", (json_int_t)ival(today, "count"),
	    "delta", delta(r, ival(today, "count"), ival(last, "count")),
	    "average", "value", money(r, ival(today, "average_check")),
	    "delta", delta(r, ival(today, "average_check"), ival(last, "average_check")),
	    "chart", chart(r, hours, cur), "hours", hours, "top", top, "latest", latest);
}

void
reports_page_dashboard(struct req *r)
{
	const char *v[1] = { r->who.store_id }, *frag = kv_get(&r->query_params, "fragment");
	PGresult *store, *counts, *dash;
	json_t *d, *fig;

	if (frag != NULL && strcmp(frag, "figures") != 0) {
		page_error(r, 404);
		return;
	}
	if (r->who.store_id == NULL) {
		page_error(r, 404);
		return;
	}
	if (reports_fold(r) < 0 || (dash = db_exec(r, "SELECT report_dashboard($1::uuid)", 1, v)) == NULL) {
		pages_db_fail(r);
		return;
	}
	if (PQntuples(dash) != 1 || PQgetisnull(dash, 0, 0) ||
	    (d = json_loads(PQgetvalue(dash, 0, 0), 0, NULL)) == NULL) {
		page_error(r, 404);
		return;
	}
	fig = figures(r, d);
	json_decref(d);
	if (frag != NULL) {
		/* just the figures, for the page's live refresh */
		resp_header(r, "Cache-Control", "no-store");
		page_render(r, 200, "dashboard/_figures", json_pack("{s:o}", "fig", fig));
		return;
	}
	store = db_exec(r, "SELECT name, time_zone, base_currency FROM stores WHERE id = $1", 1, v);
	counts = store ? db_exec(r, "SELECT t.max_devices, "
	    "(SELECT count(*) FROM devices WHERE status <> 'revoked') AS tills_active, "
	    "(SELECT count(*) FROM users WHERE is_active AND role <> 'superadmin') AS staff_active "
	    "FROM tenants t WHERE t.id = NULLIF(current_setting('app.tenant_id', true), '')::uuid",
	    0, NULL) : NULL;
	if (store == NULL || counts == NULL) {
		json_decref(fig);
		pages_db_fail(r);
		return;
	}
	if (PQntuples(store) != 1 || PQntuples(counts) != 1) {
		json_decref(fig);
		page_error(r, 404);
		return;
	}
	page_render(r, 200, "dashboard/index", json_pack("{s:o, s:I, s:I, s:I, s:b, s:o}",
	    "store", db_row_json(store, 0),
	    "tills_active", (json_int_t)strtoll(PQgetvalue(counts, 0, 1), NULL, 10),
	    "tills_max", (json_int_t)strtoll(PQgetvalue(counts, 0, 0), NULL, 10),
	    "staff_active", (json_int_t)strtoll(PQgetvalue(counts, 0, 2), NULL, 10),
	    "can_admin", (r->who.role & ROLES_OWNER_ADMIN) != 0, "fig", fig));
}

/* ---- /dashboard/reports ---- */

static const char *
day_text(struct req *r, long day)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	char s[16];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d", &tm);
	return arena_strdup(r->a, s);
}

/* A query value, with an empty field read as absent (a cleared input). */
static const char *
q(struct req *r, const char *k)
{
	const char *s = kv_get(&r->query_params, k);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* Run a report statement; its parsed JSON or NULL. */
static json_t *
report(struct req *r, const char *sql, int n, const char *const *v)
{
	PGresult *res = db_exec(r, sql, n, v);

	return res ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
}

/* The sales rows as the page shows them: {label, method?, no_cashier?,
 * count, qty?, revenue, average?}. */
static json_t *
sales_rows(struct req *r, json_t *sales, const char *group, const char *cur, json_t **chart_items)
{
	json_t *rows = json_array(), *it;
	int by_time = strcmp(group, "day") == 0 || strcmp(group, "hour") == 0;
	size_t i;

	*chart_items = by_time ? json_array() : NULL;
	json_array_foreach(json_object_get(sales, "items"), i, it) {
		long long c = ival(it, "count"), v = ival(it, "revenue");
		json_t *row = json_pack("{s:I, s:s}", "count", (json_int_t)c, "revenue", money(r, v));
		const char *label;

		if (strcmp(group, "day") == 0) {
			label = json_string_value(json_object_get(it, "date"));
		} else if (strcmp(group, "hour") == 0) {
			label = arena_printf(r->a, "%02lld:00", ival(it, "hour"));
		} else if (strcmp(group, "product") == 0) {
			label = json_string_value(json_object_get(it, "name"));
			json_object_set_new(row, "qty", json_integer(ival(it, "qty")));
		} else if (strcmp(group, "cashier") == 0) {
			label = json_string_value(json_object_get(it, "email"));
			if (label == NULL)
				json_object_set_new(row, "no_cashier", json_true());
		} else {
			label = json_string_value(json_object_get(it, "method"));
			json_object_set_new(row, "method", json_string(label ? label : ""));
		}
		json_object_set_new(row, "label", json_string(label ? label : ""));
		if (strcmp(group, "product") != 0)
			json_object_set_new(row, "average", json_string(money(r, ival(it, "average_check"))));
		json_array_append_new(rows, row);
		if (by_time)
			json_array_append_new(*chart_items, json_pack("{s:s, s:s, s:I}",
			    "label", strcmp(group, "hour") == 0 ? arena_printf(r->a, "%02lld", ival(it, "hour"))
			    : label ? label + 5 : "",
			    "title", arena_printf(r->a, "%s \xC2\xB7 %s %s \xC2\xB7 %lld", label ? label : "", money(r, v), cur, c),
			    "revenue", (json_int_t)v));
	}
	return rows;
}

void
reports_page_reports(struct req *r)
{
	static const char *const groups[] = { "day", "hour", "product", "cashier", "payment_method", NULL };
	const char *from = q(r, "from"), *to = q(r, "to"), *group = q(r, "group"), *today, *v[4], *cur;
	json_t *errors = json_object(), *model, *sales, *top, *pnl, *items, *tops = json_array(), *it, *chart_items;
	long df = 0, dt = 0;
	size_t i;
	int k;

	if (r->who.store_id == NULL) {
		json_decref(errors);
		json_decref(tops);
		page_error(r, 404);
		return;
	}
	if ((today = reports_today(r)) == NULL) {
		json_decref(errors);
		json_decref(tops);
		pages_db_fail(r);
		return;
	}
	if (group == NULL)
		group = "day";
	for (k = 0; groups[k] != NULL && strcmp(groups[k], group) != 0; k++)
		;
	if (groups[k] == NULL)
		json_object_set_new(errors, "group", json_string("invalid"));
	/* by default the last seven days */
	if (to == NULL)
		to = today;
	if (from == NULL)
		from = reports_parse_date(to) >= 6 ? day_text(r, reports_parse_date(to) - 6) : to;
	if ((df = reports_parse_date(from)) < 0)
		json_object_set_new(errors, "from", json_string("invalid"));
	if ((dt = reports_parse_date(to)) < 0)
		json_object_set_new(errors, "to", json_string("invalid"));
	else if (df >= 0 && dt < df)
		json_object_set_new(errors, "to", json_string("before_from"));
	else if (df >= 0 && dt - df + 1 > REPORTS_MAX_DAYS)
		json_object_set_new(errors, "to", json_string("too_long"));
	model = json_pack("{s:{s:s, s:s, s:s}, s:o, s:s}", "form", "from", from, "to", to, "group", group,
	    "errors", errors, "today", today);
	if (json_object_size(errors) > 0) {
		json_decref(tops);
		page_render(r, 400, "dashboard/reports", model);
		return;
	}
	v[0] = r->who.store_id;
	v[1] = from;
	v[2] = to;
	v[3] = group;
	if (reports_fold(r) < 0 ||
	    (sales = report(r, "SELECT report_sales($1::uuid, $2::date, $3::date, $4)", 4, v)) == NULL) {
		json_decref(tops);
		json_decref(model);
		pages_db_fail(r);
		return;
	}
	top = report(r, "SELECT report_top_products($1::uuid, $2::date, $3::date, 10)", 3, v);
	pnl = top ? report(r, "SELECT report_pnl($1::uuid, $2::date, $3::date)", 3, v) : NULL;
	if (pnl == NULL) {
		json_decref(sales);
		json_decref(top);
		json_decref(tops);
		json_decref(model);
		pages_db_fail(r);
		return;
	}
	cur = json_string_value(json_object_get(sales, "currency"));
	if (cur == NULL)
		cur = "";
	items = sales_rows(r, sales, group, cur, &chart_items);
	json_array_foreach(json_object_get(top, "items"), i, it) {
		json_array_append_new(tops, json_pack("{s:I, s:O, s:I, s:s}", "rank", (json_int_t)i + 1,
		    "name", json_object_get(it, "name"), "qty", (json_int_t)ival(it, "qty"),
		    "revenue", money(r, ival(it, "revenue"))));
	}
	{
		json_t *t = json_object_get(sales, "totals");
		const char *qs = arena_printf(r->a, "from=%s&to=%s", from, to);

		json_object_set_new(model, "report", json_pack(
		    "{s:s, s:o, s:b, s:b, s:{s:I, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:o, s:o*,"
		    " s:{s:s, s:s, s:s}}",
		    "currency", cur, "rows", items,
		    "show_qty", strcmp(group, "product") == 0, "show_avg", strcmp(group, "product") != 0,
		    "totals", "count", (json_int_t)ival(t, "count"), "revenue", money(r, ival(t, "revenue")),
		    "average", money(r, ival(t, "average_check")),
		    "pnl", "revenue", money(r, ival(pnl, "revenue")), "cogs", money(r, -ival(pnl, "cogs")),
		    "expenses", money(r, -ival(pnl, "expenses")), "gross", money(r, ival(pnl, "gross_profit")),
		    "profit", money(r, ival(pnl, "profit")), "loss", ival(pnl, "profit") < 0,
		    "top", tops, "chart", chart_items && json_array_size(chart_items) > 0
		    ? chart(r, chart_items, cur) : NULL,
		    "csv", "sales", arena_printf(r->a, "/api/reports/sales?%s&group=%s&format=csv", qs, group),
		    "top", arena_printf(r->a, "/api/reports/top-products?%s&limit=100&format=csv", qs),
		    "pnl", arena_printf(r->a, "/api/reports/pnl?%s&format=csv", qs)));
	}
	json_decref(chart_items);
	json_decref(sales);
	json_decref(top);
	json_decref(pnl);
	page_render(r, 200, "dashboard/reports", model);
}
