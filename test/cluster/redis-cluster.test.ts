import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { expectAckedDeliveredOnce } from '../support/acked.js';
import { pgQuery } from '../support/services.js';
import pino from 'pino';
import { SyncedLimiter } from '../../server/src/realtime/synced-limiter.js';
import { keySlot } from '../../server/src/redis.js';

/**
 * Pairly on a Redis Cluster of three masters (each with a replica) instead of one Redis: three real
 * node processes given REDIS_CLUSTER_NODES. Chat, presence, revocations, random matches and BullMQ
 * jobs work across nodes with their keys spread over the masters; a master SIGKILLed mid-traffic is
 * replaced by its replica, and nothing acked is lost.
 */
let cluster: RedisCluster;
let backing: Backing;
let a: NodeProcess; // runs the job workers
let b: NodeProcess;
let c: NodeProcess; // killed by the presence test
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  [cluster, backing] = await Promise.all([startRedisCluster(), createBacking()]);
  const env = {
    ...backing.env,
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: cluster.nodes,
    PRESENCE_TTL_SECONDS: '3',
    MATCH_PAIR_INTERVAL_MS: '100',
    CHAT_MESSAGES_PER_10S: '1000',
    CHAT_FLOOD_PER_5S: '1000',
  };
  // One at a time: three boots at once on a busy 2-core machine can overrun the start-up deadline.
  a = await startNodeProcess({ ...env, RUN_WORKERS: 'true' });
  b = await startNodeProcess(env);
  c = await startNodeProcess(env);
}, 180_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.all([a, b, c].map((n) => n?.kill('SIGKILL')));
  await cluster?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown, ms = 3000) => (s as any).timeout(ms).emitWithAck(event, payload) as Promise<any>;
const open = async (url: string, token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};

