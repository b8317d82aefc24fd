import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostView } from '../../shared/posts.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';
import { http, newUser, waitFor } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { jpegWithGps, processed, uploadAndConfirm } from '../support/media.js';
import { createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Posts and the feed (issue #12 part 2) on real PostgreSQL and Redis, with workers (fan-out jobs) and the
 * embedded media driver: who sees what (and which media variants), pay-per-view unlocks charged once,
 * scheduling, pins, edits, deletes that keep buyers' access, likes, comments, bookmarks, the feed's
 * pagination while posts are published, fan-out and merge on read (FEED_FANOUT_MAX is 3 here), bad input.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
const data = tempDir('posts');
const FANOUT_MAX = 3;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({
    ...backing.env,
    RUN_WORKERS: 'true',
    PAIRLY_DATA_DIR: data.path,
    MEDIA_STORAGE: 'local',
    MEDIA_UPLOADS_PER_HOUR: '1000',
    FEED_FANOUT_MAX: String(FANOUT_MAX),
    FEED_FANOUT_BATCH: '2',
  });
  url = node.url;
}, 90_000);
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
  data.remove();
});

type User = Awaited<ReturnType<typeof newUser>>;
const sql = <T = any>(text: string, params: unknown[] = []) => node.pairly.db.query<T & Record<string, unknown>>(text, params).then((r) => r.rows as T[]);

/**
 * Follows and subscriptions as rows written here (the creators module's tables; its API, prices and
 * renewals are creators.test.ts's), so each test can set any tier rank in one step. Rows written behind
 * the creators module's back skip its follow hook, so the feed backfill is called by hand; the hook
 * itself is tested below ("a follow through the API backfills").
 */
async function relate(fan: User, creator: User, how: 'follow' | { tier: number }): Promise<void> {
  if (how === 'follow') {
    await sql(`INSERT INTO follows (follower_id, creator_id) VALUES ($1, $2)`, [fan.user.id, creator.user.id]);
  } else {
    await sql(
      `INSERT INTO creator_tiers (id, creator_id, rank, name, price) VALUES ($1, $2, $3, $4, 10)
       ON CONFLICT (creator_id, rank) WHERE archived_at IS NULL DO NOTHING`,
      [randomUUID(), creator.user.id, how.tier, `Tier ${how.tier}`],
    );
    await sql(
      `INSERT INTO subscriptions (id, fan_id, creator_id, tier_id, status, period, months, period_price, current_period_start, current_period_end)
       SELECT $1, $2, $3, t.id, 'active', 1, 1, t.price, now(), now() + interval '30 days'
       FROM creator_tiers t WHERE t.creator_id = $3 AND t.rank = $4 AND t.archived_at IS NULL`,
      [randomUUID(), fan.user.id, creator.user.id, how.tier],
    );
  }
  await node.pairly.services.feed.backfill(fan.user.id, creator.user.id);
}

async function readyPhoto(token: string): Promise<string> {
  const { id } = await uploadAndConfirm(url, token, 'post_media', 'image/jpeg', await jpegWithGps(320, 240));
  expect((await processed(url, token, id)).state).toBe('ready');
  return id;
}

