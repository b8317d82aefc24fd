import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatorCard } from '../../shared/creators.js';
import type { PostView } from '../../shared/posts.js';
import { http, newUser } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Search (issue #14) on real PostgreSQL: creators by the words of their page, typos and prefixes of handles
 * and names, ranked, filtered and paged; posts by their text, only among those the searcher may read in
 * full; bad input answered 400. Each test file has its own database, so the sets asserted are exact.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env });
  url = node.url;
}, 90_000);
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

type User = Awaited<ReturnType<typeof newUser>>;
const call = (token: string, method: string, path: string, body?: unknown) => http<any>(url, method, path, { token, body });
const sql = (text: string, params: unknown[] = []) => node.pairly.db.query(text, params);

async function creator(handle: string, displayName: string, page: object = {}): Promise<User> {
  const user = await newUser(url, { role: 'creator', displayName });
  const put = await call(user.accessToken, 'PUT', '/api/creator/page', { handle, ...page });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return user;
}

let viewer: User;
let yoga: User;
let painter: User;
let chef: User;

beforeAll(async () => {
  viewer = await newUser(url);
  yoga = await creator('moonlight_yoga', 'Luna Park', { bio: 'Morning flows and breathing.', tags: ['yoga', 'wellness'] });
  painter = await creator('brushwork', 'Ada Oil', { bio: 'I paint landscapes and teach painting live.', tags: ['art'] });
  chef = await creator('night_kitchen', 'Remy Cook', { bio: 'Recipes for people who cook after midnight; yoga on Sundays.', tags: ['food'] });
  await creator('jsmith_music', 'Jonathan Smith', { bio: 'Songs.', tags: ['music'] });
}, 60_000);

const creators = async (query: string, token = viewer.accessToken) => {
  const r = await call(token, 'GET', `/api/creators?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { creators: CreatorCard[]; nextCursor: string | null };
};
const handles = (b: { creators: CreatorCard[] }) => b.creators.map((c) => c.handle);

describe('creators by text', () => {
  it('finds a page by a stemmed word of its bio, by a tag, by its display name, with typos and prefixes', async () => {
    expect(handles(await creators('q=painted'))).toEqual(['brushwork']);
    expect(handles(await creators('q=wellness'))).toEqual(['moonlight_yoga']);
    expect(handles(await creators(`q=${encodeURIComponent('Remy')}`))).toEqual(['night_kitchen']);
    // A typo in a name, a typo in a handle, the start of a handle.
    expect(handles(await creators('q=jonathon'))).toEqual(['jsmith_music']);
    expect(handles(await creators('q=moonlite'))).toEqual(['moonlight_yoga']);
    expect(handles(await creators('q=night_k'))).toEqual(['night_kitchen']);
    expect(handles(await creators('q=zzzqqq'))).toEqual([]);
  });

  it('ranks a handle and tag match above a mention in a bio, and popularity only breaks near-ties', async () => {
    // "yoga": moonlight_yoga's handle and tag; night_kitchen's bio mentions it once.
    expect(handles(await creators('q=yoga'))).toEqual(['moonlight_yoga', 'night_kitchen']);
    // Many followers for the bio mention do not lift it over the handle and tag match.
    const fans = await Promise.all([1, 2, 3].map(() => newUser(url)));
    for (const f of fans) expect((await call(f.accessToken, 'POST', '/api/creators/night_kitchen/follow')).status).toBe(200);
    expect(handles(await creators('q=yoga'))).toEqual(['moonlight_yoga', 'night_kitchen']);
  });

  it("keeps the listing's filters and its other orders with a text", async () => {
    expect(handles(await creators('q=yoga&tags=food'))).toEqual(['night_kitchen']);
    expect(handles(await creators('q=yoga&sort=popular'))).toEqual(['night_kitchen', 'moonlight_yoga']);
    expect(handles(await creators('q=yoga&sort=new'))).toEqual(['night_kitchen', 'moonlight_yoga']);
    const t = await call(yoga.accessToken, 'POST', '/api/creator/tiers', { name: 'Basic', price: 50 });
    expect(t.status).toBe(201);
    expect(handles(await creators('q=yoga&maxPrice=60'))).toEqual(['moonlight_yoga']);
  });

  it('pages by relevance without repeats, and stops at the end', async () => {
    for (let i = 1; i <= 5; i++) await creator(`pottery_${i}`, `Potter ${i}`, { bio: 'Pottery, wheel-thrown.' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await creators(`q=pottery&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...handles(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.sort()).toEqual(['pottery_1', 'pottery_2', 'pottery_3', 'pottery_4', 'pottery_5']);
    expect(pages).toBe(3);
  });

  it('leaves out suspended and deleted creators', async () => {
    const gone = await creator('vanishing_act', 'Gone Soon', { bio: 'Magic tricks.' });
    expect(handles(await creators('q=magic'))).toEqual(['vanishing_act']);
    await sql(`UPDATE users SET status = 'suspended' WHERE id = $1`, [gone.user.id]);
    expect(handles(await creators('q=magic'))).toEqual([]);
  });

  it('refuses bad input with 400, and survives any query syntax', async () => {
    const bad = async (query: string) => (await call(viewer.accessToken, 'GET', `/api/creators?${query}`)).status;
    expect(await bad('q=')).toBe(400);
    expect(await bad(`q=${'a'.repeat(101)}`)).toBe(400);
    expect(await bad('q=a%00b')).toBe(400);
    expect(await bad('sort=relevance')).toBe(400);
    expect(await bad('q=yoga&cursor=!!')).toBe(400);
    // A cursor of another order is not an offset.
    const popular = await creators('sort=popular&limit=1');
    expect(popular.nextCursor).not.toBeNull();
    expect(await bad(`q=yoga&cursor=${popular.nextCursor}`)).toBe(400);
    const deep = Buffer.from(JSON.stringify(['offset', 5000])).toString('base64url');
    expect(await bad(`q=yoga&cursor=${deep}`)).toBe(400);
    for (const q of ['"unclosed', '-', ':*&|!', 'or or or', "'; DROP TABLE users; --", '%_\\', 'the a of']) {
      const r = await call(viewer.accessToken, 'GET', `/api/creators?q=${encodeURIComponent(q)}`);
      expect(r.status, q).toBe(200);
    }
    expect(handles(await creators(`q=${encodeURIComponent('%')}`))).toEqual([]);
  });
});

