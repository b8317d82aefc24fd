import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.js';
import type { Logger } from '../logger.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
/** Repeatable SQL: one file per function or view (or small family), `<module>/<name>.sql`. */
export const REPEATABLE_SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Any constant shared by every node; pg_advisory_xact_lock serialises concurrent starts. */
const MIGRATION_LOCK_KEY = 7_412_001;

/**
 * Applies forward-only migrations (`NNNN_name.sql`, in name order), then the
 * repeatable SQL files, in one transaction under an advisory lock, so nodes
 * starting together apply each change exactly once; the lock is released at
 * commit. Returns the names of the migrations applied.
 *
 * Repeatable files hold the current text of the database's functions and
 * views (`CREATE OR REPLACE FUNCTION` / `VIEW`), so a definition is one file,
 * not the sum of the migrations that touched it. They run after every
 * migration: a SQL-language function or a view is checked against the tables
 * when it is created, so the tables must exist first; and a function a
 * migration needs while it runs (a trigger's) is created in its first version
 * by that migration itself (as 0002 does for ledger_refuse_change), which the
 * repeatable file then replaces. Migrations never change a function's body or
 * a view's query. A view pins the columns it reads: a migration that drops
 * or retypes one runs `DROP VIEW IF EXISTS` on the view first, and its file,
 * applied after every migration, creates it again in the same transaction.
 */
export async function migrate(db: Database, logger: Logger, dir = MIGRATIONS_DIR, sqlDir = REPEATABLE_SQL_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const repeatables = await repeatableFiles(sqlDir);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      await tx.exec(await readFile(join(dir, file), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
      logger.info({ migration: file }, 'migration applied');
    }
    await applyRepeatables(tx, logger, repeatables, applied.length > 0);
    return applied;
  });
}

interface Repeatable {
  /** Path below the repeatable folder with `/` separators: the file's identity and its order. */
  name: string;
  sql: string;
  checksum: string;
}

/** Every `*.sql` below dir, sorted by path so every node applies them in the same order. */
async function repeatableFiles(dir: string): Promise<Repeatable[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: Repeatable[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.sql')) continue;
    const path = join(e.parentPath ?? e.path, e.name); // parentPath: Node 20.12+
    const sql = await readFile(path, 'utf8');
    out.push({ name: path.slice(dir.length).replace(/^[\\/]+/, '').split(sep).join('/'), sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Applies each file whose checksum differs from the one recorded (or that was
 * never applied). After any migration ran, every file is applied again: a
 * migration may have dropped what a file defines (0012 drops ledger_apply for
 * its file to recreate) and CREATE OR REPLACE makes re-applying harmless.
 */
async function applyRepeatables(tx: Queryable, logger: Logger, files: Repeatable[], migrated: boolean): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS repeatable_sql (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const recorded = new Map(
    (await tx.query<{ name: string; checksum: string }>('SELECT name, checksum FROM repeatable_sql')).rows.map((r) => [r.name, r.checksum]),
  );
  for (const f of files) {
    if (!migrated && recorded.get(f.name) === f.checksum) continue;
    await tx.exec(f.sql);
    await tx.query(
      `INSERT INTO repeatable_sql (name, checksum) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()`,
      [f.name, f.checksum],
    );
    logger.info({ repeatable: f.name }, 'repeatable SQL applied');
  }
}
