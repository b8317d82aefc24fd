import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../server/src/logger.js';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, startNodeProcess, type Backing, type InProcessNode, type NodeProcess } from '../support/pairly.js';
import { openSlowReader } from '../support/slow-reader.js';

/**
 * What one user can cost a node, over real PostgreSQL and Redis: unsent
 * bytes per socket, events per user over all sockets and nodes, sockets per
 * user over all nodes, and /readyz when memory runs short.
 */
const PAGE_BYTES = 131_072;
const MAX_BUFFERED = 1_048_576;

let backing: Backing;
let a: InProcessNode;
let b: InProcessNode;
const logLines: Record<string, unknown>[] = [];
const sockets: ClientSocket[] = [];
const children: NodeProcess[] = [];

function nodeEnv(): Record<string, string> {
  return {
    ...backing.env,
    CHAT_PAGE_MAX_BYTES: String(PAGE_BYTES),
    SOCKET_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
    SOCKET_EVENTS_PER_SECOND: '1000',
    SOCKETS_PER_USER_MAX: '3',
    PRESENCE_TTL_SECONDS: '3',
    SOCKET_QUOTA_TTL_SECONDS: '3',
    // Set-up sends dozens of messages at once; these limits are not what is tested here.
    CHAT_MESSAGES_PER_10S: '10000',
    CHAT_FLOOD_PER_5S: '10000',
  };
}

beforeAll(async () => {
  backing = await createBacking();
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
      cb();
    },
  });
  a = await startInProcess({ ...nodeEnv(), NODE_ID: 'outbound-a' }, createLogger({ level: 'warn', nodeId: 'outbound-a' }, sink));
  b = await startInProcess({ ...nodeEnv(), NODE_ID: 'outbound-b' });
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  for (const c of children) await c.kill('SIGKILL');
  await a?.stop();
  await b?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(10_000).emitWithAck(event, payload) as Promise<any>;
const open = async (url: string, token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
/** This node's sockets of one user, as the server sees them. */
const serverSockets = (node: InProcessNode, userId: string) => [...node.pairly.io.of('/').sockets.values()].filter((s) => s.data.userId === userId);

/** A user whose chat:sync {limit:500} answers a full page (PAGE_BYTES) of 4000-character messages. */
async function userWithLongMessages(): Promise<{ accessToken: string; user: { id: string } }> {
  const [reader, sender] = await Promise.all([newUser(a.url), newUser(a.url)]);
  const s = await open(a.url, sender.accessToken);
  let conversationId: string | undefined;
  for (let i = 0; i < 40; i++) {
    const r = await ack(s, 'chat:send', { ...(conversationId ? { conversationId } : { toUserId: reader.user.id }), clientId: randomUUID(), body: 'x'.repeat(4000) });
    expect(r.ok).toBe(true);
    conversationId = r.message.conversationId;
  }
  return reader;
}

describe('unsent bytes per socket', () => {
  it('a socket that never reads is disconnected once its unsent bytes pass SOCKET_MAX_BUFFERED_BYTES, logged with the user and the reason', async () => {
    const reader = await userWithLongMessages();
    const h = await openSlowReader(a.url, reader.accessToken);
    if (!h.ok) throw new Error(`handshake refused: ${h.code}`);
    expect(serverSockets(a, reader.user.id)).toHaveLength(1);
    // Each reply is a ~128 KB page; the kernel's socket buffers take a few MB before the node's own memory does.
    // 500 replies (~64 MB) is far more than that: without a cap they would all wait in the node.
    for (let sent = 0; sent < 500 && serverSockets(a, reader.user.id).length > 0; sent += 10) {
      for (let i = 0; i < 10; i++) h.reader.emit('chat:sync', { limit: 500 });
      await sleep(20);
    }
    await waitFor(() => serverSockets(a, reader.user.id).length === 0, 10_000, 'the slow reader to be disconnected');
    // The TCP connection itself is gone (not only the Socket.IO session): a client that does not read learns it when it writes.
    await waitFor(
      () => {
        h.reader.emit('system:ping', {});
        return Promise.race([h.reader.closed.then(() => true), sleep(100).then(() => false)]);
      },
      10_000,
      'the client to see its connection closed',
    );
    const line = logLines.find((l) => l.msg === 'slow reader disconnected' && l.userId === reader.user.id);
    expect(line).toMatchObject({ reason: expect.stringContaining('SOCKET_MAX_BUFFERED_BYTES'), maxBytes: MAX_BUFFERED, transport: 'websocket' });
    expect(line!.unsentBytes as number).toBeGreaterThan(MAX_BUFFERED);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/pairly_sockets_cut_off_total\{[^}]*reason="outbound_buffer"[^}]*\} [1-9]/);
  });

  it('a polling client that stops polling is cut off too: the engine\'s write buffer counts', async () => {
    const reader = await userWithLongMessages();
    const base = `${a.url}/socket.io/?EIO=4&transport=polling`;
    const openPacket = await (await fetch(base)).text();
    const sid = (JSON.parse(openPacket.slice(1)) as { sid: string }).sid;
    const post = (body: string) => fetch(`${base}&sid=${sid}`, { method: 'POST', body });
    expect((await post(`40${JSON.stringify({ token: reader.accessToken })}`)).status).toBe(200);
    expect(await (await fetch(`${base}&sid=${sid}`)).text()).toMatch(/^40/);
    await waitFor(() => serverSockets(a, reader.user.id).length === 1, 5000, 'the namespace connection');
    // From here on the client never polls: every reply waits in the engine's write buffer.
    const syncs = Array.from({ length: 5 }, (_, i) => `42${i}${JSON.stringify(['chat:sync', { limit: 500 }])}`).join('\x1e');
    for (let n = 0; n < 40 && serverSockets(a, reader.user.id).length > 0; n++) {
      const res = await post(syncs);
      if (res.status !== 200) break;
      await sleep(50);
    }
    await waitFor(() => serverSockets(a, reader.user.id).length === 0, 10_000, 'the polling client to be disconnected');
    expect(logLines.find((l) => l.msg === 'slow reader disconnected' && l.userId === reader.user.id)).toMatchObject({ transport: 'polling' });
    // The session is gone, not only the namespace connection.
    expect((await post('2')).status).toBe(400);
  });

  it('a client that reads keeps its connection, however many pages it asks for', async () => {
    const reader = await userWithLongMessages();
    const s = await open(a.url, reader.accessToken);
    for (let i = 0; i < 40; i++) {
      const page = await ack(s, 'chat:sync', { limit: 500 });
      expect(page.ok).toBe(true);
    }
    expect(s.connected).toBe(true);
    expect(logLines.some((l) => l.msg === 'slow reader disconnected' && l.userId === reader.user.id)).toBe(false);
  });
});

