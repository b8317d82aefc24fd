import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalid, newId, notFound, nowSeconds, parseInteger, parseMetadata, parseStripeForm, StripeHttpError, type FormObject, type FormValue } from './stripe-standin-form.js';
import type { StripeStandinEvent, StripeWebhookDelivery } from './stripe-standin.js';

/**
 * Stripe Connect (Express accounts, transfers, payouts) in the LOCAL STAND-IN for the Stripe API
 * (stripe-standin.ts). It is not Stripe; it keeps the subset Pairly's payouts use, shaped as Stripe's:
 *
 * API: POST /v1/accounts (type=express), GET /v1/accounts/:id, POST /v1/account_links
 * (type=account_onboarding), POST /v1/transfers (to a connected account, from the platform's balance),
 * GET /v1/transfers (transfer_group), POST /v1/transfers/:id/reversals,
 * POST /v1/payouts with a `Stripe-Account` header (from the connected account's balance to its bank;
 * refused until the account's payouts are enabled), GET /v1/payouts/:id (same header).
 *
 * The onboarding page: an account link's `url` is `<stand-in>/connect/onboard/<acct>`, a plain HTML page
 * (no API key, as Stripe's) with a "Finish onboarding" button. Submitting it enables payouts on the
 * account, sends the browser to the link's return_url (303) and POSTs a signed `account.updated` to the
 * Connect webhook endpoint (connectWebhookEndpoint), as Stripe does.
 *
 * Controls (return the signed delivery for the test to POST; connected-account events carry `account`):
 * completeOnboarding, payPayout (`payout.paid`), failPayout (`payout.failed`), reverseTransfer (`transfer.reversed`).
 */

export interface StandinAccount {
  id: string;
  object: 'account';
  type: 'express';
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  metadata: Record<string, string>;
  created: number;
}

export interface StandinTransfer {
  id: string;
  object: 'transfer';
  amount: number;
  amount_reversed: number;
  currency: string;
  destination: string;
  transfer_group: string | null;
  reversed: boolean;
  metadata: Record<string, string>;
  created: number;
}

export interface StandinPayout {
  id: string;
  object: 'payout';
  amount: number;
  currency: string;
  status: 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';
  failure_code: string | null;
  failure_message: string | null;
  arrival_date: number;
  metadata: Record<string, string>;
  created: number;
}

export interface ConnectControls {
  /** The creator finished onboarding: payouts enabled; `account.updated`. */
  completeOnboarding(accountId: string): StripeWebhookDelivery<StandinAccount>;
  /** The bank received it: `payout.paid` on the connected account. */
  payPayout(payoutId: string): StripeWebhookDelivery<StandinPayout>;
  /** The bank refused it: `payout.failed` on the connected account. */
  failPayout(payoutId: string, code?: string): StripeWebhookDelivery<StandinPayout>;
  /** The platform took a transfer back: `transfer.reversed`. */
  reverseTransfer(transferId: string): StripeWebhookDelivery<StandinTransfer>;
  account(id: string): StandinAccount | undefined;
  /** What a connected account holds now (transfers in, less payouts and reversals). */
  connectBalance(accountId: string): number;
  /** Every payout made on a connected account, with the account. */
  connectPayouts(): { account: string; payout: StandinPayout }[];
  transfers(): StandinTransfer[];
  /** Where the onboarding page's `account.updated` goes (Pairly's /api/payouts/webhooks/stripe); null: nowhere. */
  connectWebhookEndpoint(url: string | null): void;
}

interface Answer {
  status: number;
  body: unknown;
}

export interface ConnectDeps {
  base(): string;
  signPayload(payload: string): string;
}

