import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { startPrivateRedis, startTcpProxy, type PrivateRedis, type TcpProxy } from '../support/outages.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { PG_BASE_URL, pgQuery } from '../support/services.js';

/**
 * Every fault at once, under a chat load with retries (issue #19): two node
 * processes and the workers process, on a redis-server of this test's own and
 * on PostgreSQL through a TCP proxy the test controls (the shared services
 * are never touched). While cross-node pairs chat, one after the other: Redis
 * is SIGKILLed and comes back empty, PostgreSQL is cut and restored, the
 * workers process is SIGKILLed and replaced, a node is SIGKILLed and its
 * clients move to the other one. Clients behave as the protocol asks: a send
 * that failed or got no ack is sent again with the same clientId until it is
 * acked, after the Retry-After the server gave.
 */
const PAIRS = 10;
/** Per sender: below both chat limits at their defaults (10 per 5 s per conversation, 30 per 10 s per user). */
const PACE_MS = 700;
const SCHEDULES = ['ledger.expire-holds', 'ledger.verify', 'payments.reconcile', 'payments.requeue-stale'];

let backing: Backing;
let redis: PrivateRedis;
let proxy: TcpProxy;
let env: Record<string, string>;
const nodes: NodeProcess[] = [];
const alive = [true, true];
let workers: NodeProcess | undefined;
let stopping = false;

interface Client {
  userId: string;
  token: string;
  node: number;
  socket?: ClientSocket;
  /** Message id -> clientId of every chat:message pushed to (or synced by) this client. */
  received: Map<string, string>;
}
interface Ack {
  clientId: string;
  id: string;
  senderId: string;
  at: number;
  node: number;
  replayed: boolean;
}
const clients: Client[] = [];
const acks: Ack[] = [];
/** Every error code a client saw (send acks, handshakes, REST), with when and where. */
const errors: { code: string; at: number; via: 'send' | 'connect' | 'rest' }[] = [];
/** When the REST poller got a 200. */
const restOk: number[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const measure = (what: string, ms: number) => console.log(`[measure] ${what}: ${ms} ms`);

beforeAll(async () => {
  [backing, redis] = await Promise.all([createBacking(), startPrivateRedis()]);
  const pg = new URL(PG_BASE_URL);
  proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  const viaProxy = new URL(backing.databaseUrl);
  viaProxy.port = String(proxy.port);
  env = {
    ...backing.env,
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: redis.url,
    PRESENCE_TTL_SECONDS: '3',
    // The expire-holds schedule runs every second: a sign of life of the workers process that the test can read.
    HOLD_SWEEP_SECONDS: '1',
  };
  nodes.push(...(await Promise.all([startNodeProcess(env), startNodeProcess(env)])));
  workers = await startWorkers();
}, 90_000);
afterAll(async () => {
  stopping = true;
  for (const c of clients) c.socket?.close();
  await Promise.all([...nodes, ...(workers ? [workers] : [])].map((p) => p.kill('SIGKILL')));
  await proxy?.close();
  await redis?.stop();
  await backing?.cleanup();
});

async function startWorkers(): Promise<NodeProcess> {
  const w = await startNodeProcess({ ...env, LOG_LEVEL: 'info' }, { entry: 'workers/src/main.ts', waitForHealth: false });
  await waitFor(() => w.output().includes('workers running'), 45_000, `workers running:\n${w.output()}`);
  return w;
}

/** A short-lived BullMQ view of the private Redis, as the workers see it. */
async function withQueues<T>(fn: (queue: (name: string) => Queue) => Promise<T>): Promise<T> {
  const opened: Queue[] = [];
  const queue = (name: string) => {
    const q = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 1 }, prefix: `${backing.redisPrefix}bull` });
    q.on('error', () => undefined);
    opened.push(q);
    return q;
  };
  try {
    return await fn(queue);
  } finally {
    await Promise.all(opened.map((q) => q.close().catch(() => undefined)));
  }
}
/** The same check the job runner makes (bullmq.ts ensureSchedules): each recurring job has its scheduler. */
const schedulesPresent = () => withQueues(async (q) => (await Promise.all(SCHEDULES.map((n) => q(n).getJobScheduler(`every:${n}`)))).every(Boolean));
/** A scheduled expire-holds job finished after `since`: the schedule fires and a workers process runs it. */
const sweepRanSince = (since: number) =>
  withQueues(async (q) => (await q('ledger.expire-holds').getJobs(['completed'], 0, 20)).some((j) => (j.finishedOn ?? 0) > since));

