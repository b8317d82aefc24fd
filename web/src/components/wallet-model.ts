import type { ErrorCode } from '../../../shared/errors.js';
import type { CheckoutFlow, CreditPack, PaymentView, ProviderName, WalletTransaction } from '../../../shared/payments.js';

/**
 * The wallet's client logic, free of React and the DOM so it runs in unit
 * tests: money in words, which providers this app can take a payment
 * through, what a payment's status means, when a checkout may reuse its
 * Idempotency-Key, the checkout kept across a reload, and the ledger's
 * transfers folded into the entries a person recognises (one message, one
 * call) rather than the legs the ledger books.
 */

// ---------------------------------------------------------------- money

/** Minor units (cents, paise) in the currency's own format, e.g. 499 usd → "$4.99", 39900 inr → "₹399.00". */
export function formatMoney(amountMinor: number, currency: string, locale?: string): string {
  const code = currency.toUpperCase();
  try {
    const fmt = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
    const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
    return fmt.format(amountMinor / 10 ** digits);
  } catch {
    // A code Intl does not know: say the amount plainly rather than guess its decimals.
    return `${amountMinor} ${code} (minor units)`;
  }
}

/** "+100" / "−30" with a real minus sign, for signed credit amounts. */
export function signedCredits(amount: number, locale?: string): string {
  const n = Math.abs(amount).toLocaleString(locale);
  return amount > 0 ? `+${n}` : amount < 0 ? `\u2212${n}` : n;
}

/** Every currency some pack is sold in, in the order the catalogue first names them. */
export function currenciesOf(packs: CreditPack[]): string[] {
  const out: string[] = [];
  for (const p of packs) for (const c of Object.keys(p.prices)) if (!out.includes(c)) out.push(c);
  return out;
}

/** What the server charges when no currency is sent: inr through Razorpay, usd otherwise (payments.service.ts). */
export function defaultCurrency(provider: ProviderName | undefined, available: string[]): string | undefined {
  const preferred = provider === 'razorpay' ? 'inr' : 'usd';
  return available.includes(preferred) ? preferred : available[0];
}

// ---------------------------------------------------------------- providers

/**
 * Providers this app can complete a payment through, in the order it offers
 * them. Stripe through Stripe Checkout, its hosted page (the web app needs
 * no Stripe.js and no publishable key); Razorpay through Razorpay Checkout,
 * whose answer (`orderId` + `keyId`) is all it needs.
 */
export const WEB_PROVIDERS: readonly ProviderName[] = ['sandbox', 'stripe', 'razorpay'];

export function payableProviders(enabled: ProviderName[]): ProviderName[] {
  return WEB_PROVIDERS.filter((p) => enabled.includes(p));
}

/** The checkout flow this app asks for: Stripe's hosted page; the others take the payment in the page. */
export function webFlow(provider: ProviderName): CheckoutFlow {
  return provider === 'stripe' ? 'hosted' : 'embedded';
}

export const PROVIDER_LABEL: Record<ProviderName, string> = {
  sandbox: 'Test payment (no real money)',
  razorpay: 'Razorpay: UPI, cards, netbanking',
  stripe: 'Card (Stripe)',
};

/** Who confirms a payment, in a sentence ("Waiting for Stripe to confirm…"). */
export const PROVIDER_NAME: Record<ProviderName, string> = {
  sandbox: 'the test provider',
  razorpay: 'Razorpay',
  stripe: 'Stripe',
};

// ---------------------------------------------------------------- payments

export type Tone = 'pending' | 'ok' | 'bad' | 'neutral';

export interface StatusText {
  label: string;
  tone: Tone;
  /** No longer waiting on the provider. */
  settled: boolean;
  /** One sentence on what it means for the person. */
  explanation: string;
}

export function paymentStatus(status: string): StatusText {
  switch (status) {
    case 'creating':
      return { label: 'Starting', tone: 'pending', settled: false, explanation: 'The payment is being opened with the provider.' };
    case 'pending':
      return { label: 'Waiting for payment', tone: 'pending', settled: false, explanation: 'Nothing is charged until the provider confirms the payment.' };
    case 'succeeded':
      return { label: 'Paid', tone: 'ok', settled: true, explanation: 'The credits are in your wallet.' };
    case 'failed':
      return { label: 'Failed', tone: 'bad', settled: true, explanation: 'The payment did not go through. Nothing was charged and your balance did not change.' };
    case 'error':
      return { label: 'Could not complete', tone: 'bad', settled: true, explanation: 'The provider reported something we could not accept. No credits were added; contact support if you were charged.' };
    case 'refunded':
      return { label: 'Refunded', tone: 'neutral', settled: true, explanation: 'The money was returned and the credits taken back.' };
    case 'partially_refunded':
      return { label: 'Partly refunded', tone: 'neutral', settled: true, explanation: 'Part of the money was returned and that share of the credits taken back.' };
    case 'disputed':
      return { label: 'Disputed', tone: 'bad', settled: true, explanation: 'The payment was disputed with your bank; its credits were taken back.' };
    case 'held':
      return { label: 'Under review', tone: 'pending', settled: true, explanation: 'The payment went through; its credits are added once our team has checked it.' };
    case 'rejected':
      return { label: 'Not accepted', tone: 'bad', settled: true, explanation: 'After a check this payment was not accepted: no credits were added, and the money is returned to you.' };
    default:
      return { label: status, tone: 'neutral', settled: true, explanation: '' };
  }
}

