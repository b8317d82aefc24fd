import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, startNodeProcess, type Backing, type InProcessNode, type NodeProcess } from '../support/pairly.js';
import { newAdmin } from '../support/ledger.js';
import { createLogger } from '../../server/src/logger.js';

/**
 * A node stopped with SIGSTOP (paused: its TCP connections stay open, it
 * just never answers) among two healthy in-process nodes. The survivors
 * notice it through its lapsed heartbeat key (its users go offline, its
 * match-queue entries are purged, one survivor logs it), its clients notice
 * it through the missing Socket.IO pings and disconnect. A node paused for
 * less than its clients' ping window comes back to users who are still
 * connected: it writes them back, and they read online again.
 */
let backing: Backing;
let b: InProcessNode;
let c: InProcessNode;
const lines: string[] = [];
const children: NodeProcess[] = [];
let admin: { token: string };

const sink = () =>
  new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, PRESENCE_TTL_SECONDS: '2' };
  [b, c] = await Promise.all([
    startInProcess({ ...env, NODE_ID: 'healthy-b' }, createLogger({ level: 'warn', nodeId: 'healthy-b' }, sink())),
    startInProcess({ ...env, NODE_ID: 'healthy-c' }, createLogger({ level: 'warn', nodeId: 'healthy-c' }, sink())),
  ]);
  admin = await newAdmin(b.pairly, b.url);
}, 60_000);
afterAll(async () => {
  for (const n of children) {
    n.child.kill('SIGCONT');
    await n.kill('SIGKILL');
  }
  await Promise.all([b?.stop(), c?.stop()]);
  await backing?.cleanup();
});

async function pausable(env: Record<string, string> = {}): Promise<NodeProcess> {
  const n = await startNodeProcess({ ...backing.env, PRESENCE_TTL_SECONDS: '2', LOG_LEVEL: 'warn', ...env });
  children.push(n);
  return n;
}

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
async function presenceOf(token: string, peerId: string): Promise<string | null | undefined> {
  const res = await http(b.url, 'GET', '/api/conversations?limit=100', { token });
  return res.body.conversations.find((x: any) => x.peer.id === peerId)?.peer.presence;
}
/** What an Engine.IO handshake tells every client (the defaults: SOCKET_PING_INTERVAL_MS, SOCKET_PING_TIMEOUT_MS). */
async function pingSettings(url: string): Promise<{ pingInterval: number; pingTimeout: number }> {
  const open = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
  const { pingInterval, pingTimeout } = JSON.parse(open.slice(1)); // "0" (open) + JSON
  return { pingInterval, pingTimeout };
}
const snapshot = async () => (await http(b.url, 'GET', '/api/admin/presence', { token: admin.token })).body.snapshot;

/** u on the node to be paused, p on healthy B; each wrote to the other, so each sees the other's presence. */
async function pairAcross(paused: NodeProcess) {
  const [u, p] = await Promise.all([newUser(b.url), newUser(b.url)]);
  const su = await connect(paused.url, u.accessToken);
  const sp = await connect(b.url, p.accessToken);
  expect((await ack(su, 'chat:send', { toUserId: p.user.id, clientId: randomUUID(), body: 'hi' })).ok).toBe(true);
  expect((await ack(sp, 'chat:send', { toUserId: u.user.id, clientId: randomUUID(), body: 'hey' })).ok).toBe(true);
  await waitFor(async () => (await presenceOf(p.accessToken, u.user.id)) === 'online', 10_000, 'u online before the pause');
  return { u, p, su, sp };
}

describe('a paused node', () => {
  it('is noticed by the survivors and by its own clients; what was sent to its users meanwhile is durable and synced on reconnect', async () => {
    const paused = await pausable();
    const nodeId = `node-${paused.port}`;
    const { u, p, su, sp } = await pairAcross(paused);
    expect(await pingSettings(paused.url)).toEqual({ pingInterval: 10_000, pingTimeout: 5000 });
    expect((await ack(su, 'match:join', { mode: 'text' })).ok).toBe(true);
    await waitFor(async () => (await snapshot()).matchQueue.text === 1, 10_000, 'u queued');
    const disconnected = new Promise<string>((resolve) => su.once('disconnect', (reason) => resolve(reason)));

    paused.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    await waitFor(async () => (await presenceOf(p.accessToken, u.user.id)) === 'offline', 30_000, 'u offline on the survivors');
    console.log(`[measure] paused node noticed by the survivors (its user offline over REST) after ${Date.now() - pausedAt} ms (PRESENCE_TTL_SECONDS=2)`);
    await waitFor(async () => (await snapshot()).matchQueue.text === 0, 10_000, "the paused node's queue entry purged");
    expect((await snapshot()).socketsPerNode[nodeId]).toBeUndefined();

    // Sent while u's node is paused: acked once stored (durable), not claimed delivered.
    const sent = await ack(sp, 'chat:send', { toUserId: u.user.id, clientId: randomUUID(), body: 'are you there?' });
    expect(sent.ok).toBe(true);

    // Its client hears no ping for SOCKET_PING_INTERVAL_MS + SOCKET_PING_TIMEOUT_MS and gives up on it.
    const reason = await Promise.race([disconnected, new Promise<string>((r) => setTimeout(() => r('still connected'), 60_000))]);
    expect(reason).toBe('ping timeout');
    console.log(`[measure] paused node's client disconnected ('${reason}') after ${Date.now() - pausedAt} ms (default ping 10 s + 5 s)`);

    // Every survivor saw the lapse; exactly one reaped and logged it.
    const reaped = lines.filter((l) => l.includes('reaped the sockets') && l.includes(`"deadNode":"${nodeId}"`));
    expect(reaped).toHaveLength(1);

    // u reconnects to a healthy node and catches up with what was sent meanwhile.
    const back = await connect(b.url, u.accessToken);
    const sync = await ack(back, 'chat:sync', {});
    expect(sync.ok).toBe(true);
    expect(sync.messages.map((m: any) => m.id)).toContain(sent.message.id);

    // Resumed, the node writes back nothing of the socket that left it while it was paused.
    paused.child.kill('SIGCONT');
    await waitFor(async () => (await snapshot()).socketsPerNode[nodeId] === 0, 20_000, 'the resumed node heartbeating with no sockets');
    back.close();
    sp.close();
  }, 120_000);

  it("comes back to clients still connected within their ping window: they read online again without reconnecting", async () => {
    // A ping window far longer than the pause: the clients stay connected through it.
    const paused = await pausable({ SOCKET_PING_INTERVAL_MS: '60000', SOCKET_PING_TIMEOUT_MS: '60000' });
    const { u, p, su, sp } = await pairAcross(paused);
    expect(await pingSettings(paused.url)).toEqual({ pingInterval: 60_000, pingTimeout: 60_000 });
    let dropped = false;
    su.on('disconnect', () => (dropped = true));

    paused.child.kill('SIGSTOP');
    await waitFor(async () => (await presenceOf(p.accessToken, u.user.id)) === 'offline', 30_000, 'u reaped while its node is paused');
    paused.child.kill('SIGCONT');
    const resumedAt = Date.now();
    await waitFor(async () => (await presenceOf(p.accessToken, u.user.id)) === 'online', 30_000, 'u online again after the resume');
    console.log(`[measure] resumed node's user online again after ${Date.now() - resumedAt} ms`);
    expect(dropped).toBe(false);
    // Logged after the write that made u online again, and written asynchronously: wait for the line.
    await waitFor(() => paused.output().includes('its live sockets are written back'), 10_000, "the resumed node's rebuild logged");
    su.close();
    sp.close();
  }, 120_000);
});
