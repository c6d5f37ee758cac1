/* The catalogue pages of the dashboard (manager+): categories, products,
 * modifier groups with their modifiers, ingredients, recipes (tech cards)
 * and stock.  Lists page by ?page= (50 a page); every write is a form with
 * the CSRF token, checked field by field so the form shows every mistake
 * next to its field and keeps what was typed, then a PRG redirect.
 *
 * The SQL is that of the JSON API (catalogue.c): the same statements on the
 * same tables, objects read through the api_* functions of the migrations,
 * so a change made here reaches the tills' next sync pull exactly as one
 * made through the API.  Money is typed as a decimal ("4.50", "4,50") and
 * kept in minor units; ingredient costs are typed per unit in the store's
 * currency and kept in minor units per unit (numeric, 6 decimals). */
#include "pages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "audit.h"
#include "catalogue.h"
#include "db.h"
#include "http.h"
#include "i18n.h"
#include "server.h"
#include "valid.h"

#define PER_PAGE 50
#define MONEY_MAX 1000000000000LL	/* 10^12 minor units, as the API */
#define QTY_MAX 1000000000LL
#define SORT_MAX 1000000
#define MAX_GROUP_ROWS 40		/* modifier rows a group form carries (a form
					 * has at most HTTP_MAX_PARAMS fields) */
#define MAX_RECIPE_ROWS 120		/* ingredient rows a recipe form carries */
#define EMPTY_ROWS 3			/* blank rows offered for new entries */

#define TENANT "NULLIF(current_setting('app.tenant_id', true), '')::uuid"

/* ---- small helpers ---- */

static PGresult *
q(struct req *r, const char *sql, int n, const char *a1, const char *a2, const char *a3,
    const char *a4)
{
	const char *v[4] = { a1, a2, a3, a4 };

	return db_exec(r, sql, n, v);
}

/* A body for the catalogue's write functions: o (stolen) as JSON text. */
static const char *
json_body(struct req *r, json_t *o)
{
	const char *text = req_json_dump(r, o);

	json_decref(o);
	return text;
}

/* A JSON string of s; "" for text that is not UTF-8 (jansson refuses it). */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("");
}

/* A form field with the white space around it removed; "" when absent. */
static const char *
field(struct req *r, const char *name)
{
	const char *v = kv_get(&r->form, name);
	size_t n;

	if (v == NULL)
		return "";
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	return arena_strndup(r->a, v, n);
}

static int
checked(struct req *r, const char *name)
{
	return kv_get(&r->form, name) != NULL;
}

/* UTF-8 of min..max characters, no control characters. */
static int
text_ok(const char *s, long long min, long long max)
{
	long long n = valid_utf8_len(s, strlen(s));
	const unsigned char *p;

	if (n < min || n > max)
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int
int_parse(const char *s, long long min, long long max, long long *out)
{
	char *e;
	long long v;

	if (*s == '\0' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno != 0 || *e != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A decimal typed by a person: digits, one "." or "," and at most places
 * digits after it, spaces (also no-break ones) between digit groups, a
 * leading "-" when neg.  Returns the value times 10^places, or -1 when the
 * text is no such number or its magnitude exceeds lim. */
static int
decimal_parse(const char *s, int places, int neg, long long lim, long long *out)
{
	const unsigned char *p = (const unsigned char *)s;
	long long v = 0;
	int frac = -1, digits = 0, sign = 1;

	if (*p == '-' && neg) {
		sign = -1;
		p++;
	} else if (*p == '+') {
		p++;
	}
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (frac >= 0 && ++frac > places)
				return -1;
			if (v > 100000000000000000LL)	/* 10^17: the next digit could overflow */
				return -1;
			v = v * 10 + (*p - '0');
			digits++;
		} else if ((*p == '.' || *p == ',') && frac < 0) {
			frac = 0;
		} else if (*p == ' ' && digits > 0 && frac < 0) {
			continue;
		} else if (p[0] == 0xC2 && p[1] == 0xA0 && digits > 0 && frac < 0) {
			p++;
		} else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF && digits > 0 && frac < 0) {
			p += 2;
		} else {
			return -1;
		}
	}
	if (digits == 0)
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < places; frac++) {
		if (v > lim / 10)
			return -1;
		v *= 10;
	}
	if (v > lim)
		return -1;
	*out = sign * v;
	return 0;
}

/* Money typed as "4.50" → 450 minor units (two decimals, as every
 * currency the product sells in). */
static int
money_parse(const char *s, int neg, long long *out)
{
	return decimal_parse(s, 2, neg, MONEY_MAX, out);
}

/* v (a count of 10^-places units) with no-break spaces between groups of
 * three digits and places decimals; trim drops trailing zeros after the
 * first two decimals. */
static char *
decimal_fmt(struct arena *a, long long v, int places, int trim)
{
	char digits[32], out[96];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	int n, i, o = 0, ip;

	n = snprintf(digits, sizeof(digits), "%0*llu", places + 1, u);
	ip = n - places;
	if (v < 0) {
		memcpy(out + o, "\xe2\x88\x92", 3);	/* U+2212 minus sign */
		o += 3;
	}
	for (i = 0; i < ip; i++) {
		if (i > 0 && (ip - i) % 3 == 0) {
			memcpy(out + o, "\xc2\xa0", 2);
			o += 2;
		}
		out[o++] = digits[i];
	}
	if (places > 0) {
		int end = n;

		while (trim && end > ip + 2 && digits[end - 1] == '0')
			end--;
		out[o++] = '.';
		for (i = ip; i < end; i++)
			out[o++] = digits[i];
	}
	out[o] = '\0';
	return arena_strdup(a, out);
}

/* 450 → "4.50" (what a form field shows; no grouping, so it reads back). */
static char *
money_input(struct arena *a, long long v)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	return arena_printf(a, "%s%llu.%02llu", v < 0 ? "-" : "", u / 100, u % 100);
}

/* 450, "AZN" → "4.50 AZN". */
static char *
money_fmt(struct arena *a, long long v, const char *currency)
{
	return arena_printf(a, "%s\xc2\xa0%s", decimal_fmt(a, v, 2, 0), currency ? currency : "");
}

/* Ingredient costs: minor units per unit as numeric(20, 6) text
 * ("4.000000") ⇄ millionths of a minor unit, which are also 10^-8 of a
 * major unit: what a person types ("0.04" per gram). */
static int
micro_from_numeric(const char *s, long long *out)
{
	return decimal_parse(s, 6, 0, MONEY_MAX * 1000000LL, out);
}

static char *
micro_to_numeric(struct arena *a, long long v)
{
	return arena_printf(a, "%lld.%06lld", v / 1000000, v % 1000000);
}

/* ?page=: 1 when absent or not a page number. */
static int
page_no(struct req *r)
{
	const char *s = kv_get(&r->query_params, "page");
	long long v;

	if (s == NULL || int_parse(s, 1, 1000000, &v) < 0)
		return 1;
	return (int)v;
}

/* The page asked for, or the last one when the list is shorter. */
static int
clamp_page(int page, const PGresult *cnt)
{
	long long total = strtoll(PQgetvalue(cnt, 0, 0), NULL, 10);
	long long last = total > 0 ? (total + PER_PAGE - 1) / PER_PAGE : 1;

	return page > last ? (int)last : page;
}

/* model.pager of a list of total rows at page (base ends in "?" or "&"):
 * pages_pager's, plus the number of pages and rows and the rows shown. */
static json_t *
pager(struct req *r, const char *base, int page, long long total)
{
	long long pages = total > 0 ? (total + PER_PAGE - 1) / PER_PAGE : 1;
	long long from = (long long)(page - 1) * PER_PAGE + 1, to = from + PER_PAGE - 1;
	json_t *p = pages_pager(r, base, page, pages, page < pages);

	if (to > total)
		to = total;
	json_object_set_new(p, "pages", json_integer(pages));
	json_object_set_new(p, "total", json_integer(total));
	json_object_set_new(p, "from", json_integer(from <= total ? from : 0));
	json_object_set_new(p, "to", json_integer(from <= total ? to : 0));
	return p;
}

/* Column 0 of every row, a jsonb object, parsed. */
static json_t *
objects(const PGresult *res)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		json_t *o = json_loads(PQgetvalue(res, i, 0), 0, NULL);

		json_array_append_new(a, o ? o : json_object());
	}
	return a;
}

