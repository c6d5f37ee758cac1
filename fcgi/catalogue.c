#include "catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "http.h"
#include "list.h"
#include "valid.h"

#define MONEY_MAX 1000000000000LL	/* 10^12 minor units */
#define QTY_MAX 1000000000LL
#define SORT_MAX 1000000

static PGresult *
exec1(struct req *r, const char *sql, const char *a1)
{
	const char *v[1] = { a1 };

	return db_exec(r, sql, 1, v);
}

static PGresult *
exec2(struct req *r, const char *sql, const char *a1, const char *a2)
{
	const char *v[2] = { a1, a2 };

	return db_exec(r, sql, 2, v);
}

#define TENANT "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
#define PAGE " LIMIT $1::int + 1 OFFSET $2::int"

/* ---- categories ---- */

static const struct vfield category_fields[] = {
	{ "name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "sort", V_INT, 0, -SORT_MAX, SORT_MAX, NULL, 1 },
	{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
};

void
cat_categories_list(struct req *r)
{
	list_reply_sql(r, "SELECT api_category(c) FROM categories c ORDER BY c.is_active DESC, c.sort, c.name, c.id" PAGE, 0, NULL);
}

PGresult *
cat_category_write(struct req *r, const char *id, const char *body)
{
	if (id == NULL)
		return exec1(r,
		    "INSERT INTO categories (tenant_id, id, name, sort, is_active) VALUES (" TENANT ", gen_random_uuid(), "
		    "$1::jsonb->>'name', coalesce(($1::jsonb->>'sort')::int, 0), coalesce(($1::jsonb->>'is_active')::bool, true)) "
		    "RETURNING api_category(categories)", body);
	return exec2(r,
	    "UPDATE categories SET name = coalesce($2::jsonb->>'name', name), "
	    "sort = coalesce(($2::jsonb->>'sort')::int, sort), "
	    "is_active = coalesce(($2::jsonb->>'is_active')::bool, is_active) "
	    "WHERE id = $1 RETURNING api_category(categories)", id, body);
}

void
cat_categories_create(struct req *r)
{
	if (valid_object(r, r->json, category_fields, 3, NULL) < 0)
		return;
	db_reply_value(r, 201, cat_category_write(r, NULL, req_json_text(r)), "name");
}

void
cat_categories_get(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "SELECT api_category(c) FROM categories c WHERE id = $1", r->params[0]), NULL);
}

void
cat_categories_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 0 },
		{ "sort", V_INT, 0, -SORT_MAX, SORT_MAX, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};

	if (valid_object(r, r->json, fields, 3, NULL) < 0)
		return;
	db_reply_value(r, 200, cat_category_write(r, r->params[0], req_json_text(r)), NULL);
}

void
cat_categories_delete(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "UPDATE categories SET is_active = false WHERE id = $1 "
	    "RETURNING api_category(categories)", r->params[0]), NULL);
}

/* ---- products ---- */

static const struct vfield product_fields[] = {
	{ "name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "category_id", V_UUID, 1, 0, 0, NULL, 0 },
	{ "price", V_INT, 1, 0, MONEY_MAX, NULL, 0 },
	{ "currency", V_STRING, 0, 3, 3, NULL, 1 },
	{ "cost", V_INT, 0, 0, MONEY_MAX, NULL, 1 },
	{ "sku", V_STRING, 0, 1, 200, NULL, 1 },
	{ "barcode", V_STRING, 0, 1, 200, NULL, 1 },
	{ "image_url", V_STRING, 0, 1, 1000, NULL, 1 },
	{ "modifier_group_ids", V_ARRAY, 0, 0, 50, NULL, 1 },
	{ "sort", V_INT, 0, -SORT_MAX, SORT_MAX, NULL, 1 },
	{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
};

/* The currency is a three-letter code; ids in modifier_group_ids are UUIDs. */
static int
product_extra_checks(struct req *r)
{
	json_t *c = json_object_get(r->json, "currency"), *ids = json_object_get(r->json, "modifier_group_ids"), *v;
	size_t i;

	if (json_is_string(c)) {
		const char *s = json_string_value(c);

		for (i = 0; i < 3; i++) {
			if (s[i] < 'A' || s[i] > 'Z') {
				resp_error(r, 400, "validation_failed", "currency");
				return -1;
			}
		}
	}
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v) || !http_is_uuid(json_string_value(v))) {
			resp_error(r, 400, "validation_failed", "modifier_group_ids");
			return -1;
		}
	}
	return 0;
}

