// The till: screens (activation → PIN → selling → payment → receipt), the
// header with the outbox state, and the wiring to storage and sync.
import { $, $$, h, clear, show, toast, openDialog, closeDialog } from './ui.js';
import { kvGet, kvSet } from './db.js';
import { request, net, isReachable, clientLog, setLogEnabled } from './api.js';
import { formatMoney, parseMoney, toInput, quickTenders, convert } from './money.js';
import {
  Cart, productGroups, activeModifiers, groupRule, validateSelection, chosenModifiers, unitPrice,
  paymentSummary, cashPayment, buildOrder,
} from './cart.js';
import { loadCatalog } from './catalog.js';
import { enqueueOrder, listOutbox, outboxStats, retryRejected, markRevoked } from './outbox.js';
import { startSync, stopSync, kick, pull, setManualOffline, state as syncState } from './sync.js';
import { activate, keyFromScan, pinSignIn, pinLockedFor, loadSession, saveSession } from './auth.js';
import { setLang, getLang, pickLang, locale, t, tn, apply as applyI18n } from './i18n.js';
import { recordSale, startLive, stopLive, setLiveOffline, noteOrder, live } from './ready.js';

const PIN_MAX = 8;

const S = {
  device: null,
  store: null,
  cashier: null, // {user, mode, at}
  catalog: { categories: [], products: [], groupsById: new Map(), rates: new Map() },
  activeCat: null,
  cart: new Cart(),
  payments: [],
  payMethod: 'cash',
  screen: 'loading',
  receipt: null,
  pin: '',
  manualOffline: false,
  stats: { pending: 0, rejected: 0, total: 0, stale: false, ids: new Set() },
  reg: null,
  updateReady: false,
  reloading: false,
  revokedPending: false,
  completing: false,
  pinBusy: false,
  version: '',
  ready: [], // orders of this till the kitchen has ready (js/ready.js)
};

const currency = () => S.store?.base_currency || S.catalog.products[0]?.currency || 'AZN';
const money = (minor, cur = currency()) => formatMoney(minor, cur, locale());
const timeZone = () => S.store?.time_zone || undefined;
const saleOpen = () => S.cart.lines.length > 0 || S.screen === 'pay';

// ------------------------------------------------------------ screens
function showScreen(name) {
  S.screen = name;
  document.body.dataset.screen = name;
  for (const s of $$('.screen')) s.hidden = s.id !== `screen-${name}`;
  document.body.classList.toggle('has-device', !!S.device?.token && !S.device.revoked);
  document.body.classList.toggle('has-cashier', !!S.cashier);
  document.body.classList.remove('cart-open');
  renderHeader();
  renderUpdateBanner();
  renderReady();
}

function renderHeader() {
  $('#store-name').textContent = S.store?.name || t('app.title');
  $('#device-name').textContent = S.device?.name || '';
  $('#cashier-name').textContent = S.cashier ? cashierLabel(S.cashier.user) + (S.cashier.mode === 'offline' ? ` · ${t('pin.offline_badge')}` : '') : '';
  const off = $('#offline-toggle');
  off.setAttribute('aria-checked', String(S.manualOffline));
  off.classList.toggle('is-on', S.manualOffline);
  renderOffline();
}

function cashierLabel(u) {
  if (!u) return '';
  if (u.name) return u.name;
  return String(u.email || '').split('@')[0] || t('pin.cashier');
}

function renderOffline() {
  const reasons = [];
  if (S.manualOffline) reasons.push(t('banner.offline_manual'));
  else if (typeof navigator !== 'undefined' && navigator.onLine === false) reasons.push(t('banner.offline_network'));
  else if (!isReachable()) reasons.push(t('banner.offline_server'));
  const on = reasons.length > 0 && S.screen !== 'loading';
  show('#offline-banner', on);
  $('#offline-reason').textContent = on ? `${reasons.join(' ')} ${t('banner.offline_kept')}` : '';
  document.body.classList.toggle('is-offline', on);
}

// ------------------------------------------------------------ outbox state
async function refreshStats() {
  let all;
  try {
    all = await listOutbox();
  } catch (e) {
    clientLog('error', `outbox read failed: ${e?.message || e}`);
    return;
  }
  const now = Date.now();
  const st = await outboxStats(now);
  S.stats = { ...st, ids: new Set(all.map((e) => e.id)) };
  const n = st.total;
  $('#unsent-count').textContent = String(n);
  const chip = $('#unsent-btn');
  chip.classList.toggle('chip-warn', st.pending > 0 && !st.rejected);
  chip.classList.toggle('chip-danger', st.rejected > 0 || st.stale);
  chip.dataset.count = String(n);
  show('#stale-banner', st.stale);
  if (st.stale) $('#stale-text').textContent = t('banner.stale', { time: timeText(st.oldest) });
  show('#rejected-banner', st.rejected > 0);
  if (st.rejected) $('#rejected-text').textContent = tn('banner.rejected', st.rejected);
  const ao = $('#activate-outbox');
  ao.hidden = n === 0;
  if (n) $('#activate-outbox-text').textContent = tn('activate.outbox_kept', n);
  if ($('#outbox-dialog').open) renderOutboxList(all);
  if (S.screen === 'receipt') renderReceiptStatus();
}

function timeText(iso) {
  if (!iso) return '';
  try {
    return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', timeZone: timeZone() }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleString();
  }
}

async function openOutbox() {
  renderOutboxList(await listOutbox());
  openDialog('#outbox-dialog');
  refreshStats();
}

