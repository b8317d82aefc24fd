import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { startInProcess, TEST_JWT_SECRET, tempDir, type InProcessNode } from '../support/pairly.js';
import { startPgReplicaPair, type PgReplicaPair } from '../support/pg-replica.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';
import { newAdmin } from '../support/ledger.js';

/**
 * Lag-tolerant reads (history pages, conversation lists) on a real streaming
 * replica of a PostgreSQL this file creates (initdb + pg_basebackup on ports
 * 5441/5442). Replay is paused to make the replica visibly stale: a user who
 * just wrote through the node reads the primary, anyone else the replica.
 *
 * Read-your-writes is remembered per node, and every signup sets a
 * preference (a write): the users are set up through a first node, and the
 * reads under test go through a second one, where only the writer writes.
 */
let pair: PgReplicaPair;
let setupNode: InProcessNode;
let node: InProcessNode;
/** Checks its replica once a minute: a replica that dies between two checks is met by a read first. */
let slowCheckNode: InProcessNode;
/** Takes a replica out of the rotation as soon as it is behind at all. */
let strictNode: InProcessNode;
let redis: ReturnType<typeof createRedisPrefix>;
let data: ReturnType<typeof tempDir>;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  pair = await startPgReplicaPair({ primary: 5441, replica: 5442 });
  const db = await pair.createDatabase('pairly_replica');
  redis = createRedisPrefix();
  data = tempDir('pairly-data');
  const env = {
    DATABASE_URL: pair.primary.url(db),
    DATABASE_REPLICA_URLS: pair.replica.url(db),
    // Long enough that the writer's reads never leave the primary during the test; the stale reads are another user's.
    DATABASE_READ_YOUR_WRITES_MS: '600000',
    // Replay is paused on purpose: the replica stays in the rotation however far behind it falls.
    DATABASE_REPLICA_MAX_LAG_MS: '0',
    DATABASE_REPLICA_CHECK_MS: '200',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: redis.prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    PAIRLY_DATA_DIR: data.path,
    ARGON2_MEMORY_KIB: '1024',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  };
  setupNode = await startInProcess(env);
  node = await startInProcess(env);
  slowCheckNode = await startInProcess({ ...env, DATABASE_REPLICA_CHECK_MS: '60000' });
  strictNode = await startInProcess({ ...env, DATABASE_REPLICA_MAX_LAG_MS: '1' });
}, 120_000);

afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await slowCheckNode?.stop();
  await strictNode?.stop();
  await setupNode?.stop();
  await pair?.teardown();
  await redis?.cleanup();
  data?.remove();
});

const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(10_000).emitWithAck(event, payload) as Promise<any>;
const history = async (token: string, conversationId: string, on: InProcessNode = node): Promise<string[]> => {
  const res = await http(on.url, 'GET', `/api/conversations/${conversationId}/messages`, { token });
  expect(res.status).toBe(200);
  return res.body.messages.map((m: { id: string }) => m.id);
};
const lastMessageInList = async (token: string, conversationId: string): Promise<string | undefined> => {
  const res = await http(node.url, 'GET', '/api/conversations', { token });
  expect(res.status).toBe(200);
  return res.body.conversations.find((c: { id: string }) => c.id === conversationId)?.lastMessage?.id;
};

