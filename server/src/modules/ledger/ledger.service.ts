import type { WalletBalance } from '../../../../shared/events.js';
import type { WriteBatchObserver } from '../../batcher.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import { accounts, shardOf, split } from './accounts.js';
import { ClawbackStore } from './clawback.store.js';
import { clawback } from './ledger.clawback.js';
import { LedgerBatcher, type BatcherOptions } from './ledger.batcher.js';
import { batchRefusal, isRetryable, toLedgerError } from './ledger.errors.js';
import type { AccountRow, ApplyResult, BatchOp, Leg, LedgerStore, TransferRow } from './ledger.store.js';
import { verifyLedger, type VerifyReport } from './ledger.verify.js';

export interface LedgerOptions {
  /** Platform fee on spends, in basis points (2000 = 20%). */
  feeBps: number;
  /** Revenue/escrow/chain shards: how many spends can commit side by side. */
  shards: number;
  /** Group commit of standalone operations (ledger.batcher.ts); `false` sends each in its own ledger_apply call. */
  batch?: Partial<BatcherOptions> | false;
}

/** One spend's outcome in spendMany: applied (or replayed), or refused with its own error. */
export type SpendOutcome = { ok: true; result: OperationResult } | { ok: false; error: Error };

export interface SpendInput {
  /** Derived from the cause (`msg:<id>`, `tip:<id>`); legs use `<key>:creator` and `<key>:fee`. */
  key: string;
  fromUserId: string;
  toUserId: string;
  amount: number;
  kind: string;
  metadata?: Record<string, unknown>;
}

export interface OperationResult {
  replayed: boolean;
  transfers: ApplyResult['transfers'];
}

const MAX_ATTEMPTS = 4;

/**
 * Every movement of credits. Each public method is one atomic operation
 * with an idempotency key; the same key with the same parameters returns
 * the original result, with other parameters IDEMPOTENCY_CONFLICT.
 * Methods taking `q` join the caller's transaction, and the caller then
 * pushes `wallet:updated` after its commit (`notify`).
 */
export class LedgerService {
  /** Undefined when batching is off: each standalone operation is its own ledger_apply call. */
  readonly batcher: LedgerBatcher | undefined;
  /** Users whose balances are to be pushed, and whether a push of them is under way (see notify). */
  private notifyQueue = new Set<string>();
  private notifying = false;

  constructor(
    private readonly d: {
      db: Database;
      store: LedgerStore;
      realtime: Realtime;
      logger: Logger;
      options: LedgerOptions;
      /** Told of each group commit (metrics: pairly_write_batch_*{batch="ledger"}). */
      observeBatch?: WriteBatchObserver;
    },
  ) {
    const b = d.options.batch;
    const observe = d.observeBatch;
    if (b !== false) {
      this.batcher = new LedgerBatcher({
        store: d.store,
        single: (shard, legs) => this.single(shard, legs),
        options: { lanes: b?.lanes ?? 1, maxOps: b?.maxOps ?? 256, windowMs: b?.windowMs ?? 0 },
        observe: observe && ((items, seconds) => observe('ledger', items, seconds)),
      });
    }
  }

  get options(): LedgerOptions {
    return this.d.options;
  }

  /** A fan pays a creator: the creator's earnings and the platform fee, in one operation. */
  async spend(input: SpendInput, q?: Queryable): Promise<OperationResult> {
    const { shard, legs } = this.spendOp(input);
    const result = await this.run(shard, legs, q);
    // The payer's wallet and the payee's earnings both changed.
    if (!q) this.notify([input.fromUserId, input.toUserId]);
    return result;
  }

