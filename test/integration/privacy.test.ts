import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { PresenceView } from '../../shared/chat.js';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/** Who sees what of whom: presence audience, typing across blocks and ended sessions, discover distances. */

let backing: Backing;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    TYPING_TTL_MS: '400',
    MATCH_FALLBACK_MS: '0',
    MATCH_PAIR_INTERVAL_MS: '50',
    LOCATION_CHANGES_PER_DAY: '100',
  });
  url = node.url;
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown = {}) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const send = (s: ClientSocket, p: object) => ack(s, 'chat:send', { clientId: randomUUID(), ...p });
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};

/** Every presence:update batch a socket receives from now on. */
function recordPresence(s: ClientSocket): { batches: PresenceView[][]; about(userId: string): PresenceView[] } {
  const batches: PresenceView[][] = [];
  s.on('presence:update', (p) => batches.push(p.updates));
  return { batches, about: (userId) => batches.flat().filter((u) => u.userId === userId) };
}
const heard = (rec: ReturnType<typeof recordPresence>, userId: string, status: string) =>
  waitFor(() => rec.about(userId).some((u) => u.status === status), 10_000, `${status} of ${userId}`);

/** Every chat:typing a socket receives from now on. */
function recordTyping(s: ClientSocket): { userId: string; conversationId: string; typing: boolean }[] {
  const got: { userId: string; conversationId: string; typing: boolean }[] = [];
  s.on('chat:typing', (p) => got.push(p));
  return got;
}

const peerIn = async (token: string, peerId: string) => {
  const list = (await http(url, 'GET', '/api/conversations?limit=100', { token })).body.conversations;
  return list.find((c: any) => c.peer.id === peerId && c.kind === 'direct')?.peer ?? list.find((c: any) => c.peer.id === peerId)?.peer;
};

async function randomSession(a: { s: ClientSocket }, b: { s: ClientSocket }) {
  const foundA = nextEvent<any>(a.s, 'match:found');
  const foundB = nextEvent<any>(b.s, 'match:found');
  await ack(a.s, 'match:join', { mode: 'text' });
  await ack(b.s, 'match:join', { mode: 'text' });
  const [fa] = await Promise.all([foundA, foundB]);
  return fa as { sessionId: string; conversationId: string };
}