const call = (token: string, method: string, path: string, body?: unknown) => http<any>(url, method, path, { token, body });
const newPost = async (creator: User, body: object) => {
  const r = await call(creator.accessToken, 'POST', '/api/posts', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.post as PostView;
};
const getPost = (token: string, id: string) => call(token, 'GET', `/api/posts/${id}`);
const getMedia = (token: string, id: string) => call(token, 'GET', `/api/media/${id}`);
const feedOf = async (token: string, cursor?: string, limit = 20) =>
  (await call(token, 'GET', `/api/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)).body as { posts: PostView[]; nextCursor: string | null };

describe('who sees what', () => {
  it('a visibility matrix: stranger, follower, tier 1, tier 2, buyer, creator, admin; locked posts show no body and only blurred media', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const [stranger, follower, t1, t2, buyer] = await Promise.all([newUser(url), newUser(url), newUser(url), newUser(url), newUser(url)]);
    const admin = await newAdmin(node.pairly, url);
    await relate(follower, creator, 'follow');
    await relate(t1, creator, { tier: 1 });
    await relate(t2, creator, { tier: 2 });
    const photos = await Promise.all([1, 2, 3, 4].map(() => readyPhoto(creator.accessToken)));
    const free = await newPost(creator, { body: 'hello all', mediaIds: [photos[0]], visibility: { kind: 'free' } });
    const followers = await newPost(creator, { body: 'for followers', mediaIds: [photos[1]], visibility: { kind: 'followers' } });
    const tier2 = await newPost(creator, { body: 'for tier 2', mediaIds: [photos[2]], visibility: { kind: 'tier', minTierRank: 2 } });
    const ppv = await newPost(creator, { body: 'pay to see', mediaIds: [photos[3]], visibility: { kind: 'ppv', price: 50, subscriberPrice: 20 } });

    await fund(node.pairly, buyer.user.id, 100);
    const bought = await call(buyer.accessToken, 'POST', `/api/posts/${ppv.id}/unlock`, { expectedPrice: 50 });
    expect(bought.body).toMatchObject({ charged: 50, replayed: false, post: { locked: false, body: 'pay to see' } });

    const viewers = { stranger: stranger.accessToken, follower: follower.accessToken, t1: t1.accessToken, t2: t2.accessToken, buyer: buyer.accessToken, creator: creator.accessToken, admin: admin.token };
    // true: sees it in full; otherwise what opens it.
    const expected: Record<string, Record<keyof typeof viewers, true | object>> = {
      [free.id]: { stranger: true, follower: true, t1: true, t2: true, buyer: true, creator: true, admin: true },
      [followers.id]: { stranger: { kind: 'follow' }, follower: true, t1: true, t2: true, buyer: { kind: 'follow' }, creator: true, admin: true },
      [tier2.id]: {
        stranger: { kind: 'tier', minTierRank: 2 },
        follower: { kind: 'tier', minTierRank: 2 },
        t1: { kind: 'tier', minTierRank: 2 },
        t2: true,
        buyer: { kind: 'tier', minTierRank: 2 },
        creator: true,
        admin: true,
      },
      [ppv.id]: { stranger: { kind: 'ppv', price: 50 }, follower: { kind: 'ppv', price: 50 }, t1: { kind: 'ppv', price: 20 }, t2: { kind: 'ppv', price: 20 }, buyer: true, creator: true, admin: true },
    };
    const postMedia = new Map([free, followers, tier2, ppv].map((p, i) => [p.id, photos[i]!]));
    for (const [postId, row] of Object.entries(expected)) {
      for (const [who, token] of Object.entries(viewers)) {
        const want = row[who as keyof typeof viewers];
        const got = await getPost(token, postId);
        const what = `${who} on ${postId === free.id ? 'free' : postId === followers.id ? 'followers' : postId === tier2.id ? 'tier2' : 'ppv'}`;
        expect(got.status, what).toBe(200);
        const media = (await getMedia(token, postMedia.get(postId)!)).body.media;
        if (want === true) {
          expect(got.body.post, what).toMatchObject({ locked: false, unlock: null });
          expect(got.body.post.body, what).not.toBeNull();
          expect(media.locked, what).toBeUndefined();
          expect(Object.keys(media.variants), what).toContain('w160');
        } else {
          expect(got.body.post, what).toMatchObject({ locked: true, body: null, unlock: want });
          // A locked post's media (in the post, and asked for by id) is the blurred preview only.
          expect(got.body.post.media[0].locked, what).toBe(true);
          expect(media.locked, what).toBe(true);
          expect(Object.keys(media.variants), what).toEqual(['preview']);
          expect((await fetch(new URL(media.variants.preview.url, url))).status, what).toBe(200);
        }
      }
    }
    // A media id in no post (or in no published post) is nobody else's business.
    const loose = await readyPhoto(creator.accessToken);
    expect((await getMedia(stranger.accessToken, loose)).status).toBe(404);
    expect((await getMedia(follower.accessToken, loose)).status).toBe(404);
  });
});

describe('pay-per-view', () => {
  it('charges the price shown once, however many unlocks race; 80/20; replays charge nothing; the price is fixed once bought', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fan = await newUser(url);
    const post = await newPost(creator, { body: 'secret', visibility: { kind: 'ppv', price: 30 } });
    const unlock = (body: object) => call(fan.accessToken, 'POST', `/api/posts/${post.id}/unlock`, body);
    expect((await unlock({})).body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 30 } });
    expect((await unlock({ expectedPrice: 20 })).body.error.code).toBe('PRICE_CHANGED');
    expect((await unlock({ expectedPrice: 30 })).body.error.code).toBe('INSUFFICIENT_CREDITS');
    expect((await unlock({ expectedPrice: -1 })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await unlock({ expectedPrice: '30' })).body.error.code).toBe('VALIDATION_FAILED');

    // Before anyone bought it, the creator may change the price.
    const edited = await call(creator.accessToken, 'PATCH', `/api/posts/${post.id}`, { visibility: { kind: 'ppv', price: 40 } });
    expect(edited.body.post.visibility).toEqual({ kind: 'ppv', price: 40 });
    expect((await unlock({ expectedPrice: 30 })).body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 40 } });

    await fund(node.pairly, fan.user.id, 100);
    const results = await Promise.all(Array.from({ length: 6 }, () => unlock({ expectedPrice: 40 })));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(results.filter((r) => !r.body.replayed)).toHaveLength(1);
    for (const r of results) expect(r.body).toMatchObject({ charged: 40, post: { locked: false, body: 'secret', paid: 40 } });
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(60);
    expect((await node.pairly.services.ledger.account(`earnings:${creator.user.id}`))?.posted).toBe(32);
    expect((await unlock({ expectedPrice: 40 })).body).toMatchObject({ replayed: true, charged: 40 });
    expect((await node.pairly.services.ledger.balance(fan.user.id)).available).toBe(60);

    // Bought: the price and visibility stay; the body may still change.
    for (const visibility of [{ kind: 'ppv', price: 10 }, { kind: 'free' }]) {
      expect((await call(creator.accessToken, 'PATCH', `/api/posts/${post.id}`, { visibility })).body.error.code).toBe('PRICE_LOCKED');
    }
    expect((await call(creator.accessToken, 'PATCH', `/api/posts/${post.id}`, { body: 'secret, edited' })).body.post.body).toBe('secret, edited');

    // Nothing to pay for: a free post, one's own, or a non-ppv locked post (refused).
    const free = await newPost(creator, { body: 'free', visibility: { kind: 'free' } });
    expect((await call(fan.accessToken, 'POST', `/api/posts/${free.id}/unlock`, {})).body).toMatchObject({ charged: 0, replayed: false });
    const tier = await newPost(creator, { body: 'subs', visibility: { kind: 'tier', minTierRank: 1 } });
    expect((await call(fan.accessToken, 'POST', `/api/posts/${tier.id}/unlock`, { expectedPrice: 5 })).body.error.code).toBe('FORBIDDEN');
    expect((await call(fan.accessToken, 'POST', `/api/posts/${randomUUID()}/unlock`, {})).status).toBe(404);
  });

  it('a subscriber pays the subscriber price; 0 makes it theirs without an unlock', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const sub = await newUser(url);
    await relate(sub, creator, { tier: 1 });
    const cheap = await newPost(creator, { body: 'cheap for subs', visibility: { kind: 'ppv', price: 25, subscriberPrice: 5 } });
    const freeForSubs = await newPost(creator, { body: 'free for subs', visibility: { kind: 'ppv', price: 25, subscriberPrice: 0 } });
    expect((await getPost(sub.accessToken, freeForSubs.id)).body.post).toMatchObject({ locked: false, body: 'free for subs' });
    expect((await getPost(sub.accessToken, cheap.id)).body.post.unlock).toEqual({ kind: 'ppv', price: 5 });
    await fund(node.pairly, sub.user.id, 5);
    expect((await call(sub.accessToken, 'POST', `/api/posts/${cheap.id}/unlock`, { expectedPrice: 25 })).body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 5 } });
    expect((await call(sub.accessToken, 'POST', `/api/posts/${cheap.id}/unlock`, { expectedPrice: 5 })).body).toMatchObject({ charged: 5 });
    expect((await node.pairly.services.ledger.balance(sub.user.id)).available).toBe(0);
  });
});

describe('lifecycle', () => {
  it('a deleted post stays with its buyers, in full with its media, and vanishes for everyone else and from feeds', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const [buyer, follower] = await Promise.all([newUser(url), newUser(url)]);
    await relate(follower, creator, 'follow');
    await relate(buyer, creator, 'follow');
    const photo = await readyPhoto(creator.accessToken);
    const post = await newPost(creator, { body: 'keep me', mediaIds: [photo], visibility: { kind: 'ppv', price: 10 } });
    await fund(node.pairly, buyer.user.id, 10);
    expect((await call(buyer.accessToken, 'POST', `/api/posts/${post.id}/unlock`, { expectedPrice: 10 })).status).toBe(200);
    await waitFor(async () => (await feedOf(follower.accessToken)).posts.some((p) => p.id === post.id), 10_000, 'the post in the follower feed');

    expect((await call(follower.accessToken, 'DELETE', `/api/posts/${post.id}`)).status).toBe(404);
    expect((await call(creator.accessToken, 'DELETE', `/api/posts/${post.id}`)).status).toBe(204);
    expect((await call(creator.accessToken, 'DELETE', `/api/posts/${post.id}`)).status).toBe(404);

    const kept = await getPost(buyer.accessToken, post.id);
    expect(kept.body.post).toMatchObject({ deleted: true, locked: false, body: 'keep me' });
    expect((await getMedia(buyer.accessToken, photo)).body.media.locked).toBeUndefined();
    expect((await getPost(follower.accessToken, post.id)).status).toBe(404);
    expect((await getMedia(follower.accessToken, photo)).status).toBe(404);
    expect((await feedOf(follower.accessToken)).posts.map((p) => p.id)).not.toContain(post.id);
    expect((await feedOf(buyer.accessToken)).posts.map((p) => p.id)).not.toContain(post.id);
    const page = await call(follower.accessToken, 'GET', `/api/creators/${creator.user.id}/posts`);
    expect(page.body.posts.map((p: PostView) => p.id)).not.toContain(post.id);
  });

  it('a scheduled post is its creator\'s alone until its time, then published and fanned out', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const follower = await newUser(url);
    await relate(follower, creator, 'follow');
    const photo = await readyPhoto(creator.accessToken);
    const publishAt = new Date(Date.now() + 3000).toISOString();
    const post = await newPost(creator, { body: 'later', mediaIds: [photo], visibility: { kind: 'free' }, publishAt });
    expect(post).toMatchObject({ scheduled: true, publishedAt: publishAt });
    expect((await getPost(follower.accessToken, post.id)).status).toBe(404);
    expect((await getMedia(follower.accessToken, photo)).status).toBe(404);
    expect((await call(follower.accessToken, 'GET', `/api/creators/${creator.user.id}/posts`)).body.posts).toEqual([]);
    expect((await call(creator.accessToken, 'GET', `/api/creators/${creator.user.id}/posts`)).body.posts.map((p: PostView) => p.id)).toEqual([post.id]);

    await waitFor(async () => (await feedOf(follower.accessToken)).posts.some((p) => p.id === post.id), 15_000, 'the scheduled post in the feed');
    expect((await getPost(follower.accessToken, post.id)).body.post).toMatchObject({ scheduled: false, body: 'later' });
    expect((await getMedia(follower.accessToken, photo)).status).toBe(200);
  });

  it('pins: a few per creator, first on page 1 of their posts', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const viewer = await newUser(url);
    const posts: PostView[] = [];
    for (let i = 0; i < 5; i++) posts.push(await newPost(creator, { body: `post ${i}`, visibility: { kind: 'free' } }));
    for (const p of posts.slice(0, 3)) expect((await call(creator.accessToken, 'PUT', `/api/posts/${p.id}/pin`)).body.post.pinned).toBe(true);
    // Pinning again is no change; a fourth is refused (racing pins too).
    expect((await call(creator.accessToken, 'PUT', `/api/posts/${posts[0]!.id}/pin`)).status).toBe(200);
    const fourth = await Promise.all([3, 4].map((i) => call(creator.accessToken, 'PUT', `/api/posts/${posts[i]!.id}/pin`)));
    for (const r of fourth) expect(r.body.error).toMatchObject({ code: 'PIN_LIMIT', details: { max: 3 } });
    expect((await call(viewer.accessToken, 'PUT', `/api/posts/${posts[4]!.id}/pin`)).status).toBe(404);

    const page1 = await call(viewer.accessToken, 'GET', `/api/creators/${creator.user.id}/posts?limit=1`);
    expect(page1.body.posts.map((p: PostView) => p.body)).toEqual(['post 2', 'post 1', 'post 0', 'post 4']);
    const page2 = await call(viewer.accessToken, 'GET', `/api/creators/${creator.user.id}/posts?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.posts.map((p: PostView) => p.body)).toEqual(['post 3']);

    expect((await call(creator.accessToken, 'DELETE', `/api/posts/${posts[0]!.id}/pin`)).body.post.pinned).toBe(false);
    expect((await call(creator.accessToken, 'PUT', `/api/posts/${posts[4]!.id}/pin`)).body.post.pinned).toBe(true);
  });
});

