import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

let backing: Backing;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, MATCH_FALLBACK_MS: '300', MATCH_PAIR_INTERVAL_MS: '50', MATCH_SKIPS_PER_MINUTE: '5' });
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown = {}) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
async function stranger(interests?: string[]) {
  const u = await newUser(url);
  if (interests) await http(url, 'PUT', '/api/profile', { token: u.accessToken, body: { interests } });
  const s = await connect(url, u.accessToken);
  sockets.push(s);
  return { u, s };
}

/** The match service's store, whose calls the race tests hold back or interleave. */
const matchStore = () => (node.pairly.services.match as any).d.store;

/** Replaces `obj[key]` with `wrap(the original, bound)` until the returned function puts the original back. */
function patch(obj: any, key: string, wrap: (original: (...args: any[]) => any) => (...args: any[]) => any): () => void {
  const original = obj[key];
  obj[key] = wrap(original.bind(obj));
  return () => {
    obj[key] = original;
  };
}

describe('random text matches', () => {
  it('a skip writes the end of its session before the skipper can be paired again', async () => {
    const a = await stranger(['skip-order']);
    const b = await stranger(['skip-order']);
    const foundA = nextEvent<any>(a.s, 'match:found', 10_000);
    await ack(a.s, 'match:join', { mode: 'text', interests: ['skip-order'] });
    await ack(b.s, 'match:join', { mode: 'text', interests: ['skip-order'] });
    const first = await foundA;
    const c = await stranger(['skip-order']);
    await ack(c.s, 'match:join', { mode: 'text', interests: ['skip-order'] });

    // While the skip writes the old session's end, give any pairing pass a second to take a:
    // before the fix a was back in the queue already and met c here.
    const restore = patch(matchStore(), 'endSession', (endSession) => async (tx: unknown, id: string, reason: string, by: string | null) => {
      if (id === first.sessionId) await new Promise((r) => setTimeout(r, 1000));
      return endSession(tx, id, reason, by);
    });
    try {
      const again = nextEvent<any>(a.s, 'match:found', 10_000);
      expect(await ack(a.s, 'match:next')).toEqual({ ok: true, state: 'queued' });
      const second = await again;
      expect(second.peer.userId).toBe(c.u.user.id);
      const rows = await pgQuery<any>(
        backing.databaseUrl,
        'SELECT id, started_at, ended_at FROM match_sessions WHERE id = ANY ($1::uuid[])',
        [[first.sessionId, second.sessionId]],
      );
      const old = rows.find((r) => r.id === first.sessionId);
      const next = rows.find((r) => r.id === second.sessionId);
      expect(old.ended_at).not.toBeNull();
      expect(old.ended_at.getTime()).toBeLessThanOrEqual(next.started_at.getTime());
    } finally {
      restore();
    }
    await ack(a.s, 'match:leave');
    await ack(c.s, 'match:leave');
  });

  it('a pairing whose user left before its session row was written is ended, and nobody hears of it', async () => {
    const a = await stranger(['race-test']);
    const b = await stranger(['race-test']);
    let raced: string | undefined;
    // The leave lands between the Redis pairing and the insert of the session row.
    const restore = patch(matchStore(), 'createSession', (createSession) => async (tx: unknown, s: { id: string; a: string; b: string }) => {
      if (!raced && [s.a, s.b].includes(b.u.user.id)) {
        raced = s.id;
        await ack(b.s, 'match:leave');
      }
      return createSession(tx, s);
    });
    try {
      const foundA = nextEvent<any>(a.s, 'match:found', 10_000);
      await ack(a.s, 'match:join', { mode: 'text', interests: ['race-test'] });
      await ack(b.s, 'match:join', { mode: 'text', interests: ['race-test'] });
      await waitFor(() => raced !== undefined, 5000, 'the pairing of a and b');
      // a stays queued and meets someone else: the raced session never reaches it.
      const c = await stranger(['race-test']);
      await ack(c.s, 'match:join', { mode: 'text', interests: ['race-test'] });
      const found = await foundA;
      expect(found.sessionId).not.toBe(raced);
      expect(found.peer.userId).toBe(c.u.user.id);
      await ack(a.s, 'match:leave');
      await ack(c.s, 'match:leave');
    } finally {
      restore();
    }
    const [row] = await pgQuery<any>(backing.databaseUrl, 'SELECT ended_at IS NOT NULL AS ended, end_reason FROM match_sessions WHERE id = $1', [raced]);
    expect(row).toEqual({ ended: true, end_reason: 'leave' });
  });

  it('a pairing whose node died before recording it is ended by the users\' own node, and both are paired again', async () => {
    const a = await stranger(['orphan-test']);
    const b = await stranger(['orphan-test']);
    const match = node.pairly.services.match as any;
    const realPass = match.pass.bind(match);
    let orphan: string | undefined;
    // A node that pairs a and b in Redis and dies before it writes the session row (nor tells anyone).
    match.pass = async (mode: string) => {
      const pairs = await match.d.queue.pair(mode, Date.now(), [randomUUID()]);
      if (pairs.length === 0) return false;
      orphan = pairs[0].sessionId;
      match.pass = realPass;
      return false;
    };
    const foundA = nextEvent<any>(a.s, 'match:found', 10_000);
    try {
      await ack(a.s, 'match:join', { mode: 'text', interests: ['orphan-test'] });
      await ack(b.s, 'match:join', { mode: 'text', interests: ['orphan-test'] });
      await waitFor(() => orphan !== undefined, 5000, 'the unrecorded pairing');
    } finally {
      match.pass = realPass;
    }
    // The first sweep only notes it (a pass may be writing its row this moment); the next ends it.
    expect(await match.sweepOrphans()).toBe(0);
    expect(await match.d.queue.inSession(orphan, [a.u.user.id, b.u.user.id])).toBe(true);
    expect(await match.sweepOrphans()).toBe(1);
    const found = await foundA;
    expect(found.sessionId).not.toBe(orphan);
    expect(found.peer.userId).toBe(b.u.user.id);
    // The new session has its row, so the sweeps leave it alone.
    expect(await match.sweepOrphans()).toBe(0);
    expect(await match.sweepOrphans()).toBe(0);
    expect(await match.d.queue.inSession(found.sessionId, [a.u.user.id, b.u.user.id])).toBe(true);
    await ack(a.s, 'match:leave');
    await ack(b.s, 'match:leave');
  });

  it('pairs two strangers, lets them talk through chat:send, and a skip ends it for both and requeues the skipper', async () => {
    const a = await stranger();
    const b = await stranger();
    const foundA = nextEvent<any>(a.s, 'match:found');
    const foundB = nextEvent<any>(b.s, 'match:found');
    expect(await ack(a.s, 'match:join', { mode: 'text' })).toEqual({ ok: true, state: 'queued' });
    expect(await ack(b.s, 'match:join', { mode: 'text' })).toEqual({ ok: true, state: 'queued' });
    const [fa, fb] = await Promise.all([foundA, foundB]);
    expect(fa.sessionId).toBe(fb.sessionId);
    expect(fa.peer).toMatchObject({ userId: b.u.user.id, displayName: b.u.user.displayName, age: expect.any(Number) });
    expect(JSON.stringify(fa.peer)).not.toMatch(/email|birthdate|lat/);

    const got = nextEvent<any>(b.s, 'chat:message');
    const sent = await ack(a.s, 'chat:send', { conversationId: fa.conversationId, clientId: randomUUID(), body: 'hi stranger' });
    expect(sent.ok).toBe(true);
    expect((await got).body).toBe('hi stranger');

    const ended = nextEvent<any>(b.s, 'match:ended');
    expect(await ack(a.s, 'match:next')).toEqual({ ok: true, state: 'queued' });
    expect(await ended).toEqual({ sessionId: fa.sessionId, reason: 'skip' });
    const late = await ack(b.s, 'chat:send', { conversationId: fa.conversationId, clientId: randomUUID(), body: 'wait' });
    expect(late.error.code).toBe('CONVERSATION_CLOSED');
    const [row] = await pgQuery<any>(backing.databaseUrl, 'SELECT end_reason, ended_by FROM match_sessions WHERE id = $1', [fa.sessionId]);
    expect(row).toEqual({ end_reason: 'skip', ended_by: a.u.user.id });

    // b rejoins; the cooldown keeps a and b apart, so each waits for someone else.
    await ack(b.s, 'match:join', { mode: 'text' });
    const c = await stranger();
    const foundC = nextEvent<any>(c.s, 'match:found');
    await ack(c.s, 'match:join', { mode: 'text' });
    expect([a.u.user.id, b.u.user.id]).toContain((await foundC).peer.userId);
    await ack(a.s, 'match:leave');
    await ack(b.s, 'match:leave');
    await ack(c.s, 'match:leave');
  });

  it('matches on a shared interest first and says which', async () => {
    const tag = `i${randomUUID().slice(0, 6)}`;
    const a = await stranger([tag, 'cats']);
    const b = await stranger(['dogs']);
    const c = await stranger([tag]);
    const found = nextEvent<any>(a.s, 'match:found');
    await ack(a.s, 'match:join', { mode: 'text', interests: [tag, 'cats'] });
    await ack(b.s, 'match:join', { mode: 'text', interests: ['dogs'] });
    await ack(c.s, 'match:join', { mode: 'text', interests: [tag] });
    const f = await found;
    expect(f.peer.userId).toBe(c.u.user.id);
    expect(f.commonInterests).toEqual([tag]);
    // b falls back to anyone after the wait; nobody is left for b here, so b is still queued.
    await ack(a.s, 'match:leave');
    await ack(b.s, 'match:leave');
  });

  it('tells the peer when a stranger disconnects, and removes a disconnected waiter from the queue at once', async () => {
    const a = await stranger();
    const b = await stranger();
    const foundB = nextEvent<any>(b.s, 'match:found');
    await ack(a.s, 'match:join', { mode: 'text' });
    await ack(b.s, 'match:join', { mode: 'text' });
    const f = await foundB;
    const ended = nextEvent<any>(b.s, 'match:ended');
    a.s.close();
    expect(await ended).toEqual({ sessionId: f.sessionId, reason: 'disconnect' });

    await ack(b.s, 'match:leave');
    // A lone waiter (preferences nobody meets) disconnects: the queue forgets them at once.
    const w = await stranger();
    await http(url, 'PUT', '/api/profile/preferences', { token: w.u.accessToken, body: { ageMin: 119, ageMax: 120 } });
    await ack(w.s, 'match:join', { mode: 'text' });
    const before = (await node.pairly.services.match.sizes()).text;
    expect(before).toBeGreaterThanOrEqual(1);
    w.s.close();
    await waitFor(async () => (await node.pairly.services.match.sizes()).text === before - 1, 5000, 'the waiter to leave the queue');
    // Video needs an SFU; none is configured in this test.
    const v = await stranger();
    expect((await ack(v.s, 'match:join', { mode: 'video' })).error.code).toBe('SFU_UNAVAILABLE');
  });

  it('a join still on its way when its socket goes leaves no one behind: two such strangers are not held in a session nobody ends', async () => {
    const a = await stranger(['ghost-test']);
    const b = await stranger(['ghost-test']);
    // Their joins wait on the profile read while both sockets go: the disconnects come before the queue sees them.
    const slow = new Set([a.u.user.id, b.u.user.id]);
    const reads: Promise<unknown>[] = [];
    const restore = patch(matchStore(), 'profile', (profile) => (userId: string) => {
      const read = (async () => {
        if (slow.has(userId)) await new Promise((r) => setTimeout(r, 500));
        return profile(userId);
      })();
      reads.push(read);
      return read;
    });
    try {
      for (const x of [a, b]) (x.s as any).emit('match:join', { mode: 'text', interests: ['ghost-test'] }, () => undefined);
      await waitFor(async () => reads.length >= 2, 5000, 'both joins to reach the server');
      a.s.close();
      b.s.close();
      await Promise.allSettled(reads);
    } finally {
      restore();
    }
    // Whatever a pass made of them meanwhile is ended, and neither is left in the queue or in a session.
    const open = () =>
      pgQuery<{ n: number }>(backing.databaseUrl, 'SELECT count(*)::int AS n FROM match_sessions WHERE ended_at IS NULL AND (user_a = ANY ($1::uuid[]) OR user_b = ANY ($1::uuid[]))', [[...slow]]);
    await new Promise((r) => setTimeout(r, 500));
    await waitFor(async () => (await open())[0]!.n === 0, 5000, 'no open session of theirs');
    for (const x of [a, b]) {
      const s = await connect(url, x.u.accessToken);
      sockets.push(s);
      expect(await ack(s, 'match:join', { mode: 'text' })).toEqual({ ok: true, state: 'queued' });
      await ack(s, 'match:leave');
    }
  });

  it('a second device joining while in a session is told so; skips are rate limited; bad input is refused', async () => {
    const a = await stranger();
    const b = await stranger();
    const found = nextEvent<any>(a.s, 'match:found');
    await ack(a.s, 'match:join', { mode: 'text' });
    await ack(b.s, 'match:join', { mode: 'text' });
    const f = await found;
    const a2 = await connect(url, a.u.accessToken);
    sockets.push(a2);
    expect(await ack(a2, 'match:join', { mode: 'text' })).toEqual({ ok: true, state: 'in_session', sessionId: f.sessionId });
    expect((await ack(a.s, 'match:join', { mode: 'audio' })).error.code).toBe('VALIDATION_FAILED');
    expect((await ack(a.s, 'match:join', { mode: 'text', interests: ['<b>'] })).error.code).toBe('VALIDATION_FAILED');
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await ack(a.s, 'match:next'));
    expect(results.some((r) => r.error?.code === 'RATE_LIMITED')).toBe(true);
    await ack(a.s, 'match:leave');
    await ack(b.s, 'match:leave');
  });

  it('never pairs a blocked pair; a report keeps the session transcript', async () => {
    const a = await stranger();
    const b = await stranger();
    await http(url, 'PUT', `/api/blocks/${b.u.user.id}`, { token: a.u.accessToken });
    let paired = false;
    a.s.once('match:found', () => (paired = true));
    await ack(a.s, 'match:join', { mode: 'text' });
    await ack(b.s, 'match:join', { mode: 'text' });
    await new Promise((r) => setTimeout(r, 800)); // past the fall-back: still nobody compatible
    expect(paired).toBe(false);
    await ack(a.s, 'match:leave');
    await ack(b.s, 'match:leave');

    const x = await stranger();
    const y = await stranger();
    const found = nextEvent<any>(y.s, 'match:found');
    await ack(x.s, 'match:join', { mode: 'text' });
    await ack(y.s, 'match:join', { mode: 'text' });
    const f = await found;
    await ack(x.s, 'chat:send', { conversationId: f.conversationId, clientId: randomUUID(), body: 'rude words' });
    const r = await http(url, 'POST', `/api/match/sessions/${f.sessionId}/report`, { token: y.u.accessToken, body: { reason: 'abusive' } });
    expect(r.status).toBe(201);
    const [row] = await pgQuery<any>(backing.databaseUrl, 'SELECT reported_id, subject, content FROM reports WHERE id = $1', [r.body.report.id]);
    expect(row).toMatchObject({ reported_id: x.u.user.id, subject: 'match_session' });
    expect(row.content.transcript.map((m: any) => m.body)).toEqual(['rude words']);
    const outsider = await newUser(url);
    expect((await http(url, 'POST', `/api/match/sessions/${f.sessionId}/report`, { token: outsider.accessToken, body: { reason: 'x' } })).status).toBe(404);
    await ack(x.s, 'match:leave');
  });
});

