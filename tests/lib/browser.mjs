// Headless Chromium from Debian, driven by playwright-core (which never
// downloads a browser of its own).  As root it needs --no-sandbox; the other
// flags stop it from calling hosts that do not answer here.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ARTIFACTS } from './stack.mjs';

export async function launch(opts = {}) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'pos-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-quic', '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 800 },
    locale: opts.locale || 'ru-RU',
  });
}

export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
