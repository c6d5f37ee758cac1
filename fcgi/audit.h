/* The audit log: who did what, when, from where.  Rows are written in the
 * transaction of the change they describe, for the tenant the transaction
 * is scoped to, so a change and its audit row stand or fall together. */
#ifndef POS_AUDIT_H
#define POS_AUDIT_H

#include <jansson.h>

struct req;

/* detail is stolen (may be NULL).  0, or -1 (the transaction is then
 * aborted; answer with db_fail). */
int audit(struct req *r, const char *action, const char *object_type,
    const char *object_id, json_t *detail);
void audit_api_list(struct req *r);

#endif
