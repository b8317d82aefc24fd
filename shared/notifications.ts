import { z } from 'zod';

/**
 * Notifications: what happened to a user while they looked elsewhere. Every
 * module calls one service (`notify(userId, kind, subject, payload)`); events
 * of one kind about one subject (a conversation, a creator) within a window
 * collapse into one notification with a count ("10 new messages").
 */
export const NOTIFICATION_KINDS = [
  'message',
  'match',
  'like',
  'missed_call',
  'subscription_renewed',
  'subscription_expiring',
  'subscription_failed',
  'subscription_ended',
  'new_post',
  'tip',
  'payout',
  'moderation',
  'security',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_CHANNELS = ['in_app', 'email', 'push'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

/** What a notification carries besides its kind: who did it and a short text, all optional; `link` is a path in the web app. */
export interface NotificationPayload {
  actorId?: string;
  actorName?: string;
  /** A short detail (an amount, a state, a reason, a device). */
  detail?: string;
  link?: string;
  /** What the last event was (a post's or a tip's id): the same event notified again (a retried job) is not counted twice. */
  ref?: string;
}

export interface NotificationView {
  id: string;
  kind: NotificationKind;
  /** Events collapsed into this one (10 messages in one conversation: 10). */
  count: number;
  payload: NotificationPayload;
  /** The sentence to show, built by describeNotification. */
  text: string;
  createdAt: string;
  /** When the last collapsed event arrived. */
  updatedAt: string;
  readAt: string | null;
}

/** One sentence for a notification, the same in the bell, the mail digest and the push. */
export function describeNotification(kind: NotificationKind, count: number, p: NotificationPayload): string {
  const who = p.actorName ?? 'Someone';
  const detail = p.detail ? `: ${p.detail}` : '';
  const many = (one: string, more: string) => (count > 1 ? `${count} ${more}` : one);
  switch (kind) {
    case 'message':
      return `${many('A new message', 'new messages')} from ${who}`;
    case 'match':
      return `You matched with ${who}`;
    case 'like':
      return count > 1 ? `${count} people liked you` : `${who} liked you`;
    case 'missed_call':
      return `${many('A missed call', 'missed calls')} from ${who}`;
    case 'subscription_renewed':
      return `Your subscription to ${who} renewed${detail}`;
    case 'subscription_expiring':
      return `Your subscription to ${who} is ending soon${detail}`;
    case 'subscription_failed':
      return `Your subscription to ${who} could not be renewed${detail}`;
    case 'subscription_ended':
      return `Your subscription to ${who} has ended${detail}`;
    case 'new_post':
      return `${many('A new post', 'new posts')} from ${who}`;
    case 'tip':
      return `${many('A tip', 'tips')} from ${who}${count > 1 ? '' : detail}`;
    case 'payout':
      return `Your payout${detail}`;
    case 'moderation':
      return `A moderation decision about your account${detail}`;
    case 'security':
      return `Security${detail}`;
  }
}

/** Channels on unless the user turned them off. Likes stay out of mail and push by default: they are many and small. */
export function defaultPreference(kind: NotificationKind, channel: NotificationChannel): boolean {
  if (channel === 'in_app') return true;
  if (kind === 'like') return false;
  return true;
}

export const notificationKind = z.enum(NOTIFICATION_KINDS);
export const notificationChannel = z.enum(NOTIFICATION_CHANNELS);

export const notificationListQuery = z.strictObject({
  /** The `nextCursor` of the previous page. */
  before: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  unread: z.enum(['true', 'false']).optional(),
});

export interface NotificationPreference {
  kind: NotificationKind;
  channel: NotificationChannel;
  enabled: boolean;
}

export const notificationPreferencesBody = z.strictObject({
  preferences: z
    .array(z.strictObject({ kind: notificationKind, channel: notificationChannel, enabled: z.boolean() }))
    .min(1)
    .max(NOTIFICATION_KINDS.length * NOTIFICATION_CHANNELS.length),
});

/** A browser's PushSubscription.toJSON(): where to send, and the keys to encrypt for (base64url). */
export const pushSubscriptionBody = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/ }).max(2000),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    // A P-256 point (65 bytes) and a 16-byte secret, base64url; the lengths are in the patterns so generators can meet them.
    p256dh: z.string().regex(/^[A-Za-z0-9_-]{86,87}={0,2}$/),
    auth: z.string().regex(/^[A-Za-z0-9_-]{21,22}={0,2}$/),
  }),
});
export type PushSubscriptionInput = z.infer<typeof pushSubscriptionBody>;

export const pushUnsubscribeBody = z.strictObject({ endpoint: z.url({ protocol: /^https?$/ }).max(2000) });

/** What a push carries to the service worker (encrypted on the way). */
export interface PushMessage {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string;
}