int
cat_product_groups_set(struct req *r, const char *id, const char *ids)
{
	return exec1(r, "DELETE FROM product_modifier_groups WHERE product_id = $1", id) == NULL ||
	    exec2(r, "INSERT INTO product_modifier_groups (tenant_id, product_id, group_id, sort) "
	    "SELECT " TENANT ", $1, g::uuid, min(n) FROM jsonb_array_elements_text($2::jsonb) "
	    "WITH ORDINALITY x(g, n) GROUP BY g", id, ids) == NULL ? -1 : 0;
}

/* Replace a product's modifier groups when the body names them. */
static int
product_links(struct req *r, const char *id)
{
	json_t *ids = json_object_get(r->json, "modifier_group_ids");

	if (!json_is_array(ids))
		return 0;
	if (cat_product_groups_set(r, id, req_json_dump(r, ids)) < 0) {
		db_fail_field(r, "modifier_group_ids");
		return -1;
	}
	return 0;
}

void
cat_products_list(struct req *r)
{
	list_reply_sql(r, "SELECT api_product(p) FROM products p ORDER BY p.is_active DESC, p.sort, p.name, p.id" PAGE, 0, NULL);
}

PGresult *
cat_product_write(struct req *r, const char *id, const char *body)
{
	if (id == NULL)
		return exec1(r,
		    "INSERT INTO products (tenant_id, id, category_id, name, price, currency, cost, sku, barcode, "
		    "image_url, sort, is_active) SELECT " TENANT ", gen_random_uuid(), ($1::jsonb->>'category_id')::uuid, "
		    "$1::jsonb->>'name', ($1::jsonb->>'price')::bigint, "
		    "coalesce($1::jsonb->>'currency', (SELECT base_currency FROM stores ORDER BY created_at LIMIT 1)), "
		    "($1::jsonb->>'cost')::bigint, $1::jsonb->>'sku', $1::jsonb->>'barcode', $1::jsonb->>'image_url', "
		    "coalesce(($1::jsonb->>'sort')::int, 0), coalesce(($1::jsonb->>'is_active')::bool, true) "
		    "RETURNING id", body);
	/* nullable fields: present (even as null) means set */
	return exec2(r,
	    "UPDATE products SET name = coalesce($2::jsonb->>'name', name), "
	    "category_id = coalesce(($2::jsonb->>'category_id')::uuid, category_id), "
	    "price = coalesce(($2::jsonb->>'price')::bigint, price), "
	    "currency = coalesce($2::jsonb->>'currency', currency), "
	    "cost = CASE WHEN $2::jsonb ? 'cost' THEN ($2::jsonb->>'cost')::bigint ELSE cost END, "
	    "sku = CASE WHEN $2::jsonb ? 'sku' THEN $2::jsonb->>'sku' ELSE sku END, "
	    "barcode = CASE WHEN $2::jsonb ? 'barcode' THEN $2::jsonb->>'barcode' ELSE barcode END, "
	    "image_url = CASE WHEN $2::jsonb ? 'image_url' THEN $2::jsonb->>'image_url' ELSE image_url END, "
	    "sort = coalesce(($2::jsonb->>'sort')::int, sort), "
	    "is_active = coalesce(($2::jsonb->>'is_active')::bool, is_active) "
	    "WHERE id = $1 RETURNING id", id, body);
}

void
cat_products_create(struct req *r)
{
	const char *body, *id;
	PGresult *res;

	if (valid_object(r, r->json, product_fields, sizeof(product_fields) / sizeof(product_fields[0]), NULL) < 0 ||
	    product_extra_checks(r) < 0)
		return;
	body = req_json_text(r);
	res = cat_product_write(r, NULL, body);
	if (res == NULL) {
		db_fail_field(r, strstr(r->db->constraint, "sku") ? "sku" : "category_id");
		return;
	}
	id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	if (product_links(r, id) < 0)
		return;
	db_reply_value(r, 201, exec1(r, "SELECT api_product(p) FROM products p WHERE id = $1", id), NULL);
}

void
cat_products_get(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "SELECT api_product(p) FROM products p WHERE id = $1", r->params[0]), NULL);
}