/** Connects to the client's node (or the surviving one), again whenever the socket drops, until the load stops. */
async function open(c: Client): Promise<void> {
  for (;;) {
    if (!alive[c.node]) c.node = alive.indexOf(true);
    try {
      const s = await connect(nodes[c.node]!.url, c.token);
      s.on('chat:message', (m: any) => c.received.set(m.id, m.clientId));
      s.on('disconnect', (reason) => void (reason !== 'io client disconnect' && !stopping && open(c)));
      c.socket = s;
      return;
    } catch (err: any) {
      errors.push({ code: err?.data?.code ?? 'CONNECT_FAILED', at: Date.now(), via: 'connect' });
      await sleep(300);
    }
  }
}

/** One attempt: the ack, or a rejection when it does not come or the socket drops first. */
function attempt(s: ClientSocket, payload: object, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const dropped = () => reject(new Error('disconnected'));
    s.once('disconnect', dropped);
    (s as any)
      .timeout(timeoutMs)
      .emitWithAck('chat:send', payload)
      .then(resolve, reject)
      .finally(() => s.off('disconnect', dropped));
  });
}

/**
 * The client's retry rule: the same clientId until acked, after the server's Retry-After when it gave one.
 * `loseFirstAck`: the first attempt gives up on its ack at once (an ack lost on the way back), so the
 * message is stored and the retry must be answered with it, not stored again.
 */
async function sendUntilAcked(c: Client, payload: { conversationId: string; clientId: string; body: string }, loseFirstAck = false): Promise<void> {
  for (let tries = 0; ; tries++) {
    const s = c.socket;
    if (!s?.connected) {
      await sleep(50);
      continue;
    }
    const node = c.node;
    let r: any;
    try {
      r = await attempt(s, payload, loseFirstAck && tries === 0 ? 1 : 5000);
    } catch {
      await sleep(250);
      continue;
    }
    if (r.ok) {
      acks.push({ clientId: payload.clientId, id: r.message.id, senderId: c.userId, at: Date.now(), node, replayed: r.replayed });
      return;
    }
    errors.push({ code: r.error.code, at: Date.now(), via: 'send' });
    await sleep(r.error.retryAfterSeconds ? r.error.retryAfterSeconds * 1000 : 250);
  }
}

async function chatLoop(c: Client, conversationId: string): Promise<void> {
  for (let n = 0; !stopping; n++) {
    await sendUntilAcked(c, { conversationId, clientId: randomUUID(), body: `message ${n}` }, n % 5 === 2);
    await sleep(PACE_MS);
  }
}

/** A REST client polling the surviving node throughout, recording what it is told. */
async function restLoop(token: string): Promise<void> {
  while (!stopping) {
    const res = await http(nodes[0]!.url, 'GET', '/api/me', { token }).catch(() => undefined);
    if (res?.status === 200) restOk.push(Date.now());
    else if (res) errors.push({ code: res.body?.error?.code ?? `HTTP_${res.status}`, at: Date.now(), via: 'rest' });
    await sleep(250);
  }
}

async function presenceOf(url: string, token: string, peerId: string): Promise<string | undefined> {
  const res = await http(url, 'GET', '/api/conversations?limit=100', { token });
  return res.status === 200 ? res.body.conversations.find((x: any) => x.peer.id === peerId)?.peer.presence : undefined;
}