  /**
   * Many spends in ONE call of ledger_apply_batch: every account of every spend locked up front in id
   * order, so concurrent batches over shared wallets wait for each other but never deadlock.
   * Default: each spend gets its own outcome (one refused spend does not stop the others); standalone,
   * the spends go through the group commit's lanes, batched with whatever else is being written.
   * `atomic`: all or nothing, in one call; the first refusal is thrown and nothing is written.
   * With `q`, it joins the caller's transaction (and the caller pushes balances after its commit).
   * Subscription renewals and mass messages are its callers.
   */
  async spendMany(inputs: SpendInput[], opts: { atomic?: boolean } = {}, q?: Queryable): Promise<SpendOutcome[]> {
    if (inputs.length === 0) return [];
    const ops = inputs.map((i) => this.spendOp(i));
    const atomic = opts.atomic ?? false;
    if (!atomic && !q && this.batcher) {
      // Independent spends ride the group commit's lanes: a batch per lane holds one chain head and one
      // revenue shard, where one call over random shards would hold a dozen and queue every other batch
      // behind it (measured in BENCHMARKS.md: 14 of 16 backends waiting).
      const settled = await Promise.allSettled(ops.map((o) => this.batcher!.submit(o.shard, o.legs)));
      this.notify(inputs.flatMap((i) => [i.fromUserId, i.toUserId]));
      return settled.map((r) => (r.status === 'fulfilled' ? { ok: true, result: r.value } : { ok: false, error: r.reason instanceof Error ? r.reason : new Error(String(r.reason)) }));
    }
    const results = await this.batchOf(ops, atomic, q);
    if (!q) this.notify(inputs.flatMap((i) => [i.fromUserId, i.toUserId]));
    return results.map((r) => (r.ok ? { ok: true, result: { replayed: r.replayed, transfers: r.transfers } } : { ok: false, error: batchRefusal(r.code, r.detail) }));
  }

  /** A spend's legs: the creator's share and the platform fee, on the chain shard of its key. */
  private spendOp(input: SpendInput): BatchOp {
    assertAmount(input.amount);
    if (input.fromUserId === input.toUserId) throw new AppError('VALIDATION_FAILED', 'cannot pay yourself');
    const shard = shardOf(input.key, this.d.options.shards);
    const { creator, fee } = split(input.amount, this.d.options.feeBps);
    const meta = { ...input.metadata, gross: input.amount };
    const legs: Leg[] = [
      { op: 'post', key: `${input.key}:creator`, debit: accounts.wallet(input.fromUserId), credit: accounts.earnings(input.toUserId), amount: creator, kind: input.kind, metadata: meta },
    ];
    if (fee > 0) {
      legs.push({ op: 'post', key: `${input.key}:fee`, debit: accounts.wallet(input.fromUserId), credit: accounts.revenue(shard), amount: fee, kind: `${input.kind}_fee`, metadata: meta });
    }
    return { shard, legs };
  }

  /** An explicit batch: in the caller's transaction as is; standalone, retried like a single operation. */
  private async batchOf(ops: BatchOp[], atomic: boolean, q?: Queryable) {
    if (q) {
      try {
        return await this.d.store.applyBatch(ops, atomic, q);
      } catch (err) {
        throw toLedgerError(err);
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.d.store.applyBatch(ops, atomic);
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
        throw toLedgerError(err);
      }
    }
  }

  /** Reserves credits (metered calls). Expires by itself after ttlSeconds unless posted or voided. */
  async hold(input: { key: string; userId: string; amount: number; ttlSeconds: number; kind: string; metadata?: Record<string, unknown> }, q?: Queryable): Promise<OperationResult> {
    assertAmount(input.amount);
    const shard = shardOf(input.key, this.d.options.shards);
    const result = await this.run(shard, [
      { op: 'hold', key: input.key, debit: accounts.wallet(input.userId), credit: accounts.escrow(shard), amount: input.amount, kind: input.kind, ttl: input.ttlSeconds, metadata: input.metadata },
    ], q);
    if (!q) this.notify([input.userId]);
    return result;
  }