static long long
ll(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static long long
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
jtext2(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

static const char *
jtext(json_t *o, const char *k)
{
	return jtext2(json_object_get(o, k));
}

/* "g", "ml", "pcs" in the page's language. */
static const char *
unit_label(struct req *r, const char *unit)
{
	const char *s = i18n_get(app.cat, r->lang, arena_printf(r->a, "unit.%s", unit));

	return s ? s : unit;
}

/* unit_label on every object of a JSON array that has "unit". */
static void
unit_labels(struct req *r, json_t *arr)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (json_is_string(json_object_get(o, "unit")))
			json_object_set_new(o, "unit_label", jstr(unit_label(r, jtext(o, "unit"))));
}

/* The store's base currency and time zone (one store per tenant). */
struct store {
	const char *currency;
	const char *tz;
};

static int
store_get(struct req *r, struct store *st)
{
	PGresult *res = db_exec(r, "SELECT base_currency, time_zone FROM stores ORDER BY created_at LIMIT 1", 0, NULL);

	if (res == NULL)
		return -1;
	st->currency = PQntuples(res) ? arena_strdup(r->a, PQgetvalue(res, 0, 0)) : "AZN";
	st->tz = PQntuples(res) ? arena_strdup(r->a, PQgetvalue(res, 0, 1)) : "UTC";
	return 0;
}

/* The model every catalogue page starts from: which page of the catalogue,
 * the store's currency, and the done word after a redirect (PRG). */
static json_t *
base_model(struct req *r, const char *section, const struct store *st, int status)
{
	static const char *const words[] = { "created", "saved", "deactivated", "restored", "movement", NULL };
	const char *done = kv_get(&r->query_params, "done");
	json_t *m = json_pack("{s:s, s:s, s:{}, s:{}}", "section", section, "currency", st->currency,
	    "form", "errors");
	size_t i;

	for (i = 0; status == 200 && done != NULL && words[i] != NULL; i++)
		if (strcmp(done, words[i]) == 0)
			json_object_set_new(m, "done", json_string(done));
	return m;
}

/* Merge extra (stolen, may be NULL) into model. */
static void
merge(json_t *model, json_t *extra)
{
	if (extra != NULL) {
		json_object_update(model, extra);
		json_decref(extra);
	}
}

static void
err(json_t *errors, const char *f, const char *kind)
{
	json_object_set_new(errors, f, json_string(kind));
}

/* Where a list action goes back to: the list's page the form came from. */
static const char *
back_to(struct req *r, const char *list, const char *done)
{
	const char *p = kv_get(&r->form, "page");
	long long n;

	if (p != NULL && int_parse(p, 2, 1000000, &n) == 0)
		return arena_printf(r->a, "%s?page=%lld&done=%s", list, n, done);
	return arena_printf(r->a, "%s?done=%s", list, done);
}

/* A failed write that the form can explain: undo it (savepoint) and say
 * which kind it was; 0 when it is something else (then the failure page). */
static const char *
write_conflict(struct req *r)
{
	const char *st = r->db->sqlstate;
	const char *kind = strcmp(st, "23505") == 0 ? "taken" :
	    (strcmp(st, "23503") == 0 || strcmp(st, "23514") == 0 || strcmp(st, "22003") == 0) ? "invalid" : NULL;

	if (kind == NULL || r->db->down || pages_rollback_savepoint(r) < 0)
		return NULL;
	return kind;
}

/* A soft delete or restore: one UPDATE of is_active by id, then back to the
 * list.  sql takes $1 = id and returns the id. */
static void
set_active(struct req *r, const char *sql, const char *list, const char *done)
{
	PGresult *res = q(r, sql, 1, r->params[0], NULL, NULL, NULL);

	if (res == NULL) {
		pages_db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return;
	}
	resp_redirect(r, 303, back_to(r, list, done));
}

/* ==================================================================== */
/* categories                                                            */
/* ==================================================================== */

static void
categories_render(struct req *r, int status, const char *id, json_t *form, json_t *errors, json_t *extra)
{
	struct store st;
	json_t *model;
	PGresult *res, *cnt;
	int page = page_no(r);
	const char *off;

	if (store_get(r, &st) < 0)
		goto fail;
	model = base_model(r, "categories", &st, status);
	if (id != NULL) {
		res = q(r, "SELECT api_category(c) FROM categories c WHERE id = $1", 1, id, NULL, NULL, NULL);
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		if (PQntuples(res) != 1) {
			json_decref(model);
			json_decref(form);
			json_decref(errors);
			json_decref(extra);
			page_error(r, 404);
			return;
		}
		json_object_set_new(model, "mode", json_string("edit"));
		json_object_set_new(model, "item", json_loads(PQgetvalue(res, 0, 0), 0, NULL));
		json_object_set_new(model, "action", json_string(arena_printf(r->a, "/dashboard/categories/%s", id)));
		if (form == NULL) {
			json_t *it = json_object_get(model, "item");

			form = json_pack("{s:s, s:s}", "name", jtext(it, "name"),
			    "sort", arena_printf(r->a, "%lld", jint(it, "sort")));
		}
	} else {
		cnt = db_exec(r, "SELECT count(*) FROM categories", 0, NULL);
		page = cnt ? clamp_page(page, cnt) : 1;
		off = arena_printf(r->a, "%d", (page - 1) * PER_PAGE);
		res = cnt ? q(r, "SELECT api_category(c) || jsonb_build_object('products', "
		    "(SELECT count(*) FROM products p WHERE p.category_id = c.id AND p.is_active)) "
		    "FROM categories c ORDER BY c.is_active DESC, c.sort, c.name, c.id LIMIT 50 OFFSET $1::int",
		    1, off, NULL, NULL, NULL) : NULL;
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		json_object_set_new(model, "mode", json_string("list"));
		json_object_set_new(model, "items", objects(res));
		json_object_set_new(model, "page", json_integer(page));
		json_object_set_new(model, "pager", pager(r, "/dashboard/categories?", page, ll(cnt, 0, 0)));
		json_object_set_new(model, "action", json_string("/dashboard/categories"));
	}
	if (form != NULL)
		json_object_set_new(model, "form", form);
	if (errors != NULL)
		json_object_set_new(model, "errors", errors);
	merge(model, extra);
	page_render(r, status, "dashboard/categories", model);
	return;
fail:
	json_decref(form);
	json_decref(errors);
	json_decref(extra);
	pages_db_fail(r);
}

void
catalogue_page_categories(struct req *r)
{
	categories_render(r, 200, NULL, NULL, NULL, NULL);
}

void
catalogue_page_category(struct req *r)
{
	categories_render(r, 200, r->params[0], NULL, NULL, NULL);
}

/* Create (id NULL) or update a category from the form. */
static void
category_save(struct req *r, const char *id)
{
	const char *name = field(r, "name"), *sort = field(r, "sort");
	json_t *form = json_object(), *errors = json_object();
	long long sortn = 0;
	PGresult *res;
	const char *kind;

	json_object_set_new(form, "name", jstr(name));
	json_object_set_new(form, "sort", jstr(sort));
	if (!text_ok(name, 1, 200))
		err(errors, "name", *name ? "invalid" : "required");
	if (*sort != '\0') {
		if (int_parse(sort, -SORT_MAX, SORT_MAX, &sortn) < 0)
			err(errors, "sort", "invalid");
	}
	if (json_object_size(errors) > 0) {
		categories_render(r, 400, id, form, errors, NULL);
		return;
	}
	if (pages_savepoint(r) < 0) {
		json_decref(form);
		json_decref(errors);
		pages_db_fail(r);
		return;
	}
	res = cat_category_write(r, id, json_body(r, json_pack("{s:s, s:I}", "name", name, "sort", (json_int_t)sortn)));
	if (res == NULL && (kind = write_conflict(r)) != NULL) {
		err(errors, "name", kind);
		categories_render(r, 400, id, form, errors, NULL);
		return;
	}
	json_decref(form);
	json_decref(errors);
	if (res == NULL) {
		pages_db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return;
	}
	resp_redirect(r, 303, id ? arena_printf(r->a, "/dashboard/categories/%s?done=saved", id)
	    : "/dashboard/categories?done=created");
}

void
catalogue_page_category_create(struct req *r)
{
	category_save(r, NULL);
}

void
catalogue_page_category_update(struct req *r)
{
	category_save(r, r->params[0]);
}

void
catalogue_page_category_delete(struct req *r)
{
	set_active(r, "UPDATE categories SET is_active = false WHERE id = $1 RETURNING id",
	    "/dashboard/categories", "deactivated");
}

void
catalogue_page_category_restore(struct req *r)
{
	set_active(r, "UPDATE categories SET is_active = true WHERE id = $1 RETURNING id",
	    "/dashboard/categories", "restored");
}

/* ==================================================================== */
/* products                                                              */
/* ==================================================================== */

/* The list's filters: ?q= (name, SKU or barcode) and ?category=. */
struct product_filter {
	const char *q;		/* NULL: none */
	const char *category;	/* NULL: all */
	const char *base;	/* the list's URL with the filters, ending in ? or & */
};

static void
product_filter(struct req *r, const char *path, struct product_filter *f)
{
	const char *s = kv_get(&r->query_params, "q"), *c = kv_get(&r->query_params, "category");

	f->q = s != NULL && *s != '\0' && text_ok(s, 1, 200) ? s : NULL;
	f->category = c != NULL && http_is_uuid(c) ? c : NULL;
	f->base = arena_printf(r->a, "%s?%s%s%s%s%s", path, f->q ? "q=" : "", f->q ? pages_url_encode(r, f->q) : "",
	    f->q ? "&" : "", f->category ? "category=" : "", f->category ? f->category : "");
	if (f->category)
		f->base = arena_printf(r->a, "%s&", f->base);
}

#define PRODUCT_WHERE \
	"WHERE ($1::text IS NULL OR strpos(lower(p.name || ' ' || coalesce(p.sku, '') || ' ' || " \
	"coalesce(p.barcode, '')), lower($1)) > 0) AND ($2::uuid IS NULL OR p.category_id = $2::uuid) "

/* Categories for a select: the active ones and the one chosen now. */
static json_t *
category_options(struct req *r, const char *current)
{
	PGresult *res = q(r, "SELECT id, name, is_active FROM categories WHERE is_active OR id = $1::uuid "
	    "ORDER BY sort, name, id LIMIT 1000", 1, current && http_is_uuid(current) ? current : NULL,
	    NULL, NULL, NULL);

	return res ? db_rows_json(res) : NULL;
}

/* Modifier groups for the product form's checkboxes: the active ones and
 * those chosen now (ids, a JSON array of strings), each with checked. */
static json_t *
group_options(struct req *r, json_t *ids)
{
	char *arr = json_dumps(ids, JSON_COMPACT);
	PGresult *res;
	json_t *rows, *g;
	size_t i, k;

	arena_defer(r->a, free, arr);
	res = q(r, "SELECT g.id, g.name, g.kind, g.required, g.is_active FROM modifier_groups g "
	    "WHERE g.is_active OR g.id::text IN (SELECT jsonb_array_elements_text($1::jsonb)) "
	    "ORDER BY g.name, g.id LIMIT 200", 1, arr ? arr : "[]", NULL, NULL, NULL);
	if (res == NULL)
		return NULL;
	rows = db_rows_json(res);
	json_array_foreach(rows, i, g) {
		int on = 0;

		for (k = 0; k < json_array_size(ids); k++)
			on |= strcmp(jtext(g, "id"), jtext2(json_array_get(ids, k))) == 0;
		json_object_set_new(g, "checked", json_boolean(on));
	}
	return rows;
}

/* Add the display fields to a product object. */
static void
product_display(struct req *r, json_t *p)
{
	const char *cur = jtext(p, "currency");
	json_t *cost = json_object_get(p, "cost");

	json_object_set_new(p, "price_fmt", json_string(money_fmt(r->a, jint(p, "price"), cur)));
	if (json_is_integer(cost))
		json_object_set_new(p, "cost_fmt", json_string(money_fmt(r->a, json_integer_value(cost), cur)));
}

static void
products_render(struct req *r, int status, const char *id, json_t *form, json_t *errors, json_t *extra)
{
	struct store st;
	struct product_filter f;
	json_t *model, *ids, *opts, *groups, *x;
	PGresult *res, *cnt;
	int page = page_no(r);
	size_t i;

	if (store_get(r, &st) < 0)
		goto fail;
	model = base_model(r, "products", &st, status);
	if (id != NULL) {
		json_t *it;

		res = q(r, "SELECT api_product(p) FROM products p WHERE id = $1", 1, id, NULL, NULL, NULL);
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		if (PQntuples(res) != 1) {
			json_decref(model);
			json_decref(form);
			json_decref(errors);
			json_decref(extra);
			page_error(r, 404);
			return;
		}
		it = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		product_display(r, it);
		json_object_set_new(model, "mode", json_string("edit"));
		json_object_set_new(model, "item", it);
		json_object_set_new(model, "currency", json_string(jtext(it, "currency")));
		json_object_set_new(model, "action", json_string(arena_printf(r->a, "/dashboard/products/%s", id)));
		if (form == NULL) {
			json_t *cost = json_object_get(it, "cost");

			form = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:b, s:O}",
			    "name", jtext(it, "name"), "category_id", jtext(it, "category_id"),
			    "price", money_input(r->a, jint(it, "price")),
			    "cost", json_is_integer(cost) ? money_input(r->a, json_integer_value(cost)) : "",
			    "sku", json_string_value(json_object_get(it, "sku")),
			    "barcode", json_string_value(json_object_get(it, "barcode")),
			    "image_url", json_string_value(json_object_get(it, "image_url")),
			    "sort", arena_printf(r->a, "%lld", jint(it, "sort")),
			    "is_active", json_is_true(json_object_get(it, "is_active")),
			    "groups", json_object_get(it, "modifier_group_ids"));
		}
	} else {
		const char *off;

		product_filter(r, "/dashboard/products", &f);
		cnt = q(r, "SELECT count(*) FROM products p " PRODUCT_WHERE, 2, f.q, f.category, NULL, NULL);
		page = cnt ? clamp_page(page, cnt) : 1;
		off = arena_printf(r->a, "%d", (page - 1) * PER_PAGE);
		res = cnt ? q(r, "SELECT api_product(p) || jsonb_build_object('category_name', c.name, "
		    "'category_active', c.is_active) FROM products p LEFT JOIN categories c ON c.id = p.category_id "
		    PRODUCT_WHERE "ORDER BY p.is_active DESC, c.sort, c.name, p.sort, p.name, p.id "
		    "LIMIT 50 OFFSET $3::int", 3, f.q, f.category, off, NULL) : NULL;
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		x = objects(res);
		json_array_foreach(x, i, opts)
			product_display(r, opts);
		json_object_set_new(model, "mode", json_string("list"));
		json_object_set_new(model, "items", x);
		json_object_set_new(model, "page", json_integer(page));
		json_object_set_new(model, "pager", pager(r, f.base, page, ll(cnt, 0, 0)));
		json_object_set_new(model, "filter", json_pack("{s:s?, s:s?, s:b}", "q", f.q,
		    "category", f.category, "on", f.q != NULL || f.category != NULL));
		json_object_set_new(model, "action", json_string("/dashboard/products"));
		if (form == NULL)
			form = json_pack("{s:b, s:[]}", "is_active", 1, "groups");
	}
	if (!json_is_array(json_object_get(form, "groups")))
		json_object_set_new(form, "groups", json_array());
	json_object_set_new(model, "form", form);
	form = NULL;	/* the model's now */
	ids = json_object_get(json_object_get(model, "form"), "groups");
	opts = category_options(r, json_string_value(json_object_get(json_object_get(model, "form"), "category_id")));
	groups = opts ? group_options(r, ids) : NULL;
	if (groups == NULL) {
		json_decref(opts);
		json_decref(model);
		goto fail;
	}
	json_object_set_new(model, "categories", opts);
	json_object_set_new(model, "groups", groups);
	if (errors != NULL)
		json_object_set_new(model, "errors", errors);
	merge(model, extra);
	page_render(r, status, "dashboard/products", model);
	return;
