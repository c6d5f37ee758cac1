// Live figures on the dashboard home.  The page is complete without this
// script; with it, an "order" event from the store's stream (/api/events,
// authenticated by the page's session cookie) fetches the figures' HTML
// again (/dashboard?fragment=figures, rendered on the server) and swaps it
// in: at most one fetch a second, and one more after a burst so the last
// order is always shown.  A reconnect refreshes too, since events may have
// been missed while the stream was down.
(() => {
  'use strict';
  const box = document.getElementById('figures');
  if (!box || typeof window.EventSource !== 'function') return;

  const MIN_GAP_MS = 1000;
  let last = 0;
  let timer = null;
  let busy = false;
  let again = false;

  async function refresh() {
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    last = Date.now();
    try {
      const r = await fetch('/dashboard?fragment=figures', {
        credentials: 'same-origin',
        headers: { accept: 'text/html' },
        cache: 'no-store',
      });
      // a lapsed session answers with the sign-in page: keep what is shown
      if (r.ok && !r.redirected && (r.headers.get('content-type') || '').startsWith('text/html')) {
        box.innerHTML = await r.text();
        box.dataset.updatedAt = new Date().toISOString();
      }
    } catch {
      // offline for a moment: the next event tries again
    } finally {
      busy = false;
      if (again) { again = false; schedule(); }
    }
  }

  function schedule() {
    if (timer !== null) return;
    timer = setTimeout(refresh, Math.max(0, last + MIN_GAP_MS - Date.now()));
  }

  let opened = false;
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => {
    if (opened) schedule();
    opened = true;
  });
  es.addEventListener('message', (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    if (ev && ev.type === 'order') schedule();
  });
})();