function renderOutboxList(all) {
  const list = clear($('#outbox-list'));
  const pending = all.filter((e) => e.status !== 'rejected').length;
  const rejected = all.length - pending;
  $('#outbox-summary').textContent = all.length
    ? t('outbox.summary', { pending, rejected })
    : t('outbox.none');
  for (const e of all) {
    const rej = e.status === 'rejected';
    const err = rej ? e.error : null;
    list.append(h('li', { class: ['outbox-item', rej && 'is-rejected'], dataset: { id: e.id, status: e.status } },
      h('div', { class: 'outbox-main' },
        h('strong', { class: 'outbox-num' }, e.local_number || '—'),
        h('span', { class: 'muted' }, timeText(e.order?.created_at || e.queued_at)),
        h('span', { class: 'num' }, e.total !== undefined ? money(e.total, e.currency || currency()) : ''),
        h('span', { class: ['badge', rej ? 'badge-danger' : 'badge-warn'] }, rej ? t('outbox.rejected') : t('outbox.pending'))),
      rej ? h('div', { class: 'outbox-error' },
        `${err?.message || t('outbox.rejected_no_message')}${err?.code ? ` (${err.code}${err.field ? `: ${err.field}` : ''})` : ''}`) : null,
      !rej && e.last_error ? h('div', { class: 'outbox-note muted small' }, t('outbox.last_error', { n: e.attempts || 0, error: e.last_error })) : null,
      rej ? h('div', { class: 'outbox-actions' },
        h('span', { class: 'muted small' }, t('outbox.manager_hint')),
        h('button', {
          type: 'button', class: 'btn btn-sm btn-secondary',
          on: { click: async () => { await retryRejected(e.id); await refreshStats(); kick('retry_rejected', { reset: true }).then(refreshStats); } },
        }, t('outbox.retry'))) : null));
  }
}

// ------------------------------------------------------------ activation
function showActivation(reasonKey) {
  S.cashier = null;
  saveSession(null);
  const err = $('#activate-error');
  err.hidden = !reasonKey;
  err.textContent = reasonKey ? t(reasonKey) : '';
  showScreen('activate');
  refreshStats();
  setTimeout(() => $('#device-key').focus(), 50);
}

async function onActivateSubmit(ev) {
  ev.preventDefault();
  const btn = $('#activate-btn');
  const err = $('#activate-error');
  err.hidden = true;
  btn.disabled = true;
  try {
    const res = await activate($('#device-key').value);
    if (!res.ok) {
      err.textContent = t(`activate.error.${res.reason}`);
      err.hidden = false;
      if (res.reason === 'error') clientLog('warn', `activation failed: ${res.r?.status}`);
      return;
    }
    $('#device-key').value = '';
    S.device = res.device;
    S.revokedPending = false;
    show('#revoked-banner', false);
    toast(t('activate.done', { name: S.device.name || '' }), 'ok');
    await afterActivation();
  } finally {
    btn.disabled = false;
  }
}

async function afterActivation() {
  S.catalog = await loadCatalog();
  fetchStore();
  // (again after a re-activation: the sender stopped when the token was refused)
  setManualOffline(S.manualOffline);
  startSync({
    onOutbox: () => refreshStats(),
    onCatalog: () => reloadCatalog(),
    onRevoked: () => onRevoked(),
    onPullError: () => renderOffline(),
  });
  setLiveOffline(S.manualOffline);
  startLive(S.device.token, { onChange: onReadyChange, onState: onLiveState });
  const sess = loadSession();
  if (sess?.user?.id) {
    S.cashier = sess;
    showSell();
  } else {
    showPin();
  }
}

// GET /api/store: name, base currency, time zone, language; cached.
async function fetchStore() {
  if (S.manualOffline || !S.device?.token) return;
  const r = await request('GET', '/api/store', { token: S.device.token });
  if (r.kind === 'ok' && r.json && typeof r.json === 'object') {
    const prevLang = S.store?.language;
    S.store = r.json;
    await kvSet('store', r.json);
    if (!(await kvGet('lang')) && r.json.language && r.json.language !== prevLang && pickLang(r.json.language) !== getLang()) {
      await changeLang(r.json.language, { remember: false });
    } else {
      renderAll();
    }
  } else if (r.kind === 'unauthorized') {
    await markRevoked();
    onRevoked();
  }
}

async function onRevoked() {
  S.device = await kvGet('device');
  if (S.device && !S.device.revoked) return; // activated again meanwhile
  stopSync();
  stopLive();
  if (saleOpen()) {
    // let the cashier finish the sale in hand: it goes to the outbox anyway
    S.revokedPending = true;
    show('#revoked-banner', true);
    return;
  }
  showActivation('activate.revoked');
}

// ------------------------------------------------------------ PIN
function showPin(errorKey) {
  S.cashier = null;
  saveSession(null);
  S.pin = '';
  renderPin();
  const err = $('#pin-error');
  err.textContent = errorKey ? t(errorKey) : '';
  err.hidden = !errorKey;
  showScreen('pin');
}

function renderPin() {
  const dots = clear($('#pin-dots'));
  const n = Math.max(4, S.pin.length);
  for (let i = 0; i < n; i++) dots.append(h('span', { class: ['pin-dot', i < S.pin.length && 'is-filled'] }));
  dots.dataset.length = String(S.pin.length);
}

async function pinKey(k) {
  if (S.screen !== 'pin' || S.pinBusy) return;
  if (k === 'back') S.pin = S.pin.slice(0, -1);
  else if (k === 'ok') return submitPin();
  else if (/^\d$/.test(k) && S.pin.length < PIN_MAX) S.pin += k;
  $('#pin-error').hidden = true;
  renderPin();
}

async function submitPin() {
  if (S.pin.length < 4) {
    showPinError('pin.error.short');
    return;
  }
  const locked = pinLockedFor();
  if (locked) {
    showPinError('pin.error.locked', { s: Math.ceil(locked / 1000) });
    return;
  }
  S.pinBusy = true;
  $('#keypad').classList.add('is-busy');
  try {
    const offline = S.manualOffline || navigator.onLine === false;
    const res = await pinSignIn(S.pin, { offline });
    S.pin = '';
    renderPin();
    if (res.ok) {
      S.cashier = { user: res.user, mode: res.mode, at: new Date().toISOString() };
      saveSession(S.cashier);
      toast(t(res.mode === 'offline' ? 'pin.welcome_offline' : 'pin.welcome', { name: cashierLabel(res.user) }), 'ok');
      showSell();
      return;
    }
    if (res.reason === 'revoked') {
      await markRevoked();
      onRevoked();
      return;
    }
    showPinError(`pin.error.${res.reason}`, { s: Math.ceil(pinLockedFor() / 1000) });
  } catch (e) {
    clientLog('error', `PIN sign-in threw: ${e?.message || e}`);
    showPinError('pin.error.error');
  } finally {
    S.pinBusy = false;
    $('#keypad').classList.remove('is-busy');
  }
}

