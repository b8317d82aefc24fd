import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess(backing.env);
  url = node.url;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

type Setup = { role?: 'fan' | 'creator'; gender?: string; seeks?: string[]; ageMin?: number; ageMax?: number; maxKm?: number | null; at?: [number, number] | null; interests?: string[]; birthdate?: string };
async function person(s: Setup = {}) {
  const u = await newUser(url, { ...(s.birthdate ? { birthdate: s.birthdate } : {}), ...(s.role ? { role: s.role } : {}) });
  await http(url, 'PUT', '/api/profile', {
    token: u.accessToken,
    body: { gender: s.gender ?? 'woman', interests: s.interests ?? [], bio: 'hello', location: s.at === null ? null : { lat: (s.at ?? [48.8566, 2.3522])[0], lng: (s.at ?? [48.8566, 2.3522])[1] } },
  });
  await http(url, 'PUT', '/api/profile/preferences', {
    token: u.accessToken,
    body: { seeksGenders: s.seeks ?? [], ageMin: s.ageMin ?? 18, ageMax: s.ageMax ?? 99, maxDistanceKm: s.maxKm === undefined ? null : s.maxKm },
  });
  return u;
}
const discoverPages = async (token: string, limit = 50) => {
  const candidates: { userId: string; score: number }[] = [];
  let cursor: string | null = null;
  do {
    const r: any = await http(url, 'GET', `/api/discover?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(r.status).toBe(200);
    candidates.push(...r.body.candidates);
    cursor = r.body.nextCursor;
  } while (cursor);
  return candidates;
};
const discoverIds = async (token: string, limit = 50) => (await discoverPages(token, limit)).map((c) => c.userId);
const answer = (token: string, q: number, answer: number, accepted: number[], importance: number) =>
  http(url, 'PUT', `/api/questions/${q}/answer`, { token, body: { answer, accepted, importance } });

describe('profiles', () => {
  it('stores a coarse location, never shows it to others, and validates input', async () => {
    const u = await person({ at: [48.858_37, 2.294_48] });
    const mine = await http(url, 'GET', '/api/profile', { token: u.accessToken });
    expect(mine.body.profile.location).toEqual({ lat: 48.86, lng: 2.29 });
    const other = await newUser(url);
    const seen = await http(url, 'GET', `/api/users/${u.user.id}/profile`, { token: other.accessToken });
    expect(seen.body.profile).toMatchObject({ userId: u.user.id, age: expect.any(Number), gender: 'woman', bio: 'hello' });
    expect(JSON.stringify(seen.body)).not.toMatch(/lat|lng|email|birthdate/);
    for (const body of [{ gender: 'robot' }, { interests: ['<script>'] }, { location: { lat: 91, lng: 0 } }, { bio: 'x'.repeat(2001) }, { extra: 1 }]) {
      expect((await http(url, 'PUT', '/api/profile', { token: u.accessToken, body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await http(url, 'PUT', '/api/profile/preferences', { token: u.accessToken, body: { ageMin: 40, ageMax: 30 } })).status).toBe(400);
    expect((await http(url, 'PUT', '/api/profile/preferences', { token: u.accessToken, body: { ageMin: 17 } })).status).toBe(400);
  });

  it('computes the match % from answers, with the count of common questions', async () => {
    const a = await person();
    const b = await person();
    await answer(a.accessToken, 1, 0, [0], 50);
    await answer(a.accessToken, 2, 1, [0], 1);
    await answer(b.accessToken, 1, 0, [1], 1);
    await answer(b.accessToken, 2, 0, [1], 10);
    const seen = await http(url, 'GET', `/api/users/${b.user.id}/profile`, { token: a.accessToken });
    expect(seen.body.profile).toMatchObject({ matchPercent: 95, commonQuestions: 2 });
    expect((await answer(a.accessToken, 1, 7, [0], 10)).status).toBe(400);
    expect((await answer(a.accessToken, 999, 0, [0], 10)).status).toBe(404);
    expect((await answer(a.accessToken, 1, 0, [0], 5)).status).toBe(400);
  });
});

describe('prices where a fan decides', () => {
  it('a creator\'s prices show on their public profile and in discover, as what the viewer would pay', async () => {
    const at: [number, number] = [-33.8688, 151.2093];
    const creator = await person({ role: 'creator', gender: 'woman', at });
    await http(url, 'PATCH', '/api/me', { token: creator.accessToken, body: { messagePrice: 12, callPricePerMinute: 30 } });
    const fan = await person({ gender: 'man', at });
    const otherCreator = await person({ role: 'creator', gender: 'man', at });
    const profile = async (token: string) => (await http(url, 'GET', `/api/users/${creator.user.id}/profile`, { token })).body.profile;
    expect(await profile(fan.accessToken)).toMatchObject({ userId: creator.user.id, messagePrice: 12, callPricePerMinute: 30 });
    // Creators pay creators nothing; the owner's own view shows what fans pay them.
    expect(await profile(otherCreator.accessToken)).toMatchObject({ messagePrice: 0, callPricePerMinute: 0 });
    expect((await http(url, 'GET', '/api/profile', { token: creator.accessToken })).body.profile).toMatchObject({ messagePrice: 12, callPricePerMinute: 30 });
    // And a fan costs nothing to reach.
    expect((await http(url, 'GET', `/api/users/${fan.user.id}/profile`, { token: creator.accessToken })).body.profile).toMatchObject({ messagePrice: 0, callPricePerMinute: 0 });

    const found = (await discoverPages(fan.accessToken)).find((c) => c.userId === creator.user.id);
    expect(found).toMatchObject({ messagePrice: 12, callPricePerMinute: 30 });
    const seenByCreator = (await discoverPages(otherCreator.accessToken)).find((c) => c.userId === creator.user.id);
    expect(seenByCreator).toMatchObject({ messagePrice: 0, callPricePerMinute: 0 });
  });
});

describe('discover', () => {
  it('applies both sides\' gender, age and distance preferences, and excludes blocked and passed users', async () => {
    const tag = randomUUID().slice(0, 6);
    const me = await person({ gender: 'man', seeks: ['woman'], ageMin: 25, ageMax: 40, maxKm: 50, interests: [tag] });
    const fits = await person({ gender: 'woman', seeks: ['man'], birthdate: '1992-01-01', interests: [tag] });
    const wrongGender = await person({ gender: 'man', seeks: ['man'], birthdate: '1992-01-01' });
    const doesNotSeekMe = await person({ gender: 'woman', seeks: ['woman'], birthdate: '1992-01-01' });
    const tooYoung = await person({ gender: 'woman', birthdate: `${new Date().getUTCFullYear() - 20}-01-01` });
    const tooFar = await person({ gender: 'woman', birthdate: '1992-01-01', at: [51.5074, -0.1278] }); // London, ~340 km
    const wantsCloser = await person({ gender: 'woman', birthdate: '1992-01-01', at: [48.95, 2.35], maxKm: 5 }); // ~10 km away
    const blocked = await person({ gender: 'woman', birthdate: '1992-01-01' });
    const passed = await person({ gender: 'woman', birthdate: '1992-01-01' });
    await http(url, 'PUT', `/api/blocks/${me.user.id}`, { token: blocked.accessToken });
    await http(url, 'POST', `/api/discover/${passed.user.id}/pass`, { token: me.accessToken });

    const ids = await discoverIds(me.accessToken);
    expect(ids).toContain(fits.user.id);
    for (const u of [wrongGender, doesNotSeekMe, tooYoung, tooFar, wantsCloser, blocked, passed]) expect(ids).not.toContain(u.user.id);
    const first = (await http(url, 'GET', '/api/discover?limit=50', { token: me.accessToken })).body.candidates.find((c: any) => c.userId === fits.user.id);
    expect(first).toMatchObject({ distanceBand: { minKm: 0, maxKm: 5 }, commonQuestions: 0, matchPercent: null });
  });

  it('pages with a stable cursor: every candidate once, in score order', async () => {
    const me = await person({ gender: 'nonbinary', at: [40.7128, -74.006] });
    for (let i = 0; i < 7; i++) await person({ gender: 'nonbinary', at: [40.7128 + i * 0.05, -74.006], interests: i % 2 ? ['chess'] : [] });
    const all = (await http(url, 'GET', '/api/discover?limit=50', { token: me.accessToken })).body.candidates;
    // Recency decays with the clock, so two walks started at different
    // moments may order near-ties differently; one walk, pinned by its
    // cursor's clock, must hold every candidate once and in score order.
    const paged = await discoverPages(me.accessToken, 3);
    const ids = paged.map((c) => c.userId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(all.map((c: any) => c.userId).sort());
    for (const list of [all, paged]) {
      const scores = list.map((c: any) => c.score);
      expect([...scores].sort((x: number, y: number) => y - x)).toEqual(scores);
    }
    expect((await http(url, 'GET', '/api/discover?cursor=garbage', { token: me.accessToken })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('ranks a more compatible candidate higher', async () => {
    const me = await person({ gender: 'other', at: [35.6762, 139.6503] });
    const good = await person({ gender: 'other', at: [35.6762, 139.6503] });
    const bad = await person({ gender: 'other', at: [35.6762, 139.6503] });
    for (const q of [1, 2, 3]) await answer(me.accessToken, q, 0, [0], 50);
    for (const q of [1, 2, 3]) await answer(good.accessToken, q, 0, [0], 50);
    for (const q of [1, 2, 3]) await answer(bad.accessToken, q, 1, [1], 50);
    const list = (await http(url, 'GET', '/api/discover?limit=50', { token: me.accessToken })).body.candidates;
    const pos = (id: string) => list.findIndex((c: any) => c.userId === id);
    expect(list[pos(good.user.id)].matchPercent).toBe(100);
    expect(list[pos(bad.user.id)].matchPercent).toBe(0);
    expect(pos(good.user.id)).toBeLessThan(pos(bad.user.id));
  });

  it('a mutual like makes a match, opens a conversation and tells both', async () => {
    const a = await person();
    const b = await person();
    const sb = await connect(url, b.accessToken);
    const first = await http(url, 'POST', `/api/discover/${b.user.id}/like`, { token: a.accessToken });
    expect(first.body).toEqual({ matched: false, conversationId: null });
    const pushed = nextEvent<any>(sb, 'match:mutual');
    const second = await http(url, 'POST', `/api/discover/${a.user.id}/like`, { token: b.accessToken });
    expect(second.body.matched).toBe(true);
    expect(await pushed).toEqual({ userId: a.user.id, conversationId: second.body.conversationId });
    const convs = await http(url, 'GET', '/api/conversations', { token: a.accessToken });
    expect(convs.body.conversations.map((c: any) => c.id)).toContain(second.body.conversationId);
    sb.close();
  });

  it('simultaneous likes both ways still make exactly one match', async () => {
    const a = await person();
    const b = await person();
    const [x, y] = await Promise.all([
      http(url, 'POST', `/api/discover/${b.user.id}/like`, { token: a.accessToken }),
      http(url, 'POST', `/api/discover/${a.user.id}/like`, { token: b.accessToken }),
    ]);
    expect([x.body.matched, y.body.matched]).toContain(true);
  });
});
