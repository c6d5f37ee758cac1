/* Template engine: escaping, lookup, control flow, layouts, partials, @T,
 * Razor text rules and load-time errors (file:line, never a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "i18n.h"
#include "log.h"
#include "tmpl.h"

static struct i18n *cat;

static const char model_json[] =
	"{\"name\":\"Ann <b>&\\\"'\",\"n\":42,\"neg\":-7,\"r\":2.5,\"t\":true,\"f\":false,"
	"\"z\":null,\"zero\":0,\"rzero\":0.0,\"empty\":\"\",\"arr\":[],\"obj\":{},"
	"\"user\":{\"name\":\"Bob\",\"addr\":{\"city\":\"Baku\"}},"
	"\"items\":[{\"name\":\"a\",\"tags\":[\"x\",\"y\"]},{\"name\":\"b\",\"tags\":[]}],"
	"\"q\":\"a b&c/d?e=\\u00e9\",\"html\":\"<i>hi</i>\",\"status\":\"open\","
	"\"js\":\"</script><script>alert('x')</script>\\u2028\","
	"\"jo\":{\"s\":\"</script>&\\u2029\"}}";

/* Renders `name` from `set`; the returned string is the caller's (free()). */
static char *
render_set(const struct tmpl_set *set, const char *name, const char *lang)
{
	json_error_t je;
	json_t *m = json_loads(model_json, 0, &je);
	struct arena a;
	struct buf b;
	char *out;

	assert_non_null(m);
	arena_init(&a, 0);
	buf_init(&b, &a, 0);
	assert_int_equal(tmpl_render(set, name, m, cat, lang, &b), 0);
	out = strdup(b.p);
	assert_non_null(out);
	arena_free(&a);
	json_decref(m);
	return out;
}

static char *
render_one(const char *src, const char *lang)
{
	const char *names[] = { "page" };
	const char *srcs[] = { src };
	char err[512] = "";
	struct tmpl_set *set = tmpl_set_load_mem(names, srcs, 1, err, sizeof(err));
	char *out;

	if (set == NULL)
		fail_msg("load failed for [%s]: %s", src, err);
	out = render_set(set, "page", lang);
	tmpl_set_free(set);
	return out;
}

struct rcase {
	const char *src, *want;
};

static void
run_cases(const struct rcase *c, size_t n, const char *lang)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *got = render_one(c[i].src, lang);

		if (strcmp(got, c[i].want) != 0)
			fail_msg("template [%s]\n want [%s]\n  got [%s]", c[i].src, c[i].want, got);
		free(got);
	}
}

#define RUN(cases, lang) run_cases((cases), sizeof(cases) / sizeof((cases)[0]), (lang))

static void
test_escaping(void **state)
{
	static const struct rcase c[] = {
		{ "@model.name", "Ann &lt;b&gt;&amp;&quot;&#39;" },
		{ "<a title=\"@model.name\">x</a>", "<a title=\"Ann &lt;b&gt;&amp;&quot;&#39;\">x</a>" },
		{ "@model.html", "&lt;i&gt;hi&lt;/i&gt;" },
		{ "@Html.Raw(model.html)", "<i>hi</i>" },
		{ "@Html.Raw(\"<b>\")", "<b>" },
		{ "@Url(model.q)", "a%20b%26c%2Fd%3Fe%3D%C3%A9" },
		{ "<a href=\"/s?q=@Url(model.name)\">", "<a href=\"/s?q=Ann%20%3Cb%3E%26%22%27\">" },
		{ "@Url(model.n)", "42" },
		{ "<script>var s = @Json(model.js);</script>",
		  "<script>var s = \"\\u003c/script\\u003e\\u003cscript\\u003ealert(\\u0027x\\u0027)"
		  "\\u003c/script\\u003e\\u2028\";</script>" },
		{ "@Json(model.jo)", "{\"s\":\"\\u003c/script\\u003e\\u0026\\u2029\"}" },
		{ "@Json(model.user)", "{\"name\":\"Bob\",\"addr\":{\"city\":\"Baku\"}}" },
		{ "@Json(model.items)", "[{\"name\":\"a\",\"tags\":[\"x\",\"y\"]},{\"name\":\"b\",\"tags\":[]}]" },
		{ "@Json(model.n) @Json(model.r) @Json(model.t) @Json(model.z) @Json(model.nope)",
		  "42 2.5 true null null" },
		{ "@(\"<&>\")", "&lt;&amp;&gt;" },
	};

	RUN(c, "ru");
}

