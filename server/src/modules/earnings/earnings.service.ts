import {
  EARNING_SOURCES,
  sourceOf,
  type EarningSource,
  type EarningsDay,
  type EarningsLine,
  type EarningsStatement,
  type EarningsSummary,
} from '../../../../shared/earnings.js';
import { PAYOUT_KINDS } from '../../../../shared/payouts.js';
import type { Queryable } from '../../db/database.js';
import type { EarningsStore, LineRow } from './earnings.store.js';

const DAY_MS = 86_400_000;

export interface EarningsOptions {
  /** EARNINGS_HOLD_SECONDS: how long a credit stays pending before it can be paid out. */
  holdSeconds: number;
}

/**
 * A creator's earnings, derived from the ledger on every read (no copy to drift).
 * Any signed-in user may ask for their own: a fan who never earned sees zeros, which is
 * the truth, and paid messages and calls can pay users who are not creators.
 * `now` is a parameter so the hold boundary can be tested exactly; routes pass the clock.
 */
export class EarningsService {
  constructor(private readonly d: { store: EarningsStore; options: EarningsOptions }) {}

  get holdSeconds(): number {
    return this.d.options.holdSeconds;
  }

  /** With `q`, read in the caller's transaction (payouts read it with the earnings account locked). */
  async summary(userId: string, now = new Date(), q?: Queryable): Promise<EarningsSummary> {
    const since = new Date(now.getTime() - this.d.options.holdSeconds * 1000);
    const rows = await this.d.store.sums(userId, since, q);
    const by = new Map<EarningSource, { earned: number; pending: number; clawedBack: number }>();
    let lifetime = 0;
    let pending = 0;
    let debited = 0;
    let paidOut = 0;
    for (const r of rows) {
      // Payouts are money leaving (and, when one fails, coming back), not earnings or clawbacks.
      if (PAYOUT_KINDS.includes(r.spend_kind)) {
        paidOut -= r.share;
        continue;
      }
      const s = by.get(sourceOf(r.spend_kind)) ?? { earned: 0, pending: 0, clawedBack: 0 };
      // recent: credits inside the hold, and (negative) clawbacks of spends inside it; payouts never.
      s.pending += r.recent;
      pending += r.recent;
      if (r.credit) {
        s.earned += r.share;
        lifetime += r.share;
      } else {
        s.clawedBack += -r.share;
        debited += -r.share;
      }
      by.set(sourceOf(r.spend_kind), s);
    }
    // balance = pending + available. Available goes negative when what is taken back exceeds what is out of the hold.
    const available = lifetime - pending - debited - paidOut;
    return {
      available,
      pending,
      lifetime,
      debited,
      paidOut,
      payable: available > 0,
      holdSeconds: this.d.options.holdSeconds,
      bySource: EARNING_SOURCES.filter((s) => by.has(s)).map((source) => ({ source, ...by.get(source)! })),
    };
  }

  /** Net share per UTC day over inclusive days, every day present (zero when nothing happened), for the chart. */
  async daily(userId: string, from: string, to: string): Promise<EarningsDay[]> {
    const start = dayStart(from);
    const end = new Date(dayStart(to).getTime() + DAY_MS);
    const rows = await this.d.store.daily(userId, start, end);
    const days = new Map<string, EarningsDay>();
    for (let t = start.getTime(); t < end.getTime(); t += DAY_MS) {
      const day = new Date(t).toISOString().slice(0, 10);
      days.set(day, { day, total: 0, bySource: {} });
    }
    for (const r of rows) {
      if (PAYOUT_KINDS.includes(r.spend_kind)) continue;
      const d = days.get(r.day);
      if (!d) continue; // cannot happen: the query is bounded by the same range
      const source = sourceOf(r.spend_kind);
      d.bySource[source] = (d.bySource[source] ?? 0) + r.share;
      d.total += r.share;
    }
    return [...days.values()];
  }

  /** A month's totals and its lines, a page at a time. */
  async statement(userId: string, month: string, cursor: number | undefined, limit: number): Promise<EarningsStatement> {
    const from = new Date(`${month}-01T00:00:00Z`);
    const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1));
    const [sums, rows] = await Promise.all([this.d.store.sumsBetween(userId, from, to), this.d.store.lines(userId, from, to, cursor ?? 0, limit)]);
    const totals: EarningsStatement['totals'] = { gross: 0, share: 0, fee: 0, clawedBack: 0, bySource: {} };
    for (const r of sums) {
      if (PAYOUT_KINDS.includes(r.spend_kind)) continue;
      const source = sourceOf(r.spend_kind);
      totals.bySource[source] = (totals.bySource[source] ?? 0) + r.share;
      totals.share += r.share;
      if (r.credit) {
        totals.gross += r.gross;
        totals.fee += r.fee;
      } else totals.clawedBack += -r.share;
    }
    return { month, totals, lines: rows.map(toLine), nextCursor: rows.length === limit ? rows.at(-1)!.id : null };
  }

  /** Every line over inclusive days, oldest first, in pages (the CSV export streams them). */
  async *lines(userId: string, from: string, to: string, pageSize = 1000): AsyncGenerator<EarningsLine[]> {
    const start = dayStart(from);
    const end = new Date(dayStart(to).getTime() + DAY_MS);
    for (let after = 0; ; ) {
      const rows = await this.d.store.lines(userId, start, end, after, pageSize);
      if (rows.length > 0) yield rows.map(toLine);
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.id;
    }
  }
}

function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

function toLine(r: LineRow): EarningsLine {
  return { id: r.id, createdAt: r.created_at.toISOString(), source: sourceOf(r.spend_kind), kind: r.kind, gross: r.gross, share: r.share, fee: r.fee, key: r.key };
}
