import { z } from 'zod';
import { text } from './input.js';
import { matchSnapshotSchema, type Verdict, type VerdictReason } from './moderation.js';
import type { ErrorBody } from './errors.js';
import type { PublicUser } from './auth.js';
import type { MassMessageProgress } from './mass-messages.js';
import { chatDelete, chatEdit, chatPointer, chatReact, chatSend, chatSync, chatTyping, presenceSet, type MessageView, type PresenceView } from './chat.js';
import { matchJoin, matchLeave, matchNext, type MatchEndReason, type MatchFound } from './match.js';
import { callInvite, callRef, type CallEndReason, type CallMedia, type CallView } from './calls.js';
import type { MediaView } from './media.js';
import type { SubscriberJoinedView, SubscriptionView, TipView } from './creators.js';
import type { VerificationState } from './verification.js';
import type { ReportOutcome, StandingChange } from './reports.js';
import type { NotificationView } from './notifications.js';

/**
 * Socket.IO contract. Client events are `domain:verb`, each with a zod schema
 * and a result type; every one is answered through the acknowledgement with
 * `{ ok: true, ...result }` or `{ ok: false, error }`. Server pushes are
 * `domain:event`.
 */
export const clientEventSchemas = {
  'system:ping': z.strictObject({ sentAt: z.number().int().nonnegative().optional() }),
  /** A fresher access token of the same session (from POST /api/auth/refresh) keeps the socket open past the old one's expiry. */
  'auth:refresh': z.strictObject({ accessToken: text().min(1).max(4096) }),
  'chat:send': chatSend,
  'chat:delivered': chatPointer,
  'chat:read': chatPointer,
  'chat:typing': chatTyping,
  'chat:sync': chatSync,
  'chat:react': chatReact,
  'chat:edit': chatEdit,
  'chat:delete': chatDelete,
  'presence:set': presenceSet,
  'match:join': matchJoin,
  'match:next': matchNext,
  'match:leave': matchLeave,
  /** Video sessions: a small JPEG of the local camera every few seconds (web: 160×120 from the local video). */
  'match:snapshot': matchSnapshotSchema,
  'call:invite': callInvite,
  'call:accept': callRef,
  'call:decline': callRef,
  'call:cancel': callRef,
  'call:hangup': callRef,
  'call:takeover': callRef,
} as const;

export type ClientEventName = keyof typeof clientEventSchemas;
export type ClientEventPayload<E extends ClientEventName> = z.input<(typeof clientEventSchemas)[E]>;

export interface ClientEventResults {
  'system:ping': { nodeId: string; serverTime: number; sentAt?: number };
  'auth:refresh': { expiresAt: string };
  /** Sent after the commit; a retry with the same clientId returns the same message (`replayed`). */
  'chat:send': { message: MessageView; replayed: boolean };
  'chat:delivered': { upToSeq: number };
  'chat:read': { upToSeq: number; unread: number };
  'chat:typing': { throttled: boolean };
  /** Messages in the caller's conversations from `since` on (with a small look-back; dedupe by id). */
  /**
   * Messages in the caller's conversations from `since` on (with a small look-back; dedupe by id). The first page
   * (no cursor) also carries `changes`: messages changed (reacted, edited, deleted) since then, oldest change
   * first (keep the highest changeSeq per message; `changesHasMore`: ask again with `{changesCursor: changesNext}`,
   * which answers the next page of changes only), and `hidden`: the messages the caller deleted for themselves
   * since then, on any device.
   */
  'chat:sync': {
    messages: MessageView[];
    hasMore: boolean;
    next: string | null;
    changes: MessageView[];
    changesHasMore: boolean;
    changesNext: string | null;
    hidden: { conversationId: string; messageId: string }[];
  };
  /** The message as it is now; `changed: false` when it already was so (a repeat). */
  'chat:react': { message: MessageView; changed: boolean };
  'chat:edit': { message: MessageView; changed: boolean };
  /** `everyone`: the tombstone; `me`: hidden from the caller's devices. */
  'chat:delete': { scope: 'me' | 'everyone'; message: MessageView | null };
  'presence:set': { status: 'online' | 'away' | 'offline' };
  /** Queued (match:found follows), or already in a session from another device. */
  'match:join': { state: 'queued' | 'in_session'; sessionId?: string };
  'match:next': { state: 'queued' | 'in_session'; sessionId?: string };
  'match:leave': { left: boolean };
  /** The snapshot's verdict; `ended`: it was nude and the session ended (match:ended with reason `nudity` follows). */
  'match:snapshot': { verdict: Verdict; reasons: VerdictReason[]; ended: boolean };
  'call:invite': { call: CallView };
  /** The accepting device gets its media credentials in the ack. */
  'call:accept': { call: CallView; media: CallMedia };
  'call:decline': { call: CallView };
  'call:cancel': { call: CallView };
  'call:hangup': { call: CallView };
  /** Another of the user's devices takes the call over (the others are told). */
  'call:takeover': { call: CallView; media: CallMedia };
}