void
cat_products_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 0 },
		{ "category_id", V_UUID, 0, 0, 0, NULL, 0 },
		{ "price", V_INT, 0, 0, MONEY_MAX, NULL, 0 },
		{ "currency", V_STRING, 0, 3, 3, NULL, 0 },
		{ "cost", V_INT, 0, 0, MONEY_MAX, NULL, 1 },
		{ "sku", V_STRING, 0, 1, 200, NULL, 1 },
		{ "barcode", V_STRING, 0, 1, 200, NULL, 1 },
		{ "image_url", V_STRING, 0, 1, 1000, NULL, 1 },
		{ "modifier_group_ids", V_ARRAY, 0, 0, 50, NULL, 0 },
		{ "sort", V_INT, 0, -SORT_MAX, SORT_MAX, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *body;
	PGresult *res;

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0 ||
	    product_extra_checks(r) < 0)
		return;
	body = req_json_text(r);
	res = cat_product_write(r, r->params[0], body);
	if (res == NULL) {
		db_fail_field(r, strstr(r->db->constraint, "sku") ? "sku" : "category_id");
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	if (product_links(r, r->params[0]) < 0)
		return;
	cat_products_get(r);
}

void
cat_products_delete(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "UPDATE products SET is_active = false WHERE id = $1 "
	    "RETURNING api_product(products)", r->params[0]), NULL);
}

/* ---- modifier groups ---- */

static const char *const group_kinds[] = { "single", "multiple", NULL };

