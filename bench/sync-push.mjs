// POST /api/sync/push of many orders in sequential batches, as one till that
// was offline (scripts/bench.sh).  Each order is the one bench/orders.lua
// sends (3 lines of demo products with recipes, a discount, one cash payment
// in AZN), with a fresh id and a sale time in the last hour.
//
//   node bench/sync-push.mjs BASE_URL TOKEN TOTAL BATCH IDS_FILE
//
// Writes the ids sent to IDS_FILE (one a line) and prints one JSON line:
// {total, batch, batches, wall_ms, batch_ms: [...], created, duplicate,
//  rejected, http_errors}.  Exit status 1 when a batch fails or an order is
// not created.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [base, token, totalArg, batchArg, idsFile] = process.argv.slice(2);
if (!base || !token || !idsFile) {
	console.error('usage: node bench/sync-push.mjs BASE_URL TOKEN TOTAL BATCH IDS_FILE');
	process.exit(2);
}
const total = Number(totalArg || 10000);
const batch = Number(batchArg || 500);

const lines = [
	{ product_id: '0d1c0000-0000-4000-8000-000000000003', qty: 1, unit_price: 500 }, // Латте
	{ product_id: '0d1c0000-0000-4000-8000-000000000002', qty: 2, unit_price: 450 }, // Капучино
	{ product_id: '0d1c0000-0000-4000-8000-000000000001', qty: 1, unit_price: 300 }, // Эспрессо
];
const now = Date.now();
const ids = [];
// The bodies are built before the clock starts: the till has them in its outbox.
const bodies = [];
for (let off = 0; off < total; off += batch) {
	const orders = [];
	for (let i = off; i < Math.min(total, off + batch); i++) {
		const id = randomUUID();
		ids.push(id);
		orders.push({
			id,
			created_at: new Date(now - 3600e3 + Math.floor((i * 3600e3) / total)).toISOString(),
			lines,
			discount: 100,
			payments: [{ method: 'cash', currency: 'AZN', amount: 1600, tendered: 2000 }],
		});
	}
	bodies.push(JSON.stringify({ orders }));
}
writeFileSync(idsFile, ids.join('\n') + '\n');

const counts = { created: 0, duplicate: 0, rejected: 0 };
const batchMs = [];
let httpErrors = 0;
let firstError = null;
const t0 = performance.now();
for (const body of bodies) {
	const b0 = performance.now();
	const res = await fetch(`${base}/api/sync/push`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
		body,
	});
	const text = await res.text();
	batchMs.push(Math.round(performance.now() - b0));
	if (res.status !== 200) {
		httpErrors++;
		firstError ??= `HTTP ${res.status}: ${text.slice(0, 200)}`;
		continue;
	}
	for (const r of JSON.parse(text).results) {
		counts[r.status] = (counts[r.status] || 0) + 1;
		if (r.status !== 'created') firstError ??= JSON.stringify(r).slice(0, 200);
	}
}
const wallMs = Math.round(performance.now() - t0);
console.log(JSON.stringify({
	total, batch, batches: bodies.length, wall_ms: wallMs, batch_ms: batchMs,
	...counts, http_errors: httpErrors, first_error: firstError,
}));
process.exit(httpErrors === 0 && counts.created === total ? 0 : 1);