describe('presence audience', () => {
  it('opening a conversation without writing shares no presence; writing shares it with the writer only', async () => {
    const [s, v, x] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    const ss = await open(s.accessToken);
    const rec = recordPresence(ss);
    await send(ss, { toUserId: x.user.id, body: 'hi' }); // x: a peer s has written to (the sentinel)
    const opened = await http(url, 'POST', '/api/conversations', { token: s.accessToken, body: { userId: v.user.id } });
    expect(opened.status).toBe(201);

    await open(v.accessToken);
    // x comes online after v: whatever s was going to hear of v, it has heard by the time it hears of x.
    await open(x.accessToken);
    await heard(rec, x.user.id, 'online');
    expect(rec.about(v.user.id)).toEqual([]);
    expect(await peerIn(s.accessToken, v.user.id)).toMatchObject({ id: v.user.id, presence: null, lastSeen: null });

    await send(ss, { conversationId: opened.body.conversationId, body: 'hello' });
    expect((await peerIn(s.accessToken, v.user.id)).presence).toBe('online');
    // v has not written back: v does not see s.
    expect(await peerIn(v.accessToken, s.user.id)).toMatchObject({ presence: null, lastSeen: null });
  });

  it('a block hides presence and last seen both ways, in the list and in pushes', async () => {
    const [s, v, x] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    const ss = await open(s.accessToken);
    const sv = await open(v.accessToken);
    const conv = (await send(ss, { toUserId: v.user.id, body: 'hi' })).message.conversationId;
    await send(sv, { conversationId: conv, body: 'hi back' });
    await send(ss, { toUserId: x.user.id, body: 'hi x' });
    await send(sv, { toUserId: x.user.id, body: 'hi x' });
    expect((await peerIn(s.accessToken, v.user.id)).presence).toBe('online');
    expect((await peerIn(v.accessToken, s.user.id)).presence).toBe('online');

    expect((await http(url, 'PUT', `/api/blocks/${s.user.id}`, { token: v.accessToken })).status).toBe(204);
    expect(await peerIn(s.accessToken, v.user.id)).toMatchObject({ presence: null, lastSeen: null });
    expect(await peerIn(v.accessToken, s.user.id)).toMatchObject({ presence: null, lastSeen: null });

    const rec = recordPresence(ss);
    const recV = recordPresence(sv);
    await ack(sv, 'presence:set', { status: 'away' });
    await ack(ss, 'presence:set', { status: 'away' });
    await open(x.accessToken);
    await heard(rec, x.user.id, 'online');
    await heard(recV, x.user.id, 'online');
    expect(rec.about(v.user.id)).toEqual([]);
    expect(recV.about(s.user.id)).toEqual([]);
  });

  it('a mutual like and an open random-match session share presence; an ended session does not', async () => {
    const [a, b] = await Promise.all([newUser(url), newUser(url)]);
    await open(b.accessToken);
    await http(url, 'POST', `/api/discover/${b.user.id}/like`, { token: a.accessToken });
    expect((await http(url, 'POST', `/api/discover/${a.user.id}/like`, { token: b.accessToken })).body.matched).toBe(true);
    expect((await peerIn(a.accessToken, b.user.id)).presence).toBe('online');

    const [c, d] = await Promise.all([newUser(url), newUser(url)]);
    const sc = { s: await open(c.accessToken) };
    const sd = { s: await open(d.accessToken) };
    await randomSession(sc, sd);
    expect((await peerIn(c.accessToken, d.user.id)).presence).toBe('online');
    const ended = nextEvent(sd.s, 'match:ended');
    await ack(sc.s, 'match:leave');
    await ended;
    expect(await peerIn(c.accessToken, d.user.id)).toMatchObject({ presence: null, lastSeen: null });
    expect(await peerIn(d.accessToken, c.user.id)).toMatchObject({ presence: null, lastSeen: null });
  });

  it('a presence:update batch names each user once, however many conversations they share', async () => {
    const [a, b] = await Promise.all([newUser(url), newUser(url)]);
    const sa = { s: await open(a.accessToken) };
    const sb = { s: await open(b.accessToken) };
    await send(sa.s, { toUserId: b.user.id, body: 'direct' });
    const session = await randomSession(sa, sb);
    const rec = recordPresence(sa.s);
    await ack(sb.s, 'presence:set', { status: 'away' });
    await heard(rec, b.user.id, 'away');
    for (const batch of rec.batches) expect(batch.map((u) => u.userId)).toEqual([...new Set(batch.map((u) => u.userId))]);
    await ack(sa.s, 'match:leave');
    expect(session.sessionId).toBeTruthy();
  });
});

describe('POST /api/conversations', () => {
  it('answers 201 when it creates the conversation and 200 with the same id when it exists', async () => {
    const [a, b] = await Promise.all([newUser(url), newUser(url)]);
    const first = await http(url, 'POST', '/api/conversations', { token: a.accessToken, body: { userId: b.user.id } });
    expect(first.status).toBe(201);
    const again = await http(url, 'POST', '/api/conversations', { token: a.accessToken, body: { userId: b.user.id } });
    expect(again.status).toBe(200);
    const fromPeer = await http(url, 'POST', '/api/conversations', { token: b.accessToken, body: { userId: a.user.id } });
    expect(fromPeer.status).toBe(200);
    expect([again.body.conversationId, fromPeer.body.conversationId]).toEqual([first.body.conversationId, first.body.conversationId]);
  });
});