  /**
   * Posts `amount` of a hold (the rest is released) and pays it out to the
   * creator with the platform fee, in one operation. Zero posts nothing: the
   * hold is voided.
   */
  async postHold(input: { key: string; holdKey: string; userId: string; toUserId: string; amount: number; kind: string }, q?: Queryable): Promise<OperationResult> {
    if (!Number.isSafeInteger(input.amount) || input.amount < 0) throw new AppError('VALIDATION_FAILED', 'amount must be a non-negative integer');
    if (input.amount === 0) return this.voidHold({ key: input.key, holdKey: input.holdKey, userId: input.userId, kind: input.kind }, q);
    const shard = shardOf(input.holdKey, this.d.options.shards);
    const { creator, fee } = split(input.amount, this.d.options.feeBps);
    const legs: Leg[] = [
      { op: 'post_hold', key: `${input.key}:capture`, hold: input.holdKey, amount: input.amount, kind: input.kind },
      { op: 'post', key: `${input.key}:creator`, debit: accounts.escrow(shard), credit: accounts.earnings(input.toUserId), amount: creator, kind: input.kind },
    ];
    if (fee > 0) legs.push({ op: 'post', key: `${input.key}:fee`, debit: accounts.escrow(shard), credit: accounts.revenue(shard), amount: fee, kind: `${input.kind}_fee` });
    const result = await this.run(shard, legs, q);
    if (!q) this.notify([input.userId, input.toUserId]);
    return result;
  }

  async voidHold(input: { key: string; holdKey: string; userId: string; kind: string }, q?: Queryable): Promise<OperationResult> {
    const hold = await this.d.store.transferByKey(input.holdKey, q);
    if (!hold || hold.state !== 'pending') throw new AppError('HOLD_NOT_FOUND', 'no such hold');
    const result = await this.run(shardOf(input.holdKey, this.d.options.shards), [
      { op: 'void_hold', key: `${input.key}:void`, hold: input.holdKey, amount: hold.amount, kind: input.kind },
    ], q);
    if (!q) this.notify([input.userId]);
    return result;
  }

  /** Whether a hold is still pending (neither posted, voided nor expired). */
  async holdPending(holdKey: string, q?: Queryable): Promise<boolean> {
    const hold = await this.d.store.transferByKey(holdKey, q);
    if (!hold || hold.state !== 'pending') return false;
    return !(await this.d.store.isResolved(hold.id, q));
  }

  /**
   * Credits a purchase from a provider's clearing account, then settles any
   * debt the wallet owes from earlier refunds, in the caller's transaction.
   */
  async creditPurchase(
    input: { key: string; provider: string; userId: string; credits: number; metadata?: Record<string, unknown> },
    q: Queryable,
  ): Promise<OperationResult & { settled: number }> {
    assertAmount(input.credits);
    const shard = shardOf(input.key, this.d.options.shards);
    const credit = await this.applyIn(q, shard, [
      { op: 'post', key: input.key, debit: accounts.clearing(input.provider), credit: accounts.wallet(input.userId), amount: input.credits, kind: 'purchase', metadata: input.metadata },
    ]);
    if (credit.replayed) return { ...credit, settled: 0 };
    const debt = await this.d.store.lockAccount(accounts.debt(input.userId), q);
    const owed = -debt.posted;
    const settled = Math.min(owed, input.credits);
    if (settled > 0) {
      await this.applyIn(q, shard, [
        { op: 'post', key: `${input.key}:settle`, debit: accounts.wallet(input.userId), credit: accounts.debt(input.userId), amount: settled, kind: 'debt_settlement' },
      ]);
    }
    return { ...credit, settled };
  }

