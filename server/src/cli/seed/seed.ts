import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { SeedStore, type MessageRows, type PostRows } from './seed.store.js';
import {
  BIO_FRAMES, CHAT_LINES, CITIES, FILLER, FIRST_NAMES, GENDERS, LANGUAGES, LAST_NAMES, POST_FRAMES, TIER_NAMES, TOPICS,
  type Topic,
} from './words.js';

export interface SeedOptions {
  /** Fans (dating profiles, follows, conversations). */
  users: number;
  creators: number;
  /** Posts per creator. */
  posts: number;
  /** Creators each fan follows (popular creators more often). */
  follows: number;
  /** Fan pairs with a few messages each. */
  conversations: number;
  /** The PRNG seed: the same seed writes the same text. */
  seed: number;
  /** One argon2 hash every seed user shares (hash the password once: hashing is the slow part of a sign-up). */
  passwordHash: string;
  /** FEED_FANOUT_MAX: creators with at least this many followers are merged into feeds on read. */
  fanoutMax: number;
  /** Rows per statement (default 5,000). */
  batch?: number;
  /** Feed rows per followed creator, the latest posts (default 10). */
  feedPerCreator?: number;
}

export type SeedProgress = (phase: string, done: number, total: number) => void;

export interface SeedSummary {
  /** Rows written by this run per table (a re-run writes 0 where everything was there). */
  inserted: Record<string, number>;
  ms: number;
}

/** Every seed user's password unless --password says otherwise (README "Seed data"). */
export const SEED_PASSWORD = 'Pairly-seed-2026';

/** Where the seed's users are: `fan<i>@…` and `creator<i>@…`, i from 0. */
export const SEED_EMAIL_DOMAIN = 'seed.pairly.test';
export const seedEmail = (role: 'fan' | 'creator', i: number): string => `${role}${i}@${SEED_EMAIL_DOMAIN}`;

/**
 * Ids depend on the row's place (the 7th creator, her 3rd post), not on the seed: a re-run, with any seed,
 * meets the same ids and skips them (ON CONFLICT DO NOTHING), and a larger run adds only the new rows.
 */
export function seedId(kind: string, key: string | number): string {
  const h = createHash('md5').update(`pairly-seed:${kind}:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** mulberry32 over an FNV-1a hash of (seed, kind, key): each row's text depends only on the seed and its place. */
function rngFor(seed: number, kind: string, key: string | number): Rng {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of `${kind}:${key}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  let a = h >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
  };
}

interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

const DAY_MS = 86_400_000;
const fill = (frame: string, r: Rng, words: readonly string[], tag: string) =>
  frame.replace(/\{w\}/g, () => (r.next() < 0.8 ? r.pick(words) : r.pick(FILLER))).replace(/\{t\}/g, tag);
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface Creator {
  id: string;
  name: string;
  handle: string;
  topics: Topic[];
  tiers: number;
}

/** A creator's identity and topics; the posts draw from the same topics. */
function creatorAt(seed: number, i: number): Creator {
  const r = rngFor(seed, 'creator', i);
  const first = r.pick(FIRST_NAMES);
  const last = r.pick(LAST_NAMES);
  const topics = [r.pick(TOPICS)];
  if (r.next() < 0.5) {
    const second = r.pick(TOPICS);
    if (second !== topics[0]) topics.push(second);
  }
  return { id: seedId('creator', i), name: `${cap(first)} ${cap(last)}`, handle: `${first}_${last}_${i.toString(36)}`, topics, tiers: 1 + r.int(3) };
}

/** Popular creators first: creator 0 is followed most (a power law over the index). */
function skewedCreator(r: Rng, creators: number): number {
  return Math.min(creators - 1, Math.floor(creators * r.next() ** 2.5));
}

/**
 * Fills a migrated database with synthetic fans, creators (pages, tiers, posts), follows (follower counts
 * made right), the feed rows a fan-out would have written, dating profiles and conversations with messages.
 * No ledger rows: money moves only through LedgerService (the command's paid subscriptions: subscriptions.ts).
 */
