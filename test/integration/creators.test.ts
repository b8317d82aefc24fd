import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * The creators module (issue #12, part 1) on real PostgreSQL and Redis: pages and handles, follows,
 * subscriptions with bundles at the price shown, renewals across period boundaries (time is driven by
 * moving current_period_end into the past in SQL, then running the renewal job's service by hand), grace,
 * expiry, cancel, announced price changes, tier changes, trials, tips, the message policy in chat, the
 * random-match opt-out, the listing; the ledger verifies at the end.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
const sockets: ClientSocket[] = [];
type User = Awaited<ReturnType<typeof newUser>>;

beforeAll(async () => {
  backing = await createBacking();
  // The schedule stays out of the way (an hour); tests run the renewal by hand, twice at once where it matters.
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', CREATOR_RENEW_SECONDS: '3600', CREATOR_GRACE_DAYS: '3', CREATOR_PRICE_NOTICE_DAYS: '7', TIP_MIN: '5', TIP_MAX: '500' });
  url = node.url;
}, 90_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await node?.stop();
  await backing?.cleanup();
});

const sql = <T = any>(text: string, params: unknown[] = []) => pgQuery<T>(backing.databaseUrl, text, params);
const api = <T = any>(token: string, method: string, path: string, body?: unknown) => http<T>(url, method, path, { token, body });
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};
const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(10_000).emitWithAck(event, payload) as Promise<any>;
const balance = async (userId: string) => (await node.pairly.services.ledger.balance(userId)).available;
const earnings = async (userId: string) => (await node.pairly.services.ledger.account(`earnings:${userId}`))?.posted ?? 0;
const subs = () => node.pairly.services.subscriptions;
let handles = 0;
const newHandle = () => `c${Date.now().toString(36)}_${++handles}`;

/** A creator with a page and one tier (100 credits per 30 days, 10/20/30 % off for 3/6/12). */
async function newCreator(page: object = {}, tier: object = {}): Promise<{ user: User; handle: string; tierId: string }> {
  const user = await newUser(url, { role: 'creator' });
  const handle = newHandle();
  const put = await api(user.accessToken, 'PUT', '/api/creator/page', { handle, bio: 'hello', ...page });
  expect(put.status).toBe(200);
  const t = await api(user.accessToken, 'POST', '/api/creator/tiers', { name: 'Basic', price: 100, discounts: { 3: 10, 6: 20, 12: 30 }, ...tier });
  expect(t.status).toBe(201);
  return { user, handle, tierId: t.body.tier.id };
}

async function newFan(credits: number): Promise<User> {
  const fan = await newUser(url);
  if (credits > 0) await fund(node.pairly, fan.user.id, credits);
  return fan;
}

const subscribe = (fan: User, handle: string, body: object) => api(fan.accessToken, 'POST', `/api/creators/${handle}/subscribe`, body);
const pastDue = (subId: string) => sql(`UPDATE subscriptions SET current_period_end = now() - interval '1 minute', current_period_start = now() - interval '30 days' WHERE id = $1`, [subId]);
const subRow = async (subId: string) => (await sql(`SELECT * FROM subscriptions WHERE id = $1`, [subId]))[0];
const pageCounts = async (creatorId: string) => (await sql(`SELECT follower_count, subscriber_count FROM creator_pages WHERE user_id = $1`, [creatorId]))[0];

describe('creator pages', () => {
  it('are creators’ own, with unique handles (folded to lower case) and checked input', async () => {
    const fan = await newFan(0);
    expect((await api(fan.accessToken, 'PUT', '/api/creator/page', { handle: 'a_fan_page' })).body.error.code).toBe('FORBIDDEN');

    const creator = await newUser(url, { role: 'creator' });
    const handle = newHandle();
    const bad = await api(creator.accessToken, 'PUT', '/api/creator/page', { handle: 'no spaces allowed' });
    expect(bad.status).toBe(400);
    expect((await api(creator.accessToken, 'PUT', '/api/creator/page', { handle, links: [{ label: 'x', url: 'http://insecure.example' }] })).status).toBe(400);
    const made = await api(creator.accessToken, 'PUT', '/api/creator/page', { handle: handle.toUpperCase(), bio: 'Hi', tags: ['music', 'Art'], links: [{ label: 'site', url: 'https://example.com' }] });
    expect(made.status).toBe(200);
    expect(made.body.creator).toMatchObject({ handle, bio: 'Hi', tags: ['music', 'art'], followerCount: 0, subscriberCount: 0, messagePolicy: 'everyone', randomMatches: true });

    const other = await newUser(url, { role: 'creator' });
    const taken = await api(other.accessToken, 'PUT', '/api/creator/page', { handle });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('HANDLE_TAKEN');

    const seen = await api(fan.accessToken, 'GET', `/api/creators/${handle}`);
    expect(seen.status).toBe(200);
    expect(seen.body.creator).toMatchObject({ handle, displayName: creator.user.displayName, links: [{ label: 'site', url: 'https://example.com' }], tiers: [], viewer: { follows: false, subscription: null } });
    expect((await api(fan.accessToken, 'GET', '/api/creators/no_such_handle_here')).status).toBe(404);
  });

  it('has at most CREATOR_MAX_TIERS live tiers; archiving one makes room', async () => {
    const { user } = await newCreator();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api(user.accessToken, 'POST', '/api/creator/tiers', { name: `T${i}`, price: 10 + i })).body.tier.id);
    const over = await api(user.accessToken, 'POST', '/api/creator/tiers', { name: 'one too many', price: 5 });
    expect(over.body.error.code).toBe('TIER_LIMIT_REACHED');
    expect((await api(user.accessToken, 'DELETE', `/api/creator/tiers/${ids[0]}`)).body.tier.archived).toBe(true);
    expect((await api(user.accessToken, 'POST', '/api/creator/tiers', { name: 'room now', price: 5 })).status).toBe(201);
  });
});