fail:
	json_decref(form);
	json_decref(errors);
	json_decref(extra);
	pages_db_fail(r);
}

void
catalogue_page_products(struct req *r)
{
	products_render(r, 200, NULL, NULL, NULL, NULL);
}

void
catalogue_page_product(struct req *r)
{
	products_render(r, 200, r->params[0], NULL, NULL, NULL);
}

/* http(s) address or a path on this site, no spaces or control characters. */
static int
image_url_ok(const char *s)
{
	const unsigned char *p;

	if (!text_ok(s, 1, 1000))
		return 0;
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0 &&
	    !(s[0] == '/' && s[1] != '/' && s[1] != '\\'))
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
			return 0;
	return 1;
}

static void
product_save(struct req *r, const char *id)
{
	const char *name = field(r, "name"), *cat = field(r, "category_id"), *price = field(r, "price");
	const char *cost = field(r, "cost"), *sku = field(r, "sku"), *barcode = field(r, "barcode");
	const char *image = field(r, "image_url"), *sort = field(r, "sort");
	const char *kind;
	json_t *form = json_object(), *errors = json_object(), *groups = json_array();
	long long n = 0, pr = 0, co = 0;
	int update = id != NULL;	/* id becomes the new product's on create */
	PGresult *res;
	const char *garr;
	size_t i;

	json_object_set_new(form, "name", jstr(name));
	json_object_set_new(form, "category_id", jstr(cat));
	json_object_set_new(form, "price", jstr(price));
	json_object_set_new(form, "cost", jstr(cost));
	json_object_set_new(form, "sku", jstr(sku));
	json_object_set_new(form, "barcode", jstr(barcode));
	json_object_set_new(form, "image_url", jstr(image));
	json_object_set_new(form, "sort", jstr(sort));
	json_object_set_new(form, "is_active", json_boolean(checked(r, "is_active")));
	for (i = 0; i < r->form.n; i++) {
		const char *g = r->form.v[i].val;

		if (strcmp(r->form.v[i].key, "groups") != 0)
			continue;
		if (!http_is_uuid(g) || json_array_size(groups) >= 50)
			err(errors, "groups", "invalid");
		else
			json_array_append_new(groups, json_string(g));
	}
	json_object_set_new(form, "groups", groups);

	if (!text_ok(name, 1, 200))
		err(errors, "name", *name ? "invalid" : "required");
	if (*cat == '\0')
		err(errors, "category_id", "required");
	else if (!http_is_uuid(cat))
		err(errors, "category_id", "invalid");
	if (*price == '\0')
		err(errors, "price", "required");
	else if (money_parse(price, 0, &pr) < 0)
		err(errors, "price", "invalid");
	if (*cost != '\0' && money_parse(cost, 0, &co) < 0)
		err(errors, "cost", "invalid");
	if (*sku != '\0' && !text_ok(sku, 1, 200))
		err(errors, "sku", "invalid");
	if (*barcode != '\0' && !text_ok(barcode, 1, 200))
		err(errors, "barcode", "invalid");
	if (*image != '\0' && !image_url_ok(image))
		err(errors, "image_url", "invalid");
	if (*sort != '\0' && int_parse(sort, -SORT_MAX, SORT_MAX, &n) < 0)
		err(errors, "sort", "invalid");
	garr = req_json_dump(r, groups);
	/* what the form names must exist */
	if (json_object_get(errors, "category_id") == NULL || json_object_get(errors, "groups") == NULL) {
		res = q(r, "SELECT EXISTS (SELECT FROM categories WHERE id = $1::uuid), "
		    "(SELECT count(*) FROM modifier_groups WHERE id::text IN (SELECT jsonb_array_elements_text($2::jsonb))) "
		    "= (SELECT count(DISTINCT x) FROM jsonb_array_elements_text($2::jsonb) x)",
		    2, http_is_uuid(cat) ? cat : NULL, garr, NULL, NULL);
		if (res == NULL) {
			json_decref(form);
			json_decref(errors);
			pages_db_fail(r);
			return;
		}
		if (http_is_uuid(cat) && PQgetvalue(res, 0, 0)[0] != 't')
			err(errors, "category_id", "invalid");
		if (PQgetvalue(res, 0, 1)[0] != 't')
			err(errors, "groups", "invalid");
	}
	if (json_object_size(errors) > 0) {
		products_render(r, 400, id, form, errors, NULL);
		return;
	}
	if (pages_savepoint(r) < 0)
		goto fail;
	/* every field of the form is sent: an empty one clears its value */
	res = cat_product_write(r, id, json_body(r, json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:I, s:b}",
	    "category_id", cat, "name", name, "price", (json_int_t)pr,
	    "cost", *cost ? json_integer(co) : json_null(), "sku", *sku ? json_string(sku) : json_null(),
	    "barcode", *barcode ? json_string(barcode) : json_null(),
	    "image_url", *image ? json_string(image) : json_null(),
	    "sort", (json_int_t)(*sort ? n : 0), "is_active", checked(r, "is_active"))));
	if (res == NULL && (kind = write_conflict(r)) != NULL) {
		/* the only unique value of a product is its SKU among active ones */
		err(errors, strcmp(kind, "taken") == 0 ? "sku" : "category_id", kind);
		products_render(r, strcmp(kind, "taken") == 0 ? 409 : 400, id, form, errors, NULL);
		return;
	}
	if (res == NULL)
		goto fail;
	if (PQntuples(res) != 1) {
		json_decref(form);
		json_decref(errors);
		page_error(r, 404);
		return;
	}
	id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	/* its modifier groups, replaced as the API does */
	if (cat_product_groups_set(r, id, garr) < 0)
		goto fail;
	json_decref(form);
	json_decref(errors);
	resp_redirect(r, 303, update ? arena_printf(r->a, "/dashboard/products/%s?done=saved", id)
	    : "/dashboard/products?done=created");
	return;