static void
test_lookup(void **state)
{
	static const struct rcase c[] = {
		{ "@model.user.addr.city", "Baku" },
		{ "@model.n @model.neg @model.r", "42 -7 2.5" },
		{ "@model.t/@model.f", "true/false" },
		{ "[@model.z][@model.nope][@model.user.nope.deeper][@model.name.x][@model.obj][@model.arr]",
		  "[][][][][][]" },
		{ "@(model.n)px", "42px" },
		{ "@( model.user.name )!", "Bob!" },
		{ "Hi @model.user.name.", "Hi Bob." },
		{ "@model.user.name()", "Bob()" },
		{ "@model.n-1", "42-1" },
		{ "@(42) @(-3) @(1.25) @(true) @(null)|", "42 -3 1.25 true |" },
	};

	RUN(c, "ru");
}

static void
test_foreach(void **state)
{
	static const struct rcase c[] = {
		{ "@foreach (var i in model.items) {[@i.name]}", "[a][b]" },
		{ "@foreach (var i in model.arr) {x}|", "|" },
		{ "@foreach (var i in model.user) {x}|", "|" },
		{ "@foreach (var i in model.nope) {x}|", "|" },
		{ "@foreach (var i in model.name) {x}|", "|" },
		{ "@foreach (var i in model.items) {@i.name:@foreach (var t in i.tags) {@t,};}",
		  "a:x,y,;b:;" },
		{ "@foreach (var i in model.items) {@foreach (var i in i.tags) {@i}}", "xy" },
		{ "@foreach (var i in model.items) {@i_index=@i.name }", "0=a 1=b " },
		{ "@foreach (var i in model.items) {@foreach (var t in i.tags) {@i_index.@t_index }}",
		  "0.0 0.1 " },
		{ "<ul>\n  @foreach (var i in model.items) {\n    <li>@i.name</li>\n  }\n</ul>\n",
		  "<ul>\n    <li>a</li>\n    <li>b</li>\n</ul>\n" },
		{ "@foreach (var i in model.items) {<i>{@i.name}</i>}", "<i>{a}</i><i>{b}</i>" },
	};

	RUN(c, "ru");
}

