import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { io as ioClient } from 'socket.io-client';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, TYPING_TTL_MS: '400', CHAT_FLOOD_PER_5S: '8', CHAT_MESSAGES_PER_10S: '50' });
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const send = (s: ClientSocket, p: object) => ack(s, 'chat:send', { clientId: randomUUID(), ...p });
const sockets: ClientSocket[] = [];
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
afterAll(() => sockets.forEach((s) => s.close()));

async function two(opts: { creatorPrice?: number } = {}) {
  const a = await newUser(url);
  const b = await newUser(url, opts.creatorPrice !== undefined ? { role: 'creator' } : {});
  if (opts.creatorPrice !== undefined) {
    await http(url, 'PATCH', '/api/me', { token: b.accessToken, body: { messagePrice: opts.creatorPrice } });
  }
  return { a, b };
}

describe('sending', () => {
  it('delivers to every device of the recipient and the sender\'s other devices, with increasing seqs', async () => {
    const { a, b } = await two();
    const a1 = await open(a.accessToken);
    const a2 = await open(a.accessToken);
    const b1 = await open(b.accessToken);
    const b2 = await open(b.accessToken);
    const got = Promise.all([nextEvent<any>(a2, 'chat:message'), nextEvent<any>(b1, 'chat:message'), nextEvent<any>(b2, 'chat:message')]);
    const a1Got: string[] = [];
    a1.on('chat:message', (m: any) => a1Got.push(m.id));
    const r1 = await send(a1, { toUserId: b.user.id, body: 'hello' });
    expect(r1.ok).toBe(true);
    expect(r1.message).toMatchObject({ seq: 1, senderId: a.user.id, body: 'hello', price: 0 });
    for (const m of await got) expect(m.id).toBe(r1.message.id);
    const r2 = await send(b1, { conversationId: r1.message.conversationId, body: 'hi back' });
    expect(r2.message.seq).toBe(2);
    await waitFor(() => a1Got.length > 0);
    // The sending device has its message in the ack; it gets only the reply pushed.
    expect(a1Got).toEqual([r2.message.id]);
  });

  it('a retry with the same clientId returns the same message and stores it once', async () => {
    const { a, b } = await two();
    const s = await open(a.accessToken);
    const clientId = randomUUID();
    const first = await ack(s, 'chat:send', { toUserId: b.user.id, clientId, body: 'once' });
    const results = await Promise.all(Array.from({ length: 5 }, () => ack(s, 'chat:send', { toUserId: b.user.id, clientId, body: 'once' })));
    for (const r of results) expect(r).toMatchObject({ ok: true, replayed: true, message: { id: first.message.id, seq: 1 } });
    const conflict = await ack(s, 'chat:send', { toUserId: b.user.id, clientId, body: 'different' });
    expect(conflict.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM messages WHERE client_id = $1', [clientId])).toHaveLength(1);
  });

  it('the same send issued several times at once stores one message and answers every copy with it', async () => {
    // Several rounds: each is a fresh conversation where nothing of the clientId is stored yet.
    for (let round = 0; round < 4; round++) {
      const { a, b } = await two();
      const [s1, s2, s3] = [await open(a.accessToken), await open(a.accessToken), await open(a.accessToken)];
      const conv = (await send(s1, { toUserId: b.user.id, body: 'opening' })).message.conversationId;
      const clientId = randomUUID();
      const results = await Promise.all([s1, s2, s3].map((s) => ack(s, 'chat:send', { conversationId: conv, clientId, body: 'at once' })));
      const ids = new Set(results.map((r) => r.message?.id));
      expect(results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
      expect(ids.size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM messages WHERE client_id = $1', [clientId])).toHaveLength(1);
    }
  });

  // A clientId is unique per sender within a conversation (migration 0042: messages are partitioned by conversation,
  // and a unique key must hold the partition key): the same id in two conversations is two messages, each replayed
  // by its own retries.
  it('one clientId sent at once into two conversations stores a message in each; a retry in either replays its own', async () => {
    for (let round = 0; round < 4; round++) {
      const a = await newUser(url);
      const [b, c] = [await newUser(url), await newUser(url)];
      const [s1, s2] = [await open(a.accessToken), await open(a.accessToken)];
      const toB = (await send(s1, { toUserId: b.user.id, body: 'opening b' })).message.conversationId;
      const toC = (await send(s1, { toUserId: c.user.id, body: 'opening c' })).message.conversationId;
      const clientId = randomUUID();
      const results = await Promise.all([
        ack(s1, 'chat:send', { conversationId: toB, clientId, body: 'same id' }),
        ack(s2, 'chat:send', { conversationId: toC, clientId, body: 'same id' }),
      ]);
      expect(results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'ok']);
      expect(results.map((r) => r.message.conversationId)).toEqual([toB, toC]);
      expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM messages WHERE client_id = $1', [clientId])).toHaveLength(2);
      const retry = await ack(s2, 'chat:send', { conversationId: toB, clientId, body: 'same id' });
      expect(retry).toMatchObject({ ok: true, replayed: true, message: { id: results[0].message.id } });
    }
  });

  it('refuses bad input: both/neither target, blank or huge body, non-uuid clientId, self, unknown user', async () => {
    const { a, b } = await two();
    const s = await open(a.accessToken);
    for (const p of [
      { body: 'x' },
      { toUserId: b.user.id, conversationId: randomUUID(), body: 'x' },
      { toUserId: b.user.id, body: '   ' },
      { toUserId: b.user.id, body: 'x'.repeat(4001) },
      { toUserId: b.user.id, body: 'x', clientId: 'nope' },
      { toUserId: b.user.id, body: 42 },
    ]) {
      expect((await send(s, p)).error.code, JSON.stringify(p).slice(0, 60)).toBe('VALIDATION_FAILED');
    }
    expect((await send(s, { toUserId: a.user.id, body: 'me' })).error.code).toBe('VALIDATION_FAILED');
    expect((await send(s, { toUserId: randomUUID(), body: 'who' })).error.code).toBe('NOT_FOUND');
    expect((await send(s, { conversationId: randomUUID(), body: 'where' })).error.code).toBe('NOT_FOUND');
  });

  it('floods of one conversation are rate limited', async () => {
    const { a, b } = await two();
    const s = await open(a.accessToken);
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await send(s, { toUserId: b.user.id, body: `m${i}` }));
    expect(results.filter((r) => r.ok)).toHaveLength(8);
    expect(results.at(-1).error).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('priced messages', () => {
  it('charges fans the creator\'s price with the 80/20 split; creators reply free', async () => {
    const { a: fan, b: creator } = await two({ creatorPrice: 10 });
    await fund(node.pairly, fan.user.id, 25);
    const f = await open(fan.accessToken);
    const c = await open(creator.accessToken);
    const walletPush = nextEvent<any>(f, 'wallet:updated');
    const r = await send(f, { toUserId: creator.user.id, body: 'paid hello', expectedPrice: 10 });
    expect(r.message.price).toBe(10);
    expect(await walletPush).toMatchObject({ available: 15 });
    expect((await node.pairly.services.ledger.account(`earnings:${creator.user.id}`))?.posted).toBe(8);
    const reply = await send(c, { conversationId: r.message.conversationId, body: 'free reply' });
    expect(reply.message.price).toBe(0);
    await send(f, { conversationId: r.message.conversationId, body: 'second', expectedPrice: 10 });
    const broke = await send(f, { conversationId: r.message.conversationId, body: 'third', expectedPrice: 10 });
    expect(broke.error.code).toBe('INSUFFICIENT_CREDITS');
    const stored = await pgQuery(backing.databaseUrl, 'SELECT body FROM messages WHERE conversation_id = $1 ORDER BY seq', [r.message.conversationId]);
    expect(stored.map((m: any) => m.body)).toEqual(['paid hello', 'free reply', 'second']);
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(5);
  });

  it('a retried priced message charges once', async () => {
    const { a: fan, b: creator } = await two({ creatorPrice: 3 });
    await fund(node.pairly, fan.user.id, 10);
    const f = await open(fan.accessToken);
    const clientId = randomUUID();
    await Promise.all(Array.from({ length: 4 }, () => ack(f, 'chat:send', { toUserId: creator.user.id, clientId, body: 'hi', expectedPrice: 3 })));
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(7);
  });

  it('a fan who sends at the price shown while the creator raises it is charged nothing: PRICE_CHANGED carries the current price', async () => {
    const { a: fan, b: creator } = await two({ creatorPrice: 1 });
    await fund(node.pairly, fan.user.id, 5000);
    const f = await open(fan.accessToken);
    const first = await send(f, { toUserId: creator.user.id, body: 'hi', expectedPrice: 1 });
    expect(first.message.price).toBe(1);
    // The creator raises the price just before the fan's next send, which still carries the old one.
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { messagePrice: 4000 } });
    const clientId = randomUUID();
    const refused = await ack(f, 'chat:send', { conversationId: first.message.conversationId, clientId, body: 'again', expectedPrice: 1 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'PRICE_CHANGED', details: { price: 4000 } } });
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(4999);
    expect(await pgQuery(backing.databaseUrl, 'SELECT 1 FROM messages WHERE client_id = $1', [clientId])).toEqual([]);
    // Shown the new price, the fan agrees: charged exactly once, a retry charges nothing more.
    const agreed = await ack(f, 'chat:send', { conversationId: first.message.conversationId, clientId, body: 'again', expectedPrice: 4000 });
    expect(agreed).toMatchObject({ ok: true, replayed: false, message: { price: 4000 } });
    expect(await ack(f, 'chat:send', { conversationId: first.message.conversationId, clientId, body: 'again', expectedPrice: 4000 })).toMatchObject({ ok: true, replayed: true });
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(999);
    const legs = await pgQuery<{ n: number }>(backing.databaseUrl, `SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key LIKE $1`, [`msg:${agreed.message.id}:%`]);
    expect(legs[0]!.n).toBe(2); // the creator's share and the fee, once
  });

  it('no expectedPrice means the client showed "free": a priced send without it, or with any other price, is refused', async () => {
    const { a: fan, b: creator } = await two({ creatorPrice: 10 });
    await fund(node.pairly, fan.user.id, 100);
    const f = await open(fan.accessToken);
    expect((await send(f, { toUserId: creator.user.id, body: 'free?' })).error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 10 } });
    expect((await send(f, { toUserId: creator.user.id, body: 'less?', expectedPrice: 9 })).error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 10 } });
    // A creator's reply is free: stating a price for it is refused too (the client showed the wrong thing).
    const c = await open(creator.accessToken);
    expect((await send(c, { toUserId: fan.user.id, body: 'reply', expectedPrice: 10 })).error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 0 } });
    expect((await send(f, { toUserId: creator.user.id, body: 'x', expectedPrice: -1 })).error.code).toBe('VALIDATION_FAILED');
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(100);
  });

  it('the conversation list shows what a message costs here and the peer\'s prices', async () => {
    const { a: fan, b: creator } = await two({ creatorPrice: 6 });
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { callPricePerMinute: 30 } });
    await fund(node.pairly, fan.user.id, 6);
    const f = await open(fan.accessToken);
    const conv = (await send(f, { toUserId: creator.user.id, body: 'hi', expectedPrice: 6 })).message.conversationId;
    const entry = async (token: string) => (await http(url, 'GET', '/api/conversations', { token })).body.conversations.find((c: any) => c.id === conv);
    expect(await entry(fan.accessToken)).toMatchObject({ messagePrice: 6, peer: { id: creator.user.id, messagePrice: 6, callPricePerMinute: 30 } });
    // The creator pays nothing to reply or call the fan.
    expect(await entry(creator.accessToken)).toMatchObject({ messagePrice: 0, peer: { id: fan.user.id, messagePrice: 0, callPricePerMinute: 0 } });
  });

  it('only creators may set a price', async () => {
    const fan = await newUser(url);
    const r = await http(url, 'PATCH', '/api/me', { token: fan.accessToken, body: { messagePrice: 5 } });
    expect(r.body.error.code).toBe('FORBIDDEN');
  });
});

