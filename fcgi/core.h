/* Handlers that are about the service itself: health, version, the API
 * description and its /docs page, the home page. */
#ifndef POS_CORE_H
#define POS_CORE_H

struct req;

void core_healthz(struct req *r);
void core_version(struct req *r);
void core_openapi(struct req *r);
void core_docs(struct req *r);
void core_home(struct req *r);
void core_client_log(struct req *r);

#endif