export async function seed(db: Database, o: SeedOptions, progress: SeedProgress = () => undefined): Promise<SeedSummary> {
  const t0 = performance.now();
  const store = new SeedStore(db);
  const batch = o.batch ?? 5000;
  const inserted: Record<string, number> = {};
  const add = (table: string, n: number) => void (inserted[table] = (inserted[table] ?? 0) + n);
  const fanId = (i: number) => seedId('fan', i);
  const now = Date.now();

  // Fans and their dating profiles.
  for (let from = 0; from < o.users; from += batch) {
    const n = Math.min(batch, o.users - from);
    const u = { ids: [] as string[], emails: [] as string[], names: [] as string[], birthdates: [] as string[], createdAt: [] as string[] };
    const p = { userIds: [] as string[], bios: [] as string[], genders: [] as string[], interests: [] as string[], languages: [] as string[], lats: [] as number[], lngs: [] as number[], seeks: [] as string[] };
    for (let i = from; i < from + n; i++) {
      const r = rngFor(o.seed, 'fan', i);
      const id = fanId(i);
      const likes = [r.pick(TOPICS), r.pick(TOPICS), r.pick(TOPICS)];
      const [lat, lng] = r.pick(CITIES);
      u.ids.push(id);
      u.emails.push(seedEmail('fan', i));
      u.names.push(`${cap(r.pick(FIRST_NAMES))} ${cap(r.pick(LAST_NAMES)).charAt(0)}.`);
      u.createdAt.push(new Date(now - (90 + r.next() * 640) * DAY_MS).toISOString());
      u.birthdates.push(`${1970 + r.int(36)}-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`);
      p.userIds.push(id);
      p.bios.push(`Into ${likes[0]!.words[0]} and ${likes[1]!.words[1]}. ${cap(r.pick(CHAT_LINES))}`);
      p.genders.push(r.pick(GENDERS));
      p.interests.push([...new Set(likes.map((t) => t.tag))].join(','));
      p.languages.push([...new Set(['en', r.pick(LANGUAGES)])].join(','));
      p.lats.push(Math.round((lat + (r.next() - 0.5) * 0.2) * 100) / 100);
      p.lngs.push(Math.round((lng + (r.next() - 0.5) * 0.2) * 100) / 100);
      p.seeks.push(r.next() < 0.3 ? GENDERS.join(',') : r.pick(GENDERS.slice(0, 2)));
    }
    add('users', await store.insertUsers({ ...u, role: 'fan' }, o.passwordHash));
    add('profiles', await store.insertProfiles(p));
    progress('fans', from + n, o.users);
  }

  // Creators, their pages and tiers.
  for (let from = 0; from < o.creators; from += batch) {
    const n = Math.min(batch, o.creators - from);
    const u = { ids: [] as string[], emails: [] as string[], names: [] as string[], birthdates: [] as string[], createdAt: [] as string[] };
    const pg = { userIds: [] as string[], handles: [] as string[], bios: [] as string[], tags: [] as string[], createdAt: [] as string[] };
    const t = { ids: [] as string[], creatorIds: [] as string[], ranks: [] as number[], names: [] as string[], descriptions: [] as string[], prices: [] as number[] };
    for (let i = from; i < from + n; i++) {
      const c = creatorAt(o.seed, i);
      const r = rngFor(o.seed, 'page', i);
      const words = c.topics.flatMap((x) => x.words);
      u.ids.push(c.id);
      u.emails.push(seedEmail('creator', i));
      u.names.push(c.name);
      u.birthdates.push(`${1975 + r.int(28)}-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`);
      // Joined 90 days to two years ago, before any of their posts; the page a few days after.
      const joined = now - (90 + r.next() * 640) * DAY_MS;
      u.createdAt.push(new Date(joined).toISOString());
      pg.createdAt.push(new Date(joined + r.next() * 7 * DAY_MS).toISOString());
      pg.userIds.push(c.id);
      pg.handles.push(c.handle);
      pg.bios.push([0, 1].map(() => fill(r.pick(BIO_FRAMES), r, words, c.topics[0]!.tag)).join(' '));
      pg.tags.push(c.topics.map((x) => x.tag).join(','));
      for (let rank = 1; rank <= c.tiers; rank++) {
        t.ids.push(seedId('tier', `${i}:${rank}`));
        t.creatorIds.push(c.id);
        t.ranks.push(rank);
        t.names.push(TIER_NAMES[rank - 1]!);
        t.descriptions.push(`${TIER_NAMES[rank - 1]}: ${fill('more {w} and {w}', r, words, '')}`);
        t.prices.push(rank * 50 + r.int(10) * 10);
      }
    }
    add('users', await store.insertUsers({ ...u, role: 'creator' }, o.passwordHash));
    add('creator_pages', await store.insertPages(pg));
    add('creator_tiers', await store.insertTiers(t));
    progress('creators', from + n, o.creators);
  }

  // Posts: half free, the rest for followers, for a tier, or pay-per-view; over the last 90 days.
  const totalPosts = o.creators * o.posts;
  let rows = emptyPosts();
  let done = 0;
  const flushPosts = async () => {
    add('posts', await store.insertPosts(rows));
    done += rows.ids.length;
    rows = emptyPosts();
    progress('posts', done, totalPosts);
  };
  for (let i = 0; i < o.creators; i++) {
    const c = creatorAt(o.seed, i);
    const words = c.topics.flatMap((x) => x.words);
    for (let j = 0; j < o.posts; j++) {
      const r = rngFor(o.seed, 'post', `${i}:${j}`);
      const v = r.next();
      const visibility = v < 0.5 ? 'free' : v < 0.7 ? 'followers' : v < 0.9 ? 'tier' : 'ppv';
      rows.ids.push(seedId('post', `${i}:${j}`));
      rows.creatorIds.push(c.id);
      rows.bodies.push([0, 1].map(() => fill(r.pick(POST_FRAMES), r, words, c.topics[0]!.tag)).join(' '));
      rows.visibilities.push(visibility);
      rows.minTierRanks.push(visibility === 'tier' ? 1 + r.int(c.tiers) : null);
      rows.prices.push(visibility === 'ppv' ? 20 + r.int(20) * 10 : null);
      rows.publishedAt.push(new Date(now - r.next() * 90 * DAY_MS).toISOString());
      if (rows.ids.length >= batch) await flushPosts();
    }
  }
  if (rows.ids.length) await flushPosts();

  // Follows (each fan F distinct creators, popular ones more often), then the counts and the feeds.
  const perFan = Math.min(o.follows, o.creators);
  const totalFollows = o.users * perFan;
  const fanBatch = Math.max(1, Math.floor(batch / Math.max(1, perFan)));
  for (let from = 0; from < o.users && perFan > 0; from += fanBatch) {
    const followers: string[] = [];
    const creators: string[] = [];
    for (let i = from; i < Math.min(o.users, from + fanBatch); i++) {
      const r = rngFor(o.seed, 'follows', i);
      const chosen = new Set<number>();
      // Half by popularity, half uniformly (a long tail); uniformly only when F is near M, where skewed picks would repeat.
      while (chosen.size < perFan) chosen.add(chosen.size < perFan / 2 && perFan * 4 <= o.creators ? skewedCreator(r, o.creators) : r.int(o.creators));
      for (const c of chosen) {
        followers.push(fanId(i));
        creators.push(seedId('creator', c));
      }
    }
    add('follows', await store.insertFollows(followers, creators));
    progress('follows', Math.min(totalFollows, (from + fanBatch) * perFan), totalFollows);
  }
  for (let from = 0; from < o.creators; from += batch) {
    const ids = Array.from({ length: Math.min(batch, o.creators - from) }, (_, k) => seedId('creator', from + k));
    await store.recountFollowers(ids);
    add('feed_big_creators', await store.markBigCreators(ids, o.fanoutMax));
    progress('follower counts', from + ids.length, o.creators);
  }
  const feedPer = o.feedPerCreator ?? 10;
  const feedFans = Math.max(1, Math.floor(batch / Math.max(1, perFan * feedPer)));
  for (let from = 0; from < o.users && perFan > 0; from += feedFans) {
    const ids = Array.from({ length: Math.min(feedFans, o.users - from) }, (_, k) => fanId(from + k));
    add('feed_items', await store.insertFeedItems(ids, feedPer));
    progress('feeds', from + ids.length, o.users);
  }

  // Conversations between fans: 2 to 6 messages each, alternating, the last one unread by its recipient.
  if (o.users >= 2) await seedConversations(store, o, add, progress, batch);

  progress('analyze', 0, 1);
  await store.analyze();
  progress('analyze', 1, 1);
  return { inserted, ms: performance.now() - t0 };
}