describe('follows', () => {
  it('count once per fan and come off on unfollow', async () => {
    const { user, handle } = await newCreator();
    const fan = await newFan(0);
    expect((await api(fan.accessToken, 'POST', `/api/creators/${handle}/follow`, {})).body).toEqual({ follows: true, followerCount: 1 });
    expect((await api(fan.accessToken, 'POST', `/api/creators/${handle}/follow`, {})).body.followerCount).toBe(1);
    expect((await api(fan.accessToken, 'GET', `/api/creators/${handle}`)).body.creator.viewer.follows).toBe(true);
    expect((await api(fan.accessToken, 'DELETE', `/api/creators/${handle}/follow`)).body).toEqual({ follows: false, followerCount: 0 });
    expect((await api(fan.accessToken, 'DELETE', `/api/creators/${handle}/follow`)).body.followerCount).toBe(0);
    expect((await api(user.accessToken, 'POST', `/api/creators/${handle}/follow`, {})).status).toBe(400);
  });
});

describe('subscriptions', () => {
  it('charge a bundle up front at the price shown (80/20), and a repeat charges nothing', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(1000);
    const page = (await api(fan.accessToken, 'GET', `/api/creators/${handle}`)).body.creator;
    expect(page.tiers[0].bundles).toEqual({ 1: 100, 3: 270, 6: 480, 12: 840 });

    const wrong = await subscribe(fan, handle, { tierId, months: 3, expectedPrice: 300 });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 270 } });
    expect(await balance(fan.user.id)).toBe(1000);

    const ok = await subscribe(fan, handle, { tierId, months: 3, expectedPrice: 270 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ charged: 270, replayed: false, subscription: { status: 'active', period: 1, months: 3, periodPrice: 270, renewalPrice: 270, tier: { id: tierId } } });
    const end = Date.parse(ok.body.subscription.currentPeriodEnd) - Date.parse(ok.body.subscription.currentPeriodStart);
    expect(end).toBe(90 * 86_400_000);
    expect(await balance(fan.user.id)).toBe(730);
    expect(await earnings(user.user.id)).toBe(216);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(1);

    const again = await subscribe(fan, handle, { tierId, months: 3, expectedPrice: 270 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ charged: 0, replayed: true });
    expect(await balance(fan.user.id)).toBe(730);

    const other = (await api(user.accessToken, 'POST', '/api/creator/tiers', { name: 'VIP', price: 300 })).body.tier.id;
    const elsewhere = await subscribe(fan, handle, { tierId: other, expectedPrice: 300 });
    expect(elsewhere.body.error).toMatchObject({ code: 'ALREADY_SUBSCRIBED', details: { subscriptionId: ok.body.subscription.id } });

    const mine = await api(fan.accessToken, 'GET', '/api/subscriptions');
    expect(mine.body.subscriptions.map((s: any) => s.id)).toEqual([ok.body.subscription.id]);
    const theirs = await api(user.accessToken, 'GET', '/api/creator/subscribers');
    expect(theirs.body.subscribers).toHaveLength(1);
    expect(theirs.body.subscribers[0].fan.id).toBe(fan.user.id);
  });

  it('twin subscribes charge once', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(500);
    const creatorSocket = await open(user.accessToken);
    const told: any[] = [];
    creatorSocket.on('subscriber:joined', (p: any) => told.push(p.subscriber));
    const results = await Promise.all([subscribe(fan, handle, { tierId, expectedPrice: 100 }), subscribe(fan, handle, { tierId, expectedPrice: 100 })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 201]);
    // The creator is told once, with what the fan paid (the twin was a replay).
    await waitFor(() => told.length > 0, 5000, 'subscriber:joined');
    await new Promise((r) => setTimeout(r, 300));
    expect(told).toEqual([expect.objectContaining({ fanId: fan.user.id, fanName: fan.user.displayName, tierName: 'Basic', trial: false, months: 1, amount: 100 })]);
    expect(results.map((r) => r.body.charged).sort()).toEqual([0, 100]);
    expect(await balance(fan.user.id)).toBe(400);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(1);
    const n = await sql(`SELECT count(*)::int AS n FROM ledger_transfers WHERE idempotency_key LIKE $1`, [`sub:${results[0]!.body.subscription.id}:%:creator`]);
    expect(n[0].n).toBe(1);
  });

  it('without enough credits: INSUFFICIENT_CREDITS, nothing stored', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(50);
    const r = await subscribe(fan, handle, { tierId, expectedPrice: 100 });
    expect(r.status).toBe(402);
    expect(r.body.error.code).toBe('INSUFFICIENT_CREDITS');
    expect(await sql(`SELECT 1 FROM subscriptions WHERE fan_id = $1`, [fan.user.id])).toHaveLength(0);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(0);
  });
});