describe('events per user', () => {
  it('are limited over all of a user\'s sockets and nodes, not per socket', async () => {
    const env = { ...nodeEnv(), SOCKET_EVENTS_PER_USER_PER_SECOND: '1' };
    const c = await startInProcess({ ...env, NODE_ID: 'outbound-c' });
    const d = await startInProcess({ ...env, NODE_ID: 'outbound-d' });
    try {
      const u = await newUser(c.url);
      const [c1, c2, d1] = await Promise.all([open(c.url, u.accessToken), open(c.url, u.accessToken), open(d.url, u.accessToken)]);
      // The limit is a 2 s window; if one turns over between exhausting it and the checks, try again.
      let shared = false;
      for (let attempt = 0; attempt < 5 && !shared; attempt++) {
        let first = await ack(c1, 'system:ping', {});
        for (let n = 0; first.ok && n < 100; n++) first = await ack(c1, 'system:ping', {});
        expect(first.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('account') });
        // Fresh sockets, each far under its own per-socket limit: one on the same node, one on another.
        const [sameNode, otherNode] = await Promise.all([ack(c2, 'system:ping', {}), ack(d1, 'system:ping', {})]);
        shared = sameNode.error?.code === 'RATE_LIMITED' && otherNode.error?.code === 'RATE_LIMITED';
        if (!shared) await sleep(2100);
      }
      expect(shared).toBe(true);
      // Another user is not affected.
      const other = await newUser(d.url);
      expect((await ack(await open(d.url, other.accessToken), 'system:ping', {})).ok).toBe(true);
    } finally {
      await c.stop();
      await d.stop();
    }
  });
});

describe('sockets per user', () => {
  it('one more than SOCKETS_PER_USER_MAX over all nodes is refused with TOO_MANY_SOCKETS; closing one frees a place', async () => {
    const u = await newUser(a.url);
    const a1 = await open(a.url, u.accessToken);
    await open(a.url, u.accessToken);
    await open(b.url, u.accessToken);
    await expect(connect(a.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });
    await expect(connect(b.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });
    // Other users are not affected.
    const other = await newUser(b.url);
    await open(b.url, other.accessToken);

    a1.close();
    const again = await waitFor(() => connect(b.url, u.accessToken).catch(() => undefined), 10_000, 'a place to free up');
    sockets.push(again);
    await expect(connect(b.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });
  });

  it('places of open sockets are kept alive past the TTL; those of a crashed node lapse', async () => {
    const u = await newUser(a.url);
    for (let i = 0; i < 3; i++) await open(a.url, u.accessToken);
    // More than two TTLs (SOCKET_QUOTA_TTL_SECONDS=3): the node refreshes its sockets' places.
    await sleep(7000);
    await expect(connect(b.url, u.accessToken)).rejects.toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });

    const v = await newUser(a.url);
    const doomed = await startNodeProcess({ ...nodeEnv(), SOCKET_QUOTA_TTL_SECONDS: '5', LOG_LEVEL: 'silent' });
    children.push(doomed);
    for (let i = 0; i < 3; i++) await open(doomed.url, v.accessToken);
    await doomed.kill('SIGKILL');
    await expect(connect(a.url, v.accessToken)).rejects.toMatchObject({ data: { code: 'TOO_MANY_SOCKETS' } });
    // Nobody refreshes the dead node's places: they lapse and the user can connect again.
    const back = await waitFor(() => connect(a.url, v.accessToken).catch(() => undefined), 20_000, 'the dead node\'s places to lapse');
    sockets.push(back);
  }, 60_000);
});

describe('/readyz', () => {
  it('reports memory: ok under the thresholds, 503 with the reason over them', async () => {
    const ok = await http(a.url, 'GET', '/readyz');
    expect(ok.status).toBe(200);
    expect(ok.body.checks.memory).toBe('ok');

    const tight = await startInProcess({ ...nodeEnv(), NODE_ID: 'outbound-tight', MEMORY_READY_MAX_RSS_MB: '1', MEMORY_READY_MAX_HEAP_FRACTION: '0.001' });
    try {
      const res = await http(tight.url, 'GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.checks.database).toBe('ok');
      expect(res.body.checks.memory).toMatch(/heap \d+ MB over 0.001 of its \d+ MB limit; rss \d+ MB over 1 MB/);
    } finally {
      await tight.stop();
    }
  });
});
