/* The kitchen: open orders with their lines for the cook's view, and the
 * status steps new → cooking → ready → served (forward only; managers may
 * step back). */
#ifndef POS_KITCHEN_H
#define POS_KITCHEN_H

struct req;

void kitchen_api_orders(struct req *r);
void kitchen_api_status(struct req *r);

#endif