describe('renewals', () => {
  it('charge the next period once when due, even run twice at once, and tell the fan', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(250);
    const sub = (await subscribe(fan, handle, { tierId, expectedPrice: 100 })).body.subscription;
    const socket = await open(fan.accessToken);
    // Not due yet: nothing happens.
    expect(await subs().renewOne(sub.id)).toBe('skipped');

    await pastDue(sub.id);
    const pushed = nextEvent<any>(socket, 'subscription:updated');
    const outcomes = await Promise.all([subs().renewOne(sub.id), subs().renewOne(sub.id)]);
    expect(outcomes.sort()).toEqual(['renewed', 'skipped']);
    expect((await pushed).reason).toBe('renewed');
    const row = await subRow(sub.id);
    expect(row).toMatchObject({ status: 'active', period: 2, period_price: 100 });
    expect(row.current_period_end.getTime()).toBeGreaterThan(Date.now());
    expect(await balance(fan.user.id)).toBe(50);
    expect(await earnings(user.user.id)).toBe(160);
    expect((await sql(`SELECT idempotency_key FROM ledger_transfers WHERE idempotency_key = $1`, [`sub:${sub.id}:2:creator`]))).toHaveLength(1);
  });

  it('renew a batch in one run: each subscription with its own outcome, two runs at once charging once', async () => {
    const { user, handle, tierId } = await newCreator();
    const { user: other, handle: otherHandle, tierId: otherTier } = await newCreator();
    // 8 who can pay (4 of each creator), 4 who cannot, 4 who cancelled.
    const fans = await Promise.all(Array.from({ length: 16 }, (_, i) => newFan(i < 8 ? 200 : 100)));
    const ids = await Promise.all(
      fans.map(async (fan, i) => (await subscribe(fan, i % 2 ? otherHandle : handle, { tierId: i % 2 ? otherTier : tierId, expectedPrice: 100 })).body.subscription.id as string),
    );
    for (const id of ids.slice(12)) await sql(`UPDATE subscriptions SET cancel_at_period_end = true WHERE id = $1`, [id]);
    await sql(`UPDATE subscriptions SET current_period_end = now() - interval '1 minute' WHERE id = ANY($1::uuid[])`, [ids]);
    const before = (await pageCounts(user.user.id)).subscriber_count + (await pageCounts(other.user.id)).subscriber_count;

    const runs = await Promise.all([subs().renewDue(), subs().renewDue()]);
    const total = (k: 'renewed' | 'grace' | 'expired') => runs[0]![k] + runs[1]![k];
    expect([total('renewed'), total('grace'), total('expired')]).toEqual([8, 4, 4]);
    const rows = await sql(`SELECT id, status, period FROM subscriptions WHERE id = ANY($1::uuid[])`, [ids]);
    const statusOf = new Map(rows.map((r: any) => [r.id, `${r.status}:${r.period}`]));
    expect(ids.map((id) => statusOf.get(id))).toEqual([...Array(8).fill('active:2'), ...Array(4).fill('grace:1'), ...Array(4).fill('expired:1')]);
    for (const fan of fans.slice(0, 8)) expect(await balance(fan.user.id)).toBe(0);
    for (const fan of fans.slice(8, 12)) expect(await balance(fan.user.id)).toBe(0);
    const keys = await sql(`SELECT idempotency_key FROM ledger_transfers WHERE idempotency_key LIKE 'sub:%:2:creator' AND idempotency_key = ANY($1::text[])`, [ids.map((id) => `sub:${id}:2:creator`)]);
    expect(keys).toHaveLength(8);
    // The cancelled ones came off their creators' counts; those in grace still count.
    expect((await pageCounts(user.user.id)).subscriber_count + (await pageCounts(other.user.id)).subscriber_count).toBe(before - 4);
  });

  it('go into grace without credits (access kept, fan told), are retried, and expire when grace is over', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(100);
    const sub = (await subscribe(fan, handle, { tierId, expectedPrice: 100 })).body.subscription;
    const socket = await open(fan.accessToken);
    await pastDue(sub.id);
    const pushed = nextEvent<any>(socket, 'subscription:updated');
    expect(await subs().renewOne(sub.id)).toBe('grace');
    expect(await pushed).toMatchObject({ reason: 'grace', subscription: { status: 'grace' } });
    expect((await subRow(sub.id)).grace_until.getTime()).toBeGreaterThan(Date.now() + 2 * 86_400_000);
    // Still in the audience (access continues) and still counted.
    expect(await sql(`SELECT * FROM creator_audience WHERE creator_id = $1 AND user_id = $2 AND tier_rank = 1`, [user.user.id, fan.user.id])).toHaveLength(1);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(1);
    // Retried by the job while in grace; paid once credits arrive.
    await subs().renewDue();
    expect((await subRow(sub.id)).status).toBe('grace');
    await fund(node.pairly, fan.user.id, 100);
    await subs().renewDue();
    const paid = await subRow(sub.id);
    expect(paid).toMatchObject({ status: 'active', period: 2, grace_until: null });
    expect(await balance(fan.user.id)).toBe(0);

    // The next renewal fails again; this time grace runs out.
    await pastDue(sub.id);
    expect(await subs().renewOne(sub.id)).toBe('grace');
    await sql(`UPDATE subscriptions SET grace_until = now() - interval '1 second' WHERE id = $1`, [sub.id]);
    expect(await subs().renewOne(sub.id)).toBe('expired');
    expect((await subRow(sub.id)).status).toBe('expired');
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(0);
    expect(await sql(`SELECT * FROM creator_audience WHERE creator_id = $1 AND user_id = $2`, [user.user.id, fan.user.id])).toHaveLength(0);
  });

  it('stop after a cancel (access to the period’s end); subscribing again reuses the row', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(300);
    const sub = (await subscribe(fan, handle, { tierId, expectedPrice: 100 })).body.subscription;
    const cancelled = await api(fan.accessToken, 'POST', `/api/subscriptions/${sub.id}/cancel`, {});
    expect(cancelled.body.subscription).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, renewalPrice: null });
    await pastDue(sub.id);
    expect(await subs().renewOne(sub.id)).toBe('expired');
    expect(await balance(fan.user.id)).toBe(200);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(0);

    const back = await subscribe(fan, handle, { tierId, expectedPrice: 100 });
    expect(back.status).toBe(201);
    expect(back.body.subscription).toMatchObject({ id: sub.id, status: 'active', period: 2, cancelAtPeriodEnd: false });
    expect(await balance(fan.user.id)).toBe(100);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(1);
  });

  it('pay an announced price rise only at renewals after the notice; new subscribers pay the current price', async () => {
    const { user, handle, tierId } = await newCreator();
    const fan = await newFan(1000);
    const sub = (await subscribe(fan, handle, { tierId, expectedPrice: 100 })).body.subscription;
    const socket = await open(fan.accessToken);
    const told = nextEvent<any>(socket, 'subscription:price_changed');
    const rise = await api(user.accessToken, 'PATCH', `/api/creator/tiers/${tierId}`, { price: 150 });
    expect(rise.body.tier).toMatchObject({ price: 100, priceNext: 150 });
    const notice = Date.parse(rise.body.tier.priceNextAt) - Date.now();
    expect(notice).toBeGreaterThan(6.9 * 86_400_000);
    expect(await told).toMatchObject({ tierId, tierName: 'Basic', price: 150, creatorId: user.user.id, creator: { id: user.user.id, handle } });

    // A newcomer during the notice pays today's price.
    const newcomer = await newFan(100);
    expect((await subscribe(newcomer, handle, { tierId, expectedPrice: 100 })).status).toBe(201);

    // A renewal before the date: the old price.
    await pastDue(sub.id);
    await subs().renewOne(sub.id);
    expect(await subRow(sub.id)).toMatchObject({ period: 2, period_price: 100 });
    expect(await balance(fan.user.id)).toBe(800);

    // Once the date has passed: the new price, shown to the fan beforehand as renewalPrice.
    await sql(`UPDATE creator_tiers SET price_next_at = now() - interval '1 second' WHERE id = $1`, [tierId]);
    expect((await api(fan.accessToken, 'GET', '/api/subscriptions')).body.subscriptions[0].renewalPrice).toBe(150);
    await pastDue(sub.id);
    await subs().renewDue();
    expect(await subRow(sub.id)).toMatchObject({ period: 3, period_price: 150 });
    expect(await balance(fan.user.id)).toBe(650);
    expect((await sql(`SELECT price, price_next FROM creator_tiers WHERE id = $1`, [tierId]))[0]).toEqual({ price: 150, price_next: null });

    // A lower price applies at once.
    expect((await api(user.accessToken, 'PATCH', `/api/creator/tiers/${tierId}`, { price: 90 })).body.tier).toMatchObject({ price: 90, priceNext: null });
  });

  it('move to another tier at the next renewal, at the price the fan stated', async () => {
    const { user, handle, tierId } = await newCreator();
    const vip = (await api(user.accessToken, 'POST', '/api/creator/tiers', { name: 'VIP', price: 200 })).body.tier.id;
    const fan = await newFan(1000);
    const sub = (await subscribe(fan, handle, { tierId, expectedPrice: 100 })).body.subscription;
    // The fan's other device hears of the change.
    const otherDevice = await open(fan.accessToken);
    const heard = nextEvent<any>(otherDevice, 'subscription:updated');
    const wrong = await api(fan.accessToken, 'POST', `/api/subscriptions/${sub.id}/tier`, { tierId: vip, expectedPrice: 100 });
    expect(wrong.body.error).toMatchObject({ code: 'PRICE_CHANGED', details: { price: 200 } });
    const changed = await api(fan.accessToken, 'POST', `/api/subscriptions/${sub.id}/tier`, { tierId: vip, expectedPrice: 200 });
    expect(changed.body.subscription).toMatchObject({ tier: { id: tierId }, nextTier: { id: vip }, renewalPrice: 200 });
    expect(await heard).toMatchObject({ reason: 'changed', subscription: { id: sub.id, nextTier: { id: vip } } });
    expect(await balance(fan.user.id)).toBe(900);
    await pastDue(sub.id);
    await subs().renewOne(sub.id);
    expect(await subRow(sub.id)).toMatchObject({ tier_id: vip, next_tier_id: null, period: 2, period_price: 200 });
    expect(await balance(fan.user.id)).toBe(700);
  });
});

