import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatorCard } from '../../shared/creators.js';
import type { PostView } from '../../shared/posts.js';
import { SEED_PASSWORD, seedEmail } from '../../server/src/cli/seed/seed.js';
import { LedgerStore } from '../../server/src/modules/ledger/ledger.store.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';
import { http, logIn } from '../support/client.js';
import { createBacking, ROOT, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * `npm run seed` (issue #14) as a user runs it: the command against a database of its own, at a small
 * size, then a node on that database. The counts follow from the flags exactly (ids come from each row's
 * place, and every fan follows F distinct creators); a seed user logs in with the documented password, a
 * seeded creator is found by search, a fan's feed and discover show something, and a re-run writes nothing
 * and does not fail.
 */
const FANS = 40;
const CREATORS = 12;
const POSTS = 6;
const FOLLOWS = 4;
const CONVERSATIONS = 15;
const SUBSCRIPTIONS = 5;
const IMAGES = 2;

let backing: Backing;
let node: InProcessNode | undefined;

const runSeed = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'server/src/cli/seed.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...backing.env, MEDIA_STORAGE: 'local' },
    encoding: 'utf8',
    timeout: 120_000,
  });
const flags = ['--users', String(FANS), '--creators', String(CREATORS), '--posts', String(POSTS), '--follows', String(FOLLOWS), '--conversations', String(CONVERSATIONS), '--subscriptions', String(SUBSCRIPTIONS), '--images', String(IMAGES), '--seed', '7'];
const count = async (sql: string) => Number((await node!.pairly.db.query<{ n: string }>(sql)).rows[0]!.n);

beforeAll(async () => {
  backing = await createBacking();
  const first = runSeed(flags);
  expect(first.status, first.stderr + first.stdout).toBe(0);
  node = await startInProcess({ ...backing.env, MEDIA_STORAGE: 'local' });
}, 150_000);
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

