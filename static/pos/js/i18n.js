// Message catalogues of the till (i18n/{ru,az,uz,en}.json, Russian default).
// Markup names its strings with data-i18n="key" (text) and
// data-i18n-<attr>="key" (placeholder, aria-label, title); code uses t() and
// tn() (plural forms through Intl.PluralRules: key.one / key.few / key.many /
// key.other).  A missing key shows the Russian text, then the key itself.
export const LANGS = ['ru', 'az', 'uz', 'en'];
export const DEFAULT_LANG = 'ru';
const LOCALES = { ru: 'ru-RU', az: 'az-Latn-AZ', uz: 'uz-Latn-UZ', en: 'en-GB' };
const ATTRS = ['placeholder', 'aria-label', 'title'];

let lang = DEFAULT_LANG;
let messages = {};
let fallback = {};
let plural = new Intl.PluralRules('ru-RU');

async function fetchCatalog(l) {
  const r = await fetch(`./i18n/${l}.json`);
  if (!r.ok) throw new Error(`i18n ${l}: ${r.status}`);
  return r.json();
}

export function pickLang(...candidates) {
  for (const c of candidates) {
    const l = String(c || '').toLowerCase().slice(0, 2);
    if (LANGS.includes(l)) return l;
  }
  return DEFAULT_LANG;
}

export async function setLang(l) {
  l = pickLang(l);
  if (!Object.keys(fallback).length) fallback = await fetchCatalog(DEFAULT_LANG);
  messages = l === DEFAULT_LANG ? fallback : await fetchCatalog(l).catch(() => fallback);
  lang = l;
  plural = new Intl.PluralRules(LOCALES[l]);
  document.documentElement.lang = l;
  return l;
}

export const getLang = () => lang;
export const locale = () => LOCALES[lang] || 'ru-RU';

export function t(key, vars) {
  let s = messages[key] ?? fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function tn(key, n, vars = {}) {
  const form = plural.select(n);
  const k = `${key}.${form}`;
  const has = (c) => c[k] !== undefined;
  const use = has(messages) || has(fallback) ? k : `${key}.other`;
  return t(use, { n, ...vars });
}

// Fills the text and attributes of every marked element under root.
export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const a of ATTRS) {
    for (const el of root.querySelectorAll(`[data-i18n-${a}]`)) el.setAttribute(a, t(el.getAttribute(`data-i18n-${a}`)));
  }
}
