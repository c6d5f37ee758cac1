#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "i18n.h"
#include "log.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_urldecode(struct arena *a, const char *s, size_t n, int plus_is_space, char **out)
{
	char *d = arena_alloc(a, n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			if (c == '\0')
				return -1;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '\0') {
			return -1;
		}
		d[j++] = c;
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

int
http_parse_urlencoded(struct arena *a, const char *s, size_t n, struct kvlist *out)
{
	size_t i, start, count = 0, cap;

	out->v = NULL;
	out->n = 0;
	if (s == NULL || n == 0)
		return 0;
	/* count the non-empty pairs first: the array is allocated once, and a
	 * body of separators cannot make it large */
	for (i = 0, cap = 0, start = 0; i <= n; i++) {
		if (i == n || s[i] == '&' || s[i] == ';') {
			if (i > start)
				cap++;
			start = i + 1;
		}
	}
	if (cap > HTTP_MAX_PARAMS)
		return -1;
	if (cap == 0)
		return 0;
	out->v = arena_alloc(a, cap * sizeof(*out->v));
	for (start = 0; start <= n; start = i + 1) {
		const char *pair = s + start, *eq;
		size_t len;
		char *k, *v;

		for (i = start; i < n && s[i] != '&' && s[i] != ';'; i++)
			;
		len = i - start;
		if (len == 0)
			continue;
		eq = memchr(pair, '=', len);
		if (http_urldecode(a, pair, eq ? (size_t)(eq - pair) : len, 1, &k) < 0)
			return -1;
		if (eq) {
			if (http_urldecode(a, eq + 1, len - (size_t)(eq - pair) - 1, 1, &v) < 0)
				return -1;
		} else {
			v = arena_strdup(a, "");
		}
		out->v[count].key = k;
		out->v[count].val = v;
		count++;
	}
	out->n = count;
	return 0;
}

int
http_parse_cookies(struct arena *a, const char *s, struct kvlist *out)
{
	size_t cap = 1, count = 0;
	const char *p;

	out->v = NULL;
	out->n = 0;
	if (s == NULL || *s == '\0')
		return 0;
	for (p = s; *p; p++)
		if (*p == ';')
			cap++;
	if (cap > HTTP_MAX_PARAMS)
		return -1;
	out->v = arena_alloc(a, cap * sizeof(*out->v));
	p = s;
	while (*p) {
		const char *end = strchr(p, ';'), *eq, *ks, *ke, *vs, *ve;

		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			for (ks = p; ks < eq && (*ks == ' ' || *ks == '\t'); ks++)
				;
			for (ke = eq; ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'); ke--)
				;
			for (vs = eq + 1; vs < end && (*vs == ' ' || *vs == '\t'); vs++)
				;
			for (ve = end; ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
				;
			if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
				vs++;
				ve--;
			}
			if (ke > ks) {
				out->v[count].key = arena_strndup(a, ks, (size_t)(ke - ks));
				out->v[count].val = arena_strndup(a, vs, (size_t)(ve - vs));
				count++;
			}
		}
		p = *end ? end + 1 : end;
	}
	out->n = count;
	return 0;
}

const char *
kv_get(const struct kvlist *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

long long
http_content_length(const char *s)
{
	long long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (1LL << 50))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void
json_decref_cb(void *p)
{
	json_decref(p);
}

int
http_parse_json(struct arena *a, const char *body, size_t n, json_t **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	*out = NULL;
	if (n == 0) {
		snprintf(err, errlen, "empty body");
		return -1;
	}
	if (memchr(body, '\0', n) != NULL) {
		snprintf(err, errlen, "NUL byte in body");
		return -1;
	}
	j = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		snprintf(err, errlen, "line %d: %s", je.line, je.text);
		return -1;
	}
	arena_defer(a, json_decref_cb, j);
	if (!json_is_object(j)) {
		snprintf(err, errlen, "body is not a JSON object");
		return -1;
	}
	*out = j;
	return 0;
}

int
http_is_uuid(const char *s)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}