static void
test_if(void **state)
{
	static const struct rcase c[] = {
		{ "@if (model.t) {yes} else {no}", "yes" },
		{ "@if (model.f) {yes} else {no}", "no" },
		{ "@if (model.f) {yes}|", "|" },
		/* falsy: null, missing, false, "", 0, 0.0, [], {} */
		{ "@if (model.z || model.nope || model.f || model.empty || model.zero || model.rzero"
		  " || model.arr || model.obj) {T} else {F}", "F" },
		/* truthy */
		{ "@if (model.n && model.name && model.items && model.user && model.r && model.t) {T}", "T" },
		{ "@if (!model.f) {y}", "y" },
		{ "@if (!!model.t) {y}", "y" },
		{ "@if (model.status == \"open\") {o}|", "o|" },
		{ "@if (model.status != \"open\") {o}|", "|" },
		{ "@if (model.status == \"closed\") {o}|", "|" },
		{ "@if (model.n == 42) {a}|", "a|" },
		{ "@if (model.n == 42.0) {a}|", "a|" },
		{ "@if (model.n != 41) {a}|", "a|" },
		{ "@if (model.neg == -7) {a}|", "a|" },
		{ "@if (model.r == 2.5) {a}|", "a|" },
		{ "@if (model.n == \"42\") {a}|", "|" },
		{ "@if (model.nope == null && model.z == null) {a}|", "a|" },
		{ "@if (model.t == true && model.f == false && model.t != false) {a}|", "a|" },
		{ "@if (model.user.name == model.user.name) {a}|", "a|" },
		{ "@if (model.t && model.f) {a} else {b}", "b" },
		{ "@if (model.f || model.t) {a} else {b}", "a" },
		{ "@if (model.f || model.f && model.t) {a} else {b}", "b" },
		{ "@if (model.t || model.f && model.f) {a} else {b}", "a" },
		{ "@if (!(model.f || model.zero) && (model.n == 42)) {ok}", "ok" },
		{ "@if (model.n == 1) {one} else if (model.n == 42) {forty-two} else {other}", "forty-two" },
		{ "@if (model.n == 1) {one} else if (model.n == 2) {two} else {other}", "other" },
		{ "@if (model.t) {a}\nelse {b}", "a" },
		{ "<p>\n  @if (model.t) {\n    yes\n  } else {\n    no\n  }\n</p>\n", "<p>\n    yes\n</p>\n" },
		{ "<p>\n  @if (model.f) {\n    yes\n  } else {\n    no\n  }\n</p>\n", "<p>\n    no\n</p>\n" },
		{ "@if (model.t) {<style>a { color: red }</style>}", "<style>a { color: red }</style>" },
		{ "@foreach (var i in model.items) {@if (i.name == \"b\") {B}}", "B" },
		{ "@foreach (var i in model.items) {@if (i_index == 0) {first }@i.name }", "first a b " },
		{ "@if (model.t) {@if (model.f) {x} else {y}}", "y" },
	};

	RUN(c, "ru");
}

static void
test_razor_text(void **state)
{
	static const struct rcase c[] = {
		{ "mail: user@example.com", "mail: user@example.com" },
		{ "x1@model.n", "x1@model.n" },
		{ "почта@пример.рф", "почта@пример.рф" },
		{ "(@model.n) [@model.n] @model.n", "(42) [42] 42" },
		{ "@@", "@" },
		{ "a @@model.n b", "a @model.n b" },
		{ "@@media (max-width: 1px) {}", "@media (max-width: 1px) {}" },
		{ "a @* hidden @model.nope { *@b", "a b" },
		{ "x\n@* own line *@\ny", "x\ny" },
		{ "x\n  @* a\n  multi-line comment\n*@\ny", "x\ny" },
		{ "{ } } {", "{ } } {" },
		{ "", "" },
	};

	RUN(c, "ru");
}

static void
test_t(void **state)
{
	static const struct rcase ru[] = {
		{ "@T(\"hello\", model.user.name)", "Привет, Bob!" },
		{ "@T(\"hello\", model.name)", "Привет, Ann &lt;b&gt;&amp;&quot;&#39;!" },
		{ "@T(\"plain\")", "Текст &lt;b&gt;" },
		{ "@T(\"two\", \"x\", 3)", "3 и x" },
		{ "@T(\"hello\")", "Привет, {0}!" },
		{ "@T(\"no.such.key\")", "no.such.key" },
		{ "@T(\"no.<such>\")", "no.&lt;such&gt;" },
		{ "@foreach (var i in model.items) {@T(\"hello\", i.name) }", "Привет, a! Привет, b! " },
	};
	static const struct rcase en[] = {
		{ "@T(\"hello\", model.user.name)", "Hello, Bob!" },
		{ "@T(\"two\", \"x\", model.n)", "42 and x" },
	};

	RUN(ru, "ru");
	RUN(en, "en");
	RUN(ru, "xx");		/* unsupported language falls back to Russian */
	RUN(ru, NULL);
}

