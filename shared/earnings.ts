import { z } from 'zod';

/**
 * Creators' earnings (issue #13): a read model of the ledger's `earnings:<user>`
 * accounts, never a second source of truth. Every figure here is a sum of
 * ledger transfers; the web page and the CSV export read the same shapes.
 */

/** Where earnings come from, as a creator reads it. The ledger's transfer kinds map onto these in one place: sourceOf. */
export const EARNING_SOURCES = ['subscriptions', 'ppv', 'tips', 'messages', 'calls', 'other'] as const;
export type EarningSource = (typeof EARNING_SOURCES)[number];

const KIND_SOURCES: Record<string, EarningSource> = {
  subscription: 'subscriptions',
  post_unlock: 'ppv',
  unlock: 'ppv', // a paid message attachment unlocked: pay-per-view in a conversation
  tip: 'tips',
  message: 'messages',
  call: 'calls',
};

/** The source of a ledger transfer kind (the spend's kind, for a credit or for the clawback of it). */
export function sourceOf(kind: string): EarningSource {
  return KIND_SOURCES[kind] ?? 'other';
}

/** A UTC calendar day, YYYY-MM-DD, that exists. */
export const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day is YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'no such day');

/** A UTC calendar month, YYYY-MM. */
export const isoMonth = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month is YYYY-MM')
  .refine((m) => Number(m.slice(0, 4)) >= 2000 && Number(m.slice(0, 4)) <= 2100, 'month out of range');

/** The longest range one daily series or export covers: a year and a day. */
export const MAX_RANGE_DAYS = 367;

const rangeShape = { from: isoDay, to: isoDay };
const rangeRule = (r: { from: string; to: string }) => r.from <= r.to && (Date.parse(r.to) - Date.parse(r.from)) / 86_400_000 < MAX_RANGE_DAYS;
const rangeMessage = { message: `from must be on or before to, at most ${MAX_RANGE_DAYS} days apart`, path: ['to'] };

/** GET /api/earnings/daily and /export.csv: inclusive UTC days. */
export const earningsRangeQuery = z.strictObject(rangeShape).refine(rangeRule, rangeMessage);

/** GET /api/earnings/statement: one month, its lines a page at a time (keyset on the transfer id). */
export const earningsStatementQuery = z.strictObject({
  month: isoMonth,
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

export interface EarningsBySource {
  source: EarningSource;
  /** Creator's share credited (lifetime). */
  earned: number;
  /** Of it, still inside the hold. */
  pending: number;
  /** Taken back after refunds and chargebacks of the fans' credits (positive number). */
  clawedBack: number;
}

export interface EarningsSummary {
  /** The balance (lifetime - debited - paidOut) less pending: earned before the hold, minus clawbacks of it and payouts. May be negative. */
  available: number;
  /** Credited within the hold, less clawbacks of those credits. */
  pending: number;
  /** Everything ever credited. */
  lifetime: number;
  /** Everything ever debited by clawbacks. */
  debited: number;
  /** Credits in payouts not given back (requested, on their way or paid): no longer available. */
  paidOut: number;
  /** Only a positive available can be paid out; a negative one blocks payouts until new earnings cover it. */
  payable: boolean;
  holdSeconds: number;
  bySource: EarningsBySource[];
}

/** One UTC day: the creator's net share by source (credits minus clawbacks that day). */
export interface EarningsDay {
  day: string;
  total: number;
  bySource: Partial<Record<EarningSource, number>>;
}

/** One transfer into or out of the earnings account. */
export interface EarningsLine {
  id: number;
  createdAt: string;
  source: EarningSource;
  kind: string;
  /** What the fan spent (creator share + platform fee); for a clawback, the spend's gross it covered, negative. */
  gross: number;
  /** The creator's share: positive credited, negative clawed back. */
  share: number;
  fee: number;
  key: string;
}

export interface EarningsStatement {
  month: string;
  totals: { gross: number; share: number; fee: number; clawedBack: number; bySource: Partial<Record<EarningSource, number>> };
  lines: EarningsLine[];
  nextCursor: number | null;
}

/** One CSV field: quoted when it holds a comma, quote or line break; a leading =,+,-,@ is defused for spreadsheets. */
export function csvField(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const EARNINGS_CSV_HEADER = ['date', 'source', 'kind', 'gross', 'creator_share', 'fee', 'reference'] as const;

export function csvLine(l: EarningsLine): string {
  return [l.createdAt, l.source, l.kind, l.gross, l.share, l.fee, l.key].map(csvField).join(',') + '\r\n';
}
