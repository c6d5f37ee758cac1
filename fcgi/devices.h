/* Tills: creation under the licence's limit (the tenant row is locked, so
 * concurrent requests cannot pass it together), activation with a one-time
 * key, revocation and key resets that end old tokens at once. */
#ifndef POS_DEVICES_H
#define POS_DEVICES_H

#include <jansson.h>

struct req;

enum dev_result { DEV_OK, DEV_NOT_FOUND, DEV_LIMIT, DEV_CONFLICT, DEV_DB };

/* Insert a till (no limit check: the caller holds the tenant lock or is
 * creating the tenant) with a fresh one-time key; audited.  NULL on failure. */
json_t *devices_insert(struct req *r, const char *store_id, const char *name);
/* Shared by the API and the Tills page.  *out gets the device (with
 * device_key where one was made); on DEV_LIMIT, *limit and *active. */
enum dev_result devices_create(struct req *r, const char *name, json_t **out, long long *limit, long long *active);
enum dev_result devices_revoke(struct req *r, const char *id, json_t **out);
enum dev_result devices_reset_key(struct req *r, const char *id, json_t **out);
enum dev_result devices_enable(struct req *r, const char *id, json_t **out, long long *limit, long long *active);
/* All tills of the tenant, with max_devices and the active count. */
json_t *devices_list(struct req *r);
/* The device-limit error with the numbers, translated. */
void devices_limit_error(struct req *r, long long limit, long long active);

void devices_api_list(struct req *r);
void devices_api_create(struct req *r);
void devices_api_revoke(struct req *r);
void devices_api_reset_key(struct req *r);
void devices_api_enable(struct req *r);
void devices_api_activate(struct req *r);

#endif
