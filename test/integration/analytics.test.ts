import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { http, newUser, waitFor } from '../support/client.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * Analytics (issue #14) on real PostgreSQL: the events the modules record after their commits, a day's
 * roll-up against a history written by hand (every figure exact), re-runs that replace a day, revenue
 * and creator figures from the ledger's and creators' views, and the endpoints' permissions and input.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;
let admin: { userId: string; token: string };

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '50', PAYMENTS_SANDBOX: 'true' });
  url = node.url;
  admin = await newAdmin(node.pairly, url);
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const services = () => node.pairly.services;
const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => pgQuery<T>(backing.databaseUrl, text, params);
const get = (token: string | undefined, path: string) => http(url, 'GET', path, { token });
const today = () => new Date().toISOString().slice(0, 10);

/** The rows a roll-up left for a day and dimension, as { metric: value }. */
async function figures(day: string, dimension = ''): Promise<Record<string, number>> {
  const rows = await sql<{ metric: string; value: number }>(`SELECT metric, value FROM analytics_daily WHERE day = $1 AND dimension = $2`, [day, dimension]);
  return Object.fromEntries(rows.map((r) => [r.metric, r.value]));
}

/** Credits bought through the sandbox provider's checkout and signed webhook (the payments job credits them). */
async function buy(token: string, packId: string): Promise<number> {
  const c = await http(url, 'POST', '/api/payments/checkout', { token, body: { packId, provider: 'sandbox' }, headers: { 'idempotency-key': randomUUID() } });
  expect(c.status).toBe(201);
  expect((await http(url, 'POST', c.body.client.completeUrl, { token, body: { action: 'succeed' } })).status).toBe(200);
  const id = c.body.payment.id;
  await waitFor(async () => (await sql(`SELECT 1 FROM payments WHERE id = $1 AND status = 'succeeded'`, [id])).length === 1, 10_000, 'the payment');
  return c.body.payment.credits;
}

async function eventsOf(userId: string): Promise<{ kind: string; props: Record<string, unknown> }[]> {
  return sql(`SELECT kind, props FROM analytics_events WHERE user_id = $1 ORDER BY id`, [userId]);
}

describe('events', () => {
  it('sign-up, login, messages (counted per sender), tips and purchases are recorded after their commits, in batches', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const peer = await newUser(url);
    // Nothing is written on the request's path: the buffer holds it until a flush.
    await services().analyticsRecorder.flush();
    expect((await eventsOf(fan.user.id)).map((e) => e.kind)).toEqual(['signup', 'login']);

    for (let i = 0; i < 3; i++) await services().chat.send({ userId: fan.user.id, role: 'fan' }, { toUserId: peer.user.id, clientId: randomUUID(), body: `hi ${i}` });
    await fund(node.pairly, fan.user.id, 100);
    const tip = await http(url, 'POST', '/api/tips', { token: fan.accessToken, body: { creatorId: creator.user.id, clientId: randomUUID(), amount: 20 } });
    expect(tip.status).toBe(201);
    // A tip refused (too small) is no event.
    expect((await http(url, 'POST', '/api/tips', { token: fan.accessToken, body: { creatorId: creator.user.id, clientId: randomUUID(), amount: 0 } })).status).toBe(400);
    const credits = await buy(fan.accessToken, 'whale');
    await services().analyticsRecorder.flush();

    const events = await eventsOf(fan.user.id);
    // Three messages, one event: the count is the messages it stands for.
    expect(events.filter((e) => e.kind === 'message')).toEqual([{ kind: 'message', props: { count: 3 } }]);
    expect(events.filter((e) => e.kind === 'tip')).toEqual([{ kind: 'tip', props: { creatorId: creator.user.id, credits: 20 } }]);
    expect(events.filter((e) => e.kind === 'purchase')).toEqual([{ kind: 'purchase', props: { credits } }]);
  });

  it('a failed write keeps the events for the next flush and never throws to the caller', async () => {
    const recorder = services().analyticsRecorder;
    const user = randomUUID();
    await sql(`ALTER TABLE analytics_events ADD CONSTRAINT analytics_test_refuse CHECK (kind <> 'login' OR user_id <> '${user}')`);
    try {
      expect(() => recorder.record('login', user)).not.toThrow();
      await recorder.flush();
      expect(await eventsOf(user)).toEqual([]);
      expect(recorder.pending).toBeGreaterThan(0);
    } finally {
      await sql(`ALTER TABLE analytics_events DROP CONSTRAINT analytics_test_refuse`);
    }
    await recorder.flush();
    expect((await eventsOf(user)).map((e) => e.kind)).toEqual(['login']);
    expect(recorder.pending).toBe(0);
  });
});

