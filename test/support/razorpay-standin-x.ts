/**
 * RazorpayX (contacts, fund accounts, payouts) in the LOCAL STAND-IN for the Razorpay API
 * (razorpay-standin.ts). It is not RazorpayX; it keeps the subset Pairly's payouts use, shaped as the
 * documented REST API:
 *
 * POST /v1/contacts, POST /v1/fund_accounts (account_type bank_account or vpa), POST /v1/payouts
 * (account_number, fund_account_id, amount, currency INR, mode, purpose; `X-Payout-Idempotency`
 * required: the same key answers the same payout, another body under it is refused), GET /v1/payouts/:id.
 * A new payout is `processing`. Controls: processPayout (`payout.processed`), failPayout (`payout.failed`),
 * reversePayout (`payout.reversed`), each a signed delivery for the test to POST.
 */

export interface StandinRazorpayXPayout {
  id: string;
  entity: 'payout';
  fund_account_id: string;
  amount: number;
  currency: string;
  notes: Record<string, string | number> | [];
  fees: number;
  tax: number;
  status: 'queued' | 'pending' | 'processing' | 'processed' | 'reversed' | 'cancelled' | 'rejected' | 'failed';
  purpose: string;
  utr: string | null;
  mode: string;
  reference_id: string | null;
  narration: string | null;
  failure_reason: string | null;
  status_details: { reason: string | null; description: string | null; source: string | null } | null;
  created_at: number;
}

export interface RazorpayXControls {
  processPayout(id: string): XDelivery;
  failPayout(id: string, reason?: string): XDelivery;
  reversePayout(id: string, reason?: string): XDelivery;
  xPayout(id: string): StandinRazorpayXPayout | undefined;
  xPayouts(): StandinRazorpayXPayout[];
  fundAccount(id: string): { id: string; contact_id: string; account_type: string } | undefined;
}

type XDelivery = { payload: string; headers: Record<string, string>; eventId: string; event: unknown };