int
http_media_type_is(const char *ct, const char *t)
{
	size_t n = strlen(t);

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, t, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

const char *
req_json_dump(struct req *r, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s == NULL)
		return "{}";
	arena_defer(r->a, free, s);
	return s;
}

const char *
req_json_text(struct req *r)
{
	return req_json_dump(r, r->json);
}

void
resp_header(struct req *r, const char *name, const char *value)
{
	int i;

	if (strpbrk(value, "\r\n") != NULL) {
		/* never let a value split the header block */
		char *v = arena_strdup(r->a, value), *p;

		for (p = v; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		value = v;
	}

	for (i = 0; i < r->resp.nheaders; i++) {
		if (strcasecmp(r->resp.headers[i].name, name) == 0 &&
		    strcasecmp(name, "Set-Cookie") != 0) {
			r->resp.headers[i].value = value;
			return;
		}
	}
	if (r->resp.nheaders == HTTP_MAX_HEADERS)
		die("too many response headers");
	r->resp.headers[r->resp.nheaders].name = name;
	r->resp.headers[r->resp.nheaders].value = value;
	r->resp.nheaders++;
}

static int
dump_cb(const char *p, size_t n, void *data)
{
	buf_put(data, p, n);
	return 0;
}

void
resp_json(struct req *r, int status, json_t *body)
{
	r->resp.status = status;
	r->resp.content_type = "application/json";
	buf_reset(&r->resp.body);
	if (json_dump_callback(body, dump_cb, &r->resp.body, JSON_COMPACT) != 0)
		die("json_dump_callback failed");
	json_decref(body);
}

void
resp_error_msg(struct req *r, int status, const char *code, const char *field, const char *message)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", message);

	if (e == NULL)
		die("json_pack");
	if (field != NULL)
		json_object_set_new(e, "field", json_string(field));
	resp_json(r, status, json_pack("{s:o}", "error", e));
}

void
resp_error(struct req *r, int status, const char *code, const char *field)
{
	const char *key = arena_printf(r->a, "error.%s", code);
	const char *msg = app.cat ? i18n_get(app.cat, r->lang ? r->lang : "ru", key) : NULL;

	if (msg == NULL)
		msg = http_status_text(status);
	if (field != NULL && strcmp(code, "validation_failed") == 0) {
		/* "Check the data." + field → "Check the data: field" */
		size_t n = strlen(msg);

		if (n > 0 && msg[n - 1] == '.')
			n--;
		msg = arena_printf(r->a, "%.*s: %s", (int)n, msg, field);
	}
	resp_error_msg(r, status, code, field, msg);
}

void
resp_text(struct req *r, int status, const char *content_type, const char *body, size_t n)
{
	r->resp.status = status;
	r->resp.content_type = content_type;
	buf_reset(&r->resp.body);
	buf_put(&r->resp.body, body, n);
}

void
resp_redirect(struct req *r, int status, const char *location)
{
	r->resp.status = status;
	r->resp.content_type = "text/plain; charset=utf-8";
	buf_reset(&r->resp.body);
	resp_header(r, "Location", location);
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void
resp_serialize(struct req *r, struct buf *out, int head_only)
{
	int i;

	buf_printf(out, "Status: %d %s\r\n", r->resp.status, http_status_text(r->resp.status));
	if (r->resp.content_type != NULL)
		buf_printf(out, "Content-Type: %s\r\n", r->resp.content_type);
	buf_printf(out, "Content-Length: %zu\r\n", r->resp.body.len);
	for (i = 0; i < r->resp.nheaders; i++)
		buf_printf(out, "%s: %s\r\n", r->resp.headers[i].name, r->resp.headers[i].value);
	buf_puts(out, "\r\n");
	if (!head_only)
		buf_put(out, r->resp.body.p, r->resp.body.len);
}
