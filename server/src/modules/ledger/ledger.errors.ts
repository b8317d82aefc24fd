import { isErrorCode } from '../../../../shared/errors.js';
import { pgError } from '../../db/database.js';
import { AppError } from '../../errors.js';

/** Codes ledger_apply raises as its message, which clients may see. */
const RAISED = new Set(['INSUFFICIENT_CREDITS', 'IDEMPOTENCY_CONFLICT', 'HOLD_NOT_FOUND', 'HOLD_NOT_PENDING', 'HOLD_EXPIRED', 'HOLD_AMOUNT_EXCEEDED']);

/**
 * Whether a failed ledger operation may simply be run again: a concurrent
 * operation with the same key committed first (the retry then replays it),
 * or PostgreSQL chose us as a deadlock or serialization victim.
 */
export function isRetryable(err: unknown): boolean {
  const code = pgError(err)?.code;
  return code === '23505' || code === '40P01' || code === '40001';
}

/** Maps database failures of the money path to stable error codes; anything else is rethrown as is. */
export function toLedgerError(err: unknown): unknown {
  const e = pgError(err);
  if (!e) return err;
  if (e.code === '23514' && e.constraint === 'ledger_available_nonnegative') {
    return new AppError('INSUFFICIENT_CREDITS', 'not enough credits');
  }
  // A wallet (or earnings, debt) account is made on first use for its user: there is no such user.
  if (e.code === '23503' && e.constraint === 'ledger_accounts_user_id_fkey') {
    return new AppError('NOT_FOUND', 'no such user');
  }
  if (e.code === 'P0001' && RAISED.has(e.message) && isErrorCode(e.message)) {
    return new AppError(e.message, ledgerMessage(e.message));
  }
  return err;
}

/**
 * The error of one operation a batch refused (ledger_apply_batch's {ok: false, code}): the same
 * AppError the single path gives; codes clients never see (a malformed leg) stay plain errors, as there.
 */
export function batchRefusal(code: string, detail: string | null): Error {
  if (RAISED.has(code) && isErrorCode(code)) return new AppError(code, ledgerMessage(code));
  return new Error(detail ? `${code}: ${detail}` : code);
}

function ledgerMessage(code: string): string {
  switch (code) {
    case 'INSUFFICIENT_CREDITS':
      return 'not enough credits';
    case 'IDEMPOTENCY_CONFLICT':
      return 'this idempotency key was already used with different parameters';
    case 'HOLD_NOT_FOUND':
      return 'no such hold';
    case 'HOLD_NOT_PENDING':
      return 'the hold was already posted or voided';
    case 'HOLD_EXPIRED':
      return 'the hold has expired';
    default:
      return 'the amount exceeds the hold';
  }
}
