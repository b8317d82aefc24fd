import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { connect, http, newUser, type ClientSocket } from '../support/client.js';
import { newAdminViaCli } from '../support/admin-cli.js';
import { createBacking, freePort, startNodeProcess, type NodeProcess } from '../support/pairly.js';
import { startPrivateRedis } from '../support/private-redis.js';

/**
 * How long presence takes to be right again after a fault, with Pairly's
 * default presence and ping settings (or the ones in the environment):
 *
 *   restart   Redis SIGKILLed and restarted empty: Redis answering → the admin count back to all users
 *   flushall  FLUSHALL (no reconnect): the flush → the admin count back to all users
 *   sigstop   node A paused: the pause → A's users gone from the count on node B (noticed by the
 *             survivors), and → each of A's clients' 'ping timeout' disconnect (noticed by its clients)
 *
 * Two server processes on a redis-server of the script's own and a database of its own, both removed
 * at the end. Times are polled every 50 ms, so each is up to 50 ms late.
 *
 *   node --import tsx test/load/presence-recovery.ts [--users 100] [--rounds 3]
 */
const { values } = parseArgs({ options: { users: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } } });
const perNode = Number(values.users);
const rounds = Number(values.rounds);

const backing = await createBacking();
const redis = await startPrivateRedis(freePort());
// Presence and ping settings are left to their defaults unless the caller's environment sets them.
const passThrough = Object.fromEntries(
  ['PRESENCE_TTL_SECONDS', 'PRESENCE_HEARTBEAT_MS', 'SOCKET_PING_INTERVAL_MS', 'SOCKET_PING_TIMEOUT_MS'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])),
);
const env = { ...backing.env, REDIS_URL: redis.url, ...passThrough };
const nodes: NodeProcess[] = [];
const sockets: ClientSocket[] = [];
try {
  const [a, b] = await Promise.all([startNodeProcess(env), startNodeProcess(env)]);
  nodes.push(a, b);
  const admin = await newAdminViaCli(env, a.url);
  const count = async (url: string): Promise<number | undefined> => {
    const res = await http(url, 'GET', '/api/admin/presence?limit=1', { token: admin.accessToken });
    return res.status === 200 ? res.body.snapshot.onlineUsers : undefined;
  };
  const until = async (what: string, ok: () => Promise<boolean>, from: number): Promise<number> => {
    for (;;) {
      if (await ok().catch(() => false)) return Date.now() - from;
      if (Date.now() - from > 120_000) throw new Error(`not within 120 s: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const users = { a: [] as string[], b: [] as string[] };
  for (let i = 0; i < perNode; i++) {
    users.a.push((await newUser(a.url)).accessToken);
    users.b.push((await newUser(b.url)).accessToken);
  }
  const connectAll = (url: string, tokens: string[]) => Promise.all(tokens.map((t) => connect(url, t)));
  let onA = await connectAll(a.url, users.a);
  sockets.push(...onA, ...(await connectAll(b.url, users.b)));
  const all = 2 * perNode;
  await until('everyone online', async () => (await count(b.url)) === all, Date.now());

  const results: Record<string, number[]> = { restart: [], flushall: [], noticed: [], clientsFirst: [], clientsLast: [] };
  for (let round = 0; round < rounds; round++) {
    await redis.restart();
    results.restart!.push(await until('count back after restart', async () => (await count(b.url)) === all, Date.now()));

    const flusher = new Redis(redis.url);
    await flusher.flushall();
    const flushedAt = Date.now();
    flusher.disconnect();
    results.flushall!.push(await until('count back after FLUSHALL', async () => (await count(b.url)) === all, flushedAt));

    const dropped: number[] = [];
    for (const s of onA) s.once('disconnect', () => dropped.push(Date.now()));
    a.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    results.noticed!.push(await until("A's users gone on B", async () => (await count(b.url)) === perNode, pausedAt));
    await until("A's clients disconnected", async () => dropped.length === onA.length, pausedAt);
    results.clientsFirst!.push(Math.min(...dropped) - pausedAt);
    results.clientsLast!.push(Math.max(...dropped) - pausedAt);
    a.child.kill('SIGCONT');
    onA.forEach((s) => s.close());
    onA = await connectAll(a.url, users.a);
    sockets.push(...onA);
    await until('everyone online again', async () => (await count(b.url)) === all, Date.now());
  }

  const fmt = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    return `median ${s[Math.floor(s.length / 2)]} ms (min ${s[0]}, max ${s.at(-1)})`;
  };
  console.log(`${all} connected users on 2 nodes, ${rounds} rounds; settings: ${JSON.stringify(passThrough)} (empty: defaults)`);
  console.log(`Redis restarted empty → presence right again:   ${fmt(results.restart!)}`);
  console.log(`FLUSHALL → presence right again:                 ${fmt(results.flushall!)}`);
  console.log(`node paused → its users offline on the survivor: ${fmt(results.noticed!)}`);
  console.log(`node paused → its first client disconnects:      ${fmt(results.clientsFirst!)}`);
  console.log(`node paused → its last client disconnects:       ${fmt(results.clientsLast!)}`);
} finally {
  sockets.forEach((s) => s.close());
  for (const n of nodes) {
    n.child.kill('SIGCONT');
    await n.kill('SIGKILL');
  }
  await redis.stop();
  await backing.cleanup();
}
process.exit(0);
