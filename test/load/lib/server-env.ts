import { createBacking, tempDir } from '../../support/pairly.js';
import type { Cleanups } from './cleanups.js';

/**
 * Settings of every Pairly node a bench starts, under the scenario's own
 * (which raise the per-user limits the scenario would otherwise measure).
 * Every client of a run signs up and calls REST from 127.0.0.1: the
 * production per-address limits (SIGNUP_MAX_PER_IP 20 an hour,
 * HTTP_MAX_REQUESTS_PER_IP 600 a minute) would refuse all but the first
 * few. Sign-up hashes one password per client; no measured event hashes
 * anything, so a cheap hash only shortens the set-up.
 */
export const BENCH_SERVER_ENV: Readonly<Record<string, string>> = {
  ARGON2_MEMORY_KIB: '1024',
  SIGNUP_MAX_PER_IP: '1000000',
  HTTP_MAX_REQUESTS_PER_IP: '100000000',
};

/** One line for a bench's log: what its nodes run with beyond Pairly's defaults. */
export function envLine(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export interface BenchData {
  /** To add to the nodes' env: PAIRLY_DATA_DIR, or DATABASE_URL, REDIS_URL, REDIS_PREFIX, JWT_SECRET. */
  env: Record<string, string>;
  /** Cluster mode: the database the nodes share (its backends are theirs). */
  database?: string;
  databaseUrl?: string;
  redisPrefix?: string;
  /** One line for the log. */
  description: string;
}

/**
 * Where a bench's Pairly keeps its data, removed by `cleanups` at the end:
 * embedded, a PGlite temp dir; cluster, a database and a Redis prefix of its
 * own on the local services.
 */
export async function benchData(mode: 'embedded' | 'cluster', cleanups: Cleanups, tempPrefix: string): Promise<BenchData> {
  if (mode === 'embedded') {
    const dir = tempDir(tempPrefix);
    cleanups.add(() => dir.remove());
    return { env: { PAIRLY_DATA_DIR: dir.path }, description: `embedded mode: PGlite in ${dir.path}` };
  }
  const backing = await createBacking();
  cleanups.add(async () => {
    // Dropping the database WITH (FORCE) ends the connections of an in-process node stuck inside
    // transactions; pg emits that on the checked-out clients, which have no error listener. It is
    // expected here, not a crash.
    process.on('uncaughtException', (err: Error & { code?: string }) => {
      if (err.code === '57P01') return;
      process.stderr.write(`uncaught during clean-up: ${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    });
    await backing.cleanup();
  });
  const database = new URL(backing.databaseUrl).pathname.slice(1);
  return {
    env: backing.env,
    database,
    databaseUrl: backing.databaseUrl,
    redisPrefix: backing.redisPrefix,
    description: `cluster mode: database ${database}, Redis prefix ${backing.redisPrefix}`,
  };
}