/* Check the modifiers array and the group's selection rules. */
static int
group_checks(struct req *r, int create)
{
	static const struct vfield mfields[] = {
		{ "id", V_UUID, 0, 0, 0, NULL, 0 },
		{ "name", V_STRING, 1, 1, 200, NULL, 0 },
		{ "price_delta", V_INT, 1, -MONEY_MAX, MONEY_MAX, NULL, 0 },
		{ "ingredient_id", V_UUID, 0, 0, 0, NULL, 1 },
		{ "qty", V_INT, 0, 0, QTY_MAX, NULL, 1 },
		{ "sort", V_INT, 0, -SORT_MAX, SORT_MAX, NULL, 1 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	json_t *mods = json_object_get(r->json, "modifiers"), *m;
	json_t *mn = json_object_get(r->json, "min"), *mx = json_object_get(r->json, "max");
	size_t i;

	json_array_foreach(mods, i, m) {
		const char *bad = valid_check(r->a, m, mfields, sizeof(mfields) / sizeof(mfields[0]),
		    arena_printf(r->a, "modifiers[%zu].", i));

		if (bad != NULL) {
			resp_error(r, 400, "validation_failed", bad);
			return -1;
		}
	}
	if (mn != NULL && mx != NULL && json_integer_value(mn) > json_integer_value(mx)) {
		resp_error(r, 400, "validation_failed", "min");
		return -1;
	}
	if (create && json_is_string(json_object_get(r->json, "kind")) &&
	    strcmp(json_string_value(json_object_get(r->json, "kind")), "single") == 0 &&
	    mx != NULL && json_integer_value(mx) != 1) {
		resp_error(r, 400, "validation_failed", "max");	/* one choice only */
		return -1;
	}
	return 0;
}

int
cat_group_modifiers_set(struct req *r, const char *id, const char *body)
{
	return exec2(r,
	    "UPDATE modifiers SET is_active = false WHERE group_id = $1 AND id NOT IN "
	    "(SELECT (m->>'id')::uuid FROM jsonb_array_elements($2::jsonb->'modifiers') m WHERE m ? 'id')",
	    id, body) == NULL ||
	    exec2(r,
	    "INSERT INTO modifiers AS md (tenant_id, id, group_id, name, price_delta, ingredient_id, qty, sort, is_active) "
	    "SELECT " TENANT ", coalesce((m->>'id')::uuid, gen_random_uuid()), $1, m->>'name', "
	    "(m->>'price_delta')::bigint, (m->>'ingredient_id')::uuid, (m->>'qty')::bigint, "
	    "coalesce((m->>'sort')::int, n::int), coalesce((m->>'is_active')::bool, true) "
	    "FROM jsonb_array_elements($2::jsonb->'modifiers') WITH ORDINALITY x(m, n) "
	    "ON CONFLICT (tenant_id, id) DO UPDATE SET name = EXCLUDED.name, price_delta = EXCLUDED.price_delta, "
	    "ingredient_id = EXCLUDED.ingredient_id, qty = EXCLUDED.qty, sort = EXCLUDED.sort, "
	    "is_active = EXCLUDED.is_active WHERE md.group_id = EXCLUDED.group_id", id, body) == NULL ||
	    exec1(r, "UPDATE modifier_groups SET updated_at = now() WHERE id = $1", id) == NULL ? -1 : 0;
}

/* Replace the group's modifiers when the body lists them. */
static int
group_modifiers(struct req *r, const char *id, const char *body)
{
	if (!json_is_array(json_object_get(r->json, "modifiers")))
		return 0;
	if (cat_group_modifiers_set(r, id, body) < 0) {
		db_fail_field(r, "modifiers");
		return -1;
	}
	return 0;
}

void
cat_groups_list(struct req *r)
{
	list_reply_sql(r, "SELECT api_modifier_group(g) FROM modifier_groups g ORDER BY g.is_active DESC, g.name, g.id" PAGE, 0, NULL);
}

void
cat_groups_create(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 1, 1, 200, NULL, 0 },
		{ "kind", V_ENUM, 1, 0, 0, group_kinds, 0 },
		{ "required", V_BOOL, 0, 0, 0, NULL, 0 },
		{ "min", V_INT, 0, 0, 100, NULL, 0 },
		{ "max", V_INT, 0, 1, 100, NULL, 0 },
		{ "modifiers", V_ARRAY, 0, 0, 100, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *body, *id;
	PGresult *res;

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0 ||
	    group_checks(r, 1) < 0)
		return;
	body = req_json_text(r);
	/* required means at least one choice */
	res = exec1(r,
	    "INSERT INTO modifier_groups (tenant_id, id, name, kind, required, min_select, max_select, is_active) "
	    "SELECT " TENANT ", gen_random_uuid(), b->>'name', b->>'kind', coalesce((b->>'required')::bool, false), "
	    "greatest(coalesce((b->>'min')::int, 0), CASE WHEN (b->>'required')::bool THEN 1 ELSE 0 END), "
	    "coalesce((b->>'max')::int, CASE WHEN b->>'kind' = 'single' THEN 1 ELSE "
	    "  greatest(1, jsonb_array_length(coalesce(b->'modifiers', '[]'))) END), "
	    "coalesce((b->>'is_active')::bool, true) FROM (SELECT $1::jsonb AS b) x RETURNING id", body);
	if (res == NULL) {
		db_fail_field(r, "max");
		return;
	}
	id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	if (group_modifiers(r, id, body) < 0)
		return;
	db_reply_value(r, 201, exec1(r, "SELECT api_modifier_group(g) FROM modifier_groups g WHERE id = $1", id), NULL);
}

void
cat_groups_get(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "SELECT api_modifier_group(g) FROM modifier_groups g WHERE id = $1",
	    r->params[0]), NULL);
}

void
cat_groups_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 0 },
		{ "kind", V_ENUM, 0, 0, 0, group_kinds, 0 },
		{ "required", V_BOOL, 0, 0, 0, NULL, 0 },
		{ "min", V_INT, 0, 0, 100, NULL, 0 },
		{ "max", V_INT, 0, 1, 100, NULL, 0 },
		{ "modifiers", V_ARRAY, 0, 0, 100, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *body;
	PGresult *res;

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0 ||
	    group_checks(r, 0) < 0)
		return;
	body = req_json_text(r);
	res = exec2(r,
	    "UPDATE modifier_groups SET name = coalesce($2::jsonb->>'name', name), "
	    "kind = coalesce($2::jsonb->>'kind', kind), required = coalesce(($2::jsonb->>'required')::bool, required), "
	    "min_select = coalesce(($2::jsonb->>'min')::int, min_select), "
	    "max_select = coalesce(($2::jsonb->>'max')::int, max_select), "
	    "is_active = coalesce(($2::jsonb->>'is_active')::bool, is_active) "
	    "WHERE id = $1 RETURNING id", r->params[0], body);
	if (res == NULL) {
		db_fail_field(r, "max");	/* the table's check: max >= min, max >= 1 */
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	if (group_modifiers(r, r->params[0], body) < 0)
		return;
	cat_groups_get(r);
}