function showPinError(key, vars) {
  const err = $('#pin-error');
  err.textContent = t(key, vars);
  err.hidden = false;
}

function lock() {
  if (saleOpen() && !confirmDiscard()) return;
  S.cart.clear();
  S.payments = [];
  showPin();
}

function confirmDiscard() {
  // eslint-disable-next-line no-alert
  return window.confirm(t('sell.confirm_discard'));
}

// ------------------------------------------------------------ catalogue
async function reloadCatalog() {
  S.catalog = await loadCatalog();
  if (S.screen === 'sell') renderCatalog();
}

// The price in the store's currency (a product priced in another currency is
// converted at the latest rate; without one it cannot be sold).
function basePrice(p) {
  const cur = currency();
  if (!p.currency || p.currency === cur) return p.price;
  const r = S.catalog.rates.get(p.currency);
  return r ? convert(p.price, p.currency, cur, r.rate) : null;
}

function visibleCategories() {
  const withProducts = new Set(S.catalog.products.map((p) => p.category_id));
  const cats = S.catalog.categories.filter((c) => withProducts.has(c.id));
  const known = new Set(S.catalog.categories.map((c) => c.id));
  if (S.catalog.products.some((p) => !known.has(p.category_id))) cats.push({ id: '__other', name: t('sell.other') });
  return cats;
}

function renderCatalog() {
  const cats = visibleCategories();
  if (!cats.some((c) => c.id === S.activeCat)) S.activeCat = cats[0]?.id || null;
  const tabs = clear($('#cat-tabs'));
  for (const c of cats) {
    tabs.append(h('button', {
      type: 'button', role: 'tab', class: 'cat-tab', dataset: { id: c.id },
      'aria-selected': String(c.id === S.activeCat),
      on: { click: () => { S.activeCat = c.id; renderCatalog(); } },
    }, c.name));
  }
  const grid = clear($('#products'));
  const known = new Set(S.catalog.categories.map((c) => c.id));
  const list = S.catalog.products.filter((p) => (S.activeCat === '__other' ? !known.has(p.category_id) : p.category_id === S.activeCat));
  for (const p of list) {
    const price = basePrice(p);
    const groups = productGroups(p, S.catalog.groupsById);
    grid.append(h('button', {
      type: 'button', class: ['product', groups.length && 'has-mods'], dataset: { id: p.id },
      disabled: price === null,
      on: { click: () => onProduct(p) },
    },
    h('span', { class: 'product-name' }, p.name),
    h('span', { class: 'product-price num' }, price === null ? t('sell.no_rate') : money(price)),
    groups.length ? h('span', { class: 'product-mods', 'aria-hidden': 'true' }, '+') : null));
  }
  const empty = $('#catalog-empty');
  empty.hidden = S.catalog.products.length > 0;
  empty.textContent = syncState.lastPull?.kind === 'ok' || !syncState.lastPull ? t('sell.catalog_empty') : t('sell.catalog_offline');
}

function onProduct(p) {
  const groups = productGroups(p, S.catalog.groupsById);
  if (groups.length) openModifiers(p, groups);
  else addLine(p, [], '');
}

function addLine(p, mods, note) {
  const base = basePrice(p);
  if (base === null) return;
  S.cart.add({ product_id: p.id, name: p.name, unit_price: unitPrice(base, mods), modifiers: mods, note });
  renderCart();
  const tile = $(`.product[data-id="${CSS.escape(p.id)}"]`);
  tile?.classList.add('is-added');
  setTimeout(() => tile?.classList.remove('is-added'), 250);
}

// ------------------------------------------------------------ modifiers
let modCtx = null;

function openModifiers(p, groups) {
  const base = basePrice(p);
  modCtx = { p, groups, selection: new Map(groups.map((g) => [g.id, new Set()])), lastRadio: new Map() };
  $('#mod-title').textContent = p.name;
  $('#mod-base').textContent = money(base);
  $('#mod-note').value = '';
  const box = clear($('#mod-groups'));
  for (const g of groups) {
    const rule = groupRule(g);
    const single = g.kind === 'single';
    const fs = h('fieldset', { class: 'mod-group', dataset: { id: g.id, kind: g.kind, required: String(!!rule.required) } },
      h('legend', { class: 'mod-legend' },
        h('span', { class: 'mod-group-name' }, g.name),
        h('span', { class: ['mod-rule', rule.required && 'is-required'] }, ruleText(rule, single))));
    const opts = h('div', { class: 'mod-options' });
    for (const m of activeModifiers(g)) {
      const input = h('input', {
        type: single ? 'radio' : 'checkbox', name: `g-${g.id}`, value: m.id, class: 'mod-input',
        id: `m-${g.id}-${m.id}`,
      });
      input.addEventListener('click', () => onModClick(g, m, input, rule));
      opts.append(h('label', { class: 'mod-option', for: input.id, dataset: { id: m.id } },
        input,
        h('span', { class: 'mod-name' }, m.name),
        h('span', { class: 'mod-delta num' }, m.price_delta ? `${m.price_delta > 0 ? '+' : '−'}${money(Math.abs(m.price_delta))}` : '')));
    }
    fs.append(opts, h('p', { class: 'mod-problem', role: 'status' }));
    box.append(fs);
  }
  // a required single group with one choice only: choose it already
  for (const g of groups) {
    const mods = activeModifiers(g);
    if (g.kind === 'single' && groupRule(g).required && mods.length === 1) {
      modCtx.selection.get(g.id).add(mods[0].id);
      const el = $(`#m-${CSS.escape(g.id)}-${CSS.escape(mods[0].id)}`);
      if (el) el.checked = true;
      modCtx.lastRadio.set(g.id, mods[0].id);
    }
  }
  renderModState(false);
  openDialog('#mod-dialog');
}

