import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/*
 * The chat limits count messages, not attempts: a retry of a stored message
 * (a lost ack replayed after an outage) and a send that failed cost nothing.
 */
const PER_USER = 4;

let backing: Backing;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  // The per-socket event limit is not what these tests are about: it is set out of the way.
  node = await startInProcess({ ...backing.env, CHAT_MESSAGES_PER_10S: String(PER_USER), CHAT_FLOOD_PER_5S: '100', SOCKET_EVENTS_PER_SECOND: '1000' });
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, payload: object) => (s as any).timeout(5000).emitWithAck('chat:send', payload) as Promise<any>;
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};

describe('chat rate limits and retries', () => {
  it('failed sends give their point back: after many failures the user can still send', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const friend = await newUser(url);
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { messagePrice: 10 } });
    const s = await open(fan.accessToken);
    // Failures decided inside the send's transaction, after the limits were charged.
    for (let i = 0; i < PER_USER * 3; i++) {
      const r = await ack(s, { toUserId: creator.user.id, clientId: randomUUID(), body: `paid ${i}`, expectedPrice: 10 });
      expect(r.error?.code).toBe('INSUFFICIENT_CREDITS');
    }
    for (let i = 0; i < PER_USER * 2; i++) {
      const r = await ack(s, { toUserId: creator.user.id, clientId: randomUUID(), body: `unpriced ${i}` });
      expect(r.error?.code).toBe('PRICE_CHANGED');
    }
    const ok = await ack(s, { toUserId: friend.user.id, clientId: randomUUID(), body: 'still here' });
    expect(ok).toMatchObject({ ok: true, replayed: false });
  });

  it('replays of stored clientIds are never rate limited, far above the limit; new sends still are', async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    const s = await open(a.accessToken);
    const sent: { clientId: string; body: string; id: string; conversationId: string }[] = [];
    for (let i = 0; i < PER_USER; i++) {
      const clientId = randomUUID();
      const r = await ack(s, { toUserId: b.user.id, clientId, body: `m${i}` });
      expect(r.ok).toBe(true);
      sent.push({ clientId, body: `m${i}`, id: r.message.id, conversationId: r.message.conversationId });
    }
    // A reconnecting client replays everything it has no ack for, more than once.
    const replays = await Promise.all(
      Array.from({ length: PER_USER * 10 }, (_, i) => {
        const m = sent[i % sent.length]!;
        return ack(s, i % 2 ? { toUserId: b.user.id, clientId: m.clientId, body: m.body } : { conversationId: m.conversationId, clientId: m.clientId, body: m.body });
      }),
    );
    for (const [i, r] of replays.entries()) expect(r).toMatchObject({ ok: true, replayed: true, message: { id: sent[i % sent.length]!.id } });
    // The budget was spent by the four real messages: the next new one is refused.
    const fresh = await ack(s, { toUserId: b.user.id, clientId: randomUUID(), body: 'one too many' });
    expect(fresh.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(fresh.error.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('copies of one send racing each other cost one point together', async () => {
    const a = await newUser(url);
    const b = await newUser(url);
    const s = await open(a.accessToken);
    const clientId = randomUUID();
    const copies = await Promise.all(Array.from({ length: 3 }, () => ack(s, { toUserId: b.user.id, clientId, body: 'twin' })));
    for (const r of copies) expect(r.ok).toBe(true);
    expect(new Set(copies.map((r) => r.message.id)).size).toBe(1);
    // One message stored: the rest of the budget is still there for new ones.
    for (let i = 1; i < PER_USER; i++) {
      expect(await ack(s, { toUserId: b.user.id, clientId: randomUUID(), body: `after ${i}` })).toMatchObject({ ok: true });
    }
    expect((await ack(s, { toUserId: b.user.id, clientId: randomUUID(), body: 'over' })).error?.code).toBe('RATE_LIMITED');
  });
});