describe('ending-soon notices (subscription_expiring)', () => {
  const endsIn = (ids: string[], hours: number) => sql(`UPDATE subscriptions SET current_period_end = now() + make_interval(hours => $2) WHERE id = ANY($1::uuid[])`, [ids, hours]);
  const notices = async (fan: User) =>
    ((await api(fan.accessToken, 'GET', '/api/notifications')).body.notifications as any[]).filter((n) => n.kind === 'subscription_expiring');

  it('tell a fan whose subscription will not renew (cancelled, or wallet short of the price), once per period, however often the job runs', async () => {
    const { handle, tierId } = await newCreator();
    const cancelled = await newFan(300);
    const short = await newFan(130);
    const payer = await newFan(250);
    const far = await newFan(100);
    const [c, s, p, f] = (await Promise.all(
      [cancelled, short, payer, far].map(async (fan) => (await subscribe(fan, handle, { tierId, expectedPrice: 100 })).body.subscription.id as string),
    )) as [string, string, string, string];
    await api(cancelled.accessToken, 'POST', `/api/subscriptions/${c}/cancel`, {});
    await api(far.accessToken, 'POST', `/api/subscriptions/${f}/cancel`, {});
    // Within CREATOR_EXPIRY_NOTICE_HOURS (72 by default), but for `far`, whose end is further off.
    await endsIn([c, s, p], 24);
    await endsIn([f], 100);

    // Twice at once, then again: each fan told once.
    const runs = await Promise.all([subs().renewDue(), subs().renewDue()]);
    expect(runs[0]!.expiring + runs[1]!.expiring).toBe(2);
    expect((await subs().renewDue()).expiring).toBe(0);
    const marks = await sql(`SELECT id, expiry_noticed_period FROM subscriptions WHERE id = ANY($1::uuid[])`, [[c, s, p, f]]);
    expect(Object.fromEntries(marks.map((r: any) => [r.id, r.expiry_noticed_period]))).toEqual({ [c]: 1, [s]: 1, [p]: null, [f]: null });

    const [toCancelled] = await waitFor(async () => (await notices(cancelled)).length > 0 && notices(cancelled), 10_000, 'the cancelled fan’s notice');
    expect(toCancelled).toMatchObject({ count: 1, payload: { detail: expect.stringMatching(/^Basic ends \d{4}-\d{2}-\d{2}$/), link: `/c/${handle}` } });
    expect(toCancelled.text).toMatch(/^Your subscription to .+ is ending soon: Basic ends/);
    const [toShort] = await waitFor(async () => (await notices(short)).length > 0 && notices(short), 10_000, 'the short fan’s notice');
    // 30 credits left of 130: 70 more renew it.
    expect(toShort).toMatchObject({ count: 1, payload: { detail: expect.stringMatching(/; 70 more credits renew it$/) } });
    expect(await notices(payer)).toEqual([]);
    expect(await notices(far)).toEqual([]);

    // Read, and the job runs again: nothing new (the period is marked, not only collapsed).
    await api(short.accessToken, 'POST', '/api/notifications/read-all', {});
    expect((await subs().renewDue()).expiring).toBe(0);

    // The payer's wallet drops before the end: a later run tells them.
    await sql(`UPDATE subscriptions SET cancel_at_period_end = true WHERE id = $1`, [p]);
    expect((await subs().renewDue()).expiring).toBe(1);
    await waitFor(async () => (await notices(payer)).length > 0, 10_000, 'the payer’s notice');

    // A new period is told again: the short fan pays late from grace, and the next end nears with 0 credits.
    await fund(node.pairly, short.user.id, 70);
    await pastDue(s);
    expect(await subs().renewOne(s)).toBe('renewed');
    await endsIn([s], 24);
    expect((await subs().renewDue()).expiring).toBe(1);
    await waitFor(async () => (await notices(short)).some((n) => n.readAt === null), 10_000, 'the second period’s notice');
    expect((await subRow(s)).expiry_noticed_period).toBe(2);
  });

  it("count a fan's other renewals due first: the wallet that covers each alone may not cover them all", async () => {
    const [first, second] = await Promise.all([newCreator(), newCreator()]);
    // 350 credits, two subscriptions of 100: 150 left, enough for either renewal, not for both.
    const fan = await newFan(350);
    const a = (await subscribe(fan, first.handle, { tierId: first.tierId, expectedPrice: 100 })).body.subscription.id as string;
    const b = (await subscribe(fan, second.handle, { tierId: second.tierId, expectedPrice: 100 })).body.subscription.id as string;
    await endsIn([a], 24);
    await endsIn([b], 30);
    expect((await subs().renewDue()).expiring).toBe(1);
    const [told] = await waitFor(async () => (await notices(fan)).length > 0 && notices(fan), 10_000, 'the notice');
    // The later one: the earlier renewal leaves 50 of the 100 it needs.
    expect(told).toMatchObject({ payload: { ref: `expiring:${b}:1`, detail: expect.stringMatching(/; 50 more credits renew it after your other renewals$/), link: `/c/${second.handle}` } });
    expect((await subRow(a)).expiry_noticed_period).toBeNull();
  });

  it('say nothing when CREATOR_EXPIRY_NOTICE_HOURS is 0', async () => {
    const other = await startInProcess({ ...backing.env, CREATOR_RENEW_SECONDS: '3600', CREATOR_EXPIRY_NOTICE_HOURS: '0' });
    try {
      expect(await other.pairly.services.subscriptions.noticeEnding()).toBe(0);
    } finally {
      await other.stop();
    }
  });
});