function ruleText(rule, single) {
  const parts = [];
  parts.push(rule.required ? t('mod.required') : t('mod.optional'));
  if (single) parts.push(t('mod.choose_one'));
  else if (rule.min && rule.max && rule.min === rule.max) parts.push(t('mod.choose_n', { n: rule.min }));
  else if (rule.min && rule.max) parts.push(t('mod.choose_range', { min: rule.min, max: rule.max }));
  else if (rule.min) parts.push(t('mod.choose_min', { n: rule.min }));
  else if (rule.max) parts.push(t('mod.choose_max', { n: rule.max }));
  return parts.join(' · ');
}

function onModClick(g, m, input, rule) {
  const sel = modCtx.selection.get(g.id);
  if (g.kind === 'single') {
    if (modCtx.lastRadio.get(g.id) === m.id && !rule.required) {
      // tapping the chosen option of an optional group clears it
      input.checked = false;
      sel.clear();
      modCtx.lastRadio.delete(g.id);
    } else {
      sel.clear();
      sel.add(m.id);
      modCtx.lastRadio.set(g.id, m.id);
    }
  } else if (input.checked) {
    if (rule.max && sel.size >= rule.max) {
      input.checked = false; // at the maximum: the extra tick does not count
      const fs = input.closest('.mod-group');
      fs.classList.add('shake');
      setTimeout(() => fs.classList.remove('shake'), 300);
    } else sel.add(m.id);
  } else sel.delete(m.id);
  renderModState(true);
}

function renderModState(touched) {
  const { p, groups, selection } = modCtx;
  const v = validateSelection(groups, selection);
  const mods = chosenModifiers(groups, selection);
  const price = unitPrice(basePrice(p), mods);
  $('#mod-price').textContent = money(price);
  for (const fs of $$('.mod-group', $('#mod-groups'))) {
    const problem = v.problems.get(fs.dataset.id);
    const g = groups.find((x) => x.id === fs.dataset.id);
    const rule = groupRule(g);
    const msg = problem ? t(`mod.problem.${problem}`, { min: rule.min, max: rule.max }) : '';
    fs.classList.toggle('has-problem', !!problem && touched);
    fs.querySelector('.mod-problem').textContent = touched ? msg : '';
    fs.dataset.valid = String(!problem);
  }
  $('#mod-add').disabled = !v.ok;
  $('#mod-add').dataset.valid = String(v.ok);
}

function onModSubmit(ev) {
  ev.preventDefault();
  if (!modCtx) return;
  const { p, groups, selection } = modCtx;
  const v = validateSelection(groups, selection);
  if (!v.ok) {
    renderModState(true);
    return;
  }
  addLine(p, chosenModifiers(groups, selection), $('#mod-note').value);
  closeDialog('#mod-dialog');
  modCtx = null;
}

// ------------------------------------------------------------ cart
function showSell() {
  if (S.revokedPending) {
    S.revokedPending = false;
    show('#revoked-banner', false);
    showActivation('activate.revoked');
    return;
  }
  showScreen('sell');
  renderCatalog();
  renderCart();
}

function renderCart() {
  const list = clear($('#cart-lines'));
  for (const l of S.cart.lines) {
    list.append(h('li', { class: 'cart-line', dataset: { key: String(l.key), product: l.product_id } },
      h('div', { class: 'line-main' },
        h('div', { class: 'line-name' }, l.name),
        l.modifiers.length ? h('div', { class: 'line-mods muted' }, l.modifiers.map((m) => m.name).join(', ')) : null,
        l.note ? h('div', { class: 'line-note' }, l.note) : null,
        h('div', { class: 'line-unit muted small num' }, `${l.qty} × ${money(l.unit_price)}`)),
      h('div', { class: 'line-side' },
        h('div', { class: 'line-total num' }, money(l.unit_price * l.qty)),
        h('div', { class: 'qty' },
          h('button', { type: 'button', class: 'qty-btn qty-dec', 'aria-label': t('cart.less'), on: { click: () => { S.cart.dec(l.key); renderCart(); } } }, '−'),
          h('span', { class: 'qty-val num' }, String(l.qty)),
          h('button', { type: 'button', class: 'qty-btn qty-inc', 'aria-label': t('cart.more'), on: { click: () => { S.cart.inc(l.key); renderCart(); } } }, '+')),
        h('div', { class: 'line-actions' },
          h('button', { type: 'button', class: 'link-btn line-note-btn', on: { click: () => openNote(l.key) } }, l.note ? t('cart.edit_note') : t('cart.add_note')),
          h('button', { type: 'button', class: 'link-btn link-danger line-remove', on: { click: () => { S.cart.remove(l.key); renderCart(); } } }, t('cart.remove'))))));
  }
  const empty = S.cart.lines.length === 0;
  show('#cart-empty', empty);
  $('#cart-subtotal').textContent = money(S.cart.subtotal());
  $('#cart-discount').textContent = S.cart.discount ? `−${money(S.cart.discount)}` : '—';
  $('#cart-total').textContent = money(S.cart.total());
  $('#pay-btn').disabled = empty;
  $('#cart-clear').disabled = empty;
  $('#discount-btn').disabled = empty;
  $('#cart-toggle-count').textContent = String(S.cart.count());
  $('#cart-toggle-total').textContent = money(S.cart.total());
  renderUpdateBanner();
}

let noteKey = null;
function openNote(key) {
  const l = S.cart.line(key);
  if (!l) return;
  noteKey = key;
  $('#note-line').textContent = l.name;
  $('#note-text').value = l.note || '';
  openDialog('#note-dialog');
  setTimeout(() => $('#note-text').focus(), 30);
}

function openDiscount() {
  $('#discount-amount').value = S.cart.discount ? toInput(S.cart.discount, currency(), locale()) : '';
  $('#discount-error').hidden = true;
  openDialog('#discount-dialog');
  setTimeout(() => $('#discount-amount').focus(), 30);
}

