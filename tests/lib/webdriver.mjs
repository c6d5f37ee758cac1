// A small W3C WebDriver client over node's fetch, and the WebKit it drives:
// Debian's WebKitGTK (MiniBrowser) through WebKitWebDriver (package
// webkit2gtk-driver) on a private Xvfb display (package xvfb; xauth only
// matters to xvfb-run, which is not used here).
//
//   const wk = await startWebKit({ logDir, window: { width: 1180, height: 820 } });
//   try {
//     await wk.navigate(`${BASE}/pos/`);
//     const el = await wk.find('#device-key');
//     await wk.sendKeys(el, 'ABCDE-...');
//     await wk.click('#activate-btn');
//     await wk.screenshot('/tmp/x.png');
//   } finally {
//     await wk.close();                                // always: session, driver, Xvfb
//   }
//
// WebKitGTK is the engine of Safari: service workers, IndexedDB, Web Locks,
// but no Background Sync (no SyncManager) and no navigator.storage.persist.
// Every process started here is also killed when node exits, whatever happens.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MINIBROWSER = process.env.WEBKIT_MINIBROWSER
  || ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser']
    .find((p) => existsSync(p))
  || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const DRIVER = process.env.WEBKIT_WEBDRIVER || 'WebKitWebDriver';
export const XVFB = process.env.XVFB || 'Xvfb';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function onPath(cmd) {
  if (cmd.includes('/')) return existsSync(cmd);
  return spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;
}

// Can WebKit run here?  { ok: true } or { ok: false, reason }.
export function webkitAvailable() {
  const missing = [];
  if (!onPath(XVFB)) missing.push(`${XVFB} (package xvfb)`);
  if (!onPath(DRIVER)) missing.push(`${DRIVER} (package webkit2gtk-driver)`);
  if (!existsSync(MINIBROWSER)) missing.push(`${MINIBROWSER} (package libwebkit2gtk-4.1-0, pulled in by webkit2gtk-driver)`);
  return missing.length ? { ok: false, reason: `WebKit cannot run: missing ${missing.join(', ')}; scripts/deps.sh installs them` } : { ok: true };
}

// ------------------------------------------------------------ processes
// Process groups started by this module, killed on exit as a last resort.
// (They run in process groups of their own, so a Ctrl-C in the terminal does
// not reach them: it is passed on here.)
const groups = new Set();
const killAll = () => { for (const pid of groups) killGroup(pid, 'SIGKILL'); };
process.on('exit', killAll);
let signalsHooked = false;
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.once(sig, () => { killAll(); process.exit(code); });
  }
}

function killGroup(pid, sig = 'SIGTERM') {
  try { process.kill(-pid, sig); } catch { /* gone */ }
}

async function stopGroup(child, ms = 3000) {
  if (!child?.pid) return;
  const pid = child.pid;
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    killGroup(pid, 'SIGTERM');
    if (await Promise.race([gone.then(() => true), sleep(ms).then(() => false)]) === false) {
      killGroup(pid, 'SIGKILL');
      await Promise.race([gone, sleep(1000)]);
    }
  }
  // the group may still hold children (browser, web processes) of a dead leader
  killGroup(pid, 'SIGKILL');
  groups.delete(pid);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Xvfb on a display it picks itself (-displayfd): { child, display }.
async function startXvfb({ width, height, log }) {
  const out = openSync(log, 'a');
  const child = spawn(XVFB, ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], {
    stdio: ['ignore', out, out, 'pipe'], detached: true,
  });
  closeSync(out);
  groups.add(child.pid);
  const display = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display within 10 s (see ${log})`)), 10000);
    child.stdio[3].on('data', (d) => {
      buf += d;
      const m = buf.match(/^(\d+)\n/);
      if (m) { clearTimeout(timer); resolve(`:${m[1]}`); }
    });
    child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code ?? sig}); see ${log}`)); });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
  child.stdio[3].destroy();
  child.unref();
  return { child, display };
}

// ------------------------------------------------------------ WebDriver
export class WebDriverError extends Error {
  constructor(method, url, status, value) {
    super(`WebDriver ${method} ${url}: ${status} ${value?.error || ''}: ${String(value?.message || JSON.stringify(value)).slice(0, 800)}`);
    this.status = status;
    this.error = value?.error;
    this.value = value;
  }
}