const str = (v: FormValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export function createConnect(deps: ConnectDeps) {
  const accounts = new Map<string, StandinAccount>();
  const links = new Map<string, { returnUrl: string; refreshUrl: string }>();
  const transfers = new Map<string, StandinTransfer>();
  const payouts = new Map<string, { account: string; payout: StandinPayout }>();
  /** What each connected account holds (transfers in, payouts out), by currency. */
  const balances = new Map<string, number>();
  let endpoint: string | null = null;

  const mustAccount = (id: string) => {
    const a = accounts.get(id);
    if (!a) throw notFound('account', 'account', id);
    return a;
  };

  function event<T>(type: string, object: T, account?: string): StripeWebhookDelivery<T> {
    const e: StripeStandinEvent<T> & { account?: string } = {
      id: newId('evt'),
      object: 'event',
      api_version: '2025-01-27.acacia',
      created: nowSeconds(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
      ...(account ? { account } : {}),
    };
    const payload = JSON.stringify(e, null, 2);
    return { event: e, payload, headers: { 'stripe-signature': deps.signPayload(payload), 'content-type': 'application/json' } };
  }

  function route(method: string, path: string, params: FormObject, stripeAccount: string | null): Answer | undefined {
    if (path === '/v1/accounts' && method === 'POST') {
      if (str(params.type) !== 'express') throw invalid('The stand-in creates Express accounts only: type=express.', 'type');
      const a: StandinAccount = {
        id: newId('acct').slice(0, 21),
        object: 'account',
        type: 'express',
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        metadata: parseMetadata(params.metadata),
        created: nowSeconds(),
      };
      accounts.set(a.id, a);
      return { status: 200, body: a };
    }
    let m: RegExpExecArray | null = /^\/v1\/accounts\/([^/]+)$/.exec(path);
    if (m && method === 'GET') return { status: 200, body: mustAccount(decodeURIComponent(m[1]!)) };
    if (path === '/v1/account_links' && method === 'POST') {
      const account = str(params.account);
      if (!account) throw invalid('Missing required param: account.', 'account', 'parameter_missing');
      mustAccount(account);
      if (str(params.type) !== 'account_onboarding') throw invalid('Invalid type: must be account_onboarding.', 'type');
      const returnUrl = str(params.return_url);
      const refreshUrl = str(params.refresh_url);
      if (!returnUrl || !refreshUrl) throw invalid('Missing required param: return_url and refresh_url.', returnUrl ? 'refresh_url' : 'return_url', 'parameter_missing');
      links.set(account, { returnUrl, refreshUrl });
      return { status: 200, body: { object: 'account_link', url: `${deps.base()}/connect/onboard/${account}`, created: nowSeconds(), expires_at: nowSeconds() + 300 } };
    }
    if (path === '/v1/transfers' && method === 'POST') {
      const amount = parseInteger(params.amount, 'amount', true)!;
      const currency = str(params.currency);
      const destination = str(params.destination);
      if (!currency) throw invalid('Missing required param: currency.', 'currency', 'parameter_missing');
      if (!destination || !accounts.has(destination)) throw invalid(`No such destination: '${destination ?? ''}'`, 'destination', 'resource_missing');
      if (amount < 1) throw invalid('Invalid positive integer', 'amount');
      const t: StandinTransfer = {
        id: newId('tr'),
        object: 'transfer',
        amount,
        amount_reversed: 0,
        currency,
        destination,
        transfer_group: str(params.transfer_group) ?? null,
        reversed: false,
        metadata: parseMetadata(params.metadata),
        created: nowSeconds(),
      };
      transfers.set(t.id, t);
      balances.set(destination, (balances.get(destination) ?? 0) + amount);
      return { status: 200, body: t };
    }
    if (path === '/v1/transfers' && method === 'GET') {
      const group = str(params.transfer_group);
      const data = [...transfers.values()].filter((t) => group === undefined || t.transfer_group === group).sort((a, b) => b.created - a.created);
      return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/transfers' } };
    }
    m = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(path);
    if (m && method === 'POST') {
      const t = transfers.get(decodeURIComponent(m[1]!));
      if (!t) throw notFound('transfer', 'id', decodeURIComponent(m[1]!));
      const amount = parseInteger(params.amount, 'amount', false) ?? t.amount - t.amount_reversed;
      if (amount < 1 || amount > t.amount - t.amount_reversed) throw invalid(`Amount must be no more than ${t.amount - t.amount_reversed}`, 'amount');
      t.amount_reversed += amount;
      t.reversed = t.amount_reversed === t.amount;
      // The connected account's balance may go below zero, as Stripe's may after a reversal.
      balances.set(t.destination, (balances.get(t.destination) ?? 0) - amount);
      return { status: 200, body: { id: newId('trr'), object: 'transfer_reversal', amount, currency: t.currency, transfer: t.id, metadata: parseMetadata(params.metadata), created: nowSeconds() } };
    }
    if (path === '/v1/payouts' && method === 'POST') {
      if (!stripeAccount) throw invalid('The stand-in makes payouts on connected accounts only: send the Stripe-Account header.');
      const a = mustAccount(stripeAccount);
      const amount = parseInteger(params.amount, 'amount', true)!;
      const currency = str(params.currency);
      if (!currency) throw invalid('Missing required param: currency.', 'currency', 'parameter_missing');
      if (!a.payouts_enabled) throw invalid('Payouts are not enabled on this account: it has not finished onboarding.', undefined, 'payouts_not_allowed');
      if ((balances.get(a.id) ?? 0) < amount) throw invalid('You have insufficient funds in your Stripe account for this transfer.', 'amount', 'balance_insufficient');
      balances.set(a.id, (balances.get(a.id) ?? 0) - amount);
      const p: StandinPayout = {
        id: newId('po'),
        object: 'payout',
        amount,
        currency,
        status: 'pending',
        failure_code: null,
        failure_message: null,
        arrival_date: nowSeconds() + 86_400,
        metadata: parseMetadata(params.metadata),
        created: nowSeconds(),
      };
      payouts.set(p.id, { account: a.id, payout: p });
      return { status: 200, body: p };
    }
    m = /^\/v1\/payouts\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const p = payouts.get(decodeURIComponent(m[1]!));
      if (!p || p.account !== stripeAccount) throw notFound('payout', 'id', decodeURIComponent(m[1]!));
      return { status: 200, body: p.payout };
    }
    return undefined;
  }

  function html(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<link rel="icon" href="data:,"><title>Stripe Express onboarding</title></head><body><main>` +
        `<p>Stripe Connect onboarding: a local stand-in for tests, not Stripe.</p>${body}</main></body></html>`,
    );
  }

  /** The onboarding page; true when the path was its. */
  async function onboardingPage(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<boolean> {
    const m = /^\/connect\/onboard\/([^/]+)$/.exec(path);
    if (!m) return false;
    const id = decodeURIComponent(m[1]!);
    const a = accounts.get(id);
    const link = links.get(id);
    if (!a || !link) {
      html(res, 404, '<h1>This link has expired.</h1>');
      return true;
    }
    if (req.method === 'POST' && parseStripeForm(body).action === 'finish') {
      const d = controls.completeOnboarding(id);
      if (endpoint) await fetch(endpoint, { method: 'POST', headers: d.headers, body: d.payload }).then((r) => r.arrayBuffer()).catch(() => undefined);
      res.writeHead(303, { location: link.returnUrl });
      res.end();
      return true;
    }
    html(res, 200, `<h1>Get paid by Pairly</h1><p>Account ${id}</p><form method="post"><button name="action" value="finish">Finish onboarding</button></form><p><a href="${link.refreshUrl}">Back</a></p>`);
    return true;
  }

  const controls: ConnectControls = {
    completeOnboarding(id) {
      const a = mustAccount(id);
      a.details_submitted = true;
      a.payouts_enabled = true;
      a.charges_enabled = true;
      return event('account.updated', a, a.id);
    },
    payPayout(id) {
      const p = payouts.get(id);
      if (!p) throw new Error(`stripe stand-in: no payout ${id}`);
      p.payout.status = 'paid';
      return event('payout.paid', p.payout, p.account);
    },
    failPayout(id, code = 'account_closed') {
      const p = payouts.get(id);
      if (!p) throw new Error(`stripe stand-in: no payout ${id}`);
      p.payout.status = 'failed';
      p.payout.failure_code = code;
      p.payout.failure_message = 'The bank account has been closed.';
      // The money comes back to the connected account's balance, as Stripe does.
      balances.set(p.account, (balances.get(p.account) ?? 0) + p.payout.amount);
      return event('payout.failed', p.payout, p.account);
    },
    reverseTransfer(id) {
      const t = transfers.get(id);
      if (!t) throw new Error(`stripe stand-in: no transfer ${id}`);
      t.amount_reversed = t.amount;
      t.reversed = true;
      balances.set(t.destination, (balances.get(t.destination) ?? 0) - t.amount);
      return event('transfer.reversed', t);
    },
    account: (id) => (accounts.has(id) ? structuredClone(accounts.get(id)!) : undefined),
    connectBalance: (id) => balances.get(id) ?? 0,
    connectPayouts: () => [...payouts.values()].map((p) => structuredClone(p)),
    transfers: () => [...transfers.values()].map((t) => structuredClone(t)),
    connectWebhookEndpoint(url) {
      endpoint = url;
    },
  };

  return { route, onboardingPage, controls };
}

export { StripeHttpError };