describe('free-trial links', () => {
  it('give a tier free for their days, once per fan, up to their claims; no renewal unless the fan opts in', async () => {
    const { user, handle, tierId } = await newCreator();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const link = (await api(user.accessToken, 'POST', '/api/creator/trials', { tierId, days: 7, maxClaims: 2, expiresAt })).body.trial;
    expect(link).toMatchObject({ tierId, days: 7, maxClaims: 2, claims: 0, revoked: false });
    expect((await api(user.accessToken, 'GET', `/api/creators/${handle}`)).body.creator.hasFreeTrial).toBe(true);

    const fan = await newFan(0);
    const creatorSocket = await open(user.accessToken);
    const told = nextEvent<any>(creatorSocket, 'subscriber:joined');
    // Its terms, before claiming: who, which tier, how long, what keeping it would cost.
    const terms = (await api(fan.accessToken, 'GET', `/api/trials/${link.code}`)).body.trial;
    expect(terms).toMatchObject({ code: link.code, days: 7, available: true, claimedByYou: false, creator: { userId: user.user.id, handle }, tier: { id: tierId, pricePerPeriod: 100 } });
    expect((await api(fan.accessToken, 'GET', '/api/trials/nosuchcode123')).status).toBe(404);
    const claimed = await api(fan.accessToken, 'POST', `/api/trials/${link.code}/claim`, {});
    expect(claimed.status).toBe(201);
    expect(claimed.body.subscription).toMatchObject({ status: 'active', trial: true, periodPrice: 0, cancelAtPeriodEnd: true, renewalPrice: null });
    expect((await told).subscriber).toMatchObject({ subscriptionId: claimed.body.subscription.id, fanId: fan.user.id, trial: true, amount: 0 });
    expect(Date.parse(claimed.body.subscription.currentPeriodEnd) - Date.parse(claimed.body.subscription.currentPeriodStart)).toBe(7 * 86_400_000);
    expect((await api(fan.accessToken, 'POST', `/api/trials/${link.code}/claim`, {})).body.error.code).toBe('TRIAL_CLAIMED');
    expect((await api(fan.accessToken, 'GET', `/api/trials/${link.code}`)).body.trial).toMatchObject({ available: false, claimedByYou: true });
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(1);

    // The second fan opts in to renew at the price shown, and pays it at the trial's end.
    const keen = await newFan(100);
    const second = (await api(keen.accessToken, 'POST', `/api/trials/${link.code}/claim`, {})).body.subscription;
    expect((await api(keen.accessToken, 'POST', `/api/subscriptions/${second.id}/resume`, { expectedPrice: 1 })).body.error.code).toBe('PRICE_CHANGED');
    expect((await api(keen.accessToken, 'POST', `/api/subscriptions/${second.id}/resume`, { expectedPrice: 100 })).body.subscription.renewalPrice).toBe(100);
    // Full now.
    expect((await api((await newFan(0)).accessToken, 'POST', `/api/trials/${link.code}/claim`, {})).body.error.code).toBe('TRIAL_UNAVAILABLE');

    const first = claimed.body.subscription.id;
    await pastDue(first);
    await pastDue(second.id);
    expect(await subs().renewOne(first)).toBe('expired');
    expect(await subs().renewOne(second.id)).toBe('renewed');
    expect(await balance(keen.user.id)).toBe(0);
    expect((await pageCounts(user.user.id)).subscriber_count).toBe(1);

    // Revoked links cannot be claimed.
    const other = (await api(user.accessToken, 'POST', '/api/creator/trials', { tierId, days: 3, maxClaims: 10, expiresAt })).body.trial;
    expect((await api(user.accessToken, 'DELETE', `/api/creator/trials/${other.id}`)).body.trial.revoked).toBe(true);
    expect((await api((await newFan(0)).accessToken, 'POST', `/api/trials/${other.code}/claim`, {})).body.error.code).toBe('TRIAL_UNAVAILABLE');
    expect((await api(user.accessToken, 'GET', '/api/creator/trials')).body.trials).toHaveLength(2);
  });
});