describe('typing', () => {
  it('is refused across a block, either way, and reaches nobody', async () => {
    const [a, b, c] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    const sa = await open(a.accessToken);
    const sb = await open(b.accessToken);
    const sc = await open(c.accessToken);
    const conv = (await send(sa, { toUserId: b.user.id, body: 'hi' })).message.conversationId;
    const convC = (await send(sc, { toUserId: b.user.id, body: 'hi' })).message.conversationId;
    const first = nextEvent<any>(sb, 'chat:typing');
    expect((await ack(sa, 'chat:typing', { conversationId: conv, typing: true })).ok).toBe(true);
    expect((await first).userId).toBe(a.user.id);

    await http(url, 'PUT', `/api/blocks/${a.user.id}`, { token: b.accessToken });
    const atB = recordTyping(sb);
    const atA = recordTyping(sa);
    expect((await ack(sa, 'chat:typing', { conversationId: conv, typing: false })).error.code).toBe('BLOCKED');
    expect((await ack(sa, 'chat:typing', { conversationId: conv, typing: true })).error.code).toBe('BLOCKED');
    expect((await ack(sb, 'chat:typing', { conversationId: conv, typing: true })).error.code).toBe('BLOCKED');
    // c's indicator reaches b after anything a's could have: b heard none of a's.
    await ack(sc, 'chat:typing', { conversationId: convC, typing: true });
    await waitFor(() => atB.some((t) => t.userId === c.user.id), 5000, "c's typing");
    expect(atB.filter((t) => t.userId === a.user.id)).toEqual([]);
    const convCA = (await send(sc, { toUserId: a.user.id, body: 'sentinel' })).message.conversationId;
    await ack(sc, 'chat:typing', { conversationId: convCA, typing: true });
    await waitFor(() => atA.some((t) => t.userId === c.user.id), 5000, "c's typing at a");
    expect(atA.filter((t) => t.userId === b.user.id)).toEqual([]);
  });

  it('is refused in an ended random-match conversation and reaches nobody', async () => {
    const [a, b, c] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    const sa = { s: await open(a.accessToken) };
    const sb = { s: await open(b.accessToken) };
    const sc = await open(c.accessToken);
    const session = await randomSession(sa, sb);
    const first = nextEvent<any>(sb.s, 'chat:typing');
    expect((await ack(sa.s, 'chat:typing', { conversationId: session.conversationId, typing: true })).ok).toBe(true);
    expect((await first).userId).toBe(a.user.id);

    const ended = nextEvent(sb.s, 'match:ended');
    await ack(sa.s, 'match:leave');
    await ended;
    const atA = recordTyping(sa.s);
    expect((await ack(sb.s, 'chat:typing', { conversationId: session.conversationId, typing: true })).error.code).toBe('CONVERSATION_CLOSED');
    expect((await ack(sa.s, 'chat:typing', { conversationId: session.conversationId, typing: false })).error.code).toBe('CONVERSATION_CLOSED');
    const convC = (await send(sc, { toUserId: a.user.id, body: 'hi' })).message.conversationId;
    await ack(sc, 'chat:typing', { conversationId: convC, typing: true });
    await waitFor(() => atA.some((t) => t.userId === c.user.id), 5000, "c's typing");
    expect(atA.filter((t) => t.userId === b.user.id)).toEqual([]);
  });

  it('the tracker forgets sockets that stopped typing and then disconnected', async () => {
    const [a, b] = await Promise.all([newUser(url), newUser(url)]);
    const sa = await open(a.accessToken);
    const conv = (await send(sa, { toUserId: b.user.id, body: 'hi' })).message.conversationId;
    for (let i = 0; i < 5; i++) {
      const s = await connect(url, a.accessToken);
      await ack(s, 'chat:typing', { conversationId: conv, typing: true });
      await ack(s, 'chat:typing', { conversationId: conv, typing: false });
      const t = await connect(url, a.accessToken);
      await ack(t, 'chat:typing', { conversationId: conv, typing: false });
      s.close();
      t.close();
    }
    // Indicators still on (earlier tests') end after TYPING_TTL_MS; nothing else may remain.
    await waitFor(() => node.pairly.services.typingTracked() === 0, 10_000, 'an empty typing tracker');
  });
});

