import { z } from 'zod';
import { isoDay } from './earnings.js';

/**
 * Product analytics (issue #14): events recorded server-side into an append-only log, rolled up
 * per UTC day by the analytics.rollup job into figures the admin and creator views chart.
 */

/** What is recorded, and when (always after the owning module's commit). */
export const ANALYTICS_EVENT_KINDS = [
  'signup', // an account created (password or OpenID)
  'verification', // an email address confirmed
  'login',
  'purchase', // credits bought (the funnel's "first purchase" is a user's earliest)
  'message', // messages sent: one event per user per flush, props.count messages
  'match', // a mutual match or a video-match pairing
  'call', // a call answered
  'subscription', // a subscription started
  'tip',
  'unlock', // a paid post unlocked
  'payout', // a payout requested
] as const;
export type AnalyticsEventKind = (typeof ANALYTICS_EVENT_KINDS)[number];

/** Events that are a paid action, for the funnel's last step. */
export const PAID_ACTION_KINDS = ['subscription', 'tip', 'unlock', 'call'] as const satisfies readonly AnalyticsEventKind[];

/** Platform-wide daily figures (analytics_daily rows with an empty dimension). */
export const ADMIN_METRICS = [
  'dau',
  'wau',
  'mau',
  ...ANALYTICS_EVENT_KINDS.map((k) => `events.${k}` as const),
  // Of the users who signed up that day: how many, and how many have since reached each step.
  'funnel.signup',
  'funnel.verified',
  'funnel.purchased',
  'funnel.paid_action',
  // Of the users who signed up that day (the cohort): active again 1, 7 and 30 days later (written once that day is over).
  'retention.d1',
  'retention.d7',
  'retention.d30',
  // Ledger figures, in credits: bought, spent by fans (net of refunds), kept by the platform, bought per buyer.
  'revenue.sold',
  'revenue.buyers',
  'revenue.spend',
  'revenue.take',
  'revenue.arppu',
] as const;
export type AdminMetric = (typeof ADMIN_METRICS)[number];

/** One creator's daily figures (analytics_daily rows with the creator's id as dimension, metric `creator.<name>`). */
export const CREATOR_METRICS = ['followers', 'new_followers', 'subscribers', 'churned', 'earnings'] as const;
export type CreatorMetric = (typeof CREATOR_METRICS)[number];

/** The longest range one analytics read covers. */
export const MAX_ANALYTICS_DAYS = 366;
/** The most days one on-demand roll-up enqueues. */
export const MAX_ROLLUP_DAYS = 62;

const spanDays = (r: { from: string; to: string }) => (Date.parse(r.to) - Date.parse(r.from)) / 86_400_000 + 1;

/** GET /api/admin/analytics and GET /api/creator/analytics: inclusive UTC days. */
export const analyticsRangeQuery = z
  .strictObject({ from: isoDay, to: isoDay })
  .refine((r) => r.from <= r.to && spanDays(r) <= MAX_ANALYTICS_DAYS, { message: `from must be on or before to, at most ${MAX_ANALYTICS_DAYS} days`, path: ['to'] });

/** POST /api/admin/analytics/rollup: roll these inclusive UTC days up again now. */
export const analyticsRollupBody = z
  .strictObject({ from: isoDay, to: isoDay })
  .refine((r) => r.from <= r.to && spanDays(r) <= MAX_ROLLUP_DAYS, { message: `from must be on or before to, at most ${MAX_ROLLUP_DAYS} days`, path: ['to'] });

export type AdminAnalyticsDay = { day: string } & Record<AdminMetric, number>;
export type CreatorAnalyticsDay = { day: string } & Record<CreatorMetric, number>;

export interface AdminAnalytics {
  from: string;
  to: string;
  days: AdminAnalyticsDay[];
}

export interface CreatorAnalytics {
  from: string;
  to: string;
  days: CreatorAnalyticsDay[];
}

/** Every inclusive UTC day from `from` to `to`, as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
