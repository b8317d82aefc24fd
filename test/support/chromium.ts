import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { TestNetns } from './netns.js';

/**
 * Debian's Chromium (never a Playwright-downloaded build), driven by
 * playwright-core, running inside a test network namespace so that its
 * WebRTC traffic stays on the namespace's veth address.
 */

const CHROMIUM = '/usr/bin/chromium';

/** Chromium's flags for every test browser: no sandbox (root), no network chatter, a fake camera and microphone. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Real host candidates instead of mDNS names, which Janus cannot resolve.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export function assertChromiumInstalled(): void {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0 || !/Chromium/.test(r.stdout)) {
    throw new Error(`media tests need Debian's Chromium at ${CHROMIUM} (apt-get install chromium): ${r.error?.message ?? r.stderr}`);
  }
}

export async function loadPlaywright(): Promise<typeof import('playwright-core')> {
  try {
    return await import('playwright-core');
  } catch (err) {
    throw new Error(`media tests need the playwright-core package (npm install): ${(err as Error).message}`);
  }
}

export interface NetnsBrowser {
  browser: Browser;
  /** Closes the browser (its processes die with it) and removes the launcher script. */
  close(): Promise<void>;
}

/**
 * Playwright starts "the executable" with its own arguments and talks to it
 * over a pipe; the executable here is a two-line script that enters the
 * namespace and execs Chromium, so the pipe and the process tree are
 * Chromium's own. Playwright gives every launch a fresh user data dir.
 * `extraArgs` are added to the flags (e.g. to treat an app served over the
 * veth as a secure origin, so getUserMedia works there).
 */
export async function launchChromium(netns: TestNetns, extraArgs: string[] = []): Promise<NetnsBrowser> {
  const { chromium } = await loadPlaywright();
  const dir = mkdtempSync(join(tmpdir(), 'pairly-chromium-'));
  const launcher = join(dir, 'chromium-in-netns');
  writeFileSync(launcher, `#!/bin/sh\nexec ip netns exec ${netns.name} ${CHROMIUM} "$@"\n`);
  chmodSync(launcher, 0o755);
  try {
    const browser = await chromium.launch({ executablePath: launcher, headless: true, args: [...CHROMIUM_FLAGS, ...extraArgs], timeout: 30_000 });
    return {
      browser,
      async close() {
        await browser.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