void
cat_groups_delete(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "UPDATE modifier_groups SET is_active = false WHERE id = $1 "
	    "RETURNING api_modifier_group(modifier_groups)", r->params[0]), NULL);
}

/* ---- ingredients ---- */

static const char *const units[] = { "g", "ml", "pcs", NULL };

void
cat_ingredients_list(struct req *r)
{
	list_reply_sql(r, "SELECT api_ingredient(i) FROM ingredients i ORDER BY i.is_active DESC, i.name, i.id" PAGE, 0, NULL);
}

PGresult *
cat_ingredient_write(struct req *r, const char *id, const char *body)
{
	if (id == NULL)
		return exec1(r,
		    "INSERT INTO ingredients (tenant_id, id, name, unit, cost_per_unit, min_qty, is_active) "
		    "VALUES (" TENANT ", gen_random_uuid(), $1::jsonb->>'name', $1::jsonb->>'unit', "
		    "coalesce(($1::jsonb->>'cost_per_unit')::numeric, 0), coalesce(($1::jsonb->>'min_qty')::bigint, 0), "
		    "coalesce(($1::jsonb->>'is_active')::bool, true)) RETURNING api_ingredient(ingredients)", body);
	return exec2(r,
	    "UPDATE ingredients SET name = coalesce($2::jsonb->>'name', name), unit = coalesce($2::jsonb->>'unit', unit), "
	    "cost_per_unit = coalesce(($2::jsonb->>'cost_per_unit')::numeric, cost_per_unit), "
	    "min_qty = coalesce(($2::jsonb->>'min_qty')::bigint, min_qty), "
	    "is_active = coalesce(($2::jsonb->>'is_active')::bool, is_active) "
	    "WHERE id = $1 RETURNING api_ingredient(ingredients)", id, body);
}

void
cat_ingredients_create(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 1, 1, 200, NULL, 0 },
		{ "unit", V_ENUM, 1, 0, 0, units, 0 },
		{ "cost_per_unit", V_NUMBER, 0, 0, MONEY_MAX, NULL, 1 },
		{ "min_qty", V_INT, 0, 0, QTY_MAX, NULL, 1 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0)
		return;
	db_reply_value(r, 201, cat_ingredient_write(r, NULL, req_json_text(r)), "cost_per_unit");
}

void
cat_ingredients_get(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "SELECT api_ingredient(i) FROM ingredients i WHERE id = $1", r->params[0]), NULL);
}

void
cat_ingredients_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "name", V_STRING, 0, 1, 200, NULL, 0 },
		{ "unit", V_ENUM, 0, 0, 0, units, 0 },
		{ "cost_per_unit", V_NUMBER, 0, 0, MONEY_MAX, NULL, 0 },
		{ "min_qty", V_INT, 0, 0, QTY_MAX, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};

	if (valid_object(r, r->json, fields, sizeof(fields) / sizeof(fields[0]), NULL) < 0)
		return;
	db_reply_value(r, 200, cat_ingredient_write(r, r->params[0], req_json_text(r)), "cost_per_unit");
}

void
cat_ingredients_delete(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "UPDATE ingredients SET is_active = false WHERE id = $1 "
	    "RETURNING api_ingredient(ingredients)", r->params[0]), NULL);
}

/* ---- recipes (tech cards) ---- */

static int
recipe_items_check(struct req *r)
{
	static const struct vfield ifields[] = {
		{ "ingredient_id", V_UUID, 1, 0, 0, NULL, 0 },
		{ "qty", V_INT, 1, 1, QTY_MAX, NULL, 0 },
	};
	json_t *items = json_object_get(r->json, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *bad = valid_check(r->a, it, ifields, 2, arena_printf(r->a, "items[%zu].", i));

		if (bad != NULL) {
			resp_error(r, 400, "validation_failed", bad);
			return -1;
		}
	}
	return 0;
}

static int
recipe_items_replace(struct req *r, const char *recipe_id, const char *body)
{
	if (!json_is_array(json_object_get(r->json, "items")))
		return 0;
	/* an ingredient listed twice adds up */
	if (exec1(r, "DELETE FROM recipe_items WHERE recipe_id = $1", recipe_id) == NULL ||
	    exec2(r, "INSERT INTO recipe_items (tenant_id, recipe_id, ingredient_id, qty) "
	    "SELECT " TENANT ", $1, (i->>'ingredient_id')::uuid, sum((i->>'qty')::bigint) "
	    "FROM jsonb_array_elements($2::jsonb->'items') i GROUP BY 3", recipe_id, body) == NULL ||
	    exec1(r, "UPDATE recipes SET updated_at = now() WHERE id = $1", recipe_id) == NULL) {
		db_fail_field(r, "items");
		return -1;
	}
	return 0;
}