static void
test_t_no_catalogue(void **state)
{
	const char *names[] = { "page" };
	const char *srcs[] = { "@T(\"a.b\", model.n)" };
	char err[256];
	struct tmpl_set *set = tmpl_set_load_mem(names, srcs, 1, err, sizeof(err));
	struct i18n *saved = cat;
	char *got;

	assert_non_null(set);
	cat = NULL;
	got = render_set(set, "page", "en");
	cat = saved;
	assert_string_equal(got, "a.b");
	free(got);
	tmpl_set_free(set);
}

static struct tmpl_set *
load(size_t n, const char *const *names, const char *const *srcs)
{
	char err[512] = "";
	struct tmpl_set *set = tmpl_set_load_mem(names, srcs, n, err, sizeof(err));

	if (set == NULL)
		fail_msg("load failed: %s", err);
	return set;
}

static void
expect_render(const struct tmpl_set *set, const char *name, const char *want)
{
	char *got = render_set(set, name, "ru");

	if (strcmp(got, want) != 0)
		fail_msg("render %s\n want [%s]\n  got [%s]", name, want, got);
	free(got);
}

static void
test_layouts(void **state)
{
	const char *names[] = { "_layout", "page", "bare", "_outer", "_inner", "deep",
		"_req", "withreq", "shared/_row", "list", "_nav", "scoped" };
	const char *srcs[] = {
		"<html><head>@RenderSection(\"head\", false)</head><body>@RenderBody()</body>"
		    "@RenderSection(\"scripts\", false)</html>",
		"@{ Layout = \"_layout\"; }\n<h1>@model.n</h1>\n@section scripts {\n<script>s</script>\n}\n",
		"@{ Layout = \"_layout\"; }\nbare",
		"[O @RenderBody() @RenderSection(\"s\", false)]",
		"@{ Layout = \"_outer\"; }{I @RenderBody()}@section s {@RenderSection(\"s\", false)!}",
		"@{ Layout = \"_inner\"; }P\n@section s {S}",
		"<main>@RenderBody()</main>@RenderSection(\"scripts\", true)",
		"@{ Layout = \"_req\"; }body\n@section scripts {js}",
		"<tr><td>@row.name</td><td>@row_index</td></tr>",
		"@foreach (var row in model.items) {@Html.Partial(\"shared/_row\")}",
		"<nav>@model.user.name</nav>",
		"@Html.Partial(\"_nav\")@foreach (var x in model.items) {@Html.Partial(\"_nav\")}",
	};
	struct tmpl_set *set = load(sizeof(names) / sizeof(names[0]), names, srcs);

	expect_render(set, "page",
	    "<html><head></head><body><h1>42</h1>\n</body><script>s</script>\n</html>");
	expect_render(set, "bare", "<html><head></head><body>bare</body></html>");
	expect_render(set, "deep", "[O {I P\n} S!]");
	expect_render(set, "withreq", "<main>body\n</main>js");
	/* a layout rendered on its own: no body, required section logged only */
	expect_render(set, "_req", "<main></main>");
	expect_render(set, "list", "<tr><td>a</td><td>0</td></tr><tr><td>b</td><td>1</td></tr>");
	expect_render(set, "scoped", "<nav>Bob</nav><nav>Bob</nav><nav>Bob</nav>");
	assert_true(tmpl_exists(set, "shared/_row"));
	assert_true(tmpl_exists(set, "page"));
	assert_false(tmpl_exists(set, "nope"));
	assert_false(tmpl_exists(set, "shared"));
	{
		struct arena a;
		struct buf b;

		arena_init(&a, 0);
		buf_init(&b, &a, 0);
		assert_int_equal(tmpl_render(set, "nope", NULL, cat, "ru", &b), -1);
		assert_int_equal(tmpl_render(set, "page", NULL, cat, "ru", &b), 0);
		assert_string_equal(b.p,
		    "<html><head></head><body><h1></h1>\n</body><script>s</script>\n</html>");
		arena_free(&a);
	}
	tmpl_set_free(set);
}

