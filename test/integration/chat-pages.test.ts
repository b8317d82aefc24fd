import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/** Sync and history pages are bounded in bytes as well as in count, and paging through them skips and repeats nothing. */
const BUDGET = 16_384;

let backing: Backing;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    CHAT_PAGE_MAX_BYTES: String(BUDGET),
    // Set-up sends dozens of messages at once; these limits are not what is tested here.
    CHAT_MESSAGES_PER_10S: '10000',
    CHAT_FLOOD_PER_5S: '10000',
    SOCKET_EVENTS_PER_SECOND: '1000',
  });
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(10_000).emitWithAck(event, payload) as Promise<any>;
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** `n` long messages (half ASCII, half two-byte characters) from `from` to `to`, in order; returns the conversation and the message ids. */
async function longMessages(from: ClientSocket, toUserId: string, n: number): Promise<{ conversationId: string; ids: string[] }> {
  const ids: string[] = [];
  let conversationId: string | undefined;
  for (let i = 0; i < n; i++) {
    const body = `${i}:` + (i % 2 ? 'é' : 'x').repeat(3990);
    const r = await ack(from, 'chat:send', { ...(conversationId ? { conversationId } : { toUserId }), clientId: randomUUID(), body });
    expect(r.ok).toBe(true);
    conversationId = r.message.conversationId;
    ids.push(r.message.id);
  }
  return { conversationId: conversationId!, ids };
}

describe('chat:sync pages', () => {
  it('stop at the byte budget with hasMore, and the cursor walks through every message exactly once', async () => {
    const [reader, a, c] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    const [sa, sc, sr] = await Promise.all([open(a.accessToken), open(c.accessToken), open(reader.accessToken)]);
    const fromA = await longMessages(sa, reader.user.id, 30);
    const short = await ack(sc, 'chat:send', { toUserId: reader.user.id, clientId: randomUUID(), body: 'short' });

    const seen: any[] = [];
    let request: object = { limit: 500 };
    let pages = 0;
    for (;;) {
      const page = await ack(sr, 'chat:sync', request);
      expect(page.ok).toBe(true);
      pages++;
      // An array's JSON is its elements plus commas and brackets: within the budget, give or take the brackets.
      expect(jsonBytes(page.messages)).toBeLessThanOrEqual(BUDGET + 2);
      expect(page.messages.length).toBeGreaterThan(0);
      seen.push(...page.messages);
      if (!page.hasMore) break;
      expect(pages).toBeLessThan(100);
      request = { cursor: page.next, limit: 500 };
    }
    // 30 messages of ~4-8 KB do not fit in one 16 KB page.
    expect(pages).toBeGreaterThan(5);
    const ids = seen.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...fromA.ids, short.message.id].sort());
    // Oldest first across pages.
    const times = seen.map((m) => m.createdAt);
    expect([...times].sort()).toEqual(times);
    expect(seen.filter((m) => m.conversationId === fromA.conversationId).map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('a count limit still applies, and the last page says hasMore false', async () => {
    const [reader, a] = await Promise.all([newUser(url), newUser(url)]);
    const [sa, sr] = await Promise.all([open(a.accessToken), open(reader.accessToken)]);
    let conversationId: string | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await ack(sa, 'chat:send', { ...(conversationId ? { conversationId } : { toUserId: reader.user.id }), clientId: randomUUID(), body: `m${i}` });
      conversationId = r.message.conversationId;
    }
    const first = await ack(sr, 'chat:sync', { limit: 3 });
    expect(first.messages.map((m: any) => m.body)).toEqual(['m0', 'm1', 'm2']);
    expect(first.hasMore).toBe(true);
    const second = await ack(sr, 'chat:sync', { cursor: first.next, limit: 3 });
    expect(second.messages.map((m: any) => m.body)).toEqual(['m3', 'm4']);
    expect(second.hasMore).toBe(false);
    const third = await ack(sr, 'chat:sync', { cursor: second.next, limit: 3 });
    expect(third).toMatchObject({ ok: true, messages: [], hasMore: false, next: second.next });
  });

  it('refuses a forged cursor, or a cursor together with since, as VALIDATION_FAILED', async () => {
    const u = await newUser(url);
    const s = await open(u.accessToken);
    for (const p of [
      { cursor: 'not-a-cursor' },
      { cursor: Buffer.from(JSON.stringify(['yesterday', randomUUID(), 1])).toString('base64url') },
      { cursor: Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000000Z', randomUUID(), 1])).toString('base64url'), since: new Date().toISOString() },
    ]) {
      expect((await ack(s, 'chat:sync', p)).error.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('history pages', () => {
  it('stop at the byte budget in both directions; next pages through all of it without gaps', async () => {
    const [reader, a] = await Promise.all([newUser(url), newUser(url)]);
    const sa = await open(a.accessToken);
    const { conversationId } = await longMessages(sa, reader.user.id, 24);
    const get = async (q: string) => {
      const res = await http(url, 'GET', `/api/conversations/${conversationId}/messages?${q}`, { token: reader.accessToken });
      expect(res.status).toBe(200);
      expect(jsonBytes(res.body.messages)).toBeLessThanOrEqual(BUDGET + 2);
      return res.body as { messages: { seq: number }[]; hasMore: boolean; next: { before?: number; after?: number } | null };
    };

    // Backwards from the newest: each page ascending, the pages going back in time.
    const backwards: number[][] = [];
    let page = await get('limit=200');
    for (;;) {
      backwards.push(page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      expect(page.next).toEqual({ before: page.messages[0]!.seq });
      page = await get(`limit=200&before=${page.next!.before}`);
    }
    expect(backwards.length).toBeGreaterThan(3);
    expect(backwards[0]!.at(-1)).toBe(24);
    expect(backwards.reverse().flat()).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));

    // Forwards from the start.
    const forwards: number[] = [];
    page = await get('limit=200&after=0');
    for (;;) {
      forwards.push(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      expect(page.next).toEqual({ after: page.messages.at(-1)!.seq });
      page = await get(`limit=200&after=${page.next!.after}`);
    }
    expect(forwards).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(page.next).toBeNull();
  });
});

describe('conversation list pages', () => {
  it('pass conversations that have no messages yet, each once, newest activity first', async () => {
    const me = await newUser(url);
    const peers = await Promise.all(Array.from({ length: 4 }, () => newUser(url)));
    const opened: string[] = [];
    for (const p of peers) {
      const r = await http(url, 'POST', '/api/conversations', { token: me.accessToken, body: { userId: p.user.id } });
      expect(r.status).toBe(201);
      opened.push(r.body.conversationId);
    }
    // One with a message, so both kinds share the order (a message is newer activity than every opening).
    const s = await open(me.accessToken);
    const sent = await ack(s, 'chat:send', { conversationId: opened[1], clientId: randomUUID(), body: 'hello' });
    expect(sent.ok).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = await http(url, 'GET', `/api/conversations?limit=1${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`, { token: me.accessToken });
      expect(page.status).toBe(200);
      seen.push(...page.body.conversations.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([opened[1], opened[3], opened[2], opened[0]]);
  });
});
