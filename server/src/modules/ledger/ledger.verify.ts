import type { LedgerStore } from './ledger.store.js';

export interface VerifyReport {
  ok: boolean;
  checkedAt: string;
  /** Transfers whose stored hash or chain link is wrong: edited, inserted or removed behind the ledger's back. */
  brokenTransfers: { id: number; shard: number; seq: number; problem: string }[];
  brokenChains: { shard: number; problem: string }[];
  /** Accounts whose stored balances differ from the sum of their transfers. */
  balanceMismatches: { id: number; code: string; posted: number; expectedPosted: number; pendingDebits: number; expectedPendingDebits: number }[];
  /** Sum of all posted balances; anything but 0 means credits were created or destroyed. */
  totalPosted: number;
}

export async function verifyLedger(store: LedgerStore): Promise<VerifyReport> {
  const [brokenTransfers, brokenChains, mismatches, totalPosted] = await Promise.all([
    store.brokenChainLinks(),
    store.chainHeadMismatches(),
    store.balanceMismatches(),
    store.totalPosted(),
  ]);
  const balanceMismatches = mismatches.map((m) => ({
    id: m.id,
    code: m.code,
    posted: m.posted,
    expectedPosted: m.expected_posted,
    pendingDebits: m.pending_debits,
    expectedPendingDebits: m.expected_pending_debits,
  }));
  return {
    ok: brokenTransfers.length === 0 && brokenChains.length === 0 && balanceMismatches.length === 0 && totalPosted === 0,
    checkedAt: new Date().toISOString(),
    brokenTransfers,
    brokenChains,
    balanceMismatches,
    totalPosted,
  };
}
