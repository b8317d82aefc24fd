import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WEB_ROOT, WEB_TEST_DIR } from './web-build.js';
import { Redis } from 'ioredis';
import { PG_BASE_URL, TEST_REDIS_URL } from './services.js';

/**
 * Fails the whole run, loudly, when PostgreSQL or Redis is not there. Never
 * skips. Builds the web app once for the browser journeys (into .tmp, so a
 * developer's web/dist or running `npm run dev` is left alone).
 */
export default async function setup(): Promise<void> {
  const web = spawnSync(process.execPath, [join(WEB_ROOT, 'scripts/build-web.mjs'), '--out-dir', WEB_TEST_DIR], { cwd: WEB_ROOT, stdio: 'inherit' });
  if (web.status !== 0) throw new Error('the web app did not build (scripts/build-web.mjs)');
  const c = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres`, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${PG_BASE_URL}: ${(err as Error).message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
  const r = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL}: ${(err as Error).message}`);
  } finally {
    r.disconnect();
  }
}
