// RFC 4226 (HOTP) and RFC 6238 (TOTP) with node:crypto only, plus the
// RFC 4648 base32 that authenticator apps use for the shared secret.
// Self-tested against the RFCs' vectors at the top of tests/api/tenancy.test.mjs.
import { createHmac } from 'node:crypto';

export const STEP = 30; // seconds per time step (RFC 6238 default, Google Authenticator)
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// Base32 → Buffer.  Case-insensitive; spaces, dashes and '=' padding ignored.
export function base32Decode(s) {
  const clean = String(s).toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`base32: bad character ${JSON.stringify(ch)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function base32Encode(buf) {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function keyOf(secret) {
  return Buffer.isBuffer(secret) ? secret : base32Decode(secret);
}

// HOTP (RFC 4226): key is a Buffer or a base32 string.
export function hotp(secret, counter, { digits = 6, algorithm = 'sha1' } = {}) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, keyOf(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

// The time-step counter at a time in milliseconds (default now).
export function counterAt(ms = Date.now(), step = STEP) {
  return Math.floor(ms / 1000 / step);
}

// TOTP (RFC 6238): { time (ms) | counter, digits, algorithm, step }.
export function totp(secret, { time = Date.now(), counter, digits = 6, algorithm = 'sha1', step = STEP } = {}) {
  return hotp(secret, counter ?? counterAt(time, step), { digits, algorithm });
}

// Milliseconds until the time step after `counter` begins.
export function msUntilCounter(counter, step = STEP) {
  return counter * step * 1000 - Date.now();
}

// Parses otpauth://totp/Label?secret=...&issuer=... into its parts.
export function parseOtpauth(uri) {
  const u = new URL(uri);
  return {
    type: u.host,
    label: decodeURIComponent(u.pathname.replace(/^\//, '')),
    secret: u.searchParams.get('secret'),
    issuer: u.searchParams.get('issuer'),
    algorithm: u.searchParams.get('algorithm'),
    digits: u.searchParams.get('digits'),
    period: u.searchParams.get('period'),
  };
}
