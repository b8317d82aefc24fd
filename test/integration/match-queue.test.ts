import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMemoryMatchQueue, createRedisMatchQueue, type MatchQueue, type QueueEntry } from '../../server/src/modules/match/match.queue.js';
import { createRedisPrefix, TEST_REDIS_URL } from '../support/services.js';

/** The same rules for both drivers: one suite, run against the Lua scripts on real Redis and against memory. */
const opts = { fallbackMs: 1000, cooldownMs: 60_000, scan: 500 };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const drivers: [string, () => MatchQueue][] = [
  ['memory', () => createMemoryMatchQueue(opts)],
  [
    'redis',
    () => {
      const p = createRedisPrefix();
      const r = new Redis(TEST_REDIS_URL);
      cleanups.push(async () => {
        await p.cleanup();
        r.disconnect();
      });
      return createRedisMatchQueue(r, p.prefix, 'node-a', opts);
    },
  ],
];

const entry = (over: Partial<QueueEntry> = {}): QueueEntry => ({
  userId: randomUUID(),
  mode: 'text',
  socketId: randomUUID(),
  interests: [],
  gender: 'woman',
  age: 30,
  seeks: [],
  ageMin: 18,
  ageMax: 99,
  blocked: [],
  ...over,
});
const ids = (n = 50) => Array.from({ length: n }, () => randomUUID());

/** Two users who join at 0 and are paired with each other at 10. */
async function pairTwo(q: MatchQueue) {
  const [a, b] = [entry(), entry()];
  await q.join(a, 0);
  await q.join(b, 0);
  const [session] = await q.pair('text', 10, ids());
  return { a, b, session };
}

