/* Message catalogues: templates/i18n/{ru,az,uz,en}.json, flat objects of
 * lowercase dotted keys to plain-text messages ({0}, {1} are placeholders).
 * Russian is the default; all four catalogues must have the same keys, and each
 * message the same placeholders as its Russian original, or loading fails. */
#ifndef POS_I18N_H
#define POS_I18N_H

#include <stddef.h>

/* Immutable after load; may be shared read-only by all threads. */
struct i18n;

/* Loads dir/ru.json, az.json, uz.json, en.json.  NULL + err on failure.
 * The caller owns the result and frees it with i18n_free(). */
struct i18n *i18n_load(const char *dir, char *err, size_t errlen);

/* Same from JSON texts in the order ru, az, uz, en (tests, fuzzing). */
struct i18n *i18n_load_mem(const char *const json[4], char *err, size_t errlen);

void i18n_free(struct i18n *cat);

/* Message for key in lang, falling back to Russian; NULL if neither has it.
 * An unsupported lang counts as Russian.  The string belongs to cat. */
const char *i18n_get(const struct i18n *cat, const char *lang, const char *key);

/* The language for a request: a valid cookie value wins, then the best
 * Accept-Language entry by q-value (first one on a tie), else "ru".
 * Either argument may be NULL.  Returns a static string: "ru", "az", "uz", "en". */
const char *i18n_pick(const char *cookie_lang, const char *accept_language);

/* 1 if lang is exactly one of "ru", "az", "uz", "en". */
int i18n_valid_lang(const char *lang);

#endif