export interface XDeps {
  accountNumber: string;
  badRequest(description: string, field?: string): Error;
  noSuchId(): Error;
  deliver(event: string, payload: Record<string, { entity: unknown }>): XDelivery;
  newId(prefix: string): string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const now = () => Math.floor(Date.now() / 1000);

export function createRazorpayX(deps: XDeps) {
  const contacts = new Map<string, { id: string; entity: 'contact'; name: string; type: string | null; reference_id: string | null; notes: unknown; active: true; created_at: number }>();
  const fundAccounts = new Map<string, { id: string; entity: 'fund_account'; contact_id: string; account_type: string; bank_account?: unknown; vpa?: unknown; active: true; created_at: number }>();
  const payouts = new Map<string, StandinRazorpayXPayout>();
  const byKey = new Map<string, { body: string; payoutId: string }>();

  function parse(body: string): Record<string, unknown> {
    let v: unknown;
    try {
      v = body === '' ? {} : JSON.parse(body);
    } catch {
      throw deps.badRequest('The request body is not valid JSON');
    }
    if (!isObj(v)) throw deps.badRequest('The request body should be a JSON object');
    return v;
  }

  /** Undefined when the path is not RazorpayX's. */
  function route(method: string, path: string, body: string, headers: Record<string, string | string[] | undefined>): unknown {
    if (path === '/v1/contacts' && method === 'POST') {
      const b = parse(body);
      if (typeof b.name !== 'string' || b.name.length < 3) throw deps.badRequest('The name field is required.', 'name');
      const c = { id: deps.newId('cont'), entity: 'contact' as const, name: b.name, type: typeof b.type === 'string' ? b.type : null, reference_id: typeof b.reference_id === 'string' ? b.reference_id : null, notes: b.notes ?? [], active: true as const, created_at: now() };
      contacts.set(c.id, c);
      return c;
    }
    if (path === '/v1/fund_accounts' && method === 'POST') {
      const b = parse(body);
      if (typeof b.contact_id !== 'string' || !contacts.has(b.contact_id)) throw deps.badRequest('The contact id provided does not exist', 'contact_id');
      const fa = { id: deps.newId('fa'), entity: 'fund_account' as const, contact_id: b.contact_id, account_type: String(b.account_type), active: true as const, created_at: now() } as {
        id: string; entity: 'fund_account'; contact_id: string; account_type: string; bank_account?: unknown; vpa?: unknown; active: true; created_at: number;
      };
      if (b.account_type === 'bank_account') {
        const ba = b.bank_account;
        if (!isObj(ba) || typeof ba.ifsc !== 'string' || !/^[A-Z]{4}0[A-Z0-9]{6}$/.test(ba.ifsc)) throw deps.badRequest('The ifsc must be 11 characters.', 'ifsc');
        if (typeof ba.account_number !== 'string' || !/^\d{5,35}$/.test(ba.account_number)) throw deps.badRequest('The account number format is invalid.', 'account_number');
        fa.bank_account = { ifsc: ba.ifsc, bank_name: 'Stand-in Bank', name: ba.name, account_number: ba.account_number };
      } else if (b.account_type === 'vpa') {
        const vpa = b.vpa;
        if (!isObj(vpa) || typeof vpa.address !== 'string' || !vpa.address.includes('@')) throw deps.badRequest('Invalid VPA. Please enter a valid Virtual Payment Address', 'address');
        fa.vpa = { username: vpa.address.split('@')[0], handle: vpa.address.split('@')[1], address: vpa.address };
      } else throw deps.badRequest('The selected account type is invalid.', 'account_type');
      fundAccounts.set(fa.id, fa);
      return fa;
    }
    if (path === '/v1/payouts' && method === 'POST') {
      const rawKey = headers['x-payout-idempotency'];
      const key = Array.isArray(rawKey) ? rawKey[0] : rawKey;
      if (!key) throw deps.badRequest('X-Payout-Idempotency header is mandatory', 'X-Payout-Idempotency');
      const seen = byKey.get(key);
      if (seen) {
        if (seen.body !== body) throw deps.badRequest('Different request body sent for the same Idempotency Header', 'X-Payout-Idempotency');
        return payouts.get(seen.payoutId);
      }
      const b = parse(body);
      if (b.account_number !== deps.accountNumber) throw deps.badRequest('The account number is invalid.', 'account_number');
      if (typeof b.fund_account_id !== 'string' || !fundAccounts.has(b.fund_account_id)) throw deps.badRequest('The fund account id provided does not exist', 'fund_account_id');
      if (typeof b.amount !== 'number' || !Number.isInteger(b.amount) || b.amount < 100) throw deps.badRequest('The amount must be at least 100.', 'amount');
      if (b.currency !== 'INR') throw deps.badRequest('The currency must be INR.', 'currency');
      if (typeof b.mode !== 'string' || !['IMPS', 'NEFT', 'RTGS', 'UPI'].includes(b.mode)) throw deps.badRequest('The mode is invalid.', 'mode');
      if (typeof b.purpose !== 'string') throw deps.badRequest('The purpose field is required.', 'purpose');
      const p: StandinRazorpayXPayout = {
        id: deps.newId('pout'),
        entity: 'payout',
        fund_account_id: b.fund_account_id,
        amount: b.amount,
        currency: 'INR',
        notes: isObj(b.notes) ? (b.notes as Record<string, string>) : [],
        fees: 590,
        tax: 90,
        status: 'processing',
        purpose: b.purpose,
        utr: null,
        mode: b.mode,
        reference_id: typeof b.reference_id === 'string' ? b.reference_id : null,
        narration: typeof b.narration === 'string' ? b.narration : null,
        failure_reason: null,
        status_details: null,
        created_at: now(),
      };
      payouts.set(p.id, p);
      byKey.set(key, { body, payoutId: p.id });
      return p;
    }
    const m = /^\/v1\/payouts\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const p = payouts.get(decodeURIComponent(m[1]!));
      if (!p) throw deps.noSuchId();
      return p;
    }
    return undefined;
  }

  const must = (id: string) => {
    const p = payouts.get(id);
    if (!p) throw new Error(`razorpay stand-in: no payout ${id}`);
    return p;
  };

  const controls: RazorpayXControls = {
    processPayout(id) {
      const p = must(id);
      p.status = 'processed';
      p.utr = `UTR${Date.now()}`;
      return deps.deliver('payout.processed', { payout: { entity: structuredClone(p) } });
    },
    failPayout(id, reason = 'Beneficiary bank is offline') {
      const p = must(id);
      p.status = 'failed';
      p.failure_reason = reason;
      p.status_details = { reason: 'beneficiary_bank_offline', description: reason, source: 'beneficiary_bank' };
      return deps.deliver('payout.failed', { payout: { entity: structuredClone(p) } });
    },
    reversePayout(id, reason = 'Beneficiary account is closed') {
      const p = must(id);
      p.status = 'reversed';
      p.failure_reason = reason;
      return deps.deliver('payout.reversed', { payout: { entity: structuredClone(p) } });
    },
    xPayout: (id) => (payouts.has(id) ? structuredClone(payouts.get(id)!) : undefined),
    xPayouts: () => [...payouts.values()].map((p) => structuredClone(p)),
    fundAccount: (id) => (fundAccounts.has(id) ? structuredClone(fundAccounts.get(id)!) : undefined),
  };
  return { route, controls };
}