export type AckOk<T> = { ok: true } & T;
export type AckError = { ok: false; error: ErrorBody };
export type AckResponse<T> = AckOk<T> | AckError;

export type ClientToServerEvents = {
  [E in ClientEventName]: (
    payload: ClientEventPayload<E>,
    ack: (response: AckResponse<ClientEventResults[E]>) => void,
  ) => void;
};

export interface ServerToClientEvents {
  /** The user's own profile changed (from any of their devices, on any node). */
  'me:updated': (payload: { user: PublicUser }) => void;
  /** A new message, to every device of the recipient and the sender's other devices. */
  'chat:message': (payload: MessageView) => void;
  /** A message changed (a reaction, an edit, a delete for everyone): the whole view, with its changeSeq; both members, every device. */
  'chat:changed': (payload: MessageView) => void;
  /** The user deleted a message for themselves on another device. */
  'chat:hidden': (payload: { conversationId: string; messageId: string }) => void;
  /** The peer's devices confirmed receipt / read up to a sequence number. */
  'chat:delivered': (payload: { conversationId: string; userId: string; upToSeq: number }) => void;
  'chat:read': (payload: { conversationId: string; userId: string; upToSeq: number }) => void;
  /** Volatile; the indicator ends by itself after `expiresInMs` unless renewed. */
  'chat:typing': (payload: { conversationId: string; userId: string; typing: boolean; expiresInMs: number }) => void;
  /** Presence changes of people the user has a conversation with, batched (at most about one a second). */
  'presence:update': (payload: { updates: PresenceView[] }) => void;
  /** A random match: the peer's public summary and the session's conversation. */
  'match:found': (payload: MatchFound) => void;
  /** The peer skipped, left or disconnected; the session's conversation is closed. */
  'match:ended': (payload: { sessionId: string; reason: MatchEndReason }) => void;
  /** An incoming call, on every device of the callee. */
  'call:ringing': (payload: { call: CallView; from: { userId: string; displayName: string } }) => void;
  /** The callee accepted: the caller's media credentials (the callee's come in its ack). */
  'call:accepted': (payload: { call: CallView; media: CallMedia }) => void;
  /** The call was answered or taken over on another of this user's devices. */
  'call:elsewhere': (payload: { callId: string }) => void;
  'call:ended': (payload: { call: CallView; reason: CallEndReason }) => void;
  /** A like became mutual: a match, with its conversation. */
  'match:mutual': (payload: { userId: string; conversationId: string }) => void;
  /** A match ended (either side unmatched): its conversation is closed. */
  'match:unmatched': (payload: { userId: string; conversationId: string | null }) => void;
  /** The user's wallet changed (a purchase, a spend, a hold, a refund); sent after the commit. */
  'wallet:updated': (payload: WalletBalance) => void;
  /** One of the user's uploads changed state: processed (ready or rejected with its reason), moderated, or deleted. */
  'media:updated': (payload: { media: MediaView }) => void;
  /** A tier the user subscribes to will cost more: renewals on or after `effectiveAt` pay `price` (credits per 30 days). */
  'subscription:price_changed': (payload: { creatorId: string; creator: { id: string; handle: string | null; displayName: string }; tierId: string; tierName: string; price: number; effectiveAt: string }) => void;
  /** One of the user's subscriptions changed by itself: renewed, in grace (the renewal could not be paid), or expired. */
  'subscription:updated': (payload: { subscription: SubscriptionView; reason: 'renewed' | 'grace' | 'expired' | 'changed' }) => void;
  /** The user's creator verification was submitted, approved or rejected (its reason in `submission.reason`). */
  'verification:updated': (payload: { verification: VerificationState }) => void;
  /** A creator received a tip, on every device. */
  'tip:received': (payload: { tip: TipView }) => void;
  /** A creator has a new subscriber (paid, or a free trial claimed), on every device. */
  'subscriber:joined': (payload: { subscriber: SubscriberJoinedView }) => void;
  /** A mass message of the creator's went out further (every batch), finished, or was cancelled. */
  'mass-message:progress': (payload: MassMessageProgress) => void;
  /** The socket's access token expired (no auth:refresh came in time); the socket is closed right after: reconnect with a fresh token. */
  'auth:expired': (payload: { expiredAt: string }) => void;
  /** This session was logged out or revoked; the socket is closed right after. */
  'auth:revoked': (payload: { reason: 'logout' | 'token_reused' | 'admin'; standing?: StandingChange }) => void;
  /** An admin decided on a report this user filed. */
  'report:decided': (payload: ReportOutcome) => void;
  /** An admin warned, suspended, banned or restored this user, or removed their content (a suspension's comes just before the sockets close). */
  'account:standing': (payload: StandingChange) => void;
  /** A new notification, or a collapsed one that counts one more event (same id), with the user's unread count; every device. */
  'notification:new': (payload: { notification: NotificationView; unread: number }) => void;
  /** Notifications were read on one of the user's devices (`id` null: all of them), with the unread count left. */
  'notification:read': (payload: { id: string | null; unread: number }) => void;
  /** This node is going away; the client should reconnect (nginx sends it elsewhere). */
  'system:shutdown': (payload: { nodeId: string; reconnect: true }) => void;
  /**
   * Pushes may have been missed (this node lost Redis, whose pub/sub keeps nothing, and has it back):
   * catch up as after a reconnection (chat:sync, refetch counts and balances). The socket stayed open.
   */
  'system:resync': (payload: { nodeId: string }) => void;
  /** An event that could not be acknowledged (sent without an ack callback) failed. */
  'system:error': (payload: { event: string; error: ErrorBody }) => void;
}

export interface WalletBalance {
  /** Credits that can be spent now: posted minus held. */
  available: number;
  /** Credits reserved by holds (e.g. a call in progress). */
  held: number;
  /** Credits owed after a refund or chargeback of credits already spent; purchases settle it first. */
  debt: number;
  /** Credits earned from others' paid messages and calls (after the platform fee): a creator's income, not spendable as credits. */
  earnings: number;
}

/** Between the nodes of a cluster (the adapter's serverSideEmit), never from clients. */
export interface InterServerEvents {
  /** A session was revoked: each node tells and closes that session's sockets of its own. */
  'session:end': (sessionId: string, reason: 'logout' | 'token_reused' | 'admin', standing?: StandingChange) => void;
  /** A node has Redis back after losing it: pushes it published meanwhile were lost, so every node's sockets catch up. */
  'node:resync': (nodeId: string) => void;
}

export interface SocketData {
  userId: string;
  sessionId: string;
  role: 'fan' | 'creator' | 'admin';
  tokenExpiresAt: number;
}

export const rooms = {
  user: (userId: string) => `user:${userId}`,
};
