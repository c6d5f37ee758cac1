// Money in integer minor units (API.md: {"price": 450, "currency": "AZN"} is
// 4.50 AZN).  Arithmetic stays in integers; only display divides.  Pure
// functions: imported by the page and by the Node tests.

// ISO 4217 minor units of the currencies the product uses.
const EXPONENT = { AZN: 2, USD: 2, EUR: 2, KZT: 2, UZS: 2, RUB: 2 };
// Shown without ",00" when the amount is whole (nobody writes tiyin or sum
// fractions on a café receipt); still stored with two minor digits.
const WHOLE_DISPLAY = new Set(['UZS', 'KZT']);

export function exponent(currency) {
  if (currency in EXPONENT) return EXPONENT[currency];
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

const fmtCache = new Map();
function formatter(locale, currency, digits) {
  const k = `${locale}|${currency}|${digits}`;
  let f = fmtCache.get(k);
  if (!f) {
    const opts = { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits };
    try {
      f = new Intl.NumberFormat(locale, { ...opts, currencyDisplay: 'narrowSymbol' });
    } catch {
      f = new Intl.NumberFormat(locale, opts); // old engines without narrowSymbol
    }
    fmtCache.set(k, f);
  }
  return f;
}

// 450, "AZN", "ru-RU" → "4,50 ₼"
export function formatMoney(minor, currency, locale = 'ru-RU') {
  const exp = exponent(currency);
  const unit = 10 ** exp;
  const digits = WHOLE_DISPLAY.has(currency) && minor % unit === 0 ? 0 : exp;
  try {
    return formatter(locale, currency, digits).format(minor / unit);
  } catch {
    return `${(minor / unit).toFixed(digits)} ${currency}`;
  }
}

// Minor units as the text an amount field shows ("4,50" in ru, "4.50" in en).
export function toInput(minor, currency, locale = 'ru-RU') {
  const exp = exponent(currency);
  const unit = 10 ** exp;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / unit);
  const frac = abs % unit;
  let sep = '.';
  try {
    sep = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value || '.';
  } catch { /* default */ }
  return exp === 0 || frac === 0 ? `${sign}${whole}` : `${sign}${whole}${sep}${String(frac).padStart(exp, '0')}`;
}

// What a cashier typed ("4,5", "4.50", "1 200", "12") → minor units, or null.
export function parseMoney(text, currency) {
  const exp = exponent(currency);
  const s = String(text ?? '').replace(/[\s\u00a0\u202f']/g, '').replace(',', '.');
  const m = /^(\d{1,13})(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const frac = m[2] || '';
  if (frac.length > exp) return null;
  const v = Number(m[1]) * 10 ** exp + Number((frac + '0'.repeat(exp)).slice(0, exp) || 0);
  return Number.isSafeInteger(v) ? v : null;
}

// minor units of `from` → minor units of `to` at `rate` ("1.7000" = units of
// `to` per 1 unit of `from`), exactly, rounding half away from zero.
export function convert(minor, from, to, rate) {
  if (from === to) return minor;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(rate ?? ''));
  if (!m) return null;
  const frac = m[2] || '';
  let num = BigInt(minor) * BigInt(m[1] + frac);
  let den = 10n ** BigInt(frac.length);
  const shift = exponent(to) - exponent(from);
  if (shift >= 0) num *= 10n ** BigInt(shift); else den *= 10n ** BigInt(-shift);
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  if ((a % den) * 2n >= den) q += 1n;
  const v = Number(neg ? -q : q);
  return Number.isSafeInteger(v) ? v : null;
}

// Banknote-like amounts a customer may hand over for `due`: up to `count`
// round amounts above it, scaled to its size (5, 10, 20, 50 for 4,50 ₼;
// 26 000, 30 000, 40 000, 50 000 for 25 300 sum).
export function quickTenders(due, currency, count = 4) {
  if (!(due > 0)) return [];
  const unit = 10 ** exponent(currency);
  const steps = [1, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
    100000, 200000, 500000, 1000000].map((x) => x * unit);
  const out = [];
  for (const step of steps) {
    if (step * 20 < due) continue;
    const v = Math.ceil(due / step) * step;
    if (v > due && !out.includes(v)) out.push(v);
    if (out.length >= count) break;
  }
  return out.sort((a, b) => a - b);
}