describe('posts by text', () => {
  const post = async (c: User, body: string, visibility: object, extra: object = {}) => {
    const r = await call(c.accessToken, 'POST', '/api/posts', { body, visibility, ...extra });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.post as PostView;
  };
  const search = async (token: string, q: string, more = '') => {
    const r = await call(token, 'GET', `/api/search/posts?q=${encodeURIComponent(q)}${more}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { posts: PostView[]; nextCursor: string | null };
  };
  const ids = (b: { posts: PostView[] }) => b.posts.map((p) => p.id).sort();

  it('returns only posts the searcher may read in full, so a locked post never shows through a match', async () => {
    const tier = await call(painter.accessToken, 'POST', '/api/creator/tiers', { name: 'Studio', price: 30 });
    expect(tier.status).toBe(201);
    const free = await post(painter, 'Watercolour sunsets, step by step.', { kind: 'free' });
    const followers = await post(painter, 'Watercolour palettes for followers.', { kind: 'followers' });
    const subscribers = await post(painter, 'Watercolour masterclass for subscribers.', { kind: 'tier', minTierRank: 1 });
    const ppv = await post(painter, 'Watercolour secrets, pay to read.', { kind: 'ppv', price: 5 });
    const later = await post(painter, 'Watercolour for tomorrow.', { kind: 'free' }, { publishAt: new Date(Date.now() + 3_600_000).toISOString() });
    const removed = await post(painter, 'Watercolour mistakes.', { kind: 'free' });
    expect((await call(painter.accessToken, 'DELETE', `/api/posts/${removed.id}`)).status).toBe(204);

    const stranger = await newUser(url);
    expect(ids(await search(stranger.accessToken, 'watercolours'))).toEqual([free.id]);

    const follower = await newUser(url);
    expect((await call(follower.accessToken, 'POST', '/api/creators/brushwork/follow')).status).toBe(200);
    const seen = await search(follower.accessToken, 'watercolour');
    expect(ids(seen)).toEqual([free.id, followers.id].sort());
    expect(seen.posts.every((p) => !p.locked && p.body)).toBe(true);

    const buyer = await newUser(url);
    await fund(node.pairly, buyer.user.id, 20);
    expect((await call(buyer.accessToken, 'POST', `/api/posts/${ppv.id}/unlock`, { expectedPrice: 5 })).status).toBe(200);
    expect(ids(await search(buyer.accessToken, 'secrets'))).toEqual([ppv.id]);
    expect(ids(await search(stranger.accessToken, 'secrets'))).toEqual([]);
    expect(ids(await search(stranger.accessToken, 'masterclass'))).toEqual([]);

    // Its creator finds everything of theirs that is published and not deleted.
    expect(ids(await search(painter.accessToken, 'watercolour'))).toEqual([free.id, followers.id, subscribers.id, ppv.id].sort());
    expect([later.id, removed.id].some((id) => ids(seen).includes(id))).toBe(false);
  });

  it('pages without repeats and refuses bad input', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await post(chef, `Midnight ramen number ${i}`, { kind: 'free' })).id);
    const got: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await search(viewer.accessToken, 'ramen', `&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      got.push(...page.posts.map((p) => p.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(got.sort()).toEqual(made.sort());
    const status = async (query: string) => (await call(viewer.accessToken, 'GET', `/api/search/posts?${query}`)).status;
    expect(await status('')).toBe(400);
    expect(await status('q=')).toBe(400);
    expect(await status('q=ramen&cursor=notacursor12')).toBe(400);
    expect(await status('q=ramen&limit=51')).toBe(400);
    expect(await status('q=ramen&extra=1')).toBe(400);
    expect(await status(`q=${encodeURIComponent('"ramen -number')}`)).toBe(200);
    expect((await http(url, 'GET', '/api/search/posts?q=ramen')).status).toBe(401);
  });
});