/* A partial sees the loop variables of its call site, and of its callers. */
static void
test_partial_scope(void **state)
{
	const char *names[] = { "page", "_outer", "_inner" };
	const char *srcs[] = {
		"@foreach (var it in model.items) {@Html.Partial(\"_outer\")}",
		"(@Html.Partial(\"_inner\"))",
		"@(it.name)@foreach (var t in it.tags) {-@t}",
	};
	struct tmpl_set *set = load(3, names, srcs);

	expect_render(set, "page", "(a-x-y)(b)");
	/* rendered directly, the free variable is simply missing */
	expect_render(set, "_inner", "");
	tmpl_set_free(set);

	/* the same partials called where `it` is not bound: refused at load */
	{
		const char *bad[] = { "x\n@Html.Partial(\"_outer\")", srcs[1], srcs[2] };
		char err[512] = "";

		assert_null(tmpl_set_load_mem(names, bad, 3, err, sizeof(err)));
		assert_string_equal(err, "page.cshtml:2: partial '_outer' uses @it (_inner.cshtml:1), "
		    "which is not in scope here");
	}
}

static void
test_load_dir(void **state)
{
	char err[512] = "";
	struct tmpl_set *set = tmpl_set_load("tests/unit/fixtures/tmpl", err, sizeof(err));

	if (set == NULL)
		fail_msg("%s", err);
	assert_true(tmpl_exists(set, "home"));
	assert_true(tmpl_exists(set, "dashboard/index"));
	assert_true(tmpl_exists(set, "shared/_nav"));
	expect_render(set, "home",
	    "<!doctype html>\n<title>Привет, Bob!</title>\n<nav>Ann &lt;b&gt;&amp;&quot;&#39;</nav>\n"
	    "<main>\n<h1>42</h1>\n<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n</main>\n"
	    "<script>var m = {\"name\":\"Bob\",\"addr\":{\"city\":\"Baku\"}};</script>\n");
	expect_render(set, "dashboard/index",
	    "<!doctype html>\n<title>Привет, Bob!</title>\n<nav>Ann &lt;b&gt;&amp;&quot;&#39;</nav>\n"
	    "<main>\n<p>dashboard true</p>\n</main>\n");
	tmpl_set_free(set);

	assert_null(tmpl_set_load("tests/unit/fixtures/no-such-dir", err, sizeof(err)));
	assert_non_null(strstr(err, "no-such-dir"));
}

struct ecase {
	const char *src;	/* the template "page" */
	const char *other;	/* optional second template "_o" */
	const char *where;	/* expected "file:line:" prefix */
	const char *what;	/* expected part of the message */
};

