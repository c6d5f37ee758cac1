/* Validation of JSON request bodies against a field table: unknown fields are
 * refused, every field is type- and bound-checked, and a failure answers
 * 400 validation_failed naming the field.  Handlers then read values without
 * further checks. */
#ifndef POS_VALID_H
#define POS_VALID_H

#include <jansson.h>
#include <stddef.h>

struct arena;
struct req;

enum vtype {
	V_STRING,	/* min/max: length in characters (UTF-8 code points) */
	V_INT,		/* min/max: value */
	V_BOOL,
	V_UUID,
	V_ENUM,		/* one of enums[] */
	V_EMAIL,	/* simple shape check, ≤ 200 characters */
	V_ARRAY,	/* min/max: element count; elements checked by the handler */
	V_OBJECT,
	V_NUMBER,	/* integer or real; min/max: value */
};

struct vfield {
	const char *name;
	enum vtype type;
	int required;
	long long min, max;
	const char *const *enums;	/* NULL-terminated, for V_ENUM */
	int nullable;			/* JSON null accepted (as absent) */
};

/* 0 if obj satisfies fields; otherwise the 400 reply is set and -1 returned.
 * prefix is prepended to field names in errors ("lines[2]."), may be NULL. */
int valid_object(struct req *r, json_t *obj, const struct vfield *fields, size_t n,
    const char *prefix);
/* The same check without replying: the first bad field's name, or NULL.
 * For forms, which show the error next to the field. */
const char *valid_check(struct arena *a, json_t *obj, const struct vfield *fields, size_t n,
    const char *prefix);
/* Count UTF-8 code points; -1 if s is not valid UTF-8. */
long long valid_utf8_len(const char *s, size_t n);
int valid_email(const char *s);

#endif
