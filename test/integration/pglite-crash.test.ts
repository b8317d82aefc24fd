import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { Database } from '../../server/src/db/database.js';
import { createPgliteDatabase } from '../../server/src/db/pglite.js';
import { toAppError } from '../../server/src/errors.js';
import { tempDir } from '../support/pairly.js';

/**
 * PGlite's WebAssembly backend can die under a statement (a trap: "null function or function signature
 * mismatch", seen in trigram searches on a loaded machine). Unpatched, PGlite then spins in its protocol
 * loop forever and the embedded server hangs at 100% CPU (electric-sql/pglite#1058). With the install's
 * patch the statement rejects, and the database layer opens the data dir again. The crash is made here by
 * the backend's own entry point trapping once, which is what a real trap looks like to PGlite.
 */
const dir = tempDir('pglite-crash');
const instances: PGlite[] = [];
let db: Database;

/** The next protocol message the current instance (the last one made: a fresh dir's initdb makes one first) runs traps, as a crashed backend does. */
function crashNext(): void {
  const mod = (instances.at(-1) as unknown as { mod: { _PostgresMainLoopOnce: () => void } }).mod;
  const original = mod._PostgresMainLoopOnce;
  mod._PostgresMainLoopOnce = () => {
    mod._PostgresMainLoopOnce = original;
    throw new (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly.RuntimeError('null function or function signature mismatch');
  };
}

beforeAll(async () => {
  // Unpatched, the first crash below would block this test process's event loop for good (no timeout
  // could end it): refuse to run instead, and say why.
  const dist = fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/dist/', import.meta.url));
  const patched = readdirSync(dist).some((f) => f.endsWith('.js') && readFileSync(`${dist}${f}`, 'utf8').includes('a.status!==this.POSTGRES_MAIN_LONGJMP)throw a'));
  expect(patched, 'PGlite is not patched: npm ci runs scripts/patch-pglite.mjs (postinstall)').toBe(true);

  const create = PGlite.create.bind(PGlite);
  vi.spyOn(PGlite, 'create').mockImplementation(async (...args: Parameters<typeof PGlite.create>) => {
    const instance = await create(...args);
    instances.push(instance);
    return instance;
  });
  db = await createPgliteDatabase({ dir: dir.path });
  await db.exec('CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)');
  await db.query(`INSERT INTO notes VALUES (1, 'kept')`);
}, 60_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await db?.close();
  dir.remove();
});

it('answers the statement that met the crash as unavailable (NOT_READY), opens the data dir again and keeps what was committed', async () => {
  const before = instances.length;
  crashNext();
  const err = await db.query(`INSERT INTO notes VALUES (2, 'lost')`).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: '57P01' });
  expect(toAppError(err).code).toBe('NOT_READY');
  expect(instances).toHaveLength(before + 1);
  // The new instance has the committed row and not the crashed statement's.
  expect((await db.query<{ id: number; body: string }>('SELECT id, body FROM notes ORDER BY id')).rows).toEqual([{ id: 1, body: 'kept' }]);
  await db.query(`INSERT INTO notes VALUES (2, 'after')`);
  expect((await db.query('SELECT id FROM notes')).rowCount).toBe(2);
}, 60_000);

it('opens once however many statements were waiting on the crashed instance; a transaction that meets it rolls back', async () => {
  const before = instances.length;
  crashNext();
  const results = await Promise.allSettled([
    db.query('SELECT count(*) FROM notes'),
    db.query('SELECT count(*) FROM notes'),
    db.transaction(async (tx) => {
      await tx.query(`INSERT INTO notes VALUES (3, 'in a transaction')`);
      return 'committed';
    }),
  ]);
  // The first statement met the crash; the ones queued behind it on that instance did too, or ran on the new one.
  expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: '57P01' } });
  expect(instances).toHaveLength(before + 1);
  const ids = (await db.query<{ id: number }>('SELECT id FROM notes ORDER BY id')).rows.map((r) => r.id);
  expect(ids).toEqual(results[2]!.status === 'fulfilled' ? [1, 2, 3] : [1, 2]);

  crashNext();
  const inTx = await db
    .transaction(async (tx) => {
      await tx.query(`INSERT INTO notes VALUES (4, 'never')`);
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(toAppError(inTx).code).toBe('NOT_READY');
  expect(instances).toHaveLength(before + 2);
  expect((await db.query<{ id: number }>('SELECT id FROM notes WHERE id = 4')).rows).toEqual([]);
}, 60_000);