static void
test_errors(void **state)
{
	static char deep[2048], deepcond[512];
	static const struct ecase c[] = {
		{ "a\nb\n@Foo\n", NULL, "page.cshtml:3:", "unknown directive @Foo" },
		{ "@Model.name", NULL, "page.cshtml:1:", "unknown directive @Model" },
		{ "@for (var i = 0;;) {}", NULL, "page.cshtml:1:", "unknown directive @for" },
		{ "x\n@if (model.t) {\n  <p>\n", NULL, "page.cshtml:2:", "unterminated block" },
		{ "x\n@foreach (var i in model.items) {\n @if (model.t) {\n }", NULL,
		  "page.cshtml:2:", "unterminated block" },
		{ "\n@T(\"abc)\n", NULL, "page.cshtml:2:", "unterminated string" },
		{ "\n@(\"abc\\q\")\n", NULL, "page.cshtml:2:", "unsupported escape" },
		{ "\n\n@(model.n\n\n", NULL, "page.cshtml:3:", "unterminated @(" },
		{ "\n@if (model.t\n\n", NULL, "page.cshtml:2:", "unterminated ( in condition" },
		{ "\n@if (model.t && (model.f) {x}", NULL, "page.cshtml:2:", "expected ')'" },
		{ "ok\n@* never closed\n\n", NULL, "page.cshtml:2:", "unterminated comment" },
		{ "@if (model.t) {a}\n@else {b}\n", NULL, "page.cshtml:2:", "else without if" },
		{ "@if (model.t) {a} else {b}\n else {c}", NULL, "page.cshtml:2:", "else without if" },
		{ "@if (model.t) {a} else (x)", NULL, "page.cshtml:1:", "expected '{' after else" },
		{ "\n@{ Layout = \"nope\"; }\n", NULL, "page.cshtml:2:", "unknown layout 'nope'" },
		{ "\n@Html.Partial(\"nope\")", NULL, "page.cshtml:2:", "unknown partial 'nope'" },
		{ "\n\n\n@foo.bar", NULL, "page.cshtml:4:", "unknown name @foo" },
		{ "@foreach (var i in model.items) {}\n@i.name", NULL, "page.cshtml:2:", "unknown name @i" },
		{ "\n@if (model.t && foo) {}", NULL, "page.cshtml:2:", "unknown name @foo" },
		{ "x\n@ y", NULL, "page.cshtml:2:", "unexpected character after @" },
		{ "x @", NULL, "page.cshtml:1:", "lone @" },
		{ "\n@if (model.n ==) {x}", NULL, "page.cshtml:2:", "expected a value" },
		{ "@if (model.n > 3) {x}", NULL, "page.cshtml:1:", "unsupported operator" },
		{ "@if model.t {x}", NULL, "page.cshtml:1:", "expected '(' after @if" },
		{ "@if (model.t) x", NULL, "page.cshtml:1:", "expected '{'" },
		{ "@if (model.t) {\n@section s {x}\n}", NULL, "page.cshtml:2:", "top level" },
		{ "@section s {a}\n@section s {b}", NULL, "page.cshtml:2:", "defined twice" },
		{ "@section {x}", NULL, "page.cshtml:1:", "expected a section name" },
		{ "@{ Layout = \"_o\"; }\n@{ Layout = \"_o\"; }", "@RenderBody()", "page.cshtml:2:",
		  "Layout set twice" },
		{ "\n@{ var x = 1; }", NULL, "page.cshtml:2:", "only @{ Layout" },
		{ "@{ Layout = \"_o\"; ", NULL, "page.cshtml:1:", "unterminated @{" },
		{ "@Html.Foo(\"x\")", NULL, "page.cshtml:1:", "unknown directive @Html.Foo" },
		{ "\n@foreach (x in model.items) {}", NULL, "page.cshtml:2:", "expected 'var'" },
		{ "@foreach (var i of model.items) {}", NULL, "page.cshtml:1:", "expected 'in'" },
		{ "@foreach (var model in model.items) {}", NULL, "page.cshtml:1:",
		  "cannot be a loop variable" },
		{ "@foreach (var i in \"abc\") {}", NULL, "page.cshtml:1:", "needs a path" },
		{ "@T(model.x)", NULL, "page.cshtml:1:", "@T needs a \"message.key\"" },
		{ "@T(\"a\" model.x)", NULL, "page.cshtml:1:", "expected ',' or ')'" },
		{ "@T (\"a\")", NULL, "page.cshtml:1:", "expected '(' right after @T" },
		{ "@()", NULL, "page.cshtml:1:", "expected a value" },
		{ "@RenderBody", NULL, "page.cshtml:1:", "expected @RenderBody()" },
		{ "@RenderSection(\"s\", maybe)", NULL, "page.cshtml:1:", "expected true or false" },
		{ "@Html.Partial(\"page\")", NULL, "page.cshtml:1:", "partial 'page' leads back to itself" },
		{ "@Html.Partial(\"_o\")", "@Html.Partial(\"page\")", "page.cshtml:1:", "a cycle" },
		{ "@{ Layout = \"_o\"; }@RenderBody()", "@{ Layout = \"page\"; }@RenderBody()",
		  "_o.cshtml:1:", "layout chain" },
		{ "@{ Layout = \"_o\"; }", "no body here", "page.cshtml:1:", "has no @RenderBody()" },
		{ "@{ Layout = \"_o\"; }\nx", "@RenderBody()\n@RenderSection(\"scripts\", true)",
		  "page.cshtml:1:", "requires @section scripts (_o.cshtml:2)" },
		{ "@Html.Partial(\"_o\")", "\n@x.name", "page.cshtml:1:", "partial '_o' uses @x (_o.cshtml:2)" },
		{ deep, NULL, "page.cshtml:65:", "nested deeper than 64" },
		{ deepcond, NULL, "page.cshtml:1:", "nested deeper than 64" },
		{ "@(123456789012345678901234567890)", NULL, "page.cshtml:1:", "out of range" },
	};
	size_t i;
	int k;

	/* 65 nested blocks, one per line: the 65th is refused */
	for (k = 0; k < 65; k++)
		strcat(deep, "@if (model.t) {\n");
	strcpy(deepcond, "@if (");
	for (k = 0; k < 70; k++)
		strcat(deepcond, "!");
	strcat(deepcond, "model.t) {}");

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *names[] = { "page", "_o" };
		const char *srcs[] = { c[i].src, c[i].other };
		char err[512] = "";
		struct tmpl_set *set = tmpl_set_load_mem(names, srcs, c[i].other ? 2 : 1,
		    err, sizeof(err));

		if (set != NULL)
			fail_msg("case %zu [%s] loaded but should fail", i, c[i].src);
		if (strncmp(err, c[i].where, strlen(c[i].where)) != 0 || strstr(err, c[i].what) == NULL)
			fail_msg("case %zu [%.60s]\n want %s ... %s\n  got %s", i, c[i].src,
			    c[i].where, c[i].what, err);
	}
}