void
cat_recipes_list(struct req *r)
{
	list_reply_sql(r, "SELECT api_recipe(x) FROM recipes x ORDER BY x.is_active DESC, x.created_at, x.id" PAGE, 0, NULL);
}

/* One recipe per product: POST replaces the product's recipe. */
void
cat_recipes_create(struct req *r)
{
	static const struct vfield fields[] = {
		{ "product_id", V_UUID, 1, 0, 0, NULL, 0 },
		{ "items", V_ARRAY, 1, 0, 200, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *body, *id;
	PGresult *res;

	if (valid_object(r, r->json, fields, 3, NULL) < 0 || recipe_items_check(r) < 0)
		return;
	body = req_json_text(r);
	res = exec1(r,
	    "INSERT INTO recipes (tenant_id, id, product_id, is_active) "
	    "VALUES (" TENANT ", gen_random_uuid(), ($1::jsonb->>'product_id')::uuid, "
	    "coalesce(($1::jsonb->>'is_active')::bool, true)) "
	    "ON CONFLICT (tenant_id, product_id) DO UPDATE SET is_active = EXCLUDED.is_active RETURNING id", body);
	if (res == NULL) {
		db_fail_field(r, "product_id");
		return;
	}
	id = arena_strdup(r->a, PQgetvalue(res, 0, 0));
	if (recipe_items_replace(r, id, body) < 0)
		return;
	db_reply_value(r, 201, exec1(r, "SELECT api_recipe(x) FROM recipes x WHERE id = $1", id), NULL);
}

void
cat_recipes_get(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "SELECT api_recipe(x) FROM recipes x WHERE id = $1", r->params[0]), NULL);
}

void
cat_recipes_patch(struct req *r)
{
	static const struct vfield fields[] = {
		{ "items", V_ARRAY, 0, 0, 200, NULL, 0 },
		{ "is_active", V_BOOL, 0, 0, 0, NULL, 0 },
	};
	const char *body;
	PGresult *res;

	if (valid_object(r, r->json, fields, 2, NULL) < 0 || recipe_items_check(r) < 0)
		return;
	body = req_json_text(r);
	res = exec2(r, "UPDATE recipes SET is_active = coalesce(($2::jsonb->>'is_active')::bool, is_active) "
	    "WHERE id = $1 RETURNING id", r->params[0], body);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", NULL);
		return;
	}
	if (recipe_items_replace(r, r->params[0], body) < 0)
		return;
	cat_recipes_get(r);
}

void
cat_recipes_delete(struct req *r)
{
	db_reply_value(r, 200, exec1(r, "UPDATE recipes SET is_active = false WHERE id = $1 "
	    "RETURNING api_recipe(recipes)", r->params[0]), NULL);
}

/* ---- what the till shows ---- */

void
cat_pos_categories(struct req *r)
{
	db_reply_value(r, 200, db_exec(r,
	    "SELECT jsonb_build_object('items', coalesce(jsonb_agg(api_category(c) ORDER BY c.sort, c.name, c.id), '[]'), "
	    "'next_cursor', NULL) FROM categories c WHERE c.is_active", 0, NULL), NULL);
}

void
cat_pos_items(struct req *r)
{
	db_reply_value(r, 200, db_exec(r,
	    "SELECT jsonb_build_object('items', coalesce(jsonb_agg(api_product(p) || jsonb_build_object("
	    "  'modifier_groups', coalesce((SELECT jsonb_agg(api_modifier_group(g) ORDER BY pm.sort, g.id) "
	    "    FROM product_modifier_groups pm JOIN modifier_groups g ON g.id = pm.group_id "
	    "    WHERE pm.product_id = p.id AND g.is_active), '[]')) "
	    "ORDER BY p.sort, p.name, p.id), '[]'), 'next_cursor', NULL) "
	    "FROM products p JOIN categories c ON c.id = p.category_id WHERE p.is_active AND c.is_active",
	    0, NULL), NULL);
}