describe('npm run seed', () => {
  it('writes the rows its flags ask for, with follower counts and feeds made right', async () => {
    expect(await count(`SELECT count(*) AS n FROM users WHERE role = 'fan'`)).toBe(FANS);
    expect(await count(`SELECT count(*) AS n FROM users WHERE role = 'creator'`)).toBe(CREATORS);
    expect(await count(`SELECT count(*) AS n FROM profiles`)).toBe(FANS);
    expect(await count(`SELECT count(*) AS n FROM creator_pages`)).toBe(CREATORS);
    expect(await count(`SELECT count(*) AS n FROM creator_pages c WHERE NOT EXISTS (SELECT 1 FROM creator_tiers t WHERE t.creator_id = c.user_id)`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM posts`)).toBe(CREATORS * POSTS);
    expect(await count(`SELECT count(DISTINCT visibility) AS n FROM posts`)).toBeGreaterThan(1);
    expect(await count(`SELECT count(*) AS n FROM follows`)).toBe(FANS * FOLLOWS);
    expect(await count(`SELECT count(*) AS n FROM creator_pages c WHERE follower_count <> (SELECT count(*) FROM follows f WHERE f.creator_id = c.user_id)`)).toBe(0);
    // Every follow brings the creator's posts (fewer than the 10 a feed is backfilled with) into the fan's feed.
    expect(await count(`SELECT count(*) AS n FROM feed_items`)).toBe(FANS * FOLLOWS * POSTS);
    expect(await count(`SELECT count(*) AS n FROM conversations`)).toBe(CONVERSATIONS);
    expect(await count(`SELECT count(*) AS n FROM conversation_members`)).toBe(2 * CONVERSATIONS);
    expect(await count(`SELECT count(*) AS n FROM conversations c WHERE last_seq <> (SELECT max(seq) FROM messages m WHERE m.conversation_id = c.id)`)).toBe(0);
  });

  it('pays for its subscriptions through the ledger: one period each, the creators paid, the ledger verifies', async () => {
    expect(await count(`SELECT count(*) AS n FROM subscriptions WHERE status = 'active'`)).toBe(SUBSCRIPTIONS);
    expect(await count(`SELECT coalesce(sum(subscriber_count), 0) AS n FROM creator_pages`)).toBe(SUBSCRIPTIONS);
    // A grant of exactly one period's price, then the period paid: every subscribed fan's wallet is back at 0.
    expect(await count(`SELECT count(*) AS n FROM ledger_transfers WHERE kind = 'adjustment'`)).toBe(SUBSCRIPTIONS);
    const fan = await logIn(node!.url, seedEmail('fan', 0), SEED_PASSWORD);
    const wallet = await http<any>(node!.url, 'GET', '/api/wallet', { token: fan.accessToken });
    expect(wallet.status, JSON.stringify(wallet.body)).toBe(200);
    expect(wallet.body.wallet.available).toBe(0);
    const subs = await http<any>(node!.url, 'GET', '/api/subscriptions', { token: fan.accessToken });
    expect(subs.body.subscriptions).toHaveLength(1);
    expect((await verifyLedger(new LedgerStore(node!.pairly.db))).ok).toBe(true);
  });

  it('lets a seed user log in with the documented password, and shows them a feed, discover and their conversations', async () => {
    const fan = await logIn(node!.url, seedEmail('fan', 0), SEED_PASSWORD);
    const get = (path: string) => http<any>(node!.url, 'GET', path, { token: fan.accessToken });
    const feed = await get('/api/feed');
    expect(feed.status, JSON.stringify(feed.body)).toBe(200);
    expect(feed.body.posts.length).toBeGreaterThan(0);
    const discover = await get('/api/discover');
    expect(discover.status, JSON.stringify(discover.body)).toBe(200);
    expect(discover.body.candidates.length).toBeGreaterThan(0);
    const conversations = await count(`SELECT count(*) AS n FROM conversation_members WHERE user_id = '${fan.user.id}'`);
    const listed = await get('/api/conversations');
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.conversations.length).toBe(conversations);
    const wrong = await http(node!.url, 'POST', '/api/auth/login', { body: { email: seedEmail('creator', 0), password: 'not-the-seed-password-1' } });
    expect(wrong.status).toBe(401);
  });

  it('finds a seeded creator by her handle with a typo and by her name, and free posts by a word of their text', async () => {
    const fan = await logIn(node!.url, seedEmail('fan', 1), SEED_PASSWORD);
    const { rows } = await node!.pairly.db.query<{ handle: string; display_name: string; word: string }>(
      `SELECT c.handle, u.display_name, split_part(p.body, ' ', 2) AS word FROM creator_pages c JOIN users u ON u.id = c.user_id
       JOIN posts p ON p.creator_id = c.user_id AND p.visibility = 'free' ORDER BY c.handle LIMIT 1`,
    );
    const target = rows[0]!;
    const search = (path: string) => http<any>(node!.url, 'GET', path, { token: fan.accessToken });
    const misspelt = target.handle.slice(0, 2) + target.handle.slice(3); // one letter dropped
    const byHandle = await search(`/api/creators?q=${encodeURIComponent(misspelt)}`);
    expect(byHandle.status, JSON.stringify(byHandle.body)).toBe(200);
    expect((byHandle.body.creators as CreatorCard[]).map((c) => c.handle)).toContain(target.handle);
    const byName = await search(`/api/creators?q=${encodeURIComponent(target.display_name)}`);
    expect((byName.body.creators as CreatorCard[]).map((c) => c.handle)).toContain(target.handle);
    const posts = await search(`/api/search/posts?q=${encodeURIComponent(target.word.replace(/\W/g, ''))}`);
    expect(posts.status, JSON.stringify(posts.body)).toBe(200);
    expect((posts.body.posts as PostView[]).length).toBeGreaterThan(0);
  });

  it('gives each creator\'s latest posts a generated picture, stored and processed like an upload, that the client can load', async () => {
    expect(await count(`SELECT count(*) AS n FROM post_media`)).toBe(CREATORS * IMAGES);
    expect(await count(`SELECT count(*) AS n FROM media WHERE kind = 'post_media' AND state = 'ready' AND moderation = 'approved' AND variants ? 'w640' AND variants ? 'preview'`)).toBe(CREATORS * IMAGES);
    const { rows } = await node!.pairly.db.query<{ post_id: string; media_id: string }>(
      `SELECT pm.post_id, pm.media_id FROM post_media pm JOIN posts p ON p.id = pm.post_id WHERE p.visibility = 'free' ORDER BY pm.post_id LIMIT 1`,
    );
    const fan = await logIn(node!.url, seedEmail('fan', 2), SEED_PASSWORD);
    const post = await http<any>(node!.url, 'GET', `/api/posts/${rows[0]!.post_id}`, { token: fan.accessToken });
    expect(post.status, JSON.stringify(post.body)).toBe(200);
    expect(post.body.post.media.map((m: { id: string }) => m.id)).toEqual([rows[0]!.media_id]);
    const media = await http<any>(node!.url, 'GET', `/api/media/${rows[0]!.media_id}`, { token: fan.accessToken });
    expect(media.status, JSON.stringify(media.body)).toBe(200);
    const url = media.body.media.variants.w640.url as string;
    const picture = await fetch(new URL(url, node!.url));
    expect(picture.status).toBe(200);
    expect(picture.headers.get('content-type')).toBe('image/webp');
    expect((await picture.arrayBuffer()).byteLength).toBeGreaterThan(500);
  });

  it('runs again with the same flags without failing and writes nothing more', async () => {
    const sum = `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM feed_items)
                   + (SELECT count(*) FROM subscriptions) + (SELECT count(*) FROM ledger_transfers) + (SELECT count(*) FROM media) AS n`;
    const before = await count(sum);
    const again = runSeed(flags);
    expect(again.status, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toMatch(/users\s+0\n/);
    expect(again.stdout).toMatch(/subscriptions\s+0\n/);
    expect(again.stdout).toMatch(/media\s+0\n/);
    expect(await count(sum)).toBe(before);
  }, 120_000);

  it('refuses bad flags with the usage and exit code 2, writing nothing', () => {
    const bad = runSeed(['--users', '-3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--users');
    expect(bad.stderr).toContain('usage: npm run seed');
    const unknown = runSeed(['--userz', '3']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('usage: npm run seed');
  }, 120_000); // two command starts (tsx compiles the CLI each time)
});