describe('what match:found tells each side', () => {
  it('the peer\'s interests: the ones they joined with, then their profile\'s', async () => {
    const tag = `i${randomUUID().slice(0, 6)}`;
    const a = await stranger(); // nothing in the profile: interests only at join
    const b = await stranger(['chess', tag]);
    const foundA = nextEvent<any>(a.s, 'match:found', 10_000);
    const foundB = nextEvent<any>(b.s, 'match:found', 10_000);
    await ack(a.s, 'match:join', { mode: 'text', interests: [tag, 'jazz'] });
    await ack(b.s, 'match:join', { mode: 'text', interests: [tag] });
    const [fa, fb] = await Promise.all([foundA, foundB]);
    expect(fa.peer.interests).toEqual([tag, 'chess']);
    expect(fb.peer.interests).toEqual([tag, 'jazz']);
    await ack(a.s, 'match:leave');
    await ack(b.s, 'match:leave');
  });

  it('a fan meeting a creator sees the creator\'s prices and that the session is free; nothing is charged for its messages', async () => {
    const tag = `p${randomUUID().slice(0, 6)}`;
    const creator = await newUser(url, { role: 'creator' });
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { messagePrice: 7, callPricePerMinute: 20 } });
    const cs = await connect(url, creator.accessToken);
    sockets.push(cs);
    const fan = await stranger();
    await fund(node.pairly, fan.u.user.id, 50);
    const foundFan = nextEvent<any>(fan.s, 'match:found', 10_000);
    const foundCreator = nextEvent<any>(cs, 'match:found', 10_000);
    await ack(fan.s, 'match:join', { mode: 'text', interests: [tag] });
    await ack(cs, 'match:join', { mode: 'text', interests: [tag] });
    const [ff, fc] = await Promise.all([foundFan, foundCreator]);
    expect(ff).toMatchObject({ messagesFree: true, peer: { userId: creator.user.id, messagePrice: 7, callPricePerMinute: 20 } });
    expect(fc).toMatchObject({ messagesFree: true, peer: { userId: fan.u.user.id, messagePrice: 0, callPricePerMinute: 0 } });

    const hi = await ack(fan.s, 'chat:send', { conversationId: ff.conversationId, clientId: randomUUID(), body: 'hi' });
    expect(hi).toMatchObject({ ok: true, message: { price: 0 } });
    // The creator's price is not this conversation's: stating it is refused, and the answer says it is free.
    const stated = await ack(fan.s, 'chat:send', { conversationId: ff.conversationId, clientId: randomUUID(), body: 'hi?', expectedPrice: 7 });
    expect(stated.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 0 } });
    expect((await node.pairly.services.ledger.balance(fan.u.user.id)).available).toBe(50);
    const listed = (await http(url, 'GET', '/api/conversations', { token: fan.u.accessToken })).body.conversations.find((c: any) => c.id === ff.conversationId);
    expect(listed).toMatchObject({ kind: 'match', messagePrice: 0, peer: { messagePrice: 7, callPricePerMinute: 20 } });
    await ack(fan.s, 'match:leave');
    await ack(cs, 'match:leave');
  });
});
