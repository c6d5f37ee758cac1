// The sale being rung up: modifier rules, cart lines, discount, payments and
// the order body of API.md "POST /api/orders".  All money in integer minor
// units of the store's base currency, so that the server's check
//   Σ(unit_price × qty) − discount = total = Σ payments.amount
// holds exactly.  Pure: imported by the page and by the Node tests.

// ------------------------------------------------------------ modifiers
export const activeModifiers = (g) => (g?.modifiers || []).filter((m) => m && m.is_active !== false);

// The groups a product shows in its modifier dialog, in its order.
export function productGroups(product, groupsById) {
  return (product?.modifier_group_ids || [])
    .map((id) => groupsById.get(id))
    .filter((g) => g && g.is_active !== false && activeModifiers(g).length > 0);
}

// {min, max} a group demands (max 0 = no upper limit).  "single" allows one;
// "required" needs at least one; a group that is not required may stay empty
// even when it has a min.
export function groupRule(g) {
  const n = activeModifiers(g).length;
  let max = Number.isInteger(g.max) && g.max > 0 ? g.max : 0;
  if (g.kind === 'single') max = 1;
  if (max > n) max = n;
  let min = Number.isInteger(g.min) && g.min > 0 ? g.min : 0;
  if (g.required) min = Math.max(min, 1);
  if (max && min > max) min = max; // inconsistent data must not lock the till
  if (min > n) min = n;
  return { min, max, required: !!g.required };
}

// null when `count` choices satisfy the group, else "required" | "min" | "max".
export function checkGroup(g, count) {
  const { min, max, required } = groupRule(g);
  if (max && count > max) return 'max';
  if (count === 0) return required ? 'required' : null;
  if (count < min) return 'min';
  return null;
}

// selection: Map groupId → Set of modifier ids.  {ok, problems: Map groupId → code}
export function validateSelection(groups, selection) {
  const problems = new Map();
  for (const g of groups) {
    const chosen = selection.get(g.id) || new Set();
    const valid = new Set(activeModifiers(g).map((m) => m.id));
    const count = [...chosen].filter((id) => valid.has(id)).length;
    const p = checkGroup(g, count);
    if (p) problems.set(g.id, p);
  }
  return { ok: problems.size === 0, problems };
}

// The chosen modifiers, in the groups' order: [{id, name, price_delta, group_id}]
export function chosenModifiers(groups, selection) {
  const out = [];
  for (const g of groups) {
    const chosen = selection.get(g.id);
    if (!chosen) continue;
    for (const m of activeModifiers(g)) {
      if (chosen.has(m.id)) out.push({ id: m.id, name: m.name, price_delta: m.price_delta | 0, group_id: g.id });
    }
  }
  return out;
}

// What one unit costs: the product's price plus its modifiers' deltas.
export function unitPrice(basePrice, modifiers) {
  return modifiers.reduce((s, m) => s + (m.price_delta | 0), basePrice);
}

// ------------------------------------------------------------ cart
const sameMods = (a, b) => a.length === b.length && a.every((m, i) => m.id === b[i].id && m.price_delta === b[i].price_delta);

export class Cart {
  constructor() {
    this.lines = [];
    this.discount = 0;
    this.seq = 0;
  }

  // line: {product_id, name, unit_price, modifiers:[{id, name, price_delta}], note?}
  // An equal line without a note gets one more unit instead of a new line.
  add(line) {
    const note = (line.note || '').trim();
    const twin = !note && this.lines.find((l) => l.product_id === line.product_id && !l.note
      && l.unit_price === line.unit_price && sameMods(l.modifiers, line.modifiers));
    if (twin) {
      twin.qty += 1;
      return twin;
    }
    const l = {
      key: ++this.seq,
      product_id: line.product_id,
      name: line.name,
      unit_price: line.unit_price,
      modifiers: line.modifiers.map((m) => ({ id: m.id, name: m.name, price_delta: m.price_delta })),
      qty: 1,
      note,
    };
    this.lines.push(l);
    this.clampDiscount();
    return l;
  }

  line(key) { return this.lines.find((l) => l.key === key); }

  setQty(key, qty) {
    const l = this.line(key);
    if (!l) return;
    if (!Number.isInteger(qty) || qty < 1) this.remove(key);
    else l.qty = Math.min(qty, 9999);
    this.clampDiscount();
  }

  inc(key) { const l = this.line(key); if (l) this.setQty(key, l.qty + 1); }
  dec(key) { const l = this.line(key); if (l) this.setQty(key, l.qty - 1); }

