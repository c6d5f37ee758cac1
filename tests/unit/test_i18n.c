/* Message catalogues: the real files in templates/i18n (tests run from the
 * repository root), the consistency checks, fallback and language choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

static const char *const langs[] = { "ru", "az", "uz", "en" };

/* Keys the first pages and the error replies rely on. */
static const char *const required_keys[] = {
	"app.name", "nav.operations", "nav.dashboard", "nav.till", "nav.kitchen",
	"nav.catalogue", "nav.products", "nav.recipes", "nav.ingredients", "nav.reports",
	"nav.settings", "nav.docs", "lang.ru", "lang.az", "lang.uz", "lang.en", "lang.switch",
	"home.title", "home.lead", "home.open_till", "home.open_dashboard", "home.open_kitchen",
	"home.api_docs", "docs.title", "docs.lead", "docs.method", "docs.path", "docs.summary",
	"error.not_found.title", "error.not_found.text", "error.server.title",
	"error.server.text", "error.db_unavailable", "error.bad_request",
	"error.validation_failed", "error.unauthorized", "error.forbidden", "error.not_found",
	"error.method_not_allowed", "error.conflict", "error.payload_too_large",
	"error.rate_limited", "device.limit_reached", "health.ok",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
has_cyrillic(const char *s)
{
	/* U+0400..U+04FF is 0xD0 0x80 .. 0xD3 0xBF in UTF-8 */
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0xd0 && (unsigned char)*s <= 0xd3)
			return 1;
	return 0;
}

static void
test_real_catalogues(void **state)
{
	char err[512] = "";
	struct i18n *cat = i18n_load("templates/i18n", err, sizeof(err));
	size_t k, l;

	if (cat == NULL)
		fail_msg("%s", err);
	for (k = 0; k < NELEM(required_keys); k++) {
		const char *key = required_keys[k];
		const char *ru = i18n_get(cat, "ru", key);

		if (ru == NULL || *ru == '\0')
			fail_msg("ru.json lacks %s", key);
		for (l = 1; l < NELEM(langs); l++) {
			const char *v = i18n_get(cat, langs[l], key);
			int shared = strcmp(key, "app.name") == 0 || strncmp(key, "lang.", 5) == 0;

			if (v == NULL || *v == '\0')
				fail_msg("%s.json lacks %s", langs[l], key);
			/* a Russian text left in another catalogue is an untranslated copy */
			if (!shared && (strcmp(v, ru) == 0 || has_cyrillic(v)))
				fail_msg("%s.json: %s looks untranslated: %s", langs[l], key, v);
		}
		if (strcmp(key, "app.name") != 0 && strncmp(key, "lang.", 5) != 0 && !has_cyrillic(ru))
			fail_msg("ru.json: %s is not Russian: %s", key, ru);
	}
	for (l = 0; l < NELEM(langs); l++) {
		/* language names are shown in their own language everywhere */
		assert_string_equal(i18n_get(cat, langs[l], "lang.ru"), "Русский");
		assert_string_equal(i18n_get(cat, langs[l], "lang.az"), "Azərbaycanca");
		assert_string_equal(i18n_get(cat, langs[l], "lang.uz"), "Oʻzbekcha");
		assert_string_equal(i18n_get(cat, langs[l], "lang.en"), "English");
		assert_string_equal(i18n_get(cat, langs[l], "app.name"), "POS");
	}
	assert_string_equal(i18n_get(cat, "en", "error.db_unavailable"),
	    "The database is temporarily unavailable, try again shortly.");
	assert_string_equal(i18n_get(cat, "en", "device.limit_reached"),
	    "Till limit reached — buy an additional till.");
	i18n_free(cat);
}

static const char *const good[4] = {
	"{\"a.b\":\"Привет {0}\",\"c\":\"Только\"}",
	"{\"a.b\":\"Salam {0}\",\"c\":\"Yalnız\"}",
	"{\"a.b\":\"Salom {0}\",\"c\":\"Faqat\"}",
	"{\"a.b\":\"Hello {0}\",\"c\":\"Only\"}",
};

static void
test_get_fallback(void **state)
{
	char err[256];
	struct i18n *cat = i18n_load_mem(good, err, sizeof(err));

	assert_non_null(cat);
	assert_string_equal(i18n_get(cat, "ru", "a.b"), "Привет {0}");
	assert_string_equal(i18n_get(cat, "az", "a.b"), "Salam {0}");
	assert_string_equal(i18n_get(cat, "uz", "c"), "Faqat");
	assert_string_equal(i18n_get(cat, "en", "c"), "Only");
	assert_string_equal(i18n_get(cat, "de", "c"), "Только");
	assert_string_equal(i18n_get(cat, "EN", "c"), "Только");
	assert_string_equal(i18n_get(cat, NULL, "c"), "Только");
	assert_null(i18n_get(cat, "en", "nope"));
	assert_null(i18n_get(cat, "en", NULL));
	assert_null(i18n_get(NULL, "en", "c"));
	i18n_free(cat);
	i18n_free(NULL);
}

struct bad {
	int lang;		/* which catalogue to replace */
	const char *json;
	const char *want;	/* part of the error */
};

