import { createHash } from 'node:crypto';
import type Razorpay from 'razorpay';
import type { RazorpayMethodBody } from '../../../../../shared/payouts.js';
import type { Breaker } from '../../../breaker.js';
import { AppError } from '../../../errors.js';
import { requirePackage } from '../../../lazy.js';
import { header } from '../../payments/providers/provider.js';
import { PayoutRefused, type PayoutDriver, type PayoutSignal, type SendResult } from './payout-provider.js';

const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const API = 'https://api.razorpay.com';

interface RzpxPayout {
  id: string;
  status: string;
  reference_id: string | null;
  notes?: Record<string, string> | [];
  failure_reason?: string | null;
  status_details?: { description?: string | null } | null;
}

/** Answered by RazorpayX, or not: what the breaker counts and what a job retries. */
export class RazorpayXError extends Error {
  constructor(
    readonly statusCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function razorpayXOutage(err: unknown): boolean {
  if (err instanceof PayoutRefused) return false;
  const status = (err as { statusCode?: unknown })?.statusCode;
  return typeof status !== 'number' || status >= 500 || status === 429;
}

function payoutStatus(s: string): SendResult['status'] | 'reversed' {
  if (s === 'processed') return 'paid';
  if (s === 'reversed') return 'reversed';
  if (s === 'failed' || s === 'rejected' || s === 'cancelled') return 'failed';
  return 'processing'; // queued, pending, processing
}

const notePayoutId = (p: RzpxPayout) => (p.notes && !Array.isArray(p.notes) ? p.notes.payoutId : undefined) ?? p.reference_id ?? undefined;

export interface RazorpayX extends PayoutDriver {
  /** A contact for the creator and a fund account (bank account or VPA) under it. */
  addFundAccount(creatorId: string, body: RazorpayMethodBody): Promise<{ contactRef: string; accountRef: string; details: Record<string, string> }>;
}

/**
 * RazorpayX through its documented REST API (the `razorpay` SDK covers payments, not X): /v1/contacts,
 * /v1/fund_accounts, /v1/payouts with `X-Payout-Idempotency` (the payout's id), Basic auth with the same
 * key id and secret. Webhooks are signed like payments' (hex HMAC-SHA256 of the body, checked with the
 * SDK's validateWebhookSignature): payout.processed, payout.failed, payout.reversed (and the steps on the way).
 */
export function createRazorpayX(opts: {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  apiBase?: string;
  accountNumber: string;
  minorPerCredit: number;
  timeoutMs?: number;
  breaker?: Breaker;
}): RazorpayX {
  // Razorpay's SDK only for its webhook signature check (RazorpayX's API is called directly).
  const { validateWebhookSignature } = requirePackage<typeof Razorpay>('razorpay');
  const base = (opts.apiBase ?? API).replace(/\/+$/, '');
  const auth = `Basic ${Buffer.from(`${opts.keyId}:${opts.keySecret}`).toString('base64')}`;
  const guard = <T>(fn: () => Promise<T>): Promise<T> => (opts.breaker ? opts.breaker.run(fn) : fn());

  async function post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    return guard(async () => {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
        });
      } catch (err) {
        throw new RazorpayXError(undefined, `RazorpayX did not answer: ${(err as Error).message}`);
      }
      const json = (await res.json().catch(() => ({}))) as T & { error?: { description?: string } };
      if (res.status >= 500 || res.status === 429) throw new RazorpayXError(res.status, json.error?.description ?? `RazorpayX answered ${res.status}`);
      if (res.status >= 400) throw new PayoutRefused(`RazorpayX refused: ${json.error?.description ?? res.status}`);
      return json;
    });
  }

  return {
    name: 'razorpay',
    currency: 'inr',
    minorPerCredit: opts.minorPerCredit,
    breaker: opts.breaker,

    async addFundAccount(creatorId, body) {
      try {
        const contact = await post<{ id: string }>('/v1/contacts', { name: body.name, type: 'vendor', reference_id: creatorId, notes: { creatorId } });
        const fund =
          body.type === 'vpa'
            ? await post<{ id: string }>('/v1/fund_accounts', { contact_id: contact.id, account_type: 'vpa', vpa: { address: body.vpa } })
            : await post<{ id: string }>('/v1/fund_accounts', {
                contact_id: contact.id,
                account_type: 'bank_account',
                bank_account: { name: body.name, ifsc: body.ifsc, account_number: body.accountNumber },
              });
        const details: Record<string, string> = body.type === 'vpa' ? { vpa: body.vpa } : { bank: `…${body.accountNumber.slice(-4)}`, ifsc: body.ifsc };
        return { contactRef: contact.id, accountRef: fund.id, details };
      } catch (err) {
        if (err instanceof PayoutRefused) throw new AppError('VALIDATION_FAILED', err.reason);
        throw err;
      }
    },

    async send(req) {
      const p = await post<RzpxPayout>(
        '/v1/payouts',
        {
          account_number: opts.accountNumber,
          fund_account_id: req.accountRef,
          amount: req.amountMinor,
          currency: req.currency.toUpperCase(),
          mode: req.details.vpa ? 'UPI' : 'IMPS',
          purpose: 'payout',
          queue_if_low_balance: true,
          reference_id: req.payoutId,
          narration: 'Pairly payout',
          notes: { payoutId: req.payoutId },
        },
        { 'X-Payout-Idempotency': req.payoutId },
      );
      const status = payoutStatus(p.status);
      return { ref: p.id, status: status === 'reversed' ? 'failed' : status, reason: p.failure_reason ?? p.status_details?.description ?? undefined };
    },

    verifyWebhook(raw, headers) {
      const signature = header(headers, 'x-razorpay-signature');
      const eventId = header(headers, 'x-razorpay-event-id');
      if (!signature || !eventId) throw new AppError('INVALID_SIGNATURE', 'missing X-Razorpay-Signature or X-Razorpay-Event-Id');
      if (!EVENT_ID.test(eventId)) throw new AppError('VALIDATION_FAILED', 'X-Razorpay-Event-Id is not a Razorpay event id');
      let ok = false;
      try {
        ok = validateWebhookSignature(raw.toString('utf8'), signature, opts.webhookSecret);
      } catch {
        ok = false;
      }
      if (!ok) throw new AppError('INVALID_SIGNATURE', 'RazorpayX signature verification failed');
      let body: { event?: unknown };
      try {
        body = JSON.parse(raw.toString('utf8')) as { event?: unknown };
      } catch {
        throw new AppError('INVALID_JSON', 'webhook body is not JSON');
      }
      // Keyed on what the signature covers (the event id header is not signed), as payments does.
      return { id: `sha256:${createHash('sha256').update(raw).digest('hex')}`, type: String(body.event ?? ''), payload: body };
    },

    interpret(e): PayoutSignal {
      const body = e.payload as { event?: string; payload?: { payout?: { entity?: RzpxPayout } } };
      const p = body.payload?.payout?.entity;
      if (!p || typeof p.id !== 'string' || !body.event?.startsWith('payout.')) return { kind: 'ignored' };
      const status = payoutStatus(p.status);
      return { kind: 'payout', payoutId: notePayoutId(p), ref: p.id, status, reason: p.failure_reason ?? p.status_details?.description ?? undefined };
    },
  };
}
