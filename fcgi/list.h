/* Paged lists per API.md: ?limit= (default 50, max 500) and ?cursor=;
 * replies {"items":[...], "next_cursor": "..." | null}.  The cursor is the
 * last item's key; queries fetch limit + 1 rows to know whether more follow. */
#ifndef POS_LIST_H
#define POS_LIST_H

#include <libpq-fe.h>

struct req;

struct list_page {
	int limit;
	const char *limit_s;	/* limit as text, for SQL parameters */
	const char *cursor;	/* NULL on the first page */
};

/* 0, or -1 with a 400 validation_failed reply (field limit or cursor). */
int list_parse(struct req *r, struct list_page *pg);
/* Reply with the rows (at most pg->limit); next_cursor from key_col of the
 * last row shown when another row followed. */
void list_reply(struct req *r, const struct list_page *pg, const PGresult *res, const char *key_col);

#endif
