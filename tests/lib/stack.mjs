// Helpers shared by the API and browser tests: the base URL of the stack that
// scripts/test.sh started, JSON requests, and control of the stack's parts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const BASE = process.env.BASE_URL || 'http://127.0.0.1:8080';
export const ROOT = process.env.ROOT || path.resolve(import.meta.dirname, '../..');
export const VARDIR = process.env.VARDIR || path.join(ROOT, 'var');
export const ARTIFACTS = process.env.ARTIFACTS || path.join(ROOT, 'tests/artifacts');

// fetch + JSON body parsing; never throws on HTTP status.
export async function api(method, url, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual' };
  if (raw !== undefined) {
    init.body = raw;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(BASE + url, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

// Run one operation of scripts/stack.sh (pg_down, pg_up, workers_down, ...).
export function stack(op, ...args) {
  execFileSync(path.join(ROOT, 'scripts/stack.sh'), [op, ...args], {
    env: { ...process.env, VARDIR }, stdio: ['ignore', 'pipe', 'inherit'],
  });
}

// PIDs of the posd supervisor's worker processes.
export function workerPids() {
  const sup = readFileSync(path.join(VARDIR, 'run/posd.pid'), 'utf8').trim();
  const kids = readFileSync(`/proc/${sup}/task/${sup}/children`, 'utf8').trim();
  return kids.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);
}

export async function until(fn, { timeout = 10000, step = 100 } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, step));
  }
  return last;
}