function saveDiscount(ev) {
  ev.preventDefault();
  const text = $('#discount-amount').value.trim();
  const v = text === '' ? 0 : parseMoney(text, currency());
  const err = $('#discount-error');
  if (v === null || v < 0) {
    err.textContent = t('discount.error.invalid');
    err.hidden = false;
    return;
  }
  if (v > S.cart.subtotal()) {
    err.textContent = t('discount.error.too_big', { max: money(S.cart.subtotal()) });
    err.hidden = false;
    return;
  }
  S.cart.setDiscount(v);
  closeDialog('#discount-dialog');
  renderCart();
}

// ------------------------------------------------------------ payment
function showPay() {
  if (!S.cart.lines.length) return;
  S.payments = [];
  setPayMethod('cash');
  showScreen('pay');
  renderPay();
}

function setPayMethod(m) {
  S.payMethod = m;
  for (const b of $$('.pay-method')) b.setAttribute('aria-selected', String(b.dataset.method === m));
  for (const x of ['cash', 'card', 'qr']) show(`#panel-${x}`, x === m);
  $('#pay-error').hidden = true;
  renderPay();
}

function renderPay() {
  if (S.screen !== 'pay') return;
  const total = S.cart.total();
  const sum = paymentSummary(total, S.payments);
  $('#pay-total').textContent = money(total);
  $('#pay-paid').textContent = money(sum.paid);
  $('#pay-remaining').textContent = money(sum.remaining);
  $('#pay-change').textContent = money(sum.change);
  $('#pay-remaining').closest('div').classList.toggle('is-zero', sum.remaining === 0);
  const list = clear($('#pay-list'));
  S.payments.forEach((p, i) => {
    list.append(h('li', { class: 'pay-item', dataset: { method: p.method } },
      h('span', { class: 'pay-item-method' }, t(`pay.${p.method}`) + (p.card_last4 ? ` •••• ${p.card_last4}` : '')),
      h('span', { class: 'num' }, money(p.amount)),
      p.method === 'cash' && p.tendered !== p.amount
        ? h('span', { class: 'muted small num' }, t('pay.tendered_change', { tendered: money(p.tendered), change: money(p.tendered - p.amount) })) : null,
      h('button', { type: 'button', class: 'link-btn link-danger', on: { click: () => { S.payments.splice(i, 1); renderPay(); } } }, t('cart.remove'))));
  });
  const remaining = sum.remaining;
  for (const sel of ['#card-amount', '#qr-amount']) {
    const el = $(sel);
    if (!el.dataset.touched || remaining === 0) el.value = remaining > 0 ? toInput(remaining, currency(), locale()) : '';
  }
  const quick = clear($('#quick-tenders'));
  if (remaining > 0) {
    quick.append(h('button', { type: 'button', class: 'btn quick-tender quick-exact', dataset: { amount: String(remaining) }, on: { click: () => addCash(remaining) } },
      t('pay.exact'), h('small', { class: 'num' }, money(remaining))));
    for (const v of quickTenders(remaining, currency())) {
      quick.append(h('button', { type: 'button', class: 'btn quick-tender', dataset: { amount: String(v) }, on: { click: () => addCash(v) } }, money(v)));
    }
  }
  updateChangePreview();
  for (const b of ['#cash-add', '#card-add', '#qr-add']) $(b).disabled = remaining <= 0;
  $('#pay-complete').disabled = remaining !== 0 || S.completing;
}

function updateChangePreview() {
  const sum = paymentSummary(S.cart.total(), S.payments);
  const v = parseMoney($('#cash-tendered').value, currency());
  const change = v !== null && v > sum.remaining ? v - sum.remaining : 0;
  $('#cash-change-preview').textContent = money(change);
}

function payError(key, vars) {
  const e = $('#pay-error');
  e.textContent = t(key, vars);
  e.hidden = false;
}

function addCash(tendered) {
  const { remaining } = paymentSummary(S.cart.total(), S.payments);
  if (remaining <= 0) return;
  if (!Number.isSafeInteger(tendered) || tendered <= 0) {
    payError('pay.error.amount');
    return;
  }
  S.payments.push(cashPayment(tendered, remaining, currency()));
  $('#cash-tendered').value = '';
  $('#pay-error').hidden = true;
  renderPay();
}

function addNonCash(method) {
  const { remaining } = paymentSummary(S.cart.total(), S.payments);
  const amountEl = $(`#${method}-amount`);
  const v = parseMoney(amountEl.value, currency());
  if (v === null || v <= 0) return payError('pay.error.amount');
  if (v > remaining) return payError('pay.error.too_much', { max: money(remaining) });
  const p = { method, currency: currency(), amount: v };
  if (method === 'card') {
    const last4 = $('#card-last4').value.trim();
    if (last4 && !/^\d{4}$/.test(last4)) return payError('pay.error.last4');
    if (last4) p.card_last4 = last4;
    $('#card-last4').value = '';
  }
  delete amountEl.dataset.touched;
  S.payments.push(p);
  $('#pay-error').hidden = true;
  renderPay();
  return undefined;
}

// "Pay": the order is built, checked and written to the outbox in one step;
// only then the receipt appears and the sender is woken.
async function completeSale() {
  if (S.completing) return;
  const total = S.cart.total();
  if (paymentSummary(total, S.payments).remaining !== 0) return;
  S.completing = true;
  $('#pay-complete').disabled = true;
  try {
    const order = buildOrder({
      id: crypto.randomUUID(),
      createdAt: new Date().toISOString(),
      cashierId: S.cashier?.user?.id,
      currency: currency(),
      cart: S.cart,
      payments: S.payments,
    });
    const sum = paymentSummary(total, S.payments);
    const receipt = {
      currency: currency(),
      lines: S.cart.lines.map((l) => ({ name: l.name, qty: l.qty, unit_price: l.unit_price, mods: l.modifiers.map((m) => ({ name: m.name, price_delta: m.price_delta })), note: l.note })),
      subtotal: S.cart.subtotal(),
      discount: S.cart.discount,
      total,
      change: sum.change,
      cashier: cashierLabel(S.cashier?.user),
      store: S.store?.name || '',
      device: S.device?.name || '',
    };
    const local = await enqueueOrder(order, {
      deviceName: S.device?.name, timeZone: timeZone(), cashier: receipt.cashier, receipt,
    });
    S.receipt = { ...receipt, id: order.id, local_number: local, created_at: order.created_at, payments: order.payments };
    // for "order ready" (a failure here costs that notice only, never the sale)
    await recordSale({ id: order.id, local_number: local, total, currency: receipt.currency, sold_at: order.created_at })
      .catch((e) => clientLog('warn', `recent order not kept: ${e?.message || e}`));
    S.cart.clear();
    S.payments = [];
    showReceipt();
    refreshStats();
    requestBackgroundSync();
    kick('sale', { reset: true }).then(() => refreshStats());
  } catch (e) {
    clientLog('error', `sale not saved: ${e?.message || e}`);
    payError('pay.error.save', { error: String(e?.message || e).slice(0, 200) });
  } finally {
    S.completing = false;
    renderPay();
  }
}