describe('discover distance', () => {
  const R = 6378.168; // the sphere earthdistance uses, in km
  const rad = (d: number) => (d * Math.PI) / 180;
  const km = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => {
    const h = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lng - a.lng) / 2) ** 2;
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  };
  const offset = (p: { lat: number; lng: number }, northKm: number, eastKm: number) => ({
    lat: p.lat + northKm / 111.32,
    lng: p.lng + eastKm / (111.32 * Math.cos(rad(p.lat))),
  });

  async function setup() {
    const target = await newUser(url);
    await http(url, 'PUT', '/api/profile', { token: target.accessToken, body: { gender: 'nonbinary', location: { lat: 48.8566, lng: 2.3522 } } });
    const truth = (await http(url, 'GET', '/api/profile', { token: target.accessToken })).body.profile.location;
    const attacker = await newUser(url);
    await http(url, 'PUT', '/api/profile/preferences', { token: attacker.accessToken, body: { seeksGenders: ['nonbinary'] } });
    /** Moves the attacker; returns where the server stored it and what discover says of the target. */
    const probe = async (at: { lat: number; lng: number }) => {
      const put = await http(url, 'PUT', '/api/profile', { token: attacker.accessToken, body: { location: at } });
      expect(put.status).toBe(200);
      return { at: put.body.profile.location as { lat: number; lng: number }, seen: await look() };
    };
    const look = async () => {
      const res = await http(url, 'GET', '/api/discover?limit=50', { token: attacker.accessToken });
      return res.body.candidates.find((c: any) => c.userId === target.user.id);
    };
    return { truth: truth as { lat: number; lng: number }, probe, look };
  }

  it('is a band, the same on every query from the same place', async () => {
    const { truth, probe, look } = await setup();
    const here = await probe(offset(truth, 7, 0));
    expect(here.seen.distanceKm).toBeUndefined();
    expect(here.seen.distanceBand).toEqual(expect.objectContaining({ minKm: expect.any(Number) }));
    for (let i = 0; i < 3; i++) expect((await look()).distanceBand).toEqual(here.seen.distanceBand);
    await probe(offset(truth, -30, 0));
    expect((await probe(offset(truth, 7, 0))).seen.distanceBand).toEqual(here.seen.distanceBand);
  });

  it('cannot be triangulated to within 1 km from many positions', async () => {
    const { truth, probe } = await setup();
    // The attack of the report: probe from all around (12 directions, 7 distances), then keep every place
    // the target could be that agrees with everything seen. Before bands, that pinned it to ~100 m.
    const seen: { at: { lat: number; lng: number }; lo: number; hi: number }[] = [];
    for (let d = 0; d < 12; d++) {
      for (const r of [3, 4.5, 6, 7.5, 9, 10.5, 12]) {
        const a = (2 * Math.PI * d) / 12;
        const p = await probe(offset(truth, r * Math.cos(a), r * Math.sin(a)));
        const c = p.seen;
        if (typeof c.distanceKm === 'number') seen.push({ at: p.at, lo: c.distanceKm - 0.5, hi: c.distanceKm + 0.5 });
        else seen.push({ at: p.at, lo: c.distanceBand.minKm, hi: c.distanceBand.maxKm ?? Infinity });
      }
    }
    const slack = 0.1;
    const consistent: { lat: number; lng: number }[] = [];
    for (let n = -8; n <= 8; n += 0.1) {
      for (let e = -8; e <= 8; e += 0.1) {
        const x = offset(truth, n, e);
        if (seen.every((o) => km(o.at, x) >= o.lo - slack && km(o.at, x) <= o.hi + slack)) consistent.push(x);
      }
    }
    expect(consistent.length).toBeGreaterThan(0);
    // Recovered within 1 km would mean every place consistent with the answers lies within 1 km of it.
    expect(Math.max(...consistent.map((x) => km(x, truth)))).toBeGreaterThan(1);
    // And the attacker's best guess, the middle of that region, is more than 1 km off.
    const guess = consistent.reduce((g, x) => ({ lat: g.lat + x.lat / consistent.length, lng: g.lng + x.lng / consistent.length }), { lat: 0, lng: 0 });
    expect(km(guess, truth)).toBeGreaterThan(1);
  });

  it('limits location changes per user; the same place again and other fields are not counted', async () => {
    const u = await newUser(url);
    for (let i = 0; i < 100; i++) {
      const r = await http(url, 'PUT', '/api/profile', { token: u.accessToken, body: { location: { lat: 10 + i * 0.01, lng: 20 } } });
      expect(r.status, `change ${i + 1}`).toBe(200);
    }
    const refused = await http(url, 'PUT', '/api/profile', { token: u.accessToken, body: { location: { lat: 30, lng: 20 }, bio: 'moved' } });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const mine = (await http(url, 'GET', '/api/profile', { token: u.accessToken })).body.profile;
    expect(mine).toMatchObject({ location: { lat: 10.99, lng: 20 }, bio: '' });
    expect((await http(url, 'PUT', '/api/profile', { token: u.accessToken, body: { location: { lat: 10.991, lng: 20.001 } } })).status).toBe(200);
    expect((await http(url, 'PUT', '/api/profile', { token: u.accessToken, body: { bio: 'still here' } })).status).toBe(200);
  });
});