/* Everything that changed since the cursor, as one indexed range scan per
 * table.  The cursor is the pull's own snapshot: "xmax" or "xmax.xip,xip,…"
 * (the transactions still running then).  A row not returned before was
 * written either by a transaction that had not started (xid >= xmax) or by
 * one still running (xid in xip); everything else was visible to that pull
 * and went out with it.  So nothing is skipped, and an unchanged catalogue
 * pulls empty however busy the database is.  A plain sequence or the
 * snapshot's xmin alone would skip rows or send them again and again. */
void
cat_sync_pull(struct req *r)
{
	const char *c = kv_get(&r->query_params, "cursor"), *dot;
	const char *v[2] = { "0", "{}" };
	PGresult *res;

	if (c != NULL && *c != '\0') {
		size_t n = strlen(c);

		dot = strchr(c, '.');
		if (n > 8000 || strspn(c, "0123456789.,") != n || *c == '.' ||
		    (dot != NULL && (strchr(dot + 1, '.') != NULL || dot[1] == '\0')) ||
		    (dot ? (size_t)(dot - c) : n) > 19) {
			resp_error(r, 400, "validation_failed", "cursor");
			return;
		}
		v[0] = dot ? arena_strndup(r->a, c, (size_t)(dot - c)) : c;
		if (dot != NULL) {
			/* a snapshot's running transactions are all below its xmax */
			unsigned long long xmax = strtoull(v[0], NULL, 10);
			const char *p = dot + 1;

			while (*p) {
				char *end;
				unsigned long long x = strtoull(p, &end, 10);

				if (end == p || end - p > 19 || x >= xmax || (*end != ',' && *end != '\0') ||
				    (*end == ',' && end[1] == '\0')) {
					resp_error(r, 400, "validation_failed", "cursor");
					return;
				}
				p = *end ? end + 1 : end;
			}
			v[1] = arena_printf(r->a, "{%s}", dot + 1);
		}
	}
	res = db_exec(r,
	    "WITH s AS (SELECT pg_current_snapshot() AS snap) "
	    "SELECT jsonb_build_object('changes', jsonb_build_object("
	    "'categories', coalesce((SELECT jsonb_agg(api_category(x)) FROM categories x "
	    "  WHERE x.change_xid >= $1::xid8 OR x.change_xid = ANY($2::xid8[])), '[]'), "
	    "'products', coalesce((SELECT jsonb_agg(api_product_row(x, g.ids)) FROM products x "
	    "  LEFT JOIN LATERAL (SELECT jsonb_agg(pm.group_id ORDER BY pm.sort, pm.group_id) AS ids "
	    "    FROM product_modifier_groups pm WHERE pm.tenant_id = x.tenant_id AND pm.product_id = x.id) g ON true "
	    "  WHERE x.change_xid >= $1::xid8 OR x.change_xid = ANY($2::xid8[])), '[]'), "
	    "'modifier_groups', coalesce((SELECT jsonb_agg(api_modifier_group(x)) FROM modifier_groups x "
	    "  WHERE x.change_xid >= $1::xid8 OR x.change_xid = ANY($2::xid8[])), '[]'), "
	    "'rates', coalesce((SELECT jsonb_agg(api_rate(x)) FROM rates x "
	    "  WHERE x.change_xid >= $1::xid8 OR x.change_xid = ANY($2::xid8[])), '[]')), "
	    "'cursor', (SELECT pg_snapshot_xmax(snap)::text || coalesce('.' || nullif(array_to_string(array("
	    "  SELECT pg_snapshot_xip(snap) ORDER BY 1), ','), ''), '') FROM s))", 2, v);
	if (res != NULL && r->who.device_id != NULL) {
		const char *d[1] = { r->who.device_id };

		(void)db_exec(r, "UPDATE devices SET last_sync_at = now() WHERE id = $1", 1, d);
	}
	db_reply_value(r, 200, res, "cursor");
}

/* ---- stock ---- */

