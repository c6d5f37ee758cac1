/* The dispatcher: turns one FastCGI request into a struct req, enforces the
 * route table's requirements, runs the handler, sends the buffered reply and
 * logs one line.  Also the page helpers every HTML handler uses. */
#ifndef POS_SERVER_H
#define POS_SERVER_H

#include <fcgiapp.h>
#include <jansson.h>

struct arena;
struct db;
struct req;

/* Returns the size of the reply's body (the worker trims its heap after
 * large ones). */
size_t server_handle(FCGX_Request *fr, struct arena *a, struct db *db);
/* The worker pool this process serves ("api" or "order"), in each request's
 * log line. */
extern const char *server_pool;
/* Everything after the request has been read: routing, checks, handler.
 * Exposed so tests can drive it with a hand-made request. */
void server_dispatch(struct req *r);

/* Render templates/<name>.cshtml with model (stolen) into an HTML reply.
 * Adds model.ctx (lang, nonce, path, langs, user). */
void page_render(struct req *r, int status, const char *name, json_t *model);
/* A friendly error page for status. */
void page_error(struct req *r, int status);
/* 1 if the request wants HTML error pages rather than JSON errors. */
int req_wants_page(const struct req *r);
/* Random bytes as lowercase hex (2*n chars) or base64url, in the arena. */
char *rand_hex(struct arena *a, size_t n);
char *rand_b64url(struct arena *a, size_t n);

#endif
