#include "i18n.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"

#define NLANG 4

/* Index 0 is the default and the reference every other catalogue must match. */
static const char *const langs[NLANG] = { "ru", "az", "uz", "en" };

struct i18n {
	json_t *cat[NLANG];
};

static int
lang_index(const char *lang)
{
	int i;

	if (lang == NULL)
		return -1;
	for (i = 0; i < NLANG; i++)
		if (strcmp(lang, langs[i]) == 0)
			return i;
	return -1;
}

int
i18n_valid_lang(const char *lang)
{
	return lang_index(lang) >= 0;
}

/* Keys are lowercase dotted words: a typo such as "Nav.Home" or "nav..home"
 * is caught at start instead of showing up as an untranslated key. */
static int
key_ok(const char *k)
{
	int word = 0;

	for (; *k != '\0'; k++) {
		if ((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_')
			word = 1;
		else if (*k == '.' && word)
			word = 0;
		else
			return 0;
	}
	return word;
}

/* Bit n set for each {n} (n < 32) in the message: translations must keep the
 * placeholders of the original, or a value silently disappears. */
static uint32_t
placeholders(const char *s)
{
	uint32_t mask = 0;

	for (; *s != '\0'; s++) {
		const char *p = s + 1;
		unsigned n = 0;

		if (*s != '{' || *p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9' && n < 1000)
			n = n * 10 + (unsigned)(*p++ - '0');
		if (*p == '}' && n < 32)
			mask |= (uint32_t)1 << n;
	}
	return mask;
}

static int
check_one(json_t *cat, const char *file, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(cat)) {
		seterr(err, errlen, "%s: not a JSON object", file);
		return -1;
	}
	json_object_foreach(cat, key, v) {
		if (!key_ok(key)) {
			seterr(err, errlen, "%s: key '%s' is not lowercase dotted words", file, key);
			return -1;
		}
		if (!json_is_string(v) || json_string_length(v) == 0) {
			seterr(err, errlen, "%s: '%s' must be a non-empty string", file, key);
			return -1;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			seterr(err, errlen, "%s: '%s' contains a NUL character", file, key);
			return -1;
		}
	}
	return 0;
}

/* Every catalogue has exactly the keys of ru, each with ru's placeholders. */
static int
check_same(json_t *ru, json_t *cat, const char *ru_file, const char *file,
    char *err, size_t errlen)
{
	const char *key;
	json_t *v, *w;

	json_object_foreach(ru, key, v) {
		w = json_object_get(cat, key);
		if (w == NULL) {
			seterr(err, errlen, "%s: missing key '%s' (present in %s)", file, key, ru_file);
			return -1;
		}
		if (placeholders(json_string_value(v)) != placeholders(json_string_value(w))) {
			seterr(err, errlen, "%s: '%s' has other {n} placeholders than in %s",
			    file, key, ru_file);
			return -1;
		}
	}
	json_object_foreach(cat, key, w) {
		if (json_object_get(ru, key) == NULL) {
			seterr(err, errlen, "%s: key '%s' is not in %s", file, key, ru_file);
			return -1;
		}
	}
	return 0;
}

void
i18n_free(struct i18n *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < NLANG; i++)
		json_decref(c->cat[i]);
	free(c);
}

static struct i18n *
alloc_cat(void)
{
	struct i18n *c = calloc(1, sizeof(*c));

	if (c == NULL)
		die("out of memory");
	return c;
}

/* Takes ownership of cats[] (parsed or NULL) and validates them together. */
static struct i18n *
build(json_t *cats[NLANG], const char *const files[NLANG], char *err, size_t errlen)
{
	struct i18n *c = alloc_cat();
	int i;

	for (i = 0; i < NLANG; i++)
		c->cat[i] = cats[i];
	for (i = 0; i < NLANG; i++)
		if (check_one(c->cat[i], files[i], err, errlen) < 0)
			goto fail;
	for (i = 1; i < NLANG; i++)
		if (check_same(c->cat[0], c->cat[i], files[0], files[i], err, errlen) < 0)
			goto fail;
	return c;
fail:
	i18n_free(c);
	return NULL;
}

struct i18n *
i18n_load(const char *dir, char *err, size_t errlen)
{
	json_t *cats[NLANG] = { NULL };
	char paths[NLANG][4096];
	const char *files[NLANG];
	json_error_t je;
	int i;

	for (i = 0; i < NLANG; i++) {
		int n = snprintf(paths[i], sizeof(paths[i]), "%s/%s.json", dir, langs[i]);

		files[i] = paths[i];
		if (n < 0 || (size_t)n >= sizeof(paths[i])) {
			seterr(err, errlen, "%s: path too long", dir);
			goto fail;
		}
	}
	for (i = 0; i < NLANG; i++) {
		cats[i] = json_load_file(paths[i], JSON_REJECT_DUPLICATES, &je);
		if (cats[i] == NULL) {
			seterr(err, errlen, "%s:%d: %s", paths[i], je.line, je.text);
			goto fail;
		}
	}
	return build(cats, files, err, errlen);
fail:
	for (i = 0; i < NLANG; i++)
		json_decref(cats[i]);
	return NULL;
}

struct i18n *
i18n_load_mem(const char *const json[NLANG], char *err, size_t errlen)
{
	static const char *const files[NLANG] = { "ru.json", "az.json", "uz.json", "en.json" };
	json_t *cats[NLANG] = { NULL };
	json_error_t je;
	int i;

	for (i = 0; i < NLANG; i++) {
		cats[i] = json_loads(json[i] != NULL ? json[i] : "", JSON_REJECT_DUPLICATES, &je);
		if (cats[i] == NULL) {
			seterr(err, errlen, "%s:%d: %s", files[i], je.line, je.text);
			while (i-- > 0)
				json_decref(cats[i]);
			return NULL;
		}
	}
	return build(cats, files, err, errlen);
}

const char *
i18n_get(const struct i18n *c, const char *lang, const char *key)
{
	int i = lang_index(lang);
	json_t *v;

	if (c == NULL || key == NULL)
		return NULL;
	if (i < 0)
		i = 0;
	v = json_object_get(c->cat[i], key);
	if (v == NULL && i != 0)
		v = json_object_get(c->cat[0], key);
	return json_string_value(v);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")], in thousandths;
 * -1 when malformed, which makes the whole entry ignored. */
static int
parse_q(const char **pp)
{
	const char *p = *pp;
	int q, scale = 100;

	if (*p != '0' && *p != '1')
		return -1;
	q = (*p++ - '0') * 1000;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && scale > 0) {
			q += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	*pp = p;
	return q > 1000 ? -1 : q;
}

const char *
i18n_pick(const char *cookie, const char *accept)
{
	const char *best = langs[0], *p = accept;
	int bestq = 0;

	if (i18n_valid_lang(cookie))
		return langs[lang_index(cookie)];
	if (p == NULL)
		return best;
	/* One linear pass, no allocation: the header is client-controlled. */
	while (*p != '\0') {
		const char *tag;
		size_t taglen = 0;
		int q = 1000, i, match = -1;

		while (is_space(*p) || *p == ',')
			p++;
		tag = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			p++;
		taglen = (size_t)(p - tag);
		/* only the primary subtag matters: "uz-Latn-UZ" is Uzbek */
		if (*p != '-' && *p != '_' && *p != ';' && *p != ',' && *p != '\0' && !is_space(*p))
			taglen = 0;
		while (*p != '\0' && *p != ',' && *p != ';')
			p++;
		while (*p == ';') {
			p++;
			while (is_space(*p))
				p++;
			if ((*p == 'q' || *p == 'Q')) {
				const char *v = p + 1;

				while (is_space(*v))
					v++;
				if (*v == '=') {
					v++;
					while (is_space(*v))
						v++;
					q = parse_q(&v);
					while (is_space(*v))
						v++;
					if (*v != '\0' && *v != ',' && *v != ';')
						q = -1;
					p = v;
				}
			}
			while (*p != '\0' && *p != ',' && *p != ';')
				p++;
		}
		if (taglen != 2)
			continue;
		for (i = 0; i < NLANG; i++)
			if (lower(tag[0]) == langs[i][0] && lower(tag[1]) == langs[i][1])
				match = i;
		if (match >= 0 && q > bestq) {
			best = langs[match];
			bestq = q;
		}
	}
	return best;
}
