#include "orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "list.h"
#include "log.h"
#include "router.h"
#include "valid.h"

#define MONEY_MAX 1000000000000LL

static const char *const methods[] = { "cash", "card", "qr", NULL };

static const struct vfield order_fields[] = {
	{ "id", V_UUID, 1, 0, 0, NULL, 0 },
	{ "created_at", V_STRING, 1, 20, 40, NULL, 0 },
	{ "cashier_id", V_UUID, 0, 0, 0, NULL, 1 },
	{ "lines", V_ARRAY, 1, 1, 500, NULL, 0 },
	{ "discount", V_INT, 0, 0, MONEY_MAX, NULL, 1 },
	{ "payments", V_ARRAY, 1, 1, 20, NULL, 0 },
	{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
	{ "currency", V_STRING, 0, 3, 3, NULL, 1 },
	{ "number", V_STRING, 0, 0, 40, NULL, 1 },	/* the till's local number, for its own receipts */
};

static const struct vfield line_fields[] = {
	{ "product_id", V_UUID, 1, 0, 0, NULL, 0 },
	{ "qty", V_INT, 1, 1, 100000, NULL, 0 },
	{ "unit_price", V_INT, 1, 0, MONEY_MAX, NULL, 0 },
	{ "modifiers", V_ARRAY, 0, 0, 50, NULL, 1 },
	{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
	{ "name", V_STRING, 0, 0, 200, NULL, 1 },
};

static const struct vfield modifier_fields[] = {
	{ "id", V_UUID, 1, 0, 0, NULL, 0 },
	{ "price_delta", V_INT, 1, -MONEY_MAX, MONEY_MAX, NULL, 0 },
	{ "name", V_STRING, 0, 0, 200, NULL, 1 },
};

static const struct vfield payment_fields[] = {
	{ "method", V_ENUM, 1, 0, 0, methods, 0 },
	{ "currency", V_STRING, 1, 3, 3, NULL, 0 },
	{ "amount", V_INT, 1, 1, MONEY_MAX, NULL, 0 },
	{ "tendered", V_INT, 0, 1, MONEY_MAX, NULL, 1 },
	{ "card_last4", V_STRING, 0, 4, 4, NULL, 1 },
};

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
 * Returns the UTC time, or -1. */
static time_t
parse_rfc3339(const char *s)
{
	struct tm tm;
	int off = 0, i;
	const char *p = s;
	time_t t;

	for (i = 0; i < 19; i++) {
		char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : 'd';

		if (want == 'd' ? (p[i] < '0' || p[i] > '9') : (p[i] != want && !(i == 10 && p[i] == 't')))
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(p) - 1900;
	tm.tm_mon = atoi(p + 5) - 1;
	tm.tm_mday = atoi(p + 8);
	tm.tm_hour = atoi(p + 11);
	tm.tm_min = atoi(p + 14);
	tm.tm_sec = atoi(p + 17);
	if (tm.tm_year < 100 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	p += 19;
	if (*p == '.') {
		for (p++, i = 0; *p >= '0' && *p <= '9'; p++, i++)
			;
		if (i == 0 || i > 9)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
	    p[3] == ':' && p[4] >= '0' && p[4] <= '9' && p[5] >= '0' && p[5] <= '9') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (off > 14 * 3600)
			return -1;
		if (*p == '+')
			off = -off;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	t = timegm(&tm);
	return t == (time_t)-1 ? -1 : t + off;
}

static int
upper3(const char *s)
{
	return s != NULL && strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	    s[2] >= 'A' && s[2] <= 'Z';
}

/* Check one order as the till sent it.  NULL when good; else the bad field. */
static const char *
order_check(struct req *r, json_t *o)
{
	json_t *lines = json_object_get(o, "lines"), *pays = json_object_get(o, "payments"), *x;
	const char *bad, *cur;
	long long subtotal = 0, paid = 0, discount;
	size_t i, j;
	time_t at;

	if ((bad = valid_check(r->a, o, order_fields, sizeof(order_fields) / sizeof(order_fields[0]), NULL)) != NULL)
		return bad;
	at = parse_rfc3339(json_string_value(json_object_get(o, "created_at")));
	/* a till's clock may be behind by days (offline), not ahead by one */
	if (at < 0 || at > time(NULL) + 86400)
		return "created_at";
	cur = json_string_value(json_object_get(o, "currency"));
	if (cur != NULL && !upper3(cur))
		return "currency";
	json_array_foreach(lines, i, x) {
		json_t *mods, *m;
		const char *pre = arena_printf(r->a, "lines[%zu].", i);
		long long line;

		if ((bad = valid_check(r->a, x, line_fields, sizeof(line_fields) / sizeof(line_fields[0]), pre)) != NULL)
			return bad;
		mods = json_object_get(x, "modifiers");
		json_array_foreach(mods, j, m) {
			if ((bad = valid_check(r->a, m, modifier_fields, 3,
			    arena_printf(r->a, "lines[%zu].modifiers[%zu].", i, j))) != NULL)
				return bad;
		}
		if (__builtin_mul_overflow(json_integer_value(json_object_get(x, "unit_price")),
		    json_integer_value(json_object_get(x, "qty")), &line) ||
		    __builtin_add_overflow(subtotal, line, &subtotal) || subtotal > MONEY_MAX)
			return arena_printf(r->a, "lines[%zu].unit_price", i);
	}
	json_array_foreach(pays, i, x) {
		const char *pre = arena_printf(r->a, "payments[%zu].", i);
		const char *method, *l4;
		json_t *tendered;

		if ((bad = valid_check(r->a, x, payment_fields, sizeof(payment_fields) / sizeof(payment_fields[0]), pre)) != NULL)
			return bad;
		method = json_string_value(json_object_get(x, "method"));
		tendered = json_object_get(x, "tendered");
		l4 = json_string_value(json_object_get(x, "card_last4"));
		if (!upper3(json_string_value(json_object_get(x, "currency"))))
			return arena_printf(r->a, "%scurrency", pre);
		if (json_is_integer(tendered) && (strcmp(method, "cash") != 0 ||
		    json_integer_value(tendered) < json_integer_value(json_object_get(x, "amount"))))
			return arena_printf(r->a, "%stendered", pre);
		if (l4 != NULL && (strcmp(method, "card") != 0 || strspn(l4, "0123456789") != 4))
			return arena_printf(r->a, "%scard_last4", pre);
		paid += json_integer_value(json_object_get(x, "amount"));
		if (paid > MONEY_MAX)
			return "payments";
	}
	discount = json_integer_value(json_object_get(o, "discount"));
	if (discount > subtotal)
		return "discount";
	/* the till charged exactly this: lines − discount = payments */
	if (subtotal - discount != paid)
		return "payments";
	return NULL;
}

/* The canonical hash of a request: key order and spacing do not matter. */
static const char *
order_hash(struct req *r, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	const char *h;

	if (s == NULL)
		die("json_dumps");
	h = crypto_sha256_hex(r->a, s, strlen(s));
	free(s);
	return h;
}

/* Card fragments are sealed before they reach the database, each bound to
 * its order and payment. */
static json_t *
seal_cards(struct req *r, json_t *o)
{
	json_t *cards = json_array(), *p;
	const char *id = json_string_value(json_object_get(o, "id"));
	size_t i;

	json_array_foreach(json_object_get(o, "payments"), i, p) {
		const char *l4 = json_string_value(json_object_get(p, "card_last4"));
		const char *sealed = l4 ? crypto_seal(r->a, l4, 4, r->who.tenant_id, "order_payments", "card_last4",
		    arena_printf(r->a, "%s:%zu", id, i + 1)) : NULL;

		json_array_append_new(cards, sealed ? json_string(sealed) : json_null());
	}
	return cards;
}

/* Open the sealed card fragments of an order reply in place. */
static void
reveal_cards(struct req *r, json_t *order)
{
	const char *id = json_string_value(json_object_get(order, "id"));
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(order, "payments"), i, p) {
		const char *sealed = json_string_value(json_object_get(p, "card_last4"));
		unsigned char *plain;
		size_t n;

		if (sealed == NULL)
			continue;
		if (crypto_open(r->a, sealed, r->who.tenant_id, "order_payments", "card_last4",
		    arena_printf(r->a, "%s:%zu", id, i + 1), &plain, &n) == 0 && n == 4)
			json_object_set_new(p, "card_last4", json_stringn((const char *)plain, 4));
		else
			json_object_set_new(p, "card_last4", json_null());
	}
}

static json_t *
load_json(struct req *r, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (j == NULL)
		die("database returned malformed JSON");
	return j;
}

/* Who sells: a cashier token names its cashier; a body naming another is
 * refused. */
static const char *
cashier_for(struct req *r, json_t *o, const char **bad)
{
	const char *c = json_string_value(json_object_get(o, "cashier_id"));

	*bad = NULL;
	if (r->who.user_id != NULL) {
		if (c != NULL && strcmp(c, r->who.user_id) != 0)
			*bad = "cashier_id";
		return r->who.user_id;
	}
	return c;
}

/* Submit checked orders in one call; returns the database's array of
 * results ({id, status, order? | field? | sqlstate?}) or NULL. */
static json_t *
submit(struct req *r, json_t *items)
{
	char *text = json_dumps(items, JSON_COMPACT);
	const char *v[4] = { text, r->who.store_id, r->who.device_id, r->who.user_id };
	PGresult *res;

	if (text == NULL)
		die("json_dumps");
	arena_defer(r->a, free, text);
	res = db_exec(r, "SELECT order_submit_many($1::jsonb, $2::uuid, $3::uuid, $4::uuid)", 4, v);
	if (res == NULL)
		return NULL;
	return load_json(r, PQgetvalue(res, 0, 0));
}

/* One order through order_submit, which answers with the whole stored
 * order (a batch only needs id, status and number).  Steals item. */
static json_t *
submit_one(struct req *r, json_t *item)
{
	json_t *o = json_object_get(item, "order");
	char *order = json_dumps(o, JSON_COMPACT), *cards = json_dumps(json_object_get(item, "cards"), JSON_COMPACT);
	const char *v[6] = { order, json_string_value(json_object_get(item, "hash")), r->who.store_id,
	    r->who.device_id, json_string_value(json_object_get(o, "cashier_id")), cards };
	PGresult *res;
	json_t *out = NULL;

	if (order == NULL || cards == NULL)
		die("json_dumps");
	arena_defer(r->a, free, order);
	arena_defer(r->a, free, cards);
	res = db_exec(r, "SELECT order_submit($1::jsonb, $2, $3::uuid, $4::uuid, $5::uuid, $6::jsonb)", 6, v);
	if (res != NULL)
		out = load_json(r, PQgetvalue(res, 0, 0));
	json_decref(item);
	return out;
}

static json_t *
submit_item(struct req *r, json_t *o)
{
	json_t *it = json_pack("{s:O, s:s, s:o}", "order", o, "hash", order_hash(r, o), "cards", seal_cards(r, o));
	const char *bad;

	/* the cashier of a cashier token goes into the order as sent to SQL */
	if (r->who.user_id != NULL && cashier_for(r, o, &bad) != NULL)
		json_object_set_new(json_object_get(it, "order"), "cashier_id", json_string(r->who.user_id));
	return it;
}

void
orders_api_create(struct req *r)
{
	const char *bad, *status;
	json_t *results, *one, *order;

	if ((bad = order_check(r, r->json)) != NULL || (cashier_for(r, r->json, &bad), bad != NULL)) {
		resp_error(r, 400, "validation_failed", bad);
		return;
	}
	results = submit_one(r, submit_item(r, r->json));
	if (results == NULL) {
		db_fail(r);
		return;
	}
	one = results;
	status = json_string_value(json_object_get(one, "status"));
	order = json_object_get(one, "order");
	if (strcmp(status, "created") == 0 || strcmp(status, "duplicate") == 0) {
		reveal_cards(r, order);
		resp_json(r, strcmp(status, "created") == 0 ? 201 : 200, json_incref(order));
	} else if (strcmp(status, "conflict") == 0) {
		log_warn("order %s sent again with a different body", json_string_value(json_object_get(r->json, "id")));
		resp_error(r, 409, "conflict", "id");
	} else if (strcmp(status, "invalid") == 0) {
		resp_error(r, 400, "validation_failed", json_string_value(json_object_get(one, "field")));
	} else {
		log_error("order %s failed: sqlstate %s", json_string_value(json_object_get(r->json, "id")),
		    json_string_value(json_object_get(one, "sqlstate")));
		resp_error(r, 500, "internal", NULL);
	}
	json_decref(results);
}

static json_t *
rejected(const char *id, const char *code, const char *message, const char *field)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);

	if (field != NULL)
		json_object_set_new(e, "field", json_string(field));
	return json_pack("{s:s?, s:s, s:o}", "id", id, "status", "rejected", "error", e);
}

void
orders_sync_push(struct req *r)
{
	static const struct vfield fields[] = {
		{ "orders", V_ARRAY, 0, 0, ORDERS_PUSH_MAX, NULL, 1 },
		{ "changes", V_ARRAY, 0, 0, 1000, NULL, 1 },
	};
	json_t *orders, *changes, *results, *conflicts, *items, *o, *done = NULL, *c;
	json_t **slot;
	size_t i, n;

	if (valid_object(r, r->json, fields, 2, NULL) < 0)
		return;
	orders = json_object_get(r->json, "orders");
	changes = json_object_get(r->json, "changes");
	n = json_array_size(orders);
	results = json_array();
	conflicts = json_array();
	items = json_array();
	slot = arena_calloc(r->a, n + 1, sizeof(*slot));
	/* each order stands alone: a bad one is rejected, the rest go on */
	json_array_foreach(orders, i, o) {
		const char *bad = json_is_object(o) ? order_check(r, o) : "orders";
		const char *id = json_is_object(o) ? json_string_value(json_object_get(o, "id")) : NULL;

		if (bad == NULL)
			cashier_for(r, o, &bad);
		if (bad != NULL) {
			slot[i] = rejected(id, "validation_failed", arena_printf(r->a, "Invalid field: %s", bad), bad);
			continue;
		}
		json_array_append_new(items, submit_item(r, o));
	}
	if (json_array_size(items) > 0) {
		done = submit(r, items);
		if (done == NULL) {
			json_decref(items);
			json_decref(results);
			json_decref(conflicts);
			for (i = 0; i < n; i++)
				json_decref(slot[i]);
			db_fail(r);
			return;
		}
	}
	json_decref(items);
	{
		size_t k = 0;

		for (i = 0; i < n; i++) {
			json_t *d;
			const char *st, *id;

			if (slot[i] != NULL) {
				json_array_append_new(results, slot[i]);
				continue;
			}
			d = json_array_get(done, k++);
			st = json_string_value(json_object_get(d, "status"));
			id = json_string_value(json_object_get(d, "id"));
			if (strcmp(st, "created") == 0 || strcmp(st, "duplicate") == 0) {
				json_array_append_new(results, json_pack("{s:s, s:s, s:O?}", "id", id, "status", st,
				    "number", json_object_get(d, "number")));
			} else if (strcmp(st, "conflict") == 0) {
				log_warn("order %s sent again with a different body", id);
				json_array_append_new(results, rejected(id, "conflict",
				    "This order id was already used for a different order", "id"));
			} else if (strcmp(st, "invalid") == 0) {
				const char *f = json_string_value(json_object_get(d, "field"));

				json_array_append_new(results, rejected(id, "validation_failed",
				    arena_printf(r->a, "Invalid field: %s", f), f));
			} else {
				log_error("order %s failed in sync: sqlstate %s", id,
				    json_string_value(json_object_get(d, "sqlstate")));
				json_array_append_new(results, rejected(id, "internal", "The server could not store this order", NULL));
			}
		}
	}
	json_decref(done);
	/* record changes made on the till: last writer wins, losers are logged */
	json_array_foreach(changes, i, c) {
		static const char *const statuses[] = { "new", "cooking", "ready", "served", NULL };
		static const char *const entities[] = { "kitchen_status", NULL };
		static const struct vfield cf[] = {
			{ "entity", V_ENUM, 1, 0, 0, entities, 0 },
			{ "id", V_UUID, 1, 0, 0, NULL, 0 },
			{ "value", V_ENUM, 1, 0, 0, statuses, 0 },
			{ "updated_at", V_STRING, 1, 20, 40, NULL, 0 },
		};
		const char *v[4];
		PGresult *res;
		json_t *m;

		if (valid_check(r->a, c, cf, 4, NULL) != NULL ||
		    parse_rfc3339(json_string_value(json_object_get(c, "updated_at"))) < 0) {
			log_warn("sync change %zu from device %s ignored: malformed", i, r->who.device_id);
			continue;
		}
		v[0] = json_string_value(json_object_get(c, "id"));
		v[1] = json_string_value(json_object_get(c, "value"));
		v[2] = json_string_value(json_object_get(c, "updated_at"));
		v[3] = r->who.device_id;
		res = db_exec(r, "SELECT kitchen_merge($1, $2, $3::timestamptz, $4)", 4, v);
		if (res == NULL) {
			json_decref(results);
			json_decref(conflicts);
			db_fail(r);
			return;
		}
		m = load_json(r, PQgetvalue(res, 0, 0));
		if (json_object_get(m, "lost") != NULL)
			json_array_append_new(conflicts, json_pack("{s:O, s:O, s:O, s:O}", "entity",
			    json_object_get(m, "entity"), "id", json_object_get(m, "id"), "kept",
			    json_object_get(m, "kept"), "lost", json_object_get(m, "lost")));
		json_decref(m);
	}
	{
		const char *v[1] = { r->who.device_id };

		(void)db_exec(r, "UPDATE devices SET last_sync_at = now() WHERE id = $1", 1, v);
	}
	resp_json(r, 200, json_pack("{s:o, s:o}", "results", results, "conflicts", conflicts));
}

/* Orders of the store's current day, in its time zone. */
void
orders_api_today(struct req *r)
{
	const char *v[1] = { r->who.store_id };
	PGresult *res = db_exec(r,
	    "SELECT coalesce(jsonb_agg(api_order(o) ORDER BY o.created_at, o.id), '[]') FROM orders o "
	    "JOIN stores s ON s.id = o.store_id WHERE o.store_id = $1 "
	    "AND o.created_at >= (date_trunc('day', now() AT TIME ZONE s.time_zone) AT TIME ZONE s.time_zone) "
	    "AND o.created_at < ((date_trunc('day', now() AT TIME ZONE s.time_zone) + interval '1 day') AT TIME ZONE s.time_zone)",
	    1, v);
	json_t *items, *o;
	size_t i;

	if (res == NULL) {
		db_fail(r);
		return;
	}
	items = load_json(r, PQgetvalue(res, 0, 0));
	json_array_foreach(items, i, o)
		reveal_cards(r, o);
	resp_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static void
reply_order_text(struct req *r, int status, const char *text)
{
	json_t *o = load_json(r, text);

	reveal_cards(r, o);
	resp_json(r, status, o);
}

void
orders_api_get(struct req *r)
{
	const char *v[2] = { r->params[0], r->who.store_id };
	PGresult *res = db_exec(r, "SELECT api_order(o) FROM orders o WHERE o.id = $1 AND o.store_id = $2", 2, v);

	if (res == NULL)
		db_fail(r);
	else if (PQntuples(res) != 1)
		resp_error(r, 404, "not_found", NULL);
	else
		reply_order_text(r, 200, PQgetvalue(res, 0, 0));
}

static void
set_status(struct req *r, const char *status, const char *action)
{
	static const struct vfield fields[] = {
		{ "reason", V_STRING, 1, 1, 1000, NULL, 0 },
	};
	const char *v[4], *st;
	PGresult *res;
	json_t *out;

	if (valid_object(r, r->json, fields, 1, NULL) < 0)
		return;
	v[0] = r->params[0];
	v[1] = status;
	v[2] = json_string_value(json_object_get(r->json, "reason"));
	v[3] = r->who.user_id;
	res = db_exec(r, "SELECT order_set_status($1, $2, $3, $4)", 4, v);
	if (res == NULL) {
		db_fail(r);
		return;
	}
	out = load_json(r, PQgetvalue(res, 0, 0));
	st = json_string_value(json_object_get(out, "status"));
	if (strcmp(st, "not_found") == 0) {
		resp_error(r, 404, "not_found", NULL);
	} else if (strcmp(st, "conflict") == 0) {
		resp_error(r, 409, "conflict", "status");	/* only a paid order can be refunded or cancelled */
	} else if (audit(r, action, "order", r->params[0], json_pack("{s:s}", "reason", v[2])) < 0) {
		db_fail(r);
	} else {
		json_t *o = json_incref(json_object_get(out, "order"));

		reveal_cards(r, o);
		resp_json(r, 200, o);
	}
	json_decref(out);
}

void
orders_api_refund(struct req *r)
{
	set_status(r, "refunded", "order_refunded");
}

void
orders_api_cancel(struct req *r)
{
	set_status(r, "cancelled", "order_cancelled");
}

void
orders_sync_conflicts(struct req *r)
{
	struct list_page pg;
	const char *v[2];
	PGresult *res;

	if (list_parse(r, &pg) < 0)
		return;
	v[0] = pg.cursor;
	v[1] = pg.limit_s;
	res = db_exec(r, "SELECT id AS seq, entity, entity_id AS id, kept, lost, device_id, rfc3339(at) AS at "
	    "FROM sync_conflicts WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2::int + 1", 2, v);
	if (res == NULL)
		db_fail(r);
	else
		list_reply(r, &pg, res, "seq");
}