// ------------------------------------------------------------ orders ready
// The kitchen has them ready: a toast when one becomes ready, and the bar
// under the header listing them until the kitchen marks them served.
function onReadyChange(list, newly) {
  S.ready = list;
  renderReady(new Set(newly.map((e) => e.id)));
  if (newly.length) {
    const nums = newly.map((e) => e.local_number || e.server_number).filter(Boolean);
    toast(nums.length === 1 ? t('ready.toast', { number: nums[0] }) : t('ready.toast_many', { numbers: nums.join(', ') }), 'ok', 8000);
    try { navigator.vibrate?.(200); } catch { /* not offered */ }
  }
}

// The kitchen's event stream connected or lost (shown in the menu).
function onLiveState() {
  document.body.dataset.live = live.connected ? 'on' : 'off';
  if ($('#menu-dialog').open) openMenu();
}

function renderReady(fresh = new Set()) {
  const on = S.ready.length > 0 && !!S.device?.token && !S.device.revoked && !['loading', 'activate'].includes(S.screen);
  show('#ready-bar', on);
  const list = clear($('#ready-list'));
  if (!on) return;
  $('#ready-count').textContent = String(S.ready.length);
  for (const e of S.ready) {
    const server = e.server_number ?? null;
    list.append(h('li', {
      class: ['ready-item', fresh.has(e.id) && 'is-new'],
      dataset: { id: e.id, number: e.local_number || '' },
      title: [server !== null && t('ready.server_number', { number: server }), timeText(e.sold_at),
        typeof e.total === 'number' ? money(e.total, e.currency || currency()) : ''].filter(Boolean).join(' · '),
    },
    h('span', { class: 'ready-num' }, e.local_number || (server !== null ? `№ ${server}` : '—'))));
  }
}

// ------------------------------------------------------------ receipt
function showReceipt() {
  showScreen('receipt');
  renderReceipt();
  renderReceiptStatus();
}

function renderReceipt() {
  const r = S.receipt;
  if (!r) return;
  const m = (v) => money(v, r.currency);
  const row = (left, right, cls) => h('div', { class: ['r-row', cls] }, h('span', {}, left), h('span', { class: 'num' }, right));
  const el = clear($('#receipt'));
  el.append(
    h('div', { class: 'r-center r-store' }, r.store || t('app.title')),
    h('div', { class: 'r-center r-small' }, [r.device, r.cashier && `${t('receipt.cashier')}: ${r.cashier}`].filter(Boolean).join(' · ')),
    h('div', { class: 'r-center r-number', id: 'receipt-number' }, `${t('receipt.order')} ${r.local_number}`),
    h('div', { class: 'r-center r-small' }, h('time', { id: 'receipt-time', datetime: r.created_at }, dateTime(r.created_at))),
    h('hr', { class: 'r-rule' }),
  );
  for (const l of r.lines) {
    el.append(row(`${l.qty} × ${l.name}`, m(l.unit_price * l.qty), 'r-line'));
    for (const md of l.mods) el.append(h('div', { class: 'r-mod' }, `+ ${md.name}${md.price_delta ? ` (${md.price_delta > 0 ? '+' : '−'}${m(Math.abs(md.price_delta))})` : ''}`));
    if (l.qty > 1) el.append(h('div', { class: 'r-mod' }, `${l.qty} × ${m(l.unit_price)}`));
    if (l.note) el.append(h('div', { class: 'r-mod r-note' }, `« ${l.note} »`));
  }
  el.append(h('hr', { class: 'r-rule' }));
  if (r.discount) {
    el.append(row(t('cart.subtotal'), m(r.subtotal)));
    el.append(row(t('cart.discount'), `−${m(r.discount)}`));
  }
  el.append(row(t('receipt.total'), m(r.total), 'r-total'));
  for (const p of r.payments) {
    el.append(row(t(`pay.${p.method}`) + (p.card_last4 ? ` •••• ${p.card_last4}` : ''), m(p.amount)));
    if (p.method === 'cash' && p.tendered !== undefined && p.tendered !== p.amount) el.append(row(`  ${t('pay.tendered_short')}`, m(p.tendered), 'r-sub'));
  }
  if (r.change) el.append(row(t('pay.change'), m(r.change), 'r-total'));
  el.append(h('hr', { class: 'r-rule' }),
    h('div', { class: 'r-center r-small' }, t('receipt.thanks')),
    h('div', { class: 'r-center r-tiny', id: 'receipt-id' }, r.id));
}

function renderReceiptStatus() {
  const r = S.receipt;
  if (!r) return;
  const queued = S.stats.ids?.has(r.id);
  const el = $('#receipt-status');
  el.textContent = queued ? t('receipt.queued')
    : r.server_number ? t('receipt.sent_number', { number: r.server_number }) : t('receipt.sent');
  el.className = `receipt-status ${queued ? 'is-queued' : 'is-sent'}`;
  el.dataset.state = queued ? 'queued' : 'sent';
  if (!queued && r.server_number === undefined) fetchServerNumber(r);
}

