import { expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WEB_ROOT, WEB_TEST_DIR } from '../support/web-build.js';

/**
 * Issue #10's budget: first-load JavaScript of the production build (the one
 * the global set-up made) at most 250 KB gzipped. A size, not a timing.
 */
it('first-load JavaScript stays within 250 KB gzipped', () => {
  const r = spawnSync(process.execPath, [join(WEB_ROOT, 'scripts/web-size.mjs'), '--dir', WEB_TEST_DIR, '--json'], { encoding: 'utf8' });
  const size = JSON.parse(r.stdout) as { firstLoadJsGzip: number; budgetGzip: number; files: { file: string; first: boolean }[] };
  expect(size.files.filter((f) => f.first && f.file.endsWith('.js')).length).toBeGreaterThan(0);
  expect(size.firstLoadJsGzip).toBeLessThanOrEqual(size.budgetGzip);
  expect(r.status).toBe(0);
});