/* A long chain of && and || must not nest (stack) and must still evaluate. */
static void
test_long_condition(void **state)
{
	size_t n = 20000, i;
	char *src = malloc(n * 12 + 64), *p = src;
	char *got;

	assert_non_null(src);
	p += sprintf(p, "@if (");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%smodel.t", i ? " && " : "");
	sprintf(p, ") {ok}");
	got = render_one(src, "ru");
	assert_string_equal(got, "ok");
	free(got);
	free(src);
}

/* Loading is linear: a 1 MB template with 60,000 directives loads at once. */
static void
test_big_template(void **state)
{
	size_t n = 60000, i;
	char *src = malloc(n * 24 + 1), *p = src, *got;

	assert_non_null(src);
	for (i = 0; i < n; i++)
		p += sprintf(p, "<p>@model.n</p>\n");
	p += sprintf(p, "@Foo");
	{
		const char *names[] = { "page" };
		const char *srcs[] = { src };
		char err[256];

		/* the error is on the last line */
		assert_null(tmpl_set_load_mem(names, srcs, 1, err, sizeof(err)));
		assert_non_null(strstr(err, "page.cshtml:60001:"));
	}
	p[-4] = '\0';
	got = render_one(src, "ru");
	assert_int_equal(strlen(got), n * strlen("<p>42</p>\n"));
	free(got);
	free(src);
}