void
stock_list(struct req *r)
{
	db_reply_value(r, 200, db_exec(r,
	    "SELECT jsonb_build_object("
	    "'items', coalesce((SELECT jsonb_agg(jsonb_build_object('ingredient_id', i.id, 'name', i.name, 'unit', i.unit, "
	    "  'qty', coalesce(l.qty, 0), 'min_qty', i.min_qty, 'low', coalesce(l.qty, 0) < i.min_qty, "
	    "  'negative', coalesce(l.qty, 0) < 0) ORDER BY i.name, i.id) "
	    "  FROM ingredients i LEFT JOIN stock_levels l ON l.item_id = i.id WHERE i.is_active), '[]'), "
	    "'products', coalesce((SELECT jsonb_agg(jsonb_build_object('product_id', p.id, 'name', p.name, "
	    "  'qty', l.qty, 'negative', l.qty < 0) ORDER BY p.name, p.id) "
	    "  FROM stock_levels l JOIN products p ON p.id = l.item_id WHERE l.item_kind = 'product'), '[]'))",
	    0, NULL), NULL);
}

/* One stock movement of an ingredient, in the request's transaction: body is
 * the checked JSON {ingredient_id, kind: purchase | write_off | count, qty,
 * note?}; the level's row is locked, a count sets the level (its movement is
 * the difference).  One row {id, ingredient_id, kind, qty, note, created_at,
 * level}; none when there is no such ingredient; NULL on a database error.
 * POST /api/stock/movements and the stock page's form both come here. */
PGresult *
stock_move(struct req *r, const char *body)
{
	const char *v[3] = { body, r->who.user_id, r->who.device_id };

	return db_exec(r,
	    "WITH i AS (SELECT id FROM ingredients WHERE id = ($1::jsonb->>'ingredient_id')::uuid), "
	    "cur AS (SELECT coalesce((SELECT qty FROM stock_levels WHERE item_id = (SELECT id FROM i) FOR UPDATE), 0) AS qty), "
	    "d AS (SELECT CASE $1::jsonb->>'kind' WHEN 'purchase' THEN ($1::jsonb->>'qty')::bigint "
	    "  WHEN 'write_off' THEN -($1::jsonb->>'qty')::bigint ELSE ($1::jsonb->>'qty')::bigint - cur.qty END AS qty FROM cur), "
	    "m AS (INSERT INTO stock_movements (tenant_id, item_id, item_kind, kind, qty, note, user_id, device_id) "
	    "  SELECT " TENANT ", i.id, 'ingredient', $1::jsonb->>'kind', d.qty, $1::jsonb->>'note', $2, $3 FROM i, d "
	    "  RETURNING id, item_id, kind, qty, note, created_at), "
	    "l AS (INSERT INTO stock_levels (tenant_id, item_id, item_kind, qty) SELECT " TENANT ", m.item_id, 'ingredient', m.qty FROM m "
	    "  ON CONFLICT (tenant_id, item_id) DO UPDATE SET qty = stock_levels.qty + EXCLUDED.qty, updated_at = now() "
	    "  RETURNING qty) "
	    "SELECT jsonb_build_object('id', m.id, 'ingredient_id', m.item_id, 'kind', m.kind, 'qty', m.qty, 'note', m.note, "
	    "  'created_at', rfc3339(m.created_at), 'level', (SELECT qty FROM l)) FROM m", 3, v);
}

void
stock_movement(struct req *r)
{
	static const char *const kinds[] = { "purchase", "write_off", "count", NULL };
	static const struct vfield fields[] = {
		{ "ingredient_id", V_UUID, 1, 0, 0, NULL, 0 },
		{ "kind", V_ENUM, 1, 0, 0, kinds, 0 },
		{ "qty", V_INT, 1, 0, QTY_MAX, NULL, 0 },
		{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
	};
	const char *kind;
	PGresult *res;

	if (valid_object(r, r->json, fields, 4, NULL) < 0)
		return;
	kind = json_string_value(json_object_get(r->json, "kind"));
	if (strcmp(kind, "count") != 0 && json_integer_value(json_object_get(r->json, "qty")) < 1) {
		resp_error(r, 400, "validation_failed", "qty");
		return;
	}
	res = stock_move(r, req_json_text(r));
	if (res != NULL && PQntuples(res) == 0) {
		resp_error(r, 400, "validation_failed", "ingredient_id");	/* no such ingredient */
		return;
	}
	if (res != NULL && audit(r, "stock_movement", "ingredient",
	    json_string_value(json_object_get(r->json, "ingredient_id")), json_incref(r->json)) < 0) {
		db_fail(r);
		return;
	}
	db_reply_value(r, 201, res, "ingredient_id");
}