describe('daily roll-up', () => {
  // A history far from today, written by hand: day D's figures are known exactly.
  const D = '2020-03-01';
  const at = (day: string, time = '12:00') => `${day}T${time}:00Z`;
  const u = { a: randomUUID(), b: randomUUID(), c: randomUUID(), x: randomUUID(), y: randomUUID(), z: randomUUID() };
  const history: [string, string, string, object?][] = [
    ['signup', u.a, at(D, '00:00')],
    ['signup', u.b, at(D, '11:00')],
    ['signup', u.c, at(D, '23:59')],
    ['login', u.x, at(D)],
    ['message', u.a, at(D), { count: 5 }],
    ['verification', u.a, at(D, '10:00')],
    ['login', u.a, at('2020-03-02')], // D+1
    ['purchase', u.a, at('2020-03-03'), { credits: 100 }],
    ['tip', u.a, at('2020-03-04')], // a paid action
    ['login', u.a, at('2020-03-08')], // D+7
    ['verification', u.b, at('2020-03-02')], // D+1 as well
    ['purchase', u.b, at('2020-03-06')],
    ['login', u.b, at('2020-03-31')], // D+30
    ['login', u.x, at('2020-02-20')], // in the 30 days, not the 7
    ['login', u.y, at('2020-02-05')], // in the 30 days only
    ['login', u.z, at('2020-02-26')], // in the 7 days
    ['login', u.y, at('2020-03-02', '00:00')], // the next day: in no window of D
    ['login', u.z, at('2020-01-31', '23:59')], // a minute before D's 30 days
  ];
  const expected = {
    dau: 4, // a, b, c, x
    wau: 5, // + z
    mau: 6, // + y
    'events.signup': 3,
    'events.login': 1,
    'events.verification': 1,
    'events.message': 5,
    'funnel.signup': 3,
    'funnel.verified': 2,
    'funnel.purchased': 2,
    'funnel.paid_action': 1,
    'retention.d1': 2, // a (login), b (verification)
    'retention.d7': 1, // a
    'retention.d30': 1, // b
    'revenue.sold': 0,
    'revenue.buyers': 0,
    'revenue.spend': 0,
    'revenue.take': 0,
    'revenue.arppu': 0,
  };

  beforeAll(async () => {
    await sql(
      `INSERT INTO analytics_events (kind, user_id, at, props) SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::jsonb[])`,
      [history.map((h) => h[0]), history.map((h) => h[1]), history.map((h) => h[2]), history.map((h) => JSON.stringify(h[3] ?? {}))],
    );
  });

  it('every figure of a constructed day is exact, and re-running it replaces the day', async () => {
    await services().analytics.rollup(D);
    expect(await figures(D)).toEqual(expected);
    await services().analytics.rollup(D);
    expect(await figures(D)).toEqual(expected);
    const [count] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM analytics_daily WHERE day = $1`, [D]);
    expect(count!.n).toBe(Object.keys(expected).length);
    // A late event (another node's buffer) is taken in by the next run, not added twice.
    await sql(`INSERT INTO analytics_events (kind, user_id, at) VALUES ('login', $1, $2)`, [u.y, at(D)]);
    await services().analytics.rollup(D);
    expect(await figures(D)).toEqual({ ...expected, dau: 5, wau: 6, 'events.login': 2 });
    await sql(`DELETE FROM analytics_events WHERE user_id = $1 AND at = $2`, [u.y, at(D)]);
    await services().analytics.rollup(D);
    expect(await figures(D)).toEqual(expected);
  });

  it('retention is written only for the offsets whose day is over', async () => {
    await services().analytics.rollup(D, new Date('2020-03-03T00:00:00Z'));
    const f = await figures(D);
    expect(f['retention.d1']).toBe(2);
    expect('retention.d7' in f || 'retention.d30' in f).toBe(false);
    await services().analytics.rollup(D);
    expect(await figures(D)).toEqual(expected);
  });

  it('GET /api/admin/analytics answers every day of the range, zeros where nothing was rolled up', async () => {
    const r = await get(admin.token, `/api/admin/analytics?from=2020-02-29&to=${D}`);
    expect(r.status).toBe(200);
    expect(r.body.analytics.days).toHaveLength(2);
    const [before, day] = r.body.analytics.days;
    expect(before.day).toBe('2020-02-29');
    expect(Object.entries(before).filter(([k, v]) => k !== 'day' && v !== 0)).toEqual([]);
    expect(day).toMatchObject({ day: D, ...expected, 'events.tip': 0 });
  });

  it('revenue and creator figures come from the ledger and creators, exact for what happened today', async () => {
    const day = today();
    await services().analytics.rollup(day);
    const before = await figures(day);
    const fan = await newUser(url);
    const other = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const handle = `an_${randomUUID().slice(0, 8)}`;
    expect((await http(url, 'PUT', '/api/creator/page', { token: creator.accessToken, body: { handle, bio: 'hello' } })).status).toBe(200);
    for (const f of [fan, other]) expect((await http(url, 'POST', `/api/creators/${handle}/follow`, { token: f.accessToken, body: {} })).status).toBe(200);
    // Three purchases by two buyers.
    const sold = (await buy(fan.accessToken, 'whale')) + (await buy(fan.accessToken, 'whale')) + (await buy(other.accessToken, 'whale'));
    // 100 spent as a tip (the fee is FEE_BPS of it) and 50 through a held call minute.
    const tip = await services().ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan.user.id, toUserId: creator.user.id, amount: 100, kind: 'tip' });
    const hold = `call:${randomUUID()}:min:1`;
    await services().ledger.hold({ key: `${hold}:hold`, userId: other.user.id, amount: 50, ttlSeconds: 60, kind: 'call_hold' });
    await services().ledger.postHold({ key: hold, holdKey: `${hold}:hold`, userId: other.user.id, toUserId: creator.user.id, amount: 50, kind: 'call' });
    expect(tip.replayed).toBe(false);
    const share = (await sql<{ share: string }>(`SELECT sum(share)::text AS share FROM earnings_lines WHERE creator_id = $1`, [creator.user.id]))[0]!.share;
    const fees = 150 - Number(share);

    await services().analytics.rollup(day);
    const after = await figures(day);
    const delta = (m: string) => (after[m] ?? 0) - (before[m] ?? 0);
    expect(delta('revenue.sold')).toBe(sold);
    expect(delta('revenue.buyers')).toBe(2);
    expect(delta('revenue.spend')).toBe(150);
    expect(delta('revenue.take')).toBe(fees);
    expect(fees).toBeGreaterThan(0);
    expect(after['revenue.arppu']).toBe(after['revenue.sold']! / after['revenue.buyers']!);
    expect(await figures(day, creator.user.id)).toEqual({
      'creator.followers': 2,
      'creator.new_followers': 2,
      'creator.subscribers': 0,
      'creator.churned': 0,
      'creator.earnings': Number(share),
    });

    const mine = await get(creator.accessToken, `/api/creator/analytics?from=${day}&to=${day}`);
    expect(mine.status).toBe(200);
    expect(mine.body.analytics.days).toEqual([{ day, followers: 2, new_followers: 2, subscribers: 0, churned: 0, earnings: Number(share) }]);
  });
});

describe('endpoints', () => {
  it('admins only (with their second factor); creators see only their own figures', async () => {
    const fan = await newUser(url);
    expect((await get(undefined, `/api/admin/analytics?from=${today()}&to=${today()}`)).status).toBe(401);
    expect((await get(fan.accessToken, `/api/admin/analytics?from=${today()}&to=${today()}`)).body.error.code).toBe('FORBIDDEN');
    expect((await http(url, 'POST', '/api/admin/analytics/rollup', { token: fan.accessToken, body: { from: today(), to: today() } })).body.error.code).toBe('FORBIDDEN');
    expect((await get(fan.accessToken, `/api/creator/analytics?from=${today()}&to=${today()}`)).body.error.code).toBe('FORBIDDEN');
    const creator = await newUser(url, { role: 'creator' });
    const mine = await get(creator.accessToken, `/api/creator/analytics?from=${today()}&to=${today()}`);
    expect(mine.body.analytics.days).toEqual([{ day: today(), followers: 0, new_followers: 0, subscribers: 0, churned: 0, earnings: 0 }]);
  });

  it('bad ranges are VALIDATION_FAILED', async () => {
    const creator = await newUser(url, { role: 'creator' });
    for (const q of ['', 'from=2020-03-02&to=2020-03-01', 'from=2020-02-30&to=2020-03-01', 'from=2020-01-01&to=2021-01-02', 'from=2020-03-01&to=2020-03-01&x=1', 'from=yesterday&to=today']) {
      const r = await get(admin.token, `/api/admin/analytics?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect((await get(creator.accessToken, `/api/creator/analytics?${q}`)).body.error.code).toBe('VALIDATION_FAILED');
    }
    const long = await http(url, 'POST', '/api/admin/analytics/rollup', { token: admin.token, body: { from: '2020-01-01', to: '2020-03-05' } });
    expect(long.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('an admin rolls days up on demand: a job per day, audited', async () => {
    const day = '2020-03-10';
    await sql(`INSERT INTO analytics_events (kind, user_id, at) VALUES ('login', $1, $2)`, [randomUUID(), `${day}T08:00:00Z`]);
    const r = await http(url, 'POST', '/api/admin/analytics/rollup', { token: admin.token, body: { from: '2020-03-09', to: day } });
    expect(r.status).toBe(202);
    expect(r.body.days).toEqual(['2020-03-09', day]);
    await waitFor(async () => (await figures(day)).dau === 1, 10_000, 'the roll-up job');
    await waitFor(async () => (await figures('2020-03-09')).dau === 0, 10_000, 'the other day');
    await waitFor(async () => (await sql(`SELECT 1 FROM audit_log WHERE actor_id = $1 AND action = 'admin.analytics_rollup'`, [admin.userId])).length === 1, 10_000, 'the audit entry');
  });
});