describe('read replicas', () => {
  let alice: Awaited<ReturnType<typeof newUser>>;
  let bob: Awaited<ReturnType<typeof newUser>>;
  let aliceSocket: ClientSocket;
  let conversationId: string;
  const send = async (body: string) => {
    const r = await ack(aliceSocket, 'chat:send', { conversationId, clientId: randomUUID(), body });
    expect(r.ok).toBe(true);
    return r.message.id as string;
  };

  beforeAll(async () => {
    [alice, bob] = await Promise.all([newUser(setupNode.url), newUser(setupNode.url)]);
    const setupSocket = await connect(setupNode.url, alice.accessToken);
    sockets.push(setupSocket);
    const first = await ack(setupSocket, 'chat:send', { toUserId: bob.user.id, clientId: randomUUID(), body: 'hello' });
    expect(first.ok).toBe(true);
    conversationId = first.message.conversationId;
    aliceSocket = await connect(node.url, alice.accessToken);
    sockets.push(aliceSocket);
    await pair.caughtUp();
    await waitFor(() => node.pairly.db.replicas()[0]?.healthy, 10_000, 'the replica in the rotation');
    // Its one check so far ran at start-up, when the replica already had every migration.
    expect(slowCheckNode.pairly.db.replicas()[0]?.healthy).toBe(true);
  });

  it("serves the writer's own message at once and another user's reads from the (stale) replica", async () => {
    const before = await history(bob.accessToken, conversationId);
    await pair.pauseReplay();
    try {
      const fresh = await send('written while the replica is paused');
      // Alice wrote through this node: her reads go to the primary.
      expect(await history(alice.accessToken, conversationId)).toContain(fresh);
      expect(await lastMessageInList(alice.accessToken, conversationId)).toBe(fresh);
      // Bob wrote nothing here: his reads go to the replica, which has not replayed the message.
      expect(await history(bob.accessToken, conversationId)).toEqual(before);
      expect(await lastMessageInList(bob.accessToken, conversationId)).not.toBe(fresh);
      // The lag is seen by the check (and published as pairly_database_replica_lag_seconds).
      await waitFor(() => (node.pairly.db.replicas()[0]?.lagBytes ?? 0) > 0, 10_000, 'the replica reported behind');
      const metrics = await fetch(`${node.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/pairly_database_replica_lag_seconds\{replica="127\.0\.0\.1:5442\/pairly_replica"[^}]*\} \d/);
      await pair.resumeReplay();
      // Once replayed, the replica serves it to Bob too.
      await waitFor(async () => (await history(bob.accessToken, conversationId)).includes(fresh), 20_000, 'the message replayed');
    } finally {
      await pair.resumeReplay();
    }
  });

  it('serves the analytics charts from the replica (their rows change once a day)', async () => {
    const admin = await newAdmin(setupNode.pairly, setupNode.url);
    const day = '2026-01-15';
    const dau = async (): Promise<number> => {
      const res = await http(node.url, 'GET', `/api/admin/analytics?from=${day}&to=${day}`, { token: admin.token });
      expect(res.status).toBe(200);
      return res.body.analytics.days[0].dau;
    };
    await pair.caughtUp();
    expect(await dau()).toBe(0);
    await pair.pauseReplay();
    try {
      await node.pairly.db.query(`INSERT INTO analytics_daily (day, metric, dimension, value) VALUES ($1, 'dau', '', 42)`, [day]);
      expect(await dau()).toBe(0);
      await pair.resumeReplay();
      await waitFor(async () => (await dau()) === 42, 20_000, 'the rollup row replayed');
    } finally {
      await pair.resumeReplay();
    }
  });

  it('takes a replica further behind than DATABASE_REPLICA_MAX_LAG_MS out of the rotation, and back once it has caught up', async () => {
    await waitFor(() => strictNode.pairly.db.replicas()[0]?.healthy, 10_000, 'the replica in the rotation');
    await pair.pauseReplay();
    let fresh: string;
    try {
      fresh = await send('written while the replica falls behind');
      await waitFor(() => strictNode.pairly.db.replicas()[0]?.healthy === false, 10_000, 'the replica out of the rotation');
      // Bob wrote nothing through this node either, and still reads the message: from the primary.
      expect(await history(bob.accessToken, conversationId, strictNode)).toContain(fresh);
    } finally {
      await pair.resumeReplay();
    }
    await waitFor(() => strictNode.pairly.db.replicas()[0]?.healthy, 20_000, 'the replica back in the rotation');
    expect(await history(bob.accessToken, conversationId, strictNode)).toContain(fresh);
  });

  it('falls back to the primary, with no error to users, when the replica goes down', async () => {
    await pair.replica.stop();
    const after = await send('written with the replica down');
    // No check has run on this node since: the read itself meets the dead replica (a lost connection or a
    // refused one), takes it out of the rotation and is answered by the primary.
    expect(await history(bob.accessToken, conversationId, slowCheckNode)).toContain(after);
    expect(slowCheckNode.pairly.db.replicas()[0]?.healthy).toBe(false);
    // The other node's check finds it down too; reads there go to the primary.
    expect(await history(bob.accessToken, conversationId)).toContain(after);
    expect(await lastMessageInList(bob.accessToken, conversationId)).toBe(after);
    await waitFor(() => node.pairly.db.replicas()[0]?.healthy === false, 10_000, 'the replica out of the rotation');
    const metrics = await fetch(`${node.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/pairly_database_replica_up\{replica="127\.0\.0\.1:5442\/pairly_replica"[^}]*\} 0/);
    // And the node stays ready: a replica is not a dependency the node needs.
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
  });
});