  /**
   * Reverses purchased credits (refund, chargeback). What the wallet still
   * holds goes back to the provider's clearing account; what was already
   * spent becomes a debt (the debt account goes negative), which later
   * purchases settle first, and the wallet is flagged for review.
   */
  async reversePurchase(
    input: { key: string; provider: string; userId: string; credits: number; reason: 'refund' | 'chargeback' },
    q: Queryable,
  ): Promise<{ reversed: number; debt: number; replayed: boolean }> {
    assertAmount(input.credits);
    const shard = shardOf(input.key, this.d.options.shards);
    const existing = (await this.d.store.transferByKey(`${input.key}:reverse`, q)) ?? (await this.d.store.transferByKey(`${input.key}:debt`, q));
    if (existing) return { reversed: 0, debt: 0, replayed: true };
    const wallet = await this.d.store.lockAccount(accounts.wallet(input.userId), q);
    const available = wallet.posted - wallet.pending_debits;
    const reversed = Math.min(available, input.credits);
    const debt = input.credits - reversed;
    const legs: Leg[] = [];
    if (reversed > 0) legs.push({ op: 'post', key: `${input.key}:reverse`, debit: accounts.wallet(input.userId), credit: accounts.clearing(input.provider), amount: reversed, kind: input.reason });
    if (debt > 0) legs.push({ op: 'post', key: `${input.key}:debt`, debit: accounts.debt(input.userId), credit: accounts.clearing(input.provider), amount: debt, kind: `${input.reason}_debt` });
    await this.applyIn(q, shard, legs);
    if (debt > 0) await this.d.store.flag(accounts.wallet(input.userId), `${input.reason}_debt`, q);
    return { reversed, debt, replayed: false };
  }

  /**
   * After reversePurchase left a debt: takes creators' shares of the spends that debt paid for back into
   * the fan's debt account (ledger.clawback.ts), in the same transaction. The caller pushes balances to
   * the creators it names after its commit.
   */
  async clawback(input: { key: string; purchaseKey: string; userId: string; debt: number }, q: Queryable): Promise<{ clawed: number; unattributed: number; creators: string[] }> {
    const d = { claws: new ClawbackStore(), ledger: this.d.store, shards: this.d.options.shards, apply: (shard: number, legs: Leg[]) => this.applyIn(q, shard, legs) };
    return clawback(d, input, q);
  }

  /**
   * Gives a fan back `amount` of one of their spends (a banned creator's unused subscription time), in the
   * caller's transaction: out of the creator's earnings and the platform's fee in the shares the spend took
   * them, never more than the spend moved. What the creator has already withdrawn is not taken back: the
   * creator's part is capped at the earnings still there. Keyed by the caller; once only (a second call is
   * a replay, whatever amount it asks).
   */
  async refundSpend(input: { key: string; spendKey: string; fanId: string; creatorId: string; amount: number; kind: string }, q: Queryable): Promise<{ refunded: number; replayed: boolean }> {
    assertAmount(input.amount);
    if (await this.d.store.transferByKey(`${input.key}:fee`, q) ?? (await this.d.store.transferByKey(`${input.key}:creator`, q))) return { refunded: 0, replayed: true };
    const [creatorLeg, feeLeg] = await Promise.all([this.d.store.transferByKey(`${input.spendKey}:creator`, q), this.d.store.transferByKey(`${input.spendKey}:fee`, q)]);
    if (!creatorLeg) throw new AppError('NOT_FOUND', 'no such spend to refund');
    const gross = creatorLeg.amount + (feeLeg?.amount ?? 0);
    const amount = Math.min(input.amount, gross);
    const earnings = await this.d.store.lockAccount(accounts.earnings(input.creatorId), q);
    const fromCreator = Math.max(0, Math.min(Math.floor((amount * creatorLeg.amount) / gross), earnings.posted - earnings.pending_debits));
    const fromFee = Math.min(amount - Math.floor((amount * creatorLeg.amount) / gross), feeLeg?.amount ?? 0);
    const meta = { spendKey: input.spendKey };
    const legs: Leg[] = [];
    if (fromCreator > 0) legs.push({ op: 'post', key: `${input.key}:creator`, debit: accounts.earnings(input.creatorId), credit: accounts.wallet(input.fanId), amount: fromCreator, kind: input.kind, metadata: meta });
    if (fromFee > 0) legs.push({ op: 'post', key: `${input.key}:fee`, debit: feeLeg!.credit, credit: accounts.wallet(input.fanId), amount: fromFee, kind: `${input.kind}_fee`, metadata: meta });
    if (legs.length) await this.applyIn(q, shardOf(input.key, this.d.options.shards), legs);
    return { refunded: fromCreator + fromFee, replayed: false };
  }

