import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDir } from './claim.js';

/**
 * Runs `fn` while no other test process runs one under the same name: for the few steps that each
 * take a core or two for a minute (the production build and its `npm ci`; PGlite's first start), which
 * side by side on this 2-core machine slowed each other past their budgets. Not for ordinary tests:
 * they run two at a time.
 */
export async function exclusive<T>(name: string, fn: () => Promise<T>, waitMs = 300_000): Promise<T> {
  const lock = join(tmpdir(), `pairly-test-exclusive-${name}`);
  const deadline = Date.now() + waitMs;
  let release: (() => void) | false;
  while (!(release = claimDir(lock))) {
    if (Date.now() > deadline) throw new Error(`waited ${waitMs / 1000} s for ${lock}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    release();
  }
}
