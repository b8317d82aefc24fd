import type { LedgerVerifyReport } from '../../../../shared/admin.js';
import type { LedgerStore } from './ledger.store.js';

/** The report's shape is a contract with the admin pages (shared/admin.ts). */
export type VerifyReport = LedgerVerifyReport;

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
