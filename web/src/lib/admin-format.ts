import type { LedgerVerifyReport, ReconciliationDiscrepancy } from '../../../shared/admin.js';

/** Plain words for the admin pages: what a report or a record means, without reading JSON. */

export interface VerifyVerdict {
  ok: boolean;
  /** A few words: "Ledger OK", "Ledger check failed". */
  headline: string;
  /** The sentence after it. */
  detail: string;
  /** One sentence per problem found (empty when ok). */
  problems: string[];
}

export function verifyVerdict(r: LedgerVerifyReport): VerifyVerdict {
  const problems: string[] = [];
  for (const c of r.brokenChains) problems.push(`Chain ${c.shard}: ${c.problem}.`);
  for (const t of r.brokenTransfers) problems.push(`Transfer #${t.id} (chain ${t.shard}, position ${t.seq}): ${t.problem}.`);
  for (const b of r.balanceMismatches) {
    const parts: string[] = [];
    if (b.posted !== b.expectedPosted) parts.push(`posted balance ${b.posted.toLocaleString()}, its transfers add up to ${b.expectedPosted.toLocaleString()}`);
    if (b.pendingDebits !== b.expectedPendingDebits) parts.push(`held ${b.pendingDebits.toLocaleString()}, its holds add up to ${b.expectedPendingDebits.toLocaleString()}`);
    problems.push(`Account ${b.code}: ${parts.join('; ') || 'balance does not match its transfers'}.`);
  }
  if (r.totalPosted !== 0) problems.push(`All balances add up to ${r.totalPosted.toLocaleString()} instead of 0: credits were created or destroyed outside a transfer.`);
  if (r.ok && problems.length === 0) {
    return { ok: true, headline: 'Ledger OK', detail: 'Every hash chain links up, every balance matches its transfers, and all balances add up to 0.', problems };
  }
  const n = problems.length;
  return { ok: false, headline: 'Ledger check failed', detail: `${n} problem${n === 1 ? '' : 's'} found:`, problems };
}

const DISCREPANCY_TEXT: Record<string, string> = {
  unknown_at_pairly: 'The provider has a payment Pairly has no record of.',
  missing_at_provider: 'Pairly has an open payment the provider does not know.',
  succeeded_not_credited: 'The provider took the money but the wallet was not credited.',
  credited_not_succeeded: 'The wallet was credited but the provider does not say the payment succeeded.',
  amount_mismatch: 'The amount or currency differs between Pairly and the provider.',
  refund_not_applied: 'The provider refunded more than Pairly reversed.',
  ledger_mismatch: 'A credited payment has no matching ledger transfer.',
  provider_unreachable: 'The provider could not be asked for its records.',
};

export function discrepancyText(d: Pick<ReconciliationDiscrepancy, 'kind'>): string {
  return DISCREPANCY_TEXT[d.kind] ?? d.kind.replaceAll('_', ' ');
}

/** Details as "key: value" pairs, nested objects flattened to JSON. */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** "12 s ago", "5 min ago", "3 h ago", or the date. */
export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export function dateTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toLocaleString() : iso;
}

/** Minor units as money: 499 usd → "4.99 USD" (zero-decimal currencies are whole). */
export function money(amountMinor: number, currency: string): string {
  const zeroDecimal = ['jpy', 'krw', 'vnd', 'clp', 'isk', 'ugx'].includes(currency.toLowerCase());
  const value = zeroDecimal ? amountMinor : amountMinor / 100;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(value);
  } catch {
    return `${value} ${currency.toUpperCase()}`;
  }
}

/** Records as sorted "key value" rows (sockets per node, queue per mode), the biggest first. */
export function entriesByValue(r: Record<string, number>): [string, number][] {
  return Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "1 payment", "3 payments". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

export function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

/** A credit amount with its sign spelled out for an adjustment: "+25 credits", "−30 credits". */
export function signedCredits(n: number): string {
  const abs = Math.abs(n).toLocaleString();
  return `${n < 0 ? '−' : '+'}${abs} credit${Math.abs(n) === 1 ? '' : 's'}`;
}

/** Parses the adjustment form's amount: a whole number, with an optional sign; null when it is not one. */
export function parseAmount(raw: string): number | null {
  const s = raw.trim().replace(/^\u2212/, '-');
  if (!/^[+-]?\d{1,9}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}