describe('likes, comments, bookmarks', () => {
  it('likes are idempotent; comments can be turned off; authors and the creator delete comments; bookmarks list', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const [a, b, stranger] = await Promise.all([newUser(url), newUser(url), newUser(url)]);
    await relate(a, creator, 'follow');
    await relate(b, creator, 'follow');
    const post = await newPost(creator, { body: 'talk to me', visibility: { kind: 'followers' } });

    for (let i = 0; i < 2; i++) expect((await call(a.accessToken, 'PUT', `/api/posts/${post.id}/like`)).body).toEqual({ liked: true, likes: 1 });
    expect((await call(b.accessToken, 'PUT', `/api/posts/${post.id}/like`)).body).toEqual({ liked: true, likes: 2 });
    expect((await call(a.accessToken, 'DELETE', `/api/posts/${post.id}/like`)).body).toEqual({ liked: false, likes: 1 });
    // Locked for a stranger: no likes or comments, but a bookmark is fine.
    expect((await call(stranger.accessToken, 'PUT', `/api/posts/${post.id}/like`)).body.error.code).toBe('FORBIDDEN');
    expect((await call(stranger.accessToken, 'POST', `/api/posts/${post.id}/comments`, { body: 'hi' })).body.error.code).toBe('FORBIDDEN');

    const ca = (await call(a.accessToken, 'POST', `/api/posts/${post.id}/comments`, { body: '  first  ' })).body.comment;
    expect(ca).toMatchObject({ body: 'first', authorId: a.user.id });
    const cb = (await call(b.accessToken, 'POST', `/api/posts/${post.id}/comments`, { body: 'second' })).body.comment;
    const cb2 = (await call(b.accessToken, 'POST', `/api/posts/${post.id}/comments`, { body: 'third' })).body.comment;
    const list = await call(a.accessToken, 'GET', `/api/posts/${post.id}/comments?limit=2`);
    expect(list.body.comments.map((c: any) => c.body)).toEqual(['third', 'second']);
    const rest = await call(a.accessToken, 'GET', `/api/posts/${post.id}/comments?limit=2&cursor=${list.body.nextCursor}`);
    expect(rest.body.comments.map((c: any) => c.body)).toEqual(['first']);

    expect((await call(a.accessToken, 'DELETE', `/api/posts/${post.id}/comments/${cb.id}`)).status).toBe(404);
    expect((await call(b.accessToken, 'DELETE', `/api/posts/${post.id}/comments/${cb.id}`)).status).toBe(204);
    expect((await call(creator.accessToken, 'DELETE', `/api/posts/${post.id}/comments/${ca.id}`)).status).toBe(204);
    expect((await getPost(a.accessToken, post.id)).body.post).toMatchObject({ comments: 1, likes: 1, liked: false });

    expect((await call(creator.accessToken, 'PATCH', `/api/posts/${post.id}`, { commentsEnabled: false })).body.post.commentsEnabled).toBe(false);
    expect((await call(a.accessToken, 'POST', `/api/posts/${post.id}/comments`, { body: 'late' })).body.error.code).toBe('COMMENTS_OFF');
    // Comments made before stay listed.
    expect((await call(a.accessToken, 'GET', `/api/posts/${post.id}/comments`)).body.comments.map((c: any) => c.id)).toEqual([cb2.id]);

    expect((await call(stranger.accessToken, 'PUT', `/api/posts/${post.id}/bookmark`)).body).toEqual({ bookmarked: true });
    expect((await call(stranger.accessToken, 'PUT', `/api/posts/${post.id}/bookmark`)).body).toEqual({ bookmarked: true });
    const marks = await call(stranger.accessToken, 'GET', '/api/bookmarks');
    expect(marks.body.posts.map((p: PostView) => [p.id, p.locked, p.bookmarked])).toEqual([[post.id, true, true]]);
    expect((await call(stranger.accessToken, 'DELETE', `/api/posts/${post.id}/bookmark`)).body).toEqual({ bookmarked: false });
    expect((await call(stranger.accessToken, 'GET', '/api/bookmarks')).body.posts).toEqual([]);
  });

  it('counts likes and comments as they happen: at once from many people, and when an account goes', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fans = await Promise.all(Array.from({ length: 12 }, () => newUser(url)));
    const post = await newPost(creator, { body: 'popular', visibility: { kind: 'free' } });
    await Promise.all(fans.flatMap((f) => [call(f.accessToken, 'PUT', `/api/posts/${post.id}/like`), call(f.accessToken, 'PUT', `/api/posts/${post.id}/like`)]));
    await Promise.all(fans.slice(0, 5).map((f) => call(f.accessToken, 'POST', `/api/posts/${post.id}/comments`, { body: 'me too' })));
    await Promise.all(fans.slice(0, 3).map((f) => call(f.accessToken, 'DELETE', `/api/posts/${post.id}/like`)));
    expect((await getPost(creator.accessToken, post.id)).body.post).toMatchObject({ likes: 9, comments: 5 });
    // An account deleted takes its likes and comments with it (a cascade, not the API): the counts follow.
    await sql('DELETE FROM users WHERE id = $1', [fans[4]!.user.id]);
    expect((await getPost(creator.accessToken, post.id)).body.post).toMatchObject({ likes: 8, comments: 4 });
    // The counts of every post in this database agree with the rows.
    const wrong = await sql(
      `SELECT p.id FROM posts p LEFT JOIN post_stats s ON s.post_id = p.id
       WHERE coalesce(s.likes, 0) <> (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id)
          OR coalesce(s.comments, 0) <> (SELECT count(*) FROM post_comments c WHERE c.post_id = p.id)`,
    );
    expect(wrong).toEqual([]);
  });
});