describe('faults under a chat load', () => {
  it('Redis restart, PostgreSQL cut, workers and node SIGKILL: nothing acked lost or doubled, NOT_READY not INTERNAL, no RATE_LIMITED wave, everything back', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    const users = await Promise.all(Array.from({ length: 2 * PAIRS + 2 }, (_, i) => newUser(nodes[i % 2]!.url)));
    const gone = users.pop()!;
    const watcher = users.pop()!;
    // Pair i: a sender on one node, its recipient on the other; half the senders on each node.
    const pairs = Array.from({ length: PAIRS }, (_, i) => {
      const [s, r] = [users[2 * i]!, users[2 * i + 1]!];
      const mk = (u: typeof s, node: number): Client => ({ userId: u.user.id, token: u.accessToken, node, received: new Map() });
      return { sender: mk(s, i % 2), recipient: mk(r, (i + 1) % 2), conversationId: '' };
    });
    clients.push(...pairs.flatMap((p) => [p.sender, p.recipient]));
    await Promise.all(clients.map(open));
    // Both write once, so each sees the other's presence.
    const setupClientIds = new Set<string>();
    for (const p of pairs) {
      const [hello, hi] = [randomUUID(), randomUUID()];
      setupClientIds.add(hello).add(hi);
      const first = await attempt(p.sender.socket!, { toUserId: p.recipient.userId, clientId: hello, body: 'hello' });
      p.conversationId = first.message.conversationId;
      expect((await attempt(p.recipient.socket!, { conversationId: p.conversationId, clientId: hi, body: 'hi' })).ok).toBe(true);
    }
    const startedAt = new Date(Date.now() - 1000).toISOString();
    const load = [...pairs.map((p) => chatLoop(p.sender, p.conversationId)), restLoop(watcher.accessToken)];
    await sleep(2000);

    // (1) Redis SIGKILLed, and 2 s later started again empty on the same port; one user logs out just before.
    expect((await http(a.url, 'GET', '/api/me', { token: gone.accessToken })).status).toBe(200);
    expect((await http(a.url, 'POST', '/api/auth/logout', { token: gone.accessToken })).status).toBe(204);
    await redis.kill();
    const redisDownAt = Date.now();
    await sleep(2000);
    await redis.start();
    const redisBackAt = Date.now();
    const goneStatuses: number[] = [];
    const [probe] = pairs;
    await Promise.all([
      waitFor(async () => {
        const statuses = await Promise.all([a, b].map(async (n) => (await http(n.url, 'GET', '/api/me', { token: gone.accessToken })).status));
        goneStatuses.push(...statuses);
        return statuses.every((s) => s === 401);
      }, 30_000, 'the logged-out token refused on both nodes'),
      waitFor(async () => {
        const [r, s] = [probe!.recipient, probe!.sender];
        const seen = await Promise.all([presenceOf(nodes[r.node]!.url, r.token, s.userId), presenceOf(nodes[s.node]!.url, s.token, r.userId)]);
        return seen.every((x) => x === 'online');
      }, 30_000, 'presence of the engaged pair online again').then(() => measure('Redis back -> presence correct', Date.now() - redisBackAt)),
      waitFor(schedulesPresent, 30_000, 'every recurring schedule back in Redis')
        .then(() => measure('Redis back -> schedules back', Date.now() - redisBackAt))
        .then(() => waitFor(() => sweepRanSince(redisBackAt), 30_000, 'a scheduled job run after the Redis restart')),
    ]);
    // Failing closed while the revocations are put back is fine (NOT_READY); letting the token in is not.
    expect(goneStatuses).not.toContain(200);
    // Authentication needs Redis: REST said NOT_READY while it was away. Open sockets kept sending.
    expect(errors.filter((e) => e.at >= redisDownAt && e.at <= redisBackAt + 1000).map((e) => e.code)).toContain('NOT_READY');
    console.log(`[measure] ${acks.filter((x) => x.at >= redisDownAt && x.at <= redisBackAt).length} sends acked during the 2 s without Redis`);

    // (2) PostgreSQL cut (connections refused and open ones killed) for a few seconds.
    await sleep(1000);
    await proxy.down();
    const pgDownAt = Date.now();
    await sleep(4000);
    await proxy.up();
    const pgUpAt = Date.now();
    // One CI run in about ten saw no send acked within 30 s of PostgreSQL's return (cause not found yet; the
    // message below says what clients were told meanwhile). Allowed 60 s: a slow recovery passes, a stuck one fails.
    await waitFor(() => acks.some((x) => x.at > pgUpAt), 60_000, 'a send acked after PostgreSQL is back').catch((err) => {
      // What the clients were told since, to tell a stuck server from refusals.
      const since = errors.filter((e) => e.at > pgUpAt);
      throw new Error(`${(err as Error).message}; since then: ${JSON.stringify(since.slice(-20))} (${since.length} errors)`);
    });
    measure('PostgreSQL back -> first acked send (clients wait the 3 s Retry-After)', acks.find((x) => x.at > pgUpAt)!.at - pgUpAt);
    await waitFor(() => restOk.some((t) => t > pgUpAt), 30_000, 'REST answering after PostgreSQL is back');
    measure('PostgreSQL back -> first REST 200 (polled every 250 ms)', restOk.find((t) => t > pgUpAt)! - pgUpAt);
    const duringCut = errors.filter((e) => e.at >= pgDownAt && e.at <= pgUpAt + 3000).map((e) => e.code);
    expect(duringCut).toContain('NOT_READY');

    // (3) The workers process SIGKILLed and replaced.
    await workers!.kill('SIGKILL');
    const workersKilledAt = Date.now();
    workers = await startWorkers();
    measure('workers SIGKILLed -> new workers running', Date.now() - workersKilledAt);
    await waitFor(() => sweepRanSince(workersKilledAt), 30_000, 'a scheduled job run by the new workers process');
    measure('workers SIGKILLed -> first scheduled job done by the new one', Date.now() - workersKilledAt);

    // (4) Node B SIGKILLed: its clients reconnect to node A and send again what was not acked.
    const movers = pairs.map((p) => p.sender).filter((s) => s.node === 1);
    alive[1] = false;
    await b.kill('SIGKILL');
    const nodeKilledAt = Date.now();
    await waitFor(() => movers.every((m) => acks.some((x) => x.senderId === m.userId && x.at > nodeKilledAt && x.node === 0)), 30_000, 'every moved sender acked on node A');
    const moved = acks.filter((x) => x.at > nodeKilledAt && movers.some((m) => m.userId === x.senderId));
    measure('node SIGKILLed -> its clients\' first ack on the other node', moved[0]!.at - nodeKilledAt);
    measure('node SIGKILLed -> every one of its senders acked on the other node', Math.max(...movers.map((m) => moved.find((x) => x.senderId === m.userId)!.at)) - nodeKilledAt);

    await sleep(2000);
    stopping = true;
    await Promise.all(load);

    // What pushes missed while a recipient was reconnecting, it syncs.
    for (const { recipient } of pairs) {
      let request: object = { since: startedAt, limit: 500 };
      for (;;) {
        const page = await (recipient.socket as any).timeout(10_000).emitWithAck('chat:sync', request);
        for (const m of page.messages) recipient.received.set(m.id, m.clientId);
        if (!page.hasMore) break;
        request = { cursor: page.next, limit: 500 };
      }
    }

    // 0 acked lost, 0 duplicates: the store has exactly the acked messages, one row per clientId, with the acked id.
    const convIds = pairs.map((p) => p.conversationId);
    const rows = await pgQuery<{ id: string; client_id: string }>(
      backing.databaseUrl,
      `SELECT id, client_id FROM messages WHERE conversation_id = ANY($1::uuid[])`,
      [convIds],
    );
    const loadRows = rows.filter((r) => !setupClientIds.has(r.client_id));
    const ackedByClientId = new Map(acks.map((x) => [x.clientId, x.id]));
    expect(ackedByClientId.size).toBe(acks.length); // each clientId acked once: the loop moves on after its ack
    expect(new Set(loadRows.map((r) => r.client_id)).size).toBe(loadRows.length);
    expect(new Map(loadRows.map((r) => [r.client_id, r.id]))).toEqual(ackedByClientId);
    const dupes = await pgQuery(backing.databaseUrl, `SELECT conversation_id, client_id FROM messages GROUP BY 1, 2 HAVING count(*) > 1`);
    expect(dupes).toEqual([]);
    // The recipient has every acked message, and never two messages for one clientId.
    for (const { sender, recipient } of pairs) {
      const sent = acks.filter((x) => x.senderId === sender.userId);
      for (const x of sent) expect(recipient.received.get(x.id), `acked ${x.id} reached the recipient`).toBe(x.clientId);
      const fromSender = [...recipient.received.values()].filter((cid) => ackedByClientId.has(cid));
      expect(new Set(fromSender).size).toBe(fromSender.length);
    }

    const codes = errors.map((e) => e.code);
    expect(codes).toContain('NOT_READY');
    expect(codes).not.toContain('INTERNAL');
    expect(codes.filter((c) => c.startsWith('HTTP_5') && c !== 'HTTP_503')).toEqual([]);
    // "No RATE_LIMITED wave": retries after outages must not push clients over the chat limits. Senders stay
    // well below the limits and retries of stored messages are not charged, so a wave would show as many
    // refusals; fewer RATE_LIMITED answers in the whole run than there are senders is the bound.
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeLessThan(PAIRS);

    const tally = new Map<string, number>();
    for (const e of errors) tally.set(`${e.via}:${e.code}`, (tally.get(`${e.via}:${e.code}`) ?? 0) + 1);
    console.log(`[measure] ${acks.length} messages acked by ${PAIRS} senders (${acks.filter((x) => x.replayed).length} acks replayed a stored message); errors seen: ${[...tally].map(([k, n]) => `${k}=${n}`).join(', ') || 'none'}`);
  }, 150_000);
});
