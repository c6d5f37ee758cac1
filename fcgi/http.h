/* Requests and responses: parsing of what nginx hands us (query strings,
 * urlencoded forms, cookies, JSON bodies) and the buffered reply.  The
 * parsers are pure functions over an arena so they can be unit-tested and
 * fuzzed without a FastCGI connection. */
#ifndef POS_HTTP_H
#define POS_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

struct arena;
struct route;
struct i18n;
struct db;

#define HTTP_BODY_MAX	(4u * 1024 * 1024)	/* nginx's client_max_body_size 4m */
#define HTTP_MAX_PARAMS	256			/* per query string, form or cookie header */
#define HTTP_MAX_HEADERS 24
#define HTTP_MAX_PATH_PARAMS 4

struct kv {
	const char *key;
	const char *val;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

/* Parse "a=1&b=%20x" (application/x-www-form-urlencoded and query strings).
 * '+' is a space.  Returns 0, or -1 for a malformed escape, an embedded NUL
 * or more than HTTP_MAX_PARAMS pairs. */
int http_parse_urlencoded(struct arena *a, const char *s, size_t n, struct kvlist *out);
/* Parse a Cookie header ("a=1; b=2").  Malformed pairs are skipped (browsers
 * send all sorts); never fails except for too many pairs (-1). */
int http_parse_cookies(struct arena *a, const char *s, struct kvlist *out);
/* The first value for key, or NULL. */
const char *kv_get(const struct kvlist *l, const char *key);
/* Decode %XX and '+' in place-free fashion into arena memory; -1 if malformed. */
int http_urldecode(struct arena *a, const char *s, size_t n, int plus_is_space, char **out);
/* CONTENT_LENGTH as a size; -1 if absent or not a plain decimal number. */
long long http_content_length(const char *s);
/* Parse a JSON object body.  Returns 0 with *out set (owned by the arena),
 * or -1 with a short reason in err (not for end users: they get bad_request). */
int http_parse_json(struct arena *a, const char *body, size_t n, json_t **out, char *err, size_t errlen);
/* 1 if s is a canonical UUID (8-4-4-4-12 hex digits). */
int http_is_uuid(const char *s);
/* 1 if the content type's media type is t (parameters such as charset ignored). */
int http_media_type_is(const char *content_type, const char *t);

struct header {
	const char *name;
	const char *value;
};

struct resp {
	int status;
	const char *content_type;
	struct header headers[HTTP_MAX_HEADERS];
	int nheaders;
	struct buf body;
};

enum auth_kind {
	AUTHK_NONE = 0,		/* anonymous */
	AUTHK_DEVICE,		/* a till: device token, or a cashier token bound to it */
	AUTHK_USER,		/* a user token or a page session */
};

/* Who is calling, filled by the dispatcher before a handler runs. */
struct principal {
	enum auth_kind kind;
	const char *user_id;
	const char *tenant_id;
	const char *store_id;
	const char *device_id;
	const char *session_id;
	const char *email;
	long long token_version;	/* device and cashier tokens */
	unsigned role;		/* one ROLE_* bit */
	int from_cookie;	/* a dashboard session, not a bearer token */
	int mfa_pending;	/* password checked, second factor not yet */
};

struct req {
	struct arena *a;
	const char *method;
	const char *path;
	const char *query;
	const char *content_type;
	const char *request_id;
	const char *remote_addr;
	const char *accept;
	const char *accept_language;
	const char *authorization;
	const char *user_agent;
	const char *scheme_https;	/* non-NULL over TLS */
	struct kvlist query_params;
	struct kvlist cookies;
	struct kvlist form;
	const char *body;
	size_t body_len;
	json_t *json;
	const char *params[HTTP_MAX_PATH_PARAMS];	/* {id} values, validated */
	int nparams;
	const struct route *route;
	struct principal who;
	const char *lang;		/* "ru", "az", "uz" or "en" */
	const char *nonce;		/* CSP nonce for inline scripts on pages */
	const char *csrf_new;		/* CSRF cookie set by this response */
	int resp_commit;		/* commit the transaction despite a 4xx reply */
	struct db *db;
	struct resp resp;
};

/* The request's JSON body as compact text (arena memory): handlers pass it
 * to SQL as one jsonb parameter, so a PATCH touches exactly what was sent. */
const char *req_json_text(struct req *r);
/* Any JSON value as compact text in the request's arena ("{}" if it cannot
 * be written). */
const char *req_json_dump(struct req *r, const json_t *j);

/* Build a reply. Headers and body are buffered and sent at the end. */
void resp_header(struct req *r, const char *name, const char *value);
void resp_json(struct req *r, int status, json_t *body);	/* steals body */
/* A JSON error per API.md: {"error":{"code","message","field"?}}.  The message
 * comes from the catalogue ("error.<code>") in the request's language. */
void resp_error(struct req *r, int status, const char *code, const char *field);
void resp_error_msg(struct req *r, int status, const char *code, const char *field, const char *message);
void resp_text(struct req *r, int status, const char *content_type, const char *body, size_t n);
void resp_redirect(struct req *r, int status, const char *location);
const char *http_status_text(int status);

/* Serialise the buffered reply in FastCGI/CGI form ("Status: ..." first). */
void resp_serialize(struct req *r, struct buf *out, int head_only);

#endif