/* Nested loops multiply; a runaway page stops at the render limits. */
static void
test_render_limits(void **state)
{
	static const char *const inner[] = { "0123456789abcdef", "" };
	size_t k;

	for (k = 0; k < 2; k++) {
		char src[4096], *p = src;
		const char *names[] = { "page" };
		const char *srcs[] = { src };
		char err[256];
		struct tmpl_set *set;
		struct arena a;
		struct buf b;
		json_t *m = json_loads(model_json, 0, NULL);
		int i;

		for (i = 0; i < 40; i++)
			p += sprintf(p, "@foreach (var v%d in model.items) {", i);
		p += sprintf(p, "%s", inner[k]);
		for (i = 0; i < 40; i++)
			*p++ = '}';
		*p = '\0';
		set = tmpl_set_load_mem(names, srcs, 1, err, sizeof(err));
		assert_non_null(set);
		arena_init(&a, 0);
		buf_init(&b, &a, 0);
		assert_int_equal(tmpl_render(set, "page", m, cat, "ru", &b), -1);
		assert_true(b.len <= (16u << 20) + 64);
		arena_free(&a);
		json_decref(m);
		tmpl_set_free(set);
	}
}

static void
test_check_i18n(void **state)
{
	const char *names[] = { "a", "b", "c" };
	const char *good[] = { "@T(\"hello\", model.n)", "@if (model.t) {@T(\"plain\")}",
		"@section s {@foreach (var i in model.items) {@T(\"two\", 1, 2)}}" };
	const char *missing[] = { "@T(\"hello\", 1)", "\n@if (model.t) {@T(\"nope\")}", "" };
	const char *few[] = { "", "", "@section s {\n\n@T(\"two\", 1)}" };
	char err[512] = "";
	struct tmpl_set *set;

	set = load(3, names, good);
	assert_int_equal(tmpl_set_check_i18n(set, cat, err, sizeof(err)), 0);
	tmpl_set_free(set);

	set = load(3, names, missing);
	assert_int_equal(tmpl_set_check_i18n(set, cat, err, sizeof(err)), -1);
	assert_string_equal(err, "b.cshtml:2: unknown message key 'nope'");
	tmpl_set_free(set);

	set = load(3, names, few);
	assert_int_equal(tmpl_set_check_i18n(set, cat, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "c.cshtml:3: message 'two' uses {1}"));
	tmpl_set_free(set);
}

static void
test_bad_names(void **state)
{
	const char *dup[] = { "a", "a" };
	const char *srcs[] = { "x", "y" };
	const char *bad[] = { "" };
	const char *nul[] = { NULL };
	char err[256];

	assert_null(tmpl_set_load_mem(dup, srcs, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "twice"));
	assert_null(tmpl_set_load_mem(bad, srcs, 1, err, sizeof(err)));
	assert_null(tmpl_set_load_mem(dup, nul, 1, err, sizeof(err)));
	/* no error buffer at all must still be safe */
	assert_null(tmpl_set_load_mem(bad, srcs, 1, NULL, 0));
}

static int
setup(void **state)
{
	static const char *const json[4] = {
		"{\"hello\":\"Привет, {0}!\",\"plain\":\"Текст <b>\",\"two\":\"{1} и {0}\"}",
		"{\"hello\":\"Salam, {0}!\",\"plain\":\"Mətn <b>\",\"two\":\"{1} və {0}\"}",
		"{\"hello\":\"Salom, {0}!\",\"plain\":\"Matn <b>\",\"two\":\"{1} va {0}\"}",
		"{\"hello\":\"Hello, {0}!\",\"plain\":\"Text <b>\",\"two\":\"{1} and {0}\"}",
	};
	char err[256];

	/* warnings about missing keys are expected here; keep the output readable */
	log_min_level = LOG_ERROR;
	cat = i18n_load_mem(json, err, sizeof(err));
	if (cat == NULL)
		fail_msg("%s", err);
	return 0;
}

static int
teardown(void **state)
{
	i18n_free(cat);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_if),
		cmocka_unit_test(test_razor_text),
		cmocka_unit_test(test_t),
		cmocka_unit_test(test_t_no_catalogue),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_partial_scope),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_condition),
		cmocka_unit_test(test_big_template),
		cmocka_unit_test(test_render_limits),
		cmocka_unit_test(test_check_i18n),
		cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests_name("tmpl", tests, setup, teardown);
}
