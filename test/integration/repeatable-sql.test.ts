import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../server/src/db/database.js';
import { migrate, MIGRATIONS_DIR, REPEATABLE_SQL_DIR } from '../../server/src/db/migrate.js';
import { createLogger } from '../../server/src/logger.js';
import { tempDir } from '../support/pairly.js';
import { bothDatabases } from '../support/databases.js';

/**
 * Functions live in repeatable files (server/sql), applied after the
 * migrations and again whenever a file's checksum changes. The ledger's money
 * core must come out the same on a fresh database and on one that ran the
 * migrations up to 0011 (ledger_apply wrapped around ledger_apply_unserialised).
 * The views owners publish to other modules (users' user_cards, …) are
 * repeatable files too; a migration that changes a column one reads drops the
 * view first, and the file creates it again.
 */
const logger = createLogger({ level: 'silent', nodeId: 'repeatable-sql' });
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const dirs = tempDir('repeatable-sql');
cleanups.push(() => dirs.remove());
/** The migrations as they were before repeatable SQL: 0001–0011, and no sql folder. */
const oldMigrations = join(dirs.path, 'migrations-0011');
mkdirSync(oldMigrations);
for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f <= '0011_~')) cpSync(join(MIGRATIONS_DIR, f), join(oldMigrations, f));
const noSql = join(dirs.path, 'no-sql');
mkdirSync(noSql);

const databases = bothDatabases({ tag: 'repeatable', logger, cleanups });

const source = (db: Database, name: string) =>
  db.query<{ src: string }>(`SELECT prosrc AS src FROM pg_proc WHERE proname = $1`, [name]).then((r) => r.rows.map((x) => x.src));

/** A replay and a conflict through the function itself: the money core works, not only exists. */
async function exerciseLedger(db: Database): Promise<void> {
  const legs = [{ key: 'k1', op: 'post', debit: 'promotions:main', credit: 'adjustments:main', amount: 5, kind: 'test' }];
  const first = await db.query<{ r: { replayed: boolean } }>(`SELECT ledger_apply(0, $1::jsonb) AS r`, [JSON.stringify(legs)]);
  expect(first.rows[0]!.r.replayed).toBe(false);
  const again = await db.query<{ r: { replayed: boolean } }>(`SELECT ledger_apply(0, $1::jsonb) AS r`, [JSON.stringify(legs)]);
  expect(again.rows[0]!.r.replayed).toBe(true);
  await expect(db.query(`SELECT ledger_apply(0, $1::jsonb)`, [JSON.stringify([{ ...legs[0], amount: 6 }])])).rejects.toThrow(/IDEMPOTENCY_CONFLICT/);
}

describe.each(databases)('Repeatable SQL on %s', (_name, open) => {
  it('defines ledger_apply once, with the twins lock, on a fresh database', async () => {
    const db = await open();
    await migrate(db, logger);
    const [apply] = await source(db, 'ledger_apply');
    expect(await source(db, 'ledger_apply')).toHaveLength(1);
    expect(apply).toContain('pg_advisory_xact_lock(20506');
    expect(await source(db, 'ledger_apply_unserialised')).toEqual([]);
    const recorded = await db.query<{ name: string }>(`SELECT name FROM repeatable_sql ORDER BY name`);
    expect(recorded.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['ledger/ledger_apply.sql', 'safety/blocked_either_way.sql']));
    await exerciseLedger(db);
  }, 90_000);

  it('replaces the wrapped ledger_apply of a database that ran migrations 0001–0011', async () => {
    const db = await open();
    await migrate(db, logger, oldMigrations, noSql);
    expect(await source(db, 'ledger_apply_unserialised')).toHaveLength(1);
    expect(await migrate(db, logger)).toEqual(readdirSync(MIGRATIONS_DIR).filter((f) => f > '0011_~').sort());
    expect(await source(db, 'ledger_apply_unserialised')).toEqual([]);
    const [apply] = await source(db, 'ledger_apply');
    expect(apply).toContain('pg_advisory_xact_lock(20506');
    expect(apply).toContain('IDEMPOTENCY_CONFLICT');
    await exerciseLedger(db);
  }, 90_000);

  it('re-applies a file when its checksum changes, and only then', async () => {
    const db = await open();
    const sql = join(dirs.path, `sql-${_name}`);
    cpSync(REPEATABLE_SQL_DIR, sql, { recursive: true });
    await migrate(db, logger, MIGRATIONS_DIR, sql);
    const appliedAt = async () =>
      (await db.query<{ at: Date }>(`SELECT applied_at AS at FROM repeatable_sql WHERE name = 'safety/blocked_either_way.sql'`)).rows[0]!.at.getTime();
    const before = await appliedAt();
    await migrate(db, logger, MIGRATIONS_DIR, sql);
    expect(await appliedAt()).toBe(before);

    const file = join(sql, 'safety/blocked_either_way.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace('STABLE AS $$', () => 'STABLE AS $$\n  -- changed\n'));
    await migrate(db, logger, MIGRATIONS_DIR, sql);
    expect(await appliedAt()).toBeGreaterThan(before);
    expect((await source(db, 'blocked_either_way'))[0]).toContain('-- changed');
  }, 90_000);

  it('creates the published views, and a migration may retype a column one reads once it drops the view', async () => {
    const db = await open();
    const migrations = join(dirs.path, `migrations-views-${_name}`);
    cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
    await migrate(db, logger, migrations);
    const views = await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.views WHERE table_schema = 'public'`);
    expect(views.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['user_cards', 'pairing_profiles', 'mutual_like_conversations']));
    const displayNameType = async () =>
      (await db.query<{ type: string }>(`SELECT data_type AS type FROM information_schema.columns WHERE table_name = 'user_cards' AND column_name = 'display_name'`)).rows[0]?.type;
    expect(await displayNameType()).toBe('text');

    const retype = join(migrations, '9999_retype_display_name.sql');
    writeFileSync(retype, `ALTER TABLE users ALTER COLUMN display_name TYPE varchar(50);`);
    await expect(migrate(db, logger, migrations)).rejects.toThrow(/used by a view/);
    writeFileSync(retype, `DROP VIEW IF EXISTS user_cards;\nALTER TABLE users ALTER COLUMN display_name TYPE varchar(50);`);
    expect(await migrate(db, logger, migrations)).toEqual(['9999_retype_display_name.sql']);
    expect(await displayNameType()).toBe('character varying');
  }, 90_000);
});