  /**
   * A payout's money, in the caller's transaction (the payout's state changes in the same one):
   * `request` earnings -> payouts clearing; `return` clearing -> earnings (failed, reversed, rejected,
   * cancelled); `paid` clearing -> paid out; `unpay` paid out -> earnings (reversed after paid).
   * Keyed `payout:<id>:request|return|paid`, so each happens once.
   */
  async payoutMove(input: { payoutId: string; userId: string; credits: number; step: 'request' | 'return' | 'paid' | 'unpay' }, q: Queryable): Promise<OperationResult> {
    assertAmount(input.credits);
    const earnings = accounts.earnings(input.userId);
    // `unpay`: a paid payout the bank sent back; it returns from paid out instead of clearing (one return per payout either way).
    const [step, debit, credit, kind] =
      input.step === 'request'
        ? ['request', earnings, accounts.payouts(), 'payout']
        : input.step === 'return'
          ? ['return', accounts.payouts(), earnings, 'payout_return']
          : input.step === 'unpay'
            ? ['return', accounts.paidOut(), earnings, 'payout_return']
            : ['paid', accounts.payouts(), accounts.paidOut(), 'payout_paid'];
    const key = `payout:${input.payoutId}:${step}`;
    return this.applyIn(q, shardOf(key, this.d.options.shards), [
      { op: 'post', key, debit, credit, amount: input.credits, kind, metadata: { payoutId: input.payoutId } },
    ]);
  }

  /** Locks a user's earnings account for the rest of the caller's transaction: requests against it queue here. */
  async lockEarnings(userId: string, q: Queryable): Promise<void> {
    await this.d.store.lockAccount(accounts.earnings(userId), q);
  }

  /** An admin's correction: credits in (positive) or out (negative) of a wallet, against the adjustments account. */
  async adjust(input: { key: string; userId: string; amount: number; reason: string; adminId: string }): Promise<OperationResult> {
    if (!Number.isSafeInteger(input.amount) || input.amount === 0) throw new AppError('VALIDATION_FAILED', 'amount must be a non-zero integer');
    const wallet = accounts.wallet(input.userId);
    const other = accounts.adjustments();
    const [debit, credit] = input.amount > 0 ? [other, wallet] : [wallet, other];
    const result = await this.run(shardOf(input.key, this.d.options.shards), [
      { op: 'post', key: input.key, debit, credit, amount: Math.abs(input.amount), kind: 'adjustment', metadata: { reason: input.reason, adminId: input.adminId } },
    ]);
    this.notify([input.userId]);
    return result;
  }

  async balance(userId: string): Promise<WalletBalance & { flagged: string | null }> {
    return (await this.balances([userId])).get(userId)!;
  }

  /** Several users' balances in one read (a paid message changes the payer's wallet and the payee's earnings). */
  async balances(userIds: string[]): Promise<Map<string, WalletBalance & { flagged: string | null }>> {
    const codes = userIds.flatMap((id) => [accounts.wallet(id), accounts.debt(id), accounts.earnings(id)]);
    const rows = new Map((await this.d.store.accountsByCodes(codes)).map((r) => [r.code, r]));
    return new Map(
      userIds.map((id) => {
        const wallet = rows.get(accounts.wallet(id));
        const debt = rows.get(accounts.debt(id));
        const earnings = rows.get(accounts.earnings(id));
        return [
          id,
          {
            available: wallet ? wallet.posted - wallet.pending_debits : 0,
            held: wallet?.pending_debits ?? 0,
            debt: debt ? Math.max(0, -debt.posted) : 0,
            earnings: earnings?.posted ?? 0,
            flagged: wallet?.flagged_reason ?? null,
          },
        ];
      }),
    );
  }

