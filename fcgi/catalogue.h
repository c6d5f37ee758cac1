/* The catalogue: categories, products, modifier groups with their
 * modifiers, ingredients, recipes (tech cards); what the till shows; the
 * sync pull by change cursor; stock levels and movements.  JSON shapes are
 * defined once, in SQL (api_* functions of the migrations). */
#ifndef POS_CATALOGUE_H
#define POS_CATALOGUE_H

#include <libpq-fe.h>

struct req;

/* Insert (id NULL) or update a category or an ingredient from a JSON body
 * shaped as the API's (checked by the caller; on update, fields left out
 * keep their value): one row, its api_* JSON; none when id names nothing;
 * NULL on a database error.  The API and the catalogue pages both write
 * through these. */
PGresult *cat_category_write(struct req *r, const char *id, const char *body);
PGresult *cat_ingredient_write(struct req *r, const char *id, const char *body);
/* The same for a product's own row (not its modifier groups); the row is
 * just its id.  On update, a nullable field present as null is cleared. */
PGresult *cat_product_write(struct req *r, const char *id, const char *body);
/* A product's modifier groups become ids (a JSON array of group ids, in
 * order); a group's modifiers become body's "modifiers" (listed ones upserted,
 * the others deactivated).  0, or -1 on a database error (no reply set). */
int cat_product_groups_set(struct req *r, const char *id, const char *ids);
int cat_group_modifiers_set(struct req *r, const char *id, const char *body);

void cat_categories_list(struct req *r);
void cat_categories_create(struct req *r);
void cat_categories_get(struct req *r);
void cat_categories_patch(struct req *r);
void cat_categories_delete(struct req *r);

void cat_products_list(struct req *r);
void cat_products_create(struct req *r);
void cat_products_get(struct req *r);
void cat_products_patch(struct req *r);
void cat_products_delete(struct req *r);

void cat_groups_list(struct req *r);
void cat_groups_create(struct req *r);
void cat_groups_get(struct req *r);
void cat_groups_patch(struct req *r);
void cat_groups_delete(struct req *r);

void cat_ingredients_list(struct req *r);
void cat_ingredients_create(struct req *r);
void cat_ingredients_get(struct req *r);
void cat_ingredients_patch(struct req *r);
void cat_ingredients_delete(struct req *r);

void cat_recipes_list(struct req *r);
void cat_recipes_create(struct req *r);
void cat_recipes_get(struct req *r);
void cat_recipes_patch(struct req *r);
void cat_recipes_delete(struct req *r);

void cat_pos_categories(struct req *r);
void cat_pos_items(struct req *r);
void cat_sync_pull(struct req *r);

void stock_list(struct req *r);
void stock_movement(struct req *r);
/* The movement itself, shared with the stock page's form (see catalogue.c). */
PGresult *stock_move(struct req *r, const char *body);

#endif
