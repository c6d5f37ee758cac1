/* libFuzzer target for the request parsers: query strings and forms,
 * cookies, JSON bodies, Content-Length, UUIDs, UTF-8, the router, the
 * validator and the escaping writers.
 *
 * Input: byte 0 picks the method and a few switches; the rest is split at
 * the first two 0xFF bytes into three parts:
 *     [ctl] part0 0xFF part1 0xFF part2
 * part0: urlencoded text, URL path, Content-Length; part1: Cookie header,
 * UUID; part2: JSON body.  Every function also sees the whole input once.
 * The arena is reset after each run, so leaks (JSON not handed to the
 * arena) are reported by LeakSanitizer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
#include "arena.h"
#include "buf.h"
#include "http.h"
#include "router.h"
#include "valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena A;
static int ready;

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const char *const units[] = { "g", "ml", "pcs", NULL };
static const struct vfield fields[] = {
	{ "name", V_STRING, 1, 1, 200, NULL, 0 },
	{ "qty", V_INT, 0, 1, 1000, NULL, 0 },
	{ "active", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "unit", V_ENUM, 0, 0, 0, units, 0 },
	{ "id", V_UUID, 0, 0, 0, NULL, 0 },
	{ "email", V_EMAIL, 0, 0, 0, NULL, 0 },
	{ "lines", V_ARRAY, 0, 0, 50, NULL, 0 },
	{ "note", V_STRING, 0, 0, 1000, NULL, 1 },
	{ "meta", V_OBJECT, 0, 0, 0, NULL, 1 },
};

static char *
cstr(const uint8_t *p, size_t n)
{
	return arena_strndup(&A, (const char *)p, n);
}

static void
check_kvlist(const struct kvlist *l)
{
	size_t i;

	CHECK(l->n <= HTTP_MAX_PARAMS);
	for (i = 0; i < l->n; i++) {
		CHECK(l->v[i].key != NULL && l->v[i].val != NULL);
		CHECK(kv_get(l, l->v[i].key) != NULL);
	}
}

static void
fuzz_urlencoded(const uint8_t *p, size_t n)
{
	struct kvlist l;
	char *out;

	if (http_parse_urlencoded(&A, (const char *)p, n, &l) == 0)
		check_kvlist(&l);
	if (http_urldecode(&A, (const char *)p, n, 1, &out) == 0) {
		CHECK(strlen(out) <= n);
		CHECK(memchr(p, '\0', n) == NULL);
	}
	(void)http_urldecode(&A, (const char *)p, n, 0, &out);
}

static void
fuzz_cookies(const uint8_t *p, size_t n)
{
	struct kvlist l;

	if (http_parse_cookies(&A, cstr(p, n), &l) == 0)
		check_kvlist(&l);
}

static void
fuzz_json(const uint8_t *p, size_t n, int validate)
{
	char err[160];
	json_t *j = NULL;

	if (http_parse_json(&A, (const char *)p, n, &j, err, sizeof(err)) == 0) {
		CHECK(json_is_object(j));
		if (validate) {
			struct req r;

			memset(&r, 0, sizeof(r));
			r.a = &A;
			r.lang = "en";
			buf_init(&r.resp.body, &A, 0);
			if (valid_object(&r, j, fields, sizeof(fields) / sizeof(fields[0]),
			    (validate & 2) ? "lines[0]." : NULL) != 0) {
				CHECK(r.resp.status == 400);
				CHECK(r.resp.body.len > 0);
			}
		}
	} else {
		CHECK(j == NULL);
	}
}

static void
fuzz_route(const uint8_t *p, size_t n, uint8_t ctl)
{
	static const char *const methods[] = { "GET", "POST", "HEAD", "DELETE" };
	const char *path = cstr(p, n), *params[HTTP_MAX_PATH_PARAMS];
	const struct route *rt = NULL;
	char scratch[HTTP_MAX_PATH_PARAMS * 37], allow[64];
	int np = -1, i;
	enum router_result rc;

	rc = router_match(methods[ctl & 3], path, &rt, params, &np, scratch, sizeof(scratch),
	    allow, sizeof(allow));
	if (rc == ROUTER_OK) {
		CHECK(rt != NULL && np >= 0 && np <= HTTP_MAX_PATH_PARAMS);
		for (i = 0; i < np; i++)
			CHECK(http_is_uuid(params[i]));
	}
	CHECK(strlen(allow) < sizeof(allow));
}

static void
fuzz_escape(const uint8_t *p, size_t n)
{
	struct buf b;

	buf_init(&b, &A, 0);
	buf_html(&b, (const char *)p, n);
	CHECK(memchr(b.p, '<', b.len) == NULL && memchr(b.p, '"', b.len) == NULL);
	buf_init(&b, &A, 0);
	buf_jsstr(&b, (const char *)p, n);
	CHECK(memchr(b.p, '<', b.len) == NULL);
	CHECK(memmem(b.p, b.len, "\xe2\x80\xa8", 3) == NULL);
	buf_init(&b, &A, 0);
	buf_url(&b, (const char *)p, n);
	CHECK(b.len >= n);
	CHECK(strcspn(b.p, " <>\"'&?/#") == b.len);
}

static void
fuzz_reply(const uint8_t *p, size_t n)
{
	struct req r;
	struct buf out;
	const char *end;

	memset(&r, 0, sizeof(r));
	r.a = &A;
	r.lang = "en";
	buf_init(&r.resp.body, &A, 0);
	resp_text(&r, 200, "text/plain", (const char *)p, n);
	resp_header(&r, "X-Fuzz", cstr(p, n));
	buf_init(&out, &A, 0);
	resp_serialize(&r, &out, 0);
	/* the header block ends at the first blank line, right before the body */
	end = memmem(out.p, out.len, "\r\n\r\n", 4);
	CHECK(end != NULL && (size_t)(out.p + out.len - (end + 4)) == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3] = { NULL, NULL, NULL }, *p, *end;
	size_t plen[3] = { 0, 0, 0 }, k = 0;
	uint8_t ctl;
	long long cl;

	if (!ready) {
		arena_init(&A, 0);
		app.cat = NULL;		/* resp_error falls back to status text */
		ready = 1;
	}
	if (size == 0)
		return 0;
	ctl = data[0];
	p = data + 1;
	end = data + size;
	while (k < 2) {
		const uint8_t *sep = memchr(p, 0xff, (size_t)(end - p));

		if (sep == NULL)
			break;
		part[k] = p;
		plen[k] = (size_t)(sep - p);
		p = sep + 1;
		k++;
	}
	part[k] = p;
	plen[k] = (size_t)(end - p);
	for (k = 0; k < 3; k++)
		if (part[k] == NULL) {
			part[k] = end;
			plen[k] = 0;
		}

	fuzz_urlencoded(part[0], plen[0]);
	fuzz_route(part[0], plen[0], ctl);
	cl = http_content_length(cstr(part[0], plen[0]));
	CHECK(cl >= -1);
	fuzz_cookies(part[1], plen[1]);
	(void)http_is_uuid(cstr(part[1], plen[1]));
	(void)http_media_type_is(cstr(part[1], plen[1]), "application/json");
	fuzz_json(part[2], plen[2], (ctl >> 2) & 3);
	{
		long long u = valid_utf8_len((const char *)part[2], plen[2]);

		CHECK(u >= -1 && u <= (long long)plen[2]);
	}
	if (plen[2] > 0)
		(void)valid_email(cstr(part[2], plen[2]));

	/* the whole input through each parser too */
	fuzz_urlencoded(data, size);
	fuzz_cookies(data, size);
	fuzz_json(data, size, 1);
	(void)valid_utf8_len((const char *)data, size);
	if (ctl & 0x10)
		fuzz_escape(data, size);
	if (ctl & 0x20)
		fuzz_reply(data, size);

	arena_reset(&A);
	return 0;
}
