#include "server.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "i18n.h"
#include "log.h"
#include "router.h"
#include "tmpl.h"

static const char *const langs[] = { "ru", "az", "uz", "en" };

const char *server_pool = "api";

char *
rand_hex(struct arena *a, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	char *s = arena_alloc(a, 2 * n + 1);
	size_t i;

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		die("RAND_bytes failed");
	for (i = 0; i < n; i++) {
		s[2 * i] = hex[raw[i] >> 4];
		s[2 * i + 1] = hex[raw[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

char *
rand_b64url(struct arena *a, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[64];
	char *s = arena_alloc(a, (n * 4 + 2) / 3 + 1), *p = s;
	size_t i;
	unsigned v = 0;
	int bits = 0;

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		die("RAND_bytes failed");
	for (i = 0; i < n; i++) {
		v = (v << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			*p++ = tab[(v >> (bits - 6)) & 63];
			bits -= 6;
		}
	}
	if (bits > 0)
		*p++ = tab[(v << (6 - bits)) & 63];
	*p = '\0';
	return s;
}

int
req_wants_page(const struct req *r)
{
	if (r->route != NULL)
		return (r->route->flags & RF_PAGE) != 0;
	/* unknown routes: JSON under /api/ and for the health check, pages elsewhere */
	return strncmp(r->path, "/api/", 5) != 0 && strcmp(r->path, "/api") != 0 &&
	    strcmp(r->path, "/healthz") != 0;
}

static void
fail(struct req *r, int status, const char *code)
{
	if (req_wants_page(r))
		page_error(r, status);
	else
		resp_error(r, status, code, NULL);
}

/* Language: ?lang= (remembered in a cookie), then the cookie, then
 * Accept-Language, then Russian. */
static void
pick_language(struct req *r)
{
	const char *q = kv_get(&r->query_params, "lang");

	if (q != NULL && i18n_valid_lang(q)) {
		r->lang = q;
		resp_header(r, "Set-Cookie", arena_printf(r->a,
		    "lang=%s; Path=/; Max-Age=31536000; SameSite=Lax%s", q,
		    r->scheme_https || app.cfg.https ? "; Secure" : ""));
		return;
	}
	r->lang = i18n_pick(kv_get(&r->cookies, "lang"), r->accept_language);
}

void
server_dispatch(struct req *r)
{
	char scratch[HTTP_MAX_PATH_PARAMS * 37], allow[64];
	const struct route *rt = NULL;
	int in_tx = 0;

	switch (router_match(r->method, r->path, &rt, r->params, &r->nparams,
	    scratch, sizeof(scratch), allow, sizeof(allow))) {
	case ROUTER_NOT_FOUND:
		fail(r, 404, "not_found");
		return;
	case ROUTER_BAD_METHOD:
		resp_header(r, "Allow", arena_strdup(r->a, allow));
		fail(r, 405, "method_not_allowed");
		return;
	case ROUTER_OK:
		break;
	}
	r->route = rt;
	{
		/* params point into scratch on this stack frame: copy them */
		int i;

		for (i = 0; i < r->nparams; i++)
			r->params[i] = arena_strdup(r->a, r->params[i]);
	}
	if (r->body_len > (rt->body_max ? rt->body_max : HTTP_BODY_MAX)) {
		fail(r, 413, "payload_too_large");
		return;
	}
	if (rt->body == BODY_JSON && r->body_len == 0) {
		/* no body at all reads as {}: optional-only bodies may be left out */
		r->json = arena_defer(r->a, (void (*)(void *))json_decref, json_object());
	} else if (rt->body == BODY_JSON) {
		char err[160];

		if (!http_media_type_is(r->content_type, "application/json")) {
			resp_error_msg(r, 400, "bad_request", NULL, "Content-Type must be application/json");
			return;
		}
		if (http_parse_json(r->a, r->body, r->body_len, &r->json, err, sizeof(err)) < 0) {
			resp_error_msg(r, 400, "bad_request", NULL,
			    arena_printf(r->a, "Malformed JSON: %s", err));
			return;
		}
	} else if (rt->body == BODY_FORM) {
		if (!http_media_type_is(r->content_type, "application/x-www-form-urlencoded") ||
		    http_parse_urlencoded(r->a, r->body, r->body_len, &r->form) < 0) {
			fail(r, 400, "bad_request");
			return;
		}
	}
	if (rt->flags & RF_DB) {
		if (db_ensure(r->db) < 0) {
			fail(r, 503, "db_unavailable");
			return;
		}
	}
	if (!auth_resolve(r))
		return;		/* the reply (401 or a redirect to /login) is set */
	if (rt->flags & RF_TENANT) {
		if (db_begin(r, r->who.tenant_id) < 0) {
			db_fail(r);
			return;
		}
		in_tx = 1;
		if (!auth_verify_db(r)) {
			db_rollback(r);
			return;
		}
	}
	if ((rt->flags & RF_CSRF) && !auth_csrf_ok(r)) {
		db_rollback(r);
		fail(r, 403, "forbidden");
		return;
	}
	rt->fn(r);
	if (in_tx && r->db->conn != NULL && PQtransactionStatus(r->db->conn) == PQTRANS_INTRANS) {
		if ((r->resp.status >= 200 && r->resp.status < 400) || r->resp_commit) {
			if (db_commit(r) < 0)
				db_fail(r);
		} else {
			db_rollback(r);
		}
	}
}

static void
security_headers(struct req *r)
{
	resp_header(r, "X-Content-Type-Options", "nosniff");
	resp_header(r, "Referrer-Policy", "strict-origin-when-cross-origin");
	resp_header(r, "X-Frame-Options", "DENY");
	resp_header(r, "X-Request-Id", r->request_id);
	if (r->resp.content_type != NULL && strncmp(r->resp.content_type, "text/html", 9) == 0) {
		if (r->nonce == NULL)
			r->nonce = rand_b64url(r->a, 16);
		resp_header(r, "Content-Security-Policy", arena_printf(r->a,
		    "default-src 'self'; script-src 'self' 'nonce-%s'; style-src 'self'; "
		    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
		    "base-uri 'self'; form-action 'self'", r->nonce));
		resp_header(r, "Cache-Control", "no-store");
	} else if (r->resp.content_type != NULL) {
		resp_header(r, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
		if (strcmp(r->route ? r->route->pattern : "", "/api/openapi.json") != 0)
			resp_header(r, "Cache-Control", "no-store");
	}
}

static const char *
param(FCGX_Request *fr, const char *name)
{
	return FCGX_GetParam(name, fr->envp);
}

static int
read_body(FCGX_Request *fr, struct req *r, long long len)
{
	char *p;
	size_t got = 0;

	if (len <= 0)
		return 0;
	p = arena_alloc(r->a, (size_t)len + 1);
	while (got < (size_t)len) {
		int n = FCGX_GetStr(p + got, (int)((size_t)len - got), fr->in);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	p[got] = '\0';
	r->body = p;
	r->body_len = got;
	return 0;
}

size_t
server_handle(FCGX_Request *fr, struct arena *a, struct db *db)
{
	struct timespec t0, t1;
	struct req req, *r = &req;
	struct buf out;
	const char *uri, *cl;
	long long len;
	int head;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->db = db;
	r->resp.status = 200;
	buf_init(&r->resp.body, a, 4096);
	r->method = param(fr, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	head = strcmp(r->method, "HEAD") == 0;
	uri = param(fr, "DOCUMENT_URI");
	if (uri == NULL) {
		const char *ru = param(fr, "REQUEST_URI");
		const char *q = ru ? strchr(ru, '?') : NULL;

		uri = ru == NULL ? "/" : q ? arena_strndup(a, ru, (size_t)(q - ru)) : ru;
	}
	r->path = uri;
	r->query = param(fr, "QUERY_STRING");
	r->content_type = param(fr, "CONTENT_TYPE");
	r->remote_addr = param(fr, "REMOTE_ADDR");
	r->accept = param(fr, "HTTP_ACCEPT");
	r->accept_language = param(fr, "HTTP_ACCEPT_LANGUAGE");
	r->authorization = param(fr, "HTTP_AUTHORIZATION");
	r->user_agent = param(fr, "HTTP_USER_AGENT");
	r->scheme_https = param(fr, "HTTPS");
	if (r->scheme_https != NULL && *r->scheme_https == '\0')
		r->scheme_https = NULL;
	r->request_id = param(fr, "REQUEST_ID");
	if (r->request_id == NULL || strlen(r->request_id) > 64)
		r->request_id = rand_hex(a, 16);
	log_set_request(r->request_id);
	r->nonce = NULL;	/* made by page_render: only HTML needs one */
	r->lang = "ru";

	if (r->query != NULL &&
	    http_parse_urlencoded(a, r->query, strlen(r->query), &r->query_params) < 0) {
		r->query_params.n = 0;
		(void)http_parse_cookies(a, param(fr, "HTTP_COOKIE"), &r->cookies);
		pick_language(r);
		fail(r, 400, "bad_request");
		goto send;
	}
	if (http_parse_cookies(a, param(fr, "HTTP_COOKIE"), &r->cookies) < 0)
		r->cookies.n = 0;
	pick_language(r);

	cl = param(fr, "CONTENT_LENGTH");
	len = http_content_length(cl);
	if (cl != NULL && *cl != '\0' && len < 0) {
		fail(r, 400, "bad_request");
		goto send;
	}
	if (len > (long long)HTTP_BODY_MAX) {
		fail(r, 413, "payload_too_large");
		goto send;
	}
	if (read_body(fr, r, len) < 0) {
		fail(r, 400, "bad_request");
		goto send;
	}
	server_dispatch(r);
send:
	security_headers(r);
	buf_init(&out, a, r->resp.body.len + 1024);
	resp_serialize(r, &out, head);
	FCGX_PutStr(out.p, (int)out.len, fr->out);
	db_end_request(db);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("method=%s path=\"%s\" status=%d dur_ms=%.2f bytes=%zu pool=%s%s%s",
	    r->method, r->path, r->resp.status,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
	    r->resp.body.len, server_pool, r->who.user_id ? " user=" : "", r->who.user_id ? r->who.user_id : "");
	log_set_request(NULL);
	return r->resp.body.len + r->body_len;
}

/* ---- pages ---- */

void
page_render(struct req *r, int status, const char *name, json_t *model)
{
	json_t *ctx, *ls;
	size_t i;

	ls = json_array();
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		const char *nm = i18n_get(app.cat, langs[i], arena_printf(r->a, "lang.%s", langs[i]));

		json_array_append_new(ls, json_pack("{s:s, s:s, s:b}", "code", langs[i],
		    "name", nm ? nm : langs[i], "active", strcmp(langs[i], r->lang) == 0));
	}
	if (r->nonce == NULL)
		r->nonce = rand_b64url(r->a, 16);
	ctx = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "lang", r->lang, "nonce", r->nonce,
	    "path", r->path, "langs", ls, "version", app.cfg.version, "static_v", app.static_v);
	if (ctx == NULL)
		die("json_pack");
	json_object_set_new(ctx, "user", auth_user_json(r));
	{
		/* the sidebar shows what the signed-in role may open; signed out,
		 * the three apps (each asks to sign in) and the documentation */
		int in = json_is_object(json_object_get(ctx, "user"));
		unsigned role = in ? r->who.role : 0;

		json_object_set_new(ctx, "nav", json_pack("{s:b, s:b, s:b, s:b, s:b}",
		    "manage", (role & ROLES_MANAGER_UP) != 0,
		    "admin", (role & ROLES_OWNER_ADMIN) != 0,
		    "till", !in || (role & (ROLES_MANAGER_UP | ROLE_CASHIER)) != 0,
		    "kitchen", !in || (role & ROLES_COOK_UP) != 0,
		    "platform", (role & ROLE_SUPERADMIN) != 0));
	}
	json_object_set_new(ctx, "csrf", json_string(auth_csrf_token(r)));
	json_object_set_new(model, "ctx", ctx);
	r->resp.status = status;
	r->resp.content_type = "text/html; charset=utf-8";
	buf_reset(&r->resp.body);
	if (tmpl_render(app.tmpl, name, model, app.cat, r->lang, &r->resp.body) < 0) {
		log_error("template %s missing", name);
		r->resp.status = 500;
		buf_reset(&r->resp.body);
		buf_puts(&r->resp.body, "Internal error");
	}
	json_decref(model);
}

void
page_error(struct req *r, int status)
{
	page_render(r, status, "error", json_pack("{s:i}", "status", status));
}