fail:
	json_decref(form);
	json_decref(errors);
	pages_db_fail(r);
}

void
catalogue_page_product_create(struct req *r)
{
	product_save(r, NULL);
}

void
catalogue_page_product_update(struct req *r)
{
	product_save(r, r->params[0]);
}

void
catalogue_page_product_delete(struct req *r)
{
	set_active(r, "UPDATE products SET is_active = false WHERE id = $1 RETURNING id",
	    "/dashboard/products", "deactivated");
}

/* Restoring may meet an active product that took its SKU meanwhile. */
void
catalogue_page_product_restore(struct req *r)
{
	PGresult *res;

	if (pages_savepoint(r) < 0) {
		pages_db_fail(r);
		return;
	}
	res = q(r, "UPDATE products SET is_active = true WHERE id = $1 RETURNING id", 1, r->params[0], NULL, NULL, NULL);
	if (res == NULL && strcmp(r->db->sqlstate, "23505") == 0 && pages_rollback_savepoint(r) == 0) {
		products_render(r, 409, NULL, NULL, NULL, json_pack("{s:s}", "conflict", "sku"));
		return;
	}
	if (res == NULL) {
		pages_db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return;
	}
	resp_redirect(r, 303, back_to(r, "/dashboard/products", "restored"));
}

/* ==================================================================== */
/* modifier groups                                                       */
/* ==================================================================== */

/* Ingredients for a select: the active ones and those named in ids (a JSON
 * array of strings), with unit and cost per unit (millionths of a minor
 * unit, for line costs). */
static json_t *
ingredient_options(struct req *r, json_t *ids)
{
	char *arr = json_dumps(ids, JSON_COMPACT);
	PGresult *res;
	json_t *rows;

	arena_defer(r->a, free, arr);
	res = q(r, "SELECT id, name, unit, is_active, cost_per_unit::text AS cost_per_unit FROM ingredients "
	    "WHERE is_active OR id::text IN (SELECT jsonb_array_elements_text($1::jsonb)) "
	    "ORDER BY name, id LIMIT 2000", 1, arr ? arr : "[]", NULL, NULL, NULL);
	if (res == NULL)
		return NULL;
	rows = db_rows_json(res);
	unit_labels(r, rows);
	return rows;
}

static void
groups_render(struct req *r, int status, const char *id, json_t *form, json_t *rows, json_t *errors,
    json_t *extra)
{
	struct store st;
	json_t *model, *used = json_array(), *x, *ings, *it;
	PGresult *res, *cnt;
	int page = page_no(r);
	size_t i, k, blank;

	if (store_get(r, &st) < 0)
		goto fail;
	model = base_model(r, "modifier_groups", &st, status);
	if (id != NULL) {
		res = q(r, "SELECT api_modifier_group(g) FROM modifier_groups g WHERE id = $1", 1, id, NULL, NULL, NULL);
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		if (PQntuples(res) != 1) {
			json_decref(model);
			json_decref(form);
			json_decref(rows);
			json_decref(errors);
			json_decref(extra);
			json_decref(used);
			page_error(r, 404);
			return;
		}
		it = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		json_object_set_new(model, "mode", json_string("edit"));
		json_object_set_new(model, "item", it);
		json_object_set_new(model, "action", json_string(arena_printf(r->a, "/dashboard/modifier-groups/%s", id)));
		if (form == NULL)
			form = json_pack("{s:s, s:s, s:b, s:s, s:s}", "name", jtext(it, "name"), "kind", jtext(it, "kind"),
			    "required", json_is_true(json_object_get(it, "required")),
			    "min", arena_printf(r->a, "%lld", jint(it, "min")),
			    "max", arena_printf(r->a, "%lld", jint(it, "max")));
		if (rows == NULL) {
			rows = json_array();
			json_array_foreach(json_object_get(it, "modifiers"), i, x) {
				json_t *qty = json_object_get(x, "qty");

				if (!json_is_true(json_object_get(x, "is_active")))
					continue;
				json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s?, s:s}",
				    "id", jtext(x, "id"), "name", jtext(x, "name"),
				    "price", money_input(r->a, jint(x, "price_delta")),
				    "ingredient_id", json_string_value(json_object_get(x, "ingredient_id")),
				    "qty", json_is_integer(qty) ? arena_printf(r->a, "%lld", json_integer_value(qty)) : ""));
			}
		}
	} else {
		const char *off;

		cnt = db_exec(r, "SELECT count(*) FROM modifier_groups", 0, NULL);
		page = cnt ? clamp_page(page, cnt) : 1;
		off = arena_printf(r->a, "%d", (page - 1) * PER_PAGE);
		res = cnt ? q(r, "SELECT api_modifier_group(g) || jsonb_build_object('products', "
		    "(SELECT count(*) FROM product_modifier_groups pm JOIN products p ON p.id = pm.product_id "
		    "WHERE pm.group_id = g.id AND p.is_active)) FROM modifier_groups g "
		    "ORDER BY g.is_active DESC, g.name, g.id LIMIT 50 OFFSET $1::int", 1, off, NULL, NULL, NULL) : NULL;
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		x = objects(res);
		json_array_foreach(x, i, it) {
			json_t *m, *names = json_array();
			size_t j;

			json_array_foreach(json_object_get(it, "modifiers"), j, m) {
				if (!json_is_true(json_object_get(m, "is_active")))
					continue;
				json_array_append_new(names, json_pack("{s:s, s:s?}", "name", jtext(m, "name"),
				    "delta", jint(m, "price_delta") == 0 ? NULL : arena_printf(r->a, "%s%s",
				    jint(m, "price_delta") > 0 ? "+" : "", money_fmt(r->a, jint(m, "price_delta"), st.currency))));
			}
			json_object_set_new(it, "active_modifiers", names);
		}
		json_object_set_new(model, "mode", json_string("list"));
		json_object_set_new(model, "items", x);
		json_object_set_new(model, "page", json_integer(page));
		json_object_set_new(model, "pager", pager(r, "/dashboard/modifier-groups?", page, ll(cnt, 0, 0)));
		json_object_set_new(model, "action", json_string("/dashboard/modifier-groups"));
		if (form == NULL)
			form = json_pack("{s:s, s:b}", "kind", "single", "required", 0);
		if (rows == NULL)
			rows = json_array();
	}
	if (json_array_size(rows) > MAX_GROUP_ROWS)
		json_object_set_new(model, "too_many", json_true());
	/* blank rows for new modifiers, numbered after the others */
	blank = json_array_size(rows) + EMPTY_ROWS > MAX_GROUP_ROWS ? MAX_GROUP_ROWS - json_array_size(rows) : EMPTY_ROWS;
	if (json_array_size(rows) >= MAX_GROUP_ROWS)
		blank = 0;
	for (k = 0; k < blank; k++)
		json_array_append_new(rows, json_pack("{s:s}", "name", ""));
	json_array_foreach(rows, i, x) {
		json_object_set_new(x, "i", json_integer((json_int_t)i));
		if (json_is_string(json_object_get(x, "ingredient_id")))
			json_array_append(used, json_object_get(x, "ingredient_id"));
	}
	ings = ingredient_options(r, used);
	json_decref(used);
	used = NULL;
	if (ings == NULL) {
		json_decref(model);
		goto fail;
	}
	json_object_set_new(model, "ingredients", ings);
	json_object_set_new(model, "rows", rows);
	json_object_set_new(model, "form", form);
	if (errors != NULL)
		json_object_set_new(model, "errors", errors);
	merge(model, extra);
	page_render(r, status, "dashboard/modifier_groups", model);
	return;