static void
test_load_errors(void **state)
{
	static const struct bad c[] = {
		{ 3, "{\"a.b\":\"Hello {0}\"}", "en.json: missing key 'c'" },
		{ 1, "{\"a.b\":\"Salam {0}\",\"c\":\"x\",\"d\":\"y\"}", "az.json: key 'd' is not in ru.json" },
		{ 2, "{\"a.b\":\"Salom\",\"c\":\"Faqat\"}", "uz.json: 'a.b' has other {n} placeholders" },
		{ 2, "{\"a.b\":\"Salom {1}\",\"c\":\"Faqat\"}", "uz.json: 'a.b' has other {n} placeholders" },
		{ 3, "{\"a.b\":\"Hello {0}\",\"c\":3}", "en.json: 'c' must be a non-empty string" },
		{ 3, "{\"a.b\":\"Hello {0}\",\"c\":\"\"}", "en.json: 'c' must be a non-empty string" },
		{ 0, "{\"A.b\":\"x\",\"c\":\"y\"}", "ru.json: key 'A.b' is not lowercase" },
		{ 0, "{\"a..b\":\"x\",\"c\":\"y\"}", "ru.json: key 'a..b' is not lowercase" },
		{ 0, "{\"a.b\":\"x\",\"c.\":\"y\"}", "ru.json: key 'c.' is not lowercase" },
		{ 0, "[1,2]", "ru.json: not a JSON object" },
		{ 1, "{\"a.b\":\"x {0}\",", "az.json:1:" },
		{ 3, "{\"a.b\":\"x {0}\",\"a.b\":\"y {0}\",\"c\":\"z\"}", "en.json:1: duplicate" },
		{ 3, "{\"a.b\":\"x {0}\",\"c\":\"z\\u0000w\"}", "en.json:1:" },	/* jansson refuses \\u0000 */
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		const char *json[4];
		char err[256] = "";
		struct i18n *cat;

		memcpy(json, good, sizeof(json));
		json[c[i].lang] = c[i].json;
		cat = i18n_load_mem(json, err, sizeof(err));
		if (cat != NULL || strstr(err, c[i].want) == NULL)
			fail_msg("case %zu: want error containing [%s], got [%s]", i, c[i].want,
			    cat ? "(loaded)" : err);
	}
}

static void
test_load_missing_dir(void **state)
{
	char err[256] = "";

	assert_null(i18n_load("tests/unit/no-such-dir", err, sizeof(err)));
	assert_non_null(strstr(err, "tests/unit/no-such-dir/ru.json"));
	assert_null(i18n_load("tests/unit/no-such-dir", NULL, 0));
}

static void
test_pick(void **state)
{
	static const struct {
		const char *cookie, *accept, *want;
	} c[] = {
		{ NULL, NULL, "ru" },
		{ NULL, "", "ru" },
		{ "en", "az", "en" },
		{ "uz", NULL, "uz" },
		{ "xx", "az", "az" },
		{ "EN", "uz", "uz" },		/* the cookie is ours: exact values only */
		{ "", "en-US,en;q=0.9", "en" },
		{ NULL, "az-AZ,az;q=0.9,en;q=0.8", "az" },
		{ NULL, "uz-Latn-UZ", "uz" },
		{ NULL, "uz-Cyrl-UZ,ru;q=0.5", "uz" },
		{ NULL, "kk", "ru" },
		{ NULL, "kk-KZ,kk;q=0.9", "ru" },
		{ NULL, "de-DE,de;q=0.9,en;q=0.5", "en" },
		{ NULL, "en;q=0.5,az;q=0.8", "az" },
		{ NULL, "en;q=0.5, az;q=0.5", "en" },	/* tie: first listed */
		{ NULL, "en;q=0,az;q=0.001", "az" },
		{ NULL, "en;q=0", "ru" },
		{ NULL, "EN-gb", "en" },
		{ NULL, "en_US", "en" },
		{ NULL, "*", "ru" },
		{ NULL, "*;q=1,en;q=0.1", "en" },
		{ NULL, "en;q=2,az;q=0.3", "az" },	/* invalid q: entry ignored */
		{ NULL, "en;q=abc,uz", "uz" },
		{ NULL, "en ; q = 0.7 , az ; q=0.6", "en" },
		{ NULL, "en;level=1;q=0.4,az;q=0.3", "en" },
		{ NULL, "eng,az;q=0.1", "az" },
		{ NULL, "e,n,,;;;q=,=,-,en-", "en" },
		{ NULL, ";q=1,\x01\xff,az", "az" },
		{ NULL, "garbage garbage", "ru" },
		{ NULL, "q=0.9", "ru" },
		{ NULL, "en;q=0.9999,az", "az" },
		{ NULL, "en;q=1.000,az;q=1", "en" },
		{ NULL, "ruen", "ru" },
	};
	size_t i;

	for (i = 0; i < NELEM(c); i++) {
		const char *got = i18n_pick(c[i].cookie, c[i].accept);

		if (strcmp(got, c[i].want) != 0)
			fail_msg("case %zu cookie=%s accept=%s: want %s got %s", i,
			    c[i].cookie ? c[i].cookie : "(null)", c[i].accept ? c[i].accept : "(null)",
			    c[i].want, got);
	}
}

static void
test_pick_long_header(void **state)
{
	size_t n = 1 << 20, i;
	char *h = malloc(n + 16);

	assert_non_null(h);
	for (i = 0; i < n; i++)
		h[i] = "de;q=0.1,"[i % 9];
	strcpy(h + n - n % 9, "uz;q=0.2");
	assert_string_equal(i18n_pick(NULL, h), "uz");
	free(h);
}

static void
test_valid_lang(void **state)
{
	assert_true(i18n_valid_lang("ru"));
	assert_true(i18n_valid_lang("az"));
	assert_true(i18n_valid_lang("uz"));
	assert_true(i18n_valid_lang("en"));
	assert_false(i18n_valid_lang("RU"));
	assert_false(i18n_valid_lang("en-US"));
	assert_false(i18n_valid_lang(""));
	assert_false(i18n_valid_lang("kk"));
	assert_false(i18n_valid_lang(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_catalogues),
		cmocka_unit_test(test_get_fallback),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_missing_dir),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_pick_long_header),
		cmocka_unit_test(test_valid_lang),
	};

	return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