  async transactions(userId: string, beforeId: number | null, limit: number): Promise<TransferRow[]> {
    return this.d.store.transfersOf(accounts.wallet(userId), beforeId, limit);
  }

  /** Transfers touching an account (by code, or a user's wallet), of a kind, with a key prefix: newest first, before a cursor. */
  async searchTransfers(f: { account?: string; userId?: string; kind?: string; keyPrefix?: string; beforeId: number | null; limit: number }): Promise<TransferRow[]> {
    return this.d.store.searchTransfers({
      accountCode: f.account ?? (f.userId ? accounts.wallet(f.userId) : undefined),
      kind: f.kind,
      keyPrefix: f.keyPrefix,
      beforeId: f.beforeId,
      limit: f.limit,
    });
  }

  /** Checks every chain link and balance (see verifyLedger). */
  verify(): Promise<VerifyReport> {
    return verifyLedger(this.d.store);
  }

  async account(code: string): Promise<AccountRow | undefined> {
    return this.d.store.account(code);
  }

  /** Voids holds past their expiry. Returns how many it voided. */
  async expireHolds(batch = 500): Promise<number> {
    let voided = 0;
    for (const h of await this.d.store.expiredHolds(batch)) {
      try {
        const r = await this.run(h.shard, [{ op: 'void_hold', key: `${h.key}:expired`, hold: h.key, amount: h.amount, kind: 'hold_expired' }]);
        if (!r.replayed) voided++;
      } catch (err) {
        // Posted or voided by someone else meanwhile: nothing to expire.
        if (err instanceof AppError && err.code === 'HOLD_NOT_PENDING') continue;
        throw err;
      }
    }
    return voided;
  }

  /**
   * Pushes fresh balances to every device of these users (after the commit that changed them).
   * Coalesced like the writes: users named while a read is under way are read together in the next one,
   * so a batch of spends costs one balance query, not one per spend. Each read starts after the call
   * that named the user, so the balance pushed is at least as new as that commit.
   */
  notify(userIds: string[]): void {
    for (const id of userIds) this.notifyQueue.add(id);
    if (!this.notifying && this.notifyQueue.size > 0) this.pushBalances();
  }

  private pushBalances(): void {
    const ids = [...this.notifyQueue];
    this.notifyQueue.clear();
    this.notifying = true;
    this.balances(ids)
      .then((all) => {
        for (const [userId, { flagged: _f, ...b }] of all) this.d.realtime.toUser(userId, 'wallet:updated', b);
      })
      .catch((err) => this.d.logger.warn({ err, userIds: ids }, 'wallet push failed'))
      .finally(() => {
        this.notifying = false;
        if (this.notifyQueue.size > 0) this.pushBalances();
      });
  }

  /** Standalone operation: through the group commit when it is on, else one statement of its own. */
  private async run(shard: number, legs: Leg[], q?: Queryable): Promise<OperationResult> {
    if (q) return this.applyIn(q, shard, legs);
    if (this.batcher) return this.batcher.submit(shard, legs);
    return this.single(shard, legs);
  }

  /** One operation, one statement, retried when a concurrent twin or a deadlock got in the way. */
  private async single(shard: number, legs: Leg[]): Promise<OperationResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.d.store.apply(shard, legs);
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
        throw toLedgerError(err);
      }
    }
  }

  /** Inside a caller's transaction a failure aborts it; the caller's transaction runner decides on retries. */
  private async applyIn(q: Queryable, shard: number, legs: Leg[]): Promise<OperationResult> {
    try {
      return await this.d.store.apply(shard, legs, q);
    } catch (err) {
      throw toLedgerError(err);
    }
  }

  /** The last scheduled verification (job ledger.verify): passed or not, and its age; undefined before the first. */
  lastVerification() {
    return this.d.store.lastVerification();
  }
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new AppError('VALIDATION_FAILED', 'amount must be a positive integer');
}
