import type { Database } from '../../server/src/db/database.js';
import { createPgDatabase } from '../../server/src/db/pg.js';
import { createPgliteDatabase } from '../../server/src/db/pglite.js';
import type { Logger } from '../../server/src/logger.js';
import { tempDir } from './pairly.js';
import { createTestDatabase } from './services.js';

/**
 * The two database drivers, for `describe.each`: a fresh PostgreSQL database and a fresh PGlite data dir,
 * each dropped or removed (and closed) by the cleanups the test file runs after all.
 */
export function bothDatabases(o: { tag: string; logger: Logger; poolSize?: number; cleanups: (() => Promise<void> | void)[] }): [string, () => Promise<Database>][] {
  return [
    [
      'pg',
      async () => {
        const t = await createTestDatabase();
        const db = createPgDatabase({ url: t.url, poolSize: o.poolSize ?? 2, logger: o.logger });
        o.cleanups.push(() => t.drop(), () => db.close());
        return db;
      },
    ],
    [
      'pglite',
      async () => {
        const dir = tempDir(`pglite-${o.tag}`);
        const db = await createPgliteDatabase({ dir: dir.path });
        o.cleanups.push(() => dir.remove(), () => db.close());
        return db;
      },
    ],
  ];
}