describe('the feed', () => {
  it('a follow through the API backfills the creator\'s latest posts; a block either way hides the creator\'s posts and media', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const fan = await newUser(url);
    const handle = `c_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    expect((await call(creator.accessToken, 'PUT', '/api/creator/page', { handle })).status).toBe(200);
    const photo = await readyPhoto(creator.accessToken);
    const older = await newPost(creator, { body: 'older', visibility: { kind: 'free' } });
    const newer = await newPost(creator, { body: 'newer', mediaIds: [photo], visibility: { kind: 'free' } });
    expect((await call(fan.accessToken, 'POST', `/api/creators/${handle}/follow`, {})).status).toBe(200);
    await waitFor(async () => (await feedOf(fan.accessToken)).posts.length === 2, 15_000, 'the backfilled posts');
    expect((await feedOf(fan.accessToken)).posts.map((p) => p.id)).toEqual([newer.id, older.id]);
    expect((await feedOf(fan.accessToken)).posts[0]!.creator).toEqual({ id: creator.user.id, handle, displayName: creator.user.displayName });

    // The creator blocks the fan: the posts and their media are gone for them, from every door.
    expect((await call(creator.accessToken, 'PUT', `/api/blocks/${fan.user.id}`)).status).toBeLessThan(300);
    expect((await getPost(fan.accessToken, newer.id)).status).toBe(404);
    expect((await getMedia(fan.accessToken, photo)).status).toBe(404);
    expect((await feedOf(fan.accessToken)).posts).toEqual([]);
    expect((await call(fan.accessToken, 'GET', `/api/creators/${creator.user.id}/posts`)).body.posts).toEqual([]);
    // Unblocked, they are back.
    expect((await call(creator.accessToken, 'DELETE', `/api/blocks/${fan.user.id}`)).status).toBeLessThan(300);
    expect((await getPost(fan.accessToken, newer.id)).status).toBe(200);
  });

  it('pages stay stable while posts are published: no duplicates, no gaps; new posts show on a new first page', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const other = await newUser(url, { role: 'creator' });
    const reader = await newUser(url);
    await relate(reader, creator, 'follow');
    await relate(reader, other, { tier: 1 });
    const first: string[] = [];
    for (let i = 0; i < 7; i++) first.push((await newPost(i % 2 ? other : creator, { body: `p${i}`, visibility: { kind: 'free' } })).id);
    await waitFor(async () => (await feedOf(reader.accessToken)).posts.length === 7, 15_000, 'seven posts in the feed');

    const seen: string[] = [];
    let page = await feedOf(reader.accessToken, undefined, 3);
    const later: string[] = [];
    for (;;) {
      seen.push(...page.posts.map((p) => p.id));
      // Published between page reads, by both creators.
      later.push((await newPost(creator, { body: 'newer', visibility: { kind: 'free' } })).id);
      later.push((await newPost(other, { body: 'newer', visibility: { kind: 'free' } })).id);
      if (!page.nextCursor) break;
      page = await feedOf(reader.accessToken, page.nextCursor, 3);
    }
    expect(seen).toEqual([...first].reverse());
    await waitFor(async () => (await feedOf(reader.accessToken, undefined, 50)).posts.length === 7 + later.length, 15_000, 'the newer posts');
    const fresh = await feedOf(reader.accessToken, undefined, 50);
    expect(fresh.posts.map((p) => p.id)).toEqual([...first, ...later].reverse());
  });

  it(`fans out below FEED_FANOUT_MAX (${FANOUT_MAX}) and merges on read at or above it; the feed re-checks access and follows`, async () => {
    const small = await newUser(url, { role: 'creator' });
    const big = await newUser(url, { role: 'creator' });
    const readers = await Promise.all([0, 1, 2].map(() => newUser(url)));
    await relate(readers[0]!, small, 'follow');
    await relate(readers[1]!, small, 'follow');
    for (const r of readers) await relate(r, big, 'follow');

    const sp = await newPost(small, { body: 'small', visibility: { kind: 'free' } });
    const bp = await newPost(big, { body: 'big', visibility: { kind: 'followers' } });
    const done = async (id: string) => (await sql<{ done: boolean }>(`SELECT fanout_done_at IS NOT NULL AS done FROM posts WHERE id = $1`, [id]))[0]!.done;
    await waitFor(async () => (await done(sp.id)) && (await done(bp.id)), 15_000, 'both fan-outs finished');
    expect((await sql(`SELECT user_id FROM feed_items WHERE post_id = $1 ORDER BY user_id`, [sp.id])).map((r: any) => r.user_id)).toEqual([readers[0]!.user.id, readers[1]!.user.id].sort());
    expect(await sql(`SELECT user_id FROM feed_items WHERE post_id = $1`, [bp.id])).toEqual([]);
    expect(await sql(`SELECT creator_id FROM feed_big_creators WHERE creator_id = $1`, [big.user.id])).toHaveLength(1);

    for (const [i, r] of readers.entries()) {
      const ids = (await feedOf(r.accessToken)).posts.map((p) => p.id);
      expect(ids, `reader ${i}`).toEqual(i < 2 ? [bp.id, sp.id] : [bp.id]);
    }
    // Access is checked on every read: visibility tightened, an unfollow, a delete.
    await call(big.accessToken, 'PATCH', `/api/posts/${bp.id}`, { visibility: { kind: 'tier', minTierRank: 1 } });
    expect((await feedOf(readers[0]!.accessToken)).posts.find((p) => p.id === bp.id)).toMatchObject({ locked: true, body: null });
    await sql(`DELETE FROM follows WHERE follower_id = $1 AND creator_id = $2`, [readers[1]!.user.id, small.user.id]);
    expect((await feedOf(readers[1]!.accessToken)).posts.map((p) => p.id)).toEqual([bp.id]);
    await call(small.accessToken, 'DELETE', `/api/posts/${sp.id}`);
    expect((await feedOf(readers[0]!.accessToken)).posts.map((p) => p.id)).toEqual([bp.id]);

    // A new follower of a small creator gets their latest posts at once (backfill).
    const late = await newUser(url);
    const sp2 = await newPost(small, { body: 'small again', visibility: { kind: 'free' } });
    await waitFor(async () => done(sp2.id), 15_000, 'fan-out');
    await relate(late, small, 'follow');
    expect((await feedOf(late.accessToken)).posts.map((p) => p.id)).toEqual([sp2.id]);
  });

  it('a big creator\'s new post (merged on read) still tells their subscribers, batch by batch, collapsed per creator; followers only are not told', async () => {
    const big = await newUser(url, { role: 'creator' });
    const followers = await Promise.all([0, 1].map(() => newUser(url)));
    const subscribers = await Promise.all([0, 1, 2].map(() => newUser(url)));
    for (const f of followers) await relate(f, big, 'follow');
    for (const s of subscribers) await relate(s, big, { tier: 1 });
    const done = async (id: string) => (await sql<{ done: boolean }>(`SELECT fanout_done_at IS NOT NULL AS done FROM posts WHERE id = $1`, [id]))[0]!.done;
    const newPosts = async (u: User) => (await call(u.accessToken, 'GET', '/api/notifications')).body.notifications.filter((n: any) => n.kind === 'new_post');

    const first = await newPost(big, { body: 'one', visibility: { kind: 'followers' } });
    await waitFor(() => done(first.id), 15_000, 'the first post told');
    expect(await sql(`SELECT creator_id FROM feed_big_creators WHERE creator_id = $1`, [big.user.id])).toHaveLength(1);
    expect(await sql(`SELECT user_id FROM feed_items WHERE post_id = $1`, [first.id])).toEqual([]);
    // Three subscribers in batches of FEED_FANOUT_BATCH (2): the position is the last subscriber told.
    const lastSubscriber = subscribers.map((s) => s.user.id).sort().at(-1);
    expect((await sql(`SELECT fanout_after FROM posts WHERE id = $1`, [first.id]))[0]).toEqual({ fanout_after: lastSubscriber });
    for (const s of subscribers) expect(await newPosts(s)).toMatchObject([{ count: 1, payload: { actorId: big.user.id, ref: first.id } }]);
    for (const f of followers) expect(await newPosts(f)).toEqual([]);

    const second = await newPost(big, { body: 'two', visibility: { kind: 'followers' } });
    await waitFor(() => done(second.id), 15_000, 'the second post told');
    for (const s of subscribers) expect(await newPosts(s)).toMatchObject([{ count: 2, text: expect.stringMatching(/^2 new posts from /) }]);

    // The job again for the same post (a retry): nobody counts it twice.
    await sql(`UPDATE posts SET fanout_done_at = NULL, fanout_after = NULL WHERE id = $1`, [second.id]);
    expect(await node.pairly.services.feed.fanout(second.id)).toEqual({ written: 0, merged: true });
    for (const s of subscribers) expect((await newPosts(s))[0].count).toBe(2);
  });

  it('a lost fan-out is found again by the sweep and resumes', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const reader = await newUser(url);
    await relate(reader, creator, 'follow');
    const post = await newPost(creator, { body: 'lost', visibility: { kind: 'free' } });
    await waitFor(async () => (await feedOf(reader.accessToken)).posts.length === 1, 15_000, 'fanned out');
    // As if its job had been lost before running: no rows, not done, published long ago.
    await sql(`DELETE FROM feed_items WHERE post_id = $1`, [post.id]);
    await sql(`UPDATE posts SET fanout_done_at = NULL, fanout_after = NULL WHERE id = $1`, [post.id]);
    expect((await feedOf(reader.accessToken)).posts).toEqual([]);
    await sql(`UPDATE posts SET published_at = published_at - interval '10 minutes' WHERE id = $1`, [post.id]);
    expect(await node.pairly.services.feed.sweep()).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await feedOf(reader.accessToken)).posts.length === 1, 15_000, 'fanned out again');
  });
});

describe('bad input', () => {
  it('is refused with clear codes: fans posting, wrong types, NUL bytes, huge bodies, unknown ids, other creators\' media, bad cursors', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const rival = await newUser(url, { role: 'creator' });
    const fan = await newUser(url);
    const theirs = await readyPhoto(rival.accessToken);
    const attachment = (await uploadAndConfirm(url, creator.accessToken, 'message_attachment', 'image/jpeg', await jpegWithGps(64, 64))).id;
    const post = (b: unknown, token = creator.accessToken) => call(token, 'POST', '/api/posts', b);
    const code = async (r: Promise<{ body: any }>) => (await r).body.error?.code;

    expect(await code(post({ body: 'hi', visibility: { kind: 'free' } }, fan.accessToken))).toBe('FORBIDDEN');
    expect(await code(post({ body: 'hi', mediaIds: [theirs], visibility: { kind: 'free' } }))).toBe('NOT_FOUND');
    expect(await code(post({ body: 'hi', mediaIds: [attachment], visibility: { kind: 'free' } }))).toBe('NOT_FOUND');
    expect(await code(post({ body: 'hi', mediaIds: [randomUUID()], visibility: { kind: 'free' } }))).toBe('NOT_FOUND');
    const refusals: unknown[] = [
      { body: 'a\u0000b', visibility: { kind: 'free' } },
      { body: 'x'.repeat(10_001), visibility: { kind: 'free' } },
      { body: '   ', visibility: { kind: 'free' } },
      { body: 42, visibility: { kind: 'free' } },
      { body: 'hi' },
      { body: 'hi', visibility: { kind: 'secret' } },
      { body: 'hi', visibility: { kind: 'ppv', price: 0 } },
      { body: 'hi', visibility: { kind: 'ppv', price: -5 } },
      { body: 'hi', visibility: { kind: 'ppv', price: 10, subscriberPrice: 10 } },
      { body: 'hi', visibility: { kind: 'ppv', price: 1.5 } },
      { body: 'hi', visibility: { kind: 'tier', minTierRank: 11 } },
      { body: 'hi', visibility: { kind: 'free' }, mediaIds: ['nope'] },
      { body: 'hi', visibility: { kind: 'free' }, mediaIds: Array.from({ length: 11 }, () => randomUUID()) },
      { body: 'hi', visibility: { kind: 'free' }, publishAt: '0000-01-01T00:00:00Z' },
      { body: 'hi', visibility: { kind: 'free' }, publishAt: '3000-01-01T00:00:00Z' },
      { body: 'hi', visibility: { kind: 'free' }, extra: true },
      [],
    ];
    for (const b of refusals) expect(await code(post(b)), JSON.stringify(b).slice(0, 80)).toBe('VALIDATION_FAILED');

    const ok = await newPost(creator, { body: 'fine', visibility: { kind: 'free' } });
    expect((await getPost(fan.accessToken, randomUUID())).status).toBe(404);
    expect(await code(getPost(fan.accessToken, 'not-a-uuid'))).toBe('VALIDATION_FAILED');
    expect(await code(call(rival.accessToken, 'PATCH', `/api/posts/${ok.id}`, { body: 'mine now' }))).toBe('NOT_FOUND');
    expect(await code(call(creator.accessToken, 'PATCH', `/api/posts/${ok.id}`, {}))).toBe('VALIDATION_FAILED');
    expect(await code(call(creator.accessToken, 'PATCH', `/api/posts/${ok.id}`, { body: 'x\u0000' }))).toBe('VALIDATION_FAILED');
    expect(await code(call(fan.accessToken, 'POST', `/api/posts/${ok.id}/comments`, { body: 'y'.repeat(2001) }))).toBe('VALIDATION_FAILED');
    expect(await code(call(fan.accessToken, 'POST', `/api/posts/${ok.id}/comments`, { body: '' }))).toBe('VALIDATION_FAILED');
    expect(await code(call(fan.accessToken, 'DELETE', `/api/posts/${ok.id}/comments/${randomUUID()}`))).toBe('NOT_FOUND');
    for (const cursor of ['x', 'AAAAAAAAAAAAAAAA', Buffer.from(`0000-01-01T00:00:00.000000Z|${randomUUID()}`).toString('base64url'), Buffer.from(`2024-13-01T00:00:00.000000Z|${randomUUID()}`).toString('base64url')]) {
      expect(await code(call(fan.accessToken, 'GET', `/api/feed?cursor=${cursor}`)), cursor).toBe('VALIDATION_FAILED');
    }
    expect(await code(call(fan.accessToken, 'GET', '/api/feed?limit=500'))).toBe('VALIDATION_FAILED');
    expect((await call(fan.accessToken, 'GET', `/api/creators/${randomUUID()}/posts`)).body).toEqual({ posts: [], nextCursor: null });
  });
});

describe('the ledger', () => {
  it('verifies after everything above', async () => {
    expect(await verifyLedger(node.pairly.services.ledgerStore)).toMatchObject({ ok: true });
  });
});
