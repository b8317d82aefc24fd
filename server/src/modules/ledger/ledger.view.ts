import type { AdminTransferView } from '../../../../shared/admin.js';
import type { WalletTransaction } from '../../../../shared/payments.js';
import type { TransferRow } from './ledger.store.js';

/** A transfer as its owner sees it: signed from the point of view of one account. */
export function toTransferView(t: TransferRow, ownAccount: string): WalletTransaction {
  const direction = t.credit === ownAccount ? 'in' : 'out';
  return {
    id: t.id,
    kind: t.kind,
    state: t.state,
    amount: direction === 'in' ? t.amount : -t.amount,
    direction,
    counterparty: direction === 'in' ? t.debit : t.credit,
    key: t.idempotency_key,
    metadata: t.metadata,
    createdAt: t.created_at.toISOString(),
    expiresAt: t.expires_at?.toISOString() ?? null,
  };
}

/** A transfer as an admin sees it: both accounts. */
export function toAdminTransferView(t: TransferRow): AdminTransferView {
  return {
    id: t.id,
    key: t.idempotency_key,
    debit: t.debit,
    credit: t.credit,
    amount: t.amount,
    kind: t.kind,
    state: t.state,
    pendingId: t.pending_id,
    metadata: t.metadata,
    createdAt: t.created_at.toISOString(),
    expiresAt: t.expires_at?.toISOString() ?? null,
  };
}
