import { z } from 'zod';
import { expectedPrice } from './prices.js';
import { text } from './input.js';

export const MAX_MESSAGE_LENGTH = 4000;

export const chatSend = z
  .strictObject({
    conversationId: z.uuid().optional(),
    toUserId: z.uuid().optional(),
    clientId: z.uuid(),
    body: text().min(1).max(MAX_MESSAGE_LENGTH).refine((s) => s.trim().length > 0, 'must not be blank'),
    /** The message price the client showed (absent: free); any other price is refused with PRICE_CHANGED. */
    expectedPrice,
  })
  .refine((v) => (v.conversationId === undefined) !== (v.toUserId === undefined), 'give exactly one of conversationId or toUserId');

export const chatPointer = z.strictObject({
  conversationId: z.uuid(),
  upToSeq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

export const chatTyping = z.strictObject({ conversationId: z.uuid(), typing: z.boolean() });

export const chatSync = z
  .strictObject({
    /** ISO time of the newest message the client has; omitted: the last 24 hours. */
    since: z.iso.datetime().optional(),
    /** The `next` of the previous page, to continue a sync that said hasMore. */
    cursor: z.string().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(500).default(200),
  })
  .refine((v) => v.since === undefined || v.cursor === undefined, 'give since or cursor, not both');

/** POST /api/conversations: opens (or returns) the direct conversation with a user. */
export const openConversationBody = z.strictObject({ userId: z.uuid() });

export const presenceSet = z.strictObject({ status: z.enum(['online', 'away']) });

export const reportBody = z.strictObject({ reason: text().trim().min(1).max(1000) });

/** One entry of GET /api/blocks: someone the caller blocked. */
export interface BlockView {
  userId: string;
  displayName: string;
  createdAt: string;
}

export const historyQuery = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string;
  body: string;
  price: number;
  createdAt: string;
}

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface PresenceView {
  userId: string;
  status: PresenceStatus;
  lastSeen: string | null;
}
