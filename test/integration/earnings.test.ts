import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { http, newUser, waitFor } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';
import { csvField } from '../../shared/earnings.js';

/**
 * Creators' earnings (issue #13), read from the ledger on real PostgreSQL: sums by source and day
 * against the transfers written, the hold boundary, statements and CSV, and the clawback of creators'
 * shares when a fan's refunded credits were already spent. The ledger verifies after every test.
 */
let backing: Backing;
let node: InProcessNode;
let url: string;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, RUN_WORKERS: 'true', JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '50', PAYMENTS_SANDBOX: 'true' });
  url = node.url;
});
afterEach(async () => {
  const report = await verifyLedger(node.pairly.services.ledgerStore);
  expect(report, JSON.stringify(report)).toMatchObject({ ok: true, totalPosted: 0 });
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const ledger = () => node.pairly.services.ledger;
const get = (token: string, path: string) => http(url, 'GET', path, { token });
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const spend = (from: string, to: string, amount: number, kind: string) => ledger().spend({ key: `${kind}:${randomUUID()}`, fromUserId: from, toUserId: to, amount, kind });

describe('earnings read model', () => {
  it('sums by source and by day match the transfers written, all pending inside the hold', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    await fund(node.pairly, fan.user.id, 1000);
    await spend(fan.user.id, creator.user.id, 100, 'tip'); // share 80, fee 20
    await spend(fan.user.id, creator.user.id, 50, 'message'); // 40 / 10
    await spend(fan.user.id, creator.user.id, 200, 'subscription'); // 160 / 40
    await spend(fan.user.id, creator.user.id, 33, 'post_unlock'); // 27 / 6 (the fee rounds down)
    // A call minute: held, then posted from escrow (the creator leg is not paid by the wallet directly).
    const hold = `call:${randomUUID()}:min:1`;
    await ledger().hold({ key: `${hold}:hold`, userId: fan.user.id, amount: 30, ttlSeconds: 60, kind: 'call_hold' });
    await ledger().postHold({ key: hold, holdKey: `${hold}:hold`, userId: fan.user.id, toUserId: creator.user.id, amount: 30, kind: 'call' }); // 24 / 6

    const { body, status } = await get(creator.accessToken, '/api/earnings');
    expect(status).toBe(200);
    expect(body.earnings).toMatchObject({ lifetime: 331, pending: 331, available: 0, debited: 0, payable: false, holdSeconds: 604_800 });
    const by = Object.fromEntries(body.earnings.bySource.map((s: any) => [s.source, s.earned]));
    expect(by).toEqual({ subscriptions: 160, ppv: 27, tips: 80, messages: 40, calls: 24 });
    // Derived, not copied: the earnings account's posted balance is the same money.
    expect((await get(creator.accessToken, '/api/wallet')).body.wallet.earnings).toBe(331);

    const days = (await get(creator.accessToken, `/api/earnings/daily?from=${daysAgo(9)}&to=${today()}`)).body.days;
    expect(days.at(-1)).toEqual({ day: today(), total: 331, bySource: { tips: 80, messages: 40, subscriptions: 160, ppv: 27, calls: 24 } });
    expect(days).toHaveLength(10);
    expect(days.slice(0, -1).every((d: any) => d.total === 0)).toBe(true);

    // A fan who never earned sees zeros, not an error.
    expect((await get(fan.accessToken, '/api/earnings')).body.earnings).toMatchObject({ lifetime: 0, pending: 0, available: 0, bySource: [] });
  });

  it('the hold boundary: pending until the hold has passed since the credit, then available', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    await fund(node.pairly, fan.user.id, 100);
    await spend(fan.user.id, creator.user.id, 50, 'tip');
    const [row] = await pgQuery<{ created_at: Date }>(backing.databaseUrl, "SELECT created_at FROM ledger_transfers WHERE kind = 'tip' ORDER BY id DESC LIMIT 1");
    const credited = row!.created_at.getTime();
    const service = node.pairly.services.earnings;
    const hold = service.holdSeconds * 1000;
    // JS dates hold milliseconds and PostgreSQL microseconds: one millisecond either side of the boundary.
    expect(await service.summary(creator.user.id, new Date(credited + hold - 1))).toMatchObject({ pending: 40, available: 0, payable: false });
    expect(await service.summary(creator.user.id, new Date(credited + hold + 1))).toMatchObject({ pending: 0, available: 40, payable: true });
  });

  it('a statement has the month totals and its lines with gross, share and fee; the CSV has the same lines, escaped', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    await fund(node.pairly, fan.user.id, 500);
    const keys = [];
    for (const amount of [10, 20, 30]) {
      const key = `tip:${randomUUID()}`;
      keys.push(key);
      await ledger().spend({ key, fromUserId: fan.user.id, toUserId: creator.user.id, amount, kind: 'tip' });
    }
    const month = today().slice(0, 7);
    const first = (await get(creator.accessToken, `/api/earnings/statement?month=${month}&limit=2`)).body.statement;
    expect(first.totals).toEqual({ gross: 60, share: 48, fee: 12, clawedBack: 0, bySource: { tips: 48 } });
    expect(first.lines.map((l: any) => [l.gross, l.share, l.fee, l.key])).toEqual([
      [10, 8, 2, `${keys[0]}:creator`],
      [20, 16, 4, `${keys[1]}:creator`],
    ]);
    const rest = (await get(creator.accessToken, `/api/earnings/statement?month=${month}&limit=2&cursor=${first.nextCursor}`)).body.statement;
    expect(rest.lines.map((l: any) => l.share)).toEqual([24]);
    expect(rest.nextCursor).toBeNull();
    expect((await get(creator.accessToken, '/api/earnings/statement?month=2001-01')).body.statement).toMatchObject({ lines: [], totals: { share: 0 } });

    const csv = await get(creator.accessToken, `/api/earnings/export.csv?from=${today()}&to=${today()}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (csv.body as string).trimEnd().split('\r\n');
    expect(lines[0]).toBe('date,source,kind,gross,creator_share,fee,reference');
    expect(lines.slice(1).map((l) => l.split(',').slice(1).join(','))).toEqual([
      `tips,tip,10,8,2,${keys[0]}:creator`,
      `tips,tip,20,16,4,${keys[1]}:creator`,
      `tips,tip,30,24,6,${keys[2]}:creator`,
    ]);
  });

  it('CSV fields are quoted and spreadsheet formulas defused', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-12)).toBe('-12');
  });

  it('refuses bad ranges and months with VALIDATION_FAILED, and needs a session', async () => {
    const u = await newUser(url);
    for (const q of ['/daily?from=2024-02-30&to=2024-03-01', '/daily?from=2024-03-02&to=2024-03-01', '/daily?from=2020-01-01&to=2024-01-01', '/export.csv?from=x&to=y', '/statement?month=2024-13', '/statement?month=2024-01&limit=0', '/daily?from=2024-01-01&to=2024-01-02&extra=1']) {
      const r = await get(u.accessToken, `/api/earnings${q}`);
      expect([r.status, r.body.error?.code], q).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await http(url, 'GET', '/api/earnings')).status).toBe(401);
  });
});

describe('clawback after a refund', () => {
  const checkout = (token: string) => http(url, 'POST', '/api/payments/checkout', { token, body: { packId: 'starter', provider: 'sandbox' }, headers: { 'idempotency-key': randomUUID() } });
  const sandbox = (token: string, id: string, action: string) => http(url, 'POST', `/api/payments/sandbox/${id}`, { token, body: { action } });
  const paymentStatus = async (id: string) => (await pgQuery<{ status: string }>(backing.databaseUrl, 'SELECT status FROM payments WHERE id = $1', [id]))[0]?.status;
  const settled = (id: string, status: string) => waitFor(async () => ((await paymentStatus(id)) === status ? true : undefined), 10_000, `payment ${status}`);

  it("takes back the creators' shares of the spends the refunded credits paid for, newest first, never spends before the purchase", async () => {
    const fan = await newUser(url);
    const [a, b, c] = await Promise.all([newUser(url, { role: 'creator' }), newUser(url, { role: 'creator' }), newUser(url, { role: 'creator' })]);
    await fund(node.pairly, fan.user.id, 30);
    await spend(fan.user.id, c.user.id, 30, 'tip'); // before the purchase: its credits are not the refunded ones
    const p = (await checkout(fan.accessToken)).body.payment;
    await sandbox(fan.accessToken, p.id, 'succeed');
    await settled(p.id, 'succeeded');
    await spend(fan.user.id, a.user.id, 70, 'tip'); // share 56, fee 14
    await spend(fan.user.id, b.user.id, 20, 'message'); // share 16, fee 4
    expect((await get(a.accessToken, '/api/earnings')).body.earnings).toMatchObject({ lifetime: 56, pending: 56 });

    await sandbox(fan.accessToken, p.id, 'refund');
    await settled(p.id, 'refunded');
    // 10 credits went back; 90 were spent: the message (20) and the tip (70) are covered, their shares clawed.
    expect((await get(a.accessToken, '/api/earnings')).body.earnings).toMatchObject({
      lifetime: 56, debited: 56, pending: 0, available: 0, payable: false,
      bySource: [{ source: 'tips', earned: 56, pending: 0, clawedBack: 56 }],
    });
    expect((await get(b.accessToken, '/api/earnings')).body.earnings).toMatchObject({ lifetime: 16, debited: 16, pending: 0 });
    expect((await get(c.accessToken, '/api/earnings')).body.earnings).toMatchObject({ lifetime: 24, debited: 0, pending: 24 });
    // The fan owes only what no creator gave back: the platform's fees (14 + 4).
    expect((await get(fan.accessToken, '/api/wallet')).body.wallet).toMatchObject({ available: 0, debt: 18, flagged: 'refund_debt' });
    expect((await get(a.accessToken, '/api/wallet')).body.wallet.earnings).toBe(0);

    const lines = (await get(a.accessToken, `/api/earnings/statement?month=${today().slice(0, 7)}`)).body.statement.lines;
    expect(lines.map((l: any) => [l.kind, l.source, l.gross, l.share, l.fee])).toEqual([
      ['tip', 'tips', 70, 56, 14],
      ['clawback', 'tips', -70, -56, -14],
    ]);
    // The same refund delivered again changes nothing.
    await sandbox(fan.accessToken, p.id, 'refund');
    const claws = await pgQuery<{ n: number }>(backing.databaseUrl, "SELECT count(*)::int AS n FROM ledger_transfers WHERE kind = 'clawback' AND metadata ->> 'fanId' = $1", [fan.user.id]);
    expect(claws[0]!.n).toBe(2);
  });

  it('a call minute (paid through a hold, its creator leg from escrow) is clawed back like any spend', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const p = (await checkout(fan.accessToken)).body.payment;
    await sandbox(fan.accessToken, p.id, 'succeed');
    await settled(p.id, 'succeeded');
    const minute = `call:${randomUUID()}:min:1`;
    await ledger().hold({ key: `${minute}:hold`, userId: fan.user.id, amount: 100, ttlSeconds: 60, kind: 'call_hold' });
    await ledger().postHold({ key: minute, holdKey: `${minute}:hold`, userId: fan.user.id, toUserId: creator.user.id, amount: 100, kind: 'call' }); // 80 / 20
    await sandbox(fan.accessToken, p.id, 'refund');
    await settled(p.id, 'refunded');
    expect((await get(creator.accessToken, '/api/earnings')).body.earnings).toMatchObject({
      lifetime: 80, debited: 80, pending: 0, available: 0,
      bySource: [{ source: 'calls', earned: 80, pending: 0, clawedBack: 80 }],
    });
    expect((await get(fan.accessToken, '/api/wallet')).body.wallet).toMatchObject({ available: 0, debt: 20 });
  });

  it('a partial refund covers part of the newest spend; a later refund covers the rest, never the same credits twice', async () => {
    const fan = await newUser(url);
    const creator = await newUser(url, { role: 'creator' });
    const p = (await checkout(fan.accessToken)).body.payment; // 100 credits
    await sandbox(fan.accessToken, p.id, 'succeed');
    await settled(p.id, 'succeeded');
    await spend(fan.user.id, creator.user.id, 100, 'tip'); // share 80, fee 20
    // Half the money back: 50 credits reversed, all spent: half the tip covered.
    await http(url, 'POST', `/api/payments/sandbox/${p.id}`, { token: fan.accessToken, body: { action: 'refund', amountMinor: Math.floor(p.amountMinor / 2) } });
    await settled(p.id, 'partially_refunded');
    const half = (await get(creator.accessToken, '/api/earnings')).body.earnings;
    expect(half.debited).toBeGreaterThan(0);
    expect(half.debited).toBeLessThan(80);
    await sandbox(fan.accessToken, p.id, 'refund');
    await settled(p.id, 'refunded');
    expect((await get(creator.accessToken, '/api/earnings')).body.earnings).toMatchObject({ lifetime: 80, debited: 80, pending: 0, available: 0 });
    expect((await get(fan.accessToken, '/api/wallet')).body.wallet).toMatchObject({ debt: 20 });
  });
});