describe('receipts, unread counts and typing', () => {
  it('tracks delivered and read pointers, tells the sender, and keeps unread counts', async () => {
    const { a, b } = await two();
    const sa = await open(a.accessToken);
    const sb = await open(b.accessToken);
    const sb2 = await open(b.accessToken);
    const m1 = await send(sa, { toUserId: b.user.id, body: 'one' });
    const conv = m1.message.conversationId;
    await send(sa, { conversationId: conv, body: 'two' });
    await send(sa, { conversationId: conv, body: 'three' });
    const list = async (token: string) => (await http(url, 'GET', '/api/conversations', { token })).body.conversations.find((c: any) => c.id === conv);
    // b has not written in it: a's presence is not shared with b; a, who wrote, sees b's.
    expect(await list(b.accessToken)).toMatchObject({ unread: 3, lastSeq: 3, lastMessage: { body: 'three' }, peer: { id: a.user.id, presence: null } });
    expect(await list(a.accessToken)).toMatchObject({ unread: 0, peer: { id: b.user.id, presence: 'online' } });

    const deliveredPush = nextEvent<any>(sa, 'chat:delivered');
    expect(await ack(sb, 'chat:delivered', { conversationId: conv, upToSeq: 3 })).toMatchObject({ ok: true, upToSeq: 3 });
    expect(await deliveredPush).toEqual({ conversationId: conv, userId: b.user.id, upToSeq: 3 });

    const readPush = nextEvent<any>(sa, 'chat:read');
    const otherDevice = nextEvent<any>(sb2, 'chat:read');
    expect(await ack(sb, 'chat:read', { conversationId: conv, upToSeq: 2 })).toMatchObject({ ok: true, upToSeq: 2, unread: 1 });
    expect(await readPush).toEqual({ conversationId: conv, userId: b.user.id, upToSeq: 2 });
    expect((await otherDevice).upToSeq).toBe(2);
    // Pointers never move back and never pass the last message.
    expect((await ack(sb, 'chat:read', { conversationId: conv, upToSeq: 1 })).upToSeq).toBe(2);
    expect((await ack(sb, 'chat:read', { conversationId: conv, upToSeq: 99 })).upToSeq).toBe(3);
    expect((await list(b.accessToken)).unread).toBe(0);
    expect((await list(a.accessToken)).peerReadSeq).toBe(3);
    const stranger = await newUser(url);
    const ss = await open(stranger.accessToken);
    expect((await ack(ss, 'chat:read', { conversationId: conv, upToSeq: 1 })).error.code).toBe('NOT_FOUND');
    // Nor can a stranger post into someone else's conversation; nothing is stored.
    expect((await send(ss, { conversationId: conv, body: 'let me in' })).error.code).toBe('NOT_FOUND');
    expect(await pgQuery(backing.databaseUrl, `SELECT 1 FROM messages WHERE conversation_id = $1 AND sender_id = $2`, [conv, stranger.user.id])).toEqual([]);
  });

  it('pushes typing to the peer, throttles it, and ends it by itself after the TTL', async () => {
    const { a, b } = await two();
    const sa = await open(a.accessToken);
    const sb = await open(b.accessToken);
    const conv = (await send(sa, { toUserId: b.user.id, body: 'hey' })).message.conversationId;
    const started = nextEvent<any>(sb, 'chat:typing');
    expect(await ack(sa, 'chat:typing', { conversationId: conv, typing: true })).toMatchObject({ ok: true, throttled: false });
    expect(await started).toEqual({ conversationId: conv, userId: a.user.id, typing: true, expiresInMs: 400 });
    expect((await ack(sa, 'chat:typing', { conversationId: conv, typing: true })).throttled).toBe(true);
    const ended = await nextEvent<any>(sb, 'chat:typing', 3000);
    expect(ended).toMatchObject({ conversationId: conv, typing: false });
    expect(await pgQuery(backing.databaseUrl, `SELECT 1 FROM messages WHERE conversation_id = $1 AND body LIKE '%typing%'`, [conv])).toEqual([]);
    const stranger = await open((await newUser(url)).accessToken);
    expect((await ack(stranger, 'chat:typing', { conversationId: conv, typing: true })).error.code).toBe('NOT_FOUND');
  });
});