describe('tips', () => {
  it('move the amount once per clientId within the limits and reach the creator live', async () => {
    const { user, handle } = await newCreator();
    const fan = await newFan(1000);
    // The page says the limits before anyone tries.
    expect((await api(fan.accessToken, 'GET', `/api/creators/${handle}`)).body.creator.tipLimits).toEqual({ min: 5, max: 500 });
    const creatorSocket = await open(user.accessToken);
    const tip = (b: object) => api(fan.accessToken, 'POST', '/api/tips', { creatorId: user.user.id, clientId: randomUUID(), ...b });
    expect((await tip({ amount: 4 })).body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { min: 5, max: 500 } });
    expect((await tip({ amount: 501 })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await tip({ amount: 10, target: 'post' })).status).toBe(400);

    const clientId = randomUUID();
    const live = nextEvent<any>(creatorSocket, 'tip:received');
    const first = await tip({ amount: 50, note: 'thanks!', clientId });
    expect(first.status).toBe(201);
    expect((await live).tip).toMatchObject({ id: first.body.tip.id, amount: 50, note: 'thanks!', fanId: fan.user.id, target: 'creator' });
    const replay = await tip({ amount: 50, note: 'thanks!', clientId });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, tip: { id: first.body.tip.id } });
    expect((await tip({ amount: 60, clientId })).body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    // A tip on a message: one the creator sent in a conversation of the fan's.
    const fanSocket = await open(fan.accessToken);
    const theirs = await ack(creatorSocket, 'chat:send', { toUserId: fan.user.id, clientId: randomUUID(), body: 'hello fan' });
    const onMessage = await tip({ amount: 20, target: 'message', targetId: theirs.message.id });
    expect(onMessage.body.tip).toMatchObject({ target: 'message', targetId: theirs.message.id });

    expect(await balance(fan.user.id)).toBe(930);
    expect(await earnings(user.user.id)).toBe(56);
    const listed = await api(user.accessToken, 'GET', '/api/creator/tips?limit=1');
    expect(listed.body.tips).toHaveLength(1);
    const next = await api(user.accessToken, 'GET', `/api/creator/tips?limit=1&cursor=${listed.body.nextCursor}`);
    expect(next.body.tips[0].id).not.toBe(listed.body.tips[0].id);
    // Nobody tips a fan or themselves.
    expect((await api(user.accessToken, 'POST', '/api/tips', { creatorId: fan.user.id, clientId: randomUUID(), amount: 10 })).status).toBe(404);
  });

  it("name only the creator's own post or message, as the tipper can see it, and charge nothing otherwise", async () => {
    const { user } = await newCreator();
    const { user: other } = await newCreator();
    const fan = await newFan(1000);
    const outsider = await newFan(0);
    const tip = (b: object) => api(fan.accessToken, 'POST', '/api/tips', { creatorId: user.user.id, clientId: randomUUID(), amount: 10, ...b });
    const post = async (creator: User, visibility: object) => (await api(creator.accessToken, 'POST', '/api/posts', { body: 'p', visibility })).body.post.id as string;
    const otherPost = await post(other, { kind: 'free' });
    const ownLocked = await post(user, { kind: 'ppv', price: 50 });
    const deleted = await post(user, { kind: 'free' });
    expect((await api(user.accessToken, 'DELETE', `/api/posts/${deleted}`)).status).toBe(204);
    // Another creator's message to the fan, and a message in a conversation the fan is not in.
    const fanSocket = await open(fan.accessToken);
    const fromOther = await ack(await open(other.accessToken), 'chat:send', { toUserId: fan.user.id, clientId: randomUUID(), body: 'hi' });
    const elsewhere = await ack(await open(user.accessToken), 'chat:send', { toUserId: outsider.user.id, clientId: randomUUID(), body: 'hi' });
    const ownFromFan = await ack(fanSocket, 'chat:send', { toUserId: user.user.id, clientId: randomUUID(), body: 'hi' });
    for (const [target, targetId] of [
      ['post', otherPost],
      ['post', deleted],
      ['post', randomUUID()],
      ['message', fromOther.message.id],
      ['message', elsewhere.message.id],
      ['message', ownFromFan.message.id],
      ['message', randomUUID()],
    ] as const) {
      expect((await tip({ target, targetId })).body.error, `${target} ${targetId}`).toMatchObject({ code: 'NOT_FOUND' });
    }
    // A locked post of theirs is fine: a tip needs no access to its content.
    expect((await tip({ target: 'post', targetId: ownLocked })).body.tip).toMatchObject({ target: 'post', targetId: ownLocked });
    expect(await balance(fan.user.id)).toBe(990);
  });
});

