/* Paged lists per API.md: ?limit= (default 50, max 500) and ?cursor=;
 * replies {"items":[...], "next_cursor": "..." | null}.  A cursor is a number:
 * the last item's id for lists in key order, or the next page's offset for
 * lists in a display order.  Queries fetch limit + 1 rows to know whether
 * more follow. */
#ifndef POS_LIST_H
#define POS_LIST_H

#include <jansson.h>
#include <libpq-fe.h>

struct req;

struct list_page {
	int limit;
	const char *limit_s;	/* limit as text, for SQL parameters */
	const char *cursor;	/* NULL on the first page */
	const char *offset_s;	/* the cursor as an offset, "0" on the first page */
};

/* 0, or -1 with a 400 validation_failed reply (field limit or cursor). */
int list_parse(struct req *r, struct list_page *pg);
/* ?limit= only (def when absent), for lists with a cursor of their own
 * kind (cursor NULL). */
int list_parse_limit(struct req *r, struct list_page *pg, int def);
/* Reply with the rows (at most pg->limit); next_cursor from key_col of the
 * last row shown when another row followed, or, with key_col NULL, the
 * offset of the next page (for lists in a display order rather than by key).
 * extra (stolen, may be NULL) adds fields to the reply object. */
void list_reply(struct req *r, const struct list_page *pg, const PGresult *res, const char *key_col);
void list_reply_extra(struct req *r, const struct list_page *pg, const PGresult *res,
    const char *key_col, json_t *extra);

/* A page of objects in display order: sql takes $1 = limit + 1, $2 = the
 * offset, then extra[0..nextra) (at most 6), and returns one JSON column. */
void list_reply_sql(struct req *r, const char *sql, int nextra, const char *const *extra);
/* The same with a row object per item (its columns by name) instead of one
 * JSON column. */
void list_reply_rows_sql(struct req *r, const char *sql, int nextra, const char *const *extra);
/* Reply with column 0 of the rows (JSON text, at most pg->limit of them);
 * next_cursor is column key_col of the last row shown when another row
 * followed, or with key_col -1 the offset of the next page. */
void list_reply_objects(struct req *r, const struct list_page *pg, const PGresult *res, int key_col);

#endif
