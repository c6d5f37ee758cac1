/* libFuzzer target for the template engine.  The input up to its first NUL is
 * the template "page" (which may use the fixed "_layout" and "_part"); what
 * follows the NUL, if it parses as JSON, is the model.  Loading must never
 * crash; a template that loads must render without crashing or leaking.
 * The same text also goes through i18n_pick() as an Accept-Language header. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "i18n.h"
#include "log.h"
#include "tmpl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct i18n *cat;
/* Short arrays: nested loops multiply, and an input that runs into the render
 * limits costs most of a second, which would slow the search down. */
static json_t *default_model;

static const char default_model_json[] =
	"{\"s\":\"<script>&'\\\"</script>\",\"n\":42,\"r\":-2.5,\"t\":true,\"f\":false,"
	"\"z\":null,\"e\":\"\",\"a\":[],\"o\":{},\"u\":\"\\u2028\","
	"\"items\":[{\"name\":\"a\",\"tags\":[\"x\"]},{\"name\":\"<b>\",\"tags\":[]}],"
	"\"mixed\":[3,null,\"s\"],"
	"\"user\":{\"name\":\"Bob\",\"addr\":{\"city\":\"Baku\"}}}";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const json[4] = {
		"{\"hello\":\"Привет, {0}!\",\"two\":\"{1} и {0} {9}\",\"plain\":\"<b>\"}",
		"{\"hello\":\"Salam, {0}!\",\"two\":\"{1} və {0} {9}\",\"plain\":\"<b>\"}",
		"{\"hello\":\"Salom, {0}!\",\"two\":\"{1} va {0} {9}\",\"plain\":\"<b>\"}",
		"{\"hello\":\"Hello, {0}!\",\"two\":\"{1} and {0} {9}\",\"plain\":\"<b>\"}",
	};
	char err[256];

	(void)argc;
	(void)argv;
	log_min_level = LOG_ERROR;	/* missing-key warnings would flood the output */
	cat = i18n_load_mem(json, err, sizeof(err));
	default_model = json_loads(default_model_json, 0, NULL);
	if (cat == NULL || default_model == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = { "ru", "en", "xx" };
	char *src = malloc(size + 1), err[512];
	size_t len;
	json_t *model = NULL;
	const char *names[] = { "page", "_layout", "_part" };
	const char *srcs[3];
	struct tmpl_set *set;

	if (src == NULL)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	len = strlen(src);
	(void)i18n_pick(src, src);
	if (len < size)
		model = json_loadb(src + len + 1, size - len - 1, 0, NULL);
	srcs[0] = src;
	srcs[1] = "<html>@RenderSection(\"head\", false)<body>@RenderBody()</body>"
	    "@RenderSection(\"scripts\", false)</html>";
	srcs[2] = "<p>@model.s @Json(model.items)</p>";
	set = tmpl_set_load_mem(names, srcs, 3, err, sizeof(err));
	if (set != NULL) {
		struct arena a;
		struct buf b;
		size_t i;

		(void)tmpl_set_check_i18n(set, cat, err, sizeof(err));
		arena_init(&a, 0);
		for (i = 0; i < 3; i++) {
			buf_init(&b, &a, 0);
			(void)tmpl_render(set, "page", model != NULL ? model : default_model,
			    i == 2 ? NULL : cat, langs[i], &b);
			arena_reset(&a);
		}
		buf_init(&b, &a, 0);
		(void)tmpl_render(set, "_layout", default_model, cat, "uz", &b);
		arena_free(&a);
		tmpl_set_free(set);
	}
	json_decref(model);
	free(src);
	return 0;
}