// One session: commands by name.  Elements are {ELEMENT: id} references as
// WebDriver returns them; wherever an element is wanted, a CSS selector works too.
export class Session {
  constructor(base, id, caps) {
    this.base = base;
    this.id = id;
    this.capabilities = caps;
  }

  // One command; a driver that does not answer within `timeout` ms is an
  // error (a hung browser must not hang the test).
  async cmd(method, url, body, { timeout = 60000 } = {}) {
    const full = `${this.base}/session/${this.id}${url}`;
    const res = await fetch(full, {
      method,
      signal: AbortSignal.timeout(timeout),
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    if (!res.ok) throw new WebDriverError(method, url, res.status, json?.value ?? text);
    return json?.value;
  }

  navigate(url) { return this.cmd('POST', '/url', { url }); }
  url() { return this.cmd('GET', '/url'); }
  title() { return this.cmd('GET', '/title'); }
  refresh() { return this.cmd('POST', '/refresh', {}); }
  setTimeouts(t) { return this.cmd('POST', '/timeouts', t); }
  setWindowRect(r) { return this.cmd('POST', '/window/rect', r); }

  async el(target) {
    return typeof target === 'string' ? this.find(target) : target;
  }

  static id(el) { return el?.[ELEMENT]; }

  find(css) { return this.cmd('POST', '/element', { using: 'css selector', value: css }); }
  findAll(css) { return this.cmd('POST', '/elements', { using: 'css selector', value: css }); }
  async click(target) { return this.cmd('POST', `/element/${Session.id(await this.el(target))}/click`, {}); }
  async clear(target) { return this.cmd('POST', `/element/${Session.id(await this.el(target))}/clear`, {}); }
  async sendKeys(target, text) {
    return this.cmd('POST', `/element/${Session.id(await this.el(target))}/value`, { text: String(text) });
  }
  async text(target) { return this.cmd('GET', `/element/${Session.id(await this.el(target))}/text`); }
  async property(target, name) { return this.cmd('GET', `/element/${Session.id(await this.el(target))}/property/${name}`); }
  async displayed(target) { return this.cmd('GET', `/element/${Session.id(await this.el(target))}/displayed`); }

  // Runs a function body in the page; arguments as `arguments[i]`.
  exec(script, ...args) { return this.cmd('POST', '/execute/sync', { script, args }); }
  // Same, the last argument is the callback that ends it.
  execAsync(script, ...args) { return this.cmd('POST', '/execute/async', { script, args }); }
  // An async function body (may `await`); resolves with its value, or throws
  // with the page's error message.
  async run(body, ...args) {
    const r = await this.execAsync(`const done = arguments[arguments.length - 1];
      (async (...args) => { ${body} })(...Array.prototype.slice.call(arguments, 0, -1))
        .then((v) => done({ ok: true, v }), (e) => done({ ok: false, e: String(e && (e.stack || e.message) || e) }));`, ...args);
    if (!r?.ok) throw new Error(`in the page: ${r?.e}`);
    return r.v;
  }

  // Polls fn() (node side) until truthy; throws with `what` after timeout.
  async waitFor(fn, { timeout = 10000, step = 150, what = 'condition' } = {}) {
    const end = Date.now() + timeout;
    let last;
    let err;
    while (Date.now() < end) {
      try { last = await fn(); err = null; } catch (e) { err = e; last = null; }
      if (last) return last;
      await sleep(step);
    }
    throw new Error(`timed out after ${timeout} ms waiting for ${what}${err ? ` (last error: ${err.message})` : ''}${last !== undefined && last !== null ? ` (last value: ${JSON.stringify(last)})` : ''}`);
  }

  // Waits until `expr` (a page expression) is truthy; resolves with its value.
  waitForExpr(expr, opts = {}) {
    return this.waitFor(() => this.exec(`return (${expr});`), { what: expr, ...opts });
  }

  // A PNG of the viewport.  WebKitGTK hands back the last frame it presented,
  // which may be older than the DOM: two animation frames first, so the
  // picture shows what the test just checked.
  async screenshot(file, { settle = true } = {}) {
    if (settle) {
      await this.execAsync(`const done = arguments[arguments.length - 1];
        requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0)));`).catch(() => {});
    }
    const b64 = await this.cmd('GET', '/screenshot');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(b64, 'base64'));
    return file;
  }

  delete() { return this.cmd('DELETE', ''); }
}

// Xvfb + WebKitWebDriver + a MiniBrowser session.  Resolves with the Session,
// extended by close() (idempotent) and logs/display/port.  On any failure
// everything already started is torn down before the error is thrown.
export async function startWebKit({
  width = 1280, height = 900, window, logDir, args = [], extraCapabilities = {}, env: extraEnv = {},
  sessionTimeout = 30000,
} = {}) {
  const avail = webkitAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  hookSignals();
  const tmp = mkdtempSync(path.join(tmpdir(), 'pos-webkit-'));
  const logs = logDir || tmp;
  mkdirSync(logs, { recursive: true });
  const xlog = path.join(logs, 'xvfb.log');
  const dlog = path.join(logs, 'webkitwebdriver.log');
  for (const f of [xlog, dlog]) writeFileSync(f, ''); // this run's only
  let xvfb = null;
  let driver = null;
  let session = null;
  let closed = false;

  const close = async () => {
    if (closed) return;
    closed = true;
    if (session) {
      try { await Promise.race([session.delete(), sleep(5000)]); } catch { /* the driver may be gone */ }
    }
    await stopGroup(driver?.child);
    await stopGroup(xvfb?.child);
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    xvfb = await startXvfb({ width, height, log: xlog });
    // a private home: WebKit keeps caches, IndexedDB and service workers
    // under XDG folders (automation sessions are ephemeral anyway)
    const home = path.join(tmp, 'home');
    const run = path.join(tmp, 'run');
    for (const d of [home, run]) mkdirSync(d, { recursive: true, mode: 0o700 });
    const env = {
      ...process.env,
      DISPLAY: xvfb.display,
      HOME: home,
      XDG_RUNTIME_DIR: run,
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local/share'),
      GDK_BACKEND: 'x11',
      NO_AT_BRIDGE: '1', // no accessibility bus to look for
      // not WEBKIT_DISABLE_COMPOSITING_MODE=1: with it, a screenshot after a
      // window resize never answers (WebKitGTK 2.50 under Xvfb)
      LIBGL_ALWAYS_SOFTWARE: '1',
    };
    Object.assign(env, extraEnv);
    for (const [k, v] of Object.entries(env)) if (v === null || v === undefined) delete env[k];
    delete env.WAYLAND_DISPLAY;
    delete env.DBUS_SESSION_BUS_ADDRESS;

    let port;
    for (let attempt = 0; attempt < 5 && !driver; attempt++) {
      port = await freePort();
      const out = openSync(dlog, 'a');
      const child = spawn(DRIVER, [`--port=${port}`, '--host=127.0.0.1'], {
        env, stdio: ['ignore', out, out], detached: true,
      });
      closeSync(out);
      child.unref(); // node may exit without close(): the exit hook kills it
      groups.add(child.pid);
      const base = `http://127.0.0.1:${port}`;
      const up = await (async () => {
        for (let i = 0; i < 100; i++) {
          if (child.exitCode !== null) return false;
          try {
            const r = await fetch(`${base}/status`);
            if (r.ok) return true;
          } catch { /* not yet */ }
          await sleep(100);
        }
        return false;
      })();
      if (up) driver = { child, base, port };
      else await stopGroup(child);
    }
    if (!driver) throw new Error(`${DRIVER} did not start (see ${dlog})`);

    const caps = {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': {
            binary: MINIBROWSER,
            // --automation: a browser that WebKitWebDriver may control;
            // console messages go to the driver log (there is no log endpoint)
            args: ['--automation', '--enable-write-console-messages-to-stdout=true', ...args],
          },
          ...extraCapabilities,
        },
      },
    };
    // (a browser that never connects leaves the driver waiting for good)
    const res = await fetch(`${driver.base}/session`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(caps),
      signal: AbortSignal.timeout(sessionTimeout),
    }).catch((e) => { throw new Error(`no WebKit session within ${sessionTimeout} ms (${e.message}); see ${dlog}`); });
    const json = await res.json().catch(() => null);
    if (!res.ok || !json?.value?.sessionId) {
      throw new WebDriverError('POST', '/session', res.status, json?.value);
    }
    session = new Session(driver.base, json.value.sessionId, json.value.capabilities);
    await session.setTimeouts({ script: 30000, pageLoad: 30000, implicit: 0 });
    if (window) await session.setWindowRect(window);
    Object.assign(session, { close, display: xvfb.display, port: driver.port, logs: { xvfb: xlog, driver: dlog } });
    return session;
  } catch (e) {
    await close();
    throw e;
  }
}