describe.each(drivers)('MatchQueue (%s)', (_name, make) => {
  it('pairs two waiting users once, longest-waiting first', async () => {
    const q = make();
    const [a, b, c] = [entry(), entry(), entry()];
    await q.join(a, 1000);
    await q.join(b, 2000);
    await q.join(c, 3000);
    const pairs = await q.pair('text', 4000, ids());
    expect(pairs).toHaveLength(1);
    expect([pairs[0]!.userId, pairs[0]!.peerId].sort()).toEqual([a.userId, b.userId].sort());
    expect(await q.pair('text', 4000, ids())).toEqual([]);
    expect(await q.join(a, 5000)).toMatchObject({ state: 'in_session', sessionId: pairs[0]!.sessionId });
    expect((await q.sizes()).text).toBe(1);
  });

  it('knows who is still in a session, and puts a user whose pairing fell through back at their place', async () => {
    const q = make();
    const [a, b, c] = [entry(), entry(), entry()];
    await q.join(a, 1000);
    await q.join(b, 2000);
    const [pair] = await q.pair('text', 3000, ids());
    expect(await q.inSession(pair!.sessionId, [a.userId, b.userId])).toBe(true);
    // b leaves before the session is recorded: a is in no session and in no queue until requeued.
    await q.end(b.userId, 3100, 'leave');
    expect(await q.inSession(pair!.sessionId, [a.userId, b.userId])).toBe(false);
    expect((await q.sizes()).text).toBe(0);
    expect(await q.requeueIfIdle(b.userId, pair!.sessionId)).toBe(false); // gone
    expect(await q.requeueIfIdle(a.userId, pair!.sessionId)).toBe(true);
    expect((await q.sizes()).text).toBe(1);
    // At a's old place: a (joined at 1000) is paired before c, who joined later, with the next comer.
    await q.join(c, 3200);
    const d = entry();
    await q.join(d, 3300);
    const [next] = await q.pair('text', 3400, ids());
    expect([next!.userId, next!.peerId]).toContain(a.userId);
    // In a session again: a requeue does not pull a out of it.
    expect(await q.requeueIfIdle(a.userId, pair!.sessionId)).toBe(false);
    expect(await q.inSession(next!.sessionId, [next!.userId, next!.peerId])).toBe(true);
  });

  it('parks a skipper: out of pairing until requeued, then at the back of the queue', async () => {
    const q = make();
    const [a, b, c] = [entry(), entry(), entry()];
    await q.join(a, 1000);
    await q.join(b, 2000);
    const [pair] = await q.pair('text', 3000, ids());
    await q.join(c, 3500);
    expect(await q.end(a.userId, 4000, 'park')).toEqual({ ended: true, sessionId: pair!.sessionId, peerId: b.userId });
    // b is out of the session (and must rejoin); a is parked: c waits alone.
    expect(await q.pair('text', 5000, ids())).toEqual([]);
    expect((await q.sizes()).text).toBe(1);
    // b joins again before a's skip is recorded: parked too, with the session to record first.
    expect(await q.join(b, 5500)).toEqual({ state: 'pending', sessionId: pair!.sessionId, peerId: null });
    expect(await q.pair('text', 5600, ids())).toEqual([]);
    expect(await q.requeueIfIdle(b.userId, pair!.sessionId)).toBe(true);
    expect(await q.requeueIfIdle(a.userId, pair!.sessionId)).toBe(true);
    // a rejoined the queue at 4000 (the skip), after c (3500), before b (5500); a and b are cooling down.
    const pairs = await q.pair('text', 6000, ids());
    expect(pairs.map((p) => [p.userId, p.peerId].sort())).toEqual([[a.userId, c.userId].sort()]);
  });

  it('prefers a shared interest, and falls back to anyone after the wait', async () => {
    const q = make();
    const a = entry({ interests: ['chess', 'jazz'] });
    const b = entry({ interests: ['football'] });
    const c = entry({ interests: ['jazz'] });
    await q.join(a, 0);
    await q.join(b, 10);
    expect(await q.pair('text', 500, ids())).toEqual([]); // no shared interest yet, nobody waited long enough
    await q.join(c, 600);
    const pairs = await q.pair('text', 700, ids());
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ userId: a.userId, peerId: c.userId, commonInterests: ['jazz'] });
    const d = entry({ interests: ['golf'] });
    await q.join(d, 800);
    expect(await q.pair('text', 900, ids())).toEqual([]);
    const late = await q.pair('text', 1100, ids()); // b has waited past the fall-back
    expect(late).toHaveLength(1);
    expect(late[0]!.commonInterests).toEqual([]);
  });

  it('respects both sides\' preferences and blocks', async () => {
    const q = make();
    const man = entry({ gender: 'man', seeks: ['woman'] });
    const womanSeekingWomen = entry({ gender: 'woman', seeks: ['woman'] });
    await q.join(man, 0);
    await q.join(womanSeekingWomen, 0);
    expect(await q.pair('text', 5000, ids())).toEqual([]);
    const tooOld = entry({ gender: 'woman', age: 60 });
    const wantsYoung = entry({ gender: 'woman', seeks: ['woman'], ageMax: 40 });
    await q.join(tooOld, 0);
    await q.join(wantsYoung, 0);
    const pairs = await q.pair('text', 5000, ids());
    const byId = new Map([man, womanSeekingWomen, tooOld, wantsYoung].map((e) => [e.userId, e]));
    const accepts = (x: QueueEntry, y: QueueEntry) => (x.seeks.length === 0 || x.seeks.includes(y.gender!)) && y.age >= x.ageMin && y.age <= x.ageMax;
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) {
      const [x, y] = [byId.get(p.userId)!, byId.get(p.peerId)!];
      expect(accepts(x, y) && accepts(y, x)).toBe(true);
    }
    const partnerOfWantsYoung = pairs.find((p) => p.userId === wantsYoung.userId || p.peerId === wantsYoung.userId);
    if (partnerOfWantsYoung) expect([partnerOfWantsYoung.userId, partnerOfWantsYoung.peerId]).toContain(womanSeekingWomen.userId);
    const x = entry();
    const y = entry({ blocked: [x.userId] });
    const q2 = make();
    await q2.join(x, 0);
    await q2.join(y, 0);
    expect(await q2.pair('text', 5000, ids())).toEqual([]);
  });

  it('a skip ends the session for both, cools the pair down, and requeues only the skipper', async () => {
    const q = make();
    const { a, b, session: p } = await pairTwo(q);
    const ended = await q.end(a.userId, 20, 'requeue');
    expect(ended).toMatchObject({ ended: true, sessionId: p!.sessionId, peerId: b.userId });
    await q.join(b, 30);
    expect(await q.pair('text', 40, ids())).toEqual([]); // cooldown
    const c = entry();
    await q.join(c, 50);
    expect((await q.pair('text', 60, ids())).length).toBe(1);
  });

  it('a pairing that could not be recorded ends only itself: not the newer session one of them moved on to', async () => {
    const q = make();
    const [a, b, c] = [entry(), entry(), entry()];
    await q.join(a, 0);
    await q.join(b, 0);
    const [first] = await q.pair('text', 10, ids());
    // a skips the first session and is paired with c while the first pairing's row is still being written.
    await q.end(a.userId, 20, 'requeue');
    await q.join(c, 30);
    const [second] = await q.pair('text', 40, ids());
    expect([second!.userId, second!.peerId].sort()).toEqual([a.userId, c.userId].sort());
    // The first pairing's row fails: each of its two users is ended for that session only.
    expect(await q.end(a.userId, 50, 'requeue', undefined, first!.sessionId)).toMatchObject({ ended: false });
    expect(await q.inSession(second!.sessionId, [a.userId, c.userId])).toBe(true);
    // b (whose peer ended it) has that session back and goes back into the queue.
    expect(await q.end(b.userId, 60, 'requeue', undefined, first!.sessionId)).toMatchObject({ ended: true, sessionId: first!.sessionId });
    const d = entry();
    await q.join(d, 70);
    const [third] = await q.pair('text', 80, ids());
    expect([third!.userId, third!.peerId].sort()).toEqual([b.userId, d.userId].sort());
  });

  it('an unrecorded pairing ended with its guard leaves no cooldown: the two may be paired again at once', async () => {
    const q = make();
    const { a, b, session: first } = await pairTwo(q);
    for (const u of [a, b]) expect(await q.end(u.userId, 20, 'requeue', undefined, first!.sessionId)).toMatchObject({ ended: true });
    const [again] = await q.pair('text', 30, ids());
    expect(again!.sessionId).not.toBe(first!.sessionId);
    expect([again!.userId, again!.peerId].sort()).toEqual([a.userId, b.userId].sort());
  });

  it('a pairing that could not be recorded puts both back at their old places, ahead of those who joined after them', async () => {
    const q = make();
    const { a, b, session: first } = await pairTwo(q); // joined at 0
    // Two who joined after them.
    const [c, d] = [entry(), entry()];
    await q.join(c, 15);
    await q.join(d, 16);
    for (const u of [a, b]) await q.end(u.userId, 20, 'requeue', undefined, first!.sessionId);
    // c, looked at first (a and b are due again only now), gets the longest-waiting partner as if the failed
    // pairing had not happened: a or b (joined at 0), not d (16), who would have waited longer had a and b
    // gone to the back at 20.
    const [next] = await q.pair('text', 30, ids(1));
    const pair = [next!.userId, next!.peerId];
    expect(pair).toContain(c.userId);
    expect(pair).not.toContain(d.userId);
  });

  it('a user whose peer just ended their session gets it back from their own skip, to record its end first', async () => {
    const q = make();
    const { a, b, session: p } = await pairTwo(q);
    expect(await q.end(a.userId, 20, 'park')).toMatchObject({ ended: true, sessionId: p!.sessionId, peerId: b.userId });
    // b skips at the same moment: the session is already over in the queue, but b's caller must still see it.
    expect(await q.end(b.userId, 21, 'park')).toEqual({ ended: true, sessionId: p!.sessionId, peerId: null });
    // Until requeued (its end recorded), a second skip gets it back again: recording it twice is a no-op.
    expect(await q.end(b.userId, 22, 'park')).toEqual({ ended: true, sessionId: p!.sessionId, peerId: null });
    expect(await q.requeueIfIdle(b.userId, p!.sessionId)).toBe(true);
    expect(await q.end(b.userId, 23, 'park')).toEqual({ ended: true, sessionId: null, peerId: null });
    // Once requeued, nothing to hand back.
    await q.requeueIfIdle(a.userId, p!.sessionId);
    await q.requeueIfIdle(b.userId, null);
    expect((await q.end(b.userId, 31, 'leave')).sessionId).toBeNull();
  });

  it('a double tap racing a skip: the join stays parked until the skipped session\'s end is recorded', async () => {
    const q = make();
    const [a, b, c] = [entry(), entry(), entry()];
    await q.join(a, 0);
    await q.join(b, 0);
    const [p] = await q.pair('text', 10, ids());
    await q.join(c, 15);
    expect(await q.end(a.userId, 20, 'park')).toMatchObject({ sessionId: p!.sessionId, peerId: b.userId });
    // The skipper's second tap and the peer's join both arrive before the skip is written: neither is
    // paired (with c or anyone) while PostgreSQL may still show them in the old session.
    expect(await q.join(a, 21)).toEqual({ state: 'pending', sessionId: p!.sessionId, peerId: b.userId });
    expect(await q.join(b, 22)).toEqual({ state: 'pending', sessionId: p!.sessionId, peerId: null });
    expect(await q.pair('text', 30, ids())).toEqual([]);
    // Each caller records the end, then requeues: now they pair (a and b are cooling down, so each with c first).
    expect(await q.requeueIfIdle(b.userId, p!.sessionId)).toBe(true);
    const pairs = await q.pair('text', 40, ids());
    expect(pairs.map((x) => [x.userId, x.peerId].sort())).toEqual([[b.userId, c.userId].sort()]);
  });

  it('a double tap\'s late requeue does not unpark a user whose next session\'s end is not recorded yet', async () => {
    const q = make();
    const { a, b, session: first } = await pairTwo(q);
    const [c, d] = [entry(), entry()];
    await q.end(b.userId, 20, 'park');
    // a's double tap: both joins get the first session back, to record its end.
    expect(await q.join(a, 21)).toMatchObject({ state: 'pending', sessionId: first!.sessionId });
    expect(await q.join(a, 22)).toMatchObject({ state: 'pending', sessionId: first!.sessionId });
    // The first tap's caller records it and requeues a, who meets c and skips at once.
    expect(await q.requeueIfIdle(a.userId, first!.sessionId)).toBe(true);
    await q.join(c, 30);
    const [second] = await q.pair('text', 40, ids());
    expect([second!.userId, second!.peerId].sort()).toEqual([a.userId, c.userId].sort());
    expect(await q.end(a.userId, 50, 'park')).toMatchObject({ sessionId: second!.sessionId, peerId: c.userId });
    // The second tap's caller, slower, has recorded the first session's end too: its requeue must leave
    // a parked, or a pass pairs a with d while PostgreSQL still shows a in the second session.
    expect(await q.requeueIfIdle(a.userId, first!.sessionId)).toBe(false);
    await q.join(d, 60);
    expect(await q.pair('text', 70, ids())).toEqual([]);
    // Once the skip's own caller has recorded the second session's end, a meets d.
    expect(await q.requeueIfIdle(a.userId, second!.sessionId)).toBe(true);
    expect((await q.pair('text', 80, ids())).map((x) => [x.userId, x.peerId].sort())).toEqual([[a.userId, d.userId].sort()]);
  });

  it('a peer\'s late requeue for an older session does not unpark a user whose peer just skipped them', async () => {
    const q = make();
    const { a, b, session: first } = await pairTwo(q);
    const [c, d] = [entry(), entry()];
    await q.end(b.userId, 20, 'park');
    await q.join(a, 21);
    expect(await q.requeueIfIdle(a.userId, first!.sessionId)).toBe(true);
    await q.join(c, 30);
    const [second] = await q.pair('text', 40, ids());
    // c skips a: a keeps the second session as ended until it is recorded; a late requeue for the first leaves a out.
    await q.end(c.userId, 50, 'park');
    expect(await q.requeueIfIdle(a.userId, first!.sessionId)).toBe(false);
    await q.join(d, 60);
    expect(await q.pair('text', 70, ids())).toEqual([]);
    expect(await q.join(a, 80)).toMatchObject({ state: 'pending', sessionId: second!.sessionId });
  });

  it('a skipper whose node died before recording the end: the clean-up leave gets the session and the peer back', async () => {
    const q = make();
    const { a, b, session: p } = await pairTwo(q);
    const skipper = p!.userId;
    const peer = p!.peerId;
    await q.end(skipper, 20, 'park');
    // ... and the node stops here. The reaper's leave hands the session back, so the peer is told.
    expect(await q.end(skipper, 30, 'leave')).toEqual({ ended: true, sessionId: p!.sessionId, peerId: peer });
    expect(await q.end(skipper, 31, 'leave')).toEqual({ ended: false, sessionId: null, peerId: null });
  });

  it('a disconnect of another device does not end the session; leave removes the user', async () => {
    const q = make();
    const { a, b, session: p } = await pairTwo(q);
    expect((await q.end(a.userId, 20, 'leave', 'some-other-socket')).ended).toBe(false);
    expect((await q.end(a.userId, 20, 'leave', a.socketId)).ended).toBe(true);
    expect(await q.join(b, 30)).toMatchObject({ state: 'pending', sessionId: p!.sessionId });
    expect(await q.requeueIfIdle(b.userId, p!.sessionId)).toBe(true);
    expect((await q.sizes()).text).toBe(1);
    expect(await q.join(b, 40)).toEqual({ state: 'queued' });
  });

  it('concurrent pairing passes never put a user in two sessions', async () => {
    const q = make();
    const users = Array.from({ length: 120 }, () => entry({ interests: Math.random() < 0.5 ? ['x'] : [] }));
    await Promise.all(users.map((u, i) => q.join(u, i)));
    const passes = await Promise.all(Array.from({ length: 8 }, () => q.pair('text', 10_000, ids(40))));
    const all = passes.flat();
    const seen = new Set<string>();
    for (const p of all) {
      for (const u of [p.userId, p.peerId]) {
        expect(seen.has(u)).toBe(false);
        seen.add(u);
      }
    }
    expect(seen.size).toBe(120);
  });
});

describe.each(drivers)('MatchQueue (%s) with a front of unpairable waiters', (_name, make) => {
  it('still pairs newcomers when the longest-waiting users can be paired with nobody', async () => {
    const q = make();
    // scan is 500: 600 waiters whose preferences nobody meets fill the front of the queue.
    for (let i = 0; i < 600; i++) await q.join(entry({ gender: 'other', seeks: ['other'], ageMin: 119, ageMax: 120 }), i);
    const a = entry();
    const b = entry();
    await q.join(a, 10_000);
    await q.join(b, 10_001);
    const pairs = await q.pair('text', 20_000, ids());
    expect(pairs.map((p) => [p.userId, p.peerId].sort())).toEqual([[a.userId, b.userId].sort()]);
  });
});