fail:
	json_decref(used);
	json_decref(form);
	json_decref(rows);
	json_decref(errors);
	json_decref(extra);
	pages_db_fail(r);
}

void
catalogue_page_groups(struct req *r)
{
	groups_render(r, 200, NULL, NULL, NULL, NULL, NULL);
}

void
catalogue_page_group(struct req *r)
{
	groups_render(r, 200, r->params[0], NULL, NULL, NULL, NULL);
}

static void
group_save(struct req *r, const char *id)
{
	static const char *const kinds[] = { "single", "multiple", NULL };
	const char *name = field(r, "name"), *kind = field(r, "kind"), *mn = field(r, "min"), *mx = field(r, "max");
	json_t *form = json_object(), *errors = json_object(), *rows = json_array(), *mods = json_array();
	json_t *ids = json_array();
	int required = checked(r, "required"), single, k, bad = 0;
	long long vmin = 0, vmax = 0, nactive = 0;
	const char *v[7], *wk;
	const char *body;
	PGresult *res;

	json_object_set_new(form, "name", jstr(name));
	json_object_set_new(form, "kind", jstr(kind));
	json_object_set_new(form, "required", json_boolean(required));
	json_object_set_new(form, "min", jstr(mn));
	json_object_set_new(form, "max", jstr(mx));
	if (!text_ok(name, 1, 200))
		err(errors, "name", *name ? "invalid" : "required");
	for (k = 0; kinds[k] != NULL && strcmp(kinds[k], kind) != 0; k++)
		;
	if (kinds[k] == NULL)
		err(errors, "kind", "invalid");
	single = strcmp(kind, "single") == 0;
	if (*mn != '\0' && int_parse(mn, 0, 100, &vmin) < 0)
		err(errors, "min", "invalid");
	if (*mx != '\0' && int_parse(mx, 1, 100, &vmax) < 0)
		err(errors, "max", "invalid");

	/* the modifier rows: m<i>_id, _name, _price, _ingredient, _qty, _remove */
	for (k = 0; k < 110; k++) {	/* the API allows 100 modifiers */
		const char *mid = field(r, arena_printf(r->a, "m_%d_id", k));
		const char *mname = field(r, arena_printf(r->a, "m_%d_name", k));
		const char *mprice = field(r, arena_printf(r->a, "m_%d_price", k));
		const char *ming = field(r, arena_printf(r->a, "m_%d_ingredient", k));
		const char *mqty = field(r, arena_printf(r->a, "m_%d_qty", k));
		int remove = checked(r, arena_printf(r->a, "m_%d_remove", k));
		json_t *row, *rerr = json_object(), *m;
		long long delta = 0, qty = 0;

		if (*mid == '\0' && *mname == '\0' && *mprice == '\0' && *ming == '\0' && *mqty == '\0')
			continue;	/* an unused blank row */
		if (*mid != '\0' && !http_is_uuid(mid))
			mid = "";
		row = json_pack("{s:s, s:o, s:o, s:o, s:o, s:b}", "id", mid, "name", jstr(mname),
		    "price", jstr(mprice), "ingredient_id", jstr(ming), "qty", jstr(mqty), "remove", remove);
		json_array_append_new(rows, row);
		if (remove && *mid != '\0') {
			json_decref(rerr);
			continue;	/* left out: deactivated */
		}
		if (remove) {
			json_array_remove(rows, json_array_size(rows) - 1);
			json_decref(rerr);
			continue;	/* a new row struck out */
		}
		if (!text_ok(mname, 1, 200))
			err(rerr, "name", *mname ? "invalid" : "required");
		if (*mprice != '\0' && money_parse(mprice, 1, &delta) < 0)
			err(rerr, "price", "invalid");
		if (*ming != '\0' && !http_is_uuid(ming))
			err(rerr, "ingredient", "invalid");
		if (*mqty != '\0' && int_parse(mqty, 1, QTY_MAX, &qty) < 0)
			err(rerr, "qty", "invalid");
		else if (*ming != '\0' && *mqty == '\0')
			err(rerr, "qty", "required");
		else if (*ming == '\0' && *mqty != '\0')
			err(rerr, "ingredient", "required");
		if (json_object_size(rerr) > 0) {
			json_object_set_new(row, "errors", rerr);
			bad = 1;
			continue;
		}
		json_decref(rerr);
		m = json_pack("{s:o, s:I}", "name", jstr(mname), "price_delta", (json_int_t)delta);
		if (*mid != '\0')
			json_object_set_new(m, "id", json_string(mid));
		if (*ming != '\0') {
			json_object_set_new(m, "ingredient_id", json_string(ming));
			json_object_set_new(m, "qty", json_integer(qty));
			json_array_append_new(ids, json_string(ming));
		}
		json_array_append_new(mods, m);
		nactive++;
	}
	if (bad)
		err(errors, "modifiers", "invalid");

	/* the group's selection rules, as the API and the table have them */
	if (json_object_get(errors, "min") == NULL && json_object_get(errors, "max") == NULL &&
	    json_object_get(errors, "kind") == NULL) {
		if (*mx == '\0')
			vmax = single ? 1 : (nactive > 1 ? nactive : 1);
		if (vmax > 100)
			vmax = 100;
		if (required && vmin < 1)
			vmin = 1;
		if (single && vmax != 1)
			err(errors, "max", "single");
		else if (vmin > vmax)
			err(errors, "min", "above_max");
	}
	body = req_json_dump(r, ids);
	if (json_array_size(ids) > 0) {
		/* the ingredients the rows name must exist */
		res = q(r, "SELECT array_to_json(array(SELECT x FROM jsonb_array_elements_text($1::jsonb) x "
		    "WHERE NOT EXISTS (SELECT FROM ingredients i WHERE i.id::text = x)))::text", 1, body, NULL, NULL, NULL);
		if (res == NULL)
			goto fail;
		if (strcmp(PQgetvalue(res, 0, 0), "[]") != 0) {
			json_t *missing = json_loads(PQgetvalue(res, 0, 0), 0, NULL), *row, *mi;
			size_t i, j;

			json_array_foreach(rows, i, row) {
				json_array_foreach(missing, j, mi) {
					if (strcmp(jtext(row, "ingredient_id"), jtext2(mi)) != 0)
						continue;
					if (!json_is_object(json_object_get(row, "errors")))
						json_object_set_new(row, "errors", json_object());
					err(json_object_get(row, "errors"), "ingredient", "invalid");
				}
			}
			json_decref(missing);
			err(errors, "modifiers", "invalid");
		}
	}
	json_decref(ids);
	ids = NULL;
	if (json_object_size(errors) > 0) {
		json_decref(mods);
		groups_render(r, 400, id, form, rows, errors, NULL);
		return;
	}
	if (pages_savepoint(r) < 0)
		goto fail;
	body = json_body(r, json_pack("{s:o}", "modifiers", mods));	/* steals mods */
	mods = NULL;
	v[0] = name;
	v[1] = kind;
	v[2] = required ? "true" : "false";
	v[3] = arena_printf(r->a, "%lld", vmin);
	v[4] = arena_printf(r->a, "%lld", vmax);
	v[5] = id;
	if (id == NULL)
		res = db_exec(r, "INSERT INTO modifier_groups (tenant_id, id, name, kind, required, min_select, max_select, "
		    "is_active) VALUES (" TENANT ", gen_random_uuid(), $1, $2, $3::bool, $4::int, $5::int, true) RETURNING id",
		    5, v);
	else
		res = db_exec(r, "UPDATE modifier_groups SET name = $1, kind = $2, required = $3::bool, min_select = $4::int, "
		    "max_select = $5::int WHERE id = $6 RETURNING id", 6, v);
	if (res == NULL && (wk = write_conflict(r)) != NULL) {
		err(errors, "max", "invalid");
		groups_render(r, 400, id, form, rows, errors, NULL);
		return;
	}
	if (res == NULL)
		goto fail;
	if (PQntuples(res) != 1) {
		json_decref(form);
		json_decref(rows);
		json_decref(errors);
		page_error(r, 404);
		return;
	}
	id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	/* upsert the listed modifiers, deactivate the ones left out; rewriting
	 * the group row carries the change to the tills' next pull */
	/* the page's modifiers carry no sort or is_active: listed order, active */
	if (cat_group_modifiers_set(r, id, body) < 0)
		goto fail;
	json_decref(form);
	json_decref(rows);
	json_decref(errors);
	resp_redirect(r, 303, v[5] ? arena_printf(r->a, "/dashboard/modifier-groups/%s?done=saved", id)
	    : "/dashboard/modifier-groups?done=created");
	return;
fail:
	json_decref(ids);
	json_decref(mods);
	json_decref(form);
	json_decref(rows);
	json_decref(errors);
	pages_db_fail(r);
}

void
catalogue_page_group_create(struct req *r)
{
	group_save(r, NULL);
}

void
catalogue_page_group_update(struct req *r)
{
	group_save(r, r->params[0]);
}

void
catalogue_page_group_delete(struct req *r)
{
	set_active(r, "UPDATE modifier_groups SET is_active = false WHERE id = $1 RETURNING id",
	    "/dashboard/modifier-groups", "deactivated");
}

void
catalogue_page_group_restore(struct req *r)
{
	set_active(r, "UPDATE modifier_groups SET is_active = true WHERE id = $1 RETURNING id",
	    "/dashboard/modifier-groups", "restored");
}

