import {
  ADMIN_METRICS,
  ANALYTICS_EVENT_KINDS,
  CREATOR_METRICS,
  PAID_ACTION_KINDS,
  daysBetween,
  type AdminAnalytics,
  type AdminAnalyticsDay,
  type CreatorAnalytics,
  type CreatorAnalyticsDay,
} from '../../../../shared/analytics.js';
import { PAYOUT_KINDS } from '../../../../shared/payouts.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { AnalyticsStore, DailyRow } from './analytics.store.js';

const DAY_MS = 86_400_000;
/** The retention offsets a cohort is followed for. */
const RETENTION = [1, 7, 30] as const;

function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

function addDays(day: string, n: number): string {
  return new Date(dayStart(day).getTime() + n * DAY_MS).toISOString().slice(0, 10);
}

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Daily roll-ups of the event log and of what the ledger and creators publish, and their reads.
 * A day's roll-up computes every figure about that UTC day (its cohort's retention only for the
 * offsets whose day is over at `now`) and replaces the day's rows: running it again is harmless.
 */
export class AnalyticsService {
  constructor(private readonly d: { store: AnalyticsStore; jobs: Pick<JobQueue, 'enqueue'> }) {}

  async rollup(day: string, now = new Date()): Promise<{ day: string; rows: number }> {
    const from = dayStart(day);
    const to = new Date(from.getTime() + DAY_MS);
    const s = this.d.store;
    const [actives, kinds, funnel, revenue, audience, earnings, ...retained] = await Promise.all([
      s.actives(new Date(to.getTime() - 30 * DAY_MS), new Date(to.getTime() - 7 * DAY_MS), from, to),
      s.kindTotals(from, to),
      s.funnel(from, to, PAID_ACTION_KINDS),
      s.revenue(from, to),
      s.audience(from, to),
      s.earnings(from, to, PAYOUT_KINDS),
      // Only the offsets whose day has ended: a later run fills in the others.
      ...RETENTION.map((n) => {
        const activeFrom = new Date(from.getTime() + n * DAY_MS);
        const activeTo = new Date(activeFrom.getTime() + DAY_MS);
        return activeTo <= now ? s.retained(from, to, activeFrom, activeTo) : Promise.resolve(undefined);
      }),
    ]);
    const rows: DailyRow[] = [];
    const put = (metric: string, value: number, dimension = '') => rows.push({ metric, dimension, value });
    put('dau', actives.dau);
    put('wau', actives.wau);
    put('mau', actives.mau);
    for (const k of kinds) if ((ANALYTICS_EVENT_KINDS as readonly string[]).includes(k.kind)) put(`events.${k.kind}`, k.total);
    put('funnel.signup', funnel.signup);
    put('funnel.verified', funnel.verified);
    put('funnel.purchased', funnel.purchased);
    put('funnel.paid_action', funnel.paid_action);
    RETENTION.forEach((n, i) => {
      if (retained[i] !== undefined) put(`retention.d${n}`, retained[i]);
    });
    put('revenue.sold', revenue.sold);
    put('revenue.buyers', revenue.buyers);
    put('revenue.spend', revenue.spend);
    put('revenue.take', revenue.take);
    put('revenue.arppu', revenue.buyers ? revenue.sold / revenue.buyers : 0);
    for (const a of audience) {
      put('creator.followers', a.followers, a.creator_id);
      put('creator.new_followers', a.new_followers, a.creator_id);
      put('creator.subscribers', a.subscribers, a.creator_id);
      put('creator.churned', a.churned, a.creator_id);
    }
    for (const e of earnings) put('creator.earnings', e.earnings, e.creator_id);
    await s.replaceDay(day, rows);
    return { day, rows: rows.length };
  }

  /**
   * What the scheduled run does: today so far, yesterday, and the days whose cohort just completed its
   * D1, D7 or D30 (a day's roll-up writes retention only once the offset's day is over).
   */
  async rollupRecent(now = new Date()): Promise<string[]> {
    const today = utcDay(now);
    const days = [...new Set([today, addDays(today, -1), ...RETENTION.map((n) => addDays(today, -1 - n))])];
    for (const day of days) await this.rollup(day, now);
    return days;
  }

  /** An admin's on-demand run: one job per day (its id names the day and the request, so a repeated request runs again). */
  async enqueueRollups(from: string, to: string, requestId: string): Promise<string[]> {
    const days = daysBetween(from, to);
    for (const day of days) await this.d.jobs.enqueue('analytics.rollup', { day }, { jobId: `analytics:${day}:${requestId}` });
    return days;
  }

  async admin(from: string, to: string): Promise<AdminAnalytics> {
    const rows = await this.d.store.series('', from, to);
    const days = new Map(daysBetween(from, to).map((day) => [day, { day, ...zeros(ADMIN_METRICS) } as AdminAnalyticsDay]));
    for (const r of rows) {
      const d = days.get(r.day);
      if (d && r.metric in d) (d as Record<string, number | string>)[r.metric] = r.value;
    }
    return { from, to, days: [...days.values()] };
  }

  async creator(creatorId: string, from: string, to: string): Promise<CreatorAnalytics> {
    const rows = await this.d.store.series(creatorId, from, to);
    const days = new Map(daysBetween(from, to).map((day) => [day, { day, ...zeros(CREATOR_METRICS) } as CreatorAnalyticsDay]));
    for (const r of rows) {
      const d = days.get(r.day);
      const metric = r.metric.replace(/^creator\./, '');
      if (d && metric in d) (d as Record<string, number | string>)[metric] = r.value;
    }
    return { from, to, days: [...days.values()] };
  }
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
