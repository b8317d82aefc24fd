import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent } from '../support/client.js';
import { fund } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';
import type { LedgerService } from '../../server/src/modules/ledger/ledger.service.js';

let backing: Backing;
let node: InProcessNode;
let ledger: LedgerService;

beforeAll(async () => {
  backing = await createBacking();
  // A pool as big as the concurrency test needs, so the database, not the pool, decides the outcome; and a
  // wait for a pool client long enough that a loaded CI machine queues the 200 spends rather than failing them.
  node = await startInProcess({ ...backing.env, DATABASE_POOL_SIZE: '40', PLATFORM_FEE_BPS: '2000', DATABASE_CONNECT_TIMEOUT_MS: '60000' });
  ledger = node.pairly.services.ledger;
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const pair = async () => {
  const fan = await newUser(node.url);
  const creator = await newUser(node.url, { role: 'creator' });
  return { fan: fan.user.id, creator: creator.user.id, fanToken: fan.accessToken, creatorToken: creator.accessToken };
};
const balanceOf = (code: string) => ledger.account(code).then((a) => a?.posted ?? 0);
const total = async () => (await pgQuery<{ t: string }>(backing.databaseUrl, 'SELECT coalesce(sum(posted),0)::text AS t FROM ledger_accounts'))[0]!.t;

describe('spends', () => {
  it('splits a spend between the creator and the platform (20%, fee rounded down)', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 100);
    const r = await ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan, toUserId: creator, amount: 25, kind: 'tip' });
    expect(r.replayed).toBe(false);
    expect(r.transfers.map((t) => t.amount)).toEqual([20, 5]);
    expect(await ledger.balance(fan)).toMatchObject({ available: 75, held: 0, debt: 0 });
    expect(await balanceOf(`earnings:${creator}`)).toBe(20);
    await ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan, toUserId: creator, amount: 4, kind: 'tip' });
    expect(await balanceOf(`earnings:${creator}`)).toBe(24); // 4 * 20% = 0.8 → fee 0
  });

  it('replays the same key with the same parameters and refuses other parameters', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 50);
    const key = `msg:${randomUUID()}`;
    const first = await ledger.spend({ key, fromUserId: fan, toUserId: creator, amount: 10, kind: 'message' });
    const again = await ledger.spend({ key, fromUserId: fan, toUserId: creator, amount: 10, kind: 'message' });
    expect(again.replayed).toBe(true);
    expect(again.transfers.map((t) => t.id)).toEqual(first.transfers.map((t) => t.id));
    await expect(ledger.spend({ key, fromUserId: fan, toUserId: creator, amount: 11, kind: 'message' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    const other = await pair();
    await expect(ledger.spend({ key, fromUserId: fan, toUserId: other.creator, amount: 10, kind: 'message' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await ledger.balance(fan)).available).toBe(40);
  });

  it('refuses a spend larger than the wallet, changing nothing', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 5);
    const before = await total();
    await expect(ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan, toUserId: creator, amount: 6, kind: 'tip' })).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect((await ledger.balance(fan)).available).toBe(5);
    expect(await total()).toBe(before);
  });

  it('200 concurrent 1-credit spends against 100 credits: exactly 100 succeed, the wallet ends at 0, nothing is created or lost', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 100);
    const before = await total();
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => ledger.spend({ key: `race:${fan}:${i}`, fromUserId: fan, toUserId: creator, amount: 1, kind: 'message' })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(100);
    for (const f of failed) expect(f.reason).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(await ledger.balance(fan)).toMatchObject({ available: 0, held: 0 });
    expect(await balanceOf(`earnings:${creator}`)).toBe(100);
    expect(await total()).toBe(before);
    expect(before).toBe('0');
  });

  it('a replay storm of one key charges once, and every twin gets a replay (never a conflict)', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 1000);
    // Twins racing the original's commit once saw one leg present and the other absent (IDEMPOTENCY_CONFLICT).
    for (let round = 0; round < 10; round++) {
      const key = `msg:${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 20 }, () => ledger.spend({ key, fromUserId: fan, toUserId: creator, amount: 7, kind: 'message' })));
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    }
    expect((await ledger.balance(fan)).available).toBe(1000 - 70);
  });
});

describe('holds', () => {
  it('holds, posts part (releasing the rest) and pays the creator with the split', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 100);
    const holdKey = `call:${randomUUID()}:min:1:hold`;
    await ledger.hold({ key: holdKey, userId: fan, amount: 30, ttlSeconds: 120, kind: 'call_hold' });
    expect(await ledger.balance(fan)).toMatchObject({ available: 70, held: 30 });
    // The held credits cannot be spent meanwhile.
    await expect(ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan, toUserId: creator, amount: 71, kind: 'tip' })).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    await ledger.postHold({ key: `${holdKey}:post`, holdKey, userId: fan, toUserId: creator, amount: 20, kind: 'call' });
    expect(await ledger.balance(fan)).toMatchObject({ available: 80, held: 0 });
    expect(await balanceOf(`earnings:${creator}`)).toBe(16);
    await expect(ledger.postHold({ key: `${holdKey}:post2`, holdKey, userId: fan, toUserId: creator, amount: 5, kind: 'call' })).rejects.toMatchObject({ code: 'HOLD_NOT_PENDING' });
    await expect(ledger.postHold({ key: `${holdKey}:post`, holdKey, userId: fan, toUserId: creator, amount: 20, kind: 'call' })).resolves.toMatchObject({ replayed: true });
  });

  it('refuses a hold larger than the available balance, and a post above the hold', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 10);
    await expect(ledger.hold({ key: `h:${randomUUID()}`, userId: fan, amount: 11, ttlSeconds: 60, kind: 'call_hold' })).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    const holdKey = `h:${randomUUID()}`;
    await ledger.hold({ key: holdKey, userId: fan, amount: 10, ttlSeconds: 60, kind: 'call_hold' });
    await expect(ledger.postHold({ key: `${holdKey}:p`, holdKey, userId: fan, toUserId: creator, amount: 11, kind: 'call' })).rejects.toMatchObject({ code: 'HOLD_AMOUNT_EXCEEDED' });
  });

  it('lets only one of two concurrent posts of a hold win', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 50);
    const holdKey = `h:${randomUUID()}`;
    await ledger.hold({ key: holdKey, userId: fan, amount: 50, ttlSeconds: 60, kind: 'call_hold' });
    const results = await Promise.allSettled([
      ledger.postHold({ key: `${holdKey}:a`, holdKey, userId: fan, toUserId: creator, amount: 50, kind: 'call' }),
      ledger.postHold({ key: `${holdKey}:b`, holdKey, userId: fan, toUserId: creator, amount: 50, kind: 'call' }),
      ledger.voidHold({ key: `${holdKey}:c`, holdKey, userId: fan, kind: 'call' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const { available, held } = await ledger.balance(fan);
    expect(held).toBe(0);
    expect([0, 50]).toContain(available);
    expect((await verifyLedger(node.pairly.services.ledgerStore)).balanceMismatches).toEqual([]);
  });

  it('voids an expired hold in the sweep, and refuses to post it', async () => {
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 40);
    const holdKey = `h:${randomUUID()}`;
    await ledger.hold({ key: holdKey, userId: fan, amount: 40, ttlSeconds: 1, kind: 'call_hold' });
    await new Promise((r) => setTimeout(r, 1200));
    await expect(ledger.postHold({ key: `${holdKey}:late`, holdKey, userId: fan, toUserId: creator, amount: 40, kind: 'call' })).rejects.toMatchObject({ code: 'HOLD_EXPIRED' });
    expect((await ledger.balance(fan)).held).toBe(40);
    expect(await ledger.expireHolds()).toBeGreaterThanOrEqual(1);
    expect(await ledger.balance(fan)).toMatchObject({ available: 40, held: 0 });
    const voided = await pgQuery<{ state: string; kind: string }>(backing.databaseUrl, `SELECT state, kind FROM ledger_transfers WHERE idempotency_key = $1`, [`${holdKey}:expired`]);
    expect(voided).toEqual([{ state: 'voided', kind: 'hold_expired' }]);
  });
});

describe('integrity', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of transfers', async () => {
    const { fan } = await pair();
    await fund(node.pairly, fan, 3);
    await expect(pgQuery(backing.databaseUrl, 'UPDATE ledger_transfers SET amount = amount + 1')).rejects.toThrow(/LEDGER_APPEND_ONLY/);
    await expect(pgQuery(backing.databaseUrl, 'DELETE FROM ledger_transfers')).rejects.toThrow(/LEDGER_APPEND_ONLY/);
    await expect(pgQuery(backing.databaseUrl, 'TRUNCATE ledger_transfers CASCADE')).rejects.toThrow(/LEDGER_APPEND_ONLY/);
  });

  it('refuses a negative wallet even written by hand', async () => {
    const { fan } = await pair();
    await fund(node.pairly, fan, 3);
    await expect(pgQuery(backing.databaseUrl, `UPDATE ledger_accounts SET posted = -1 WHERE code = $1`, [`wallet:${fan}`])).rejects.toThrow(/ledger_available_nonnegative/);
  });

  it('verifies clean, and reports a transfer edited behind the ledger\'s back by id', async () => {
    expect(await verifyLedger(node.pairly.services.ledgerStore)).toMatchObject({ ok: true, totalPosted: 0 });
    const { fan, creator } = await pair();
    await fund(node.pairly, fan, 10);
    const r = await ledger.spend({ key: `tip:${randomUUID()}`, fromUserId: fan, toUserId: creator, amount: 10, kind: 'tip' });
    const victim = r.transfers[0]!.id;
    // A superuser bypassing triggers (replication role) edits the amount.
    await pgQuery(backing.databaseUrl, `SET session_replication_role = replica; UPDATE ledger_transfers SET amount = 1000 WHERE id = ${victim}`);
    const report = await verifyLedger(node.pairly.services.ledgerStore);
    expect(report.ok).toBe(false);
    expect(report.brokenTransfers.map((b) => b.id)).toContain(victim);
    expect(report.balanceMismatches.map((m) => m.code)).toEqual(expect.arrayContaining([`wallet:${fan}`, `earnings:${creator}`]));
  });
});

describe('wallet for users', () => {
  it('tells the payee of a spend its earnings, live and in GET /api/wallet', async () => {
    const { fan, creator, creatorToken } = await pair();
    await fund(node.pairly, fan, 30);
    const c = await connect(node.url, creatorToken);
    const earned = nextEvent<any>(c, 'wallet:updated');
    // 10 credits with the 20% fee: 8 earned.
    await ledger.spend({ key: `m:${fan}:earn`, fromUserId: fan, toUserId: creator, amount: 10, kind: 'message' });
    expect(await earned).toEqual({ available: 0, held: 0, debt: 0, earnings: 8 });
    expect((await http(node.url, 'GET', '/api/wallet', { token: creatorToken })).body.wallet).toMatchObject({ available: 0, earnings: 8 });
    c.close();
  });

  it('shows the balance, pages transactions with a cursor, and pushes wallet:updated to every device', async () => {
    const { fan, creator, fanToken } = await pair();
    const a = await connect(node.url, fanToken);
    const pushed = nextEvent<any>(a, 'wallet:updated');
    await fund(node.pairly, fan, 30);
    expect(await pushed).toEqual({ available: 30, held: 0, debt: 0, earnings: 0 });
    for (let i = 0; i < 5; i++) await ledger.spend({ key: `m:${fan}:${i}`, fromUserId: fan, toUserId: creator, amount: 2, kind: 'message' });
    const w = await http(node.url, 'GET', '/api/wallet', { token: fanToken });
    expect(w.body.wallet).toMatchObject({ available: 20, held: 0, debt: 0 });
    const p1 = await http(node.url, 'GET', '/api/wallet/transactions?limit=4', { token: fanToken });
    expect(p1.body.transactions).toHaveLength(4);
    expect(p1.body.transactions[0]).toMatchObject({ amount: -2, direction: 'out', kind: 'message' });
    const p2 = await http(node.url, 'GET', `/api/wallet/transactions?limit=4&cursor=${p1.body.nextCursor}`, { token: fanToken });
    const all = [...p1.body.transactions, ...p2.body.transactions];
    expect(all).toHaveLength(6);
    expect(new Set(all.map((t: any) => t.id)).size).toBe(6);
    expect(all.at(-1)).toMatchObject({ amount: 30, direction: 'in', kind: 'adjustment' });
    expect(p2.body.nextCursor).toBeNull();
    const bad = await http(node.url, 'GET', '/api/wallet/transactions?limit=abc', { token: fanToken });
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    a.close();
  });
});