function emptyPosts(): PostRows {
  return { ids: [], creatorIds: [], bodies: [], visibilities: [], minTierRanks: [], prices: [], publishedAt: [] };
}

async function seedConversations(store: SeedStore, o: SeedOptions, add: (t: string, n: number) => void, progress: SeedProgress, batch: number) {
  const maxPairs = (o.users * (o.users - 1)) / 2;
  const total = Math.min(o.conversations, maxPairs);
  const seen = new Set<string>();
  const now = Date.now();
  let k = 0;
  let made = 0;
  while (made < total) {
    const conv = { ids: [] as string[], lows: [] as string[], highs: [] as string[], lastSeqs: [] as number[], lastAt: [] as string[] };
    const msgs: MessageRows = { ids: [], conversationIds: [], seqs: [], senderIds: [], clientIds: [], bodies: [], createdAt: [] };
    while (made < total && msgs.ids.length < batch) {
      const r = rngFor(o.seed, 'conversation', k++);
      const a = r.int(o.users);
      const b = r.int(o.users);
      const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
      if (a === b || seen.has(key)) continue;
      seen.add(key);
      made++;
      const [x, y] = [seedId('fan', a), seedId('fan', b)];
      const [low, high] = x < y ? [x, y] : [y, x];
      const id = seedId('conversation', key);
      const count = 2 + r.int(5);
      const lastAt = now - r.next() * 30 * DAY_MS;
      conv.ids.push(id);
      conv.lows.push(low);
      conv.highs.push(high);
      conv.lastSeqs.push(count);
      conv.lastAt.push(new Date(lastAt).toISOString());
      for (let seq = 1; seq <= count; seq++) {
        msgs.ids.push(seedId('message', `${key}:${seq}`));
        msgs.conversationIds.push(id);
        msgs.seqs.push(seq);
        msgs.senderIds.push(seq % 2 === 1 ? x : y);
        msgs.clientIds.push(seedId('client', `${key}:${seq}`));
        msgs.bodies.push(r.pick(CHAT_LINES));
        msgs.createdAt.push(new Date(lastAt - (count - seq) * 7 * 60_000).toISOString());
      }
    }
    const fresh = new Set(await store.insertConversations(conv));
    add('conversations', fresh.size);
    const keep = msgs.ids.map((_, i) => fresh.has(msgs.conversationIds[i]!));
    const only = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
    add('messages', await store.insertMessages({
      ids: only(msgs.ids), conversationIds: only(msgs.conversationIds), seqs: only(msgs.seqs), senderIds: only(msgs.senderIds),
      clientIds: only(msgs.clientIds), bodies: only(msgs.bodies), createdAt: only(msgs.createdAt),
    }));
    if (fresh.size) await store.insertMembers([...fresh]);
    add('conversation_members', fresh.size * 2);
    progress('conversations', made, total);
  }
}
