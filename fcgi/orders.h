/* Orders and sync.  The till makes the order id; the database keeps it
 * unique per tenant, so a repeat is answered with the stored order and a
 * different body under the same id is a conflict.  The sale time and the
 * prices charged are kept as sent; lines, discount and payments must add
 * up.  A sync push takes up to 500 orders, each standing alone. */
#ifndef POS_ORDERS_H
#define POS_ORDERS_H

struct req;

#define ORDERS_PUSH_MAX 500

void orders_api_create(struct req *r);
void orders_api_today(struct req *r);
void orders_api_get(struct req *r);
void orders_api_refund(struct req *r);
void orders_api_cancel(struct req *r);
void orders_sync_push(struct req *r);
void orders_sync_conflicts(struct req *r);

#endif
