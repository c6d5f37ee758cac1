#include "valid.h"

#include <string.h>

#include "arena.h"
#include "http.h"

struct vctx {
	struct arena *a;
	const char *field;
};

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
long long
valid_utf8_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	long long count = 0;

	while (p < end) {
		unsigned char lo = 0x80, hi = 0xbf;
		int len, i;

		if (*p < 0x80) {
			len = 1;
		} else if (*p >= 0xc2 && *p <= 0xdf) {
			len = 2;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			len = 3;
			if (*p == 0xe0)
				lo = 0xa0;
			else if (*p == 0xed)
				hi = 0x9f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			len = 4;
			if (*p == 0xf0)
				lo = 0x90;
			else if (*p == 0xf4)
				hi = 0x8f;
		} else {
			return -1;
		}
		if (end - p < len)
			return -1;
		for (i = 1; i < len; i++) {
			unsigned char c = p[i];

			if (i == 1 ? (c < lo || c > hi) : (c & 0xc0) != 0x80)
				return -1;
		}
		p += len;
		count++;
	}
	return count;
}

int
valid_email(const char *s)
{
	const char *at = strchr(s, '@'), *dot;
	size_t n = strlen(s);

	if (n < 3 || n > 200 || at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	dot = strrchr(at, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>' || *s == '"' || *s == '\\' || *s == ',')
			return 0;
	return 1;
}

/* Remember the first bad field; the caller decides how to answer. */
static int
bad(struct vctx *c, const char *prefix, const char *name)
{
	c->field = prefix ? arena_printf(c->a, "%s%.200s", prefix, name) : arena_printf(c->a, "%.200s", name);
	return -1;
}

static int
check(struct vctx *r, const struct vfield *f, json_t *v, const char *prefix)
{
	switch (f->type) {
	case V_STRING:
	case V_UUID:
	case V_ENUM:
	case V_EMAIL: {
		const char *s = json_string_value(v);
		long long len;

		if (!json_is_string(v))
			return bad(r, prefix, f->name);
		len = valid_utf8_len(s, json_string_length(v));
		if (len < 0 || strlen(s) != json_string_length(v))
			return bad(r, prefix, f->name);	/* invalid UTF-8 or NUL */
		if (f->type == V_STRING && (len < f->min || (f->max > 0 && len > f->max)))
			return bad(r, prefix, f->name);
		if (f->type == V_UUID && !http_is_uuid(s))
			return bad(r, prefix, f->name);
		if (f->type == V_EMAIL && !valid_email(s))
			return bad(r, prefix, f->name);
		if (f->type == V_ENUM) {
			const char *const *e;

			for (e = f->enums; *e != NULL; e++)
				if (strcmp(*e, s) == 0)
					break;
			if (*e == NULL)
				return bad(r, prefix, f->name);
		}
		return 0;
	}
	case V_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			return bad(r, prefix, f->name);
		return 0;
	case V_BOOL:
		return json_is_boolean(v) ? 0 : bad(r, prefix, f->name);
	case V_ARRAY:
		if (!json_is_array(v) || (long long)json_array_size(v) < f->min ||
		    (f->max > 0 && (long long)json_array_size(v) > f->max))
			return bad(r, prefix, f->name);
		return 0;
	case V_OBJECT:
		return json_is_object(v) ? 0 : bad(r, prefix, f->name);
	case V_NUMBER:
		if (!json_is_number(v) || json_number_value(v) < (double)f->min ||
		    json_number_value(v) > (double)f->max)
			return bad(r, prefix, f->name);
		return 0;
	}
	return bad(r, prefix, f->name);
}

const char *
valid_check(struct arena *a, json_t *obj, const struct vfield *fields, size_t n,
    const char *prefix)
{
	struct vctx ctx = { a, NULL }, *r = &ctx;
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return prefix ? prefix : "body";
	json_object_foreach(obj, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == n) {
			bad(r, prefix, key);	/* unknown field */
			return ctx.field;
		}
	}
	for (i = 0; i < n; i++) {
		v = json_object_get(obj, fields[i].name);
		if (v == NULL || (json_is_null(v) && fields[i].nullable)) {
			if (fields[i].required) {
				bad(r, prefix, fields[i].name);
				return ctx.field;
			}
			continue;
		}
		if (check(r, &fields[i], v, prefix) < 0)
			return ctx.field;
	}
	return NULL;
}

int
valid_object(struct req *r, json_t *obj, const struct vfield *fields, size_t n,
    const char *prefix)
{
	const char *f = valid_check(r->a, obj, fields, n, prefix);

	if (f == NULL)
		return 0;
	resp_error(r, 400, "validation_failed", f);
	return -1;
}
