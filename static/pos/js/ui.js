// Small DOM helpers: elements are built with createElement and textContent
// only (names from the server never become markup), and styled by classes
// only (the CSP allows no inline styles).
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// h('button', {class: 'btn', type: 'button', dataset: {id}, on: {click}}, 'text', child...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function show(el, on = true) {
  if (typeof el === 'string') el = $(el);
  if (el) el.hidden = !on;
}

let toastTimer = null;
export function toast(text, kind = 'info', ms = 3500) {
  const el = $('#toast');
  if (!el) return;
  el.textContent = text;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

export function openDialog(d) {
  if (typeof d === 'string') d = $(d);
  if (!d.open) {
    if (typeof d.showModal === 'function') d.showModal(); else d.setAttribute('open', '');
  }
  return d;
}

export function closeDialog(d) {
  if (typeof d === 'string') d = $(d);
  if (d?.open) {
    if (typeof d.close === 'function') d.close(); else d.removeAttribute('open');
  }
}