/* ==================================================================== */
/* ingredients                                                           */
/* ==================================================================== */

/* Display fields of an ingredient (api_ingredient plus cost_per_unit as
 * exact text in column 1). */
static void
ingredient_display(struct req *r, json_t *o, const char *cost_text, const char *currency)
{
	long long micro = 0, qty = jint(o, "qty"), min = jint(o, "min_qty");

	(void)micro_from_numeric(cost_text, &micro);
	json_object_set_new(o, "cost_per_unit", json_string(cost_text));
	json_object_set_new(o, "unit_label", jstr(unit_label(r, jtext(o, "unit"))));
	json_object_set_new(o, "cost_fmt", json_string(arena_printf(r->a, "%s\xc2\xa0%s",
	    decimal_fmt(r->a, micro, 8, 1), currency)));
	json_object_set_new(o, "cost_input", json_string(decimal_fmt(r->a, micro, 8, 1)));
	json_object_set_new(o, "qty_fmt", json_string(decimal_fmt(r->a, qty, 0, 0)));
	json_object_set_new(o, "min_fmt", json_string(decimal_fmt(r->a, min, 0, 0)));
	json_object_set_new(o, "negative", json_boolean(qty < 0));
	json_object_set_new(o, "low", json_boolean(qty >= 0 && qty < min));
}

static void
ingredients_render(struct req *r, int status, const char *id, json_t *form, json_t *errors, json_t *extra)
{
	struct store st;
	json_t *model, *items;
	PGresult *res, *cnt;
	int page = page_no(r), i;

	if (store_get(r, &st) < 0)
		goto fail;
	model = base_model(r, "ingredients", &st, status);
	if (id != NULL) {
		json_t *it;

		res = q(r, "SELECT api_ingredient(i), i.cost_per_unit::text FROM ingredients i WHERE id = $1", 1, id,
		    NULL, NULL, NULL);
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		if (PQntuples(res) != 1) {
			json_decref(model);
			json_decref(form);
			json_decref(errors);
			json_decref(extra);
			page_error(r, 404);
			return;
		}
		it = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		ingredient_display(r, it, PQgetvalue(res, 0, 1), st.currency);
		json_object_set_new(model, "mode", json_string("edit"));
		json_object_set_new(model, "item", it);
		json_object_set_new(model, "action", json_string(arena_printf(r->a, "/dashboard/ingredients/%s", id)));
		if (form == NULL)
			form = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", jtext(it, "name"), "unit", jtext(it, "unit"),
			    "cost_per_unit", jtext(it, "cost_input"),
			    "min_qty", arena_printf(r->a, "%lld", jint(it, "min_qty")),
			    "is_active", json_is_true(json_object_get(it, "is_active")));
	} else {
		const char *off;

		cnt = db_exec(r, "SELECT count(*) FROM ingredients", 0, NULL);
		page = cnt ? clamp_page(page, cnt) : 1;
		off = arena_printf(r->a, "%d", (page - 1) * PER_PAGE);
		res = cnt ? q(r, "SELECT api_ingredient(i), i.cost_per_unit::text FROM ingredients i "
		    "ORDER BY i.is_active DESC, i.name, i.id LIMIT 50 OFFSET $1::int", 1, off, NULL, NULL, NULL) : NULL;
		if (res == NULL) {
			json_decref(model);
			goto fail;
		}
		items = objects(res);
		for (i = 0; i < PQntuples(res); i++)
			ingredient_display(r, json_array_get(items, (size_t)i), PQgetvalue(res, i, 1), st.currency);
		json_object_set_new(model, "mode", json_string("list"));
		json_object_set_new(model, "items", items);
		json_object_set_new(model, "page", json_integer(page));
		json_object_set_new(model, "pager", pager(r, "/dashboard/ingredients?", page, ll(cnt, 0, 0)));
		json_object_set_new(model, "action", json_string("/dashboard/ingredients"));
		if (form == NULL)
			form = json_pack("{s:s, s:b}", "unit", "g", "is_active", 1);
	}
	json_object_set_new(model, "form", form);
	if (errors != NULL)
		json_object_set_new(model, "errors", errors);
	merge(model, extra);
	page_render(r, status, "dashboard/ingredients", model);
	return;
fail:
	json_decref(form);
	json_decref(errors);
	json_decref(extra);
	pages_db_fail(r);
}

void
catalogue_page_ingredients(struct req *r)
{
	ingredients_render(r, 200, NULL, NULL, NULL, NULL);
}

void
catalogue_page_ingredient(struct req *r)
{
	ingredients_render(r, 200, r->params[0], NULL, NULL, NULL);
}

static void
ingredient_save(struct req *r, const char *id)
{
	const char *name = field(r, "name"), *unit = field(r, "unit"), *cost = field(r, "cost_per_unit");
	const char *min = field(r, "min_qty"), *kind;
	json_t *form = json_object(), *errors = json_object();
	long long micro = 0, vmin = 0;
	PGresult *res;

	json_object_set_new(form, "name", jstr(name));
	json_object_set_new(form, "unit", jstr(unit));
	json_object_set_new(form, "cost_per_unit", jstr(cost));
	json_object_set_new(form, "min_qty", jstr(min));
	json_object_set_new(form, "is_active", json_boolean(checked(r, "is_active")));
	if (!text_ok(name, 1, 200))
		err(errors, "name", *name ? "invalid" : "required");
	if (strcmp(unit, "g") != 0 && strcmp(unit, "ml") != 0 && strcmp(unit, "pcs") != 0)
		err(errors, "unit", "invalid");
	/* typed per unit in the currency (8 decimals), kept in minor units */
	if (*cost != '\0' && decimal_parse(cost, 8, 0, MONEY_MAX * 1000000LL, &micro) < 0)
		err(errors, "cost_per_unit", "invalid");
	if (*min != '\0' && int_parse(min, 0, QTY_MAX, &vmin) < 0)
		err(errors, "min_qty", "invalid");
	if (json_object_size(errors) > 0) {
		ingredients_render(r, 400, id, form, errors, NULL);
		return;
	}
	if (pages_savepoint(r) < 0)
		goto fail;
	/* the cost as a decimal string: ->>'cost_per_unit' reads it the same */
	res = cat_ingredient_write(r, id, json_body(r, json_pack("{s:s, s:s, s:s, s:I, s:b}", "name", name,
	    "unit", unit, "cost_per_unit", micro_to_numeric(r->a, micro), "min_qty", (json_int_t)vmin,
	    "is_active", checked(r, "is_active"))));
	if (res == NULL && (kind = write_conflict(r)) != NULL) {
		err(errors, "cost_per_unit", "invalid");
		ingredients_render(r, 400, id, form, errors, NULL);
		return;
	}
	if (res == NULL)
		goto fail;
	json_decref(form);
	json_decref(errors);
	if (PQntuples(res) != 1) {
		page_error(r, 404);
		return;
	}
	resp_redirect(r, 303, id ? arena_printf(r->a, "/dashboard/ingredients/%s?done=saved", id)
	    : "/dashboard/ingredients?done=created");
	return;
fail:
	json_decref(form);
	json_decref(errors);
	pages_db_fail(r);
}

void
catalogue_page_ingredient_create(struct req *r)
{
	ingredient_save(r, NULL);
}

void
catalogue_page_ingredient_update(struct req *r)
{
	ingredient_save(r, r->params[0]);
}

void
catalogue_page_ingredient_delete(struct req *r)
{
	set_active(r, "UPDATE ingredients SET is_active = false WHERE id = $1 RETURNING id",
	    "/dashboard/ingredients", "deactivated");
}

void
catalogue_page_ingredient_restore(struct req *r)
{
	set_active(r, "UPDATE ingredients SET is_active = true WHERE id = $1 RETURNING id",
	    "/dashboard/ingredients", "restored");
}

/* ==================================================================== */
/* recipes (tech cards)                                                  */
/* ==================================================================== */

/* cost, margin (price − cost) and margin % of price, when the recipe's
 * cost is in the product's currency (ingredient costs are in the store's). */
static void
margin_display(struct req *r, json_t *o, long long price, long long cost, const char *cur, int same_currency)
{
	json_object_set_new(o, "cost_fmt", json_string(money_fmt(r->a, cost, cur)));
	if (!same_currency)
		return;
	json_object_set_new(o, "margin_fmt", json_string(money_fmt(r->a, price - cost, cur)));
	json_object_set_new(o, "margin_negative", json_boolean(price - cost < 0));
	if (price > 0) {
		/* tenths of a percent, half away from zero */
		long long t = (price - cost) * 1000, p10 = (t >= 0 ? t + price / 2 : t - price / 2) / price;

		json_object_set_new(o, "margin_pct", json_string(arena_printf(r->a, "%s%lld.%lld\xc2\xa0%%",
		    p10 < 0 ? "\xe2\x88\x92" : "", (p10 < 0 ? -p10 : p10) / 10, (p10 < 0 ? -p10 : p10) % 10)));
	}
}

