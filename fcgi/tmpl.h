/* Razor-style templates (a small subset), parsed once at start-up and rendered
 * from the parsed tree against a jansson model.
 *
 * Syntax (see DESIGN.md "Razor-style templates"):
 *   @model.a.b  @x.name  @x_index  @(expr)   HTML-escaped value
 *   @Html.Raw(expr)                          the only unescaped output
 *   @Url(expr)  @Json(expr)                  URL component / JSON safe in <script>
 *   @T("key")  @T("key", expr, ...)          translated text, {0} {1} substituted
 *   @if (cond) { } else if (cond) { } else { }
 *       cond: value, !cond, value == value, value != value, &&, ||, ( )
 *       value: model.path, loop variable path, "string", 12, -3.5, true, false, null
 *   @foreach (var x in path) { }             arrays only; x_index is 0-based
 *   @{ Layout = "_layout"; }  @RenderBody()  @section name { }
 *   @RenderSection("name", true|false)  @Html.Partial("name")
 *   @@ literal @;  @* comment *@;  an @ preceded by a letter/digit is literal.
 * Values print as text: strings, numbers, true/false; null, missing, objects and
 * arrays print nothing (except in @Json, which prints any value, null included).
 * @expr is escaped for HTML text and quoted attributes only: never put it in an
 * unquoted attribute; inside <script> use @Json(expr).
 * Razor rules to remember: "word@model.x" is text (the e-mail rule), and CSS
 * at-rules need @@media.  Braces inside a block must balance.
 *
 * Template names are paths relative to the template folder without ".cshtml"
 * ("home", "dashboard/index"); Layout and Partial names are always from the root.
 * Every syntax, name and scope error is found by the loader; rendering cannot fail
 * because of a template. */
#ifndef POS_TMPL_H
#define POS_TMPL_H

#include <stddef.h>

#include <jansson.h>

struct buf;
struct i18n;

/* Immutable after load (apart from internal warn-once flags, which are atomic):
 * one set may be shared read-only by all threads of a process. */
struct tmpl_set;

/* Loads every *.cshtml under dir (subfolders too, hidden entries skipped).
 * Returns NULL and writes "file:line: message" into err on any error.
 * The caller owns the set and frees it with tmpl_set_free(). */
struct tmpl_set *tmpl_set_load(const char *dir, char *err, size_t errlen);

/* Same from memory (tests, fuzzing): names[i] is the template name, sources[i]
 * its text.  The set copies both. */
struct tmpl_set *tmpl_set_load_mem(const char *const names[], const char *const sources[],
    size_t n, char *err, size_t errlen);

void tmpl_set_free(struct tmpl_set *set);

int tmpl_exists(const struct tmpl_set *set, const char *name);

/* Optional start-up check: every @T key exists in the catalogue and passes at
 * least as many values as its message has {n} placeholders.  0 ok, -1 + err. */
int tmpl_set_check_i18n(const struct tmpl_set *set, const struct i18n *cat,
    char *err, size_t errlen);

/* Renders template `name` (inside its layouts) with `model` (borrowed; may be
 * NULL) and messages from `cat` in `lang` (cat may be NULL: keys are printed).
 * Appends to out, whose memory belongs to out's arena.
 * Returns 0; -1 if no template has that name, or if the page ran into the
 * render limits (16 Mi nodes or 16 MiB, a template bug, logged): then out
 * holds an incomplete page that the caller should replace by an error page. */
int tmpl_render(const struct tmpl_set *set, const char *name, json_t *model,
    const struct i18n *cat, const char *lang, struct buf *out);

#endif
