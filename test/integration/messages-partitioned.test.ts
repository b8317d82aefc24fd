import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../server/src/db/database.js';
import { migrate, MIGRATIONS_DIR } from '../../server/src/db/migrate.js';
import { createLogger } from '../../server/src/logger.js';
import { isClientIdTaken } from '../../server/src/modules/chat/chat.store.js';
import { tempDir } from '../support/pairly.js';
import { bothDatabases } from '../support/databases.js';

/**
 * Migration 0042 moves messages into a table partitioned by hash of the
 * conversation. A database that ran 0001–0041 keeps every message and every
 * row that points at one (unlocks, reactions, edits, hidden, legacy reports),
 * now keyed by (conversation_id, id), on PostgreSQL and on PGlite alike.
 */
const logger = createLogger({ level: 'silent', nodeId: 'messages-partitioned' });
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const dirs = tempDir('messages-partitioned');
cleanups.push(() => dirs.remove());
const before0042 = join(dirs.path, 'migrations-0041');
mkdirSync(before0042);
for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f < '0042')) cpSync(join(MIGRATIONS_DIR, f), join(before0042, f));

const databases = bothDatabases({ tag: 'partitioned', logger, cleanups });

/** Two users, `n` conversations between them and others, two messages in each, and one of every pointer. */
async function seed(db: Database, n: number) {
  const user = async () => {
    const id = randomUUID();
    await db.query(`INSERT INTO users (id, email, password_hash, display_name, birthdate, role) VALUES ($1, $2, 'x', 'U', '1990-01-01', 'fan')`, [id, `${id}@example.test`]);
    return id;
  };
  const a = await user();
  const messages: { id: string; conversationId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const b = await user();
    const [low, high] = [a, b].sort();
    const conversationId = randomUUID();
    await db.query(`INSERT INTO conversations (id, user_low, user_high, last_seq) VALUES ($1, $2, $3, 2)`, [conversationId, low, high]);
    await db.query(`INSERT INTO conversation_members (conversation_id, user_id, peer_id) VALUES ($1, $2, $3), ($1, $3, $2)`, [conversationId, a, b]);
    for (const [seq, sender] of [[1, a], [2, b]] as const) {
      const id = randomUUID();
      await db.query(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body) VALUES ($1, $2, $3, $4, $5, 'hi')`, [id, conversationId, seq, sender, randomUUID()]);
      messages.push({ id, conversationId });
    }
    const m = messages.at(-1)!.id;
    await db.query(`INSERT INTO message_unlocks (message_id, user_id, price) VALUES ($1, $2, 0)`, [m, a]);
    await db.query(`INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, '👍')`, [m, a]);
    await db.query(`INSERT INTO message_edits (message_id, body) VALUES ($1, 'before')`, [m]);
    await db.query(`INSERT INTO message_hidden (user_id, message_id) VALUES ($1, $2)`, [a, m]);
    await db.query(`INSERT INTO message_reports (message_id, reporter_id, reason, body, sender_id) VALUES ($1, $2, 'r', 'hi', $3)`, [m, a, b]);
  }
  return { a, messages };
}

const count = async (db: Database, sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(sql, params)).rows[0]!.n;

describe.each(databases)('messages partitioned by conversation on %s', (_name, open) => {
  it('keeps every message and pointer of a database that ran 0001-0041, keyed by conversation', async () => {
    const db = await open();
    await migrate(db, logger, before0042);
    const { messages } = await seed(db, 12);
    expect(await migrate(db, logger)).toEqual(readdirSync(MIGRATIONS_DIR).filter((f) => f >= '0042').sort());

    const kind = await db.query<{ relkind: string; partitions: number }>(
      `SELECT c.relkind::text AS relkind, (SELECT count(*)::int FROM pg_inherits i WHERE i.inhparent = c.oid) AS partitions FROM pg_class c WHERE c.relname = 'messages'`,
    );
    expect(kind.rows).toEqual([{ relkind: 'p', partitions: 16 }]);
    expect(await count(db, `SELECT count(*)::int AS n FROM messages`)).toBe(messages.length);
    // 12 conversations spread over more than one partition.
    expect(await count(db, `SELECT count(DISTINCT tableoid)::int AS n FROM messages`)).toBeGreaterThan(1);
    for (const table of ['message_unlocks', 'message_reactions', 'message_edits', 'message_hidden', 'message_reports']) {
      expect(await count(db, `SELECT count(*)::int AS n FROM ${table} x JOIN messages m ON m.conversation_id = x.conversation_id AND m.id = x.message_id`)).toBe(12);
    }
    expect(await count(db, `SELECT count(*)::int AS n FROM message_states`)).toBe(messages.length);

    // The pointers cascade with their message, and the clientId is unique per sender within a conversation.
    const gone = messages[1]!;
    await db.query(`DELETE FROM messages WHERE conversation_id = $1 AND id = $2`, [gone.conversationId, gone.id]);
    expect(await count(db, `SELECT count(*)::int AS n FROM message_reactions WHERE message_id = $1`, [gone.id])).toBe(0);
    const [row] = (await db.query<{ sender_id: string; client_id: string }>(`SELECT sender_id, client_id FROM messages WHERE id = $1`, [messages[0]!.id])).rows;
    const twin = await db
      .query(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body) VALUES ($1, $2, 99, $3, $4, 'twin')`, [randomUUID(), messages[0]!.conversationId, row!.sender_id, row!.client_id])
      .then(() => undefined, (err: unknown) => err);
    // What the send path recognises as a twin that committed first (the violation names a partition's index).
    expect(isClientIdTaken(twin)).toBe(true);
    // A pointer to a message that is not in the conversation it names is refused.
    await expect(db.query(`INSERT INTO message_hidden (user_id, conversation_id, message_id) VALUES ($1, $2, $3)`, [row!.sender_id, messages[2]!.conversationId, messages[0]!.id])).rejects.toMatchObject({
      code: '23503',
    });
  }, 180_000);
});