  remove(key) {
    this.lines = this.lines.filter((l) => l.key !== key);
    this.clampDiscount();
  }

  setNote(key, note) {
    const l = this.line(key);
    if (l) l.note = String(note || '').trim().slice(0, 1000);
  }

  count() { return this.lines.reduce((s, l) => s + l.qty, 0); }
  subtotal() { return this.lines.reduce((s, l) => s + l.unit_price * l.qty, 0); }

  setDiscount(amount) {
    this.discount = Number.isSafeInteger(amount) && amount > 0 ? amount : 0;
    this.clampDiscount();
  }

  clampDiscount() {
    const sub = this.subtotal();
    if (this.discount > sub) this.discount = sub;
  }

  total() { return this.subtotal() - this.discount; }

  clear() {
    this.lines = [];
    this.discount = 0;
  }
}

// ------------------------------------------------------------ payments
// {paid, remaining, change}: change is what the cash payments hand back.
export function paymentSummary(total, payments) {
  let paid = 0;
  let change = 0;
  for (const p of payments) {
    paid += p.amount;
    if (p.method === 'cash' && Number.isSafeInteger(p.tendered)) change += p.tendered - p.amount;
  }
  return { paid, remaining: total - paid, change };
}

// A cash payment for what the customer handed over: it pays at most what is
// left; the rest is change.
export function cashPayment(tendered, remaining, currency) {
  return { method: 'cash', currency, amount: Math.min(tendered, remaining), tendered };
}

// ------------------------------------------------------------ the order
// The body of POST /api/orders (and of each order in /api/sync/push), with no
// field the API does not define.  Throws when the numbers do not add up, so
// that a broken order never reaches the outbox.
export function buildOrder({ id, createdAt, cashierId, currency, cart, payments, note }) {
  const lines = cart.lines.map((l) => {
    const o = {
      product_id: l.product_id,
      qty: l.qty,
      unit_price: l.unit_price,
      modifiers: l.modifiers.map((m) => ({ id: m.id, price_delta: m.price_delta })),
    };
    if (l.note) o.note = l.note.slice(0, 1000);
    return o;
  });
  const pays = payments.map((p) => {
    const o = { method: p.method, currency, amount: p.amount };
    if (p.method === 'cash' && Number.isSafeInteger(p.tendered)) o.tendered = p.tendered;
    if (p.method === 'card' && p.card_last4) o.card_last4 = p.card_last4;
    return o;
  });
  const order = { id, created_at: createdAt };
  if (cashierId) order.cashier_id = cashierId;
  order.lines = lines;
  order.discount = cart.discount;
  order.payments = pays;
  if (note) order.note = String(note).slice(0, 1000);
  checkOrder(order);
  return order;
}

// Throws an Error naming the first broken rule.
export function checkOrder(o) {
  const int = (v, min) => Number.isSafeInteger(v) && v >= min;
  if (!o.lines.length) throw new Error('order: no lines');
  for (const l of o.lines) {
    if (!int(l.qty, 1)) throw new Error('order: qty must be an integer ≥ 1');
    if (!int(l.unit_price, 0)) throw new Error('order: unit_price must be an integer ≥ 0');
    for (const m of l.modifiers) if (!Number.isSafeInteger(m.price_delta)) throw new Error('order: price_delta');
  }
  if (!int(o.discount, 0)) throw new Error('order: discount must be an integer ≥ 0');
  const total = o.lines.reduce((s, l) => s + l.unit_price * l.qty, 0) - o.discount;
  if (total < 0) throw new Error('order: discount above the subtotal');
  let paid = 0;
  for (const p of o.payments) {
    if (!['cash', 'card', 'qr'].includes(p.method)) throw new Error('order: payment method');
    if (!int(p.amount, 1)) throw new Error('order: payment amount must be an integer ≥ 1');
    if (p.tendered !== undefined && !(int(p.tendered, 0) && p.tendered >= p.amount)) throw new Error('order: tendered below amount');
    if (p.card_last4 !== undefined && !/^\d{4}$/.test(p.card_last4)) throw new Error('order: card_last4');
    paid += p.amount;
  }
  if (paid !== total) throw new Error(`order: payments ${paid} ≠ total ${total}`);
  return total;
}

export const orderTotal = (o) => o.lines.reduce((s, l) => s + l.unit_price * l.qty, 0) - (o.discount || 0);
