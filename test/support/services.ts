import pg from 'pg';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

/**
 * The real services every integration test uses. CI makes sure both run; a
 * missing one fails the run (global-setup), it never skips tests.
 */
export const PG_BASE_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A fresh database for one test file; drop() removes it. */
export async function createTestDatabase(prefix = 'pairly_t'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `${PG_BASE_URL}/${name}`,
    async drop() {
      const c = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A unique Redis key prefix for one test file; cleanup() deletes its keys. */
export function createRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `${uniqueName('t')}:`;
  return {
    prefix,
    async cleanup() {
      const r = new Redis(TEST_REDIS_URL, { lazyConnect: true });
      await r.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await r.del(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    },
  };
}

export async function pgQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
