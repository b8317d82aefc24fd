import type { MessageView, PresenceStatus } from '../../../shared/chat.js';

/**
 * Words and times the chat shows. Pure functions of their inputs (the clock
 * is passed in), so they are unit tested in node.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then a date. */
export function agoText(iso: string, now: number): string {
  const t = Date.parse(iso);
  const d = Math.max(0, now - t);
  if (d < MINUTE) return 'just now';
  if (d < HOUR) return `${Math.floor(d / MINUTE)} min ago`;
  if (d < DAY) return `${Math.floor(d / HOUR)} h ago`;
  const days = Math.floor(d / DAY);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return `on ${new Date(t).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: new Date(now).getFullYear() === new Date(t).getFullYear() ? undefined : 'numeric' })}`;
}

/** What the list and the thread header say about a peer's presence; null when it is not shared with us. */
export function presenceText(presence: PresenceStatus | null, lastSeen: string | null, now: number): string | null {
  if (presence === 'online') return 'Online';
  if (presence === 'away') return 'Away';
  if (presence === 'offline') return lastSeen ? `Last seen ${agoText(lastSeen, now)}` : 'Offline';
  return null;
}

/** A list row's time: the time today, the weekday this week, else the date. */
export function listTime(iso: string, now: number): string {
  const t = new Date(iso);
  const n = new Date(now);
  if (t.toDateString() === n.toDateString()) return t.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (now - t.getTime() < 6 * DAY) return t.toLocaleDateString(undefined, { weekday: 'short' });
  return t.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** A message's time in the thread. */
export function messageTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** The day divider above the first message of each day: "Today", "Yesterday", or the date. */
export function dayLabel(iso: string, now: number): string {
  const t = new Date(iso);
  const n = new Date(now);
  if (t.toDateString() === n.toDateString()) return 'Today';
  if (new Date(now - DAY).toDateString() === t.toDateString()) return 'Yesterday';
  return t.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: t.getFullYear() === n.getFullYear() ? undefined : 'numeric' });
}

/** Up to two initials for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0]!, parts.at(-1)!] : parts;
  return letters.map((p) => [...p][0]!.toUpperCase()).join('') || '?';
}

/** A stable hue per person for their avatar. */
export function avatarHue(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

/**
 * A message in one line (the conversation list's preview, a report's quote):
 * its text, or for a photo or video without a caption what it is (the list
 * does not know which of the two before the item is fetched).
 */
export function messagePreview(m: Pick<MessageView, 'body' | 'attachment'> & { deleted?: boolean }): string {
  if (m.deleted) return 'This message was deleted';
  if (m.body.trim()) return m.body;
  if (!m.attachment) return '';
  return m.attachment.price > 0 ? `Pay-to-view photo or video · ${creditsText(m.attachment.price)}` : 'Photo or video';
}

export function creditsText(n: number): string {
  return `${n.toLocaleString('en')} credit${n === 1 ? '' : 's'}`;
}