// The server's number of the order on screen, once it has the order.
async function fetchServerNumber(r) {
  r.server_number = null; // asked once
  if (!S.device?.token || S.manualOffline) return;
  const res = await request('GET', `/api/orders/${encodeURIComponent(r.id)}`, { token: S.device.token });
  if (res.kind === 'ok') noteOrder(res.json);
  if (res.kind === 'ok' && res.json?.number !== undefined && res.json?.number !== null) {
    r.server_number = res.json.number;
    if (S.receipt === r) renderReceiptStatus();
  }
}

function dateTime(iso) {
  try {
    return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'short', timeZone: timeZone() }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleString();
  }
}

function newOrder() {
  S.receipt = null;
  showSell();
}

// ------------------------------------------------------------ service worker
async function registerSW() {
  if (!('serviceWorker' in navigator)) return;
  try {
    const reg = await navigator.serviceWorker.register('./sw.js', { scope: './', type: 'module' });
    S.reg = reg;
    const watch = (w) => w?.addEventListener('statechange', () => {
      if (w.state === 'installed' && navigator.serviceWorker.controller) { S.updateReady = true; renderUpdateBanner(); }
    });
    if (reg.waiting && navigator.serviceWorker.controller) { S.updateReady = true; renderUpdateBanner(); }
    watch(reg.installing);
    reg.addEventListener('updatefound', () => watch(reg.installing));
    navigator.serviceWorker.addEventListener('controllerchange', () => { if (S.reloading) location.reload(); });
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data?.type === 'outbox-changed') refreshStats();
      if (e.data?.type === 'device-revoked') onRevoked();
      if (e.data?.type === 'VERSION') S.version = e.data.version;
    });
    const askVersion = () => navigator.serviceWorker.controller?.postMessage({ type: 'VERSION' });
    askVersion();
    navigator.serviceWorker.addEventListener('controllerchange', askVersion);
    setInterval(() => reg.update().catch(() => {}), 15 * 60 * 1000);
  } catch (e) {
    clientLog('warn', `service worker registration failed: ${e?.message || e}`);
  }
}

function renderUpdateBanner() {
  const on = S.updateReady;
  show('#update-banner', on);
  if (!on) return;
  const busy = saleOpen();
  $('#update-reload').disabled = busy;
  show('#update-wait', busy);
}

function applyUpdate() {
  if (saleOpen()) { renderUpdateBanner(); return; }
  S.reloading = true;
  const w = S.reg?.waiting;
  if (w) w.postMessage({ type: 'SKIP_WAITING' }); else location.reload();
}

async function requestBackgroundSync() {
  try {
    if (S.reg?.sync && !S.manualOffline) await S.reg.sync.register('outbox');
  } catch { /* not offered (Safari) or not allowed: the page's timer sends */ }
}

// ------------------------------------------------------------ menu, language
function openMenu() {
  for (const b of $$('#lang-buttons .seg')) b.setAttribute('aria-pressed', String(b.dataset.lang === getLang()));
  const about = clear($('#about'));
  const item = (k, v) => about.append(h('div', {}, h('dt', {}, t(k)), h('dd', {}, v || '—')));
  item('menu.store', S.store?.name);
  item('menu.device', S.device?.name);
  item('menu.version', S.version);
  item('menu.last_sync', syncState.lastResult?.at ? timeText(syncState.lastResult.at) : '');
  item('menu.live', t(live.connected ? 'menu.live_on' : 'menu.live_off'));
  openDialog('#menu-dialog');
}

async function changeLang(l, { remember = true } = {}) {
  if (remember) await kvSet('lang', l);
  await setLang(l);
  applyI18n();
  renderAll();
  if ($('#menu-dialog').open) openMenu();
}

function renderAll() {
  renderHeader();
  if (S.screen === 'sell') { renderCatalog(); renderCart(); }
  if (S.screen === 'pay') renderPay();
  if (S.screen === 'receipt') { renderReceipt(); renderReceiptStatus(); }
  if (S.screen === 'pin') renderPin();
  renderReady();
  refreshStats();
}

// ------------------------------------------------------------ QR scanning
let scan = null;
async function startScan() {
  const err = $('#scan-error');
  err.hidden = true;
  openDialog('#scan-dialog');
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    const video = $('#scan-video');
    video.srcObject = stream;
    await video.play();
    // eslint-disable-next-line no-undef
    const detector = new BarcodeDetector({ formats: ['qr_code'] });
    scan = { stream, timer: null };
    const tick = async () => {
      if (!scan) return;
      try {
        const codes = await detector.detect(video);
        const key = codes.map((c) => keyFromScan(c.rawValue)).find(Boolean);
        if (key) {
          stopScan();
          $('#device-key').value = key;
          $('#activate-form').requestSubmit();
          return;
        }
      } catch { /* next frame */ }
      scan.timer = setTimeout(tick, 250);
    };
    tick();
  } catch (e) {
    err.textContent = t('activate.scan_failed');
    err.hidden = false;
  }
}

function stopScan() {
  if (scan) {
    clearTimeout(scan.timer);
    for (const tr of scan.stream.getTracks()) tr.stop();
    scan = null;
  }
  $('#scan-video').srcObject = null;
  closeDialog('#scan-dialog');
}