/**
 * After a failed checkout request, whether retrying the same purchase may
 * send the same Idempotency-Key. Reuse whenever the server may have opened
 * the payment (no answer, a 5xx, a rate limit), so a retry finds it instead
 * of opening a second. Renew after PROVIDER_ERROR: the server records that
 * key's payment as failed to open and would answer the same for ever.
 */
export function keyAfterFailure(code: ErrorCode | 'NETWORK'): 'reuse' | 'renew' {
  return code === 'PROVIDER_ERROR' || code === 'IDEMPOTENCY_CONFLICT' ? 'renew' : 'reuse';
}

/** Error words for the checkout, where the general ones would be vague. */
export function checkoutErrorText(code: ErrorCode | 'NETWORK'): string | undefined {
  switch (code) {
    case 'NOT_FOUND':
      return 'That pack is no longer on sale. Pick another one.';
    case 'VALIDATION_FAILED':
      return 'That pack is not sold in this currency. Pick another currency.';
    case 'PROVIDER_UNAVAILABLE':
      return 'This payment method is not available right now. Nothing was charged; try again later or pick another.';
    case 'PROVIDER_ERROR':
      return 'The payment provider did not open the payment. Nothing was charged; try again.';
    case 'PAYMENT_RISK_REFUSED':
      return 'This purchase cannot be made right now. Nothing was charged. Contact support if you think this is a mistake.';
    case 'NETWORK':
      return 'Pairly could not be reached. Nothing is charged twice if you try again.';
    default:
      return undefined;
  }
}

/** How often to ask for a payment's status while waiting for the provider's word: quickly at first, then less. */
export function confirmPollDelay(elapsedMs: number): number {
  if (elapsedMs < 10_000) return 1_000;
  if (elapsedMs < 60_000) return 3_000;
  return 10_000;
}

// ---------------------------------------------------------------- the checkout across a reload

export type CheckoutPhase =
  /** Asking the server to open the payment. */
  | 'opening'
  /** The payment is open: the person pays in the provider's window (or the sandbox panel). */
  | 'open'
  /** The person acted (paid or refused); waiting for the provider's verdict to reach Pairly. */
  | 'confirming';