describe('history and sync', () => {
  it('pages history both ways and syncs what a client missed', async () => {
    const { a, b } = await two();
    const sa = await open(a.accessToken);
    const first = await send(sa, { toUserId: b.user.id, body: 'm1' });
    const conv = first.message.conversationId;
    for (let i = 2; i <= 6; i++) await send(sa, { conversationId: conv, body: `m${i}` });
    const page = async (q: string) => (await http(url, 'GET', `/api/conversations/${conv}/messages?${q}`, { token: b.accessToken })).body.messages.map((m: any) => m.seq);
    expect(await page('limit=3')).toEqual([4, 5, 6]);
    expect(await page('limit=3&before=4')).toEqual([1, 2, 3]);
    expect(await page('limit=2&after=2')).toEqual([3, 4]);
    const stranger = await newUser(url);
    expect((await http(url, 'GET', `/api/conversations/${conv}/messages`, { token: stranger.accessToken })).status).toBe(404);

    const sb = await open(b.accessToken);
    const synced = await ack(sb, 'chat:sync', { since: first.message.createdAt });
    expect(synced.messages.filter((m: any) => m.conversationId === conv).map((m: any) => m.body)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect((await ack(sb, 'chat:sync', { since: 'yesterday' })).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('safety', () => {
  it('a block stops messages and presence both ways; unblocking restores them', async () => {
    const { a, b } = await two();
    const sa = await open(a.accessToken);
    const conv = (await send(sa, { toUserId: b.user.id, body: 'before' })).message.conversationId;
    expect((await http(url, 'PUT', `/api/blocks/${a.user.id}`, { token: b.accessToken })).status).toBe(204);
    expect((await send(sa, { conversationId: conv, body: 'after' })).error.code).toBe('BLOCKED');
    const sb = await open(b.accessToken);
    expect((await send(sb, { conversationId: conv, body: 'from the blocker' })).error.code).toBe('BLOCKED');
    expect((await http(url, 'GET', '/api/blocks', { token: b.accessToken })).body.blocks).toEqual([{ userId: a.user.id, displayName: a.user.displayName, createdAt: expect.any(String) }]);
    expect((await http(url, 'PUT', `/api/blocks/${randomUUID()}`, { token: b.accessToken })).status).toBe(404);
    expect((await http(url, 'DELETE', `/api/blocks/${a.user.id}`, { token: b.accessToken })).status).toBe(204);
    expect((await send(sa, { conversationId: conv, body: 'again' })).ok).toBe(true);
  });

  it('reports a message with a copy of its content, once per reporter', async () => {
    const { a, b } = await two();
    const sa = await open(a.accessToken);
    const m = await send(sa, { toUserId: b.user.id, body: 'something nasty' });
    const r1 = await http(url, 'POST', `/api/messages/${m.message.id}/report`, { token: b.accessToken, body: { reason: 'harassment' } });
    expect(r1.status).toBe(201);
    const r2 = await http(url, 'POST', `/api/messages/${m.message.id}/report`, { token: b.accessToken, body: { reason: 'harassment' } });
    expect(r2.status).toBe(200);
    expect(r2.body.report.id).toBe(r1.body.report.id);
    const [row] = await pgQuery<any>(backing.databaseUrl, 'SELECT content, reported_id, note FROM reports WHERE id = $1', [r1.body.report.id]);
    expect(row).toMatchObject({ content: { body: 'something nasty' }, reported_id: a.user.id, note: 'harassment' });
    expect((await http(url, 'POST', `/api/messages/${m.message.id}/report`, { token: a.accessToken, body: { reason: 'x' } })).status).toBe(400);
    const stranger = await newUser(url);
    expect((await http(url, 'POST', `/api/messages/${m.message.id}/report`, { token: stranger.accessToken, body: { reason: 'x' } })).status).toBe(404);
  });
});

describe('presence', () => {
  it('pushes online, away and offline (with last seen) to conversation peers only', async () => {
    const { a, b } = await two();
    const sa = await open(a.accessToken);
    await send(sa, { toUserId: b.user.id, body: 'hi' });
    const stranger = await open((await newUser(url)).accessToken);
    let strangerHeard = false;
    stranger.on('presence:update', (p: any) => {
      if (p.updates.some((u: any) => u.userId === b.user.id)) strangerHeard = true;
    });
    const online = waitForUpdate(sa, b.user.id, 'online');
    const sb = await connect(url, b.accessToken);
    await online;
    const away = waitForUpdate(sa, b.user.id, 'away');
    expect(await ack(sb, 'presence:set', { status: 'away' })).toMatchObject({ ok: true, status: 'away' });
    await away;
    const offline = waitForUpdate(sa, b.user.id, 'offline');
    sb.close();
    const last = await offline;
    expect(last.lastSeen).toBeTruthy();
    expect(strangerHeard).toBe(false);
  });

  it('the /admin namespace refuses non-admins and streams snapshots to admins', async () => {
    const fan = await newUser(url);
    const adminNs = (token: string) => ioClient(`${url}/admin`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    const refused = adminNs(fan.accessToken);
    expect(await nextEvent<any>(refused, 'connect_error')).toMatchObject({ data: { code: 'FORBIDDEN' } });
    refused.close();
    const admin = await newAdmin(node.pairly, url);
    const s = adminNs(admin.token);
    const snapshot = await nextEvent<any>(s, 'admin:snapshot', 4000);
    expect(snapshot.onlineUsers).toBeGreaterThan(0);
    expect(Object.values(snapshot.socketsPerNode).reduce((x: number, y: any) => x + y, 0)).toBeGreaterThan(0);
    const search = await (s as any).timeout(5000).emitWithAck('admin:online', { q: fan.user.displayName.split(' ')[0] });
    expect(search.ok).toBe(true);
    expect((await (s as any).timeout(5000).emitWithAck('chat:send', {})).error.code).toBe('UNKNOWN_EVENT');
    s.close();
    const rest = await http(url, 'GET', '/api/admin/presence', { token: admin.token });
    expect(rest.body.snapshot.onlineUsers).toBeGreaterThan(0);
    expect((await http(url, 'GET', '/api/admin/presence', { token: fan.accessToken })).status).toBe(403);
  });
});

function waitForUpdate(s: ClientSocket, userId: string, status: string): Promise<any> {
  return waitFor(
    () =>
      new Promise<any>((resolve) => {
        const handler = (p: any) => {
          const u = p.updates.find((x: any) => x.userId === userId && x.status === status);
          if (u) {
            s.off('presence:update', handler);
            resolve(u);
          }
        };
        s.on('presence:update', handler);
        setTimeout(() => {
          s.off('presence:update', handler);
          resolve(undefined);
        }, 4000);
      }),
    10_000,
    `${status} for ${userId}`,
  );
}