describe('Pairly on a three-master Redis Cluster', () => {
  it('the nodes\' keys are spread over the masters, and each script\'s keys share one slot', async () => {
    expect(await cluster.masters()).toHaveLength(3);
    const r = cluster.client();
    try {
      // Something on every master: per-user keys (limits, socket places) hash all over the slots. One user's
      // few untagged keys miss a master now and then (~1 run in 8), so users are added until each has some.
      const p = backing.redisPrefix;
      let counts: number[] = [];
      for (let i = 0; i < 8 && !(counts.length === 3 && counts.every((n) => n > 0)); i++) {
        const u = await newUser(a.url);
        await open(b.url, u.accessToken);
        counts = await Promise.all(r.nodes('master').map((m) => m.dbsize()));
      }
      expect(counts).toHaveLength(3);
      expect(counts.every((n) => n > 0)).toBe(true);
      // Presence, the match queue and BullMQ each under one hash tag.
      expect(await r.smembers(`${p}{presence}:nodes`)).toHaveLength(3);
      const bull = (await Promise.all(r.nodes('master').map((m) => m.keys(`${p}{bull}:*`)))).filter((k) => k.length > 0);
      expect(bull).toHaveLength(1); // every BullMQ key on one master
      const untagged = await Promise.all(r.nodes('master').map((m) => m.keys(`${p}bull:*`)));
      expect(untagged.flat()).toEqual([]);
    } finally {
      r.disconnect();
    }
  });

  it('a synced limiter\'s sync reaches keys of every slot and master: one script call per slot, one pipeline per master', async () => {
    const r = cluster.client();
    const prefix = `${backing.redisPrefix}rl:cluster-synced:`;
    const limiter = new SyncedLimiter({ redis: r, prefix, points: 100, durationSeconds: 30, syncMs: 50, logger: pino({ level: 'silent' }) });
    try {
      // Keys a node counted alone in their last window: their next window begins here and goes to Redis at the sync.
      const keys = Array.from({ length: 300 }, (_, i) => `u${i}`);
      for (const k of keys) await limiter.consume(k); // first window: one call each
      const twoInOneSlot = ['{same}a', '{same}b'];
      for (const k of twoInOneSlot) await limiter.consume(k);
      for (const k of [...keys, ...twoInOneSlot]) for (let i = 0; i < 3; i++) await limiter.consume(k);
      await waitFor(async () => Number(await r.get(`${prefix}u299`)) === 4, 5000);
      const totals = await Promise.all([...keys, ...twoInOneSlot].map((k) => r.get(prefix + k)));
      expect(totals.every((t) => t === '4')).toBe(true);
      expect(new Set(keys.map((k) => keySlot(prefix + k))).size).toBeGreaterThan(100);
      expect(keySlot(prefix + twoInOneSlot[0])).toBe(keySlot(prefix + twoInOneSlot[1]));
      expect(new Set(await Promise.all(keys.slice(0, 30).map((k) => cluster.masterOf(prefix + k)))).size).toBe(3);
    } finally {
      limiter.close();
      r.disconnect();
    }
  });

  it('a message sent through node B reaches the recipient on node A and the sender\'s device on node C', async () => {
    const alice = await newUser(a.url);
    const bob = await newUser(a.url);
    const bobOnA = await open(a.url, bob.accessToken);
    const aliceOnC = await open(c.url, alice.accessToken);
    const aliceOnB = await open(b.url, alice.accessToken);
    const pushes = Promise.all([nextEvent<any>(bobOnA, 'chat:message'), nextEvent<any>(aliceOnC, 'chat:message')]);
    const sent = await ack(aliceOnB, 'chat:send', { toUserId: bob.user.id, clientId: randomUUID(), body: 'across the Redis Cluster' });
    expect(sent.ok).toBe(true);
    for (const m of await pushes) expect(m.id).toBe(sent.message.id);
  });

  it('logout on node A revokes the session on node B (its socket closed, a new one refused)', async () => {
    const u = await newUser(a.url);
    const onB = await open(b.url, u.accessToken);
    const revoked = nextEvent<{ reason: string }>(onB, 'auth:revoked');
    const gone = nextEvent<string>(onB, 'disconnect');
    expect((await http(a.url, 'POST', '/api/auth/logout', { token: u.accessToken })).status).toBe(204);
    expect((await revoked).reason).toBe('logout');
    expect(await gone).toBe('io server disconnect');
    await expect(connect(b.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'SESSION_REVOKED' } });
    expect((await http(b.url, 'GET', '/api/me', { token: u.accessToken })).body.error.code).toBe('SESSION_REVOKED');
  });

  it('two users joining on different nodes are paired into one session', async () => {
    const [u1, u2] = await Promise.all([newUser(a.url), newUser(b.url)]);
    const [s1, s2] = await Promise.all([open(a.url, u1.accessToken), open(b.url, u2.accessToken)]);
    const found = Promise.all([nextEvent<any>(s1, 'match:found', 15_000), nextEvent<any>(s2, 'match:found', 15_000)]);
    await Promise.all([ack(s1, 'match:join', { mode: 'text', interests: [] }), ack(s2, 'match:join', { mode: 'text', interests: [] })]);
    const [f1, f2] = await found;
    expect(f1.sessionId).toBe(f2.sessionId);
    expect(f1.peer.userId).toBe(u2.user.id);
    const rows = await pgQuery<{ user_a: string; user_b: string }>(backing.databaseUrl, 'SELECT user_a, user_b FROM match_sessions WHERE id = $1', [f1.sessionId]);
    expect(rows.flatMap((r) => [r.user_a, r.user_b]).sort()).toEqual([u1.user.id, u2.user.id].sort());
  });

  it('a BullMQ job enqueued on node B runs on node A\'s workers (the sign-up\'s audit entry)', async () => {
    const u = await newUser(b.url);
    const rows = await waitFor(async () => {
      const r = await pgQuery<{ action: string }>(backing.databaseUrl, `SELECT action FROM audit_log WHERE actor_id = $1 AND action = 'auth.signup'`, [u.user.id]);
      return r.length > 0 && r;
    }, 20_000, 'the audit entry written by the job');
    expect(rows).toHaveLength(1);
  });

  it('SIGKILL of node C: its user goes offline for a watcher on node A', async () => {
    const watcher = await newUser(a.url);
    const traveller = await newUser(a.url);
    const w = await open(a.url, watcher.accessToken);
    await ack(w, 'chat:send', { toUserId: traveller.user.id, clientId: randomUUID(), body: 'hi' });
    const updates: any[] = [];
    w.on('presence:update', (p: any) => updates.push(...p.updates.filter((u: any) => u.userId === traveller.user.id)));
    const t = await connect(c.url, traveller.accessToken);
    await waitFor(() => updates.some((u) => u.status === 'online'), 15_000, 'online');
    await c.kill('SIGKILL');
    t.close();
    const offline = await waitFor(() => updates.find((u) => u.status === 'offline'), 20_000, 'offline');
    expect(offline.lastSeen).toBeTruthy();
  });

  it('a Redis master SIGKILLed mid-traffic: its replica takes over, every acked message is stored once and reaches the recipient', async () => {
    const sender = await newUser(a.url);
    const recipient = await newUser(a.url);
    const senderSocket = await open(a.url, sender.accessToken);
    const recipientSocket = await open(b.url, recipient.accessToken);
    const received = new Map<string, string>();
    recipientSocket.on('chat:message', (m: any) => received.set(m.id, m.body));
    const first = await ack(senderSocket, 'chat:send', { toUserId: recipient.user.id, clientId: randomUUID(), body: 'start' });
    const conversationId = first.message.conversationId;
    const startedAt = new Date(Date.now() - 1000).toISOString();

    const acked = new Map<string, string>(); // clientId -> message id
    const sendUntilAcked = async (i: number) => {
      const clientId = randomUUID();
      for (let attempt = 0; attempt < 100; attempt++) {
        try {
          const r = await ack(senderSocket, 'chat:send', { conversationId, clientId, body: `msg ${i}` });
          if (r.ok) {
            acked.set(clientId, r.message.id);
            return;
          }
        } catch {
          // No ack in time: retried with the same clientId.
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`message ${i} never acked`);
    };

    // The master serving presence (every connect, disconnect and heartbeat) dies while messages flow.
    const victim = await cluster.masterOf(`${backing.redisPrefix}{presence}:nodes`);
    const before = await cluster.masters();
    let killed: Promise<void> | undefined;
    for (let i = 0; i < 60; i++) {
      if (i === 20) killed = cluster.kill(victim);
      await sendUntilAcked(i);
    }
    await killed;
    await cluster.waitHealthy();
    const after = await cluster.masters();
    expect(after).not.toContain(victim);
    expect(after).toHaveLength(3);
    expect(after.filter((p) => !before.includes(p))).toHaveLength(1); // the victim's replica, promoted

    // Live pushes across nodes work again on the promoted master.
    // One clientId for every try: a try whose ack was late is stored and pushed, and the next replays it.
    // (With a new clientId per try, the push of a late try's message came first and was taken for this one's.)
    const lastClientId = randomUUID();
    const last = await waitFor(async () => {
      const r = await ack(senderSocket, 'chat:send', { conversationId, clientId: lastClientId, body: 'after the failover' }).catch(() => undefined);
      return r?.ok && r;
    }, 20_000, 'a send after the failover');
    // `received` holds only live pushes until the sync below.
    await waitFor(() => received.has(last.message.id), 15_000, 'the live push of the message sent after the failover');

    // Whatever the pushes missed during the failover is in the recipient's sync.
    expect(acked.size).toBe(60);
    await expectAckedDeliveredOnce({ recipient: recipientSocket, since: startedAt, received, acked, databaseUrl: backing.databaseUrl, conversationId });

    // The killed instance, started again, rejoins as a replica; the cluster stays whole.
    await cluster.start(victim);
    await cluster.waitHealthy();
    expect((await cluster.masters()).sort()).toEqual(after.sort());
  }, 120_000);
});
