import type { Queryable } from '../../db/database.js';
import { accounts, shardOf } from './accounts.js';
import type { ClawbackStore, PaidSpend } from './clawback.store.js';
import type { ApplyResult, Leg, LedgerStore } from './ledger.store.js';

/**
 * Clawback attribution (issue #13). A refund or chargeback of credits the fan already spent leaves a debt
 * (LedgerService.reversePurchase). Those credits paid for the wallet's spends since the purchase; we take
 * them to be the most recent ones (newest first, up to the debt), and take back each creator's share of
 * the part of the spend the debt covers:
 *
 *   earnings:<creator> ──clawback──▶ debt:<fan>
 *
 * The creator's share returns to the fan's debt account, so the fan owes only what was not recovered
 * (the platform's fee, and any share a creator no longer holds); a later purchase settles that rest.
 * Nothing is created or lost: it is one more balanced transfer. A spend is never covered twice: each
 * clawback records the gross it covered (`covered`), and later refunds skip what is covered already.
 * Shares round with cumulative floors, so a spend covered in full returns exactly its share.
 */
export function planClawback(input: { key: string; fanId: string; debt: number; debtAccount: string; earningsAccount: (userId: string) => string }, spends: PaidSpend[], state: ClawState): number {
  let remaining = input.debt;
  for (const s of spends) {
    if (remaining <= 0) break;
    const uncovered = s.gross - s.covered;
    if (uncovered <= 0 || s.gross <= 0) continue;
    const covered = Math.min(uncovered, remaining);
    remaining -= covered;
    let claw = Math.floor((s.share * (s.covered + covered)) / s.gross) - Math.floor((s.share * s.covered) / s.gross);
    // An earnings account cannot go negative: what the creator no longer holds stays the fan's debt.
    const balance = state.balances.get(s.creator_id) ?? s.earnings_balance;
    claw = Math.min(claw, balance);
    if (claw <= 0) continue;
    state.balances.set(s.creator_id, balance - claw);
    state.legs.push({
      op: 'post',
      key: `${input.key}:claw:${s.id}`,
      debit: input.earningsAccount(s.creator_id),
      credit: input.debtAccount,
      amount: claw,
      kind: 'clawback',
      metadata: { spendId: String(s.id), spendKey: s.key, spendKind: s.kind, covered, fanId: input.fanId },
    });
    state.creators.add(s.creator_id);
  }
  return remaining;
}

/** What a clawback has planned so far across pages of spends. */
export interface ClawState {
  legs: Leg[];
  balances: Map<string, number>;
  creators: Set<string>;
}

const PAGE = 200;

/**
 * Claws back, in the caller's (the refund's) transaction: one ledger operation holding every leg,
 * keyed `<reversal key>:claw:<spend id>`, on the reversal key's chain shard. Runs once per reversal:
 * reversePurchase reports a replay (debt 0) for a reversal already applied, with its clawback.
 */
export async function clawback(
  d: { claws: ClawbackStore; ledger: LedgerStore; shards: number; apply: (shard: number, legs: Leg[]) => Promise<ApplyResult> },
  input: { key: string; purchaseKey: string; userId: string; debt: number },
  q: Queryable,
): Promise<{ clawed: number; unattributed: number; creators: string[] }> {
  if (input.debt <= 0) return { clawed: 0, unattributed: 0, creators: [] };
  // Spends before the purchase could not have used its credits.
  const purchase = await d.ledger.transferByKey(input.purchaseKey, q);
  const state: ClawState = { legs: [], balances: new Map(), creators: new Set() };
  const plan = { key: input.key, fanId: input.userId, debtAccount: accounts.debt(input.userId), earningsAccount: accounts.earnings };
  let remaining = input.debt;
  for (let before: number | null = null; remaining > 0; ) {
    const page = await d.claws.paidSpends(q, accounts.wallet(input.userId), purchase?.id ?? 0, before, PAGE);
    remaining = planClawback({ ...plan, debt: remaining }, page, state);
    if (page.length < PAGE) break;
    before = page.at(-1)!.wallet_leg_id;
  }
  if (state.legs.length > 0) await d.apply(shardOf(input.key, d.shards), state.legs);
  return { clawed: state.legs.reduce((n, l) => n + l.amount, 0), unattributed: remaining, creators: [...state.creators] };
}
