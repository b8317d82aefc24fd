import type { MassAudience, MassMessageProgress, MassMessageView } from '../../../shared/mass-messages.js';
import { creditsText } from './chat-format.js';

/**
 * The mass-message page's rules without React: how an audience and a mass message read, and how a
 * progress push updates the listed mass messages (the query cache's pages) in place.
 */

export type AudienceKind = MassAudience['kind'];

export const AUDIENCE_KINDS: { kind: AudienceKind; label: string }[] = [
  { kind: 'subscribers', label: 'All subscribers' },
  { kind: 'tier', label: 'Subscribers of a tier and up' },
  { kind: 'followers', label: 'Followers (subscribers included)' },
  { kind: 'expired', label: 'Expired subscribers' },
  { kind: 'tippers', label: 'Fans who tipped you' },
];

export function audienceOf(kind: AudienceKind, minTierRank: number): MassAudience {
  return kind === 'tier' ? { kind, minTierRank } : { kind };
}

export function audienceLabel(a: MassAudience, tierName?: (rank: number) => string | undefined): string {
  if (a.kind === 'tier') return `Subscribers of ${tierName?.(a.minTierRank) ?? `tier ${a.minTierRank}`} and up`;
  return AUDIENCE_KINDS.find((k) => k.kind === a.kind)!.label;
}

export function fansText(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'fan' : 'fans'}`;
}

/** "1,234 of 5,000 sent (25%)". */
export function progressText(sent: number, total: number): string {
  const of = Math.max(total, sent);
  const pct = of > 0 ? Math.floor((sent / of) * 100) : 100;
  return `${sent.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} sent (${pct}%)`;
}

export function statusText(m: Pick<MassMessageView, 'status' | 'sendAt'>, now: number): string {
  switch (m.status) {
    case 'scheduled':
      return new Date(m.sendAt).getTime() > now ? `Scheduled for ${new Date(m.sendAt).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' })}` : 'Starting…';
    case 'sending':
      return 'Sending…';
    case 'done':
      return 'Sent';
    case 'cancelled':
      return 'Cancelled';
  }
}

export function statsText(m: Pick<MassMessageView, 'price' | 'stats'>): string {
  const s = m.stats;
  const parts = [`${s.sent.toLocaleString('en-US')} sent`, `${s.read.toLocaleString('en-US')} read`];
  if (m.price > 0) parts.push(`${s.unlocked.toLocaleString('en-US')} unlocked`, `${creditsText(s.revenue)} earned`);
  return parts.join(' · ');
}

/** The form's price field: empty or 0 is free; otherwise a whole number of credits (and only with a photo or video). */
export function priceOf(text: string, hasMedia: boolean): { price: number } | { error: string } {
  const t = text.trim();
  if (t === '' || t === '0') return { price: 0 };
  if (!/^\d+$/.test(t) || Number(t) > 1_000_000) return { error: 'The price is a whole number of credits (up to 1,000,000).' };
  if (!hasMedia) return { error: 'A price needs a photo or video to unlock.' };
  return { price: Number(t) };
}

export interface MassPage {
  massMessages: MassMessageView[];
  nextBefore: string | null;
}

/**
 * A listed mass message with the latest progress push for it laid over: the page keeps pushes beside
 * the fetched list, not in it, so a page of the list that was loading when a push came (React Query
 * settles it on the pages it started from) cannot take the push back. Never backwards: the sent
 * count is the larger of the two, and a finished row (done or cancelled, from either side) stays
 * finished.
 */
export function withProgress(m: MassMessageView, p: MassMessageProgress | undefined): MassMessageView {
  if (!p) return m;
  const stats = { ...m.stats, sent: Math.max(m.stats.sent, p.sent) };
  if (m.status === 'done' || m.status === 'cancelled') return { ...m, stats };
  const ended = p.status === 'done' || p.status === 'cancelled';
  return { ...m, status: p.status, total: p.total, stats, finishedAt: ended ? (m.finishedAt ?? new Date().toISOString()) : m.finishedAt };
}