describe('creator controls', () => {
  it("the message policy is enforced in chat's send (direct conversations)", async () => {
    const { user, handle, tierId } = await newCreator({ messagePolicy: 'subscribers' });
    const stranger = await newFan(0);
    const follower = await newFan(0);
    const subscriber = await newFan(500);
    await api(follower.accessToken, 'POST', `/api/creators/${handle}/follow`, {});
    await subscribe(subscriber, handle, { tierId, expectedPrice: 100 });
    const send = async (fan: User) => ack(await open(fan.accessToken), 'chat:send', { toUserId: user.user.id, clientId: randomUUID(), body: 'hi' });

    const refused = await send(stranger);
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'message_policy', policy: 'subscribers' } } });
    expect((await send(follower)).error.code).toBe('FORBIDDEN');
    expect((await send(subscriber)).ok).toBe(true);

    await api(user.accessToken, 'PUT', '/api/creator/page', { handle, messagePolicy: 'followers' });
    expect((await send(follower)).ok).toBe(true);
    expect((await send(stranger)).ok).toBe(false);
    // The creator answers anyone.
    expect((await ack(await open(user.accessToken), 'chat:send', { toUserId: stranger.user.id, clientId: randomUUID(), body: 'hello' })).ok).toBe(true);
  });

  it('a creator who takes no random matches cannot join the queue', async () => {
    const { user, handle } = await newCreator({ randomMatches: false });
    const socket = await open(user.accessToken);
    expect(await ack(socket, 'match:join', { mode: 'text' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'random_matches_off' } } });
    await api(user.accessToken, 'PUT', '/api/creator/page', { handle, randomMatches: true });
    expect((await ack(socket, 'match:join', { mode: 'text' })).ok).toBe(true);
    await ack(socket, 'match:leave', {});
  });
});