// ------------------------------------------------------------ events
function bind() {
  $('#activate-form').addEventListener('submit', onActivateSubmit);
  if ('BarcodeDetector' in window && navigator.mediaDevices?.getUserMedia) {
    $('#scan-btn').hidden = false;
    $('#scan-btn').addEventListener('click', startScan);
  }
  $('#scan-cancel').addEventListener('click', stopScan);
  $('#scan-dialog').addEventListener('close', () => { if (scan) stopScan(); });

  $('#keypad').addEventListener('click', (e) => {
    const b = e.target.closest('.pin-key');
    if (b) pinKey(b.dataset.key);
  });
  document.addEventListener('keydown', (e) => {
    if (S.screen !== 'pin' || document.querySelector('dialog[open]')) return;
    if (/^\d$/.test(e.key)) pinKey(e.key);
    else if (e.key === 'Backspace') pinKey('back');
    else if (e.key === 'Enter') pinKey('ok');
  });

  $('#unsent-btn').addEventListener('click', openOutbox);
  $('#stale-show').addEventListener('click', openOutbox);
  $('#rejected-show').addEventListener('click', openOutbox);
  $('#activate-outbox-show').addEventListener('click', openOutbox);
  $('#outbox-close').addEventListener('click', () => closeDialog('#outbox-dialog'));
  const syncNow = async () => {
    if (S.manualOffline) { toast(t('sync.manual_offline'), 'warn'); return; }
    for (const b of [$('#sync-now'), $('#outbox-sync')]) b.disabled = true;
    try {
      const res = await kick('manual', { reset: true });
      pull('manual').then(() => renderOffline());
      await refreshStats();
      const msg = {
        done: res?.sent ? tn('sync.sent', res.sent) : t('sync.nothing'),
        offline: t('sync.offline'),
        busy: t('sync.busy'),
        revoked: t('activate.revoked'),
      }[res?.result] || t('sync.failed', { error: res?.error || '' });
      toast(msg, res?.result === 'done' ? 'ok' : 'warn');
    } finally {
      for (const b of [$('#sync-now'), $('#outbox-sync')]) b.disabled = false;
    }
  };
  $('#sync-now').addEventListener('click', syncNow);
  $('#outbox-sync').addEventListener('click', syncNow);
  $('#offline-toggle').addEventListener('click', async () => {
    S.manualOffline = !S.manualOffline;
    setLogEnabled(!S.manualOffline);
    renderHeader();
    await kvSet('offline_manual', S.manualOffline); // the service worker's sender reads it there
    setManualOffline(S.manualOffline);
    setLiveOffline(S.manualOffline);
    if (!S.manualOffline) fetchStore();
  });
  $('#lock-btn').addEventListener('click', lock);
  $('#menu-btn').addEventListener('click', openMenu);
  $('#menu-close').addEventListener('click', () => closeDialog('#menu-dialog'));
  $('#lang-buttons').addEventListener('click', (e) => {
    const b = e.target.closest('[data-lang]');
    if (b) changeLang(b.dataset.lang);
  });
  $('#update-reload').addEventListener('click', applyUpdate);

  $('#mod-form').addEventListener('submit', onModSubmit);
  $('#mod-cancel').addEventListener('click', () => { closeDialog('#mod-dialog'); modCtx = null; });
  $('#note-form').addEventListener('submit', (e) => {
    e.preventDefault();
    S.cart.setNote(noteKey, $('#note-text').value);
    closeDialog('#note-dialog');
    renderCart();
  });
  $('#note-cancel').addEventListener('click', () => closeDialog('#note-dialog'));
  $('#discount-btn').addEventListener('click', openDiscount);
  $('#discount-form').addEventListener('submit', saveDiscount);
  $('#discount-cancel').addEventListener('click', () => closeDialog('#discount-dialog'));
  $('#discount-remove').addEventListener('click', () => { S.cart.setDiscount(0); closeDialog('#discount-dialog'); renderCart(); });
  $('#cart-clear').addEventListener('click', () => { if (confirmDiscard()) { S.cart.clear(); renderCart(); } });
  $('#pay-btn').addEventListener('click', showPay);
  $('#cart-toggle').addEventListener('click', () => document.body.classList.toggle('cart-open'));
  $('#cart-close').addEventListener('click', () => document.body.classList.remove('cart-open'));

  $('#pay-methods').addEventListener('click', (e) => {
    const b = e.target.closest('.pay-method');
    if (b) setPayMethod(b.dataset.method);
  });
  $('#pay-back').addEventListener('click', () => { S.payments = []; showSell(); });
  $('#cash-tendered').addEventListener('input', updateChangePreview);
  $('#cash-add').addEventListener('click', () => {
    const v = parseMoney($('#cash-tendered').value, currency());
    if (v === null || v <= 0) { payError('pay.error.amount'); return; }
    addCash(v);
  });
  for (const m of ['card', 'qr']) {
    $(`#${m}-amount`).addEventListener('input', (e) => { e.target.dataset.touched = '1'; });
    $(`#${m}-add`).addEventListener('click', () => addNonCash(m));
  }
  $('#card-last4').addEventListener('input', (e) => { e.target.value = e.target.value.replace(/\D/g, '').slice(0, 4); });
  $('#pay-complete').addEventListener('click', completeSale);
  $('#print-btn').addEventListener('click', () => window.print());
  $('#new-order-btn').addEventListener('click', newOrder);

  addEventListener('online', renderOffline);
  addEventListener('offline', renderOffline);
  net.addEventListener('reachable', () => { renderOffline(); if (S.device?.token && !S.store) fetchStore(); });
  net.addEventListener('unreachable', renderOffline);
  addEventListener('beforeunload', (e) => {
    if (saleOpen()) { e.preventDefault(); e.returnValue = ''; }
  });
}

function reportErrors() {
  addEventListener('error', (e) => clientLog('error', `${e.message || 'error'} at ${e.filename || '?'}:${e.lineno || 0}:${e.colno || 0}`));
  addEventListener('unhandledrejection', (e) => clientLog('error', `unhandled rejection: ${e.reason?.stack || e.reason?.message || e.reason}`));
}

// ------------------------------------------------------------ start
async function boot() {
  reportErrors();
  registerSW();
  try { navigator.storage?.persist?.().catch(() => {}); } catch { /* not offered */ }
  S.manualOffline = !!(await kvGet('offline_manual'));
  setLogEnabled(!S.manualOffline);
  S.device = await kvGet('device');
  S.store = await kvGet('store');
  await setLang(pickLang(await kvGet('lang'), S.store?.language, navigator.language));
  applyI18n();
  bind();
  await refreshStats();
  setInterval(refreshStats, 15000);
  if (!S.device?.token || S.device.revoked) showActivation(S.device?.revoked ? 'activate.revoked' : null);
  else await afterActivation();
  document.body.classList.add('is-ready');
}

boot().catch((e) => {
  clientLog('error', `till start failed: ${e?.stack || e}`);
  document.body.dataset.screen = 'error';
  const box = $('#screen-loading');
  box.hidden = false;
  box.append(h('p', { class: 'form-error' }, String(e?.message || e)));
});