void
catalogue_page_recipes(struct req *r)
{
	struct store st;
	struct product_filter f;
	json_t *model, *items, *p;
	PGresult *res, *cnt;
	int page = page_no(r);
	size_t i;
	const char *off;

	if (store_get(r, &st) < 0) {
		pages_db_fail(r);
		return;
	}
	product_filter(r, "/dashboard/recipes", &f);
	cnt = q(r, "SELECT count(*) FROM products p " PRODUCT_WHERE, 2, f.q, f.category, NULL, NULL);
	page = cnt ? clamp_page(page, cnt) : 1;
	off = arena_printf(r->a, "%d", (page - 1) * PER_PAGE);
	res = cnt == NULL ? NULL : q(r, "SELECT api_product(p) || jsonb_build_object('category_name', c.name, 'recipe', "
	    "CASE WHEN x.is_active THEN api_recipe(x) END) FROM products p "
	    "LEFT JOIN categories c ON c.id = p.category_id LEFT JOIN recipes x ON x.product_id = p.id "
	    PRODUCT_WHERE "ORDER BY p.is_active DESC, c.sort, c.name, p.sort, p.name, p.id LIMIT 50 OFFSET $3::int",
	    3, f.q, f.category, off, NULL);
	if (res == NULL) {
		pages_db_fail(r);
		return;
	}
	items = objects(res);
	json_array_foreach(items, i, p) {
		json_t *rec = json_object_get(p, "recipe");
		const char *cur = jtext(p, "currency");

		product_display(r, p);
		if (json_is_object(rec)) {
			margin_display(r, p, jint(p, "price"), jint(rec, "cost"), cur, strcmp(cur, st.currency) == 0);
			json_object_set_new(p, "lines", json_integer((json_int_t)json_array_size(json_object_get(rec, "items"))));
		}
	}
	model = base_model(r, "recipes", &st, 200);
	json_object_set_new(model, "items", items);
	json_object_set_new(model, "pager", pager(r, f.base, page, ll(cnt, 0, 0)));
	json_object_set_new(model, "filter", json_pack("{s:s?, s:b}", "q", f.q, "on", f.q != NULL));
	json_object_set_new(model, "mode", json_string("list"));
	page_render(r, 200, "dashboard/recipes", model);
}

/* The recipe editor of one product; rows (stolen, may be NULL: the saved
 * items) and errors (stolen, may be NULL) come from a refused form. */
static void
recipe_render(struct req *r, int status, json_t *rows, json_t *errors)
{
	struct store st;
	json_t *model, *prod, *rec = NULL, *used = json_array(), *x, *ings;
	PGresult *res, *lines;
	const char *cur;
	size_t i, k, blank;

	if (store_get(r, &st) < 0)
		goto fail;
	res = q(r, "SELECT api_product(p) || jsonb_build_object('category_name', c.name), "
	    "CASE WHEN x.is_active THEN api_recipe(x) END, x.id FROM products p "
	    "LEFT JOIN categories c ON c.id = p.category_id LEFT JOIN recipes x ON x.product_id = p.id "
	    "WHERE p.id = $1", 1, r->params[0], NULL, NULL, NULL);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) != 1) {
		json_decref(rows);
		json_decref(errors);
		json_decref(used);
		page_error(r, 404);
		return;
	}
	prod = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	product_display(r, prod);
	cur = jtext(prod, "currency");
	if (!PQgetisnull(res, 0, 1))
		rec = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	model = base_model(r, "recipes", &st, status);
	json_object_set_new(model, "product", prod);
	json_object_set_new(model, "same_currency", json_boolean(strcmp(cur, st.currency) == 0));
	if (rec != NULL) {
		json_t *sum = json_object();

		margin_display(r, sum, jint(prod, "price"), jint(rec, "cost"), cur, strcmp(cur, st.currency) == 0);
		json_object_set_new(model, "summary", sum);
		json_object_set_new(model, "has_recipe", json_true());
	}
	if (rows == NULL) {
		/* the saved items, each with its line cost (qty × cost per unit) */
		rows = json_array();
		lines = rec ? q(r, "SELECT ri.ingredient_id, ri.qty, i.unit, money_round(ri.qty * i.cost_per_unit) "
		    "FROM recipe_items ri JOIN ingredients i ON i.id = ri.ingredient_id WHERE ri.recipe_id = $1 "
		    "ORDER BY i.name, ri.ingredient_id", 1, PQgetvalue(res, 0, 2), NULL, NULL, NULL) : NULL;
		if (rec != NULL && lines == NULL) {
			json_decref(rec);
			json_decref(model);
			goto fail;
		}
		for (k = 0; lines != NULL && k < (size_t)PQntuples(lines); k++)
			json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s}",
			    "ingredient_id", PQgetvalue(lines, (int)k, 0), "qty", PQgetvalue(lines, (int)k, 1),
			    "unit", unit_label(r, PQgetvalue(lines, (int)k, 2)),
			    "line_cost", money_fmt(r->a, ll(lines, (int)k, 3), st.currency)));
	}
	json_decref(rec);
	blank = json_array_size(rows) < 2 ? 5 - json_array_size(rows) : EMPTY_ROWS;
	if (json_array_size(rows) + blank > MAX_RECIPE_ROWS)
		blank = json_array_size(rows) >= MAX_RECIPE_ROWS ? 0 : MAX_RECIPE_ROWS - json_array_size(rows);
	for (k = 0; k < blank; k++)
		json_array_append_new(rows, json_pack("{s:s, s:s}", "ingredient_id", "", "qty", ""));
	json_array_foreach(rows, i, x) {
		json_object_set_new(x, "i", json_integer((json_int_t)i));
		if (*jtext(x, "ingredient_id"))
			json_array_append(used, json_object_get(x, "ingredient_id"));
	}
	ings = ingredient_options(r, used);
	json_decref(used);
	used = NULL;
	if (ings == NULL) {
		json_decref(model);
		goto fail;
	}
	json_array_foreach(ings, i, x) {
		long long micro = 0;

		(void)micro_from_numeric(jtext(x, "cost_per_unit"), &micro);
		json_object_set_new(x, "cost_fmt", json_string(arena_printf(r->a, "%s\xc2\xa0%s",
		    decimal_fmt(r->a, micro, 8, 1), st.currency)));
	}
	json_object_set_new(model, "ingredients", ings);
	json_object_set_new(model, "rows", rows);
	json_object_set_new(model, "action", json_string(arena_printf(r->a, "/dashboard/recipes/%s", r->params[0])));
	if (errors != NULL)
		json_object_set_new(model, "errors", errors);
	json_object_set_new(model, "mode", json_string("edit"));
	page_render(r, status, "dashboard/recipes", model);
	return;
fail:
	json_decref(used);
	json_decref(rows);
	json_decref(errors);
	pages_db_fail(r);
}

void
catalogue_page_recipe(struct req *r)
{
	recipe_render(r, 200, NULL, NULL);
}

/* Save a product's recipe: the rows replace its items (an ingredient
 * listed twice adds up, as in the API); no rows at all removes the recipe
 * (soft: the product itself is then taken from stock when sold). */
void
catalogue_page_recipe_save(struct req *r)
{
	json_t *rows = json_array(), *items = json_array(), *errors = json_object(), *ids = json_array();
	const char *pid = r->params[0];
	const char *body, *idtext;
	PGresult *res;
	int k, bad = 0;

	for (k = 0; k < MAX_RECIPE_ROWS; k++) {
		const char *ing = field(r, arena_printf(r->a, "r_%d_ingredient", k));
		const char *qty = field(r, arena_printf(r->a, "r_%d_qty", k));
		json_t *row, *rerr;
		long long n = 0;

		if (*ing == '\0' && *qty == '\0')
			continue;
		rerr = json_object();
		row = json_pack("{s:o, s:o}", "ingredient_id", jstr(ing), "qty", jstr(qty));
		json_array_append_new(rows, row);
		if (*ing == '\0')
			err(rerr, "ingredient", "required");
		else if (!http_is_uuid(ing))
			err(rerr, "ingredient", "invalid");
		if (*qty == '\0')
			err(rerr, "qty", "required");
		else if (int_parse(qty, 1, QTY_MAX, &n) < 0)
			err(rerr, "qty", "invalid");
		if (json_object_size(rerr) > 0) {
			json_object_set_new(row, "errors", rerr);
			bad = 1;
			continue;
		}
		json_decref(rerr);
		json_array_append_new(items, json_pack("{s:s, s:I}", "ingredient_id", ing, "qty", (json_int_t)n));
		json_array_append_new(ids, json_string(ing));
	}
	idtext = req_json_dump(r, ids);
	json_decref(ids);
	if (json_array_size(items) > 0) {
		/* the ingredients the rows name must exist */
		res = q(r, "SELECT array_to_json(array(SELECT x FROM jsonb_array_elements_text($1::jsonb) x "
		    "WHERE NOT EXISTS (SELECT FROM ingredients i WHERE i.id::text = x)))::text", 1, idtext, NULL, NULL, NULL);
		if (res == NULL)
			goto fail;
		if (strcmp(PQgetvalue(res, 0, 0), "[]") != 0) {
			json_t *missing = json_loads(PQgetvalue(res, 0, 0), 0, NULL), *row, *mi;
			size_t i, j;

			json_array_foreach(rows, i, row) {
				json_array_foreach(missing, j, mi) {
					if (strcmp(jtext(row, "ingredient_id"), jtext2(mi)) != 0)
						continue;
					if (!json_is_object(json_object_get(row, "errors")))
						json_object_set_new(row, "errors", json_object());
					err(json_object_get(row, "errors"), "ingredient", "invalid");
				}
			}
			json_decref(missing);
			bad = 1;
		}
	}
	if (bad) {
		err(errors, "items", "invalid");
		json_decref(items);
		recipe_render(r, 400, rows, errors);
		return;
	}
	res = q(r, "SELECT EXISTS (SELECT FROM products WHERE id = $1)", 1, pid, NULL, NULL, NULL);
	if (res == NULL)
		goto fail;
	if (PQgetvalue(res, 0, 0)[0] != 't') {
		json_decref(items);
		json_decref(rows);
		json_decref(errors);
		page_error(r, 404);
		return;
	}
	body = json_body(r, json_pack("{s:o}", "items", items));	/* steals items */
	items = NULL;
	if (strcmp(body, "{\"items\":[]}") == 0) {
		res = q(r, "UPDATE recipes SET is_active = false WHERE product_id = $1 RETURNING id", 1, pid, NULL, NULL, NULL);
		if (res == NULL || (PQntuples(res) == 1 &&
		    q(r, "DELETE FROM recipe_items WHERE recipe_id = $1", 1, PQgetvalue(res, 0, 0), NULL, NULL, NULL) == NULL))
			goto fail;
	} else {
		const char *rid;

		res = q(r, "INSERT INTO recipes (tenant_id, id, product_id, is_active) VALUES (" TENANT ", "
		    "gen_random_uuid(), $1, true) ON CONFLICT (tenant_id, product_id) DO UPDATE SET is_active = true "
		    "RETURNING id", 1, pid, NULL, NULL, NULL);
		if (res == NULL)
			goto fail;
		rid = arena_strdup(r->a, PQgetvalue(res, 0, 0));
		if (q(r, "DELETE FROM recipe_items WHERE recipe_id = $1", 1, rid, NULL, NULL, NULL) == NULL ||
		    q(r, "INSERT INTO recipe_items (tenant_id, recipe_id, ingredient_id, qty) "
		    "SELECT " TENANT ", $1, (i->>'ingredient_id')::uuid, sum((i->>'qty')::bigint) "
		    "FROM jsonb_array_elements($2::jsonb->'items') i GROUP BY 3", 2, rid, body, NULL, NULL) == NULL ||
		    q(r, "UPDATE recipes SET updated_at = now() WHERE id = $1", 1, rid, NULL, NULL, NULL) == NULL)
			goto fail;
	}
	json_decref(rows);
	json_decref(errors);
	resp_redirect(r, 303, arena_printf(r->a, "/dashboard/recipes/%s?done=saved", pid));
	return;
fail:
	json_decref(items);
	json_decref(rows);
	json_decref(errors);
	pages_db_fail(r);
}