describe('the creators listing', () => {
  it('filters by tag, price of the cheapest tier and free trial, sorts, and pages without gaps or repeats', async () => {
    const tag = `t${Date.now().toString(36)}`;
    const cheap = await newCreator({ tags: [tag, 'cheap'] }, { price: 20 });
    const mid = await newCreator({ tags: [tag] }, { price: 60 });
    const dear = await newCreator({ tags: [tag] }, { price: 300 });
    const fans = await Promise.all([newFan(1000), newFan(1000)]);
    for (const f of fans) await subscribe(f, mid.handle, { tierId: mid.tierId, expectedPrice: 60 });
    await subscribe(fans[0]!, dear.handle, { tierId: dear.tierId, expectedPrice: 300 });
    await api(fans[1]!.accessToken, 'POST', `/api/creators/${dear.handle}/follow`, {});
    await api(cheap.user.accessToken, 'POST', '/api/creator/trials', { tierId: cheap.tierId, days: 3, maxClaims: 5, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const viewer = fans[0]!.accessToken;
    const list = async (q: string) => (await api(viewer, 'GET', `/api/creators?tags=${tag}&${q}`)).body;

    expect((await list('sort=popular')).creators.map((c: any) => c.handle)).toEqual([mid.handle, dear.handle, cheap.handle]);
    expect((await list('sort=new')).creators.map((c: any) => c.handle)).toEqual([dear.handle, mid.handle, cheap.handle]);
    expect((await list('minPrice=50&maxPrice=100')).creators.map((c: any) => c.handle)).toEqual([mid.handle]);
    expect((await list('freeTrial=true')).creators.map((c: any) => c.handle)).toEqual([cheap.handle]);
    expect((await list('sort=popular')).creators[0]).toMatchObject({ subscriberCount: 2, lowestPrice: 60 });

    for (const sort of ['popular', 'new']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await list(`sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.creators.map((c: any) => c.handle));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual([cheap.handle, mid.handle, dear.handle].sort());
    }
    expect((await api(viewer, 'GET', '/api/creators?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });
});

describe('the ledger', () => {
  it('verifies after everything above', async () => {
    const report = await node.pairly.services.ledger.verify();
    expect(report.ok).toBe(true);
  });
});
