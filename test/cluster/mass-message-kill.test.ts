import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { http, newUser, waitFor } from '../support/client.js';
import { createBacking, startInProcess, startNodeProcess, type Backing, type InProcessNode, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * A workers process SIGKILLed in the middle of a mass message's batch, after that batch recorded its
 * recipients and opened their conversations, before it committed (held there by a row lock the test takes
 * on one of those conversations): another workers process finds the job stalled and runs it again, and every
 * follower ends with exactly one copy, numbered without holes. Batches of 10 fans.
 */
let backing: Backing;
let node: InProcessNode;
const workers: NodeProcess[] = [];
const FOLLOWERS = 30;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await node?.stop();
  await backing?.cleanup();
});

async function startWorkers(): Promise<NodeProcess> {
  const w = await startNodeProcess(
    { ...backing.env, LOG_LEVEL: 'info', JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '300', JOB_MAX_STALLED_COUNT: '2', MASS_MESSAGE_BATCH: '10', MASS_MESSAGE_PER_SECOND: '0' },
    { entry: 'workers/src/main.ts', waitForHealth: false },
  );
  workers.push(w);
  await waitFor(() => w.output().includes('workers running'), 30_000, `workers running:\n${w.output()}`);
  return w;
}

const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => pgQuery<T>(backing.databaseUrl, text, params);

it('a batch killed before its commit is run again by another workers process: every follower gets exactly one copy', async () => {
  const creator = await newUser(node.url, { role: 'creator' });
  await sql(
    `WITH u AS (
       INSERT INTO users (email, password_hash, display_name, birthdate, role)
       SELECT 'mmkill.' || g || '.' || $2 || '@example.test', 'not-a-hash', 'Fan ' || g, DATE '1990-01-01', 'fan' FROM generate_series(1, $1::int) g
       RETURNING id
     )
     INSERT INTO follows (follower_id, creator_id) SELECT u.id, $3 FROM u`,
    [FOLLOWERS, randomUUID().slice(0, 8), creator.user.id],
  );
  const first = await startWorkers();
  // The test holds the conversation of the first batch's last fan (opened beforehand, empty): that batch records
  // its recipients and opens the other conversations, then waits for this one's lock before writing copies.
  const [last] = await sql<{ id: string }>(`SELECT follower_id AS id FROM follows WHERE creator_id = $1 ORDER BY follower_id OFFSET 9 LIMIT 1`, [creator.user.id]);
  const [low, high] = [creator.user.id, last!.id].sort();
  const [conv] = await sql<{ id: string }>(`INSERT INTO conversations (user_low, user_high) VALUES ($1, $2) RETURNING id`, [low, high]);
  await sql(`INSERT INTO conversation_members (conversation_id, user_id, peer_id) VALUES ($1, $2, $3), ($1, $3, $2)`, [conv!.id, low, high]);
  const lock = new pg.Client({ connectionString: backing.databaseUrl });
  lock.on('error', () => undefined);
  await lock.connect();
  await lock.query('BEGIN');
  await lock.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conv!.id]);
  const created = await http(node.url, 'POST', '/api/mass-messages', { token: creator.accessToken, body: { clientId: randomUUID(), audience: { kind: 'followers' }, body: 'exactly once' } });
  expect(created.status).toBe(201);
  const id = created.body.massMessage.id as string;
  await waitFor(
    async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE '%FROM conversations c%FOR UPDATE%'`))[0]!.n > 0,
    20_000,
    'the first batch waiting for the held conversation, its recipients recorded',
  );
  await first.kill('SIGKILL');
  const second = await startWorkers();
  await lock.query('COMMIT');
  await lock.end();
  await waitFor(async () => (await sql<{ status: string }>(`SELECT status FROM mass_messages WHERE id = $1`, [id]))[0]!.status === 'done', 30_000, 'the mass message to finish');
  expect(second.output()).toMatch(/job stalled/);

  const copies = await sql<{ fan: string; n: number; seqs: number[] }>(
    `SELECT f.follower_id AS fan, count(m.id)::int AS n, coalesce(array_agg(m.seq::int) FILTER (WHERE m.id IS NOT NULL), '{}') AS seqs
     FROM follows f
     LEFT JOIN conversation_members cm ON cm.user_id = f.follower_id
     LEFT JOIN messages m ON m.conversation_id = cm.conversation_id AND m.sender_id = $1 AND m.body = 'exactly once'
     WHERE f.creator_id = $1 GROUP BY f.follower_id`,
    [creator.user.id],
  );
  expect(copies).toHaveLength(FOLLOWERS);
  for (const c of copies) expect(c, c.fan).toMatchObject({ n: 1, seqs: [1] });
  const { body } = await http(node.url, 'GET', `/api/mass-messages/${id}`, { token: creator.accessToken });
  expect(body.massMessage).toMatchObject({ status: 'done', total: FOLLOWERS, stats: { sent: FOLLOWERS } });
  await second.stop();
}, 120_000);
