// Holds N event streams open for scripts/bench.sh: GET /api/events with the
// device token in access_token (as EventSource sends it), each on its own
// connection, and counts what arrives on them.
//
// node bench/event-streams.mjs BASE TOKEN N READY_FILE
// Writes "ready N" to READY_FILE once all N streams have answered 200 and sent
// their ": connected" line (or "failed ..." when one could not open within
// 15 s); runs until SIGTERM/SIGINT, then prints one JSON line on stdout:
// {streams, open, events, per_stream_min, per_stream_max, keepalives,
//  closed_early, errors, first_error}.
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const [base, token, nArg, readyFile] = process.argv.slice(2);
const n = Number(nArg);
if (!base || !token || !Number.isInteger(n) || n < 1 || !readyFile) {
  console.error('usage: node bench/event-streams.mjs BASE TOKEN N READY_FILE');
  process.exit(2);
}

const url = new URL(`/api/events?access_token=${encodeURIComponent(token)}`, base);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const streams = [];
let connected = 0;
let errors = 0;
let firstError = null;
let stopping = false;

function note(err) {
  errors++;
  if (firstError === null) firstError = String(err).slice(0, 200);
}

for (let i = 0; i < n; i++) {
  const s = { events: 0, keepalives: 0, connected: false, closed: false, req: null };
  streams.push(s);
  let rest = '';
  s.req = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      note(`HTTP ${res.statusCode}`);
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      rest += chunk;
      let i;
      while ((i = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, i);
        rest = rest.slice(i + 1);
        if (line.startsWith('data:')) s.events++;
        else if (line === ': connected' && !s.connected) {
          s.connected = true;
          if (++connected === n) writeFileSync(readyFile, `ready ${n}\n`);
        } else if (line.startsWith(': keep-alive')) s.keepalives++;
      }
    });
    res.on('end', () => { if (!stopping) s.closed = true; });
    res.on('error', (e) => { if (!stopping) note(e); });
  });
  s.req.on('error', (e) => { if (!stopping) note(e); });
}

setTimeout(() => {
  if (connected < n) writeFileSync(readyFile, `failed: ${connected} of ${n} open after 15 s; ${firstError ?? ''}\n`);
}, 15000).unref();

function finish() {
  if (stopping) return;
  stopping = true;
  const ev = streams.map((s) => s.events);
  const out = {
    streams: n,
    open: streams.filter((s) => s.connected && !s.closed).length,
    events: ev.reduce((a, b) => a + b, 0),
    per_stream_min: Math.min(...ev),
    per_stream_max: Math.max(...ev),
    keepalives: streams.reduce((a, s) => a + s.keepalives, 0),
    closed_early: streams.filter((s) => s.closed).length,
    errors,
    first_error: firstError,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  for (const s of streams) s.req.destroy();
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