/** One purchase intent: a pack, a provider, a currency and the Idempotency-Key that stays with them. */
export interface TrackedCheckout {
  key: string;
  packId: string;
  provider: ProviderName;
  currency: string;
  credits: number;
  amountMinor: number;
  phase: CheckoutPhase;
  /** Epoch ms of the last phase change (the poll back-off counts from it). */
  since: number;
  payment?: PaymentView;
  client?: Record<string, unknown>;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Per user: another person logging in on this tab never sees someone else's checkout. */
export const checkoutStoreKey = (userId: string) => `pairly.wallet.checkout:${userId}`;

export function saveCheckout(store: KeyValueStore, userId: string, c: TrackedCheckout | null): void {
  try {
    if (c) store.setItem(checkoutStoreKey(userId), JSON.stringify(c));
    else store.removeItem(checkoutStoreKey(userId));
  } catch {
    // Storage full or off (private mode): the checkout still works, only a reload forgets it.
  }
}

const PHASES: CheckoutPhase[] = ['opening', 'open', 'confirming'];

/** The stored checkout, or null when there is none or it is not one (an old format, a hand edit). */
export function loadCheckout(store: KeyValueStore, userId: string): TrackedCheckout | null {
  let raw: string | null;
  try {
    raw = store.getItem(checkoutStoreKey(userId));
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const c = JSON.parse(raw) as Partial<TrackedCheckout>;
    const ok =
      typeof c.key === 'string' &&
      typeof c.packId === 'string' &&
      typeof c.provider === 'string' &&
      typeof c.currency === 'string' &&
      Number.isInteger(c.credits) &&
      Number.isInteger(c.amountMinor) &&
      PHASES.includes(c.phase as CheckoutPhase) &&
      typeof c.since === 'number' &&
      (c.payment === undefined || (typeof c.payment === 'object' && c.payment !== null && typeof c.payment.id === 'string'));
    return ok ? (c as TrackedCheckout) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- Razorpay Checkout

export interface RazorpayClient {
  orderId: string;
  keyId: string;
  amount: number;
  currency: string;
}

/** The `client` a Razorpay checkout answers (razorpay.provider.ts), checked rather than trusted. */
export function razorpayClientOf(client: Record<string, unknown> | undefined): RazorpayClient | null {
  if (!client) return null;
  const { orderId, keyId, amount, currency } = client;
  return typeof orderId === 'string' && typeof keyId === 'string' && Number.isInteger(amount) && typeof currency === 'string' ? { orderId, keyId, amount: amount as number, currency } : null;
}

/** Options for `new Razorpay(options)` (Razorpay Checkout, standard integration), without the callbacks. */
export function razorpayOptions(c: RazorpayClient, who: { name: string; email: string }, credits: number) {
  return {
    key: c.keyId,
    order_id: c.orderId,
    amount: c.amount,
    currency: c.currency,
    name: 'Pairly',
    description: `${credits.toLocaleString('en')} credits`,
    prefill: { name: who.name, email: who.email },
    theme: { color: '#c2185b' },
  };
}

// ---------------------------------------------------------------- Stripe Checkout (hosted page)

export interface HostedClient {
  checkoutUrl: string;
  /** Epoch ms after which the page no longer takes the payment; undefined if not said. */
  expiresAt?: number;
}

/** The `client` of a hosted checkout (stripe.provider.ts), checked rather than trusted: only an http(s) page to go to. */
export function hostedClientOf(client: Record<string, unknown> | undefined): HostedClient | null {
  if (!client || client.flow !== 'hosted' || typeof client.checkoutUrl !== 'string') return null;
  let url: URL;
  try {
    url = new URL(client.checkoutUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const expiresAt = typeof client.expiresAt === 'string' ? Date.parse(client.expiresAt) : NaN;
  return { checkoutUrl: url.href, ...(Number.isFinite(expiresAt) ? { expiresAt } : {}) };
}

/** Coming back from a hosted checkout page: `/wallet?payment=<id>`, with `&checkout=cancelled` when the person left without paying. */
export interface CheckoutReturn {
  paymentId: string;
  cancelled: boolean;
}

const PAYMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkoutReturnOf(search: URLSearchParams): CheckoutReturn | null {
  const paymentId = search.get('payment');
  if (!paymentId || !PAYMENT_ID.test(paymentId)) return null;
  return { paymentId: paymentId.toLowerCase(), cancelled: search.get('checkout') === 'cancelled' };
}

/**
 * The checkout to show after coming back from a hosted page. The one this
 * tab kept, when it is that payment: waiting for the provider's word, or
 * open again when the person left without paying. Otherwise (another tab,
 * storage lost) the payment as the server lists it, when found there; a
 * new key goes with it, used only if the person starts again. Null: nothing
 * to show (the payment is not this person's, or not listed).
 */
export function checkoutAfterReturn(tracked: TrackedCheckout | null, ret: CheckoutReturn, found: PaymentView | undefined, now: number, newKey: () => string): TrackedCheckout | null {
  const phase: CheckoutPhase = ret.cancelled ? 'open' : 'confirming';
  if (tracked?.payment?.id === ret.paymentId) return { ...tracked, phase, since: now };
  if (!found) return null;
  return {
    key: newKey(),
    packId: found.packId,
    provider: found.provider,
    currency: found.currency,
    credits: found.credits,
    amountMinor: found.amountMinor,
    phase,
    since: now,
    payment: found,
  };
}

// ---------------------------------------------------------------- transactions as entries

export type EntryState = 'done' | 'held' | 'released';

export interface WalletEntry {
  /** Stable React key: the group's key. */
  id: string;
  label: string;
  detail: string;
  /** Credits in (+) or out (−) of the available balance, once settled. */
  amount: number;
  /** Credits reserved right now and not yet charged or released (calls in progress). */
  held: number;
  state: EntryState;
  createdAt: string;
  /** A conversation to open, for messages. */
  conversationId?: string;
}

const KIND_LABEL: Record<string, string> = {
  purchase: 'Credits bought',
  message: 'Message',
  call: 'Call',
  tip: 'Tip',
  unlock: 'Unlocked content',
  subscription: 'Subscription',
  refund: 'Refund: credits taken back',
  chargeback: 'Chargeback: credits taken back',
  debt_settlement: 'Paid off what you owed',
  adjustment: 'Adjustment by Pairly',
  hold_expired: 'Reservation released',
};

/** A label for a kind no entry rule knows: "some_kind_fee" → "Some kind fee". */
function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? (kind.charAt(0).toUpperCase() + kind.slice(1)).replace(/_/g, ' ');
}

/**
 * The group a transfer belongs to. A spend books two legs (`<cause>:creator`
 * and `<cause>:fee`): one entry. A call books per minute a hold
 * (`call:<id>:min:<n>:hold`) and then its capture, void or expiry: one entry
 * per call.
 */
function groupOf(t: WalletTransaction): string {
  const call = /^(call:[^:]+):min:\d+:/.exec(t.key);
  if (call) return call[1]!;
  const leg = /^(.*):(creator|fee)$/.exec(t.key);
  if (leg) return leg[1]!;
  return `${t.key}#${t.id}`;
}

/** Folds transfers (newest first, as the server pages them) into entries, newest first. */
export function walletEntries(transfers: WalletTransaction[]): WalletEntry[] {
  const groups = new Map<string, WalletTransaction[]>();
  for (const t of transfers) {
    const g = groupOf(t);
    const list = groups.get(g);
    if (list) list.push(t);
    else groups.set(g, [t]);
  }
  const entries: { newest: number; entry: WalletEntry }[] = [];
  for (const [group, rows] of groups) {
    const newest = Math.max(...rows.map((r) => r.id));
    const createdAt = rows.find((r) => r.id === newest)!.createdAt;
    entries.push({ newest, entry: group.startsWith('call:') ? callEntry(group, rows, createdAt) : plainEntry(group, rows, createdAt) });
  }
  return entries.sort((a, b) => b.newest - a.newest).map((e) => e.entry);
}

function plainEntry(group: string, rows: WalletTransaction[], createdAt: string): WalletEntry {
  const base = rows.find((r) => !r.kind.endsWith('_fee')) ?? rows[0]!;
  const kind = base.kind.replace(/_fee$/, '');
  const amount = rows.filter((r) => r.state === 'posted').reduce((s, r) => s + r.amount, 0);
  const held = rows.filter((r) => r.state === 'pending').reduce((s, r) => s - r.amount, 0);
  const conversationId = typeof base.metadata.conversationId === 'string' ? base.metadata.conversationId : undefined;
  let detail = '';
  if (kind === 'purchase') detail = `Through ${providerOf(base.counterparty)}`;
  else if (kind === 'adjustment') detail = typeof base.metadata.reason === 'string' ? base.metadata.reason : '';
  else if (kind === 'debt_settlement') detail = 'Taken from a purchase to settle an earlier refund or chargeback';
  else if (kind === 'refund' || kind === 'chargeback') detail = 'A payment was returned, so its credits were taken back';
  else if (rows.some((r) => r.kind.endsWith('_fee'))) detail = 'Includes Pairly’s fee';
  return {
    id: group,
    label: kindLabel(kind),
    detail,
    amount,
    held,
    state: rows.every((r) => r.state === 'voided') ? 'released' : held > 0 ? 'held' : 'done',
    createdAt,
    conversationId,
  };
}

function providerOf(counterparty: string): string {
  const p = counterparty.startsWith('clearing:') ? counterparty.slice('clearing:'.length) : counterparty;
  return p === 'sandbox' ? 'a test payment' : p.charAt(0).toUpperCase() + p.slice(1);
}

/**
 * One call: minutes charged (captures), and a minute still reserved when its
 * hold has neither a capture, a release nor an expiry among the rows.
 */
function callEntry(group: string, rows: WalletTransaction[], createdAt: string): WalletEntry {
  const minutes = new Map<string, { hold?: WalletTransaction; settled?: WalletTransaction }>();
  for (const r of rows) {
    const m = /^call:[^:]+:min:(\d+):(hold(?::expired)?|capture|void)$/.exec(r.key);
    if (!m) continue;
    const slot = minutes.get(m[1]!) ?? {};
    if (m[2] === 'hold') slot.hold = r;
    else slot.settled = r;
    minutes.set(m[1]!, slot);
  }
  let charged = 0;
  let paidMinutes = 0;
  let held = 0;
  for (const { hold, settled } of minutes.values()) {
    if (settled?.state === 'posted') {
      charged += settled.amount;
      paidMinutes += 1;
    } else if (!settled && hold) {
      held += -hold.amount;
    }
  }
  const parts = [paidMinutes === 1 ? '1 minute charged' : `${paidMinutes} minutes charged`];
  if (held > 0) parts.push(`${held.toLocaleString('en')} credits reserved for the minute in progress`);
  return {
    id: group,
    label: 'Call',
    detail: parts.join(' · '),
    amount: charged,
    held,
    state: held > 0 ? 'held' : paidMinutes === 0 ? 'released' : 'done',
    createdAt,
  };
}