/* ==================================================================== */
/* stock                                                                 */
/* ==================================================================== */

static void
stock_render(struct req *r, int status, json_t *form, json_t *errors)
{
	struct store st;
	json_t *model, *items, *moves, *x;
	PGresult *res, *cnt, *mv;
	int page = page_no(r), i;
	const char *off, *only = kv_get(&r->query_params, "filter");
	int low = only != NULL && strcmp(only, "low") == 0;
	long long total = 0, last;
	size_t k;

	if (store_get(r, &st) < 0)
		goto fail;
	cnt = db_exec(r, "SELECT count(*), count(*) FILTER (WHERE coalesce(l.qty, 0) < i.min_qty AND coalesce(l.qty, 0) >= 0), "
	    "count(*) FILTER (WHERE coalesce(l.qty, 0) < 0) FROM ingredients i "
	    "LEFT JOIN stock_levels l ON l.item_id = i.id WHERE i.is_active", 0, NULL);
	if (cnt != NULL)
		total = low ? ll(cnt, 0, 1) + ll(cnt, 0, 2) : ll(cnt, 0, 0);
	last = total > 0 ? (total + PER_PAGE - 1) / PER_PAGE : 1;
	if (page > last)
		page = (int)last;
	off = arena_printf(r->a, "%d", (page - 1) * PER_PAGE);
	/* what needs attention first: negative, then below the minimum */
	res = cnt == NULL ? NULL : q(r, "SELECT api_ingredient(i), i.cost_per_unit::text FROM ingredients i "
	    "LEFT JOIN stock_levels l ON l.item_id = i.id WHERE i.is_active AND (NOT $2::bool OR coalesce(l.qty, 0) < i.min_qty) "
	    "ORDER BY coalesce(l.qty, 0) < 0 DESC, coalesce(l.qty, 0) < i.min_qty DESC, i.name, i.id "
	    "LIMIT 50 OFFSET $1::int", 2, off, low ? "true" : "false", NULL, NULL);
	mv = res ? q(r, "SELECT to_char(m.created_at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI') AS at, i.name, i.unit, m.kind, "
	    "m.qty, m.note, u.email FROM stock_movements m JOIN ingredients i ON i.id = m.item_id "
	    "LEFT JOIN users u ON u.id = m.user_id WHERE m.item_kind = 'ingredient' ORDER BY m.id DESC LIMIT 12",
	    1, st.tz, NULL, NULL, NULL) : NULL;
	if (mv == NULL)
		goto fail;
	items = objects(res);
	for (i = 0; i < PQntuples(res); i++)
		ingredient_display(r, json_array_get(items, (size_t)i), PQgetvalue(res, i, 1), st.currency);
	moves = db_rows_json(mv);
	unit_labels(r, moves);
	json_array_foreach(moves, k, x) {
		long long n = jint(x, "qty");

		json_object_set_new(x, "qty_fmt", json_string(arena_printf(r->a, "%s%s", n > 0 ? "+" : "",
		    decimal_fmt(r->a, n, 0, 0))));
		json_object_set_new(x, "minus", json_boolean(n < 0));
	}
	model = base_model(r, "stock", &st, status);
	json_object_set_new(model, "items", items);
	json_object_set_new(model, "moves", moves);
	json_object_set_new(model, "low_only", json_boolean(low));
	json_object_set_new(model, "counts", json_pack("{s:I, s:I, s:I}", "all", (json_int_t)ll(cnt, 0, 0),
	    "low", (json_int_t)ll(cnt, 0, 1), "negative", (json_int_t)ll(cnt, 0, 2)));
	json_object_set_new(model, "pager", pager(r, low ? "/dashboard/stock?filter=low&" : "/dashboard/stock?", page,
	    total));
	if (form == NULL) {
		const char *pre = kv_get(&r->query_params, "ingredient");

		form = json_pack("{s:s, s:s}", "kind", "purchase", "ingredient_id",
		    pre != NULL && http_is_uuid(pre) ? pre : "");
	}
	x = json_array();
	json_array_append(x, json_object_get(form, "ingredient_id"));
	json_object_set_new(model, "form", form);
	form = NULL;
	json_object_set_new(model, "ingredients", ingredient_options(r, x));
	json_decref(x);
	if (json_object_get(model, "ingredients") == NULL) {
		json_decref(model);
		goto fail;
	}
	if (errors != NULL)
		json_object_set_new(model, "errors", errors);
	page_render(r, status, "dashboard/stock", model);
	return;
fail:
	json_decref(form);
	json_decref(errors);
	pages_db_fail(r);
}

void
catalogue_page_stock(struct req *r)
{
	stock_render(r, 200, NULL, NULL);
}

/* A purchase, write-off or count: the movement and the level in this
 * transaction, with the statement of POST /api/stock/movements. */
void
catalogue_page_stock_movement(struct req *r)
{
	const char *ing = field(r, "ingredient_id"), *kind = field(r, "kind"), *qty = field(r, "qty");
	const char *note = kv_get(&r->form, "note");
	json_t *form = json_object(), *errors = json_object(), *body;
	long long n = 0;
	PGresult *res;

	if (note == NULL)
		note = "";
	json_object_set_new(form, "ingredient_id", jstr(ing));
	json_object_set_new(form, "kind", jstr(kind));
	json_object_set_new(form, "qty", jstr(qty));
	json_object_set_new(form, "note", jstr(note));
	if (*ing == '\0')
		err(errors, "ingredient_id", "required");
	else if (!http_is_uuid(ing))
		err(errors, "ingredient_id", "invalid");
	if (strcmp(kind, "purchase") != 0 && strcmp(kind, "write_off") != 0 && strcmp(kind, "count") != 0)
		err(errors, "kind", "invalid");
	/* a count may be zero (nothing left); the others move something */
	if (*qty == '\0')
		err(errors, "qty", "required");
	else if (int_parse(qty, strcmp(kind, "count") == 0 ? 0 : 1, QTY_MAX, &n) < 0)
		err(errors, "qty", "invalid");
	if (*note != '\0' && (valid_utf8_len(note, strlen(note)) < 0 || valid_utf8_len(note, strlen(note)) > 1000))
		err(errors, "note", "invalid");
	if (json_object_size(errors) > 0) {
		stock_render(r, 400, form, errors);
		return;
	}
	body = json_pack("{s:s, s:s, s:I}", "ingredient_id", ing, "kind", kind, "qty", (json_int_t)n);
	if (*note != '\0')
		json_object_set_new(body, "note", json_string(note));
	res = stock_move(r, req_json_dump(r, body));
	if (res != NULL && PQntuples(res) == 0) {
		json_decref(body);
		err(errors, "ingredient_id", "invalid");	/* no such ingredient */
		stock_render(r, 400, form, errors);
		return;
	}
	if (res == NULL || audit(r, "stock_movement", "ingredient", ing, body) < 0) {
		if (res == NULL)
			json_decref(body);
		json_decref(form);
		json_decref(errors);
		pages_db_fail(r);
		return;
	}
	json_decref(form);
	json_decref(errors);
	resp_redirect(r, 303, "/dashboard/stock?done=movement");
}
